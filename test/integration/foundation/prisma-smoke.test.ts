import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../../../src/adapters/postgres/generated/client';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { uniqueSku } from '../../support/naming';

describe('harness: Prisma 7 client over @prisma/adapter-pg', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;

  beforeAll(async () => {
    db = await createTestDatabase('inv_smoke');
    prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: db.url }) });
  });

  afterAll(async () => {
    await prisma?.$disconnect();
    await db?.drop();
  });

  it('writes a row and reads it back from the migrated database', async () => {
    const sku = uniqueSku('SMOKE');
    await prisma.stockLevel.create({ data: { sku, onHand: 7 } });
    const row = await prisma.stockLevel.findUnique({ where: { sku } });
    expect(row).toMatchObject({ sku, onHand: 7, reserved: 0 });
    const [{ db: name }] = await prisma.$queryRaw<{ db: string }[]>`SELECT current_database() AS db`;
    expect(name).toBe(db.name);
  });
});
