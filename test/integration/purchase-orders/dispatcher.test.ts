import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { AwilixContainer } from 'awilix';
import { Client as PgClient } from 'pg';
import pino from 'pino';
import { ReplenishmentDispatcher } from '../../../src/adapters/temporal/ReplenishmentDispatcher';
import { createReservationWorker, type ReservationWorker } from '../../../src/adapters/temporal/worker';
import type { InventoryService } from '../../../src/application/InventoryService';
import type { BaseCradle } from '../../../src/container/base';
import type { PersistenceCradle } from '../../../src/container/persistence';
import { replenishmentWorkerOverrides } from '../../../src/container/replenishment';
import { registerTemporal, type TemporalCradle } from '../../../src/container/temporal';
import type { replenishmentWorkflow } from '../../../workflows/replenishment';
import {
  replenishmentStatusQuery,
  replenishmentWorkflowId,
  ReplenishmentSearchAttributeKeys,
} from '../../../workflows/replenishmentShared';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { eventually } from '../../support/eventually';
import { uniqueOrderId, uniqueSku } from '../../support/naming';
import { bundleWorkflows, createDevServerEnv, uniqueTaskQueue } from '../../support/temporal';
import { persistenceContainer, testConfig } from '../workflows/support';

jest.setTimeout(90_000);

type Cradle = BaseCradle & PersistenceCradle & TemporalCradle;

const REMINDER_SECONDS = 2;
/** Long enough that no reminder check can close a request before the test's own signal does. */
const NO_REMINDER_SECONDS = 3600;

interface RequestRow {
  id: string;
  status: string;
  reminders_sent: number;
  workflow_started_at: Date | null;
  workflow_closed_at: Date | null;
}

/**
 * The dispatcher against the dev server, with the worker composed as the service composes it (the
 * reservation worker plus the replenishment activity) on a task queue of this file's own.
 */
