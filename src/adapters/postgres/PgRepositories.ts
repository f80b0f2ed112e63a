import { context, propagation, trace } from '@opentelemetry/api';
import { ConcurrencyError } from '../../domain/errors';
import type { OrderId } from '../../domain/OrderId';
import type { InventoryRepositoryPort } from '../../domain/ports/InventoryRepositoryPort';
import type {
  MovementLedgerReaderPort,
  MovementPageRequest,
} from '../../domain/ports/MovementLedgerReaderPort';
import type { OrderDecision, OrderDecisionPort } from '../../domain/ports/OrderDecisionPort';
import type { OutboxMessage, OutboxPort } from '../../domain/ports/OutboxPort';
import type {
  PurchaseOrderRequestPageRequest,
  PurchaseOrderRequestRepositoryPort,
} from '../../domain/ports/PurchaseOrderRequestRepositoryPort';
import type { ReservationRepositoryPort } from '../../domain/ports/ReservationRepositoryPort';
import type { WorkflowRequest, WorkflowRequestPort } from '../../domain/ports/WorkflowRequestPort';
import type { ProductInventory } from '../../domain/ProductInventory';
import type { PurchaseOrderRequest } from '../../domain/PurchaseOrderRequest';
import type { Reservation } from '../../domain/Reservation';
import type { Sku } from '../../domain/Sku';
import type { RecordedMovement } from '../../domain/StockMovement';
import { MovementMapper, type MovementRecord } from './mappers/MovementMapper';
import {
  PurchaseOrderRequestMapper,
  type PurchaseOrderRequestRecord,
} from './mappers/PurchaseOrderRequestMapper';
import { ReservationMapper, type JoinedReservationRecord } from './mappers/ReservationMapper';
import { StockLevelMapper, type StockLevelRecord } from './mappers/StockLevelMapper';
import type { Param, PgSession, WritePart } from './PgSession';
import {
  LOCK_EXPIRED_RESERVATIONS,
  NO_PENDING_DECISION,
  ORDER_LOCK_SPACE,
  READ_RESERVATION,
} from './reservationSql';
import { isTraceparent, newTraceparent, propagatesTraceContext } from '../shared/traceparent';

/*
 * The command side's repositories on one PgSession (PgUnitOfWork). Reads run at once; saves and outbox
 * records capture their rows when called and are written at commit, together, in one statement, whose
 * row counts are the optimistic checks.
 */

/**
 * W3C trace context of the active span, so the relay and the dispatcher can continue the trace. With
 * tracing off nothing propagates: the records of one transaction then share a generated traceparent
 * (with tracing on and no span the relay's own root span gives them one).
 */
function traceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  if (trace.getSpan(context.active())) propagation.inject(context.active(), carrier);
  if (!isTraceparent(carrier.traceparent) && !propagatesTraceContext()) {
    carrier.traceparent = newTraceparent();
  }
  return carrier;
}

const iso = (d: Date) => d.toISOString();
const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

/** `unnest($1::text[], $2::int[], ...)`: one array parameter per column. */
function unnest(p: Param, columns: readonly (readonly [unknown[], string])[]): string {
  return `unnest(${columns.map(([values, type]) => p(values, `${type}[]`)).join(', ')})`;
}

const STOCK_COLUMNS = `sku, on_hand AS "onHand", reserved, safety_stock AS "safetyStock",
  reorder_quantity AS "reorderQuantity", version, created_at AS "createdAt", updated_at AS "updatedAt"`;

export class PgInventoryRepository implements InventoryRepositoryPort {
  constructor(private readonly session: PgSession) {}

  async findBySku(sku: Sku): Promise<ProductInventory | null> {
    const [row] = await this.session.query<StockLevelRecord>({
      text: `SELECT ${STOCK_COLUMNS} FROM stock_levels WHERE sku = $1`,
      values: [sku.value],
    });
    return row ? StockLevelMapper.toDomain(row) : null;
  }

