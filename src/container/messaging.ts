import { asFunction, type AwilixContainer } from 'awilix';
import type { ServiceMetrics } from '../adapters/observability/metrics';
import { DedupeRetention } from '../adapters/postgres/DedupeRetention';
import { AmqpConnection } from '../adapters/rabbitmq/AmqpConnection';
import { AmqpEventPublisher } from '../adapters/rabbitmq/AmqpEventPublisher';
import { OrderEventsBridge } from '../adapters/rabbitmq/OrderEventsBridge';
import { OutboxRelay } from '../adapters/rabbitmq/OutboxRelay';
import { PrismaProcessedMessageStore } from '../adapters/postgres/ProcessedMessageStore';
import { applyUnroutedPolicy, UNROUTED_POLICY } from '../adapters/rabbitmq/policies';
import {
  bridgeHealth,
  outboxRelayHealth,
  rabbitmqHealth,
  rabbitmqStateProbes,
} from '../adapters/rabbitmq/health';
import { assertTopology } from '../adapters/rabbitmq/topology';
import { outboxBacklogProbe } from '../adapters/postgres/probes';
import { HandleOrderEvent } from '../application/HandleOrderEvent';
import type { HealthCheck, OrderSignalPort, ProcessedMessagesPort } from '../application/ports';
import { optionalRegistration, type BaseCradle, type Registrations } from './base';
import type { Component } from './lifecycle';
import type { PersistenceCradle } from './persistence';

export interface MessagingCradle {
  /** Used by the outbox relay's publisher; asserts the topology on every (re)connection. */
  publisherConnection: AmqpConnection;
  /** The bridge's own connection, so consumer flow control never stalls publishing. */
  consumerConnection: AmqpConnection;
  eventPublisher: AmqpEventPublisher;
  outboxRelay: OutboxRelay;
  processedMessages: ProcessedMessagesPort;
  /** The use case behind the bridge: what an order event means. */
  handleOrderEvent: HandleOrderEvent;
  orderEventsBridge: OrderEventsBridge;
  /** Purges processed_messages and order_decisions past DEDUPE_RETENTION_HOURS; runs with the bridge. */
  dedupeRetention: DedupeRetention;
}

/** What messaging needs from the other modules: persistence (prisma) and temporal (orderSignals). */
type Needs = BaseCradle &
  Pick<PersistenceCradle, 'prisma' | 'pgPool'> & { orderSignals: OrderSignalPort } & MessagingCradle;

const optionalMetrics = (c: AwilixContainer) => optionalRegistration<ServiceMetrics>(c, 'metrics');

/**
 * Registers the RabbitMQ side. Everything is a lazy singleton: resolving `outboxRelay` in a process whose
 * roles do not include `relay` never happens, so no connection is opened for it. Disposers stop the relay
 * and the bridge and close the connections; still, stop their components first (outboxRelayComponent,
 * orderEventsBridgeComponent) so in-flight work finishes before the connections go.
 */
export function registerMessaging<C extends Needs>(container: AwilixContainer<C>): AwilixContainer<C> {
  container.register({
    publisherConnection: asFunction(({ config, logger }: Needs) => {
      const connection = new AmqpConnection({
        url: config.AMQP_URL,
        name: 'inventory-service publisher',
        logger: logger.child({ component: 'amqp-publisher' }),
      });
      const ensureUnroutedPolicy = unroutedPolicyOnce(config, logger);
      connection.addSetup(async (c) => {
        const ch = await c.createChannel();
        ch.on('error', () => undefined);
        try {
          await assertTopology(ch);
        } finally {
          await ch.close().catch(() => undefined);
        }
        ensureUnroutedPolicy();
      });
      return connection;
    })
      .singleton()
      .disposer((c) => c.close()),
    consumerConnection: asFunction(
      ({ config, logger }: Needs) =>
        new AmqpConnection({
          url: config.AMQP_URL,
          name: 'inventory-service order-events bridge',
          logger: logger.child({ component: 'amqp-consumer' }),
        }),
    )
      .singleton()
      .disposer((c) => c.close()),
    eventPublisher: asFunction(
      ({ publisherConnection, logger }: Needs) =>
        new AmqpEventPublisher({
          connection: publisherConnection,
          logger: logger.child({ component: 'publisher' }),
        }),
    )
      .singleton()
      .disposer((p) => p.close()),
    outboxRelay: asFunction(
      ({ config, logger, eventPublisher, publisherConnection }: Needs) =>
        new OutboxRelay({
          databaseUrl: config.DATABASE_URL,
          publisher: eventPublisher,
          brokerReconnected: () => publisherConnection.nextConnection(),
          brokerReady: () => publisherConnection.waitForConnection(),
          logger: logger.child({ component: 'outbox-relay' }),
          metrics: optionalMetrics(container),
          pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
          batchSize: config.OUTBOX_BATCH_SIZE,
        }),
    )
      .singleton()
      .disposer((r) => r.stop()),
    processedMessages: asFunction(({ prisma }: Needs) => new PrismaProcessedMessageStore(prisma)).singleton(),
    handleOrderEvent: asFunction(
      ({ orderSignals, processedMessages }: Needs) =>
        new HandleOrderEvent({ orderSignals, processed: processedMessages }),
    ).singleton(),
    orderEventsBridge: asFunction(
      ({ config, logger, consumerConnection, handleOrderEvent }: Needs) =>
        new OrderEventsBridge({
          connection: consumerConnection,
          handleOrderEvent,
          logger: logger.child({ component: 'order-events-bridge' }),
          metrics: optionalMetrics(container),
          prefetch: config.AMQP_PREFETCH,
        }),
    )
      .singleton()
      .disposer((b) => b.stop()),
    dedupeRetention: asFunction(
      ({ config, logger, pgPool }: Needs) =>
        new DedupeRetention({
          pool: pgPool,
          retentionHours: config.DEDUPE_RETENTION_HOURS,
          logger: logger.child({ component: 'dedupe-retention' }),
        }),
    )
      .singleton()
      .disposer((r) => r.stop()),
  } satisfies Registrations<MessagingCradle>);
  return container;
}

