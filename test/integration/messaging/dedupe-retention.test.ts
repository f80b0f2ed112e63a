import { randomUUID } from 'node:crypto';
import { asValue } from 'awilix';
import type { Client } from 'pg';
import { DEDUPE_TABLES, DedupeRetention } from '../../../src/adapters/postgres/DedupeRetention';
import type { OrderSignalPort } from '../../../src/application/ports';
import { createBaseContainer, type BaseCradle } from '../../../src/container/base';
import {
  registerMessaging,
  orderEventsBridgeComponent,
  type MessagingCradle,
} from '../../../src/container/messaging';
import { registerPersistence, type PersistenceCradle } from '../../../src/container/persistence';
import { createTestVhost, type TestVhost } from '../../support/amqp';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { eventually } from '../../support/eventually';
import { FakeOrderSignals } from '../../support/fakeOrderSignals';
import { connectPg, testConfig, testLogger } from './harness';

jest.setTimeout(30_000);

/** Defect 12: processed_messages was never purged. */
describe('dedupe retention (real Postgres)', () => {
  let db: TestDatabase;
  let vhost: TestVhost;
  let pg: Client;

  beforeAll(async () => {
    db = await createTestDatabase('inv_dedupe');
    vhost = await createTestVhost('inv_dedupe');
    pg = await connectPg(db.url);
  });

  afterAll(async () => {
    await pg?.end();
    await vhost?.drop();
    await db?.drop();
  });

  /** Rows handled `ageHours` ago; returns their ids. */
  async function insertProcessed(count: number, ageHours: number): Promise<string[]> {
    const ids = Array.from({ length: count }, () => randomUUID());
    await pg.query(
      `INSERT INTO processed_messages (message_id, message_type, outcome, processed_at)
       SELECT id, 'OrderConfirmed', 'signalled', now() - make_interval(hours => $2)
         FROM unnest($1::text[]) AS id`,
      [ids, ageHours],
    );
    return ids;
  }

  async function remaining(ids: string[]): Promise<string[]> {
    const { rows } = await pg.query<{ message_id: string }>(
      'SELECT message_id FROM processed_messages WHERE message_id = ANY($1)',
      [ids],
    );
    return rows.map((r) => r.message_id).sort();
  }

  it('the bridge role purges records past DEDUPE_RETENTION_HOURS and keeps the younger ones', async () => {
    const old = await insertProcessed(5, 24 * 8);
    const young = await insertProcessed(3, 24 * 7 - 1);
    type Cradle = BaseCradle & PersistenceCradle & MessagingCradle & { orderSignals: OrderSignalPort };
    const container = createBaseContainer<Cradle>(
      testConfig({ DATABASE_URL: db.url, AMQP_URL: vhost.url, DEDUPE_RETENTION_HOURS: '168' }),
      testLogger(),
    );
    registerPersistence(container);
    container.register({ orderSignals: asValue(new FakeOrderSignals()) });
    registerMessaging(container);
    const bridge = orderEventsBridgeComponent(container);
    await bridge.start();
    try {
      await eventually(async () => (await remaining(old)).length === 0, { what: 'old records purged' });
      expect(await remaining(young)).toEqual([...young].sort());
    } finally {
      await bridge.stop();
      await container.dispose();
    }
  });

  it('deletes in LIMIT-ed statements until the backlog is gone, bounded per run', async () => {
    await pg.query('DELETE FROM processed_messages');
    const old = await insertProcessed(7, 100);
    const young = await insertProcessed(2, 1);
    const statements: string[] = [];
    const pool = {
      query: (sql: string, params: unknown[]) => {
        statements.push(sql);
        return pg.query(sql, params);
      },
    } as never;
    const retention = new DedupeRetention({
      pool,
      retentionHours: 24,
      logger: testLogger(),
      tables: DEDUPE_TABLES.filter((t) => t.table === 'processed_messages'),
      batchSize: 2,
      maxBatches: 3,
    });
    expect(await retention.purgeOnce()).toBe(6);
    expect(statements).toHaveLength(3);
    expect(statements[0]).toMatch(/LIMIT \$2/);
    expect(await remaining(old)).toHaveLength(1);
    expect(await retention.purgeOnce()).toBe(1);
    expect(await remaining(old)).toHaveLength(0);
    expect(await remaining(young)).toEqual([...young].sort());
  });

  it('purges order decisions past the retention, except one still waiting for its open reservation', async () => {
    const order = (name: string) => `dedupe-${name}-${randomUUID()}`;
    const [early, settled, pending, young] = ['early', 'settled', 'pending', 'young'].map(order) as [
      string,
      string,
      string,
      string,
    ];
    // A pending decision's reservation is still open (its workflow has not applied it yet); a settled
    // one's was released.
    await pg.query(
      `INSERT INTO reservations (order_id, status, release_reason, expires_at)
       VALUES ($1, 'RESERVED', NULL, now() - interval '1 hour'), ($2, 'RELEASED', 'cancelled', now())`,
      [pending, settled],
    );
    await pg.query(
      `INSERT INTO order_decisions (order_id, decision, matched, recorded_at) VALUES
         ($1, 'CANCELLED', false, now() - interval '200 hours'),
         ($2, 'CANCELLED', true, now() - interval '200 hours'),
         ($3, 'CONFIRMED', true, now() - interval '200 hours'),
         ($4, 'CANCELLED', false, now() - interval '2 hours')`,
      [early, settled, pending, young],
    );
    const retention = new DedupeRetention({ pool: pg as never, retentionHours: 168, logger: testLogger() });
    expect(await retention.purgeOnce()).toBeGreaterThanOrEqual(2);
    const { rows } = await pg.query<{ order_id: string }>(
      'SELECT order_id FROM order_decisions WHERE order_id = ANY($1) ORDER BY order_id',
      [[early, settled, pending, young]],
    );
    expect(rows.map((r) => r.order_id)).toEqual([pending, young].sort());
  });
});
