import { ProductInventory, type StockLevelsInput } from '../domain/ProductInventory';
import { Sku } from '../domain/Sku';
import type { SetLevelsCommand, SetLevelsOutcome } from './contracts';
import type { CommandDependencies } from './dependencies';
import { toOutboxMessages } from './outbox';
import { toStockLevelView } from './views';

/** Creates a SKU with its levels, or sets the levels of an existing one (an operator's count). */
export class SetStockLevels {
  constructor(private readonly deps: CommandDependencies) {}

  async execute(command: SetLevelsCommand): Promise<SetLevelsOutcome> {
    const sku = Sku.of(command.sku);
    const levels: StockLevelsInput = ProductInventory.validateLevels({
      onHand: command.onHand,
      safetyStock: command.safetyStock,
      reorderQuantity: command.reorderQuantity,
    });

    return this.deps.unitOfWork.run(async (tx) => {
      const now = this.deps.clock.now();
      const current = (await tx.inventory.lockForUpdate([sku])).get(sku.value);
      if (!current) {
        const created = ProductInventory.create(sku, levels, now);
        await tx.inventory.save([created]);
        return { kind: 'created', level: toStockLevelView(created) };
      }
      if (levels.onHand < current.reserved) {
        return { kind: 'below-reserved', reserved: current.reserved };
      }
      if (current.setLevels(levels, now)) {
        await tx.inventory.save([current]);
        await tx.outbox.record(toOutboxMessages(current.pullEvents(), this.deps.ids));
      }
      return { kind: 'updated', level: toStockLevelView(current) };
    });
  }
}
