import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { devServerEnv, devServerFlags } from '../../scripts/lib/temporalFlags';
import { devServerReady, terminateChild } from '../../test/support/devServer';
import { freePort } from '../../test/support/serviceProcess';

const ROOT = join(__dirname, '..', '..');
const TEMPORAL_BIN = join(ROOT, '.tools', 'bin', 'temporal');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A Temporal dev server of a benchmark's own: a fresh SQLite file in `dir`, free loopback ports, the
 * flags and environment of scripts/services.sh (temporal/, through scripts/lib/temporalFlags.ts). Its
 * history starts empty, so a run is not slowed by an earlier run's workflows, and stopping it (by PID)
 * is the whole cleanup.
 */
export class BenchDevServer {
  private constructor(
    readonly child: ChildProcess,
    readonly address: string,
    private readonly dir: string,
  ) {}

  get pid(): number {
    return this.child.pid!;
  }

  /** Started and awaited until its search attributes are registered (at most 60 s). */
  static async start(dir: string, options: { pragmas?: boolean } = {}): Promise<BenchDevServer> {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const [port, http, ui, metrics] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const child = spawn(
      TEMPORAL_BIN,
      [
        'server',
        'start-dev',
        '--ip=127.0.0.1',
        `--port=${port}`,
        `--http-port=${http}`,
        `--ui-port=${ui}`,
        `--metrics-port=${metrics}`,
        '--headless',
        `--db-filename=${join(dir, 'temporal.db')}`,
        '--log-level=error',
        ...devServerFlags(options),
      ],
      { stdio: 'ignore', env: { ...process.env, ...devServerEnv() } },
    );
    const server = new BenchDevServer(child, `127.0.0.1:${port}`, dir);
    for (let i = 0; i < 300; i++) {
      if (child.exitCode !== null) throw new Error(`the dev server exited (${child.exitCode})`);
      if (await devServerReady(server.address)) return server;
      await sleep(200);
    }
    child.kill('SIGKILL');
    throw new Error('the dev server did not come up within 60 s');
  }

  /**
   * Sets the nice value of every thread of the server (Linux keeps one per thread; threads started later
   * inherit their creator's). Lowering it again needs root or CAP_SYS_NICE: returns false if refused.
   */
  setNice(nice: number): boolean {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${this.pid}/task`);
    } catch {
      tids = [String(this.pid)];
    }
    try {
      for (const tid of tids) setPriority(Number(tid), nice);
      return true;
    } catch {
      return false;
    }
  }

  /** SIGTERM (SIGKILL after 10 s), then its SQLite files are removed. */
  async stop(): Promise<void> {
    await terminateChild(this.child, 10_000);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
