import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Client as TemporalClient } from '@temporalio/client';
import type { Client as PgClient } from 'pg';
import type { ReservationStatus } from '../../application/contracts';
import type { reservationWorkflow } from '../../../workflows/reservation';
import {
  RESERVATION_WORKFLOW_TYPE,
  requestSignal,
  reservationWorkflowId,
  SearchAttributeKeys,
  type ReservationWorkflowInput,
  type WorkflowRequestSignal,
} from '../../../workflows/shared';
import type { ServiceMetrics } from '../observability/metrics';
import { errorMessage } from '../shared/backoff';
import {
  DISPATCHERS,
  TemporalDispatcher,
  type TemporalDispatcherDependencies,
  type WorkOutcome,
} from './dispatcher';
import { isWorkflowGone } from './errors';
import { QuietGate, RateLimiter } from './rateLimit';

export interface ReservationWorkflowDispatcherDependencies extends TemporalDispatcherDependencies {
  metrics?: ServiceMetrics;
  /** Handed to each workflow it starts (its safety TTL when a reserve's outcome is unknown). */
  defaultTtlSeconds?: number;
  /** Orders delivered at once (WORKFLOW_DISPATCH_CONCURRENCY, whose default config defines). */
  concurrency: number;
  /** Orders delivered per second at most (WORKFLOW_DISPATCH_RATE; 0 or absent: no limit). */
  ratePerSecond?: number;
  /** Backpressure (WORKFLOW_DISPATCH_QUIET_MS; 0 or absent: none): a pass first waits for this long without a commit… */
  quietMs?: number;
  /** …but no longer than this (WORKFLOW_DISPATCH_MAX_DEFER_MS; 0 or absent: no backpressure either). */
  maxDeferMs?: number;
}

interface RequestRow {
  id: string;
  order_id: string;
  kind: WorkflowRequestSignal['kind'];
  reason: string | null;
  headers: Record<string, string>;
  requested_at: Date;
  status: ReservationStatus | null;
  expires_at: Date | null;
  skus: string[];
}

/*
 * Oldest first, with the reservation as it is now: the signal carries the database's state, so a
 * request delivered late (or twice) still tells the workflow the truth.
 */
const PENDING = `
  SELECT w.id, w.order_id, w.kind, w.reason, w.headers, w.requested_at, r.status, r.expires_at,
         COALESCE((SELECT array_agg(l.sku ORDER BY l.sku) FROM reservation_lines l
                    WHERE l.order_id = w.order_id AND l.status = 'RESERVED'), '{}') AS skus
  FROM workflow_requests w
  LEFT JOIN reservations r ON r.order_id = w.order_id
  ORDER BY w.id
  LIMIT $1`;

const tracer = trace.getTracer('inventory-service/workflow-dispatcher');

const DECISIONS = new Set<WorkflowRequestSignal['kind']>(['confirm', 'cancel', 'release']);

/**
 * Delivers the workflow requests that commands record in Postgres (workflow_requests) to the orders'
 * reservation workflows, after commit:
 *
 * - the requests of one order become one signal (`request`), carrying the reservation as the database
 *   has it and the first decision among them; orders are delivered in parallel, up to `concurrency`;
 * - an open reservation → signalWithStart of `reservation-<orderId>` (starts it, or signals the
 *   running run); a closed or missing one → a plain signal to a run that may still wait (none: done);
 * - a request is deleted only once Temporal accepted it: at least once, and a crash between the two
 *   repeats the signal, which the workflow absorbs. While Temporal is down the pass fails and is
 *   retried with exponential backoff; the reserves themselves never wait for it.
 *
 * Woken by LISTEN inventory_workflow_requests (the table's trigger NOTIFYs at commit), with a poll as
 * a fallback; one active dispatcher per database (SingleActiveWorker), others stand by.
 *
 * Events: 'state', 'dispatched' ({ orders, requests }).
 */
export class ReservationWorkflowDispatcher extends TemporalDispatcher {
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly limiter: RateLimiter | undefined;
  private readonly gate: QuietGate | undefined;

  constructor(private readonly deps: ReservationWorkflowDispatcherDependencies) {
    super(deps, {
      name: 'reservation workflow dispatcher',
      applicationName: 'inventory-workflow-dispatcher',
      ...DISPATCHERS.reservation,
      pollIntervalMs: 2_000,
      maxBackoffMs: 10_000,
    });
    this.batchSize = deps.batchSize ?? 200;
    this.concurrency = deps.concurrency;
    this.limiter = deps.ratePerSecond ? new RateLimiter(deps.ratePerSecond) : undefined;
    this.gate = deps.quietMs && deps.maxDeferMs ? new QuietGate(deps.quietMs, deps.maxDeferMs) : undefined;
  }

  protected override notified(): void {
    this.gate?.notice();
  }

