import { Client, Connection } from '@temporalio/client';
import { reservationWorkflowId, SearchAttributeKeys, statusQuery } from '../../workflows/shared';
import { EventCollector, type CollectedMessage } from '../support/eventCollector';
import { eventually } from '../support/eventually';
import { uniqueOrderId, uniqueSku } from '../support/naming';
import {
  expectProblem,
  expectStatus,
  expectStockLevel,
  type MovementBody,
  type ReservationBody,
  type StockLevelBody,
} from './assertions';
import { startE2E, type Api, type E2EEnvironment } from './harness';

jest.setTimeout(60_000);

/**
 * The operations team's additions to the contract (issue 15): batch reads, idempotent and conditional
 * writes, adjustments with reasons, reservation extension; through real HTTP against the real service
 * process on its own database, vhost and task queue.
 */
describe('shop operations API (e2e, real service process)', () => {
  let env: E2EEnvironment;
  let api: Api;
  let events: EventCollector;
  const EVENT_TIMEOUT_MS = 10_000;
  const ofSku = (type: string, sku: string) => (m: CollectedMessage) =>
    m.routingKey === type && (m.body?.data as { sku?: string } | undefined)?.sku === sku;

  let temporal: Connection;
  let client: Client;

  beforeAll(async () => {
    env = await startE2E('inv_e2e_ops');
    api = env.api;
    events = await EventCollector.start(env.vhost.url);
    temporal = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
    client = new Client({ connection: temporal, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
  });

  afterAll(async () => {
    await temporal?.close();
    await events?.close();
    await env?.teardown();
  });

  async function createSku(onHand: number, extra: Record<string, number> = {}): Promise<string> {
    const sku = uniqueSku('OPS');
    expectStatus(await api.put(`/inventory/${sku}`, { onHand, ...extra }), 201);
    return sku;
  }

  describe('GET /inventory?sku=...', () => {
    it('answers one StockLevel per known SKU, in the order asked, and the unknown ones apart', async () => {
      const a = await createSku(5);
      const b = await createSku(9, { safetyStock: 2 });
      const missing = uniqueSku('NONE');
      const res = await api.get<{ items: StockLevelBody[]; unknown: string[] }>(
        `/inventory?sku=${b.toLowerCase()}&sku=${missing}&sku=${a}`,
        { token: env.tokens.read },
      );
      expectStatus(res, 200);
      expect(res.body.items.map((l) => l.sku)).toEqual([b, a]);
      expectStockLevel(res.body.items[0], { sku: b, onHand: 9, available: 9, safetyStock: 2 });
      for (const level of res.body.items) {
        expect(level).toEqual((await api.get(`/inventory/${level.sku}`)).body);
      }
      expect(res.body.unknown).toEqual([missing]);
    });

    it('400 for more than 100 SKUs', async () => {
      const query = Array.from({ length: 101 }, (_, i) => `sku=S${i}`).join('&');
      expectProblem(await api.get(`/inventory?${query}`), 400, 'validation-error');
    });
  });

  describe('GET /inventory?below=safety', () => {
    it('pages through exactly the SKUs whose available is under their safety stock', async () => {
      const below = [await createSku(1, { safetyStock: 3 }), await createSku(0, { safetyStock: 1 })];
      const at = await createSku(3, { safetyStock: 3 });
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: { body: { items: StockLevelBody[]; nextCursor: string | null } } = expectStatus(
          await api.get<{ items: StockLevelBody[]; nextCursor: string | null }>(
            `/inventory?below=safety&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
          ),
          200,
        );
        for (const level of res.body.items) expect(level.available).toBeLessThan(level.safetyStock);
        seen.push(...res.body.items.map((l) => l.sku));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual(expect.arrayContaining(below));
      expect(seen).not.toContain(at);
      expect(seen).toEqual([...seen].sort());
    });
  });

  describe('Idempotency-Key', () => {
    it('replays the first response of a repeated POST, status included, and reserves once', async () => {
      const sku = await createSku(10);
      const orderId = uniqueOrderId();
      const key = { 'idempotency-key': `"${uniqueOrderId('key')}"` };
      const body = { orderId, lines: [{ sku, quantity: 3 }] };
      const first = expectStatus(
        await api.post<ReservationBody>('/reservations', body, { headers: key }),
        201,
      );
      const repeat = expectStatus(
        await api.post<ReservationBody>('/reservations', body, { headers: key }),
        201,
      );
      expect(repeat.headers.get('idempotent-replayed')).toBe('true');
      expect(repeat.text).toBe(first.text);
      expect(repeat.headers.get('location')).toBe(first.headers.get('location'));
      const movements = (await api.get<{ items: MovementBody[] }>(`/inventory/${sku}/movements`)).body.items;
      expect(movements.filter((m) => m.type === 'RESERVE')).toHaveLength(1);

      const other = await api.post(
        '/reservations',
        { ...body, lines: [{ sku, quantity: 4 }] },
        { headers: key },
      );
      expectProblem(other, 422, 'idempotency-key-reused');
      expectStockLevel((await api.get(`/inventory/${sku}`)).body, { reserved: 3 });
    });

    it('keeps PUT answers too: a repeated create answers 201 again, after a change in between', async () => {
      const sku = uniqueSku('OPS');
      const key = { 'idempotency-key': uniqueOrderId('key') };
      const created = expectStatus(await api.put(`/inventory/${sku}`, { onHand: 4 }, { headers: key }), 201);
      expectStatus(await api.put(`/inventory/${sku}`, { onHand: 6 }), 200);
      const repeat = expectStatus(await api.put(`/inventory/${sku}`, { onHand: 4 }, { headers: key }), 201);
      expect(repeat.body).toEqual(created.body);
      expectStockLevel((await api.get(`/inventory/${sku}`)).body, { onHand: 6 });
    });
  });

  describe('replenish reference', () => {
    it('a repeat with the same reference is a no-op 200', async () => {
      const sku = await createSku(1);
      const first = expectStatus(
        await api.post(`/inventory/${sku}/replenish`, { quantity: 5, reference: 'GR-7' }),
        200,
      );
      expectStockLevel(first.body, { onHand: 6 });
      const repeat = expectStatus(
        await api.post(`/inventory/${sku}/replenish`, { quantity: 5, reference: 'GR-7' }),
        200,
      );
      expectStockLevel(repeat.body, { onHand: 6 });
      const movements = (await api.get<{ items: MovementBody[] }>(`/inventory/${sku}/movements`)).body.items;
      expect(movements.filter((m) => m.type === 'REPLENISH')).toEqual([
        expect.objectContaining({ quantity: 5, reference: 'GR-7' }),
      ]);
    });
  });

  describe('conditional writes', () => {
    it('a stock count sent with the ETag it read loses to a reserve in between: 412 with the current level', async () => {
      const sku = await createSku(10);
      const read = expectStatus(await api.get(`/inventory/${sku}`), 200);
      const etag = read.headers.get('etag')!;
      expect(etag).toMatch(/^"\d+"$/);

      const notModified = await api.get(`/inventory/${sku}`, { headers: { 'if-none-match': etag } });
      expect(notModified.status).toBe(304);
      expect(notModified.text).toBe('');

      expectStatus(
        await api.post(`/inventory/${sku}/reserve`, { orderId: uniqueOrderId(), quantity: 4 }),
        201,
      );
      const stale = await api.put(`/inventory/${sku}`, { onHand: 3 }, { headers: { 'if-match': etag } });
      const problem = expectProblem(stale, 412, 'precondition-failed');
      expectStockLevel(problem.level, { sku, onHand: 10, reserved: 4 });
      expect(stale.headers.get('etag')).not.toBe(etag);

      const fresh = stale.headers.get('etag')!;
      const ok = expectStatus(
        await api.put(`/inventory/${sku}`, { onHand: 6 }, { headers: { 'if-match': fresh } }),
        200,
      );
      expectStockLevel(ok.body, { onHand: 6, reserved: 4 });
      expect(ok.headers.get('etag')).toBe((await api.get(`/inventory/${sku}`)).headers.get('etag'));
      expect((await api.get(`/inventory/${sku}`, { headers: { 'if-none-match': etag } })).status).toBe(200);
    });
  });

  describe('POST /inventory/:sku/adjustments', () => {
    it('adjusts with a reason: one ADJUST movement, a StockAdjusted event, filters on the listing', async () => {
      const sku = await createSku(10);
      const res = await api.post(`/inventory/${sku}/adjustments`, {
        delta: -2,
        reason: 'damaged',
        reference: 'DMG-9',
        note: 'water damage',
      });
      expectStatus(res, 200);
      expectStockLevel(res.body, { sku, onHand: 8, available: 8 });
      expect(res.headers.get('etag')).toBe((await api.get(`/inventory/${sku}`)).headers.get('etag'));

      const adjusted = await events.waitFor(ofSku('StockAdjusted', sku), EVENT_TIMEOUT_MS);
      expect(adjusted.body?.data).toEqual({
        sku,
        delta: -2,
        onHand: 8,
        reserved: 0,
        available: 8,
        reason: 'damaged',
        reference: 'DMG-9',
        note: 'water damage',
      });

      expectStatus(
        await api.post(`/inventory/${sku}/adjustments`, { onHand: 11, reason: 'cycle-count' }),
        200,
      );
      const damaged = await api.get<{ items: MovementBody[] }>(`/inventory/${sku}/movements?reason=damaged`);
      expect(damaged.body.items).toEqual([
        expect.objectContaining({
          type: 'ADJUST',
          quantity: -2,
          reason: 'damaged',
          reference: 'DMG-9',
          note: 'water damage',
          onHandAfter: 8,
        }),
      ]);
      const adjusts = await api.get<{ items: MovementBody[] }>(`/inventory/${sku}/movements?type=ADJUST`);
      expect(adjusts.body.items.map((m) => m.reason)).toEqual(['cycle-count', 'damaged', 'created']);
    });

    it('409 when on hand would fall below reserved, and nothing changes', async () => {
      const sku = await createSku(5);
      expectStatus(
        await api.post(`/inventory/${sku}/reserve`, { orderId: uniqueOrderId(), quantity: 4 }),
        201,
      );
      const res = await api.post(`/inventory/${sku}/adjustments`, { delta: -2, reason: 'shrinkage' });
      expect(expectProblem(res, 409, 'on-hand-below-reserved')).toMatchObject({ onHand: 3, reserved: 4 });
      expectStockLevel((await api.get(`/inventory/${sku}`)).body, { onHand: 5, reserved: 4 });
      const stale = await api.post(
        `/inventory/${sku}/adjustments`,
        { delta: 1, reason: 'received' },
        { headers: { 'if-match': '"0"' } },
      );
      expectProblem(stale, 412, 'precondition-failed');
    });
  });

  describe('stock-state events', () => {
    it('StockDepleted when available reaches 0, StockRestored when it rises again: one per transition', async () => {
      const sku = await createSku(3);
      const orderId = uniqueOrderId();
      expectStatus(await api.post(`/inventory/${sku}/reserve`, { orderId, quantity: 3 }), 201);
      const depleted = await events.waitFor(ofSku('StockDepleted', sku), EVENT_TIMEOUT_MS);
      expect(depleted.body?.data).toEqual({ sku, onHand: 3, reserved: 3, available: 0 });

      expectStatus(await api.post(`/inventory/${sku}/release`, { orderId }), 200);
      const restored = await events.waitFor(ofSku('StockRestored', sku), EVENT_TIMEOUT_MS);
      expect(restored.body?.data).toEqual({ sku, onHand: 3, reserved: 0, available: 3 });

      // Changes that do not cross zero announce nothing: wait for their own events, then count.
      expectStatus(await api.post(`/inventory/${sku}/adjustments`, { delta: -1, reason: 'damaged' }), 200);
      expectStatus(await api.post(`/inventory/${sku}/adjustments`, { delta: -2, reason: 'damaged' }), 200);
      await events.waitForCount(ofSku('StockAdjusted', sku), 2, EVENT_TIMEOUT_MS);
      await events.waitForCount(ofSku('StockDepleted', sku), 2, EVENT_TIMEOUT_MS);
      expectStatus(await api.post(`/inventory/${sku}/replenish`, { quantity: 4 }), 200);
      await events.waitFor(ofSku('StockReplenished', sku), EVENT_TIMEOUT_MS);
      await events.waitForCount(ofSku('StockRestored', sku), 2, EVENT_TIMEOUT_MS);
      expect(events.messages.filter(ofSku('StockDepleted', sku))).toHaveLength(2);
      expect(events.messages.filter(ofSku('StockRestored', sku))).toHaveLength(2);
      // Each follows the event of the change that caused it.
      const seen = new Set<unknown>();
      const order = events.messages
        .filter(
          (m) =>
            ofSku(m.routingKey, sku)(m) &&
            !seen.has(m.properties.messageId) &&
            seen.add(m.properties.messageId),
        )
        .map((m) => m.routingKey);
      expect(order.slice(order.indexOf('StockReserved'))).toEqual([
        'StockReserved',
        'StockDepleted',
        'StockReleased',
        'StockRestored',
        'StockAdjusted',
        'StockAdjusted',
        'StockDepleted',
        'StockReplenished',
        'StockRestored',
      ]);
    });
  });

  describe('POST /reservations/:orderId/extend', () => {
    it("moves the reservation's expiry forward, in the database, and 410 once released", async () => {
      const sku = await createSku(4);
      const orderId = uniqueOrderId();
      const reserved = expectStatus(
        await api.post<ReservationBody>('/reservations', {
          orderId,
          lines: [{ sku, quantity: 1 }],
          ttlSeconds: 60,
        }),
        201,
      );
      const before = Date.now();
      const res = await api.post<ReservationBody>(
        `/reservations/${orderId}/extend`,
        { ttlSeconds: 1800 },
        {
          token: env.tokens.reserve,
        },
      );
      expectStatus(res, 200);
      expect(Date.parse(res.body.expiresAt)).toBeGreaterThan(Date.parse(reserved.body.expiresAt));
      expect(Date.parse(res.body.expiresAt)).toBeGreaterThanOrEqual(before + 1_799_000);
      expect((await api.get<ReservationBody>(`/reservations/${orderId}`)).body.expiresAt).toBe(
        res.body.expiresAt,
      );

      expectStatus(await api.post(`/inventory/${sku}/release`, { orderId }), 200);
      const gone = await api.post(`/reservations/${orderId}/extend`, { ttlSeconds: 60 });
      expect(expectProblem(gone, 410, 'reservation-closed').reservation).toMatchObject({
        status: 'RELEASED',
      });
    });

    it('404 for an order without a reservation, 400 for a TTL out of range', async () => {
      expectProblem(
        await api.post(`/reservations/${uniqueOrderId()}/extend`, { ttlSeconds: 60 }),
        404,
        'reservation-not-found',
      );
      expectProblem(
        await api.post(`/reservations/${uniqueOrderId()}/extend`, { ttlSeconds: 0 }),
        400,
        'validation-error',
      );
    });

    it('never past the maximum age after creation (RESERVATION_MAX_AGE_SECONDS, default 86400)', async () => {
      const sku = await createSku(4);
      const orderId = uniqueOrderId();
      const reserved = expectStatus(
        await api.post<ReservationBody>(`/inventory/${sku}/reserve`, {
          orderId,
          quantity: 1,
          ttlSeconds: 86_400,
        }),
        201,
      );
      const res = expectStatus(
        await api.post<ReservationBody>(`/reservations/${orderId}/extend`, { ttlSeconds: 86_400 }),
        200,
      );
      expect(Date.parse(res.body.expiresAt)).toBe(Date.parse(reserved.body.createdAt) + 86_400_000);
    });
  });

  describe("the order's workflow follows an extension", () => {
    it('re-arms its TTL timer and its ReservationExpiresAt: the old expiry passes and nothing is released', async () => {
      const sku = await createSku(3);
      const orderId = uniqueOrderId();
      const reserved = expectStatus(
        await api.post<ReservationBody>(`/inventory/${sku}/reserve`, { orderId, quantity: 2, ttlSeconds: 3 }),
        201,
      );
      const extended = expectStatus(
        await api.post<ReservationBody>(`/reservations/${orderId}/extend`, { ttlSeconds: 120 }),
        200,
      );
      const handle = client.workflow.getHandle(reservationWorkflowId(orderId));
      await eventually(
        async () => {
          const status = await handle.query(statusQuery).catch(() => undefined);
          return status?.expiresAt === extended.body.expiresAt;
        },
        { timeoutMs: 30_000, what: "the workflow's expiresAt to follow the extension" },
      );
      await eventually(
        async () =>
          (await handle.describe()).typedSearchAttributes
            .get(SearchAttributeKeys.expiresAt)
            ?.toISOString() === extended.body.expiresAt,
        { timeoutMs: 30_000, what: 'ReservationExpiresAt to follow the extension' },
      );
      // Past the first expiry (and the margin expired units get in reads), the hold is still there.
      const oldExpiry = Date.parse(reserved.body.expiresAt);
      await eventually(() => Date.now() > oldExpiry + 2_000, { timeoutMs: 15_000, what: 'the old expiry' });
      expect((await api.get<ReservationBody>(`/reservations/${orderId}`)).body).toMatchObject({
        status: 'RESERVED',
        expiresAt: extended.body.expiresAt,
      });
      expectStockLevel((await api.get(`/inventory/${sku}`)).body, { reserved: 2, available: 1 });
      expect(
        events.messages.filter(
          (m) =>
            m.routingKey === 'StockReleased' && (m.body?.data as { orderId?: string })?.orderId === orderId,
        ),
      ).toEqual([]);
    });
  });
});
