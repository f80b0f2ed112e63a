import type { Pool, QueryConfig, QueryResult, QueryResultRow } from 'pg';
import { DatabaseUnavailableError, isConnectionFailure } from './PgUnitOfWork';
import { raceTimeout } from './timeout';

/** How long a statement outside the unit of work (a read, an Idempotency-Key's row) may wait for Postgres. */
export interface StatementTimeoutOptions {
  /**
   * Longest wait for Postgres, connection included (ms; REQUEST_DEADLINE_MS): past it the statement
   * fails as unavailable (HTTP 503). Without it a Postgres that hangs (closing nothing) holds the
   * caller until the connection dies.
   */
  timeoutMs?: number;
}

/** node-postgres's own query_timeout. */
function isReadTimeout(error: unknown): boolean {
  return (error as { message?: unknown })?.message === 'Query read timeout';
}

/**
 * `work` (one statement, or one Prisma query), failed as unavailable when Postgres does not answer
 * within `timeoutMs` or the connection fails. Only for work whose loss is harmless: a read, or a write
 * the caller is told did not happen (its late landing must be safe, as an Idempotency-Key's claim is).
 */
export async function withinTimeout<T>(work: () => Promise<T>, timeoutMs: number | undefined): Promise<T> {
  try {
    return await raceTimeout(
      work(),
      timeoutMs || undefined,
      () => new DatabaseUnavailableError(new Error(`no answer within ${timeoutMs} ms`)),
    );
  } catch (error) {
    if (error instanceof DatabaseUnavailableError) throw error;
    if (isConnectionFailure(error) || isReadTimeout(error)) throw new DatabaseUnavailableError(error);
    throw error;
  }
}

/**
 * One statement on the pool, bounded as withinTimeout. pg's query_timeout also ends a statement already
 * sent (the pool then drops its connection); the race bounds the wait for a free or new connection,
 * which a hung server never answers.
 */
export function boundedQuery<R extends QueryResultRow>(
  pool: Pick<Pool, 'query'>,
  text: string,
  values: unknown[],
  timeoutMs: number | undefined,
): Promise<QueryResult<R>> {
  const config: QueryConfig & { query_timeout?: number } = timeoutMs
    ? { text, values, query_timeout: timeoutMs }
    : { text, values };
  return withinTimeout(() => pool.query<R>(config), timeoutMs);
}
