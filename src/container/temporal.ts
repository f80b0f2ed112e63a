import { Client, type Connection } from '@temporalio/client';
import { asFunction, type AwilixContainer } from 'awilix';
import type { ReservationActivitiesCradle } from '../../activities';
import type { ReleaseCommand, ReleaseOutcome } from '../application/contracts';
import type { UnitOfWorkOptions } from '../domain/ports/UnitOfWorkPort';
import {
  DirectReservationOrchestrator,
  type WithInventory,
} from '../application/DirectReservationOrchestrator';
import type { HealthCheck, OrderSignalPort, ReservationOrchestratorPort } from '../application/ports';
import { createClientConnection, createWorkerConnection } from '../adapters/temporal/connection';
import type { TemporalDispatcherDependencies } from '../adapters/temporal/dispatcher';
import { workerHealth } from '../adapters/temporal/health';
import { installTemporalRuntime } from '../adapters/temporal/runtime';
import { ReservationWorkflowDispatcher } from '../adapters/temporal/ReservationWorkflowDispatcher';
import { TemporalReservationOrchestrator } from '../adapters/temporal/TemporalReservationOrchestrator';
import {
  createReservationWorker,
  type ReservationWorker,
  type ReservationWorkerOptions,
} from '../adapters/temporal/worker';
import type { ServiceMetrics } from '../adapters/observability/metrics';
import {
  MeteredReservationOrchestrator,
  recordRelease,
  releaseMetricsInterceptor,
} from '../adapters/observability/reservationMetrics';
import { tracingClientInterceptors, type TemporalTracing } from '../adapters/temporal/tracing';
import { optionalRegistration, type BaseCradle, type Registrations } from './base';
import { backgroundComponent, type Component } from './lifecycle';
import type { PersistenceCradle } from './persistence';

/** The client side of Temporal: what the HTTP façade and the RabbitMQ bridge resolve. */
export interface TemporalCradle {
  /** Lazy: connects on first use, so building the container never blocks on Temporal. */
  temporalConnection: Connection;
  temporalClient: Client;
  orchestrator: ReservationOrchestratorPort;
  orderSignals: OrderSignalPort;
}

/** The application facade, scoped (one unit of work per resolution), from the persistence module. */
type InventoryCradle = Pick<PersistenceCradle, 'inventoryService'>;

type Needs = BaseCradle & TemporalCradle & InventoryCradle;

// Without the optional registrations Temporal runs untraced and uncounted.
const tracingOf = (c: AwilixContainer) => optionalRegistration<TemporalTracing>(c, 'tracing');
const metricsOf = (c: AwilixContainer) => optionalRegistration<ServiceMetrics>(c, 'metrics');

/** One scope (one unit of work) per call, as the activities do. */
function withInventoryOf<C extends InventoryCradle>(container: AwilixContainer<C>): WithInventory {
  return async (work) => {
    const scope = container.createScope();
    try {
      return await work(scope.resolve('inventoryService'));
    } finally {
      await scope.dispose();
    }
  };
}

/** One scope per direct call, as the activities do. */
async function releaseInOwnScope<C extends InventoryCradle>(
  container: AwilixContainer<C>,
  command: ReleaseCommand,
  options?: UnitOfWorkOptions,
): Promise<ReleaseOutcome> {
  const outcome = await withInventoryOf(container)((inventory) => inventory.release(command, options));
  const metrics = metricsOf(container);
  if (metrics) recordRelease(metrics, command, outcome);
  return outcome;
}

/**
 * Adds the Temporal client side to a container that already has the base and persistence
 * registrations (`inventoryService`, scoped, serves the orchestrator's release fallback). Singletons:
 * the connection is closed when the container is disposed.
 */
export function registerTemporal<C extends BaseCradle & InventoryCradle>(
  container: AwilixContainer<C>,
): AwilixContainer<C & TemporalCradle> {
  return container.register({
    temporalConnection: asFunction(({ config }: BaseCradle) => createClientConnection(config))
      .singleton()
      .disposer((connection) => connection.close()),
    temporalClient: asFunction(
      ({ config, temporalConnection }: Needs) =>
        new Client({
          connection: temporalConnection,
          namespace: config.TEMPORAL_NAMESPACE,
          interceptors: tracingClientInterceptors(tracingOf(container)),
        }),
    ).singleton(),
    orchestrator: asFunction(({ config, temporalClient }: Needs) => {
      const orchestrator: ReservationOrchestratorPort =
        config.RESERVE_MODE === 'db'
          ? new DirectReservationOrchestrator({
              withInventory: withInventoryOf(container),
              deadlineMs: config.REQUEST_DEADLINE_MS,
            })
          : new TemporalReservationOrchestrator({
              client: temporalClient,
              taskQueue: config.TEMPORAL_TASK_QUEUE,
              defaultTtlSeconds: config.RESERVATION_DEFAULT_TTL_SECONDS,
              deadlineMs: config.REQUEST_DEADLINE_MS,
              currentReservation: (orderId, options) =>
                withInventoryOf(container)((i) => i.getSettledReservation(orderId, options)),
              releaseDirectly: (command, options) => releaseInOwnScope(container, command, options),
              extendDirectly: (command, options) =>
                withInventoryOf(container)((i) => i.extend(command, options)),
            });
      const metrics = metricsOf(container);
      return metrics
        ? new MeteredReservationOrchestrator(orchestrator, metrics, {
            countReleases: config.RESERVE_MODE === 'db',
          })
        : orchestrator;
    }).singleton(),
    // The bridge's decisions go to Postgres first (both modes); the dispatcher signals the workflow.
    orderSignals: asFunction((): OrderSignalPort => {
      const withInventory = withInventoryOf(container);
      return {
        confirm: (orderId) => withInventory((i) => i.orderDecisions.confirm(orderId)),
        cancel: (orderId, reason) => withInventory((i) => i.orderDecisions.cancel(orderId, reason)),
      };
    }).singleton(),
  } satisfies Registrations<TemporalCradle>);
}

