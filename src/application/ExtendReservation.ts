import { OrderId } from '../domain/OrderId';
import type { UnitOfWorkOptions } from '../domain/ports/UnitOfWorkPort';
import { TtlSeconds } from '../domain/TtlSeconds';
import type { ExtendCommand, ExtendOutcome } from './contracts';
import type { CommandDependencies } from './dependencies';
import { toReservationView } from './views';

/** A reservation lives at most this long after it was created, however often it is extended. */
export const DEFAULT_RESERVATION_MAX_AGE_SECONDS = 86_400;

export interface ExtendReservationDependencies extends CommandDependencies {
  /** Configuration (RESERVATION_MAX_AGE_SECONDS); DEFAULT_RESERVATION_MAX_AGE_SECONDS when absent. */
  reservationMaxAgeSeconds?: number;
}

/**
 * A checkout that needs longer holds its units: the expiry moves to `ttlSeconds` from now, never past
 * the maximum age and never earlier. Under the order's lock, so it is serialised with the release and
 * confirm of the same order; it moves no stock and records no movement, only the reservation's (and
 * its lines') new expiry and an `extend` request for the order's workflow, in one transaction.
 */
export class ExtendReservation {
  constructor(private readonly deps: ExtendReservationDependencies) {}

  async execute(command: ExtendCommand, options: UnitOfWorkOptions = {}): Promise<ExtendOutcome> {
    const orderId = OrderId.of(command.orderId);
    const ttl = TtlSeconds.of(command.ttlSeconds);
    const maxAge = this.deps.reservationMaxAgeSeconds ?? DEFAULT_RESERVATION_MAX_AGE_SECONDS;

    return this.deps.unitOfWork.run(async (tx) => {
      const reservation = await tx.reservations.lockByOrderId(orderId);
      if (!reservation) return { kind: 'not-found' };
      const now = this.deps.clock.now();
      if (!reservation.isOpen || reservation.isExpiredAt(now)) {
        return { kind: 'reservation-closed', reservation: toReservationView(reservation) };
      }
      const changed = reservation.extend(ttl, maxAge, now);
      if (changed) {
        await tx.reservations.save(reservation);
        // The dispatcher tells the order's workflow the new expiresAt (it re-arms its TTL timer and
        // updates ReservationExpiresAt), whichever reserve mode started it.
        await tx.workflowRequests.request([{ orderId, kind: 'extend' }]);
      }
      return { kind: 'extended', changed, reservation: toReservationView(reservation) };
    }, options);
  }
}
