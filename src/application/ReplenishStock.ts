import { Quantity } from '../domain/Quantity';
import { Sku } from '../domain/Sku';
import type { ReplenishCommand, ReplenishOutcome } from './contracts';
import type { CommandDependencies } from './dependencies';
import { parseReference } from './input';
import { toOutboxMessages } from './outbox';
import { toStockLevelView } from './views';

/** Goods arrived: on hand grows (a REPLENISH movement, a StockReplenished event). */
export class ReplenishStock {
  constructor(private readonly deps: CommandDependencies) {}

  async execute(command: ReplenishCommand): Promise<ReplenishOutcome> {
    const sku = Sku.of(command.sku);
    const quantity = Quantity.of(command.quantity);
    const reference = parseReference(command.reference);

    return this.deps.unitOfWork.run(async (tx) => {
      const inventory = (await tx.inventory.lockForUpdate([sku])).get(sku.value);
      if (!inventory) return { kind: 'not-found' };
      inventory.replenish(quantity, reference, this.deps.clock.now());
      await tx.inventory.save([inventory]);
      await tx.outbox.record(toOutboxMessages(inventory.pullEvents(), this.deps.ids));
      return { kind: 'replenished', level: toStockLevelView(inventory) };
    });
  }
}
