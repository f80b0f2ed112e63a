import { context, propagation, ROOT_CONTEXT } from '@opentelemetry/api';
import type { ChannelModel, ConfirmChannel, Options } from 'amqplib';
import type { Logger } from 'pino';
import { BrokerUnavailableError, type AmqpConnection } from './AmqpConnection';
import { errorMessage } from '../shared/backoff';
import { Topology } from './topology';

/** One event ready for the wire: the body is the envelope { eventId, type, occurredAt, data }. */
export interface OutgoingEvent {
  eventId: string;
  /** Routing key and AMQP `type`. */
  type: string;
  body: Buffer;
  occurredAt: Date;
  /** traceparent, tracestate, … */
  headers: Record<string, unknown>;
  /** Defaults to inventory.events. */
  exchange?: string;
}

export interface PublishResult {
  /** How many events, from the start of the batch, the broker confirmed. */
  confirmed: number;
  /** Why the event at index `confirmed` (and possibly later ones) was not confirmed. */
  error?: Error;
}

export interface EventPublisherDependencies {
  connection: AmqpConnection;
  logger: Logger;
  /** A confirm that does not arrive within this window counts as a failure (ms). */
  confirmTimeoutMs?: number;
}

/** AMQP properties required by CONTRACT.md for every event. */
export function messageOptions(event: OutgoingEvent): Options.Publish {
  return {
    persistent: true,
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    messageId: event.eventId,
    type: event.type,
    // AMQP 0-9-1 timestamps are POSIX seconds.
    timestamp: Math.floor(event.occurredAt.getTime() / 1000),
    appId: 'inventory-service',
    headers: event.headers,
  };
}

/**
 * Publishes on a confirm channel: an event counts as published only once the broker has confirmed it
 * (for a persistent message routed to durable queues, after it is written to disk). Batches are
 * pipelined: all messages go out, then the confirms are awaited, so a batch costs about one round trip.
 *
 * Fails fast with BrokerUnavailableError when there is no connection: the caller (the outbox relay)
 * keeps the events and retries; nothing is buffered in memory here.
 */
export class AmqpEventPublisher {
  private channel: ConfirmChannel | undefined;
  private channelOf: ChannelModel | undefined;
  private opening: Promise<ConfirmChannel> | undefined;
  private readonly confirmTimeoutMs: number;

  constructor(private readonly deps: EventPublisherDependencies) {
    this.confirmTimeoutMs = deps.confirmTimeoutMs ?? 10_000;
  }

  get isConnected(): boolean {
    return this.deps.connection.isConnected;
  }

  async publish(events: readonly OutgoingEvent[]): Promise<PublishResult> {
    if (events.length === 0) return { confirmed: 0 };
    let channel: ConfirmChannel;
    try {
      channel = await this.confirmChannel();
    } catch (err) {
      return { confirmed: 0, error: err instanceof Error ? err : new Error(String(err)) };
    }

    const settled: Promise<Error | null>[] = [];
    let sendError: Error | undefined;
    for (const event of events) {
      let resolveConfirm!: (err: Error | null) => void;
      const confirm = new Promise<Error | null>((resolve) => (resolveConfirm = resolve));
      let writable: boolean;
      try {
        // In the trace the event's headers carry: the amqplib instrumentation's publish span (which
        // rewrites traceparent) then stays in the trace of the transaction that recorded the event.
        writable = context.with(propagation.extract(ROOT_CONTEXT, event.headers), () =>
          channel.publish(
            event.exchange ?? Topology.inventoryExchange,
            event.type,
            event.body,
            messageOptions(event),
            (err) => resolveConfirm(err ? (err instanceof Error ? err : new Error(String(err))) : null),
          ),
        );
      } catch (err) {
        // "Channel closed": this event and the rest of the batch were never sent.
        sendError = err instanceof Error ? err : new Error(String(err));
        break;
      }
      settled.push(confirm);
      if (!writable) await waitForDrain(channel);
    }

    const outcomes = await this.withTimeout(settled, channel);
    let confirmed = 0;
    while (confirmed < outcomes.length && outcomes[confirmed] === null) confirmed++;
    if (confirmed === events.length) return { confirmed };
    const error =
      (confirmed < outcomes.length ? outcomes[confirmed] : sendError) ?? new Error('not confirmed');
    return { confirmed, error };
  }

  /** Closes the channel (not the connection, which its owner closes). */
  async close(): Promise<void> {
    const ch = this.channel;
    this.channel = undefined;
    if (ch) await ch.close().catch(() => undefined);
  }

  private async withTimeout(
    settled: Promise<Error | null>[],
    channel: ConfirmChannel,
  ): Promise<(Error | null)[]> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.confirmTimeoutMs);
    });
    const all = Promise.all(settled);
    const first = await Promise.race([all, timedOut]);
    clearTimeout(timer);
    if (first !== 'timeout') return first;
    // A silent broker: the channel's state is unknown, so start over on a fresh connection. Closing it
    // fails the outstanding confirms ("channel closed"), which settles every promise.
    this.deps.logger.warn({ timeoutMs: this.confirmTimeoutMs }, 'publisher confirms timed out');
    if (this.channel === channel) this.channel = undefined;
    this.deps.connection.reset('publisher confirms timed out');
    const late = new Error(`publisher confirm not received within ${this.confirmTimeoutMs} ms`);
    return Promise.all(settled.map((p) => Promise.race([p, Promise.resolve(late)])));
  }

  private async confirmChannel(): Promise<ConfirmChannel> {
    const connection = this.deps.connection.current;
    if (!connection) throw new BrokerUnavailableError(this.deps.connection.lastErrorMessage);
    if (this.channel && this.channelOf === connection) return this.channel;
    this.opening ??= (async () => {
      try {
        const ch = await connection.createConfirmChannel();
        ch.on('error', (err: Error) =>
          this.deps.logger.warn({ err: errorMessage(err) }, 'publisher channel error'),
        );
        ch.once('close', () => {
          if (this.channel === ch) this.channel = undefined;
        });
        this.channel = ch;
        this.channelOf = connection;
        return ch;
      } finally {
        this.opening = undefined;
      }
    })();
    return this.opening;
  }
}

function waitForDrain(channel: ConfirmChannel): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      channel.off('drain', done);
      channel.off('close', done);
      resolve();
    };
    channel.on('drain', done);
    channel.on('close', done);
  });
}
