import type { PurchaseOrderRequestStatus } from '../domain/PurchaseOrderRequest';
import type { ReleaseReason } from '../domain/ReleaseReason';
import type { LineStatus, ReservationStatus } from '../domain/Reservation';
import type { MovementType } from '../domain/StockMovement';
import type { PurchaseOrderFilter } from './input';

/**
 * The application layer's public shapes: what the HTTP façade, the Temporal activities and the
 * RabbitMQ bridge exchange with the use cases. Plain data only (JSON-serialisable: activities return
 * them through Temporal), dates as ISO-8601 strings.
 */

// The domain's vocabularies, re-exported so the adapters read one module of wire shapes.
export type { LineStatus, MovementType, PurchaseOrderRequestStatus, ReleaseReason, ReservationStatus };

export interface PurchaseOrderRequestView {
  id: string;
  quantity: number;
  available: number;
  safetyStock: number;
  requestedAt: string;
}

/** A purchase-order request as operators list it. */
export interface PurchaseOrderView {
  id: string;
  sku: string;
  status: PurchaseOrderRequestStatus;
  quantity: number;
  /** Available stock when the request was raised. */
  available: number;
  safetyStock: number;
  reorderQuantity: number;
  requestedAt: string;
  closedAt: string | null;
  remindersSent: number;
}

export interface PurchaseOrderPage {
  items: PurchaseOrderView[];
  nextCursor: string | null;
}

export interface ListPurchaseOrdersQuery {
  /** open (default), closed or all. */
  status?: PurchaseOrderFilter;
  /** 1..200, default 50 */
  limit?: number;
  cursor?: string;
}

export interface RemindPurchaseOrderCommand {
  sku: string;
  requestId: string;
  /**
   * The reminder's number (1, 2, ...). A request that already sent this many is left alone, so a retried
   * activity never announces the same reminder twice.
   */
  reminder: number;
}

export type RemindPurchaseOrderOutcome =
  /** `reminder`: how many reminders the request has sent now (this one included). */
  | { kind: 'reminded'; reminder: number; available: number }
  /** Stock was replenished: nothing to remind of. */
  | { kind: 'closed' }
  | { kind: 'not-found' };

export interface StockLevelView {
  sku: string;
  onHand: number;
  reserved: number;
  available: number;
  safetyStock: number;
  reorderQuantity: number;
  updatedAt: string;
  /** The stored row's version: it grows by one with every change of the row (the HTTP ETag). */
  version: number;
  /** The open purchase-order request for this SKU, null when none is open. */
  openPurchaseOrder: PurchaseOrderRequestView | null;
}

export interface StockLevelBatch {
  /** One level per known SKU, in the order asked (duplicates once). */
  items: StockLevelView[];
  /** The SKUs asked for that do not exist, in the order asked. */
  unknown: string[];
}

export interface ListBelowSafetyStockQuery {
  /** 1..200, default 50 */
  limit?: number;
  cursor?: string;
}

/** SKUs whose available stock is under their safety stock, by SKU. */
export interface StockLevelPage {
  items: StockLevelView[];
  nextCursor: string | null;
}

export interface ReservationLineView {
  sku: string;
  quantity: number;
  status: LineStatus;
}

export interface ReservationView {
  orderId: string;
  status: ReservationStatus;
  lines: ReservationLineView[];
  expiresAt: string;
  createdAt: string;
  updatedAt: string;
  releaseReason?: ReleaseReason;
}

export interface MovementView {
  id: string;
  sku: string;
  type: MovementType;
  quantity: number;
  orderId?: string;
  reason?: string;
  reference?: string;
  note?: string;
  onHandAfter: number;
  reservedAfter: number;
  occurredAt: string;
}

export interface MovementPage {
  items: MovementView[];
  nextCursor: string | null;
}

export interface LineRequest {
  sku: string;
  quantity: number;
}

export interface ReserveCommand {
  orderId: string;
  lines: LineRequest[];
  /** 1..86400, default 900. Only the first reserve of an order sets the expiry. */
  ttlSeconds?: number;
  /**
   * ISO-8601: past this instant the reserve is refused (DEADLINE_EXCEEDED) and nothing is reserved.
   * The HTTP façade sets it to the request's deadline (REQUEST_DEADLINE_MS from its arrival); without
   * it the orchestrator sets now + REQUEST_DEADLINE_MS. In RESERVE_MODE=workflow it also means that an
   * update that reaches the worker after the caller was answered 503 never takes stock.
   */
  deadline?: string;
}

