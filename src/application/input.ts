import { DomainError, ErrorCodes, ValidationError } from '../domain/errors';
import { MAX_LINES_PER_REQUEST, MOVEMENT_NOTE_MAX_LENGTH } from '../domain/limits';
import { Quantity } from '../domain/Quantity';
import type { RequestedLine } from '../domain/Reservation';
import { Sku } from '../domain/Sku';
import { LONE_SURROGATE, MOVEMENT_TYPES, type MovementType } from '../domain/StockMovement';

/** Guards for command fields that are not value objects of their own. */

export const MAX_LINES = MAX_LINES_PER_REQUEST;
/** SKUs one batch read may ask for. */
export const MAX_BATCH_SKUS = 100;
export const MAX_REFERENCE_LENGTH = 200;
export const DEFAULT_MOVEMENT_LIMIT = 50;
export const MAX_MOVEMENT_LIMIT = 200;
/** The `status` filter of the purchase-order listing (the first is the default). */
export const PURCHASE_ORDER_FILTERS = ['open', 'closed', 'all'] as const;
export type PurchaseOrderFilter = (typeof PURCHASE_ORDER_FILTERS)[number];

/** One to MAX_LINES lines, each a valid SKU and quantity, no SKU twice (compared upper-case). */
export function parseLines(raw: unknown): RequestedLine[] {
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_LINES) {
    throw new ValidationError(ErrorCodes.INVALID_LINES, `lines must hold 1..${MAX_LINES} lines`, {
      count: Array.isArray(raw) ? raw.length : null,
    });
  }
  const seen = new Set<string>();
  return raw.map((line: unknown) => {
    if (typeof line !== 'object' || line === null) {
      throw new ValidationError(ErrorCodes.INVALID_LINES, 'each line is { sku, quantity }');
    }
    const { sku: rawSku, quantity: rawQuantity } = line as { sku?: unknown; quantity?: unknown };
    const sku = Sku.of(rawSku);
    const quantity = Quantity.of(rawQuantity);
    if (seen.has(sku.value)) {
      throw new ValidationError(ErrorCodes.INVALID_LINES, `SKU ${sku.value} appears in more than one line`, {
        sku: sku.value,
      });
    }
    seen.add(sku.value);
    return { sku, quantity };
  });
}

/** An ISO-8601 instant (a caller's deadline), or undefined. */
export function parseDeadline(raw: unknown): Date | undefined {
  if (raw === undefined) return undefined;
  const at = typeof raw === 'string' ? new Date(raw) : undefined;
  if (!at || Number.isNaN(at.getTime())) {
    throw new ValidationError(ErrorCodes.INVALID_DEADLINE, 'deadline must be an ISO-8601 instant', {
      deadline: raw,
    });
  }
  return at;
}

/**
 * Refuses a command whose caller's deadline has passed (DEADLINE_EXCEEDED, HTTP 503): checked before it
 * starts and again inside its transaction, last, so one that missed the deadline rolls back. `nothing`
 * says what did not happen ("reserved", "released").
 */
export function refusePastDeadline(
  deadline: Date | undefined,
  now: Date,
  command: string,
  nothing: string,
): void {
  if (deadline && now.getTime() >= deadline.getTime()) {
    throw new DomainError(
      ErrorCodes.DEADLINE_EXCEEDED,
      `The ${command}'s deadline ${deadline.toISOString()} has passed: nothing was ${nothing}`,
      { deadline: deadline.toISOString() },
    );
  }
}

/** Stored free text: Postgres text and jsonb hold no NUL character. */
// eslint-disable-next-line no-control-regex -- NUL is exactly what it refuses
export const STORABLE_TEXT = /^[^\u0000]*$/;

/** Whether `text` can be stored exactly as given. */
export function isStorableText(text: string): boolean {
  return STORABLE_TEXT.test(text) && !LONE_SURROGATE.test(text);
}

export function parseReference(raw: unknown): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_REFERENCE_LENGTH) {
    throw new ValidationError(
      ErrorCodes.INVALID_REFERENCE,
      `reference must be 1..${MAX_REFERENCE_LENGTH} characters`,
      { reference: raw },
    );
  }
  if (!isStorableText(raw)) {
    throw new ValidationError(
      ErrorCodes.INVALID_REFERENCE,
      'reference must be well-formed Unicode without NUL characters',
    );
  }
  return raw;
}

