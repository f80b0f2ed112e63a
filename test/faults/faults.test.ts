import { randomBytes } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { mintTokens, runScript } from '../e2e/harness';
import { eventually } from '../support/eventually';
import { uniqueSku } from '../support/naming';
import { RESERVE_MODES, type ReserveMode } from '../../src/config';
import { ServiceCluster } from './cluster';
import { CALLER_TIMEOUT_MS, LoadGenerator, type ReserveCall } from './load';
import { renderTable, writeResults, type FaultRun, type ScenarioResult } from './report';
import { FaultPostgres, FaultRabbit, FaultTemporal } from './servers';
import {
  awaitEvents,
  declareEventQueue,
  END_GRACE_MS,
  graceScale,
  RECOVERY_GRACE_MS,
  openReservations,
  snapshot,
  verifyCalls,
  type FaultWindow,
} from './verify';

/**
 * Faults under load against the split layout (2 × api, 2 × worker,bridge,relay) on servers this suite
 * starts and owns (FaultPostgres/FaultRabbit/FaultTemporal), never the shared ones. Each scenario: load,
 * a fault, recovery, then the invariants from the database and from a queue bound to inventory.events.
 * What callers saw goes to the test output and .data/faults-results.json (npm run faults:report).
 */

/** Reserves per second, open loop (FAULTS_RATE overrides, e.g. to tell saturation from a defect). */
const RATE_PER_SECOND = Number(process.env.FAULTS_RATE ?? 10);
/** Load before the fault, and after every process is ready again. */
const STEADY_MS = 7_000;
const OUTAGE_MS = { rabbitmq: 20_000, temporal: 20_000, postgresStop: 15_000 } as const;
const EVENTS_QUEUE = 'faults.inventory-events';

