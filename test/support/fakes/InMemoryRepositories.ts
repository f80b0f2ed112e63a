import type { InventoryRepositoryPort } from '../../../src/domain/ports/InventoryRepositoryPort';
import type {
  MovementLedgerReaderPort,
  MovementPageRequest,
} from '../../../src/domain/ports/MovementLedgerReaderPort';
import type { OrderDecision, OrderDecisionPort } from '../../../src/domain/ports/OrderDecisionPort';
import type { WorkflowRequest, WorkflowRequestPort } from '../../../src/domain/ports/WorkflowRequestPort';
import type { OutboxMessage, OutboxPort } from '../../../src/domain/ports/OutboxPort';
import type {
  PurchaseOrderRequestPageRequest,
  PurchaseOrderRequestRepositoryPort,
} from '../../../src/domain/ports/PurchaseOrderRequestRepositoryPort';
import type { ReservationRepositoryPort } from '../../../src/domain/ports/ReservationRepositoryPort';
import type { PurchaseOrderRequest } from '../../../src/domain/PurchaseOrderRequest';
import type { OrderId } from '../../../src/domain/OrderId';
import type { ProductInventory } from '../../../src/domain/ProductInventory';
import type { Reservation } from '../../../src/domain/Reservation';
import type { Sku } from '../../../src/domain/Sku';
import type { RecordedMovement } from '../../../src/domain/StockMovement';
import {
  readInventory,
  readPurchaseOrder,
  readReservation,
  writeInventories,
  writePurchaseOrders,
  writeReservation,
  type InMemoryTables,
} from './InMemoryDatabase';

/** The repositories read and write whatever tables they are given: committed ones or a transaction's copy. */
export class InMemoryInventoryRepository implements InventoryRepositoryPort {
  readonly locked: string[][] = [];
  constructor(private readonly tables: () => InMemoryTables) {}

  async findBySku(sku: Sku): Promise<ProductInventory | null> {
    return readInventory(this.tables(), sku.value);
  }

  async lockForUpdate(skus: readonly Sku[]): Promise<Map<string, ProductInventory>> {
    const sorted = [...new Set(skus.map((s) => s.value))].sort();
    this.locked.push(sorted);
    const found = new Map<string, ProductInventory>();
    for (const sku of sorted) {
      const inventory = readInventory(this.tables(), sku);
      if (inventory) found.set(sku, inventory);
    }
    return found;
  }

  async save(inventories: readonly ProductInventory[]): Promise<void> {
    writeInventories(this.tables(), inventories);
  }
}

export class InMemoryReservationRepository implements ReservationRepositoryPort {
  constructor(private readonly tables: () => InMemoryTables) {}

  async findByOrderId(orderId: OrderId): Promise<Reservation | null> {
    return readReservation(this.tables(), orderId.value);
  }

  async lockByOrderId(orderId: OrderId): Promise<Reservation | null> {
    return readReservation(this.tables(), orderId.value);
  }

  async lockExpiredOn(skus: readonly Sku[], now: Date): Promise<Reservation[]> {
    const wanted = new Set(skus.map((s) => s.value));
    return [...this.tables().reservations.values()]
      .filter((r) => r.status === 'RESERVED' && r.expiresAt.getTime() <= now.getTime())
      .filter((r) => !this.tables().matchedDecisions.has(r.orderId.value))
      .filter((r) => r.lines.some((l) => l.status === 'RESERVED' && wanted.has(l.sku.value)))
      .map((r) => readReservation(this.tables(), r.orderId.value)!);
  }

  async save(reservation: Reservation): Promise<void> {
    writeReservation(this.tables(), reservation);
  }
}

export class InMemoryWorkflowRequests implements WorkflowRequestPort {
  constructor(private readonly tables: () => InMemoryTables) {}

  async request(requests: readonly WorkflowRequest[]): Promise<void> {
    this.tables().workflowRequests.push(
      ...requests.map((r) => ({
        orderId: r.orderId.value,
        kind: r.kind,
        ...(r.reason === undefined ? {} : { reason: r.reason }),
      })),
    );
  }
}

