import { randomBytes } from 'node:crypto';
import { createTestVhost } from '../support/amqp';
import type { CollectedMessage, EventCollector } from '../support/eventCollector';
import { eventually } from '../support/eventually';
import { uniqueOrderId, uniqueSku } from '../support/naming';
import type { OrderEventsPublisher } from '../support/orderEvents';
import { OtlpSink } from '../support/otlpSink';
import {
  expectReservation,
  expectStatus,
  expectStockLevel,
  type ReservationBody,
  type StockLevelBody,
} from './assertions';
import { runScript, startSagaE2E, type Api, type SagaEnvironment } from './harness';

jest.setTimeout(60_000);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TRACEPARENT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;
/** Deadline for one event to cross outbox → RabbitMQ (the SLA is tens of ms; this only bounds a hang). */
const EVENT_TIMEOUT_MS = 10_000;

/**
 * The reservation saga end to end (issue 7 item 4), with the real service process playing inventory,
 * this test playing orders-capi (HTTP) and order-service (order.events), and a consumer of its own on
 * inventory.events. Tracing is on (exported to a stand-in OTLP collector), as in production.
 */
describe('reservation saga (e2e: HTTP → Temporal → Postgres → RabbitMQ → bridge)', () => {
  let env: SagaEnvironment;
  let api: Api;
  let sink: OtlpSink;
  let events: EventCollector;
  let orderService: OrderEventsPublisher;

  beforeAll(async () => {
    sink = await OtlpSink.start();
    env = await startSagaE2E('inv_e2e_saga', {
      env: { OTEL_SDK_DISABLED: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint },
    });
    api = env.api;
    ({ events, orderService } = env);
  });

  afterAll(async () => {
    await env?.teardown();
    await sink?.close();
  });

  async function createSku(onHand: number, extra: Record<string, number> = {}): Promise<string> {
    const sku = uniqueSku('SAGA');
    expectStatus(await api.put(`/inventory/${sku}`, { onHand, ...extra }), 201);
    return sku;
  }

  async function level(sku: string): Promise<StockLevelBody> {
    return expectStatus(await api.get<StockLevelBody>(`/inventory/${sku}`), 200).body;
  }

  async function reservation(orderId: string): Promise<ReservationBody> {
    return expectStatus(await api.get<ReservationBody>(`/reservations/${orderId}`), 200).body;
  }

  const ofOrder = (type: string, orderId: string, sku?: string) => (m: CollectedMessage) =>
    m.routingKey === type &&
    (m.body?.data as Record<string, unknown> | undefined)?.orderId === orderId &&
    (sku === undefined || (m.body?.data as Record<string, unknown>).sku === sku);

  /** The contract's message properties and envelope; returns `data` (contract fields; more may be added). */
  function expectContractMessage(m: CollectedMessage, type: string): Record<string, unknown> {
    const body = m.body as {
      eventId: string;
      type: string;
      occurredAt: string;
      data: Record<string, unknown>;
    };
    expect(body).toMatchObject({
      eventId: expect.stringMatching(UUID),
      type,
      occurredAt: expect.any(String),
      data: expect.any(Object),
    });
    expect(Number.isNaN(Date.parse(body.occurredAt))).toBe(false);
    expect(m.routingKey).toBe(type);
    expect(m.properties).toMatchObject({
      messageId: body.eventId,
      type,
      contentType: 'application/json',
      deliveryMode: 2,
    });
    expect(typeof m.properties.timestamp).toBe('number');
    expect(Math.abs(m.properties.timestamp * 1000 - Date.now())).toBeLessThan(5 * 60_000);
    expect(m.headers.traceparent).toEqual(expect.stringMatching(TRACEPARENT));
    return body.data;
  }

  it('reserve → StockReserved; OrderCancelled → StockReleased (cancelled) and the stock is back', async () => {
    const [mug, tee] = [await createSku(10), await createSku(5)];
    const orderId = uniqueOrderId('saga-cancel');

    const reserved = await api.post<ReservationBody>('/reservations', {
      orderId,
      lines: [
        { sku: mug, quantity: 3 },
        { sku: tee, quantity: 2 },
      ],
    });
    expectStatus(reserved, 201);

    // One StockReserved per reserved line.
    const [mugReserved, teeReserved] = await Promise.all([
      events.waitFor(ofOrder('StockReserved', orderId, mug), EVENT_TIMEOUT_MS),
      events.waitFor(ofOrder('StockReserved', orderId, tee), EVENT_TIMEOUT_MS),
    ]);
    expect(expectContractMessage(mugReserved, 'StockReserved')).toMatchObject({
      orderId,
      sku: mug,
      quantity: 3,
      available: 7,
      expiresAt: expect.any(String),
    });
    const { expiresAt } = mugReserved.body!.data as { expiresAt: string };
    expect(Date.parse(expiresAt)).toBe(Date.parse(reserved.body.expiresAt));
    expect(expectContractMessage(teeReserved, 'StockReserved')).toMatchObject({
      orderId,
      sku: tee,
      quantity: 2,
      available: 3,
    });
    expectStockLevel(await level(mug), { reserved: 3, available: 7 });

    // order-service cancels the order: the compensation.
    await orderService.publish('OrderCancelled', { orderId, reason: 'payment declined' });
    const [mugReleased, teeReleased] = await Promise.all([
      events.waitFor(ofOrder('StockReleased', orderId, mug), EVENT_TIMEOUT_MS),
      events.waitFor(ofOrder('StockReleased', orderId, tee), EVENT_TIMEOUT_MS),
    ]);
    expect(expectContractMessage(mugReleased, 'StockReleased')).toMatchObject({
      orderId,
      sku: mug,
      quantity: 3,
      available: 10,
      reason: 'cancelled',
    });
    expect(expectContractMessage(teeReleased, 'StockReleased')).toMatchObject({
      orderId,
      sku: tee,
      quantity: 2,
      available: 5,
      reason: 'cancelled',
    });
    // Each event once per line (distinct eventIds), nothing else for this order.
    expect(
      events.distinct((m) => m.body?.data !== undefined && ofOrder(m.routingKey, orderId)(m)),
    ).toHaveLength(4);

    // The event is published after the commit: the read model already shows it.
    expectStockLevel(await level(mug), { onHand: 10, reserved: 0, available: 10 });
    expectStockLevel(await level(tee), { onHand: 5, reserved: 0, available: 5 });
    expectReservation(await reservation(orderId), { status: 'RELEASED', releaseReason: 'cancelled' });
  });

  it('reserve → StockReserved; OrderConfirmed → StockCommitted, on hand decreased, reservation CONFIRMED', async () => {
    const sku = await createSku(10);
    const orderId = uniqueOrderId('saga-confirm');

    expectStatus(await api.post(`/inventory/${sku}/reserve`, { orderId, quantity: 4 }), 201);
    const reserved = await events.waitFor(ofOrder('StockReserved', orderId), EVENT_TIMEOUT_MS);
    expect(expectContractMessage(reserved, 'StockReserved')).toMatchObject({
      sku,
      quantity: 4,
      available: 6,
    });

    const confirmEventId = await orderService.publish('OrderConfirmed', { orderId });
    const committed = await events.waitFor(ofOrder('StockCommitted', orderId), EVENT_TIMEOUT_MS);
    expect(expectContractMessage(committed, 'StockCommitted')).toMatchObject({
      orderId,
      sku,
      quantity: 4,
      onHand: 6,
    });

    expectStockLevel(await level(sku), { onHand: 6, reserved: 0, available: 6 });
    expectReservation(await reservation(orderId), { orderId, status: 'CONFIRMED' });
    const movements = expectStatus(
      await api.get<{ items: { type: string; quantity: number; orderId?: string }[] }>(
        `/inventory/${sku}/movements`,
      ),
      200,
    ).body.items;
    expect(movements[0]).toMatchObject({ type: 'COMMIT', quantity: 4, orderId });

    // order-service redelivers the same event (at least once): nothing happens twice.
    await orderService.publish('OrderConfirmed', { orderId }, { eventId: confirmEventId });
    // A later cancellation of the confirmed order is acknowledged and changes nothing either.
    await orderService.publish('OrderCancelled', { orderId });
    // Fence: an event published after those, processed, proves the bridge has consumed them.
    const fence = await createSku(1);
    const fenceOrder = uniqueOrderId('fence');
    expectStatus(await api.post(`/inventory/${fence}/reserve`, { orderId: fenceOrder, quantity: 1 }), 201);
    await orderService.publish('OrderCancelled', { orderId: fenceOrder });
    await events.waitFor(ofOrder('StockReleased', fenceOrder), EVENT_TIMEOUT_MS);
    expect(events.distinct(ofOrder('StockCommitted', orderId))).toHaveLength(1);
    expect(events.distinct(ofOrder('StockReleased', orderId))).toHaveLength(0);
    expectStockLevel(await level(sku), { onHand: 6, reserved: 0 });
    expectReservation(await reservation(orderId), { status: 'CONFIRMED' });
  });

  it('TTL expiry: ttlSeconds 2 → RELEASED with releaseReason expired, StockReleased (expired), stock back', async () => {
    const sku = await createSku(8);
    const orderId = uniqueOrderId('saga-ttl');
    const created = expectStatus(
      await api.post<ReservationBody>(`/inventory/${sku}/reserve`, { orderId, quantity: 5, ttlSeconds: 2 }),
      201,
    );
    const ttlMs = Date.parse(created.body.expiresAt) - Date.parse(created.body.createdAt);
    expect(Math.abs(ttlMs - 2_000)).toBeLessThanOrEqual(1_000);
    expectStockLevel(await level(sku), { reserved: 5, available: 3 });

    const released = await events.waitFor(ofOrder('StockReleased', orderId), 15_000);
    expect(expectContractMessage(released, 'StockReleased')).toMatchObject({
      orderId,
      sku,
      quantity: 5,
      available: 8,
      reason: 'expired',
    });
    // Not before its time.
    expect(released.receivedAt).toBeGreaterThanOrEqual(Date.parse(created.body.expiresAt) - 100);

    const expired = await eventually(
      async () => {
        const r = await reservation(orderId);
        return r.status === 'RELEASED' ? r : undefined;
      },
      { timeoutMs: 5_000, what: 'reservation RELEASED' },
    );
    expectReservation(expired, { status: 'RELEASED', releaseReason: 'expired' });
    expectStockLevel(await level(sku), { onHand: 8, reserved: 0, available: 8 });
    // An expired reservation is closed: the same order cannot reserve again.
    expect((await api.post(`/inventory/${sku}/reserve`, { orderId, quantity: 5 })).status).toBe(410);
  });

  it('replenish → StockReplenished; the events of one SKU arrive in commit order', async () => {
    const sku = await createSku(10);
    const orderId = uniqueOrderId('saga-order');

    expectStatus(await api.post(`/inventory/${sku}/reserve`, { orderId, quantity: 6 }), 201);
    expectStatus(await api.post(`/inventory/${sku}/replenish`, { quantity: 20, reference: 'GR-7' }), 200);
    expectStatus(await api.post(`/inventory/${sku}/release`, { orderId }), 200);

    const replenished = await events.waitFor(
      (m) => m.routingKey === 'StockReplenished' && (m.body?.data as { sku?: string })?.sku === sku,
      EVENT_TIMEOUT_MS,
    );
    expect(expectContractMessage(replenished, 'StockReplenished')).toMatchObject({
      sku,
      quantity: 20,
      onHand: 30,
      available: 24,
      reference: 'GR-7',
    });
    const released = await events.waitFor(ofOrder('StockReleased', orderId), EVENT_TIMEOUT_MS);
    expect(expectContractMessage(released, 'StockReleased')).toMatchObject({
      orderId,
      sku,
      quantity: 6,
      available: 30,
      reason: 'released',
    });
    const ofSku = events
      .distinct((m) => (m.body?.data as { sku?: string } | undefined)?.sku === sku)
      .map((m) => m.routingKey);
    expect(ofSku).toEqual(['StockReserved', 'StockReplenished', 'StockReleased']);
  });

  // Issue 9 (safety stock): quantity brings available back to safetyStock + reorderQuantity.
  it('available falling below safety stock → one PurchaseOrderRequested until a replenishment closes it', async () => {
    const sku = await createSku(10, { safetyStock: 5, reorderQuantity: 20 });
    const isPo = (m: CollectedMessage) =>
      m.routingKey === 'PurchaseOrderRequested' &&
      (m.body?.data as { sku?: string } | undefined)?.sku === sku;

    expectStatus(
      await api.post(`/inventory/${sku}/reserve`, { orderId: uniqueOrderId('po'), quantity: 6 }),
      201,
    );
    const po = await events.waitFor(isPo, EVENT_TIMEOUT_MS);
    expect(expectContractMessage(po, 'PurchaseOrderRequested')).toMatchObject({
      sku,
      available: 4,
      safetyStock: 5,
      quantity: 21,
    });
    const open = await eventually(
      async () => {
        const l = (await api.get<StockLevelBody & { openPurchaseOrder: unknown }>(`/inventory/${sku}`)).body;
        return l.openPurchaseOrder ? l : undefined;
      },
      { timeoutMs: 5_000, what: 'GET /inventory/:sku showing the open purchase order' },
    );
    expect(open.openPurchaseOrder).toMatchObject({ quantity: 21, available: 4, safetyStock: 5 });

    // Still below safety stock: the request stays the only one.
    const second = uniqueOrderId('po');
    expectStatus(await api.post(`/inventory/${sku}/reserve`, { orderId: second, quantity: 1 }), 201);
    await events.waitFor(ofOrder('StockReserved', second), EVENT_TIMEOUT_MS);

    // Goods in: available 23 >= 5 closes the request.
    expectStatus(await api.post(`/inventory/${sku}/replenish`, { quantity: 20 }), 200);
    await eventually(
      async () =>
        (await api.get<{ openPurchaseOrder: unknown }>(`/inventory/${sku}`)).body.openPurchaseOrder === null,
      { timeoutMs: 5_000, what: 'the purchase order closed by the replenishment' },
    );
    expect(events.distinct(isPo)).toHaveLength(1);

    // The next crossing opens a new request.
    expectStatus(
      await api.post(`/inventory/${sku}/reserve`, { orderId: uniqueOrderId('po'), quantity: 20 }),
      201,
    );
    await events.waitForCount(
      (m) => isPo(m) && m.properties.messageId !== po.properties.messageId,
      1,
      EVENT_TIMEOUT_MS,
    );
    // The contract's fields (the service may add its own).
    const requests = events.distinct(isPo).map((m) => m.body?.data);
    expect(requests).toMatchObject([
      { sku, available: 4, safetyStock: 5, quantity: 21 },
      { sku, available: 3, safetyStock: 5, quantity: 22 },
    ]);
  });

  it('tracing is on: the spans of a request, in the caller’s trace, reach the OTLP endpoint', async () => {
    const sku = await createSku(1);
    const traceId = randomBytes(16).toString('hex');
    const res = await api.get(`/inventory/${sku}`, {
      headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    });
    expectStatus(res, 200);
    await eventually(() => sink.sawTrace(traceId), {
      timeoutMs: 10_000,
      what: `an exported span of trace ${traceId}`,
    });
  });

  describe('npm run saga:demo', () => {
    it('plays the saga against the running service, printing each step, its latency and the workflow links', async () => {
      const ui = 'http://temporal-ui.example:8233';
      const result = await runScript('scripts/saga-demo.ts', {
        INVENTORY_URL: env.service.url,
        AMQP_URL: env.vhost.url,
        AUTH_JWT_SECRET: env.secret,
        TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
        TEMPORAL_NAMESPACE: 'default',
        TEMPORAL_UI_URL: ui,
      });
      const output = `${result.stdout}\n${result.stderr}`;
      if (result.code !== 0) throw new Error(`saga:demo exited ${String(result.code)}\n${output}`);
      const steps = [
        'Create two SKUs',
        'Reserve order demo-',
        'StockReserved received',
        'StockDepleted received',
        'Publish OrderCancelled',
        'StockReleased received (reason cancelled)',
        'StockRestored received',
        'Stock restored',
        'Publish OrderConfirmed',
        'StockCommitted received',
        'Units left stock',
      ];
      for (const title of steps) {
        expect(result.stdout).toMatch(new RegExp(`✓ +\\d+\\. ${escape(title)}.* \\(\\d+\\.\\d ms\\)`));
      }
      expect(result.stdout).toContain('saga demo complete');
      // Two orders, each with its Temporal Web UI link.
      const links = [
        ...new Set(
          result.stdout.match(
            /http:\/\/temporal-ui\.example:8233\/namespaces\/default\/workflows\/reservation-demo-[\w-]+/g,
          ),
        ),
      ];
      expect(links).toHaveLength(2);
      // The demo's orders really went through this service.
      const orderIds = links.map((l) => l.replace(/.*\/workflows\/reservation-/, ''));
      const [first, second] = await Promise.all(orderIds.map((id) => reservation(id)));
      expect([first!.status, second!.status].sort()).toEqual(['CONFIRMED', 'RELEASED']);
      expect(
        events.distinct(
          ofOrder(
            'StockCommitted',
            orderIds.find((_, i) => [first, second][i]!.status === 'CONFIRMED')!,
          ),
        ),
      ).toHaveLength(1);
    });

    it('exits non-zero naming the step when an event does not arrive in time', async () => {
      // Listening on another vhost than the service publishes on: StockReserved never arrives there.
      const elsewhere = await createTestVhost('inv_e2e_demo');
      try {
        const result = await runScript('scripts/saga-demo.ts', {
          INVENTORY_URL: env.service.url,
          AMQP_URL: elsewhere.url,
          AUTH_JWT_SECRET: env.secret,
          TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
          DEMO_TIMEOUT_MS: '1500',
        });
        expect(result.code).toBe(1);
        expect(result.stdout).toMatch(/✓ +2\. Reserve order demo-/);
        expect(result.stdout).not.toContain('StockReserved received');
        expect(result.stderr).toMatch(
          /saga demo failed while waiting for StockReserved of order demo-\S+: timed out after 1500 ms/,
        );
      } finally {
        await elsewhere.drop();
      }
    });

    it('exits non-zero with a clear message when the service is not running', async () => {
      const result = await runScript('scripts/saga-demo.ts', {
        INVENTORY_URL: 'http://127.0.0.1:1',
        AMQP_URL: env.vhost.url,
        AUTH_JWT_SECRET: env.secret,
      });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('not running');
      expect(result.stderr).toContain('start it with npm start');
    });
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
