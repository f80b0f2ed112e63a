/**
 * Reserve latency: the real reserve path (TemporalReservationOrchestrator → Update-With-Start →
 * reserve activity → one Postgres transaction) against its floor (the same Update-With-Start whose
 * update runs a no-op local activity), measured in the same run, interleaved, at several levels of
 * concurrency. Also: `shape` (the floor plus the reservation workflow's search-attribute writes and
 * TTL timer, no database), the reserve activity as a regular activity, the use case alone (`db`, no
 * Temporal), `http` (POST /inventory/:sku/reserve on the real service, src/main/index.ts with roles
 * api,worker in a child process, its own task queue: the contract's SLA is < 50 ms), and the
 * background steps (cancel, confirm) and the release update, local vs regular.
 *
 *   npx tsx bench/reserve-latency.ts [--requests 1000] [--levels 1,8,32] [--rounds 100] [--settle 60]
 *                                    [--variants floor,shape,local,regular,db,http] [--json out.json]
 *                                    [--unit-of-work pg|prisma] [--keep-db]
 *
 * Fairness: one in-process worker (same options) serves floor, shape, local and regular; every
 * variant is warmed up; variants alternate in rounds whose order rotates, so machine noise and drift
 * hit all alike (at most --rounds rounds; a round holds at least 4 × callers requests, so each is
 * mostly steady state rather than one burst: 100 rounds of 10 at 1 caller, 31 of 33 at 8, 7 of 143 at
 * 32); 1000 requests per variant and level make p99 the 10th slowest. `--json` also keeps every
 * latency, per round. `--unit-of-work prisma` runs the commands on
 * PrismaUnitOfWork instead of the container's PgUnitOfWork (the before/after of docs/temporal.md).
 *
 * Diagnostic variants (not in the default set): f-sa (floor + search attributes at start), f-upsert
 * (floor + upsert), f-timer (floor + timer), f-nosa (shape without the start attributes), db-prisma
 * (`db` on PrismaUnitOfWork, to compare the two units of work in one run). Per level
 * it also prints the reserve activity's own duration inside the worker, and CPU ms per request of
 * this process (plus the service process for `http`), the Temporal server and Postgres (from /proc,
 * Linux; the servers' columns include anything else using them meanwhile).
 *
 * Loopback only: it refuses a DATABASE_URL or TEMPORAL_ADDRESS that is not 127.0.0.1/localhost. It
 * creates (and drops) its own database and task queue; its workflows are terminated at the end.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { asFunction } from 'awilix';
import { Client as PgClient } from 'pg';
import { jwtSettingsFrom, mintToken } from '../src/adapters/http/auth';
import { applyMigrations } from '../src/adapters/prisma/MigrationApplier';
import { PrismaUnitOfWork } from '../src/adapters/prisma/PrismaUnitOfWork';
import { TemporalOrderSignals } from '../src/adapters/temporal/TemporalOrderSignals';
import { TemporalReservationOrchestrator } from '../src/adapters/temporal/TemporalReservationOrchestrator';
import { createReservationWorker } from '../src/adapters/temporal/worker';
import type { ReserveOutcome } from '../src/application/contracts';
import { loadConfig, type Config } from '../src/config';
import { createPersistenceContainer } from '../src/container/persistence';
import { registerTemporal } from '../src/container/temporal';
import { ServiceProcess } from '../test/support/serviceProcess';
import { reservationWorkflowId, SearchAttributeKeys } from '../workflows/shared';
import type { reservationWorkflow } from '../workflows/reservation';
import { floorReserve, type FloorInput, type floorWorkflow } from './workflows';

type Variant =
  | 'floor'
  | 'shape'
  | 'local'
  | 'regular'
  | 'db'
  | 'db-prisma'
  | 'http'
  | 'f-sa'
  | 'f-upsert'
  | 'f-timer'
  | 'f-nosa';
const ALL_VARIANTS: Variant[] = ['floor', 'shape', 'local', 'regular', 'db', 'http'];
const DIAGNOSTIC_VARIANTS: Variant[] = ['f-sa', 'f-upsert', 'f-timer', 'f-nosa', 'db-prisma'];

interface Args {
  requests: number;
  levels: number[];
  rounds: number;
  settle: number;
  variants: Variant[];
  json?: string;
  keepDb: boolean;
  skus: number;
  unitOfWork: 'pg' | 'prisma';
}

function parseArgs(argv: string[]): Args {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const args: Args = {
    requests: Number(get('requests') ?? 1000),
    levels: (get('levels') ?? '1,8,32').split(',').map(Number),
    rounds: Number(get('rounds') ?? 100),
    settle: Number(get('settle') ?? 60),
    variants: (get('variants')?.split(',') as Variant[] | undefined) ?? ALL_VARIANTS,
    json: get('json'),
    keepDb: argv.includes('--keep-db'),
    skus: Number(get('skus') ?? 64),
    unitOfWork: (get('unit-of-work') ?? 'pg') as Args['unitOfWork'],
  };
  if (!['pg', 'prisma'].includes(args.unitOfWork)) throw new Error('--unit-of-work: pg or prisma');
  if (args.requests < 1 || args.requests > 2000)
    throw new Error('--requests must be 1..2000 (a bounded run)');
  if (args.levels.some((l) => !Number.isInteger(l) || l < 1 || l > 64))
    throw new Error('--levels: integers 1..64');
  if (args.variants.some((v) => !ALL_VARIANTS.includes(v) && !DIAGNOSTIC_VARIANTS.includes(v)))
    throw new Error(`--variants: ${ALL_VARIANTS.join(',')}`);
  return args;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
function assertLoopback(what: string, address: string): void {
  const host = new URL(address.includes('://') ? address : `tcp://${address}`).hostname;
  if (!LOOPBACK.has(host))
    throw new Error(`${what} must point at this machine (got ${host}): benchmarks run locally only`);
}

/**
 * CPU time (ms) used so far by each process whose command line matches (or whose pid is given), from
 * /proc (Linux; empty elsewhere). Includes other users of the same servers, so read it on a quiet
 * machine.
 */
