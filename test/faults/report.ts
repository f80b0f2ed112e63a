import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ReserveCall } from './load';

/** Where the fault suite writes what it measured; scripts/faults-report.ts renders docs/faults.md from it. */
export const RESULTS_FILE = join(__dirname, '..', '..', '.data', 'faults-results.json');

export interface ScenarioResult {
  mode: string;
  scenario: string;
  fault: string;
  startedAt: string;
  loadSeconds: number;
  reserves: number;
  /** Answers by status code, 'timeout' and 'network'. */
  outcomes: Record<string, number>;
  /** The same, for calls sent before the fault (the baseline on this machine at that moment). */
  outcomesBeforeFault: Record<string, number>;
  /** The same, for calls sent while the fault was in effect (fault start → every process ready). */
  outcomesDuringFault: Record<string, number>;
  latencyMs: { p50: number; p99: number; max: number };
  /** Worst latency of a 503, ms (a 503 should be prompt). */
  worst503Ms: number;
  /**
   * The three slowest answers: the caller's latency beside the api's own time (Server-Timing), which
   * tells queueing before the api (or on the wire) from time spent in it. Absent in older results.
   */
  slowestAnswers?: { outcome: ReserveCall['outcome']; callerMs: number; apiMs?: number }[];
  decisions: { confirms: number; cancels: number; unpublished: number };
  /** From the dependency back (or the killed processes restarted) to every process ready. */
  readyAgainSeconds: number;
  /** Worst (end − due) over every reservation: TTL expiry or the decision's publish. */
  worstEndLatenessSeconds: number;
  events: { distinct: number; duplicates: number; missing: number; phantom: number };
  ledgerCheck: string;
  /** 1-minute load average of the machine at the end of the load (2 cores: above 2 means queueing). */
  loadAverage: number;
  /** The highest 1-minute load average from the load's start to the checks (older results: absent). */
  peakLoadAverage?: number;
  /** The timing graces' multiplier from that peak (verify.ts graceScale; 1 on a box the suite alone loads). */
  graceScale?: number;
  violationCount: number;
  violations: string[];
  passed: boolean;
}

export interface FaultRun {
  startedAt: string;
  settings: { ratePerSecond: number; callerTimeoutMs: number; endGraceMs: number; recoveryGraceMs?: number };
  scenarios: ScenarioResult[];
}

export function readResults(file = RESULTS_FILE): FaultRun | undefined {
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as FaultRun;
}

