import { propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { Client } from 'pg';
import type { Logger } from 'pino';
import type { ServiceMetrics } from '../observability/metrics';
import { isTraceparent, newTraceparent } from '../shared/traceparent';
import {
  SingleActiveWorker,
  type SingleActiveWorkerState,
  type WorkOutcome,
} from '../shared/SingleActiveWorker';
import type { OutgoingEvent, PublishResult } from './AmqpEventPublisher';
import { errorMessage, sleep, type BackoffOptions } from '../shared/backoff';
import { Topology } from './topology';

/** What the relay needs from the broker side (AmqpEventPublisher + its connection). */
export interface RelayPublisher {
  publish(events: readonly OutgoingEvent[]): Promise<PublishResult>;
}

export interface OutboxRelayDependencies {
  databaseUrl: string;
  publisher: RelayPublisher;
  logger: Logger;
  /** Resolves when the broker connection comes back, to retry at once instead of at the end of a backoff. */
  brokerReconnected?: () => Promise<unknown>;
  /** Resolves when the broker is connected now; awaited (for a while) before the first batch. */
  brokerReady?: () => Promise<unknown>;
  metrics?: ServiceMetrics;
  /** Fallback poll when no NOTIFY arrives (ms); also how often a standby tries to take over. */
  pollIntervalMs?: number;
  batchSize?: number;
  /** Between publish retries while the broker fails. */
  retryBackoff?: BackoffOptions;
  /** Between reconnections to Postgres. */
  reconnectBackoff?: BackoffOptions;
  /** Published rows older than this are deleted by the active relay (0 keeps them forever). */
  retentionHours?: number;
}

export type RelayState = SingleActiveWorkerState;

/** Key of the session-level advisory lock that makes one relay active (per database). */
export const OUTBOX_RELAY_LOCK_KEY = 4_177_206_411;
export const OUTBOX_CHANNEL = 'inventory_outbox';

interface OutboxRow {
  id: string;
  event_id: string;
  event_type: string;
  partition_key: string;
  payload: Record<string, unknown>;
  headers: Record<string, unknown> | null;
  occurred_at: Date;
}

const PURGE_EVERY_MS = 10 * 60_000;
const BROKER_STARTUP_WAIT_MS = 5_000;
const tracer = trace.getTracer('inventory-service/outbox-relay');

/**
 * Publishes the transactional outbox (outbox_events) on inventory.events.
 *
 * - Woken by LISTEN inventory_outbox (the table's trigger NOTIFYs at commit), with a poll every
 *   `pollIntervalMs` as a fallback, so commit→publish is one query and one confirm round trip.
 * - One active relay per database: the session advisory lock OUTBOX_RELAY_LOCK_KEY, held on the relay's
 *   own connection. Other processes stand by and take over within a poll interval when that connection
 *   dies (crash, SIGKILL, network), since Postgres releases the lock with the session.
 * - Rows are read in id order and the next batch starts at the first unconfirmed row, so events of a
 *   SKU (whose outbox rows are inserted under that SKU's row lock, hence in commit order) are first
 *   delivered in order. A row is marked published only after the broker confirmed it: a crash in
 *   between republishes it (at least once; consumers dedupe by messageId = eventId).
 * - When the broker fails, rows stay unpublished with attempts/last_error recorded, and the relay
 *   retries with exponential backoff (or as soon as the broker connection is back). A database error
 *   costs the session: the relay reconnects (`reconnectBackoff`) and competes for the lock again.
 *
 * The session, lock, LISTEN, standby and backoff loop is SingleActiveWorker's; this class publishes.
 *
 * Events: 'state' (RelayState), 'published' (count).
 */
export class OutboxRelay extends SingleActiveWorker {
  private readonly batchSize: number;
  private lastPurge = 0;
  private reconnected: Promise<void> | undefined;

  constructor(private readonly deps: OutboxRelayDependencies) {
    super({
      name: 'outbox relay',
      databaseUrl: deps.databaseUrl,
      applicationName: 'inventory-outbox-relay',
      lockKey: OUTBOX_RELAY_LOCK_KEY,
      channel: OUTBOX_CHANNEL,
      logger: deps.logger,
      pollIntervalMs: deps.pollIntervalMs ?? 1000,
      retryBackoff: deps.retryBackoff ?? { initialMs: 100, maxMs: 5_000 },
      reconnectBackoff: deps.reconnectBackoff ?? { initialMs: 200, maxMs: 10_000 },
    });
    this.batchSize = deps.batchSize ?? 100;
  }

  /** At startup the broker connection is usually a few ms away: do not count that as a failed attempt. */
  protected override async beforeWork(signal: AbortSignal): Promise<void> {
    const ready = this.deps.brokerReady?.().catch(() => undefined);
    if (ready) await Promise.race([ready, sleep(BROKER_STARTUP_WAIT_MS, signal)]);
  }

  /** Publishes a batch; a failure to publish is retried, a database error costs the session. */
  protected async work(client: Client): Promise<WorkOutcome> {
    const { claimed, failed } = await this.relayBatch(client);
    if (failed) return 'failed';
    await this.purgeIfDue(client);
    return claimed === this.batchSize ? 'more' : 'idle';
  }

  /** NOTIFYs do not cut a backoff short (that would spin while the broker is down); a reconnect does. */
  protected override async waitBeforeRetry(ms: number, signal: AbortSignal): Promise<void> {
    // One pending wait for the reconnection, shared by every retry of an outage.
    if (!this.reconnected && this.deps.brokerReconnected) {
      const wait = this.deps.brokerReconnected().then(
        () => undefined,
        () => undefined,
      );
      this.reconnected = wait;
      void wait.finally(() => {
        if (this.reconnected === wait) this.reconnected = undefined;
      });
    }
    await Promise.race([sleep(ms, signal), ...(this.reconnected ? [this.reconnected] : [])]);
  }

  private async relayBatch(client: Client): Promise<{ claimed: number; failed: boolean }> {
    const { rows } = await client.query<OutboxRow>(
      `SELECT id, event_id, event_type, partition_key, payload, headers, occurred_at
         FROM outbox_events
        WHERE published_at IS NULL
        ORDER BY id
        LIMIT $1`,
      [this.batchSize],
    );
    if (rows.length === 0) return { claimed: 0, failed: false };

    const spans: Span[] = [];
    const events = rows.map((row) => {
      const { event, span } = this.toOutgoing(row);
      spans.push(span);
      return event;
    });
    const result = await this.deps.publisher.publish(events);
    const done = rows.slice(0, result.confirmed).map((r) => r.id);
    const notDone = rows.slice(result.confirmed).map((r) => r.id);
    spans.forEach((span, i) => {
      if (i >= result.confirmed) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(result.error) });
      }
      span.end();
    });

    if (done.length > 0) {
      await client.query(
        `UPDATE outbox_events SET published_at = clock_timestamp(), attempts = attempts + 1
          WHERE id = ANY($1::bigint[])`,
        [done],
      );
      this.recordMetrics(rows.slice(0, result.confirmed));
      this.emit('published', done.length);
    }
    if (notDone.length > 0) {
      this.lastError = errorMessage(result.error);
      await client.query(
        `UPDATE outbox_events SET attempts = attempts + 1, last_error = left($2, 1000)
          WHERE id = ANY($1::bigint[])`,
        [notDone, this.lastError],
      );
      this.deps.logger.warn(
        { err: this.lastError, unpublished: notDone.length, published: done.length },
        'outbox relay: broker did not confirm; will retry',
      );
      return { claimed: rows.length, failed: true };
    }
    return { claimed: rows.length, failed: false };
  }

  private toOutgoing(row: OutboxRow): { event: OutgoingEvent; span: Span } {
    const stored = (row.headers ?? {}) as Record<string, unknown>;
    const parent = propagation.extract(ROOT_CONTEXT, stored);
    const span = tracer.startSpan(
      `${Topology.inventoryExchange} publish`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'rabbitmq',
          'messaging.operation.type': 'publish',
          'messaging.destination.name': Topology.inventoryExchange,
          'messaging.rabbitmq.destination.routing_key': row.event_type,
          'messaging.message.id': row.event_id,
          'inventory.sku': row.partition_key,
        },
      },
      parent,
    );
    const headers: Record<string, unknown> = { ...stored, 'x-partition-key': row.partition_key };
    // Continues the trace of the transaction that recorded the event (same trace id as the row's).
    propagation.inject(trace.setSpan(parent, span), headers);
    // Tracing off and a row recorded without one (older rows, other writers): the contract still
    // promises a traceparent on every event.
    if (!isTraceparent(headers.traceparent)) headers.traceparent = newTraceparent();
    return {
      event: {
        eventId: row.event_id,
        type: row.event_type,
        body: Buffer.from(JSON.stringify(envelope(row.payload)), 'utf8'),
        occurredAt: row.occurred_at,
        headers,
      },
      span,
    };
  }

  private recordMetrics(rows: OutboxRow[]): void {
    const metrics = this.deps.metrics;
    if (!metrics) return;
    const now = Date.now();
    for (const row of rows) {
      metrics.eventsPublished.inc({ event_type: row.event_type });
      metrics.eventPublishLatency.observe(
        { event_type: row.event_type },
        Math.max(0, (now - row.occurred_at.getTime()) / 1000),
      );
    }
  }

  private async purgeIfDue(client: Client): Promise<void> {
    const hours = this.deps.retentionHours ?? 168;
    if (hours <= 0 || Date.now() - this.lastPurge < PURGE_EVERY_MS) return;
    this.lastPurge = Date.now();
    const { rowCount } = await client.query(
      `DELETE FROM outbox_events WHERE id IN (
         SELECT id FROM outbox_events
          WHERE published_at IS NOT NULL AND published_at < now() - make_interval(hours => $1)
          LIMIT 10000)`,
      [hours],
    );
    if (rowCount) this.deps.logger.info({ deleted: rowCount }, 'outbox relay purged published events');
  }
}

/** jsonb does not keep key order: put the envelope back in the contract's order. */
function envelope(payload: Record<string, unknown>): Record<string, unknown> {
  const { eventId, type, occurredAt, data, ...rest } = payload;
  return { eventId, type, occurredAt, data, ...rest };
}
