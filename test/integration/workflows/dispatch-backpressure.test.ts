import type { Client } from '@temporalio/client';
import type { AwilixContainer } from 'awilix';
import {
  reservationWorkflowDispatcherComponent,
  type ReservationDispatcherComponent,
} from '../../../src/container/temporal';
import { createServiceContainer, type ServiceCradle } from '../../../src/main/service';
import { reservationWorkflowId } from '../../../workflows/shared';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { eventually } from '../../support/eventually';
import { uniqueName, uniqueOrderId, uniqueSku } from '../../support/naming';
import { testConfig, testLogger } from '../messaging/harness';

jest.setTimeout(60_000);

/** Long enough that the box's own stalls between two awaited commits do not end a stream (config's maximum). */
const QUIET_MS = 1_000;
const STREAM = 24;

interface Dispatched {
  at: number;
  requests: number;
}

/**
 * WORKFLOW_DISPATCH_QUIET_MS as the worker role wires it: each reserve's commit NOTIFYs the dispatcher,
 * which notices it (SingleActiveWorker.notified → QuietGate), and while reserves stream it holds its
 * Temporal work until they stop. Real Postgres and the Temporal dev server; no worker polls the task
 * queue, so the workflows are only started (and terminated at the end).
 */
describe('the workflow-request dispatcher yields to a stream of reserves (WORKFLOW_DISPATCH_QUIET_MS)', () => {
  let db: TestDatabase;
  let container: AwilixContainer<ServiceCradle>;
  let client: Client;
  let dispatcher: ReservationDispatcherComponent;
  const dispatched: Dispatched[] = [];
  const workflows: string[] = [];
  const sku = uniqueSku('QG');

  beforeAll(async () => {
    db = await createTestDatabase('inv_dispatch_quiet');
    container = createServiceContainer(
      testConfig({
        DATABASE_URL: db.url,
        RESERVE_MODE: 'db',
        TEMPORAL_TASK_QUEUE: uniqueName('dispatch-quiet-no-worker'),
        WORKFLOW_DISPATCH_QUIET_MS: String(QUIET_MS),
        WORKFLOW_DISPATCH_MAX_DEFER_MS: '10000',
      }),
      { logger: testLogger() },
    );
    client = container.resolve('temporalClient');
    const scope = container.createScope();
    await scope.resolve('inventoryService').setLevels({ sku, onHand: 1_000 });
    await scope.dispose();
    dispatcher = reservationWorkflowDispatcherComponent(container);
    dispatcher.dispatcher.on('dispatched', ({ requests }: { requests: number }) =>
      dispatched.push({ at: performance.now(), requests }),
    );
    dispatcher.start();
  });

  afterAll(async () => {
    await dispatcher?.stop();
    for (const id of workflows)
      await client.workflow
        .getHandle(id)
        .terminate('test over')
        .catch(() => undefined);
    await container?.dispose();
    await db?.drop();
  });

  async function reserve(orderId: string): Promise<void> {
    const outcome = await container
      .resolve('orchestrator')
      .reserve({ orderId, lines: [{ sku, quantity: 1 }] });
    expect(outcome.kind).toBe('reserved');
    workflows.push(reservationWorkflowId(orderId));
  }

  async function backlog(): Promise<number> {
    const { rows } = await container
      .resolve('pgPool')
      .query<{ n: number }>('SELECT count(*)::int AS n FROM workflow_requests');
    return rows[0]!.n;
  }

  const delivered = (from: number) =>
    dispatched.filter((d) => d.at >= from).reduce((sum, d) => sum + d.requests, 0);

  it('holds a stream of reserves until no commit came for the quiet period, then delivers them together', async () => {
    const began = performance.now();
    for (let i = 0; i < STREAM; i++) await reserve(uniqueOrderId('quiet-stream'));
    const lastCommit = performance.now();
    await eventually(async () => (await backlog()) === 0, {
      timeoutMs: 30_000,
      what: 'the stream delivered',
    });

    expect(delivered(began)).toBe(STREAM);
    // Until the gate engages (the stream's first QUIET_GATE_STREAM_COMMITS commits) a pass may go out
    // at once; after that, nothing before the quiet period that follows the last commit.
    const early = delivered(began) - delivered(lastCommit + QUIET_MS);
    expect(early).toBeLessThanOrEqual(STREAM / 2);
    // The last request (committed at the end of the stream) left only after the quiet period.
    expect(dispatched.at(-1)!.at - lastCommit).toBeGreaterThanOrEqual(QUIET_MS);
  });

  it('delivers a lone reserve at once, without waiting for a quiet period', async () => {
    // After the stream above: its last commit is more than the quiet period ago, and the client is connected.
    const began = performance.now();
    await reserve(uniqueOrderId('quiet-lone'));
    await eventually(async () => (await backlog()) === 0, {
      timeoutMs: 20_000,
      what: 'the lone request delivered',
    });
    expect(delivered(began)).toBe(1);
    // A gate that held it would have waited the quiet period after its commit.
    expect(dispatched.at(-1)!.at - began).toBeLessThan(QUIET_MS);
  });
});
