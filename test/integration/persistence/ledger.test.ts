import { type PrismaClient } from '../../../src/adapters/postgres/PrismaClientFactory';
import { PrismaLedgerAuditor } from '../../../src/adapters/postgres/PrismaLedgerAuditor';
import type { InventoryService } from '../../../src/application/InventoryService';
import { LedgerReplay } from '../../../src/domain/LedgerReplay';
import type { MovementType } from '../../../src/domain/StockMovement';
import { createTestDatabase, withPg, type TestDatabase } from '../../support/db';
import { uniqueSku } from '../../support/naming';
import { connectPostgres, ledgerCheck, postgresInventory, type TestPostgres } from './helpers';

jest.setTimeout(60_000);

describe('the movement ledger', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let pg: TestPostgres;
  let service: InventoryService;
  const [a, b, c] = [uniqueSku('LA'), uniqueSku('LB'), uniqueSku('LC')];

  beforeAll(async () => {
    db = await createTestDatabase('inv_ledger');
    pg = connectPostgres(db.url, 5);
    prisma = pg.prisma;
    service = postgresInventory(pg);
    // Every kind of movement, on several SKUs.
    await service.setLevels({ sku: a, onHand: 10 });
    await service.setLevels({ sku: b, onHand: 5, safetyStock: 1 });
    await service.setLevels({ sku: c, onHand: 0 });
    await service.reserve({
      orderId: 'l-1',
      lines: [
        { sku: a, quantity: 3 },
        { sku: b, quantity: 2 },
      ],
    });
    await service.reserve({ orderId: 'l-2', lines: [{ sku: a, quantity: 4 }] });
    await service.confirm({ orderId: 'l-1' });
    await service.release({ orderId: 'l-2', reason: 'expired' });
    await service.replenish({ sku: c, quantity: 6, reference: 'PO-9' });
    await service.reserve({
      orderId: 'l-3',
      lines: [
        { sku: c, quantity: 6 },
        { sku: a, quantity: 1 },
      ],
    });
    await service.release({ orderId: 'l-3', sku: c, reason: 'released' });
    await service.setLevels({ sku: a, onHand: 4 });
  });

  afterAll(async () => {
    await pg?.close();
    await db?.drop();
  });

  it('holds every movement type', async () => {
    const types = await prisma.stockMovement.groupBy({ by: ['type'] });
    expect(types.map((t) => t.type).sort()).toEqual(['ADJUST', 'COMMIT', 'RELEASE', 'REPLENISH', 'RESERVE']);
  });

  it('replays, for every SKU, to its on hand and reserved', async () => {
    const levels = await prisma.stockLevel.findMany();
    expect(levels.length).toBe(3);
    for (const level of levels) {
      const movements = await prisma.stockMovement.findMany({
        where: { sku: level.sku },
        orderBy: { id: 'asc' },
      });
      const replay = LedgerReplay.of(
        movements.map((m) => ({ ...m, id: m.id.toString(), type: m.type as MovementType })),
      );
      expect({ sku: level.sku, ...replay.levels }).toEqual({
        sku: level.sku,
        onHand: level.onHand,
        reserved: level.reserved,
      });
      expect(replay.chainBreak).toBeNull();
    }
    expect(await prisma.stockLevel.findUnique({ where: { sku: a } })).toMatchObject({
      onHand: 4,
      reserved: 1,
    });
  });

  it('refuses UPDATE, DELETE and TRUNCATE at the database level', async () => {
    const { id } = await prisma.stockMovement.findFirstOrThrow({ where: { sku: a } });
    await withPg(db.url, async (pg) => {
      await expect(
        pg.query('UPDATE stock_movements SET quantity = quantity + 1 WHERE id = $1', [id]),
      ).rejects.toThrow(/append-only: UPDATE refused/);
      await expect(pg.query('DELETE FROM stock_movements WHERE id = $1', [id])).rejects.toThrow(
        /append-only: DELETE refused/,
      );
      await expect(pg.query('TRUNCATE stock_movements')).rejects.toThrow(/append-only: TRUNCATE refused/);
      await expect(pg.query('TRUNCATE stock_levels CASCADE')).rejects.toThrow(
        /append-only: TRUNCATE refused/,
      );
    });
    await expect(prisma.stockMovement.update({ where: { id }, data: { quantity: 99 } })).rejects.toThrow();
    await expect(prisma.stockMovement.deleteMany({ where: { sku: a } })).rejects.toThrow();
    expect((await prisma.stockMovement.findUniqueOrThrow({ where: { id } })).quantity).not.toBe(99);
  });

  it('refuses a stock row that breaks 0 <= reserved <= on hand', async () => {
    await withPg(db.url, async (pg) => {
      await expect(
        pg.query('UPDATE stock_levels SET reserved = on_hand + 1 WHERE sku = $1', [a]),
      ).rejects.toThrow(/stock_levels_reserved_le_on_hand_check/);
      await expect(pg.query('UPDATE stock_levels SET reserved = -1 WHERE sku = $1', [a])).rejects.toThrow(
        /check/,
      );
    });
  });

  it('ledger:check exits 0 with a one-line summary when every SKU agrees', async () => {
    const report = await new PrismaLedgerAuditor(prisma).audit();
    expect(report).toMatchObject({ skus: 3, discrepancies: [] });
    const run = ledgerCheck(db.url);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(`ledger check OK: 3 SKU\\(s\\), ${report.movements} movement\\(s\\) replayed`),
      ),
    ]);
  });

  it('ledger:check names every SKU whose levels disagree and exits 1', async () => {
    // Levels changed behind the ledger's back (what a buggy writer or a manual fix would do).
    await withPg(db.url, async (pg) => {
      await pg.query('UPDATE stock_levels SET on_hand = on_hand + 2 WHERE sku = $1', [a]);
      await pg.query('UPDATE stock_levels SET reserved = 0, on_hand = on_hand + 1 WHERE sku = $1', [c]);
    });
    const report = await new PrismaLedgerAuditor(prisma, { batchSize: 2 }).audit();
    expect(report.discrepancies.map((d) => d.sku).sort()).toEqual([a, c].sort());
    expect(report.discrepancies.find((d) => d.sku === a)).toMatchObject({
      onHand: 6,
      ledgerOnHand: 4,
      reserved: 1,
      ledgerReserved: 1,
    });

    const run = ledgerCheck(db.url);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`MISMATCH ${a}`);
    expect(run.stderr).toContain(`MISMATCH ${c}`);
    expect(run.stderr).not.toContain(`MISMATCH ${b}`);
    expect(run.stderr).toContain('2 SKU(s) disagree');
  });

  it('the auditor also catches a movement whose recorded levels break the chain', async () => {
    const sku = uniqueSku('LD');
    await service.setLevels({ sku, onHand: 5 });
    // A forged append: levels consistent with its own after-values, not with the replay.
    await withPg(db.url, async (pg) => {
      await pg.query(
        `INSERT INTO stock_movements (sku, type, quantity, on_hand_after, reserved_after, occurred_at)
         VALUES ($1, 'REPLENISH', 1, 9, 0, now())`,
        [sku],
      );
      await pg.query('UPDATE stock_levels SET on_hand = 6 WHERE sku = $1', [sku]);
    });
    const report = await new PrismaLedgerAuditor(prisma).audit();
    const found = report.discrepancies.find((d) => d.sku === sku);
    expect(found).toMatchObject({
      onHand: 6,
      ledgerOnHand: 6,
      chainBreak: { recorded: { onHand: 9 }, replayed: { onHand: 6 } },
    });
  });
});
