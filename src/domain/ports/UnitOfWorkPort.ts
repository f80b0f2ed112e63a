import type { InventoryRepositoryPort } from './InventoryRepositoryPort';
import type { MovementLedgerReaderPort } from './MovementLedgerReaderPort';
import type { OrderDecisionPort } from './OrderDecisionPort';
import type { OutboxPort } from './OutboxPort';
import type { PurchaseOrderRequestRepositoryPort } from './PurchaseOrderRequestRepositoryPort';
import type { ReservationRepositoryPort } from './ReservationRepositoryPort';
import type { WorkflowRequestPort } from './WorkflowRequestPort';

/** Repositories bound to one database transaction. */
export interface TransactionalRepositories {
  readonly inventory: InventoryRepositoryPort;
  readonly reservations: ReservationRepositoryPort;
  readonly movements: MovementLedgerReaderPort;
  readonly outbox: OutboxPort;
  readonly purchaseOrders: PurchaseOrderRequestRepositoryPort;
  readonly workflowRequests: WorkflowRequestPort;
  readonly orderDecisions: OrderDecisionPort;
}

export interface UnitOfWorkOptions {
  /**
   * The caller's deadline: a transaction still open then is rolled back (nothing committed), and one
   * that cannot get a connection by then fails without starting. Past it, a COMMIT already sent may
   * still land: its outcome is unknown, and the caller reads the state back.
   */
  deadline?: Date;
}

export interface UnitOfWorkPort {
  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it throws. The work
   * may run again from the start (fresh repositories) after a ConcurrencyError, so it must not have
   * side effects outside the repositories it is given.
   */
  run<T>(work: (tx: TransactionalRepositories) => Promise<T>, options?: UnitOfWorkOptions): Promise<T>;
}
