import { randomBytes } from 'node:crypto';
import { Client as PgClient } from 'pg';
import { jwtSettingsFrom, mintToken } from '../../src/adapters/http/auth';
import type { Config, ReserveMode } from '../../src/config';
import { parsePrometheusText, type PromSample } from '../../test/support/promText';
import { ServiceProcess } from '../../test/support/serviceProcess';
import { HttpPool, jsonRequest } from '../lib/httpClient';

/** The dispatcher's metrics (src/adapters/observability/metrics.ts). */
export const BACKLOG_GAUGE = 'inventory_workflow_requests_backlog';
export const DISPATCH_LAG_HISTOGRAM = 'inventory_workflow_dispatch_lag_seconds';

/** A RabbitMQ vhost of the bench's own, through the management API. */
export async function createVhost(managementUrl: string, amqpUrl: string, name: string) {
  const base = new URL(managementUrl);
  const auth = Buffer.from(
    `${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`,
  ).toString('base64');
  base.username = '';
  base.password = '';
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(new URL(path, base), {
      method,
      headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok && res.status !== 404)
      throw new Error(`RabbitMQ management ${method} ${path}: ${res.status}`);
  };
  const amqp = new URL(amqpUrl);
  await call('PUT', `/api/vhosts/${encodeURIComponent(name)}`);
  await call(
    'PUT',
    `/api/permissions/${encodeURIComponent(name)}/${encodeURIComponent(decodeURIComponent(amqp.username || 'guest'))}`,
    {
      configure: '.*',
      write: '.*',
      read: '.*',
    },
  );
  amqp.pathname = `/${encodeURIComponent(name)}`;
  return { url: amqp.toString(), drop: () => call('DELETE', `/api/vhosts/${encodeURIComponent(name)}`) };
}

export interface ReserveAnswer {
  status: number;
  /** The reservation's createdAt (epoch ms): written in the reserve transaction, just before commit. */
  createdAt?: number;
  body: string;
  /** The api's own time for it (Server-Timing). */
  serverMs?: number;
}

/** How the bench lays the service's roles out in processes. */
export type ServiceLayout = 'split' | 'single' | 'alone' | 'relay';

/**
 * The production layout (docker-compose.yml): the request path in a process of its own. In `db` mode
 * the worker process yields the CPU to it (compose: cpu_shares; a bare host: PROCESS_NICE) and caps its
 * workflow starts (WORKFLOW_DISPATCH_RATE); in `workflow` mode the reserve runs in the worker, which
 * then is on the request path and keeps its priority.
 */
export const LAYOUT_ROLES: Record<
  ServiceLayout,
  { api: string; background?: string; backgroundEnv?: Partial<Record<ReserveMode, Record<string, string>>> }
> = {
  split: {
    api: 'api',
    background: 'worker,bridge,relay',
    backgroundEnv: { db: { PROCESS_NICE: '19', WORKFLOW_DISPATCH_RATE: '50' } },
  },
  single: { api: 'api,worker,bridge,relay' },
  /**
   * A diagnostic, not a production layout: the api without any background (no dispatcher, relay or
   * workflows), so that a run beside a `split` one shows what the background costs the request path.
   * Workflow requests and outbox events pile up undelivered; `db` mode only.
   */
  alone: { api: 'api' },
  /**
   * A diagnostic too: the api and a relay process (nice 19, as the split layout's background), without
   * the dispatcher and the workflows, so that a run beside `alone` and `split` shows what the relay alone
   * costs the request path. Workflow requests pile up undelivered; `db` mode only.
   */
  relay: { api: 'api', background: 'relay', backgroundEnv: { db: { PROCESS_NICE: '19' } } },
};

/**
 * Whether the layout runs the worker role (the dispatcher and the workflows), as the production layouts
 * do. The diagnostics do not: nothing delivers their workflow requests, and their targets are not judged.
 */
export function runsWorker(layout: ServiceLayout): boolean {
  const { api, background = '' } = LAYOUT_ROLES[layout];
  return [api, background].some((roles) => roles.split(',').includes('worker'));
}

/**
 * The real service (src/main/index.ts) in one reserve mode, on a database, vhost and task queue of its
 * own, laid out as in production: by default an `api` process and a `worker,bridge,relay` process
 * (dispatcher, relay and workflows), or all roles in one process (`--layout single`).
 */
export class BenchService {
  readonly http: HttpPool;

  private constructor(
    readonly mode: ReserveMode,
    private readonly process: ServiceProcess,
    /** The worker, bridge and relay roles, when they run apart from the api. */
    private readonly background: ServiceProcess | undefined,
    private readonly token: string,
    private readonly pg: PgClient,
  ) {
    this.http = new HttpPool(process.port);
  }