export function writeResults(run: FaultRun, file = RESULTS_FILE): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(run, null, 2)}\n`);
}

const n = (outcomes: Record<string, number>, key: string) => outcomes[key] ?? 0;
const others = (outcomes: Record<string, number>) =>
  Object.entries(outcomes)
    .filter(([k]) => !['201', '200', '409', '503', 'timeout', 'network'].includes(k))
    .map(([k, v]) => `${v}×${k}`)
    .join(' ') || '0';

/** The load average at the load's end; its peak and the graces' multiplier when those were stretched. */
function loadColumn(s: ScenarioResult): string {
  if (s.graceScale === undefined || s.graceScale <= 1) return String(s.loadAverage);
  return `${s.loadAverage} (peak ${s.peakLoadAverage}: graces ×${s.graceScale})`;
}

/** One Markdown table row per scenario: what callers saw and what the checks found. */
export function renderTable(run: FaultRun): string {
  const head =
    '| mode | scenario | reserves | 201/200 | 409 | 503 | timeout | other | before fault: 201 / timeout | during fault: 201 / 503 / timeout | p50 / p99 / max ms | worst 503 ms | ready again s | worst end lateness s | events (dupes) | ledger | load avg | violations |';
  const rule = `|${head
    .split('|')
    .slice(1, -1)
    .map(() => '---')
    .join('|')}|`;
  const rows = run.scenarios.map((s) => {
    const o = s.outcomes;
    const b = s.outcomesBeforeFault;
    const d = s.outcomesDuringFault;
    return [
      s.mode,
      s.scenario,
      s.reserves,
      n(o, '201') + n(o, '200'),
      n(o, '409'),
      n(o, '503'),
      n(o, 'timeout'),
      others(o) + (o.network ? `, ${o.network}×no answer` : ''),
      `${n(b, '201') + n(b, '200')} / ${n(b, 'timeout')}`,
      `${n(d, '201') + n(d, '200')} / ${n(d, '503')} / ${n(d, 'timeout')}`,
      `${s.latencyMs.p50} / ${s.latencyMs.p99} / ${s.latencyMs.max}`,
      s.worst503Ms,
      s.readyAgainSeconds,
      s.worstEndLatenessSeconds,
      `${s.events.distinct} (${s.events.duplicates})`,
      s.ledgerCheck,
      loadColumn(s),
      s.violationCount === 0 ? 'none' : `**${s.violationCount}**`,
    ].join(' | ');
  });
  return [head, rule, ...rows.map((r) => `| ${r} |`)].join('\n');
}

/** ` (slowest: 4582 ms, api 3012)`: the slowest answer's caller latency and the api's own time. */
function slowest(s: ScenarioResult): string {
  const top = s.slowestAnswers?.[0];
  if (!top) return '';
  return ` (slowest ${top.outcome}: ${top.callerMs} ms, api ${top.apiMs ?? '?'})`;
}

/**
 * A few plain lines per scenario for the end of a CI log (whose tail is all that some readers keep):
 * its verdict, what callers saw, the load, and the first violations.
 */
export function renderDigest(run: FaultRun, maxViolations = 8): string {
  return run.scenarios
    .map((s) => {
      const outcomes = Object.entries(s.outcomes)
        .map(([k, v]) => `${v}×${k}`)
        .join(' ');
      const head =
        `${s.passed ? 'ok  ' : 'FAIL'} ${s.mode} · ${s.scenario}: ${s.reserves} reserves (${outcomes}), ` +
        `p99 ${s.latencyMs.p99} ms${slowest(s)}, ready again ${s.readyAgainSeconds} s, load avg ${loadColumn(s)}`;
      const shown = s.violations.slice(0, maxViolations).map((v) => `       - ${v.split('\n')[0]}`);
      const more =
        s.violationCount > shown.length ? [`       (${s.violationCount - shown.length} more)`] : [];
      return [head, ...shown, ...more].join('\n');
    })
    .join('\n');
}

/** One section per run (e.g. the default rate and a lower one), each with its table and violations. */
export function renderDoc(runs: FaultRun[], notes = '<!-- notes -->\n<!-- /notes -->'): string {
  const first = runs[0]!.settings;
  const timeout = first.callerTimeoutMs / 1000;
  const grace = first.endGraceMs / 1000;
  const recovery = (first.recoveryGraceMs ?? first.endGraceMs) / 1000;
  const sections = runs.map((run) => {
    const failing = run.scenarios.filter((s) => s.violationCount > 0);
    const details = failing.map(
      (s) =>
        `#### ${s.mode} · ${s.scenario}\n\n${s.violationCount} violation(s); the first ${s.violations.length}:\n\n` +
        s.violations.map((v) => `- ${v.replace(/\|/g, '\\|')}`).join('\n'),
    );
    return [
      `## ${run.settings.ratePerSecond} reserves/s (run of ${run.startedAt})`,
      '',
      renderTable(run),
      '',
      ...(details.length > 0 ? ['### Violations', '', ...details, ''] : []),
    ].join('\n');
  });
  return [
    '# Fault tests: what callers saw',
    '',
    '<!-- Rendered by `npm run faults:report` from .data/faults-results.json (written by `npm run test:faults`). -->',
    '',
    'Measured on this machine (2 vCPU, shared with other test runs). Each scenario: two `ROLES=api` and two',
    '`ROLES=worker,bridge,relay` processes on the suite’s own Postgres (5440), RabbitMQ (5680) and Temporal',
    'dev server (7240); an open-loop reserve load over HTTP (40 % on one hot SKU, TTL 3–5 s, one or two',
    'lines), a confirm or cancel on `order.events` for 30 % / 30 % of the 201s; callers give up after',
    `${timeout} s (\`timeout\`) and retry once on the other api after a refused or reset connection. After the`,
    'load the suite checks: one RESERVE movement per line of every 201 and none for any other answer; no',
    'oversell and `npm run ledger:check` clean; an event on `inventory.events` for every movement (by',
    `\`eventId\`); every reservation ended by its TTL (or decision) plus ${grace} s, or ${recovery} s after the`,
    'fault when it fell due during it or the catch-up after it (both graces stretched by the peak load',
    'average per CPU over 2, up to ×4, when other work loads the machine: see the load column); every',
    'process ready again.',
    '',
    'Columns: *before fault* counts the calls of the first seconds (the baseline at that moment);',
    '*during fault* counts calls sent between the fault and every process being ready again;',
    '*ready again* is measured from the dependency being back (or the killed processes restarted);',
    '*worst end lateness* is the latest end of a reservation after it was due; *load avg* is the',
    'machine’s 1-minute load average when the load stopped (2 cores: above 2 means queueing).',
    '',
    notes,
    '',
    ...sections,
  ].join('\n');
}
