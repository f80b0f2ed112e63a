import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { devServerReady, terminateChild } from '../support/devServer';
import type { Client } from 'pg';
import { applyMigrations, readMigrations } from '../../src/adapters/postgres/MigrationApplier';
import { withPg } from '../support/db';
import { eventually } from '../support/eventually';
import { portOpen } from '../support/services';
import { templateDatabaseName } from '../support/naming';
import { devServerFlags } from '../../scripts/lib/temporalFlags';

/**
 * The fault suite's own Postgres, RabbitMQ and Temporal dev server: other ports and data under
 * .data/faults/, so stopping them never touches the shared servers (5432, 5672, 7233) that other test
 * runs use at the same time. Each is stopped only through what this suite started: its data directory
 * (pg_ctl -D), its node name (rabbitmqctl -n), its PID (Temporal).
 */

const ROOT = join(__dirname, '..', '..');
export const FAULTS_DATA = join(ROOT, '.data', 'faults');
const PG_BIN = '/usr/lib/postgresql/15/bin';
const TEMPORAL_BIN = join(ROOT, '.tools', 'bin', 'temporal');

export const FAULT_PORTS = {
  postgres: 5440,
  amqp: 5680,
  amqpDist: 25680,
  amqpManagement: 15680,
  temporal: 7240,
  temporalHttp: 7241,
  temporalMetrics: 7242,
} as const;

