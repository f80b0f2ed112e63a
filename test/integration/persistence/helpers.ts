import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { PgUnitOfWork } from '../../../src/adapters/postgres/PgUnitOfWork';
import { PrismaInventoryRepository } from '../../../src/adapters/postgres/PrismaInventoryRepository';
import { createPgPool, createPrismaClient } from '../../../src/adapters/postgres/PrismaClientFactory';
import { PrismaMovementLedgerReader } from '../../../src/adapters/postgres/PrismaMovementLedgerReader';
import { PrismaReservationRepository } from '../../../src/adapters/postgres/PrismaReservationRepository';
import { PrismaPurchaseOrderRequestRepository } from '../../../src/adapters/postgres/PrismaPurchaseOrderRequestRepository';
import { InventoryService } from '../../../src/application/InventoryService';
import type { PrismaClient } from '../../../src/adapters/postgres/generated/client';
import type { IdGenerator } from '../../../src/domain/ports/IdGenerator';
import { CryptoIdGenerator } from '../../../src/adapters/system/CryptoIdGenerator';
import { SystemClock } from '../../../src/adapters/system/SystemClock';
import type { Clock } from '../../../src/domain/ports/Clock';
import type { UnitOfWorkPort } from '../../../src/domain/ports/UnitOfWorkPort';

/** One pool, and Prisma over it, as the container builds them. */
export interface TestPostgres {
  pool: Pool;
  prisma: PrismaClient;
  close(): Promise<void>;
}

export function connectPostgres(url: string, poolSize: number): TestPostgres {
  const pool = createPgPool({ connectionString: url, poolSize });
  const prisma = createPrismaClient({ pool });
  return {
    pool,
    prisma,
    close: async () => {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

/**
 * The real service over Postgres as the container wires it: commands on the production PgUnitOfWork,
 * non-transactional reads on Prisma (the container has its own test).
 */
export function postgresInventory(
  { pool, prisma }: Pick<TestPostgres, 'pool' | 'prisma'>,
  deps: { ids?: IdGenerator; clock?: Clock; unitOfWork?: UnitOfWorkPort } = {},
): InventoryService {
  return new InventoryService({
    unitOfWork: deps.unitOfWork ?? new PgUnitOfWork({ pool }),
    inventoryRepository: new PrismaInventoryRepository(prisma),
    reservationRepository: new PrismaReservationRepository(prisma),
    movementReader: new PrismaMovementLedgerReader(prisma),
    purchaseOrderRepository: new PrismaPurchaseOrderRequestRepository(prisma),
    clock: deps.clock ?? new SystemClock(),
    ids: deps.ids ?? new CryptoIdGenerator(),
  });
}

/** Creates SKUs through the service, so their ledgers start with the creating ADJUST. */
export async function seedStock(url: string, levels: Record<string, number>): Promise<void> {
  const pg = connectPostgres(url, 2);
  try {
    const service = postgresInventory(pg);
    for (const [sku, onHand] of Object.entries(levels)) {
      const outcome = await service.setLevels({ sku, onHand });
      if (outcome.kind !== 'created') throw new Error(`could not create ${sku}: ${outcome.kind}`);
    }
  } finally {
    await pg.close();
  }
}

const ROOT = join(__dirname, '..', '..', '..');

/** `npm run ledger:check` (scripts/ledger-check.ts) against the database at `url`, as an operator runs it. */
export function ledgerCheck(url: string): SpawnSyncReturns<string> {
  return spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/ledger-check.ts'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'silent' },
    encoding: 'utf8',
  });
}