/**
 * inventory.events' alternate exchange is a policy (docs/messaging.md): applied through the management
 * API when AMQP_MANAGEMENT_URL is set, in the background (never delaying the publisher), until it took.
 */
function unroutedPolicyOnce(config: Needs['config'], logger: Needs['logger']): () => void {
  let done: Promise<unknown> | undefined;
  return () => {
    const managementUrl = config.AMQP_MANAGEMENT_URL;
    if (!managementUrl) {
      done ??= Promise.resolve(
        logger.warn(
          { policy: UNROUTED_POLICY.name },
          'AMQP_MANAGEMENT_URL is not set: set the inventory.events alternate-exchange policy by hand (README, Operations)',
        ),
      );
      return;
    }
    done ??= applyUnroutedPolicy({ managementUrl, amqpUrl: config.AMQP_URL }).then(
      (inForce) => {
        if (inForce === UNROUTED_POLICY.name) {
          logger.info({ policy: inForce }, 'inventory.events alternate exchange set');
        } else {
          logger.warn(
            { policy: UNROUTED_POLICY.name, inForce },
            'another policy shadows the inventory.events alternate exchange',
          );
        }
      },
      (err: unknown) => {
        done = undefined;
        logger.warn(
          { err: err instanceof Error ? err.message : String(err) },
          'setting the inventory.events alternate-exchange policy failed; retried on reconnection',
        );
      },
    );
  };
}

/**
 * Role `relay`: connects to RabbitMQ (in the background, with retries) and starts the outbox relay,
 * which stands by until it holds the relay lock. Starts at once; it never throws for an unreachable
 * broker or database (readiness reports it instead).
 */
export function outboxRelayComponent<C extends Needs>(container: AwilixContainer<C>): Component {
  return {
    name: 'outbox relay',
    start: () => {
      container.resolve('publisherConnection').start();
      container.resolve('outboxRelay').start();
    },
    stop: () => container.resolve('outboxRelay').stop(),
  };
}

/**
 * Role `bridge`: consumes inventory.order-events.v2 and signals the reservation workflows, and purges its
 * dedupe records past their retention. Starts at once; the consumer attaches whenever the broker is
 * reachable and again after every reconnection.
 */
export function orderEventsBridgeComponent<C extends Needs>(container: AwilixContainer<C>): Component {
  return {
    name: 'order-events bridge',
    start: () => {
      container.resolve('orderEventsBridge').start();
      container.resolve('dedupeRetention').start();
    },
    stop: async () => {
      await container.resolve('dedupeRetention').stop();
      await container.resolve('orderEventsBridge').stop(container.resolve('config').SHUTDOWN_GRACE_MS);
    },
  };
}

/**
 * For /health/ready: `rabbitmq` when this process publishes or consumes; `bridge` once the consumer is
 * attached. Only the components this process started are checked.
 */
export function messagingHealthChecks<C extends Needs>(
  container: AwilixContainer<C>,
  roles: { relay: boolean; bridge: boolean },
): Record<string, HealthCheck> {
  const checks: Record<string, HealthCheck> = {};
  const connections = [
    ...(roles.relay ? [container.resolve('publisherConnection')] : []),
    ...(roles.bridge ? [container.resolve('consumerConnection')] : []),
  ];
  if (connections.length > 0) checks.rabbitmq = rabbitmqHealth(connections);
  if (roles.bridge) checks.bridge = bridgeHealth(container.resolve('orderEventsBridge'));
  if (roles.relay) checks.outboxRelay = outboxRelayHealth(container.resolve('outboxRelay'));
  return checks;
}

/** Scrape-time probes for ServiceMetrics.registerStateProbes (outbox backlog, dead-letter depth). */
export function messagingStateProbes<C extends Needs>(container: AwilixContainer<C>) {
  return {
    outbox: outboxBacklogProbe(container.resolve('pgPool')),
    ...rabbitmqStateProbes([
      container.resolve('consumerConnection'),
      container.resolve('publisherConnection'),
    ]),
  };
}
