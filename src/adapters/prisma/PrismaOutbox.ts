import { context, propagation, trace } from '@opentelemetry/api';
import type { OutboxMessage, OutboxPort } from '../../domain/ports/OutboxPort';
import type { Db } from './db';

/** W3C trace context of the active span, so the relay can continue the trace when it publishes. */
export function traceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  if (trace.getSpan(context.active())) propagation.inject(context.active(), carrier);
  return carrier;
}

/**
 * Writes events to outbox_events in the caller's transaction: they are published if and only if the
 * change they describe commits. The payload is the full message body { eventId, type, occurredAt, data }.
 */
export class PrismaOutbox implements OutboxPort {
  constructor(private readonly db: Db) {}

  async record(messages: readonly OutboxMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const headers = JSON.stringify(traceHeaders());
    const payloads = messages.map((m) =>
      JSON.stringify({
        eventId: m.eventId,
        type: m.type,
        occurredAt: m.occurredAt.toISOString(),
        data: m.data,
      }),
    );
    // One statement (one NOTIFY); ids follow the order given, which the relay keeps per partition key.
    await this.db.$executeRaw`
      INSERT INTO outbox_events (event_id, event_type, partition_key, payload, headers, occurred_at)
      SELECT e.event_id, e.event_type, e.partition_key, e.payload::jsonb, ${headers}::jsonb, e.occurred_at
      FROM unnest(
        ${messages.map((m) => m.eventId)}::uuid[], ${messages.map((m) => m.type)}::text[],
        ${messages.map((m) => m.partitionKey)}::text[], ${payloads}::text[],
        ${messages.map((m) => m.occurredAt.toISOString())}::timestamptz[]
      ) WITH ORDINALITY AS e(event_id, event_type, partition_key, payload, occurred_at, ord)
      ORDER BY e.ord`;
  }
}
