import { randomUUID } from 'node:crypto';
import amqp, { type ChannelModel } from 'amqplib';
import type { AwilixContainer } from 'awilix';
import { AmqpConnection } from '../../../src/adapters/rabbitmq/AmqpConnection';
import { OrderEventsBridge, type HandledMessage } from '../../../src/adapters/rabbitmq/OrderEventsBridge';
import { PrismaProcessedMessageStore } from '../../../src/adapters/postgres/ProcessedMessageStore';
import { DEAD_LETTER_REASON_HEADER, Topology } from '../../../src/adapters/rabbitmq/topology';
import { HandleOrderEvent } from '../../../src/application/HandleOrderEvent';
import type { BaseCradle } from '../../../src/container/base';
import { createPersistenceContainer, type PersistenceCradle } from '../../../src/container/persistence';
import { createTestVhost, type TestVhost } from '../../support/amqp';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { EventCollector } from '../../support/eventCollector';
import { eventually } from '../../support/eventually';
import { FakeOrderSignals, PermanentSignalError } from '../../support/fakeOrderSignals';
import { uniqueOrderId } from '../../support/naming';
import { OrderEventsPublisher } from '../../support/orderEvents';
import { amqpTarget, TcpProxy } from '../../support/tcp-proxy';
import { testConfig, testLogger } from './harness';

jest.setTimeout(30_000);

