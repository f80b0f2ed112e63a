/**
 * Reserve latency: HTTP reserve on the real service in both reserve modes beside its floors, closed and
 * open loop, in one run (issue 13, deliverable 8).
 *
 *   npm run bench:reserve -- [flags]      (the flags and their defaults: USAGE below, or --help)
 *
 * Closed loop (`--levels` callers, `--requests` reserves per variant and level, each caller one request
 * at a time):
 *   http-db        POST /inventory/:sku/reserve, RESERVE_MODE=db: one Postgres transaction that also
 *                  writes the workflow request; the dispatcher starts the workflow afterwards;
 *   http-workflow  the same, RESERVE_MODE=workflow: Update-With-Start whose update runs the reserve;
 *   txn            the reserve transaction alone: the container's `db`-mode orchestrator in process (the
 *                  reserve use case, workflow request included; no HTTP, no Temporal);
 *   update         one bare `UPDATE stock_levels ... WHERE on_hand - reserved >= $1` on a pg pool;
 *   floor          a bare Update-With-Start whose update runs a no-op local activity (in-process worker).
 * Each HTTP mode is the real service (src/main/index.ts) laid out as in production (docker-compose.yml):
 * an `api` process and a `worker,bridge,relay` process (dispatcher, relay and workflows), or every role
 * in one process with `--layout single`, or (a diagnostic, db mode only) the `api` with no background at
 * all, `--layout alone`, which shows what the background costs the request path (`--layout relay`: the
 * relay alone beside it); each mode with its own
 * database, vhost and task queue; both run with REQUEST_DEADLINE_MS=60000, so that
 * queueing at 32-64 callers shows as latency (as it does for the floor) rather than as 503. Variants
 * alternate in rounds whose order rotates, so drift and noise hit all alike; after each
 * `db`-mode round the bench waits until the dispatcher has delivered every request and the service is
 * quiet again, so that its background work lands in its own CPU figures and not in the next variant's
 * latency ("with drain": the round's reserves over its time plus that drain).
 *
 * Open loop (`db` mode at `--rates`, workflow mode at `--workflow-rates`, `--seconds` each): reserves
 * sent at a constant arrival rate whatever the answers do, latency counted from each request's
 * scheduled start (no coordinated omission), beside the api's own time for each answer (its
 * Server-Timing header): what HTTP adds beyond it was spent queueing before the api or on the wire.
 * The commit → workflow-started lag is exact per order: the reservation's createdAt (written in the
 * reserve transaction) against the workflow's start time in Temporal (visibility), beside the service's
 * own histogram. After each step the bench measures how long the dispatcher needs until no request is
 * left undelivered.
 *
 * CPU (from /proc, Linux): the service processes, the Temporal dev server, the Postgres backends of the
 * bench's databases, Postgres's shared background processes, this process, and whatever else the
 * machine did ("other": shared servers, other users).
 *
 * Prints one markdown report (closed loop, open loop, CPU split, the targets as PASS/MISS);
 * `--json` writes every figure, which `npx tsx bench/chart.ts` draws as docs/reserve-latency.svg.
 * `--cpu-prof DIR` writes a V8 CPU profile of the `db`-mode service's main thread over the open-loop
 * steps into DIR (bench/lib/cpuProfilePreload.cjs; summarise it with bench/profile-summary.ts).
 *
 * Temporal: by default a dev server of the bench's own (bench/lib/devServer.ts: a fresh SQLite file under
 * .data/bench-reserve, the flags and environment of scripts/services.sh), stopped at the end, so that no
 * run pays for an earlier run's history or its terminate jobs; `--temporal shared` uses TEMPORAL_ADDRESS
 * instead and terminates the run's workflows there at the end.
 *
 * Loopback only (it refuses a DATABASE_URL, TEMPORAL_ADDRESS or AMQP_URL elsewhere); bounded counts and
 * times; stops by itself. It creates and drops its own databases and vhosts.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { Client as PgClient, Pool } from 'pg';
import { applyMigrations } from '../src/adapters/postgres/MigrationApplier';
import { createReservationWorker } from '../src/adapters/temporal/worker';
import { loadConfig, type Config, type ReserveMode } from '../src/config';
import { createPersistenceContainer } from '../src/container/persistence';
import { registerTemporal } from '../src/container/temporal';
import { reservationWorkflowId } from '../workflows/shared';
import { BenchDevServer } from './lib/devServer';
import { cpuBetween, CpuProbe, type CpuReading } from './reserve/cpu';
import {
  CLOSED_VARIANTS,
  evaluateTargets,
  markdown,
  type BenchReport,
  type ClosedResult,
  type ClosedVariant,
  type CpuWindow,
  type OpenResult,
} from './reserve/report';
import {
  BenchService,
  bucketDelta,
  createVhost,
  DISPATCH_LAG_HISTOGRAM,
  histogramBuckets,
  LAYOUT_ROLES,
  runsWorker,
  type ServiceLayout,
} from './reserve/service';
import { histogramQuantile, latency, msText, sleep } from './reserve/stats';
import { floorReserve, type floorWorkflow } from './workflows';

interface Args {
  requests: number;
  levels: number[];
  rates: number[];
  workflowRates: number[];
  seconds: number;
  variants: ClosedVariant[];
  json?: string;
  cpuProf?: string;
  skus: number;
  keepDb: boolean;
  layout: ServiceLayout;
  temporal: 'own' | 'shared';
  /** Nice value of the bench's own dev server while db-mode variants run (0 while workflow-mode ones do). */
  temporalNice: number;
}

