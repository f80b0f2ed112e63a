import { randomUUID } from 'node:crypto';
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { asValue } from 'awilix';
import { ServiceMetrics } from '../../../src/adapters/observability/metrics';
import { UNROUTED_POLICY } from '../../../src/adapters/rabbitmq/policies';
import { Topology, UNROUTED_MAX_LENGTH } from '../../../src/adapters/rabbitmq/topology';
import type { OrderSignalPort } from '../../../src/application/ports';
import { createBaseContainer, type BaseCradle } from '../../../src/container/base';
import {
  messagingStateProbes,
  registerMessaging,
  outboxRelayComponent,
  type MessagingCradle,
} from '../../../src/container/messaging';
import { registerPersistence, type PersistenceCradle } from '../../../src/container/persistence';
import { createTestVhost, exchangeDetails, queueDetails, type TestVhost } from '../../support/amqp';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { eventually } from '../../support/eventually';
import { FakeOrderSignals } from '../../support/fakeOrderSignals';
import { testConfig, testLogger } from './harness';

jest.setTimeout(30_000);

/** Defect 15: an event that no queue is bound to was confirmed by the broker and dropped without a trace. */
describe('inventory.events alternate exchange (real RabbitMQ, management API)', () => {
  let db: TestDatabase;
  let vhost: TestVhost;
  let raw: ChannelModel;
  let publish: ConfirmChannel;

  beforeAll(async () => {
    db = await createTestDatabase('inv_unrouted');
    vhost = await createTestVhost('inv_unrouted');
    raw = await amqp.connect(vhost.url);
    publish = await raw.createConfirmChannel();
    // As on a running broker: the exchange exists already, declared without an alternate exchange.
    await publish.assertExchange(Topology.inventoryExchange, 'topic', { durable: true });
  });

  afterAll(async () => {
    await raw?.close().catch(() => undefined);
    await vhost?.drop();
    await db?.drop();
  });

  const publishEvent = (routingKey: string) => {
    const eventId = randomUUID();
    return new Promise<string>((resolve, reject) =>
      publish.publish(
        Topology.inventoryExchange,
        routingKey,
        Buffer.from(
          JSON.stringify({ eventId, type: routingKey, occurredAt: new Date().toISOString(), data: {} }),
        ),
        { persistent: true, messageId: eventId },
        (err) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(eventId)),
      ),
    );
  };

  it('an event no queue is bound for lands in inventory.events.unrouted, and the gauge shows it', async () => {
    type Cradle = BaseCradle & PersistenceCradle & MessagingCradle & { orderSignals: OrderSignalPort };
    const container = createBaseContainer<Cradle>(
      testConfig({ DATABASE_URL: db.url, AMQP_URL: vhost.url }),
      testLogger(),
    );
    registerPersistence(container);
    container.register({ orderSignals: asValue(new FakeOrderSignals()) });
    registerMessaging(container);
    const relay = outboxRelayComponent(container);
    await relay.start();
    const metrics = new ServiceMetrics({ defaultMetrics: false });
    metrics.registerStateProbes(messagingStateProbes(container));
    const probe = await raw.createChannel();
    try {
      await eventually(
        async () =>
          (await exchangeDetails(vhost.name, Topology.inventoryExchange))?.policy === UNROUTED_POLICY.name,
        { what: 'alternate-exchange policy in force on the existing inventory.events' },
      );
      expect(await queueDetails(vhost.name, Topology.unroutedQueue)).toMatchObject({
        durable: true,
        arguments: { 'x-max-length': UNROUTED_MAX_LENGTH, 'x-overflow': 'drop-head' },
      });

      // A bound routing key is delivered as before, and not copied to the unrouted queue.
      const { queue } = await probe.assertQueue('', { exclusive: true });
      await probe.bindQueue(queue, Topology.inventoryExchange, 'StockReserved');
      await publishEvent('StockReserved');
      await eventually(async () => (await probe.checkQueue(queue)).messageCount === 1, {
        what: 'routed event',
      });

      const eventId = await publishEvent('StockReplenished');
      await eventually(async () => (await probe.checkQueue(Topology.unroutedQueue)).messageCount === 1, {
        what: 'unrouted event kept',
      });
      const kept = await probe.get(Topology.unroutedQueue, { noAck: false });
      expect(kept && kept.properties.messageId).toBe(eventId);
      expect(kept && kept.fields.routingKey).toBe('StockReplenished');
      if (kept) probe.nack(kept, false, true);

      await eventually(
        async () => /^inventory_unrouted_events_messages 1$/m.test(await metrics.registry.metrics()),
        { what: 'inventory_unrouted_events_messages 1' },
      );
    } finally {
      await probe.close().catch(() => undefined);
      await relay.stop();
      await container.dispose();
    }
  });
});
