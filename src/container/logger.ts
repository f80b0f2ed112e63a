import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/**
 * The process logger. Errors are serialised to a small, fixed shape: pino's standard serializer copies
 * every enumerable property, and node-postgres hangs the whole `client` on pool errors (connection
 * parameters with the password, the backend's cancel key: ~10 KB per line after a Postgres restart).
 */

const MAX_DEPTH = 3;
const MAX_STRING = 2_000;
const MAX_STACK = 4_000;

/** Scalar properties worth keeping: Node system errors, pg's DatabaseError, our own markers. */
const SAFE_FIELDS = [
  'code',
  'errno',
  'syscall',
  'address',
  'port',
  'severity',
  'routine',
  'detail',
  'hint',
  'schema',
  'table',
  'column',
  'constraint',
  'statusCode',
  'transient',
] as const;

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text);

export interface SafeError {
  type: string;
  message: string;
  stack?: string;
  cause?: SafeError | string;
  errors?: (SafeError | string)[];
  [field: string]: unknown;
}

/** What a log line may show of an error (or of anything logged where an error is expected). */
export function safeError(value: unknown, depth = 0): SafeError | string {
  if (typeof value !== 'object' || value === null) return clip(String(value), MAX_STRING);
  const err = value as Partial<Error> & Record<string, unknown>;
  const out: SafeError = {
    // As pino's own serializer does (pg's DatabaseError is named 'error').
    type: value.constructor?.name ?? 'Object',
    message: clip(typeof err.message === 'string' ? err.message : '', MAX_STRING),
  };
  if (typeof err.stack === 'string') out.stack = clip(err.stack, MAX_STACK);
  for (const field of SAFE_FIELDS) {
    const v = err[field];
    if (typeof v === 'number' || typeof v === 'boolean') out[field] = v;
    else if (typeof v === 'string') out[field] = clip(v, MAX_STRING);
  }
  if (depth < MAX_DEPTH) {
    if (err.cause !== undefined) out.cause = safeError(err.cause, depth + 1);
    if (Array.isArray(err.errors)) out.errors = err.errors.slice(0, 5).map((e) => safeError(e, depth + 1));
  }
  return out;
}

/** Credentials that must not appear under these keys even outside an error object. */
const REDACT_PATHS = [
  'password',
  '*.password',
  'connectionString',
  '*.connectionString',
  'secretKey',
  '*.secretKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'AUTH_JWT_SECRET',
  '*.AUTH_JWT_SECRET',
];

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    base: { service: 'inventory-service' },
    serializers: { err: safeError, error: safeError, cause: safeError },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}
