import { OrderId } from '../domain/OrderId';
import type { UnitOfWorkOptions } from '../domain/ports/UnitOfWorkPort';
import type { ReservationView } from './contracts';
import type { CommandDependencies, QueryDependencies } from './dependencies';
import { toReservationView } from './views';

export class GetReservation {
  constructor(private readonly deps: Pick<QueryDependencies, 'reservationRepository'>) {}

  async execute(rawOrderId: string): Promise<ReservationView | null> {
    const reservation = await this.deps.reservationRepository.findByOrderId(OrderId.of(rawOrderId));
    return reservation ? toReservationView(reservation) : null;
  }
}

/**
 * The order's reservation once no transaction is changing it: it takes the order's lock (as a reserve,
 * release or confirm does) and reads under it, so a reserve that is committing at that moment is
 * waited for, not missed. For deciding what a caller whose answer was lost holds (workflow mode).
 */
export class GetSettledReservation {
  constructor(private readonly deps: Pick<CommandDependencies, 'unitOfWork'>) {}

  /** `deadline`: past it the read gives up (a database that does not answer fails it, as a command). */
  async execute(rawOrderId: string, options: UnitOfWorkOptions = {}): Promise<ReservationView | null> {
    const orderId = OrderId.of(rawOrderId);
    const reservation = await this.deps.unitOfWork.run(
      (tx) => tx.reservations.lockByOrderId(orderId),
      options,
    );
    return reservation ? toReservationView(reservation) : null;
  }
}
