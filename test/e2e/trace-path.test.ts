import { randomBytes } from 'node:crypto';
import type { CollectedMessage, EventCollector } from '../support/eventCollector';
import { eventually } from '../support/eventually';
import { uniqueOrderId, uniqueSku } from '../support/naming';
import type { OrderEventsPublisher } from '../support/orderEvents';
import { OtlpSink } from '../support/otlpSink';
import { fromOtlp, parseTraceparent, traceparent, TraceTree, type SpanMatcher } from '../support/traceTree';
import { expectStatus } from './assertions';
import { reserveMode, startSagaE2E, type SagaEnvironment } from './harness';

jest.setTimeout(90_000);

const SERVICE = `inventory-trace-${randomBytes(3).toString('hex')}`;
/** The e2e-workflow project runs this file again with RESERVE_MODE=workflow (jest.config.js). */
const MODE = reserveMode();
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/**
 * The one-trace path (issue 8 item 1) through the real service process: OpenTelemetry's patching of
 * http, pg and amqplib only works in a real Node process (not inside Jest's module registry), so the
 * service runs as a child and exports over OTLP/HTTP to an in-memory collector held by this test
 * (OtlpSink), which decodes the spans and checks the parent/child links.
 */
describe('one trace per reservation (in-memory OTLP collector)', () => {
  let sink: OtlpSink;
  let env: SagaEnvironment;
  let events: EventCollector;
  let orderService: OrderEventsPublisher;

  beforeAll(async () => {
    sink = await OtlpSink.start();
    env = await startSagaE2E('inv_e2e_trace', {
      env: {
        OTEL_SDK_DISABLED: 'false',
        OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint,
        OTEL_SERVICE_NAME: SERVICE,
      },
    });
    ({ events, orderService } = env);
  });

  afterAll(async () => {
    await env?.teardown();
    await sink?.close();
  });

  /** Waits until every matcher finds a span in the trace, then returns the tree. */
  async function traceWith(traceId: string, wanted: SpanMatcher[]): Promise<TraceTree> {
    let tree = new TraceTree([]);
    try {
      return await eventually(
        () => {
          tree = new TraceTree(sink.trace(traceId).map(fromOtlp));
          // Every wanted span, and the tree closed: a child exported before its parent ended would
          // show as a second root for a moment.
          return wanted.every((m) => tree.find(m)) && tree.roots().length === 1 && tree;
        },
        { timeoutMs: 20_000, intervalMs: 100 },
      );
    } catch {
      const missing = wanted
        .filter((m) => !tree.find(m))
        .map((m) => JSON.stringify({ ...m, name: String(m.name) }));
      throw new Error(
        `trace ${traceId} still lacks ${missing.join(', ')}:\n${tree.render()}\n${env.service.tail(40)}`,
      );
    }
  }

  const ofOrder = (type: string, orderId: string) => (m: CollectedMessage) =>
    m.routingKey === type && (m.body?.data as { orderId?: string } | undefined)?.orderId === orderId;

  it(`follows a reserve from the HTTP request through the SQL, the workflow and the publish to the consumer (${MODE} mode)`, async () => {
    const sku = uniqueSku('TRACE');
    expectStatus(await env.api.put(`/inventory/${sku}`, { onHand: 10 }), 201);
    const orderId = uniqueOrderId('trace');
    // orders-capi's span: the service's HTTP span must be its child.
    const traceId = hex(16);
    const callerSpanId = hex(8);
    expectStatus(
      await env.api.post(
        `/inventory/${sku}/reserve`,
        { orderId, quantity: 2 },
        { headers: { traceparent: traceparent(traceId, callerSpanId) } },
      ),
      201,
    );
    // This test is the consumer: the message it receives names its parent span.
    const reserved = await events.waitFor(ofOrder('StockReserved', orderId), 10_000);
    const delivered = parseTraceparent(reserved.headers.traceparent);
    expect(delivered.traceId).toBe(traceId);

    if (MODE === 'db') {
      const tree = await traceWith(traceId, [
        { kind: 'server', service: SERVICE },
        {
          attributes: { 'db.system': 'postgresql' },
          where: (s) => /\bINSERT\b/.test(String(s.attributes['db.statement'] ?? s.name)),
        },
        { name: 'workflow_requests deliver', kind: 'producer' },
        { name: 'SignalWithStartWorkflow:reservationWorkflow' },
        // (RunWorkflow is exported when the workflow ends, at its TTL: not waited for here.)
        { name: 'HandleSignal:request' },
        { name: 'inventory.events publish', kind: 'producer' },
        { spanId: delivered.spanId },
      ]);
      expect(tree.roots().map((s) => s.parentSpanId)).toEqual([callerSpanId]);
      expect(new Set(tree.spans.map((s) => s.service))).toEqual(new Set([SERVICE]));
      const http = tree.expect({ kind: 'server' });
      expect(http.name).toBe('POST /inventory/:sku/reserve');
      // The reserve's one transaction, inside the request; no Temporal call on the request path.
      const sql = tree.all({ attributes: { 'db.system': 'postgresql' } }, http);
      expect(sql.map((s) => s.name)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^pg\.query:BEGIN/),
          expect.stringMatching(/^pg\.query:COMMIT/),
        ]),
      );
      // The workflow request row carried the request's context to the dispatcher, which starts the
      // order's workflow in that trace, after commit: every Temporal call is the dispatcher's.
      const deliver = tree.expect({ name: 'workflow_requests deliver' }, http);
      const temporalCalls = tree.all({ where: (s) => /Workflow:/.test(s.name) });
      expect(temporalCalls.length).toBeGreaterThan(0);
      expect(temporalCalls.filter((s) => !tree.isDescendant(s, deliver))).toEqual([]);
      const start = tree.expect({ name: 'SignalWithStartWorkflow:reservationWorkflow' }, deliver);
      expect(tree.expect({ name: 'HandleSignal:request' }).parentSpanId).toBe(start.spanId);
      const relay = tree.expect({
        name: 'inventory.events publish',
        kind: 'producer',
        attributes: { 'messaging.message.id': reserved.properties.messageId },
      });
      expect(tree.isDescendant(relay, http)).toBe(true);
      const onTheWire = tree.get(delivered.spanId)!;
      expect(onTheWire.spanId === relay.spanId || tree.isDescendant(onTheWire, relay)).toBe(true);
      return;
    }

    const tree = await traceWith(traceId, [
      { kind: 'server', service: SERVICE },
      { name: 'UpdateWithStartWorkflow:reserve' },
      { name: 'HandleUpdate:reserve' },
      { name: 'StartActivity:reserveStock' },
      { name: 'RunActivity:reserveStock' },
      {
        attributes: { 'db.system': 'postgresql' },
        // The writes: one statement (prepared under a hashed name, so the span is named after it).
        where: (s) => /\bINSERT\b/.test(String(s.attributes['db.statement'] ?? s.name)),
      },
      { name: 'inventory.events publish', kind: 'producer' },
      { spanId: delivered.spanId },
    ]);

    // Every span of the trace is the service's, under the caller's span: one tree, no stray roots.
    expect(tree.roots().map((s) => s.parentSpanId)).toEqual([callerSpanId]);
    expect(new Set(tree.spans.map((s) => s.service))).toEqual(new Set([SERVICE]));

    const http = tree.expect({ kind: 'server' });
    expect(http.parentSpanId).toBe(callerSpanId);
    expect(http.name).toBe('POST /inventory/:sku/reserve');
    const client = tree.expect({ name: 'UpdateWithStartWorkflow:reserve' }, http);
    const update = tree.expect({ name: 'HandleUpdate:reserve' });
    expect(update.parentSpanId).toBe(client.spanId);
    const start = tree.expect({ name: 'StartActivity:reserveStock' });
    expect(start.parentSpanId).toBe(update.spanId);
    const activity = tree.expect({ name: 'RunActivity:reserveStock' });
    expect(activity.parentSpanId).toBe(start.spanId);

    // The activity's transaction: BEGIN ... COMMIT on Postgres, inside the activity span.
    const sql = tree.all({ attributes: { 'db.system': 'postgresql' } }, activity);
    expect(sql.map((s) => s.name)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^pg\.query:BEGIN/),
        expect.stringMatching(/^pg\.query:COMMIT/),
      ]),
    );
    expect(sql.every((s) => s.kind === 'client')).toBe(true);

    // The outbox row carried the activity's context to the relay, whose publish continues it...
    const relay = tree.expect({
      name: 'inventory.events publish',
      kind: 'producer',
      attributes: { 'messaging.message.id': reserved.properties.messageId },
    });
    expect(tree.isDescendant(relay, activity)).toBe(true);
    // ...and the consumer's parent is the AMQP publish (amqplib's span, under the relay's).
    const onTheWire = tree.get(delivered.spanId)!;
    expect(onTheWire.kind).toBe('producer');
    expect(onTheWire.spanId === relay.spanId || tree.isDescendant(onTheWire, relay)).toBe(true);
  });

  it('a bridged OrderCancelled continues the trace it carries: consume, record, dispatch, workflow, release activity, SQL, publish', async () => {
    const sku = uniqueSku('TRACE');
    expectStatus(await env.api.put(`/inventory/${sku}`, { onHand: 10 }), 201);
    const orderId = uniqueOrderId('trace-cancel');
    expectStatus(await env.api.post(`/inventory/${sku}/reserve`, { orderId, quantity: 3 }), 201);
    await events.waitFor(ofOrder('StockReserved', orderId), 10_000);

    // order-service's trace, unrelated to the reserve's.
    const traceId = hex(16);
    const orderServiceSpanId = hex(8);
    const eventId = await orderService.publish(
      'OrderCancelled',
      { orderId, reason: 'payment declined' },
      { headers: { traceparent: traceparent(traceId, orderServiceSpanId) } },
    );
    const released = await events.waitFor(ofOrder('StockReleased', orderId), 10_000);
    expect(parseTraceparent(released.headers.traceparent).traceId).toBe(traceId);

    const tree = await traceWith(traceId, [
      { name: 'inventory.order-events process', attributes: { 'inventory.order_id': orderId } },
      { name: 'workflow_requests deliver' },
      { name: 'SignalWithStartWorkflow:reservationWorkflow' },
      { name: 'HandleSignal:request' },
      { name: 'RunActivity:releaseStock' },
      { attributes: { 'db.system': 'postgresql' }, where: (s) => /^pg\.query:COMMIT/.test(s.name) },
      {
        name: 'inventory.events publish',
        attributes: { 'messaging.message.id': released.properties.messageId },
      },
    ]);
    expect(tree.roots().map((s) => s.parentSpanId)).toEqual([orderServiceSpanId]);

    const consume = tree.expect({ kind: 'consumer', where: (s) => s.parentSpanId === orderServiceSpanId });
    const bridge = tree.expect({
      name: 'inventory.order-events process',
      kind: 'consumer',
      attributes: { 'messaging.message.id': eventId, 'inventory.bridge.outcome': 'signalled' },
    });
    expect(bridge.spanId === consume.spanId || tree.isDescendant(bridge, consume)).toBe(true);
    // The bridge records the decision in Postgres; the dispatcher delivers it in the message's trace.
    tree.expect(
      { attributes: { 'db.system': 'postgresql' }, where: (s) => /^pg\.query:COMMIT/.test(s.name) },
      bridge,
    );
    const deliver = tree.expect({ name: 'workflow_requests deliver' }, bridge);
    const signal = tree.expect({ name: 'SignalWithStartWorkflow:reservationWorkflow' }, deliver);
    const handled = tree.expect({ name: 'HandleSignal:request' });
    expect(handled.parentSpanId).toBe(signal.spanId);
    // The compensation the signal decided runs in its trace.
    const start = tree.expect({ name: 'StartActivity:releaseStock' }, signal);
    const activity = tree.expect({ name: 'RunActivity:releaseStock' });
    expect(activity.parentSpanId).toBe(start.spanId);
    tree.expect(
      { attributes: { 'db.system': 'postgresql' }, where: (s) => /^pg\.query:COMMIT/.test(s.name) },
      activity,
    );
    const relay = tree.expect({ name: 'inventory.events publish', kind: 'producer' }, activity);
    expect(relay.attributes['messaging.message.id']).toBe(released.properties.messageId);
  });
});
