/**
 * OpenTelemetry bootstrap. Every entrypoint imports this module FIRST, before anything that loads http,
 * fastify, pg or amqplib, so the instrumentations can patch those modules as they load.
 *
 * Traces are exported over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT) is set;
 * OTEL_SDK_DISABLED=true turns everything off. The standard OTEL_* variables apply (OTEL_SERVICE_NAME,
 * OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER...). Temporal spans use the same span processor and
 * resource (see `tracingPipeline`).
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { AmqplibInstrumentation } from '@opentelemetry/instrumentation-amqplib';
import { FastifyInstrumentation } from '@opentelemetry/instrumentation-fastify';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { Resource } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  BatchSpanProcessor,
  NoopSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('./package.json') as { version: string };

export interface TracingPipeline {
  enabled: boolean;
  resource: Resource;
  spanProcessor: SpanProcessor;
  shutdown(): Promise<void>;
}

function exporterConfigured(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

export function instrumentations() {
  return [
    new HttpInstrumentation({
      // Probes and scrapes are noise in the traces.
      ignoreIncomingRequestHook: (req) => /^\/(health\/|metrics)/.test(req.url ?? ''),
    }),
    new FastifyInstrumentation(),
    new PgInstrumentation({ enhancedDatabaseReporting: false }),
    new AmqplibInstrumentation(),
  ];
}

export function serviceResource(env: NodeJS.ProcessEnv = process.env): Resource {
  return new Resource({
    [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME ?? 'inventory-service',
    [ATTR_SERVICE_VERSION]: version,
  });
}

/**
 * Starts the SDK with the given exporter (tests pass an in-memory one) or the OTLP exporter from the
 * environment. Idempotent: the first call wins.
 */
let pipeline: TracingPipeline | undefined;
export function startTracing(exporter?: SpanExporter, env: NodeJS.ProcessEnv = process.env): TracingPipeline {
  if (pipeline) return pipeline;
  const disabled = env.OTEL_SDK_DISABLED === 'true' || (!exporter && !exporterConfigured(env));
  const resource = serviceResource(env);
  if (disabled) {
    pipeline = {
      enabled: false,
      resource,
      spanProcessor: new NoopSpanProcessor(),
      shutdown: async () => undefined,
    };
    return pipeline;
  }
  // An in-memory exporter (tests) gets every span at once; OTLP gets batches.
  const spanProcessor = exporter
    ? new SimpleSpanProcessor(exporter)
    : new BatchSpanProcessor(new OTLPTraceExporter(), { scheduledDelayMillis: 500 });
  const sdk = new NodeSDK({
    resource,
    spanProcessors: [spanProcessor],
    instrumentations: instrumentations(),
  });
  sdk.start();
  pipeline = { enabled: true, resource, spanProcessor, shutdown: () => sdk.shutdown() };
  return pipeline;
}

export function tracingPipeline(): TracingPipeline | undefined {
  return pipeline;
}

/** W3C trace context of the active span, for message headers and outbox rows. */
export function currentTraceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

export { trace };

if (process.env.OTEL_AUTOSTART !== 'false') startTracing();