// A scenario takes 1-2 min; its waits stretch with graceScale on a busy machine (up to 4×).
jest.setTimeout(600_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sleepUntil = (t: number) => sleep(Math.max(0, t - Date.now()));

/** The highest 1-minute load average since it was made, sampled every second until stop(). */
class LoadPeak {
  private peak = loadavg()[0]!;
  private readonly timer = setInterval(() => this.sample(), 1_000).unref();
  private sample(): number {
    this.peak = Math.max(this.peak, loadavg()[0]!);
    return this.peak;
  }
  /** The peak so far (it keeps sampling until stop()). */
  get value(): number {
    return Math.round(this.sample() * 10) / 10;
  }
  /** The graces' multiplier for the peak so far (verify.ts graceScale). */
  get scale(): number {
    return graceScale(this.value, availableParallelism());
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

interface FaultContext {
  cluster: ServiceCluster;
  pg: FaultPostgres;
  rabbit: FaultRabbit;
  temporal: FaultTemporal;
}

interface Scenario {
  name: string;
  fault: string;
  /** The modes it runs in (both where the mode matters: the Temporal outage and the worker kill). */
  modes: ReserveMode[];
  /** Injects the fault; resolves with the time the dependency was back (or the processes restarted). */
  inject(ctx: FaultContext): Promise<number>;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'kill api + worker',
    fault: 'SIGKILL of one api and one worker,bridge,relay process, restarted at once',
    modes: ['workflow', 'db'],
    async inject({ cluster }) {
      const at = Date.now();
      await Promise.all([cluster.killAndRestart('api', 0), cluster.killAndRestart('worker', 0)]);
      return at;
    },
  },
  {
    name: 'rabbitmq outage',
    fault: `RabbitMQ node stopped, started again ${OUTAGE_MS.rabbitmq / 1000} s later`,
    modes: ['db'],
    async inject({ rabbit }) {
      const restartAt = Date.now() + OUTAGE_MS.rabbitmq;
      await rabbit.stop();
      await sleepUntil(restartAt);
      await rabbit.start();
      return Date.now();
    },
  },
  {
    name: 'temporal outage',
    fault: `Temporal dev server stopped (SIGTERM), started again ${OUTAGE_MS.temporal / 1000} s later`,
    modes: ['workflow', 'db'],
    async inject({ temporal }) {
      const restartAt = Date.now() + OUTAGE_MS.temporal;
      await temporal.stop();
      await sleepUntil(restartAt);
      await temporal.start();
      return Date.now();
    },
  },
  {
    name: 'postgres restart + stop',
    fault: `Postgres restarted (immediate: crash recovery), then stopped (fast) for ${OUTAGE_MS.postgresStop / 1000} s`,
    modes: ['db'],
    async inject({ pg }) {
      await pg.restart('immediate');
      await sleep(STEADY_MS);
      const restartAt = Date.now() + OUTAGE_MS.postgresStop;
      await pg.stop('fast');
      await sleepUntil(restartAt);
      await pg.start();
      return Date.now();
    },
  },
];

/** RESERVE_MODE given: every scenario in that mode; otherwise each scenario in the modes where it matters. */
function plan(): { scenario: Scenario; mode: ReserveMode }[] {
  const forced = process.env.RESERVE_MODE;
  if (forced !== undefined && !(RESERVE_MODES as readonly string[]).includes(forced)) {
    throw new Error(`RESERVE_MODE=${forced}: use ${RESERVE_MODES.join(' or ')}`);
  }
  return SCENARIOS.flatMap((scenario) =>
    (forced ? [forced as ReserveMode] : scenario.modes).map((mode) => ({ scenario, mode })),
  );
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!);
}

function countOutcomes(calls: ReserveCall[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const c of calls) counts[String(c.outcome)] = (counts[String(c.outcome)] ?? 0) + 1;
  return counts;
}

describe('faults under load (own Postgres, RabbitMQ and Temporal; 2 api + 2 worker processes)', () => {
  const pg = new FaultPostgres();
  const rabbit = new FaultRabbit();
  const temporal = new FaultTemporal();
  const run: FaultRun = {
    startedAt: new Date().toISOString(),
    settings: {
      ratePerSecond: RATE_PER_SECOND,
      callerTimeoutMs: CALLER_TIMEOUT_MS,
      endGraceMs: END_GRACE_MS,
      recoveryGraceMs: RECOVERY_GRACE_MS,
    },
    scenarios: [],
  };

  beforeAll(async () => {
    writeResults(run);
    await Promise.all([pg.init(), rabbit.init(), temporal.init()]);
  }, 240_000);

  afterAll(async () => {
    // Only what this suite started: by data directory, node name and PID.
    await Promise.allSettled([pg.shutdown(), rabbit.shutdown(), temporal.shutdown()]);
  }, 120_000);

  for (const { scenario, mode } of plan()) {
    it(`${mode} mode · ${scenario.name}: every answer true, no oversell, every event, every reservation ended, ready again`, async () => {
      const id = `${scenario.name.replace(/\W+/g, '_')}_${mode}_${Date.now().toString(36)}`;
      const database = `faults_${id}`.toLowerCase();
      const databaseUrl = await pg.createDatabase(database);
      const amqpUrl = await rabbit.createVhost(id);
      const secret = randomBytes(32).toString('hex');
      const tokens = await mintTokens(secret);
      const cluster = await ServiceCluster.start({
        databaseUrl,
        amqpUrl,
        taskQueue: `faults-${id}`,
        jwtSecret: secret,
        mode,
        rabbit,
        temporal,
      });
      const problems: string[] = [];
      let passed = false;
      try {
        await declareEventQueue(amqpUrl, EVENTS_QUEUE);
        const skus = { hot: uniqueSku('HOT'), cold: Array.from({ length: 5 }, () => uniqueSku('COLD')) };
        for (const [sku, onHand] of [[skus.hot, 30], ...skus.cold.map((s) => [s, 400])] as [
          string,
          number,
        ][]) {
          const res = await fetch(`${cluster.apiUrls[0]}/inventory/${sku}`, {
            method: 'PUT',
            headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/json' },
            body: JSON.stringify({ onHand }),
          });
          expect(res.status).toBe(201);
        }

        const load = new LoadGenerator({
          apiUrls: () => cluster.apiUrls,
          token: tokens.reserve,
          amqpUrl,
          skus,
          ratePerSecond: RATE_PER_SECOND,
          confirmShare: 0.3,
          cancelShare: 0.3,
        });
        const loadStart = Date.now();
        const loadPeak = new LoadPeak();
        load.start();
        let window: FaultWindow;
        let back: number;
        try {
          await sleep(STEADY_MS);
          const faultStart = Date.now();
          back = await scenario.inject({ cluster, pg, rabbit, temporal });
          await eventually(async () => (await cluster.notReady()).length === 0 || undefined, {
            timeoutMs: 90_000,
            intervalMs: 250,
            what: 'every process ready again',
          }).catch(async (e: unknown) => {
            problems.push(`${(e as Error).message}: ${(await cluster.notReady()).join('; ')}`);
          });
          window = { start: faultStart, end: Date.now() };
          await sleep(STEADY_MS);
        } finally {
          await load.stop();
        }
        const loadAverage = Math.round(loadavg()[0]! * 10) / 10;
        const loadSeconds = Math.round((Date.now() - loadStart) / 1000);
        const calls = load.calls;

        // Every reservation ends: the last TTL is at most 5 s after the last call, plus the grace.
        const lastDue = Math.max(...calls.map((c) => c.sentAt + c.latencyMs + c.ttlSeconds * 1000));
        await eventually(async () => (await openReservations(databaseUrl)) === 0, {
          timeoutMs: Math.max(0, lastDue - Date.now()) + 45_000 * loadPeak.scale,
          intervalMs: 250,
          what: 'every reservation ended',
        }).catch((e: unknown) => problems.push((e as Error).message));

        const snap = await snapshot(databaseUrl);
        const events = await awaitEvents(amqpUrl, EVENTS_QUEUE, snap.movements, 30_000 * loadPeak.scale);
        const ledger = await runScript('scripts/ledger-check.ts', {
          DATABASE_URL: databaseUrl,
          AUTH_JWT_SECRET: secret,
        });
        const scale = loadPeak.scale;
        const peakLoadAverage = loadPeak.value;
        loadPeak.stop();
        const verdict = verifyCalls(calls, snap, { ...window, graceScale: scale });
        const violations = [
          ...problems,
          ...verdict.violations,
          ...events.missing.map((k) => `no event for the movement ${k}`),
          ...events.phantom.map((k) => `an event without a movement: ${k}`),
          ...(ledger.code === 0 ? [] : [`ledger:check exit ${ledger.code}: ${ledger.stderr.trim()}`]),
        ];

        const latencies = calls.map((c) => c.latencyMs).sort((a, b) => a - b);
        const during = calls.filter((c) => c.sentAt >= window.start && c.sentAt <= window.end);
        const decided = calls.filter((c) => c.decision);
        const result: ScenarioResult = {
          mode,
          scenario: scenario.name,
          fault: scenario.fault,
          startedAt: new Date(loadStart).toISOString(),
          loadSeconds,
          reserves: calls.length,
          outcomes: countOutcomes(calls),
          outcomesBeforeFault: countOutcomes(calls.filter((c) => c.sentAt < window.start)),
          outcomesDuringFault: countOutcomes(during),
          latencyMs: {
            p50: percentile(latencies, 50),
            p99: percentile(latencies, 99),
            max: percentile(latencies, 100),
          },
          worst503Ms: Math.round(
            Math.max(0, ...calls.filter((c) => c.outcome === 503).map((c) => c.latencyMs)),
          ),
          slowestAnswers: [...calls]
            .filter((c) => typeof c.outcome === 'number')
            .sort((a, b) => b.latencyMs - a.latencyMs)
            .slice(0, 3)
            .map((c) => ({
              outcome: c.outcome,
              callerMs: Math.round(c.latencyMs),
              ...(c.serverMs !== undefined ? { apiMs: Math.round(c.serverMs) } : {}),
            })),
          decisions: {
            confirms: decided.filter((c) => c.decision!.type === 'OrderConfirmed').length,
            cancels: decided.filter((c) => c.decision!.type === 'OrderCancelled').length,
            unpublished: decided.filter((c) => c.decision!.publishedAt === undefined).length,
          },
          readyAgainSeconds: Math.round((window.end - back) / 100) / 10,
          worstEndLatenessSeconds: Math.round(verdict.worstLatenessMs / 100) / 10,
          events: {
            distinct: events.events.size,
            duplicates: events.duplicates,
            missing: events.missing.length,
            phantom: events.phantom.length,
          },
          ledgerCheck: ledger.code === 0 ? 'clean' : `FAILED (${ledger.code})`,
          loadAverage,
          peakLoadAverage,
          graceScale: scale,
          violationCount: violations.length,
          violations: violations.slice(0, 25),
          passed: violations.length === 0,
        };
        run.scenarios.push(result);
        writeResults(run);
        console.log(
          `${scenario.fault}\n${renderTable({ ...run, scenarios: [result] })}` +
            (violations.length > 0 ? `\n${violations.slice(0, 25).join('\n')}` : ''),
        );
        passed = violations.length === 0;
        if (!passed) {
          throw new Error(
            // The processes' logs first and the violations last, where the tail of a log keeps them.
            `${cluster.output()}\n${violations.length} violation(s) in "${scenario.name}" (${mode} mode; ` +
              `database ${database} kept in ${pg.dir} until the next run):\n` +
              violations.slice(0, 25).join('\n'),
          );
        }
      } finally {
        await cluster.stop();
        await rabbit.deleteVhost(id).catch(() => undefined);
        // A failed scenario's database stays for inspection (pg.init() clears the cluster next run).
        if (passed) await pg.dropDatabase(database).catch(() => undefined);
      }
    });
  }
});
