import { EventEmitter } from 'node:events';
import {
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
} from '@opentelemetry/api';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import type { Logger } from 'pino';
import type { OrderSignalPort } from '../../application/ports';
import type { ServiceMetrics } from '../observability/metrics';
import type { AmqpConnection } from './AmqpConnection';
import { backoffDelay, errorMessage, sleep, type BackoffOptions } from './backoff';
import { parseOrderEvent, type OrderEvent } from './orderEvents';
import type { ProcessedMessageStore, ProcessedOutcome } from './ProcessedMessageStore';
import { assertTopology, DEAD_LETTER_REASON_HEADER, Topology } from './topology';

export interface OrderEventsBridgeDependencies {
  /** A connection of the bridge's own: a consumer's flow control must not stall the publisher. */
  connection: AmqpConnection;
  orderSignals: OrderSignalPort;
  processed: ProcessedMessageStore;
  logger: Logger;
  metrics?: ServiceMetrics;
  /** Unacknowledged messages in flight (AMQP_PREFETCH): bounds memory and concurrent signals. */
  prefetch?: number;
  /** Delay before a message that failed transiently goes back to the queue. */
  retryBackoff?: BackoffOptions;
}

export type BridgeOutcome = ProcessedOutcome | 'duplicate' | 'dead-lettered' | 'retried';

export interface HandledMessage {
  eventId?: string;
  type?: string;
  outcome: BridgeOutcome;
  detail?: string;
}

interface ConsumerSession {
  connection: ChannelModel;
  channel: Channel;
  deadLetters: ConfirmChannel;
  consumerTag: string;
}

const tracer = trace.getTracer('inventory-service/order-events-bridge');

/**
 * The trace the message carries (its traceparent header), so that the process span and everything done
 * inside it (the signal to Temporal, the workflow's handling, the release activity and its SQL) continue
 * order-service's trace. The amqplib instrumentation's consumer span, when it is current and already in
 * that trace, stays the parent.
 */
export function producerContext(msg: Pick<ConsumeMessage, 'properties'>): Context {
  const headers = (msg.properties.headers ?? {}) as Record<string, unknown>;
  const carried = propagation.extract(ROOT_CONTEXT, headers);
  const carriedSpan = trace.getSpanContext(carried);
  const activeSpan = trace.getSpanContext(context.active());
  if (!carriedSpan || !isSpanContextValid(carriedSpan)) return activeSpan ? context.active() : ROOT_CONTEXT;
  return activeSpan?.traceId === carriedSpan.traceId ? context.active() : carried;
}
const MAX_TRACKED_RETRIES = 10_000;

/** A failure that retrying will not cure (the adapter says so with `transient: false`). */
function isPermanent(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && (error as { transient?: unknown }).transient === false
  );
}

/**
 * order-service's events → signals to the order's reservation workflow (through OrderSignalPort).
 *
 * - Consumes inventory.order-events with a bounded prefetch; acknowledges a message only once its
 *   outcome is durable: the signal accepted by Temporal and the eventId recorded in processed_messages.
 * - OrderConfirmed → confirm, OrderCancelled → cancel, OrderCreated → recorded only. A workflow that
 *   does not exist or has ended ('no-workflow') is acknowledged and recorded, never retried.
 * - Duplicates (eventId already in processed_messages) are acknowledged without a second signal;
 *   messages of one order are handled one at a time, so a copy in flight is caught too.
 * - Malformed JSON, schema violations, unknown types and permanent failures are dead-lettered with the
 *   reason: a copy goes to inventory.order-events.dlx (confirmed) with the header
 *   x-inventory-dead-letter-reason, then the original is acknowledged.
 * - Transient failures (Temporal or Postgres unavailable) are requeued after an exponential backoff
 *   per message, never in a hot loop.
 * - Continues the producer's trace from the message's traceparent.
 *
 * Events: 'consuming', 'handled' (HandledMessage).
 */
export class OrderEventsBridge extends EventEmitter {
  private session: ConsumerSession | undefined;
  private started = false;
  private setupRegistered = false;
  private stopping = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly byOrder = new Map<string, Promise<void>>();
  private readonly retries = new Map<string, number>();
  private readonly prefetch: number;
  private readonly retryBackoff: BackoffOptions;

  constructor(private readonly deps: OrderEventsBridgeDependencies) {
    super();
    this.prefetch = deps.prefetch ?? 32;
    this.retryBackoff = deps.retryBackoff ?? { initialMs: 250, maxMs: 30_000 };
  }

  /** True while a consumer is attached to the queue (readiness). */
  get isConsuming(): boolean {
    return this.session !== undefined;
  }

