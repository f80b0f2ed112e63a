import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { AwilixContainer } from 'awilix';
import { ReservationOrchestrationError } from '../../../src/adapters/temporal/errors';
import { createReservationWorker } from '../../../src/adapters/temporal/worker';
import type { BaseCradle } from '../../../src/container/base';
import type { PersistenceCradle } from '../../../src/container/persistence';
import { registerTemporal, type TemporalCradle } from '../../../src/container/temporal';
import type { reservationWorkflow } from '../../../workflows/reservation';
import { reservationWorkflowId } from '../../../workflows/shared';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { uniqueOrderId, uniqueSku } from '../../support/naming';
import { bundleWorkflows, createDevServerEnv, uniqueTaskQueue } from '../../support/temporal';
import { Ledger, persistenceContainer, seedStock, testConfig } from './support';

jest.setTimeout(90_000);

type Cradle = BaseCradle & PersistenceCradle & TemporalCradle;
const DEADLINE_MS = 1_500;

/**
 * RESERVE_MODE=workflow with no worker polling the task queue (issue 14, defects 1 and 4): the caller
 * gets a prompt 503-class error instead of waiting for a worker, and when a worker does pick the
 * update up later, the reserve activity refuses the expired command: nothing is reserved for a caller
 * that was told it failed.
 */
describe('a workflow-mode reserve that no worker picks up in time', () => {
  let env: TestWorkflowEnvironment;
  let db: TestDatabase;
  let container: AwilixContainer<Cradle>;
  let client: Client;
  let ledger: Ledger;
  let taskQueue: string;

  beforeAll(async () => {
    env = await createDevServerEnv();
    db = await createTestDatabase('inv_deadline');
    taskQueue = uniqueTaskQueue('deadline');
    container = registerTemporal(
      persistenceContainer(
        testConfig(db.url, taskQueue, { RESERVE_MODE: 'workflow', REQUEST_DEADLINE_MS: String(DEADLINE_MS) }),
      ),
    );
    client = container.resolve('temporalClient');
    ledger = await Ledger.open(db.url);
  });

  afterAll(async () => {
    await ledger?.close();
    await container?.dispose();
    await env?.teardown();
    await db?.drop();
  });

  it('answers transient past the deadline, and the late update takes no stock', async () => {
    const sku = uniqueSku('DL');
    await seedStock(container, sku, 5);
    const orderId = uniqueOrderId('deadline');

    const startedAt = Date.now();
    const error = await container
      .resolve('orchestrator')
      .reserve({ orderId, lines: [{ sku, quantity: 2 }] })
      .catch((e: unknown) => e);
    const waited = Date.now() - startedAt;
    expect(error).toBeInstanceOf(ReservationOrchestrationError);
    expect(error).toMatchObject({ transient: true });
    // It waited for the deadline, not for a worker (bounded loosely: this is about not hanging).
    expect(waited).toBeGreaterThanOrEqual(DEADLINE_MS);
    expect(waited).toBeLessThan(DEADLINE_MS + 15_000);

    // A worker comes up and runs the update that was waiting: the activity refuses it.
    const worker = await createReservationWorker({
      container,
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      workflowBundle: await bundleWorkflows(require.resolve('../../../workflows')),
    });
    const running = worker.run();
    try {
      const result = await client.workflow
        .getHandle<typeof reservationWorkflow>(reservationWorkflowId(orderId))
        .result();
      expect(result).toMatchObject({ phase: 'REJECTED', reservation: null });
      expect(await ledger.movements(orderId)).toEqual([]);
      expect(await ledger.level(sku)).toEqual({ onHand: 5, reserved: 0 });
      expect(await ledger.reservationStatus(orderId)).toBeUndefined();
    } finally {
      worker.shutdown();
      await running;
    }
  });

  it('answers a release transient past the deadline, and the late update releases nothing', async () => {
    const [held, other] = [uniqueSku('DLA'), uniqueSku('DLB')];
    await seedStock(container, held, 5);
    await seedStock(container, other, 5);
    const orderId = uniqueOrderId('deadline-release');
    const orchestrator = container.resolve('orchestrator');
    const workflowBundle = await bundleWorkflows(require.resolve('../../../workflows'));
    const startWorker = async () => {
      const worker = await createReservationWorker({
        container,
        connection: env.nativeConnection,
        namespace: env.namespace ?? 'default',
        taskQueue,
        workflowBundle,
      });
      const running = worker.run();
      return async () => {
        worker.shutdown();
        await running;
      };
    };

    let stop = await startWorker();
    await expect(
      orchestrator.reserve({
        orderId,
        lines: [
          { sku: held, quantity: 2 },
          { sku: other, quantity: 1 },
        ],
      }),
    ).resolves.toMatchObject({ kind: 'reserved', created: true });
    await stop();

    // No worker: the release's update waits in Temporal past the caller's deadline.
    const error = await orchestrator
      .release({ orderId, sku: held, reason: 'released' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReservationOrchestrationError);
    expect(error).toMatchObject({ transient: true });

    stop = await startWorker();
    try {
      // The updates run in the order Temporal took them in: the late one first, then this one.
      await expect(orchestrator.release({ orderId, sku: other, reason: 'released' })).resolves.toMatchObject({
        kind: 'released',
        changed: true,
      });
      expect(await ledger.movements(orderId)).toEqual([
        expect.objectContaining({ sku: held, type: 'RESERVE', quantity: 2 }),
        expect.objectContaining({ sku: other, type: 'RESERVE', quantity: 1 }),
        expect.objectContaining({ sku: other, type: 'RELEASE', quantity: 1 }),
      ]);
      expect(await ledger.level(held)).toEqual({ onHand: 5, reserved: 2 });
      expect(await ledger.reservationStatus(orderId)).toBe('RESERVED');
      // A release within its deadline still goes through.
      await expect(orchestrator.release({ orderId, sku: held, reason: 'released' })).resolves.toMatchObject({
        kind: 'released',
        changed: true,
      });
    } finally {
      await stop();
    }
  });
});
