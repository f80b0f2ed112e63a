import type { InventoryEvent } from '../domain/events/InventoryEvents';
import type { IdGenerator } from '../domain/ports/IdGenerator';
import type { TransactionalRepositories } from '../domain/ports/UnitOfWorkPort';
import type { ProductInventory } from '../domain/ProductInventory';
import { PurchaseOrderRequest } from '../domain/PurchaseOrderRequest';
import {
  closesRequests,
  isBelowSafetyStock,
  safetyStockDecision,
  type StockChange,
} from '../domain/SafetyStockPolicy';

export interface SafetyStockReview {
  /** PurchaseOrderRequested events of the requests opened, to record after the stock events. */
  events: InventoryEvent[];
  /** The open request of each reviewed SKU after the review (absent: none, or not looked up). */
  open: Map<string, PurchaseOrderRequest>;
}

/**
 * Applies the safety-stock policy to the SKUs a command just changed, in the command's transaction and
 * under the stock row locks it already holds, so that per SKU the check "is a request open?" and the
 * insert of a new one cannot interleave with another command's. Call it after saving the stock rows (a
 * new SKU must exist before a request refers to it) and record the returned events after the stock
 * events, in the same outbox write.
 *
 * Only SKUs that can need a change are looked up: for a reservation, a release or a commit that is a
 * SKU below its safety stock; a replenishment or an operator's count may also close, so every SKU it
 * touched is looked up (its view shows the open request too).
 */
export async function reviewSafetyStock(
  tx: TransactionalRepositories,
  inventories: readonly ProductInventory[],
  change: StockChange,
  deps: { ids: IdGenerator; now: Date },
): Promise<SafetyStockReview> {
  const replenishing = closesRequests(change);
  const candidates = inventories.filter((i) => replenishing || isBelowSafetyStock(i));
  // A SKU created in this transaction cannot have a request yet.
  const lookup = candidates.filter((i) => !i.isNew).map((i) => i.sku);
  const open = lookup.length > 0 ? await tx.purchaseOrders.findOpenBySkus(lookup) : new Map();

  const changed: PurchaseOrderRequest[] = [];
  const events: InventoryEvent[] = [];
  for (const inventory of candidates) {
    const sku = inventory.sku.value;
    const current = open.get(sku);
    switch (safetyStockDecision(inventory, current !== undefined, change)) {
      case 'open': {
        const request = PurchaseOrderRequest.open({
          id: deps.ids.uuid(),
          sku: inventory.sku,
          levels: inventory,
          now: deps.now,
        });
        open.set(sku, request);
        changed.push(request);
        events.push(...request.pullEvents());
        break;
      }
      case 'close':
        current!.close(deps.now);
        open.delete(sku);
        changed.push(current!);
        break;
      case 'keep':
        break;
    }
  }
  await tx.purchaseOrders.save(changed);
  return { events, open };
}