  /*
   * One statement locks every row, in SKU order: the LockRows step runs above the sort, so two
   * transactions wanting overlapping SKUs queue on the first one they share instead of each holding
   * one the other needs. NO KEY UPDATE, not UPDATE: the key never changes, and foreign-key checks from
   * other transactions (reservation lines, movements of other SKUs) need not wait for us.
   */
  async lockForUpdate(skus: readonly Sku[]): Promise<Map<string, ProductInventory>> {
    const values = [...new Set(skus.map((s) => s.value))];
    if (values.length === 0) return new Map();
    const rows = await this.session.query<StockLevelRecord>({
      text: `SELECT ${STOCK_COLUMNS} FROM stock_levels WHERE sku = ANY($1::text[]) ORDER BY sku FOR NO KEY UPDATE`,
      values: [values],
    });
    return new Map(rows.map((row) => [row.sku, StockLevelMapper.toDomain(row)]));
  }

  async save(inventories: readonly ProductInventory[]): Promise<void> {
    const dirty = inventories.filter((i) => i.hasChanges);
    if (dirty.length === 0) return;
    const created = dirty.filter((i) => i.isNew).map(StockLevelMapper.toPersistence);
    const updated = dirty.filter((i) => !i.isNew).map(StockLevelMapper.toPersistence);
    const movements = dirty.flatMap((i) => i.pullMovements());
    const conflict = () =>
      new ConcurrencyError('Stock levels changed or were created concurrently', {
        skus: dirty.map((i) => i.sku.value),
      });

    this.session.defer({
      parts: (p) => {
        const parts: WritePart[] = [];
        if (created.length > 0) {
          const v = unnest(p, [
            [created.map((r) => r.sku), 'text'],
            [created.map((r) => r.onHand), 'int'],
            [created.map((r) => r.reserved), 'int'],
            [created.map((r) => r.safetyStock), 'int'],
            [created.map((r) => r.reorderQuantity), 'int'],
            [created.map((r) => iso(r.createdAt)), 'timestamptz'],
            [created.map((r) => iso(r.updatedAt)), 'timestamptz'],
          ]);
          parts.push({
            sql: `INSERT INTO stock_levels
                (sku, on_hand, reserved, safety_stock, reorder_quantity, version, created_at, updated_at)
              SELECT v.sku, v.on_hand, v.reserved, v.safety_stock, v.reorder_quantity, 0, v.created_at, v.updated_at
              FROM ${v} AS v(sku, on_hand, reserved, safety_stock, reorder_quantity, created_at, updated_at)
              ON CONFLICT (sku) DO NOTHING
              RETURNING 1`,
            expectRows: created.length,
            conflict,
          });
        }
        if (updated.length > 0) {
          const v = unnest(p, [
            [updated.map((r) => r.sku), 'text'],
            [updated.map((r) => r.onHand), 'int'],
            [updated.map((r) => r.reserved), 'int'],
            [updated.map((r) => r.safetyStock), 'int'],
            [updated.map((r) => r.reorderQuantity), 'int'],
            [updated.map((r) => r.version), 'int'],
            [updated.map((r) => iso(r.updatedAt)), 'timestamptz'],
          ]);
          parts.push({
            sql: `UPDATE stock_levels AS s
              SET on_hand = v.on_hand, reserved = v.reserved, safety_stock = v.safety_stock,
                  reorder_quantity = v.reorder_quantity, updated_at = v.updated_at, version = s.version + 1
              FROM ${v} AS v(sku, on_hand, reserved, safety_stock, reorder_quantity, version, updated_at)
              WHERE s.sku = v.sku AND s.version = v.version
              RETURNING 1`,
            expectRows: updated.length,
            conflict,
          });
        }
        if (movements.length > 0) {
          const m = unnest(p, [
            [movements.map((r) => r.sku), 'text'],
            [movements.map((r) => r.type), 'text'],
            [movements.map((r) => r.quantity), 'int'],
            [movements.map((r) => r.orderId), 'text'],
            [movements.map((r) => r.reason), 'text'],
            [movements.map((r) => r.reference), 'text'],
            [movements.map((r) => r.note), 'text'],
            [movements.map((r) => r.onHandAfter), 'int'],
            [movements.map((r) => r.reservedAfter), 'int'],
            [movements.map((r) => iso(r.occurredAt)), 'timestamptz'],
          ]);
          parts.push({
            sql: `INSERT INTO stock_movements
                (sku, type, quantity, order_id, reason, reference, note, on_hand_after, reserved_after, occurred_at)
              SELECT m.sku, m.type, m.quantity, m.order_id, m.reason, m.reference, m.note, m.on_hand_after,
                     m.reserved_after, m.occurred_at
              FROM ${m} WITH ORDINALITY
                AS m(sku, type, quantity, order_id, reason, reference, note, on_hand_after, reserved_after, occurred_at, ord)
              ORDER BY m.ord`,
          });
        }
        return parts;
      },
    });
  }
}