function processCpuMs(match: RegExp | number): Map<string, number> {
  const out = new Map<string, number>();
  let pids: string[] = [];
  try {
    pids = typeof match === 'number' ? [String(match)] : readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      if (typeof match !== 'number') {
        if (!match.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '))) continue;
      }
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(pid, (Number(fields[11]) + Number(fields[12])) * 10); // USER_HZ is 100 on Linux
    } catch {
      // The process ended meanwhile.
    }
  }
  return out;
}
/** CPU ms between two readings, per process (one that ended meanwhile is lost, never negative). */
function cpuDelta(before: Map<string, number>, after: Map<string, number>): number {
  let ms = 0;
  for (const [pid, now] of after) ms += Math.max(0, now - (before.get(pid) ?? 0));
  return ms;
}
const TEMPORAL_SERVER = /temporal server start-dev/;
const POSTGRES = /^postgres|\/postgres /;
/** The `http` variant's service process, when running: its CPU counts with this process's. */
let servicePid: number | undefined;

interface Stats {
  n: number;
  errors: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  throughput: number;
  /** This process's CPU time over wall time (1.0 = one core busy). */
  cpu: number;
  /** CPU ms per request: this process (client + worker), the Temporal server, Postgres. */
  cpuPerRequest?: { bench: number; temporal: number; postgres: number };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summarize(latencies: number[], errors: number, elapsedMs: number, cpuMs: number): Stats {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    n: latencies.length,
    errors,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
    throughput: (latencies.length / elapsedMs) * 1000,
    cpu: cpuMs / elapsedMs,
  };
}

interface Sample {
  latencies: number[];
  errors: number;
  elapsedMs: number;
  cpuMs: number;
  temporalCpuMs: number;
  postgresCpuMs: number;
  firstError?: unknown;
}

