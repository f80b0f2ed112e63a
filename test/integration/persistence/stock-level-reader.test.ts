import type { Pool } from 'pg';
import { PgStockLevelReader } from '../../../src/adapters/prisma/PgStockLevelReader';
import {
  createPgPool,
  createPrismaClient,
  type PrismaClient,
} from '../../../src/adapters/prisma/PrismaClientFactory';
import type { InventoryService } from '../../../src/application/InventoryService';
import { loadConfig } from '../../../src/config';
import { createPersistenceContainer } from '../../../src/container/persistence';
import { Sku } from '../../../src/domain/Sku';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { uniqueOrderId, uniqueSku } from '../../support/naming';
import { postgresInventory } from './helpers';

jest.setTimeout(30_000);

/** The one-query read side answers exactly what the use case composes from the repositories. */
describe('PgStockLevelReader', () => {
  let db: TestDatabase;
  let pool: Pool;
  let prisma: PrismaClient;
  /** Wired without the reader: the repository path, the reference. */
  let service: InventoryService;
  let reader: PgStockLevelReader;

  beforeAll(async () => {
    db = await createTestDatabase('inv_reader');
    pool = createPgPool({ connectionString: db.url, poolSize: 4 });
    prisma = createPrismaClient({ pool });
    service = postgresInventory(prisma);
    reader = new PgStockLevelReader(pool);
  });

  afterAll(async () => {
    await prisma?.$disconnect();
    await pool?.end();
    await db?.drop();
  });

  /** A SKU whose available stock fell below its safety stock: one open purchase-order request. */
  async function belowSafetyStock(): Promise<string> {
    const sku = uniqueSku('RD');
    await service.setLevels({ sku, onHand: 10, safetyStock: 5, reorderQuantity: 20 });
    const outcome = await service.reserve({ orderId: uniqueOrderId(), lines: [{ sku, quantity: 7 }] });
    expect(outcome.kind).toBe('reserved');
    return sku;
  }

  it('reads a plain SKU as the repositories do, case-insensitively', async () => {
    const sku = uniqueSku('RD');
    await service.setLevels({ sku, onHand: 7, safetyStock: 2, reorderQuantity: 3 });
    const expected = await service.getStockLevel(sku);
    expect(expected).toMatchObject({ onHand: 7, openPurchaseOrder: null });
    expect(await reader.findStockLevel(Sku.of(sku.toLowerCase()))).toEqual(expected);
  });

  it('includes the open purchase-order request', async () => {
    const sku = await belowSafetyStock();
    const expected = await service.getStockLevel(sku);
    expect(expected?.openPurchaseOrder).toMatchObject({ available: 3, safetyStock: 5 });
    expect(await reader.findStockLevel(Sku.of(sku))).toEqual(expected);
  });

  it('leaves out a closed request', async () => {
    const sku = await belowSafetyStock();
    await service.replenish({ sku, quantity: 50 });
    const expected = await service.getStockLevel(sku);
    expect(expected).toMatchObject({ onHand: 60, reserved: 7, openPurchaseOrder: null });
    expect(await reader.findStockLevel(Sku.of(sku))).toEqual(expected);
  });

  it('answers null for an unknown SKU', async () => {
    expect(await reader.findStockLevel(Sku.of(uniqueSku('NONE')))).toBeNull();
  });

  it('is what the container wires, on the pool Prisma uses, ended on dispose', async () => {
    const container = createPersistenceContainer(
      loadConfig({ DATABASE_URL: db.url, DATABASE_POOL_SIZE: '2', LOG_LEVEL: 'silent', NODE_ENV: 'test' }),
    );
    const { pgPool, stockLevelReader, inventoryService } = container.createScope().cradle;
    expect(stockLevelReader).toBeInstanceOf(PgStockLevelReader);
    const sku = await belowSafetyStock();
    expect(await inventoryService.getStockLevel(sku)).toEqual(await service.getStockLevel(sku));
    expect(pgPool.totalCount).toBeGreaterThan(0);
    await container.dispose();
    expect(pgPool.ended).toBe(true);
  });
});
