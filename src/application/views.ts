import type { ProductInventory } from '../domain/ProductInventory';
import type { PurchaseOrderRequest } from '../domain/PurchaseOrderRequest';
import type { Reservation } from '../domain/Reservation';
import type { RecordedMovement } from '../domain/StockMovement';
import type {
  MovementView,
  PurchaseOrderRequestView,
  PurchaseOrderView,
  ReservationView,
  StockLevelView,
} from './contracts';

/**
 * The version the row has once the command's transaction saved it: a new row starts at 0, a save adds
 * one (at most one save per aggregate and transaction: the repository's optimistic check on the loaded
 * version), an unchanged aggregate is not saved.
 */
function versionAfterSave(inventory: ProductInventory): number {
  if (inventory.isNew) return 0;
  return inventory.version + (inventory.hasChanges ? 1 : 0);
}

/** `openRequest`: the SKU's open purchase-order request, if any. */
export function toStockLevelView(
  inventory: ProductInventory,
  openRequest: PurchaseOrderRequest | null = null,
): StockLevelView {
  return {
    sku: inventory.sku.value,
    onHand: inventory.onHand,
    reserved: inventory.reserved,
    available: inventory.available,
    safetyStock: inventory.safetyStock,
    reorderQuantity: inventory.reorderQuantity,
    updatedAt: inventory.updatedAt.toISOString(),
    version: versionAfterSave(inventory),
    openPurchaseOrder: openRequest?.isOpen ? toPurchaseOrderRequestView(openRequest) : null,
  };
}

export function toPurchaseOrderRequestView(request: PurchaseOrderRequest): PurchaseOrderRequestView {
  return {
    id: request.id,
    quantity: request.quantity,
    available: request.availableAtRequest,
    safetyStock: request.safetyStock,
    requestedAt: request.requestedAt.toISOString(),
  };
}

export function toPurchaseOrderView(request: PurchaseOrderRequest): PurchaseOrderView {
  return {
    id: request.id,
    sku: request.sku.value,
    status: request.status,
    quantity: request.quantity,
    available: request.availableAtRequest,
    safetyStock: request.safetyStock,
    reorderQuantity: request.reorderQuantity,
    requestedAt: request.requestedAt.toISOString(),
    closedAt: request.closedAt?.toISOString() ?? null,
    remindersSent: request.remindersSent,
  };
}

export function toReservationView(reservation: Reservation): ReservationView {
  const view: ReservationView = {
    orderId: reservation.orderId.value,
    status: reservation.status,
    // Sorted so the view is the same whether it was built in memory or read back.
    lines: [...reservation.lines]
      .sort((a, b) => (a.sku.value < b.sku.value ? -1 : a.sku.value > b.sku.value ? 1 : 0))
      .map((l) => ({ sku: l.sku.value, quantity: l.quantity.value, status: l.status })),
    expiresAt: reservation.expiresAt.toISOString(),
    createdAt: reservation.createdAt.toISOString(),
    updatedAt: reservation.updatedAt.toISOString(),
  };
  if (reservation.releaseReason !== null) view.releaseReason = reservation.releaseReason;
  return view;
}

export function toMovementView(movement: RecordedMovement): MovementView {
  const view: MovementView = {
    id: movement.id,
    sku: movement.sku,
    type: movement.type,
    quantity: movement.quantity,
    onHandAfter: movement.onHandAfter,
    reservedAfter: movement.reservedAfter,
    occurredAt: movement.occurredAt.toISOString(),
  };
  if (movement.orderId !== null) view.orderId = movement.orderId;
  if (movement.reason !== null) view.reason = movement.reason;
  if (movement.reference !== null) view.reference = movement.reference;
  if (movement.note !== null) view.note = movement.note;
  return view;
}
