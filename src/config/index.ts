import { z } from 'zod';

/**
 * All configuration comes from the environment and is validated once at startup; a bad value fails
 * with a message naming each offending variable.
 */
const ROLES = ['api', 'worker', 'bridge', 'relay'] as const;
export type Role = (typeof ROLES)[number];

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

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: int(3000, 0, 65535),
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
  RESERVATION_DEFAULT_TTL_SECONDS: int(900, 1, 86400),
  PURCHASE_ORDER_REMINDER_SECONDS: int(86400, 1, 30 * 86400),
  OUTBOX_POLL_INTERVAL_MS: int(1000, 10, 60000),
  OUTBOX_BATCH_SIZE: int(100, 1, 1000),
  /** HS256 secret (at least 32 bytes) used to verify bearer tokens and by `npm run token` to mint them. */
  AUTH_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  AUTH_JWT_ISSUER: z.string().min(1).default('inventory-service'),
  AUTH_JWT_AUDIENCE: z.string().min(1).default('inventory-service'),
  HTTP_BODY_LIMIT_BYTES: int(64 * 1024, 1024, 10 * 1024 * 1024),
  SHUTDOWN_GRACE_MS: int(10000, 0, 120000),
  METRICS_ENABLED: bool(true),
  TEMPORAL_WORKER_METRICS_PORT: int(0, 0, 65535),
});

export type Config = z.infer<typeof schema> & { AUTH_JWT_SECRET: string };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Development-only default so `npm start` works out of the box; production must set its own. */
export const DEV_JWT_SECRET = 'dev-only-inventory-secret-change-me-0123456789';

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  const cfg = parsed.data;
  if (!cfg.AUTH_JWT_SECRET) {
    if (cfg.NODE_ENV === 'production') {
      throw new ConfigError(['AUTH_JWT_SECRET: required when NODE_ENV=production']);
    }
    return { ...cfg, AUTH_JWT_SECRET: DEV_JWT_SECRET };
  }
  return cfg as Config;
}
