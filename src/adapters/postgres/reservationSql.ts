/** Statements and lock keys of reservations: the repository's, the stock-level reads' and the sweep's. */

/** Key space of the per-order advisory locks (the two-int form never collides with Prisma Migrate's). */
export const ORDER_LOCK_SPACE = 0x494e5652; // 'INVR'

const RESERVATION_COLUMNS = `r.order_id AS "orderId", r.status, r.release_reason AS "releaseReason",
  r.expires_at AS "expiresAt", r.created_at AS "createdAt", r.updated_at AS "updatedAt", r.version,
  l.sku, l.quantity, l.status AS "lineStatus"`;

export const READ_RESERVATION = `
  SELECT ${RESERVATION_COLUMNS}
  FROM reservations r
  LEFT JOIN reservation_lines l ON l.order_id = r.order_id
  WHERE r.order_id = $1
  ORDER BY l.sku`;

/**
 * A decision (confirm, cancel) recorded for the order and not yet applied by its workflow was taken
 * before the reservation could be released as expired (a decision recorded after expiry finds it
 * expired): it wins, so expiry leaves such orders alone.
 */
export const NO_PENDING_DECISION = (orderId: string) => `NOT EXISTS (
    SELECT 1 FROM order_decisions d WHERE d.order_id = ${orderId} AND d.matched)`;

/*
 * The orders with expired open lines on the SKUs (the partial index on open lines by (sku, expires_at)),
 * each taken with a try-lock of the order's advisory lock: an order whose lock is held is being settled
 * by its own command (its workflow's release, say), which will release those lines itself. The read
 * shares the statement's snapshot with the lock; a change committed in between fails the optimistic
 * version check of the save, and the unit of work runs the whole command again.
 */
export const LOCK_EXPIRED_RESERVATIONS = `
  WITH expired AS (
    SELECT DISTINCT order_id FROM reservation_lines l
    WHERE sku = ANY($1::text[]) AND status = 'RESERVED' AND expires_at <= $2::timestamptz
      AND ${NO_PENDING_DECISION('l.order_id')}
  ), locked AS (
    SELECT order_id FROM expired WHERE pg_try_advisory_xact_lock($3::int, hashtext(order_id))
  )
  SELECT ${RESERVATION_COLUMNS}
  FROM reservations r
  LEFT JOIN reservation_lines l ON l.order_id = r.order_id
  WHERE r.order_id IN (SELECT order_id FROM locked) AND r.status = 'RESERVED'
  ORDER BY r.order_id, l.sku`;
