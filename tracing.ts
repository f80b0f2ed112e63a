/**
 * OpenTelemetry bootstrap. Every entrypoint imports this module FIRST, before anything that loads http,
 * fastify, pg or amqplib, so the instrumentations can patch those modules as they load.
 *
 * Traces are exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT) is set, in the
 * protocol OTEL_EXPORTER_OTLP_TRACES_PROTOCOL / OTEL_EXPORTER_OTLP_PROTOCOL names (grpc, http/protobuf,
 * http/json; http/json when unset, as before); OTEL_SDK_DISABLED=true turns everything off. The standard OTEL_* variables apply (OTEL_SERVICE_NAME,
 * OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER...). Temporal spans use the same span processor and
 * resource (see `tracingPipeline`).
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as OTLPGrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
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

export const OTLP_PROTOCOLS = ['grpc', 'http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

/** The traces protocol the standard variables name; a value outside the spec stops the process. */
export function otlpTracesProtocol(env: NodeJS.ProcessEnv = process.env): OtlpProtocol {
  const [name, raw] = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL
    ? ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL]
    : ['OTEL_EXPORTER_OTLP_PROTOCOL', env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/json'];
  const protocol = raw.trim() as OtlpProtocol;
  if (!OTLP_PROTOCOLS.includes(protocol)) {
    throw new Error(`${name}: unsupported protocol "${raw}"; use one of ${OTLP_PROTOCOLS.join(', ')}`);
  }
  return protocol;
}

/** The OTLP exporter for that protocol; each reads its endpoint, headers and timeout from the env. */
export function otlpTraceExporter(env: NodeJS.ProcessEnv = process.env): SpanExporter {
  switch (otlpTracesProtocol(env)) {
    case 'grpc':
      return new OTLPGrpcTraceExporter();
    case 'http/protobuf':
      return new OTLPProtoTraceExporter();
    case 'http/json':
      return new OTLPJsonTraceExporter();
  }
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
    : new BatchSpanProcessor(otlpTraceExporter(env), { scheduledDelayMillis: 500 });
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
