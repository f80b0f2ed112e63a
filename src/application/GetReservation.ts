import { OrderId } from '../domain/OrderId';
import type { ReservationView } from './contracts';
import type { QueryDependencies } from './dependencies';
import { toReservationView } from './views';

export class GetReservation {
  constructor(private readonly deps: Pick<QueryDependencies, 'reservationRepository'>) {}

  async execute(rawOrderId: string): Promise<ReservationView | null> {
    const reservation = await this.deps.reservationRepository.findByOrderId(OrderId.of(rawOrderId));
    return reservation ? toReservationView(reservation) : null;
  }
}
