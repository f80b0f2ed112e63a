import type {
  ListMovementsQuery,
  ListPurchaseOrdersQuery,
  MovementPage,
  PurchaseOrderPage,
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

/** Operators' view of the purchase-order requests raised below safety stock. */
export interface PurchaseOrderQueries {
  listPurchaseOrders(query: ListPurchaseOrdersQuery): Promise<PurchaseOrderPage>;
}

export type HttpInventoryService = InventoryQueries & InventoryCommands & PurchaseOrderQueries;

export interface HealthCheckResult {
  ok: boolean;
  detail?: string;
}

export type HealthCheck = () => Promise<HealthCheckResult>;
