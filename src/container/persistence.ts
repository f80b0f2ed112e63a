import { asFunction, type AwilixContainer } from 'awilix';
import type { Logger } from 'pino';
import type { Pool } from 'pg';
import { PgIdempotencyStore } from '../adapters/postgres/PgIdempotencyStore';
import { PgExpiredReservations } from '../adapters/postgres/PgExpiredReservations';
import { PgStockLevelReader } from '../adapters/postgres/PgStockLevelReader';
import { PgUnitOfWork } from '../adapters/postgres/PgUnitOfWork';
import {
  createPgPool,
  createPrismaClient,
  type PrismaClient,
} from '../adapters/postgres/PrismaClientFactory';
import { PrismaInventoryRepository } from '../adapters/postgres/PrismaInventoryRepository';
import { PrismaMovementLedgerReader } from '../adapters/postgres/PrismaMovementLedgerReader';
import { PrismaPurchaseOrderRequestRepository } from '../adapters/postgres/PrismaPurchaseOrderRequestRepository';
import { PrismaReservationRepository } from '../adapters/postgres/PrismaReservationRepository';
import { PeriodicTask } from '../adapters/system/PeriodicTask';
import { InventoryService } from '../application/InventoryService';
import { ReleaseExpiredReservations } from '../application/ReleaseExpiredReservations';
import type {
  InventoryReader,
  MovementReader,
  PurchaseOrderReader,
  ReservationReader,
} from '../application/dependencies';
import type { IdempotencyStorePort, StockLevelReaderPort } from '../application/ports';
import type { Config } from '../config';
import type { UnitOfWorkPort } from '../domain/ports/UnitOfWorkPort';
import { createBaseContainer, type BaseCradle, type Registrations } from './base';
import { backgroundComponent, type Component } from './lifecycle';

export interface PersistenceCradle {
  /** Singleton: the process's one connection pool, ended when the container is disposed. */
  pgPool: Pool;
  /** Singleton over pgPool, disconnected when the container is disposed. */
  prisma: PrismaClient;
  /** Singleton: the hot read path (GET /inventory/:sku) in plain SQL on pgPool. */
  stockLevelReader: StockLevelReaderPort;
  /** Singleton: Idempotency-Key storage on pgPool. */
  idempotencyStore: IdempotencyStorePort;
  /** Scoped (per request / activity) from here down. */
  unitOfWork: UnitOfWorkPort;
  /** Non-transactional reads (Prisma): the queries' side of the repositories. */
  inventoryRepository: InventoryReader;
  reservationRepository: ReservationReader;
  movementReader: MovementReader;
  purchaseOrderRepository: PurchaseOrderReader;
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
      ({ pgPool, config }: BaseCradle & PersistenceCradle) =>
        new PgStockLevelReader(pgPool, { timeoutMs: config.REQUEST_DEADLINE_MS }),
    ).singleton(),
    idempotencyStore: asFunction(
      ({ pgPool, config }: BaseCradle & PersistenceCradle) =>
        new PgIdempotencyStore(pgPool, {
          retentionSeconds: config.IDEMPOTENCY_KEY_RETENTION_SECONDS,
          timeoutMs: config.REQUEST_DEADLINE_MS,
        }),
    ).singleton(),
    // Commands run on plain node-postgres (the reserve path's latency budget, docs/concurrency.md).
    unitOfWork: asFunction(({ pgPool }: PersistenceCradle) => new PgUnitOfWork({ pool: pgPool })).scoped(),
    inventoryRepository: asFunction(
      ({ prisma, config }: BaseCradle & PersistenceCradle) =>
        new PrismaInventoryRepository(prisma, { timeoutMs: config.REQUEST_DEADLINE_MS }),
    ).scoped(),
    reservationRepository: asFunction(
      ({ prisma, config }: BaseCradle & PersistenceCradle) =>
        new PrismaReservationRepository(prisma, { timeoutMs: config.REQUEST_DEADLINE_MS }),
    ).scoped(),
    movementReader: asFunction(
      ({ prisma, config }: BaseCradle & PersistenceCradle) =>
        new PrismaMovementLedgerReader(prisma, { timeoutMs: config.REQUEST_DEADLINE_MS }),
    ).scoped(),
    purchaseOrderRepository: asFunction(
      ({ prisma, config }: BaseCradle & PersistenceCradle) =>
        new PrismaPurchaseOrderRequestRepository(prisma, { timeoutMs: config.REQUEST_DEADLINE_MS }),
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
          reservationMaxAgeSeconds: c.config.RESERVATION_MAX_AGE_SECONDS,
        }),
    ).scoped(),
  } satisfies Registrations<PersistenceCradle>);
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

/**
 * This process's expiry sweep (worker role; see EXPIRY_SWEEP_INTERVAL_MS): one pass per interval, each
 * in a scope of its own; stop() waits for the pass in flight. `onReleased` counts what a pass released
 * (metrics).
 */
export function expirySweepComponent(
  container: AwilixContainer<BaseCradle & PersistenceCradle>,
  onReleased: (count: number) => void = () => undefined,
): Component {
  const config = container.resolve('config');
  const logger = container.resolve('logger').child({ component: 'expiry-sweep' });
  if (config.EXPIRY_SWEEP_INTERVAL_MS === 0) {
    return { name: 'expiry sweep (off)', start: () => undefined, stop: async () => undefined };
  }
  const expiredReservations = new PgExpiredReservations(container.resolve('pgPool'));
  const task = new PeriodicTask(
    { name: 'expiry sweep', intervalMs: config.EXPIRY_SWEEP_INTERVAL_MS, logger },
    async () => {
      const scope = container.createScope();
      try {
        const released = await new ReleaseExpiredReservations({
          unitOfWork: scope.resolve('unitOfWork'),
          clock: scope.resolve('clock'),
          ids: scope.resolve('ids'),
          expiredReservations,
        }).execute({ graceMs: config.EXPIRY_SWEEP_GRACE_MS, limit: 100 });
        if (released > 0) {
          logger.info({ released }, 'expired reservations released by the sweep');
          onReleased(released);
        }
      } finally {
        await scope.dispose();
      }
    },
  );
  return backgroundComponent('expiry sweep', task);
}
