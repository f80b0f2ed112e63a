import type { HealthCheck } from '../../application/ports';
import type { AmqpConnection } from './AmqpConnection';
import type { OrderEventsBridge } from './OrderEventsBridge';
import type { OutboxRelay } from './OutboxRelay';
import { Topology } from './topology';

/** /health/ready's `rabbitmq`: every connection this process uses is up. */
export function rabbitmqHealth(connections: readonly AmqpConnection[]): HealthCheck {
  return async () => {
    const down = connections.filter((c) => !c.isConnected);
    return down.length === 0
      ? { ok: true }
      : { ok: false, detail: down.map((c) => `${c.name}: ${c.lastErrorMessage ?? 'connecting'}`).join('; ') };
  };
}

/** /health/ready's `bridge`: the consumer is attached. */
export function bridgeHealth(bridge: Pick<OrderEventsBridge, 'isConsuming'>): HealthCheck {
  return async () =>
    bridge.isConsuming ? { ok: true } : { ok: false, detail: `not consuming ${Topology.orderEventsQueue}` };
}

/** /health/ready's `outboxRelay`. A standby relay is healthy: it takes over when the active one dies. */
export function outboxRelayHealth(relay: Pick<OutboxRelay, 'state' | 'lastErrorMessage'>): HealthCheck {
  return async () =>
    relay.state === 'active' || relay.state === 'standby'
      ? { ok: true, detail: relay.state }
      : { ok: false, detail: `${relay.state}${relay.lastErrorMessage ? `: ${relay.lastErrorMessage}` : ''}` };
}

/**
 * Scrape-time depth of a queue, on the first of these connections that is up. Throwing keeps the
 * gauge's last value (the probe wrapper swallows it).
 */
export function queueDepthProbe(queue: string, connections: readonly AmqpConnection[]) {
  return async (): Promise<number> => {
    const connection = connections.map((c) => c.current).find((c) => c !== undefined);
    if (!connection) throw new Error('RabbitMQ not connected');
    const ch = await connection.createChannel();
    ch.on('error', () => undefined);
    try {
      return (await ch.checkQueue(queue)).messageCount;
    } finally {
      await ch.close().catch(() => undefined);
    }
  };
}

/** The broker-side gauges: dead-lettered and unrouted events waiting for an operator. */
export function rabbitmqStateProbes(connections: readonly AmqpConnection[]) {
  return {
    deadLetterDepth: queueDepthProbe(Topology.deadLetterQueue, connections),
    unroutedEvents: queueDepthProbe(Topology.unroutedQueue, connections),
  };
}