interface Run {
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}) {
  return new Promise<Run>((resolve, reject) => {
    execFile(
      cmd,
      args,
      { env: options.env ?? process.env, timeout: options.timeoutMs ?? 120_000, maxBuffer: 8 << 20 },
      (error, stdout, stderr) => {
        if (error)
          reject(new Error(`${cmd} ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
        else resolve({ stdout, stderr });
      },
    );
  });
}

function ownDir(path: string, user: string): void {
  mkdirSync(path, { recursive: true });
  const { uid, gid } = idOf(user);
  chownSync(path, uid, gid);
}

const ids = new Map<string, { uid: number; gid: number }>();
function idOf(user: string): { uid: number; gid: number } {
  let id = ids.get(user);
  if (!id) {
    const line = execFileSync('getent', ['passwd', user], { encoding: 'utf8' });
    const [, , uid, gid] = line.trim().split(':');
    id = { uid: Number(uid), gid: Number(gid) };
    ids.set(user, id);
  }
  return id;
}

/** A Postgres 15 cluster of the suite's own (initdb), run as the postgres user on 127.0.0.1:5440. */
export class FaultPostgres {
  readonly dir = join(FAULTS_DATA, 'pg');
  readonly port = FAULT_PORTS.postgres;
  private template: string | undefined;

  get adminUrl(): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/postgres`;
  }

  urlOf(database: string): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/${database}`;
  }

  private pgCtl(args: string[]): Promise<Run> {
    return run('runuser', ['-u', 'postgres', '--', join(PG_BIN, 'pg_ctl'), '-D', this.dir, ...args]);
  }

  async init(): Promise<void> {
    // A cluster left running by a crashed earlier run of this suite: ours by its data directory.
    if (existsSync(join(this.dir, 'postmaster.pid'))) {
      await this.pgCtl(['-m', 'immediate', '-w', 'stop']).catch(() => undefined);
    }
    if (await portOpen('127.0.0.1', this.port)) {
      throw new Error(`port ${this.port} is taken by a Postgres this suite did not start; stop it first`);
    }
    rmSync(this.dir, { recursive: true, force: true });
    ownDir(FAULTS_DATA, 'root');
    ownDir(this.dir, 'postgres');
    await run('runuser', [
      '-u',
      'postgres',
      '--',
      join(PG_BIN, 'initdb'),
      '-D',
      this.dir,
      '-A',
      'trust',
      '-U',
      'postgres',
      '-E',
      'UTF8',
      '--no-sync',
    ]);
    const sockets = join(this.dir, 'sockets');
    ownDir(sockets, 'postgres');
    writeFileSync(
      join(this.dir, 'postgresql.auto.conf'),
      [
        `port = ${this.port}`,
        `listen_addresses = '127.0.0.1'`,
        `unix_socket_directories = '${sockets}'`,
        'max_connections = 200',
        // Crash safety against an OS crash is not what is tested here; restarts keep the WAL.
        'fsync = off',
        'full_page_writes = off',
        '',
      ].join('\n'),
    );
    await this.start();
  }

  async start(): Promise<void> {
    await this.pgCtl(['-l', join(this.dir, 'server.log'), '-w', '-t', '60', 'start']);
  }

  /** `fast` closes the sessions and checkpoints; `immediate` is a crash: recovery replays the WAL. */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.pgCtl(['-m', mode, '-w', '-t', '60', 'stop']);
  }

  async restart(mode: 'fast' | 'immediate' = 'immediate'): Promise<void> {
    await this.pgCtl(['-m', mode, '-w', '-t', '60', '-l', join(this.dir, 'server.log'), 'restart']);
  }

  admin<T>(fn: (c: Client) => Promise<T>, url = this.adminUrl): Promise<T> {
    return withPg(url, fn);
  }

  /** A database migrated by the project's applier, cloned from a template built once. */
  async createDatabase(name: string): Promise<string> {
    if (!this.template) {
      const dir = join(ROOT, 'prisma', 'migrations');
      const template = templateDatabaseName(readMigrations(dir).map((m) => m.checksum));
      await this.admin((c) => c.query(`CREATE DATABASE "${template}"`));
      await applyMigrations(this.urlOf(template), dir);
      this.template = template;
    }
    await this.admin((c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${this.template}"`));
    return this.urlOf(name);
  }

  async dropDatabase(name: string): Promise<void> {
    await this.admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  }

  async shutdown(): Promise<void> {
    if (existsSync(join(this.dir, 'postmaster.pid'))) await this.stop('immediate');
  }
}

/** A RabbitMQ node of the suite's own: faults@<host>, AMQP 5680, management 15680, its own mnesia. */
export class FaultRabbit {
  readonly dir = join(FAULTS_DATA, 'rabbitmq');
  readonly node = `faults@${hostname().split('.')[0]}`;
  readonly port = FAULT_PORTS.amqp;
  private readonly pidFile = join(this.dir, 'pid');

  private get env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      RABBITMQ_NODENAME: this.node,
      RABBITMQ_NODE_PORT: String(this.port),
      RABBITMQ_DIST_PORT: String(FAULT_PORTS.amqpDist),
      RABBITMQ_MNESIA_BASE: join(this.dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(this.dir, 'log'),
      RABBITMQ_CONFIG_FILE: join(this.dir, 'rabbitmq.conf'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(this.dir, 'enabled_plugins'),
      RABBITMQ_PID_FILE: this.pidFile,
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    };
  }

  get managementUrl(): string {
    return `http://guest:guest@127.0.0.1:${FAULT_PORTS.amqpManagement}`;
  }

  vhostUrl(vhost: string): string {
    return `amqp://guest:guest@127.0.0.1:${this.port}/${encodeURIComponent(vhost)}`;
  }

  async init(): Promise<void> {
    if (existsSync(this.pidFile)) await this.stop().catch(() => undefined);
    if (await portOpen('127.0.0.1', this.port)) {
      throw new Error(`port ${this.port} is taken by a RabbitMQ this suite did not start; stop it first`);
    }
    rmSync(this.dir, { recursive: true, force: true });
    ownDir(FAULTS_DATA, 'root');
    ownDir(this.dir, 'rabbitmq');
    writeFileSync(
      join(this.dir, 'rabbitmq.conf'),
      [
        `listeners.tcp.1 = 127.0.0.1:${this.port}`,
        `management.tcp.ip = 127.0.0.1`,
        `management.tcp.port = ${FAULT_PORTS.amqpManagement}`,
        '',
      ].join('\n'),
    );
    writeFileSync(join(this.dir, 'enabled_plugins'), '[rabbitmq_management].\n');
    for (const f of ['rabbitmq.conf', 'enabled_plugins']) {
      const { uid, gid } = idOf('rabbitmq');
      chownSync(join(this.dir, f), uid, gid);
    }
    await this.start();
  }

  async start(): Promise<void> {
    await run('rabbitmq-server', ['-detached'], { env: this.env });
    await run('rabbitmqctl', ['-n', this.node, 'wait', '--timeout', '120', this.pidFile], { env: this.env });
    await eventually(() => portOpen('127.0.0.1', this.port), { timeoutMs: 30_000, intervalMs: 200 });
  }

  /** Stops this node only (by name) and waits for its OS process to exit. */
  async stop(): Promise<void> {
    await run('rabbitmqctl', ['-n', this.node, 'stop', this.pidFile], { env: this.env });
  }

  async shutdown(): Promise<void> {
    if (existsSync(this.pidFile)) await this.stop();
  }

  async management(method: string, path: string, body?: unknown): Promise<Response> {
    const res = await fetch(`http://127.0.0.1:${FAULT_PORTS.amqpManagement}${path}`, {
      method,
      headers: {
        authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}`,
        'content-type': 'application/json',
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok && res.status !== 404) {
      throw new Error(`RabbitMQ management ${method} ${path}: ${res.status} ${await res.text()}`);
    }
    return res;
  }

  async createVhost(name: string): Promise<string> {
    const v = encodeURIComponent(name);
    await this.management('PUT', `/api/vhosts/${v}`);
    await this.management('PUT', `/api/permissions/${v}/guest`, { configure: '.*', write: '.*', read: '.*' });
    return this.vhostUrl(name);
  }

  async deleteVhost(name: string): Promise<void> {
    await this.management('DELETE', `/api/vhosts/${encodeURIComponent(name)}`);
  }
}

/** A Temporal dev server of the suite's own on 127.0.0.1:7240, headless, SQLite file under .data/faults. */
export class FaultTemporal {
  readonly address = `127.0.0.1:${FAULT_PORTS.temporal}`;
  readonly namespace = 'default';
  private readonly db = join(FAULTS_DATA, 'temporal.db');
  private readonly pidFile = join(FAULTS_DATA, 'temporal.pid');
  private child: ChildProcess | undefined;

  async init(): Promise<void> {
    ownDir(FAULTS_DATA, 'root');
    await this.killLeftover();
    if (await portOpen('127.0.0.1', FAULT_PORTS.temporal)) {
      throw new Error(`port ${FAULT_PORTS.temporal} is taken by a Temporal this suite did not start`);
    }
    rmSync(this.db, { force: true });
    await this.start();
  }

  /** A dev server of a crashed earlier run: its PID file says which process is ours. */
  private async killLeftover(): Promise<void> {
    if (!existsSync(this.pidFile)) return;
    const pid = Number(readFileSync(this.pidFile, 'utf8'));
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmdline.includes(this.db)) process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
    rmSync(this.pidFile, { force: true });
    await eventually(async () => !(await portOpen('127.0.0.1', FAULT_PORTS.temporal)), { timeoutMs: 10_000 });
  }

  async start(): Promise<void> {
    const log = openSync(join(FAULTS_DATA, 'temporal.log'), 'a');
    const child = spawn(
      TEMPORAL_BIN,
      [
        'server',
        'start-dev',
        '--ip',
        '127.0.0.1',
        '--port',
        String(FAULT_PORTS.temporal),
        '--http-port',
        String(FAULT_PORTS.temporalHttp),
        '--metrics-port',
        String(FAULT_PORTS.temporalMetrics),
        '--headless',
        '--db-filename',
        this.db,
        '--namespace',
        this.namespace,
        '--log-level',
        'warn',
        // The same search attributes, dynamic config and SQLite pragmas as scripts/services.sh.
        ...devServerFlags(),
      ],
      // Not devServerEnv()'s one-core limit: that protects the api's CPU in the benchmarks, while here
      // the workflow mode's reserves go through this server and its kill scenario needs the headroom.
      { stdio: ['ignore', log, log] },
    );
    this.child = child;
    writeFileSync(this.pidFile, String(child.pid));
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`temporal exited (${child.exitCode}); see temporal.log`);
        return devServerReady(this.address, this.namespace);
      },
      { timeoutMs: 90_000, intervalMs: 250, what: 'the fault suite Temporal dev server' },
    );
  }

  /** SIGTERM to our PID (a graceful stop), SIGKILL after 15 s. */
  async stop(): Promise<void> {
    if (!this.child) return;
    await terminateChild(this.child, 15_000);
    rmSync(this.pidFile, { force: true });
  }

  async shutdown(): Promise<void> {
    await this.stop();
  }
}
