import { OrderId } from '../domain/OrderId';
import { parseReleaseReason } from '../domain/ReleaseReason';
import { Sku } from '../domain/Sku';
import type { ReleaseCommand, ReleaseOutcome } from './contracts';
import type { CommandDependencies } from './dependencies';
import { settleLines } from './settleLines';
import { toReservationView } from './views';

/**
 * Gives an order's reserved units back to stock: one SKU's line, or all of them. Idempotent: releasing
 * what is no longer reserved (repeat, confirmed, released) changes nothing.
 */
export class ReleaseReservation {
  constructor(private readonly deps: CommandDependencies) {}

  async execute(command: ReleaseCommand): Promise<ReleaseOutcome> {
    const orderId = OrderId.of(command.orderId);
    const sku = command.sku === undefined ? undefined : Sku.of(command.sku);
    const reason = parseReleaseReason(command.reason);

    return this.deps.unitOfWork.run(async (tx) => {
      const reservation = await tx.reservations.lockByOrderId(orderId);
      if (!reservation) return { kind: 'not-found' };
      const line = sku ? reservation.line(sku) : undefined;
      if (sku && !line) return { kind: 'line-not-found' };
      if (!reservation.isOpen || (line && line.status !== 'RESERVED')) {
        return { kind: 'released', changed: false, reservation: toReservationView(reservation) };
      }

      const now = this.deps.clock.now();
      const released = reservation.release(reason, now, sku);
      const context = { ids: this.deps.ids, now, change: 'RELEASE' as const };
      await settleLines(tx, released, context, (inventory, l) =>
        inventory.release(orderId, l.quantity, reason, now),
      );
      await tx.reservations.save(reservation);
      return { kind: 'released', changed: true, reservation: toReservationView(reservation) };
    });
  }
}
