import { loadConfig } from '../../../src/config';
import { createPersistenceContainer } from '../../../src/container/persistence';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { uniqueSku } from '../../support/naming';

describe('registerPersistence (Awilix)', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('inv_container');
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('shares one Prisma client, scopes units of work and services, and disconnects on dispose', async () => {
    const container = createPersistenceContainer(
      loadConfig({ DATABASE_URL: db.url, DATABASE_POOL_SIZE: '3', LOG_LEVEL: 'silent', NODE_ENV: 'test' }),
    );
    const s1 = container.createScope();
    const s2 = container.createScope();
    expect(s1.cradle.prisma).toBe(s2.cradle.prisma);
    expect(s1.cradle.unitOfWork).not.toBe(s2.cradle.unitOfWork);
    expect(s1.cradle.inventoryService).toBe(s1.cradle.inventoryService);
    expect(s1.cradle.inventoryService).not.toBe(s2.cradle.inventoryService);

    const sku = uniqueSku('CT');
    expect(await s1.cradle.inventoryService.setLevels({ sku, onHand: 2 })).toMatchObject({ kind: 'created' });
    expect(await s2.cradle.inventoryService.getStockLevel(sku)).toMatchObject({ onHand: 2 });

    const prisma = container.cradle.prisma;
    const disconnect = jest.spyOn(prisma, '$disconnect');
    await container.dispose();
    expect(disconnect).toHaveBeenCalledTimes(1);
  });

  it('uses the configured default reservation TTL', async () => {
    const container = createPersistenceContainer(
      loadConfig({
        DATABASE_URL: db.url,
        RESERVATION_DEFAULT_TTL_SECONDS: '45',
        LOG_LEVEL: 'silent',
        NODE_ENV: 'test',
      }),
    );
    try {
      const { inventoryService } = container.createScope().cradle;
      const sku = uniqueSku('CT');
      await inventoryService.setLevels({ sku, onHand: 2 });
      const outcome = await inventoryService.reserve({
        orderId: `ttl-${sku}`,
        lines: [{ sku, quantity: 1 }],
      });
      if (outcome.kind !== 'reserved') throw new Error(outcome.kind);
      expect(Date.parse(outcome.reservation.expiresAt) - Date.parse(outcome.reservation.createdAt)).toBe(
        45_000,
      );
    } finally {
      await container.dispose();
    }
  });
});
