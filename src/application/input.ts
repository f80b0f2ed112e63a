import { ErrorCodes, ValidationError } from '../domain/errors';
import { Quantity } from '../domain/Quantity';
import type { RequestedLine } from '../domain/Reservation';
import { Sku } from '../domain/Sku';

/** Guards for command fields that are not value objects of their own. */

export const MAX_LINES = 100;
export const MAX_REFERENCE_LENGTH = 200;
export const DEFAULT_MOVEMENT_LIMIT = 50;
export const MAX_MOVEMENT_LIMIT = 200;

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

export function parseReference(raw: unknown): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_REFERENCE_LENGTH) {
    throw new ValidationError(
      ErrorCodes.INVALID_REFERENCE,
      `reference must be 1..${MAX_REFERENCE_LENGTH} characters`,
      { reference: raw },
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
