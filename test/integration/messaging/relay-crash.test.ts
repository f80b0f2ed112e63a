import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Client } from 'pg';
import { createTestVhost, type TestVhost } from '../../support/amqp';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { EventCollector } from '../../support/eventCollector';
import { eventually } from '../../support/eventually';
import { uniqueOrderId, uniqueSku } from '../../support/naming';
import { amqpTarget, TcpProxy } from '../../support/tcp-proxy';
import { connectPg, startRelay, type RelayUnderTest } from './harness';

jest.setTimeout(60_000);

const ROOT = join(__dirname, '..', '..', '..');
const FIXTURE = join(__dirname, 'fixtures', 'commit-then-hang.ts');

/**
 * "The process SIGKILLed between commit and publish". The child commits a reservation while its relay
 * (active: it holds the relay lock) cannot reach the broker, because its AMQP_URL goes through a proxy
 * of this test that is cut. SIGKILL leaves no chance to clean up; Postgres ends the child's session,
 * which frees the lock, and a fresh relay (standing by in this process) publishes the event.
 */
describe('process killed between commit and publish', () => {
  let db: TestDatabase;
  let vhost: TestVhost;
  let pg: Client;
  let proxy: TcpProxy;
  let collector: EventCollector;
  let fresh: RelayUnderTest | undefined;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase('inv_crash');
    vhost = await createTestVhost('inv_crash');
    pg = await connectPg(db.url);
    proxy = await TcpProxy.start(amqpTarget(vhost.url));
    proxy.cut();
    collector = await EventCollector.start(vhost.url);
  });

  afterAll(async () => {
    if (child?.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    await fresh?.stop();
    await collector?.close();
    await proxy?.close();
    await pg?.end();
    await vhost?.drop();
    await db?.drop();
  });

  it('a fresh relay delivers the committed event', async () => {
    const sku = uniqueSku('KILL');
    const orderId = uniqueOrderId('killed');
    // Its own process group, so afterAll can clean up npx and tsx if the test fails half-way.
    child = spawn('npx', ['tsx', FIXTURE], {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        AMQP_URL: proxy.proxiedUrl(vhost.url),
        FIXTURE_SKU: sku,
        FIXTURE_ORDER_ID: orderId,
      },
    });
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child!.once('exit', (code, signal) => resolve(signal ?? code)),
    );
    const report = await new Promise<{ committed?: string; pid?: number; relay?: string; error?: string }>(
      (resolve, reject) => {
        const lines = createInterface({ input: child!.stdout! });
        lines.once('line', (line) => resolve(JSON.parse(line)));
        void exited.then((code) => reject(new Error(`fixture exited (${String(code)}) before committing`)));
      },
    );
    expect(report).toMatchObject({ committed: 'reserved', relay: 'active' });

    // Committed, not published.
    const { rows } = await pg.query<{ event_id: string; event_type: string; published_at: Date | null }>(
      `SELECT event_id, event_type, published_at FROM outbox_events WHERE payload->'data'->>'orderId' = $1`,
      [orderId],
    );
    expect(rows.map((r) => [r.event_type, r.published_at])).toEqual([['StockReserved', null]]);
    const eventId = rows[0]!.event_id;

    // A relay of this process stands by: the child holds the lock.
    fresh = startRelay({ databaseUrl: db.url, amqpUrl: vhost.url, name: 'fresh relay', pollIntervalMs: 200 });
    await fresh.relay.waitUntil('standby');

    process.kill(report.pid!, 'SIGKILL');
    await exited;
    expect(collector.filter((m) => m.properties.messageId === eventId)).toHaveLength(0);

    await fresh.relay.waitUntil('active', 10_000);
    const m = await collector.waitFor((x) => x.properties.messageId === eventId, 5_000);
    expect(m.routingKey).toBe('StockReserved');
    expect(m.body).toMatchObject({ eventId, data: { orderId, sku, quantity: 2 } });
    await eventually(
      async () =>
        (
          await pg.query('SELECT 1 FROM outbox_events WHERE event_id = $1 AND published_at IS NOT NULL', [
            eventId,
          ])
        ).rowCount === 1,
      { what: 'row marked published' },
    );
  });
});
