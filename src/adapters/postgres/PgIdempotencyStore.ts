import type { Pool, QueryResultRow } from 'pg';
import type {
  IdempotencyBegin,
  IdempotencyScope,
  IdempotencyStorePort,
  StoredResponse,
} from '../../application/ports';
import type { UnitOfWorkOptions } from '../../domain/ports/UnitOfWorkPort';
import { boundedQuery, type StatementTimeoutOptions } from './statementTimeout';
import { timeoutWithin } from './timeout';

/**
 * `timeoutMs` bounds each statement (REQUEST_DEADLINE_MS), and a call's `deadline` (the request's)
 * shortens it: a claim that Postgres does not answer fails the request as unavailable (503) instead
 * of holding it. Should that claim land later, a retry with the key answers 409 in-flight until
 * `leaseSeconds` pass, then runs.
 */
export interface PgIdempotencyStoreOptions extends StatementTimeoutOptions {
  /** How long a completed key replays its response. */
  retentionSeconds: number;
  /**
   * How long a started key stays claimed without completing before another request may take it over
   * (its process died mid-request). Longer than any request can run.
   */
  leaseSeconds?: number;
}

const DEFAULT_LEASE_SECONDS = 120;

/*
 * Claiming is one statement: a new key inserts; an existing one is taken over only when its holder's
 * lease ran out before it completed, or when it expired and was not purged yet. Two requests racing on
 * one key serialise on the primary key: the second finds the first's row.
 */
const BEGIN_SQL = `
  INSERT INTO idempotency_keys (principal, method, path, key, fingerprint, created_at, locked_until, expires_at)
  VALUES ($1, $2, $3, $4, $5, now(), now() + make_interval(secs => $6), now() + make_interval(secs => $7))
  ON CONFLICT (principal, method, path, key) DO UPDATE
    SET fingerprint = EXCLUDED.fingerprint, created_at = EXCLUDED.created_at,
        locked_until = EXCLUDED.locked_until, expires_at = EXCLUDED.expires_at,
        status_code = NULL, response_headers = NULL, response_body = NULL, completed_at = NULL
    WHERE idempotency_keys.expires_at < now()
       OR (idempotency_keys.completed_at IS NULL AND idempotency_keys.locked_until < now())
  RETURNING 1`;

const READ_SQL = `
  SELECT fingerprint, status_code, response_headers, response_body, completed_at
  FROM idempotency_keys
  WHERE principal = $1 AND method = $2 AND path = $3 AND key = $4`;

const COMPLETE_SQL = `
  UPDATE idempotency_keys
  SET status_code = $5, response_headers = $6::jsonb, response_body = $7, completed_at = now(), locked_until = NULL
  WHERE principal = $1 AND method = $2 AND path = $3 AND key = $4 AND completed_at IS NULL`;

const ABANDON_SQL = `
  DELETE FROM idempotency_keys
  WHERE principal = $1 AND method = $2 AND path = $3 AND key = $4 AND completed_at IS NULL`;

/* A bounded batch per statement; SKIP LOCKED lets several processes purge side by side. */
const PURGE_SQL = `
  DELETE FROM idempotency_keys
  WHERE ctid = ANY(ARRAY(
    SELECT ctid FROM idempotency_keys WHERE expires_at < now() LIMIT $1 FOR UPDATE SKIP LOCKED))`;

interface Row {
  fingerprint: string;
  status_code: number | null;
  response_headers: Record<string, string> | null;
  response_body: string | null;
  completed_at: Date | null;
}

const keyOf = (s: IdempotencyScope) => [s.principal, s.method, s.path, s.key];

export class PgIdempotencyStore implements IdempotencyStorePort {
  private readonly leaseSeconds: number;

  constructor(
    private readonly pool: Pick<Pool, 'query'>,
    private readonly options: PgIdempotencyStoreOptions,
  ) {
    this.leaseSeconds = options.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
  }

  async begin(
    scope: IdempotencyScope,
    fingerprint: string,
    options: UnitOfWorkOptions = {},
    attempt = 1,
  ): Promise<IdempotencyBegin> {
    const claimed = await this.query(
      BEGIN_SQL,
      [...keyOf(scope), fingerprint, this.leaseSeconds, this.options.retentionSeconds],
      options,
    );
    if (claimed.rowCount === 1) return { kind: 'started' };
    const { rows } = await this.query<Row>(READ_SQL, keyOf(scope), options);
    const row = rows[0];
    // Purged or abandoned between the two statements: claim it again (a few times, then call it busy).
    if (!row) {
      return attempt < 3 ? this.begin(scope, fingerprint, options, attempt + 1) : { kind: 'in-flight' };
    }
    if (row.fingerprint !== fingerprint) return { kind: 'mismatch' };
    if (row.completed_at === null) return { kind: 'in-flight' };
    return {
      kind: 'replay',
      response: { status: row.status_code!, headers: row.response_headers ?? {}, body: row.response_body! },
    };
  }

  async complete(
    scope: IdempotencyScope,
    response: StoredResponse,
    options: UnitOfWorkOptions = {},
  ): Promise<void> {
    await this.query(
      COMPLETE_SQL,
      [...keyOf(scope), response.status, JSON.stringify(response.headers), response.body],
      options,
    );
  }

  async abandon(scope: IdempotencyScope, options: UnitOfWorkOptions = {}): Promise<void> {
    await this.query(ABANDON_SQL, keyOf(scope), options);
  }

  async purgeExpired(batch: number): Promise<number> {
    const { rowCount } = await this.pool.query(PURGE_SQL, [batch]);
    return rowCount ?? 0;
  }

  private query<R extends QueryResultRow = QueryResultRow>(
    text: string,
    values: unknown[],
    { deadline }: UnitOfWorkOptions,
  ) {
    return boundedQuery<R>(this.pool, text, values, timeoutWithin(this.options.timeoutMs, deadline));
  }
}
