export const MOVEMENT_TYPES = ['RESERVE', 'RELEASE', 'COMMIT', 'REPLENISH', 'ADJUST'] as const;
export type MovementType = (typeof MOVEMENT_TYPES)[number];

/**
 * One immutable line of a SKU's ledger. `quantity` is the units moved (1..1,000,000), except for
 * ADJUST where it is the signed change of on hand. The levels after the change are kept so every row
 * can be checked against the replay of the rows before it.
 */
export interface StockMovement {
  readonly sku: string;
  readonly type: MovementType;
  readonly quantity: number;
  readonly orderId: string | null;
  readonly reason: string | null;
  readonly reference: string | null;
  readonly onHandAfter: number;
  readonly reservedAfter: number;
  readonly occurredAt: Date;
}

/** A movement as stored: the ledger assigns ids in append order (a bigint, carried as a decimal string). */
export interface RecordedMovement extends StockMovement {
  readonly id: string;
}

/** Why on hand was adjusted. */
export const AdjustReasons = {
  CREATED: 'created',
  SET_LEVELS: 'set-levels',
} as const;