/** `count` calls with at most `concurrency` in flight; each call's latency in ms. */
async function pool(count: number, concurrency: number, call: (i: number) => Promise<void>): Promise<Sample> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: unknown;
  let next = 0;
  const cpu0 = process.cpuUsage();
  const service0 = servicePid ? processCpuMs(servicePid) : new Map<string, number>();
  const temporal0 = processCpuMs(TEMPORAL_SERVER);
  const postgres0 = processCpuMs(POSTGRES);
  const start = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      for (let i = next++; i < count; i = next++) {
        const t = performance.now();
        try {
          await call(i);
          latencies.push(performance.now() - t);
        } catch (error) {
          errors++;
          firstError ??= error;
        }
      }
    }),
  );
  const elapsedMs = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  return {
    latencies,
    errors,
    elapsedMs,
    cpuMs: (cpu.user + cpu.system) / 1000 + (servicePid ? cpuDelta(service0, processCpuMs(servicePid)) : 0),
    temporalCpuMs: cpuDelta(temporal0, processCpuMs(TEMPORAL_SERVER)),
    postgresCpuMs: cpuDelta(postgres0, processCpuMs(POSTGRES)),
    firstError,
  };
}

function merge(samples: Sample[]): Stats {
  const sum = (f: (s: Sample) => number) => samples.reduce((a, s) => a + f(s), 0);
  const stats = summarize(
    samples.flatMap((s) => s.latencies),
    sum((s) => s.errors),
    sum((s) => s.elapsedMs),
    sum((s) => s.cpuMs),
  );
  const n = stats.n + stats.errors;
  stats.cpuPerRequest = {
    bench: sum((s) => s.cpuMs) / n,
    temporal: sum((s) => s.temporalCpuMs) / n,
    postgres: sum((s) => s.postgresCpuMs) / n,
  };
  return stats;
}

