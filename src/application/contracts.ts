/**
 * The application layer's public shapes: what the HTTP façade, the Temporal activities and the
 * RabbitMQ bridge exchange with the use cases. Plain data only (JSON-serialisable: activities return
 * them through Temporal), dates as ISO-8601 strings.
 */

export type ReservationStatus = 'RESERVED' | 'CONFIRMED' | 'RELEASED';
export type ReleaseReason = 'cancelled' | 'expired' | 'released';
export type LineStatus = 'RESERVED' | 'CONFIRMED' | 'RELEASED';
export type MovementType = 'RESERVE' | 'RELEASE' | 'COMMIT' | 'REPLENISH' | 'ADJUST';

export interface PurchaseOrderRequestView {
  id: string;
  quantity: number;
  available: number;
  safetyStock: number;
  requestedAt: string;
}

export type PurchaseOrderRequestStatus = 'OPEN' | 'CLOSED';

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
  status?: 'open' | 'closed' | 'all';
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
  /** The open purchase-order request for this SKU, null when none is open. */
  openPurchaseOrder: PurchaseOrderRequestView | null;
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
}

export interface ShortLine {
  sku: string;
  requested: number;
  available: number;
}

export interface ConflictingLine {
  sku: string;
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
}

export type ReleaseOutcome =
  /** changed=false: nothing was still reserved (repeat, or already confirmed): a no-op. */
  | { kind: 'released'; changed: boolean; reservation: ReservationView }
  | { kind: 'not-found' }
  | { kind: 'line-not-found' };

export interface ConfirmCommand {
  orderId: string;
}

export type ConfirmOutcome =
  /** changed=false: already confirmed, or nothing left to commit. */
  | { kind: 'confirmed'; changed: boolean; reservation: ReservationView }
  /** The reservation was released (cancelled/expired) before the confirmation arrived. */
  | { kind: 'reservation-released'; reservation: ReservationView }
  | { kind: 'not-found' };

export interface SetLevelsCommand {
  sku: string;
  onHand: number;
  safetyStock?: number;
  reorderQuantity?: number;
}

export type SetLevelsOutcome =
  | { kind: 'created'; level: StockLevelView }
  | { kind: 'updated'; level: StockLevelView }
  | { kind: 'below-reserved'; reserved: number };

export interface ReplenishCommand {
  sku: string;
  quantity: number;
  reference?: string;
}

export type ReplenishOutcome = { kind: 'replenished'; level: StockLevelView } | { kind: 'not-found' };

export interface ListMovementsQuery {
  sku: string;
  /** 1..200, default 50 */
  limit?: number;
  cursor?: string;
}
