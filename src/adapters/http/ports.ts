import type {
  AdjustCommand,
  AdjustOutcome,
  ListBelowSafetyStockQuery,
  ListMovementsQuery,
  ListPurchaseOrdersQuery,
  MovementPage,
  PurchaseOrderPage,
  ReplenishCommand,
  ReplenishOutcome,
  ReservationView,
  SetLevelsCommand,
  SetLevelsOutcome,
  StockLevelBatch,
  StockLevelPage,
  StockLevelView,
} from '../../application/contracts';
import type { UnitOfWorkOptions } from '../../domain/ports/UnitOfWorkPort';

export type {
  HealthCheck,
  HealthCheckResult,
  IdempotencyClaim,
  IdempotencyScope,
  IdempotencyStorePort,
  ReservationOrchestratorPort,
  StoredResponse,
} from '../../application/ports';

/** What the routes read from the application service (straight from Postgres). */
export interface InventoryQueries {
  getStockLevel(sku: string): Promise<StockLevelView | null>;
  /** One query for up to 100 SKUs; unknown ones listed apart. */
  getStockLevels(skus: readonly string[]): Promise<StockLevelBatch>;
  listBelowSafetyStock(query: ListBelowSafetyStockQuery): Promise<StockLevelPage>;
  getReservation(orderId: string): Promise<ReservationView | null>;
  /** null when the SKU does not exist. */
  listMovements(query: ListMovementsQuery): Promise<MovementPage | null>;
}

/**
 * The stock-level commands that do not involve a reservation workflow. `options.deadline` bounds each
 * one's transaction: past it the command fails as unavailable (503) and nothing was changed.
 */
export interface InventoryCommands {
  setLevels(command: SetLevelsCommand, options?: UnitOfWorkOptions): Promise<SetLevelsOutcome>;
  replenish(command: ReplenishCommand, options?: UnitOfWorkOptions): Promise<ReplenishOutcome>;
  adjust(command: AdjustCommand, options?: UnitOfWorkOptions): Promise<AdjustOutcome>;
}

/** Operators' view of the purchase-order requests raised below safety stock. */
export interface PurchaseOrderQueries {
  listPurchaseOrders(query: ListPurchaseOrdersQuery): Promise<PurchaseOrderPage>;
}

export type HttpInventoryService = InventoryQueries & InventoryCommands & PurchaseOrderQueries;

/**
 * What one role of the process (api, worker, bridge, relay) needs, by health-check name: a failing
 * `required` check stops the role's work (the role is down); a failing `degrading` one only delays or
 * reduces it (the role is degraded, e.g. RabbitMQ for the api: the outbox holds the events).
 */
export interface RoleRequirements {
  required: string[];
  degrading?: string[];
}

/**
 * How /health/ready turns checks into 200 or 503. Without roles every check is required. With a
 * `decisive` role (the api, which the load balancer routes to) only that role being down makes a 503
 * once every role has been up once; until then (startup) any role not up yet does.
 */
export interface ReadinessRoles {
  roles: Record<string, RoleRequirements>;
  decisive?: string;
}
