import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './serviceProcess';

export interface PrometheusTarget {
  labels: Record<string, string>;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
}

/**
 * A real Prometheus server (Debian's `prometheus`, or PROMETHEUS_BIN) on a free 127.0.0.1 port, with a
 * configuration written to a temporary directory that stop() removes along with its TSDB.
 */
export class PrometheusProcess {
  private output = '';
  private exited: Promise<void>;
  private hasExited = false;

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly port: number,
  ) {
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString('utf8')));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString('utf8')));
    this.exited = new Promise((resolve) => {
      child.once('exit', () => {
        this.hasExited = true;
        resolve();
      });
      child.once('error', (error) => {
        this.output += `\n[could not run prometheus: ${error.message}. 'npm run setup' installs Debian's prometheus]\n`;
        this.hasExited = true;
        resolve();
      });
    });
  }

  static async start(config: Record<string, unknown>, readyTimeoutMs = 30_000): Promise<PrometheusProcess> {
    const dir = mkdtempSync(join(tmpdir(), 'inventory-prometheus-'));
    const configFile = join(dir, 'prometheus.yml');
    writeFileSync(configFile, stringify(config));
    const port = await freePort();
    const child = spawn(
      process.env.PROMETHEUS_BIN ?? 'prometheus',
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const prometheus = new PrometheusProcess(child, dir, port);
    try {
      await prometheus.waitReady(readyTimeoutMs);
    } catch (error) {
      await prometheus.stop();
      throw error;
    }
    return prometheus;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get log(): string {
    return this.output;
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer';
    while (Date.now() < deadline) {
      if (this.hasExited) throw new Error(`prometheus exited before it was ready:\n${this.output}`);
      try {
        const res = await fetch(`${this.url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
        if (res.status === 200) return;
        last = `${res.status}`;
      } catch (error) {
        last = (error as Error).message;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`prometheus not ready within ${timeoutMs} ms (last: ${last}):\n${this.output}`);
  }

  private async api<T>(path: string): Promise<T> {
    const res = await fetch(`${this.url}${path}`, { signal: AbortSignal.timeout(5_000) });
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${path}: ${body.error ?? res.status}`);
    return body.data;
  }

  async activeTargets(): Promise<PrometheusTarget[]> {
    return (await this.api<{ activeTargets: PrometheusTarget[] }>('/api/v1/targets')).activeTargets;
  }

  /** An instant query's vector result. */
  async query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const data = await this.api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
      `/api/v1/query?query=${encodeURIComponent(promql)}`,
    );
    return data.result;
  }

  /** A range query's matrix result (`start`/`end` in seconds since the epoch, `step` in seconds). */
  async queryRange(
    promql: string,
    start: number,
    end: number,
    step = 1,
  ): Promise<{ metric: Record<string, string>; values: [number, string][] }[]> {
    const params = new URLSearchParams({
      query: promql,
      start: String(start),
      end: String(end),
      step: String(step),
    });
    const data = await this.api<{ result: { metric: Record<string, string>; values: [number, string][] }[] }>(
      `/api/v1/query_range?${params.toString()}`,
    );
    return data.result;
  }

  async ruleGroups(): Promise<
    { name: string; rules: { name: string; health: string; lastError?: string }[] }[]
  > {
    return (
      await this.api<{ groups: { name: string; rules: { name: string; health: string }[] }[] }>(
        '/api/v1/rules',
      )
    ).groups;
  }

  /** SIGTERM, then SIGKILL after 10 s; removes the temporary directory. Idempotent. */
  async stop(): Promise<void> {
    if (!this.hasExited) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
