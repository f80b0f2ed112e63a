import { ConcurrencyError } from '../../../src/domain/errors';
import type {
  TransactionalRepositories,
  UnitOfWorkOptions,
  UnitOfWorkPort,
} from '../../../src/domain/ports/UnitOfWorkPort';
import { cloneTables, emptyTables, type InMemoryTables } from './InMemoryDatabase';
import {
  InMemoryInventoryRepository,
  InMemoryMovementReader,
  InMemoryOrderDecisions,
  InMemoryOutbox,
  InMemoryPurchaseOrderRepository,
  InMemoryReservationRepository,
  InMemoryWorkflowRequests,
} from './InMemoryRepositories';

/**
 * Transactions over in-memory tables: each run works on a copy that replaces the committed tables only
 * when the work resolves, so a throw rolls everything back. Runs are serialised (like the row locks) and
 * retried on ConcurrencyError like PgUnitOfWork.
 */
export class InMemoryUnitOfWork implements UnitOfWorkPort {
  tables: InMemoryTables = emptyTables();
  commits = 0;
  rollbacks = 0;
  /** Inventory repositories handed to transactions, to inspect their lock requests. */
  readonly inventoryRepositories: InMemoryInventoryRepository[] = [];
  /** Purchase-order repositories handed to transactions, to inspect their look-ups. */
  readonly purchaseOrderRepositories: InMemoryPurchaseOrderRepository[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private beforeCommitHook: ((tx: InMemoryTables) => void) | undefined;

  /** Runs once just before the next commit, e.g. to throw and simulate a failing write. */
  beforeNextCommit(hook: (tx: InMemoryTables) => void): void {
    this.beforeCommitHook = hook;
  }

  /** In memory nothing blocks, so a deadline has nothing to bound (the use cases check it themselves). */
  run<T>(work: (tx: TransactionalRepositories) => Promise<T>, _options?: UnitOfWorkOptions): Promise<T> {
    const result = this.queue.then(() => this.runWithRetry(work));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async runWithRetry<T>(
    work: (tx: TransactionalRepositories) => Promise<T>,
    attempt = 1,
  ): Promise<T> {
    const working = cloneTables(this.tables);
    const tables = () => working;
    const inventory = new InMemoryInventoryRepository(tables);
    this.inventoryRepositories.push(inventory);
    const purchaseOrders = new InMemoryPurchaseOrderRepository(tables);
    this.purchaseOrderRepositories.push(purchaseOrders);
    try {
      const result = await work({
        inventory,
        reservations: new InMemoryReservationRepository(tables),
        movements: new InMemoryMovementReader(tables),
        outbox: new InMemoryOutbox(tables),
        purchaseOrders,
        workflowRequests: new InMemoryWorkflowRequests(tables),
        orderDecisions: new InMemoryOrderDecisions(tables),
      });
      const hook = this.beforeCommitHook;
      this.beforeCommitHook = undefined;
      hook?.(working);
      this.tables = working;
      this.commits += 1;
      return result;
    } catch (err) {
      this.rollbacks += 1;
      if (err instanceof ConcurrencyError && attempt < 3) return this.runWithRetry(work, attempt + 1);
      throw err;
    }
  }
}
