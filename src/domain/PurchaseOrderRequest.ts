import { DomainError, ErrorCodes } from './errors';
import type { PurchaseOrderRequested } from './events/InventoryEvents';
import { isBelowSafetyStock, purchaseQuantity, type SafetyStockLevels } from './SafetyStockPolicy';
import type { Sku } from './Sku';

export const PURCHASE_ORDER_REQUEST_STATUSES = ['OPEN', 'CLOSED'] as const;
export type PurchaseOrderRequestStatus = (typeof PURCHASE_ORDER_REQUEST_STATUSES)[number];

export interface PurchaseOrderRequestProps {
  id: string;
  sku: Sku;
  status: PurchaseOrderRequestStatus;
  /** Units requested: safety stock + reorder quantity − available, at the time of the request. */
  quantity: number;
  availableAtRequest: number;
  safetyStock: number;
  reorderQuantity: number;
  requestedAt: Date;
  closedAt: Date | null;
  remindersSent: number;
}

/**
 * A request to buy more of a SKU, raised when its available stock fell below safety stock. Legal moves:
 * OPEN → CLOSED (a replenishment brought stock back). While OPEN it may be re-announced (reminders).
 * At most one OPEN request per SKU: the application decides under the SKU's row lock, and the database
 * enforces it with a partial unique index.
 */
export class PurchaseOrderRequest {
  private events: PurchaseOrderRequested[] = [];
  private changed = false;

  private constructor(
    private readonly props: PurchaseOrderRequestProps,
    readonly isNew: boolean,
    /** remindersSent as loaded: the repository updates only the version it read. */
    readonly loadedRemindersSent: number,
  ) {}

  /** Opens a request for the SKU's current levels, with its PurchaseOrderRequested event. */
  static open(params: { id: string; sku: Sku; levels: SafetyStockLevels; now: Date }): PurchaseOrderRequest {
    const { id, sku, levels, now } = params;
    if (!isBelowSafetyStock(levels)) {
      throw new DomainError(
        ErrorCodes.INVARIANT_VIOLATION,
        `No purchase order for ${sku.value}: available ${levels.available} is not below safety stock ${levels.safetyStock}`,
        { sku: sku.value, available: levels.available, safetyStock: levels.safetyStock },
      );
    }
    const request = new PurchaseOrderRequest(
      {
        id,
        sku,
        status: 'OPEN',
        quantity: purchaseQuantity(levels),
        availableAtRequest: levels.available,
        safetyStock: levels.safetyStock,
        reorderQuantity: levels.reorderQuantity,
        requestedAt: now,
        closedAt: null,
        remindersSent: 0,
      },
      true,
      0,
    );
    request.changed = true;
    request.announce(levels, now);
    return request;
  }

  /** Rebuilds from persistence: no event. */
  static restore(props: PurchaseOrderRequestProps): PurchaseOrderRequest {
    const consistent =
      Number.isInteger(props.quantity) &&
      props.quantity >= 1 &&
      Number.isInteger(props.remindersSent) &&
      props.remindersSent >= 0 &&
      (props.status === 'CLOSED') === (props.closedAt !== null);
    if (!consistent) {
      throw new DomainError(
        ErrorCodes.INVARIANT_VIOLATION,
        `Stored purchase-order request ${props.id} is invalid`,
        {
          id: props.id,
          status: props.status,
        },
      );
    }
    return new PurchaseOrderRequest({ ...props }, false, props.remindersSent);
  }

  get id(): string {
    return this.props.id;
  }
  get sku(): Sku {
    return this.props.sku;
  }
  get status(): PurchaseOrderRequestStatus {
    return this.props.status;
  }
  get isOpen(): boolean {
    return this.props.status === 'OPEN';
  }
  get quantity(): number {
    return this.props.quantity;
  }
  get availableAtRequest(): number {
    return this.props.availableAtRequest;
  }
  get safetyStock(): number {
    return this.props.safetyStock;
  }
  get reorderQuantity(): number {
    return this.props.reorderQuantity;
  }
  get requestedAt(): Date {
    return this.props.requestedAt;
  }
  get closedAt(): Date | null {
    return this.props.closedAt;
  }
  get remindersSent(): number {
    return this.props.remindersSent;
  }
  get hasChanges(): boolean {
    return this.changed;
  }

  /** Stock is back: the request is settled. Closing a closed request changes nothing. */
  close(now: Date): boolean {
    if (!this.isOpen) return false;
    this.props.status = 'CLOSED';
    this.props.closedAt = now;
    this.changed = true;
    return true;
  }

  /**
   * Re-announces an open request (same requestId and quantity) with the SKU's current levels and the
   * reminder's number. A closed request is never re-announced.
   */
  remind(levels: SafetyStockLevels, now: Date): number {
    if (!this.isOpen) {
      throw new DomainError(ErrorCodes.ILLEGAL_TRANSITION, `Purchase-order request ${this.id} is closed`, {
        id: this.id,
        status: this.status,
      });
    }
    this.props.remindersSent += 1;
    this.changed = true;
    this.announce(levels, now, this.props.remindersSent);
    return this.props.remindersSent;
  }

  pullEvents(): PurchaseOrderRequested[] {
    const events = this.events;
    this.events = [];
    return events;
  }

  private announce(levels: SafetyStockLevels, now: Date, reminder?: number): void {
    this.events.push({
      type: 'PurchaseOrderRequested',
      sku: this.sku.value,
      occurredAt: now,
      data: {
        sku: this.sku.value,
        available: levels.available,
        safetyStock: levels.safetyStock,
        quantity: this.quantity,
        requestId: this.id,
        reorderQuantity: levels.reorderQuantity,
        ...(reminder !== undefined ? { reminder } : {}),
      },
    });
  }
}
