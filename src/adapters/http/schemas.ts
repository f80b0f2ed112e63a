import { z } from 'zod';
import {
  isStorableText,
  DEFAULT_MOVEMENT_LIMIT,
  MAX_BATCH_SKUS,
  MAX_LINES,
  MAX_MOVEMENT_LIMIT,
  MAX_NOTE_LENGTH,
  MAX_REFERENCE_LENGTH,
  PURCHASE_ORDER_FILTERS,
  STORABLE_TEXT,
} from '../../application/input';
import { OrderId as OrderIdVO } from '../../domain/OrderId';
import { PURCHASE_ORDER_REQUEST_STATUSES } from '../../domain/PurchaseOrderRequest';
import { Quantity as QuantityVO } from '../../domain/Quantity';
import { RELEASE_REASONS } from '../../domain/ReleaseReason';
import { RESERVATION_STATUSES } from '../../domain/Reservation';
import { Sku as SkuVO } from '../../domain/Sku';
import { StockCount } from '../../domain/StockCount';
import { ADJUSTMENT_REASONS, MOVEMENT_TYPES } from '../../domain/StockMovement';
import { TtlSeconds as TtlSecondsVO } from '../../domain/TtlSeconds';

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

export const Sku = doc(
  z
    .string()
    .regex(SkuVO.PATTERN, `must be ${SkuVO.FORMAT}`)
    .transform((s) => s.toUpperCase()),
  { description: 'Product code; case-insensitive on input, upper-case in responses', examples: ['SKU-123'] },
);

export const OrderId = doc(z.string().regex(OrderIdVO.PATTERN, `must be ${OrderIdVO.FORMAT}`), {
  examples: ['order-42'],
});

export const Quantity = z.number().int().min(QuantityVO.MIN).max(QuantityVO.MAX);
const Level = z.number().int().min(StockCount.MIN).max(StockCount.MAX);
const ttlRange = () => z.number().int().min(TtlSecondsVO.MIN).max(TtlSecondsVO.MAX);
export const TtlSeconds = doc(ttlRange(), {
  description: `Reservation lifetime in seconds, default ${TtlSecondsVO.DEFAULT_SECONDS}; only the first reserve of an order sets it`,
});

// ---- requests ---------------------------------------------------------------------------------

/** Free text that Postgres stores exactly as given (see isStorableText). */
const storableText = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(STORABLE_TEXT, 'must not contain NUL characters')
    .refine(isStorableText, 'must be well-formed Unicode');

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
  reason: doc(z.string().max(MAX_NOTE_LENGTH), {
    description: 'Free text, kept in the log',
  }).optional(),
});

export const ReplenishBody = z.strictObject({
  quantity: Quantity,
  reference: doc(storableText(MAX_REFERENCE_LENGTH), {
    description: 'e.g. the goods-receipt number',
  }).optional(),
});

export const ExtendBody = doc(
  z.strictObject({
    ttlSeconds: doc(ttlRange(), {
      description: 'The reservation then expires this many seconds from now, at most at its maximum age',
    }),
  }),
  { examples: [{ ttlSeconds: 600 }] },
);

export const AdjustmentBody = doc(
  z
    .strictObject({
      delta: doc(z.number().int().min(-StockCount.MAX).max(StockCount.MAX), {
        description: 'Signed change of on hand (e.g. -2 for two damaged units)',
      }).optional(),
      onHand: doc(Level, { description: 'The on hand counted (the change is computed)' }).optional(),
      reason: z.enum(ADJUSTMENT_REASONS),
      reference: doc(storableText(MAX_REFERENCE_LENGTH), {
        description: 'e.g. the count sheet or damage report',
      }).optional(),
      note: doc(storableText(MAX_NOTE_LENGTH), { description: 'Free text kept in the ledger' }).optional(),
    })
    .superRefine((b, ctx) => {
      if ((b.delta === undefined) === (b.onHand === undefined)) {
        ctx.addIssue({ code: 'custom', path: ['delta'], message: 'give either delta or onHand' });
      }
    }),
  {
    description: 'Exactly one of delta and onHand, with a reason',
    examples: [
      { delta: -2, reason: 'damaged', reference: 'DMG-17', note: 'forklift' },
      { onHand: 40, reason: 'cycle-count', reference: 'CC-2026-12' },
    ],
  },
);