  /** Starts consuming now and again after every reconnection (idempotent). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.stopping = new AbortController();
    if (!this.setupRegistered) {
      this.deps.connection.addSetup((c) => this.attach(c));
      this.setupRegistered = true;
    }
    const live = this.deps.connection.current;
    if (live)
      void this.attach(live).catch((err) => this.deps.connection.reset(`bridge setup: ${errorMessage(err)}`));
    this.deps.connection.start();
  }

  /** Resolves once a consumer is attached. */
  waitUntilConsuming(timeoutMs = 10_000): Promise<void> {
    if (this.isConsuming) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('consuming', onConsuming);
        reject(new Error(`order events bridge not consuming within ${timeoutMs} ms`));
      }, timeoutMs);
      const onConsuming = () => {
        clearTimeout(timer);
        resolve();
      };
      this.once('consuming', onConsuming);
    });
  }

  /**
   * Stops taking messages, lets the ones in flight finish (those waiting for a retry go back to the
   * queue at once), then closes the bridge's channels. The connection itself belongs to its owner.
   */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.stopping.abort();
    const session = this.session;
    this.session = undefined;
    if (session) await session.channel.cancel(session.consumerTag).catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise((resolve) => (timer = setTimeout(resolve, graceMs))),
    ]);
    clearTimeout(timer);
    if (session) {
      await session.channel.close().catch(() => undefined);
      await session.deadLetters.close().catch(() => undefined);
    }
  }

  private async attach(connection: ChannelModel): Promise<void> {
    if (!this.started) return;
    const { logger } = this.deps;
    const channel = await connection.createChannel();
    const deadLetters = await connection.createConfirmChannel();
    for (const ch of [channel, deadLetters]) {
      ch.on('error', (err: Error) => logger.warn({ err: errorMessage(err) }, 'bridge channel error'));
      // A channel closed by the broker (e.g. a protocol error) leaves the consumer in an unknown state:
      // start over on a fresh connection.
      ch.once('close', () => {
        if (this.started && this.session?.connection === connection) {
          this.session = undefined;
          this.deps.connection.reset('bridge channel closed');
        }
      });
    }
    await assertTopology(channel);
    await channel.prefetch(this.prefetch);
    const { consumerTag } = await channel.consume(
      Topology.orderEventsQueue,
      (msg) => {
        if (!msg) {
          // The broker cancelled the consumer (queue deleted): re-declare and resubscribe.
          this.deps.connection.reset('consumer cancelled by the broker');
          return;
        }
        this.track(this.handle(channel, deadLetters, msg));
      },
      { noAck: false },
    );
    this.session = { connection, channel, deadLetters, consumerTag };
    logger.info(
      { queue: Topology.orderEventsQueue, prefetch: this.prefetch },
      'order events bridge consuming',
    );
    this.emit('consuming');
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((err) =>
      this.deps.logger.error({ err: errorMessage(err) }, 'order events bridge: unexpected failure'),
    );
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  private async handle(channel: Channel, deadLetters: ConfirmChannel, msg: ConsumeMessage): Promise<void> {
    const parent = producerContext(msg);
    const span = tracer.startSpan(
      `${Topology.orderEventsQueue} process`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'rabbitmq',
          'messaging.operation.type': 'process',
          'messaging.destination.name': msg.fields.exchange,
          'messaging.rabbitmq.destination.routing_key': msg.fields.routingKey,
          'messaging.message.id': msg.properties.messageId ?? '',
        },
      },
      parent,
    );
    await context.with(trace.setSpan(parent, span), async () => {
      try {
        const result = await this.process(channel, deadLetters, msg);
        span.setAttribute('inventory.bridge.outcome', result.outcome);
        if (result.outcome === 'dead-lettered' || result.outcome === 'retried') {
          span.setStatus({ code: SpanStatusCode.ERROR, message: result.detail });
        }
        this.deps.metrics?.bridgeMessages.inc({ type: result.type ?? 'unknown', outcome: result.outcome });
        this.emit('handled', result);
      } finally {
        span.end();
      }
    });
  }

  private async process(
    channel: Channel,
    deadLetters: ConfirmChannel,
    msg: ConsumeMessage,
  ): Promise<HandledMessage> {
    const parsed = parseOrderEvent(msg.content);
    if (!parsed.ok) {
      return this.deadLetter(channel, deadLetters, msg, parsed.reason, {
        eventId: parsed.eventId ?? msg.properties.messageId,
        type: msg.fields.routingKey,
      });
    }
    const event = parsed.event;
    // Messages of one order are handled one after the other, in delivery order: a copy of an event in
    // flight waits for the first one's outcome (then is a duplicate), and two decisions on one order
    // reach its workflow in the order they arrived.
    const key = event.data.orderId;
    const previous = this.byOrder.get(key);
    const run = (async () => {
      if (previous) await previous;
      return this.apply(channel, deadLetters, msg, event);
    })();
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.byOrder.set(key, settled);
    try {
      return await run;
    } finally {
      if (this.byOrder.get(key) === settled) this.byOrder.delete(key);
    }
  }

  private async apply(
    channel: Channel,
    deadLetters: ConfirmChannel,
    msg: ConsumeMessage,
    event: OrderEvent,
  ): Promise<HandledMessage> {
    const { eventId, type } = event;
    const orderId = event.data.orderId;
    trace.getActiveSpan()?.setAttributes({ 'inventory.order_id': orderId, 'inventory.event_type': type });
    try {
      const seen = await this.deps.processed.find(eventId);
      if (seen !== undefined) {
        this.ack(channel, msg);
        this.retries.delete(eventId);
        this.deps.logger.debug({ eventId, type, orderId, outcome: seen }, 'duplicate order event ignored');
        return { eventId, type, outcome: 'duplicate', detail: seen };
      }
      let outcome: ProcessedOutcome;
      switch (event.type) {
        case 'OrderCreated':
          outcome = 'recorded';
          break;
        case 'OrderConfirmed':
          outcome = await this.deps.orderSignals.confirm(orderId);
          break;
        case 'OrderCancelled':
          outcome = await this.deps.orderSignals.cancel(orderId, event.data.reason);
          break;
      }
      const detail =
        outcome === 'no-workflow' ? `no running reservation workflow for order ${orderId}` : undefined;
      await this.deps.processed.record({ messageId: eventId, messageType: type, outcome, detail });
      this.ack(channel, msg);
      this.retries.delete(eventId);
      const log = outcome === 'no-workflow' ? this.deps.logger.warn : this.deps.logger.info;
      log.call(this.deps.logger, { eventId, type, orderId, outcome }, 'order event handled');
      return { eventId, type, outcome, detail };
    } catch (err) {
      if (isPermanent(err)) {
        return this.deadLetter(channel, deadLetters, msg, `processing failed: ${errorMessage(err)}`, {
          eventId,
          type,
        });
      }
      return this.retryLater(channel, msg, err, { eventId, type });
    }
  }

  private async retryLater(
    channel: Channel,
    msg: ConsumeMessage,
    err: unknown,
    ids: { eventId?: string; type?: string },
  ): Promise<HandledMessage> {
    const key = ids.eventId ?? msg.properties.messageId ?? `tag:${msg.fields.deliveryTag}`;
    const attempt = this.retries.get(key) ?? 0;
    this.retries.delete(key);
    this.retries.set(key, attempt + 1);
    if (this.retries.size > MAX_TRACKED_RETRIES)
      this.retries.delete(this.retries.keys().next().value as string);
    const delay = backoffDelay(attempt, this.retryBackoff);
    this.deps.logger.warn(
      { ...ids, attempt: attempt + 1, retryInMs: delay, err: errorMessage(err) },
      'order event failed transiently; requeueing after backoff',
    );
    await sleep(delay, this.stopping.signal);
    try {
      channel.nack(msg, false, true);
    } catch {
      // Channel gone: the broker redelivers the message anyway.
    }
    return { ...ids, outcome: 'retried', detail: errorMessage(err) };
  }

  private async deadLetter(
    channel: Channel,
    deadLetters: ConfirmChannel,
    msg: ConsumeMessage,
    reason: string,
    ids: { eventId?: string; type?: string },
  ): Promise<HandledMessage> {
    const p = msg.properties;
    const options: Options.Publish = {
      persistent: true,
      contentType: p.contentType,
      contentEncoding: p.contentEncoding,
      messageId: p.messageId,
      correlationId: p.correlationId,
      type: p.type,
      timestamp: p.timestamp,
      appId: p.appId,
      headers: {
        ...(p.headers ?? {}),
        [DEAD_LETTER_REASON_HEADER]: reason.slice(0, 1000),
        'x-inventory-dead-lettered-at': new Date().toISOString(),
        'x-original-exchange': msg.fields.exchange,
        'x-original-routing-key': msg.fields.routingKey,
      },
    };
    for (const key of Object.keys(options) as (keyof Options.Publish)[]) {
      if (options[key] === undefined) delete options[key];
    }
    try {
      await new Promise<void>((resolve, reject) => {
        deadLetters.publish(
          Topology.deadLetterExchange,
          msg.fields.routingKey,
          msg.content,
          options,
          (err) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve()),
        );
      });
    } catch (err) {
      // Not confirmed: keep the original and try again later rather than lose it.
      return this.retryLater(channel, msg, err, ids);
    }
    this.ack(channel, msg);
    if (ids.eventId) this.retries.delete(ids.eventId);
    this.deps.logger.warn({ ...ids, reason }, 'order event dead-lettered');
    return { ...ids, outcome: 'dead-lettered', detail: reason };
  }

  private ack(channel: Channel, msg: ConsumeMessage): void {
    try {
      channel.ack(msg);
    } catch (err) {
      // The channel died after the work was done: the message comes back and is recognised as a duplicate.
      this.deps.logger.warn({ err: errorMessage(err) }, 'ack failed; message will be redelivered');
    }
  }
}
