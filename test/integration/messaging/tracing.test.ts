import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { Client } from 'pg';
import { AmqpConnection } from '../../../src/adapters/rabbitmq/AmqpConnection';
import { OrderEventsBridge, type HandledMessage } from '../../../src/adapters/rabbitmq/OrderEventsBridge';
import { HandleOrderEvent } from '../../../src/application/HandleOrderEvent';
import type { ProcessedMessagesPort } from '../../../src/application/ports';
import { createTestVhost, type TestVhost } from '../../support/amqp';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { EventCollector } from '../../support/eventCollector';
import { eventually } from '../../support/eventually';
import { FakeOrderSignals } from '../../support/fakeOrderSignals';
import { uniqueOrderId, uniqueSku } from '../../support/naming';
import { OrderEventsPublisher } from '../../support/orderEvents';
import { connectPg, insertOutboxRows, startRelay, testLogger, type RelayUnderTest } from './harness';

jest.setTimeout(30_000);

/** Traces cross the broker: the relay continues the committing request's trace, the bridge order-service's. */
describe('trace propagation through RabbitMQ', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let db: TestDatabase;
  let vhost: TestVhost;
  let pg: Client;
  let collector: EventCollector;
  let relay: RelayUnderTest;

  beforeAll(async () => {
    provider.register();
    db = await createTestDatabase('inv_trace');
    vhost = await createTestVhost('inv_trace');
    pg = await connectPg(db.url);
    collector = await EventCollector.start(vhost.url);
    relay = startRelay({ databaseUrl: db.url, amqpUrl: vhost.url });
  });

  afterAll(async () => {
    await relay?.stop();
    await collector?.close();
    await pg?.end();
    await vhost?.drop();
    await db?.drop();
    await provider.shutdown();
  });

  it('the relay publishes in the trace of the outbox row, under a producer span', async () => {
    const traceId = '5bf92f3577b34da6a3ce929d0e0e4736';
    const parentSpanId = '00f067aa0ba902b7';
    const sku = uniqueSku();
    const [eventId] = await insertOutboxRows(pg, [
      {
        type: 'StockReplenished',
        sku,
        data: { sku },
        headers: { traceparent: `00-${traceId}-${parentSpanId}-01` },
      },
    ]);
    const m = await collector.waitFor((x) => x.properties.messageId === eventId);
    const span = await eventually(() =>
      exporter.getFinishedSpans().find((s) => s.attributes['messaging.message.id'] === eventId),
    );
    expect(span.name).toBe('inventory.events publish');
    expect(span.kind).toBe(SpanKind.PRODUCER);
    expect(span.spanContext().traceId).toBe(traceId);
    expect(span.parentSpanId).toBe(parentSpanId);
    expect(m.headers.traceparent).toBe(`00-${traceId}-${span.spanContext().spanId}-01`);
  });

  it('the bridge continues the trace of the message it consumes', async () => {
    const connection = new AmqpConnection({ url: vhost.url, name: 'trace bridge', logger: testLogger() });
    const processed: ProcessedMessagesPort = { find: async () => undefined, record: async () => undefined };
    const bridge = new OrderEventsBridge({
      connection,
      handleOrderEvent: new HandleOrderEvent({ orderSignals: new FakeOrderSignals(), processed }),
      logger: testLogger(),
    });
    const handled: HandledMessage[] = [];
    bridge.on('handled', (h: HandledMessage) => handled.push(h));
    const orders = await OrderEventsPublisher.open(vhost.url);
    try {
      bridge.start();
      await bridge.waitUntilConsuming();
      const traceId = '6bf92f3577b34da6a3ce929d0e0e4736';
      const parentSpanId = '10f067aa0ba902b7';
      const orderId = uniqueOrderId();
      const eventId = await orders.publish(
        'OrderConfirmed',
        { orderId },
        { headers: { traceparent: `00-${traceId}-${parentSpanId}-01` } },
      );
      await eventually(() => handled.find((h) => h.eventId === eventId));
      const span = await eventually(() =>
        exporter.getFinishedSpans().find((s) => s.attributes['inventory.order_id'] === orderId),
      );
      expect(span.name).toBe('inventory.order-events process');
      expect(span.kind).toBe(SpanKind.CONSUMER);
      expect(span.spanContext().traceId).toBe(traceId);
      expect(span.parentSpanId).toBe(parentSpanId);
      expect(span.attributes['inventory.bridge.outcome']).toBe('signalled');
    } finally {
      await bridge.stop();
      await connection.close();
      await orders.close();
    }
  });
});
