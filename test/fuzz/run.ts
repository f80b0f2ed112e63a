import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startE2E, type E2EEnvironment } from '../e2e/harness';
import globalSetup from '../support/global-setup';

/**
 * npm run test:fuzz: schemathesis against the real service's /openapi.json (its own database, vhost and
 * task queue, as the e2e suite has), every phase including the stateful one that follows the document's
 * links, with the checks `not_a_server_error` and `response_schema_conformance`. Bounded by FUZZ_MAX_TIME
 * seconds (default 180); exits non-zero on any finding. FUZZ_SEED reproduces a run (each run prints its
 * seed).
 */
const ROOT = join(__dirname, '..', '..');
const SCHEMATHESIS = join(ROOT, '.tools', 'venv', 'bin', 'schemathesis');
const REPORT_DIR = join(ROOT, '.data', 'fuzz');
const MAX_TIME_SECONDS = Number(process.env.FUZZ_MAX_TIME ?? 180);
const CHECKS = 'not_a_server_error,response_schema_conformance';

interface Summary {
  requests: number;
  operations: number;
  /** Failed checks, one per failing response. */
  findings: number;
  /** Errors of schemathesis itself (a schema it cannot read, a crash). */
  errors: number;
  byStatus: Record<string, number>;
}

/** Counts from schemathesis' NDJSON event stream (one event per line). */
function summarise(ndjsonPath: string): Summary {
  const summary: Summary = { requests: 0, operations: 0, findings: 0, errors: 0, byStatus: {} };
  if (!existsSync(ndjsonPath)) return summary;
  const operations = new Set<string>();
  for (const line of readFileSync(ndjsonPath, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const event = JSON.parse(line) as Record<string, { recorder?: Recorder } | undefined>;
    if (event.NonFatalError) summary.errors++;
    const recorder = event.ScenarioFinished?.recorder;
    if (!recorder) continue;
    if (recorder.label && /^[A-Z]+ \//.test(recorder.label)) operations.add(recorder.label);
    for (const interaction of Object.values(recorder.interactions ?? {})) {
      summary.requests++;
      const status = interaction.response?.status_code;
      const family = status === undefined ? 'none' : `${String(status).slice(0, 1)}xx`;
      summary.byStatus[family] = (summary.byStatus[family] ?? 0) + 1;
    }
    for (const checks of Object.values(recorder.checks ?? {})) {
      summary.findings += checks.filter((c) => c.status === 'failure').length;
    }
  }
  summary.operations = operations.size;
  return summary;
}

interface Recorder {
  label?: string;
  interactions?: Record<string, { response?: { status_code?: number } }>;
  checks?: Record<string, { name: string; status: string }[]>;
}

function runSchemathesis(env: E2EEnvironment, seed: string): Promise<number> {
  const ndjson = join(REPORT_DIR, 'events.ndjson');
  const args = [
    'run',
    `${env.service.url}/openapi.json`,
    '--checks',
    CHECKS,
    '--phases',
    'examples,coverage,fuzzing,stateful',
    '--max-time',
    String(MAX_TIME_SECONDS),
    // One worker: with several, CPython 3.11's ast module races inside Hypothesis ("AST constructor
    // recursion depth mismatch"), and the service, not the client, is the bottleneck on two cores.
    '--workers',
    '1',
    '--seed',
    seed,
    '--request-timeout',
    '15',
    '--header',
    `Authorization: Bearer ${env.tokens.all}`,
    '--generation-database',
    'none',
    '--report',
    'ndjson,junit',
    '--report-dir',
    REPORT_DIR,
    '--report-ndjson-path',
    ndjson,
    '--no-color',
  ];
  return new Promise((resolve, reject) => {
    // Its working directory takes its caches (.schemathesis/), out of the work tree.
    const child = spawn(SCHEMATHESIS, args, { cwd: REPORT_DIR, stdio: ['ignore', 'inherit', 'inherit'] });
    // The run stops itself at --max-time; this bounds a hung one.
    const timer = setTimeout(() => child.kill('SIGKILL'), (MAX_TIME_SECONDS + 120) * 1000);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

async function main(): Promise<number> {
  if (!existsSync(SCHEMATHESIS)) {
    console.error(`${SCHEMATHESIS} is missing: run 'npm run setup' (step fuzz-tools)`);
    return 1;
  }
  mkdirSync(REPORT_DIR, { recursive: true });
  await globalSetup();
  const seed = process.env.FUZZ_SEED ?? String(Math.floor(Math.random() * 2 ** 31));
  const env = await startE2E('inv_fuzz', { env: { LOG_LEVEL: 'error' } });
  const started = Date.now();
  let code = 1;
  try {
    code = await runSchemathesis(env, seed);
  } finally {
    const seconds = Math.round((Date.now() - started) / 1000);
    const { requests, operations, findings, errors, byStatus } = summarise(join(REPORT_DIR, 'events.ndjson'));
    const statuses = Object.entries(byStatus)
      .sort()
      .map(([family, n]) => `${family} ${n}`)
      .join(', ');
    console.log(
      `fuzz: ${requests} requests (${statuses}) over ${operations} operations in ${seconds} s: ` +
        `${findings} findings, ${errors} errors (seed ${seed}; reports in ${REPORT_DIR})`,
    );
    if (code !== 0) console.log(env.service.tail(40));
    await env.teardown().catch((error: unknown) => {
      console.error('fuzz teardown failed:', error);
      code ||= 1;
    });
  }
  return code;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('fuzz run failed:', error);
    process.exit(1);
  },
);
