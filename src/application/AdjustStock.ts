import type { AdjustmentInput } from '../domain/ProductInventory';
import type { UnitOfWorkOptions } from '../domain/ports/UnitOfWorkPort';
import { Sku } from '../domain/Sku';
import type { AdjustCommand, AdjustOutcome } from './contracts';
import type { CommandDependencies } from './dependencies';
import { parseNote, parseReference } from './input';
import { toOutboxMessages } from './outbox';
import { preconditionHolds } from './preconditions';
import { reviewSafetyStock } from './safetyStock';
import { toStockLevelView } from './views';

/**
 * An operator's adjustment of on hand with a reason (damage, shrinkage, a count, goods returned...):
 * one ADJUST movement with reason, reference and note, a StockAdjusted event, and the safety-stock
 * review an operator's count gets (it may open or close a purchase-order request).
 */
export class AdjustStock {
  constructor(private readonly deps: CommandDependencies) {}

  async execute(command: AdjustCommand, options: UnitOfWorkOptions = {}): Promise<AdjustOutcome> {
    const sku = Sku.of(command.sku);
    const reference = parseReference(command.reference);
    const note = parseNote(command.note);
    const input = {
      ...(command.delta !== undefined ? { delta: command.delta } : {}),
      ...(command.onHand !== undefined ? { onHand: command.onHand } : {}),
      reason: command.reason,
      ...(reference !== undefined ? { reference } : {}),
      ...(note !== undefined ? { note } : {}),
    } as AdjustmentInput;

    return this.deps.unitOfWork.run(async (tx) => {
      const inventory = (await tx.inventory.lockForUpdate([sku])).get(sku.value);
      if (command.ifMatch !== undefined && !preconditionHolds(command.ifMatch, inventory)) {
        const open = inventory ? await tx.purchaseOrders.findOpenBySkus([sku]) : new Map();
        return {
          kind: 'precondition-failed',
          level: inventory ? toStockLevelView(inventory, open.get(sku.value)) : null,
        };
      }
      if (!inventory) return { kind: 'not-found' };
      const target = input.delta !== undefined ? inventory.onHand + input.delta : input.onHand;
      const exactlyOne = (input.delta === undefined) !== (input.onHand === undefined);
      if (exactlyOne && Number.isInteger(target) && target! < inventory.reserved) {
        return { kind: 'below-reserved', onHand: target, reserved: inventory.reserved };
      }
      const now = this.deps.clock.now();
      inventory.adjust(input, now);
      await tx.inventory.save([inventory]);
      const review = await reviewSafetyStock(tx, [inventory], 'ADJUST', { ids: this.deps.ids, now });
      await tx.outbox.record(toOutboxMessages([...inventory.pullEvents(), ...review.events], this.deps.ids));
      return { kind: 'adjusted', level: toStockLevelView(inventory, review.open.get(sku.value)) };
    }, options);
  }
}
