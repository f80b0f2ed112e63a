import { Client } from 'pg';
import { createReservationActivities } from '../../../activities';
import { loadConfig } from '../../../src/config';
import { createPersistenceContainer } from '../../../src/container/persistence';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { uniqueOrderId, uniqueSku } from '../../support/naming';

/**
 * The workflow's cancel path below the workflow: the release activity with order-service's reason, through
 * the production unit of work, into stock_movements.note and the StockReleased outbox rows.
 */
describe("a cancel's reason on its release (activity → ReleaseReservation → Postgres)", () => {
  let db: TestDatabase;
  let container: ReturnType<typeof createPersistenceContainer>;
  let sql: Client;

  beforeAll(async () => {
    db = await createTestDatabase('inv_release_note');
    container = createPersistenceContainer(
      loadConfig({ DATABASE_URL: db.url, DATABASE_POOL_SIZE: '2', LOG_LEVEL: 'silent', NODE_ENV: 'test' }),
    );
    sql = new Client({ connectionString: db.url });
    await sql.connect();
  });

  afterAll(async () => {
    await sql?.end();
    await container?.dispose();
    await db?.drop();
  });

  async function reservedOrder() {
    const { inventoryService } = container.createScope().cradle;
    const [a, b] = [uniqueSku('RN'), uniqueSku('RN')];
    await inventoryService.setLevels({ sku: a, onHand: 5 });
    await inventoryService.setLevels({ sku: b, onHand: 5 });
    const orderId = uniqueOrderId('note');
    const reserved = await inventoryService.reserve({
      orderId,
      lines: [
        { sku: a, quantity: 2 },
        { sku: b, quantity: 1 },
      ],
    });
    expect(reserved.kind).toBe('reserved');
    return orderId;
  }

  async function releases(orderId: string) {
    const movements = await sql.query<{ sku: string; reason: string; note: string | null }>(
      `SELECT sku, reason, note FROM stock_movements WHERE order_id = $1 AND type = 'RELEASE' ORDER BY sku`,
      [orderId],
    );
    const events = await sql.query<{ data: Record<string, unknown> }>(
      `SELECT payload->'data' AS data FROM outbox_events
        WHERE event_type = 'StockReleased' AND payload->'data'->>'orderId' = $1 ORDER BY partition_key`,
      [orderId],
    );
    return { movements: movements.rows, events: events.rows.map((r) => r.data) };
  }

  it('stores the note on every RELEASE movement and StockReleased event of the order', async () => {
    const orderId = await reservedOrder();
    const activities = createReservationActivities(container);

    const outcome = await activities.releaseStock({ orderId, reason: 'cancelled', note: 'payment declined' });

    expect(outcome).toMatchObject({ kind: 'released', changed: true });
    const { movements, events } = await releases(orderId);
    expect(movements.map((m) => [m.reason, m.note])).toEqual([
      ['cancelled', 'payment declined'],
      ['cancelled', 'payment declined'],
    ]);
    expect(events.map((e) => [e.reason, e.note])).toEqual([
      ['cancelled', 'payment declined'],
      ['cancelled', 'payment declined'],
    ]);
  });

  it('leaves the note out when the cancel gave none', async () => {
    const orderId = await reservedOrder();
    await createReservationActivities(container).releaseStock({ orderId, reason: 'cancelled' });

    const { movements, events } = await releases(orderId);
    expect(movements.map((m) => m.note)).toEqual([null, null]);
    expect(events).toHaveLength(2);
    for (const e of events) expect(e).not.toHaveProperty('note');
  });
});
