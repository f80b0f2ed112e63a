import { EventEmitter } from 'node:events';
import type { Client as TemporalClient } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import type { Logger } from 'pino';
import type { replenishmentWorkflow } from '../../../workflows/replenishment';
import {
  closedSignal,
  openedSignal,
  REPLENISHMENT_WORKFLOW_TYPE,
  ReplenishmentSearchAttributeKeys,
  replenishmentWorkflowId,
} from '../../../workflows/replenishmentShared';
import { backoffDelay, errorMessage, sleep, type BackoffOptions } from '../rabbitmq/backoff';
import { isWorkflowGone } from './errors';

/** Key of the session-level advisory lock that makes one dispatcher active (per database). */
export const REPLENISHMENT_DISPATCHER_LOCK_KEY = 4_177_206_412;
export const PURCHASE_ORDER_CHANNEL = 'inventory_purchase_orders';

export interface ReplenishmentDispatcherDependencies {
  databaseUrl: string;
  client: TemporalClient;
  taskQueue: string;
  /** Handed to each workflow it starts (PURCHASE_ORDER_REMINDER_SECONDS). */
  reminderSeconds: number;
  logger: Logger;
  /** Fallback poll when no NOTIFY arrives (ms); also how often a standby tries to take over. */
  pollIntervalMs?: number;
  batchSize?: number;
  /** Between retries while Temporal (or Postgres) fails. */
  retryBackoff?: BackoffOptions;
}

export type DispatcherState = 'stopped' | 'connecting' | 'standby' | 'active';

interface PendingRow {
  id: string;
  sku: string;
  status: 'OPEN' | 'CLOSED';
  started: boolean;
}

/**
 * Starts and closes the replenishment workflows of purchase-order requests, from the database's state:
 * the request is committed first (with the stock change that raised it), the workflow follows. A crash
 * between the two loses nothing, because this reconciles rows, not messages:
 *
 * - an OPEN request with `workflow_started_at IS NULL` → signalWithStart(`replenishment-<sku>`,
 *   `opened`), then `workflow_started_at` is set;
 * - a CLOSED request with `workflow_closed_at IS NULL` → signal `closed` (when its workflow was ever
 *   started), then `workflow_closed_at` is set.
 *
 * Every step is idempotent (the workflow ignores a repeated `opened`/`closed` of a request), so a crash
 * between the Temporal call and the UPDATE only repeats the call. Woken by LISTEN
 * inventory_purchase_orders (the table's trigger NOTIFYs when a request opens or closes) with a poll as
 * a fallback; one active dispatcher per database (session advisory lock), others stand by. Failures
 * are retried with exponential backoff.
 *
 * Events: 'state' (DispatcherState), 'dispatched' ({ started, closed }).
 */
export class ReplenishmentDispatcher extends EventEmitter {
  private readonly pollIntervalMs: number;
  private readonly batchSize: number;
  private readonly retryBackoff: BackoffOptions;
  private abort = new AbortController();
  private running: Promise<void> | undefined;
  private pg: PgClient | undefined;
  private currentState: DispatcherState = 'stopped';
  private lastError: string | undefined;
  private pending = true;
  private wakeUp: (() => void) | undefined;

  constructor(private readonly deps: ReplenishmentDispatcherDependencies) {
    super();
    this.pollIntervalMs = deps.pollIntervalMs ?? 5_000;
    this.batchSize = deps.batchSize ?? 50;
    this.retryBackoff = deps.retryBackoff ?? { initialMs: 200, maxMs: 30_000 };
  }

  get state(): DispatcherState {
    return this.currentState;
  }

  get lastErrorMessage(): string | undefined {
    return this.lastError;
  }

  /** Starts in the background (idempotent). Never throws for unreachable servers: it retries. */
  start(): void {
    if (this.running) return;
    this.abort = new AbortController();
    this.running = this.run().finally(() => {
      this.running = undefined;
      this.setState('stopped');
    });
  }

  /** Finishes the call in flight, then releases the lock and the connection. */
  async stop(): Promise<void> {
    this.abort.abort();
    this.wakeUp?.();
    await this.running;
  }

