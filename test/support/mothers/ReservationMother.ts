import { OrderId } from '../../../src/domain/OrderId';
import { Quantity } from '../../../src/domain/Quantity';
import type { ReleaseReason } from '../../../src/domain/ReleaseReason';
import { Reservation, type LineStatus, type ReservationStatus } from '../../../src/domain/Reservation';
import { Sku } from '../../../src/domain/Sku';
import { uniqueOrderId } from '../naming';

const T0 = new Date('2030-01-01T09:00:00.000Z');

export interface LineSpec {
  sku: string;
  quantity: number;
  status?: LineStatus;
}

export const ReservationMother = {
  restored(
    params: {
      orderId?: string;
      status?: ReservationStatus;
      releaseReason?: ReleaseReason | null;
      lines?: LineSpec[];
      expiresAt?: Date;
      version?: number;
    } = {},
  ): Reservation {
    const status = params.status ?? 'RESERVED';
    const lineStatus: LineStatus = status === 'RESERVED' ? 'RESERVED' : status;
    const lines = params.lines ?? [{ sku: 'SKU-A', quantity: 1 }];
    return Reservation.restore({
      orderId: OrderId.of(params.orderId ?? uniqueOrderId()),
      status,
      releaseReason:
        params.releaseReason !== undefined
          ? params.releaseReason
          : status === 'RELEASED'
            ? 'cancelled'
            : null,
      lines: lines.map((l) => ({
        sku: Sku.of(l.sku),
        quantity: Quantity.of(l.quantity),
        status: l.status ?? lineStatus,
      })),
      expiresAt: params.expiresAt ?? new Date(T0.getTime() + 900_000),
      createdAt: T0,
      updatedAt: T0,
      version: params.version ?? 1,
    });
  },

  open(lines: LineSpec[], orderId?: string): Reservation {
    return ReservationMother.restored({ orderId, lines });
  },

  confirmed(lines: LineSpec[] = [{ sku: 'SKU-A', quantity: 1 }]): Reservation {
    return ReservationMother.restored({ status: 'CONFIRMED', lines });
  },

  released(
    reason: ReleaseReason = 'cancelled',
    lines: LineSpec[] = [{ sku: 'SKU-A', quantity: 1 }],
  ): Reservation {
    return ReservationMother.restored({ status: 'RELEASED', releaseReason: reason, lines });
  },
};