const USAGE = `npm run bench:reserve -- [--requests 300] [--levels 1,8,32,64] [--rates 10,30,100,300]
                         [--seconds 20] [--workflow-rates 10,30] [--variants ${CLOSED_VARIANTS.join(',')}]
                         [--json out.json] [--cpu-prof DIR] [--skus 64] [--keep-db]
                         [--layout split|single|alone|relay] [--temporal own|shared] [--temporal-nice 0]
A level, rate or variant list of "none" skips that part.`;

/** A flag parseArgs never read is an error, not a full 8-minute run with the defaults. */
function checkFlags(argv: string[], known: ReadonlySet<string>, switches: ReadonlySet<string>): void {
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]!.replace(/^--/, '');
    if (switches.has(name)) continue;
    if (!argv[i]!.startsWith('--') || !known.has(name) || argv[i + 1] === undefined)
      throw new Error(`unknown or incomplete flag ${argv[i]}\n${USAGE}`);
    i++;
  }
}

function parseArgs(argv: string[]): Args {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    process.exit(0);
  }
  const known = new Set<string>();
  const switches = new Set<string>();
  const has = (name: string) => {
    switches.add(name);
    return argv.includes(`--${name}`);
  };
  const get = (name: string) => {
    known.add(name);
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const list = (v: string | undefined, def: string) =>
    (v ?? def)
      .split(',')
      .filter((x) => x !== '' && x !== 'none')
      .map(Number);
  const args: Args = {
    requests: Number(get('requests') ?? 300),
    levels: list(get('levels'), '1,8,32,64'),
    rates: list(get('rates'), '10,30,100,300'),
    workflowRates: list(get('workflow-rates'), '10,30'),
    seconds: Number(get('seconds') ?? 20),
    variants: (get('variants')?.split(',') as ClosedVariant[] | undefined) ?? [...CLOSED_VARIANTS],
    json: get('json'),
    cpuProf: get('cpu-prof'),
    skus: Number(get('skus') ?? 64),
    keepDb: has('keep-db'),
    layout: (get('layout') ?? 'split') as ServiceLayout,
    temporal: (get('temporal') ?? 'own') as Args['temporal'],
    temporalNice: Number(get('temporal-nice') ?? 0),
  };
  checkFlags(argv, known, switches);
  if (!Number.isInteger(args.requests) || args.requests < 1 || args.requests > 2000)
    throw new Error('--requests must be 1..2000 (a bounded run)');
  if (args.levels.some((l) => !Number.isInteger(l) || l < 1 || l > 64))
    throw new Error('--levels: integers 1..64');
  if ([...args.rates, ...args.workflowRates].some((r) => !(r >= 1 && r <= 500)))
    throw new Error('--rates / --workflow-rates: reserves per second, 1..500');
  if (!(args.seconds >= 1 && args.seconds <= 60)) throw new Error('--seconds: 1..60');
  if (args.variants.some((v) => !CLOSED_VARIANTS.includes(v)))
    throw new Error(`--variants: some of ${CLOSED_VARIANTS.join(',')}`);
  if (!Number.isInteger(args.skus) || args.skus < 1 || args.skus > 1000) throw new Error('--skus: 1..1000');
  if (!(args.layout in LAYOUT_ROLES)) throw new Error(`--layout: ${Object.keys(LAYOUT_ROLES).join(', ')}`);
  if (!runsWorker(args.layout) && (args.variants.includes('http-workflow') || args.workflowRates.length > 0))
    throw new Error(
      `--layout ${args.layout} runs no worker: db mode only (drop http-workflow, --workflow-rates none)`,
    );
  if (!['own', 'shared'].includes(args.temporal)) throw new Error('--temporal: own or shared');
  if (!Number.isInteger(args.temporalNice) || args.temporalNice < 0 || args.temporalNice > 19)
    throw new Error('--temporal-nice: 0..19');
  return args;
}

