import { ConfirmReservation } from './ConfirmReservation';
import type {
  ConfirmCommand,
  ConfirmOutcome,
  ListMovementsQuery,
  ListPurchaseOrdersQuery,
  MovementPage,
  PurchaseOrderPage,
  ReleaseCommand,
  ReleaseOutcome,
  RemindPurchaseOrderCommand,
  RemindPurchaseOrderOutcome,
  ReplenishCommand,
  ReplenishOutcome,
  ReservationView,
  ReserveCommand,
  ReserveOutcome,
  SetLevelsCommand,
  SetLevelsOutcome,
  StockLevelView,
} from './contracts';
import type { CommandDependencies, QueryDependencies } from './dependencies';
import { GetReservation } from './GetReservation';
import { GetStockLevel } from './GetStockLevel';
import { ListMovements } from './ListMovements';
import { ListPurchaseOrders } from './ListPurchaseOrders';
import { ReleaseReservation } from './ReleaseReservation';
import { RemindPurchaseOrder } from './RemindPurchaseOrder';
import { ReplenishStock } from './ReplenishStock';
import { ReserveStock } from './ReserveStock';
import { SetStockLevels } from './SetStockLevels';

export interface InventoryServiceDependencies extends CommandDependencies, QueryDependencies {
  /** Reservation TTL when a reserve command has none (1..86400; 900 when absent). */
  defaultTtlSeconds?: number;
}

/**
 * The application's single entry point for the HTTP façade, the Temporal activities and the bridge.
 * Invalid input throws ValidationError (stable codes); business outcomes are returned as values.
 * Every command runs as one database transaction that also appends its movements and records its
 * events in the outbox.
 */
export class InventoryService {
  private readonly reserveStock: ReserveStock;
  private readonly releaseReservation: ReleaseReservation;
  private readonly confirmReservation: ConfirmReservation;
  private readonly setStockLevels: SetStockLevels;
  private readonly replenishStock: ReplenishStock;
  private readonly stockLevel: GetStockLevel;
  private readonly reservation: GetReservation;
  private readonly movements: ListMovements;
  private readonly purchaseOrders: ListPurchaseOrders;
  private readonly purchaseOrderReminder: RemindPurchaseOrder;

  constructor(deps: InventoryServiceDependencies) {
    this.reserveStock = new ReserveStock(deps);
    this.releaseReservation = new ReleaseReservation(deps);
    this.confirmReservation = new ConfirmReservation(deps);
    this.setStockLevels = new SetStockLevels(deps);
    this.replenishStock = new ReplenishStock(deps);
    this.stockLevel = new GetStockLevel(deps);
    this.reservation = new GetReservation(deps);
    this.movements = new ListMovements(deps);
    this.purchaseOrders = new ListPurchaseOrders(deps);
    this.purchaseOrderReminder = new RemindPurchaseOrder(deps);
  }

  reserve(command: ReserveCommand): Promise<ReserveOutcome> {
    return this.reserveStock.execute(command);
  }

  release(command: ReleaseCommand): Promise<ReleaseOutcome> {
    return this.releaseReservation.execute(command);
  }

  confirm(command: ConfirmCommand): Promise<ConfirmOutcome> {
    return this.confirmReservation.execute(command);
  }

  setLevels(command: SetLevelsCommand): Promise<SetLevelsOutcome> {
    return this.setStockLevels.execute(command);
  }

  replenish(command: ReplenishCommand): Promise<ReplenishOutcome> {
    return this.replenishStock.execute(command);
  }

  getStockLevel(sku: string): Promise<StockLevelView | null> {
    return this.stockLevel.execute(sku);
  }

  getReservation(orderId: string): Promise<ReservationView | null> {
    return this.reservation.execute(orderId);
  }

  /** null when the SKU does not exist. */
  listMovements(query: ListMovementsQuery): Promise<MovementPage | null> {
    return this.movements.execute(query);
  }

  /** Purchase-order requests, newest first (open ones by default). */
  listPurchaseOrders(query: ListPurchaseOrdersQuery): Promise<PurchaseOrderPage> {
    return this.purchaseOrders.execute(query);
  }

  /** The replenishment workflow's reminder: re-announces the request while it is open. */
  remindPurchaseOrder(command: RemindPurchaseOrderCommand): Promise<RemindPurchaseOrderOutcome> {
    return this.purchaseOrderReminder.execute(command);
  }
}
