import type { Pool } from 'pg';
import { PgStockLevelReader } from '../../../src/adapters/postgres/PgStockLevelReader';
import {
  createPgPool,
  createPrismaClient,
  type PrismaClient,
} from '../../../src/adapters/postgres/PrismaClientFactory';
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
    service = postgresInventory({ pool, prisma });
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

  it('reads a batch in one query, each level exactly as the single read answers it', async () => {
    const plain = uniqueSku('RB');
    await service.setLevels({ sku: plain, onHand: 4 });
    const below = await belowSafetyStock();
    const queries: unknown[] = [];
    const counting = new PgStockLevelReader({
      query: ((text: unknown, values: unknown) => {
        queries.push(text);
        return pool.query(text as string, values as unknown[]);
      }) as Pool['query'],
    });
    const levels = await counting.findStockLevels([
      Sku.of(below),
      Sku.of(uniqueSku('NONE')),
      Sku.of(plain.toLowerCase()),
    ]);
    expect(queries).toHaveLength(1);
    const bySku = new Map(levels.map((l) => [l.sku, l]));
    expect([...bySku.keys()].sort()).toEqual([below, plain].sort());
    expect(bySku.get(below)).toEqual(await reader.findStockLevel(Sku.of(below)));
    expect(bySku.get(plain)).toEqual(await service.getStockLevel(plain));
  });

  it('lists exactly the SKUs under their safety stock, by SKU, in pages', async () => {
    const below = [await belowSafetyStock(), await belowSafetyStock()];
    const atSafety = uniqueSku('RD');
    await service.setLevels({ sku: atSafety, onHand: 5, safetyStock: 5 });
    const seen: string[] = [];
    let afterSku: string | undefined;
    for (;;) {
      const page = await reader.listBelowSafetyStock({ limit: 2, afterSku });
      for (const level of page) expect(level.available).toBeLessThan(level.safetyStock);
      seen.push(...page.map((l) => l.sku));
      if (page.length < 2) break;
      afterSku = page[page.length - 1]!.sku;
    }
    expect(seen).toEqual([...seen].sort());
    expect(seen).toEqual(expect.arrayContaining(below));
    expect(seen).not.toContain(atSafety);
  });
});
