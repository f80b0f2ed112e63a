import type { ReleaseReason } from '../ReleaseReason';

/**
 * Facts the inventory publishes (CONTRACT.md, Events). `data` is the message body's `data` as is
 * (JSON values only); `sku` orders the events of one product.
 */
interface EventOf<T extends string, D> {
  readonly type: T;
  readonly sku: string;
  readonly occurredAt: Date;
  readonly data: D;
}

export type StockReserved = EventOf<
  'StockReserved',
  { orderId: string; sku: string; quantity: number; available: number; expiresAt: string }
>;

/** `note`: order-service's reason for a cancel, when it gave one. */
export type StockReleased = EventOf<
  'StockReleased',
  { orderId: string; sku: string; quantity: number; available: number; reason: ReleaseReason; note?: string }
>;

export type StockCommitted = EventOf<
  'StockCommitted',
  { orderId: string; sku: string; quantity: number; onHand: number }
>;

export type StockReplenished = EventOf<
  'StockReplenished',
  { sku: string; quantity: number; onHand: number; available: number; reference?: string }
>;

/** An operator's adjustment of on hand (`delta` signed), with its reason. */
export type StockAdjusted = EventOf<
  'StockAdjusted',
  {
    sku: string;
    delta: number;
    onHand: number;
    reserved: number;
    available: number;
    reason: string;
    reference?: string;
    note?: string;
  }
>;

/** Available stock reached 0 (it was above). */
export type StockDepleted = EventOf<
  'StockDepleted',
  { sku: string; onHand: number; reserved: number; available: number }
>;

/** Available stock rose above 0 again (it was 0). */
export type StockRestored = EventOf<
  'StockRestored',
  { sku: string; onHand: number; reserved: number; available: number }
>;

/**
 * Contract fields { sku, available, safetyStock, quantity } plus `requestId` (the open request, the same
 * in every reminder of it) and, on a reminder, `reminder` (1, 2, ...): consumers that already acted on
 * the request recognise it by `requestId`.
 */
export type PurchaseOrderRequested = EventOf<
  'PurchaseOrderRequested',
  {
    sku: string;
    available: number;
    safetyStock: number;
    quantity: number;
    requestId: string;
    reorderQuantity: number;
    reminder?: number;
  }
>;

export type InventoryEvent =
  | StockReserved
  | StockReleased
  | StockCommitted
  | StockReplenished
  | StockAdjusted
  | StockDepleted
  | StockRestored
  | PurchaseOrderRequested;
export type InventoryEventType = InventoryEvent['type'];
