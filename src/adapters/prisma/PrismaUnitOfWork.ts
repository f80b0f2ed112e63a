import { ConcurrencyError } from '../../domain/errors';
import type { TransactionalRepositories, UnitOfWorkPort } from '../../domain/ports/UnitOfWorkPort';
import type { Db } from './db';
import type { PrismaClient } from './generated/client';
import { PrismaInventoryRepository } from './PrismaInventoryRepository';
import { PrismaMovementLedgerReader } from './PrismaMovementLedgerReader';
import { PrismaOutbox } from './PrismaOutbox';
import { PrismaPurchaseOrderRequestRepository } from './PrismaPurchaseOrderRequestRepository';
import { PrismaReservationRepository } from './PrismaReservationRepository';

export interface PrismaUnitOfWorkOptions {
  /** Longest wait for a pooled connection (ms). */
  maxWaitMs?: number;
  /** Longest a transaction may stay open (ms). */
  timeoutMs?: number;
  /** Attempts when an optimistic check fails (a row created or changed concurrently). */
  maxAttempts?: number;
}

export function repositoriesFor(db: Db): TransactionalRepositories {
  return {
    inventory: new PrismaInventoryRepository(db),
    reservations: new PrismaReservationRepository(db),
    movements: new PrismaMovementLedgerReader(db),
    outbox: new PrismaOutbox(db),
    purchaseOrders: new PrismaPurchaseOrderRequestRepository(db),
  };
}

/**
 * One interactive transaction (READ COMMITTED, the server default) per run. Only ConcurrencyError is
 * retried: deadlocks and serialization failures are not expected by design (docs/concurrency.md), so
 * they surface instead of being hidden.
 */
export class PrismaUnitOfWork implements UnitOfWorkPort {
  private readonly maxWait: number;
  private readonly timeout: number;
  private readonly maxAttempts: number;

  constructor(private readonly deps: { prisma: PrismaClient; options?: PrismaUnitOfWorkOptions }) {
    this.maxWait = deps.options?.maxWaitMs ?? 10_000;
    this.timeout = deps.options?.timeoutMs ?? 15_000;
    this.maxAttempts = deps.options?.maxAttempts ?? 3;
  }

  async run<T>(work: (tx: TransactionalRepositories) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.deps.prisma.$transaction((tx) => work(repositoriesFor(tx)), {
          maxWait: this.maxWait,
          timeout: this.timeout,
        });
      } catch (err) {
        if (!(err instanceof ConcurrencyError) || attempt >= this.maxAttempts) throw err;
      }
    }
  }
}
