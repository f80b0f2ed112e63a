/**
 * Stock reads: GET /inventory/:sku through the real service against its floor, measured in the same
 * run, interleaved, at several connection counts.
 *
 *   real   the service itself (src/main/index.ts with ROLES=api: tracing bootstrap, logger at LOG_LEVEL,
 *          metrics, JWT bearer auth, zod schemas, the application's read path), in a child process;
 *   floor  a bare Fastify server in another child process answering the same JSON from one
 *          `SELECT ... FROM stock_levels ... WHERE sku = $1` on a node-postgres pool of the same size,
 *          no auth, no schemas, no logger.
 *
 *   batch  the service's batch read `GET /inventory?sku=A&sku=B...` with `--batches` SKUs per request
 *          (random distinct SKUs), counted in SKU-levels per second beside the single reads.
 *
 *   npx tsx bench/stock-reads.ts [--duration 10] [--warmup 3] [--rounds 4] [--connections 1,32]
 *                                [--batches 1,20,100] [--skus 1000] [--json out.json] [--cpu-prof DIR]
 *                                [--real-log FILE] [--keep-db]
 *
 * A smoke run that only proves it works: `--duration 1 --warmup 0 --rounds 1` (figures meaningless).
 *
 * `--duration` is the measured seconds per side and connection count, split into `--rounds` rounds
 * whose floor/real order alternates so that noise on a shared machine hits both sides. Each side gets
 * `--warmup` seconds first. Requests pick one of `--skus` SKUs at random (a few with an open purchase
 * order); every read carries the same bearer token (scope inventory:read). The load generator is a
 * minimal keep-alive HTTP/1.1 client on raw sockets (one request in flight per connection), cheap
 * enough that it is not what limits the floor. Also printed: CPU time per request of each server
 * process and of all Postgres processes (from /proc, Linux; includes anyone else's queries).
 *
 * The environment configures the real side as it would the service (LOG_LEVEL, DATABASE_POOL_SIZE,
 * OTEL_*...); its log (stdout) goes to /dev/null, or to `--real-log FILE`. `--cpu-prof DIR` writes a
 * V8 CPU profile of the real side into DIR when it exits.
 *
 * Loopback only: it refuses a DATABASE_URL that is not 127.0.0.1/localhost and serves on 127.0.0.1.
 * It creates (and drops) its own database, and stops by itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import Fastify from 'fastify';
import { Client as PgClient, Pool } from 'pg';
import { jwtSettingsFrom, mintToken } from '../src/adapters/http/auth';
import { applyMigrations } from '../src/adapters/postgres/MigrationApplier';
import { MAX_BATCH_SKUS } from '../src/application/input';
import { loadConfig } from '../src/config';
import { freePort } from '../test/support/serviceProcess';
import { Connection, type HttpResponse } from './lib/httpClient';

type Side = 'floor' | 'real';
const SIDES: Side[] = ['floor', 'real'];

interface Args {
  duration: number;
  warmup: number;
  rounds: number;
  connections: number[];
  /** SKUs per batch request; none: no batch variants. */
  batches: number[];
  skus: number;
  json?: string;
  cpuProf?: string;
  realLog?: string;
  keepDb: boolean;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const args: Args = {
    duration: Number(get('duration') ?? 10),
    warmup: Number(get('warmup') ?? 3),
    rounds: Number(get('rounds') ?? 4),
    connections: (get('connections') ?? '1,32').split(',').map(Number),
    batches: (get('batches') ?? '1,20,100').split(',').filter(Boolean).map(Number),
    skus: Number(get('skus') ?? 1000),
    json: get('json'),
    cpuProf: get('cpu-prof'),
    realLog: get('real-log'),
    keepDb: argv.includes('--keep-db'),
  };
  if (!(args.duration > 0 && args.duration <= 120)) throw new Error('--duration: seconds, 0 < d <= 120');
  if (!(args.warmup >= 0 && args.warmup <= 60)) throw new Error('--warmup: seconds, 0..60');
  if (!Number.isInteger(args.rounds) || args.rounds < 1 || args.rounds > 20)
    throw new Error('--rounds: 1..20');
  if (args.connections.some((c) => !Number.isInteger(c) || c < 1 || c > 256))
    throw new Error('--connections: integers 1..256');
  if (!Number.isInteger(args.skus) || args.skus < 1 || args.skus > 100_000)
    throw new Error('--skus: 1..100000');
  if (args.batches.some((b) => !Number.isInteger(b) || b < 1 || b > MAX_BATCH_SKUS || b > args.skus))
    throw new Error(`--batches: integers 1..${MAX_BATCH_SKUS}, at most --skus`);
  return args;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
