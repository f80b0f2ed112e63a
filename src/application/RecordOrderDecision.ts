import { OrderId } from '../domain/OrderId';
import { Reservation } from '../domain/Reservation';
import { boundedNote } from '../domain/StockMovement';
import type { TransactionalRepositories } from '../domain/ports/UnitOfWorkPort';
import type { CommandDependencies } from './dependencies';
import type { OrderSignalPort, SignalDelivery } from './ports';
import { releaseExpiredReservation } from './settleLines';

/**
 * order-service's decisions (from the RabbitMQ bridge) made durable in Postgres, in one transaction
 * under the order's lock, whatever state Temporal is in:
 *
 * - the order has an open reservation → a workflow request (`confirm` / `cancel`) that the dispatcher
 *   delivers to `reservation-<orderId>` (started if need be): 'signalled';
 * - it has none yet → the decision is kept in order_decisions for operators, and a cancel also closes
 *   the order in advance (a RELEASED reservation without lines), so that a reserve still in flight
 *   answers 410 and holds nothing: 'no-workflow';
 * - it is open but past its expiry, with no decision recorded before → released as expired (the
 *   expiry came first) and the decision kept for operators: 'no-workflow';
 * - it is already confirmed or released → nothing to do: 'no-workflow'.
 */
export class RecordOrderDecision implements OrderSignalPort {
  constructor(private readonly deps: CommandDependencies) {}

  confirm(orderId: string): Promise<SignalDelivery> {
    return this.record(orderId, 'confirm');
  }

  /** The reason is kept as a release's note is (boundedNote): text Postgres takes, within the note limit. */
  cancel(orderId: string, reason?: string): Promise<SignalDelivery> {
    return this.record(orderId, 'cancel', boundedNote(reason));
  }

  private record(raw: string, kind: 'confirm' | 'cancel', reason?: string): Promise<SignalDelivery> {
    const orderId = OrderId.of(raw);
    const decision = kind === 'cancel' ? 'CANCELLED' : 'CONFIRMED';
    const keepForOperators = (tx: TransactionalRepositories) =>
      tx.orderDecisions.recordUnmatched({ orderId, decision, ...(reason ? { reason } : {}) });
    return this.deps.unitOfWork.run(async (tx) => {
      const reservation = await tx.reservations.lockByOrderId(orderId);
      if (!reservation) {
        await keepForOperators(tx);
        if (kind === 'cancel') {
          const now = this.deps.clock.now();
          await tx.reservations.save(Reservation.closedBeforeReserve({ orderId, reason: 'cancelled', now }));
        }
        return 'no-workflow';
      }
      if (!reservation.isOpen) return 'no-workflow';
      const now = this.deps.clock.now();
      if (reservation.isExpiredAt(now) && !(await tx.orderDecisions.hasPendingDecision(orderId))) {
        // Recorded after the expiry, so the expiry came first: a reserve may already have given some of
        // its lines to other orders. The rest is released as expired here, all of it, and the decision
        // is kept for operators; a confirm must not commit what is left (a half-confirmed order).
        await releaseExpiredReservation(tx, reservation, { ids: this.deps.ids, now });
        await keepForOperators(tx);
        return 'no-workflow';
      }
      await tx.orderDecisions.recordMatched({ orderId, decision });
      await tx.workflowRequests.request([{ orderId, kind, ...(reason ? { reason } : {}) }]);
      return 'signalled';
    });
  }
}
