import { Client } from 'pg';
import { PrismaInventoryRepository } from '../../../src/adapters/prisma/PrismaInventoryRepository';
import { createPrismaClient } from '../../../src/adapters/prisma/PrismaClientFactory';
import { PrismaUnitOfWork } from '../../../src/adapters/prisma/PrismaUnitOfWork';
import { PrismaMovementLedgerReader } from '../../../src/adapters/prisma/PrismaMovementLedgerReader';
import { PrismaReservationRepository } from '../../../src/adapters/prisma/PrismaReservationRepository';
import { PrismaPurchaseOrderRequestRepository } from '../../../src/adapters/prisma/PrismaPurchaseOrderRequestRepository';
import { InventoryService } from '../../../src/application/InventoryService';
import type { PrismaClient } from '../../../src/adapters/prisma/generated/client';
import type { IdGenerator } from '../../../src/domain/ports/IdGenerator';
import { CryptoIdGenerator } from '../../../src/adapters/system/CryptoIdGenerator';
import { SystemClock } from '../../../src/adapters/system/SystemClock';
import type { Clock } from '../../../src/domain/ports/Clock';

/** The real service over Postgres, wired by hand (the container has its own test). */
export function postgresInventory(
  prisma: PrismaClient,
  deps: { ids?: IdGenerator; clock?: Clock } = {},
): InventoryService {
  return new InventoryService({
    unitOfWork: new PrismaUnitOfWork({ prisma }),
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
  const prisma = createPrismaClient({ connectionString: url, poolSize: 2 });
  try {
    const service = postgresInventory(prisma);
    for (const [sku, onHand] of Object.entries(levels)) {
      const outcome = await service.setLevels({ sku, onHand });
      if (outcome.kind !== 'created') throw new Error(`could not create ${sku}: ${outcome.kind}`);
    }
  } finally {
    await prisma.$disconnect();
  }
}

/** A raw connection for statements the application never runs (tampering, ledger edits). */
export async function withPg<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