export class PgReservationRepository implements ReservationRepositoryPort {
  constructor(private readonly session: PgSession) {}

  async findByOrderId(orderId: OrderId): Promise<Reservation | null> {
    return ReservationMapper.fromJoinedRows(
      await this.session.query<JoinedReservationRecord>({ text: READ_RESERVATION, values: [orderId.value] }),
    );
  }

  /*
   * A row lock cannot cover a reservation that does not exist yet, and two first reserves of one order
   * would race to insert it; a transaction-scoped advisory lock on the order id serialises them. The
   * lock and the read stay two statements, so the read's snapshot is taken once the lock is granted
   * (after the previous holder committed); they share one round trip (with the transaction's BEGIN).
   */
  async lockByOrderId(orderId: OrderId): Promise<Reservation | null> {
    const [, rows] = await this.session.pipeline<[Record<string, unknown>, JoinedReservationRecord]>([
      {
        text: 'SELECT pg_advisory_xact_lock($1::int, hashtext($2::text))',
        values: [ORDER_LOCK_SPACE, orderId.value],
      },
      { text: READ_RESERVATION, values: [orderId.value] },
    ]);
    return ReservationMapper.fromJoinedRows(rows);
  }

  async lockExpiredOn(skus: readonly Sku[], now: Date): Promise<Reservation[]> {
    const values = [...new Set(skus.map((s) => s.value))];
    if (values.length === 0) return [];
    const rows = await this.session.query<JoinedReservationRecord>({
      text: LOCK_EXPIRED_RESERVATIONS,
      values: [values, iso(now), ORDER_LOCK_SPACE],
    });
    const byOrder = new Map<string, JoinedReservationRecord[]>();
    for (const row of rows) byOrder.set(row.orderId, [...(byOrder.get(row.orderId) ?? []), row]);
    return [...byOrder.values()].map((group) => ReservationMapper.fromJoinedRows(group)!);
  }

  /**
   * The reservation and its lines, optimistic on the loaded version. A stale save writes nothing, its
   * lines included: they are inserted only with the reservation's row (one statement at commit).
   */
  async save(reservation: Reservation): Promise<void> {
    if (!reservation.hasChanges) return;
    const { row, lines } = ReservationMapper.toPersistence(reservation);
    const isNew = reservation.isNew;
    const conflict = () =>
      new ConcurrencyError(`Reservation of order ${row.orderId} changed concurrently`, {
        orderId: row.orderId,
      });

    this.session.defer({
      parts: (p) => {
        const saved: WritePart = isNew
          ? {
              sql: `INSERT INTO reservations
                  (order_id, status, release_reason, expires_at, created_at, updated_at, version)
                VALUES (${p(row.orderId, 'text')}, ${p(row.status, 'text')}, ${p(row.releaseReason, 'text')},
                        ${p(iso(row.expiresAt), 'timestamptz')}, ${p(iso(row.createdAt), 'timestamptz')},
                        ${p(iso(row.updatedAt), 'timestamptz')}, 0)
                ON CONFLICT (order_id) DO NOTHING
                RETURNING 1`,
              expectRows: 1,
              conflict,
            }
          : {
              sql: `UPDATE reservations
                SET status = ${p(row.status, 'text')}, release_reason = ${p(row.releaseReason, 'text')},
                    expires_at = ${p(iso(row.expiresAt), 'timestamptz')},
                    updated_at = ${p(iso(row.updatedAt), 'timestamptz')}, version = version + 1
                WHERE order_id = ${p(row.orderId, 'text')} AND version = ${p(row.version, 'int')}
                RETURNING 1`,
              expectRows: 1,
              conflict,
            };
        if (lines.length === 0) return [saved];
        const l = unnest(p, [
          [lines.map((x) => x.orderId), 'text'],
          [lines.map((x) => x.sku), 'text'],
          [lines.map((x) => x.quantity), 'int'],
          [lines.map((x) => x.status), 'text'],
          [lines.map((x) => iso(x.expiresAt)), 'timestamptz'],
        ]);
        const onConflict = isNew
          ? 'ON CONFLICT (order_id, sku) DO NOTHING'
          : `ON CONFLICT (order_id, sku) DO UPDATE SET status = EXCLUDED.status, expires_at = EXCLUDED.expires_at
             WHERE (reservation_lines.status, reservation_lines.expires_at)
                   IS DISTINCT FROM (EXCLUDED.status, EXCLUDED.expires_at)`;
        return [
          saved,
          {
            sql: `INSERT INTO reservation_lines (order_id, sku, quantity, status, expires_at)
              SELECT * FROM ${l} ${onConflict}`,
          },
        ];
      },
    });
  }
}

