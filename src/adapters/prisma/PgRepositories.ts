import { ConcurrencyError } from '../../domain/errors';
import type { OrderId } from '../../domain/OrderId';
import type { InventoryRepositoryPort } from '../../domain/ports/InventoryRepositoryPort';
import type {
  MovementLedgerReaderPort,
  MovementPageRequest,
} from '../../domain/ports/MovementLedgerReaderPort';
import type { OutboxMessage, OutboxPort } from '../../domain/ports/OutboxPort';
import type {
  PurchaseOrderRequestPageRequest,
  PurchaseOrderRequestRepositoryPort,
} from '../../domain/ports/PurchaseOrderRequestRepositoryPort';
import type { ReservationRepositoryPort } from '../../domain/ports/ReservationRepositoryPort';
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
import { traceHeaders } from './PrismaOutbox';
import { ORDER_LOCK_SPACE } from './PrismaReservationRepository';

/*
 * The command side's repositories on one PgSession (PgUnitOfWork): the same statements, locks and
 * optimistic checks as the Prisma adapters, and the same mappers. Reads run at once; saves and outbox
 * records capture their rows when called and are written at commit, together, in one statement.
 */

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

  /** One statement locks every row, in SKU order (see PrismaInventoryRepository.lockForUpdate). */
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
    const movements = dirty.flatMap((i) => i.pullMovements()).map(MovementMapper.toPersistence);
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
            [movements.map((r) => r.onHandAfter), 'int'],
            [movements.map((r) => r.reservedAfter), 'int'],
            [movements.map((r) => iso(r.occurredAt)), 'timestamptz'],
          ]);
          parts.push({
            sql: `INSERT INTO stock_movements
                (sku, type, quantity, order_id, reason, reference, on_hand_after, reserved_after, occurred_at)
              SELECT m.sku, m.type, m.quantity, m.order_id, m.reason, m.reference, m.on_hand_after,
                     m.reserved_after, m.occurred_at
              FROM ${m} WITH ORDINALITY
                AS m(sku, type, quantity, order_id, reason, reference, on_hand_after, reserved_after, occurred_at, ord)
              ORDER BY m.ord`,
          });
        }
        return parts;
      },
    });
  }
}

const READ_RESERVATION = `
  SELECT r.order_id AS "orderId", r.status, r.release_reason AS "releaseReason", r.expires_at AS "expiresAt",
         r.created_at AS "createdAt", r.updated_at AS "updatedAt", r.version,
         l.sku, l.quantity, l.status AS "lineStatus"
  FROM reservations r
  LEFT JOIN reservation_lines l ON l.order_id = r.order_id
  WHERE r.order_id = $1
  ORDER BY l.sku`;

export class PgReservationRepository implements ReservationRepositoryPort {
  constructor(private readonly session: PgSession) {}

  async findByOrderId(orderId: OrderId): Promise<Reservation | null> {
    return ReservationMapper.fromJoinedRows(
      await this.session.query<JoinedReservationRecord>({ text: READ_RESERVATION, values: [orderId.value] }),
    );
  }

  /*
   * The order's advisory lock (see PrismaReservationRepository.lockByOrderId) and the read stay two
   * statements, so the read's snapshot is taken once the lock is granted; they share one round trip
   * (with the transaction's BEGIN).
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

  /** The reservation and its lines, optimistic on the loaded version (as PrismaReservationRepository). */
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
                    updated_at = ${p(iso(row.updatedAt), 'timestamptz')}, version = version + 1
                WHERE order_id = ${p(row.orderId, 'text')} AND version = ${p(row.version, 'int')}
                RETURNING 1`,
              expectRows: 1,
              conflict,
            };
        const l = unnest(p, [
          [lines.map((x) => x.orderId), 'text'],
          [lines.map((x) => x.sku), 'text'],
          [lines.map((x) => x.quantity), 'int'],
          [lines.map((x) => x.status), 'text'],
        ]);
        const onConflict = isNew
          ? 'ON CONFLICT (order_id, sku) DO NOTHING'
          : `ON CONFLICT (order_id, sku) DO UPDATE SET status = EXCLUDED.status
             WHERE reservation_lines.status IS DISTINCT FROM EXCLUDED.status`;
        return [
          saved,
          {
            sql: `INSERT INTO reservation_lines (order_id, sku, quantity, status) SELECT * FROM ${l} ${onConflict}`,
          },
        ];
      },
    });
  }
}

export class PgMovementLedgerReader implements MovementLedgerReaderPort {
  constructor(private readonly session: PgSession) {}

  async listBySku(sku: Sku, page: MovementPageRequest): Promise<RecordedMovement[]> {
    const rows = await this.session.query<Omit<MovementRecord, 'id'> & { id: string }>({
      text: `SELECT id::text AS id, sku, type, quantity, order_id AS "orderId", reason, reference,
               on_hand_after AS "onHandAfter", reserved_after AS "reservedAfter", occurred_at AS "occurredAt"
             FROM stock_movements
             WHERE sku = $1 AND ($2::bigint IS NULL OR id < $2::bigint)
             ORDER BY id DESC
             LIMIT $3`,
      values: [sku.value, page.beforeId ?? null, page.limit],
    });
    return rows.map((row) => MovementMapper.toDomain({ ...row, id: BigInt(row.id) }));
  }
}

/**
 * Events are written in the commit's statement: published if and only if the change they describe
 * commits. Every record of the transaction goes into one INSERT (one NOTIFY), ids in recording order,
 * which the relay keeps per partition key. Payload and headers as PrismaOutbox writes them.
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
   * The rules of PrismaPurchaseOrderRequestRepository.save: new requests ON CONFLICT DO NOTHING (a
   * second OPEN request of a SKU shows as a missing row), changed ones only while still OPEN with the
   * reminder count they were loaded with; a short row count is a ConcurrencyError at commit.
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
