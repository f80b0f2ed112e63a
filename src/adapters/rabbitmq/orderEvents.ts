import { z } from 'zod';

/** order-service's events as CONTRACT.md describes them; extra fields are tolerated (additive changes). */
const orderId = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'orderId must be 1-128 chars of A-Za-z0-9._:-');

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
  z.looseObject({ orderId, reason: z.string().max(500).optional() }),
);

export const OrderEventSchema = z.discriminatedUnion('type', [
  OrderCreatedSchema,
  OrderConfirmedSchema,
  OrderCancelledSchema,
]);

export type OrderEvent = z.infer<typeof OrderEventSchema>;

export type ParsedOrderEvent =
  { ok: true; event: OrderEvent } | { ok: false; reason: string; eventId?: string };

/** Decodes a message body; never throws: a message that cannot be handled comes back with the reason. */
export function parseOrderEvent(body: Buffer): ParsedOrderEvent {
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
  if (typeof type === 'string' && !['OrderCreated', 'OrderConfirmed', 'OrderCancelled'].includes(type)) {
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
  return { ok: true, event: parsed.data };
}
