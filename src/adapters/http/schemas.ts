import { z } from 'zod';

/**
 * Wire shapes of the HTTP API (CONTRACT.md). Request schemas are strict (unknown fields are a 400);
 * response schemas strip whatever the application adds that the contract does not publish.
 */

/**
 * OpenAPI metadata (component ids, descriptions, examples) lives in this private registry rather than
 * zod's global one, so nothing registered elsewhere in the process leaks into the document.
 */
export const openApiComponents = z.registry<{ id?: string; description?: string; [key: string]: unknown }>();

function doc<T extends z.ZodType>(
  schema: T,
  meta: { id?: string; description?: string; [key: string]: unknown },
): T {
  openApiComponents.add(schema, meta);
  return schema;
}

export const QUANTITY_MAX = 1_000_000;
/** Stock levels are Postgres int4 columns; keep the API comfortably inside them. */
export const LEVEL_MAX = 1_000_000_000;
export const TTL_MAX = 86_400;
export const LINES_MAX = 100;

const SKU_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ORDER_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export const Sku = doc(
  z
    .string()
    .regex(SKU_PATTERN, 'must be 1-64 chars of A-Z 0-9 . _ -, starting with a letter or digit')
    .transform((s) => s.toUpperCase()),
  { description: 'Product code; case-insensitive on input, upper-case in responses', examples: ['SKU-123'] },
);

export const OrderId = doc(z.string().regex(ORDER_ID_PATTERN, 'must be 1-128 chars of A-Za-z0-9 . _ : -'), {
  examples: ['order-42'],
});

export const Quantity = z.number().int().min(1).max(QUANTITY_MAX);
const Level = z.number().int().min(0).max(LEVEL_MAX);
export const TtlSeconds = doc(z.number().int().min(1).max(TTL_MAX), {
  description: 'Reservation lifetime in seconds, default 900; only the first reserve of an order sets it',
});

// ---- requests ---------------------------------------------------------------------------------

export const SkuParams = z.strictObject({ sku: Sku });
export const OrderIdParams = z.strictObject({ orderId: OrderId });

export const SetLevelsBody = z.strictObject({
  onHand: Level,
  safetyStock: Level.optional(),
  reorderQuantity: Level.optional(),
});

export const ReserveBody = z.strictObject({
  orderId: OrderId,
  quantity: Quantity,
  ttlSeconds: TtlSeconds.optional(),
});

export const ReleaseBody = z.strictObject({
  orderId: OrderId,
  reason: doc(z.string().max(500), { description: 'Free text, kept in the log' }).optional(),
});

export const ReplenishBody = z.strictObject({
  quantity: Quantity,
  reference: doc(z.string().min(1).max(200), { description: 'e.g. the goods-receipt number' }).optional(),
});

export const ReservationsBody = z.strictObject({
  orderId: OrderId,
  lines: z
    .array(z.strictObject({ sku: Sku, quantity: Quantity }))
    .min(1)
    .max(LINES_MAX)
    .superRefine((lines, ctx) => {
      const seen = new Set<string>();
      lines.forEach((line, i) => {
        if (seen.has(line.sku)) {
          ctx.addIssue({ code: 'custom', path: [i, 'sku'], message: `duplicate SKU ${line.sku}` });
        }
        seen.add(line.sku);
      });
    }),
  ttlSeconds: TtlSeconds.optional(),
});

const Limit = z
  .string()
  .regex(/^[0-9]{1,3}$/, 'must be an integer 1-200')
  .transform(Number)
  .pipe(z.number().int().min(1).max(200));

export const MovementsQuery = z.strictObject({
  limit: doc(Limit, { description: 'Page size 1-200, default 50' }).optional(),
  cursor: doc(z.string().min(1).max(512), { description: 'nextCursor of the previous page' }).optional(),
});

