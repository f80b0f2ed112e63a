import type { Duration } from '@temporalio/common';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Worker,
  type ActivityInterceptorsFactory,
  type NativeConnection,
  type WorkerOptions,
  type WorkflowBundle,
} from '@temporalio/worker';
import type { AwilixContainer } from 'awilix';
import type { Logger } from 'pino';
import { createReservationActivities, type ReservationActivitiesCradle } from '../../../activities';
import { cachedWorkflowBundle } from './bundleCache';
import {
  isTracingOn,
  tracingActivityInterceptors,
  tracingSinks,
  WORKFLOW_TRACING_INTERCEPTOR_MODULES,
  type TemporalTracing,
} from './tracing';

export interface ReservationWorkerOptions<C extends ReservationActivitiesCradle> {
  /** Activities resolve `inventoryService` from a scope of this container, one scope per call. */
  container: AwilixContainer<C>;
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  logger?: Logger;
  /** A pre-built bundle (tests, benchmarks); by default workflows/ is bundled once per process. */
  workflowBundle?: WorkflowBundle;
  /** WORKFLOW_BUNDLE_CACHE_DIR: where built bundles are kept for the next process ('' : nowhere). */
  workflowBundleCacheDir?: string;
  shutdownGraceTime?: Duration;
  /** Merged over the activities built from the container (benchmarks add a no-op). */
  extraActivities?: Record<string, (...args: never[]) => Promise<unknown>>;
  /**
   * The process's tracing pipeline: when enabled, workflow spans (through the bundle's interceptors and
   * the exporter sink) and activity spans join the traces of the clients that started them.
   */
  tracing?: TemporalTracing;
  /** Activity interceptors run inside the tracing ones (metrics, ...). */
  activityInterceptors?: ActivityInterceptorsFactory[];
  /** Any other Worker option (concurrency limits, ...). */
  workerOptions?: Partial<Omit<WorkerOptions, 'connection' | 'namespace' | 'taskQueue' | 'activities'>>;
}

export interface ReservationWorker {
  readonly worker: Worker;
  readonly taskQueue: string;
  /** Polls until shutdown() (or a fatal error); resolves once the worker has drained. */
  run(): Promise<void>;
  /** Graceful: stop polling, let running tasks finish (up to the grace time), then resolve. */
  shutdown(): Promise<void>;
  isRunning(): boolean;
}

const bundles = new Map<string, Promise<WorkflowBundle>>();

/**
 * Webpack-bundles workflows/ once per process (and variant); every worker created afterwards reuses it.
 * With `cacheDir`, a bundle of the same sources built by an earlier process is read from there instead
 * (bundleCache.ts). With `tracing`, the OpenTelemetry workflow interceptors are bundled in: workflow
 * interceptors can only be given to the bundler, never to a Worker that runs a pre-built bundle.
 */
export function bundleReservationWorkflows(
  options: { tracing?: boolean; cacheDir?: string; logger?: Logger } = {},
): Promise<WorkflowBundle> {
  const variant = options.tracing ? 'traced' : 'plain';
  let bundle = bundles.get(variant);
  if (!bundle) {
    bundle = cachedWorkflowBundle({
      dir: options.cacheDir,
      variant,
      build: () =>
        bundleWorkflowCode({
          workflowsPath: require.resolve('../../../workflows'),
          workflowInterceptorModules: options.tracing ? [...WORKFLOW_TRACING_INTERCEPTOR_MODULES] : [],
          logger: new DefaultLogger('WARN'),
        }),
      onWriteError: (err) =>
        options.logger?.warn({ err, dir: options.cacheDir }, 'workflow bundle cache not written'),
    }).catch((error: unknown) => {
      bundles.delete(variant);
      throw error;
    });
    bundles.set(variant, bundle);
  }
  return bundle;
}

export async function createReservationWorker<C extends ReservationActivitiesCradle>(
  options: ReservationWorkerOptions<C>,
): Promise<ReservationWorker> {
  const traced = isTracingOn(options.tracing);
  const workflowBundle =
    options.workflowBundle ??
    (await bundleReservationWorkflows({
      tracing: traced,
      cacheDir: options.workflowBundleCacheDir,
      logger: options.logger,
    }));
  const extra = options.workerOptions ?? {};
  const worker = await Worker.create({
    ...extra,
    interceptors: {
      ...extra.interceptors,
      // Tracing outermost: the span covers whatever the other interceptors do.
      activity: [
        ...tracingActivityInterceptors(options.tracing),
        ...(options.activityInterceptors ?? []),
        ...(extra.interceptors?.activity ?? []),
      ],
    },
    sinks: { ...extra.sinks, ...tracingSinks(options.tracing) },
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowBundle,
    activities: { ...createReservationActivities(options.container), ...options.extraActivities },
    shutdownGraceTime: options.shutdownGraceTime ?? '10s',
  });
  const log = options.logger?.child({ component: 'temporal-worker', taskQueue: options.taskQueue });
  let running: Promise<void> | undefined;

  return {
    worker,
    taskQueue: options.taskQueue,
    run() {
      running ??= (async () => {
        log?.info('reservation worker polling');
        try {
          await worker.run();
          log?.info('reservation worker stopped');
        } catch (error) {
          log?.error({ err: error }, 'reservation worker failed');
          throw error;
        }
      })();
      return running;
    },
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      if (running) await running.catch(() => undefined);
    },
    isRunning: () => worker.getState() === 'RUNNING',
  };
}
