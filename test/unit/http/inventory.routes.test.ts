import { expectProblem, testApp, token, type TestApp } from './fakes';

describe('inventory routes', () => {
  let t: TestApp;
  let admin: string;
  let read: string;
  let reserve: string;
  const auth = (tok: string) => ({ authorization: `Bearer ${tok}` });

  beforeAll(async () => {
    [admin, read, reserve] = await Promise.all([
      token('inventory:admin'),
      token('inventory:read'),
      token('inventory:reserve'),
    ]);
  });
  beforeEach(() => {
    t = testApp();
  });
  afterEach(() => t.app.close());

  const put = (sku: string, payload: unknown) =>
    t.app.inject({
      method: 'PUT',
      url: `/inventory/${sku}`,
      headers: auth(admin),
      payload: payload as object,
    });
  const reserveReq = (sku: string, payload: unknown) =>
    t.app.inject({
      method: 'POST',
      url: `/inventory/${sku}/reserve`,
      headers: auth(reserve),
      payload: payload as object,
    });
  const releaseReq = (sku: string, payload: unknown) =>
    t.app.inject({
      method: 'POST',
      url: `/inventory/${sku}/release`,
      headers: auth(reserve),
      payload: payload as object,
    });

  describe('PUT /inventory/:sku', () => {
    it('creates the SKU with 201 and the StockLevel, normalising the SKU to upper case', async () => {
      const res = await put('sku-1.a_b', { onHand: 10, safetyStock: 2, reorderQuantity: 20 });
      expect(res.statusCode).toBe(201);
      expect(res.headers.location).toBe('/inventory/SKU-1.A_B');
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.json()).toEqual({
        sku: 'SKU-1.A_B',
        onHand: 10,
        reserved: 0,
        available: 10,
        safetyStock: 2,
        reorderQuantity: 20,
        updatedAt: expect.any(String),
        openPurchaseOrder: null,
      });
      expect(t.fake.calls).toContainEqual({
        method: 'setLevels',
        arg: { sku: 'SKU-1.A_B', onHand: 10, safetyStock: 2, reorderQuantity: 20 },
        options: { deadline: expect.any(Date) },
      });
    });

    it('sets the levels of an existing SKU with 200', async () => {
      await put('SKU-1', { onHand: 10 });
      const res = await put('SKU-1', { onHand: 7 });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ sku: 'SKU-1', onHand: 7, available: 7 });
    });

    it('answers 409 when onHand would fall below reserved', async () => {
      await put('SKU-1', { onHand: 10 });
      await reserveReq('SKU-1', { orderId: 'o-1', quantity: 6 });
      const body = expectProblem(await put('SKU-1', { onHand: 5 }), 409, 'on-hand-below-reserved');
      expect(body).toMatchObject({ sku: 'SKU-1', onHand: 5, reserved: 6 });
    });

    it.each([
      [{}],
      [{ onHand: -1 }],
      [{ onHand: 1.5 }],
      [{ onHand: '5' }],
      [{ onHand: null }],
      [{ onHand: 5, safetyStock: -1 }],
      [{ onHand: 5, reorderQuantity: 'x' }],
      [{ onHand: 5, extra: true }],
      [{ onHand: 1e12 }],
      [[1, 2]],
    ])('answers 400 with `errors` for the body %j', async (payload) => {
      const body = expectProblem(await put('SKU-1', payload), 400, 'validation-error');
      expect(body.errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ in: 'body', message: expect.any(String) })]),
      );
    });

    it.each(['-SKU', 'a'.repeat(65), 'SKU%20X', 'SK%2FU', 'SKU*', '%C3%A9T%C3%A9', '.x'])(
      'answers 400 for the SKU %s',
      async (sku) => {
        const body = expectProblem(await put(sku, { onHand: 1 }), 400, 'validation-error');
        expect(body.errors).toEqual([expect.objectContaining({ in: 'params', pointer: '/sku' })]);
      },
    );
  });

  describe('GET /inventory/:sku', () => {
    it('answers 200 with the StockLevel, whatever the case of the SKU', async () => {
      await put('SKU-1', { onHand: 3 });
      const res = await t.app.inject({ method: 'GET', url: '/inventory/sku-1', headers: auth(read) });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ sku: 'SKU-1', onHand: 3, reserved: 0, available: 3 });
    });

    it('answers 404 for an unknown SKU', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/inventory/NOPE', headers: auth(read) });
      expect(expectProblem(res, 404, 'sku-not-found')).toMatchObject({
        skus: ['NOPE'],
        instance: '/inventory/NOPE',
      });
    });

    it('publishes only the contract fields plus openPurchaseOrder', async () => {
      t.fake.getStockLevel = async (sku) =>
        ({
          sku,
          onHand: 1,
          reserved: 0,
          available: 1,
          safetyStock: 0,
          reorderQuantity: 0,
          updatedAt: '2030-01-01T00:00:00.000Z',
          openPurchaseOrder: null,
          version: 42,
        }) as never;
      const res = await t.app.inject({ method: 'GET', url: '/inventory/SKU-1', headers: auth(read) });
      expect(res.json()).not.toHaveProperty('version');
    });
  });

  describe('GET /inventory/:sku/movements', () => {
    beforeEach(async () => {
      await put('SKU-1', { onHand: 3 });
      for (let i = 0; i < 3; i++) {
        t.fake.movements.push({
          id: `m-${i}`,
          sku: 'SKU-1',
          type: 'RESERVE',
          quantity: 1,
          orderId: `o-${i}`,
          onHandAfter: 3,
          reservedAfter: i + 1,
          occurredAt: '2030-01-01T00:00:00.000Z',
        });
      }
    });
    const get = (url: string) => t.app.inject({ method: 'GET', url, headers: auth(read) });

    it('answers 200 with items and nextCursor, passing limit and cursor through', async () => {
      const res = await get('/inventory/sku-1/movements?limit=2&cursor=abc');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        items: [
          expect.objectContaining({ id: 'm-0', type: 'RESERVE' }),
          expect.objectContaining({ id: 'm-1' }),
        ],
        nextCursor: 'next',
      });
      expect(t.fake.calls).toContainEqual({
        method: 'listMovements',
        arg: { sku: 'SKU-1', limit: 2, cursor: 'abc' },
      });
    });

    it('leaves the defaults to the service', async () => {
      const res = await get('/inventory/SKU-1/movements');
      expect(res.json()).toMatchObject({ nextCursor: null });
      expect(t.fake.calls).toContainEqual({ method: 'listMovements', arg: { sku: 'SKU-1' } });
    });

    it('answers 404 for an unknown SKU', async () => {
      expectProblem(await get('/inventory/NOPE/movements'), 404, 'sku-not-found');
    });

    it.each([
      'limit=0',
      'limit=201',
      'limit=abc',
      'limit=1.5',
      'limit=-1',
      'limit=1&limit=2',
      'limit=',
      'cursor=',
      'page=2',
    ])('answers 400 for ?%s', async (query) => {
      expectProblem(await get(`/inventory/SKU-1/movements?${query}`), 400, 'validation-error');
    });

    it("maps the service's ValidationError (a cursor it cannot decode) to 400", async () => {
      const body = expectProblem(await get('/inventory/SKU-1/movements?cursor=bad'), 400, 'validation-error');
      expect(body).toMatchObject({ code: 'INVENTORY.INVALID_CURSOR' });
    });
  });

  describe('POST /inventory/:sku/reserve', () => {
    beforeEach(async () => {
      await put('SKU-1', { onHand: 10 });
    });

    it('reserves through the orchestrator and answers 201 with the Reservation', async () => {
      const res = await reserveReq('sku-1', { orderId: 'order:1', quantity: 4, ttlSeconds: 60 });
      expect(res.statusCode).toBe(201);
      expect(res.headers.location).toBe('/reservations/order%3A1');
      expect(res.json()).toEqual({
        orderId: 'order:1',
        status: 'RESERVED',
        lines: [{ sku: 'SKU-1', quantity: 4, status: 'RESERVED' }],
        expiresAt: expect.any(String),
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      expect(t.fake.calls).toContainEqual({
        method: 'reserve',
        arg: {
          orderId: 'order:1',
          lines: [{ sku: 'SKU-1', quantity: 4 }],
          ttlSeconds: 60,
          deadline: expect.any(String),
        },
      });
    });

    it('answers 200 with the same body when the same orderId, SKU and quantity are repeated', async () => {
      const first = await reserveReq('SKU-1', { orderId: 'o-1', quantity: 4 });
      const again = await reserveReq('SKU-1', { orderId: 'o-1', quantity: 4 });
      expect(first.statusCode).toBe(201);
      expect(again.statusCode).toBe(200);
      expect(again.json()).toEqual(first.json());
    });

    it('answers 409 quantity-conflict for a repeat with another quantity', async () => {
      await reserveReq('SKU-1', { orderId: 'o-1', quantity: 4 });
      const body = expectProblem(
        await reserveReq('SKU-1', { orderId: 'o-1', quantity: 5 }),
        409,
        'quantity-conflict',
      );
      expect(body.lines).toEqual([{ sku: 'SKU-1', reserved: 4, requested: 5 }]);
    });

    it('answers 409 insufficient-stock carrying `available`', async () => {
      await reserveReq('SKU-1', { orderId: 'o-1', quantity: 8 });
      const body = expectProblem(
        await reserveReq('SKU-1', { orderId: 'o-2', quantity: 3 }),
        409,
        'insufficient-stock',
      );
      expect(body).toMatchObject({
        sku: 'SKU-1',
        requested: 3,
        available: 2,
        lines: [{ sku: 'SKU-1', requested: 3, available: 2 }],
      });
    });

    it('answers 404 for an unknown SKU', async () => {
      const body = expectProblem(
        await reserveReq('NOPE', { orderId: 'o-1', quantity: 1 }),
        404,
        'sku-not-found',
      );
      expect(body.skus).toEqual(['NOPE']);
    });

    it("answers 410 when the order's reservation is already released or confirmed", async () => {
      await reserveReq('SKU-1', { orderId: 'o-1', quantity: 1 });
      await releaseReq('SKU-1', { orderId: 'o-1' });
      const body = expectProblem(
        await reserveReq('SKU-1', { orderId: 'o-1', quantity: 1 }),
        410,
        'reservation-closed',
      );
      expect(body).toMatchObject({ reservation: { orderId: 'o-1', status: 'RELEASED' } });
    });

    it.each([
      [{ quantity: 1 }],
      [{ orderId: 'o-1' }],
      [{ orderId: 'o-1', quantity: 0 }],
      [{ orderId: 'o-1', quantity: 1_000_001 }],
      [{ orderId: 'o-1', quantity: 2.5 }],
      [{ orderId: 'o-1', quantity: '1' }],
      [{ orderId: 'o-1', quantity: 1, ttlSeconds: 0 }],
      [{ orderId: 'o-1', quantity: 1, ttlSeconds: 86_401 }],
      [{ orderId: '', quantity: 1 }],
      [{ orderId: 'o 1', quantity: 1 }],
      [{ orderId: 'o'.repeat(129), quantity: 1 }],
      [{ orderId: 'o-1', quantity: 1, sku: 'SKU-1' }],
    ])('answers 400 for %j without calling the orchestrator', async (payload) => {
      expectProblem(await reserveReq('SKU-1', payload), 400, 'validation-error');
      expect(t.fake.calls.filter((c) => c.method === 'reserve')).toEqual([]);
    });
  });

  describe('POST /inventory/:sku/release', () => {
    beforeEach(async () => {
      await put('SKU-1', { onHand: 10 });
      await put('SKU-2', { onHand: 10 });
      await reserveReq('SKU-1', { orderId: 'o-1', quantity: 4 });
    });

    it("releases the order's line through the orchestrator with reason `released` and answers 200", async () => {
      const res = await releaseReq('sku-1', { orderId: 'o-1', reason: 'customer changed their mind' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        orderId: 'o-1',
        status: 'RELEASED',
        releaseReason: 'released',
        lines: [{ sku: 'SKU-1', quantity: 4, status: 'RELEASED' }],
      });
      expect(t.fake.calls).toContainEqual({
        method: 'release',
        arg: { orderId: 'o-1', sku: 'SKU-1', reason: 'released' },
        options: { deadline: expect.any(Date) },
      });
    });

    it('treats repeats as no-ops answering 200 with the same body', async () => {
      const first = await releaseReq('SKU-1', { orderId: 'o-1' });
      const again = await releaseReq('SKU-1', { orderId: 'o-1' });
      expect(again.statusCode).toBe(200);
      expect(again.json()).toEqual(first.json());
    });

    it('answers 404 when the order has no reservation', async () => {
      expectProblem(await releaseReq('SKU-1', { orderId: 'o-404' }), 404, 'reservation-not-found');
    });

    it('answers 404 when the reservation has no line for the SKU', async () => {
      expectProblem(await releaseReq('SKU-2', { orderId: 'o-1' }), 404, 'reservation-line-not-found');
    });

    it.each([
      [{}],
      [{ orderId: 'o-1', reason: 5 }],
      [{ orderId: 'o-1', reason: 'x'.repeat(501) }],
      [{ orderId: 'o-1', x: 1 }],
    ])('answers 400 for %j', async (payload) => {
      expectProblem(await releaseReq('SKU-1', payload), 400, 'validation-error');
    });

    it('answers 400 without a body', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/inventory/SKU-1/release',
        headers: auth(reserve),
      });
      expectProblem(res, 400, 'validation-error');
    });
  });

  describe('POST /inventory/:sku/replenish', () => {
    const replenish = (sku: string, payload: unknown) =>
      t.app.inject({
        method: 'POST',
        url: `/inventory/${sku}/replenish`,
        headers: auth(admin),
        payload: payload as object,
      });

    it('adds to on hand and answers 200 with the StockLevel', async () => {
      await put('SKU-1', { onHand: 10 });
      const res = await replenish('sku-1', { quantity: 5, reference: 'GRN-7' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ sku: 'SKU-1', onHand: 15, available: 15 });
      expect(t.fake.calls).toContainEqual({
        method: 'replenish',
        arg: { sku: 'SKU-1', quantity: 5, reference: 'GRN-7' },
        options: { deadline: expect.any(Date) },
      });
    });

    it('answers 404 for an unknown SKU', async () => {
      expectProblem(await replenish('NOPE', { quantity: 5 }), 404, 'sku-not-found');
    });

    it('answers 409 on-hand-limit-exceeded when on hand would pass the limit PUT accepts; a PUT keeping it works', async () => {
      await put('SKU-1', { onHand: 1_000_000_000 - 5 });
      const body = expectProblem(await replenish('SKU-1', { quantity: 6 }), 409, 'on-hand-limit-exceeded');
      expect(body).toMatchObject({ sku: 'SKU-1', onHand: 999_999_995, quantity: 6, max: 1_000_000_000 });
      expect((await replenish('SKU-1', { quantity: 5 })).json()).toMatchObject({ onHand: 1_000_000_000 });
      expect((await put('SKU-1', { onHand: 1_000_000_000, safetyStock: 3 })).statusCode).toBe(200);
      expectProblem(await put('SKU-1', { onHand: 1_000_000_001 }), 400, 'validation-error');
    });

    it.each([
      [{}],
      [{ quantity: 0 }],
      [{ quantity: -3 }],
      [{ quantity: 5, reference: '' }],
      [{ quantity: 5, note: 'x' }],
    ])('answers 400 for %j', async (payload) => {
      expectProblem(await replenish('SKU-1', payload), 400, 'validation-error');
    });
  });
});
