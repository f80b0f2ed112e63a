import type { Pool, PoolClient } from 'pg';
import { ConcurrencyError } from '../../domain/errors';
import type {
  TransactionalRepositories,
  UnitOfWorkOptions,
  UnitOfWorkPort,
} from '../../domain/ports/UnitOfWorkPort';
import {
  PgInventoryRepository,
  PgMovementLedgerReader,
  PgOrderDecisions,
  PgOutbox,
  PgPurchaseOrderRequestRepository,
  PgReservationRepository,
  PgWorkflowRequests,
} from './PgRepositories';
import { PgSession } from './PgSession';
import { raceTimeout, timeoutWithin } from './timeout';

type PipelinedClient = PoolClient & { pipeline: boolean };

/** SQLSTATEs and socket errors of a database that is gone or refusing work, not of a bad statement. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);
const CONNECTION_MESSAGES =
  /Connection terminated|connection timeout|No database connection free|Transaction closed after|Client has encountered a connection error|Connection refused/i;

/** SQLSTATE deadlock_detected: Postgres rolled this transaction back to break a lock cycle. */
const DEADLOCK_DETECTED = '40P01';

/** Duck-typed: socket errors come from Node's own realm, where `instanceof Error` of another fails. */
export function isConnectionFailure(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return (
    (typeof code === 'string' && CONNECTION_CODES.has(code)) ||
    (typeof message === 'string' && CONNECTION_MESSAGES.test(message))
  );
}

/**
 * Postgres could not be reached, or dropped the connection before the transaction's COMMIT was sent:
 * nothing was written. `transient`: the HTTP layer answers 503 with Retry-After.
 */
export class DatabaseUnavailableError extends Error {
  readonly transient = true;

  constructor(cause: unknown) {
    super(`Postgres unavailable: ${String((cause as { message?: unknown })?.message ?? cause)}`, { cause });
    this.name = 'DatabaseUnavailableError';
  }
}

/**
 * The connection was lost after COMMIT was sent: the transaction may or may not be durable. Callers
 * that must know read the state back (application/landed.ts); everyone else sees a failure.
 */
export class CommitOutcomeUnknownError extends Error {
  readonly outcomeUnknown = true;

  constructor(cause: unknown) {
    super(
      `Postgres connection lost during COMMIT: ${String((cause as { message?: unknown })?.message ?? cause)}`,
      {
        cause,
      },
    );
    this.name = 'CommitOutcomeUnknownError';
  }
}

export interface PgUnitOfWorkOptions {
  /** Longest wait for a pooled connection (ms). */
  maxWaitMs?: number;
  /** Longest a transaction may stay open (ms): past it the transaction is rolled back. */
  timeoutMs?: number;
  /** Attempts when an optimistic check fails (a row created or changed concurrently). */
  maxAttempts?: number;
}

export function pgRepositories(session: PgSession): TransactionalRepositories {
  return {
    inventory: new PgInventoryRepository(session),
    reservations: new PgReservationRepository(session),
    movements: new PgMovementLedgerReader(session),
    outbox: new PgOutbox(session),
    purchaseOrders: new PgPurchaseOrderRequestRepository(session),
    workflowRequests: new PgWorkflowRequests(session),
    orderDecisions: new PgOrderDecisions(session),
  };
}

/**
 * The unit of work of the commands, in plain node-postgres on the pool Prisma uses (the reserve path
 * is latency-critical, and the ORM's per-statement cost was most of the transaction's CPU; see
 * docs/concurrency.md). One READ COMMITTED transaction per run; ConcurrencyError is retried, and so is
 * a deadlock that Postgres broke by aborting this transaction (a reserve locks its SKUs before it knows
 * its order's earlier lines; serialization failures are not expected by design, so they surface). A
 * reserve costs two round trips: BEGIN + order lock + reservation read + stock row locks (one), every
 * write + COMMIT (one).
 */
export class PgUnitOfWork implements UnitOfWorkPort {
  private readonly maxWait: number;
  private readonly timeout: number;
  private readonly maxAttempts: number;

  constructor(private readonly deps: { pool: Pool; options?: PgUnitOfWorkOptions }) {
    this.maxWait = deps.options?.maxWaitMs ?? 10_000;
    this.timeout = deps.options?.timeoutMs ?? 15_000;
    this.maxAttempts = deps.options?.maxAttempts ?? 3;
  }

  async run<T>(work: (tx: TransactionalRepositories) => Promise<T>, options?: UnitOfWorkOptions): Promise<T> {
    for (let n = 1; ; n += 1) {
      try {
        return await this.once(work, options?.deadline);
      } catch (err) {
        if (!(err instanceof ConcurrencyError) || n >= this.maxAttempts) throw err;
      }
    }
  }

  private async once<T>(
    work: (tx: TransactionalRepositories) => Promise<T>,
    deadline: Date | undefined,
  ): Promise<T> {
    const client = (await this.connect(timeoutWithin(this.maxWait, deadline))) as PipelinedClient;
    const session = new PgSession(client);
    let expired: Error | undefined;
    const timeout = timeoutWithin(this.timeout, deadline);
    const timer = setTimeout(() => {
      expired = new Error(
        `Transaction closed after ${timeout} ms${timeout < this.timeout ? ' (its deadline)' : ''}`,
      );
      // Closing the connection is the one way to end a transaction whose statement is still running.
      client.pipeline = false;
      client.end().catch(() => undefined);
    }, timeout);
    let broken: Error | undefined;
    // A checked-out client has no pool listener: a connection lost mid-transaction (Postgres restart)
    // would be an uncaught 'error' event and take the process down. Its queries fail with it anyway.
    const onError = (error: Error) => (broken ??= error);
    client.on('error', onError);
    client.pipeline = true;
    try {
      const result = await work(pgRepositories(session));
      await session.commit();
      return result;
    } catch (err) {
      await session.rollback().catch((rollbackError: unknown) => {
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      if (expired === undefined && (err as { code?: unknown })?.code === DEADLOCK_DETECTED) {
        throw new ConcurrencyError('Deadlock detected; the transaction was rolled back', {
          cause: String(err),
        });
      }
      const failure = expired ?? err;
      // Nothing committed: the caller may say so (HTTP 503) and retry.
      if (isConnectionFailure(failure)) {
        throw session.committing
          ? new CommitOutcomeUnknownError(failure)
          : new DatabaseUnavailableError(failure);
      }
      throw failure;
    } finally {
      clearTimeout(timer);
      client.off('error', onError);
      client.pipeline = false;
      // A connection whose transaction could not be ended is dropped, not reused.
      client.release(expired ?? broken);
    }
  }

  private async connect(maxWait: number): Promise<PoolClient> {
    try {
      return await this.connectWithin(maxWait);
    } catch (err) {
      throw isConnectionFailure(err) ? new DatabaseUnavailableError(err) : err;
    }
  }

  private connectWithin(maxWait: number): Promise<PoolClient> {
    return raceTimeout(
      this.deps.pool.connect(),
      maxWait,
      () => new Error(`No database connection free within ${maxWait} ms`),
      (late) => late.release(),
    );
  }
}
