import { randomUUID } from 'node:crypto';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyHttpOptions,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import {
  createJsonSchemaTransform,
  createJsonSchemaTransformObject,
  hasZodFastifySchemaValidationErrors,
  ResponseSerializationError,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Server } from 'node:http';
import type { Registry } from 'prom-client';
import type { JSONSchema } from 'zod/v4/core';
import type { Config } from '../../config';
import { DomainError, ErrorCodes, isValidationCode, ValidationError } from '../../domain/errors';
import type { TokenVerifier } from './auth';
import { authorizer } from './authorize';
import { registerIdempotency } from './idempotency';
import { registerRequestDeadline } from './deadline';
import { SERVER_TIMING_HEADER, serverTimingValue } from './serverTiming';
import { connectionErrorOptions, problemConnectionErrors } from './connectionErrors';
import { instrumentHttp } from './metrics';
import { withOpenApiLinks } from './openapiLinks';
import type {
  HealthCheck,
  HttpInventoryService,
  IdempotencyStorePort,
  ReadinessRoles,
  ReservationOrchestratorPort,
} from './ports';
import { problem, ProblemError, sendProblem, type Problem } from './problems';
import { inventoryRoutes } from './routes/inventory';
import { operationsRoutes } from './routes/operations';
import { purchaseOrderRoutes } from './routes/purchaseOrders';
import { reservationRoutes } from './routes/reservations';
import { openApiComponents } from './schemas';

export interface BuildAppDeps {
  /** Reads, movements, set levels and replenish (the application service). */
  inventory: HttpInventoryService;
  /** Reserve and release: the reservation workflow. */
  orchestrator: ReservationOrchestratorPort;
  tokenVerifier: TokenVerifier;
  /** Idempotency-Key support on every POST and PUT; the header is ignored without it. */
  idempotency?: IdempotencyStorePort;
  /** Reported by /health/ready, e.g. { postgres, rabbitmq, temporal }. */
  healthChecks?: Record<string, HealthCheck>;
  /** Which checks each role of the process needs; without it every check is required. */
  readiness?: ReadinessRoles;
  /** Served at /metrics with an HTTP latency histogram added; no /metrics route without it. */
  metrics?: Registry;
  /** A pino instance, pino options, or false (tests). */
  logger?: FastifyBaseLogger | FastifyServerOptions['logger'];
  /** REQUEST_DEADLINE_MS: each request's one budget from its arrival (key claim, command, read). */
  config: Pick<Config, 'HTTP_BODY_LIMIT_BYTES' | 'REQUEST_DEADLINE_MS'> & {
    HEALTH_CHECK_TIMEOUT_MS?: number;
  };
  /** Shown in the OpenAPI document. */
  version?: string;
}

const MAX_PARAM_LENGTH = 512;

/** Drops the ±2^53 bounds zod puts on every integer, and empty union branches (as the library does). */
const zodToJsonConfig = {
  override: (ctx: { jsonSchema: JSONSchema.BaseSchema }) => {
    const schema = ctx.jsonSchema;
    if (schema.minimum === Number.MIN_SAFE_INTEGER) delete schema.minimum;
    if (schema.maximum === Number.MAX_SAFE_INTEGER) delete schema.maximum;
    if (schema.anyOf) schema.anyOf = schema.anyOf.filter((branch) => Object.keys(branch).length > 0);
  },
};

const componentsTransform = createJsonSchemaTransformObject({
  schemaRegistry: openApiComponents,
  zodToJsonConfig,
});

/** Every component is generated twice (input and output); keep only those the paths reference. */
function pruneUnusedComponents<
  T extends { paths?: unknown; components?: { schemas?: Record<string, unknown> } },
>(document: T): T {
  const schemas = document.components?.schemas;
  if (!schemas) return document;
  const referenced = JSON.stringify(document.paths ?? {}) + JSON.stringify(schemas);
  const kept = Object.fromEntries(
    Object.entries(schemas).filter(([name]) => referenced.includes(`"#/components/schemas/${name}"`)),
  );
  return { ...document, components: { ...document.components, schemas: kept } };
}

