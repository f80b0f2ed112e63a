import type { FastifyInstance } from 'fastify';
import { Histogram, type Registry } from 'prom-client';

export const HTTP_DURATION_METRIC = 'http_request_duration_seconds';

/** Buckets around the reserve SLO (< 50 ms) and the read path. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

function durationHistogram(registry: Registry): Histogram<'method' | 'route' | 'status_code'> {
  // Reuse the metric when several apps share one registry (tests, restarts in one process).
  const existing = registry.getSingleMetric(HTTP_DURATION_METRIC);
  if (existing) return existing as Histogram<'method' | 'route' | 'status_code'>;
  return new Histogram({
    name: HTTP_DURATION_METRIC,
    help: 'HTTP request latency by route template and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: BUCKETS,
    registers: [registry],
  });
}

/** Observes every response; the route label is the template (`/inventory/:sku`), never the raw URL. */
export function instrumentHttp(app: FastifyInstance, registry: Registry): void {
  const histogram = durationHistogram(registry);
  app.addHook('onResponse', async (request, reply) => {
    histogram.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });
}
