import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type * as contracts from '../../application/contracts';
import type { ReservationOrchestratorPort } from '../../application/ports';
import { ValidationError } from '../../domain/errors';
import type { UnitOfWorkOptions } from '../../domain/ports/UnitOfWorkPort';
import type { ServiceMetrics } from './metrics';

/** The `outcome` label of inventory_reservations_total / inventory_reserve_duration_seconds. */
export function reserveOutcomeLabel(outcome: contracts.ReserveOutcome): string {
  if (outcome.kind === 'reserved') return outcome.created ? 'reserved' : 'repeat';
  return outcome.kind;
}

/** A release that moved units back to available stock, by its reason (cancelled, expired, released). */
export function recordRelease(
  metrics: ServiceMetrics,
  command: Pick<contracts.ReleaseCommand, 'reason'>,
  outcome: contracts.ReleaseOutcome,
): void {
  if (outcome.kind === 'released' && outcome.changed) metrics.releases.inc({ reason: command.reason });
}

/**
 * The HTTP façade's orchestrator, counted: every reserve by outcome, with its duration; releases are
 * counted where they change stock: the release activity or `releaseDirectly` (RESERVE_MODE=workflow),
 * here with `countReleases` (RESERVE_MODE=db, where the HTTP release is the use case itself).
 */
export class MeteredReservationOrchestrator implements ReservationOrchestratorPort {
  constructor(
    private readonly inner: ReservationOrchestratorPort,
    private readonly metrics: ServiceMetrics,
    private readonly options: { countReleases?: boolean } = {},
  ) {}

  async reserve(command: contracts.ReserveCommand): Promise<contracts.ReserveOutcome> {
    const stop = this.metrics.reserveDuration.startTimer();
    let label = 'error';
    try {
      const outcome = await this.inner.reserve(command);
      label = reserveOutcomeLabel(outcome);
      return outcome;
    } catch (error) {
      if (error instanceof ValidationError) label = 'invalid';
      throw error;
    } finally {
      stop({ outcome: label });
      this.metrics.reservations.inc({ outcome: label });
    }
  }

  async release(
    command: contracts.ReleaseCommand,
    options?: UnitOfWorkOptions,
  ): Promise<contracts.ReleaseOutcome> {
    const outcome = await this.inner.release(command, options);
    if (this.options.countReleases) recordRelease(this.metrics, command, outcome);
    return outcome;
  }

  extend(command: contracts.ExtendCommand, options?: UnitOfWorkOptions): Promise<contracts.ExtendOutcome> {
    return this.inner.extend(command, options);
  }
}

const RELEASE_ACTIVITY = 'releaseStock';

/** Counts the releases the workflow's release activity performs (cancel, expiry, explicit release). */
export function releaseMetricsInterceptor(metrics: ServiceMetrics): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const result = await next(input);
        if (ctx.info.activityType === RELEASE_ACTIVITY) {
          recordRelease(
            metrics,
            input.args[0] as contracts.ReleaseCommand,
            result as contracts.ReleaseOutcome,
          );
        }
        return result;
      },
    },
  });
}
