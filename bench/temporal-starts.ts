/**
 * What a db-mode workflow start costs the Temporal dev server, with and without the SQLite pragmas of
 * temporal/sqlite-pragmas.txt: the dispatcher's own delivery (deliverWorkflowRequest: signalWithStart
 * of the reservation workflow with its search attributes) against a dev server of this bench's own,
 * and the workflow's first task in a worker in this process.
 *
 *   npm run bench:starts -- [--starts 300] [--concurrency 8] [--rounds 2] [--rate 30 [--burst 1]]
 *
 * Per variant and round: a fresh dev server (its own SQLite file under .data/bench-starts, free ports,
 * loopback only), 20 warm-up starts, then `--starts` starts with `--concurrency` in flight, or (with
 * `--rate`) an open loop of `--rate` starts a second, sent `--burst` at a time. Prints
 * starts/s, the server's CPU ms per start (from /proc) and this process's (client and worker). Variants
 * alternate, so drift hits both alike. Stops its servers by PID.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { deliverWorkflowRequest } from '../src/adapters/temporal/ReservationWorkflowDispatcher';
import { bundleReservationWorkflows } from '../src/adapters/temporal/worker';
import { BenchDevServer } from './lib/devServer';
import { latency, msText, sleep } from './reserve/stats';

const ROOT = join(__dirname, '..');
const DATA = join(ROOT, '.data', 'bench-starts');
const USER_HZ_MS = 10;

function arg(name: string, def: number, max: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : def;
  if (!Number.isInteger(v) || v < 1 || v > max) throw new Error(`--${name}: an integer 1..${max}`);
  return v;
}

function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * USER_HZ_MS;
}

const ownCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

interface Result {
  variant: string;
  round: number;
  startsPerSecond: number;
  serverMsPerStart: number;
  ownMsPerStart: number;
  p50: number;
  p99: number;
}

async function measure(
  variant: string,
  pragmas: boolean,
  round: number,
  starts: number,
  concurrency: number,
  rate: number | undefined,
  burst = 1,
) {
  const server = await BenchDevServer.start(join(DATA, `${variant}-${round}`), { pragmas });
  const { address } = server;
  const taskQueue = `bench-starts-${variant}-${round}`;
  const native = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection: native,
    taskQueue,
    workflowBundle: await bundleReservationWorkflows(),
    activities: {},
  });
  const running = worker.run();
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const start = (orderId: string) =>
    deliverWorkflowRequest(client, {
      orderId,
      taskQueue,
      request: {
        kind: 'start',
        status: 'RESERVED',
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
        skus: ['SKU-1'],
      },
    });
  try {
    for (let i = 0; i < 20; i++) await start(`warm-${round}-${i}`);
    await sleep(1_000);
    const server0 = cpuMs(server.pid);
    const own0 = ownCpuMs();
    const t0 = performance.now();
    const times: number[] = [];
    const timed = async (i: number) => {
      const s = performance.now();
      await start(`order-${round}-${i}`);
      times.push(performance.now() - s);
    };
    if (rate) {
      // Open loop: `burst` starts every burst/rate s, whatever the earlier ones do.
      const inFlight: Promise<void>[] = [];
      for (let i = 0; i < starts; i++) {
        const due = t0 + (Math.floor(i / burst) * burst * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        inFlight.push(timed(i));
      }
      await Promise.all(inFlight);
    } else {
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < starts) await timed(next++);
        }),
      );
    }
    const wallMs = performance.now() - t0;
    // The workflows' first tasks run after their starts were accepted.
    await sleep(2_000);
    const l = latency(times);
    return {
      variant,
      round,
      startsPerSecond: starts / (wallMs / 1000),
      serverMsPerStart: (cpuMs(server.pid) - server0) / starts,
      ownMsPerStart: (ownCpuMs() - own0) / starts,
      p50: l.p50,
      p99: l.p99,
    } satisfies Result;
  } finally {
    worker.shutdown();
    await running.catch(() => undefined);
    await connection.close();
    await native.close();
    await server.stop();
  }
}

async function main(): Promise<void> {
  const starts = arg('starts', 300, 5_000);
  const concurrency = arg('concurrency', 8, 64);
  const rounds = arg('rounds', 2, 10);
  const rate = process.argv.includes('--rate') ? arg('rate', 30, 1_000) : undefined;
  const burst = arg('burst', 1, 1_000);
  const variants = [
    { name: 'default', pragmas: false },
    { name: 'sqlite-pragmas.txt', pragmas: true },
  ];
  const results: Result[] = [];
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? variants : [...variants].reverse();
    for (const v of order) {
      const r = await measure(
        v.name === 'default' ? 'default' : 'pragmas',
        v.pragmas,
        round,
        starts,
        concurrency,
        rate,
        burst,
      );
      r.variant = v.name;
      results.push(r);
      console.log(
        `round ${round}, ${v.name}: ${r.startsPerSecond.toFixed(1)} starts/s, server ${r.serverMsPerStart.toFixed(2)} ms CPU per start`,
      );
    }
  }
  console.log(
    `\n${starts} starts per round, ${rate ? `${rate}/s open loop, ${burst} at a time` : `${concurrency} in flight`}, ${rounds} round(s); load average ${process.platform === 'linux' ? readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') : '?'}\n`,
  );
  console.log(
    '| SQLite pragmas | round | starts/s | start p50 / p99 ms | server CPU ms per start | client + worker CPU ms per start |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(
      `| ${r.variant} | ${r.round} | ${r.startsPerSecond.toFixed(1)} | ${msText(r.p50)} / ${msText(r.p99)} | ${r.serverMsPerStart.toFixed(2)} | ${r.ownMsPerStart.toFixed(2)} |`,
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
