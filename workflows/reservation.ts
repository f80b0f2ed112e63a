import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
  type LocalActivityOptions,
  type RetryPolicy,
} from '@temporalio/workflow';
import type {
  ReleaseOutcome,
  ReleaseReason,
  ReservationActivities,
  ReservationView,
  ReserveCommand,
  ReserveOutcome,
} from '../activities/types';
import {
  cancelSignal,
  confirmSignal,
  MAX_LINES_PER_REQUEST,
  releaseSignal,
  releaseUpdate,
  reserveUpdate,
  SearchAttributeKeys,
  statusQuery,
  ValidationCodes,
  type ActivityPlacement,
  type PendingAction,
  type ReleaseLineRequest,
  type ReservationPhase,
  type ReservationWorkflowInput,
  type ReservationWorkflowResult,
  type ReservationWorkflowStatus,
} from './shared';

const DEFAULT_TTL_SECONDS = 900;
/** How long a workflow whose first update was rejected waits for a valid one before it ends. */
const FIRST_RESERVE_GRACE = '1 minute';

/**
 * Callers wait for these (an HTTP request is on the other end): a few quick attempts, then the
 * update fails and the caller gets an error it can retry, rather than a request that hangs.
 */
const interactiveRetry: RetryPolicy = {
  initialInterval: '50ms',
  backoffCoefficient: 2,
  maximumInterval: '1s',
  maximumAttempts: 3,
};
const interactiveLocal: LocalActivityOptions = { startToCloseTimeout: '5s', retry: interactiveRetry };
const interactiveRegular: ActivityOptions = { startToCloseTimeout: '5s', retry: interactiveRetry };
/** Nobody waits for these, and they must happen: retried until the database answers. */
const backgroundRetry: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
};
const backgroundLocal: LocalActivityOptions = { startToCloseTimeout: '10s', retry: backgroundRetry };
const backgroundRegular: ActivityOptions = { startToCloseTimeout: '10s', retry: backgroundRetry };

function activitiesFor(placement: ActivityPlacement, local: LocalActivityOptions, regular: ActivityOptions) {
  return placement === 'local'
    ? proxyLocalActivities<ReservationActivities>(local)
    : proxyActivities<ReservationActivities>(regular);
}

/**
 * Chosen by measurement (docs/temporal.md): local activities everywhere. A regular activity costs a
 * second workflow task and an activity task per step: about twice the latency and half the
 * throughput on the reserve path, and more server work for the background steps.
 */
const DEFAULT_PLACEMENT = { interactive: 'local', background: 'local' } as const satisfies Record<
  string,
  ActivityPlacement
>;

function validateReserve(orderId: string, command: ReserveCommand): void {
  const reject = (type: string, message: string) => {
    throw ApplicationFailure.create({ type, message, nonRetryable: true });
  };
  if (!command || typeof command !== 'object')
    reject(ValidationCodes.invalidLines, 'reserve needs a command');
  if (command.orderId !== orderId) {
    reject(
      ValidationCodes.invalidOrderId,
      `command for order ${command.orderId} sent to the workflow of ${orderId}`,
    );
  }
  if (
    !Array.isArray(command.lines) ||
    command.lines.length < 1 ||
    command.lines.length > MAX_LINES_PER_REQUEST
  ) {
    reject(ValidationCodes.invalidLines, `lines must hold 1 to ${MAX_LINES_PER_REQUEST} entries`);
  }
  for (const line of command.lines) {
    if (!line || typeof line.sku !== 'string' || line.sku.length < 1 || line.sku.length > 64) {
      reject(ValidationCodes.invalidSku, 'every line needs a SKU of 1 to 64 characters');
    }
    if (!Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > 1_000_000) {
      reject(ValidationCodes.invalidQuantity, `quantity of ${line.sku} must be an integer 1..1000000`);
    }
  }
  const ttl = command.ttlSeconds;
  if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < 1 || ttl > 86_400)) {
    reject(ValidationCodes.invalidTtl, 'ttlSeconds must be an integer 1..86400');
  }
}

function validateRelease(request: ReleaseLineRequest): void {
  if (!request || request.reason !== 'released') {
    throw ApplicationFailure.create({
      type: ValidationCodes.invalidLines,
      message: "the release update takes reason 'released' (cancel and expiry have their own paths)",
      nonRetryable: true,
    });
  }
  if (request.sku !== undefined && (typeof request.sku !== 'string' || request.sku.length < 1)) {
    throw ApplicationFailure.create({
      type: ValidationCodes.invalidSku,
      message: 'bad SKU',
      nonRetryable: true,
    });
  }
}

