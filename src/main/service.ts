import { asValue, type AwilixContainer } from 'awilix';
import type { Logger } from 'pino';
import { JwtTokenVerifier, jwtSettingsFrom } from '../adapters/http/auth';
import { buildApp } from '../adapters/http/app';
import { buildOpsApp } from '../adapters/http/opsApp';
import { startIdempotencyPurge } from '../adapters/http/idempotency';
import { startHttpServer, type HttpServerHandle } from '../adapters/http/server';
import { ServiceMetrics } from '../adapters/observability/metrics';
import { postgresStateProbes } from '../adapters/postgres/probes';
import type { TemporalTracing } from '../adapters/temporal/tracing';
import type { Config } from '../config';
import { createBaseContainer, type BaseCradle } from '../container/base';
import { Lifecycle, type Component } from '../container/lifecycle';
import {
  messagingStateProbes,
  orderEventsBridgeComponent,
  outboxRelayComponent,
  registerMessaging,
  type MessagingCradle,
} from '../container/messaging';
import { expirySweepComponent, registerPersistence, type PersistenceCradle } from '../container/persistence';
import { replenishmentDispatcherComponent, replenishmentWorkerOverrides } from '../container/replenishment';
import {
  registerTemporal,
  reservationWorkerComponent,
  reservationWorkflowDispatcherComponent,
  type ReservationWorkerComponent,
  type TemporalCradle,
} from '../container/temporal';
import { processReadiness } from './readiness';

export type ServiceCradle = BaseCradle &
  PersistenceCradle &
  TemporalCradle &
  MessagingCradle & { metrics: ServiceMetrics };

export interface RunningService {
  readonly container: AwilixContainer<ServiceCradle>;
  /** The HTTP server, when this process has the api role. */
  readonly http?: HttpServerHandle;
  /** Without the api role: the listener of /health/* and /metrics (OPS_PORT). */
  readonly ops?: HttpServerHandle;
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
  container.register({ metrics: asValue(new ServiceMetrics()) });
  if (tracing) container.register({ tracing: asValue(tracing) });
  return container;
}

/** The HTTP listener as a component: built and listening in start(), drained and closed in stop(). */
function httpComponent(name: string, listen: () => Promise<HttpServerHandle>) {
  let handle: HttpServerHandle | undefined;
  return {
    name,
    get handle() {
      return handle;
    },
    start: async () => {
      handle = await listen();
    },
    stop: async () => {
      await handle?.close();
    },
  } satisfies Component & { handle: HttpServerHandle | undefined };
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
  metrics.registerStateProbes(postgresStateProbes(container.resolve('pgPool')));

  // Started in this order, stopped in reverse: HTTP stops taking work first, then the consumers and
  // dispatchers, then the worker; the pools and connections go last (container.dispose()).
  const lifecycle = new Lifecycle({ stopTimeoutMs: config.SHUTDOWN_GRACE_MS + 5000, logger: log });
  let worker: ReservationWorkerComponent | undefined;
  if (roles.has('worker')) {
    worker = reservationWorkerComponent(container, replenishmentWorkerOverrides(container));
    lifecycle
      .add(worker)
      .add(replenishmentDispatcherComponent(container))
      .add(reservationWorkflowDispatcherComponent(container))
      .add(
        expirySweepComponent(container, (released) => metrics.releases.inc({ reason: 'expired' }, released)),
      );
  }
  if (roles.has('relay')) lifecycle.add(outboxRelayComponent(container));
  if (roles.has('bridge')) lifecycle.add(orderEventsBridgeComponent(container));
  if (roles.has('relay') || roles.has('bridge')) {
    metrics.registerStateProbes(messagingStateProbes(container));
  }
  const { checks: healthChecks, readiness } = processReadiness(container, roles, worker);
  let listener: ReturnType<typeof httpComponent>;
  if (roles.has('api')) {
    const idempotency = container.resolve('idempotencyStore');
    let stopPurge: (() => Promise<void>) | undefined;
    lifecycle.add({
      name: 'idempotency-key purge',
      start: () => {
        stopPurge = startIdempotencyPurge(idempotency, {
          intervalMs: config.IDEMPOTENCY_PURGE_INTERVAL_SECONDS * 1000,
          log,
        });
      },
      stop: async () => stopPurge?.(),
    });
    listener = httpComponent('HTTP server', async () => {
      const app = buildApp({
        inventory: container.resolve('inventoryService'),
        orchestrator: container.resolve('orchestrator'),
        tokenVerifier: new JwtTokenVerifier(jwtSettingsFrom(config)),
        idempotency,
        healthChecks,
        readiness,
        metrics: config.METRICS_ENABLED ? metrics.registry : undefined,
        logger: log.child({ component: 'http' }),
        config,
        version,
      });
      const http = await startHttpServer(app, {
        host: config.HOST,
        port: config.PORT,
        graceMs: config.SHUTDOWN_GRACE_MS,
      });
      log.info({ url: http.url, roles: [...roles] }, 'inventory-service listening');
      return http;
    });
  } else {
    listener = httpComponent('ops listener', async () => {
      const app = buildOpsApp({
        healthChecks,
        readiness,
        metrics: config.METRICS_ENABLED ? metrics.registry : undefined,
        logger: log.child({ component: 'ops-http' }),
      });
      const ops = await startHttpServer(app, { host: config.HOST, port: config.OPS_PORT, graceMs: 1000 });
      log.info({ roles: [...roles], ops: ops.url }, 'inventory-service started');
      return ops;
    });
  }
  lifecycle.add(listener);

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await lifecycle.stop();
      await container.dispose();
    })());
  try {
    await lifecycle.start();
  } catch (error) {
    await close();
    throw error;
  }
  return {
    container,
    ...(roles.has('api') ? { http: listener.handle } : { ops: listener.handle }),
    workerStopped: worker?.stopped,
    close,
  };
}
