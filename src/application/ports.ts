import type { Sku } from '../domain/Sku';
import type { UnitOfWorkOptions } from '../domain/ports/UnitOfWorkPort';
import type {
  ConfirmOutcome,
  ExtendCommand,
  ExtendOutcome,
  ReleaseCommand,
  ReleaseOutcome,
  ReserveCommand,
  ReserveOutcome,
  StockLevelView,
} from './contracts';

/**
 * Drives an order's reservation saga (the Temporal workflow `reservation-<orderId>`). The HTTP façade
 * talks to this port, never to the use cases directly, for the commands that change a reservation.
 */
export interface ReservationOrchestratorPort {
  /**
   * Reserves the command's lines (one transaction, or the workflow's Update-With-Start) and returns
   * the outcome. `command.deadline`, when set, is the caller's; without it, now + REQUEST_DEADLINE_MS.
   */
  reserve(command: ReserveCommand): Promise<ReserveOutcome>;
  /**
   * Releases one SKU line (or all lines) through the running workflow; works on finished ones too.
   * `options.deadline` as the reserve's (past it: 503, nothing released).
   */
  release(command: ReleaseCommand, options?: UnitOfWorkOptions): Promise<ReleaseOutcome>;
  /** Moves an open reservation's expiry forward; the order's workflow re-arms its timer to it. */
  extend(command: ExtendCommand, options?: UnitOfWorkOptions): Promise<ExtendOutcome>;
}

export type SignalDelivery = 'signalled' | 'no-workflow';

/** What the RabbitMQ bridge needs from the orchestration side: order-service's decisions as signals. */
export interface OrderSignalPort {
  confirm(orderId: string): Promise<SignalDelivery>;
  cancel(orderId: string, reason?: string): Promise<SignalDelivery>;
}

export interface StockLevelPageRequest {
  limit: number;
  /** Only SKUs after this one (the last of the previous page). */
  afterSku?: string;
}

/**
 * The read side of GET /inventory/:sku: a SKU's view (levels and open purchase-order request) in one
 * query, exactly what GetStockLevel composes from the repositories, without loading aggregates.
 */
export interface StockLevelReaderPort {
  findStockLevel(sku: Sku): Promise<StockLevelView | null>;
  /** The views of the SKUs that exist among these, in one query (any order). */
  findStockLevels(skus: readonly Sku[]): Promise<StockLevelView[]>;
  /** SKUs whose available stock is under their safety stock, by SKU ascending. */
  listBelowSafetyStock(page: StockLevelPageRequest): Promise<StockLevelView[]>;
}

export type { ConfirmOutcome };

/** What a consumer recorded once it handled a message: the stored outcome of its first delivery. */
export type ProcessedOutcome = 'signalled' | 'no-workflow' | 'recorded';

export interface ProcessedMessage {
  messageId: string;
  messageType: string;
  outcome: ProcessedOutcome;
  detail?: string;
  /** What the message said (see ReceivedOrderEvent.fingerprint); absent on records older than it. */
  fingerprint?: string;
}

/** The bridge's memory of handled messages (deduplication by eventId). */
export interface ProcessedMessagesPort {
  find(messageId: string): Promise<ProcessedMessage | undefined>;
  /** Idempotent: a second record of the same id keeps the first. */
  record(entry: ProcessedMessage): Promise<void>;
}

/** Whose key it is: the same key from another caller, or on another method or path, is another key. */
export interface IdempotencyScope {
  key: string;
  principal: string;
  method: string;
  path: string;
}

/** The first response to a keyed request, as it is replayed. */
export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * A started key as its request holds it: the scope and the token of this one claim. Completing or
 * abandoning it touches the key only while this claim still holds it, so a request that ran past its
 * lease cannot overwrite or free the claim of a retry that took the key over.
 */
export interface IdempotencyClaim extends IdempotencyScope {
  token: string;
}

export type IdempotencyBegin =
  /** The key is new (or its earlier holder's lease ran out): this request runs, then completes or abandons it. */
  | { kind: 'started'; claim: IdempotencyClaim }
  /** The same request completed before: answer its response again. */
  | { kind: 'replay'; response: StoredResponse }
  /** The key was used with another request body. */
  | { kind: 'mismatch' }
  /** The same key's first request is still running. */
  | { kind: 'in-flight' };

/**
 * Idempotency-Key storage (IETF httpapi idempotency-key draft): claims a key for one request, keeps its
 * response for the retention period, purges what has expired.
 */
export interface IdempotencyStorePort {
  /**
   * `fingerprint` identifies the request body: the same key with another fingerprint is a mismatch.
   * `options.deadline` (each method's): past it the call fails as unavailable.
   */
  begin(scope: IdempotencyScope, fingerprint: string, options?: UnitOfWorkOptions): Promise<IdempotencyBegin>;
  /** Keeps the response of a claim that still holds its key; repeats get it until the key expires. */
  complete(claim: IdempotencyClaim, response: StoredResponse, options?: UnitOfWorkOptions): Promise<void>;
  /** Forgets the key of a claim that still holds it and whose request failed (5xx): a retry runs again. */
  abandon(claim: IdempotencyClaim, options?: UnitOfWorkOptions): Promise<void>;
  /** Deletes up to `batch` expired keys; returns how many. */
  purgeExpired(batch: number): Promise<number>;
}

/** Reservations still RESERVED past a point in time, oldest expiry first (the expiry sweep's read). */
export interface ExpiredReservationsPort {
  /** Order ids whose reservation expired at or before `before` and has no decision waiting. */
  listExpired(before: Date, limit: number): Promise<string[]>;
}

/** One dependency's or component's state, as /health/ready reports it. */
export interface HealthCheckResult {
  ok: boolean;
  detail?: string;
}

/** Implemented by the adapter that owns the technology it probes (Postgres, RabbitMQ, Temporal). */
export type HealthCheck = () => Promise<HealthCheckResult>;
