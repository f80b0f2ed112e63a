import { MOVEMENT_NOTE_MAX_LENGTH } from './limits';

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
  /** Free text: an operator's on an adjustment, order-service's cancel reason on a release. */
  readonly note: string | null;
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

/** The reasons an operator gives an adjustment (POST /inventory/:sku/adjustments). */
export const ADJUSTMENT_REASONS = [
  'correction',
  'cycle-count',
  'damaged',
  'shrinkage',
  'received',
  'returned',
] as const;
export type AdjustmentReason = (typeof ADJUSTMENT_REASONS)[number];

/** A UTF-16 surrogate without its other half has no UTF-8 form: it would be stored as U+FFFD. */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** What Postgres text cannot hold as given: NUL, and lone surrogates. */
const UNSTORABLE = new RegExp(`\\u0000|${LONE_SURROGATE.source}`, 'g');

/**
 * A note that arrives with a change which must not fail because of it (order-service's cancel reason
 * on the release): cut to MOVEMENT_NOTE_MAX_LENGTH, with what cannot be stored (NUL, a lone surrogate,
 * also one left by the cut) dropped; undefined when nothing is left.
 */
export function boundedNote(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const note = raw.slice(0, MOVEMENT_NOTE_MAX_LENGTH).replace(UNSTORABLE, '');
  return note.length > 0 ? note : undefined;
}
