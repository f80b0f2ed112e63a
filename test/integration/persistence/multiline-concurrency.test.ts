import type { ReserveOutcome } from '../../../src/application/contracts';
import type { InventoryService } from '../../../src/application/InventoryService';
import { type PrismaClient } from '../../../src/adapters/postgres/PrismaClientFactory';
import { PrismaLedgerAuditor } from '../../../src/adapters/postgres/PrismaLedgerAuditor';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { uniqueSku } from '../../support/naming';
import { connectPostgres, postgresInventory, seedStock, type TestPostgres } from './helpers';

jest.setTimeout(120_000);

const ORDERS = 50;
const SKUS = 6;
const STOCK_EACH = 12;

function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('concurrent multi-line orders over overlapping SKUs', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let pg: TestPostgres;
  let service: InventoryService;
  const skus = Array.from({ length: SKUS }, () => uniqueSku('ML'));

  beforeAll(async () => {
    db = await createTestDatabase('inv_multiline');
    await seedStock(db.url, Object.fromEntries(skus.map((s) => [s, STOCK_EACH])));
    // As many connections as orders: every transaction runs at once and competes for the row locks.
    pg = connectPostgres(db.url, ORDERS);
    prisma = pg.prisma;
    service = postgresInventory(pg);
  });

  afterAll(async () => {
    await pg?.close();
    await db?.drop();
  });

  it('never deadlocks and reserves every order all-or-nothing', async () => {
    // 2–5 lines per order from 6 SKUs, in random order: every pair of orders likely shares SKUs and
    // would lock them in opposite orders if locks followed the request.
    const orders = Array.from({ length: ORDERS }, (_, i) => ({
      orderId: `ml-${i}`,
      lines: shuffled(skus)
        .slice(0, 2 + (i % 4))
        .map((sku) => ({ sku, quantity: 1 + Math.floor(Math.random() * 3) })),
    }));

    const settled = await Promise.allSettled(orders.map((o) => service.reserve(o)));

    const failures = settled
      .filter((s) => s.status === 'rejected')
      .map((s) => String((s as PromiseRejectedResult).reason));
    expect(failures).toEqual([]);
    const outcomes = settled.map((s) => (s as PromiseFulfilledResult<ReserveOutcome>).value);
    // Stock is short on purpose (6 × 12 units for about 250 asked): both outcomes must occur.
    expect(outcomes.filter((o) => o.kind === 'reserved').length).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o.kind === 'insufficient-stock').length).toBeGreaterThan(0);
    expect(outcomes.every((o) => o.kind === 'reserved' || o.kind === 'insufficient-stock')).toBe(true);

    const expectedReserved = new Map(skus.map((s) => [s, 0]));
    for (const [i, order] of orders.entries()) {
      const outcome = outcomes[i]!;
      const stored = await prisma.reservation.findUnique({
        where: { orderId: order.orderId },
        include: { lines: true },
      });
      const movements = await prisma.stockMovement.findMany({ where: { orderId: order.orderId } });
      if (outcome.kind === 'reserved') {
        const lines = order.lines
          .map((l) => ({ sku: l.sku, quantity: l.quantity }))
          .sort((a, b) => a.sku.localeCompare(b.sku));
        expect(
          stored?.lines
            .map((l) => ({ sku: l.sku, quantity: l.quantity }))
            .sort((a, b) => a.sku.localeCompare(b.sku)),
        ).toEqual(lines);
        expect(movements).toHaveLength(order.lines.length);
        for (const l of order.lines) expectedReserved.set(l.sku, expectedReserved.get(l.sku)! + l.quantity);
      } else {
        expect(stored).toBeNull();
        expect(movements).toEqual([]);
        // At least one line really was short when the order was decided.
        expect(
          outcome.kind === 'insufficient-stock' && outcome.lines.every((l) => l.available < l.requested),
        ).toBe(true);
      }
    }

    const levels = await prisma.stockLevel.findMany({ where: { sku: { in: skus } } });
    for (const level of levels) {
      expect(level.reserved).toBe(expectedReserved.get(level.sku));
      expect(level.reserved).toBeLessThanOrEqual(level.onHand);
    }
  });

  it('settles confirms, releases and new reserves on the same SKUs concurrently without deadlock', async () => {
    const open = await prisma.reservation.findMany({
      where: { status: 'RESERVED' },
      select: { orderId: true },
    });
    expect(open.length).toBeGreaterThan(1);
    const fresh = Array.from({ length: 20 }, (_, i) => ({
      orderId: `ml-late-${i}`,
      lines: shuffled(skus)
        .slice(0, 3)
        .map((sku) => ({ sku, quantity: 1 })),
    }));
    const work: Promise<unknown>[] = [
      ...open.map(({ orderId }, i) =>
        i % 2 === 0 ? service.confirm({ orderId }) : service.release({ orderId, reason: 'cancelled' }),
      ),
      ...fresh.map((o) => service.reserve(o)),
      ...skus.map((sku) => service.replenish({ sku, quantity: 2, reference: 'restock' })),
    ];
    const settled = await Promise.allSettled(shuffled(work));
    expect(
      settled.filter((s) => s.status === 'rejected').map((s) => String((s as PromiseRejectedResult).reason)),
    ).toEqual([]);

    const report = await new PrismaLedgerAuditor(prisma).audit();
    expect(report.skus).toBe(SKUS);
    expect(report.discrepancies).toEqual([]);
    const stillReserved = await prisma.reservationLine.groupBy({
      by: ['sku'],
      where: { status: 'RESERVED' },
      _sum: { quantity: true },
    });
    const levels = await prisma.stockLevel.findMany({ where: { sku: { in: skus } } });
    for (const level of levels) {
      expect(level.reserved).toBe(stillReserved.find((r) => r.sku === level.sku)?._sum.quantity ?? 0);
    }
  });
});