export const ReservationsBody = z.strictObject({
  orderId: OrderId,
  lines: z
    .array(z.strictObject({ sku: Sku, quantity: Quantity }))
    .min(1)
    .max(MAX_LINES)
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

// The pattern is the whole range, so the document says exactly what is accepted.
const Limit = z
  .string()
  .regex(/^(?:[1-9][0-9]?|1[0-9]{2}|200)$/, `must be an integer 1-${MAX_MOVEMENT_LIMIT}`)
  .transform(Number)
  .pipe(z.number().int().min(1).max(MAX_MOVEMENT_LIMIT));
const PAGE_SIZE = `1-${MAX_MOVEMENT_LIMIT}, default ${DEFAULT_MOVEMENT_LIMIT}`;
/** Opaque; longer than any cursor this service issues. */
const cursor = (description: string) => doc(z.string().min(1).max(512), { description });

export const MovementsQuery = z.strictObject({
  limit: doc(Limit, { description: `Page size ${PAGE_SIZE}` }).optional(),
  cursor: cursor('nextCursor of the previous page').optional(),
  type: doc(z.enum(MOVEMENT_TYPES), { description: 'Only movements of this type' }).optional(),
  reason: doc(z.string().regex(/^[a-z][a-z-]{0,63}$/, 'must be a lower-case word (a-z, -)'), {
    description: 'Only movements with this reason, e.g. `damaged` or `expired`',
  }).optional(),
});

export const PurchaseOrdersQuery = z.strictObject({
  status: doc(z.enum(PURCHASE_ORDER_FILTERS), { description: 'Which requests, default open' }).optional(),
  limit: doc(Limit, { description: `Page size ${PAGE_SIZE}` }).optional(),
  cursor: cursor('nextCursor of the previous page').optional(),
});

/** `sku=A&sku=B` (repeated) or `sku=A,B` (commas cannot occur in a SKU). */
const SkuList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')))
  .pipe(z.array(Sku).min(1).max(MAX_BATCH_SKUS));

export const InventoryListQuery = z
  .strictObject({
    sku: doc(SkuList, {
      description: `SKUs to read (1-${MAX_BATCH_SKUS}), repeated or comma-separated`,
      examples: ['SKU-1', 'SKU-1,SKU-2'],
    }).optional(),
    below: doc(z.enum(['safety']), {
      description: '`safety`: the SKUs whose available stock is under their safety stock, by SKU',
    }).optional(),
    limit: doc(Limit, { description: `With \`below\`: page size ${PAGE_SIZE}` }).optional(),
    cursor: cursor('With `below`: nextCursor of the previous page').optional(),
  })
  .superRefine((q, ctx) => {
    if ((q.sku === undefined) === (q.below === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['sku'], message: 'give either sku or below=safety' });
    }
    if (q.sku !== undefined && (q.limit !== undefined || q.cursor !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['limit'], message: 'limit and cursor go with below=safety' });
    }
  });

const EntityTags = (description: string) =>
  doc(z.string().min(1).max(1024), { description, examples: ['"7"'] }).optional();

export const ConditionalWriteHeaders = z.looseObject({
  'if-match': EntityTags(
    'Write only if the stock level is still at this ETag (its version); otherwise 412 with the current level',
  ),
});

export const ConditionalReadHeaders = z.looseObject({
  'if-none-match': EntityTags('304 Not Modified when the stock level still has this ETag'),
});

/** Request headers of every POST and PUT (others pass through). */
export const IdempotencyHeaders = z.looseObject({
  'idempotency-key': doc(z.string().min(1).max(257), {
    description:
      'Makes the request safe to retry (IETF httpapi idempotency-key draft): a repeat with the same key and ' +
      'body answers the first response again (`Idempotent-Replayed: true`) and changes nothing; the same key ' +
      'with another body is a 422, a repeat while the first is still running a 409. Kept 24 h by default.',
    examples: ['"8e03978e-40d5-43e8-bc93-6894a57f9324"'],
  }).optional(),
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
    status: z.enum(PURCHASE_ORDER_REQUEST_STATUSES),
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

export const StockLevelBatch = doc(
  z.object({
    items: doc(z.array(StockLevel), { description: 'One level per known SKU, in the order asked' }),
    unknown: doc(z.array(z.string()), { description: 'The SKUs asked for that do not exist' }),
  }),
  {
    description: 'Stock levels of several SKUs',
    examples: [
      {
        items: [
          {
            sku: 'SKU-1',
            onHand: 10,
            reserved: 3,
            available: 7,
            safetyStock: 2,
            reorderQuantity: 20,
            updatedAt: '2026-12-01T12:00:00.000Z',
            openPurchaseOrder: null,
          },
        ],
        unknown: ['SKU-404'],
      },
    ],
  },
);

export const StockLevelPage = doc(
  z.object({
    items: doc(z.array(StockLevel), { description: 'By SKU' }),
    nextCursor: z.string().nullable(),
  }),
  {
    description: 'A page of SKUs whose available stock is under their safety stock',
    examples: [
      {
        items: [
          {
            sku: 'SKU-7',
            onHand: 3,
            reserved: 2,
            available: 1,
            safetyStock: 5,
            reorderQuantity: 20,
            updatedAt: '2026-12-01T12:00:00.000Z',
            openPurchaseOrder: {
              id: '0b8f3c1e-5d7a-4f7e-9a51-2f0c3f7d9e11',
              quantity: 24,
              available: 1,
              safetyStock: 5,
              requestedAt: '2026-12-01T12:00:00.000Z',
            },
          },
        ],
        nextCursor: 'YnMxOlNLVS03',
      },
    ],
  },
);

const Status = z.enum(RESERVATION_STATUSES);

export const Reservation = z
  .object({
    orderId: z.string(),
    status: Status,
    lines: z.array(z.object({ sku: z.string(), quantity: z.number().int(), status: Status })),
    expiresAt: Timestamp,
    createdAt: Timestamp,
    updatedAt: Timestamp,
    releaseReason: z.enum(RELEASE_REASONS).optional(),
  })
  .register(openApiComponents, { id: 'Reservation', description: "An order's reservation" });

export const Movement = z
  .object({
    id: z.string(),
    sku: z.string(),
    type: z.enum(MOVEMENT_TYPES),
    quantity: z.number().int(),
    orderId: z.string().optional(),
    reason: z.string().optional(),
    reference: z.string().optional(),
    note: z.string().optional(),
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

const CheckState = z.object({
  ok: z.boolean(),
  state: doc(z.enum(['ok', 'degraded', 'down']), {
    description: 'degraded: failing, but no role of the process needs it to work',
  }),
  detail: z.string().optional(),
  durationMs: z.number(),
});

const RoleState = z.object({
  state: z.enum(['ok', 'degraded', 'down', 'starting']),
  detail: z.string().optional(),
});

export const Readiness = z.object({
  status: z.enum(['ok', 'degraded', 'unavailable']),
  roles: doc(z.record(z.string(), RoleState), { description: 'The roles this process runs' }).optional(),
  checks: z.record(z.string(), CheckState),
});

export const Liveness = z.object({ status: z.literal('ok'), uptimeSeconds: z.number() });
