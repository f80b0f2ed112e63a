import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import amqp, { type ChannelModel } from 'amqplib';
import type { AwilixContainer } from 'awilix';
import type { HandledMessage } from '../../../src/adapters/rabbitmq/OrderEventsBridge';
import { MAX_ORDER_EVENT_BYTES } from '../../../src/adapters/rabbitmq/orderEvents';
import { DEAD_LETTER_REASON_HEADER, Topology } from '../../../src/adapters/rabbitmq/topology';
import { orderEventsBridgeComponent } from '../../../src/container/messaging';
import type { Component } from '../../../src/container/lifecycle';
import {
  reservationWorkflowDispatcherComponent,
  type ReservationDispatcherComponent,
} from '../../../src/container/temporal';
import { reservationWorkflowId, type WorkflowRequestSignal } from '../../../workflows/shared';
import { createTestVhost, type TestVhost } from '../../support/amqp';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { EventCollector } from '../../support/eventCollector';
import { eventually } from '../../support/eventually';
import { uniqueName, uniqueOrderId, uniqueSku } from '../../support/naming';
import { OrderEventsPublisher } from '../../support/orderEvents';
import { signalsIn } from '../../support/temporal';
import { createServiceContainer, type ServiceCradle } from '../../../src/main/service';
import { testConfig, testLogger } from './harness';

jest.setTimeout(120_000);

const FLOOD = 2_000;

/**
 * The bridge as the bridge role runs it (container wiring, real RabbitMQ and Postgres; its decisions go
 * to Postgres and the workflow-request dispatcher delivers them to the dev server) fed with what an
 * attacker or a broken producer would send. Every bad message must end in the dead-letter queue, the
 * consumer must never detach, and a genuine OrderCancelled published behind the flood must still reach
 * its reservation workflow.
 */
