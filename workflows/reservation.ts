import { Mutex } from 'async-mutex';
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
  MAX_LINES_PER_REQUEST,
  QUANTITY_MAX,
  QUANTITY_MIN,
  SKU_MAX_LENGTH,
  TTL_SECONDS_DEFAULT,
  TTL_SECONDS_MAX,
  TTL_SECONDS_MIN,
} from '../src/domain/limits';
import {
  cancelSignal,
  confirmSignal,
  releaseSignal,
  releaseUpdate,
  requestSignal,
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
  type WorkflowRequestSignal,
} from './shared';

/** When an expiry finds the reservation not due in the database, how soon it looks again. */
const EXPIRY_RECHECK_MS = 5_000;
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
    if (!line || typeof line.sku !== 'string' || line.sku.length < 1 || line.sku.length > SKU_MAX_LENGTH) {
      reject(ValidationCodes.invalidSku, `every line needs a SKU of 1 to ${SKU_MAX_LENGTH} characters`);
    }
    if (!Number.isInteger(line.quantity) || line.quantity < QUANTITY_MIN || line.quantity > QUANTITY_MAX) {
      reject(
        ValidationCodes.invalidQuantity,
        `quantity of ${line.sku} must be an integer ${QUANTITY_MIN}..${QUANTITY_MAX}`,
      );
    }
  }
  const ttl = command.ttlSeconds;
  if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < TTL_SECONDS_MIN || ttl > TTL_SECONDS_MAX)) {
    reject(
      ValidationCodes.invalidTtl,
      `ttlSeconds must be an integer ${TTL_SECONDS_MIN}..${TTL_SECONDS_MAX}`,
    );
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
 * The TTL wait: one sleep() per deadline, never cancelled (a finished workflow drops its timers, and
 * not cancelling saves a command). Cheaper than condition(fn, timeout), which the hot path avoids.
 */
class TtlTimer {
  private deadlineMs: number | null = null;
  private fired = false;

  /** Starts the timer for `deadlineMs`, unless it already runs for it (a changed deadline gets a new one). */
  arm(deadlineMs: number): void {
    if (deadlineMs === this.deadlineMs) return;
    this.deadlineMs = deadlineMs;
    this.fired = deadlineMs <= Date.now();
    if (!this.fired) {
      sleep(deadlineMs - Date.now()).then(
        () => {
          if (this.deadlineMs === deadlineMs) this.fired = true;
        },
        () => undefined,
      );
    }
  }

  isArmedFor(deadlineMs: number | null): boolean {
    return this.deadlineMs === deadlineMs;
  }

  hasFiredFor(deadlineMs: number | null): boolean {
    return this.fired && this.deadlineMs === deadlineMs;
  }
}

/** What the saga settles: a decision it received, or the expiry of its TTL. */
type Settlement = PendingAction | { kind: 'expire' };

/** What one run knows about its order. Handlers and steps change it; the methods derive from it. */
class ReservationState {
  /** The reservation as the last activity returned it. */
  reservation: ReservationView | null = null;
  /** A reserve ran, or the dispatcher reported the database's reservation (RESERVE_MODE=db). */
  attempted = false;
  /** A reserve failed without an answer: the database may hold stock this run has not seen. */
  uncertain = false;
  /** Something may be reserved in the database that no confirm/release has covered yet. */
  owesSettlement = false;
  deadlineMs: number | null = null;
  /** The first decision received; duplicates and later contradictory ones are ignored. */
  pending: PendingAction | null = null;
  releaseReason: ReleaseReason | undefined;
  ended = false;
  /** RESERVE_MODE=db: the reservation the dispatcher reported (no reserve update runs here). */
  reportedSkus: string[] = [];
  reportedOpen = false;
  settled = false;
  readonly ttl = new TtlTimer();

  constructor(
    readonly orderId: string,
    private readonly defaultTtlMs: number,
  ) {}

  phase(): ReservationPhase {
    if (this.reservation) return this.reservation.status;
    if (this.reportedOpen && !this.settled) return 'RESERVED';
    return (this.attempted || this.ended) && !this.uncertain ? 'REJECTED' : 'PENDING';
  }

  skus(): string[] {
    return this.reservation ? this.reservation.lines.map((l) => l.sku).sort() : [...this.reportedSkus].sort();
  }

  decide(action: PendingAction): void {
    this.pending ??= action;
  }

  /** A decision waits, or the TTL timer fired for the current deadline. */
  settlementDue(): boolean {
    return this.owesSettlement && (this.pending !== null || this.ttl.hasFiredFor(this.deadlineMs));
  }

  /** The deadline changed since the timer was armed (an extension, a recheck): it needs a new one. */
  deadlineMoved(): boolean {
    return this.owesSettlement && !this.ttl.isArmedFor(this.deadlineMs);
  }

  /** Nothing left to settle and no handler still running: the run may end. */
  done(): boolean {
    return !this.owesSettlement && allHandlersFinished();
  }

  nextSettlement(): Settlement {
    return this.pending ?? { kind: 'expire' };
  }

  armTtl(): void {
    this.deadlineMs ??= Date.now() + this.defaultTtlMs;
    this.ttl.arm(this.deadlineMs);
  }

  apply(view: ReservationView): void {
    this.reservation = view;
    this.deadlineMs = Date.parse(view.expiresAt);
    if (view.status !== 'RESERVED') this.owesSettlement = false;
    if (view.releaseReason) this.releaseReason = view.releaseReason;
  }

  /** A reserve may have committed without this run knowing: guard the TTL as if it had. */
  markUncertain(ttlSeconds?: number): void {
    this.uncertain = true;
    this.owesSettlement = true;
    if (this.deadlineMs === null) {
      this.deadlineMs = Date.now() + (ttlSeconds ? ttlSeconds * 1000 : this.defaultTtlMs);
    }
  }

  markSettled(): void {
    this.uncertain = false;
    this.owesSettlement = false;
    this.settled = true;
  }

  status(): ReservationWorkflowStatus {
    return {
      orderId: this.orderId,
      phase: this.phase(),
      reservation: this.reservation,
      expiresAt: this.deadlineMs === null ? null : new Date(this.deadlineMs).toISOString(),
      pendingAction: this.pending,
      uncertain: this.uncertain,
    };
  }

  result(): ReservationWorkflowResult {
    const { orderId, releaseReason, reservation } = this;
    return { orderId, phase: this.phase(), ...(releaseReason ? { releaseReason } : {}), reservation };
  }
}

/**
 * The reservation saga of one order (DESIGN.md): reserve (Update-With-Start; further SKUs join the same
 * run) or accept the reservation the database made (RESERVE_MODE=db), then wait durably for the first
 * of confirm, cancel, release or the TTL, settle it once, and end. All activities of an order run one
 * at a time, under one mutex.
 */
export async function reservationWorkflow(
  input: ReservationWorkflowInput,
): Promise<ReservationWorkflowResult> {
  const { orderId } = input;
  const placement = { ...DEFAULT_PLACEMENT, ...input.activities };
  const interactive = activitiesFor(placement.interactive, interactiveLocal, interactiveRegular);
  const background = activitiesFor(placement.background, backgroundLocal, backgroundRegular);
  const state = new ReservationState(orderId, (input.defaultTtlSeconds ?? TTL_SECONDS_DEFAULT) * 1000);
  // Uncontended, runExclusive costs a few promises (each one a stack capture in the sandbox): fine
  // for the handful of steps of a reservation.
  const activitiesOfTheOrder = new Mutex();

  function publishSearchAttributes(): void {
    const current = workflowInfo().typedSearchAttributes;
    const phase = state.phase();
    const skus = state.skus();
    const expiresAt = state.deadlineMs === null ? null : new Date(state.deadlineMs);
    const updates = [];
    if (current.get(SearchAttributeKeys.orderId) !== orderId) {
      updates.push({ key: SearchAttributeKeys.orderId, value: orderId });
    }
    if (current.get(SearchAttributeKeys.status) !== phase) {
      updates.push({ key: SearchAttributeKeys.status, value: phase });
    }
    if (skus.length > 0 && (current.get(SearchAttributeKeys.skus) ?? []).join(',') !== skus.join(',')) {
      updates.push({ key: SearchAttributeKeys.skus, value: skus });
    }
    if (expiresAt && current.get(SearchAttributeKeys.expiresAt)?.getTime() !== expiresAt.getTime()) {
      updates.push({ key: SearchAttributeKeys.expiresAt, value: expiresAt });
    }
    if (updates.length > 0) upsertSearchAttributes(updates);
  }

  /** Step 1 (RESERVE_MODE=workflow): the reserve update runs the reserve transaction. */
  async function reserve(command: ReserveCommand): Promise<ReserveOutcome> {
    try {
      const outcome = await interactive.reserveStock(command);
      switch (outcome.kind) {
        case 'reserved':
          state.apply(outcome.reservation);
          if (outcome.reservation.status === 'RESERVED') state.owesSettlement = true;
          break;
        case 'reservation-closed':
          state.apply(outcome.reservation);
          break;
        case 'quantity-conflict':
          // The order holds a line this run has not seen (an earlier run ended abnormally): guard it.
          if (!state.reservation) state.markUncertain(command.ttlSeconds);
          break;
        default:
          break;
      }
      return outcome;
    } catch (error) {
      if (!isDomainRejection(error)) state.markUncertain(command.ttlSeconds);
      log.warn('reserve failed', { orderId, error: String(error) });
      throw updateFailure(error);
    } finally {
      state.attempted = true;
      publishSearchAttributes();
    }
  }

  /** Step 1 (RESERVE_MODE=db): the dispatcher's report of the database's reservation, and its decision. */
  function acceptReservation(request: WorkflowRequestSignal): void {
    state.attempted = true;
    if (request.status === 'RESERVED' && request.expiresAt && !state.settled) {
      state.reportedOpen = true;
      state.owesSettlement = true;
      state.deadlineMs = Date.parse(request.expiresAt);
      state.reportedSkus = [...new Set([...state.reportedSkus, ...request.skus])];
    }
    if (request.status !== 'RESERVED' && request.status !== null && state.owesSettlement) {
      // Settled in the database without this run (released by the caller, or expired while no worker
      // ran): a no-op release picks up the final state, and the run ends.
      state.decide({ kind: 'release' });
    }
    if (request.kind === 'confirm') state.decide({ kind: 'confirm' });
    else if (request.kind === 'cancel') state.decide({ kind: 'cancel', reason: request.reason });
    else if (request.kind === 'release') state.decide({ kind: 'release' });
    publishSearchAttributes();
  }

  /** The HTTP API's release of one line, while the others stay reserved. */
  async function releaseLine(request: ReleaseLineRequest): Promise<ReleaseOutcome> {
    try {
      const outcome = await interactive.releaseStock({
        orderId,
        sku: request.sku,
        reason: 'released',
        ...(request.deadline !== undefined ? { deadline: request.deadline } : {}),
      });
      if (outcome.kind === 'released') state.apply(outcome.reservation);
      return outcome;
    } catch (error) {
      throw updateFailure(error);
    } finally {
      publishSearchAttributes();
    }
  }

  /**
   * Step 2: the first of a decision signal or the TTL timer, or the end (nothing owed, no handler
   * running). It hands back condition()'s own promise rather than awaiting it: the main loop then asks
   * for the mutex in the same microtask as the recorded histories' code did, which keeps the order of
   * commands (and replay) unchanged.
   */
  function waitForDecision(): Promise<void> {
    if (state.owesSettlement) state.armTtl();
    return condition(() => state.settlementDue() || state.done() || state.deadlineMoved());
  }

  /**
   * Step 3: commit or release, once. Queued behind any update still running, and re-checked there:
   * an update ahead of it may have released the last line.
   */
  function settle(settlement: Settlement): Promise<void> {
    return activitiesOfTheOrder.runExclusive(async () => {
      if (state.owesSettlement) await applySettlement(settlement);
    });
  }

  async function applySettlement(settlement: Settlement): Promise<void> {
    if (settlement.kind === 'confirm') {
      const outcome = await background.confirmStock({ orderId });
      if (outcome.kind !== 'not-found') state.apply(outcome.reservation);
      log.info('reservation confirmed', { orderId, outcome: outcome.kind });
    } else {
      const reason: ReleaseReason =
        settlement.kind === 'cancel' ? 'cancelled' : settlement.kind === 'release' ? 'released' : 'expired';
      // order-service's reason for a cancel goes on to the RELEASE movements and StockReleased events
      // (the ledger's note): an operator reading why stock came back should not need order_decisions.
      const note = settlement.kind === 'cancel' ? settlement.reason : undefined;
      const outcome = await background.releaseStock({ orderId, reason, ...(note ? { note } : {}) });
      if (outcome.kind === 'released') state.apply(outcome.reservation);
      if (reason === 'expired' && outcome.kind === 'released' && outcome.reservation.status === 'RESERVED') {
        // Not due in the database (extended, or a decision recorded before the expiry is still on its
        // way): apply() took the database's expiresAt; when that has passed, look again shortly, unless
        // the decision arrives first.
        if (state.deadlineMs !== null && state.deadlineMs <= Date.now()) {
          state.deadlineMs = Date.now() + EXPIRY_RECHECK_MS;
        }
        publishSearchAttributes();
        return;
      }
      log.info('reservation released', { orderId, reason, outcome: outcome.kind });
    }
    state.markSettled();
    publishSearchAttributes();
  }

  setHandler(reserveUpdate, (command) => activitiesOfTheOrder.runExclusive(() => reserve(command)), {
    validator: (command) => validateReserve(orderId, command),
  });
  setHandler(releaseUpdate, (request) => activitiesOfTheOrder.runExclusive(() => releaseLine(request)), {
    validator: validateRelease,
  });
  setHandler(confirmSignal, () => state.decide({ kind: 'confirm' }));
  setHandler(cancelSignal, (request) => state.decide({ kind: 'cancel', reason: request?.reason }));
  setHandler(releaseSignal, () => state.decide({ kind: 'release' }));
  setHandler(requestSignal, acceptReservation);
  setHandler(statusQuery, () => state.status());

  // Let the activation's update (Update-With-Start delivers it with the start) reach its handler; a run
  // whose first update was rejected waits a little for a valid one before it ends.
  await Promise.resolve();
  if (!state.attempted && allHandlersFinished()) {
    await condition(() => state.attempted, FIRST_RESERVE_GRACE);
  }

  // DESIGN.md step 4: wait for the first of confirm, cancel, release or the TTL, settle it, end.
  for (;;) {
    await waitForDecision();
    if (state.settlementDue()) await settle(state.nextSettlement());
    else if (state.done()) break;
  }

  state.ended = true;
  publishSearchAttributes();
  return state.result();
}