function assertLoopback(what: string, address: string): void {
  const host = new URL(address).hostname;
  if (!LOOPBACK.has(host))
    throw new Error(`${what} must point at this machine (got ${host}): benchmarks run locally only`);
}

// ---- floor server (child process) ----------------------------------------------------------------

const FLOOR_SQL = `
  SELECT s.sku, s.on_hand, s.reserved, s.safety_stock, s.reorder_quantity, s.updated_at,
         p.id AS po_id, p.quantity AS po_quantity, p.available_at_request AS po_available,
         p.safety_stock AS po_safety_stock, p.requested_at AS po_requested_at
  FROM stock_levels s
  LEFT JOIN purchase_order_requests p ON p.sku = s.sku AND p.status = 'OPEN'
  WHERE s.sku = $1`;

interface FloorRow {
  sku: string;
  on_hand: number;
  reserved: number;
  safety_stock: number;
  reorder_quantity: number;
  updated_at: Date;
  po_id: string | null;
  po_quantity: number;
  po_available: number;
  po_safety_stock: number;
  po_requested_at: Date;
}

/** The floor: what answering the read costs with nothing but Fastify and one pg query. */
async function serveFloor(): Promise<void> {
  const config = loadConfig();
  const pool = new Pool({ connectionString: config.DATABASE_URL, max: config.DATABASE_POOL_SIZE });
  const app = Fastify({ logger: false });
  app.get<{ Params: { sku: string } }>('/inventory/:sku', async (request, reply) => {
    const { rows } = await pool.query<FloorRow>(FLOOR_SQL, [request.params.sku.toUpperCase()]);
    const r = rows[0];
    if (!r) return reply.code(404).send({ status: 404 });
    return {
      sku: r.sku,
      onHand: r.on_hand,
      reserved: r.reserved,
      available: r.on_hand - r.reserved,
      safetyStock: r.safety_stock,
      reorderQuantity: r.reorder_quantity,
      updatedAt: r.updated_at.toISOString(),
      openPurchaseOrder: r.po_id
        ? {
            id: r.po_id,
            quantity: r.po_quantity,
            available: r.po_available,
            safetyStock: r.po_safety_stock,
            requestedAt: r.po_requested_at.toISOString(),
          }
        : null,
    };
  });
  await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
  const stop = () => {
    void app
      .close()
      .then(() => pool.end())
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The driver holds our stdin: when it goes, however it went, so do we.
  process.stdin.on('end', stop).resume();
}

// ---- load generator: keep-alive HTTP/1.1 on raw sockets (bench/lib/httpClient.ts) ----------------

interface Target {
  side: Side;
  port: number;
  pid: number;
  /** One prepared request per SKU. */
  requests: Buffer[];
}

function prepareRequests(port: number, skus: readonly string[], token: string): Buffer[] {
  return skus.map((sku) =>
    Buffer.from(
      `GET /inventory/${sku} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
        `Authorization: Bearer ${token}\r\nAccept: application/json\r\n\r\n`,
      'latin1',
    ),
  );
}

/** Random batches of `size` distinct SKUs, as prepared `GET /inventory?sku=...` requests. */
function prepareBatchRequests(port: number, skus: readonly string[], size: number, token: string): Buffer[] {
  return Array.from({ length: 500 }, () => {
    const picked = new Set<string>();
    while (picked.size < size) picked.add(skus[Math.floor(Math.random() * skus.length)]!);
    const query = [...picked].map((sku) => `sku=${sku}`).join('&');
    return Buffer.from(
      `GET /inventory?${query} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
        `Authorization: Bearer ${token}\r\nAccept: application/json\r\n\r\n`,
      'latin1',
    );
  });
}

