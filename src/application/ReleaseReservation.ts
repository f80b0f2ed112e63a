import { OrderId } from '../domain/OrderId';
import { parseReleaseReason } from '../domain/ReleaseReason';
import { Reservation } from '../domain/Reservation';
import type { TransactionalRepositories, UnitOfWorkOptions } from '../domain/ports/UnitOfWorkPort';
import { Sku } from '../domain/Sku';
import { boundedNote } from '../domain/StockMovement';
import type { ReleaseCommand, ReleaseOutcome } from './contracts';
import type { CommandDependencies } from './dependencies';
import { refusePastDeadline } from './input';
import { settleLines } from './settleLines';
import { toReservationView } from './views';

/**
 * `deadline` (the caller's): past it the release is refused (DEADLINE_EXCEEDED, HTTP 503) and nothing is
 * released; it bounds the transaction too. The HTTP façade's release (db mode), and the workflow's
 * release update (workflow mode), whose activity may run after the caller was answered.
 */
export interface ReleaseOptions extends UnitOfWorkOptions {
  /**
   * RESERVE_MODE=db, the HTTP façade's release: the order's workflow is told (through a workflow
   * request in the same transaction) once the release closed the reservation, and a release for an
   * order that has no reservation yet closes it in advance (a RELEASED reservation without lines), so a
   * reserve still in flight for it answers 410 and holds nothing.
   */
  fromCaller?: boolean;
  /**
   * The expiry paths (the workflow's TTL timer, the sweep): a release with reason `expired` is judged on
   * the database's state, and is a no-op while the reservation is not due: extended, or with a decision
   * (confirm, cancel) recorded before the expiry still waiting for delivery to the workflow.
   */
  onlyIfDue?: boolean;
}

/**
 * Gives an order's reserved units back to stock: one SKU's line, or all of them. Idempotent: releasing
 * what is no longer reserved (repeat, confirmed, released) changes nothing.
 */
export class ReleaseReservation {
  constructor(private readonly deps: CommandDependencies) {}

  async execute(command: ReleaseCommand, options: ReleaseOptions = {}): Promise<ReleaseOutcome> {
    const orderId = OrderId.of(command.orderId);
    const sku = command.sku === undefined ? undefined : Sku.of(command.sku);
    const reason = parseReleaseReason(command.reason);
    const note = boundedNote(command.note);
    const { deps } = this;
    const refusePast = () => refusePastDeadline(options.deadline, deps.clock.now(), 'release', 'released');
    refusePast();

    return deps.unitOfWork.run(
      async (tx) => {
        const outcome = await release(tx);
        // Checked last, inside the transaction: a release that missed its caller's deadline rolls back.
        refusePast();
        return outcome;
      },
      options.deadline ? { deadline: options.deadline } : undefined,
    );

    /** The release itself, in the transaction. */
    async function release(tx: TransactionalRepositories): Promise<ReleaseOutcome> {
      const reservation = await tx.reservations.lockByOrderId(orderId);
      if (!reservation) {
        if (options.fromCaller) {
          const now = deps.clock.now();
          await tx.reservations.save(Reservation.closedBeforeReserve({ orderId, reason, now }));
        }
        return { kind: 'not-found' };
      }
      const line = sku ? reservation.line(sku) : undefined;
      if (sku && !line) return { kind: 'line-not-found' };
      if (!reservation.isOpen || (line && line.status !== 'RESERVED')) {
        return { kind: 'released', changed: false, reservation: toReservationView(reservation) };
      }

      const now = deps.clock.now();
      if (
        options.onlyIfDue &&
        reason === 'expired' &&
        (!reservation.isExpiredAt(now) || (await tx.orderDecisions.hasPendingDecision(orderId)))
      ) {
        return { kind: 'released', changed: false, reservation: toReservationView(reservation) };
      }
      const released = reservation.release(reason, now, sku);
      const context = { ids: deps.ids, now, change: 'RELEASE' as const };
      await settleLines(tx, released, context, (inventory, l) =>
        inventory.release(orderId, l.quantity, reason, now, note),
      );
      await tx.reservations.save(reservation);
      if (options.fromCaller && !reservation.isOpen) {
        await tx.workflowRequests.request([{ orderId, kind: 'release' }]);
      }
      return { kind: 'released', changed: true, reservation: toReservationView(reservation) };
    }
  }
}
