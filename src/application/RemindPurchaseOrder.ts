import { ErrorCodes, ValidationError } from '../domain/errors';
import { Sku } from '../domain/Sku';
import type { RemindPurchaseOrderCommand, RemindPurchaseOrderOutcome } from './contracts';
import type { CommandDependencies } from './dependencies';
import { toOutboxMessages } from './outbox';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Re-announces a purchase-order request that is still open (the replenishment workflow's reminder): one
 * transaction locks the SKU's stock row (so a replenishment cannot close the request halfway), checks
 * the request is still OPEN, records PurchaseOrderRequested with the current levels and `reminder: n`,
 * and counts the reminder. Idempotent per reminder number.
 */
export class RemindPurchaseOrder {
  constructor(private readonly deps: CommandDependencies) {}

  async execute(command: RemindPurchaseOrderCommand): Promise<RemindPurchaseOrderOutcome> {
    const sku = Sku.of(command.sku);
    if (typeof command.requestId !== 'string' || !UUID.test(command.requestId)) {
      throw new ValidationError(ErrorCodes.INVALID_REQUEST_ID, 'requestId must be a UUID', {
        requestId: command.requestId,
      });
    }
    const wanted = command.reminder;
    if (!Number.isInteger(wanted) || wanted < 1) {
      throw new ValidationError(ErrorCodes.INVALID_QUANTITY, 'reminder must be an integer >= 1', {
        reminder: wanted,
      });
    }

    return this.deps.unitOfWork.run(async (tx) => {
      const inventory = (await tx.inventory.lockForUpdate([sku])).get(sku.value);
      const request = await tx.purchaseOrders.findById(command.requestId.toLowerCase());
      if (!inventory || !request || !request.sku.equals(sku)) return { kind: 'not-found' };
      if (!request.isOpen) return { kind: 'closed' };
      if (request.remindersSent >= wanted) {
        return { kind: 'reminded', reminder: request.remindersSent, available: inventory.available };
      }
      const reminder = request.remind(inventory, this.deps.clock.now());
      await tx.purchaseOrders.save([request]);
      await tx.outbox.record(toOutboxMessages(request.pullEvents(), this.deps.ids));
      return { kind: 'reminded', reminder, available: inventory.available };
    });
  }
}
