import type { OrderId } from '../OrderId';
import type { Reservation } from '../Reservation';
import type { Sku } from '../Sku';

export interface ReservationRepositoryPort {
  /** A plain read: no lock, for queries. */
  findByOrderId(orderId: OrderId): Promise<Reservation | null>;
  /**
   * Serialises every command on this order until the transaction ends (even while no reservation
   * exists yet), then reads it. Always taken before any stock lock.
   */
  lockByOrderId(orderId: OrderId): Promise<Reservation | null>;
  /**
   * The reservations holding expired, still-reserved lines on these SKUs at `now`, each locked as
   * lockByOrderId would, skipping any order another transaction holds (it is settling that order).
   * Called with the SKUs' stock rows already locked.
   */
  lockExpiredOn(skus: readonly Sku[], now: Date): Promise<Reservation[]>;
  /** Inserts or updates the reservation and its lines; ConcurrencyError when it changed meanwhile. */
  save(reservation: Reservation): Promise<void>;
}
