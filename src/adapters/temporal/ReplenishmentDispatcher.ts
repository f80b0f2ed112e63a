import type { Client as TemporalClient } from '@temporalio/client';
import type { Client as PgClient } from 'pg';
import type { replenishmentWorkflow } from '../../../workflows/replenishment';
import {
  closedSignal,
  openedSignal,
  REPLENISHMENT_WORKFLOW_TYPE,
  ReplenishmentSearchAttributeKeys,
  replenishmentWorkflowId,
} from '../../../workflows/replenishmentShared';
import {
  DISPATCHERS,
  TemporalDispatcher,
  type TemporalDispatcherDependencies,
  type WorkOutcome,
} from './dispatcher';
import { isWorkflowGone } from './errors';

export interface ReplenishmentDispatcherDependencies extends TemporalDispatcherDependencies {
  /** Handed to each workflow it starts (PURCHASE_ORDER_REMINDER_SECONDS). */
  reminderSeconds: number;
}

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
 * A Temporal adapter although it polls Postgres: the rows it reads are its queue, read on the leader
 * loop's own session (shared/SingleActiveWorker), and all it does with them is Temporal calls. It uses
 * no repository of the postgres adapter.
 *
 * Events: 'state' (dispatcher.ts's DispatcherState), 'dispatched' ({ started, closed }).
 */
export class ReplenishmentDispatcher extends TemporalDispatcher {
  private readonly batchSize: number;

  constructor(private readonly deps: ReplenishmentDispatcherDependencies) {
    super(deps, {
      name: 'replenishment dispatcher',
      applicationName: 'inventory-replenishment-dispatcher',
      ...DISPATCHERS.replenishment,
      pollIntervalMs: 5_000,
      maxBackoffMs: 30_000,
    });
    this.batchSize = deps.batchSize ?? 50;
  }

  protected async work(pg: PgClient, signal: AbortSignal): Promise<WorkOutcome> {
    return (await this.dispatchBatch(pg, signal)) ? 'more' : 'idle';
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
