import { runsWorker, type ServiceLayout } from './service';
import { fixed, msText, type Latency } from './stats';

/** Closed-loop variants: HTTP reserve in both modes beside the three floors. */
export const CLOSED_VARIANTS = ['http-db', 'http-workflow', 'txn', 'update', 'floor'] as const;
export type ClosedVariant = (typeof CLOSED_VARIANTS)[number];

export const VARIANT_LABELS: Record<ClosedVariant, string> = {
  'http-db': 'HTTP reserve, `db` mode',
  'http-workflow': 'HTTP reserve, `workflow` mode',
  txn: 'reserve transaction alone',
  update: 'bare conditional UPDATE',
  floor: 'bare Update-With-Start',
};

/** CPU groups of cpu.ts, in table order. */
export const CPU_GROUPS = [
  'api:db',
  'worker:db',
  'api:workflow',
  'worker:workflow',
  'temporal',
  'postgres:bench',
  'postgres:shared',
  'bench',
  'other',
] as const;

export interface ClosedResult extends Latency {
  /** Completed reserves per second of wall time in the measured windows. */
  throughput: number;
  /** `db` mode: with the time the dispatcher then needed to deliver what the window committed. */
  sustained?: number;
  drainMs?: number;
  /** CPU ms per reserve by group (the window and, for `db` mode, its drain). */
  cpuPerRequest: Record<string, number>;
}

export interface CpuWindow {
  wallMs: number;
  ms: Record<string, number>;
}

export interface OpenResult {
  mode: 'db' | 'workflow';
  rate: number;
  seconds: number;
  sent: number;
  errors: number;
  firstError?: string;
  /** Completed reserves per second over the step (scheduled start of the first to the last answer). */
  achieved: number;
  /** From each request's scheduled start (no coordinated omission). */
  http: Latency;
  /** The api's own time for the same answers (Server-Timing): what HTTP adds beyond it queued outside. */
  api?: Latency;
  /** How late the generator launched requests: if large, the bench itself was starved. */
  launchLag: Latency;
  /** Commit (the reservation's createdAt) → the workflow's start time in Temporal, exact per order. */
  lag?: Latency;
  /** Orders whose workflow Temporal did not know when the lag was read. */
  lagMissing?: number;
  /** The service's own dispatch-lag histogram over the step and its drain. */
  lagHistogram?: { n: number; p50: number; p99: number };
  /** From the step's last answer until no workflow request was left undelivered. */
  drainMs: number;
  peakBacklog: number;
  cpu: { step: CpuWindow; drain: CpuWindow };
}

export interface Target {
  name: string;
  goal: string;
  measured: string;
  floor: string;
  pass: boolean | undefined;
}

export interface BenchReport {
  runId: string;
  startedAt: string;
  finishedAt?: string;
  machine: { cpus: number; loadBefore: number[]; loadAfter?: number[] };
  args: unknown;
  command: string;
  commit?: string;
  closed: Record<string, Partial<Record<ClosedVariant, ClosedResult>>>;
  open: OpenResult[];
  targets: Target[];
  cleanup?: { terminated: number; left: number; ms: number };
}

const layoutOf = (report: BenchReport): ServiceLayout =>
  (report.args as { layout?: ServiceLayout }).layout ?? 'split';
const LAYOUT_TEXT: Record<ServiceLayout, string> = {
  split: 'two (`api` | `worker,bridge,relay`)',
  single: 'one (every role)',
  alone: 'the `api` alone, no background (`--layout alone`: a diagnostic; nothing delivers the backlog)',
  relay: 'the `api` | a `relay` process (`--layout relay`: a diagnostic; nothing delivers the backlog)',
};

const pair = (l: Latency | undefined) => (l ? `${msText(l.p50)} / ${msText(l.p99)}` : '-');
const rate = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(0));

