import { ConcurrencyError } from '../../../src/domain/errors';
import type { OrderDecision } from '../../../src/domain/ports/OrderDecisionPort';
import type { OutboxMessage } from '../../../src/domain/ports/OutboxPort';
import type { WorkflowRequestKind } from '../../../src/domain/ports/WorkflowRequestPort';
import { ProductInventory, type ProductInventoryProps } from '../../../src/domain/ProductInventory';
import {
  PurchaseOrderRequest,
  type PurchaseOrderRequestProps,
} from '../../../src/domain/PurchaseOrderRequest';
import { Reservation, type ReservationProps } from '../../../src/domain/Reservation';
import type { RecordedMovement } from '../../../src/domain/StockMovement';

/** What a transaction sees and changes: plain snapshots, so every read restores a fresh aggregate. */
export interface InMemoryTables {
  stock: Map<string, ProductInventoryProps>;
  reservations: Map<string, ReservationProps>;
  movements: RecordedMovement[];
  outbox: OutboxMessage[];
  /** By request id. */
  purchaseOrders: Map<string, PurchaseOrderRequestProps>;
  nextMovementId: number;
  workflowRequests: { orderId: string; kind: WorkflowRequestKind; reason?: string }[];
  /** `${orderId}|${decision}` → reason */
  orderDecisions: Map<string, { orderId: string; decision: OrderDecision; reason?: string }>;
  /** Order ids with a decision recorded for their open reservation. */
  matchedDecisions: Set<string>;
}

export function emptyTables(): InMemoryTables {
  return {
    stock: new Map(),
    reservations: new Map(),
    movements: [],
    outbox: [],
    purchaseOrders: new Map(),
    nextMovementId: 1,
    workflowRequests: [],
    orderDecisions: new Map(),
    matchedDecisions: new Set(),
  };
}

export function cloneTables(t: InMemoryTables): InMemoryTables {
  return {
    stock: new Map([...t.stock].map(([k, v]) => [k, { ...v }])),
    reservations: new Map([...t.reservations].map(([k, v]) => [k, { ...v, lines: [...v.lines] }])),
    movements: [...t.movements],
    outbox: [...t.outbox],
    purchaseOrders: new Map([...t.purchaseOrders].map(([k, v]) => [k, { ...v }])),
    nextMovementId: t.nextMovementId,
    workflowRequests: [...t.workflowRequests],
    orderDecisions: new Map(t.orderDecisions),
    matchedDecisions: new Set(t.matchedDecisions),
  };
}

export function snapshotInventory(i: ProductInventory, version: number): ProductInventoryProps {
  return {
    sku: i.sku,
    onHand: i.onHand,
    reserved: i.reserved,
    safetyStock: i.safetyStock,
    reorderQuantity: i.reorderQuantity,
    version,
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
  };
}

export function snapshotReservation(r: Reservation, version: number): ReservationProps {
  return {
    orderId: r.orderId,
    status: r.status,
    releaseReason: r.releaseReason,
    lines: [...r.lines],
    expiresAt: r.expiresAt,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    version,
  };
}

/** Writes with the same optimistic rules as the Postgres adapters. */
export function writeInventories(t: InMemoryTables, inventories: readonly ProductInventory[]): void {
  for (const i of inventories.filter((x) => x.hasChanges)) {
    const current = t.stock.get(i.sku.value);
    if (i.isNew ? current !== undefined : current?.version !== i.version) {
      throw new ConcurrencyError(`stock ${i.sku.value} changed concurrently`);
    }
    t.stock.set(i.sku.value, snapshotInventory(i, i.isNew ? 0 : i.version + 1));
    for (const m of i.pullMovements()) {
      t.movements.push({ ...m, id: String(t.nextMovementId++) });
    }
  }
}

export function writeReservation(t: InMemoryTables, r: Reservation): void {
  if (!r.hasChanges) return;
  const current = t.reservations.get(r.orderId.value);
  if (r.isNew ? current !== undefined : current?.version !== r.version) {
    throw new ConcurrencyError(`reservation ${r.orderId.value} changed concurrently`);
  }
  t.reservations.set(r.orderId.value, snapshotReservation(r, r.isNew ? 0 : r.version + 1));
}

export function readInventory(t: InMemoryTables, sku: string): ProductInventory | null {
  const props = t.stock.get(sku);
  return props ? ProductInventory.restore(props) : null;
}

export function readReservation(t: InMemoryTables, orderId: string): Reservation | null {
  const props = t.reservations.get(orderId);
  return props ? Reservation.restore(props) : null;
}

export function snapshotPurchaseOrder(r: PurchaseOrderRequest): PurchaseOrderRequestProps {
  return {
    id: r.id,
    sku: r.sku,
    status: r.status,
    quantity: r.quantity,
    availableAtRequest: r.availableAtRequest,
    safetyStock: r.safetyStock,
    reorderQuantity: r.reorderQuantity,
    requestedAt: r.requestedAt,
    closedAt: r.closedAt,
    remindersSent: r.remindersSent,
  };
}

/**
 * The Postgres adapter's rules: at most one OPEN request per SKU (the partial unique index), updates
 * only of a request still OPEN with the reminder count it was loaded with.
 */
export function writePurchaseOrders(t: InMemoryTables, requests: readonly PurchaseOrderRequest[]): void {
  for (const r of requests.filter((x) => x.hasChanges)) {
    const current = t.purchaseOrders.get(r.id);
    if (r.isNew) {
      const openOfSku = [...t.purchaseOrders.values()].some(
        (p) => p.sku.value === r.sku.value && p.status === 'OPEN',
      );
      if (current || (r.isOpen && openOfSku)) {
        throw new ConcurrencyError(`purchase-order request of ${r.sku.value} opened concurrently`);
      }
    } else if (current?.status !== 'OPEN' || current.remindersSent !== r.loadedRemindersSent) {
      throw new ConcurrencyError(`purchase-order request ${r.id} changed concurrently`);
    }
    t.purchaseOrders.set(r.id, snapshotPurchaseOrder(r));
  }
}

export function readPurchaseOrder(t: InMemoryTables, id: string): PurchaseOrderRequest | null {
  const props = t.purchaseOrders.get(id);
  return props ? PurchaseOrderRequest.restore({ ...props }) : null;
}