const began = performance.now();
/** Progress lines carry the time since start, so a run's phases can be budgeted. */
function log(line: string): void {
  const s = Math.round((performance.now() - began) / 1000);
  console.log(`[${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}] ${line}`);
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
function assertLoopback(what: string, address: string): void {
  const host = new URL(address.includes('://') ? address : `tcp://${address}`).hostname;
  if (!LOOPBACK.has(host))
    throw new Error(`${what} must point at this machine (got ${host}): benchmarks run locally only`);
}

/** Longest wait for the dispatcher to deliver a step's backlog. */
const DRAIN_TIMEOUT_MS = 240_000;
/** Longest wait for the terminate jobs at the end (they go on on the server after it). */
const CLEANUP_BUDGET_MS = 180_000;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  let temporal: BenchDevServer | undefined;
  // Interrupted: exit, which SIGKILLs the service processes (test/support/serviceProcess), after the
  // bench's own dev server; its databases and vhosts (inventory_bench_<run>*) stay for inspection.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping the service processes and the dev server; its databases stay`);
      temporal?.child.kill('SIGKILL');
      process.exit(130);
    });
  }
  if (args.temporal === 'own') {
    temporal = await BenchDevServer.start(join(__dirname, '..', '.data', 'bench-reserve', 'temporal'));
    // For this process's config and for the service processes it spawns (test/support/serviceProcess).
    process.env.TEMPORAL_ADDRESS = temporal.address;
    log(`own Temporal dev server at ${temporal.address} (pid ${temporal.pid})`);
  }
  try {
    await benchmark(args, temporal);
  } finally {
    await temporal?.stop();
  }
}

