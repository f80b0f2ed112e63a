import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import type { HealthCheck, HealthCheckResult } from '../ports';
import { Liveness, Readiness } from '../schemas';

export interface OperationsRoutesOptions {
  healthChecks: Record<string, HealthCheck>;
  healthCheckTimeoutMs: number;
  metrics?: Registry;
}

async function runCheck(
  check: HealthCheck,
  timeoutMs: number,
): Promise<HealthCheckResult & { durationMs: number }> {
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
        summary: 'Readiness: 200 when every dependency is usable, 503 otherwise',
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
      const checks = Object.fromEntries(entries);
      const ok = entries.every(([, r]) => r.ok);
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks });
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
