import type { OrderId } from '../OrderId';

export type OrderDecision = 'CONFIRMED' | 'CANCELLED';

/** order-service's decisions that found no reservation of their order (kept for operators). */
export interface OrderDecisionPort {
  /** Idempotent: a second record of the same decision keeps the first. */
  recordUnmatched(entry: { orderId: OrderId; decision: OrderDecision; reason?: string }): Promise<void>;
  /**
   * A decision on an open reservation, kept until the reservation is settled: the expiry paths leave
   * the order alone meanwhile (the decision came first), even once its workflow request was delivered.
   */
  recordMatched(entry: { orderId: OrderId; decision: OrderDecision }): Promise<void>;
  /**
   * Whether a confirm or cancel of the order is waiting: recorded and not yet delivered to its
   * workflow, or kept until its open reservation is settled.
   */
  hasPendingDecision(orderId: OrderId): Promise<boolean>;
}
