import { asFunction, type AwilixContainer } from 'awilix';
import type { Logger } from 'pino';
import type { Pool } from 'pg';
import { PgStockLevelReader } from '../adapters/prisma/PgStockLevelReader';
import { PgUnitOfWork } from '../adapters/prisma/PgUnitOfWork';
import { createPgPool, createPrismaClient, type PrismaClient } from '../adapters/prisma/PrismaClientFactory';
import { PrismaInventoryRepository } from '../adapters/prisma/PrismaInventoryRepository';
import { PrismaMovementLedgerReader } from '../adapters/prisma/PrismaMovementLedgerReader';
import { PrismaPurchaseOrderRequestRepository } from '../adapters/prisma/PrismaPurchaseOrderRequestRepository';
import { PrismaReservationRepository } from '../adapters/prisma/PrismaReservationRepository';
import { InventoryService } from '../application/InventoryService';
import type { StockLevelReaderPort } from '../application/ports';
import type { Config } from '../config';
import type { InventoryRepositoryPort } from '../domain/ports/InventoryRepositoryPort';
import type { MovementLedgerReaderPort } from '../domain/ports/MovementLedgerReaderPort';
import type { PurchaseOrderRequestRepositoryPort } from '../domain/ports/PurchaseOrderRequestRepositoryPort';
import type { ReservationRepositoryPort } from '../domain/ports/ReservationRepositoryPort';
import type { UnitOfWorkPort } from '../domain/ports/UnitOfWorkPort';
import { createBaseContainer, type BaseCradle } from './base';

export interface PersistenceCradle {
  /** Singleton: the process's one connection pool, ended when the container is disposed. */
  pgPool: Pool;
  /** Singleton over pgPool, disconnected when the container is disposed. */
  prisma: PrismaClient;
  /** Singleton: the hot read path (GET /inventory/:sku) in plain SQL on pgPool. */
  stockLevelReader: StockLevelReaderPort;
  /** Scoped (per request / activity) from here down. */
  unitOfWork: UnitOfWorkPort;
  /** Non-transactional reads. */
  inventoryRepository: InventoryRepositoryPort;
  reservationRepository: ReservationRepositoryPort;
  movementReader: MovementLedgerReaderPort;
  purchaseOrderRepository: PurchaseOrderRequestRepositoryPort;
  inventoryService: InventoryService;
}

export function registerPersistence(container: AwilixContainer<BaseCradle & PersistenceCradle>): void {
  container.register({
    pgPool: asFunction(({ config, logger }: BaseCradle) =>
      createPgPool({
        connectionString: config.DATABASE_URL,
        poolSize: config.DATABASE_POOL_SIZE,
        onIdleClientError: (err) => logger.warn({ err }, 'idle Postgres connection failed'),
      }),
    )
      .singleton()
      .disposer((pool) => pool.end()),
    prisma: asFunction(({ pgPool }: PersistenceCradle) => createPrismaClient({ pool: pgPool }))
      .singleton()
      .disposer((prisma) => prisma.$disconnect()),
    stockLevelReader: asFunction(
      ({ pgPool }: PersistenceCradle) => new PgStockLevelReader(pgPool),
    ).singleton(),
    // Commands run on plain node-postgres (the reserve path's latency budget, docs/concurrency.md).
    unitOfWork: asFunction(({ pgPool }: PersistenceCradle) => new PgUnitOfWork({ pool: pgPool })).scoped(),
    inventoryRepository: asFunction(
      ({ prisma }: PersistenceCradle) => new PrismaInventoryRepository(prisma),
    ).scoped(),
    reservationRepository: asFunction(
      ({ prisma }: PersistenceCradle) => new PrismaReservationRepository(prisma),
    ).scoped(),
    movementReader: asFunction(
      ({ prisma }: PersistenceCradle) => new PrismaMovementLedgerReader(prisma),
    ).scoped(),
    purchaseOrderRepository: asFunction(
      ({ prisma }: PersistenceCradle) => new PrismaPurchaseOrderRequestRepository(prisma),
    ).scoped(),
    inventoryService: asFunction(
      (c: BaseCradle & PersistenceCradle) =>
        new InventoryService({
          unitOfWork: c.unitOfWork,
          inventoryRepository: c.inventoryRepository,
          reservationRepository: c.reservationRepository,
          movementReader: c.movementReader,
          purchaseOrderRepository: c.purchaseOrderRepository,
          stockLevelReader: c.stockLevelReader,
          clock: c.clock,
          ids: c.ids,
          defaultTtlSeconds: c.config.RESERVATION_DEFAULT_TTL_SECONDS,
        }),
    ).scoped(),
  });
}

/** Base + persistence, for scripts and tests. Resolve scoped services from `createScope()`. */
export function createPersistenceContainer(
  config: Config,
  logger?: Logger,
): AwilixContainer<BaseCradle & PersistenceCradle> {
  const container = createBaseContainer<BaseCradle & PersistenceCradle>(config, logger);
  registerPersistence(container);
  return container;
}