export interface StartedReservationWorker extends ReservationWorker {
  /** shutdown() and close the worker's own connection. */
  close(): Promise<void>;
}

/**
 * The worker of this process, from the container's configuration: its own native connection, the
 * task queue TEMPORAL_TASK_QUEUE, activities scoped per call. Call run(), then close() on shutdown.
 */
export async function createConfiguredReservationWorker<C extends BaseCradle & ReservationActivitiesCradle>(
  container: AwilixContainer<C>,
  overrides: Partial<Omit<ReservationWorkerOptions<C>, 'container' | 'connection'>> = {},
): Promise<StartedReservationWorker> {
  const config = container.resolve('config');
  const metrics = metricsOf(container);
  installTemporalRuntime(config, container.resolve('logger'));
  const connection = await createWorkerConnection(config);
  try {
    const worker = await createReservationWorker({
      container,
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      logger: container.resolve('logger'),
      shutdownGraceTime: config.SHUTDOWN_GRACE_MS,
      workflowBundleCacheDir: config.WORKFLOW_BUNDLE_CACHE_DIR,
      tracing: tracingOf(container),
      activityInterceptors: metrics ? [releaseMetricsInterceptor(metrics)] : [],
      ...overrides,
    });
    return {
      ...worker,
      async close() {
        await worker.shutdown();
        await connection.close();
      },
    };
  } catch (error) {
    await connection.close();
    throw error;
  }
}

export interface ReservationWorkerComponent extends Component {
  /** Settles when the worker stops polling (rejects when it failed); undefined until started. */
  readonly stopped: Promise<void> | undefined;
  /** /health/ready's `worker`. */
  readonly health: HealthCheck;
}

/** The worker role's worker (createConfiguredReservationWorker): polls from start() until stop(). */
export function reservationWorkerComponent<C extends BaseCradle & ReservationActivitiesCradle>(
  container: AwilixContainer<C>,
  overrides: Partial<Omit<ReservationWorkerOptions<C>, 'container' | 'connection'>> = {},
): ReservationWorkerComponent {
  const logger = container.resolve('logger');
  let worker: StartedReservationWorker | undefined;
  let stopped: Promise<void> | undefined;
  let run: Promise<void> | undefined;
  return {
    name: 'reservation worker',
    get stopped() {
      return stopped;
    },
    health: async () =>
      worker
        ? workerHealth(worker)()
        : { ok: false, detail: `worker not polling ${container.resolve('config').TEMPORAL_TASK_QUEUE}` },
    async start() {
      worker = await createConfiguredReservationWorker(container, overrides);
      stopped = worker.run();
      run = stopped.catch((err: unknown) => {
        logger.error({ err }, 'reservation worker stopped with an error');
      });
    },
    async stop() {
      try {
        await worker?.close();
      } finally {
        await run;
      }
    },
  };
}

/** A dispatcher (one active per database: it polls Postgres and calls Temporal) as a component. */
export type DispatcherComponent<D> = Component & { readonly dispatcher: D };
export type ReservationDispatcherComponent = DispatcherComponent<ReservationWorkflowDispatcher>;

type DispatcherNeeds = BaseCradle & Pick<TemporalCradle, 'temporalClient'>;

/** What every dispatcher takes from the container: the database, the Temporal client and task queue. */
export function dispatcherDependencies<C extends DispatcherNeeds>(
  container: AwilixContainer<C>,
  component: string,
): TemporalDispatcherDependencies {
  const config = container.resolve('config');
  return {
    databaseUrl: config.DATABASE_URL,
    client: container.resolve('temporalClient'),
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    logger: container.resolve('logger').child({ component }),
  };
}

/**
 * The ReservationWorkflowDispatcher of this process (worker role): it delivers the workflow requests
 * that reserves and decisions commit. Starts at once; it stands by while another process holds the
 * dispatcher lock. stop() finishes the deliveries in flight.
 */
export function reservationWorkflowDispatcherComponent<C extends DispatcherNeeds>(
  container: AwilixContainer<C>,
): ReservationDispatcherComponent {
  const config = container.resolve('config');
  const dispatcher = new ReservationWorkflowDispatcher({
    ...dispatcherDependencies(container, 'workflow-dispatcher'),
    defaultTtlSeconds: config.RESERVATION_DEFAULT_TTL_SECONDS,
    concurrency: config.WORKFLOW_DISPATCH_CONCURRENCY,
    ratePerSecond: config.WORKFLOW_DISPATCH_RATE,
    quietMs: config.WORKFLOW_DISPATCH_QUIET_MS,
    maxDeferMs: config.WORKFLOW_DISPATCH_MAX_DEFER_MS,
    metrics: metricsOf(container),
  });
  return { ...backgroundComponent('workflow-request dispatcher', dispatcher), dispatcher };
}