export const PurchaseOrdersQuery = z.strictObject({
  status: doc(z.enum(['open', 'closed', 'all']), { description: 'Which requests, default open' }).optional(),
  limit: doc(Limit, { description: 'Page size 1-200, default 50' }).optional(),
  cursor: doc(z.string().min(1).max(512), { description: 'nextCursor of the previous page' }).optional(),
});

// ---- responses --------------------------------------------------------------------------------

const Timestamp = doc(z.string(), { format: 'date-time' });

export const PurchaseOrderRequest = z.object({
  id: z.string(),
  quantity: z.number().int(),
  available: z.number().int(),
  safetyStock: z.number().int(),
  requestedAt: Timestamp,
});

export const PurchaseOrder = doc(
  z.object({
    id: z.string(),
    sku: z.string(),
    status: z.enum(['OPEN', 'CLOSED']),
    quantity: doc(z.number().int(), {
      description: 'Units requested: safetyStock + reorderQuantity - available, when raised',
    }),
    available: doc(z.number().int(), { description: 'Available stock when the request was raised' }),
    safetyStock: z.number().int(),
    reorderQuantity: z.number().int(),
    requestedAt: Timestamp,
    closedAt: doc(Timestamp.nullable(), { description: 'When a replenishment closed it; null while open' }),
    remindersSent: doc(z.number().int(), {
      description: 'PurchaseOrderRequested reminders published so far',
    }),
  }),
  { description: 'A purchase-order request raised when available stock fell below safety stock' },
);

export const PurchaseOrderPage = doc(
  z.object({
    items: doc(z.array(PurchaseOrder), { description: 'Newest first' }),
    nextCursor: z.string().nullable(),
  }),
  { description: 'A page of purchase-order requests' },
);

export const StockLevel = z
  .object({
    sku: z.string(),
    onHand: z.number().int(),
    reserved: z.number().int(),
    available: z.number().int(),
    safetyStock: z.number().int(),
    reorderQuantity: z.number().int(),
    updatedAt: Timestamp,
    openPurchaseOrder: doc(PurchaseOrderRequest.nullable(), {
      description: 'The open purchase-order request for this SKU, null when none is open',
    }),
  })
  .register(openApiComponents, { id: 'StockLevel', description: 'Stock level of a SKU' });

const Status = z.enum(['RESERVED', 'CONFIRMED', 'RELEASED']);

export const Reservation = z
  .object({
    orderId: z.string(),
    status: Status,
    lines: z.array(z.object({ sku: z.string(), quantity: z.number().int(), status: Status })),
    expiresAt: Timestamp,
    createdAt: Timestamp,
    updatedAt: Timestamp,
    releaseReason: z.enum(['cancelled', 'expired', 'released']).optional(),
  })
  .register(openApiComponents, { id: 'Reservation', description: "An order's reservation" });

export const Movement = z
  .object({
    id: z.string(),
    sku: z.string(),
    type: z.enum(['RESERVE', 'RELEASE', 'COMMIT', 'REPLENISH', 'ADJUST']),
    quantity: z.number().int(),
    orderId: z.string().optional(),
    reason: z.string().optional(),
    reference: z.string().optional(),
    onHandAfter: z.number().int(),
    reservedAfter: z.number().int(),
    occurredAt: Timestamp,
  })
  .register(openApiComponents, { id: 'Movement', description: 'An immutable stock movement' });

export const MovementPage = doc(
  z.object({
    items: doc(z.array(Movement), { description: 'Newest first' }),
    nextCursor: z.string().nullable(),
  }),
  { description: "A page of a SKU's movements" },
);

/** RFC 9457 problem details; extensions (available, lines, errors...) depend on the type. */
export const Problem = z
  .looseObject({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
  })
  .register(openApiComponents, { id: 'Problem', description: 'RFC 9457 problem details' });

const CheckState = z.object({ ok: z.boolean(), detail: z.string().optional(), durationMs: z.number() });

export const Readiness = z.object({
  status: z.enum(['ok', 'unavailable']),
  checks: z.record(z.string(), CheckState),
});

export const Liveness = z.object({ status: z.literal('ok'), uptimeSeconds: z.number() });
