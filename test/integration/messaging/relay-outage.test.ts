import type { AwilixContainer } from 'awilix';
import type { Client } from 'pg';
import type { BaseCradle } from '../../../src/container/base';
import { createPersistenceContainer, type PersistenceCradle } from '../../../src/container/persistence';
import { createTestVhost, type TestVhost } from '../../support/amqp';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { EventCollector } from '../../support/eventCollector';
import { eventually } from '../../support/eventually';
import { uniqueOrderId, uniqueSku } from '../../support/naming';
import { amqpTarget, TcpProxy } from '../../support/tcp-proxy';
import { connectPg, startRelay, testConfig, testLogger, type RelayUnderTest } from './harness';

/**
 * "RabbitMQ down for 30 s during 200 reservations". The broker is shared (other test files and other
 * engineers use it), so it is not stopped: the relay reaches it through a TCP proxy of this test's own,
 * and the proxy is cut for 30 s (every connection reset, new ones refused). For the relay's client that
 * is exactly a broker outage: the socket dies and reconnections fail until it returns.
 */
const OUTAGE_MS = 30_000;
const BEFORE = 50;
const DURING = 150;

jest.setTimeout(OUTAGE_MS + 60_000);

describe('outbox relay across a 30 s RabbitMQ outage', () => {
  let db: TestDatabase;
  let vhost: TestVhost;
  let pg: Client;
  let proxy: TcpProxy;
  let collector: EventCollector;
  let relay: RelayUnderTest;
  let container: AwilixContainer<BaseCradle & PersistenceCradle>;

  beforeAll(async () => {
    db = await createTestDatabase('inv_outage');
    vhost = await createTestVhost('inv_outage');
    pg = await connectPg(db.url);
    proxy = await TcpProxy.start(amqpTarget(vhost.url));
    collector = await EventCollector.start(vhost.url);
    container = createPersistenceContainer(
      testConfig({ DATABASE_URL: db.url, AMQP_URL: vhost.url }),
      testLogger(),
    );
    // Production backoff (100 ms … 5 s) for the connection and the publish retries.
    relay = startRelay({
      databaseUrl: db.url,
      amqpUrl: proxy.proxiedUrl(vhost.url),
      pollIntervalMs: 1_000,
      connectionBackoff: { initialMs: 100, maxMs: 5_000 },
      retryBackoff: { initialMs: 100, maxMs: 5_000 },
    });
    await relay.relay.waitUntil('active');
    await relay.connection.waitForConnection(5_000);
  });

  afterAll(async () => {
    await relay?.stop();
    await container?.dispose();
    await collector?.close();
    await proxy?.close();
    await pg?.end();
    await vhost?.drop();
    await db?.drop();
  });

  async function reserveMany(skus: string[], count: number, startIndex: number): Promise<string[]> {
    const orders: string[] = [];
    const scope = container.createScope();
    try {
      const service = scope.resolve('inventoryService');
      for (let i = 0; i < count; i += 10) {
        const wave = Array.from({ length: Math.min(10, count - i) }, (_, k) => {
          const n = startIndex + i + k;
          const orderId = uniqueOrderId(`outage-${n}`);
          orders.push(orderId);
          return service.reserve({ orderId, lines: [{ sku: skus[n % skus.length]!, quantity: 1 }] });
        });
        for (const outcome of await Promise.all(wave)) expect(outcome.kind).toBe('reserved');
      }
    } finally {
      await scope.dispose();
    }
    return orders;
  }

  async function outboxIds(): Promise<{ eventId: string; sku: string }[]> {
    const { rows } = await pg.query<{ event_id: string; partition_key: string }>(
      'SELECT event_id, partition_key FROM outbox_events ORDER BY id',
    );
    return rows.map((r) => ({ eventId: r.event_id, sku: r.partition_key }));
  }

  it('delivers every event once the broker is back: none lost, order per SKU kept', async () => {
    const skus = [uniqueSku('OUT'), uniqueSku('OUT'), uniqueSku('OUT'), uniqueSku('OUT')];
    const scope = container.createScope();
    for (const sku of skus) await scope.resolve('inventoryService').setLevels({ sku, onHand: 1_000 });
    await scope.dispose();

    await reserveMany(skus, BEFORE, 0);
    const beforeIds = (await outboxIds()).map((r) => r.eventId);
    await collector.waitForIds(beforeIds, 10_000);
    // Received is not yet marked: the relay marks a row once the broker's confirm reached it. Cutting
    // before then loses the confirm and leaves the row pending (published again after the outage).
    await eventually(
      async () =>
        (
          await pg.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM outbox_events WHERE published_at IS NULL',
          )
        ).rows[0]!.n === 0,
      { timeoutMs: 10_000, intervalMs: 50, what: 'every event before the outage marked published' },
    );

    proxy.cut();
    const cutAt = Date.now();
    // The reservations keep committing while the broker is unreachable, spread over the outage.
    const during: string[] = [];
    for (let wave = 0; wave < DURING / 10; wave++) {
      during.push(...(await reserveMany(skus, 10, BEFORE + wave * 10)));
      await new Promise((r) => setTimeout(r, 1_000));
    }
    expect(during).toHaveLength(DURING);
    const all = await outboxIds();
    const duringIds = all.map((r) => r.eventId).filter((id) => !beforeIds.includes(id));
    expect(duringIds.length).toBeGreaterThanOrEqual(DURING);
    expect(collector.distinct((m) => duringIds.includes(m.properties.messageId as string))).toHaveLength(0);

    // The specified outage window: the only fixed wait of the test.
    await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - cutAt))));
    const pending = await pg.query<{ n: number; failed: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE attempts > 0 AND last_error IS NOT NULL)::int AS failed
         FROM outbox_events WHERE published_at IS NULL`,
    );
    expect(pending.rows[0]!.n).toBe(duringIds.length);
    expect(pending.rows[0]!.failed).toBeGreaterThan(0);
    expect(relay.connection.isConnected).toBe(false);

    proxy.restore();
    const restoredAt = Date.now();
    const delivered = await collector.waitForIds(
      all.map((r) => r.eventId),
      20_000,
    );
    const recoveryMs = Date.now() - restoredAt;

    // None lost: every committed event arrived (deduplicated by eventId, as a consumer does).
    expect(new Set(delivered.map((m) => m.properties.messageId))).toEqual(new Set(all.map((r) => r.eventId)));
    const reservedOrders = new Set(
      delivered
        .filter((m) => m.routingKey === 'StockReserved')
        .map((m) => (m.body!.data as { orderId: string }).orderId),
    );
    expect(reservedOrders.size).toBe(BEFORE + DURING);
    // First deliveries per SKU follow the outbox (commit) order.
    for (const sku of skus) {
      const expected = all.filter((r) => r.sku === sku).map((r) => r.eventId);
      const firstSeen = collector
        .distinct((m) => m.headers['x-partition-key'] === sku)
        .map((m) => m.properties.messageId);
      expect(firstSeen).toEqual(expected);
    }
    await eventually(
      async () =>
        (
          await pg.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM outbox_events WHERE published_at IS NULL',
          )
        ).rows[0]!.n === 0,
      { what: 'every outbox row marked published' },
    );
    console.log(
      `outage: ${all.length} events (${duringIds.length} committed during the outage), ` +
        `all delivered ${recoveryMs} ms after the broker link returned; ` +
        `${collector.messages.length - delivered.length} duplicate deliveries`,
    );
  });
});
