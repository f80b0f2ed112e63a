import { Client, Connection } from '@temporalio/client';
import type { AwilixContainer } from 'awilix';
import { AmqpConnection } from '../../../src/adapters/rabbitmq/AmqpConnection';
import { OrderEventsBridge, type HandledMessage } from '../../../src/adapters/rabbitmq/OrderEventsBridge';
import { PrismaProcessedMessageStore } from '../../../src/adapters/postgres/ProcessedMessageStore';
import { TemporalOrderSignals } from '../../support/TemporalOrderSignals';
import { HandleOrderEvent } from '../../../src/application/HandleOrderEvent';
import type { BaseCradle } from '../../../src/container/base';
import { createPersistenceContainer, type PersistenceCradle } from '../../../src/container/persistence';
import { RESERVATION_WORKFLOW_TYPE, reservationWorkflowId } from '../../../workflows/shared';
import { createTestVhost, type TestVhost } from '../../support/amqp';
import { createTestDatabase, requireEnv, type TestDatabase } from '../../support/db';
import { eventually } from '../../support/eventually';
import { uniqueName, uniqueOrderId } from '../../support/naming';
import { OrderEventsPublisher } from '../../support/orderEvents';
import { testConfig, testLogger } from './harness';

jest.setTimeout(30_000);

/**
 * The bridge with the real Temporal adapter against the dev server. A workflow started on a task queue
 * no worker polls is enough to prove "ack only after Temporal accepted the signal": the signal lands in
 * its history. (The full saga, with the worker, is the HTTP-driven end-to-end test.)
 */
describe('OrderEventsBridge → TemporalOrderSignals (real Temporal dev server)', () => {
  let db: TestDatabase;
  let vhost: TestVhost;
  let container: AwilixContainer<BaseCradle & PersistenceCradle>;
  let temporal: Connection;
  let client: Client;
  let connection: AmqpConnection;
  let bridge: OrderEventsBridge;
  let orders: OrderEventsPublisher;
  const handled: HandledMessage[] = [];
  const started: string[] = [];
  const taskQueue = uniqueName('bridge-no-worker');

  const outcomeOf = (eventId: string) =>
    eventually(() => handled.find((h) => h.eventId === eventId && h.outcome !== 'retried'), {
      timeoutMs: 10_000,
      what: `final outcome of ${eventId}`,
    });

  beforeAll(async () => {
    db = await createTestDatabase('inv_bridge_t');
    vhost = await createTestVhost('inv_bridge_t');
    container = createPersistenceContainer(
      testConfig({ DATABASE_URL: db.url, AMQP_URL: vhost.url }),
      testLogger(),
    );
    temporal = await Connection.connect({ address: requireEnv('TEMPORAL_ADDRESS') });
    client = new Client({ connection: temporal, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
    connection = new AmqpConnection({ url: vhost.url, name: 'test bridge (temporal)', logger: testLogger() });
    bridge = new OrderEventsBridge({
      connection,
      handleOrderEvent: new HandleOrderEvent({
        orderSignals: new TemporalOrderSignals({ client }),
        processed: new PrismaProcessedMessageStore(container.resolve('prisma')),
      }),
      logger: testLogger(),
    });
    bridge.on('handled', (h: HandledMessage) => handled.push(h));
    bridge.start();
    await bridge.waitUntilConsuming();
    orders = await OrderEventsPublisher.open(vhost.url);
  });

  afterAll(async () => {
    for (const id of started)
      await client.workflow
        .getHandle(id)
        .terminate('test over')
        .catch(() => undefined);
    await bridge?.stop();
    await connection?.close();
    await orders?.close();
    await temporal?.close();
    await container?.dispose();
    await vhost?.drop();
    await db?.drop();
  });

  async function startIdleWorkflow(orderId: string): Promise<string> {
    const workflowId = reservationWorkflowId(orderId);
    await client.workflow.start(RESERVATION_WORKFLOW_TYPE, { taskQueue, workflowId, args: [] });
    started.push(workflowId);
    return workflowId;
  }

  async function signalsIn(workflowId: string): Promise<string[]> {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    return (history.events ?? [])
      .map((e) => e.workflowExecutionSignaledEventAttributes?.signalName)
      .filter((name): name is string => typeof name === 'string');
  }

  it('OrderConfirmed signals confirm to reservation-<orderId> before the message is acknowledged', async () => {
    const orderId = uniqueOrderId('bridge-t');
    const workflowId = await startIdleWorkflow(orderId);
    const eventId = await orders.publish('OrderConfirmed', { orderId });
    expect(await outcomeOf(eventId)).toMatchObject({ outcome: 'signalled' });
    expect(await signalsIn(workflowId)).toEqual(['confirm']);
  });

  it('OrderCancelled signals cancel; a duplicate does not signal twice', async () => {
    const orderId = uniqueOrderId('bridge-t');
    const workflowId = await startIdleWorkflow(orderId);
    const eventId = await orders.publish('OrderCancelled', { orderId, reason: 'payment-failed' });
    await outcomeOf(eventId);
    await orders.publish('OrderCancelled', { orderId, reason: 'payment-failed' }, { eventId });
    await eventually(() => handled.filter((h) => h.eventId === eventId).length === 2);
    expect(await signalsIn(workflowId)).toEqual(['cancel']);
  });

  it('an order with no workflow, or a finished one, is acknowledged and recorded as no-workflow', async () => {
    const missing = await orders.publish('OrderCancelled', { orderId: uniqueOrderId('never') });
    expect(await outcomeOf(missing)).toMatchObject({ outcome: 'no-workflow' });

    const orderId = uniqueOrderId('bridge-t');
    const workflowId = await startIdleWorkflow(orderId);
    await client.workflow.getHandle(workflowId).terminate('finished before the event');
    const late = await orders.publish('OrderConfirmed', { orderId });
    expect(await outcomeOf(late)).toMatchObject({ outcome: 'no-workflow' });
    const row = await container.resolve('prisma').processedMessage.findUnique({ where: { messageId: late } });
    expect(row).toMatchObject({ outcome: 'no-workflow', messageType: 'OrderConfirmed' });
  });
});