/** Local activity failures arrive unwrapped; regular ones inside an ActivityFailure. */
function activityCause(error: unknown): unknown {
  return error instanceof ActivityFailure ? error.cause : error;
}

/** A domain rejection (a ValidationError in the use case): definitely nothing was changed. */
function isDomainRejection(error: unknown): boolean {
  const cause = activityCause(error);
  return cause instanceof ApplicationFailure && cause.nonRetryable === true;
}

/** Update handlers fail with the activity's own failure (type = error code) so callers can map it. */
function updateFailure(error: unknown): unknown {
  const cause = activityCause(error);
  if (cause instanceof ApplicationFailure) {
    return ApplicationFailure.create({
      type: cause.type ?? 'ActivityFailure',
      message: cause.message,
      nonRetryable: cause.nonRetryable === true,
      details: cause.details as unknown[] | undefined,
    });
  }
  if (error instanceof Error) {
    return ApplicationFailure.create({
      type: 'RESERVATION.ACTIVITY_FAILED',
      message: error.message,
      cause: error,
    });
  }
  return error;
}

/**
 * The reservation saga of one order (DESIGN.md): reserve via Update-With-Start (further SKUs join the
 * same run), then wait durably for the first of confirm, cancel, release or the TTL, apply it once,
 * and end. All activities of an order run one at a time.
 */
