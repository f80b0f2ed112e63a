import {
  isGrpcServiceError,
  ServiceError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { DomainError, isErrorCode, isValidationCode, ValidationError } from '../../domain/errors';

/**
 * Temporal could not give an answer: unreachable, timed out, or the workflow failed the step for a
 * reason that is not a business outcome. `transient` errors are worth retrying (HTTP 503).
 */
export class ReservationOrchestrationError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ReservationOrchestrationError';
  }
}

/** gRPC status codes (the numeric values are fixed by the gRPC spec). */
const GrpcStatus = {
  CANCELLED: 1,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  UNAVAILABLE: 14,
} as const;

const TRANSIENT_GRPC = new Set<number>([
  GrpcStatus.UNAVAILABLE,
  GrpcStatus.DEADLINE_EXCEEDED,
  GrpcStatus.RESOURCE_EXHAUSTED,
  GrpcStatus.CANCELLED,
]);

function grpcCode(error: unknown): number | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (isGrpcServiceError(e)) return e.code;
  }
  return undefined;
}

/** The workflow does not exist or has already completed: it can no longer take an update or signal. */
export function isWorkflowGone(error: unknown): boolean {
  if (error instanceof WorkflowNotFoundError) return true;
  const code = grpcCode(error);
  if (code === GrpcStatus.NOT_FOUND) return true;
  const message =
    error instanceof Error ? `${error.message} ${String((error.cause as Error)?.message ?? '')}` : '';
  return /workflow execution already completed/i.test(message);
}

/**
 * The server gave up on an update that no worker took up in time (the workflow task carrying it failed,
 * or raced another one: seen when first reserves of one new order arrive together). Nothing was done;
 * a retry is safe.
 */
function isUnprocessedUpdate(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof Error && /(wasn't|was not|not) processed by (the )?worker/i.test(e.message)) return true;
  }
  return false;
}

/**
 * Maps a failed Update(-With-Start) back to the domain's language: a failure typed with one of the
 * domain's error codes (validator rejections, ValidationError in the activity) becomes that error
 * again, so the HTTP layer answers exactly as if it had called the use case itself.
 */
export function mapTemporalError(error: unknown, what: string): Error {
  if (isUnprocessedUpdate(error)) {
    return new ReservationOrchestrationError(`${what}: the update was not processed, retry`, true, {
      cause: error,
    });
  }
  if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
    const failure = error.cause;
    const type = failure.type ?? '';
    if (isErrorCode(type)) {
      const details = (failure.details?.[0] as Record<string, unknown> | undefined) ?? {};
      return isValidationCode(type)
        ? new ValidationError(type, failure.message, details)
        : new DomainError(type, failure.message, details);
    }
    return new ReservationOrchestrationError(`${what} failed: ${failure.message}`, !failure.nonRetryable, {
      cause: error,
    });
  }
  if (error instanceof WorkflowUpdateFailedError) {
    return new ReservationOrchestrationError(
      `${what} failed: ${error.cause?.message ?? error.message}`,
      true,
      {
        cause: error,
      },
    );
  }
  if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    return new ReservationOrchestrationError(`${what} timed out waiting for Temporal`, true, {
      cause: error,
    });
  }
  const code = grpcCode(error);
  if (code !== undefined || error instanceof ServiceError) {
    return new ReservationOrchestrationError(
      `${what}: Temporal unavailable (${error instanceof Error ? error.message : String(error)})`,
      code === undefined || TRANSIENT_GRPC.has(code),
      { cause: error },
    );
  }
  return error instanceof Error
    ? error
    : new ReservationOrchestrationError(`${what} failed`, false, { cause: error });
}
