import { PgUnitOfWork } from '../../../src/adapters/postgres/PgUnitOfWork';
import type { UnitOfWorkPort } from '../../../src/domain/ports/UnitOfWorkPort';
import { createTestDatabase, withPg, type TestDatabase } from '../../support/db';
import { eventually } from '../../support/eventually';
import { uniqueOrderId, uniqueSku } from '../../support/naming';
import { connectPostgres, postgresInventory, type TestPostgres } from './helpers';

/**
 * What a workflow-mode caller whose answer was lost is told it holds (TemporalReservationOrchestrator's
 * `landed`): a reserve of the order that has done its work and is about to COMMIT must be waited for,
 * not read past (a plain read answers "nothing", then the reserve commits: a 503 whose stock is held).
 */
jest.setTimeout(30_000);

describe('the settled reservation (read under the order lock)', () => {
  let db: TestDatabase;
  let pg: TestPostgres;

  beforeAll(async () => {
    db = await createTestDatabase('inv_settled');
    pg = connectPostgres(db.url, 4);
  });

  afterAll(async () => {
    await pg?.close();
    await db?.drop();
  });

  it('waits for a reserve of the order that is committing, and sees it', async () => {
    const service = postgresInventory(pg);
    const sku = uniqueSku('SET');
    await service.setLevels({ sku, onHand: 5 });
    const orderId = uniqueOrderId('settled');

    // The production unit of work, held open between the reserve's last statement and its COMMIT.
    const inner = new PgUnitOfWork({ pool: pg.pool });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let workDone = false;
    const held: UnitOfWorkPort = {
      run: (work) =>
        inner.run(async (tx) => {
          const result = await work(tx);
          workDone = true;
          await gate;
          return result;
        }),
    };
    const reserving = postgresInventory(pg, { unitOfWork: held }).reserve({
      orderId,
      lines: [{ sku, quantity: 2 }],
    });
    let settled: ReturnType<typeof service.getSettledReservation> | undefined;
    try {
      await eventually(() => workDone, { what: 'the reserve has done its work' });

      // A plain read does not see it yet; the settled read waits on the order's lock.
      expect(await service.getReservation(orderId)).toBeNull();
      settled = service.getSettledReservation(orderId);
      const waitingOnLock = () =>
        withPg(db.url, async (c) => {
          const { rows } = await c.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity
              WHERE datname = current_database() AND wait_event_type = 'Lock'
                AND query LIKE '%pg_advisory_xact_lock%'`,
          );
          return rows[0]!.n === 1;
        });
      await eventually(waitingOnLock, { what: 'the settled read waits on the order lock' });
    } finally {
      release();
    }
    await expect(reserving).resolves.toMatchObject({ kind: 'reserved', created: true });
    await expect(settled).resolves.toMatchObject({
      orderId,
      status: 'RESERVED',
      lines: [{ sku, quantity: 2, status: 'RESERVED' }],
    });
  });

  it('answers at once when no transaction holds the order', async () => {
    const service = postgresInventory(pg);
    await expect(service.getSettledReservation(uniqueOrderId('none'))).resolves.toBeNull();
  });
});
