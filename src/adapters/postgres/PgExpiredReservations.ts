import type { Pool } from 'pg';
import type { ExpiredReservationsPort } from '../../application/ports';
import { NO_PENDING_DECISION } from './reservationSql';

/** Served by the index on reservations (status, expires_at). */
const SQL = `
  SELECT r.order_id FROM reservations r
  WHERE r.status = 'RESERVED' AND r.expires_at <= $1::timestamptz AND ${NO_PENDING_DECISION('r.order_id')}
  ORDER BY r.expires_at
  LIMIT $2`;

export class PgExpiredReservations implements ExpiredReservationsPort {
  constructor(private readonly pool: Pick<Pool, 'query'>) {}

  async listExpired(before: Date, limit: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ order_id: string }>(SQL, [before.toISOString(), limit]);
    return rows.map((r) => r.order_id);
  }
}