async function benchmark(args: Args, temporal: BenchDevServer | undefined): Promise<void> {
  const base = loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  const managementUrl = process.env.AMQP_MANAGEMENT_URL ?? 'http://guest:guest@127.0.0.1:15672';
  assertLoopback('TEMPORAL_ADDRESS', base.TEMPORAL_ADDRESS);
  assertLoopback('DATABASE_URL', base.DATABASE_URL);
  assertLoopback('AMQP_URL', base.AMQP_URL);
  assertLoopback('AMQP_MANAGEMENT_URL', managementUrl);

  const runId = Date.now().toString(36);
  const modes: ReserveMode[] = [];
  if (args.variants.includes('http-db') || args.rates.length) modes.push('db');
  if (args.variants.includes('http-workflow') || args.workflowRates.length) modes.push('workflow');
  const db = (suffix: string) => `inventory_bench_${runId}${suffix}`;
  const databases = [db(''), ...modes.map((m) => db(`_${m}`))];
  const urlOf = (name: string) => {
    const u = new URL(base.DATABASE_URL);
    u.pathname = `/${name}`;
    return u.toString();
  };
  const admin = new PgClient({ connectionString: base.DATABASE_URL });
  await admin.connect();
  const vhosts: { drop(): Promise<void> }[] = [];
  try {
    await admin.query(`CREATE DATABASE "${databases[0]}"`);
    await applyMigrations(urlOf(databases[0]!), join(__dirname, '..', 'prisma', 'migrations'));
    for (const name of databases.slice(1))
      await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${databases[0]}"`);
    const amqpUrls: Partial<Record<ReserveMode, string>> = {};
    for (const mode of modes) {
      const vhost = await createVhost(managementUrl, base.AMQP_URL, `inv_bench_${runId}_${mode}`);
      vhosts.push(vhost);
      amqpUrls[mode] = vhost.url;
    }
    await run(args, runId, base, databases, temporal, (mode) => ({
      url: urlOf(db(`_${mode}`)),
      amqp: amqpUrls[mode]!,
    }));
  } finally {
    for (const vhost of vhosts) await vhost.drop().catch(() => undefined);
    if (!args.keepDb) {
      for (const name of databases) await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
    await admin.end();
  }
}

interface ClosedSample {
  latencies: number[];
  errors: number;
  firstError?: string;
  elapsedMs: number;
  cpu: CpuWindow;
  drainMs?: number;
  drainCpu?: CpuWindow;
}

async function run(
  args: Args,
  runId: string,
  base: Config,
  databases: string[],
  temporal: BenchDevServer | undefined,
  serviceDb: (mode: ReserveMode) => { url: string; amqp: string },
): Promise<void> {
  const taskQueue = `bench-reserve-${runId}`;
  const benchUrl = new URL(base.DATABASE_URL);
  benchUrl.pathname = `/${databases[0]}`;
  const config = loadConfig({
    ...process.env,
    LOG_LEVEL: 'warn',
    // The container's orchestrator is then the request path's: the reserve transaction, workflow request included.
    RESERVE_MODE: 'db',
    DATABASE_URL: benchUrl.toString(),
    TEMPORAL_TASK_QUEUE: taskQueue,
  });
  const container = registerTemporal(createPersistenceContainer(config));
  const skus = Array.from({ length: args.skus }, (_, i) => `BENCH-${String(i).padStart(3, '0')}`);
  for (const sku of skus) {
    const scope = container.createScope();
    await scope.resolve('inventoryService').setLevels({ sku, onHand: 1_000_000 });
    await scope.dispose();
  }
  const updatePool = new Pool({ connectionString: config.DATABASE_URL, max: config.DATABASE_POOL_SIZE });

  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('./workflows'),
    logger: new DefaultLogger('WARN'),
  });
  const worker = await createReservationWorker({
    container,
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue,
    workflowBundle,
    extraActivities: { noop: async () => undefined },
  });
  const running = worker.run();
  const client: Client = container.resolve('temporalClient');
  const orchestrator = container.resolve('orchestrator');

  const services: Partial<Record<ReserveMode, BenchService>> = {};
  const temporalPid = temporal?.pid;
  const probe = new CpuProbe(databases, temporalPid);
  /**
   * --temporal-nice: the bench's dev server yields the CPU while variants run that have Temporal off
   * their request path (db mode, the transaction, the bare UPDATE), as the worker does (PROCESS_NICE), and
   * standing for Temporal on hosts of its own; it is back at 0 for the variants it serves (workflow mode,
   * the Update-With-Start floor).
   */
  const placeTemporal = (onRequestPath: boolean) => {
    if (!temporal || args.temporalNice === 0) return;
    if (!temporal.setNice(onRequestPath ? 0 : args.temporalNice))
      throw new Error('--temporal-nice: could not renice the dev server (needs root or CAP_SYS_NICE)');
  };
  const report: BenchReport = {
    runId,
    startedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, loadBefore: loadavg() },
    args,
    command: `npm run bench:reserve -- ${process.argv.slice(2).join(' ')}`.trim(),
    commit: gitCommit(),
    closed: {},
    open: [],
    targets: [],
  };
  let seq = 0;
  const sku = () => skus[seq % skus.length]!;
  try {
    const modes = (['db', 'workflow'] as const).filter(
      (m) => args.variants.includes(`http-${m}`) || (m === 'db' ? args.rates : args.workflowRates).length,
    );
    if (modes.length)
      log(`starting the service in ${modes.join(' and ')} mode (database ${databases[0]}_*)...`);
    await Promise.all(
      modes.map(async (mode) => {
        const { url, amqp } = serviceDb(mode);
        const cpuProf = mode === 'db' && args.cpuProf ? resolve(args.cpuProf) : undefined;
        services[mode] = await BenchService.start({
          mode,
          config,
          databaseUrl: url,
          amqpUrl: amqp,
          taskQueue: `bench-reserve-${runId}-${mode}`,
          layout: args.layout,
          env: {
            // Queueing (closed loop at 32-64 callers, a saturated open-loop step) shows as latency, as it
            // does for the floors, not as 503 at the default 2 s deadline.
            REQUEST_DEADLINE_MS: '60000',
            ...(cpuProf
              ? {
                  NODE_OPTIONS: `--require ${join(__dirname, 'lib', 'cpuProfilePreload.cjs')}`,
                  CPU_PROFILE_DIR: cpuProf,
                }
              : {}),
          },
        });
        for (const s of skus) await services[mode]!.setLevels(s, 1_000_000);
        const started = services[mode]!;
        probe.watchService(`api:${mode}`, started.pid);
        if (started.workerPid !== started.pid) probe.watchService(`worker:${mode}`, started.workerPid);
      }),
    );

    const httpCall = (mode: ReserveMode) => async () => {
      const service = services[mode]!;
      const answer = await service.send(service.reserveRequest(sku(), `b-${runId}-${mode[0]}${seq++}`));
      if (answer.status !== 201) throw new Error(`HTTP ${answer.status}: ${answer.body.slice(0, 200)}`);
    };
    const calls: Record<ClosedVariant, () => Promise<void>> = {
      'http-db': httpCall('db'),
      'http-workflow': httpCall('workflow'),
      txn: async () => {
        const outcome = await orchestrator.reserve({
          orderId: `b-${runId}-t${seq++}`,
          lines: [{ sku: sku(), quantity: 1 }],
          ttlSeconds: 3600,
        });
        if (outcome.kind !== 'reserved') throw new Error(`reserve answered ${outcome.kind}`);
      },
      update: async () => {
        const result = await updatePool.query({
          name: 'bench-conditional-update',
          text: 'UPDATE stock_levels SET reserved = reserved + $1 WHERE sku = $2 AND on_hand - reserved >= $1',
          values: [1, sku()],
        });
        if (result.rowCount !== 1) throw new Error('the conditional UPDATE changed no row');
      },
      floor: async () => {
        const workflowId = `bench-floor-${runId}-${seq++}`;
        await client.workflow.executeUpdateWithStart(floorReserve, {
          args: [{}],
          startWorkflowOperation: new WithStartWorkflowOperation<typeof floorWorkflow>('floorWorkflow', {
            workflowId,
            taskQueue,
            args: [],
            workflowIdConflictPolicy: 'USE_EXISTING',
          }),
        });
      },
    };

    /** `db` mode: until every workflow request is delivered and the service has gone quiet. */
    const settle = async (): Promise<{ drainMs: number; peak: number; cpu: CpuWindow }> => {
      const service = services.db;
      const c0 = probe.read();
      const t0 = performance.now();
      let peak = 0;
      let drainMs = NaN;
      // --layout alone or relay: nothing delivers the requests, so there is no drain to wait for.
      if (service && runsWorker(args.layout)) {
        for (;;) {
          const backlog = await service.backlog();
          peak = Math.max(peak, backlog);
          if (backlog === 0) {
            drainMs = performance.now() - t0;
            break;
          }
          if (performance.now() - t0 > DRAIN_TIMEOUT_MS) break;
          await sleep(50);
        }
        // The started workflows' first tasks still run in the worker after delivery.
        for (let i = 0; i < 40; i++) {
          const a = probe.read();
          await sleep(250);
          const d = cpuBetween(a, probe.read());
          if ((d.ms['worker:db'] ?? d.ms['api:db'] ?? 0) / d.wallMs < 0.1) break;
        }
      }
      return { drainMs, peak, cpu: cpuBetween(c0, probe.read()) };
    };

    /** `count` calls with at most `concurrency` in flight. */
    const closedLoop = async (
      variant: ClosedVariant,
      count: number,
      concurrency: number,
    ): Promise<ClosedSample> => {
      const latencies: number[] = [];
      let errors = 0;
      let firstError: string | undefined;
      let next = 0;
      placeTemporal(variant === 'http-workflow' || variant === 'floor');
      const c0: CpuReading = probe.read();
      const start = performance.now();
      await Promise.all(
        Array.from({ length: Math.min(concurrency, count) }, async () => {
          for (let i = next++; i < count; i = next++) {
            const t = performance.now();
            try {
              await calls[variant]();
              latencies.push(performance.now() - t);
            } catch (error) {
              errors++;
              firstError ??= String(error);
            }
          }
        }),
      );
      const elapsedMs = performance.now() - start;
      const sample: ClosedSample = {
        latencies,
        errors,
        firstError,
        elapsedMs,
        cpu: cpuBetween(c0, probe.read()),
      };
      if (variant === 'http-db') {
        const s = await settle();
        sample.drainMs = s.drainMs;
        sample.drainCpu = s.cpu;
      }
      return sample;
    };

    if (args.levels.length) {
      log('warming up...');
      for (const v of args.variants) await closedLoop(v, 30, 4);
    }
    for (const level of args.levels) {
      // Unmeasured: each variant's pools (pg connections, HTTP keep-alive sockets, the worker's slots)
      // grow to this level's size here, not inside the first measured round.
      for (const v of args.variants) await closedLoop(v, 2 * level, level);
      // At least 2 × callers per round, at most 5 rounds: mostly steady state, not one burst.
      const rounds = Math.max(1, Math.min(5, Math.floor(args.requests / (2 * level))));
      const perRound = Math.ceil(args.requests / rounds);
      const samples = Object.fromEntries(args.variants.map((v) => [v, [] as ClosedSample[]]));
      for (let round = 0; round < rounds; round++) {
        const order = args.variants.map((_, i) => args.variants[(i + round) % args.variants.length]!);
        for (const v of order) {
          const sample = await closedLoop(v, perRound, level);
          if (sample.firstError) console.warn(`  ${v}@${level}: ${sample.firstError}`);
          samples[v]!.push(sample);
        }
      }
      report.closed[`c${level}`] = Object.fromEntries(
        args.variants.map((v) => [v, mergeClosed(samples[v]!)]),
      );
      const line = args.variants
        .map((v) => {
          const s = report.closed[`c${level}`]![v]!;
          return `${v} ${msText(s.p50)}/${msText(s.p99)} ms ${s.throughput.toFixed(0)}/s`;
        })
        .join(' · ');
      log(`closed loop, ${level} callers: ${line}`);
    }

    for (const [mode, rates] of [
      ['db', args.rates],
      ['workflow', args.workflowRates],
    ] as const) {
      const service = services[mode];
      if (!service || rates.length === 0) continue;
      const orders: { orderId: string; createdAt?: number }[][] = [];
      // --cpu-prof: the db-mode service's main thread, over the open-loop steps and their drains.
      const profiled = mode === 'db' && args.cpuProf !== undefined;
      if (profiled) for (const pid of service.pids) process.kill(pid, 'SIGUSR2');
      placeTemporal(mode === 'workflow');
      for (const rate of rates) {
        if (mode === 'db') await settle();
        const before = mode === 'db' ? histogramBuckets(await service.metrics(), DISPATCH_LAG_HISTOGRAM) : [];
        const { result, committed } = await openLoop(
          service,
          rate,
          args.seconds,
          probe,
          sku,
          `b-${runId}-${mode[0]}o${rate}-`,
        );
        const s = mode === 'db' ? await settle() : { drainMs: 0, peak: 0, cpu: { wallMs: 0, ms: {} } };
        result.drainMs = s.drainMs;
        result.peakBacklog = Math.max(result.peakBacklog, s.peak);
        result.cpu.drain = s.cpu;
        if (mode === 'db') {
          const delta = bucketDelta(
            before,
            histogramBuckets(await service.metrics(), DISPATCH_LAG_HISTOGRAM),
          );
          const n = delta.at(-1)?.count ?? 0;
          result.lagHistogram = {
            n,
            p50: histogramQuantile(delta, 0.5) * 1000,
            p99: histogramQuantile(delta, 0.99) * 1000,
          };
        }
        report.open.push(result);
        orders.push(committed);
        log(
          `open loop, ${mode} mode, ${rate}/s: HTTP ${msText(result.http.p50)}/${msText(result.http.p99)} ms ` +
            `(api ${msText(result.api?.p50)}/${msText(result.api?.p99)}), ` +
            `${result.errors} errors, peak backlog ${result.peakBacklog}, drained in ${(result.drainMs / 1000).toFixed(1)} s`,
        );
      }
      if (profiled) for (const pid of service.pids) process.kill(pid, 'SIGUSR2');
      if (mode === 'db' && runsWorker(args.layout))
        await addExactLag(
          client,
          service.taskQueue,
          report.open.filter((o) => o.mode === 'db'),
          orders,
        );
    }
  } finally {
    report.machine.loadAfter = loadavg();
    log(`stopping the services${temporalPid === undefined ? ' and terminating the workflows' : ''}...`);
    for (const service of Object.values(services)) await service.stop();
    // The bench's own dev server goes with its workflows; on a shared one they are terminated.
    report.cleanup =
      temporalPid === undefined
        ? await terminateRunning(
            client,
            config.TEMPORAL_NAMESPACE,
            [taskQueue, ...Object.values(services).map((s) => s.taskQueue)],
            runId,
            CLEANUP_BUDGET_MS,
          )
        : undefined;
    await worker.shutdown();
    await running.catch(() => undefined);
    await connection.close();
    await updatePool.end();
    await container.dispose();
  }
  report.finishedAt = new Date().toISOString();
  report.targets = evaluateTargets(report);
  console.log(`\n${markdown(report)}\n`);
  console.log(
    `load average ${report.machine.loadBefore.map((l) => l.toFixed(1)).join(' ')} before, ` +
      `${report.machine.loadAfter!.map((l) => l.toFixed(1)).join(' ')} after; ` +
      (report.cleanup
        ? `${report.cleanup.terminated} workflows terminated in ${(report.cleanup.ms / 1000).toFixed(1)} s` +
          (report.cleanup.left
            ? `, ${report.cleanup.left} left to Temporal's batch jobs, which finish by themselves`
            : '')
        : "the bench's own dev server stopped with its workflows"),
  );
  if (args.json) writeFileSync(args.json, JSON.stringify(report, null, 1));
}

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

