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
  ON_HAND_LIMIT_EXCEEDED: 'INVENTORY.ON_HAND_LIMIT_EXCEEDED',
  INVARIANT_VIOLATION: 'INVENTORY.INVARIANT_VIOLATION',
  ILLEGAL_TRANSITION: 'RESERVATION.ILLEGAL_TRANSITION',
  LINE_NOT_FOUND: 'RESERVATION.LINE_NOT_FOUND',
  INVALID_RELEASE_REASON: 'RESERVATION.INVALID_RELEASE_REASON',
  INVALID_REFERENCE: 'INVENTORY.INVALID_REFERENCE',
  INVALID_ADJUSTMENT: 'INVENTORY.INVALID_ADJUSTMENT',
  INVALID_MOVEMENT_FILTER: 'INVENTORY.INVALID_MOVEMENT_FILTER',
  INVALID_LIMIT: 'INVENTORY.INVALID_LIMIT',
  INVALID_STATUS_FILTER: 'INVENTORY.INVALID_STATUS_FILTER',
  INVALID_REQUEST_ID: 'INVENTORY.INVALID_REQUEST_ID',
  CONCURRENCY_CONFLICT: 'PERSISTENCE.CONCURRENCY_CONFLICT',
  INVALID_DEADLINE: 'RESERVATION.INVALID_DEADLINE',
  /** The caller's deadline passed before the reserve could commit: nothing was reserved. */
  DEADLINE_EXCEEDED: 'RESERVATION.DEADLINE_EXCEEDED',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/**
 * What kind of failure a code names, so that every mapper (HTTP problems, activity failures, Temporal
 * failures back to domain errors) classifies it the same way instead of parsing the code:
 * - validation: the input breaks a guard; the same input always fails (HTTP 400).
 * - business: a rule refused the command as the state stands (409, 404, ...).
 * - concurrency: the command raced another one; a retry may succeed.
 * - invariant: a state the domain must never reach (a bug or corrupt data).
 */
export type ErrorCategory = 'validation' | 'business' | 'concurrency' | 'invariant';

/** Every code's category; a new code does not compile until it has one. */
export const ErrorCategories: { readonly [C in ErrorCode]: ErrorCategory } = {
  [ErrorCodes.INVALID_SKU]: 'validation',
  [ErrorCodes.INVALID_QUANTITY]: 'validation',
  [ErrorCodes.INVALID_STOCK_LEVEL]: 'validation',
  [ErrorCodes.INVALID_ORDER_ID]: 'validation',
  [ErrorCodes.INVALID_TTL]: 'validation',
  [ErrorCodes.INVALID_CURSOR]: 'validation',
  [ErrorCodes.INVALID_LINES]: 'validation',
  [ErrorCodes.INSUFFICIENT_STOCK]: 'business',
  [ErrorCodes.ON_HAND_BELOW_RESERVED]: 'business',
  [ErrorCodes.ON_HAND_LIMIT_EXCEEDED]: 'business',
  [ErrorCodes.INVARIANT_VIOLATION]: 'invariant',
  [ErrorCodes.ILLEGAL_TRANSITION]: 'business',
  [ErrorCodes.LINE_NOT_FOUND]: 'business',
  [ErrorCodes.INVALID_RELEASE_REASON]: 'validation',
  [ErrorCodes.INVALID_REFERENCE]: 'validation',
  [ErrorCodes.INVALID_ADJUSTMENT]: 'validation',
  [ErrorCodes.INVALID_MOVEMENT_FILTER]: 'validation',
  [ErrorCodes.INVALID_LIMIT]: 'validation',
  [ErrorCodes.INVALID_STATUS_FILTER]: 'validation',
  [ErrorCodes.INVALID_REQUEST_ID]: 'validation',
  [ErrorCodes.CONCURRENCY_CONFLICT]: 'concurrency',
  [ErrorCodes.INVALID_DEADLINE]: 'validation',
  [ErrorCodes.DEADLINE_EXCEEDED]: 'business',
};

export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ErrorCategories, code);
}

export function isValidationCode(code: string): boolean {
  return isErrorCode(code) && ErrorCategories[code] === 'validation';
}

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
