import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { jwtSettingsFrom, mintToken, type Scope } from '../../src/adapters/http/auth';
import { createTestVhost, type TestVhost } from '../support/amqp';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { EventCollector } from '../support/eventCollector';
import { OrderEventsPublisher } from '../support/orderEvents';
import { ServiceProcess, terminateOpenWorkflows } from '../support/serviceProcess';

const ROOT = join(__dirname, '..', '..');

/** Issuer and audience are the configuration defaults: the process is started without overriding them. */
const ISSUER = 'inventory-service';
const AUDIENCE = 'inventory-service';

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  contentType: string;
  body: T;
  text: string;
}

export interface RequestOptions {
  /** A bearer token, or null for no Authorization header. */
  token?: string | null;
  body?: unknown;
  /** Sent verbatim instead of JSON.stringify(body). */
  rawBody?: string;
  headers?: Record<string, string>;
}

/** Global fetch against the service, JSON in and out; never throws on a status. */
export class Api {
  constructor(
    readonly baseUrl: string,
    private readonly defaultToken: string | null = null,
  ) {}

  withToken(token: string | null): Api {
    return new Api(this.baseUrl, token);
  }

  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? this.defaultToken : options.token;
    if (token) headers.authorization = `Bearer ${token}`;
    let payload: string | undefined = options.rawBody;
    if (payload === undefined && options.body !== undefined) payload = JSON.stringify(options.body);
    if (payload !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(new URL(path, this.baseUrl), {
      method,
      headers,
      body: payload,
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    const contentType = res.headers.get('content-type') ?? '';
    let body: unknown = undefined;
    if (/json/.test(contentType) && text.length > 0) body = JSON.parse(text);
    return { status: res.status, headers: res.headers, contentType, body: body as T, text };
  }

  get<T = Record<string, unknown>>(path: string, options?: RequestOptions) {
    return this.request<T>('GET', path, options);
  }

  post<T = Record<string, unknown>>(path: string, body?: unknown, options?: RequestOptions) {
    return this.request<T>('POST', path, { ...options, body });
  }

  put<T = Record<string, unknown>>(path: string, body?: unknown, options?: RequestOptions) {
    return this.request<T>('PUT', path, { ...options, body });
  }
}

export interface Tokens {
  read: string;
  reserve: string;
  admin: string;
  /** All three scopes. */
  all: string;
  /** Signed with another secret: must be a 401. */
  foreign: string;
  mint(scopes: Scope[], ttlSeconds?: number): Promise<string>;
}

export async function mintTokens(secret: string): Promise<Tokens> {
  const settings = jwtSettingsFrom({
    AUTH_JWT_SECRET: secret,
    AUTH_JWT_ISSUER: ISSUER,
    AUTH_JWT_AUDIENCE: AUDIENCE,
  });
  const mint = (scopes: Scope[], ttlSeconds = 3600) =>
    mintToken(settings, { scopes, ttlSeconds, subject: 'e2e' });
  return {
    read: await mint(['inventory:read']),
    reserve: await mint(['inventory:reserve']),
    admin: await mint(['inventory:admin']),
    all: await mint(['inventory:read', 'inventory:reserve', 'inventory:admin']),
    foreign: await mintToken(
      { ...settings, secret: randomBytes(32).toString('hex') },
      { scopes: ['inventory:read', 'inventory:reserve', 'inventory:admin'] },
    ),
    mint,
  };
}

export interface E2EEnvironment {
  db: TestDatabase;
  vhost: TestVhost;
  service: ServiceProcess;
  secret: string;
  tokens: Tokens;
  /** Api with the all-scopes token by default. */
  api: Api;
  teardown(): Promise<void>;
}

/**
 * The RESERVE_MODE the service processes of this run get: `db` (the default), or `workflow` when the
 * e2e-workflow Jest project runs the reserve-related files again (test/e2e/workflow-mode.ts).
 */
export function reserveMode(): 'db' | 'workflow' {
  return process.env.E2E_RESERVE_MODE === 'workflow' ? 'workflow' : 'db';
}

/**
 * One real service process per test file, on the file's own database, vhost and task queue. teardown()
 * stops it with SIGTERM (asserting exit code 0), terminates workflows left on its queue, and drops the
 * database and vhost, even when an earlier step failed.
 */
export async function startE2E(
  prefix: string,
  options: {
    env?: Record<string, string>;
    /** The AMQP_URL the service gets, from the vhost's (e.g. through a TcpProxy); the vhost's by default. */
    amqpUrl?: (vhostUrl: string) => string;
  } = {},
): Promise<E2EEnvironment> {
  const db = await createTestDatabase(prefix);
  const vhost = await createTestVhost(prefix);
  const secret = randomBytes(32).toString('hex');
  let service: ServiceProcess;
  try {
    service = await ServiceProcess.start({
      databaseUrl: db.url,
      amqpUrl: options.amqpUrl ? options.amqpUrl(vhost.url) : vhost.url,
      jwtSecret: secret,
      env: { RESERVE_MODE: reserveMode(), ...options.env },
    });
  } catch (error) {
    await vhost.drop().catch(() => undefined);
    await db.drop().catch(() => undefined);
    throw error;
  }
  const tokens = await mintTokens(secret);
  return {
    db,
    vhost,
    service,
    secret,
    tokens,
    api: new Api(service.url, tokens.all),
    async teardown() {
      const problems: unknown[] = [];
      await service.stop().catch((e: unknown) => problems.push(e));
      await service.kill();
      await terminateOpenWorkflows(service.taskQueue).catch((e: unknown) => problems.push(e));
      await vhost.drop().catch((e: unknown) => problems.push(e));
      await db.drop().catch((e: unknown) => problems.push(e));
      if (problems.length > 0) throw problems[0];
    },
  };
}

/** An environment with what a saga test talks to besides the HTTP API. */
export interface SagaEnvironment extends E2EEnvironment {
  /** Every event the service publishes on its vhost. */
  events: EventCollector;
  /** order-service's side: publishes OrderConfirmed / OrderCancelled. */
  orderService: OrderEventsPublisher;
}

/** startE2E, plus a collector of the service's events and order-service's publisher; teardown() closes them first. */
export async function startSagaE2E(
  prefix: string,
  options: Parameters<typeof startE2E>[1] = {},
): Promise<SagaEnvironment> {
  const env = await startE2E(prefix, options);
  const events = await EventCollector.start(env.vhost.url).catch(async (error: unknown) => {
    await env.teardown().catch(() => undefined);
    throw error;
  });
  const orderService = await OrderEventsPublisher.open(env.vhost.url).catch(async (error: unknown) => {
    await events.close().catch(() => undefined);
    await env.teardown().catch(() => undefined);
    throw error;
  });
  return {
    ...env,
    events,
    orderService,
    async teardown() {
      await orderService.close();
      await events.close();
      await env.teardown();
    },
  };
}

export interface ScriptResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a TypeScript script of the repository (`node --import tsx <path>`) to completion with the given
 * environment on top of a shell-like one (none of the test process's service URLs), killing it at the
 * deadline.
 */
export function runScript(
  path: string,
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<ScriptResult> {
  return runCommand(process.execPath, ['--import', 'tsx', path], env, timeoutMs);
}

/** Like runScript, for any command; asynchronous, so the service's output pipes keep draining. */
export function runCommand(
  command: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<ScriptResult> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^(DATABASE_|AMQP_|TEMPORAL_|AUTH_|OTEL_|INVENTORY_URL$|PORT$|HOST$)/.test(k),
    ),
  );
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...inherited, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`${command} ${args.join(' ')} did not finish within ${timeoutMs} ms\n${stdout}\n${stderr}`),
      );
    }, timeoutMs);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
