import { ApplicationFailure } from '@temporalio/common';
import type { AwilixContainer } from 'awilix';
import type {
  ConfirmCommand,
  ConfirmOutcome,
  ReleaseCommand,
  ReleaseOutcome,
  ReserveCommand,
  ReserveOutcome,
} from '../src/application/contracts';
import type { ReleaseOptions } from '../src/application/ReleaseReservation';
import { parseDeadline } from '../src/application/input';
import { DomainError } from '../src/domain/errors';

/**
 * The release activity's input: the command, and the caller's deadline (ISO-8601) when a caller waits
 * for it (the HTTP release's update): past it the release is refused and nothing is released.
 */
export type ReleaseStockInput = ReleaseCommand & { deadline?: string };

/** The slice of the application service the reservation activities call. */
export interface ReservationUseCases {
  reserve(command: ReserveCommand): Promise<ReserveOutcome>;
  release(command: ReleaseCommand, options?: ReleaseOptions): Promise<ReleaseOutcome>;
  confirm(command: ConfirmCommand): Promise<ConfirmOutcome>;
}

/** What the activities resolve per call: `inventoryService`, registered scoped by the persistence module. */
export interface ReservationActivitiesCradle {
  inventoryService: ReservationUseCases;
}

/**
 * Domain errors are deterministic (the same input fails the same way), so retrying them only burns
 * time: they become non-retryable failures whose `type` is the stable error code. Anything else
 * (connection lost, serialization failure, timeout) stays retryable.
 */
export function toActivityFailure(error: unknown): unknown {
  if (error instanceof DomainError) {
    return ApplicationFailure.create({
      type: error.code,
      message: error.message,
      nonRetryable: true,
      details: [error.details],
      cause: error,
    });
  }
  return error;
}

/**
 * Thin activities over the application service. Each call gets its own Awilix scope (its own unit of
 * work), disposed when the call ends. They are idempotent because the use cases check the
 * reservation's state inside the same transaction that changes it: a retry after a crash, or a
 * duplicate, finds the work done and returns the current state.
 */
export function createReservationActivities<C extends ReservationActivitiesCradle>(
  container: AwilixContainer<C>,
) {
  async function withUseCases<T>(call: (useCases: ReservationUseCases) => Promise<T>): Promise<T> {
    const scope = container.createScope();
    try {
      return await call(scope.resolve('inventoryService'));
    } catch (error) {
      throw toActivityFailure(error);
    } finally {
      await scope.dispose();
    }
  }

  return {
    reserveStock(command: ReserveCommand): Promise<ReserveOutcome> {
      return withUseCases((s) => s.reserve(command));
    },
    /** With reason `expired` it is the workflow's TTL timer: a no-op while the database says not due. */
    releaseStock(input: ReleaseStockInput): Promise<ReleaseOutcome> {
      const { deadline, ...command } = input;
      return withUseCases(async (s) => {
        const options: ReleaseOptions = {
          ...(command.reason === 'expired' ? { onlyIfDue: true } : {}),
          ...(deadline !== undefined ? { deadline: parseDeadline(deadline) } : {}),
        };
        return s.release(command, options);
      });
    },
    confirmStock(command: ConfirmCommand): Promise<ConfirmOutcome> {
      return withUseCases((s) => s.confirm(command));
    },
  };
}

export type ReservationActivities = ReturnType<typeof createReservationActivities>;