/** Requests to the orders' workflows, inserted in the commit's statement (the table NOTIFYs the dispatcher). */
export class PgWorkflowRequests implements WorkflowRequestPort {
  private readonly pending: { request: WorkflowRequest; headers: string }[] = [];

  constructor(private readonly session: PgSession) {}

  async request(requests: readonly WorkflowRequest[]): Promise<void> {
    if (requests.length === 0) return;
    const first = this.pending.length === 0;
    const headers = JSON.stringify(traceHeaders());
    this.pending.push(...requests.map((request) => ({ request, headers })));
    if (!first) return;
    this.session.defer({
      parts: (p) => {
        const v = unnest(p, [
          [this.pending.map((r) => r.request.orderId.value), 'text'],
          [this.pending.map((r) => r.request.kind), 'text'],
          [this.pending.map((r) => r.request.reason ?? null), 'text'],
          [this.pending.map((r) => r.headers), 'text'],
        ]);
        return [
          {
            sql: `INSERT INTO workflow_requests (order_id, kind, reason, headers)
              SELECT v.order_id, v.kind, v.reason, v.headers::jsonb
              FROM ${v} WITH ORDINALITY AS v(order_id, kind, reason, headers, ord)
              ORDER BY v.ord`,
          },
        ];
      },
    });
  }
}

export class PgOrderDecisions implements OrderDecisionPort {
  constructor(private readonly session: PgSession) {}

  async hasPendingDecision(orderId: OrderId): Promise<boolean> {
    const rows = await this.session.query<{ pending: boolean }>({
      text: `SELECT NOT ${NO_PENDING_DECISION('$1')} AS pending`,
      values: [orderId.value],
    });
    return rows[0]?.pending === true;
  }

  async recordMatched(entry: { orderId: OrderId; decision: OrderDecision }): Promise<void> {
    this.session.defer({
      parts: (p) => [
        {
          sql: `INSERT INTO order_decisions (order_id, decision, matched)
            VALUES (${p(entry.orderId.value, 'text')}, ${p(entry.decision, 'text')}, true)
            ON CONFLICT DO NOTHING`,
        },
      ],
    });
  }

  async recordUnmatched(entry: {
    orderId: OrderId;
    decision: OrderDecision;
    reason?: string;
  }): Promise<void> {
    this.session.defer({
      parts: (p) => [
        {
          sql: `INSERT INTO order_decisions (order_id, decision, reason)
            VALUES (${p(entry.orderId.value, 'text')}, ${p(entry.decision, 'text')}, ${p(entry.reason ?? null, 'text')})
            ON CONFLICT DO NOTHING`,
        },
      ],
    });
  }
}

const MOVEMENT_COLUMNS = `id::text AS id, sku, type, quantity, order_id AS "orderId", reason, reference, note,
  on_hand_after AS "onHandAfter", reserved_after AS "reservedAfter", occurred_at AS "occurredAt"`;

export class PgMovementLedgerReader implements MovementLedgerReaderPort {
  constructor(private readonly session: PgSession) {}