function isLoggerInstance(logger: BuildAppDeps['logger']): logger is FastifyBaseLogger {
  return (
    typeof logger === 'object' && logger !== null && typeof (logger as FastifyBaseLogger).child === 'function'
  );
}

/** Fastify's own 4xx errors (body parsing, limits, media types) as problem documents. */
function frameworkProblem(error: FastifyError): Problem | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem('payload-too-large', error.message);
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return problem('uri-too-long', `Path parameters are limited to ${MAX_PARAM_LENGTH} characters`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return error.statusCode === 415
        ? problem('unsupported-media-type', 'Send the body as application/json')
        : problem('malformed-request', error.message);
  }
  if (error.statusCode === 415) return problem('unsupported-media-type', 'Send the body as application/json');
  if (error.statusCode === 413) return problem('payload-too-large', error.message);
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    // Invalid JSON, empty JSON body, prototype poisoning, bad URL encoding...
    return { ...problem('malformed-request', error.message), status: error.statusCode };
  }
  return undefined;
}

function domainProblem(error: DomainError): Problem {
  const ext = { code: error.code, ...(Object.keys(error.details).length ? { details: error.details } : {}) };
  if (error instanceof ValidationError || isValidationCode(error.code)) {
    return problem('validation-error', error.message, ext);
  }
  switch (error.code) {
    case ErrorCodes.INSUFFICIENT_STOCK:
      return problem('insufficient-stock', error.message, { ...ext, ...error.details });
    case ErrorCodes.ON_HAND_BELOW_RESERVED:
      return problem('on-hand-below-reserved', error.message, ext);
    case ErrorCodes.ON_HAND_LIMIT_EXCEEDED:
      return problem('on-hand-limit-exceeded', error.message, { ...ext, ...error.details });
    case ErrorCodes.LINE_NOT_FOUND:
      return problem('reservation-line-not-found', error.message, ext);
    case ErrorCodes.ILLEGAL_TRANSITION:
      return problem('conflict', error.message, ext);
    case ErrorCodes.DEADLINE_EXCEEDED:
      return problem('deadline-exceeded', error.message, ext);
    // Optimistic-lock conflicts that outlived the unit of work's retries: the client may retry.
    case ErrorCodes.CONCURRENCY_CONFLICT:
      return problem('conflict', 'Concurrent update, retry', ext);
  }
  return problem('internal-error');
}

function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof ProblemError) {
    reply.headers(error.headers);
    return sendProblem(request, reply, error.problem);
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = error.validationContext ?? 'request';
    const errors = error.validation.map((v) => ({
      in: where,
      pointer: v.instancePath,
      code: v.keyword,
      message: v.message ?? 'invalid',
    }));
    const detail = errors.map((e) => `${e.in}${e.pointer === '/' ? '' : e.pointer}: ${e.message}`).join('; ');
    return sendProblem(request, reply, problem('validation-error', detail, { errors }));
  }
  if (error instanceof DomainError) {
    const p = domainProblem(error);
    if (p.status === 503) reply.header('retry-after', '1');
    else if (p.status >= 500) request.log.error({ err: error }, 'unmapped domain error');
    return sendProblem(request, reply, p);
  }
  if (error instanceof ResponseSerializationError) {
    request.log.error({ err: error, issues: error.cause?.issues }, 'response does not match its schema');
    return sendProblem(request, reply, problem('internal-error'));
  }
  if ((error as { transient?: unknown }).transient === true) {
    // Adapters mark errors worth retrying (e.g. Temporal unreachable) as transient: a 503 tells the
    // caller so without the HTTP layer knowing the technology behind the port.
    request.log.warn({ err: error }, 'dependency unavailable');
    reply.header('retry-after', '1');
    return sendProblem(
      request,
      reply,
      problem('service-unavailable', 'A dependency is unavailable; retry shortly'),
    );
  }
  const framework = frameworkProblem(error);
  if (framework) return sendProblem(request, reply, framework);
  request.log.error({ err: error }, 'request failed');
  return sendProblem(request, reply, problem('internal-error'));
}

/**
 * Turns off Fastify's own two lines per request. The OpenTelemetry Fastify instrumentation replaces
 * the module's export with a wrapper that lacks `LogController`; then the older (deprecated in
 * Fastify 5, still honoured) option does the same.
 */
