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

export type StockReleased = EventOf<
  'StockReleased',
  { orderId: string; sku: string; quantity: number; available: number; reason: ReleaseReason }
>;

export type StockCommitted = EventOf<
  'StockCommitted',
  { orderId: string; sku: string; quantity: number; onHand: number }
>;

export type StockReplenished = EventOf<
  'StockReplenished',
  { sku: string; quantity: number; onHand: number; available: number; reference?: string }
>;

export type InventoryEvent = StockReserved | StockReleased | StockCommitted | StockReplenished;
export type InventoryEventType = InventoryEvent['type'];
