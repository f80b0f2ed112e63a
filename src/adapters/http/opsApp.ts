import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Registry } from 'prom-client';
import { quietRequestLogging } from './app';
import { connectionErrorOptions, problemConnectionErrors } from './connectionErrors';
import type { HealthCheck, ReadinessRoles } from './ports';
import { problem, sendProblem } from './problems';
import { operationsRoutes } from './routes/operations';

export interface OpsAppDeps {
  healthChecks: Record<string, HealthCheck>;
  readiness?: ReadinessRoles;
  /** Served at /metrics; no /metrics route without it. */
  metrics?: Registry;
  logger?: FastifyBaseLogger;
  healthCheckTimeoutMs?: number;
}

/**
 * The listener of a process without the api role (worker, bridge, relay): the same /health/live,
 * /health/ready and /metrics routes as the API's, nothing else. Not listening: serve it with
 * startHttpServer.
 */
export function buildOpsApp(deps: OpsAppDeps): FastifyInstance {
  const options = {
    ...quietRequestLogging(),
    ...connectionErrorOptions,
    forceCloseConnections: 'idle' as const,
  };
  const app = deps.logger
    ? Fastify({ ...options, loggerInstance: deps.logger })
    : Fastify({ ...options, logger: false });
  problemConnectionErrors(app);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, problem('not-found', 'This listener serves /health/* and /metrics only')),
  );
  app.setErrorHandler((error, request, reply) => {
    request.log.error({ err: error }, 'ops request failed');
    return sendProblem(request, reply, problem('internal-error'));
  });
  app.register(operationsRoutes, {
    healthChecks: deps.healthChecks,
    readiness: deps.readiness,
    healthCheckTimeoutMs: deps.healthCheckTimeoutMs ?? 3000,
    metrics: deps.metrics,
  });
  return app;
}
