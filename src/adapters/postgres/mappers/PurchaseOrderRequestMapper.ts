import {
  PURCHASE_ORDER_REQUEST_STATUSES,
  PurchaseOrderRequest,
  type PurchaseOrderRequestStatus,
} from '../../../domain/PurchaseOrderRequest';
import { Sku } from '../../../domain/Sku';
import type { PurchaseOrderRequest as PurchaseOrderRequestRow } from '../generated/client';

/** The domain's fields of table purchase_order_requests (the workflow_* columns are the dispatcher's). */
export type PurchaseOrderRequestRecord = Omit<
  PurchaseOrderRequestRow,
  'workflowStartedAt' | 'workflowClosedAt'
>;

function status(raw: string): PurchaseOrderRequestStatus {
  if (!(PURCHASE_ORDER_REQUEST_STATUSES as readonly string[]).includes(raw)) {
    throw new Error(`Unknown purchase-order request status in the database: ${raw}`);
  }
  return raw as PurchaseOrderRequestStatus;
}

export const PurchaseOrderRequestMapper = {
  toDomain(row: PurchaseOrderRequestRecord): PurchaseOrderRequest {
    return PurchaseOrderRequest.restore({
      id: row.id,
      sku: Sku.of(row.sku),
      status: status(row.status),
      quantity: row.quantity,
      availableAtRequest: row.availableAtRequest,
      safetyStock: row.safetyStock,
      reorderQuantity: row.reorderQuantity,
      requestedAt: row.requestedAt,
      closedAt: row.closedAt,
      remindersSent: row.remindersSent,
    });
  },

  toPersistence(request: PurchaseOrderRequest): PurchaseOrderRequestRecord {
    return {
      id: request.id,
      sku: request.sku.value,
      status: request.status,
      quantity: request.quantity,
      availableAtRequest: request.availableAtRequest,
      safetyStock: request.safetyStock,
      reorderQuantity: request.reorderQuantity,
      requestedAt: request.requestedAt,
      closedAt: request.closedAt,
      remindersSent: request.remindersSent,
    };
  },
};
