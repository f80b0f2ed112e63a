import type { PrismaClient } from '../../../src/adapters/postgres/PrismaClientFactory';
import { auditIsClean, PrismaLedgerAuditor } from '../../../src/adapters/postgres/PrismaLedgerAuditor';
import type { InventoryService } from '../../../src/application/InventoryService';
import { createTestDatabase, withPg, type TestDatabase } from '../../support/db';
import { uniqueOrderId, uniqueSku } from '../../support/naming';
import { connectPostgres, ledgerCheck, postgresInventory, type TestPostgres } from './helpers';

jest.setTimeout(60_000);

/**
 * ledger:check beyond the ledger: each SKU's `reserved` against its open reservation lines, and each
 * reservation's status against its lines. A clean history first, then this file's own copy of the
 * database corrupted one way per reservation.
 */
describe('ledger:check, reservations', () => {
  let db: TestDatabase;
  let pg: TestPostgres;
  let prisma: PrismaClient;
  let service: InventoryService;
  const [x, y, z] = [uniqueSku('RX'), uniqueSku('RY'), uniqueSku('RZ')];
  const order = {
    open: uniqueOrderId('open'), // RESERVED, lines x and y
    partly: uniqueOrderId('partly'), // RESERVED, line x released, line z open
    single: uniqueOrderId('single'), // RESERVED, line y
    toConfirm: uniqueOrderId('confirm'), // RESERVED, line z
    confirmed: uniqueOrderId('confirmed'), // CONFIRMED after line y was released
    cancelled: uniqueOrderId('cancelled'), // RELEASED cancelled, lines x and z
    expired: uniqueOrderId('expired'), // RELEASED expired, line y
  };

  beforeAll(async () => {
    db = await createTestDatabase('inv_ledger_res');
    pg = connectPostgres(db.url, 5);
    prisma = pg.prisma;
    service = postgresInventory(pg);
    for (const sku of [x, y, z]) await service.setLevels({ sku, onHand: 100 });
    const reserve = async (orderId: string, lines: [string, number][]) => {
      const outcome = await service.reserve({
        orderId,
        lines: lines.map(([sku, quantity]) => ({ sku, quantity })),
      });
      if (outcome.kind !== 'reserved') throw new Error(`${orderId}: ${outcome.kind}`);
    };
    await reserve(order.open, [
      [x, 2],
      [y, 3],
    ]);
    await reserve(order.partly, [
      [x, 4],
      [z, 5],
    ]);
    await service.release({ orderId: order.partly, sku: x, reason: 'released' });
    await reserve(order.single, [[y, 6]]);
    await reserve(order.toConfirm, [[z, 7]]);
    await reserve(order.confirmed, [
      [x, 1],
      [y, 1],
    ]);
    await service.release({ orderId: order.confirmed, sku: y, reason: 'released' });
    await service.confirm({ orderId: order.confirmed });
    await reserve(order.cancelled, [
      [x, 8],
      [z, 2],
    ]);
    await service.release({ orderId: order.cancelled, reason: 'cancelled' });
    await reserve(order.expired, [[y, 9]]);
    await service.release({ orderId: order.expired, reason: 'expired' });
  });

  afterAll(async () => {
    await pg?.close();
    await db?.drop();
  });

  it('reports a database the service wrote as clean: reserved is the open lines, every status agrees', async () => {
    const report = await new PrismaLedgerAuditor(prisma, { batchSize: 3 }).audit();
    expect(report).toMatchObject({
      skus: 3,
      reservations: 7,
      discrepancies: [],
      reservedMismatches: [],
      reservationInconsistencies: [],
    });
    expect(auditIsClean(report)).toBe(true);
    // The open lines really are what `reserved` holds (x: 2, y: 3 + 6, z: 5 + 7).
    expect(
      (await prisma.stockLevel.findMany({ where: { sku: { in: [x, y, z] } }, orderBy: { sku: 'asc' } })).map(
        (l) => [l.sku, l.reserved],
      ),
    ).toEqual([
      [x, 2],
      [y, 9],
      [z, 12],
    ]);
    const run = ledgerCheck(db.url);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(
      /ledger check OK: 3 SKU\(s\), \d+ movement\(s\) replayed, 7 reservation\(s\) checked/,
    );
  });

  it('reports every SKU whose reserved is not its open lines and every reservation whose status disagrees with its lines', async () => {
    const orphan = uniqueOrderId('orphan');
    await withPg(db.url, async (sql) => {
      // A database restored without its CHECK constraints: release reasons can then disagree too.
      await sql.query('ALTER TABLE reservations DROP CONSTRAINT reservations_release_reason_check');
      // x: an open line holds more than reserved counts (levels and ledger still agree).
      await sql.query(
        'UPDATE reservation_lines SET quantity = quantity + 1 WHERE order_id = $1 AND sku = $2',
        [order.open, x],
      );
      // y: the only line of an open reservation released behind its back.
      await sql.query(`UPDATE reservation_lines SET status = 'RELEASED' WHERE order_id = $1`, [order.single]);
      // A reservation confirmed without its lines.
      await sql.query(`UPDATE reservations SET status = 'CONFIRMED' WHERE order_id = $1`, [order.toConfirm]);
      // A released reservation with a confirmed line.
      await sql.query(`UPDATE reservation_lines SET status = 'CONFIRMED' WHERE order_id = $1 AND sku = $2`, [
        order.cancelled,
        z,
      ]);
      // Release reasons: lost on a released one, set on a confirmed one.
      await sql.query('UPDATE reservations SET release_reason = NULL WHERE order_id = $1', [order.expired]);
      await sql.query(`UPDATE reservations SET release_reason = 'expired' WHERE order_id = $1`, [
        order.confirmed,
      ]);
      // A reservation without lines.
      await sql.query(
        `INSERT INTO reservations (order_id, status, expires_at) VALUES ($1, 'RESERVED', now() + interval '1 hour')`,
        [orphan],
      );
    });

    const report = await new PrismaLedgerAuditor(prisma, { batchSize: 2 }).audit();
    expect(report.discrepancies).toEqual([]);
    // In SKU order (RX- < RY-), as the audit walks them.
    expect(report.reservedMismatches).toEqual([
      { sku: x, reserved: 2, openLineUnits: 3, openLines: 1 },
      { sku: y, reserved: 9, openLineUnits: 3, openLines: 1 },
    ]);
    const problems = Object.fromEntries(
      report.reservationInconsistencies.map((r) => [r.orderId, r.problems]),
    );
    expect(problems).toEqual({
      [order.single]: ['is RESERVED but none of its lines is'],
      [order.toConfirm]: [
        'is CONFIRMED but 1 line(s) are still RESERVED',
        'is CONFIRMED but none of its lines is',
      ],
      [order.cancelled]: ['is RELEASED but 1 line(s) are CONFIRMED'],
      [order.expired]: ['is RELEASED without a release reason'],
      [order.confirmed]: ['is CONFIRMED but has the release reason expired'],
      [orphan]: ['has no lines'],
    });
    expect(report.reservationInconsistencies.find((r) => r.orderId === order.cancelled)).toMatchObject({
      status: 'RELEASED',
      releaseReason: 'cancelled',
      lines: [
        { sku: x, status: 'RELEASED' },
        { sku: z, status: 'CONFIRMED' },
      ],
    });

    const run = ledgerCheck(db.url);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`RESERVED ${x}: reserved 2, but its 1 open reservation line(s) hold 3`);
    expect(run.stderr).toContain(`RESERVED ${y}: reserved 9, but its 1 open reservation line(s) hold 3`);
    expect(run.stderr).not.toContain(`RESERVED ${z}`);
    for (const orderId of Object.keys(problems)) expect(run.stderr).toContain(`RESERVATION ${orderId} `);
    expect(run.stderr).not.toContain(`RESERVATION ${order.open} `);
    expect(run.stderr).not.toContain(`RESERVATION ${order.partly} `);
    expect(run.stderr).toContain(
      'ledger check FAILED: 0 SKU(s) disagree with their ledger, 2 SKU(s) with reserved other than their ' +
        'open lines, 6 reservation(s) inconsistent with their lines',
    );
  });
});
