import type { Pool } from 'pg';
import {
  createPgPool,
  createPrismaClient,
  type PrismaClient,
} from '../../../src/adapters/postgres/PrismaClientFactory';
import { PrismaInventoryRepository } from '../../../src/adapters/postgres/PrismaInventoryRepository';
import { PrismaMovementLedgerReader } from '../../../src/adapters/postgres/PrismaMovementLedgerReader';
import { PrismaReservationRepository } from '../../../src/adapters/postgres/PrismaReservationRepository';
import { PgUnitOfWork } from '../../../src/adapters/postgres/PgUnitOfWork';
import { ConcurrencyError } from '../../../src/domain/errors';
import { OrderId } from '../../../src/domain/OrderId';
import { ProductInventory } from '../../../src/domain/ProductInventory';
import { Quantity } from '../../../src/domain/Quantity';
import { Reservation } from '../../../src/domain/Reservation';
import { Sku } from '../../../src/domain/Sku';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { uniqueOrderId, uniqueSku } from '../../support/naming';

const t0 = new Date('2030-01-01T10:00:00.123Z');
const t1 = new Date('2030-01-01T10:01:00.456Z');

describe('the repositories (round trips against Postgres)', () => {
  let db: TestDatabase;
  let pool: Pool;
  let prisma: PrismaClient;
  /** The commands' unit of work, as the container wires it. */
  let uow: PgUnitOfWork;
  /** One attempt: a ConcurrencyError reaches the test instead of a rerun. */
  let once: PgUnitOfWork;

  beforeAll(async () => {
    db = await createTestDatabase('inv_repo');
    pool = createPgPool({ connectionString: db.url, poolSize: 4 });
    prisma = createPrismaClient({ pool });
    uow = new PgUnitOfWork({ pool });
    once = new PgUnitOfWork({ pool, options: { maxAttempts: 1 } });
  });

  afterAll(async () => {
    await prisma?.$disconnect();
    await pool?.end();
    await db?.drop();
  });

  describe('PrismaInventoryRepository', () => {
    it('inserts a new aggregate with its movements and reads back every persisted field', async () => {
      const sku = Sku.of(uniqueSku('RT'));
      const created = ProductInventory.create(sku, { onHand: 9, safetyStock: 2, reorderQuantity: 30 }, t0);
      await uow.run((tx) => tx.inventory.save([created]));

      const loaded = await new PrismaInventoryRepository(prisma).findBySku(sku);
      expect(loaded).toMatchObject({
        onHand: 9,
        reserved: 0,
        safetyStock: 2,
        reorderQuantity: 30,
        version: 0,
        isNew: false,
        hasChanges: false,
      });
      expect(loaded!.sku.equals(sku)).toBe(true);
      expect(loaded!.createdAt).toEqual(t0);
      expect(loaded!.updatedAt).toEqual(t0);
      const movements = await new PrismaMovementLedgerReader(prisma).listBySku(sku, { limit: 10 });
      expect(movements).toEqual([
        {
          id: expect.stringMatching(/^\d+$/),
          sku: sku.value,
          type: 'ADJUST',
          quantity: 9,
          orderId: null,
          reason: 'created',
          reference: null,
          note: null,
          onHandAfter: 9,
          reservedAfter: 0,
          occurredAt: t0,
        },
      ]);
    });

    it('updates on the loaded version, bumps it, and appends movements in order', async () => {
      const sku = Sku.of(uniqueSku('RT'));
      await uow.run((tx) => tx.inventory.save([ProductInventory.create(sku, { onHand: 10 }, t0)]));
      await uow.run(async (tx) => {
        const inv = (await tx.inventory.lockForUpdate([sku])).get(sku.value)!;
        inv.reserve(OrderId.of('o-rt'), Quantity.of(3), t1, t1);
        inv.commit(OrderId.of('o-rt'), Quantity.of(2), t1);
        await tx.inventory.save([inv]);
      });
      const loaded = await new PrismaInventoryRepository(prisma).findBySku(sku);
      expect(loaded).toMatchObject({ onHand: 8, reserved: 1, version: 1 });
      expect(loaded!.updatedAt).toEqual(t1);
      const movements = await new PrismaMovementLedgerReader(prisma).listBySku(sku, { limit: 10 });
      expect(movements.map((m) => [m.type, m.onHandAfter, m.reservedAfter])).toEqual([
        ['COMMIT', 8, 1],
        ['RESERVE', 10, 3],
        ['ADJUST', 10, 0],
      ]);
    });

    it('lockForUpdate returns only existing SKUs, keyed by value', async () => {
      const sku = Sku.of(uniqueSku('RT'));
      await uow.run((tx) => tx.inventory.save([ProductInventory.create(sku, { onHand: 1 }, t0)]));
      const found = await uow.run((tx) => tx.inventory.lockForUpdate([Sku.of('MISSING-1'), sku, sku]));
      expect([...found.keys()]).toEqual([sku.value]);
      expect(await uow.run((tx) => tx.inventory.lockForUpdate([]))).toEqual(new Map());
    });

    it('refuses a stale write with ConcurrencyError, and a second creation of the same SKU', async () => {
      const sku = Sku.of(uniqueSku('RT'));
      const repo = {
        findBySku: (s: Sku) => new PrismaInventoryRepository(prisma).findBySku(s),
        save: (inventories: ProductInventory[]) => once.run((tx) => tx.inventory.save(inventories)),
      };
      await repo.save([ProductInventory.create(sku, { onHand: 5 }, t0)]);
      const first = (await repo.findBySku(sku))!;
      const second = (await repo.findBySku(sku))!;
      first.replenish(Quantity.of(1), undefined, t1);
      await repo.save([first]);
      second.replenish(Quantity.of(1), undefined, t1);
      await expect(repo.save([second])).rejects.toBeInstanceOf(ConcurrencyError);
      await expect(repo.save([ProductInventory.create(sku, { onHand: 1 }, t0)])).rejects.toBeInstanceOf(
        ConcurrencyError,
      );
      expect(await repo.findBySku(sku)).toMatchObject({ onHand: 6 });
    });
  });

  describe('PrismaReservationRepository', () => {
    it('inserts, reads back (lines sorted by SKU) and updates a reservation', async () => {
      const skus = [uniqueSku('RZ'), uniqueSku('RA')];
      await uow.run((tx) =>
        tx.inventory.save(skus.map((s) => ProductInventory.create(Sku.of(s), { onHand: 5 }, t0))),
      );
      const orderId = OrderId.of(uniqueOrderId());
      const expiresAt = new Date(t0.getTime() + 900_000);
      await uow.run(async (tx) => {
        expect(await tx.reservations.lockByOrderId(orderId)).toBeNull();
        await tx.reservations.save(
          Reservation.create({
            orderId,
            lines: [{ sku: Sku.of(skus[0]!), quantity: Quantity.of(2) }],
            expiresAt,
            now: t0,
          }),
        );
      });
      await uow.run(async (tx) => {
        const r = (await tx.reservations.lockByOrderId(orderId))!;
        r.addLines([{ sku: Sku.of(skus[1]!), quantity: Quantity.of(1) }], t1);
        await tx.reservations.save(r);
      });
      const repo = new PrismaReservationRepository(prisma);
      const joined = (await repo.findByOrderId(orderId))!;
      expect(joined).toMatchObject({
        status: 'RESERVED',
        releaseReason: null,
        version: 1,
        expiresAt,
        createdAt: t0,
        updatedAt: t1,
      });
      expect(joined.lines.map((l) => [l.sku.value, l.quantity.value, l.status])).toEqual(
        [...skus].sort().map((s) => [s, s === skus[0] ? 2 : 1, 'RESERVED']),
      );

      await uow.run(async (tx) => {
        const r = (await tx.reservations.lockByOrderId(orderId))!;
        r.release('cancelled', t1, Sku.of(skus[0]!));
        r.release('expired', t1);
        await tx.reservations.save(r);
      });
      const released = (await repo.findByOrderId(orderId))!;
      expect(released).toMatchObject({ status: 'RELEASED', releaseReason: 'expired', version: 2 });
      expect(released.lines.every((l) => l.status === 'RELEASED')).toBe(true);
      expect(await repo.findByOrderId(OrderId.of('no-such-order'))).toBeNull();
    });

    it('refuses a stale write with ConcurrencyError', async () => {
      const sku = uniqueSku('RC');
      await uow.run((tx) => tx.inventory.save([ProductInventory.create(Sku.of(sku), { onHand: 5 }, t0)]));
      const orderId = OrderId.of(uniqueOrderId());
      const repo = {
        findByOrderId: (id: OrderId) => new PrismaReservationRepository(prisma).findByOrderId(id),
        save: (reservation: Reservation) => once.run((tx) => tx.reservations.save(reservation)),
      };
      const make = () =>
        Reservation.create({
          orderId,
          lines: [{ sku: Sku.of(sku), quantity: Quantity.of(1) }],
          expiresAt: t1,
          now: t0,
        });
      await repo.save(make());
      await expect(repo.save(make())).rejects.toBeInstanceOf(ConcurrencyError);
      const a = (await repo.findByOrderId(orderId))!;
      const b = (await repo.findByOrderId(orderId))!;
      a.confirm(t1);
      await repo.save(a);
      b.release('cancelled', t1);
      await expect(repo.save(b)).rejects.toBeInstanceOf(ConcurrencyError);
      expect(await repo.findByOrderId(orderId)).toMatchObject({ status: 'CONFIRMED' });
      // The stale save wrote nothing: not even its lines' statuses.
      const lines = await prisma.reservationLine.findMany({ where: { orderId: orderId.value } });
      expect(lines.map((l) => l.status)).toEqual(['CONFIRMED']);
    });
  });

  describe('PrismaMovementLedgerReader', () => {
    it('pages newest first with beforeId', async () => {
      const sku = Sku.of(uniqueSku('MR'));
      await uow.run((tx) => tx.inventory.save([ProductInventory.create(sku, { onHand: 1 }, t0)]));
      for (let i = 1; i <= 4; i++) {
        await uow.run(async (tx) => {
          const inv = (await tx.inventory.lockForUpdate([sku])).get(sku.value)!;
          inv.replenish(Quantity.of(i), `R${i}`, t1);
          await tx.inventory.save([inv]);
        });
      }
      const reader = new PrismaMovementLedgerReader(prisma);
      const page1 = await reader.listBySku(sku, { limit: 2 });
      expect(page1.map((m) => m.reference)).toEqual(['R4', 'R3']);
      const page2 = await reader.listBySku(sku, { limit: 2, beforeId: page1[1]!.id });
      expect(page2.map((m) => m.reference)).toEqual(['R2', 'R1']);
      const page3 = await reader.listBySku(sku, { limit: 2, beforeId: page2[1]!.id });
      expect(page3.map((m) => m.type)).toEqual(['ADJUST']);
    });
  });
});
