import amqp, { type Channel, type ChannelModel } from 'amqplib';
import type { AwilixContainer } from 'awilix';
import { AmqpConnection } from '../../../src/adapters/rabbitmq/AmqpConnection';
import { OrderEventsBridge, type HandledMessage } from '../../../src/adapters/rabbitmq/OrderEventsBridge';
import { PrismaProcessedMessageStore } from '../../../src/adapters/postgres/ProcessedMessageStore';
import { Topology } from '../../../src/adapters/rabbitmq/topology';
import { HandleOrderEvent } from '../../../src/application/HandleOrderEvent';
import type { BaseCradle } from '../../../src/container/base';
import { createPersistenceContainer, type PersistenceCradle } from '../../../src/container/persistence';
import { createTestVhost, queueDetails, type TestVhost } from '../../support/amqp';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { EventCollector } from '../../support/eventCollector';
import { eventually } from '../../support/eventually';
import { FakeOrderSignals } from '../../support/fakeOrderSignals';
import { uniqueOrderId } from '../../support/naming';
import { OrderEventsPublisher } from '../../support/orderEvents';
import { testConfig, testLogger } from './harness';

jest.setTimeout(30_000);

/** The topology exactly as the releases before the quorum queues declared it (classic queues). */
async function declareClassicTopology(ch: Channel): Promise<void> {
  await ch.assertExchange('inventory.events', 'topic', { durable: true });
  await ch.assertExchange('order.events', 'topic', { durable: true });
  await ch.assertExchange('inventory.order-events.dlx', 'fanout', { durable: true });
  await ch.assertQueue('inventory.order-events.dead', { durable: true });
  await ch.bindQueue('inventory.order-events.dead', 'inventory.order-events.dlx', '');
  await ch.assertQueue('inventory.order-events', {
    durable: true,
    deadLetterExchange: 'inventory.order-events.dlx',
  });
  for (const type of ['OrderCreated', 'OrderConfirmed', 'OrderCancelled']) {
    await ch.bindQueue('inventory.order-events', 'order.events', type);
  }
}

