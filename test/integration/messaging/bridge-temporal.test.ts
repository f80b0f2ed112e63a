import type { Client } from '@temporalio/client';
import type { AwilixContainer } from 'awilix';
import type { HandledMessage, OrderEventsBridge } from '../../../src/adapters/rabbitmq/OrderEventsBridge';
import type { Component } from '../../../src/container/lifecycle';
import { orderEventsBridgeComponent } from '../../../src/container/messaging';
import {
  reservationWorkflowDispatcherComponent,
  type ReservationDispatcherComponent,
} from '../../../src/container/temporal';
import { reservationWorkflowId, type WorkflowRequestSignal } from '../../../workflows/shared';
import { createTestVhost, type TestVhost } from '../../support/amqp';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { eventually } from '../../support/eventually';
import { uniqueName, uniqueOrderId, uniqueSku } from '../../support/naming';
import { OrderEventsPublisher } from '../../support/orderEvents';
import { signalsIn } from '../../support/temporal';
import { createServiceContainer, type ServiceCradle } from '../../../src/main/service';
import { testConfig, testLogger } from './harness';

jest.setTimeout(60_000);

/**
 * The bridge as the bridge and worker roles run it, through to Temporal: the container's orderSignals
 * record order-service's decision in Postgres, and the workflow-request dispatcher delivers it as the
 * `request` signal to reservation-<orderId>. No worker polls the task queue, so what Temporal accepted
 * stays in each workflow's history for the assertions. (The saga with a worker: reservation-saga and
 * the e2e suites.)
 */
describe('OrderEventsBridge → order decisions → dispatcher → reservation workflow (real Temporal dev server)', () => {
  let db: TestDatabase;
  let vhost: TestVhost;
  let container: AwilixContainer<ServiceCradle>;
  let client: Client;
  let bridge: OrderEventsBridge;
  let bridgeComponent: Component;
  let dispatcher: ReservationDispatcherComponent;
  let orders: OrderEventsPublisher;
  const handled: HandledMessage[] = [];
  const workflows: string[] = [];
  const sku = uniqueSku('BRT');

  const outcomeOf = (eventId: string) =>
    eventually(() => handled.find((h) => h.eventId === eventId && h.outcome !== 'retried'), {
      timeoutMs: 10_000,
      what: `final outcome of ${eventId}`,
    });

  /** An open reservation of one unit, made as the HTTP reserve makes it (RESERVE_MODE=db). */
  async function reserve(orderId: string): Promise<void> {
    const outcome = await container
      .resolve('orchestrator')
      .reserve({ orderId, lines: [{ sku, quantity: 1 }] });
    expect(outcome.kind).toBe('reserved');
    workflows.push(reservationWorkflowId(orderId));
  }

  /** The `request` signals Temporal accepted for the order, in order; waits until the dispatcher caught up. */
  async function requestsTo(orderId: string): Promise<WorkflowRequestSignal[]> {
    await eventually(
      async () =>
        (
          await container
            .resolve('pgPool')
            .query('SELECT 1 FROM workflow_requests WHERE order_id = $1', [orderId])
        ).rowCount === 0,
      { timeoutMs: 20_000, what: `the workflow requests of ${orderId} delivered` },
    );
    const signals = await signalsIn(client, reservationWorkflowId(orderId));
    expect(signals.map((s) => s.name)).toEqual(signals.map(() => 'request'));
    return signals.map((s) => s.arg as WorkflowRequestSignal);
  }

  beforeAll(async () => {
    db = await createTestDatabase('inv_bridge_t');
    vhost = await createTestVhost('inv_bridge_t');
    // The container a service process builds (src/main/service.ts); the test starts the bridge and
    // dispatcher components the bridge and worker roles start.
    container = createServiceContainer(
      testConfig({
        DATABASE_URL: db.url,
        AMQP_URL: vhost.url,
        RESERVE_MODE: 'db',
        TEMPORAL_TASK_QUEUE: uniqueName('bridge-no-worker'),
      }),
      { logger: testLogger() },
    );
    client = container.resolve('temporalClient');
    const scope = container.createScope();
    await scope.resolve('inventoryService').setLevels({ sku, onHand: 100 });
    await scope.dispose();

    bridge = container.resolve('orderEventsBridge');
    bridge.on('handled', (h: HandledMessage) => handled.push(h));
    bridgeComponent = orderEventsBridgeComponent(container);
    await bridgeComponent.start();
    await bridge.waitUntilConsuming();
    dispatcher = reservationWorkflowDispatcherComponent(container);
    dispatcher.start();
    orders = await OrderEventsPublisher.open(vhost.url);
  });

  afterAll(async () => {
    await bridgeComponent?.stop();
    await dispatcher?.stop();
    for (const id of workflows)
      await client.workflow
        .getHandle(id)
        .terminate('test over')
        .catch(() => undefined);
    await orders?.close();
    await container?.dispose();
    await vhost?.drop();
    await db?.drop();
  });

  it('OrderConfirmed of an open reservation is recorded, acknowledged, and reaches its workflow as one confirm', async () => {
    const orderId = uniqueOrderId('bridge-t');
    await reserve(orderId);
    const eventId = await orders.publish('OrderConfirmed', { orderId });
    expect(await outcomeOf(eventId)).toMatchObject({ outcome: 'signalled' });
    const requests = await requestsTo(orderId);
    expect(requests.filter((r) => r.kind === 'confirm')).toHaveLength(1);
    expect(requests.every((r) => r.kind === 'start' || r.kind === 'confirm')).toBe(true);
    expect(requests.at(-1)).toMatchObject({ status: 'RESERVED', skus: [sku] });
  });

  it('OrderCancelled reaches the workflow once with its reason; a duplicate is acknowledged and not delivered again', async () => {
    const orderId = uniqueOrderId('bridge-t');
    await reserve(orderId);
    const eventId = await orders.publish('OrderCancelled', { orderId, reason: 'payment-failed' });
    expect(await outcomeOf(eventId)).toMatchObject({ outcome: 'signalled' });
    await orders.publish('OrderCancelled', { orderId, reason: 'payment-failed' }, { eventId });
    await eventually(() => handled.filter((h) => h.eventId === eventId).length === 2, {
      what: 'the duplicate handled',
    });
    expect(handled.filter((h) => h.eventId === eventId)[1]).toMatchObject({ outcome: 'duplicate' });
    const requests = await requestsTo(orderId);
    expect(requests.filter((r) => r.kind === 'cancel')).toEqual([
      expect.objectContaining({ kind: 'cancel', reason: 'payment-failed' }),
    ]);
  });

  it('a cancel before any reservation is recorded as no-workflow, starts nothing, and the later reserve gets 410', async () => {
    const orderId = uniqueOrderId('early');
    const eventId = await orders.publish('OrderCancelled', { orderId, reason: 'capi-timeout' });
    expect(await outcomeOf(eventId)).toMatchObject({ outcome: 'no-workflow' });
    const processed = await container
      .resolve('prisma')
      .processedMessage.findUnique({ where: { messageId: eventId } });
    expect(processed).toMatchObject({ outcome: 'no-workflow', messageType: 'OrderCancelled' });

    const outcome = await container
      .resolve('orchestrator')
      .reserve({ orderId, lines: [{ sku, quantity: 1 }] });
    expect(outcome.kind).toBe('reservation-closed');
    await expect(client.workflow.getHandle(reservationWorkflowId(orderId)).describe()).rejects.toThrow(
      /not found/i,
    );
  });
});
