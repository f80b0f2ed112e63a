import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { AwilixContainer } from 'awilix';
import type { Client as PgClient } from 'pg';
import type { BaseCradle } from '../../../src/container/base';
import type { PersistenceCradle } from '../../../src/container/persistence';
import { registerTemporal, type TemporalCradle } from '../../../src/container/temporal';
import type { reservationWorkflow } from '../../../workflows/reservation';
import { reservationWorkflowId } from '../../../workflows/shared';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { uniqueOrderId, uniqueSku } from '../../support/naming';
import { createDevServerEnv, uniqueTaskQueue } from '../../support/temporal';
import { eventually } from '../../workflows/support/harness';
import { Ledger, persistenceContainer, seedStock, testConfig } from './support';

jest.setTimeout(120_000);

const ROOT = join(__dirname, '..', '..', '..');

/**
 * src/main/worker.ts run by tsx (what `npx tsx` runs, minus npm's wrapper, which does not forward
 * SIGTERM), in its own process group so that SIGKILL takes tsx and its node child down together.
 */
class WorkerProcess {
  private output = '';
  private exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcess) {
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static async start(env: NodeJS.ProcessEnv): Promise<WorkerProcess> {
    const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), ['src/main/worker.ts'], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const worker = new WorkerProcess(child);
    await eventually(
      () => (worker.output.includes('worker ready') ? true : undefined),
      `the worker process to be ready; output so far:\n${worker.output}`,
      60_000,
      100,
    ).catch(async (error: unknown) => {
      worker.kill('SIGKILL');
      throw new Error(`${String(error)}\n${worker.output}`);
    });
    return worker;
  }

  /** SIGKILL goes to the whole group (nothing survives); other signals to tsx, which relays them. */
  kill(signal: NodeJS.Signals): void {
    if (this.child.pid && this.child.exitCode === null && this.child.signalCode === null) {
      process.kill(signal === 'SIGKILL' ? -this.child.pid : this.child.pid, signal);
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    this.kill(signal);
    return this.exited;
  }

  get log(): string {
    return this.output;
  }
}

type Cradle = BaseCradle & PersistenceCradle & TemporalCradle;

describe('worker process killed in the middle of a reservation', () => {
  let env: TestWorkflowEnvironment;
  let db: TestDatabase;
  let container: AwilixContainer<Cradle>;
  let client: Client;
  let ledger: Ledger;
  let taskQueue: string;
  let childEnv: NodeJS.ProcessEnv;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    env = await createDevServerEnv();
    db = await createTestDatabase('inv_crash');
    taskQueue = uniqueTaskQueue('crash');
    container = registerTemporal(
      persistenceContainer(testConfig(db.url, taskQueue, { RESERVE_MODE: 'workflow' })),
    );
    client = container.resolve('temporalClient');
    ledger = await Ledger.open(db.url);
    childEnv = {
      DATABASE_URL: db.url,
      RESERVE_MODE: 'workflow',
      TEMPORAL_TASK_QUEUE: taskQueue,
      TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
      LOG_LEVEL: 'info',
      OTEL_SDK_DISABLED: 'true',
      SHUTDOWN_GRACE_MS: '2000',
      // Its ops listener on any free port: never the default one another process may hold.
      OPS_PORT: '0',
    };
  });

  afterAll(async () => {
    for (const w of workers) await w.stop('SIGKILL');
    await ledger?.close();
    await container?.dispose();
    await env?.teardown();
    await db?.drop();
  });

  async function startWorker(): Promise<WorkerProcess> {
    const worker = await WorkerProcess.start(childEnv);
    workers.push(worker);
    return worker;
  }

  const handleOf = (orderId: string) =>
    client.workflow.getHandle<typeof reservationWorkflow>(reservationWorkflowId(orderId));

  /** Holds the SKU's stock row so that the next settle blocks inside its transaction. */
  async function lockStockRow(pg: PgClient, sku: string): Promise<() => Promise<void>> {
    await pg.query('BEGIN');
    await pg.query('SELECT 1 FROM stock_levels WHERE sku = $1 FOR UPDATE', [sku]);
    return async () => {
      await pg.query('ROLLBACK');
    };
  }

  /** A backend of the test database waiting for a row lock: the activity is inside its transaction. */
  async function activityBlockedOnLock(pg: PgClient): Promise<boolean> {
    const { rows } = await pg.query(
      `SELECT 1 FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`,
    );
    return rows.length > 0;
  }

  it('applies the cancel exactly once when the worker dies inside the release transaction', async () => {
    const sku = uniqueSku('CRASH');
    await seedStock(container, sku, 10);
    const orderId = uniqueOrderId();
    const first = await startWorker();

    const reserved = await container
      .resolve('orchestrator')
      .reserve({ orderId, lines: [{ sku, quantity: 3 }] });
    expect(reserved.kind).toBe('reserved');

    const locker = await Ledger.open(db.url);
    const unlock = await lockStockRow(locker.client, sku);
    try {
      expect(await container.resolve('orderSignals').cancel(orderId)).toBe('signalled');
      await eventually(
        async () => ((await activityBlockedOnLock(ledger.client)) ? true : undefined),
        'the release activity to block on the row lock',
        20_000,
      );
      await first.stop('SIGKILL');
    } finally {
      await unlock();
      await locker.close();
    }

    // The killed transaction rolled back: nothing was released, and nothing happens without a worker.
    expect(await ledger.reservationStatus(orderId)).toBe('RESERVED');
    expect(await ledger.level(sku)).toEqual({ onHand: 10, reserved: 3 });

    const second = await startWorker();
    const result = await handleOf(orderId).result();

    expect(result).toMatchObject({ phase: 'RELEASED', releaseReason: 'cancelled' });
    expect(await ledger.level(sku)).toEqual({ onHand: 10, reserved: 0 });
    expect(await ledger.movements(orderId)).toEqual([
      { sku, type: 'RESERVE', quantity: 3, reason: null },
      { sku, type: 'RELEASE', quantity: 3, reason: 'cancelled' },
    ]);
    // Graceful shutdown: SIGTERM drains the worker and the process exits 0.
    expect(await second.stop('SIGTERM')).toBe(0);
    expect(second.log).toContain('shutting down the reservation worker');
  });

  it('expires a reservation whose TTL passed while no worker ran, once, and shows it as stuck meanwhile', async () => {
    const sku = uniqueSku('CRASH');
    await seedStock(container, sku, 10);
    const orderId = uniqueOrderId();
    const first = await startWorker();
    await container
      .resolve('orchestrator')
      .reserve({ orderId, lines: [{ sku, quantity: 2 }], ttlSeconds: 1 });
    await first.stop('SIGKILL');

    // The operator's query for stuck reservations (README) finds it once the expiry has passed.
    await eventually(
      async () => {
        const now = new Date().toISOString();
        const query = `WorkflowId = '${reservationWorkflowId(orderId)}' AND ReservationStatus = 'RESERVED' AND ReservationExpiresAt < '${now}'`;
        for await (const execution of client.workflow.list({ query })) return execution.workflowId;
        return undefined;
      },
      'the stuck-reservation query to list the workflow',
      20_000,
      250,
    );
    expect(await ledger.level(sku)).toEqual({ onHand: 10, reserved: 2 });

    await startWorker();
    const result = await handleOf(orderId).result();

    expect(result).toMatchObject({ phase: 'RELEASED', releaseReason: 'expired' });
    expect(await ledger.movements(orderId)).toEqual([
      { sku, type: 'RESERVE', quantity: 2, reason: null },
      { sku, type: 'RELEASE', quantity: 2, reason: 'expired' },
    ]);
  });
});
