import { Client, Connection } from '@temporalio/client';
import { asFunction, type AwilixContainer } from 'awilix';
import type { ReservationActivitiesCradle } from '../../activities';
import type { ReleaseCommand, ReleaseOutcome } from '../application/contracts';
import type { OrderSignalPort, ReservationOrchestratorPort } from '../application/ports';
import { createWorkerConnection } from '../adapters/temporal/connection';
import { installTemporalRuntime } from '../adapters/temporal/runtime';
import { TemporalOrderSignals } from '../adapters/temporal/TemporalOrderSignals';
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
import type { BaseCradle } from './base';

/** The client side of Temporal: what the HTTP façade and the RabbitMQ bridge resolve. */
export interface TemporalCradle {
  /** Lazy: connects on first use, so building the container never blocks on Temporal. */
  temporalConnection: Connection;
  temporalClient: Client;
  orchestrator: ReservationOrchestratorPort;
  orderSignals: OrderSignalPort;
}

type Needs = BaseCradle & TemporalCradle & ReservationActivitiesCradle;

/**
 * Optional registrations of the service container: `tracing` (the process's tracing pipeline, see
 * tracing.ts) and `metrics` (ServiceMetrics). Without them Temporal runs untraced and uncounted.
 */
function optional<T>(container: AwilixContainer, name: 'tracing' | 'metrics'): T | undefined {
  return container.hasRegistration(name) ? (container.resolve(name) as T | undefined) : undefined;
}
const tracingOf = (c: AwilixContainer) => optional<TemporalTracing>(c, 'tracing');
const metricsOf = (c: AwilixContainer) => optional<ServiceMetrics>(c, 'metrics');

/** One scope per direct call, as the activities do. */
async function releaseInOwnScope<C extends ReservationActivitiesCradle>(
  container: AwilixContainer<C>,
  command: ReleaseCommand,
): Promise<ReleaseOutcome> {
  const scope = container.createScope();
  try {
    const outcome = await scope.resolve('inventoryService').release(command);
    const metrics = metricsOf(container as AwilixContainer);
    if (metrics) recordRelease(metrics, command, outcome);
    return outcome;
  } finally {
    await scope.dispose();
  }
}

/**
 * Adds the Temporal client side to a container that already has the base and persistence
 * registrations (`inventoryService`, scoped, serves the orchestrator's release fallback). Singletons:
 * the connection is closed when the container is disposed.
 */
export function registerTemporal<C extends BaseCradle & ReservationActivitiesCradle>(
  base: AwilixContainer<C>,
): AwilixContainer<C & TemporalCradle> {
  const container = base as unknown as AwilixContainer<C & TemporalCradle>;
  container.register({
    temporalConnection: asFunction(({ config }: BaseCradle) =>
      Connection.lazy({ address: config.TEMPORAL_ADDRESS }),
    )
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
      const orchestrator = new TemporalReservationOrchestrator({
        client: temporalClient,
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        defaultTtlSeconds: config.RESERVATION_DEFAULT_TTL_SECONDS,
        releaseDirectly: (command) => releaseInOwnScope(container, command),
      });
      const metrics = metricsOf(container);
      return metrics ? new MeteredReservationOrchestrator(orchestrator, metrics) : orchestrator;
    }).singleton(),
    orderSignals: asFunction(
      ({ temporalClient }: Needs) => new TemporalOrderSignals({ client: temporalClient }),
    ).singleton(),
  } as never);
  return container;
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
