import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { uniqueTaskQueue } from './temporal';

const ROOT = join(__dirname, '..', '..');
const ENTRYPOINT = 'src/main/index.ts';

/** Children still running, SIGKILLed if the test process exits without stopping them (a crash, a bail). */
const live = new Set<number>();
let exitHookInstalled = false;
function track(pid: number): void {
  live.add(pid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const group of live) {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });
}

export interface ServiceProcessOptions {
  databaseUrl: string;
  amqpUrl: string;
  /** HS256 secret the test also mints its tokens with. */
  jwtSecret: string;
  /** Default: a unique queue, so this process's worker is the only one polling it. */
  taskQueue?: string;
  /** Anything else (ROLES, RESERVATION_DEFAULT_TTL_SECONDS, OTEL_*, ...). */
  env?: Record<string, string>;
  /** How long to wait for GET /health/ready to answer 200. */
  readyTimeoutMs?: number;
  /** What start() awaits: 200 from /health/ready (default), or only /health/live (a process that is not meant to be ready). */
  waitFor?: 'ready' | 'live';
}

export interface StopOptions {
  signal?: NodeJS.Signals;
  /** The exit code stop() asserts (default 0); null to accept anything. */
  expectExitCode?: number | null;
  timeoutMs?: number;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A port that was free a moment ago on 127.0.0.1 (a start that loses the race retries with another). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * The real service (src/main/index.ts, every role) as a child process: `node --import tsx`, one process
 * so that signals and the exit code are the service's own, not a wrapper's. Bound to 127.0.0.1 on a
 * free port, with this test file's database, vhost and task queue. Output is captured and attached to
 * every failure.
 */
export class ServiceProcess {
  private captured = '';
  private readonly exit: Promise<ProcessExit>;
  private exitInfo: ProcessExit | undefined;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly env: Readonly<Record<string, string>>,
  ) {
    child.stdout?.on('data', (d: Buffer) => (this.captured += d.toString('utf8')));
    child.stderr?.on('data', (d: Buffer) => (this.captured += d.toString('utf8')));
    if (child.pid !== undefined) track(child.pid);
    child.once('error', (error) => {
      this.captured += `\n[could not run the service: ${error.message}]\n`;
      this.exitInfo ??= { code: null, signal: null };
    });
    this.exit = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        if (child.pid !== undefined) live.delete(child.pid);
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
  }

  static async start(options: ServiceProcessOptions): Promise<ServiceProcess> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= 3; attempt++) {
      const service = ServiceProcess.spawn(options, await freePort());
      try {
        await service.waitUntilReady(options.readyTimeoutMs ?? 90_000, options.waitFor ?? 'ready');
        return service;
      } catch (error) {
        lastError = error;
        await service.kill();
        // Another process took the port between freePort() and listen(): try another one.
        if (!service.output.includes('EADDRINUSE')) break;
      }
    }
    throw lastError;
  }

  private static spawn(options: ServiceProcessOptions, port: number): ServiceProcess {
    const env: Record<string, string> = {
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      // A process without the api role serves /health/* and /metrics there instead.
      OPS_PORT: String(port),
      DATABASE_URL: options.databaseUrl,
      AMQP_URL: options.amqpUrl,
      TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
      TEMPORAL_NAMESPACE: process.env.TEMPORAL_NAMESPACE ?? 'default',
      TEMPORAL_TASK_QUEUE: options.taskQueue ?? uniqueTaskQueue('e2e'),
      AUTH_JWT_SECRET: options.jwtSecret,
      LOG_LEVEL: 'warn',
      OTEL_SDK_DISABLED: 'true',
      ...options.env,
    };
    // Only what a shell would hand down (PATH, HOME...), none of the test process's own service URLs.
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(
        ([k]) =>
          !/^(DATABASE_|AMQP_|TEMPORAL_|AUTH_|OTEL_|ROLES$|PORT$|OPS_PORT$|HOST$|LOG_LEVEL$|RESERVATION_|RESERVE_MODE$)/.test(
            k,
          ),
      ),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRYPOINT], {
      cwd: ROOT,
      env: { ...inherited, ...env },
      // Its own process group, so kill() takes down anything it spawned too.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ServiceProcess(child, port, env);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get taskQueue(): string {
    return this.env.TEMPORAL_TASK_QUEUE!;
  }

  /** stdout and stderr so far, interleaved. */
  get output(): string {
    return this.captured;
  }

  get exited(): ProcessExit | undefined {
    return this.exitInfo;
  }

  /** Resolves when the process exits, however that happens. */
  waitForExit(): Promise<ProcessExit> {
    return this.exit;
  }

  /** Polls GET /health/ready (or /health/live) until 200; fails with the last answer and the process's output. */
  async waitUntilReady(timeoutMs: number, probe: 'ready' | 'live' = 'ready'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      if (this.exitInfo) {
        throw new Error(
          `the service exited (${describeExit(this.exitInfo)}) before it was ready\n${this.tail()}`,
        );
      }
      try {
        const res = await fetch(`${this.url}/health/${probe}`, { signal: AbortSignal.timeout(5_000) });
        const text = await res.text();
        if (res.status === 200) return;
        last = `${res.status} ${text}`;
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(
      `the service was not ready within ${timeoutMs} ms (last /health/${probe}: ${last})\n${this.tail()}`,
    );
  }

  /**
   * Sends `signal` (SIGTERM by default) and awaits the exit; throws (with the output) when the process
   * outlives `timeoutMs` or exits with another code than `expectExitCode`. Idempotent.
   */
  async stop(options: StopOptions = {}): Promise<ProcessExit> {
    const { signal = 'SIGTERM', expectExitCode = 0, timeoutMs = 30_000 } = options;
    if (!this.exitInfo) this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const result = await Promise.race([this.exit, timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') {
      await this.kill();
      throw new Error(`the service did not exit within ${timeoutMs} ms of ${signal}\n${this.tail()}`);
    }
    if (expectExitCode !== null && result.code !== expectExitCode) {
      throw new Error(
        `the service exited with ${describeExit(result)} after ${signal}, expected code ${expectExitCode}\n${this.tail()}`,
      );
    }
    return result;
  }

  /** SIGKILL to the whole process group; for cleanup after a failure. */
  async kill(): Promise<void> {
    if (this.exitInfo) return;
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    await this.exit;
  }

  /** The last lines of output, for failure messages. */
  tail(lines = 80): string {
    const all = this.captured.trimEnd().split('\n');
    const shown = all.slice(-lines).join('\n');
    return `--- service output (last ${Math.min(lines, all.length)} of ${all.length} lines) ---\n${shown}`;
  }
}

function describeExit(exit: ProcessExit): string {
  return exit.signal ? `signal ${exit.signal}` : `code ${String(exit.code)}`;
}

/**
 * Terminates the workflows still running on a task queue whose worker is gone for good (the test's
 * service process), so the shared dev server does not keep timers for a queue nobody polls.
 */
export async function terminateOpenWorkflows(taskQueue: string): Promise<number> {
  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
  try {
    const client = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
    let terminated = 0;
    const open = client.workflow.list({
      query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`,
    });
    for await (const execution of open) {
      await client.workflow
        .getHandle(execution.workflowId, execution.runId)
        .terminate('e2e test cleanup: the service process is gone')
        .then(() => terminated++)
        .catch(() => undefined);
    }
    return terminated;
  } finally {
    await connection.close();
  }
}