  static async start(options: {
    mode: ReserveMode;
    config: Config;
    databaseUrl: string;
    amqpUrl: string;
    taskQueue: string;
    env?: Record<string, string>;
    layout?: ServiceLayout;
  }): Promise<BenchService> {
    const { config } = options;
    const secret = randomBytes(32).toString('hex');
    const jwt = { AUTH_JWT_ISSUER: config.AUTH_JWT_ISSUER, AUTH_JWT_AUDIENCE: config.AUTH_JWT_AUDIENCE };
    const roles = LAYOUT_ROLES[options.layout ?? 'split'];
    const spawn = (ROLES: string, extra: Record<string, string> = {}) =>
      ServiceProcess.start({
        databaseUrl: options.databaseUrl,
        amqpUrl: options.amqpUrl,
        jwtSecret: secret,
        taskQueue: options.taskQueue,
        env: {
          ROLES,
          RESERVE_MODE: options.mode,
          DATABASE_POOL_SIZE: String(config.DATABASE_POOL_SIZE),
          ...jwt,
          ...extra,
          ...options.env,
        },
      });
    const background = roles.background
      ? await spawn(roles.background, roles.backgroundEnv?.[options.mode])
      : undefined;
    const service = await spawn(roles.api);
    const token = await mintToken(jwtSettingsFrom({ AUTH_JWT_SECRET: secret, ...jwt }), {
      scopes: ['inventory:reserve', 'inventory:admin'],
      ttlSeconds: 6 * 3600,
      subject: 'bench',
    });
    const pg = new PgClient({ connectionString: options.databaseUrl });
    await pg.connect();
    return new BenchService(options.mode, service, background, token, pg);
  }

  /** The process that answers HTTP. */
  get pid(): number {
    return this.process.pid;
  }

  /** The process that runs the worker, the dispatcher and the relay (the api's own when not split). */
  get workerPid(): number {
    return (this.background ?? this.process).pid;
  }

  get pids(): number[] {
    return this.background ? [this.process.pid, this.background.pid] : [this.process.pid];
  }

  get taskQueue(): string {
    return this.process.taskQueue;
  }

  get port(): number {
    return this.process.port;
  }

  /** Prepared once per call site; the body is what orders-capi sends. */
  reserveRequest(sku: string, orderId: string): Buffer {
    return jsonRequest('POST', `/inventory/${encodeURIComponent(sku)}/reserve`, this.port, this.token, {
      orderId,
      quantity: 1,
      ttlSeconds: 3600,
    });
  }

  async send(raw: Buffer): Promise<ReserveAnswer> {
    const res = await this.http.send(raw);
    const body = res.body.toString('utf8');
    let createdAt: number | undefined;
    if (res.status === 201) {
      const at = /"createdAt":"([^"]+)"/.exec(body)?.[1];
      createdAt = at ? Date.parse(at) : undefined;
    }
    return {
      status: res.status,
      createdAt,
      body,
      ...(res.serverMs !== undefined ? { serverMs: res.serverMs } : {}),
    };
  }

  async setLevels(sku: string, onHand: number): Promise<void> {
    const res = await this.http.send(
      jsonRequest('PUT', `/inventory/${sku}`, this.port, this.token, { onHand }),
    );
    if (res.status !== 200 && res.status !== 201)
      throw new Error(`PUT /inventory/${sku} answered ${res.status}: ${res.body.toString('utf8', 0, 200)}`);
  }

  /** Undelivered workflow requests, counted in the table itself (exact, unlike a scraped gauge). */
  async backlog(): Promise<number> {
    if (this.mode !== 'db') return 0;
    const { rows } = await this.pg.query<{ n: number }>('SELECT count(*)::int AS n FROM workflow_requests');
    return rows[0]!.n;
  }

  /** The metrics of the worker roles' process (the dispatcher's histograms live there). */
  async metrics(): Promise<PromSample[]> {
    const port = (this.background ?? this.process).port;
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) });
    return parsePrometheusText(await res.text());
  }

  async stop(): Promise<void> {
    this.http.close();
    await this.pg.end().catch(() => undefined);
    for (const p of [this.process, this.background]) {
      await p?.stop({ expectExitCode: null, timeoutMs: 60_000 }).catch(() => p.kill());
    }
  }
}

/** Cumulative bucket counts of one histogram from a scrape. */
export function histogramBuckets(samples: PromSample[], name: string): { le: number; count: number }[] {
  // Summed over every other label (kind, ...): the bench's requests are all starts.
  const byLe = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${name}_bucket`) continue;
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  return [...byLe].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
}

/** The observations between two scrapes. */
export function bucketDelta(
  before: { le: number; count: number }[],
  after: { le: number; count: number }[],
): { le: number; count: number }[] {
  return after.map((b) => ({ le: b.le, count: b.count - (before.find((x) => x.le === b.le)?.count ?? 0) }));
}
