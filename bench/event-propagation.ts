/**
 * Event propagation, commit → consumer, measured in one run against the local Postgres and RabbitMQ:
 *
 *   floor    bare amqplib publish → consume round trip (noDelay), nothing else;
 *   outbox   INSERT into outbox_events + COMMIT, timestamp right after COMMIT returns → a consumer bound to
 *            inventory.events receives it (NOTIFY → relay → publisher confirm channel → broker → consumer);
 *   reserve  InventoryService.reserve (the real domain transaction) returns → its StockReserved arrives;
 *   burst    the outbox path with 8 concurrent writers (the relay batches).
 *
 * Everything runs in a database and a vhost of its own (created, then dropped), on 127.0.0.1 only, with
 * bounded counts. Usage:
 *   npx tsx bench/event-propagation.ts [--count 1000]
 * Uses DATABASE_URL, AMQP_URL, AMQP_MANAGEMENT_URL (defaults: the local dev servers).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import amqp, { type ConsumeMessage } from 'amqplib';
import { Client } from 'pg';
import pino from 'pino';
import { applyMigrations } from '../src/adapters/postgres/MigrationApplier';
import { AmqpConnection } from '../src/adapters/rabbitmq/AmqpConnection';
import { AmqpEventPublisher } from '../src/adapters/rabbitmq/AmqpEventPublisher';
import { OutboxRelay } from '../src/adapters/rabbitmq/OutboxRelay';
import { assertTopology } from '../src/adapters/rabbitmq/topology';
import { loadConfig } from '../src/config';
import { createPersistenceContainer } from '../src/container/persistence';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://inventory:inventory@127.0.0.1:5432/inventory';
const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const MANAGEMENT_URL = process.env.AMQP_MANAGEMENT_URL ?? 'http://guest:guest@127.0.0.1:15672';
const argCount = process.argv.indexOf('--count');
const COUNT = Math.min(10_000, Math.max(50, Number(argCount > 0 ? process.argv[argCount + 1] : 1000)));
const WARMUP = 100;

const now = () => performance.timeOrigin + performance.now();

function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) {
    throw new Error(`bench runs against 127.0.0.1 only; got ${host}`);
  }
}

function stats(name: string, samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
  const f = (v: number) => `${v.toFixed(2)} ms`.padStart(10);
  return `${name.padEnd(34)} n=${String(s.length).padStart(5)}  p50 ${f(q(50))}  p95 ${f(q(95))}  p99 ${f(q(99))}  max ${f(s[s.length - 1]!)}`;
}

async function management(method: string, path: string, body?: unknown): Promise<void> {
  const base = new URL(MANAGEMENT_URL);
  const auth = Buffer.from(
    `${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`,
  ).toString('base64');
  base.username = '';
  base.password = '';
  const res = await fetch(new URL(path, base), {
    method,
    headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok && res.status !== 404) throw new Error(`RabbitMQ management ${method} ${path}: ${res.status}`);
}

/** Resolves the receive time of each awaited messageId. */
class Arrivals {
  private readonly waiting = new Map<string, (t: number) => void>();
  private readonly early = new Map<string, number>();

  onMessage = (msg: ConsumeMessage | null) => {
    if (!msg) return;
    const t = now();
    const id = msg.properties.messageId as string;
    const w = this.waiting.get(id);
    if (w) {
      this.waiting.delete(id);
      w(t);
    } else this.early.set(id, t);
  };

