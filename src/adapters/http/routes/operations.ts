import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import type { HealthCheck, HealthCheckResult, ReadinessRoles } from '../ports';
import { Liveness, Readiness } from '../schemas';

export interface OperationsRoutesOptions {
  healthChecks: Record<string, HealthCheck>;
  /** The process's roles and what each needs; without them every check is required. */
  readiness?: ReadinessRoles;
  healthCheckTimeoutMs: number;
  metrics?: Registry;
}

type CheckOutcome = HealthCheckResult & { durationMs: number };
type CheckState = 'ok' | 'degraded' | 'down';
type RoleState = CheckState | 'starting';

export interface ReadinessReport {
  httpStatus: 200 | 503;
  body: {
    status: 'ok' | 'degraded' | 'unavailable';
    roles?: Record<string, { state: RoleState; detail?: string }>;
    checks: Record<string, CheckOutcome & { state: CheckState }>;
  };
}

/**
 * Roles and checks into one verdict. `everUp` (mutated) remembers the roles that have been up since
 * the process started: before that a role is `starting`, and the process is not ready.
 */
export function evaluateReadiness(
  outcomes: Record<string, CheckOutcome>,
  spec: ReadinessRoles | undefined,
  everUp: Set<string>,
): ReadinessReport {
  const roles = spec?.roles ?? { service: { required: Object.keys(outcomes) } };
  const failing = (names: string[] = []) => names.filter((n) => outcomes[n]?.ok !== true);
  const roleStates: Record<string, { state: RoleState; detail?: string }> = {};
  for (const [role, needs] of Object.entries(roles)) {
    const down = failing(needs.required);
    const degraded = failing(needs.degrading);
    let state: RoleState = down.length > 0 ? 'down' : degraded.length > 0 ? 'degraded' : 'ok';
    if (state !== 'down') everUp.add(role);
    else if (!everUp.has(role)) state = 'starting';
    const missing = [...down, ...degraded];
    roleStates[role] = { state, ...(missing.length > 0 ? { detail: `needs ${missing.join(', ')}` } : {}) };
  }
  const required = new Set(Object.values(roles).flatMap((r) => r.required));
  const checks = Object.fromEntries(
    Object.entries(outcomes).map(([name, outcome]) => [
      name,
      { ...outcome, state: (outcome.ok ? 'ok' : required.has(name) ? 'down' : 'degraded') as CheckState },
    ]),
  );
  const states = Object.entries(roleStates);
  const decisive = spec?.decisive && roleStates[spec.decisive] ? spec.decisive : undefined;
  const unavailable = states.some(
    ([role, { state }]) => state === 'starting' || (state === 'down' && (!decisive || role === decisive)),
  );
  const degraded = states.some(([, { state }]) => state !== 'ok');
  return {
    httpStatus: unavailable ? 503 : 200,
    body: {
      status: unavailable ? 'unavailable' : degraded ? 'degraded' : 'ok',
      ...(spec ? { roles: roleStates } : {}),
      checks,
    },
  };
}

async function runCheck(check: HealthCheck, timeoutMs: number): Promise<CheckOutcome> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<HealthCheckResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
  });
  try {
    const result = await Promise.race([
      check().catch((err: unknown) => ({
        ok: false,
        detail: err instanceof Error ? err.message : String(err),
      })),
      timeout,
    ]);
    return {
      ok: result.ok === true,
      ...(result.detail ? { detail: result.detail } : {}),
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Health, readiness and metrics: unauthenticated, for the platform's probes and scrapers. */
export const operationsRoutes: FastifyPluginAsyncZod<OperationsRoutesOptions> = async (app, opts) => {
  const tags = ['operations'];
  const started = Date.now();
  const everUp = new Set<string>();

  app.get(
    '/health/live',
    {
      schema: {
        tags,
        summary: 'Liveness: 200 while the process serves HTTP',
        security: [],
        response: { 200: Liveness },
      },
    },
    async () => ({ status: 'ok' as const, uptimeSeconds: Math.round((Date.now() - started) / 1000) }),
  );

  app.get(
    '/health/ready',
    {
      schema: {
        tags,
        summary:
          "Readiness: 200 while the process's roles can work (degraded: some work delayed), 503 otherwise",
        description:
          'Each role (api, worker, bridge, relay) is `ok`, `degraded` (a dependency whose outage only delays ' +
          'its work is down), `down` or `starting`. In a process with the api role, 503 means the api cannot ' +
          'serve (or a role has not started yet); elsewhere, that some role cannot work.',
        security: [],
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (_request, reply) => {
      const entries = await Promise.all(
        Object.entries(opts.healthChecks).map(
          async ([name, check]) => [name, await runCheck(check, opts.healthCheckTimeoutMs)] as const,
        ),
      );
      const report = evaluateReadiness(Object.fromEntries(entries), opts.readiness, everUp);
      return reply.code(report.httpStatus).send(report.body);
    },
  );

  const registry = opts.metrics;
  if (registry) {
    app.get(
      '/metrics',
      {
        schema: {
          tags,
          summary: 'Prometheus metrics',
          security: [],
          response: {
            200: { description: 'Prometheus text format', content: { 'text/plain': { schema: z.string() } } },
          },
        },
      },
      async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()),
    );
  }
};
