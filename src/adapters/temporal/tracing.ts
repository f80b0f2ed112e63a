import type { Resource } from '@opentelemetry/resources';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ClientInterceptors } from '@temporalio/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory, WorkerOptions } from '@temporalio/worker';

/** What the Temporal side needs from the process's tracing pipeline (tracing.ts `tracingPipeline()`). */
export interface TemporalTracing {
  readonly enabled: boolean;
  readonly resource: Resource;
  readonly spanProcessor: SpanProcessor;
}

/**
 * Workflow-side interceptors, given to the bundler by path (workflow code never imports them): the
 * official OpenTelemetry ones, then ours, which runs a decision's activities in the decision's trace.
 * Order matters: interceptors listed first wrap the ones after them.
 */
export const WORKFLOW_TRACING_INTERCEPTOR_MODULES: readonly string[] = [
  require.resolve('./workflowDecisionTracing'),
  require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
];

export function isTracingOn(tracing: TemporalTracing | undefined): tracing is TemporalTracing {
  return tracing?.enabled === true;
}

/**
 * Client spans (StartUpdateWithStart, SignalWorkflow, ...) under the caller's active span; the
 * interceptor puts the span context in the Temporal headers so the workflow continues the trace.
 */
export function tracingClientInterceptors(tracing: TemporalTracing | undefined): ClientInterceptors {
  return isTracingOn(tracing) ? { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } : {};
}

/** RunActivity spans, children of the workflow's StartActivity span carried in the activity headers. */
export function tracingActivityInterceptors(
  tracing: TemporalTracing | undefined,
): ActivityInterceptorsFactory[] {
  if (!isTracingOn(tracing)) return [];
  return [
    (ctx) => ({
      inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
      outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
    }),
  ];
}

/**
 * Workflow spans are made inside the sandbox and leave it through this sink, into the process's span
 * processor (same resource, same exporter as every other span).
 */
export function tracingSinks(tracing: TemporalTracing | undefined): NonNullable<WorkerOptions['sinks']> {
  if (!isTracingOn(tracing)) return {};
  return { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) };
}