  wait(id: string, timeoutMs = 10_000): Promise<number> {
    const t = this.early.get(id);
    if (t !== undefined) {
      this.early.delete(id);
      return Promise.resolve(t);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`message ${id} not received in ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiting.set(id, (at) => {
        clearTimeout(timer);
        resolve(at);
      });
    });
  }
}

async function main(): Promise<void> {
  assertLoopback(DATABASE_URL);
  assertLoopback(AMQP_URL);
  const suffix = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const dbName = `inventory_bench_${suffix}`;
  const vhostName = `inventory_bench_${suffix}`;
  const dbUrl = new URL(DATABASE_URL);
  dbUrl.pathname = `/${dbName}`;
  const amqpUrl = new URL(AMQP_URL);
  amqpUrl.pathname = `/${encodeURIComponent(vhostName)}`;

  const admin = new Client({ connectionString: DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  await management('PUT', `/api/vhosts/${encodeURIComponent(vhostName)}`);
  await management(
    'PUT',
    `/api/permissions/${encodeURIComponent(vhostName)}/${decodeURIComponent(amqpUrl.username || 'guest')}`,
    {
      configure: '.*',
      write: '.*',
      read: '.*',
    },
  );
  const logger = pino({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' });
  const cleanup: (() => Promise<unknown>)[] = [];
  try {
    await applyMigrations(dbUrl.toString(), join(__dirname, '..', 'prisma', 'migrations'));
    console.log(`event propagation bench: ${COUNT} samples per scenario (+${WARMUP} warm-up), 127.0.0.1\n`);

    // The consumer every scenario shares.
    const consumerConn = await amqp.connect(amqpUrl.toString(), { noDelay: true });
    cleanup.push(() => consumerConn.close());
    const consumer = await consumerConn.createChannel();
    await assertTopology(consumer);
    const { queue } = await consumer.assertQueue('', { exclusive: true });
    await consumer.bindQueue(queue, 'inventory.events', '#');
    const arrivals = new Arrivals();
    await consumer.consume(queue, arrivals.onMessage, { noAck: true });

    // 1. Floor: bare amqplib.
    const rawConn = await amqp.connect(amqpUrl.toString(), { noDelay: true });
    cleanup.push(() => rawConn.close());
    const raw = await rawConn.createChannel();
    const floor: number[] = [];
    for (let i = 0; i < COUNT + WARMUP; i++) {
      const id = randomUUID();
      const t0 = now();
      raw.publish('inventory.events', 'BenchFloor', Buffer.from(JSON.stringify({ id })), { messageId: id });
      const t1 = await arrivals.wait(id);
      if (i >= WARMUP) floor.push(t1 - t0);
    }

    // The relay, wired as the container wires it.
    const connection = new AmqpConnection({ url: amqpUrl.toString(), name: 'bench publisher', logger });
    const publisher = new AmqpEventPublisher({ connection, logger });
    const relay = new OutboxRelay({
      databaseUrl: dbUrl.toString(),
      publisher,
      logger,
      brokerReconnected: () => connection.nextConnection(),
      brokerReady: () => connection.waitForConnection(),
      pollIntervalMs: 1000,
      batchSize: 100,
    });
    cleanup.push(() => connection.close());
    cleanup.push(() => relay.stop());
    connection.start();
    relay.start();
    await relay.waitUntil('active');
    await connection.waitForConnection(5_000);

    // 2. Outbox: commit → consumer.
    const writer = new Client({ connectionString: dbUrl.toString() });
    await writer.connect();
    cleanup.push(() => writer.end());
    const insert = async (sku: string): Promise<{ id: string; committedAt: number }> => {
      const id = randomUUID();
      const occurredAt = new Date().toISOString();
      await writer.query('BEGIN');
      await writer.query(
        `INSERT INTO outbox_events (event_id, event_type, partition_key, payload, occurred_at)
         VALUES ($1, 'StockReplenished', $2, $3, $4)`,
        [
          id,
          sku,
          JSON.stringify({ eventId: id, type: 'StockReplenished', occurredAt, data: { sku } }),
          occurredAt,
        ],
      );
      await writer.query('COMMIT');
      return { id, committedAt: now() };
    };
    const outbox: number[] = [];
    for (let i = 0; i < COUNT + WARMUP; i++) {
      const { id, committedAt } = await insert('BENCH-1');
      const t1 = await arrivals.wait(id);
      if (i >= WARMUP) outbox.push(t1 - committedAt);
    }

    // 3. Reserve through the application service (real transaction, real events).
    const container = createPersistenceContainer(
      loadConfig({
        ...process.env,
        DATABASE_URL: dbUrl.toString(),
        AMQP_URL: amqpUrl.toString(),
        LOG_LEVEL: 'warn',
      }),
      logger,
    );
    cleanup.push(() => container.dispose());
    const scope = container.createScope();
    const service = scope.resolve('inventoryService');
    const reserveCount = Math.min(COUNT, 500);
    await service.setLevels({ sku: 'BENCH-R', onHand: 1_000_000 });
    const eventIdOf = async (orderId: string): Promise<string> => {
      const { rows } = await writer.query<{ event_id: string }>(
        `SELECT event_id FROM outbox_events WHERE event_type = 'StockReserved' AND payload->'data'->>'orderId' = $1`,
        [orderId],
      );
      return rows[0]!.event_id;
    };
    const reserve: number[] = [];
    for (let i = 0; i < reserveCount + WARMUP; i++) {
      const orderId = `bench-${suffix}-${i}`;
      await service.reserve({ orderId, lines: [{ sku: 'BENCH-R', quantity: 1 }] });
      const committedAt = now();
      const id = await eventIdOf(orderId);
      const t1 = await arrivals.wait(id);
      if (i >= WARMUP) reserve.push(t1 - committedAt);
    }

    // 4. Burst: 8 concurrent writers (each its own connection), COUNT events in all.
    const writers = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const c = new Client({ connectionString: dbUrl.toString() });
        await c.connect();
        cleanup.push(() => c.end());
        return c;
      }),
    );
    const burst: number[] = [];
    await Promise.all(
      writers.map(async (c, w) => {
        for (let i = 0; i < Math.ceil(COUNT / 8); i++) {
          const id = randomUUID();
          const occurredAt = new Date().toISOString();
          const sku = `BENCH-B${w}`;
          await c.query(
            `INSERT INTO outbox_events (event_id, event_type, partition_key, payload, occurred_at)
             VALUES ($1, 'StockReplenished', $2, $3, $4)`,
            [
              id,
              sku,
              JSON.stringify({ eventId: id, type: 'StockReplenished', occurredAt, data: { sku } }),
              occurredAt,
            ],
          );
          const committedAt = now();
          const t1 = await arrivals.wait(id);
          burst.push(t1 - committedAt);
        }
      }),
    );
    await scope.dispose();

    console.log(stats('floor: amqplib publish→consume', floor));
    console.log(stats('outbox: COMMIT→consumer', outbox));
    console.log(stats('reserve: service returned→consumer', reserve));
    console.log(stats('burst (8 writers): COMMIT→consumer', burst));
    const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.ceil(0.99 * xs.length) - 1]!;
    const worst = Math.max(p99(outbox), p99(reserve), p99(burst));
    console.log(
      `\nSLA (P99 < 30 ms commit→consumer): ${worst < 30 ? 'met' : 'MISSED'} (worst p99 ${worst.toFixed(2)} ms)`,
    );
  } finally {
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    await management('DELETE', `/api/vhosts/${encodeURIComponent(vhostName)}`).catch(() => undefined);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