function mergeClosed(samples: ClosedSample[]): ClosedResult {
  const sum = (f: (s: ClosedSample) => number) => samples.reduce((a, s) => a + f(s), 0);
  const l = latency(
    samples.flatMap((s) => s.latencies),
    sum((s) => s.errors),
  );
  const elapsedMs = sum((s) => s.elapsedMs);
  const n = l.n + l.errors || 1;
  const cpuPerRequest: Record<string, number> = {};
  for (const s of samples) {
    for (const w of [s.cpu, s.drainCpu]) {
      for (const [k, v] of Object.entries(w?.ms ?? {})) cpuPerRequest[k] = (cpuPerRequest[k] ?? 0) + v / n;
    }
  }
  const result: ClosedResult = { ...l, throughput: (l.n / elapsedMs) * 1000, cpuPerRequest };
  if (samples.some((s) => s.drainMs !== undefined)) {
    result.drainMs = sum((s) => s.drainMs ?? NaN);
    result.sustained = (l.n / (elapsedMs + result.drainMs)) * 1000;
  }
  return result;
}

/**
 * Reserves at a constant arrival rate for `seconds`, whatever the answers do: request i is due at
 * t0 + i / rate and its latency counts from then. In-flight requests are bounded by the pool's
 * connections; stragglers get 60 s after the last one is due.
 */
