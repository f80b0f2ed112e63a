import { OrderId } from '../../../domain/OrderId';
import { Quantity } from '../../../domain/Quantity';
import { parseReleaseReason } from '../../../domain/ReleaseReason';
import { RESERVATION_STATUSES, Reservation, type ReservationStatus } from '../../../domain/Reservation';
import { Sku } from '../../../domain/Sku';
import type {
  Reservation as ReservationRow,
  ReservationLine as ReservationLineRow,
} from '../generated/client';

/** Tables reservations + reservation_lines; `version` is the loaded version. */
export type ReservationRecord = ReservationRow;
export type ReservationLineRecord = ReservationLineRow;

function status(raw: string): ReservationStatus {
  if (!(RESERVATION_STATUSES as readonly string[]).includes(raw)) {
    throw new Error(`Unknown reservation status in the database: ${raw}`);
  }
  return raw as ReservationStatus;
}

/** One row per line of `reservations LEFT JOIN reservation_lines` (line columns null without lines). */
export type JoinedReservationRecord = ReservationRecord & {
  sku: string | null;
  quantity: number | null;
  lineStatus: string | null;
};

export const ReservationMapper = {
  /** The reservation the joined rows of one order describe, or null when there are none. */
  fromJoinedRows(rows: readonly JoinedReservationRecord[]): Reservation | null {
    const [first] = rows;
    if (!first) return null;
    const { sku: _s, quantity: _q, lineStatus: _l, ...row } = first;
    const lines = rows
      .filter((r) => r.sku !== null)
      .map((r) => ({
        orderId: r.orderId,
        sku: r.sku!,
        quantity: r.quantity!,
        status: r.lineStatus!,
        expiresAt: r.expiresAt,
      }));
    return ReservationMapper.toDomain(row, lines);
  },

  toDomain(row: ReservationRecord, lines: readonly ReservationLineRecord[]): Reservation {
    return Reservation.restore({
      orderId: OrderId.of(row.orderId),
      status: status(row.status),
      releaseReason: row.releaseReason === null ? null : parseReleaseReason(row.releaseReason),
      lines: lines.map((l) => ({
        sku: Sku.of(l.sku),
        quantity: Quantity.of(l.quantity),
        status: status(l.status),
      })),
      expiresAt: row.expiresAt,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
      version: row.version,
    });
  },

  toPersistence(reservation: Reservation): { row: ReservationRecord; lines: ReservationLineRecord[] } {
    const orderId = reservation.orderId.value;
    return {
      row: {
        orderId,
        status: reservation.status,
        releaseReason: reservation.releaseReason,
        expiresAt: reservation.expiresAt,
        createdAt: reservation.createdAt,
        updatedAt: reservation.updatedAt,
        version: reservation.version,
      },
      lines: reservation.lines.map((l) => ({
        orderId,
        sku: l.sku.value,
        quantity: l.quantity.value,
        status: l.status,
        expiresAt: reservation.expiresAt,
      })),
    };
  },
};