interface Sample {
  latencies: number[];
  errors: number;
  firstError?: string;
  elapsedMs: number;
  serverCpuMs: number;
  postgresCpuMs: number;
  clientCpuMs: number;
}

/** `connections` loops issuing random reads until `seconds` have passed. */
async function load(target: Target, connections: number, seconds: number): Promise<Sample> {
  const conns = Array.from({ length: connections }, () => new Connection(target.port));
  await Promise.all(conns.map((c) => c.open()));
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const n = target.requests.length;
  const server0 = processCpuMs(target.pid);
  const postgres0 = postgresCpuMs();
  const client0 = process.cpuUsage();
  const start = performance.now();
  const deadline = start + seconds * 1000;
  await Promise.all(
    conns.map(async (conn) => {
      while (performance.now() < deadline) {
        const raw = target.requests[Math.floor(Math.random() * n)]!;
        const t = performance.now();
        try {
          const res = await conn.request(raw);
          if (res.status === 200) latencies.push(performance.now() - t);
          else {
            errors++;
            firstError ??= `HTTP ${res.status}: ${res.body.toString('utf8', 0, 300)}`;
          }
        } catch (err) {
          errors++;
          firstError ??= String(err);
          return;
        }
      }
    }),
  );
  const elapsedMs = performance.now() - start;
  const client = process.cpuUsage(client0);
  const sample: Sample = {
    latencies,
    errors,
    firstError,
    elapsedMs,
    serverCpuMs: processCpuMs(target.pid) - server0,
    postgresCpuMs: postgresCpuMs() - postgres0,
    clientCpuMs: (client.user + client.system) / 1000,
  };
  for (const c of conns) c.close();
  return sample;
}

async function fetchOnce(target: Target, index: number): Promise<HttpResponse> {
  const conn = new Connection(target.port);
  await conn.open();
  try {
    return await conn.request(target.requests[index]!);
  } finally {
    conn.close();
  }
}

// ---- CPU accounting from /proc -------------------------------------------------------------------

function ticksOf(pid: string | number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** CPU ms used so far by one process (0 where /proc is missing). */
function processCpuMs(pid: number): number {
  try {
    return ticksOf(pid) * 10; // USER_HZ is 100 on Linux
  } catch {
    return 0;
  }
}

/** CPU ms used so far by every Postgres process on the machine. */
function postgresCpuMs(): number {
  let ticks = 0;
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return 0;
  }
  for (const pid of pids) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (/^postgres|\/postgres /.test(cmd)) ticks += ticksOf(pid);
    } catch {
      // The process ended meanwhile.
    }
  }
  return ticks * 10;
}

// ---- statistics ------------------------------------------------------------------------------------

interface Stats {
  requests: number;
  errors: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** CPU µs per request: the server process, all of Postgres, this load generator. */
  serverCpuUs: number;
  postgresCpuUs: number;
  clientCpuUs: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function merge(samples: Sample[]): Stats {
  const sum = (f: (s: Sample) => number) => samples.reduce((a, s) => a + f(s), 0);
  const sorted = Float64Array.from(samples.flatMap((s) => s.latencies)).sort();
  const requests = sorted.length;
  const perRequest = (ms: number) => (requests > 0 ? (ms * 1000) / requests : NaN);
  return {
    requests,
    errors: sum((s) => s.errors),
    rps: (requests / sum((s) => s.elapsedMs)) * 1000,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
    serverCpuUs: perRequest(sum((s) => s.serverCpuMs)),
    postgresCpuUs: perRequest(sum((s) => s.postgresCpuMs)),
    clientCpuUs: perRequest(sum((s) => s.clientCpuMs)),
  };
}

const fixed = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : '-');
const pad = (cells: string[], widths: number[]) =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');

