import { createHash } from 'node:crypto';
import { z } from 'zod';
import { isOrderEventType } from '../../application/HandleOrderEvent';
import { MAX_NOTE_LENGTH } from '../../application/input';
import { OrderId } from '../../domain/OrderId';

/**
 * Largest body accepted (bytes). Order events are a few hundred bytes (OrderCreated with its lines a few
 * KB); anything far larger is refused before it is parsed.
 */
export const MAX_ORDER_EVENT_BYTES = 64 * 1024;

/** order-service's events as CONTRACT.md describes them; extra fields are tolerated (additive changes). */
const orderId = z.string().regex(OrderId.PATTERN, `orderId must be ${OrderId.FORMAT}`);

const envelope = <T extends string, D extends z.ZodType>(type: T, data: D) =>
  z.looseObject({
    eventId: z.guid(),
    type: z.literal(type),
    occurredAt: z.iso.datetime({ offset: true }),
    data,
  });

export const OrderCreatedSchema = envelope(
  'OrderCreated',
  z.looseObject({ orderId, lines: z.array(z.unknown()).optional() }),
);
export const OrderConfirmedSchema = envelope('OrderConfirmed', z.looseObject({ orderId }));
export const OrderCancelledSchema = envelope(
  'OrderCancelled',
  z.looseObject({ orderId, reason: z.string().max(MAX_NOTE_LENGTH).optional() }),
);

export const OrderEventSchema = z.discriminatedUnion('type', [
  OrderCreatedSchema,
  OrderConfirmedSchema,
  OrderCancelledSchema,
]);

export type OrderEvent = z.infer<typeof OrderEventSchema>;

export type ParsedOrderEvent =
  { ok: true; event: OrderEvent; fingerprint: string } | { ok: false; reason: string; eventId?: string };

/**
 * SHA-256 of what the event says, its type and data in a canonical form (keys sorted, no spacing): the
 * same event published again, even re-serialised or with another occurredAt stamp, has the same one.
 */
export function orderEventFingerprint(event: Pick<OrderEvent, 'type' | 'data'>): string {
  return createHash('sha256')
    .update(canonicalJson({ type: event.type, data: event.data }))
    .digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Decodes a message body; never throws: a message that cannot be handled comes back with the reason. */
export function parseOrderEvent(body: Buffer): ParsedOrderEvent {
  if (body.length > MAX_ORDER_EVENT_BYTES) {
    return {
      ok: false,
      reason: `body of ${body.length} bytes exceeds the ${MAX_ORDER_EVENT_BYTES}-byte limit`,
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: `malformed JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  const eventId =
    typeof json === 'object' && json !== null && typeof (json as { eventId?: unknown }).eventId === 'string'
      ? (json as { eventId: string }).eventId
      : undefined;
  const type = typeof json === 'object' && json !== null ? (json as { type?: unknown }).type : undefined;
  if (typeof type === 'string' && !isOrderEventType(type)) {
    return { ok: false, reason: `unknown event type "${type.slice(0, 100)}"`, eventId };
  }
  const parsed = OrderEventSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
      .join('; ');
    return { ok: false, reason: `schema violation: ${issues}`, eventId };
  }
  return { ok: true, event: parsed.data, fingerprint: orderEventFingerprint(parsed.data) };
}
