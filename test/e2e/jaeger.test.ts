import { randomBytes } from 'node:crypto';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { CollectedMessage, EventCollector } from '../support/eventCollector';
import { eventually } from '../support/eventually';
import { uniqueOrderId, uniqueSku } from '../support/naming';
import type { OrderEventsPublisher } from '../support/orderEvents';
import {
  fromJaeger,
  parseTraceparent,
  TraceTree,
  type JaegerTrace,
  type SpanMatcher,
  type TraceSpan,
} from '../support/traceTree';
import { expectStatus } from './assertions';
import { startSagaE2E, type SagaEnvironment } from './harness';

jest.setTimeout(120_000);

/** The local Jaeger of `npm run services -- up` (or CI's): OTLP/HTTP in, query API out. */
const JAEGER_QUERY_URL = process.env.JAEGER_QUERY_URL ?? 'http://127.0.0.1:16686';
const JAEGER_OTLP_ENDPOINT = process.env.JAEGER_OTLP_ENDPOINT ?? 'http://127.0.0.1:4318';
const SERVICE = `inventory-e2e-${randomBytes(4).toString('hex')}`;
/** This test plays order-service: its consumer span is exported to the same Jaeger. */
const ORDER_SERVICE = `${SERVICE}-order-service`;

async function assertJaegerReachable(): Promise<void> {
  const problems: string[] = [];
  try {
    const res = await fetch(`${JAEGER_QUERY_URL}/api/services`, { signal: AbortSignal.timeout(3_000) });
    if (res.status !== 200) problems.push(`${JAEGER_QUERY_URL}/api/services answered ${res.status}`);
  } catch (error) {
    problems.push(`${JAEGER_QUERY_URL}/api/services: ${(error as Error).message}`);
  }
  try {
    // Any answer (405, 400...) proves the OTLP/HTTP receiver listens.
    await fetch(`${JAEGER_OTLP_ENDPOINT}/v1/traces`, { signal: AbortSignal.timeout(3_000) });
  } catch (error) {
    problems.push(`${JAEGER_OTLP_ENDPOINT}/v1/traces: ${(error as Error).message}`);
  }
  if (problems.length > 0) {
    throw new Error(
      `Jaeger is not reachable (${problems.join('; ')}). Start it with 'npm run services -- up' ` +
        `(after 'npm run setup' built .tools/bin/jaeger), or point JAEGER_QUERY_URL / JAEGER_OTLP_ENDPOINT at one.`,
    );
  }
}

/** The traces Jaeger holds for a service (its query API, as the UI uses it). */
async function jaegerTraces(service: string): Promise<JaegerTrace[]> {
  const url = new URL('/api/traces', JAEGER_QUERY_URL);
  url.search = new URLSearchParams({ service, lookback: '1h', limit: '100' }).toString();
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (res.status === 404) return []; // Not seen yet: Jaeger knows no such service.
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { data: JaegerTrace[] | null }).data ?? [];
}

/**
 * The whole saga of one order in one trace, found through Jaeger's query API (issue 8 item 5): the real
 * service exports to the local Jaeger over OTLP/HTTP; the test reserves over HTTP, consumes StockReserved
 * as order-service would (with a span of its own), and answers with an OrderCancelled carrying that
 * span's traceparent.
 */