  async listBySku(sku: Sku, page: MovementPageRequest): Promise<RecordedMovement[]> {
    const rows = await this.session.query<Omit<MovementRecord, 'id'> & { id: string }>({
      text: `SELECT ${MOVEMENT_COLUMNS}
             FROM stock_movements
             WHERE sku = $1 AND ($2::bigint IS NULL OR id < $2::bigint)
               AND ($4::text IS NULL OR type = $4::text) AND ($5::text IS NULL OR reason = $5::text)
             ORDER BY id DESC
             LIMIT $3`,
      values: [sku.value, page.beforeId ?? null, page.limit, page.type ?? null, page.reason ?? null],
    });
    return rows.map((row) => MovementMapper.toDomain({ ...row, id: BigInt(row.id) }));
  }

  /** Served by the partial unique index on (sku, reference) of REPLENISH movements. */
  async findReplenishment(sku: Sku, reference: string): Promise<RecordedMovement | null> {
    const [row] = await this.session.query<Omit<MovementRecord, 'id'> & { id: string }>({
      text: `SELECT ${MOVEMENT_COLUMNS} FROM stock_movements
             WHERE sku = $1 AND type = 'REPLENISH' AND reference = $2 AND reference IS NOT NULL`,
      values: [sku.value, reference],
    });
    return row ? MovementMapper.toDomain({ ...row, id: BigInt(row.id) }) : null;
  }
}

/**
 * Events are written in the commit's statement: published if and only if the change they describe
 * commits. Every record of the transaction goes into one INSERT (one NOTIFY), ids in recording order,
 * which the relay keeps per partition key. The payload is the full message body
 * { eventId, type, occurredAt, data }; the headers carry the trace context.
 */
export class PgOutbox implements OutboxPort {
  private readonly pending: { message: OutboxMessage; headers: string }[] = [];

  constructor(private readonly session: PgSession) {}

  async record(messages: readonly OutboxMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const first = this.pending.length === 0;
    const headers = JSON.stringify(traceHeaders());
    this.pending.push(...messages.map((message) => ({ message, headers })));
    if (first) this.session.defer({ parts: (p) => [this.insert(p)] });
  }

  private insert(p: Param): WritePart {
    const rows = this.pending.map((r) => r.message);
    const e = unnest(p, [
      [rows.map((m) => m.eventId), 'uuid'],
      [rows.map((m) => m.type), 'text'],
      [rows.map((m) => m.partitionKey), 'text'],
      [
        rows.map((m) =>
          JSON.stringify({ eventId: m.eventId, type: m.type, occurredAt: iso(m.occurredAt), data: m.data }),
        ),
        'text',
      ],
      [this.pending.map((r) => r.headers), 'text'],
      [rows.map((m) => iso(m.occurredAt)), 'timestamptz'],
    ]);
    return {
      sql: `INSERT INTO outbox_events (event_id, event_type, partition_key, payload, headers, occurred_at)
        SELECT e.event_id, e.event_type, e.partition_key, e.payload::jsonb, e.headers::jsonb, e.occurred_at
        FROM ${e} WITH ORDINALITY AS e(event_id, event_type, partition_key, payload, headers, occurred_at, ord)
        ORDER BY e.ord`,
    };
  }
}

const PURCHASE_ORDER_COLUMNS = `id, sku, status, quantity, available_at_request AS "availableAtRequest",
  safety_stock AS "safetyStock", reorder_quantity AS "reorderQuantity", requested_at AS "requestedAt",
  closed_at AS "closedAt", reminders_sent AS "remindersSent"`;

export class PgPurchaseOrderRequestRepository implements PurchaseOrderRequestRepositoryPort {
  constructor(private readonly session: PgSession) {}

  /** Served by the partial unique index on (sku) WHERE status = 'OPEN'. */
  async findOpenBySkus(skus: readonly Sku[]): Promise<Map<string, PurchaseOrderRequest>> {
    const values = [...new Set(skus.map((s) => s.value))];
    if (values.length === 0) return new Map();
    const rows = await this.session.query<PurchaseOrderRequestRecord>({
      text: `SELECT ${PURCHASE_ORDER_COLUMNS} FROM purchase_order_requests
             WHERE sku = ANY($1::text[]) AND status = 'OPEN'`,
      values: [values],
    });
    return new Map(rows.map((row) => [row.sku, PurchaseOrderRequestMapper.toDomain(row)]));
  }

