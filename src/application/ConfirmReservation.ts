import { OrderId } from '../domain/OrderId';
import type { ConfirmCommand, ConfirmOutcome } from './contracts';
import type { CommandDependencies } from './dependencies';
import { settleLines } from './settleLines';
import { toReservationView } from './views';

/** The order was confirmed: its reserved units leave stock. Idempotent. */
export class ConfirmReservation {
  constructor(private readonly deps: CommandDependencies) {}

  async execute(command: ConfirmCommand): Promise<ConfirmOutcome> {
    const orderId = OrderId.of(command.orderId);

    return this.deps.unitOfWork.run(async (tx) => {
      const reservation = await tx.reservations.lockByOrderId(orderId);
      if (!reservation) return { kind: 'not-found' };
      if (reservation.status === 'RELEASED') {
        return { kind: 'reservation-released', reservation: toReservationView(reservation) };
      }
      if (reservation.status === 'CONFIRMED') {
        return { kind: 'confirmed', changed: false, reservation: toReservationView(reservation) };
      }

      const now = this.deps.clock.now();
      const committed = reservation.confirm(now);
      const context = { ids: this.deps.ids, now, change: 'COMMIT' as const };
      await settleLines(tx, committed, context, (inventory, l) => inventory.commit(orderId, l.quantity, now));
      await tx.reservations.save(reservation);
      return { kind: 'confirmed', changed: true, reservation: toReservationView(reservation) };
    });
  }
}
