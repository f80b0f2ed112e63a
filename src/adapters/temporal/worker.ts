import type { Duration } from '@temporalio/common';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Worker,
  type NativeConnection,
  type WorkerOptions,
  type WorkflowBundle,
} from '@temporalio/worker';
import type { AwilixContainer } from 'awilix';
import type { Logger } from 'pino';
import { createReservationActivities, type ReservationActivitiesCradle } from '../../../activities';

export interface ReservationWorkerOptions<C extends ReservationActivitiesCradle> {
  /** Activities resolve `inventoryService` from a scope of this container, one scope per call. */
  container: AwilixContainer<C>;
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  logger?: Logger;
  /** A pre-built bundle (tests, benchmarks); by default workflows/ is bundled once per process. */
  workflowBundle?: WorkflowBundle;
  shutdownGraceTime?: Duration;
  /** Merged over the activities built from the container (benchmarks add a no-op). */
  extraActivities?: Record<string, (...args: never[]) => Promise<unknown>>;
  /** Any other Worker option (interceptors for tracing, concurrency limits, ...). */
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

let bundlePromise: Promise<WorkflowBundle> | undefined;

/** Webpack-bundles workflows/ once per process; every worker created afterwards reuses it. */
export function bundleReservationWorkflows(): Promise<WorkflowBundle> {
  bundlePromise ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../../../workflows'),
    logger: new DefaultLogger('WARN'),
  }).catch((error: unknown) => {
    bundlePromise = undefined;
    throw error;
  });
  return bundlePromise;
}

export async function createReservationWorker<C extends ReservationActivitiesCradle>(
  options: ReservationWorkerOptions<C>,
): Promise<ReservationWorker> {
  const workflowBundle = options.workflowBundle ?? (await bundleReservationWorkflows());
  const worker = await Worker.create({
    ...options.workerOptions,
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
