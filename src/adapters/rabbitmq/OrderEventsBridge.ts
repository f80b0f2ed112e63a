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
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { Logger } from 'pino';
import type { HandleOrderEvent } from '../../application/HandleOrderEvent';
import type { ProcessedOutcome } from '../../application/ports';
import type { ServiceMetrics } from '../observability/metrics';
import type { AmqpConnection } from './AmqpConnection';
import { backoffDelay, errorMessage, sleep, type BackoffOptions } from '../shared/backoff';
import {
  copyOptions,
  deleteIfDrained,
  moveLegacyDeadLetters,
  queueInfo,
  unbindLegacyQueues,
} from './legacyQueues';
import { parseOrderEvent, type OrderEvent } from './orderEvents';
import { assertTopology, DEAD_LETTER_REASON_HEADER, ORIGINAL_ROUTING_KEY_HEADER, Topology } from './topology';

export interface OrderEventsBridgeDependencies {
  /** A connection of the bridge's own: a consumer's flow control must not stall the publisher. */
  connection: AmqpConnection;
  /** Decides what an event means (dedupe, confirm/cancel, rejections); the bridge only transports. */
  handleOrderEvent: Pick<HandleOrderEvent, 'execute'>;
  logger: Logger;
  metrics?: ServiceMetrics;
  /** Unacknowledged messages in flight (AMQP_PREFETCH): bounds memory and concurrent signals. */
  prefetch?: number;
  /** Delay before a message that failed transiently goes back to the queue. */
  retryBackoff?: BackoffOptions;
  /** How often the drain of a classic queue of earlier releases checks whether it can delete it. */
  legacyCheckMs?: number;
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
  /** The consumer draining the classic queue of earlier releases, while it exists. */
  legacyConsumerTag?: string;
}

/** Kept across the queue's rename: trace queries and dashboards select on it. */
const PROCESS_SPAN_NAME = 'inventory.order-events process';

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

/**
 * The type the message was routed as: its routing key on order.events. A message moved into the queue
 * directly (default exchange: a shovel, or the management UI re-driving a dead letter) carries the
 * routing key it originally had in the header our dead letters add.
 */
function routedAs(msg: Pick<ConsumeMessage, 'fields' | 'properties'>): string {
  const original = (msg.properties.headers ?? {})[ORIGINAL_ROUTING_KEY_HEADER] as unknown;
  if (msg.fields.exchange === '' && typeof original === 'string') return original;
  return msg.fields.routingKey;
}

/** A failure that retrying will not cure (the adapter says so with `transient: false`). */
function isPermanent(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && (error as { transient?: unknown }).transient === false
  );
}

/**
 * The AMQP side of order-service's events: decodes each message (orderEvents.ts) and hands it to the
 * HandleOrderEvent use case, then turns its outcome into an acknowledgement, a dead letter or a retry.
 *
 * - Consumes inventory.order-events with a bounded prefetch; acknowledges a message only once the use
 *   case returned, i.e. its outcome is durable (signal accepted, eventId recorded).
 * - Applied, no-workflow and duplicate outcomes are acknowledged; messages of one order (and copies of
 *   one eventId) are handled one at a time, so a copy in flight is caught as a duplicate too.
 * - Malformed JSON, schema violations, rejected events and permanent failures are dead-lettered with
 *   the reason: a copy goes to inventory.order-events.dlx (confirmed) with the header
 *   x-inventory-dead-letter-reason, then the original is acknowledged.
 * - Transient failures (Temporal or Postgres unavailable) are requeued after an exponential backoff
 *   per message, never in a hot loop.
 * - Continues the producer's trace from the message's traceparent.
 *
 * Events: 'consuming', 'handled' (HandledMessage), 'legacy-drain' (see migrateLegacy).
 */
export class OrderEventsBridge extends EventEmitter {
  private session: ConsumerSession | undefined;
  private started = false;
  private setupRegistered = false;
  private stopping = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly retries = new Map<string, number>();
  private readonly prefetch: number;
  private readonly retryBackoff: BackoffOptions;
  private readonly legacyCheckMs: number;

  constructor(private readonly deps: OrderEventsBridgeDependencies) {
    super();
    this.prefetch = deps.prefetch ?? 32;
    this.retryBackoff = deps.retryBackoff ?? { initialMs: 250, maxMs: 30_000 };
    this.legacyCheckMs = deps.legacyCheckMs ?? 5_000;
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
    if (session) {
      await session.channel.cancel(session.consumerTag).catch(() => undefined);
      if (session.legacyConsumerTag) {
        await session.channel.cancel(session.legacyConsumerTag).catch(() => undefined);
      }
    }
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
    const session: ConsumerSession = { connection, channel, deadLetters, consumerTag };
    this.session = session;
    logger.info(
      { queue: Topology.orderEventsQueue, prefetch: this.prefetch },
      'order events bridge consuming',
    );
    this.emit('consuming');
    void this.migrateLegacy(session).catch((err) =>
      logger.warn(
        { err: errorMessage(err) },
        'draining the classic order-events queues failed; retried on reconnection',
      ),
    );
  }

