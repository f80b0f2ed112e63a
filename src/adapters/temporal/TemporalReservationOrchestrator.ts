import { landedOutcome, OUTCOME_GRACE_MS, releasedOutcome } from '../../application/landed';
import type { UnitOfWorkOptions } from '../../domain/ports/UnitOfWorkPort';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import type {
  ExtendCommand,
  ExtendOutcome,
  ReleaseCommand,
  ReleaseOutcome,
  ReservationView,
  ReserveCommand,
  ReserveOutcome,
} from '../../application/contracts';
import type { ReservationOrchestratorPort } from '../../application/ports';
import type { reservationWorkflow } from '../../../workflows/reservation';
import {
  RESERVATION_WORKFLOW_TYPE,
  releaseUpdate,
  reservationWorkflowId,
  reserveUpdate,
  SearchAttributeKeys,
  type ReservationWorkflowInput,
} from '../../../workflows/shared';
import { sleep } from '../shared/backoff';
import { isWorkflowGone, mapTemporalError, ReservationOrchestrationError } from './errors';

const RETRY_BASE_MS = 25;
const RETRY_MAX_MS = 400;

function isTransient(error: Error): boolean {
  return (error as { transient?: unknown }).transient === true;
}

/** Resolves once the clock is past `at` (a timer may fire a millisecond early). */
async function untilPast(at: number): Promise<void> {
  while (Date.now() <= at) await sleep(at - Date.now() + 1);
}

/** Past the deadline: a 503 for the caller. The activity refuses the command from then on. */
function unavailable(orderId: string, cause: Error): ReservationOrchestrationError {
  return cause instanceof ReservationOrchestrationError && cause.transient
    ? cause
    : new ReservationOrchestrationError(`reserve for order ${orderId}: no answer within the deadline`, true, {
        cause,
      });
}

export interface TemporalReservationOrchestratorDeps {
  client: Client;
  taskQueue: string;
  defaultTtlSeconds?: number;
  /**
   * How long a caller waits for the reserve (REQUEST_DEADLINE_MS). The command carries the deadline,
   * so the reserve activity refuses it once passed; the caller waits a little longer for the outcome,
   * then gets a 503 that means nothing was reserved.
   */
  deadlineMs: number;
  /**
   * The order's reservation as Postgres has it once no reserve of the order is committing (read under
   * the order's lock): read when the caller is about to get a 503, because an update can commit just
   * before its deadline and have its outcome arrive after the client gave up.
   */
  currentReservation?: (orderId: string, options: UnitOfWorkOptions) => Promise<ReservationView | null>;
  /**
   * Releases straight through the use case (its own scope) when no workflow is running for the order;
   * `options.deadline` bounds its transaction (past it: 503, nothing released).
   */
  releaseDirectly: (command: ReleaseCommand, options?: UnitOfWorkOptions) => Promise<ReleaseOutcome>;
  /** The extension use case (its own scope), bounded alike; see `extend`. Required to extend. */
  extendDirectly?: (command: ExtendCommand, options?: UnitOfWorkOptions) => Promise<ExtendOutcome>;
  /** Benchmarks only: where the workflow runs its activities (see docs/temporal.md). */
  activities?: ReservationWorkflowInput['activities'];
}

/**
 * The HTTP façade's way into the reservation saga. `reserve` is exactly one Update-With-Start round
 * trip: it starts the order's workflow or joins the running one, and returns the reserve step's
 * outcome. Failures typed with a domain error code come back as that DomainError / ValidationError;
 * everything else is a ReservationOrchestrationError (`transient` → worth a retry, HTTP 503).
 */
export class TemporalReservationOrchestrator implements ReservationOrchestratorPort {
  constructor(private readonly deps: TemporalReservationOrchestratorDeps) {}

  /** A call's deadline: the caller's, or now + REQUEST_DEADLINE_MS. */
  private deadline(given?: Date | string): Date {
    return given ? new Date(given) : new Date(Date.now() + this.deps.deadlineMs);
  }

