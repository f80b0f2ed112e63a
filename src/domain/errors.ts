/**
 * Errors the domain raises, each with a stable code that callers map (HTTP problem types, activity
 * failure types). Codes never change once published.
 */
export const ErrorCodes = {
  INVALID_SKU: 'INVENTORY.INVALID_SKU',
  INVALID_QUANTITY: 'INVENTORY.INVALID_QUANTITY',
  INVALID_STOCK_LEVEL: 'INVENTORY.INVALID_STOCK_LEVEL',
  INVALID_ORDER_ID: 'INVENTORY.INVALID_ORDER_ID',
  INVALID_TTL: 'INVENTORY.INVALID_TTL',
  INVALID_CURSOR: 'INVENTORY.INVALID_CURSOR',
  INVALID_LINES: 'INVENTORY.INVALID_LINES',
  INSUFFICIENT_STOCK: 'INVENTORY.INSUFFICIENT_STOCK',
  ON_HAND_BELOW_RESERVED: 'INVENTORY.ON_HAND_BELOW_RESERVED',
  INVARIANT_VIOLATION: 'INVENTORY.INVARIANT_VIOLATION',
  ILLEGAL_TRANSITION: 'RESERVATION.ILLEGAL_TRANSITION',
  LINE_NOT_FOUND: 'RESERVATION.LINE_NOT_FOUND',
  INVALID_RELEASE_REASON: 'RESERVATION.INVALID_RELEASE_REASON',
  INVALID_REFERENCE: 'INVENTORY.INVALID_REFERENCE',
  INVALID_LIMIT: 'INVENTORY.INVALID_LIMIT',
  INVALID_STATUS_FILTER: 'INVENTORY.INVALID_STATUS_FILTER',
  INVALID_REQUEST_ID: 'INVENTORY.INVALID_REQUEST_ID',
  CONCURRENCY_CONFLICT: 'PERSISTENCE.CONCURRENCY_CONFLICT',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** Input that breaks a value object's guard (bad SKU, quantity out of range...). */
export class ValidationError extends DomainError {
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details);
    this.name = 'ValidationError';
  }
}

/**
 * Someone else changed or created the same row between our read and our write (optimistic check
 * failed). Not a business outcome: the unit of work retries the whole transaction on it.
 */
export class ConcurrencyError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(ErrorCodes.CONCURRENCY_CONFLICT, message, details);
    this.name = 'ConcurrencyError';
  }
}
