import { ConcurrencyError } from '../../domain/errors';
import type { OrderId } from '../../domain/OrderId';
import type { ReservationRepositoryPort } from '../../domain/ports/ReservationRepositoryPort';
import type { Reservation } from '../../domain/Reservation';
import type { Db } from './db';
import {
  ReservationMapper,
  type JoinedReservationRecord,
  type ReservationLineRecord,
} from './mappers/ReservationMapper';

/** Key space of the per-order advisory locks (the two-int form never collides with Prisma Migrate's). */
export const ORDER_LOCK_SPACE = 0x494e5652; // 'INVR'

export class PrismaReservationRepository implements ReservationRepositoryPort {
  constructor(private readonly db: Db) {}

  findByOrderId(orderId: OrderId): Promise<Reservation | null> {
    return this.read(orderId);
  }

  /*
   * A row lock cannot cover a reservation that does not exist yet, and two first reserves of one order
   * would race to insert it; a transaction-scoped advisory lock on the order id serialises them. Its own
   * statement, so the read below takes a snapshot after the previous holder committed.
   */
  async lockByOrderId(orderId: OrderId): Promise<Reservation | null> {
    await this.db
      .$executeRaw`SELECT pg_advisory_xact_lock(${ORDER_LOCK_SPACE}::int, hashtext(${orderId.value}))`;
    return this.read(orderId);
  }

  /** The reservation and its lines in one round trip, optimistic on the loaded version. */
  async save(reservation: Reservation): Promise<void> {
    if (!reservation.hasChanges) return;
    const { row, lines } = ReservationMapper.toPersistence(reservation);
    const col = <V>(pick: (l: ReservationLineRecord) => V): V[] => lines.map(pick);

    const [result] = reservation.isNew
      ? await this.db.$queryRaw<{ saved: number }[]>`
          WITH saved AS (
            INSERT INTO reservations (order_id, status, release_reason, expires_at, created_at, updated_at, version)
            VALUES (${row.orderId}, ${row.status}, ${row.releaseReason}, ${row.expiresAt.toISOString()}::timestamptz,
                    ${row.createdAt.toISOString()}::timestamptz, ${row.updatedAt.toISOString()}::timestamptz, 0)
            ON CONFLICT (order_id) DO NOTHING
            RETURNING 1
          ), lines AS (
            INSERT INTO reservation_lines (order_id, sku, quantity, status)
            SELECT * FROM unnest(${col((l) => l.orderId)}::text[], ${col((l) => l.sku)}::text[],
                                 ${col((l) => l.quantity)}::int[], ${col((l) => l.status)}::text[])
            ON CONFLICT (order_id, sku) DO NOTHING
          )
          SELECT (SELECT count(*) FROM saved)::int AS saved`
      : await this.db.$queryRaw<{ saved: number }[]>`
          WITH saved AS (
            UPDATE reservations
            SET status = ${row.status}, release_reason = ${row.releaseReason},
                updated_at = ${row.updatedAt.toISOString()}::timestamptz, version = version + 1
            WHERE order_id = ${row.orderId} AND version = ${row.version}
            RETURNING 1
          ), lines AS (
            INSERT INTO reservation_lines (order_id, sku, quantity, status)
            SELECT * FROM unnest(${col((l) => l.orderId)}::text[], ${col((l) => l.sku)}::text[],
                                 ${col((l) => l.quantity)}::int[], ${col((l) => l.status)}::text[])
            ON CONFLICT (order_id, sku) DO UPDATE SET status = EXCLUDED.status
            WHERE reservation_lines.status IS DISTINCT FROM EXCLUDED.status
          )
          SELECT (SELECT count(*) FROM saved)::int AS saved`;

    if (result.saved !== 1) {
      throw new ConcurrencyError(`Reservation of order ${row.orderId} changed concurrently`, {
        orderId: row.orderId,
      });
    }
  }

  private async read(orderId: OrderId): Promise<Reservation | null> {
    const rows = await this.db.$queryRaw<JoinedReservationRecord[]>`
      SELECT r.order_id AS "orderId", r.status, r.release_reason AS "releaseReason", r.expires_at AS "expiresAt",
             r.created_at AS "createdAt", r.updated_at AS "updatedAt", r.version,
             l.sku, l.quantity, l.status AS "lineStatus"
      FROM reservations r
      LEFT JOIN reservation_lines l ON l.order_id = r.order_id
      WHERE r.order_id = ${orderId.value}
      ORDER BY l.sku`;
    return ReservationMapper.fromJoinedRows(rows);
  }
}