function printTables(results: Record<number, Record<Side, Stats>>): void {
  const w1 = [5, 11, 10, 6, 9, 8, 9, 8];
  console.log('\nGET /inventory/:sku: throughput and latency (ms), real vs floor');
  console.log(
    pad(
      ['conns', 'floor req/s', 'real req/s', 'ratio', 'floor p50', 'real p50', 'floor p99', 'real p99'],
      w1,
    ),
  );
  for (const [conns, r] of Object.entries(results)) {
    console.log(
      pad(
        [
          conns,
          fixed(r.floor.rps, 0),
          fixed(r.real.rps, 0),
          fixed(r.real.rps / r.floor.rps, 2),
          fixed(r.floor.p50, 2),
          fixed(r.real.p50, 2),
          fixed(r.floor.p99, 2),
          fixed(r.real.p99, 2),
        ],
        w1,
      ),
    );
  }
  const w2 = [5, 5, 9, 6, 13, 13, 13];
  console.log(
    '\nCPU µs per request (server process / all of Postgres / this load generator), requests, errors',
  );
  console.log(pad(['conns', 'side', 'requests', 'errors', 'server µs', 'postgres µs', 'client µs'], w2));
  for (const [conns, r] of Object.entries(results)) {
    for (const side of SIDES) {
      const s = r[side];
      console.log(
        pad(
          [
            conns,
            side,
            String(s.requests),
            String(s.errors),
            fixed(s.serverCpuUs, 0),
            fixed(s.postgresCpuUs, 0),
            fixed(s.clientCpuUs, 0),
          ],
          w2,
        ),
      );
    }
  }
}

function printBatchTables(
  results: Record<number, Record<Side, Stats>>,
  batches: Record<number, Record<number, Stats>>,
  sizes: number[],
): void {
  if (sizes.length === 0) return;
  const w = [5, 5, 15, 13, 13, 9, 9, 13];
  console.log(
    '\nGET /inventory?sku=...: SKU-levels per second (a single read is one SKU-level), latency (ms)',
  );
  console.log(
    pad(
      ['conns', 'batch', 'SKU-levels/s', '× real single', '× floor single', 'p50', 'p99', 'server µs/SKU'],
      w,
    ),
  );
  for (const [conns, bySize] of Object.entries(batches)) {
    const single = results[Number(conns)]!;
    for (const size of sizes) {
      const b = bySize[size]!;
      const levels = b.rps * size;
      console.log(
        pad(
          [
            conns,
            String(size),
            fixed(levels, 0),
            fixed(levels / single.real.rps, 2),
            fixed(levels / single.floor.rps, 2),
            fixed(b.p50, 2),
            fixed(b.p99, 2),
            fixed(b.serverCpuUs / size, 1),
          ],
          w,
        ),
      );
    }
  }
}

// ---- orchestration -------------------------------------------------------------------------------

