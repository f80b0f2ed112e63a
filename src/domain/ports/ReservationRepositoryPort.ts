import type { OrderId } from '../OrderId';
import type { Reservation } from '../Reservation';

export interface ReservationRepositoryPort {
  /** A plain read: no lock, for queries. */
  findByOrderId(orderId: OrderId): Promise<Reservation | null>;
  /**
   * Serialises every command on this order until the transaction ends (even while no reservation
   * exists yet), then reads it. Always taken before any stock lock.
   */
  lockByOrderId(orderId: OrderId): Promise<Reservation | null>;
  /** Inserts or updates the reservation and its lines; ConcurrencyError when it changed meanwhile. */
  save(reservation: Reservation): Promise<void>;
}