async function openLoop(
  service: BenchService,
  rate: number,
  seconds: number,
  probe: CpuProbe,
  sku: () => string,
  prefix: string,
): Promise<{ result: OpenResult; committed: { orderId: string; createdAt?: number }[] }> {
  const count = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const latencies: number[] = [];
  const apiLatencies: number[] = [];
  const launchLags: number[] = [];
  const committed: { orderId: string; createdAt?: number }[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let peakBacklog = 0;
  let lastAnswer = 0;
  const requests = Array.from({ length: count }, (_, i) => {
    const orderId = `${prefix}${i}`;
    return { orderId, raw: service.reserveRequest(sku(), orderId) };
  });
  const inFlight = new Set<Promise<void>>();
  const c0 = probe.read();
  const t0 = performance.now() + 10;
  const sampler = setInterval(() => {
    service.backlog().then(
      (n) => (peakBacklog = Math.max(peakBacklog, n)),
      () => undefined,
    );
  }, 500);
  for (let i = 0; i < count;) {
    const now = performance.now();
    for (; i < count && t0 + i * interval <= now; i++) {
      const due = t0 + i * interval;
      const { orderId, raw } = requests[i]!;
      launchLags.push(now - due);
      const p = service.send(raw).then(
        (answer) => {
          lastAnswer = performance.now();
          if (answer.status === 201) {
            latencies.push(lastAnswer - due);
            if (answer.serverMs !== undefined) apiLatencies.push(answer.serverMs);
            committed.push({ orderId, createdAt: answer.createdAt });
          } else {
            errors++;
            firstError ??= `HTTP ${answer.status}: ${answer.body.slice(0, 200)}`;
          }
        },
        (error: unknown) => {
          errors++;
          firstError ??= String(error);
        },
      );
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
    if (i < count) await sleep(Math.max(0, Math.min(t0 + i * interval - performance.now(), 5)));
  }
  const stragglers = await Promise.race([
    Promise.all(inFlight).then(() => 0),
    sleep(60_000).then(() => inFlight.size),
  ]);
  clearInterval(sampler);
  errors += stragglers;
  if (stragglers) firstError ??= `${stragglers} requests unanswered 60 s after the step`;
  const step = cpuBetween(c0, probe.read());
  return {
    committed,
    result: {
      mode: service.mode,
      rate,
      seconds,
      sent: count,
      errors,
      firstError,
      achieved: (latencies.length / (lastAnswer - t0)) * 1000,
      http: latency(latencies, errors),
      api: latency(apiLatencies),
      launchLag: latency(launchLags),
      drainMs: 0,
      peakBacklog,
      cpu: { step, drain: { wallMs: 0, ms: {} } },
    },
  };
}

/** Commit → workflow started, per order: the reservation's createdAt against Temporal's start time. */
async function addExactLag(
  client: Client,
  taskQueue: string,
  steps: OpenResult[],
  orders: { orderId: string; createdAt?: number }[][],
): Promise<void> {
  const expected = orders.reduce((a, o) => a + o.length, 0);
  const started = new Map<string, number>();
  // Visibility is eventually consistent: read until it knows every order, for at most 30 s.
  for (let attempt = 0; attempt < 15; attempt++) {
    started.clear();
    for await (const wf of client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) {
      started.set(wf.workflowId, wf.startTime.getTime());
    }
    const known = orders.flat().filter((o) => started.has(reservationWorkflowId(o.orderId))).length;
    if (known >= expected) break;
    await sleep(2_000);
  }
  steps.forEach((step, i) => {
    const lags: number[] = [];
    let missing = 0;
    for (const o of orders[i] ?? []) {
      const at = started.get(reservationWorkflowId(o.orderId));
      if (at === undefined || o.createdAt === undefined) missing++;
      else lags.push(at - o.createdAt);
    }
    step.lag = latency(lags);
    step.lagMissing = missing;
  });
}

/**
 * Terminates what is still running on the bench's task queues: one server-side batch job per queue
 * (no round trip per workflow from here), awaited for at most `budgetMs`; whatever is left then, the
 * job finishes by itself. Falls back to terminating one by one (64 at a time) where batch jobs fail.
 */
async function terminateRunning(
  client: Client,
  namespace: string,
  queues: string[],
  runId: string,
  budgetMs: number,
): Promise<{ terminated: number; left: number; ms: number }> {
  const t0 = performance.now();
  const query = (queue: string) => `TaskQueue = '${queue}' AND ExecutionStatus = 'Running'`;
  const jobs: string[] = [];
  let terminated = 0;
  for (const [i, queue] of queues.entries()) {
    const jobId = `bench-reserve-cleanup-${runId}-${i}`;
    try {
      await client.workflowService.startBatchOperation({
        namespace,
        jobId,
        reason: 'benchmark finished',
        visibilityQuery: query(queue),
        maxOperationsPerSecond: 1000,
        terminationOperation: { identity: 'bench-reserve' },
      });
      jobs.push(jobId);
    } catch (error) {
      log(`batch terminate refused (${String(error)}): terminating one by one`);
      const ids: string[] = [];
      for await (const wf of client.workflow.list({ query: query(queue) })) ids.push(wf.workflowId);
      let next = 0;
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          for (let j = next++; j < ids.length; j = next++) {
            await client.workflow
              .getHandle(ids[j]!)
              .terminate('benchmark finished')
              .then(() => terminated++)
              .catch(() => undefined);
          }
        }),
      );
    }
  }
  let left = 0;
  for (;;) {
    let done = terminated;
    left = 0;
    for (const jobId of jobs) {
      const job = await client.workflowService
        .describeBatchOperation({ namespace, jobId })
        .catch(() => undefined);
      if (!job) {
        left++;
        continue;
      }
      const total = Number(job.totalOperationCount ?? 0);
      const complete = Number(job.completeOperationCount ?? 0) + Number(job.failureOperationCount ?? 0);
      done += complete;
      // BATCH_OPERATION_STATE_RUNNING = 1
      if (job.state === 1) left += Math.max(1, total - complete);
    }
    if (left === 0 || performance.now() - t0 > budgetMs)
      return { terminated: done, left, ms: performance.now() - t0 };
    await sleep(1_000);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
