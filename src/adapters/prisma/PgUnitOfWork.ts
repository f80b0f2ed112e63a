import type { Pool, PoolClient } from 'pg';
import type { TransactionalRepositories, UnitOfWorkPort } from '../../domain/ports/UnitOfWorkPort';
import {
  PgInventoryRepository,
  PgMovementLedgerReader,
  PgOutbox,
  PgPurchaseOrderRequestRepository,
  PgReservationRepository,
} from './PgRepositories';
import { PgSession } from './PgSession';
import { retryOnConcurrencyError, unitOfWorkSettings, type UnitOfWorkOptions } from './unitOfWorkRetry';

type PipelinedClient = PoolClient & { pipeline: boolean };

export type PgUnitOfWorkOptions = UnitOfWorkOptions;

export function pgRepositories(session: PgSession): TransactionalRepositories {
  return {
    inventory: new PgInventoryRepository(session),
    reservations: new PgReservationRepository(session),
    movements: new PgMovementLedgerReader(session),
    outbox: new PgOutbox(session),
    purchaseOrders: new PgPurchaseOrderRequestRepository(session),
  };
}

/**
 * The unit of work of the commands, in plain node-postgres on the pool Prisma uses (the reserve path
 * is latency-critical, and the ORM's per-statement cost was most of the transaction's CPU; see
 * docs/concurrency.md). Same contract as PrismaUnitOfWork: one READ COMMITTED transaction per run,
 * only ConcurrencyError retried. A reserve costs four round trips: BEGIN + order lock + reservation
 * read (one), stock row locks (one), every write (one), COMMIT (one).
 */
export class PgUnitOfWork implements UnitOfWorkPort {
  private readonly maxWait: number;
  private readonly timeout: number;
  private readonly maxAttempts: number;

  constructor(private readonly deps: { pool: Pool; options?: PgUnitOfWorkOptions }) {
    ({
      maxWait: this.maxWait,
      timeout: this.timeout,
      maxAttempts: this.maxAttempts,
    } = unitOfWorkSettings(deps.options));
  }

  run<T>(work: (tx: TransactionalRepositories) => Promise<T>): Promise<T> {
    return retryOnConcurrencyError(this.maxAttempts, () => this.once(work));
  }

  private async once<T>(work: (tx: TransactionalRepositories) => Promise<T>): Promise<T> {
    const client = (await this.connect()) as PipelinedClient;
    const session = new PgSession(client);
    let expired: Error | undefined;
    const timer = setTimeout(() => {
      expired = new Error(`Transaction closed after ${this.timeout} ms`);
      // Closing the connection is the one way to end a transaction whose statement is still running.
      client.pipeline = false;
      client.end().catch(() => undefined);
    }, this.timeout);
    let broken: Error | undefined;
    client.pipeline = true;
    try {
      const result = await work(pgRepositories(session));
      await session.commit();
      return result;
    } catch (err) {
      await session.rollback().catch((rollbackError: unknown) => {
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      throw expired ?? err;
    } finally {
      clearTimeout(timer);
      client.pipeline = false;
      // A connection whose transaction could not be ended is dropped, not reused.
      client.release(expired ?? broken);
    }
  }

  private async connect(): Promise<PoolClient> {
    const connecting = this.deps.pool.connect();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`No database connection free within ${this.maxWait} ms`)),
        this.maxWait,
      );
    });
    try {
      return await Promise.race([connecting, timedOut]);
    } catch (err) {
      connecting.then(
        (late) => late.release(),
        () => undefined,
      );
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
}
