import { performance } from 'node:perf_hooks';
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';

export interface CollectedMessage {
  /** The parsed JSON body (undefined when it is not JSON). */
  body: Record<string, unknown> | undefined;
  routingKey: string;
  properties: ConsumeMessage['properties'];
  headers: Record<string, unknown>;
  /** Wall-clock time of arrival in ms since the epoch, sub-millisecond (performance.timeOrigin based). */
  receivedAt: number;
  redelivered: boolean;
  raw: ConsumeMessage;
}

export type MessagePredicate = (m: CollectedMessage) => boolean;

interface Waiter {
  check: () => boolean;
  done: () => void;
}

/**
 * A test consumer bound to an exchange (inventory.events by default, every routing key) in a vhost:
 * collects every message and lets a test await "a message matching this predicate" with a deadline,
 * instead of sleeping. The queue is exclusive and auto-deleted, so it only sees messages published
 * after start().
 */
export class EventCollector {
  readonly messages: CollectedMessage[] = [];
  private readonly waiters = new Set<Waiter>();

  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: Channel,
  ) {}

  static async start(
    url: string,
    options: { exchange?: string; bindingKeys?: string[] } = {},
  ): Promise<EventCollector> {
    const exchange = options.exchange ?? 'inventory.events';
    const connection = await amqp.connect(url, { noDelay: true });
    connection.on('error', () => undefined);
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    await channel.assertExchange(exchange, 'topic', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    for (const key of options.bindingKeys ?? ['#']) await channel.bindQueue(queue, exchange, key);
    const collector = new EventCollector(connection, channel);
    await channel.consume(queue, (msg) => msg && collector.add(msg), { noAck: true });
    return collector;
  }

  /** Consumes an existing queue (e.g. inventory.order-events.dead) instead of binding a queue of its own. */
  static async fromQueue(url: string, queue: string): Promise<EventCollector> {
    const connection = await amqp.connect(url, { noDelay: true });
    connection.on('error', () => undefined);
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    await channel.checkQueue(queue);
    const collector = new EventCollector(connection, channel);
    await channel.consume(queue, (msg) => msg && collector.add(msg), { noAck: true });
    return collector;
  }

  /** Messages matching `predicate`, in arrival order. */
  filter(predicate: MessagePredicate): CollectedMessage[] {
    return this.messages.filter(predicate);
  }

  /** Distinct messages by messageId (first arrival kept), in arrival order. */
  distinct(predicate: MessagePredicate = () => true): CollectedMessage[] {
    const seen = new Set<string>();
    return this.messages.filter((m) => {
      const id = m.properties.messageId as string | undefined;
      if (!predicate(m) || id === undefined || seen.has(id)) return false;
      seen.add(id);
      return true;
    });
  }

  /** The first message (already received or yet to come) that matches, or a rejection at the deadline. */
  async waitFor(predicate: MessagePredicate, timeoutMs = 5_000): Promise<CollectedMessage> {
    const [first] = await this.waitForCount(predicate, 1, timeoutMs);
    return first!;
  }

  /** Resolves once `count` matching messages have arrived (duplicates count; dedupe in the predicate). */
  async waitForCount(
    predicate: MessagePredicate,
    count: number,
    timeoutMs = 5_000,
  ): Promise<CollectedMessage[]> {
    await this.waitUntil(
      () => this.filter(predicate).length >= count,
      timeoutMs,
      () => `${this.filter(predicate).length}/${count} matching messages`,
    );
    return this.filter(predicate);
  }

  /** Resolves once a message with each of these messageIds has arrived; returns them deduplicated. */
  async waitForIds(ids: Iterable<string>, timeoutMs = 5_000): Promise<CollectedMessage[]> {
    const wanted = new Set(ids);
    const matching = () => this.distinct((m) => wanted.has(m.properties.messageId as string));
    await this.waitUntil(
      () => matching().length === wanted.size,
      timeoutMs,
      () => `${matching().length}/${wanted.size} distinct messageIds`,
    );
    return matching();
  }

  /** Re-evaluates `check` on every arrival until it holds, or rejects at the deadline. */
  waitUntil(
    check: () => boolean,
    timeoutMs: number,
    describe: () => string = () => 'condition',
  ): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        check,
        done: () => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(
          new Error(
            `EventCollector: still ${describe()} after ${timeoutMs} ms (${this.messages.length} received in all)`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  async close(): Promise<void> {
    await this.channel.close().catch(() => undefined);
    await this.connection.close().catch(() => undefined);
  }

  private add(raw: ConsumeMessage): void {
    let body: Record<string, unknown> | undefined;
    try {
      body = JSON.parse(raw.content.toString('utf8')) as Record<string, unknown>;
    } catch {
      body = undefined;
    }
    const message: CollectedMessage = {
      body,
      routingKey: raw.fields.routingKey,
      properties: raw.properties,
      headers: (raw.properties.headers ?? {}) as Record<string, unknown>,
      receivedAt: performance.timeOrigin + performance.now(),
      redelivered: raw.fields.redelivered,
      raw,
    };
    this.messages.push(message);
    for (const waiter of [...this.waiters]) if (waiter.check()) waiter.done();
  }
}
