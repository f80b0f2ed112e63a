import type { ReleaseOutcome, ReserveOutcome, ReservationView } from '../../application/contracts';
import { ProblemError } from './problems';

export const reservationLocation = (orderId: string) => `/reservations/${encodeURIComponent(orderId)}`;

/**
 * Maps the orchestrator's reserve outcome to a response: the reservation with 201/200, or the
 * matching problem. `sku` is set for the per-SKU route, whose 409 carries that line's `available`.
 */
export function reservationFromReserve(
  outcome: ReserveOutcome,
  sku?: string,
): { status: 200 | 201; reservation: ReservationView } {
  switch (outcome.kind) {
    case 'reserved':
      return { status: outcome.created ? 201 : 200, reservation: outcome.reservation };
    case 'insufficient-stock': {
      const detail = outcome.lines
        .map((l) => `${l.sku}: requested ${l.requested}, available ${l.available}`)
        .join('; ');
      const line = sku ? (outcome.lines.find((l) => l.sku === sku) ?? outcome.lines[0]) : undefined;
      const single = line ? { sku: line.sku, requested: line.requested, available: line.available } : {};
      throw new ProblemError('insufficient-stock', `Not enough stock: ${detail}`, {
        ...single,
        lines: outcome.lines,
      });
    }
    case 'unknown-sku':
      throw new ProblemError('sku-not-found', `Unknown SKU(s): ${outcome.skus.join(', ')}`, {
        skus: outcome.skus,
      });
    case 'quantity-conflict':
      throw new ProblemError(
        'quantity-conflict',
        `This order already reserved a different quantity: ${outcome.lines
          .map((l) => `${l.sku} has ${l.reserved}, requested ${l.requested}`)
          .join('; ')}`,
        { lines: outcome.lines },
      );
    case 'reservation-closed':
      throw new ProblemError(
        'reservation-closed',
        `The reservation of order ${outcome.reservation.orderId} is ${outcome.reservation.status}`,
        { reservation: outcome.reservation },
      );
  }
}

export function reservationFromRelease(
  outcome: ReleaseOutcome,
  orderId: string,
  sku: string,
): ReservationView {
  switch (outcome.kind) {
    case 'released':
      return outcome.reservation;
    case 'not-found':
      throw new ProblemError('reservation-not-found', `No reservation for order ${orderId}`);
    case 'line-not-found':
      throw new ProblemError(
        'reservation-line-not-found',
        `The reservation of order ${orderId} has no line for ${sku}`,
      );
  }
}
