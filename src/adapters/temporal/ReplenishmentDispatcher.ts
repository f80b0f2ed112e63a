import type { Client as TemporalClient } from '@temporalio/client';
import type { Client as PgClient } from 'pg';
import type { Logger } from 'pino';
import type { replenishmentWorkflow } from '../../../workflows/replenishment';
import {
  closedSignal,
  openedSignal,
  REPLENISHMENT_WORKFLOW_TYPE,
  ReplenishmentSearchAttributeKeys,
  replenishmentWorkflowId,
} from '../../../workflows/replenishmentShared';
import {
  SingleActiveWorker,
  type SingleActiveWorkerState,
  type WorkOutcome,
} from '../postgres/SingleActiveWorker';
import { errorMessage, sleep, type BackoffOptions } from '../rabbitmq/backoff';
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

export type DispatcherState = SingleActiveWorkerState;

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
 * are retried with exponential backoff. The session, lock, LISTEN, standby and backoff loop is
 * SingleActiveWorker's; this class dispatches.
 *
 * Events: 'state' (DispatcherState), 'dispatched' ({ started, closed }).
 */
export class ReplenishmentDispatcher extends SingleActiveWorker {
  private readonly batchSize: number;

  constructor(private readonly deps: ReplenishmentDispatcherDependencies) {
    const retryBackoff = deps.retryBackoff ?? { initialMs: 200, maxMs: 30_000 };
    super({
      name: 'replenishment dispatcher',
      databaseUrl: deps.databaseUrl,
      applicationName: 'inventory-replenishment-dispatcher',
      lockKey: REPLENISHMENT_DISPATCHER_LOCK_KEY,
      channel: PURCHASE_ORDER_CHANNEL,
      logger: deps.logger,
      pollIntervalMs: deps.pollIntervalMs ?? 5_000,
      retryBackoff,
      reconnectBackoff: retryBackoff,
    });
    this.batchSize = deps.batchSize ?? 50;
  }

  protected async work(pg: PgClient, signal: AbortSignal): Promise<WorkOutcome> {
    return (await this.dispatchBatch(pg, signal)) ? 'more' : 'idle';
  }

  /** A failed Temporal call (or query) is retried on the same session, after a backoff. */
  protected override workFailed(error: unknown): WorkOutcome {
    this.lastError = errorMessage(error);
    return 'failed';
  }

  /** A NOTIFY does not cut the backoff short: that would spin while Temporal is down. */
  protected override waitBeforeRetry(ms: number, signal: AbortSignal): Promise<void> {
    this.deps.logger.warn(
      { err: this.lastError, retryInMs: ms },
      'replenishment dispatch failed; will retry',
    );
    return sleep(ms, signal);
  }

  /**
   * One batch, oldest first; closes before opens, so that when a SKU's request closed and the next
   * one opened since the last pass, the old run usually ends before the new one starts (the workflow
   * copes with either order). Returns whether the batch was full (more may be waiting).
   */
  private async dispatchBatch(pg: PgClient, signal: AbortSignal): Promise<boolean> {
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
      if (signal.aborted) break;
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