describe('ReplenishmentDispatcher on the dev server with real activities and Postgres', () => {
  let env: TestWorkflowEnvironment;
  let db: TestDatabase;
  let container: AwilixContainer<Cradle>;
  let client: Client;
  let worker: ReservationWorker;
  let running: Promise<void>;
  let pg: PgClient;
  let taskQueue: string;
  const dispatchers: ReplenishmentDispatcher[] = [];

  function dispatcher(reminderSeconds = NO_REMINDER_SECONDS): ReplenishmentDispatcher {
    const d = new ReplenishmentDispatcher({
      databaseUrl: db.url,
      client,
      taskQueue,
      reminderSeconds,
      logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      pollIntervalMs: 200,
      retryBackoff: { initialMs: 50, maxMs: 500 },
    });
    dispatchers.push(d);
    d.start();
    return d;
  }

  beforeAll(async () => {
    env = await createDevServerEnv();
    db = await createTestDatabase('inv_podisp');
    taskQueue = uniqueTaskQueue('replenishment');
    container = registerTemporal(persistenceContainer(testConfig(db.url, taskQueue)));
    client = container.resolve('temporalClient');
    worker = await createReservationWorker({
      container,
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      workflowBundle: await bundleWorkflows(require.resolve('../../../workflows')),
      ...replenishmentWorkerOverrides(container),
    });
    running = worker.run();
    pg = new PgClient({ connectionString: db.url });
    await pg.connect();
  });

  afterAll(async () => {
    for (const d of dispatchers) await d.stop();
    await worker?.shutdown();
    await running;
    await pg?.end();
    await container?.dispose();
    await env?.teardown();
    await db?.drop();
  });

  afterEach(async () => {
    for (const d of dispatchers.splice(0)) await d.stop();
  });

  async function withService<T>(fn: (service: InventoryService) => Promise<T>): Promise<T> {
    const scope = container.createScope();
    try {
      return await fn(scope.resolve('inventoryService'));
    } finally {
      await scope.dispose();
    }
  }

  async function reserve(sku: string, count: number): Promise<void> {
    const outcomes = await withService((s) =>
      Promise.all(
        Array.from({ length: count }, () =>
          s.reserve({ orderId: uniqueOrderId('pd'), lines: [{ sku, quantity: 1 }] }),
        ),
      ),
    );
    expect(outcomes.every((o) => o.kind === 'reserved')).toBe(true);
  }

  const requestsOf = async (sku: string) =>
    (
      await pg.query<RequestRow>(
        `SELECT id, status, reminders_sent, workflow_started_at, workflow_closed_at
           FROM purchase_order_requests WHERE sku = $1 ORDER BY requested_at, id`,
        [sku],
      )
    ).rows;

  const handleOf = (sku: string) =>
    client.workflow.getHandle<typeof replenishmentWorkflow>(replenishmentWorkflowId(sku));

  /** Every run of the SKU's workflow, from visibility. */
  async function runsOf(sku: string): Promise<string[]> {
    const runs: string[] = [];
    for await (const execution of client.workflow.list({
      query: `WorkflowId = '${replenishmentWorkflowId(sku)}'`,
    })) {
      runs.push(execution.runId);
    }
    return runs;
  }

  /** How many `opened` signals a run received (signalWithStart included). */
  async function openedSignals(sku: string, runId?: string): Promise<number> {
    const history = await client.workflow.getHandle(replenishmentWorkflowId(sku), runId).fetchHistory();
    return (history.events ?? []).filter(
      (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'opened',
    ).length;
  }

  it('starts the workflow exactly once for 50 concurrent reservations crossing the threshold, closes it after replenishment, starts a new run for the next crossing', async () => {
    const sku = uniqueSku('PD');
    await withService((s) => s.setLevels({ sku, onHand: 60, safetyStock: 30, reorderQuantity: 10 }));
    // Two processes' dispatchers: one active, one standby.
    const [a, b] = [dispatcher(), dispatcher()];
    await eventually(() => [a.state, b.state].sort().join() === 'active,standby', {
      what: 'one active dispatcher',
    });

    await reserve(sku, 50);

    const [request] = await eventually(
      async () => {
        const rows = await requestsOf(sku);
        return rows[0]?.workflow_started_at ? rows : undefined;
      },
      { what: 'workflow_started_at set', timeoutMs: 10_000 },
    );
    expect(await handleOf(sku).query(replenishmentStatusQuery)).toMatchObject({
      sku,
      phase: 'OPEN',
      requestId: request!.id,
    });
    const firstRun = (await handleOf(sku).describe()).runId;
    expect(await openedSignals(sku)).toBe(1);
    await eventually(async () => ((await runsOf(sku)).length === 1 ? true : undefined), {
      what: 'one run listed',
    });

    // Searchable in the Web UI: ReplenishmentStatus="OPEN".
    const listed = await eventually(
      async () => {
        for await (const e of client.workflow.list({
          query: `ReplenishmentStatus = 'OPEN' AND ReplenishmentSku = '${sku}'`,
        })) {
          return e;
        }
        return undefined;
      },
      { what: 'visible as ReplenishmentStatus=OPEN', timeoutMs: 10_000 },
    );
    expect(listed.runId).toBe(firstRun);

    await withService((s) => s.replenish({ sku, quantity: 40 }));

    const result = await handleOf(sku).result();
    expect(result).toMatchObject({ sku, requestId: request!.id, closedBy: 'signal' });
    const closed = await eventually(
      async () => {
        const rows = await requestsOf(sku);
        return rows[0]?.workflow_closed_at ? rows[0] : undefined;
      },
      { what: 'workflow_closed_at set' },
    );
    expect(closed.status).toBe('CLOSED');
    const attrs = (await handleOf(sku).describe()).typedSearchAttributes;
    expect(attrs.get(ReplenishmentSearchAttributeKeys.status)).toBe('CLOSED');

    // The next crossing (50 → 29) opens a new request and starts a new run, once.
    await reserve(sku, 21);
    const rows = await eventually(
      async () => {
        const r = await requestsOf(sku);
        return r[1]?.workflow_started_at ? r : undefined;
      },
      { what: 'second request started' },
    );
    expect(rows.map((r) => r.status)).toEqual(['CLOSED', 'OPEN']);
    const secondRun = (await handleOf(sku).describe()).runId;
    expect(secondRun).not.toBe(firstRun);
    expect(await handleOf(sku).query(replenishmentStatusQuery)).toMatchObject({ requestId: rows[1]!.id });
    expect(await openedSignals(sku, secondRun)).toBe(1);
    await eventually(async () => ((await runsOf(sku)).length === 2 ? true : undefined), {
      what: 'two runs listed',
    });

    await withService((s) => s.replenish({ sku, quantity: 100 }));
    expect(await handleOf(sku).result()).toMatchObject({ requestId: rows[1]!.id, closedBy: 'signal' });
  });

  it('a request committed while no dispatcher runs (a crash right after the commit) still gets its workflow', async () => {
    const sku = uniqueSku('PC');
    await withService((s) => s.setLevels({ sku, onHand: 5, safetyStock: 10 }));
    const [request] = await requestsOf(sku);
    expect(request).toMatchObject({ status: 'OPEN', workflow_started_at: null });
    await expect(handleOf(sku).describe()).rejects.toThrow();

    // The active dispatcher dies; the standby takes over and works through the backlog.
    const a = dispatcher();
    await a.waitUntil('active');
    await a.stop();
    const b = dispatcher();
    await b.waitUntil('active');

    await eventually(async () => ((await requestsOf(sku))[0]?.workflow_started_at ? true : undefined), {
      what: 'workflow started by the new dispatcher',
    });
    expect(await handleOf(sku).query(replenishmentStatusQuery)).toMatchObject({ requestId: request!.id });

    // Closed while no dispatcher runs: the close is not lost either.
    await b.stop();
    await withService((s) => s.setLevels({ sku, onHand: 20 }));
    expect((await requestsOf(sku))[0]).toMatchObject({ status: 'CLOSED', workflow_closed_at: null });
    dispatcher();
    const result = await handleOf(sku).result();
    expect(result.requestId).toBe(request!.id);
    await eventually(async () => ((await requestsOf(sku))[0]?.workflow_closed_at ? true : undefined), {
      what: 'workflow_closed_at set',
    });
  });

  it('publishes reminders through the real activity every period until the request closes', async () => {
    const sku = uniqueSku('PM');
    dispatcher(REMINDER_SECONDS);
    await withService((s) => s.setLevels({ sku, onHand: 1, safetyStock: 3, reorderQuantity: 2 }));
    const [request] = await requestsOf(sku);

    const reminders = await eventually(
      async () => {
        const { rows } = await pg.query<{
          data: { reminder?: number; requestId: string; available: number };
        }>(
          `SELECT payload->'data' AS data FROM outbox_events
          WHERE event_type = 'PurchaseOrderRequested' AND partition_key = $1 AND payload->'data' ? 'reminder'
          ORDER BY id`,
          [sku],
        );
        return rows.length >= 2 ? rows.map((r) => r.data) : undefined;
      },
      { what: 'two reminders', timeoutMs: 15_000 },
    );
    expect(reminders.slice(0, 2)).toEqual([
      expect.objectContaining({ requestId: request!.id, reminder: 1, available: 1, quantity: 4 }),
      expect.objectContaining({ requestId: request!.id, reminder: 2 }),
    ]);
    expect((await requestsOf(sku))[0]!.reminders_sent).toBeGreaterThanOrEqual(2);

    await withService((s) => s.replenish({ sku, quantity: 5 }));
    const result = await handleOf(sku).result();
    expect(result).toMatchObject({ requestId: request!.id });
    expect(result.remindersSent).toBeGreaterThanOrEqual(2);
  });
});
