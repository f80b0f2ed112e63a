import { asValue, type AwilixContainer } from 'awilix';
import type { Logger } from 'pino';
import { JwtTokenVerifier, jwtSettingsFrom } from '../adapters/http/auth';
import { buildApp } from '../adapters/http/app';
import type { HealthCheck } from '../adapters/http/ports';
import { startHttpServer, type HttpServerHandle } from '../adapters/http/server';
import { ServiceMetrics } from '../adapters/observability/metrics';
import type { TemporalTracing } from '../adapters/temporal/tracing';
import type { Config } from '../config';
import { createBaseContainer, type BaseCradle } from '../container/base';
import {
  messagingHealthChecks,
  messagingStateProbes,
  registerMessaging,
  startOrderEventsBridge,
  startOutboxRelay,
  type MessagingCradle,
  type RunningComponent,
} from '../container/messaging';
import { registerPersistence, type PersistenceCradle } from '../container/persistence';
import { replenishmentWorkerOverrides, startReplenishmentDispatcher } from '../container/replenishment';
import {
  createConfiguredReservationWorker,
  registerTemporal,
  type StartedReservationWorker,
  type TemporalCradle,
} from '../container/temporal';

export type ServiceCradle = BaseCradle &
  PersistenceCradle &
  TemporalCradle &
  MessagingCradle & { metrics: ServiceMetrics };

export interface RunningService {
  readonly container: AwilixContainer<ServiceCradle>;
  /** The HTTP server, when this process has the api role. */
  readonly http?: HttpServerHandle;
  /** Settles when this process's worker stops polling (rejects when it failed); undefined without the worker role. */
  readonly workerStopped?: Promise<void>;
  /** Graceful: stop accepting, drain, stop worker/bridge/relay, close every pool. Idempotent. */
  close(): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../../package.json') as { version: string };

export interface ServiceOptions {
  logger?: Logger;
  /**
   * The process's tracing pipeline (tracing.ts `tracingPipeline()`): Temporal's client, workflow and
   * activity spans go through its span processor, with its resource. Untraced without it.
   */
  tracing?: TemporalTracing;
}

export function createServiceContainer(
  config: Config,
  { logger, tracing }: ServiceOptions = {},
): AwilixContainer<ServiceCradle> {
  const container = createBaseContainer<ServiceCradle>(config, logger);
  registerPersistence(container);
  registerTemporal(container);
  registerMessaging(container);
  container.register({ metrics: asValue(new ServiceMetrics()) } as never);
  if (tracing) container.register({ tracing: asValue(tracing) } as never);
  return container;
}

function persistenceProbes(container: AwilixContainer<ServiceCradle>) {
  const prisma = () => container.resolve('prisma');
  return {
    skusBelowSafetyStock: async () => {
      const [row] = await prisma().$queryRaw<{ n: number }[]>`
        SELECT count(*)::int AS n FROM stock_levels WHERE on_hand - reserved < safety_stock`;
      return row?.n ?? 0;
    },
    reservationsPastExpiry: async () => {
      const [row] = await prisma().$queryRaw<{ n: number }[]>`
        SELECT count(*)::int AS n FROM reservations
         WHERE status = 'RESERVED' AND expires_at < now() - interval '1 minute'`;
      return row?.n ?? 0;
    },
  };
}

function coreHealthChecks(
  container: AwilixContainer<ServiceCradle>,
  worker: StartedReservationWorker | undefined,
): Record<string, HealthCheck> {
  const checks: Record<string, HealthCheck> = {
    postgres: async () => {
      await container.resolve('prisma').$queryRaw`SELECT 1`;
      return { ok: true };
    },
    temporal: async () => {
      const connection = container.resolve('temporalConnection');
      await connection.ensureConnected();
      await connection.workflowService.getSystemInfo({});
      return { ok: true, detail: container.resolve('config').TEMPORAL_ADDRESS };
    },
  };
  if (worker) {
    checks.worker = async () =>
      worker.isRunning()
        ? { ok: true, detail: worker.taskQueue }
        : { ok: false, detail: `worker not polling ${worker.taskQueue}` };
  }
  return checks;
}

/**
 * Starts the roles of ROLES in this process: api (HTTP façade), worker (reservation workflows and
 * activities), bridge (order.events → signals) and relay (outbox → inventory.events).
 */
export async function startService(config: Config, options: ServiceOptions = {}): Promise<RunningService> {
  const container = createServiceContainer(config, options);
  const log = container.resolve('logger');
  const roles = new Set(config.ROLES);
  const metrics = container.resolve('metrics');
  metrics.registerStateProbes(persistenceProbes(container));

  const components: RunningComponent[] = [];
  let worker: StartedReservationWorker | undefined;
  let workerRun: Promise<void> | undefined;
  let workerStopped: Promise<void> | undefined;
  let http: HttpServerHandle | undefined;
  let closing: Promise<void> | undefined;

  const close = () =>
    (closing ??= (async () => {
      // Stop taking work first (HTTP), then the consumers, then the worker, then the pools.
      await http?.close().catch((err: unknown) => log.warn({ err }, 'closing HTTP failed'));
      for (const component of components.reverse()) {
        await component.stop().catch((err: unknown) => log.warn({ err }, 'stopping a component failed'));
      }
      await worker?.close().catch((err: unknown) => log.warn({ err }, 'closing the worker failed'));
      await workerRun?.catch(() => undefined);
      await container.dispose();
    })());

  try {
    if (roles.has('worker')) {
      worker = await createConfiguredReservationWorker(container, replenishmentWorkerOverrides(container));
      workerStopped = worker.run();
      workerRun = workerStopped.catch((err: unknown) => {
        log.error({ err }, 'reservation worker stopped with an error');
      });
      components.push(startReplenishmentDispatcher(container));
    }
    if (roles.has('relay')) components.push(startOutboxRelay(container));
    if (roles.has('bridge')) components.push(startOrderEventsBridge(container));
    if (roles.has('relay') || roles.has('bridge')) {
      metrics.registerStateProbes(messagingStateProbes(container));
    }
    if (roles.has('api')) {
      const app = buildApp({
        inventory: container.resolve('inventoryService'),
        orchestrator: container.resolve('orchestrator'),
        tokenVerifier: new JwtTokenVerifier(jwtSettingsFrom(config)),
        healthChecks: {
          ...coreHealthChecks(container, worker),
          ...messagingHealthChecks(container, { relay: roles.has('relay'), bridge: roles.has('bridge') }),
        },
        metrics: config.METRICS_ENABLED ? metrics.registry : undefined,
        logger: log.child({ component: 'http' }),
        config,
        version,
      });
      http = await startHttpServer(app, {
        host: config.HOST,
        port: config.PORT,
        graceMs: config.SHUTDOWN_GRACE_MS,
      });
      log.info({ url: http.url, roles: [...roles] }, 'inventory-service listening');
    } else {
      log.info({ roles: [...roles] }, 'inventory-service started');
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { container, http, workerStopped, close };
}