  async findById(id: string): Promise<PurchaseOrderRequest | null> {
    const [row] = await this.session.query<PurchaseOrderRequestRecord>({
      text: `SELECT ${PURCHASE_ORDER_COLUMNS} FROM purchase_order_requests WHERE id = $1::uuid`,
      values: [id],
    });
    return row ? PurchaseOrderRequestMapper.toDomain(row) : null;
  }

  /**
   * New requests are inserted with ON CONFLICT DO NOTHING, so a second OPEN request of a SKU (the
   * partial unique index) shows as a missing row and becomes a ConcurrencyError at commit: the unit of
   * work then reruns the command, which finds the request that won. Changed requests are updated only
   * while still OPEN with the reminder count they were loaded with.
   */
  async save(requests: readonly PurchaseOrderRequest[]): Promise<void> {
    const dirty = requests.filter((r) => r.hasChanges);
    if (dirty.length === 0) return;
    const created = dirty.filter((r) => r.isNew).map(PurchaseOrderRequestMapper.toPersistence);
    const updated = dirty
      .filter((r) => !r.isNew)
      .map((r) => ({ ...PurchaseOrderRequestMapper.toPersistence(r), loaded: r.loadedRemindersSent }));
    const conflict = () =>
      new ConcurrencyError('Purchase-order requests changed or were opened concurrently', {
        skus: dirty.map((r) => r.sku.value),
      });

    this.session.defer({
      parts: (p) => {
        const parts: WritePart[] = [];
        if (created.length > 0) {
          const v = unnest(p, [
            [created.map((r) => r.id), 'uuid'],
            [created.map((r) => r.sku), 'text'],
            [created.map((r) => r.status), 'text'],
            [created.map((r) => r.quantity), 'int'],
            [created.map((r) => r.availableAtRequest), 'int'],
            [created.map((r) => r.safetyStock), 'int'],
            [created.map((r) => r.reorderQuantity), 'int'],
            [created.map((r) => iso(r.requestedAt)), 'timestamptz'],
            [created.map((r) => isoOrNull(r.closedAt)), 'timestamptz'],
            [created.map((r) => r.remindersSent), 'int'],
          ]);
          parts.push({
            sql: `INSERT INTO purchase_order_requests
                (id, sku, status, quantity, available_at_request, safety_stock, reorder_quantity, requested_at,
                 closed_at, reminders_sent)
              SELECT * FROM ${v}
              ON CONFLICT DO NOTHING
              RETURNING 1`,
            expectRows: created.length,
            conflict,
          });
        }
        if (updated.length > 0) {
          const v = unnest(p, [
            [updated.map((r) => r.id), 'uuid'],
            [updated.map((r) => r.status), 'text'],
            [updated.map((r) => isoOrNull(r.closedAt)), 'timestamptz'],
            [updated.map((r) => r.remindersSent), 'int'],
            [updated.map((r) => r.loaded), 'int'],
          ]);
          parts.push({
            sql: `UPDATE purchase_order_requests AS p
              SET status = v.status, closed_at = v.closed_at, reminders_sent = v.reminders_sent
              FROM ${v} AS v(id, status, closed_at, reminders_sent, loaded_reminders_sent)
              WHERE p.id = v.id AND p.status = 'OPEN' AND p.reminders_sent = v.loaded_reminders_sent
              RETURNING 1`,
            expectRows: updated.length,
            conflict,
          });
        }
        return parts;
      },
    });
  }

  /** Keyset pagination on (requested_at DESC, id DESC). */
  async list(page: PurchaseOrderRequestPageRequest): Promise<PurchaseOrderRequest[]> {
    const rows = await this.session.query<PurchaseOrderRequestRecord>({
      text: `SELECT ${PURCHASE_ORDER_COLUMNS} FROM purchase_order_requests
             WHERE ($1::text IS NULL OR status = $1::text)
               AND ($2::timestamptz IS NULL OR (requested_at, id) < ($2::timestamptz, $3::uuid))
             ORDER BY requested_at DESC, id DESC
             LIMIT $4`,
      values: [
        page.status,
        page.after ? iso(page.after.requestedAt) : null,
        page.after?.id ?? null,
        page.limit,
      ],
    });
    return rows.map(PurchaseOrderRequestMapper.toDomain);
  }
}
