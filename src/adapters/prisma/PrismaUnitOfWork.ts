import type { TransactionalRepositories, UnitOfWorkPort } from '../../domain/ports/UnitOfWorkPort';
import type { Db } from './db';
import type { PrismaClient } from './generated/client';
import { PrismaInventoryRepository } from './PrismaInventoryRepository';
import { PrismaMovementLedgerReader } from './PrismaMovementLedgerReader';
import { PrismaOutbox } from './PrismaOutbox';
import { PrismaPurchaseOrderRequestRepository } from './PrismaPurchaseOrderRequestRepository';
import { PrismaReservationRepository } from './PrismaReservationRepository';
import { retryOnConcurrencyError, unitOfWorkSettings, type UnitOfWorkOptions } from './unitOfWorkRetry';

export type PrismaUnitOfWorkOptions = UnitOfWorkOptions;

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
  private readonly settings: ReturnType<typeof unitOfWorkSettings>;

  constructor(private readonly deps: { prisma: PrismaClient; options?: PrismaUnitOfWorkOptions }) {
    this.settings = unitOfWorkSettings(deps.options);
  }

  run<T>(work: (tx: TransactionalRepositories) => Promise<T>): Promise<T> {
    const { maxWait, timeout, maxAttempts } = this.settings;
    return retryOnConcurrencyError(maxAttempts, () =>
      this.deps.prisma.$transaction((tx) => work(repositoriesFor(tx)), { maxWait, timeout }),
    );
  }
}