const num = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : '-');
const ms = (v: number) => num(v, 1);

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const base = loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  assertLoopback('TEMPORAL_ADDRESS', base.TEMPORAL_ADDRESS);
  assertLoopback('DATABASE_URL', base.DATABASE_URL);

  const runId = Date.now().toString(36);
  const dbName = `inventory_bench_${runId}`;
  const dbUrl = new URL(base.DATABASE_URL);
  dbUrl.pathname = `/${dbName}`;
  const admin = new PgClient({ connectionString: base.DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  try {
    await applyMigrations(dbUrl.toString(), join(__dirname, '..', 'prisma', 'migrations'));
    await run(args, runId, dbName, dbUrl.toString());
  } finally {
    if (!args.keepDb) await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
  }
}

async function run(args: Args, runId: string, dbName: string, databaseUrl: string): Promise<void> {
  const taskQueue = `bench-reserve-${runId}`;
  const config = loadConfig({
    ...process.env,
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    TEMPORAL_TASK_QUEUE: taskQueue,
  });
  const container = registerTemporal(createPersistenceContainer(config));
  if (args.unitOfWork === 'prisma') {
    container.register({
      unitOfWork: asFunction(({ prisma }) => new PrismaUnitOfWork({ prisma })).scoped(),
    });
  }
  const skus = Array.from({ length: args.skus }, (_, i) => `BENCH-${String(i).padStart(3, '0')}`);
  for (const sku of skus) {
    const scope = container.createScope();
    await scope.resolve('inventoryService').setLevels({ sku, onHand: 1_000_000 });
    await scope.dispose();
  }

  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('./workflows'),
    logger: new DefaultLogger('WARN'),
  });
  // Time spent inside reserveStock, per variant (the order id carries the variant's letter).
  const activityMs: Record<string, number[]> = {};
  const worker = await createReservationWorker({
    container,
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue,
    workflowBundle,
    extraActivities: { noop: async () => undefined },
    workerOptions: {
      interceptors: {
        activity: [
          (ctx) => ({
            inbound: {
              async execute(input, next) {
                const t = performance.now();
                try {
                  return await next(input);
                } finally {
                  const orderId = (input.args[0] as { orderId?: string } | undefined)?.orderId ?? '';
                  const letter = /-([LR])\d+$/.exec(orderId)?.[1];
                  if (ctx.info.activityType === 'reserveStock' && letter) {
                    (activityMs[letter] ??= []).push(performance.now() - t);
                  }
                }
              },
            },
          }),
        ],
      },
    },
  });
  const running = worker.run();
  const client: Client = container.resolve('temporalClient');
  const local = container.resolve('orchestrator');
  const regular = new TemporalReservationOrchestrator({
    client,
    taskQueue,
    releaseDirectly: async () => ({ kind: 'not-found' }),
    activities: { interactive: 'regular', background: 'regular' },
  });
  const localBackground = new TemporalReservationOrchestrator({
    client,
    taskQueue,
    releaseDirectly: async () => ({ kind: 'not-found' }),
    activities: { interactive: 'local', background: 'local' },
  });
  const signals = new TemporalOrderSignals({ client });
  const started: string[] = [];
  const http = args.variants.includes('http') ? await startHttpService(config, runId) : undefined;
  let seq = 0;
  const sku = () => skus[seq % skus.length]!;
  const expectReserved = (o: ReserveOutcome) => {
    if (o.kind !== 'reserved') throw new Error(`reserve answered ${o.kind}`);
  };

  const floorCall = async (shape: boolean, input: FloorInput = { shape }, startSa = shape) => {
    const workflowId = `bench-floor-${runId}-${seq++}`;
    started.push(workflowId);
    await client.workflow.executeUpdateWithStart(floorReserve, {
      args: [{}],
      startWorkflowOperation: new WithStartWorkflowOperation<typeof floorWorkflow>('floorWorkflow', {
        workflowId,
        taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        ...(startSa
          ? {
              typedSearchAttributes: [
                { key: SearchAttributeKeys.orderId, value: workflowId },
                { key: SearchAttributeKeys.status, value: 'PENDING' },
              ],
            }
          : {}),
      }),
    });
  };
  /** The use case alone, on the container's unit of work or on PrismaUnitOfWork. */
  const dbCall = async (prisma: boolean) => {
    const scope = container.createScope();
    if (prisma) {
      scope.register({
        unitOfWork: asFunction(({ prisma: client }) => new PrismaUnitOfWork({ prisma: client })).scoped(),
      });
    }
    try {
      const orderId = `bench-${runId}-D${seq++}`;
      expectReserved(
        await scope
          .resolve('inventoryService')
          .reserve({ orderId, lines: [{ sku: sku(), quantity: 1 }], ttlSeconds: 3600 }),
      );
    } finally {
      await scope.dispose();
    }
  };
  const calls: Record<Variant, () => Promise<void>> = {
    floor: () => floorCall(false),
    shape: () => floorCall(true),
    'f-sa': () => floorCall(false, {}, true),
    'f-upsert': () => floorCall(false, { upsert: true }),
    'f-timer': () => floorCall(false, { timer: true }),
    'f-nosa': () => floorCall(false, { shape: true }, false),
    local: async () => {
      const orderId = `bench-${runId}-L${seq++}`;
      started.push(reservationWorkflowId(orderId));
      expectReserved(
        await local.reserve({ orderId, lines: [{ sku: sku(), quantity: 1 }], ttlSeconds: 3600 }),
      );
    },
    regular: async () => {
      const orderId = `bench-${runId}-R${seq++}`;
      started.push(reservationWorkflowId(orderId));
      expectReserved(
        await regular.reserve({ orderId, lines: [{ sku: sku(), quantity: 1 }], ttlSeconds: 3600 }),
      );
    },
    http: async () => {
      const orderId = `bench-${runId}-H${seq++}`;
      started.push(reservationWorkflowId(orderId));
      await http!.reserve(sku(), orderId);
    },
    db: () => dbCall(false),
    'db-prisma': () => dbCall(true),
  };

  const results: Record<string, Record<string, Stats>> = {};
  const raw: Record<string, Record<string, number[][]>> = {};
  try {
    console.log(`warming up (task queue ${taskQueue}, database ${dbName})`);
    for (const v of args.variants) await pool(30, 4, () => calls[v]());
    activityMs.L = [];
    activityMs.R = [];

    for (const level of args.levels) {
      // At least 4 × callers per round: mostly steady state, not one burst of simultaneous starts.
      const rounds = Math.max(2, Math.min(args.rounds, Math.floor(args.requests / (4 * level))));
      const perRound = Math.ceil(args.requests / rounds);
      const samples = Object.fromEntries(args.variants.map((v) => [v, [] as Sample[]])) as Record<
        Variant,
        Sample[]
      >;
      for (let round = 0; round < rounds; round++) {
        // Rotate the order each round so that drift (server state growing) hits every variant alike.
        const order = args.variants.map((_, i) => args.variants[(i + round) % args.variants.length]!);
        for (const v of order) {
          const sample = await pool(perRound, level, () => calls[v]());
          if (sample.firstError) console.warn(`  ${v}@${level}: ${String(sample.firstError)}`);
          samples[v].push(sample);
        }
      }
      results[`c${level}`] = Object.fromEntries(args.variants.map((v) => [v, merge(samples[v])]));
      raw[`c${level}`] = Object.fromEntries(
        args.variants.map((v) => [
          v,
          samples[v].map((x) => x.latencies.map((l) => Math.round(l * 100) / 100)),
        ]),
      );
      for (const [letter, name] of [
        ['L', 'activity(local)'],
        ['R', 'activity(regular)'],
      ] as const) {
        if (activityMs[letter]?.length)
          results[`c${level}`]![name] = summarize(activityMs[letter]!, 0, NaN, 0);
        activityMs[letter] = [];
      }
      printLevel(level, results[`c${level}`]!);
    }
    printSummary(results, args.levels);

    results.settle = await measureSettle(
      args.settle,
      { local: localBackground, regular },
      signals,
      client,
      sku,
      started,
      runId,
    );
    printSettle(results.settle);
    if (args.json) writeFileSync(args.json, JSON.stringify({ runId, args, results, raw }));
  } finally {
    console.log(`terminating ${started.length} benchmark workflows...`);
    await pool(started.length, 16, async (i) => {
      await client.workflow
        .getHandle(started[i]!)
        .terminate('benchmark finished')
        .catch(() => undefined);
    });
    await http?.stop();
    await worker.shutdown();
    await running.catch(() => undefined);
    await connection.close();
    await container.dispose();
  }
}

