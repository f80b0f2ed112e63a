import type { Pool } from 'pg';
import type { HealthCheck } from '../../application/ports';

type Queryable = Pick<Pool, 'query'>;

/** /health/ready's `postgres`: a round trip on the process's pool. */
export function postgresHealth(pool: Queryable): HealthCheck {
  return async () => {
    await pool.query('SELECT 1');
    return { ok: true };
  };
}

async function first<T>(pool: Queryable, sql: string): Promise<T | undefined> {
  const { rows } = await pool.query<T & Record<string, unknown>>(sql);
  return rows[0];
}

/** Scrape-time state of the tables (ServiceMetrics.registerStateProbes). */
export function postgresStateProbes(pool: Queryable) {
  return {
    skusBelowSafetyStock: async () =>
      (
        await first<{ n: number }>(
          pool,
          'SELECT count(*)::int AS n FROM stock_levels WHERE on_hand - reserved < safety_stock',
        )
      )?.n ?? 0,
    workflowRequests: async () => {
      const row = await first<{ pending: number; age: number }>(
        pool,
        `SELECT count(*)::int AS pending,
                COALESCE(EXTRACT(EPOCH FROM now() - min(requested_at)), 0)::float8 AS age
           FROM workflow_requests`,
      );
      return { pending: row?.pending ?? 0, oldestAgeSeconds: row?.age ?? 0 };
    },
    unmatchedOrderDecisions: async () =>
      (await first<{ n: number }>(pool, 'SELECT count(*)::int AS n FROM order_decisions WHERE NOT matched'))
        ?.n ?? 0,
    reservationsPastExpiry: async () =>
      (
        await first<{ n: number }>(
          pool,
          `SELECT count(*)::int AS n FROM reservations
            WHERE status = 'RESERVED' AND expires_at < now() - interval '1 minute'`,
        )
      )?.n ?? 0,
  };
}

/** The outbox's backlog: events committed and not yet published (the relay's lag). */
export function outboxBacklogProbe(pool: Queryable) {
  return async () => {
    const row = await first<{ pending: number; oldest: number }>(
      pool,
      `SELECT count(*)::int AS pending,
              COALESCE(EXTRACT(EPOCH FROM now() - min(occurred_at)), 0)::float8 AS oldest
         FROM outbox_events WHERE published_at IS NULL`,
    );
    return { pending: row?.pending ?? 0, oldestAgeSeconds: row?.oldest ?? 0 };
  };
}
