import { z } from 'zod';
import { DEFAULT_RESERVATION_MAX_AGE_SECONDS } from '../application/ExtendReservation';
import { TtlSeconds } from '../domain/TtlSeconds';

/**
 * All configuration comes from the environment and is validated once at startup; a bad value fails
 * with a message naming each offending variable.
 */
const ROLES = ['api', 'worker', 'bridge', 'relay'] as const;
export type Role = (typeof ROLES)[number];
export const RESERVE_MODES = ['db', 'workflow'] as const;
export type ReserveMode = (typeof RESERVE_MODES)[number];

/** The longest REQUEST_DEADLINE_MS accepted (ms). */
export const REQUEST_DEADLINE_MS_MAX = 60_000;

const int = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);
const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

const url = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL with protocol ${protocols.join(' or ')}` },
  );

export const MIN_JWT_SECRET_BYTES = 32;

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: int(3000, 0, 65535),
  /** Health and metrics listener of a process without the api role (0: any free port). */
  OPS_PORT: int(9465, 0, 65535),
  /**
   * Lowers this process's CPU priority (nice 0-19) at start: a worker process on the api's host then
   * yields the CPU to the request path under contention (docker-compose.yml uses cpu_shares instead).
   */
  PROCESS_NICE: int(0, 0, 19),
  ROLES: z
    .string()
    .default('api,worker,bridge,relay')
    .transform((v, ctx) => {
      const roles = v
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean);
      const bad = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
      if (bad.length > 0 || roles.length === 0) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown role(s) ${bad.join(', ')}; use ${ROLES.join(', ')}`,
        });
        return z.NEVER;
      }
      return roles as Role[];
    }),
  DATABASE_URL: url(['postgres:', 'postgresql:']).default(
    'postgresql://inventory:inventory@127.0.0.1:5432/inventory',
  ),
  DATABASE_POOL_SIZE: int(10, 1, 200),
  AMQP_URL: url(['amqp:', 'amqps:']).default('amqp://guest:guest@127.0.0.1:5672'),
  AMQP_PREFETCH: int(32, 1, 10000),
  AMQP_MANAGEMENT_URL: url(['http:', 'https:']).optional(),
  TEMPORAL_ADDRESS: z.string().min(3).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('inventory-reservations'),
  TEMPORAL_UI_URL: url(['http:', 'https:']).default('http://127.0.0.1:8233'),
  /**
   * Where the worker keeps its webpack-built workflow bundle for the next process start, keyed by the
   * workflow sources and the SDK version (bundleCache.ts); '' turns the file cache off.
   */
  WORKFLOW_BUNDLE_CACHE_DIR: z.string().default('.data/workflow-bundles'),
  RESERVATION_DEFAULT_TTL_SECONDS: int(TtlSeconds.DEFAULT_SECONDS, TtlSeconds.MIN, TtlSeconds.MAX),
  /**
   * db: the HTTP reserve is one Postgres transaction; the order's workflow is started from it by the
   * dispatcher (worker role). workflow: the reserve runs as the workflow's Update-With-Start.
   */
  RESERVE_MODE: z.enum(RESERVE_MODES).default('db'),
  /** How long an api call may take from its arrival (key claim, command, read): past it 503, nothing changed. */
  REQUEST_DEADLINE_MS: int(2000, 100, REQUEST_DEADLINE_MS_MAX),
  /** Orders whose workflow requests the dispatcher delivers to Temporal at once. */
  WORKFLOW_DISPATCH_CONCURRENCY: int(16, 1, 256),
  /** Orders the dispatcher delivers per second at most (0: no limit); see rateLimit.ts. */
  WORKFLOW_DISPATCH_RATE: int(0, 0, 100_000),
  /**
   * Backpressure: while reserves commit back to back, a dispatcher pass waits until none committed for
   * WORKFLOW_DISPATCH_QUIET_MS, at most WORKFLOW_DISPATCH_MAX_DEFER_MS (0: no wait); see QuietGate in
   * rateLimit.ts.
   */
  WORKFLOW_DISPATCH_QUIET_MS: int(0, 0, 1_000),
  WORKFLOW_DISPATCH_MAX_DEFER_MS: int(250, 0, 10_000),
  /**
   * The worker role's expiry sweep: every EXPIRY_SWEEP_INTERVAL_MS it releases reservations still
   * RESERVED EXPIRY_SWEEP_GRACE_MS after their expiresAt (their workflow could not: Temporal or the
   * workers were away). 0 turns it off.
   */
  EXPIRY_SWEEP_INTERVAL_MS: int(1000, 0, 600000),
  EXPIRY_SWEEP_GRACE_MS: int(5000, 0, 3600000),
  RESERVATION_MAX_AGE_SECONDS: int(DEFAULT_RESERVATION_MAX_AGE_SECONDS, 1, 30 * 86400),
  PURCHASE_ORDER_REMINDER_SECONDS: int(86400, 1, 30 * 86400),
  IDEMPOTENCY_KEY_RETENTION_SECONDS: int(86400, 60, 30 * 86400),
  IDEMPOTENCY_PURGE_INTERVAL_SECONDS: int(300, 1, 86400),
  OUTBOX_POLL_INTERVAL_MS: int(1000, 10, 60000),
  OUTBOX_BATCH_SIZE: int(100, 1, 1000),
  /**
   * How long dedupe records (processed_messages) and order decisions (order_decisions, unless one still
   * waits for its open reservation) are kept. Far beyond any redelivery: a copy of an event arriving
   * later than this would be applied again.
   */
  DEDUPE_RETENTION_HOURS: int(168, 24, 24 * 366),
  /**
   * HS256 secret (at least 32 bytes) used to verify bearer tokens and by `npm run token` to mint them.
   * No default anywhere: `npm run setup` writes a random one into `.env`. Required where tokens are
   * verified or minted (jwtSecret), not by processes that never see one.
   */
  AUTH_JWT_SECRET: z
    .string()
    .refine((v) => Buffer.byteLength(v, 'utf8') >= MIN_JWT_SECRET_BYTES, {
      message: `must be at least ${MIN_JWT_SECRET_BYTES} bytes (e.g. openssl rand -hex 32)`,
    })
    .optional(),
  AUTH_JWT_ISSUER: z.string().min(1).default('inventory-service'),
  AUTH_JWT_AUDIENCE: z.string().min(1).default('inventory-service'),
  HTTP_BODY_LIMIT_BYTES: int(64 * 1024, 1024, 10 * 1024 * 1024),
  SHUTDOWN_GRACE_MS: int(10000, 0, 120000),
  METRICS_ENABLED: bool(true),
  TEMPORAL_WORKER_METRICS_PORT: int(0, 0, 65535),
});

export type Config = z.infer<typeof schema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  return parsed.data;
}

/** The token secret, or a ConfigError that says where one comes from. */
export function jwtSecret(config: Pick<Config, 'AUTH_JWT_SECRET'>): string {
  if (!config.AUTH_JWT_SECRET) {
    throw new ConfigError([
      `AUTH_JWT_SECRET: required (at least ${MIN_JWT_SECRET_BYTES} bytes). 'npm run setup' writes a random ` +
        'one into .env, which npm start and npm run token read; or set it in the environment',
    ]);
  }
  return config.AUTH_JWT_SECRET;
}
