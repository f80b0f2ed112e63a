import { PgExpiredReservations } from '../../../src/adapters/postgres/PgExpiredReservations';
import { CryptoIdGenerator } from '../../../src/adapters/system/CryptoIdGenerator';
import { SystemClock } from '../../../src/adapters/system/SystemClock';
import { PgUnitOfWork } from '../../../src/adapters/postgres/PgUnitOfWork';
import { ReleaseExpiredReservations } from '../../../src/application/ReleaseExpiredReservations';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { eventually } from '../../support/eventually';
import { uniqueOrderId, uniqueSku } from '../../support/naming';
import { connectPostgres, postgresInventory, type TestPostgres } from './helpers';

/**
 * The worker role's expiry sweep over the production unit of work: reservations past expiresAt plus
 * the grace are released once, with reason expired; extended ones, and ones with a decision waiting
 * for their workflow, are left alone.
 */
describe('expiry sweep (ReleaseExpiredReservations on Postgres)', () => {
  let db: TestDatabase;
  let pg: TestPostgres;

  beforeAll(async () => {
    db = await createTestDatabase('inv_sweep');
    pg = connectPostgres(db.url, 4);
  });

  afterAll(async () => {
    await pg?.close();
    await db?.drop();
  });

  it('releases what expired, once; leaves the extended and the decided alone', async () => {
    const service = postgresInventory(pg);
    const sku = uniqueSku('SWEEP');
    await service.setLevels({ sku, onHand: 10 });
    const expired = uniqueOrderId('sweep-expired');
    const extended = uniqueOrderId('sweep-extended');
    const decided = uniqueOrderId('sweep-decided');
    let expiresAt = 0;
    for (const orderId of [expired, extended, decided]) {
      const outcome = await service.reserve(
        { orderId, lines: [{ sku, quantity: 1 }], ttlSeconds: 1 },
        { startWorkflow: true },
      );
      if (outcome.kind === 'reserved') expiresAt = Date.parse(outcome.reservation.expiresAt);
    }
    await service.extend({ orderId: extended, ttlSeconds: 600 });
    await service.orderDecisions.confirm(decided);
    await eventually(() => Date.now() > expiresAt + 50, { timeoutMs: 5_000, intervalMs: 20 });

    const sweep = new ReleaseExpiredReservations({
      unitOfWork: new PgUnitOfWork({ pool: pg.pool }),
      clock: new SystemClock(),
      ids: new CryptoIdGenerator(),
      expiredReservations: new PgExpiredReservations(pg.pool),
    });
    expect(await sweep.execute({ graceMs: 0, limit: 100 })).toBe(1);
    expect(await sweep.execute({ graceMs: 0, limit: 100 })).toBe(0);

    expect(await service.getReservation(expired)).toMatchObject({
      status: 'RELEASED',
      releaseReason: 'expired',
    });
    expect(await service.getReservation(extended)).toMatchObject({ status: 'RESERVED' });
    expect(await service.getReservation(decided)).toMatchObject({ status: 'RESERVED' });
    const { rows } = await pg.pool.query<{ order_id: string; type: string }>(
      `SELECT order_id, type FROM stock_movements WHERE sku = $1 AND type = 'RELEASE'`,
      [sku],
    );
    expect(rows).toEqual([{ order_id: expired, type: 'RELEASE' }]);
    const events = await pg.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM outbox_events WHERE partition_key = $1 AND event_type = 'StockReleased'`,
      [sku],
    );
    expect(events.rows[0]!.n).toBe(1);
    // The grace keeps the sweep behind the workflows' own timers.
    expect(await new PgExpiredReservations(pg.pool).listExpired(new Date(expiresAt - 60_000), 10)).toEqual(
      [],
    );
  });
});