export async function reservationWorkflow(
  input: ReservationWorkflowInput,
): Promise<ReservationWorkflowResult> {
  const { orderId } = input;
  const placement = { ...DEFAULT_PLACEMENT, ...input.activities };
  const interactive = activitiesFor(placement.interactive, interactiveLocal, interactiveRegular);
  const background = activitiesFor(placement.background, backgroundLocal, backgroundRegular);
  const defaultTtlMs = (input.defaultTtlSeconds ?? DEFAULT_TTL_SECONDS) * 1000;

  let reservation: ReservationView | null = null;
  let attempted = false;
  let uncertain = false;
  /** Something may be reserved in the database that no confirm/release has covered yet. */
  let owesSettlement = false;
  let deadlineMs: number | null = null;
  let pending: PendingAction | null = null;
  let releaseReason: ReleaseReason | undefined;
  let ended = false;

  // Activities of one order never overlap: handlers and the main loop queue up here.
  // A FIFO lock; the uncontended path creates no extra promises (each one costs the workflow
  // sandbox a stack capture).
  let busy = false;
  const waiting: (() => void)[] = [];
  async function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (busy) await new Promise<void>((resolve) => waiting.push(resolve));
    busy = true;
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else busy = false;
    }
  }

  function phase(): ReservationPhase {
    if (reservation) return reservation.status;
    return (attempted || ended) && !uncertain ? 'REJECTED' : 'PENDING';
  }

  function publishSearchAttributes(): void {
    const current = workflowInfo().typedSearchAttributes;
    const skus = reservation ? reservation.lines.map((l) => l.sku).sort() : [];
    const expiresAt = deadlineMs === null ? null : new Date(deadlineMs);
    const updates = [];
    if (current.get(SearchAttributeKeys.orderId) !== orderId) {
      updates.push({ key: SearchAttributeKeys.orderId, value: orderId });
    }
    if (current.get(SearchAttributeKeys.status) !== phase()) {
      updates.push({ key: SearchAttributeKeys.status, value: phase() });
    }
    if (skus.length > 0 && (current.get(SearchAttributeKeys.skus) ?? []).join(',') !== skus.join(',')) {
      updates.push({ key: SearchAttributeKeys.skus, value: skus });
    }
    if (expiresAt && current.get(SearchAttributeKeys.expiresAt)?.getTime() !== expiresAt.getTime()) {
      updates.push({ key: SearchAttributeKeys.expiresAt, value: expiresAt });
    }
    if (updates.length > 0) upsertSearchAttributes(updates);
  }

  function apply(view: ReservationView): void {
    reservation = view;
    deadlineMs = Date.parse(view.expiresAt);
    if (view.status !== 'RESERVED') owesSettlement = false;
    if (view.releaseReason) releaseReason = view.releaseReason;
  }

  function markUncertain(ttlSeconds?: number): void {
    uncertain = true;
    owesSettlement = true;
    if (deadlineMs === null) deadlineMs = Date.now() + (ttlSeconds ? ttlSeconds * 1000 : defaultTtlMs);
  }

  async function reserve(command: ReserveCommand): Promise<ReserveOutcome> {
    try {
      const outcome = await interactive.reserveStock(command);
      switch (outcome.kind) {
        case 'reserved':
          apply(outcome.reservation);
          if (outcome.reservation.status === 'RESERVED') owesSettlement = true;
          break;
        case 'reservation-closed':
          apply(outcome.reservation);
          break;
        case 'quantity-conflict':
          // The order holds a line this run has not seen (an earlier run ended abnormally): guard it.
          if (!reservation) markUncertain(command.ttlSeconds);
          break;
        default:
          break;
      }
      return outcome;
    } catch (error) {
      if (!isDomainRejection(error)) markUncertain(command.ttlSeconds);
      log.warn('reserve failed', { orderId, error: String(error) });
      throw updateFailure(error);
    } finally {
      attempted = true;
      publishSearchAttributes();
    }
  }

  async function releaseLine(request: ReleaseLineRequest): Promise<ReleaseOutcome> {
    try {
      const outcome = await interactive.releaseStock({ orderId, sku: request.sku, reason: 'released' });
      if (outcome.kind === 'released') apply(outcome.reservation);
      return outcome;
    } catch (error) {
      throw updateFailure(error);
    } finally {
      publishSearchAttributes();
    }
  }

  async function settle(action: PendingAction | { kind: 'expire' }): Promise<void> {
    if (action.kind === 'confirm') {
      const outcome = await background.confirmStock({ orderId });
      if (outcome.kind !== 'not-found') apply(outcome.reservation);
      log.info('reservation confirmed', { orderId, outcome: outcome.kind });
    } else {
      const reason: ReleaseReason =
        action.kind === 'cancel' ? 'cancelled' : action.kind === 'release' ? 'released' : 'expired';
      const outcome = await background.releaseStock({ orderId, reason });
      if (outcome.kind === 'released') apply(outcome.reservation);
      log.info('reservation released', { orderId, reason, outcome: outcome.kind });
    }
    uncertain = false;
    owesSettlement = false;
    publishSearchAttributes();
  }

  setHandler(reserveUpdate, (command) => exclusive(() => reserve(command)), {
    validator: (command) => validateReserve(orderId, command),
  });
  setHandler(releaseUpdate, (request) => exclusive(() => releaseLine(request)), {
    validator: validateRelease,
  });
  // The first decision wins; duplicates and later contradictory ones are ignored.
  setHandler(confirmSignal, () => {
    pending ??= { kind: 'confirm' };
  });
  setHandler(cancelSignal, (request) => {
    pending ??= { kind: 'cancel', reason: request?.reason };
  });
  setHandler(releaseSignal, () => {
    pending ??= { kind: 'release' };
  });
  setHandler(statusQuery, (): ReservationWorkflowStatus => ({
    orderId,
    phase: phase(),
    reservation,
    expiresAt: deadlineMs === null ? null : new Date(deadlineMs).toISOString(),
    pendingAction: pending,
    uncertain,
  }));

  // TTL timer: one per deadline, never cancelled (a finished workflow drops its timers, and not
  // cancelling saves a command). Cheaper than condition(fn, timeout), which the hot path avoids.
  let timerDeadline: number | null = null;
  let timerFired = false;
  function armTimer(): void {
    deadlineMs ??= Date.now() + defaultTtlMs;
    if (deadlineMs === timerDeadline) return;
    const deadline = deadlineMs;
    timerDeadline = deadline;
    timerFired = deadline <= Date.now();
    if (!timerFired) {
      sleep(deadline - Date.now()).then(
        () => {
          if (timerDeadline === deadline) timerFired = true;
        },
        () => undefined,
      );
    }
  }
  const settlementDue = () =>
    owesSettlement && (pending !== null || (timerFired && timerDeadline === deadlineMs));
  const done = () => !owesSettlement && allHandlersFinished();

  // Let the activation's update (Update-With-Start delivers it with the start) reach its handler.
  await Promise.resolve();
  if (!attempted && allHandlersFinished()) {
    await condition(() => attempted, FIRST_RESERVE_GRACE);
  }

  for (;;) {
    if (owesSettlement) armTimer();
    await condition(() => settlementDue() || done() || (owesSettlement && deadlineMs !== timerDeadline));
    if (settlementDue()) {
      const action = pending ?? { kind: 'expire' as const };
      await exclusive(async () => {
        // Re-checked in the queue: an update ahead of us may have released the last line.
        if (owesSettlement) await settle(action);
      });
    } else if (done()) {
      break;
    }
  }

  ended = true;
  publishSearchAttributes();
  return { orderId, phase: phase(), ...(releaseReason ? { releaseReason } : {}), reservation };
}
