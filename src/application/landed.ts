import type { ReservationView, ReserveCommand, ReserveOutcome } from './contracts';

/**
 * The reserve's outcome read back from the stored reservation, for when its own answer was lost (the
 * connection dropped after COMMIT was sent, or Temporal's answer did not arrive): every line of the
 * command reserved as asked means it committed. Undefined: it did not (or something else holds them).
 */
export function landedOutcome(
  command: ReserveCommand,
  reservation: ReservationView | null,
): ReserveOutcome | undefined {
  if (!reservation || reservation.status !== 'RESERVED') return undefined;
  const all = command.lines.every((wanted) =>
    reservation.lines.some(
      (l) => l.sku === wanted.sku.toUpperCase() && l.quantity === wanted.quantity && l.status === 'RESERVED',
    ),
  );
  return all ? { kind: 'reserved', created: false, reservation } : undefined;
}

/**
 * Marks an error whose transaction may or may not have committed (the connection was lost after COMMIT
 * was sent). Adapters set it; the application decides by reading the state back.
 */
export function isOutcomeUnknown(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { outcomeUnknown?: unknown }).outcomeUnknown === true
  );
}