  async reserve(command: ReserveCommand): Promise<ReserveOutcome> {
    const workflowId = reservationWorkflowId(command.orderId);
    const input: ReservationWorkflowInput = {
      orderId: command.orderId,
      ...(this.deps.defaultTtlSeconds ? { defaultTtlSeconds: this.deps.defaultTtlSeconds } : {}),
      ...(this.deps.activities ? { activities: this.deps.activities } : {}),
    };
    const deadline = this.deadline(command.deadline).getTime();
    // The outcome of an update that started before the deadline may arrive a little after it.
    const giveUpAt = deadline + OUTCOME_GRACE_MS;
    const args: [ReserveCommand] = [{ ...command, deadline: new Date(deadline).toISOString() }];
    for (let attempt = 0; ; attempt++) {
      const startWorkflowOperation = new WithStartWorkflowOperation<typeof reservationWorkflow>(
        RESERVATION_WORKFLOW_TYPE,
        {
          workflowId,
          taskQueue: this.deps.taskQueue,
          args: [input],
          workflowIdConflictPolicy: 'USE_EXISTING',
          typedSearchAttributes: [
            { key: SearchAttributeKeys.orderId, value: command.orderId },
            { key: SearchAttributeKeys.status, value: 'PENDING' },
          ],
        },
      );
      try {
        // The connection holds the SDK's gRPC retries to this deadline (deadlineBoundRetries).
        return await this.deps.client.connection.withDeadline(giveUpAt, () =>
          this.deps.client.workflow.executeUpdateWithStart(reserveUpdate, { args, startWorkflowOperation }),
        );
      } catch (error) {
        const mapped = mapTemporalError(error, `reserve for order ${command.orderId}`);
        const retryIn = Math.min(RETRY_BASE_MS * 2 ** attempt, RETRY_MAX_MS);
        // Transient answers (worker busy, update not processed, Temporal briefly away) are retried
        // while the deadline allows; the reserve is idempotent, so a retry never reserves twice.
        if (!isTransient(mapped) || Date.now() + retryIn >= deadline) {
          if (!isTransient(mapped) && Date.now() < giveUpAt) throw mapped;
          // Past the deadline the activity refuses the command, and the read waits for a reserve of
          // this order that is committing: what Postgres holds then is final. Not before it: an
          // earlier attempt's update that Temporal took in may still run its activity until then.
          const landed = await this.readBackAfter(deadline, command.orderId, (stored) =>
            landedOutcome(command, stored),
          );
          if (landed) return landed;
          throw unavailable(command.orderId, mapped);
        }
        await sleep(retryIn);
      }
    }
  }

  /**
   * Once the clock is past `deadline` (epoch ms), the order's reservation read under its lock and
   * judged by `decide`: the outcome of an update whose answer did not arrive (landedOutcome,
   * releasedOutcome), or undefined. The read has OUTCOME_GRACE_MS of its own (the update may have used
   * the caller's): a Postgres that does not answer then costs a 503, and a reserve that did land
   * expires with its TTL.
   */
  private async readBackAfter<T>(
    deadline: number,
    orderId: string,
    decide: (stored: ReservationView | null) => T | undefined,
  ): Promise<T | undefined> {
    await untilPast(deadline);
    const readBy = new Date(Date.now() + OUTCOME_GRACE_MS);
    try {
      return decide((await this.deps.currentReservation?.(orderId, { deadline: readBy })) ?? null);
    } catch {
      return undefined;
    }
  }

  /**
   * Through the running workflow, so the release is serialized with its other steps; once the
   * workflow has ended (or never existed) the use case answers directly: it is idempotent, and the
   * caller still gets 200 with the reservation or 404. The update carries the deadline, so its activity
   * refuses it once passed; when its answer does not arrive, the order is read back after the deadline
   * (as a reserve's is): a line no longer reserved is answered, anything else is a 503 that means
   * nothing was released.
   */
  async release(command: ReleaseCommand, options: UnitOfWorkOptions = {}): Promise<ReleaseOutcome> {
    const handle = this.deps.client.workflow.getHandle(reservationWorkflowId(command.orderId));
    const deadline = this.deadline(options.deadline);
    const giveUpAt = deadline.getTime() + OUTCOME_GRACE_MS;
    try {
      // Bounded like the reserve: past it the caller gets 503 (the release is idempotent: retry it).
      return await this.deps.client.connection.withDeadline(giveUpAt, () =>
        handle.executeUpdate(releaseUpdate, {
          args: [
            {
              ...(command.sku !== undefined ? { sku: command.sku } : {}),
              reason: 'released',
              deadline: deadline.toISOString(),
            },
          ],
        }),
      );
    } catch (error) {
      if (isWorkflowGone(error)) {
        return this.deps.releaseDirectly({ ...command, reason: 'released' }, { deadline });
      }
      const mapped = mapTemporalError(error, `release for order ${command.orderId}`);
      if (!isTransient(mapped)) throw mapped;
      // Until the deadline, an update Temporal took in may still release; after it, nothing will.
      const released = await this.readBackAfter(deadline.getTime(), command.orderId, (stored) =>
        releasedOutcome(command, stored),
      );
      if (released) return released;
      throw mapped;
    }
  }

  /**
   * Straight through the use case, as in RESERVE_MODE=db: it moves `expires_at` under the order's lock
   * and records an `extend` workflow request, which the dispatcher delivers to the running workflow
   * (new timer, new ReservationExpiresAt). Bounded by the deadline, as the release is.
   */
  async extend(command: ExtendCommand, options: UnitOfWorkOptions = {}): Promise<ExtendOutcome> {
    if (!this.deps.extendDirectly) throw new Error('This orchestrator was built without extendDirectly');
    return this.deps.extendDirectly(command, { deadline: this.deadline(options.deadline) });
  }
}