async function waitListening(child: ChildProcess, port: number, what: string): Promise<void> {
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not listen on 127.0.0.1:${port} within 60 s`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

async function seed(databaseUrl: string, count: number): Promise<string[]> {
  const db = new PgClient({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query(
      `INSERT INTO stock_levels (sku, on_hand, reserved, safety_stock, reorder_quantity, version, updated_at)
       SELECT 'BENCH-' || lpad(i::text, 5, '0'), oh, floor(random() * oh)::int, 10, 50,
              floor(random() * 20)::int, now() - random() * interval '30 days'
       FROM generate_series(0, $1::int - 1) AS i, LATERAL (SELECT 20 + floor(random() * 10000)::int AS oh) v`,
      [count],
    );
    // One SKU in twenty has an open purchase-order request, so both sides build openPurchaseOrder.
    await db.query(
      `INSERT INTO purchase_order_requests
         (id, sku, status, quantity, available_at_request, safety_stock, reorder_quantity, requested_at)
       SELECT gen_random_uuid(), sku, 'OPEN', 55, 5, 10, 50, now() - interval '1 day'
       FROM stock_levels WHERE right(sku, 2)::int % 20 = 0`,
    );
    await db.query('ANALYZE');
  } finally {
    await db.end();
  }
  return Array.from({ length: count }, (_, i) => `BENCH-${String(i).padStart(5, '0')}`);
}

async function main(): Promise<void> {
  if (process.argv[2] === '--serve-floor') return serveFloor();
  const args = parseArgs(process.argv.slice(2));
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'warn' });
  assertLoopback('DATABASE_URL', config.DATABASE_URL);

  const dbName = `inventory_bench_reads_${Date.now().toString(36)}`;
  const dbUrl = new URL(config.DATABASE_URL);
  dbUrl.pathname = `/${dbName}`;
  const databaseUrl = dbUrl.toString();
  const admin = new PgClient({ connectionString: config.DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  const children: ChildProcess[] = [];
  let stopping = false;
  const cleanup = async () => {
    stopping = true;
    await Promise.all(children.map(stopChild));
    if (!args.keepDb) await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
  };
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    console.error('interrupted: stopping the servers and dropping the database');
    void cleanup().finally(() => process.exit(130));
  });

  try {
    await applyMigrations(databaseUrl, join(__dirname, '..', 'prisma', 'migrations'));
    const skus = await seed(databaseUrl, args.skus);
    // A secret of this run's own, handed to the service below.
    const secret = randomBytes(32).toString('hex');
    const token = await mintToken(jwtSettingsFrom({ ...config, AUTH_JWT_SECRET: secret }), {
      scopes: ['inventory:read'],
      ttlSeconds: 3600,
      subject: 'bench-stock-reads',
    });

    const env = { ...process.env, DATABASE_URL: databaseUrl, HOST: '127.0.0.1', AUTH_JWT_SECRET: secret };
    const ports = { floor: await freePort(), real: await freePort() };
    const floor = spawn(process.execPath, [...process.execArgv, __filename, '--serve-floor'], {
      env: { ...env, PORT: String(ports.floor) },
      stdio: ['pipe', 'inherit', 'inherit'],
    });
    children.push(floor);
    const realLog = args.realLog ? openSync(args.realLog, 'w') : 'ignore';
    // The service's own entrypoint, as `npm start` runs it, with the api role only (no Temporal
    // connection is made until a reservation is requested). Its request log goes to /dev/null.
    const real = spawn(
      process.execPath,
      [
        ...process.execArgv,
        ...(args.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${args.cpuProf}`] : []),
        join(__dirname, '..', 'src', 'main', 'index.ts'),
      ],
      {
        env: { ...env, PORT: String(ports.real), ROLES: 'api' },
        stdio: ['ignore', realLog, 'inherit'],
      },
    );
    if (typeof realLog === 'number') closeSync(realLog);
    children.push(real);
    for (const [what, child] of [
      ['the floor server', floor],
      ['the service', real],
    ] as const) {
      child.once('exit', (code, signal) => {
        if (!stopping) console.error(`${what} exited unexpectedly (code ${code}, signal ${signal})`);
      });
    }
    await Promise.all([
      waitListening(floor, ports.floor, 'the floor server'),
      waitListening(real, ports.real, 'the service'),
    ]);

    const targets: Record<Side, Target> = {
      floor: {
        side: 'floor',
        port: ports.floor,
        pid: floor.pid!,
        requests: prepareRequests(ports.floor, skus, token),
      },
      real: {
        side: 'real',
        port: ports.real,
        pid: real.pid!,
        requests: prepareRequests(ports.real, skus, token),
      },
    };
    // Same answer from both, for a SKU with and one without an open purchase order.
    for (const index of [0, 1]) {
      const [f, r] = await Promise.all([fetchOnce(targets.floor, index), fetchOnce(targets.real, index)]);
      const fb: unknown = JSON.parse(f.body.toString());
      const rb: unknown = JSON.parse(r.body.toString());
      if (f.status !== 200 || r.status !== 200 || !isDeepStrictEqual(fb, rb)) {
        throw new Error(
          `floor and real disagree on ${skus[index]}:\n  floor ${f.status} ${JSON.stringify(fb)}\n  real  ${r.status} ${JSON.stringify(rb)}`,
        );
      }
    }

    // The batch read answers each SKU exactly as the single read does.
    if (args.batches.length > 0) {
      const conn = new Connection(ports.real);
      await conn.open();
      try {
        const path = `/inventory?sku=${skus[0]}&sku=${skus[1]}&sku=NO-SUCH-SKU`;
        const res = await conn.request(
          Buffer.from(
            `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n\r\n`,
            'latin1',
          ),
        );
        const batch = JSON.parse(res.body.toString()) as { items: unknown[]; unknown: string[] };
        const singles = await Promise.all(
          [0, 1].map(async (i) => JSON.parse((await fetchOnce(targets.real, i)).body.toString()) as unknown),
        );
        if (
          res.status !== 200 ||
          !isDeepStrictEqual(batch.items, singles) ||
          !isDeepStrictEqual(batch.unknown, ['NO-SUCH-SKU'])
        ) {
          throw new Error(
            `the batch read disagrees with the single reads: ${res.status} ${res.body.toString()}`,
          );
        }
      } finally {
        conn.close();
      }
    }
    const batchTargets = args.batches.map((size) => ({
      size,
      target: {
        side: 'real' as const,
        port: ports.real,
        pid: real.pid!,
        requests: prepareBatchRequests(ports.real, skus, size, token),
      },
    }));

    console.log(
      `${args.skus} SKUs, ${args.duration} s per side per level in ${args.rounds} alternating rounds ` +
        `after ${args.warmup} s of warm-up; pool ${config.DATABASE_POOL_SIZE}, ` +
        `LOG_LEVEL=${process.env.LOG_LEVEL ?? 'info'} on the real side; database ${dbName}`,
    );
    const results: Record<number, Record<Side, Stats>> = {};
    const batchResults: Record<number, Record<number, Stats>> = {};
    for (const conns of args.connections) {
      if (interrupted) return;
      for (const side of SIDES) if (args.warmup > 0) await load(targets[side], conns, args.warmup);
      for (const b of batchTargets) if (args.warmup > 0) await load(b.target, conns, args.warmup);
      const samples: Record<Side, Sample[]> = { floor: [], real: [] };
      const batchSamples: Record<number, Sample[]> = Object.fromEntries(args.batches.map((b) => [b, []]));
      for (let round = 0; round < args.rounds && !interrupted; round++) {
        const order = round % 2 === 0 ? SIDES : [...SIDES].reverse();
        for (const side of order) {
          const sample = await load(targets[side], conns, args.duration / args.rounds);
          if (sample.firstError)
            console.warn(`  ${side}@${conns}: ${sample.errors} errors, first: ${sample.firstError}`);
          samples[side].push(sample);
        }
        // The batch variants run in the same rounds, after the two sides, in rotating order.
        for (let i = 0; i < batchTargets.length && !interrupted; i++) {
          const b = batchTargets[(i + round) % batchTargets.length]!;
          const sample = await load(b.target, conns, args.duration / args.rounds);
          if (sample.firstError)
            console.warn(`  batch ${b.size}@${conns}: ${sample.errors} errors, first: ${sample.firstError}`);
          batchSamples[b.size]!.push(sample);
        }
      }
      batchResults[conns] = Object.fromEntries(
        Object.entries(batchSamples).map(([size, list]) => [size, merge(list)]),
      );
      results[conns] = { floor: merge(samples.floor), real: merge(samples.real) };
      const r = results[conns];
      console.log(
        `  ${conns} conns: floor ${fixed(r.floor.rps, 0)} req/s, real ${fixed(r.real.rps, 0)} req/s ` +
          `(ratio ${fixed(r.real.rps / r.floor.rps, 2)})`,
      );
    }
    printTables(results);
    printBatchTables(results, batchResults, args.batches);
    if (args.json) {
      writeFileSync(args.json, JSON.stringify({ args, results, batches: batchResults }, null, 2));
    }
  } finally {
    if (!interrupted) await cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