describe('quorum queues, migrated from the classic ones (real RabbitMQ)', () => {
  let db: TestDatabase;
  let vhost: TestVhost;
  let container: AwilixContainer<BaseCradle & PersistenceCradle>;
  let admin: ChannelModel;
  let orders: OrderEventsPublisher;

  beforeAll(async () => {
    db = await createTestDatabase('inv_quorum');
    vhost = await createTestVhost('inv_quorum');
    container = createPersistenceContainer(
      testConfig({ DATABASE_URL: db.url, AMQP_URL: vhost.url }),
      testLogger(),
    );
    admin = await amqp.connect(vhost.url);
    orders = await OrderEventsPublisher.open(vhost.url);
  });

  afterAll(async () => {
    await orders?.close();
    await admin?.close().catch(() => undefined);
    await container?.dispose();
    await vhost?.drop();
    await db?.drop();
  });

  function newBridge(signals: FakeOrderSignals, name: string) {
    const connection = new AmqpConnection({ url: vhost.url, name, logger: testLogger() });
    const bridge = new OrderEventsBridge({
      connection,
      handleOrderEvent: new HandleOrderEvent({
        orderSignals: signals,
        processed: new PrismaProcessedMessageStore(container.resolve('prisma')),
      }),
      logger: testLogger(),
      legacyCheckMs: 50,
    });
    const handled: HandledMessage[] = [];
    const drains: { messages: number; consumers: number; deleted: boolean }[] = [];
    bridge.on('handled', (h: HandledMessage) => handled.push(h));
    bridge.on('legacy-drain', (d: { messages: number; consumers: number; deleted: boolean }) =>
      drains.push(d),
    );
    return {
      bridge,
      handled,
      drains,
      stop: async () => {
        await bridge.stop();
        await connection.close();
      },
    };
  }

  it('drains the classic queue through the handler, moves the dead letters, deletes both, consumes the quorum queue', async () => {
    const ch = await admin.createChannel();
    await declareClassicTopology(ch);
    await ch.close();
    const waiting = uniqueOrderId();
    const waitingEvent = await orders.publish('OrderCancelled', { orderId: waiting, reason: 'before' });
    const oldDeadLetter = 'old-dead-letter';
    await orders.publishRaw('{"broken', {
      exchange: 'inventory.order-events.dlx',
      routingKey: 'OrderConfirmed',
      messageId: oldDeadLetter,
      headers: { 'x-inventory-dead-letter-reason': 'malformed JSON: old' },
    });
    const probe = await admin.createChannel();
    expect((await probe.checkQueue('inventory.order-events')).messageCount).toBe(1);
    expect((await probe.checkQueue('inventory.order-events.dead')).messageCount).toBe(1);
    await probe.close();

    const signals = new FakeOrderSignals();
    const connection = new AmqpConnection({
      url: vhost.url,
      name: 'test bridge (quorum)',
      logger: testLogger(),
    });
    const bridge = new OrderEventsBridge({
      connection,
      handleOrderEvent: new HandleOrderEvent({
        orderSignals: signals,
        processed: new PrismaProcessedMessageStore(container.resolve('prisma')),
      }),
      logger: testLogger(),
      legacyCheckMs: 100,
    });
    const handled: HandledMessage[] = [];
    let attached = 0;
    bridge.on('handled', (h: HandledMessage) => handled.push(h));
    bridge.on('consuming', () => (attached += 1));
    try {
      bridge.start();
      await bridge.waitUntilConsuming();

      // The message waiting in the classic queue is handled like any other.
      await eventually(() => handled.find((h) => h.eventId === waitingEvent), {
        what: 'classic message handled',
      });
      expect(handled.find((h) => h.eventId === waitingEvent)).toMatchObject({ outcome: 'signalled' });
      expect(signals.callsFor(waiting)).toEqual([
        expect.objectContaining({ op: 'cancel', orderId: waiting, reason: 'before' }),
      ]);

      // Both classic queues are gone once empty; the quorum ones replace them.
      await eventually(
        async () =>
          (await queueDetails(vhost.name, 'inventory.order-events')) === undefined &&
          (await queueDetails(vhost.name, 'inventory.order-events.dead')) === undefined,
        { what: 'classic queues deleted', timeoutMs: 10_000 },
      );
      expect(await queueDetails(vhost.name, Topology.orderEventsQueue)).toMatchObject({
        type: 'quorum',
        durable: true,
        arguments: { 'x-queue-type': 'quorum', 'x-dead-letter-exchange': Topology.deadLetterExchange },
      });
      expect(await queueDetails(vhost.name, Topology.deadLetterQueue)).toMatchObject({
        type: 'quorum',
        durable: true,
      });

      // The old dead letter was moved, unchanged, into the quorum dead-letter queue.
      const dead = await EventCollector.fromQueue(vhost.url, Topology.deadLetterQueue);
      try {
        const moved = await dead.waitFor((m) => m.properties.messageId === oldDeadLetter);
        expect(moved.raw.content.toString()).toBe('{"broken');
        expect(moved.headers).toMatchObject({ 'x-inventory-dead-letter-reason': 'malformed JSON: old' });
      } finally {
        await dead.close();
      }

      // New events reach the quorum queue; the bridge never had to reconnect.
      const after = uniqueOrderId();
      const afterEvent = await orders.publish('OrderConfirmed', { orderId: after });
      await eventually(() => handled.find((h) => h.eventId === afterEvent), { what: 'new event handled' });
      expect(signals.callsFor(after)).toHaveLength(1);
      expect(bridge.isConsuming).toBe(true);
      expect(attached).toBe(1);
      expect(await queueDetails(vhost.name, 'inventory.order-events')).toBeUndefined();
    } finally {
      await bridge.stop();
      await connection.close();
    }
  });

  it('two new replicas drain the classic queue together, and one of them deletes it', async () => {
    const ch = await admin.createChannel();
    await declareClassicTopology(ch);
    // As before any new replica ran: the events are only in the classic queue.
    for (const type of Topology.orderEventTypes)
      await ch.unbindQueue(Topology.orderEventsQueue, 'order.events', type);
    await ch.close();
    const ids = await Promise.all(
      Array.from({ length: 20 }, () => orders.publish('OrderConfirmed', { orderId: uniqueOrderId('pair') })),
    );
    const signals = new FakeOrderSignals();
    const a = newBridge(signals, 'replica a');
    const b = newBridge(signals, 'replica b');
    try {
      a.bridge.start();
      b.bridge.start();
      // A replica's own report that it deleted the queue, awaited (the broker may show the queue gone
      // before that replica's delete call has returned), then the broker's view.
      await eventually(() => [...a.drains, ...b.drains].find((d) => d.deleted), {
        what: 'classic queue deleted by one of the replicas',
        timeoutMs: 10_000,
      });
      expect(await queueDetails(vhost.name, 'inventory.order-events')).toBeUndefined();
      const outcomes = [...a.handled, ...b.handled].filter((h) => ids.includes(h.eventId ?? ''));
      expect(outcomes.map((h) => h.outcome)).toEqual(ids.map(() => 'signalled'));
      expect(signals.calls).toHaveLength(20);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('a consumer of the earlier release keeps the classic queue alive until it leaves', async () => {
    const setup = await admin.createChannel();
    await declareClassicTopology(setup);
    await setup.close();
    const oldReplica = await admin.createChannel();
    await oldReplica.prefetch(1);
    await oldReplica.consume('inventory.order-events', (m) => m && oldReplica.ack(m));
    const replica = newBridge(new FakeOrderSignals(), 'replica');
    try {
      replica.bridge.start();
      await replica.bridge.waitUntilConsuming();
      // Checked, empty, and not deleted because another consumer is attached.
      await eventually(
        () => replica.drains.find((d) => !d.deleted && d.messages === 0 && d.consumers === 1),
        { what: 'a drain check that found the old consumer' },
      );
      expect(await queueDetails(vhost.name, 'inventory.order-events')).toBeDefined();
      await oldReplica.close();
      // The replica's own report, awaited (the broker may show the queue gone before the replica's
      // delete call has returned), then the broker's view.
      await eventually(() => replica.drains.find((d) => d.deleted), {
        what: 'classic queue deleted by the replica once its last consumer left',
        timeoutMs: 10_000,
      });
      expect(await queueDetails(vhost.name, 'inventory.order-events')).toBeUndefined();
    } finally {
      await oldReplica.close().catch(() => undefined);
      await replica.stop();
    }
  });
});