/** A line the stock cannot cover: `available` is what the SKU has. */
export interface ShortLine {
  sku: string;
  requested: number;
  available: number;
}

/** A line the order already holds with another quantity: a reserve never changes a held quantity. */
export interface ConflictingLine {
  sku: string;
  /** What the order holds. */
  reserved: number;
  requested: number;
}

export type ReserveOutcome =
  /** created=false: every requested line was already reserved with the same quantity (idempotent repeat). */
  | { kind: 'reserved'; created: boolean; reservation: ReservationView }
  | { kind: 'insufficient-stock'; lines: ShortLine[] }
  | { kind: 'unknown-sku'; skus: string[] }
  | { kind: 'quantity-conflict'; lines: ConflictingLine[] }
  | { kind: 'reservation-closed'; reservation: ReservationView };

export interface ReleaseCommand {
  orderId: string;
  /** Release only this SKU's line; all still-reserved lines when absent. */
  sku?: string;
  reason: ReleaseReason;
  /**
   * Kept on the RELEASE movements and the StockReleased events: order-service's reason for a cancel.
   * Never fails the release: cut to the note limit, unstorable characters dropped.
   */
  note?: string;
}

export type ReleaseOutcome =
  /** changed=false: nothing was still reserved (repeat, or already confirmed): a no-op. */
  | { kind: 'released'; changed: boolean; reservation: ReservationView }
  | { kind: 'not-found' }
  | { kind: 'line-not-found' };

export interface ExtendCommand {
  orderId: string;
  /** 1..86400: the new expiry is this far from now, capped at the reservation's maximum age. */
  ttlSeconds: number;
}

export type ExtendOutcome =
  /** changed=false: the expiry was already at least that late (or at the maximum age). */
  | { kind: 'extended'; changed: boolean; reservation: ReservationView }
  | { kind: 'not-found' }
  /** Released, confirmed, or past its expiry: nothing to extend. */
  | { kind: 'reservation-closed'; reservation: ReservationView };

export interface ConfirmCommand {
  orderId: string;
}

export type ConfirmOutcome =
  /** changed=false: already confirmed, or nothing left to commit. */
  | { kind: 'confirmed'; changed: boolean; reservation: ReservationView }
  /** The reservation was released (cancelled/expired) before the confirmation arrived. */
  | { kind: 'reservation-released'; reservation: ReservationView }
  | { kind: 'not-found' };

/**
 * A conditional write's precondition on the stock row's version (HTTP If-Match): `*` needs the SKU to
 * exist, a list needs its current version to be one of them (an empty list never holds).
 */
export type VersionPrecondition = '*' | readonly number[];

export interface SetLevelsCommand {
  sku: string;
  onHand: number;
  safetyStock?: number;
  reorderQuantity?: number;
  ifMatch?: VersionPrecondition;
}

export type SetLevelsOutcome =
  | { kind: 'created'; level: StockLevelView }
  | { kind: 'updated'; level: StockLevelView }
  | { kind: 'below-reserved'; reserved: number }
  /** The precondition did not hold: the current level (null: the SKU does not exist); nothing changed. */
  | { kind: 'precondition-failed'; level: StockLevelView | null };

export interface ReplenishCommand {
  sku: string;
  quantity: number;
  reference?: string;
}

export type ReplenishOutcome =
  /** repeated: a replenishment with this reference was already booked for the SKU; nothing changed. */
  | { kind: 'replenished'; level: StockLevelView; repeated?: boolean }
  | { kind: 'not-found' }
  /** On hand would exceed StockCount.MAX; nothing changed. */
  | { kind: 'on-hand-limit'; onHand: number; max: number };

export interface ListMovementsQuery {
  sku: string;
  /** 1..200, default 50 */
  limit?: number;
  cursor?: string;
  /** Only movements of this type. */
  type?: MovementType;
  /** Only movements with this reason (an adjustment's, a release's...). */
  reason?: string;
}

export type { AdjustmentReason } from '../domain/StockMovement';
import type { AdjustmentReason } from '../domain/StockMovement';

/** Exactly one of delta (signed change of on hand) and onHand (the count). */
export interface AdjustCommand {
  sku: string;
  delta?: number;
  onHand?: number;
  reason: AdjustmentReason;
  reference?: string;
  note?: string;
  ifMatch?: VersionPrecondition;
}

export type AdjustOutcome =
  | { kind: 'adjusted'; level: StockLevelView }
  | { kind: 'not-found' }
  /** onHand: what the adjustment would have left. */
  | { kind: 'below-reserved'; onHand: number; reserved: number }
  | { kind: 'precondition-failed'; level: StockLevelView | null };
