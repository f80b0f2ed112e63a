import { randomUUID } from 'node:crypto';
import type { Pool, QueryResultRow } from 'pg';
import type {
  IdempotencyBegin,
  IdempotencyClaim,
  IdempotencyScope,
  IdempotencyStorePort,
  StoredResponse,
} from '../../application/ports';
import { PAST_DEADLINE_MS } from '../../application/landed';
import { REQUEST_DEADLINE_MS_MAX } from '../../config';
import type { UnitOfWorkOptions } from '../../domain/ports/UnitOfWorkPort';
import { boundedQuery, type StatementTimeoutOptions } from './statementTimeout';
import { timeoutWithin } from './timeout';

/**
 * `timeoutMs` bounds each statement (REQUEST_DEADLINE_MS), and a call's `deadline` (the request's)
 * shortens it: a claim that Postgres does not answer fails the request as unavailable (503) instead
 * of holding it. Should that claim land later, a retry with the key answers 409 in-flight until
 * `leaseSeconds` pass, then runs. Each claim has a token of its own: a late complete or abandon of a
 * claim that was taken over finds no row of its own and changes nothing.
 */
export interface PgIdempotencyStoreOptions extends StatementTimeoutOptions {
  /** How long a completed key replays its response. */
  retentionSeconds: number;
  /**
   * How long a started key stays claimed without completing before another request may take it over
   * (its process died mid-request, or its claim landed after its request gave up). Longer than any
   * request can run. By default `claimLeaseSeconds(timeoutMs)`, timeoutMs being the request deadline
   * (REQUEST_DEADLINE_MS); without a timeoutMs (tests, tools), that of the longest deadline allowed.
   */
  leaseSeconds?: number;
}

/** Beyond the longest request: a process that stalls a little (GC, a busy host) keeps its claim. */
const LEASE_MARGIN_MS = 10_000;

/**
 * The lease of a claim when every request ends by `requestDeadlineMs` (REQUEST_DEADLINE_MS) from its
 * arrival, plus PAST_DEADLINE_MS: a claim that landed after its request gave up frees its key this soon.
 */
export function claimLeaseSeconds(requestDeadlineMs: number): number {
  return Math.ceil((requestDeadlineMs + PAST_DEADLINE_MS + LEASE_MARGIN_MS) / 1000);
}

/*
 * Claiming is one statement: a new key inserts; an existing one is taken over only when its holder's
 * lease ran out before it completed, or when it expired and was not purged yet. Two requests racing on
 * one key serialise on the primary key: the second finds the first's row.
 */
const BEGIN_SQL = `
  INSERT INTO idempotency_keys
    (principal, method, path, key, fingerprint, created_at, locked_until, expires_at, claim_token)
  VALUES ($1, $2, $3, $4, $5, now(), now() + make_interval(secs => $6), now() + make_interval(secs => $7), $8::uuid)
  ON CONFLICT (principal, method, path, key) DO UPDATE
    SET fingerprint = EXCLUDED.fingerprint, created_at = EXCLUDED.created_at,
        locked_until = EXCLUDED.locked_until, expires_at = EXCLUDED.expires_at,
        claim_token = EXCLUDED.claim_token,
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
  SET status_code = $6, response_headers = $7::jsonb, response_body = $8, completed_at = now(), locked_until = NULL
  WHERE principal = $1 AND method = $2 AND path = $3 AND key = $4 AND claim_token = $5::uuid
    AND completed_at IS NULL`;

const ABANDON_SQL = `
  DELETE FROM idempotency_keys
  WHERE principal = $1 AND method = $2 AND path = $3 AND key = $4 AND claim_token = $5::uuid
    AND completed_at IS NULL`;

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
const claimOf = (c: IdempotencyClaim) => [...keyOf(c), c.token];

export class PgIdempotencyStore implements IdempotencyStorePort {
  private readonly leaseSeconds: number;

  constructor(
    private readonly pool: Pick<Pool, 'query'>,
    private readonly options: PgIdempotencyStoreOptions,
  ) {
    this.leaseSeconds =
      options.leaseSeconds ?? claimLeaseSeconds(options.timeoutMs || REQUEST_DEADLINE_MS_MAX);
  }

  async begin(
    scope: IdempotencyScope,
    fingerprint: string,
    options: UnitOfWorkOptions = {},
    attempt = 1,
  ): Promise<IdempotencyBegin> {
    const token = randomUUID();
    const claimed = await this.query(
      BEGIN_SQL,
      [...keyOf(scope), fingerprint, this.leaseSeconds, this.options.retentionSeconds, token],
      options,
    );
    if (claimed.rowCount === 1) return { kind: 'started', claim: { ...scope, token } };
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
    claim: IdempotencyClaim,
    response: StoredResponse,
    options: UnitOfWorkOptions = {},
  ): Promise<void> {
    await this.query(
      COMPLETE_SQL,
      [...claimOf(claim), response.status, JSON.stringify(response.headers), response.body],
      options,
    );
  }

  async abandon(claim: IdempotencyClaim, options: UnitOfWorkOptions = {}): Promise<void> {
    await this.query(ABANDON_SQL, claimOf(claim), options);
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
