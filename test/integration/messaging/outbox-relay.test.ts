import type { Client } from 'pg';
import { createPersistenceContainer } from '../../../src/container/persistence';
import { createTestVhost, type TestVhost } from '../../support/amqp';
import { createTestDatabase, requireEnv, type TestDatabase } from '../../support/db';
import { EventCollector } from '../../support/eventCollector';
import { eventually } from '../../support/eventually';
import { uniqueOrderId, uniqueSku } from '../../support/naming';
import { amqpTarget, TcpProxy } from '../../support/tcp-proxy';
import {
  connectPg,
  insertOutboxRows,
  startRelay,
  testConfig,
  testLogger,
  type RelayUnderTest,
} from './harness';

jest.setTimeout(30_000);

describe('OutboxRelay (real Postgres + RabbitMQ)', () => {
  let db: TestDatabase;
  let vhost: TestVhost;
  let pg: Client;
  let collector: EventCollector;
  const running: RelayUnderTest[] = [];

  const relay = (options: Partial<Parameters<typeof startRelay>[0]> = {}) => {
    const r = startRelay({ databaseUrl: db.url, amqpUrl: vhost.url, ...options });
    running.push(r);
    return r;
  };

  beforeAll(async () => {
    db = await createTestDatabase('inv_relay');
    vhost = await createTestVhost('inv_relay');
    pg = await connectPg(db.url);
    collector = await EventCollector.start(vhost.url);
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.stop()));
    // Each test starts from an empty outbox so a later relay does not pick up an earlier test's rows.
    await pg.query('UPDATE outbox_events SET published_at = now() WHERE published_at IS NULL');
  });

  afterAll(async () => {
    await collector?.close();
    await pg?.end();
    await vhost?.drop();
    await db?.drop();
  });

  it('publishes a committed row once, with the contract properties, headers and body (woken by NOTIFY)', async () => {
    // A 60 s poll: only the NOTIFY of the insert can make this fast.
    const r = relay({ pollIntervalMs: 60_000 });
    await r.relay.waitUntil('active');
    const sku = uniqueSku();
    // Past the relay's initial sweep, so the next row can only be picked up on NOTIFY.
    const [warmUp] = await insertOutboxRows(pg, [{ type: 'StockReplenished', sku, data: { sku } }]);
    await collector.waitFor((x) => x.properties.messageId === warmUp, 3_000);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const occurredAt = new Date('2026-03-01T10:00:00.123Z');
    const data = { orderId: 'o-1', sku, quantity: 2, available: 8, expiresAt: '2026-03-01T10:15:00.000Z' };
    const [eventId] = await insertOutboxRows(pg, [
      {
        type: 'StockReserved',
        sku,
        data,
        occurredAt,
        headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      },
    ]);

    const m = await collector.waitFor((x) => x.properties.messageId === eventId, 3_000);
    expect(m.routingKey).toBe('StockReserved');
    expect(m.raw.fields.exchange).toBe('inventory.events');
    expect(m.properties).toMatchObject({
      contentType: 'application/json',
      deliveryMode: 2,
      messageId: eventId,
      type: 'StockReserved',
      timestamp: Math.floor(occurredAt.getTime() / 1000),
    });
    expect(String(m.headers.traceparent)).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(m.headers['x-partition-key']).toBe(sku);
    // Same JSON (jsonb does not keep the order of data's keys), envelope keys in the contract's order.
    const body = JSON.parse(m.raw.content.toString('utf8')) as Record<string, unknown>;
    expect(body).toEqual({ eventId, type: 'StockReserved', occurredAt: occurredAt.toISOString(), data });
    expect(Object.keys(body)).toEqual(['eventId', 'type', 'occurredAt', 'data']);

    const row = await eventually(async () => {
      const { rows } = await pg.query(
        'SELECT published_at, attempts FROM outbox_events WHERE event_id = $1',
        [eventId],
      );
      return rows[0]?.published_at ? rows[0] : undefined;
    });
    expect(row.attempts).toBe(1);

    // A later event goes out alone: the first is not sent again.
    const [second] = await insertOutboxRows(pg, [
      { type: 'StockReplenished', sku, data: { sku, quantity: 1 } },
    ]);
    await collector.waitFor((x) => x.properties.messageId === second, 3_000);
    expect(collector.filter((x) => x.properties.messageId === eventId)).toHaveLength(1);
  });

  it('keeps the order per SKU across batches and statements, without duplicates', async () => {
    relay({ batchSize: 25 });
    const skus = [uniqueSku('A'), uniqueSku('B'), uniqueSku('C')];
    const ids: string[] = [];
    for (let statement = 0; statement < 4; statement++) {
      const rows = [];
      for (let i = 0; i < 30; i++) {
        const seq = statement * 30 + i;
        for (const sku of skus) rows.push({ type: 'StockReplenished', sku, data: { sku, seq } });
      }
      ids.push(...(await insertOutboxRows(pg, rows)));
    }
    await collector.waitForIds(ids, 10_000);
    for (const sku of skus) {
      const seqs = collector
        .filter((m) => m.headers['x-partition-key'] === sku)
        .map((m) => (m.body!.data as { seq: number }).seq);
      expect(seqs).toEqual(Array.from({ length: 120 }, (_, i) => i));
    }
  });

  it('falls back to polling when no NOTIFY arrives', async () => {
    await pg.query('ALTER TABLE outbox_events DISABLE TRIGGER outbox_events_notify_insert');
    try {
      const r = relay({ pollIntervalMs: 200 });
      await r.relay.waitUntil('active');
      const sku = uniqueSku();
      // The first row may go out with the relay's initial sweep; the second only by polling.
      const [first] = await insertOutboxRows(pg, [{ type: 'StockReplenished', sku, data: { sku } }]);
      await collector.waitFor((m) => m.properties.messageId === first, 3_000);
      const [second] = await insertOutboxRows(pg, [{ type: 'StockReplenished', sku, data: { sku } }]);
      await collector.waitFor((m) => m.properties.messageId === second, 3_000);
    } finally {
      await pg.query('ALTER TABLE outbox_events ENABLE TRIGGER outbox_events_notify_insert');
    }
  });

  it('runs one active relay per database; a standby takes over when the active one stops', async () => {
    const a = relay({ name: 'relay A' });
    await a.relay.waitUntil('active');
    const b = relay({ name: 'relay B', pollIntervalMs: 100 });
    await b.relay.waitUntil('standby');

    const sku = uniqueSku();
    const first = await insertOutboxRows(
      pg,
      Array.from({ length: 50 }, (_, seq) => ({ type: 'StockReplenished', sku, data: { sku, seq } })),
    );
    await collector.waitForIds(first, 5_000);
    expect(b.relay.state).toBe('standby');

    await a.stop();
    await b.relay.waitUntil('active', 3_000);
    const second = await insertOutboxRows(
      pg,
      Array.from({ length: 50 }, (_, seq) => ({
        type: 'StockReplenished',
        sku,
        data: { sku, seq: 50 + seq },
      })),
    );
    await collector.waitForIds(second, 5_000);
    const seqs = collector
      .filter((m) => m.headers['x-partition-key'] === sku)
      .map((m) => (m.body!.data as { seq: number }).seq);
    expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('keeps rows (attempts, last_error) while the broker is unreachable and publishes them once it is back', async () => {
    const proxy = await TcpProxy.start(amqpTarget(vhost.url));
    try {
      const r = relay({ amqpUrl: proxy.proxiedUrl(vhost.url) });
      await r.relay.waitUntil('active');
      await r.connection.waitForConnection(5_000);
      proxy.cut();
      const sku = uniqueSku();
      const ids = await insertOutboxRows(
        pg,
        Array.from({ length: 5 }, (_, seq) => ({ type: 'StockReplenished', sku, data: { sku, seq } })),
      );
      const failed = await eventually(
        async () => {
          const { rows } = await pg.query(
            'SELECT attempts, last_error, published_at FROM outbox_events WHERE event_id = $1',
            [ids[0]],
          );
          return rows[0]?.attempts >= 2 ? rows[0] : undefined;
        },
        { timeoutMs: 5_000, what: 'failed publish attempts recorded' },
      );
      expect(failed.published_at).toBeNull();
      expect(failed.last_error).toEqual(expect.any(String));
      expect(collector.filter((m) => ids.includes(m.properties.messageId as string))).toHaveLength(0);

      proxy.restore();
      const got = await collector.waitForIds(ids, 10_000);
      expect(got.map((m) => (m.body!.data as { seq: number }).seq)).toEqual([0, 1, 2, 3, 4]);
    } finally {
      await proxy.close();
    }
  });

  it('survives losing its Postgres session: reconnects, takes the lock again and carries on', async () => {
    const r = relay();
    await r.relay.waitUntil('active');
    const states: string[] = [];
    r.relay.on('state', (s: string) => states.push(s));
    const { rowCount } = await pg.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE application_name = 'inventory-outbox-relay' AND datname = current_database()`,
    );
    expect(rowCount).toBe(1);
    await eventually(() => states.includes('connecting') && r.relay.state === 'active', {
      what: 'relay active again',
    });
    const sku = uniqueSku();
    const [eventId] = await insertOutboxRows(pg, [{ type: 'StockReplenished', sku, data: { sku } }]);
    await collector.waitFor((m) => m.properties.messageId === eventId, 3_000);
  });

  it('publishes the events of a real reservation (InventoryService → outbox → relay)', async () => {
    relay();
    const container = createPersistenceContainer(
      testConfig({
        DATABASE_URL: db.url,
        AMQP_URL: vhost.url,
        AMQP_MANAGEMENT_URL: requireEnv('AMQP_MANAGEMENT_URL'),
      }),
      testLogger(),
    );
    const scope = container.createScope();
    try {
      const service = scope.resolve('inventoryService');
      const sku = uniqueSku();
      const orderId = uniqueOrderId();
      await service.setLevels({ sku, onHand: 10 });
      const outcome = await service.reserve({ orderId, lines: [{ sku, quantity: 3 }] });
      expect(outcome.kind).toBe('reserved');
      const m = await collector.waitFor(
        (x) =>
          x.routingKey === 'StockReserved' && (x.body?.data as { orderId?: string })?.orderId === orderId,
        3_000,
      );
      expect(m.body).toMatchObject({
        type: 'StockReserved',
        data: { orderId, sku, quantity: 3, available: 7, expiresAt: expect.any(String) },
      });
      expect(m.body!.eventId).toBe(m.properties.messageId);
    } finally {
      await scope.dispose();
      await container.dispose();
    }
  });
});
