import { OrderId } from '../domain/OrderId';
import type { ProductInventory } from '../domain/ProductInventory';
import { Reservation, type RequestedLine } from '../domain/Reservation';
import { TtlSeconds } from '../domain/TtlSeconds';
import type { ConflictingLine, ReserveCommand, ReserveOutcome, ShortLine } from './contracts';
import type { CommandDependencies } from './dependencies';
import { parseLines } from './input';
import { toOutboxMessages } from './outbox';
import { reviewSafetyStock } from './safetyStock';
import { toReservationView } from './views';

export interface ReserveStockDependencies extends CommandDependencies {
  /** Used when the command has no ttlSeconds (configuration; 900 when absent). */
  defaultTtlSeconds?: number;
}

/**
 * Reserves every line of an order or none. A repeat of lines already reserved with the same quantity
 * is a no-op; lines for SKUs the order does not have yet join its reservation (the expiry stays the
 * one the first reserve set).
 */
export class ReserveStock {
  constructor(private readonly deps: ReserveStockDependencies) {}

  async execute(command: ReserveCommand): Promise<ReserveOutcome> {
    const orderId = OrderId.of(command.orderId);
    const lines = parseLines(command.lines);
    const ttl = TtlSeconds.orDefault(command.ttlSeconds, this.deps.defaultTtlSeconds);

    return this.deps.unitOfWork.run(async (tx) => {
      const existing = await tx.reservations.lockByOrderId(orderId);
      if (existing && !existing.isOpen) {
        return { kind: 'reservation-closed', reservation: toReservationView(existing) };
      }

      const fresh: RequestedLine[] = [];
      const conflicts: ConflictingLine[] = [];
      for (const line of lines) {
        const current = existing?.line(line.sku);
        if (!current) fresh.push(line);
        else if (current.status !== 'RESERVED') {
          // That line was released on its own: it does not come back.
          return { kind: 'reservation-closed', reservation: toReservationView(existing!) };
        } else if (!current.quantity.equals(line.quantity)) {
          conflicts.push({
            sku: line.sku.value,
            reserved: current.quantity.value,
            requested: line.quantity.value,
          });
        }
      }
      if (conflicts.length > 0) return { kind: 'quantity-conflict', lines: conflicts };
      if (fresh.length === 0) {
        return { kind: 'reserved', created: false, reservation: toReservationView(existing!) };
      }

      const stock = await tx.inventory.lockForUpdate(fresh.map((l) => l.sku));
      const unknown = fresh.filter((l) => !stock.has(l.sku.value)).map((l) => l.sku.value);
      if (unknown.length > 0) return { kind: 'unknown-sku', skus: unknown };
      const short: ShortLine[] = fresh
        .map((l) => ({ line: l, inventory: stock.get(l.sku.value)! }))
        .filter(({ line, inventory }) => !inventory.canReserve(line.quantity))
        .map(({ line, inventory }) => ({
          sku: line.sku.value,
          requested: line.quantity.value,
          available: inventory.available,
        }));
      if (short.length > 0) return { kind: 'insufficient-stock', lines: short };

      const now = this.deps.clock.now();
      const expiresAt = existing?.expiresAt ?? ttl.expiryFrom(now);
      const touched: ProductInventory[] = [];
      for (const line of fresh) {
        const inventory = stock.get(line.sku.value)!;
        inventory.reserve(orderId, line.quantity, expiresAt, now);
        touched.push(inventory);
      }
      let reservation: Reservation;
      if (existing) {
        existing.addLines(fresh, now);
        reservation = existing;
      } else {
        reservation = Reservation.create({ orderId, lines: fresh, expiresAt, now });
      }

      await tx.reservations.save(reservation);
      await tx.inventory.save(touched);
      const review = await reviewSafetyStock(tx, touched, 'RESERVE', { ids: this.deps.ids, now });
      await tx.outbox.record(
        toOutboxMessages([...touched.flatMap((i) => i.pullEvents()), ...review.events], this.deps.ids),
      );
      return { kind: 'reserved', created: true, reservation: toReservationView(reservation) };
    });
  }
}