export function closedTable(report: BenchReport): string {
  const variants = CLOSED_VARIANTS.filter((v) => Object.values(report.closed).some((r) => r[v]));
  const lines = [
    `| callers | ${variants.map((v) => `${VARIANT_LABELS[v]}: p50 / p99 ms, reserves/s`).join(' | ')} |`,
    `|---|${variants.map(() => '---').join('|')}|`,
  ];
  for (const [level, r] of Object.entries(report.closed)) {
    const cells = variants.map((v) => {
      const s = r[v];
      if (!s) return '-';
      const sustained = s.sustained !== undefined ? ` (${rate(s.sustained)} with drain)` : '';
      const errors = s.errors ? `, ${s.errors} errors` : '';
      return `${pair(s)}, ${rate(s.throughput)}${sustained}${errors}`;
    });
    lines.push(`| ${level.replace(/^c/, '')} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

export function openTable(report: BenchReport): string {
  const lines = [
    '| mode | offered/s | done/s | HTTP p50 / p99 ms | in the api (Server-Timing) p50 / p99 ms | commit→workflow started p50 / p99 ms | same, service histogram | peak backlog | drained after (s) | errors |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const o of report.open) {
    const lag = o.lag
      ? `${pair(o.lag)}${o.lagMissing ? ` (${o.lagMissing} not started)` : ''}`
      : 'n/a (in the request)';
    const hist = o.lagHistogram && o.lagHistogram.n > 0 ? pair(o.lagHistogram as Latency) : '-';
    lines.push(
      `| ${o.mode} | ${o.rate} | ${rate(o.achieved)} | ${pair(o.http)} | ${pair(o.api)} | ${lag} | ${hist} | ${o.mode === 'db' ? o.peakBacklog : '-'} | ${o.mode === 'db' ? fixed(o.drainMs / 1000, 1) : '-'} | ${o.errors} |`,
    );
  }
  return lines.join('\n');
}

/** Where the CPU went during each open-loop step: cores busy, and CPU ms per reserve incl. its drain. */
export function cpuTable(report: BenchReport): string {
  const groups = CPU_GROUPS.filter((g) => report.open.some((o) => (o.cpu.step.ms[g] ?? 0) > 0));
  const lines = [
    `| mode | offered/s | cores busy during the step: ${groups.join(' / ')} | CPU ms per reserve, step + drain: ${groups.join(' / ')} |`,
    '|---|---|---|---|',
  ];
  for (const o of report.open) {
    const cores = groups.map((g) => fixed((o.cpu.step.ms[g] ?? 0) / o.cpu.step.wallMs, 2)).join(' / ');
    const n = o.sent || 1;
    const per = groups
      .map((g) => fixed(((o.cpu.step.ms[g] ?? 0) + (o.cpu.drain.ms[g] ?? 0)) / n, 1))
      .join(' / ');
    lines.push(`| ${o.mode} | ${o.rate} | ${cores} | ${per} |`);
  }
  return lines.join('\n');
}

/** CPU ms per reserve per variant at one closed-loop level. */
export function closedCpuTable(report: BenchReport, level: number): string {
  const r = report.closed[`c${level}`];
  if (!r) return '';
  const groups = CPU_GROUPS.filter((g) => Object.values(r).some((s) => (s?.cpuPerRequest[g] ?? 0) > 0.005));
  const lines = [
    `| ${level} callers, CPU ms per reserve | ${groups.join(' | ')} |`,
    `|---|${groups.map(() => '---').join('|')}|`,
  ];
  for (const v of CLOSED_VARIANTS) {
    const s = r[v];
    if (s)
      lines.push(
        `| ${VARIANT_LABELS[v]} | ${groups.map((g) => fixed(s.cpuPerRequest[g] ?? 0, 2)).join(' | ')} |`,
      );
  }
  return lines.join('\n');
}

export function targetsTable(report: BenchReport): string {
  const lines = ['| target | goal | measured | floors, same run | result |', '|---|---|---|---|---|'];
  for (const t of report.targets) {
    lines.push(
      `| ${t.name} | ${t.goal} | ${t.measured} | ${t.floor} | ${t.pass === undefined ? 'not measured' : t.pass ? 'PASS' : 'MISS'} |`,
    );
  }
  return lines.join('\n');
}

/** The issue's targets (db mode) and the workflow mode's ratio to its floor. */
export function evaluateTargets(report: BenchReport): Target[] {
  // Without the background the targets' condition ("background work counts") does not hold.
  if (!runsWorker(layoutOf(report))) return [];
  const c = (level: number) => report.closed[`c${level}`] ?? {};
  const open = (mode: string, r: number) => report.open.find((o) => o.mode === mode && o.rate === r);
  const targets: Target[] = [];
  const check = (
    name: string,
    goal: string,
    value: number | undefined,
    ok: (v: number) => boolean,
    measured: string,
    floor: string,
  ) =>
    targets.push({
      name,
      goal,
      measured,
      floor,
      pass: value === undefined || !Number.isFinite(value) ? undefined : ok(value),
    });

  const one = c(1);
  check(
    'HTTP reserve p50, 1 caller (db mode)',
    '< 5 ms',
    one['http-db']?.p50,
    (v) => v < 5,
    `${msText(one['http-db']?.p50)} ms`,
    `transaction ${msText(one.txn?.p50)} ms (×${fixed((one['http-db']?.p50 ?? NaN) / (one.txn?.p50 ?? NaN), 1)}), UPDATE ${msText(one.update?.p50)} ms`,
  );
  for (const [r, metric, limit] of [
    [30, 'http', 10],
    [30, 'lag', 250],
    [100, 'http', 50],
  ] as const) {
    const o = open('db', r);
    const l = metric === 'http' ? o?.http : o?.lag;
    check(
      `open loop ${r}/s: ${metric === 'http' ? 'HTTP p99' : 'commit→workflow-started lag p99'}`,
      `< ${limit} ms`,
      l?.p99,
      (v) => v < limit && (o?.errors ?? 1) === 0 && (metric === 'http' || (o?.lagMissing ?? 0) === 0),
      `${msText(l?.p99)} ms${o?.errors ? ` (${o.errors} errors)` : ''}`,
      metric === 'http' ? `transaction alone, closed loop 1 caller: p99 ${msText(one.txn?.p99)} ms` : '-',
    );
  }
  const db32 = c(32)['http-db'];
  const txn32 = c(32).txn;
  const ratio = (db32?.throughput ?? NaN) / (txn32?.throughput ?? NaN);
  check(
    'closed-loop throughput, 32 callers (db mode)',
    '≥ 0.5× the transaction alone',
    ratio,
    (v) => v >= 0.5,
    `${rate(db32?.throughput)}/s = ×${fixed(ratio, 2)}`,
    `transaction alone ${rate(txn32?.throughput)}/s, UPDATE ${rate(c(32).update?.throughput)}/s`,
  );
  const sustained = (db32?.sustained ?? NaN) / (txn32?.throughput ?? NaN);
  check(
    'same, counting the time the dispatcher then needed to deliver the round',
    '≥ 0.5× the transaction alone',
    sustained,
    (v) => v >= 0.5,
    `${rate(db32?.sustained)}/s = ×${fixed(sustained, 2)}`,
    `transaction alone ${rate(txn32?.throughput)}/s`,
  );
  for (const level of Object.keys(report.closed)) {
    const w = report.closed[level]!['http-workflow'];
    const f = report.closed[level]!.floor;
    if (!w || !f) continue;
    const p50 = w.p50 / f.p50;
    const p99 = w.p99 / f.p99;
    check(
      `workflow mode ÷ Update-With-Start floor, ${level.slice(1)} callers`,
      '≤ 1.3× at p50 and p99',
      Math.max(p50, p99),
      (v) => v <= 1.3,
      `p50 ×${fixed(p50, 2)}, p99 ×${fixed(p99, 2)}`,
      `floor ${pair(f)} ms`,
    );
  }
  const last = report.open.filter((o) => o.mode === 'db').at(-1);
  if (last) {
    targets.push({
      name: `backlog drained after the ${last.rate}/s step`,
      goal: 'drains by itself',
      measured: `${fixed(last.drainMs / 1000, 1)} s (peak ${last.peakBacklog} requests)`,
      floor: '-',
      pass: Number.isFinite(last.drainMs),
    });
  }
  return targets;
}

export function markdown(report: BenchReport): string {
  return [
    `Run ${report.runId} (${report.startedAt} → ${report.finishedAt ?? '?'}, commit ${report.commit ?? '?'}): \`${report.command}\``,
    '',
    `Service processes per mode: ${LAYOUT_TEXT[layoutOf(report)]}.`,
    '',
    '### Closed loop',
    closedTable(report),
    '',
    '### Open loop',
    openTable(report),
    '',
    '### CPU split during the open-loop steps',
    cpuTable(report),
    '',
    closedCpuTable(report, 32),
    '',
    '### Targets',
    !runsWorker(layoutOf(report))
      ? `Not judged: \`--layout ${layoutOf(report)}\` runs no dispatcher or workflows, and the targets count them.`
      : targetsTable(report),
  ].join('\n');
}
