import { DomainError, ErrorCodes, ValidationError } from './errors';
import type { InventoryEvent } from './events/InventoryEvents';
import type { OrderId } from './OrderId';
import type { Quantity } from './Quantity';
import type { ReleaseReason } from './ReleaseReason';
import type { Sku } from './Sku';
import { AdjustReasons, type MovementType, type StockMovement } from './StockMovement';

export interface ProductInventoryProps {
  sku: Sku;
  onHand: number;
  reserved: number;
  safetyStock: number;
  reorderQuantity: number;
  /** The persisted version this instance was loaded at (0 for a new one). */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** Levels an operator sets; absent safety stock / reorder quantity keep their current value. */
export interface StockLevelsInput {
  onHand: number;
  safetyStock?: number;
  reorderQuantity?: number;
}

/** Levels are Postgres `integer`s. */
export const MAX_STOCK_LEVEL = 2_147_483_647;

function level(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_STOCK_LEVEL) {
    throw new ValidationError(
      ErrorCodes.INVALID_STOCK_LEVEL,
      `Invalid ${name} ${JSON.stringify(value)}: an integer 0..${MAX_STOCK_LEVEL}`,
      { [name]: value },
    );
  }
  return value;
}

/**
 * The stock of one SKU. Invariant: 0 ≤ reserved ≤ onHand, so available (onHand − reserved) is never
 * negative. Every change appends a pending ledger movement (with the levels after it) and, when the
 * outside world cares, a domain event; the repository persists the former, the application publishes
 * the latter.
 */
export class ProductInventory {
  private movements: StockMovement[] = [];
  private events: InventoryEvent[] = [];
  private changed = false;

  private constructor(
    private readonly props: ProductInventoryProps,
    readonly isNew: boolean,
  ) {}

  /** A new SKU; its initial on hand enters the ledger as an ADJUST. */
  static create(sku: Sku, levels: StockLevelsInput, now: Date): ProductInventory {
    const inventory = new ProductInventory(
      {
        sku,
        onHand: level('onHand', levels.onHand),
        reserved: 0,
        safetyStock: level('safetyStock', levels.safetyStock ?? 0),
        reorderQuantity: level('reorderQuantity', levels.reorderQuantity ?? 0),
        version: 0,
        createdAt: now,
        updatedAt: now,
      },
      true,
    );
    inventory.changed = true;
    inventory.record('ADJUST', levels.onHand, now, { reason: AdjustReasons.CREATED });
    return inventory;
  }

  /** Checks levels an operator sends before any work starts (the same guards create/setLevels apply). */
  static validateLevels(levels: StockLevelsInput): StockLevelsInput {
    return {
      onHand: level('onHand', levels.onHand),
      ...(levels.safetyStock !== undefined ? { safetyStock: level('safetyStock', levels.safetyStock) } : {}),
      ...(levels.reorderQuantity !== undefined
        ? { reorderQuantity: level('reorderQuantity', levels.reorderQuantity) }
        : {}),
    };
  }

  /** Rebuilds from persistence: no movement, no event. */
  static restore(props: ProductInventoryProps): ProductInventory {
    const { onHand, reserved } = props;
    if (
      !Number.isInteger(onHand) ||
      !Number.isInteger(reserved) ||
      reserved < 0 ||
      reserved > onHand ||
      props.safetyStock < 0 ||
      props.reorderQuantity < 0
    ) {
      throw new DomainError(
        ErrorCodes.INVARIANT_VIOLATION,
        `Stored levels of ${props.sku.value} are invalid`,
        {
          sku: props.sku.value,
          onHand,
          reserved,
        },
      );
    }
    return new ProductInventory({ ...props }, false);
  }

  get sku(): Sku {
    return this.props.sku;
  }
  get onHand(): number {
    return this.props.onHand;
  }
  get reserved(): number {
    return this.props.reserved;
  }
  get available(): number {
    return this.props.onHand - this.props.reserved;
  }
  get safetyStock(): number {
    return this.props.safetyStock;
  }
  get reorderQuantity(): number {
    return this.props.reorderQuantity;
  }
  get version(): number {
    return this.props.version;
  }
  get createdAt(): Date {
    return this.props.createdAt;
  }
  get updatedAt(): Date {
    return this.props.updatedAt;
  }
  /** True when there is something to persist. */
  get hasChanges(): boolean {
    return this.changed;
  }

  canReserve(quantity: Quantity): boolean {
    return quantity.value <= this.available;
  }

