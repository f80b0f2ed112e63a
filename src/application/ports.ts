import type { Sku } from '../domain/Sku';
import type {
  ConfirmOutcome,
  ReleaseCommand,
  ReleaseOutcome,
  ReserveCommand,
  ReserveOutcome,
  StockLevelView,
} from './contracts';

/**
 * Drives an order's reservation saga (the Temporal workflow `reservation-<orderId>`). The HTTP façade
 * talks to this port, never to the use cases directly, for the commands that change a reservation.
 */
export interface ReservationOrchestratorPort {
  /** Update-With-Start: starts or joins the order's workflow and returns the reserve step's outcome. */
  reserve(command: ReserveCommand): Promise<ReserveOutcome>;
  /** Releases one SKU line (or all lines) through the running workflow; works on finished ones too. */
  release(command: ReleaseCommand): Promise<ReleaseOutcome>;
}

export type SignalDelivery = 'signalled' | 'no-workflow';

/** What the RabbitMQ bridge needs from the orchestration side: order-service's decisions as signals. */
export interface OrderSignalPort {
  confirm(orderId: string): Promise<SignalDelivery>;
  cancel(orderId: string, reason?: string): Promise<SignalDelivery>;
}

/**
 * The read side of GET /inventory/:sku: a SKU's view (levels and open purchase-order request) in one
 * query, exactly what GetStockLevel composes from the repositories, without loading aggregates.
 */
export interface StockLevelReaderPort {
  findStockLevel(sku: Sku): Promise<StockLevelView | null>;
}

export type { ConfirmOutcome };
