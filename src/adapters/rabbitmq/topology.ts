import type { Channel } from 'amqplib';
import { ORDER_EVENT_TYPES } from '../../application/HandleOrderEvent';

/** Names fixed by CONTRACT.md (exchanges, routing keys) and owned by this service (queues). */
export const Topology = {
  /** Ours: every inventory event is published here, routing key = event type. */
  inventoryExchange: 'inventory.events',
  /** order-service's: asserted (identically) only so that our binding works; never published on. */
  orderExchange: 'order.events',
  /**
   * Our queue of order-service's events, consumed by the bridge: a quorum queue (replicated, survives
   * the loss of a broker node). A queue's type cannot change in place, hence the new name.
   */
  orderEventsQueue: 'inventory.order-events.v2',
  /** Where the bridge (and the broker) put order events that cannot be processed. */
  deadLetterExchange: 'inventory.order-events.dlx',
  deadLetterQueue: 'inventory.order-events.dead.v2',
  /** The classic queues of earlier releases: drained into the quorum ones by the bridge, then deleted. */
  legacyOrderEventsQueue: 'inventory.order-events',
  legacyDeadLetterQueue: 'inventory.order-events.dead',
  orderEventTypes: ORDER_EVENT_TYPES,
  /**
   * inventory.events' alternate exchange (set by a policy, see policies.ts) and its bounded queue: an
   * event no queue is bound for lands here instead of being confirmed and dropped.
   */
  unroutedExchange: 'inventory.events.unrouted',
  unroutedQueue: 'inventory.events.unrouted',
} as const;

/** The unrouted queue keeps the newest events up to this count (older ones are dropped first). */
export const UNROUTED_MAX_LENGTH = 10_000;

const QUORUM = { 'x-queue-type': 'quorum' } as const;

/** Header carrying why a message was dead-lettered by the bridge. */
export const DEAD_LETTER_REASON_HEADER = 'x-inventory-dead-letter-reason';
/** Header of a dead letter: the routing key the message had, kept when it is moved back to be retried. */
export const ORIGINAL_ROUTING_KEY_HEADER = 'x-original-routing-key';

/**
 * Idempotent: asserting an existing exchange or queue with the same arguments is a no-op, so every
 * process runs this on every (re)connection. The dead-letter exchange is a fanout so that whatever the
 * routing key of a rejected message, it lands in the dead-letter queue.
 */
export async function assertTopology(channel: Channel): Promise<void> {
  await channel.assertExchange(Topology.inventoryExchange, 'topic', { durable: true });
  await channel.assertExchange(Topology.unroutedExchange, 'fanout', { durable: true });
  await channel.assertQueue(Topology.unroutedQueue, {
    durable: true,
    arguments: { 'x-max-length': UNROUTED_MAX_LENGTH, 'x-overflow': 'drop-head' },
  });
  await channel.bindQueue(Topology.unroutedQueue, Topology.unroutedExchange, '');
  await channel.assertExchange(Topology.orderExchange, 'topic', { durable: true });
  await channel.assertExchange(Topology.deadLetterExchange, 'fanout', { durable: true });
  await channel.assertQueue(Topology.deadLetterQueue, { durable: true, arguments: QUORUM });
  await channel.bindQueue(Topology.deadLetterQueue, Topology.deadLetterExchange, '');
  await channel.assertQueue(Topology.orderEventsQueue, {
    durable: true,
    deadLetterExchange: Topology.deadLetterExchange,
    arguments: QUORUM,
  });
  for (const type of Topology.orderEventTypes) {
    await channel.bindQueue(Topology.orderEventsQueue, Topology.orderExchange, type);
  }
}
