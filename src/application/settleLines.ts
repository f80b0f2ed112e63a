import { DomainError, ErrorCodes } from '../domain/errors';
import type { IdGenerator } from '../domain/ports/IdGenerator';
import type { TransactionalRepositories } from '../domain/ports/UnitOfWorkPort';
import type { ProductInventory } from '../domain/ProductInventory';
import type { RequestedLine, Reservation } from '../domain/Reservation';
import type { StockChange } from '../domain/SafetyStockPolicy';
import { toOutboxMessages } from './outbox';
import { reviewSafetyStock } from './safetyStock';

/**
 * Applies a reservation's released or committed lines to their stock: locks the rows (sorted), moves
 * the units, appends the movements, applies the safety-stock policy and records the events, in the
 * caller's transaction.
 */
export async function settleLines(
  tx: TransactionalRepositories,
  lines: readonly RequestedLine[],
  context: { ids: IdGenerator; now: Date; change: StockChange },
  apply: (inventory: ProductInventory, line: RequestedLine) => void,
): Promise<void> {
  if (lines.length === 0) return;
  const stock = await tx.inventory.lockForUpdate(lines.map((l) => l.sku));
  const touched = lines.map((line) => {
    const inventory = stock.get(line.sku.value);
    if (!inventory) {
      // Lines reference stock_levels by foreign key: this cannot happen short of a corrupted database.
      throw new DomainError(
        ErrorCodes.INVARIANT_VIOLATION,
        `No stock row for reserved SKU ${line.sku.value}`,
        {
          sku: line.sku.value,
        },
      );
    }
    apply(inventory, line);
    return inventory;
  });
  await tx.inventory.save(touched);
  const review = await reviewSafetyStock(tx, touched, context.change, context);
  await tx.outbox.record(
    toOutboxMessages([...touched.flatMap((i) => i.pullEvents()), ...review.events], context.ids),
  );
}

/**
 * Releases what is still reserved of an order whose reservation expired (reason `expired`), in the
 * caller's transaction and under the order's lock: its stock, movements and StockReleased events, then
 * the reservation itself. The order's workflow later finds it done.
 */
export async function releaseExpiredReservation(
  tx: TransactionalRepositories,
  reservation: Reservation,
  context: { ids: IdGenerator; now: Date },
): Promise<void> {
  const { now } = context;
  const released = reservation.release('expired', now);
  await settleLines(tx, released, { ...context, change: 'RELEASE' }, (inventory, l) =>
    inventory.release(reservation.orderId, l.quantity, 'expired', now),
  );
  await tx.reservations.save(reservation);
}