  reserve(orderId: OrderId, quantity: Quantity, expiresAt: Date, now: Date): void {
    if (!this.canReserve(quantity)) {
      throw new DomainError(ErrorCodes.INSUFFICIENT_STOCK, `Not enough stock of ${this.sku.value}`, {
        sku: this.sku.value,
        requested: quantity.value,
        available: this.available,
      });
    }
    this.props.reserved += quantity.value;
    this.touch(now);
    this.record('RESERVE', quantity.value, now, { orderId: orderId.value });
    this.events.push({
      type: 'StockReserved',
      sku: this.sku.value,
      occurredAt: now,
      data: {
        orderId: orderId.value,
        sku: this.sku.value,
        quantity: quantity.value,
        available: this.available,
        expiresAt: expiresAt.toISOString(),
      },
    });
  }

  /** Reserved units go back to available. */
  release(orderId: OrderId, quantity: Quantity, reason: ReleaseReason, now: Date): void {
    this.assertReservedCovers(quantity, 'release');
    this.props.reserved -= quantity.value;
    this.touch(now);
    this.record('RELEASE', quantity.value, now, { orderId: orderId.value, reason });
    this.events.push({
      type: 'StockReleased',
      sku: this.sku.value,
      occurredAt: now,
      data: {
        orderId: orderId.value,
        sku: this.sku.value,
        quantity: quantity.value,
        available: this.available,
        reason,
      },
    });
  }

  /** Reserved units leave the stock: the order was confirmed. */
  commit(orderId: OrderId, quantity: Quantity, now: Date): void {
    this.assertReservedCovers(quantity, 'commit');
    this.props.onHand -= quantity.value;
    this.props.reserved -= quantity.value;
    this.touch(now);
    this.record('COMMIT', quantity.value, now, { orderId: orderId.value });
    this.events.push({
      type: 'StockCommitted',
      sku: this.sku.value,
      occurredAt: now,
      data: { orderId: orderId.value, sku: this.sku.value, quantity: quantity.value, onHand: this.onHand },
    });
  }

  replenish(quantity: Quantity, reference: string | undefined, now: Date): void {
    const onHand = level('onHand', this.onHand + quantity.value);
    this.props.onHand = onHand;
    this.touch(now);
    this.record('REPLENISH', quantity.value, now, { reference: reference ?? null });
    this.events.push({
      type: 'StockReplenished',
      sku: this.sku.value,
      occurredAt: now,
      data: {
        sku: this.sku.value,
        quantity: quantity.value,
        onHand,
        available: this.available,
        ...(reference !== undefined ? { reference } : {}),
      },
    });
  }

  /**
   * An operator's count. On hand may not drop below what is reserved (those units are promised).
   * Returns whether anything changed; a change of on hand enters the ledger as a signed ADJUST.
   */
  setLevels(levels: StockLevelsInput, now: Date): boolean {
    const onHand = level('onHand', levels.onHand);
    const safetyStock = level('safetyStock', levels.safetyStock ?? this.safetyStock);
    const reorderQuantity = level('reorderQuantity', levels.reorderQuantity ?? this.reorderQuantity);
    if (onHand < this.reserved) {
      throw new DomainError(
        ErrorCodes.ON_HAND_BELOW_RESERVED,
        `On hand of ${this.sku.value} cannot drop below the ${this.reserved} reserved units`,
        { sku: this.sku.value, onHand, reserved: this.reserved },
      );
    }
    const delta = onHand - this.onHand;
    if (delta === 0 && safetyStock === this.safetyStock && reorderQuantity === this.reorderQuantity) {
      return false;
    }
    this.props.onHand = onHand;
    this.props.safetyStock = safetyStock;
    this.props.reorderQuantity = reorderQuantity;
    this.touch(now);
    if (delta !== 0) this.record('ADJUST', delta, now, { reason: AdjustReasons.SET_LEVELS });
    return true;
  }

  /** Movements not yet persisted; the repository takes them when it saves this aggregate. */
  pullMovements(): StockMovement[] {
    const movements = this.movements;
    this.movements = [];
    return movements;
  }

  pullEvents(): InventoryEvent[] {
    const events = this.events;
    this.events = [];
    return events;
  }

  private assertReservedCovers(quantity: Quantity, action: string): void {
    if (quantity.value > this.reserved) {
      throw new DomainError(
        ErrorCodes.INVARIANT_VIOLATION,
        `Cannot ${action} ${quantity.value} units of ${this.sku.value}: only ${this.reserved} reserved`,
        { sku: this.sku.value, quantity: quantity.value, reserved: this.reserved },
      );
    }
  }

  private touch(now: Date): void {
    this.props.updatedAt = now;
    this.changed = true;
  }

  private record(
    type: MovementType,
    quantity: number,
    now: Date,
    extra: { orderId?: string; reason?: string; reference?: string | null },
  ): void {
    this.movements.push({
      sku: this.sku.value,
      type,
      quantity,
      orderId: extra.orderId ?? null,
      reason: extra.reason ?? null,
      reference: extra.reference ?? null,
      onHandAfter: this.onHand,
      reservedAfter: this.reserved,
      occurredAt: now,
    });
  }
}