  /** Resolves once this dispatcher reaches `state` (tests, startup logs). */
  waitUntil(state: DispatcherState, timeoutMs = 10_000): Promise<void> {
    if (this.currentState === state) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('state', onState);
        reject(
          new Error(
            `replenishment dispatcher not ${state} within ${timeoutMs} ms (now ${this.currentState})`,
          ),
        );
      }, timeoutMs);
      const onState = (s: DispatcherState) => {
        if (s !== state) return;
        clearTimeout(timer);
        this.off('state', onState);
        resolve();
      };
      this.on('state', onState);
    });
  }

  private setState(state: DispatcherState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.emit('state', state);
  }

  private wake(): void {
    this.pending = true;
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    let attempt = 0;
    while (!signal.aborted) {
      this.setState('connecting');
      try {
        await this.session(signal, () => (attempt = 0));
      } catch (err) {
        this.lastError = errorMessage(err);
        if (!signal.aborted) {
          this.deps.logger.warn(
            { err: this.lastError, attempt },
            'replenishment dispatcher lost its database session',
          );
        }
      } finally {
        const pg = this.pg;
        this.pg = undefined;
        // Ending the session releases the advisory lock: a standby takes over.
        if (pg) await pg.end().catch(() => undefined);
      }
      if (signal.aborted) break;
      await sleep(backoffDelay(attempt++, this.retryBackoff), signal);
    }
  }

  private async session(signal: AbortSignal, connected: () => void): Promise<void> {
    const pg = new PgClient({
      connectionString: this.deps.databaseUrl,
      application_name: 'inventory-replenishment-dispatcher',
      keepAlive: true,
    });
    this.pg = pg;
    let broken: Error | undefined;
    pg.on('error', (err) => {
      broken = err;
      this.wake();
    });
    pg.on('notification', (msg) => {
      if (msg.channel === PURCHASE_ORDER_CHANNEL) this.wake();
    });
    await pg.connect();
    connected();

    this.setState('standby');
    while (!signal.aborted) {
      if (broken) throw broken;
      const { rows } = await pg.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
        REPLENISHMENT_DISPATCHER_LOCK_KEY,
      ]);
      if (rows[0]?.locked) break;
      await sleep(this.pollIntervalMs, signal);
    }
    if (signal.aborted) return;

    await pg.query(`LISTEN ${PURCHASE_ORDER_CHANNEL}`);
    this.setState('active');
    this.deps.logger.info('replenishment dispatcher active');
    this.pending = true;

    let failures = 0;
    while (!signal.aborted) {
      if (broken) throw broken;
      this.pending = false;
      let full: boolean;
      try {
        full = await this.dispatchBatch(pg);
        failures = 0;
      } catch (err) {
        if (broken) throw broken;
        this.lastError = errorMessage(err);
        const delay = backoffDelay(failures++, this.retryBackoff);
        this.deps.logger.warn(
          { err: this.lastError, retryInMs: delay },
          'replenishment dispatch failed; will retry',
        );
        // A NOTIFY does not cut the backoff short: that would spin while Temporal is down.
        await sleep(delay, signal);
        continue;
      }
      if (full) continue;
      await this.waitForWork(signal);
    }
  }

  private waitForWork(signal: AbortSignal): Promise<void> {
    if (this.pending || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.pollIntervalMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        done();
      };
    });
  }

  /**
   * One batch, oldest first; closes before opens, so that when a SKU's request closed and the next
   * one opened since the last pass, the old run usually ends before the new one starts (the workflow
   * copes with either order). Returns whether the batch was full (more may be waiting).
   */
  private async dispatchBatch(pg: PgClient): Promise<boolean> {
    const { rows } = await pg.query<PendingRow>(
      `SELECT id, sku, status, workflow_started_at IS NOT NULL AS started
         FROM purchase_order_requests
        WHERE workflow_closed_at IS NULL
          AND (status = 'CLOSED' OR workflow_started_at IS NULL)
        ORDER BY (status = 'OPEN'), requested_at, id
        LIMIT $1`,
      [this.batchSize],
    );
    let started = 0;
    let closed = 0;
    for (const row of rows) {
      if (this.abort.signal.aborted) break;
      if (row.status === 'CLOSED') {
        if (row.started) await this.signalClosed(row);
        await pg.query(
          `UPDATE purchase_order_requests SET workflow_closed_at = clock_timestamp()
            WHERE id = $1 AND workflow_closed_at IS NULL`,
          [row.id],
        );
        closed += 1;
      } else {
        await this.startWorkflow(row);
        await pg.query(
          `UPDATE purchase_order_requests SET workflow_started_at = clock_timestamp()
            WHERE id = $1 AND workflow_started_at IS NULL`,
          [row.id],
        );
        started += 1;
      }
    }
    if (started + closed > 0) {
      this.deps.logger.debug({ started, closed }, 'replenishment workflows dispatched');
      this.emit('dispatched', { started, closed });
    }
    return rows.length === this.batchSize;
  }

  private startWorkflow(row: PendingRow): Promise<string> {
    return startReplenishment(this.deps.client, {
      sku: row.sku,
      requestId: row.id,
      taskQueue: this.deps.taskQueue,
      reminderSeconds: this.deps.reminderSeconds,
    });
  }

  private signalClosed(row: PendingRow): Promise<boolean> {
    return signalReplenishmentClosed(this.deps.client, { sku: row.sku, requestId: row.id });
  }
}

/**
 * Starts `replenishment-<sku>` with an `opened` signal, or signals the running one (signalWithStart):
 * idempotent, since the workflow ignores an `opened` of the request it already watches. Once a run has
 * closed, the SKU's next request starts a new run. Returns the run id that got the signal.
 */
export async function startReplenishment(
  client: TemporalClient,
  params: { sku: string; requestId: string; taskQueue: string; reminderSeconds: number },
): Promise<string> {
  const handle = await client.workflow.signalWithStart<typeof replenishmentWorkflow, [{ requestId: string }]>(
    REPLENISHMENT_WORKFLOW_TYPE,
    {
      workflowId: replenishmentWorkflowId(params.sku),
      taskQueue: params.taskQueue,
      args: [{ sku: params.sku, reminderSeconds: params.reminderSeconds }],
      signal: openedSignal,
      signalArgs: [{ requestId: params.requestId }],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      typedSearchAttributes: [
        { key: ReplenishmentSearchAttributeKeys.sku, value: params.sku },
        { key: ReplenishmentSearchAttributeKeys.status, value: 'OPEN' },
      ],
    },
  );
  return handle.signaledRunId;
}

/** Tells the SKU's workflow the request closed; false when no workflow runs (nothing to tell). */
export async function signalReplenishmentClosed(
  client: TemporalClient,
  params: { sku: string; requestId: string },
): Promise<boolean> {
  try {
    await client.workflow
      .getHandle(replenishmentWorkflowId(params.sku))
      .signal(closedSignal, { requestId: params.requestId });
    return true;
  } catch (error) {
    // Already ended (its reminder check saw the request closed) or never ran.
    if (isWorkflowGone(error)) return false;
    throw error;
  }
}
