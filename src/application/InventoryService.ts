import { AdjustStock } from './AdjustStock';
import { ConfirmReservation } from './ConfirmReservation';
import type { UnitOfWorkOptions } from '../domain/ports/UnitOfWorkPort';
import type {
  AdjustCommand,
  AdjustOutcome,
  ConfirmCommand,
  ConfirmOutcome,
  ExtendCommand,
  ExtendOutcome,
  ListBelowSafetyStockQuery,
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
  StockLevelBatch,
  StockLevelPage,
  StockLevelView,
} from './contracts';
import type { CommandDependencies, QueryDependencies } from './dependencies';
import { ExtendReservation } from './ExtendReservation';
import { GetReservation, GetSettledReservation } from './GetReservation';
import { GetStockLevel } from './GetStockLevel';
import { GetStockLevels, ListBelowSafetyStock } from './GetStockLevels';
import { ListMovements } from './ListMovements';
import { ListPurchaseOrders } from './ListPurchaseOrders';
import { RecordOrderDecision } from './RecordOrderDecision';
import { ReleaseReservation, type ReleaseOptions } from './ReleaseReservation';
import { RemindPurchaseOrder } from './RemindPurchaseOrder';
import { ReplenishStock } from './ReplenishStock';
import { ReserveStock, type ReserveOptions } from './ReserveStock';
import { SetStockLevels } from './SetStockLevels';

export interface InventoryServiceDependencies extends CommandDependencies, QueryDependencies {
  /** Reservation TTL when a reserve command has none (1..86400; 900 when absent). */
  defaultTtlSeconds?: number;
  /** How long after its creation a reservation may be extended to at most (86400 when absent). */
  reservationMaxAgeSeconds?: number;
}

/**
 * The application's single entry point for the HTTP façade, the Temporal activities, the bridge's
 * decisions and the db-mode orchestrator. It earns its place as the one thing an adapter resolves per
 * request or activity (scoped: the use cases of that call share its unit of work); each adapter sees
 * only its own slice of it (HttpInventoryService, ReservationUseCases, ReplenishmentUseCases).
 * Invalid input throws ValidationError (stable codes); business outcomes are returned as values.
 * Every command runs as one database transaction that also appends its movements and records its
 * events in the outbox.
 */
export class InventoryService {
  private readonly reserveStock: ReserveStock;
  private readonly releaseReservation: ReleaseReservation;
  private readonly confirmReservation: ConfirmReservation;
  private readonly extendReservation: ExtendReservation;
  private readonly setStockLevels: SetStockLevels;
  private readonly replenishStock: ReplenishStock;
  private readonly adjustStock: AdjustStock;
  private readonly stockLevel: GetStockLevel;
  private readonly reservation: GetReservation;
  private readonly settledReservation: GetSettledReservation;
  private readonly movements: ListMovements;
  private readonly purchaseOrders: ListPurchaseOrders;
  private readonly purchaseOrderReminder: RemindPurchaseOrder;
  /** order-service's decisions, recorded durably (the bridge's OrderSignalPort). */
  readonly orderDecisions: RecordOrderDecision;
  private readonly stockLevels?: GetStockLevels;
  private readonly belowSafetyStock?: ListBelowSafetyStock;

  constructor(deps: InventoryServiceDependencies) {
    this.reserveStock = new ReserveStock(deps);
    this.releaseReservation = new ReleaseReservation(deps);
    this.confirmReservation = new ConfirmReservation(deps);
    this.extendReservation = new ExtendReservation(deps);
    this.setStockLevels = new SetStockLevels(deps);
    this.replenishStock = new ReplenishStock(deps);
    this.adjustStock = new AdjustStock(deps);
    this.stockLevel = new GetStockLevel(deps);
    this.reservation = new GetReservation(deps);
    this.settledReservation = new GetSettledReservation(deps);
    this.movements = new ListMovements(deps);
    this.purchaseOrders = new ListPurchaseOrders(deps);
    this.purchaseOrderReminder = new RemindPurchaseOrder(deps);
    this.orderDecisions = new RecordOrderDecision(deps);
    const { stockLevelReader } = deps;
    if (stockLevelReader) {
      this.stockLevels = new GetStockLevels({ stockLevelReader });
      this.belowSafetyStock = new ListBelowSafetyStock({ stockLevelReader });
    }
  }

  reserve(command: ReserveCommand, options?: ReserveOptions): Promise<ReserveOutcome> {
    return this.reserveStock.execute(command, options);
  }

  release(command: ReleaseCommand, options?: ReleaseOptions): Promise<ReleaseOutcome> {
    return this.releaseReservation.execute(command, options);
  }

  confirm(command: ConfirmCommand): Promise<ConfirmOutcome> {
    return this.confirmReservation.execute(command);
  }

  /** Moves an open reservation's expiry forward (at most to its maximum age). */
  extend(command: ExtendCommand, options?: UnitOfWorkOptions): Promise<ExtendOutcome> {
    return this.extendReservation.execute(command, options);
  }

  setLevels(command: SetLevelsCommand, options?: UnitOfWorkOptions): Promise<SetLevelsOutcome> {
    return this.setStockLevels.execute(command, options);
  }

  replenish(command: ReplenishCommand, options?: UnitOfWorkOptions): Promise<ReplenishOutcome> {
    return this.replenishStock.execute(command, options);
  }

  /** An operator's adjustment with a reason (POST /inventory/:sku/adjustments). */
  adjust(command: AdjustCommand, options?: UnitOfWorkOptions): Promise<AdjustOutcome> {
    return this.adjustStock.execute(command, options);
  }

  getStockLevel(sku: string): Promise<StockLevelView | null> {
    return this.stockLevel.execute(sku);
  }

  /** Up to 100 SKUs in one query; needs the read side (stockLevelReader). */
  getStockLevels(skus: readonly string[]): Promise<StockLevelBatch> {
    return this.readSide(this.stockLevels).execute(skus);
  }

  /** SKUs under their safety stock, by SKU; needs the read side (stockLevelReader). */
  listBelowSafetyStock(query: ListBelowSafetyStockQuery): Promise<StockLevelPage> {
    return this.readSide(this.belowSafetyStock).execute(query);
  }

  getReservation(orderId: string): Promise<ReservationView | null> {
    return this.reservation.execute(orderId);
  }

  /** As getReservation, read under the order's lock: once no reserve of it is committing. */
  getSettledReservation(orderId: string, options?: UnitOfWorkOptions): Promise<ReservationView | null> {
    return this.settledReservation.execute(orderId, options);
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

  private readSide<T>(query: T | undefined): T {
    if (!query) throw new Error('This InventoryService was built without a stockLevelReader');
    return query;
  }
}
