import { DomainError, ErrorCodes, ValidationError } from './errors';
import type { InventoryEvent } from './events/InventoryEvents';
import type { OrderId } from './OrderId';
import type { Quantity } from './Quantity';
import type { ReleaseReason } from './ReleaseReason';
import type { Sku } from './Sku';
import { StockCount } from './StockCount';
import {
  ADJUSTMENT_REASONS,
  AdjustReasons,
  type AdjustmentReason,
  type MovementType,
  type StockMovement,
} from './StockMovement';

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

/** An operator's adjustment: a signed change of on hand, or the on hand counted. */
export type AdjustmentInput = (
  { delta: number; onHand?: undefined } | { onHand: number; delta?: undefined }
) & {
  reason: AdjustmentReason;
  reference?: string;
  note?: string;
};

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
  /** Available when loaded or created, then at the last pullEvents: the base of the stock-state events. */
  private availableAtPull: number;

  private constructor(
    private readonly props: ProductInventoryProps,
    readonly isNew: boolean,
  ) {
    this.availableAtPull = props.onHand - props.reserved;
  }

  /** A new SKU; its initial on hand enters the ledger as an ADJUST. */
  static create(sku: Sku, levels: StockLevelsInput, now: Date): ProductInventory {
    const inventory = new ProductInventory(
      {
        sku,
        onHand: StockCount.of('onHand', levels.onHand),
        reserved: 0,
        safetyStock: StockCount.of('safetyStock', levels.safetyStock ?? 0),
        reorderQuantity: StockCount.of('reorderQuantity', levels.reorderQuantity ?? 0),
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
      onHand: StockCount.of('onHand', levels.onHand),
      ...(levels.safetyStock !== undefined
        ? { safetyStock: StockCount.of('safetyStock', levels.safetyStock) }
        : {}),
      ...(levels.reorderQuantity !== undefined
        ? { reorderQuantity: StockCount.of('reorderQuantity', levels.reorderQuantity) }
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
        ...this.orderLine(orderId, quantity),
        available: this.available,
        expiresAt: expiresAt.toISOString(),
      },
    });
  }

  /** Reserved units go back to available. */
  release(orderId: OrderId, quantity: Quantity, reason: ReleaseReason, now: Date, note?: string): void {
    this.assertReservedCovers(quantity, 'release');
    this.props.reserved -= quantity.value;
    this.touch(now);
    this.record('RELEASE', quantity.value, now, { orderId: orderId.value, reason, note: note ?? null });
    this.events.push({
      type: 'StockReleased',
      sku: this.sku.value,
      occurredAt: now,
      data: {
        ...this.orderLine(orderId, quantity),
        available: this.available,
        reason,
        ...(note !== undefined ? { note } : {}),
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
      data: { ...this.orderLine(orderId, quantity), onHand: this.onHand },
    });
  }

  /** Whether on hand stays within StockCount.MAX after receiving `quantity`. */
  canReplenish(quantity: Quantity): boolean {
    return this.onHand + quantity.value <= StockCount.MAX;
  }

  replenish(quantity: Quantity, reference: string | undefined, now: Date): void {
    if (!this.canReplenish(quantity)) {
      throw new DomainError(
        ErrorCodes.ON_HAND_LIMIT_EXCEEDED,
        `Replenishing ${quantity.value} units of ${this.sku.value} would raise on hand above ${StockCount.MAX}`,
        { sku: this.sku.value, onHand: this.onHand, quantity: quantity.value, max: StockCount.MAX },
      );
    }
    const onHand = this.onHand + quantity.value;
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
    const onHand = StockCount.of('onHand', levels.onHand);
    const safetyStock = StockCount.of('safetyStock', levels.safetyStock ?? this.safetyStock);
    const reorderQuantity = StockCount.of('reorderQuantity', levels.reorderQuantity ?? this.reorderQuantity);
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

  /**
   * An operator's adjustment with its reason (damage, shrinkage, a count...): one ADJUST movement
   * carrying reason, reference and note, and a StockAdjusted event, even when on hand does not change
   * (a count that confirms the stock is worth its ledger line). On hand may not drop below reserved.
   */
  adjust(input: AdjustmentInput, now: Date): void {
    if (!(ADJUSTMENT_REASONS as readonly string[]).includes(input.reason)) {
      throw new ValidationError(
        ErrorCodes.INVALID_ADJUSTMENT,
        `reason must be one of ${ADJUSTMENT_REASONS.join(', ')}`,
        { reason: input.reason },
      );
    }
    const hasDelta = input.delta !== undefined;
    if (hasDelta === (input.onHand !== undefined)) {
      throw new ValidationError(ErrorCodes.INVALID_ADJUSTMENT, 'give either delta or onHand');
    }
    if (hasDelta && (!Number.isInteger(input.delta) || Math.abs(input.delta!) > StockCount.MAX)) {
      throw new ValidationError(
        ErrorCodes.INVALID_ADJUSTMENT,
        `delta must be an integer within ±${StockCount.MAX}`,
        {
          delta: input.delta,
        },
      );
    }
    const target = hasDelta ? this.onHand + input.delta! : StockCount.of('onHand', input.onHand);
    if (target < this.reserved) {
      throw new DomainError(
        ErrorCodes.ON_HAND_BELOW_RESERVED,
        `On hand of ${this.sku.value} cannot drop below the ${this.reserved} reserved units`,
        { sku: this.sku.value, onHand: target, reserved: this.reserved },
      );
    }
    const onHand = StockCount.of('onHand', target);
    const delta = onHand - this.onHand;
    this.props.onHand = onHand;
    this.touch(now);
    this.record('ADJUST', delta, now, {
      reason: input.reason,
      reference: input.reference ?? null,
      note: input.note ?? null,
    });
    this.events.push({
      type: 'StockAdjusted',
      sku: this.sku.value,
      occurredAt: now,
      data: {
        sku: this.sku.value,
        delta,
        onHand,
        reserved: this.reserved,
        available: this.available,
        reason: input.reason,
        ...(input.reference !== undefined ? { reference: input.reference } : {}),
        ...(input.note !== undefined ? { note: input.note } : {}),
      },
    });
  }

  /** Movements not yet persisted; the repository takes them when it saves this aggregate. */
  pullMovements(): StockMovement[] {
    const movements = this.movements;
    this.movements = [];
    return movements;
  }

  /**
   * The events of the changes since the last pull (one transaction's, as the use cases pull once per
   * transaction), followed by StockDepleted when available went from above 0 to 0 over them, or
   * StockRestored when it went from 0 to above 0: one per net transition, so a release and a reserve
   * in the same transaction that end where they started announce nothing.
   */
  pullEvents(): InventoryEvent[] {
    const events = this.events;
    this.events = [];
    const before = this.availableAtPull;
    const after = this.available;
    this.availableAtPull = after;
    if (before > 0 !== after > 0) {
      const data = { sku: this.sku.value, onHand: this.onHand, reserved: this.reserved, available: after };
      const occurredAt = this.updatedAt;
      events.push(
        after === 0
          ? { type: 'StockDepleted', sku: this.sku.value, occurredAt, data }
          : { type: 'StockRestored', sku: this.sku.value, occurredAt, data },
      );
    }
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

  /** What every event about one order's line carries. */
  private orderLine(orderId: OrderId, quantity: Quantity) {
    return { orderId: orderId.value, sku: this.sku.value, quantity: quantity.value };
  }

  private touch(now: Date): void {
    this.props.updatedAt = now;
    this.changed = true;
  }

  private record(
    type: MovementType,
    quantity: number,
    now: Date,
    extra: { orderId?: string; reason?: string; reference?: string | null; note?: string | null },
  ): void {
    this.movements.push({
      sku: this.sku.value,
      type,
      quantity,
      orderId: extra.orderId ?? null,
      reason: extra.reason ?? null,
      reference: extra.reference ?? null,
      note: extra.note ?? null,
      onHandAfter: this.onHand,
      reservedAfter: this.reserved,
      occurredAt: now,
    });
  }
}