function printLevel(level: number, stats: Record<string, Stats>): void {
  console.log(`\nconcurrency ${level}`);
  console.log(
    'variant           n     err  p50(ms)  p95(ms)  p99(ms)  max(ms)  req/s  CPU ms/request: bench temporal postgres',
  );
  for (const [v, s] of Object.entries(stats)) {
    console.log(
      `${v.padEnd(17)} ${String(s.n).padEnd(5)} ${String(s.errors).padEnd(4)} ${ms(s.p50).padStart(7)}  ${ms(s.p95).padStart(7)}  ${ms(s.p99).padStart(7)}  ${ms(s.max).padStart(7)}  ${num(s.throughput, 0).padStart(5)}  ${s.cpuPerRequest ? ['bench', 'temporal', 'postgres'].map((k) => num(s.cpuPerRequest![k as 'bench'], 1).padStart(k.length + (k === 'bench' ? 16 : 1))).join('') : ''}`,
    );
  }
  const floor = stats.floor;
  for (const v of ['shape', 'local', 'regular'] as const) {
    const real = stats[v];
    if (floor && real) {
      console.log(
        `  ${v}/floor: p50 ×${(real.p50 / floor.p50).toFixed(2)}, p99 ×${(real.p99 / floor.p99).toFixed(2)}, throughput ×${(real.throughput / floor.throughput).toFixed(2)}`,
      );
    }
  }
  if (stats.http) {
    console.log(
      `  http (POST /inventory/:sku/reserve, SLA < 50 ms): p50 ${ms(stats.http.p50)}, p95 ${ms(stats.http.p95)}, p99 ${ms(stats.http.p99)} ms`,
    );
  }
}

/** The issue's table: floor vs the real path (and HTTP) per level, ready for docs/temporal.md. */
function printSummary(results: Record<string, Record<string, Stats>>, levels: number[]): void {
  const triple = (s: Stats | undefined) => (s ? `${ms(s.p50)} / ${ms(s.p95)} / ${ms(s.p99)}` : '-');
  const ratio = (a: Stats | undefined, b: Stats | undefined, k: 'p50' | 'p99') =>
    a && b ? `×${(a[k] / b[k]).toFixed(2)}` : '-';
  console.log(
    '\n| callers | floor p50 / p95 / p99 (ms) | local p50 / p95 / p99 | local ÷ floor p50, p99 | http p50 / p95 / p99 |',
  );
  console.log(
    '| ------- | -------------------------- | --------------------- | --------------------- | -------------------- |',
  );
  for (const level of levels) {
    const r = results[`c${level}`] ?? {};
    console.log(
      `| ${level} | ${triple(r.floor)} | ${triple(r.local)} | ${ratio(r.local, r.floor, 'p50')}, ${ratio(r.local, r.floor, 'p99')} | ${triple(r.http)} |`,
    );
  }
}

