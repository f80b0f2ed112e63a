import { asValue } from 'awilix';
import type { OrderSignalPort } from '../../../src/application/ports';
import { createBaseContainer, type BaseCradle } from '../../../src/container/base';
import { registerPersistence, type PersistenceCradle } from '../../../src/container/persistence';
import {
  messagingHealthChecks,
  messagingStateProbes,
  orderEventsBridgeComponent,
  outboxRelayComponent,
  type MessagingCradle,
  registerMessaging,
} from '../../../src/container/messaging';
import { createTestVhost, type TestVhost } from '../../support/amqp';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { EventCollector } from '../../support/eventCollector';
import { eventually } from '../../support/eventually';
import { FakeOrderSignals } from '../../support/fakeOrderSignals';
import { uniqueOrderId, uniqueSku } from '../../support/naming';
import { OrderEventsPublisher } from '../../support/orderEvents';
import { testConfig, testLogger } from './harness';

jest.setTimeout(30_000);

/** The wiring the entrypoint uses: registerMessaging + start/stop components + disposal. */
describe('messaging container', () => {
  let db: TestDatabase;
  let vhost: TestVhost;

  beforeAll(async () => {
    db = await createTestDatabase('inv_msg_c');
    vhost = await createTestVhost('inv_msg_c');
  });

  afterAll(async () => {
    await vhost?.drop();
    await db?.drop();
  });

  it('starts relay and bridge, reports health, carries events both ways, and shuts down cleanly', async () => {
    const signals = new FakeOrderSignals();
    type Cradle = BaseCradle & PersistenceCradle & MessagingCradle & { orderSignals: OrderSignalPort };
    const container = createBaseContainer<Cradle>(
      testConfig({ DATABASE_URL: db.url, AMQP_URL: vhost.url, OUTBOX_POLL_INTERVAL_MS: '500' }),
      testLogger(),
    );
    registerPersistence(container);
    container.register({ orderSignals: asValue(signals) });
    registerMessaging(container);
    const c = container;

    const relay = outboxRelayComponent(c);
    const bridge = orderEventsBridgeComponent(c);
    await relay.start();
    await bridge.start();
    const checks = messagingHealthChecks(c, { relay: true, bridge: true });
    expect(Object.keys(checks).sort()).toEqual(['bridge', 'outboxRelay', 'rabbitmq']);
    await eventually(
      async () => {
        const results = await Promise.all(Object.values(checks).map((check) => check()));
        return results.every((r) => r.ok) ? results : undefined;
      },
      { what: 'all messaging health checks ok' },
    );

    const collector = await EventCollector.start(vhost.url);
    const orders = await OrderEventsPublisher.open(vhost.url);
    try {
      const scope = container.createScope();
      const sku = uniqueSku();
      const orderId = uniqueOrderId();
      await scope.resolve('inventoryService').setLevels({ sku, onHand: 5 });
      await scope.resolve('inventoryService').reserve({ orderId, lines: [{ sku, quantity: 1 }] });
      await scope.dispose();
      await collector.waitFor(
        (m) => m.routingKey === 'StockReserved' && (m.body?.data as { orderId: string }).orderId === orderId,
      );

      await orders.publish('OrderConfirmed', { orderId });
      await eventually(() => signals.callsFor(orderId).length === 1, { what: 'confirm signalled' });

      const probes = messagingStateProbes(c);
      await eventually(async () => (await probes.outbox()).pending === 0, { what: 'outbox drained' });
      expect(await probes.deadLetterDepth()).toBe(0);
    } finally {
      await collector.close();
      await orders.close();
    }

    const connections = [container.resolve('publisherConnection'), container.resolve('consumerConnection')];
    await bridge.stop();
    await relay.stop();
    await container.dispose();
    expect(connections.map((x) => x.isConnected)).toEqual([false, false]);
  });
});
