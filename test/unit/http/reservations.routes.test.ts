import { expectProblem, testApp, token, type TestApp } from './fakes';

describe('reservation routes', () => {
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
  beforeEach(async () => {
    t = testApp();
    for (const [sku, onHand] of [
      ['SKU-1', 10],
      ['SKU-2', 5],
      ['SKU-3', 1],
    ] as const) {
      await t.app.inject({
        method: 'PUT',
        url: `/inventory/${sku}`,
        headers: auth(admin),
        payload: { onHand },
      });
    }
  });
  afterEach(() => t.app.close());

  const post = (payload: unknown) =>
    t.app.inject({
      method: 'POST',
      url: '/reservations',
      headers: auth(reserve),
      payload: payload as object,
    });

  describe('POST /reservations', () => {
    it('reserves every line through the orchestrator and answers 201', async () => {
      const res = await post({
        orderId: 'o-1',
        lines: [
          { sku: 'sku-1', quantity: 2 },
          { sku: 'SKU-2', quantity: 5 },
        ],
        ttlSeconds: 600,
      });
      expect(res.statusCode).toBe(201);
      expect(res.headers.location).toBe('/reservations/o-1');
      expect(res.json()).toMatchObject({
        orderId: 'o-1',
        status: 'RESERVED',
        lines: [
          { sku: 'SKU-1', quantity: 2, status: 'RESERVED' },
          { sku: 'SKU-2', quantity: 5, status: 'RESERVED' },
        ],
      });
      expect(t.fake.calls).toContainEqual({
        method: 'reserve',
        arg: {
          orderId: 'o-1',
          lines: [
            { sku: 'SKU-1', quantity: 2 },
            { sku: 'SKU-2', quantity: 5 },
          ],
          ttlSeconds: 600,
          deadline: expect.any(String),
        },
      });
    });

    it('answers 200 with the same body on an identical repeat', async () => {
      const body = { orderId: 'o-1', lines: [{ sku: 'SKU-1', quantity: 2 }] };
      const first = await post(body);
      const again = await post(body);
      expect([first.statusCode, again.statusCode]).toEqual([201, 200]);
      expect(again.json()).toEqual(first.json());
    });

    it('answers 409 naming every short line with its available, and reserves nothing', async () => {
      const res = await post({
        orderId: 'o-1',
        lines: [
          { sku: 'SKU-1', quantity: 2 },
          { sku: 'SKU-2', quantity: 6 },
          { sku: 'SKU-3', quantity: 2 },
        ],
      });
      const body = expectProblem(res, 409, 'insufficient-stock');
      expect(body.lines).toEqual([
        { sku: 'SKU-2', requested: 6, available: 5 },
        { sku: 'SKU-3', requested: 2, available: 1 },
      ]);
      expect(body.detail).toContain('SKU-2');
      expect(body.detail).toContain('SKU-3');
      expect(t.fake.levels.get('SKU-1')?.reserved).toBe(0);
    });

    it('answers 404 naming the unknown SKUs', async () => {
      const body = expectProblem(
        await post({
          orderId: 'o-1',
          lines: [
            { sku: 'SKU-1', quantity: 1 },
            { sku: 'NOPE', quantity: 1 },
          ],
        }),
        404,
        'sku-not-found',
      );
      expect(body.skus).toEqual(['NOPE']);
    });

    it('answers 409 quantity-conflict when a line is repeated with another quantity', async () => {
      await post({ orderId: 'o-1', lines: [{ sku: 'SKU-1', quantity: 2 }] });
      expectProblem(
        await post({ orderId: 'o-1', lines: [{ sku: 'SKU-1', quantity: 3 }] }),
        409,
        'quantity-conflict',
      );
    });

    it('answers 410 once the reservation is released', async () => {
      await post({ orderId: 'o-1', lines: [{ sku: 'SKU-1', quantity: 2 }] });
      await t.app.inject({
        method: 'POST',
        url: '/inventory/SKU-1/release',
        headers: auth(reserve),
        payload: { orderId: 'o-1' },
      });
      expectProblem(
        await post({ orderId: 'o-1', lines: [{ sku: 'SKU-1', quantity: 2 }] }),
        410,
        'reservation-closed',
      );
    });

    it.each([
      [{ orderId: 'o-1' }],
      [{ orderId: 'o-1', lines: [] }],
      [{ orderId: 'o-1', lines: {} }],
      [{ orderId: 'o-1', lines: [{ sku: 'SKU-1' }] }],
      [{ orderId: 'o-1', lines: [{ sku: 'SKU-1', quantity: 1, note: 'x' }] }],
      [{ orderId: 'o-1', lines: [{ sku: '', quantity: 1 }] }],
      [{ orderId: 'o-1', lines: [{ sku: 'SKU-1', quantity: 0 }] }],
      [
        {
          orderId: 'o-1',
          lines: [
            { sku: 'SKU-1', quantity: 1 },
            { sku: 'sku-1', quantity: 2 },
          ],
        },
      ],
      [{ orderId: 'o-1', lines: Array.from({ length: 101 }, (_, i) => ({ sku: `S${i}`, quantity: 1 })) }],
      [{ orderId: 'o-1', lines: [{ sku: 'SKU-1', quantity: 1 }], ttlSeconds: 1.5 }],
      [{ lines: [{ sku: 'SKU-1', quantity: 1 }] }],
    ])('answers 400 for %j', async (payload) => {
      expectProblem(await post(payload), 400, 'validation-error');
      expect(t.fake.calls.filter((c) => c.method === 'reserve')).toEqual([]);
    });

    it('points at the offending line in `errors`', async () => {
      const body = expectProblem(
        await post({
          orderId: 'o-1',
          lines: [
            { sku: 'SKU-1', quantity: 1 },
            { sku: 'SKU-1', quantity: 2 },
          ],
        }),
        400,
      );
      expect(body.errors).toEqual([expect.objectContaining({ in: 'body', pointer: '/lines/1/sku' })]);
    });
  });

  describe('GET /reservations/:orderId', () => {
    const get = (orderId: string) =>
      t.app.inject({ method: 'GET', url: `/reservations/${orderId}`, headers: auth(read) });

    it('answers 200 with the Reservation', async () => {
      await post({ orderId: 'order:2030-01.a_b', lines: [{ sku: 'SKU-1', quantity: 2 }] });
      const res = await get('order:2030-01.a_b');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ orderId: 'order:2030-01.a_b', status: 'RESERVED' });
    });

    it('accepts the longest order id (128 characters), even percent-encoded', async () => {
      const orderId = ':'.repeat(128);
      await post({ orderId, lines: [{ sku: 'SKU-1', quantity: 1 }] });
      expect((await get(encodeURIComponent(orderId))).statusCode).toBe(200);
    });

    it('answers 404 for an unknown order', async () => {
      expectProblem(await get('o-404'), 404, 'reservation-not-found');
    });

    it.each(['o%201', 'o'.repeat(129), '%00', 'o%2Fx', 'o*'])(
      'answers 400 for the order id %s',
      async (orderId) => {
        expectProblem(await get(orderId), 400, 'validation-error');
      },
    );
  });
});
