import { Sku } from '../domain/Sku';
import type {
  ReleaseCommand,
  ReleaseOutcome,
  ReservationView,
  ReserveCommand,
  ReserveOutcome,
} from './contracts';

/** A SKU as the reservation stores it (Sku's normalisation); the commands read back were validated. */
const storedSku = (raw: string): string => Sku.of(raw).value;

/**
 * How long past its deadline a caller may still wait for a reserve that started before it: the time
 * the service takes to learn the outcome of one whose answer was lost (read back, or the workflow's
 * update answering late). Every reserve answers by its deadline plus this; in workflow mode, whose
 * update may use all of it, the read-back that follows gets this once more.
 */
export const OUTCOME_GRACE_MS = 1_000;

/**
 * The longest an api call runs past its deadline: a workflow-mode reserve's late update and its
 * read-back (twice OUTCOME_GRACE_MS), then storing a keyed answer (one OUTCOME_GRACE_MS more at most).
 */
export const PAST_DEADLINE_MS = 3 * OUTCOME_GRACE_MS;

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
      (l) => l.sku === storedSku(wanted.sku) && l.quantity === wanted.quantity && l.status === 'RESERVED',
    ),
  );
  return all ? { kind: 'reserved', created: false, reservation } : undefined;
}

/**
 * A release's outcome read back from the stored reservation, for when its answer was lost: the line
 * asked for (every line, without a SKU) is no longer reserved, so the release use case would answer
 * "released" with no change. Undefined: something is still held, or there is no reservation to show.
 */
export function releasedOutcome(
  command: Pick<ReleaseCommand, 'sku'>,
  reservation: ReservationView | null,
): ReleaseOutcome | undefined {
  if (!reservation) return undefined;
  const closed = { kind: 'released', changed: false, reservation } as const;
  if (reservation.status !== 'RESERVED') return closed;
  if (command.sku === undefined) return undefined;
  const line = reservation.lines.find((l) => l.sku === storedSku(command.sku!));
  return line && line.status !== 'RESERVED' ? closed : undefined;
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
