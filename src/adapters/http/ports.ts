import type {
  ListMovementsQuery,
  MovementPage,
  ReplenishCommand,
  ReplenishOutcome,
  ReservationView,
  SetLevelsCommand,
  SetLevelsOutcome,
  StockLevelView,
} from '../../application/contracts';

export type { ReservationOrchestratorPort } from '../../application/ports';

/** What the routes read from the application service (straight from Postgres). */
export interface InventoryQueries {
  getStockLevel(sku: string): Promise<StockLevelView | null>;
  getReservation(orderId: string): Promise<ReservationView | null>;
  /** null when the SKU does not exist. */
  listMovements(query: ListMovementsQuery): Promise<MovementPage | null>;
}

/** The stock-level commands that do not involve a reservation workflow. */
export interface InventoryCommands {
  setLevels(command: SetLevelsCommand): Promise<SetLevelsOutcome>;
  replenish(command: ReplenishCommand): Promise<ReplenishOutcome>;
}

export type HttpInventoryService = InventoryQueries & InventoryCommands;

export interface HealthCheckResult {
  ok: boolean;
  detail?: string;
}

export type HealthCheck = () => Promise<HealthCheckResult>;
