import { Quantity } from '../domain/Quantity';
import type { UnitOfWorkOptions } from '../domain/ports/UnitOfWorkPort';
import { Sku } from '../domain/Sku';
import { StockCount } from '../domain/StockCount';
import type { ReplenishCommand, ReplenishOutcome } from './contracts';
import type { CommandDependencies } from './dependencies';
import { parseReference } from './input';
import { toOutboxMessages } from './outbox';
import { reviewSafetyStock } from './safetyStock';
import { toStockLevelView } from './views';

/**
 * Goods arrived: on hand grows (a REPLENISH movement, a StockReplenished event). When available stock
 * is back to or above safety stock, the SKU's open purchase-order request closes in the same transaction.
 * A reference is booked once per SKU: a repeat with the same reference changes nothing.
 */
export class ReplenishStock {
  constructor(private readonly deps: CommandDependencies) {}

  async execute(command: ReplenishCommand, options: UnitOfWorkOptions = {}): Promise<ReplenishOutcome> {
    const sku = Sku.of(command.sku);
    const quantity = Quantity.of(command.quantity);
    const reference = parseReference(command.reference);

    return this.deps.unitOfWork.run(async (tx) => {
      const inventory = (await tx.inventory.lockForUpdate([sku])).get(sku.value);
      if (!inventory) return { kind: 'not-found' };
      // Under the row lock: a concurrent replenishment with the same reference has committed or waits.
      if (reference !== undefined && (await tx.movements.findReplenishment(sku, reference))) {
        const open = await tx.purchaseOrders.findOpenBySkus([sku]);
        return {
          kind: 'replenished',
          repeated: true,
          level: toStockLevelView(inventory, open.get(sku.value)),
        };
      }
      if (!inventory.canReplenish(quantity)) {
        return { kind: 'on-hand-limit', onHand: inventory.onHand, max: StockCount.MAX };
      }
      const now = this.deps.clock.now();
      inventory.replenish(quantity, reference, now);
      await tx.inventory.save([inventory]);
      const review = await reviewSafetyStock(tx, [inventory], 'REPLENISH', { ids: this.deps.ids, now });
      await tx.outbox.record(toOutboxMessages([...inventory.pullEvents(), ...review.events], this.deps.ids));
      return { kind: 'replenished', level: toStockLevelView(inventory, review.open.get(sku.value)) };
    }, options);
  }
}