  protected async work(pg: PgClient, signal: AbortSignal): Promise<WorkOutcome> {
    // While reserves commit back to back, step aside (bounded) and then take what gathered in one pass.
    await this.gate?.wait(signal);
    const { rows } = await pg.query<RequestRow>(PENDING, [this.batchSize]);
    if (rows.length === 0) return 'idle';
    const byOrder = new Map<string, RequestRow[]>();
    for (const row of rows) byOrder.set(row.order_id, [...(byOrder.get(row.order_id) ?? []), row]);

    const delivered: string[] = [];
    const failed: { ids: string[]; error: string }[] = [];
    const orders = [...byOrder.values()];
    let next = 0;
    const lane = async () => {
      while (next < orders.length && !signal.aborted) {
        if (this.limiter) {
          const taken = await this.limiter.take(signal).then(
            () => true,
            () => false,
          );
          if (!taken || next >= orders.length) break;
        }
        const group = orders[next++]!;
        try {
          await this.deliver(group);
          delivered.push(...group.map((r) => r.id));
          this.observeLag(group);
        } catch (error) {
          failed.push({ ids: group.map((r) => r.id), error: errorMessage(error) });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, orders.length) }, lane));

    if (delivered.length > 0) {
      await pg.query('DELETE FROM workflow_requests WHERE id = ANY($1::bigint[])', [delivered]);
      this.emit('dispatched', { orders: orders.length - failed.length, requests: delivered.length });
    }
    if (failed.length > 0) {
      await pg.query(
        `UPDATE workflow_requests SET attempts = attempts + 1, last_error = left($2, 1000)
          WHERE id = ANY($1::bigint[])`,
        [failed.flatMap((f) => f.ids), failed[0]!.error],
      );
      this.lastError = failed[0]!.error;
      return 'failed';
    }
    return rows.length === this.batchSize ? 'more' : 'idle';
  }

  /**
   * The requests of one order as one signal, in the trace of the command that recorded the one that
   * matters (the decision, else the first): the workflow's spans continue the HTTP request's or the
   * bridged message's trace.
   */
  private async deliver(group: readonly RequestRow[]): Promise<void> {
    const { order_id: orderId, status, expires_at: expiresAt, skus } = group[0]!;
    const decision = group.find((r) => DECISIONS.has(r.kind));
    const request: WorkflowRequestSignal = {
      kind: decision?.kind ?? (group.some((r) => r.kind === 'start') ? 'start' : 'extend'),
      status,
      expiresAt: expiresAt ? expiresAt.toISOString() : null,
      skus,
      ...(decision?.reason ? { reason: decision.reason } : {}),
    };
    const parent = propagation.extract(ROOT_CONTEXT, (decision ?? group[0]!).headers ?? {});
    const span = tracer.startSpan(
      'workflow_requests deliver',
      {
        kind: SpanKind.PRODUCER,
        attributes: { 'inventory.order_id': orderId, 'inventory.workflow_request.kind': request.kind },
      },
      parent,
    );
    try {
      await context.with(trace.setSpan(parent, span), () => this.send(orderId, request));
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
      throw error;
    } finally {
      span.end();
    }
  }

  private async send(orderId: string, request: WorkflowRequestSignal): Promise<void> {
    await deliverWorkflowRequest(this.deps.client, {
      orderId,
      taskQueue: this.deps.taskQueue,
      request,
      ...(this.deps.defaultTtlSeconds ? { defaultTtlSeconds: this.deps.defaultTtlSeconds } : {}),
    });
  }

  private observeLag(group: readonly RequestRow[]): void {
    const histogram = this.deps.metrics?.workflowDispatchLag;
    if (!histogram) return;
    const now = Date.now();
    for (const row of group) {
      histogram.observe({ kind: row.kind }, Math.max(0, (now - row.requested_at.getTime()) / 1000));
    }
  }
}

/**
 * One request to `reservation-<orderId>`: signalWithStart while the reservation is open (starts the
 * workflow, or signals the running run), a plain signal otherwise (a run that still waits learns the
 * final state; when none runs there is nothing to tell).
 */
export async function deliverWorkflowRequest(
  client: TemporalClient,
  params: { orderId: string; taskQueue: string; request: WorkflowRequestSignal; defaultTtlSeconds?: number },
): Promise<void> {
  const { orderId, request } = params;
  const workflowId = reservationWorkflowId(orderId);
  if (request.status === 'RESERVED') {
    const input: ReservationWorkflowInput = {
      orderId,
      ...(params.defaultTtlSeconds ? { defaultTtlSeconds: params.defaultTtlSeconds } : {}),
    };
    await client.workflow.signalWithStart<typeof reservationWorkflow, [WorkflowRequestSignal]>(
      RESERVATION_WORKFLOW_TYPE,
      {
        workflowId,
        taskQueue: params.taskQueue,
        args: [input],
        signal: requestSignal,
        signalArgs: [request],
        typedSearchAttributes: [
          { key: SearchAttributeKeys.orderId, value: orderId },
          { key: SearchAttributeKeys.status, value: 'RESERVED' },
          ...(request.skus.length > 0 ? [{ key: SearchAttributeKeys.skus, value: request.skus }] : []),
          ...(request.expiresAt
            ? [{ key: SearchAttributeKeys.expiresAt, value: new Date(request.expiresAt) }]
            : []),
        ],
      },
    );
    return;
  }
  try {
    await client.workflow.getHandle(workflowId).signal(requestSignal, request);
  } catch (error) {
    if (!isWorkflowGone(error)) throw error;
  }
}
