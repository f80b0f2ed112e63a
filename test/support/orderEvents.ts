import { randomUUID } from 'node:crypto';
import amqp, { type ChannelModel, type ConfirmChannel, type Options } from 'amqplib';

export type OrderEventType = 'OrderCreated' | 'OrderConfirmed' | 'OrderCancelled';

/**
 * Plays order-service in tests: publishes on order.events (with publisher confirms) exactly as the
 * contract describes, or anything else for the malformed-message cases.
 */
export class OrderEventsPublisher {
  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: ConfirmChannel,
  ) {}

  static async open(url: string): Promise<OrderEventsPublisher> {
    const connection = await amqp.connect(url, { noDelay: true });
    connection.on('error', () => undefined);
    const channel = await connection.createConfirmChannel();
    channel.on('error', () => undefined);
    await channel.assertExchange('order.events', 'topic', { durable: true });
    return new OrderEventsPublisher(connection, channel);
  }

  /** Publishes a contract-shaped event and returns its eventId. */
  async publish(
    type: OrderEventType,
    data: Record<string, unknown>,
    options: { eventId?: string; headers?: Record<string, unknown>; occurredAt?: Date } = {},
  ): Promise<string> {
    const eventId = options.eventId ?? randomUUID();
    const body = { eventId, type, occurredAt: (options.occurredAt ?? new Date()).toISOString(), data };
    await this.publishRaw(JSON.stringify(body), {
      routingKey: type,
      messageId: eventId,
      type,
      headers: options.headers,
    });
    return eventId;
  }

  /** Any body, any routing key (on order.events unless `exchange` says otherwise, '' = default exchange). */
  async publishRaw(
    body: string | Buffer,
    options: Options.Publish & { routingKey: string; exchange?: string },
  ): Promise<void> {
    const { routingKey, exchange, ...props } = options;
    await new Promise<void>((resolve, reject) => {
      this.channel.publish(
        exchange ?? 'order.events',
        routingKey,
        Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
        {
          persistent: true,
          contentType: 'application/json',
          timestamp: Math.floor(Date.now() / 1000),
          ...props,
        },
        (err) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve()),
      );
    });
  }

  async close(): Promise<void> {
    await this.channel.close().catch(() => undefined);
    await this.connection.close().catch(() => undefined);
  }
}