describe('traces in Jaeger (e2e)', () => {
  let env: SagaEnvironment;
  let events: EventCollector;
  let orderService: OrderEventsPublisher;
  const provider = new BasicTracerProvider({
    resource: new Resource({ 'service.name': ORDER_SERVICE }),
    spanProcessors: [
      new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${JAEGER_OTLP_ENDPOINT}/v1/traces` })),
    ],
  });
  const tracer = provider.getTracer('e2e-order-service');
  const w3c = new W3CTraceContextPropagator();

  beforeAll(async () => {
    await assertJaegerReachable();
    env = await startSagaE2E('inv_e2e_jaeger', {
      env: {
        OTEL_SDK_DISABLED: 'false',
        OTEL_EXPORTER_OTLP_ENDPOINT: JAEGER_OTLP_ENDPOINT,
        OTEL_SERVICE_NAME: SERVICE,
      },
    });
    ({ events, orderService } = env);
  });

  afterAll(async () => {
    await env?.teardown();
    await provider.shutdown();
  });

  const ofOrder = (type: string, orderId: string) => (m: CollectedMessage) =>
    m.routingKey === type && (m.body?.data as { orderId?: string } | undefined)?.orderId === orderId;

  it('finds HTTP, workflow, activity, SQL, AMQP publish and consume of one reservation in one trace', async () => {
    const sku = uniqueSku('JAEGER');
    expectStatus(await env.api.put(`/inventory/${sku}`, { onHand: 10 }), 201);
    const orderId = uniqueOrderId('jaeger');
    expectStatus(await env.api.post(`/inventory/${sku}/reserve`, { orderId, quantity: 4 }), 201);

    // order-service consumes StockReserved in the trace the message carries, then cancels the order.
    const reserved = await events.waitFor(ofOrder('StockReserved', orderId), 10_000);
    const { traceId } = parseTraceparent(reserved.headers.traceparent);
    const consumed = w3c.extract(context.active(), reserved.headers, {
      get: (carrier, key) => carrier[key] as string | undefined,
      keys: (carrier) => Object.keys(carrier),
    });
    const consumer = tracer.startSpan(
      'inventory.events process',
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'rabbitmq',
          'messaging.message.id': String(reserved.properties.messageId),
        },
      },
      consumed,
    );
    const headers: Record<string, string> = {};
    w3c.inject(trace.setSpan(consumed, consumer), headers, {
      set: (carrier, key, value) => (carrier[key] = value),
    });
    await orderService.publish(
      'OrderCancelled',
      { orderId, reason: 'customer changed their mind' },
      { headers },
    );
    consumer.end();
    await provider.forceFlush();
    const released = await events.waitFor(ofOrder('StockReleased', orderId), 10_000);

    const wanted: SpanMatcher[] = [
      { kind: 'server', service: SERVICE, name: 'POST /inventory/:sku/reserve' },
      { name: 'workflow_requests deliver' },
      { name: 'SignalWithStartWorkflow:reservationWorkflow' },
      { name: 'RunWorkflow:reservationWorkflow' },
      { name: 'HandleSignal:request' },
      { name: 'RunActivity:releaseStock' },
      { service: SERVICE, where: (s) => /^pg\.query:COMMIT/.test(s.name) },
      {
        name: 'inventory.events publish',
        attributes: { 'messaging.message.id': reserved.properties.messageId },
      },
      {
        name: 'inventory.events publish',
        attributes: { 'messaging.message.id': released.properties.messageId },
      },
      { service: ORDER_SERVICE, kind: 'consumer' },
      {
        service: SERVICE,
        name: 'inventory.order-events process',
        attributes: { 'inventory.order_id': orderId },
      },
    ];
    let tree = new TraceTree([]);
    try {
      tree = await eventually(
        async () => {
          const found = (await jaegerTraces(SERVICE)).find((t) => t.traceID === traceId);
          tree = new TraceTree(found ? fromJaeger(found) : []);
          return wanted.every((m) => tree.find(m)) && tree;
        },
        { timeoutMs: 30_000, intervalMs: 500 },
      );
    } catch {
      const missing = wanted.filter((m) => !tree.find(m));
      throw new Error(
        `Jaeger's trace ${traceId} (service ${SERVICE}) lacks ${missing.length} expected span(s): ` +
          `${missing.map((m) => JSON.stringify({ ...m, name: String(m.name) })).join(', ')}\n${tree.render()}`,
      );
    }

    // One tree from the HTTP request down: the caller started the trace, nothing else is a root.
    const http = tree.expect({ kind: 'server', name: 'POST /inventory/:sku/reserve' });
    /** Spans of the bridged cancel, below order-service's consume, are in this trace too. */
    const underConsumer = (s: TraceSpan) => tree.ancestors(s).some((a) => a.kind === 'consumer');
    expect(tree.roots()).toEqual([http]);
    // The reserve is one transaction inside the request (RESERVE_MODE=db); its outbox row and its
    // workflow request carry the request's context to the relay and to the dispatcher.
    tree.expect(
      { kind: 'client', where: (s) => /^pg\.query:COMMIT/.test(s.name) && !underConsumer(s) },
      http,
    );
    const published = tree.expect(
      {
        name: 'inventory.events publish',
        attributes: { 'messaging.message.id': reserved.properties.messageId },
      },
      http,
    );
    const deliver = tree.expect({ name: 'workflow_requests deliver', where: (s) => !underConsumer(s) }, http);
    const start = tree.expect({ name: 'SignalWithStartWorkflow:reservationWorkflow' }, deliver);
    const run = tree.expect({ name: 'RunWorkflow:reservationWorkflow' }, start);
    // The AMQP publish (amqplib's producer span) and order-service's consume of it.
    const wire = tree.expect({ kind: 'producer', where: (s) => s.parentSpanId === published.spanId });
    const consume = tree.expect({ service: ORDER_SERVICE, kind: 'consumer' });
    expect(consume.parentSpanId).toBe(wire.spanId);
    // The bridged OrderCancelled: inventory's consume, the decision recorded and dispatched, the
    // workflow's handling, the release.
    const bridged = tree.expect(
      { service: SERVICE, kind: 'consumer', name: 'inventory.order-events process' },
      consume,
    );
    const signal = tree.expect(
      { name: 'SignalWithStartWorkflow:reservationWorkflow' },
      tree.expect({ name: 'workflow_requests deliver' }, bridged),
    );
    expect(
      tree.expect({ name: 'HandleSignal:request', where: (s) => s.parentSpanId === signal.spanId }),
    ).toBeDefined();
    const release = tree.expect({ name: 'RunActivity:releaseStock' }, signal);
    tree.expect({
      kind: 'client',
      where: (s) => s.parentSpanId === release.spanId && /^pg\.query:COMMIT/.test(s.name),
    });
    tree.expect(
      {
        name: 'inventory.events publish',
        attributes: { 'messaging.message.id': released.properties.messageId },
      },
      release,
    );
    expect(run.service).toBe(SERVICE);
  });
});