export class InMemoryOrderDecisions implements OrderDecisionPort {
  constructor(private readonly tables: () => InMemoryTables) {}

  async hasPendingDecision(orderId: OrderId): Promise<boolean> {
    return this.tables().matchedDecisions.has(orderId.value);
  }

  async recordMatched(entry: { orderId: OrderId }): Promise<void> {
    this.tables().matchedDecisions.add(entry.orderId.value);
  }

  async recordUnmatched(entry: {
    orderId: OrderId;
    decision: OrderDecision;
    reason?: string;
  }): Promise<void> {
    const key = `${entry.orderId.value}|${entry.decision}`;
    const decisions = this.tables().orderDecisions;
    if (!decisions.has(key)) {
      decisions.set(key, {
        orderId: entry.orderId.value,
        decision: entry.decision,
        ...(entry.reason === undefined ? {} : { reason: entry.reason }),
      });
    }
  }
}

export class InMemoryMovementReader implements MovementLedgerReaderPort {
  constructor(private readonly tables: () => InMemoryTables) {}

  async listBySku(sku: Sku, page: MovementPageRequest): Promise<RecordedMovement[]> {
    return this.tables()
      .movements.filter((m) => m.sku === sku.value)
      .filter((m) => page.beforeId === undefined || Number(m.id) < Number(page.beforeId))
      .filter((m) => page.type === undefined || m.type === page.type)
      .filter((m) => page.reason === undefined || m.reason === page.reason)
      .sort((a, b) => Number(b.id) - Number(a.id))
      .slice(0, page.limit);
  }

  async findReplenishment(sku: Sku, reference: string): Promise<RecordedMovement | null> {
    return (
      this.tables().movements.find(
        (m) => m.sku === sku.value && m.type === 'REPLENISH' && m.reference === reference,
      ) ?? null
    );
  }
}

export class InMemoryOutbox implements OutboxPort {
  constructor(private readonly tables: () => InMemoryTables) {}

  async record(messages: readonly OutboxMessage[]): Promise<void> {
    this.tables().outbox.push(...messages);
  }
}

export class InMemoryPurchaseOrderRepository implements PurchaseOrderRequestRepositoryPort {
  /** SKU lists of every findOpenBySkus call, to check which commands look requests up. */
  readonly lookups: string[][] = [];
  constructor(private readonly tables: () => InMemoryTables) {}

  async findOpenBySkus(skus: readonly Sku[]): Promise<Map<string, PurchaseOrderRequest>> {
    const wanted = new Set(skus.map((s) => s.value));
    this.lookups.push([...wanted].sort());
    const found = new Map<string, PurchaseOrderRequest>();
    for (const props of this.tables().purchaseOrders.values()) {
      if (props.status === 'OPEN' && wanted.has(props.sku.value)) {
        found.set(props.sku.value, readPurchaseOrder(this.tables(), props.id)!);
      }
    }
    return found;
  }

  async findById(id: string): Promise<PurchaseOrderRequest | null> {
    return readPurchaseOrder(this.tables(), id);
  }

  async save(requests: readonly PurchaseOrderRequest[]): Promise<void> {
    writePurchaseOrders(this.tables(), requests);
  }

  async list(page: PurchaseOrderRequestPageRequest): Promise<PurchaseOrderRequest[]> {
    const key = (at: Date, id: string) => `${String(at.getTime()).padStart(15, '0')}|${id}`;
    const after = page.after ? key(page.after.requestedAt, page.after.id) : undefined;
    return [...this.tables().purchaseOrders.values()]
      .filter((p) => page.status === null || p.status === page.status)
      .filter((p) => after === undefined || key(p.requestedAt, p.id) < after)
      .sort((a, b) => (key(b.requestedAt, b.id) < key(a.requestedAt, a.id) ? -1 : 1))
      .slice(0, page.limit)
      .map((p) => readPurchaseOrder(this.tables(), p.id)!);
  }
}
