/**
 * A workflow interceptor module (bundled into the workflow sandbox by path, never imported by workflow
 * code; see WORKFLOW_TRACING_INTERCEPTOR_MODULES). Deterministic: it touches span contexts only, never
 * commands, timers or state the workflow reads.
 *
 * The reservation workflow applies order-service's decision (confirm or cancel signal, the release
 * signal, or the dispatcher's request signal carrying one of them) from its main loop, whose trace is the one of the request that started it. This runs the
 * activities of that settlement in the trace of the signal that decided it instead, so a bridged
 * OrderCancelled is followed from the message to the SQL of the release. Activities of update handlers
 * keep their own update's trace; expiry (no signal) keeps the workflow's.
 */
import { context, type Context } from '@opentelemetry/api';
import { extractContextFromHeaders } from '@temporalio/interceptors-opentelemetry/lib/instrumentation';
import { workflowInfo, type WorkflowInterceptors } from '@temporalio/workflow';
import {
  cancelSignal,
  confirmSignal,
  releaseSignal,
  requestSignal,
  RESERVATION_WORKFLOW_TYPE,
  type WorkflowRequestSignal,
} from '../../../workflows/shared';

const DECISION_SIGNALS: ReadonlySet<string> = new Set([
  confirmSignal.name,
  cancelSignal.name,
  releaseSignal.name,
]);
const DECISION_REQUESTS: ReadonlySet<string> = new Set(['confirm', 'cancel', 'release']);

/** A decision signal, or the dispatcher's request signal carrying a decision. */
function isDecision(signalName: string, args: readonly unknown[]): boolean {
  if (DECISION_SIGNALS.has(signalName)) return true;
  const kind = (args[0] as Partial<WorkflowRequestSignal> | undefined)?.kind;
  return signalName === requestSignal.name && kind !== undefined && DECISION_REQUESTS.has(kind);
}

interface HandlerScope {
  getStore(): true | undefined;
  run<R>(store: true, fn: () => R): R;
}

export const interceptors = (): WorkflowInterceptors => {
  if (workflowInfo().workflowType !== RESERVATION_WORKFLOW_TYPE) return {};
  // The sandbox provides AsyncLocalStorage (the OpenTelemetry context manager uses it the same way).
  const Storage = (globalThis as unknown as { AsyncLocalStorage: new () => HandlerScope }).AsyncLocalStorage;
  const inHandler = new Storage();
  // The workflow applies the first decision only; so does this.
  let decision: Context | undefined;

  const inMainLoop = <T>(next: () => Promise<T>): Promise<T> =>
    decision && !inHandler.getStore() ? context.with(decision, next) : next();

  return {
    inbound: [
      {
        handleSignal(input, next) {
          if (isDecision(input.signalName, input.args)) decision ??= extractContextFromHeaders(input.headers);
          return inHandler.run(true, () => next(input));
        },
        handleUpdate(input, next) {
          return inHandler.run(true, () => next(input));
        },
      },
    ],
    outbound: [
      {
        scheduleActivity: (input, next) => inMainLoop(() => next(input)),
        scheduleLocalActivity: (input, next) => inMainLoop(() => next(input)),
      },
    ],
  };
};
