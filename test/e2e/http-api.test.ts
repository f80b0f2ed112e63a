import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../support/eventually';
import { uniqueOrderId, uniqueSku } from '../support/naming';
import { OrderEventsPublisher } from '../support/orderEvents';
import {
  expectJson,
  expectProblem,
  expectReservation,
  expectStatus,
  expectStockLevel,
  linesOf,
  sortedLines,
  type MovementBody,
  type ProblemBody,
  type ReservationBody,
  type StockLevelBody,
} from './assertions';
import { runCommand, startE2E, type Api, type E2EEnvironment } from './harness';

jest.setTimeout(60_000);

/**
 * Every row of CONTRACT.md's HTTP table, through real HTTP (global fetch) against the real service
 * process (all roles), its own Postgres database, RabbitMQ vhost and Temporal task queue.
 */
describe('HTTP API (e2e, real service process)', () => {
  let env: E2EEnvironment;
  let api: Api;

  beforeAll(async () => {
    env = await startE2E('inv_e2e_http');
    api = env.api;
  });

  afterAll(async () => {
    await env?.teardown();
  });

  async function createSku(onHand: number, extra: Record<string, number> = {}): Promise<string> {
    const sku = uniqueSku('E2E');
    expectStatus(await api.put(`/inventory/${sku}`, { onHand, ...extra }), 201);
    return sku;
  }

  async function level(sku: string): Promise<StockLevelBody> {
    return expectStatus(await api.get<StockLevelBody>(`/inventory/${sku}`), 200).body;
  }

  async function reserve(sku: string, orderId: string, quantity: number, ttlSeconds?: number) {
    return api.post<ReservationBody>(`/inventory/${sku}/reserve`, { orderId, quantity, ttlSeconds });
  }

  async function allMovements(sku: string): Promise<MovementBody[]> {
    const res = expectStatus(
      await api.get<{ items: MovementBody[]; nextCursor: string | null }>(
        `/inventory/${sku}/movements?limit=200`,
      ),
      200,
    );
    return res.body.items;
  }

  describe('PUT /inventory/:sku', () => {
    it('creates a SKU: 201 StockLevel with a Location, upper-casing the SKU', async () => {
      const sku = uniqueSku('new').toLowerCase();
      const res = await api.put(`/inventory/${sku}`, { onHand: 25, safetyStock: 5, reorderQuantity: 40 });
      expectStatus(res, 201);
      expectJson(res);
      expectStockLevel(res.body, {
        sku: sku.toUpperCase(),
        onHand: 25,
        reserved: 0,
        available: 25,
        safetyStock: 5,
        reorderQuantity: 40,
      });
      expect(res.headers.get('location')).toBe(`/inventory/${sku.toUpperCase()}`);
      // Stored upper-case: the lower-case spelling reads the same SKU.
      expectStockLevel(await level(sku), { sku: sku.toUpperCase(), onHand: 25 });
    });

    it('sets the levels of an existing SKU: 200', async () => {
      const sku = await createSku(10);
      const res = await api.put(`/inventory/${sku}`, { onHand: 12, safetyStock: 3, reorderQuantity: 20 });
      expectStatus(res, 200);
      expectStockLevel(res.body, { sku, onHand: 12, reserved: 0, safetyStock: 3, reorderQuantity: 20 });
      expectStockLevel(await level(sku), { onHand: 12, safetyStock: 3, reorderQuantity: 20 });
    });

    it('409 when onHand would fall below reserved, and nothing changes', async () => {
      const sku = await createSku(10);
      expectStatus(await reserve(sku, uniqueOrderId(), 6), 201);
      const res = await api.put(`/inventory/${sku}`, { onHand: 5 });
      const problem = expectProblem(res, 409, 'on-hand-below-reserved');
      expect(problem).toMatchObject({ reserved: 6, onHand: 5 });
      expectStockLevel(await level(sku), { onHand: 10, reserved: 6, available: 4 });
      // Exactly at reserved is allowed.
      expectStockLevel(expectStatus(await api.put(`/inventory/${sku}`, { onHand: 6 }), 200).body, {
        onHand: 6,
        reserved: 6,
        available: 0,
      });
    });

    it.each([
      ['a negative onHand', 'VALID-SKU', { onHand: -1 }],
      ['a fractional onHand', 'VALID-SKU', { onHand: 1.5 }],
      ['onHand as a string', 'VALID-SKU', { onHand: '10' }],
      ['no onHand', 'VALID-SKU', { safetyStock: 1 }],
      ['an unknown field', 'VALID-SKU', { onHand: 1, colour: 'red' }],
      ['a SKU starting with a dash', '-BAD', { onHand: 1 }],
      ['a SKU with a space', 'BAD%20SKU', { onHand: 1 }],
      ['a SKU of 65 characters', 'A'.repeat(65), { onHand: 1 }],
    ])('400 for %s', async (_what, sku, body) => {
      expectProblem(await api.put(`/inventory/${sku}`, body), 400);
    });

    it('400 for a body that is not JSON', async () => {
      const res = await api.request('PUT', `/inventory/${uniqueSku()}`, { rawBody: '{"onHand": 1' });
      expectProblem(res, 400);
    });
  });

  describe('GET /inventory/:sku', () => {
    it('200 StockLevel', async () => {
      const sku = await createSku(7, { safetyStock: 2 });
      const res = await api.get(`/inventory/${sku}`, { token: env.tokens.read });
      expectStatus(res, 200);
      expectJson(res);
      expectStockLevel(res.body, { sku, onHand: 7, reserved: 0, available: 7, safetyStock: 2 });
    });

    it('404 for an unknown SKU', async () => {
      expectProblem(await api.get(`/inventory/${uniqueSku('NONE')}`), 404, 'sku-not-found');
    });
  });

  describe('GET /inventory/:sku/movements', () => {
    it('pages newest first with a cursor until nextCursor is null', async () => {
      const sku = await createSku(10);
      for (const reference of ['GR-1', 'GR-2', 'GR-3', 'GR-4']) {
        expectStatus(await api.post(`/inventory/${sku}/replenish`, { quantity: 1, reference }), 200);
      }
      const orderId = uniqueOrderId();
      expectStatus(await reserve(sku, orderId, 2), 201);

      const everything = await allMovements(sku);
      expect(everything.length).toBeGreaterThanOrEqual(6);

      const paged: MovementBody[] = [];
      const pageSizes: number[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 20; page++) {
        const query: string = cursor ? `limit=2&cursor=${encodeURIComponent(cursor)}` : 'limit=2';
        const res = expectStatus(
          await api.get<{ items: MovementBody[]; nextCursor: string | null }>(
            `/inventory/${sku}/movements?${query}`,
            { token: env.tokens.read },
          ),
          200,
        );
        paged.push(...res.body.items);
        pageSizes.push(res.body.items.length);
        cursor = res.body.nextCursor;
        if (cursor === null) break;
      }
      expect(cursor).toBeNull();
      expect(pageSizes.slice(0, -1).every((n) => n === 2)).toBe(true);
      // The pages, concatenated, are the whole ledger in the same order, without gaps or repeats.
      expect(paged.map((m) => m.id)).toEqual(everything.map((m) => m.id));
      expect(new Set(paged.map((m) => m.id)).size).toBe(paged.length);

      // Newest first.
      for (let i = 1; i < paged.length; i++) {
        expect(Date.parse(paged[i - 1]!.occurredAt)).toBeGreaterThanOrEqual(Date.parse(paged[i]!.occurredAt));
      }
      const [newest, ...rest] = paged;
      expect(newest).toMatchObject({
        sku,
        type: 'RESERVE',
        quantity: 2,
        orderId,
        onHandAfter: 14,
        reservedAfter: 2,
      });
      const replenishments = rest.filter((m) => m.type === 'REPLENISH');
      expect(replenishments.map((m) => m.onHandAfter)).toEqual([14, 13, 12, 11]);
      expect(replenishments.every((m) => m.quantity === 1 && m.sku === sku)).toBe(true);
      // The oldest movement is the SKU's creation, bringing on hand to 10.
      expect(paged[paged.length - 1]).toMatchObject({ sku, onHandAfter: 10, reservedAfter: 0 });
    });

    it('404 for an unknown SKU', async () => {
      expectProblem(await api.get(`/inventory/${uniqueSku('NONE')}/movements`), 404, 'sku-not-found');
    });

    it('400 for a limit out of range', async () => {
      const sku = await createSku(1);
      expectProblem(await api.get(`/inventory/${sku}/movements?limit=0`), 400);
      expectProblem(await api.get(`/inventory/${sku}/movements?limit=201`), 400);
    });
  });

  describe('POST /inventory/:sku/reserve', () => {
    it('201 Reservation, then 200 with the same body on an identical repeat', async () => {
      const sku = await createSku(10);
      const orderId = uniqueOrderId();
      const before = Date.now();
      const first = await api.post<ReservationBody>(
        `/inventory/${sku.toLowerCase()}/reserve`,
        { orderId, quantity: 3 },
        { token: env.tokens.reserve },
      );
      expectStatus(first, 201);
      expectJson(first);
      const reservation = expectReservation(first.body, { orderId, status: 'RESERVED' });
      expect(linesOf(reservation)).toEqual([{ sku, quantity: 3 }]);
      expect(first.headers.get('location')).toBe(`/reservations/${orderId}`);
      // Default TTL 900 s.
      const ttlMs = Date.parse(reservation.expiresAt) - Date.parse(reservation.createdAt);
      expect(ttlMs).toBeGreaterThanOrEqual(899_000);
      expect(ttlMs).toBeLessThanOrEqual(901_000);
      expect(Date.parse(reservation.createdAt)).toBeGreaterThanOrEqual(before - 5_000);
      expectStockLevel(await level(sku), { onHand: 10, reserved: 3, available: 7 });

      const repeat = await reserve(sku, orderId, 3);
      expectStatus(repeat, 200);
      expect(repeat.body).toEqual(first.body);
      // The repeat reserved nothing more.
      expectStockLevel(await level(sku), { onHand: 10, reserved: 3, available: 7 });
      expect((await allMovements(sku)).filter((m) => m.type === 'RESERVE')).toHaveLength(1);
    });

    it('a second SKU joins the order’s reservation', async () => {
      const [a, b] = [await createSku(5), await createSku(5)];
      const orderId = uniqueOrderId();
      expectStatus(await reserve(a, orderId, 1), 201);
      const second = expectStatus(await reserve(b, orderId, 2), 201);
      expect(linesOf(second.body)).toEqual(
        sortedLines([
          { sku: a, quantity: 1 },
          { sku: b, quantity: 2 },
        ]),
      );
      const read = expectStatus(await api.get<ReservationBody>(`/reservations/${orderId}`), 200);
      expect(linesOf(read.body)).toEqual(linesOf(second.body));
    });

    it('409 insufficient-stock with available, reserving nothing', async () => {
      const sku = await createSku(5);
      expectStatus(await reserve(sku, uniqueOrderId(), 3), 201);
      const orderId = uniqueOrderId();
      const problem = expectProblem(await reserve(sku, orderId, 3), 409, 'insufficient-stock');
      expect(problem.available).toBe(2);
      expectStockLevel(await level(sku), { onHand: 5, reserved: 3, available: 2 });
      expectProblem(await api.get(`/reservations/${orderId}`), 404);
    });

    it('409 when the order repeats the SKU with a different quantity', async () => {
      const sku = await createSku(10);
      const orderId = uniqueOrderId();
      expectStatus(await reserve(sku, orderId, 2), 201);
      const problem = expectProblem(await reserve(sku, orderId, 4), 409, 'quantity-conflict');
      expect(problem.detail).toContain(sku);
      expectStockLevel(await level(sku), { reserved: 2 });
    });

    it('404 for an unknown SKU', async () => {
      const res = await reserve(uniqueSku('NONE'), uniqueOrderId(), 1);
      expectProblem(res, 404, 'sku-not-found');
    });

    it('410 once the order’s reservation is released', async () => {
      const sku = await createSku(10);
      const orderId = uniqueOrderId();
      expectStatus(await reserve(sku, orderId, 2), 201);
      expectStatus(await api.post(`/inventory/${sku}/release`, { orderId }), 200);
      const problem = expectProblem(await reserve(sku, orderId, 2), 410, 'reservation-closed');
      expect(problem.detail).toContain('RELEASED');
      // Another SKU for the same, closed order is refused too.
      const other = await createSku(10);
      expectProblem(await reserve(other, orderId, 1), 410, 'reservation-closed');
      expectStockLevel(await level(sku), { reserved: 0, available: 10 });
      expectStockLevel(await level(other), { reserved: 0, available: 10 });
    });

    it('410 once the order’s reservation is confirmed (OrderConfirmed on order.events)', async () => {
      const publisher = await OrderEventsPublisher.open(env.vhost.url);
      try {
        const sku = await createSku(10);
        const orderId = uniqueOrderId();
        expectStatus(await reserve(sku, orderId, 4), 201);
        await publisher.publish('OrderConfirmed', { orderId });
        await eventually(
          async () =>
            (await api.get<ReservationBody>(`/reservations/${orderId}`)).body.status === 'CONFIRMED',
          { timeoutMs: 10_000, what: 'reservation CONFIRMED' },
        );
        expectProblem(await reserve(sku, orderId, 4), 410, 'reservation-closed');
        expectStockLevel(await level(sku), { onHand: 6, reserved: 0, available: 6 });
      } finally {
        await publisher.close();
      }
    });

    it.each([
      ['quantity 0', { quantity: 0 }],
      ['quantity 1,000,001', { quantity: 1_000_001 }],
      ['a fractional quantity', { quantity: 1.5 }],
      ['no quantity', { quantity: undefined }],
      ['no orderId', { orderId: undefined }],
      ['an orderId with a space', { orderId: 'order 1' }],
      ['an orderId of 129 characters', { orderId: 'o'.repeat(129) }],
      ['ttlSeconds 0', { ttlSeconds: 0 }],
      ['ttlSeconds 86,401', { ttlSeconds: 86_401 }],
      ['an unknown field', { priority: 'high' }],
    ])('400 for %s', async (_what, override) => {
      const sku = await createSku(5);
      const body = { orderId: uniqueOrderId(), quantity: 1, ...override };
      expectProblem(await api.post(`/inventory/${sku}/reserve`, body), 400, 'validation-error');
      expectStockLevel(await level(sku), { reserved: 0 });
    });

    it('accepts the boundary values: quantity 1,000,000 and ttlSeconds 86,400', async () => {
      const sku = await createSku(1_000_000);
      const orderId = uniqueOrderId();
      const res = expectStatus(await reserve(sku, orderId, 1_000_000, 86_400), 201);
      const ttlMs = Date.parse(res.body.expiresAt) - Date.parse(res.body.createdAt);
      expect(Math.abs(ttlMs - 86_400_000)).toBeLessThanOrEqual(1_000);
      expectStatus(await api.post(`/inventory/${sku}/release`, { orderId }), 200);
    });
  });

  describe('POST /inventory/:sku/release', () => {
    it('200 Reservation released with reason released; the stock is back; a repeat is a no-op', async () => {
      const sku = await createSku(10);
      const orderId = uniqueOrderId();
      expectStatus(await reserve(sku, orderId, 4), 201);
      const res = await api.post<ReservationBody>(
        `/inventory/${sku}/release`,
        { orderId, reason: 'customer changed their mind' },
        { token: env.tokens.reserve },
      );
      expectStatus(res, 200);
      expectJson(res);
      expectReservation(res.body, { orderId, status: 'RELEASED', releaseReason: 'released' });
      expectStockLevel(await level(sku), { onHand: 10, reserved: 0, available: 10 });
      const movementsAfterRelease = await allMovements(sku);
      expect(movementsAfterRelease[0]).toMatchObject({ type: 'RELEASE', quantity: 4, orderId });

      const repeat = await api.post<ReservationBody>(`/inventory/${sku}/release`, { orderId });
      expectStatus(repeat, 200);
      expectReservation(repeat.body, { orderId, status: 'RELEASED', releaseReason: 'released' });
      expectStockLevel(await level(sku), { onHand: 10, reserved: 0, available: 10 });
      expect(await allMovements(sku)).toEqual(movementsAfterRelease);

      const read = expectStatus(await api.get<ReservationBody>(`/reservations/${orderId}`), 200);
      expectReservation(read.body, { orderId, status: 'RELEASED', releaseReason: 'released' });
    });

    it('404 when the order has no line for this SKU, or no reservation at all', async () => {
      const [sku, other] = [await createSku(10), await createSku(10)];
      const orderId = uniqueOrderId();
      expectStatus(await reserve(sku, orderId, 1), 201);
      expectProblem(await api.post(`/inventory/${other}/release`, { orderId }), 404);
      expectProblem(await api.post(`/inventory/${sku}/release`, { orderId: uniqueOrderId('none') }), 404);
      // The existing line was not touched.
      expectStockLevel(await level(sku), { reserved: 1 });
    });

    it('400 without an orderId', async () => {
      const sku = await createSku(1);
      expectProblem(await api.post(`/inventory/${sku}/release`, {}), 400, 'validation-error');
    });
  });

  describe('POST /inventory/:sku/replenish', () => {
    it('200 StockLevel with on hand increased', async () => {
      const sku = await createSku(3);
      expectStatus(await reserve(sku, uniqueOrderId(), 2), 201);
      const res = await api.post(
        `/inventory/${sku}/replenish`,
        { quantity: 5, reference: 'GR-42' },
        { token: env.tokens.admin },
      );
      expectStatus(res, 200);
      expectJson(res);
      expectStockLevel(res.body, { sku, onHand: 8, reserved: 2, available: 6 });
      const [movement] = await allMovements(sku);
      expect(movement).toMatchObject({ type: 'REPLENISH', quantity: 5, onHandAfter: 8 });
    });

    it.each([
      ['quantity 0', { quantity: 0 }],
      ['no quantity', {}],
      ['an empty reference', { quantity: 1, reference: '' }],
      // Postgres text holds no NUL: this was a 500 from the database (found by the fuzz suite).
      ['a reference with a NUL character', { quantity: 1, reference: 'GR-\u0000-1' }],
      ['a reference with a lone surrogate', { quantity: 1, reference: 'GR-\ud800' }],
    ])('400 for %s', async (_what, body) => {
      const sku = await createSku(1);
      expectProblem(await api.post(`/inventory/${sku}/replenish`, body), 400);
      expectStockLevel(await level(sku), { onHand: 1 });
    });

    it('404 for an unknown SKU', async () => {
      expectProblem(
        await api.post(`/inventory/${uniqueSku('NONE')}/replenish`, { quantity: 1 }),
        404,
        'sku-not-found',
      );
    });
  });

  describe('POST /reservations', () => {
    it('201 with every line reserved, then 200 with the same body on an identical repeat', async () => {
      const [a, b] = [await createSku(10), await createSku(4)];
      const orderId = uniqueOrderId();
      const body = {
        orderId,
        lines: [
          { sku: a, quantity: 3 },
          { sku: b.toLowerCase(), quantity: 4 },
        ],
      };
      const first = await api.post<ReservationBody>('/reservations', body, { token: env.tokens.reserve });
      expectStatus(first, 201);
      expectJson(first);
      expectReservation(first.body, { orderId, status: 'RESERVED' });
      expect(linesOf(first.body)).toEqual(
        sortedLines([
          { sku: a, quantity: 3 },
          { sku: b, quantity: 4 },
        ]),
      );
      expect(first.headers.get('location')).toBe(`/reservations/${orderId}`);
      expectStockLevel(await level(a), { reserved: 3, available: 7 });
      expectStockLevel(await level(b), { reserved: 4, available: 0 });

      const repeat = await api.post<ReservationBody>('/reservations', body);
      expectStatus(repeat, 200);
      expect(repeat.body).toEqual(first.body);
      expectStockLevel(await level(a), { reserved: 3 });
      expectStockLevel(await level(b), { reserved: 4 });
    });

    it('honours ttlSeconds', async () => {
      const sku = await createSku(2);
      const orderId = uniqueOrderId();
      const res = expectStatus(
        await api.post<ReservationBody>('/reservations', {
          orderId,
          lines: [{ sku, quantity: 1 }],
          ttlSeconds: 600,
        }),
        201,
      );
      const ttlMs = Date.parse(res.body.expiresAt) - Date.parse(res.body.createdAt);
      expect(Math.abs(ttlMs - 600_000)).toBeLessThanOrEqual(1_000);
    });

    it('409 naming every short line, and reserving none of the lines', async () => {
      const [plenty, short1, short2] = [await createSku(100), await createSku(2), await createSku(0)];
      const orderId = uniqueOrderId();
      const res = await api.post('/reservations', {
        orderId,
        lines: [
          { sku: plenty, quantity: 5 },
          { sku: short1, quantity: 3 },
          { sku: short2, quantity: 1 },
        ],
      });
      const problem = expectProblem(res, 409, 'insufficient-stock');
      const lines = (problem.lines as { sku: string; requested: number; available: number }[]).sort((x, y) =>
        x.sku.localeCompare(y.sku),
      );
      expect(lines).toEqual(
        [
          { sku: short1, requested: 3, available: 2 },
          { sku: short2, requested: 1, available: 0 },
        ].sort((x, y) => x.sku.localeCompare(y.sku)),
      );
      for (const sku of [plenty, short1, short2]) expectStockLevel(await level(sku), { reserved: 0 });
      expectProblem(await api.get(`/reservations/${orderId}`), 404);
    });

    it('404 naming the unknown SKU, and reserving none of the lines', async () => {
      const known = await createSku(10);
      const unknown = uniqueSku('NONE');
      const problem = expectProblem(
        await api.post('/reservations', {
          orderId: uniqueOrderId(),
          lines: [
            { sku: known, quantity: 1 },
            { sku: unknown, quantity: 1 },
          ],
        }),
        404,
        'sku-not-found',
      );
      expect(problem.skus).toEqual([unknown]);
      expectStockLevel(await level(known), { reserved: 0 });
    });

    it.each([
      ['no lines', { lines: [] }],
      [
        'the same SKU twice',
        {
          lines: [
            { sku: 'DUP-1', quantity: 1 },
            { sku: 'dup-1', quantity: 2 },
          ],
        },
      ],
      ['a line with quantity 0', { lines: [{ sku: 'A-1', quantity: 0 }] }],
      ['a line with an invalid SKU', { lines: [{ sku: '', quantity: 1 }] }],
      ['no orderId', { orderId: undefined }],
      ['ttlSeconds 86,401', { ttlSeconds: 86_401 }],
      ['an unknown field', { note: 'x' }],
    ])('400 for %s', async (_what, override) => {
      const body = { orderId: uniqueOrderId(), lines: [{ sku: 'A-1', quantity: 1 }], ...override };
      expectProblem(await api.post('/reservations', body), 400, 'validation-error');
    });
  });

  describe('GET /reservations/:orderId', () => {
    it('200 Reservation', async () => {
      const sku = await createSku(10);
      const orderId = uniqueOrderId();
      const created = expectStatus(await reserve(sku, orderId, 2), 201);
      const res = await api.get<ReservationBody>(`/reservations/${orderId}`, { token: env.tokens.read });
      expectStatus(res, 200);
      expectJson(res);
      expectReservation(res.body, { orderId, status: 'RESERVED', expiresAt: created.body.expiresAt });
      expect(linesOf(res.body)).toEqual([{ sku, quantity: 2 }]);
    });

    it('404 for an order without a reservation', async () => {
      expectProblem(await api.get(`/reservations/${uniqueOrderId('none')}`), 404, 'reservation-not-found');
    });
  });

  describe('operations', () => {
    it('GET /health/live: 200 without a token', async () => {
      const res = await api.get('/health/live', { token: null });
      expectStatus(res, 200);
      expect(res.body).toMatchObject({ status: 'ok' });
    });

    it('GET /health/ready: 200 with the state of each dependency', async () => {
      const res = await api.get<{ status: string; checks: Record<string, { ok: boolean }> }>(
        '/health/ready',
        { token: null },
      );
      expectStatus(res, 200);
      expect(res.body.status).toBe('ok');
      for (const dependency of ['postgres', 'rabbitmq', 'temporal']) {
        expect(res.body.checks[dependency]).toMatchObject({ ok: true });
      }
    });

    it('GET /metrics: Prometheus text with the HTTP histogram of the requests served', async () => {
      const sku = await createSku(1);
      expectStatus(await api.get(`/inventory/${sku}`), 200);
      const res = await api.get('/metrics', { token: null });
      expectStatus(res, 200);
      expect(res.contentType).toMatch(/^text\/plain/);
      expect(res.text).toMatch(/^# HELP /m);
      expect(res.text).toMatch(/^# TYPE http_request_duration_seconds histogram$/m);
      expect(res.text).toMatch(
        /^http_request_duration_seconds_count\{[^}]*route="\/inventory\/:sku"[^}]*status_code="200"[^}]*\} [1-9]/m,
      );
      // Route templates only, never raw SKUs (unbounded label values).
      expect(res.text).not.toContain(sku);
    });

    it('GET /openapi.json: OpenAPI 3.1 with every path of the contract', async () => {
      const res = await api.get<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(
        '/openapi.json',
        { token: null },
      );
      expectStatus(res, 200);
      expectJson(res);
      expect(res.body.openapi).toMatch(/^3\.1\./);
      const operations = Object.entries(res.body.paths).flatMap(([path, item]) =>
        Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
      );
      expect(operations).toEqual(
        expect.arrayContaining([
          'PUT /inventory/{sku}',
          'GET /inventory/{sku}',
          'GET /inventory/{sku}/movements',
          'POST /inventory/{sku}/reserve',
          'POST /inventory/{sku}/release',
          'POST /inventory/{sku}/replenish',
          'POST /reservations',
          'GET /reservations/{orderId}',
          'GET /health/live',
          'GET /health/ready',
          'GET /metrics',
        ]),
      );
    });

    it('GET /docs: a browsable HTML page', async () => {
      const res = await fetch(`${env.service.url}/docs`, { redirect: 'follow' });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await res.text()).toMatch(/swagger/i);
    });

    it('an unknown route is a 404 problem', async () => {
      expectProblem(await api.get('/no/such/route'), 404, 'not-found');
    });
  });

  describe('README quick start', () => {
    it('its curl commands create a SKU, reserve, read, release, replenish and list movements', async () => {
      const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
      const section = /^## Quick start\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1];
      const block = [...(section ?? '').matchAll(/```bash\n([\s\S]*?)```/g)]
        .map((m) => m[1]!)
        .find((b) => b.includes('curl'));
      if (!block) throw new Error('README.md: no ```bash block with curl commands under "## Quick start"');

      // Its own SKU and order id: workflow ids are global to the Temporal namespace.
      const sku = uniqueSku('README');
      const orderId = uniqueOrderId('readme');
      const script = block
        .replace(/(localhost|127\.0\.0\.1):3000/g, `127.0.0.1:${env.service.port}`)
        .replace(/\bSKU-1\b/g, sku)
        .replace(/\border-1\b/g, orderId);
      const result = await runCommand('bash', ['-euo', 'pipefail', '-c', script], {
        AUTH_JWT_SECRET: env.secret,
      });
      if (result.code !== 0) {
        throw new Error(`quick start exited ${String(result.code)}\n${result.stdout}\n${result.stderr}`);
      }
      expect(result.stdout).not.toMatch(/"status":\s*(4|5)\d\d/);

      expectStockLevel(await level(sku), { onHand: 15, reserved: 0, available: 15 });
      expectReservation((await api.get(`/reservations/${orderId}`)).body, {
        orderId,
        status: 'RELEASED',
        releaseReason: 'released',
      });
      const types = (await allMovements(sku)).map((m) => m.type);
      expect(types.slice(0, 3)).toEqual(['REPLENISH', 'RELEASE', 'RESERVE']);
    });
  });

  describe('authentication and scopes', () => {
    let sku: string;
    beforeAll(async () => {
      sku = await createSku(10);
    });

    const protectedRoutes = (): [string, string, unknown][] => [
      ['PUT', `/inventory/${sku}`, { onHand: 1 }],
      ['GET', `/inventory/${sku}`, undefined],
      ['GET', `/inventory/${sku}/movements`, undefined],
      ['POST', `/inventory/${sku}/reserve`, { orderId: uniqueOrderId(), quantity: 1 }],
      ['POST', `/inventory/${sku}/release`, { orderId: uniqueOrderId() }],
      ['POST', `/inventory/${sku}/replenish`, { quantity: 1 }],
      ['POST', '/reservations', { orderId: uniqueOrderId(), lines: [{ sku, quantity: 1 }] }],
      ['GET', `/reservations/${uniqueOrderId()}`, undefined],
    ];

    it('401 with a WWW-Authenticate challenge on every protected route without a token', async () => {
      for (const [method, path, body] of protectedRoutes()) {
        const res = await api.request(method, path, { token: null, body });
        expectProblem(res, 401, 'unauthorized');
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
      }
      expectStockLevel(await level(sku), { onHand: 10, reserved: 0 });
    });

    it('401 for a token signed with another secret, an expired token, or a malformed one', async () => {
      const expired = await env.tokens.mint(['inventory:read'], -120);
      for (const token of [env.tokens.foreign, expired, 'not-a-jwt']) {
        const res = await api.get(`/inventory/${sku}`, { token });
        expectProblem(res, 401, 'unauthorized');
        expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
      }
      const basic = await api.get(`/inventory/${sku}`, {
        token: null,
        headers: { authorization: 'Basic dXNlcjpwYXNz' },
      });
      expectProblem(basic, 401, 'unauthorized');
    });

    it('403 for a valid token without the route’s scope (admin does not imply read or reserve)', async () => {
      const cases: [string, string, string, unknown, string][] = [
        ['read', 'PUT', `/inventory/${sku}`, { onHand: 1 }, 'inventory:admin'],
        ['reserve', 'POST', `/inventory/${sku}/replenish`, { quantity: 1 }, 'inventory:admin'],
        ['admin', 'GET', `/inventory/${sku}`, undefined, 'inventory:read'],
        ['admin', 'GET', `/reservations/${uniqueOrderId()}`, undefined, 'inventory:read'],
        [
          'admin',
          'POST',
          `/inventory/${sku}/reserve`,
          { orderId: uniqueOrderId(), quantity: 1 },
          'inventory:reserve',
        ],
        [
          'read',
          'POST',
          '/reservations',
          { orderId: uniqueOrderId(), lines: [{ sku, quantity: 1 }] },
          'inventory:reserve',
        ],
        ['read', 'POST', `/inventory/${sku}/release`, { orderId: uniqueOrderId() }, 'inventory:reserve'],
      ];
      for (const [tokenName, method, path, body, scope] of cases) {
        const token = env.tokens[tokenName as 'read' | 'reserve' | 'admin'];
        const res = await api.request(method, path, { token, body });
        const problem: ProblemBody = expectProblem(res, 403, 'forbidden');
        expect(problem.requiredScope).toBe(scope);
        expect(res.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
      }
      expectStockLevel(await level(sku), { onHand: 10, reserved: 0 });
    });

    it('authentication comes before validation: 401, not 400, for an invalid body without a token', async () => {
      expectProblem(
        await api.post(`/inventory/${sku}/reserve`, { quantity: -1 }, { token: null }),
        401,
        'unauthorized',
      );
    });
  });
});
