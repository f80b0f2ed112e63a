import { asFunction, type AwilixContainer } from 'awilix';
import type { ServiceMetrics } from '../adapters/observability/metrics';
import { AmqpConnection } from '../adapters/rabbitmq/AmqpConnection';
import { AmqpEventPublisher } from '../adapters/rabbitmq/AmqpEventPublisher';
import { OrderEventsBridge } from '../adapters/rabbitmq/OrderEventsBridge';
import { OutboxRelay } from '../adapters/rabbitmq/OutboxRelay';
import {
  PrismaProcessedMessageStore,
  type ProcessedMessageStore,
} from '../adapters/rabbitmq/ProcessedMessageStore';
import { assertTopology, Topology } from '../adapters/rabbitmq/topology';
import type { OrderSignalPort } from '../application/ports';
import type { BaseCradle } from './base';
import type { PersistenceCradle } from './persistence';

export interface MessagingCradle {
  /** Used by the outbox relay's publisher; asserts the topology on every (re)connection. */
  publisherConnection: AmqpConnection;
  /** The bridge's own connection, so consumer flow control never stalls publishing. */
  consumerConnection: AmqpConnection;
  eventPublisher: AmqpEventPublisher;
  outboxRelay: OutboxRelay;
  processedMessages: ProcessedMessageStore;
  orderEventsBridge: OrderEventsBridge;
}

/** What messaging needs from the other modules: persistence (prisma) and temporal (orderSignals). */
type Needs = BaseCradle &
  Pick<PersistenceCradle, 'prisma'> & { orderSignals: OrderSignalPort } & MessagingCradle;

function optionalMetrics(container: AwilixContainer): ServiceMetrics | undefined {
  return container.hasRegistration('metrics') ? (container.resolve('metrics') as ServiceMetrics) : undefined;
}

/**
 * Registers the RabbitMQ side. Everything is a lazy singleton: resolving `outboxRelay` in a process whose
 * roles do not include `relay` never happens, so no connection is opened for it. Disposers stop the relay
 * and the bridge and close the connections; still, call the handles' stop() first (see startOutboxRelay /
 * startOrderEventsBridge) so in-flight work finishes before the connections go.
 */
export function registerMessaging<C extends Needs>(container: AwilixContainer<C>): AwilixContainer<C> {
  container.register({
    publisherConnection: asFunction(({ config, logger }: Needs) => {
      const connection = new AmqpConnection({
        url: config.AMQP_URL,
        name: 'inventory-service publisher',
        logger: logger.child({ component: 'amqp-publisher' }),
      });
      connection.addSetup(async (c) => {
        const ch = await c.createChannel();
        ch.on('error', () => undefined);
        try {
          await assertTopology(ch);
        } finally {
          await ch.close().catch(() => undefined);
        }
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
    orderEventsBridge: asFunction(
      ({ config, logger, consumerConnection, orderSignals, processedMessages }: Needs) =>
        new OrderEventsBridge({
          connection: consumerConnection,
          orderSignals,
          processed: processedMessages,
          logger: logger.child({ component: 'order-events-bridge' }),
          metrics: optionalMetrics(container),
          prefetch: config.AMQP_PREFETCH,
        }),
    )
      .singleton()
      .disposer((b) => b.stop()),
  } as never);
  return container;
}

function config(container: AwilixContainer) {
  return container.resolve('config') as BaseCradle['config'];
}

export interface RunningComponent {
  /** Graceful: finishes the work in flight. Call before disposing the container. */
  stop(): Promise<void>;
}

/**
 * Role `relay`: connects to RabbitMQ (in the background, with retries) and starts the outbox relay,
 * which stands by until it holds the relay lock. Returns at once; it never throws for an unreachable
 * broker or database (readiness reports it instead).
 */
export function startOutboxRelay<C extends Needs>(container: AwilixContainer<C>): RunningComponent {
  const connection = container.resolve('publisherConnection');
  const relay = container.resolve('outboxRelay');
  connection.start();
  relay.start();
  return { stop: () => relay.stop() };
}

/**
 * Role `bridge`: consumes inventory.order-events and signals the reservation workflows. Returns at once;
 * the consumer attaches whenever the broker is reachable and again after every reconnection.
 */
export function startOrderEventsBridge<C extends Needs>(container: AwilixContainer<C>): RunningComponent {
  const bridge = container.resolve('orderEventsBridge');
  bridge.start();
  return { stop: () => bridge.stop(config(container).SHUTDOWN_GRACE_MS) };
}

export interface HealthCheckResult {
  ok: boolean;
  detail?: string;
}

/**
 * For /health/ready: `rabbitmq` when this process publishes or consumes; `bridge` once the consumer is
 * attached. Only the components this process started are checked.
 */
export function messagingHealthChecks<C extends Needs>(
  container: AwilixContainer<C>,
  roles: { relay: boolean; bridge: boolean },
): Record<string, () => Promise<HealthCheckResult>> {
  const checks: Record<string, () => Promise<HealthCheckResult>> = {};
  const connections = [
    ...(roles.relay ? [container.resolve('publisherConnection')] : []),
    ...(roles.bridge ? [container.resolve('consumerConnection')] : []),
  ];
  if (connections.length > 0) {
    checks.rabbitmq = async () => {
      const down = connections.filter((c) => !c.isConnected);
      return down.length === 0
        ? { ok: true }
        : {
            ok: false,
            detail: down.map((c) => `${c.name}: ${c.lastErrorMessage ?? 'connecting'}`).join('; '),
          };
    };
  }
  if (roles.bridge) {
    const bridge = container.resolve('orderEventsBridge');
    checks.bridge = async () =>
      bridge.isConsuming ? { ok: true } : { ok: false, detail: `not consuming ${Topology.orderEventsQueue}` };
  }
  if (roles.relay) {
    const relay = container.resolve('outboxRelay');
    // A standby relay is healthy: it takes over when the active one dies.
    checks.outboxRelay = async () =>
      relay.state === 'active' || relay.state === 'standby'
        ? { ok: true, detail: relay.state }
        : {
            ok: false,
            detail: `${relay.state}${relay.lastErrorMessage ? `: ${relay.lastErrorMessage}` : ''}`,
          };
  }
  return checks;
}

/** Scrape-time probes for ServiceMetrics.registerStateProbes (outbox backlog, dead-letter depth). */
export function messagingStateProbes<C extends Needs>(container: AwilixContainer<C>) {
  return {
    outbox: async () => {
      const prisma = container.resolve('prisma');
      const rows = await prisma.$queryRaw<{ pending: number; oldest: number }[]>`
        SELECT count(*)::int AS pending,
               COALESCE(EXTRACT(EPOCH FROM now() - min(occurred_at)), 0)::float8 AS oldest
          FROM outbox_events WHERE published_at IS NULL`;
      return { pending: rows[0]?.pending ?? 0, oldestAgeSeconds: rows[0]?.oldest ?? 0 };
    },
    deadLetterDepth: async () => {
      const connection = container.resolve('consumerConnection').current;
      // Throwing keeps the gauge's last value (the probe wrapper swallows it).
      if (!connection) throw new Error('RabbitMQ not connected');
      const ch = await connection.createChannel();
      ch.on('error', () => undefined);
      try {
        return (await ch.checkQueue(Topology.deadLetterQueue)).messageCount;
      } finally {
        await ch.close().catch(() => undefined);
      }
    },
  };
}
