import { ProductInventory, type StockLevelsInput } from '../domain/ProductInventory';
import type { UnitOfWorkOptions } from '../domain/ports/UnitOfWorkPort';
import { Sku } from '../domain/Sku';
import type { SetLevelsCommand, SetLevelsOutcome } from './contracts';
import type { CommandDependencies } from './dependencies';
import { toOutboxMessages } from './outbox';
import { preconditionHolds } from './preconditions';
import { reviewSafetyStock } from './safetyStock';
import { toStockLevelView } from './views';

/**
 * Creates a SKU with its levels, or sets the levels of an existing one (an operator's count). Either
 * may open a purchase-order request (stock below safety stock) or close the open one (back to or above
 * it); the count is reviewed even when it changes nothing, so a SKU below safety stock without a
 * request gets one.
 */
export class SetStockLevels {
  constructor(private readonly deps: CommandDependencies) {}

  async execute(command: SetLevelsCommand, options: UnitOfWorkOptions = {}): Promise<SetLevelsOutcome> {
    const sku = Sku.of(command.sku);
    const levels: StockLevelsInput = ProductInventory.validateLevels({
      onHand: command.onHand,
      safetyStock: command.safetyStock,
      reorderQuantity: command.reorderQuantity,
    });

    return this.deps.unitOfWork.run(async (tx) => {
      const now = this.deps.clock.now();
      const current = (await tx.inventory.lockForUpdate([sku])).get(sku.value);
      const context = { ids: this.deps.ids, now };
      if (command.ifMatch !== undefined && !preconditionHolds(command.ifMatch, current)) {
        const open = current ? await tx.purchaseOrders.findOpenBySkus([sku]) : new Map();
        return {
          kind: 'precondition-failed',
          level: current ? toStockLevelView(current, open.get(sku.value)) : null,
        };
      }
      if (!current) {
        const created = ProductInventory.create(sku, levels, now);
        await tx.inventory.save([created]);
        const review = await reviewSafetyStock(tx, [created], 'SET_LEVELS', context);
        await tx.outbox.record(toOutboxMessages([...created.pullEvents(), ...review.events], this.deps.ids));
        return { kind: 'created', level: toStockLevelView(created, review.open.get(sku.value)) };
      }
      if (levels.onHand < current.reserved) {
        return { kind: 'below-reserved', reserved: current.reserved };
      }
      if (current.setLevels(levels, now)) await tx.inventory.save([current]);
      const review = await reviewSafetyStock(tx, [current], 'SET_LEVELS', context);
      await tx.outbox.record(toOutboxMessages([...current.pullEvents(), ...review.events], this.deps.ids));
      return { kind: 'updated', level: toStockLevelView(current, review.open.get(sku.value)) };
    }, options);
  }
}