describe('OrderEventsBridge (real RabbitMQ + Postgres, fake OrderSignalPort)', () => {
  let db: TestDatabase;
  let vhost: TestVhost;
  let proxy: TcpProxy;
  let container: AwilixContainer<BaseCradle & PersistenceCradle>;
  let connection: AmqpConnection;
  let bridge: OrderEventsBridge;
  let signals: FakeOrderSignals;
  let orders: OrderEventsPublisher;
  let dead: EventCollector;
  const handled: HandledMessage[] = [];

  const outcomeOf = (eventId: string, timeoutMs = 5_000) =>
    eventually(() => handled.find((h) => h.eventId === eventId && h.outcome !== 'retried'), {
      timeoutMs,
      what: `final outcome of ${eventId}`,
    });
  const processedRow = (eventId: string) =>
    container.resolve('prisma').processedMessage.findUnique({ where: { messageId: eventId } });

  beforeAll(async () => {
    db = await createTestDatabase('inv_bridge');
    vhost = await createTestVhost('inv_bridge');
    proxy = await TcpProxy.start(amqpTarget(vhost.url));
    container = createPersistenceContainer(
      testConfig({ DATABASE_URL: db.url, AMQP_URL: vhost.url }),
      testLogger(),
    );
    signals = new FakeOrderSignals();
    // The bridge reaches the broker through a proxy of this test, so the reconnect test can cut it.
    connection = new AmqpConnection({
      url: proxy.proxiedUrl(vhost.url),
      name: 'test bridge',
      logger: testLogger(),
      backoff: { initialMs: 50, maxMs: 500 },
    });
    bridge = new OrderEventsBridge({
      connection,
      handleOrderEvent: new HandleOrderEvent({
        orderSignals: signals,
        processed: new PrismaProcessedMessageStore(container.resolve('prisma')),
      }),
      logger: testLogger(),
      prefetch: 8,
      retryBackoff: { initialMs: 100, maxMs: 400 },
    });
    bridge.on('handled', (h: HandledMessage) => handled.push(h));
    bridge.start();
    await bridge.waitUntilConsuming();
    orders = await OrderEventsPublisher.open(vhost.url);
    dead = await EventCollector.fromQueue(vhost.url, Topology.deadLetterQueue);
  });

  afterAll(async () => {
    await bridge?.stop();
    await connection?.close();
    await orders?.close();
    await dead?.close();
    await proxy?.close();
    await container?.dispose();
    await vhost?.drop();
    await db?.drop();
  });

  it('asserts the topology: our queue bound to order.events for the three order events, with a DLX', async () => {
    const conn: ChannelModel = await amqp.connect(vhost.url);
    try {
      const ch = await conn.createChannel();
      await ch.checkExchange(Topology.orderExchange);
      await ch.checkExchange(Topology.inventoryExchange);
      await ch.checkExchange(Topology.deadLetterExchange);
      await ch.checkQueue(Topology.deadLetterQueue);
      // Re-asserting with the same arguments succeeds only if the queue has exactly these.
      await ch.assertQueue(Topology.orderEventsQueue, {
        durable: true,
        deadLetterExchange: Topology.deadLetterExchange,
        arguments: { 'x-queue-type': 'quorum' },
      });
      await ch.close();
    } finally {
      await conn.close();
    }
    // An event type we did not bind never reaches the queue.
    const shipped = await orders.publish('OrderShipped' as never, { orderId: uniqueOrderId() });
    const confirmed = await orders.publish('OrderConfirmed', { orderId: uniqueOrderId() });
    await outcomeOf(confirmed);
    expect(handled.find((h) => h.eventId === shipped)).toBeUndefined();
  });

  it('OrderConfirmed → confirm signal, recorded, acknowledged', async () => {
    const orderId = uniqueOrderId();
    const eventId = await orders.publish('OrderConfirmed', { orderId });
    expect(await outcomeOf(eventId)).toMatchObject({ type: 'OrderConfirmed', outcome: 'signalled' });
    expect(signals.callsFor(orderId)).toEqual([expect.objectContaining({ op: 'confirm', orderId })]);
    expect(await processedRow(eventId)).toMatchObject({
      messageType: 'OrderConfirmed',
      outcome: 'signalled',
    });
  });

  it('OrderCancelled → cancel signal with the reason', async () => {
    const orderId = uniqueOrderId();
    const eventId = await orders.publish('OrderCancelled', { orderId, reason: 'customer-request' });
    expect(await outcomeOf(eventId)).toMatchObject({ outcome: 'signalled' });
    expect(signals.callsFor(orderId)).toEqual([
      expect.objectContaining({ op: 'cancel', orderId, reason: 'customer-request' }),
    ]);
  });

  it('OrderCreated is recorded only', async () => {
    const orderId = uniqueOrderId();
    const eventId = await orders.publish('OrderCreated', { orderId, lines: [{ sku: 'A-1', quantity: 1 }] });
    expect(await outcomeOf(eventId)).toMatchObject({ outcome: 'recorded' });
    expect(signals.callsFor(orderId)).toHaveLength(0);
    expect(await processedRow(eventId)).toMatchObject({ outcome: 'recorded' });
  });

  it('a duplicate eventId is acknowledged and ignored: signalled once (sequential and concurrent copies)', async () => {
    const orderId = uniqueOrderId();
    const eventId = await orders.publish('OrderCancelled', { orderId });
    await outcomeOf(eventId);
    await orders.publish('OrderCancelled', { orderId }, { eventId });
    await eventually(() => handled.filter((h) => h.eventId === eventId).length === 2);
    expect(handled.filter((h) => h.eventId === eventId).map((h) => h.outcome)).toEqual([
      'signalled',
      'duplicate',
    ]);

    const other = uniqueOrderId();
    const twin = randomUUID();
    await Promise.all([
      orders.publish('OrderConfirmed', { orderId: other }, { eventId: twin }),
      orders.publish('OrderConfirmed', { orderId: other }, { eventId: twin }),
      orders.publish('OrderConfirmed', { orderId: other }, { eventId: twin }),
    ]);
    await eventually(() => handled.filter((h) => h.eventId === twin).length === 3);
    expect(signals.callsFor(orderId)).toHaveLength(1);
    expect(signals.callsFor(other)).toHaveLength(1);
  });

  it('an order without a (running) workflow is acknowledged and recorded, not retried', async () => {
    const orderId = uniqueOrderId();
    signals.script(orderId, 'no-workflow');
    const eventId = await orders.publish('OrderConfirmed', { orderId });
    expect(await outcomeOf(eventId)).toMatchObject({ outcome: 'no-workflow' });
    expect(await processedRow(eventId)).toMatchObject({
      outcome: 'no-workflow',
      detail: expect.stringContaining(orderId),
    });
    expect(signals.callsFor(orderId)).toHaveLength(1);
  });

  it('malformed JSON lands in the dead-letter queue with the reason, and the bridge keeps consuming', async () => {
    const messageId = randomUUID();
    await orders.publishRaw('{"eventId": "oops", not json', {
      routingKey: 'OrderConfirmed',
      messageId,
      headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    });
    const next = await orders.publish('OrderConfirmed', { orderId: uniqueOrderId() });

    const m = await dead.waitFor((x) => x.properties.messageId === messageId);
    expect(String(m.headers[DEAD_LETTER_REASON_HEADER])).toMatch(/^malformed JSON/);
    expect(m.raw.content.toString()).toBe('{"eventId": "oops", not json');
    expect(m.headers).toMatchObject({
      'x-original-exchange': 'order.events',
      'x-original-routing-key': 'OrderConfirmed',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    expect(await outcomeOf(next)).toMatchObject({ outcome: 'signalled' });
  });

  it.each([
    [
      'no orderId',
      { eventId: randomUUID(), type: 'OrderCancelled', occurredAt: new Date().toISOString(), data: {} },
      /schema violation: data\.orderId/,
    ],
    [
      'a bad orderId',
      {
        eventId: randomUUID(),
        type: 'OrderConfirmed',
        occurredAt: new Date().toISOString(),
        data: { orderId: 'a b' },
      },
      /data\.orderId/,
    ],
    [
      'no eventId',
      { type: 'OrderConfirmed', occurredAt: new Date().toISOString(), data: { orderId: 'o-1' } },
      /eventId/,
    ],
    [
      'an unknown type',
      {
        eventId: randomUUID(),
        type: 'OrderShipped',
        occurredAt: new Date().toISOString(),
        data: { orderId: 'o-1' },
      },
      /unknown event type "OrderShipped"/,
    ],
    [
      'a bad occurredAt',
      { eventId: randomUUID(), type: 'OrderConfirmed', occurredAt: 'yesterday', data: { orderId: 'o-1' } },
      /occurredAt/,
    ],
  ])('a message with %s is dead-lettered with the reason', async (_case, body, reason) => {
    const messageId = randomUUID();
    await orders.publishRaw(JSON.stringify(body), { routingKey: 'OrderConfirmed', messageId });
    const m = await dead.waitFor((x) => x.properties.messageId === messageId);
    expect(String(m.headers[DEAD_LETTER_REASON_HEADER])).toMatch(reason);
    expect(m.body).toEqual(body);
  });

  it('a routing key that disagrees with the body type is dead-lettered, never applied', async () => {
    const orderId = uniqueOrderId();
    const eventId = randomUUID();
    const body = { eventId, type: 'OrderConfirmed', occurredAt: new Date().toISOString(), data: { orderId } };
    await orders.publishRaw(JSON.stringify(body), { routingKey: 'OrderCancelled', messageId: eventId });
    const m = await dead.waitFor((x) => x.properties.messageId === eventId);
    expect(String(m.headers[DEAD_LETTER_REASON_HEADER])).toBe(
      'routing key "OrderCancelled" does not match the body\'s type "OrderConfirmed"',
    );
    expect(m.body).toEqual(body);
    expect(await outcomeOf(eventId)).toMatchObject({ outcome: 'dead-lettered' });
    expect(signals.callsFor(orderId)).toHaveLength(0);
    expect(await processedRow(eventId)).toBeNull();
  });

  it('a dead letter moved back into the queue (default exchange) is checked against its original routing key', async () => {
    const orderId = uniqueOrderId();
    const eventId = randomUUID();
    const body = { eventId, type: 'OrderCancelled', occurredAt: new Date().toISOString(), data: { orderId } };
    await orders.publishRaw(JSON.stringify(body), {
      exchange: '',
      routingKey: Topology.orderEventsQueue,
      messageId: eventId,
      headers: { 'x-original-routing-key': 'OrderCancelled' },
    });
    expect(await outcomeOf(eventId)).toMatchObject({ outcome: 'signalled' });
    expect(signals.callsFor(orderId)).toEqual([expect.objectContaining({ op: 'cancel' })]);
  });

  it('an eventId reused with another body is dead-lettered with its reason; the first use stands', async () => {
    const first = uniqueOrderId();
    const other = uniqueOrderId();
    const eventId = await orders.publish('OrderConfirmed', { orderId: first });
    await outcomeOf(eventId);
    await orders.publish('OrderCancelled', { orderId: other }, { eventId });
    const m = await dead.waitFor((x) => x.properties.messageId === eventId);
    expect(String(m.headers[DEAD_LETTER_REASON_HEADER])).toBe(
      `eventId ${eventId} was already used for a different event (first handled as OrderConfirmed: signalled)`,
    );
    expect(m.body).toMatchObject({ type: 'OrderCancelled', data: { orderId: other } });
    expect(signals.callsFor(other)).toHaveLength(0);
    expect(await processedRow(eventId)).toMatchObject({
      messageType: 'OrderConfirmed',
      outcome: 'signalled',
    });
  });

  it('a copy with the same content in another key order and spacing is still a duplicate', async () => {
    const orderId = uniqueOrderId();
    const eventId = randomUUID();
    const occurredAt = new Date().toISOString();
    await orders.publishRaw(
      JSON.stringify({ eventId, type: 'OrderCancelled', occurredAt, data: { orderId, reason: 'r' } }),
      { routingKey: 'OrderCancelled', messageId: eventId },
    );
    await outcomeOf(eventId);
    await orders.publishRaw(
      `{ "data": { "reason": "r", "orderId": "${orderId}" }, "occurredAt": "${occurredAt}", "type": "OrderCancelled", "eventId": "${eventId}" }`,
      { routingKey: 'OrderCancelled', messageId: eventId },
    );
    await eventually(() => handled.filter((h) => h.eventId === eventId).length === 2);
    expect(handled.filter((h) => h.eventId === eventId).map((h) => h.outcome)).toEqual([
      'signalled',
      'duplicate',
    ]);
    expect(signals.callsFor(orderId)).toHaveLength(1);
  });

  it('transient failures are retried after a backoff (no hot loop), then acknowledged', async () => {
    const orderId = uniqueOrderId();
    signals.script(
      orderId,
      new Error('14 UNAVAILABLE: temporal down'),
      new Error('14 UNAVAILABLE'),
      'signalled',
    );
    const eventId = await orders.publish('OrderConfirmed', { orderId });
    expect(await outcomeOf(eventId)).toMatchObject({ outcome: 'signalled' });
    const calls = signals.callsFor(orderId);
    expect(calls).toHaveLength(3);
    // Backoff ceilings 100 then 200 ms, at least half of each.
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(50);
    expect(calls[2]!.at - calls[1]!.at).toBeGreaterThanOrEqual(100);
    expect(handled.filter((h) => h.eventId === eventId).map((h) => h.outcome)).toEqual([
      'retried',
      'retried',
      'signalled',
    ]);
  });

  it('a permanent failure is dead-lettered with the reason', async () => {
    const orderId = uniqueOrderId();
    signals.script(orderId, new PermanentSignalError('workflow rejected the signal'));
    const eventId = await orders.publish('OrderCancelled', { orderId });
    const m = await dead.waitFor((x) => x.properties.messageId === eventId);
    expect(String(m.headers[DEAD_LETTER_REASON_HEADER])).toBe(
      'processing failed: workflow rejected the signal',
    );
    expect(await processedRow(eventId)).toBeNull();
  });

  it('reconnects after the connection drops and consumes what was published meanwhile', async () => {
    const before = proxy.acceptedConnections;
    proxy.cut();
    await eventually(() => !bridge.isConsuming, { what: 'bridge noticed the drop' });
    const orderId = uniqueOrderId();
    const eventId = await orders.publish('OrderConfirmed', { orderId });
    proxy.restore();
    await bridge.waitUntilConsuming(10_000);
    expect(proxy.acceptedConnections).toBeGreaterThan(before);
    expect(await outcomeOf(eventId, 10_000)).toMatchObject({ outcome: 'signalled' });
    expect(signals.callsFor(orderId)).toHaveLength(1);
  });

  it('leaves nothing unacknowledged: after stop, inventory.order-events is empty', async () => {
    await bridge.stop();
    const conn = await amqp.connect(vhost.url);
    try {
      const ch = await conn.createChannel();
      // Unacked messages return to "ready" once the consumer's channel is closed.
      const { messageCount, consumerCount } = await ch.checkQueue(Topology.orderEventsQueue);
      expect({ messageCount, consumerCount }).toEqual({ messageCount: 0, consumerCount: 0 });
      await ch.close();
    } finally {
      await conn.close();
    }
  });
});
