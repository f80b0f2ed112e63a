/**
 * Reserve latency: the real reserve path (TemporalReservationOrchestrator → Update-With-Start →
 * reserve activity → one Postgres transaction) against its floor (the same Update-With-Start whose
 * update runs a no-op local activity), measured in the same run, interleaved, at several levels of
 * concurrency. Also: `shape` (the floor plus the reservation workflow's search-attribute writes and
 * TTL timer, no database), the reserve activity as a regular activity, the use case alone (`db`, no
 * Temporal), and the background steps (cancel, confirm) and the release update, local vs regular.
 *
 *   npx tsx bench/reserve-latency.ts [--requests 300] [--levels 1,8,32] [--rounds 10] [--settle 60]
 *                                    [--variants floor,shape,local,regular,db] [--json out.json] [--keep-db]
 *
 * Diagnostic variants (not in the default set): f-sa (floor + search attributes at start), f-upsert
 * (floor + upsert), f-timer (floor + timer), f-nosa (shape without the start attributes). Per level
 * it also prints the reserve activity's own duration inside the worker, and CPU ms per request of
 * this process, the Temporal server and Postgres (from /proc, Linux).
 *
 * Loopback only: it refuses a DATABASE_URL or TEMPORAL_ADDRESS that is not 127.0.0.1/localhost. It
 * creates (and drops) its own database and task queue; its workflows are terminated at the end.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { Client as PgClient } from 'pg';
import { applyMigrations } from '../src/adapters/prisma/MigrationApplier';
import { TemporalOrderSignals } from '../src/adapters/temporal/TemporalOrderSignals';
import { TemporalReservationOrchestrator } from '../src/adapters/temporal/TemporalReservationOrchestrator';
import { createReservationWorker } from '../src/adapters/temporal/worker';
import type { ReserveOutcome } from '../src/application/contracts';
import { loadConfig } from '../src/config';
import { createPersistenceContainer } from '../src/container/persistence';
import { registerTemporal } from '../src/container/temporal';
import { reservationWorkflowId, SearchAttributeKeys } from '../workflows/shared';
import type { reservationWorkflow } from '../workflows/reservation';
import { floorReserve, type FloorInput, type floorWorkflow } from './workflows';

type Variant = 'floor' | 'shape' | 'local' | 'regular' | 'db' | 'f-sa' | 'f-upsert' | 'f-timer' | 'f-nosa';
const ALL_VARIANTS: Variant[] = ['floor', 'shape', 'local', 'regular', 'db'];
const DIAGNOSTIC_VARIANTS: Variant[] = ['f-sa', 'f-upsert', 'f-timer', 'f-nosa'];

interface Args {
  requests: number;
  levels: number[];
  rounds: number;
  settle: number;
  variants: Variant[];
  json?: string;
  keepDb: boolean;
  skus: number;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const args: Args = {
    requests: Number(get('requests') ?? 300),
    levels: (get('levels') ?? '1,8,32').split(',').map(Number),
    rounds: Number(get('rounds') ?? 10),
    settle: Number(get('settle') ?? 60),
    variants: (get('variants')?.split(',') as Variant[] | undefined) ?? ALL_VARIANTS,
    json: get('json'),
    keepDb: argv.includes('--keep-db'),
    skus: Number(get('skus') ?? 64),
  };
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
 * CPU time (ms) used so far by the processes whose command line matches, from /proc (Linux; 0
 * elsewhere). Includes other users of the same servers, so read it on a quiet machine.
 */
function processCpuMs(match: RegExp): number {
  let ticks = 0;
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return 0;
  }
  for (const pid of pids) {
    try {
      if (!match.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '))) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended meanwhile.
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}
const TEMPORAL_SERVER = /temporal server start-dev/;
const POSTGRES = /^postgres|\/postgres /;

interface Stats {
  n: number;
  errors: number;
  p50: number;
  p90: number;
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
    p90: percentile(sorted, 90),
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
    cpuMs: (cpu.user + cpu.system) / 1000,
    temporalCpuMs: processCpuMs(TEMPORAL_SERVER) - temporal0,
    postgresCpuMs: processCpuMs(POSTGRES) - postgres0,
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
    db: async () => {
      const scope = container.createScope();
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
    },
  };

  const results: Record<string, Record<string, Stats>> = {};
  try {
    console.log(`warming up (task queue ${taskQueue}, database ${dbName})`);
    for (const v of args.variants) await pool(30, 4, () => calls[v]());
    activityMs.L = [];
    activityMs.R = [];

    for (const level of args.levels) {
      const perRound = Math.ceil(args.requests / args.rounds);
      const samples = Object.fromEntries(args.variants.map((v) => [v, [] as Sample[]])) as Record<
        Variant,
        Sample[]
      >;
      for (let round = 0; round < args.rounds; round++) {
        // Rotate the order each round so that drift (server state growing) hits every variant alike.
        const order = args.variants.map((_, i) => args.variants[(i + round) % args.variants.length]!);
        for (const v of order) {
          const sample = await pool(perRound, level, () => calls[v]());
          if (sample.firstError) console.warn(`  ${v}@${level}: ${String(sample.firstError)}`);
          samples[v].push(sample);
        }
      }
      results[`c${level}`] = Object.fromEntries(args.variants.map((v) => [v, merge(samples[v])]));
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
    if (args.json) writeFileSync(args.json, JSON.stringify({ runId, args, results }, null, 2));
  } finally {
    console.log(`terminating ${started.length} benchmark workflows...`);
    await pool(started.length, 16, async (i) => {
      await client.workflow
        .getHandle(started[i]!)
        .terminate('benchmark finished')
        .catch(() => undefined);
    });
    await worker.shutdown();
    await running.catch(() => undefined);
    await connection.close();
    await container.dispose();
  }
}

function printLevel(level: number, stats: Record<string, Stats>): void {
  console.log(`\nconcurrency ${level}`);
  console.log(
    'variant           n     err  p50(ms)  p90(ms)  p99(ms)  max(ms)  req/s  CPU ms/request: bench temporal postgres',
  );
  for (const [v, s] of Object.entries(stats)) {
    console.log(
      `${v.padEnd(17)} ${String(s.n).padEnd(5)} ${String(s.errors).padEnd(4)} ${ms(s.p50).padStart(7)}  ${ms(s.p90).padStart(7)}  ${ms(s.p99).padStart(7)}  ${ms(s.max).padStart(7)}  ${num(s.throughput, 0).padStart(5)}  ${s.cpuPerRequest ? ['bench', 'temporal', 'postgres'].map((k) => num(s.cpuPerRequest![k as 'bench'], 1).padStart(k.length + (k === 'bench' ? 16 : 1))).join('') : ''}`,
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
