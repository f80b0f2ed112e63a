import { PgIdempotencyStore } from '../../../src/adapters/postgres/PgIdempotencyStore';
import { PgStockLevelReader } from '../../../src/adapters/postgres/PgStockLevelReader';
import { PrismaMovementLedgerReader } from '../../../src/adapters/postgres/PrismaMovementLedgerReader';
import { PrismaPurchaseOrderRequestRepository } from '../../../src/adapters/postgres/PrismaPurchaseOrderRequestRepository';
import { PrismaReservationRepository } from '../../../src/adapters/postgres/PrismaReservationRepository';
import { OrderId } from '../../../src/domain/OrderId';
import { DatabaseUnavailableError } from '../../../src/adapters/postgres/PgUnitOfWork';
import { DirectReservationOrchestrator } from '../../../src/application/DirectReservationOrchestrator';
import { Sku } from '../../../src/domain/Sku';
import { OUTCOME_GRACE_MS } from '../../../src/application/landed';
import { createTestDatabase, withPg, type TestDatabase } from '../../support/db';
import { eventually } from '../../support/eventually';
import { uniqueOrderId, uniqueSku } from '../../support/naming';
import { TcpProxy } from '../../support/tcp-proxy';
import { connectPostgres, postgresInventory, seedStock, type TestPostgres } from './helpers';

/**
 * A database that stops answering (stopped, or a network that drops everything) closes nothing, so
 * nothing fails by itself: before the reserve carried its deadline into the unit of work, a db-mode
 * reserve waited out the transaction's own 15 s limit while its caller had long given up, and a stock
 * read waited until the connection died. Now both answer at their deadline with a transient error
 * (HTTP 503), and nothing is reserved.
 */
const DEADLINE_MS = 800;
/** Timer and scheduling slack on a loaded CI machine. */
const SLACK_MS = 700;

jest.setTimeout(30_000);

describe('a db-mode reserve while Postgres does not answer', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let pg: TestPostgres;

  beforeAll(async () => {
    db = await createTestDatabase('inv_hung');
    const direct = new URL(db.url);
    proxy = await TcpProxy.start({ host: direct.hostname, port: Number(direct.port || 5432) });
    pg = connectPostgres(proxy.proxiedUrl(db.url), 4);
  });

  afterAll(async () => {
    proxy?.resume();
    await pg?.close();
    await proxy?.close();
    await db?.drop();
  });

  it('answers a transient error at its deadline, and holds nothing once Postgres answers again', async () => {
    const sku = uniqueSku('HUNG');
    await seedStock(db.url, { [sku]: 5 });
    const orchestrator = new DirectReservationOrchestrator({
      withInventory: (work) => work(postgresInventory(pg)),
      deadlineMs: DEADLINE_MS,
    });
    // Through the proxy, with the pool's connections open.
    await expect(
      orchestrator.reserve({ orderId: uniqueOrderId('hung-before'), lines: [{ sku, quantity: 1 }] }),
    ).resolves.toMatchObject({ kind: 'reserved' });

    proxy.stall();
    const orderId = uniqueOrderId('hung');
    const started = Date.now();
    const error = await orchestrator.reserve({ orderId, lines: [{ sku, quantity: 2 }] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    const waited = Date.now() - started;

    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect((error as { transient?: boolean }).transient).toBe(true);
    expect(waited).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(waited).toBeLessThan(DEADLINE_MS + OUTCOME_GRACE_MS + SLACK_MS);

    // Postgres sees the abandoned connection close once it answers again: its transaction rolls back.
    proxy.resume();
    await eventually(
      () =>
        withPg(db.url, async (c) => {
          const { rows } = await c.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity
              WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
          );
          return rows[0]!.n === 0;
        }),
      { what: 'no transaction left open' },
    );
    await withPg(db.url, async (c) => {
      const reservation = await c.query('SELECT 1 FROM reservations WHERE order_id = $1', [orderId]);
      expect(reservation.rowCount).toBe(0);
      const stock = await c.query<{ reserved: number }>('SELECT reserved FROM stock_levels WHERE sku = $1', [
        sku,
      ]);
      expect(stock.rows[0]?.reserved).toBe(1);
    });
  });

  it('fails a stock read at its deadline as unavailable, and reads again once Postgres answers', async () => {
    const sku = uniqueSku('HUNGR');
    await seedStock(db.url, { [sku]: 3 });
    const reader = new PgStockLevelReader(pg.pool, { timeoutMs: DEADLINE_MS });
    await expect(reader.findStockLevel(Sku.of(sku))).resolves.toMatchObject({ sku, onHand: 3 });

    proxy.stall();
    const started = Date.now();
    const error = await reader.findStockLevel(Sku.of(sku)).then(
      () => undefined,
      (e: unknown) => e,
    );
    const waited = Date.now() - started;
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect(waited).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(waited).toBeLessThan(DEADLINE_MS + SLACK_MS);

    proxy.resume();
    await expect(reader.findStockLevel(Sku.of(sku))).resolves.toMatchObject({ sku, available: 3 });
  });

  /** `attempt` against the stalled proxy: it fails as unavailable by the deadline, and works once resumed. */
  async function failsAtTheDeadline(attempt: () => Promise<unknown>): Promise<number> {
    await attempt();
    proxy.stall();
    const started = Date.now();
    const error = await attempt().then(
      () => undefined,
      (e: unknown) => e,
    );
    const waited = Date.now() - started;
    proxy.resume();
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect(waited).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(waited).toBeLessThan(DEADLINE_MS + SLACK_MS);
    await attempt();
    return waited;
  }

  it("fails the queries' Prisma reads (reservation, movements, purchase orders) at the deadline", async () => {
    const sku = uniqueSku('HUNGP');
    await seedStock(db.url, { [sku]: 2 });
    const options = { timeoutMs: DEADLINE_MS };
    const reservations = new PrismaReservationRepository(pg.prisma, options);
    const movements = new PrismaMovementLedgerReader(pg.prisma, options);
    const purchaseOrders = new PrismaPurchaseOrderRequestRepository(pg.prisma, options);
    await failsAtTheDeadline(() => reservations.findByOrderId(OrderId.of(uniqueOrderId('hungp'))));
    await failsAtTheDeadline(() => movements.listBySku(Sku.of(sku), { limit: 10 }));
    await failsAtTheDeadline(() => purchaseOrders.list({ status: null, limit: 10 }));
    await failsAtTheDeadline(() => purchaseOrders.findOpenBySkus([Sku.of(sku)]));
  });

  it("fails an Idempotency-Key's claim at the deadline, so the request answers 503 instead of waiting", async () => {
    const store = new PgIdempotencyStore(pg.pool, { retentionSeconds: 60, timeoutMs: DEADLINE_MS });
    let n = 0;
    const scope = () => ({ key: `hung-${++n}`, principal: 'hung', method: 'POST', path: '/x' });
    await failsAtTheDeadline(() => store.begin(scope(), 'fingerprint'));
  });

  it("ends an Idempotency-Key's claim at the request's deadline when less than timeoutMs is left", async () => {
    // The statement bound is 10× the deadline: the request's own deadline is what ends the claim.
    const store = new PgIdempotencyStore(pg.pool, { retentionSeconds: 60, timeoutMs: DEADLINE_MS * 10 });
    let n = 0;
    const scope = () => ({ key: `hung-left-${++n}`, principal: 'hung', method: 'POST', path: '/x' });
    await failsAtTheDeadline(() =>
      store.begin(scope(), 'fingerprint', { deadline: new Date(Date.now() + DEADLINE_MS) }),
    );
  });
});
