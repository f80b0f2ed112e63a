import { StockCount } from './StockCount';

/** The levels the policy looks at (a ProductInventory has them all). */
export interface SafetyStockLevels {
  readonly available: number;
  readonly safetyStock: number;
  readonly reorderQuantity: number;
}

/** What changed a SKU's stock: only replenishments (goods in, an operator's count) close a request. */
export type StockChange = 'RESERVE' | 'RELEASE' | 'COMMIT' | 'REPLENISH' | 'SET_LEVELS' | 'ADJUST';

/** Goods in, or an operator's count (levels set, or an adjustment with its reason). */
const REPLENISHING: ReadonlySet<StockChange> = new Set(['REPLENISH', 'SET_LEVELS', 'ADJUST']);

/** Whether this change may close an open request once stock is back to safety stock. */
export function closesRequests(change: StockChange): boolean {
  return REPLENISHING.has(change);
}

export type SafetyStockDecision = 'open' | 'close' | 'keep';

export function isBelowSafetyStock(levels: SafetyStockLevels): boolean {
  return levels.available < levels.safetyStock;
}

/**
 * Units to order so that available stock gets back to safety stock plus the reorder quantity. At least
 * 1 whenever stock is below safety stock; capped at what a stock level column can hold.
 */
export function purchaseQuantity(levels: SafetyStockLevels): number {
  const quantity = levels.safetyStock + levels.reorderQuantity - levels.available;
  return Math.max(1, Math.min(quantity, StockCount.MAX));
}

/**
 * DESIGN.md step 6, decided after a change, under the SKU's stock row lock:
 * - below safety stock with no open request → open one (whatever the change: reserve, commit, an
 *   operator raising the safety stock...);
 * - back to or above safety stock with a request open → close it, but only when the change was a
 *   replenishment. A released reservation can lift available stock for a while; the request stays
 *   open until goods arrive or an operator sets the levels.
 */
export function safetyStockDecision(
  levels: SafetyStockLevels,
  hasOpenRequest: boolean,
  change: StockChange,
): SafetyStockDecision {
  if (isBelowSafetyStock(levels)) return hasOpenRequest ? 'keep' : 'open';
  if (hasOpenRequest && closesRequests(change)) return 'close';
  return 'keep';
}