/** Free text kept with a stock change: an adjustment's note, a release's or an order cancel's reason. */
export const MAX_NOTE_LENGTH = MOVEMENT_NOTE_MAX_LENGTH;
const REASON = /^[a-z][a-z-]{0,63}$/;

export function parseMovementType(raw: unknown): MovementType | undefined {
  if (raw === undefined) return undefined;
  if (!(MOVEMENT_TYPES as readonly unknown[]).includes(raw)) {
    throw new ValidationError(
      ErrorCodes.INVALID_MOVEMENT_FILTER,
      `type must be one of ${MOVEMENT_TYPES.join(', ')}`,
      {
        type: raw,
      },
    );
  }
  return raw as MovementType;
}

/** Reasons are lower-case words with dashes (`cycle-count`, `expired`, `set-levels`...). */
export function parseMovementReason(raw: unknown): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !REASON.test(raw)) {
    throw new ValidationError(
      ErrorCodes.INVALID_MOVEMENT_FILTER,
      'reason must be a lower-case word (a-z, -)',
      {
        reason: raw,
      },
    );
  }
  return raw;
}

export function parseNote(raw: unknown): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_NOTE_LENGTH) {
    throw new ValidationError(
      ErrorCodes.INVALID_ADJUSTMENT,
      `note must be 1..${MAX_NOTE_LENGTH} characters`,
      {
        note: raw,
      },
    );
  }
  if (!isStorableText(raw)) {
    throw new ValidationError(
      ErrorCodes.INVALID_ADJUSTMENT,
      'note must be well-formed Unicode without NUL characters',
    );
  }
  return raw;
}

export function parseLimit(raw: unknown): number {
  if (raw === undefined) return DEFAULT_MOVEMENT_LIMIT;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1 || raw > MAX_MOVEMENT_LIMIT) {
    throw new ValidationError(ErrorCodes.INVALID_LIMIT, `limit must be an integer 1..${MAX_MOVEMENT_LIMIT}`, {
      limit: raw,
    });
  }
  return raw;
}

const CURSOR_PREFIX = 'm1:';
const MOVEMENT_ID = /^[1-9][0-9]{0,18}$/;

/**
 * Cursors are opaque to clients: `prefix + payload` as unpadded base64url. The text is ASCII, so
 * btoa/atob (web standards, not Node APIs) are enough.
 */
export function encodeOpaqueCursor(prefix: string, payload: string): string {
  return btoa(`${prefix}${payload}`).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * The payload of a cursor this service issued with `prefix`, or INVALID_CURSOR. `undefined` passes
 * through (first page). `accept` checks the payload's own shape.
 */
export function decodeOpaqueCursor<T>(
  raw: unknown,
  prefix: string,
  maxLength: number,
  accept: (payload: string) => T | undefined,
): T | undefined {
  if (raw === undefined) return undefined;
  const invalid = () =>
    new ValidationError(ErrorCodes.INVALID_CURSOR, 'cursor is not one this service issued', { cursor: raw });
  if (
    typeof raw !== 'string' ||
    raw.length === 0 ||
    raw.length > maxLength ||
    !/^[A-Za-z0-9_-]+$/.test(raw)
  ) {
    throw invalid();
  }
  let decoded: string;
  try {
    decoded = atob(raw.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    throw invalid();
  }
  if (!decoded.startsWith(prefix)) throw invalid();
  const value = accept(decoded.slice(prefix.length));
  if (value === undefined) throw invalid();
  return value;
}

/** Opaque to clients; today the id of the last movement of the previous page. */
export function encodeCursor(movementId: string): string {
  return encodeOpaqueCursor(CURSOR_PREFIX, movementId);
}

export function decodeCursor(raw: unknown): string | undefined {
  return decodeOpaqueCursor(raw, CURSOR_PREFIX, 64, (id) =>
    MOVEMENT_ID.test(id) && BigInt(id) <= 9223372036854775807n ? id : undefined,
  );
}