export function quietRequestLogging(): Pick<FastifyServerOptions, 'logController' | 'disableRequestLogging'> {
  return typeof LogController === 'function'
    ? { logController: new LogController({ disableRequestLogging: true }) }
    : { disableRequestLogging: true };
}

/**
 * Builds the HTTP façade of CONTRACT.md. The instance is not listening: test it with `inject`, serve
 * it with `startHttpServer`.
 */
export function buildApp(deps: BuildAppDeps): FastifyInstance {
  const options: FastifyHttpOptions<Server> = {
    bodyLimit: deps.config.HTTP_BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // 431, 400 parse errors, missing Host, 503 while draining: problem documents (connectionErrors.ts).
    ...connectionErrorOptions,
    forceCloseConnections: 'idle',
    // One access-log line per request (below) instead of Fastify's two: half the logging cost on the
    // hot read path (bench/stock-reads.ts).
    ...quietRequestLogging(),
    frameworkErrors: (error, request, reply) => {
      sendProblem(request, reply, frameworkProblem(error) ?? problem('malformed-request', error.message));
    },
  };
  const app = (
    isLoggerInstance(deps.logger)
      ? Fastify({ ...options, loggerInstance: deps.logger })
      : Fastify({ ...options, logger: deps.logger ?? false })
  ).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // JSON only: text/plain bodies are a 415, not a string for the validator to puzzle over.
  app.removeContentTypeParser('text/plain');
  app.decorateRequest('principal', null);
  registerRequestDeadline(app, deps.config.REQUEST_DEADLINE_MS);
  app.setErrorHandler(errorHandler);
  problemConnectionErrors(app);
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      request,
      reply,
      problem('not-found', `No route ${request.method} ${request.url.split('?')[0]}`.slice(0, 300)),
    ),
  );
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    reply.header(SERVER_TIMING_HEADER, serverTimingValue(reply.elapsedTime));
  });
  app.addHook('onResponse', async (request, reply) => {
    // Probes and scrapes every few seconds are noise at info; they still log at debug.
    const quiet = /^\/(health\/|metrics)/.test(request.url);
    request.log[quiet ? 'debug' : 'info'](
      {
        method: request.method,
        url: request.url,
        route: request.routeOptions.url,
        statusCode: reply.statusCode,
        responseTimeMs: Math.round(reply.elapsedTime * 100) / 100,
        principal: request.principal?.subject,
      },
      'request completed',
    );
  });

  if (deps.metrics) instrumentHttp(app, deps.metrics);

  app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'inventory-service',
        version: deps.version ?? '0.1.0',
        description:
          'Stock levels, atomic reservations and the movement ledger. Errors are RFC 9457 ' +
          '`application/problem+json`. Tokens: `npm run token -- --scope inventory:read ...`.',
      },
      tags: [
        { name: 'inventory', description: 'Stock levels and per-SKU reservations' },
        { name: 'reservations', description: 'Multi-line reservations of an order' },
        { name: 'operations', description: 'Health and metrics (no token)' },
      ],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description:
              'HS256 JWT with iss/aud/exp; `scope` claim lists inventory:read, inventory:reserve, inventory:admin',
          },
        },
      },
    },
    transform: createJsonSchemaTransform({ schemaRegistry: openApiComponents, zodToJsonConfig }),
    transformObject: (document) => withOpenApiLinks(pruneUnusedComponents(componentsTransform(document))),
  });
  app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  if (deps.idempotency) registerIdempotency(app, deps.idempotency);
  const authorize = authorizer(deps.tokenVerifier, app.log);
  app.register(inventoryRoutes, { inventory: deps.inventory, orchestrator: deps.orchestrator, authorize });
  app.register(reservationRoutes, { inventory: deps.inventory, orchestrator: deps.orchestrator, authorize });
  app.register(purchaseOrderRoutes, { inventory: deps.inventory, authorize });
  app.register(operationsRoutes, {
    healthChecks: deps.healthChecks ?? {},
    readiness: deps.readiness,
    healthCheckTimeoutMs: deps.config.HEALTH_CHECK_TIMEOUT_MS ?? 3000,
    metrics: deps.metrics,
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  return app;
}