  /**
   * Earlier releases consumed classic queues (Topology.legacy*). Their bindings go, the dead letters
   * move to the quorum dead-letter queue, and the classic order-events queue is consumed through the
   * same handler while it has messages. It is deleted once it is empty and nobody consumes it: a replica
   * of the earlier release (during a rolling upgrade) may hold messages unacknowledged. A replica stops
   * its own drain consumer whenever the queue is empty, so two new replicas never keep each other from
   * deleting it. Runs on every attach, a no-op once the classic queues are gone.
   *
   * Emits 'legacy-drain' ({ queue, messages, consumers, deleted }) after each check.
   */
  private async migrateLegacy(session: ConsumerSession): Promise<void> {
    const { connection, channel, deadLetters } = session;
    const queue = Topology.legacyOrderEventsQueue;
    const live = () => this.started && this.session === session;
    const exists = (await queueInfo(connection, queue)) !== undefined;
    if (!exists && !(await queueInfo(connection, Topology.legacyDeadLetterQueue))) return;
    await unbindLegacyQueues(connection);
    await moveLegacyDeadLetters(connection, deadLetters, this.deps.logger);
    if (!exists) return;

    const inFlight = new Set<Promise<void>>();
    const subscribe = async () => {
      const { consumerTag } = await channel.consume(
        queue,
        (msg) => {
          if (!msg) return; // deleted under us: nothing left to drain
          const work = this.track(this.handle(channel, deadLetters, msg));
          inFlight.add(work);
          void work.finally(() => inFlight.delete(work));
        },
        { noAck: false },
      );
      session.legacyConsumerTag = consumerTag;
    };
    const unsubscribe = async () => {
      const tag = session.legacyConsumerTag;
      if (!tag) return;
      session.legacyConsumerTag = undefined;
      await channel.cancel(tag);
      await Promise.allSettled([...inFlight]);
    };
    this.deps.logger.info({ queue }, 'draining the classic order-events queue of an earlier release');
    while (live()) {
      const info = await queueInfo(connection, queue);
      let deleted = info === undefined;
      if (info && info.messageCount > 0) {
        if (!session.legacyConsumerTag) await subscribe();
      } else if (info && inFlight.size === 0) {
        await unsubscribe();
        deleted = await deleteIfDrained(connection, queue);
        if (deleted) this.deps.logger.info({ queue }, 'deleted the drained classic order-events queue');
      }
      this.emit('legacy-drain', {
        queue,
        messages: info?.messageCount ?? 0,
        consumers: info?.consumerCount ?? 0,
        deleted,
      });
      if (deleted) break;
      await sleep(this.legacyCheckMs, this.stopping.signal);
    }
  }

  private track(work: Promise<void>): Promise<void> {
    const tracked = work.catch((err) =>
      this.deps.logger.error({ err: errorMessage(err) }, 'order events bridge: unexpected failure'),
    );
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
    return tracked;
  }

  private async handle(channel: Channel, deadLetters: ConfirmChannel, msg: ConsumeMessage): Promise<void> {
    const parent = producerContext(msg);
    const span = tracer.startSpan(
      PROCESS_SPAN_NAME,
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
    // reach its workflow in the order they arrived. The eventId is a key too, so that an eventId reused
    // for another order is compared with the record of its first use rather than racing it.
    const keys = [`order:${event.data.orderId}`, `event:${event.eventId}`];
    const previous = keys.map((k) => this.chains.get(k)).filter((p) => p !== undefined);
    const run = (async () => {
      await Promise.all(previous);
      return this.apply(channel, deadLetters, msg, event, parsed.fingerprint);
    })();
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    for (const key of keys) this.chains.set(key, settled);
    try {
      return await run;
    } finally {
      for (const key of keys) if (this.chains.get(key) === settled) this.chains.delete(key);
    }
  }

  private async apply(
    channel: Channel,
    deadLetters: ConfirmChannel,
    msg: ConsumeMessage,
    event: OrderEvent,
    fingerprint: string,
  ): Promise<HandledMessage> {
    const { eventId, type } = event;
    const orderId = event.data.orderId;
    trace.getActiveSpan()?.setAttributes({ 'inventory.order_id': orderId, 'inventory.event_type': type });
    try {
      const result = await this.deps.handleOrderEvent.execute({
        eventId,
        type,
        routedAs: routedAs(msg),
        orderId,
        fingerprint,
        ...(event.type === 'OrderCancelled' && event.data.reason !== undefined
          ? { reason: event.data.reason }
          : {}),
      });
      if (result.kind === 'rejected') {
        return this.deadLetter(channel, deadLetters, msg, result.reason, { eventId, type });
      }
      this.ack(channel, msg);
      this.retries.delete(eventId);
      if (result.kind === 'duplicate') {
        this.deps.logger.debug(
          { eventId, type, orderId, outcome: result.previous },
          'duplicate order event ignored',
        );
        return { eventId, type, outcome: 'duplicate', detail: result.previous };
      }
      if (result.kind === 'no-workflow') {
        this.deps.logger.warn({ eventId, type, orderId, outcome: result.kind }, 'order event handled');
        return { eventId, type, outcome: 'no-workflow', detail: result.detail };
      }
      this.deps.logger.info({ eventId, type, orderId, outcome: result.outcome }, 'order event handled');
      return { eventId, type, outcome: result.outcome };
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
    const options = copyOptions(msg.properties, {
      ...(msg.properties.headers ?? {}),
      [DEAD_LETTER_REASON_HEADER]: reason.slice(0, 1000),
      'x-inventory-dead-lettered-at': new Date().toISOString(),
      'x-original-exchange': msg.fields.exchange,
      [ORIGINAL_ROUTING_KEY_HEADER]: msg.fields.routingKey,
    });
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