/**
 * The real service (src/main/index.ts, roles api and worker, its own task queue) on the bench's
 * database, and a client of its reserve endpoint with a token it accepts.
 */
async function startHttpService(config: Config, runId: string) {
  const secret = randomBytes(32).toString('hex');
  const jwt = { AUTH_JWT_ISSUER: config.AUTH_JWT_ISSUER, AUTH_JWT_AUDIENCE: config.AUTH_JWT_AUDIENCE };
  const service = await ServiceProcess.start({
    databaseUrl: config.DATABASE_URL,
    amqpUrl: config.AMQP_URL,
    jwtSecret: secret,
    taskQueue: `bench-http-${runId}`,
    env: { ROLES: 'api,worker', DATABASE_POOL_SIZE: String(config.DATABASE_POOL_SIZE), ...jwt },
  });
  servicePid = service.pid;
  const token = await mintToken(jwtSettingsFrom({ AUTH_JWT_SECRET: secret, ...jwt }), {
    scopes: ['inventory:reserve'],
    ttlSeconds: 6 * 3600,
    subject: 'bench',
  });
  return {
    async reserve(sku: string, orderId: string): Promise<void> {
      const res = await fetch(`${service.url}/inventory/${encodeURIComponent(sku)}/reserve`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ orderId, quantity: 1, ttlSeconds: 3600 }),
      });
      const body = await res.text();
      if (res.status !== 201) throw new Error(`reserve answered HTTP ${res.status}: ${body.slice(0, 200)}`);
    },
    async stop(): Promise<void> {
      servicePid = undefined;
      await service.stop({ expectExitCode: null });
    },
  };
}

/**
 * The steps nobody waits for synchronously, local vs regular activities: cancel (release) and confirm,
 * from the signal to the workflow's completion; and the HTTP release update (interactive placement).
 */
async function measureSettle(
  count: number,
  orchestrators: Record<'local' | 'regular', TemporalReservationOrchestrator>,
  signals: TemporalOrderSignals,
  client: Client,
  sku: () => string,
  started: string[],
  runId: string,
): Promise<Record<string, Stats>> {
  const out: Record<string, Stats> = {};
  let n = 0;
  for (const [placement, orchestrator] of Object.entries(orchestrators)) {
    for (const step of ['cancel', 'confirm', 'release-update'] as const) {
      const orders = Array.from({ length: count }, () => `bench-${runId}-S${placement[0]}${n++}`);
      await pool(orders.length, 8, async (i) => {
        started.push(reservationWorkflowId(orders[i]!));
        const o = await orchestrator.reserve({
          orderId: orders[i]!,
          lines: [{ sku: sku(), quantity: 1 }],
          ttlSeconds: 3600,
        });
        if (o.kind !== 'reserved') throw new Error(o.kind);
      });
      const sample = await pool(orders.length, 8, async (i) => {
        const orderId = orders[i]!;
        const handle = client.workflow.getHandle<typeof reservationWorkflow>(reservationWorkflowId(orderId));
        if (step === 'cancel') await signals.cancel(orderId);
        if (step === 'confirm') await signals.confirm(orderId);
        if (step === 'release-update') {
          await orchestrator.release({ orderId, reason: 'released' });
          return;
        }
        await handle.result();
      });
      out[`${step}/${placement}`] = merge([sample]);
    }
  }
  return out;
}

function printSettle(stats: Record<string, Stats>): void {
  console.log('\nsettle steps at concurrency 8 (signal → workflow completed; release-update: the HTTP call)');
  console.log('step/placement          n     p50(ms)  p99(ms)  req/s');
  for (const [k, s] of Object.entries(stats)) {
    console.log(
      `${k.padEnd(23)} ${String(s.n).padEnd(5)} ${ms(s.p50).padStart(7)}  ${ms(s.p99).padStart(7)}  ${s.throughput.toFixed(0).padStart(5)}`,
    );
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
