import type { Channel } from 'amqplib';

/** Names fixed by CONTRACT.md (exchanges, routing keys) and owned by this service (queues). */
export const Topology = {
  /** Ours: every inventory event is published here, routing key = event type. */
  inventoryExchange: 'inventory.events',
  /** order-service's: asserted (identically) only so that our binding works; never published on. */
  orderExchange: 'order.events',
  /** Our durable queue of order-service's events, consumed by the bridge. */
  orderEventsQueue: 'inventory.order-events',
  /** Where the bridge (and the broker) put order events that cannot be processed. */
  deadLetterExchange: 'inventory.order-events.dlx',
  deadLetterQueue: 'inventory.order-events.dead',
  orderEventTypes: ['OrderCreated', 'OrderConfirmed', 'OrderCancelled'] as const,
} as const;

export type OrderEventType = (typeof Topology.orderEventTypes)[number];

/** Header carrying why a message was dead-lettered by the bridge. */
export const DEAD_LETTER_REASON_HEADER = 'x-inventory-dead-letter-reason';

/**
 * Idempotent: asserting an existing exchange or queue with the same arguments is a no-op, so every
 * process runs this on every (re)connection. The dead-letter exchange is a fanout so that whatever the
 * routing key of a rejected message, it lands in the dead-letter queue.
 */
export async function assertTopology(channel: Channel): Promise<void> {
  await channel.assertExchange(Topology.inventoryExchange, 'topic', { durable: true });
  await channel.assertExchange(Topology.orderExchange, 'topic', { durable: true });
  await channel.assertExchange(Topology.deadLetterExchange, 'fanout', { durable: true });
  await channel.assertQueue(Topology.deadLetterQueue, { durable: true });
  await channel.bindQueue(Topology.deadLetterQueue, Topology.deadLetterExchange, '');
  await channel.assertQueue(Topology.orderEventsQueue, {
    durable: true,
    deadLetterExchange: Topology.deadLetterExchange,
  });
  for (const type of Topology.orderEventTypes) {
    await channel.bindQueue(Topology.orderEventsQueue, Topology.orderExchange, type);
  }
}