describe('AMQP abuse: the bridge under malformed, oversized, mismatched and flooding input', () => {
  let db: TestDatabase;
  let vhost: TestVhost;
  let client: Client;
  let dispatcher: ReservationDispatcherComponent | undefined;
  let container: AwilixContainer<ServiceCradle>;
  let running: Component | undefined;
  let orders: OrderEventsPublisher;
  let admin: ChannelModel;
  const taskQueue = uniqueName('bridge-abuse-no-worker');
  const started: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('inv_abuse');
    vhost = await createTestVhost('inv_abuse');
    // The container a service process builds (src/main/service.ts); the test starts the bridge and
    // dispatcher components the bridge and worker roles start.
    container = createServiceContainer(
      testConfig({
        DATABASE_URL: db.url,
        AMQP_URL: vhost.url,
        RESERVE_MODE: 'db',
        TEMPORAL_TASK_QUEUE: taskQueue,
      }),
      { logger: testLogger() },
    );
    client = container.resolve('temporalClient');
    orders = await OrderEventsPublisher.open(vhost.url);
    admin = await amqp.connect(vhost.url);
  });

  afterAll(async () => {
    for (const id of started) {
      await client.workflow
        .getHandle(id)
        .terminate('test over')
        .catch(() => undefined);
    }
    await running?.stop();
    await dispatcher?.stop();
    await container?.dispose();
    await orders?.close();
    await admin?.close().catch(() => undefined);
    await vhost?.drop();
    await db?.drop();
  });

  const envelope = (type: string, data: unknown, eventId: string = randomUUID()) => ({
    eventId,
    type,
    occurredAt: new Date().toISOString(),
    data,
  });

  it('dead-letters every bad message, stays consuming, and applies a real cancel behind a 2,000-message flood', async () => {
    const bridge = container.resolve('orderEventsBridge');
    const handled: HandledMessage[] = [];
    let attached = 0;
    let detachedSamples = 0;
    bridge.on('consuming', () => (attached += 1));
    bridge.on('handled', (h: HandledMessage) => {
      handled.push(h);
      if (!bridge.isConsuming) detachedSamples += 1;
    });
    running = orderEventsBridgeComponent(container);
    await running.start();
    await bridge.waitUntilConsuming();
    const sampler = setInterval(() => {
      if (!bridge.isConsuming) detachedSamples += 1;
    }, 20);

    try {
      // The order whose cancel must get through: an open reservation, made as the HTTP reserve makes it.
      // Its workflow is started by the dispatcher below, on a task queue no worker polls, so the signals
      // stay in its history for the assertion.
      const orderId = uniqueOrderId('abuse');
      const workflowId = reservationWorkflowId(orderId);
      const sku = uniqueSku('ABUSE');
      const scope = container.createScope();
      await scope.resolve('inventoryService').setLevels({ sku, onHand: 1 });
      await scope.dispose();
      const reserved = await container
        .resolve('orchestrator')
        .reserve({ orderId, lines: [{ sku, quantity: 1 }] });
      expect(reserved.kind).toBe('reserved');
      started.push(workflowId);

      // A good event whose eventId the reuse cases then claim for other bodies.
      const claimed = randomUUID();
      await orders.publish('OrderConfirmed', { orderId: uniqueOrderId('claimed') }, { eventId: claimed });
      await eventually(() => handled.find((h) => h.eventId === claimed), {
        what: 'claimed eventId recorded',
      });
      expect(handled.find((h) => h.eventId === claimed)).toMatchObject({ outcome: 'no-workflow' });

      type Bad = { body: string | Buffer; routingKey: string; expect: RegExp };
      const wrongTypes: Bad[] = [
        {
          body: JSON.stringify(envelope('OrderConfirmed', { orderId: 123 })),
          routingKey: 'OrderConfirmed',
          expect: /data\.orderId/,
        },
        {
          body: JSON.stringify({ ...envelope('OrderConfirmed', { orderId: 'o-1' }), eventId: 42 }),
          routingKey: 'OrderConfirmed',
          expect: /eventId/,
        },
        {
          body: JSON.stringify({ ...envelope('OrderCancelled', { orderId: 'o-1' }), occurredAt: true }),
          routingKey: 'OrderCancelled',
          expect: /occurredAt/,
        },
        {
          body: JSON.stringify(envelope('OrderCancelled', 'o-1')),
          routingKey: 'OrderCancelled',
          expect: /data/,
        },
        {
          body: JSON.stringify(envelope('OrderCancelled', { orderId: 'o-1', reason: { why: 1 } })),
          routingKey: 'OrderCancelled',
          expect: /data\.reason/,
        },
        { body: 'null', routingKey: 'OrderCreated', expect: /schema violation/ },
      ];
      const kinds: Array<(i: number) => Bad> = [
        () => ({ body: '{"eventId": "', routingKey: 'OrderConfirmed', expect: /^malformed JSON/ }),
        (i) => wrongTypes[i % wrongTypes.length]!,
        () => ({
          body: JSON.stringify(envelope('OrderConfirmed', { orderId: uniqueOrderId('mismatch') })),
          routingKey: 'OrderCancelled',
          expect: /^routing key "OrderCancelled" does not match the body's type "OrderConfirmed"$/,
        }),
        () => ({
          body: JSON.stringify(envelope('OrderCancelled', { orderId: uniqueOrderId('reuse') }, claimed)),
          routingKey: 'OrderCancelled',
          expect: /^eventId .* was already used for a different event/,
        }),
        () => ({
          body: JSON.stringify(envelope('OrderShipped', { orderId: 'o-1' })),
          routingKey: 'OrderConfirmed',
          expect: /^unknown event type "OrderShipped"/,
        }),
      ];
      const oversized: Bad = {
        body: Buffer.from(
          JSON.stringify(envelope('OrderCancelled', { orderId, pad: 'x'.repeat(5 * 1024 * 1024) })),
        ),
        routingKey: 'OrderCancelled',
        expect: new RegExp(`exceeds the ${MAX_ORDER_EVENT_BYTES}-byte limit`),
      };
      const bad: Bad[] = [
        kinds[0]!(0),
        oversized,
        ...wrongTypes,
        kinds[2]!(0),
        kinds[3]!(0),
        ...Array.from({ length: FLOOD }, (_, i) => kinds[i % kinds.length]!(Math.floor(i / kinds.length))),
      ];
      const expected = new Map<string, RegExp>();
      for (let i = 0; i < bad.length; i += 200) {
        await Promise.all(
          bad.slice(i, i + 200).map((b) => {
            const messageId = randomUUID();
            expected.set(messageId, b.expect);
            return orders.publishRaw(b.body, { routingKey: b.routingKey, messageId });
          }),
        );
      }
      const cancel = await orders.publish('OrderCancelled', { orderId, reason: 'behind-the-flood' });

      // The genuine cancel is applied: recorded for the workflow, then delivered by the dispatcher, and
      // Temporal accepted it (the request signal with the cancel is in the workflow's history).
      await eventually(() => handled.find((h) => h.eventId === cancel), {
        what: 'the cancel behind the flood handled',
        timeoutMs: 90_000,
        intervalMs: 100,
      });
      expect(handled.find((h) => h.eventId === cancel)).toMatchObject({ outcome: 'signalled' });
      dispatcher = reservationWorkflowDispatcherComponent(container);
      dispatcher.start();
      const signals = await eventually(
        async () => {
          const found = await signalsIn(client, workflowId).catch(() => []);
          return found.length > 0 ? found : undefined;
        },
        { what: 'the cancel delivered to the workflow', timeoutMs: 20_000 },
      );
      expect(signals.map((s) => s.name)).toEqual(['request']);
      expect(signals[0]!.arg as WorkflowRequestSignal).toMatchObject({
        kind: 'cancel',
        reason: 'behind-the-flood',
        status: 'RESERVED',
      });

      // Every bad message is in the dead-letter queue, with the reason its kind calls for, and nothing else.
      const ch = await admin.createChannel();
      await eventually(
        async () => (await ch.checkQueue(Topology.deadLetterQueue)).messageCount >= bad.length,
        {
          what: `${bad.length} dead letters`,
          timeoutMs: 60_000,
          intervalMs: 100,
        },
      );
      expect((await ch.checkQueue(Topology.deadLetterQueue)).messageCount).toBe(bad.length);
      await ch.close();
      const dead = await EventCollector.fromQueue(vhost.url, Topology.deadLetterQueue);
      try {
        await eventually(() => dead.messages.length === bad.length, {
          what: 'dead letters read',
          timeoutMs: 30_000,
        });
        const mismatched = dead.messages.filter((m) => {
          const reason = String(m.headers[DEAD_LETTER_REASON_HEADER]);
          const want = expected.get(String(m.properties.messageId));
          return want === undefined || !want.test(reason);
        });
        expect(mismatched.map((m) => [m.properties.messageId, m.headers[DEAD_LETTER_REASON_HEADER]])).toEqual(
          [],
        );
        expect(new Set(dead.messages.map((m) => m.properties.messageId)).size).toBe(bad.length);
      } finally {
        await dead.close();
      }

      // Ready throughout: attached once, never detached, nothing left in the queue.
      expect(attached).toBe(1);
      expect(detachedSamples).toBe(0);
      expect(bridge.isConsuming).toBe(true);
      const q = await admin.createChannel();
      expect((await q.checkQueue(Topology.orderEventsQueue)).messageCount).toBe(0);
      await q.close();
    } finally {
      clearInterval(sampler);
    }
  });
});
