import type { Client } from '@temporalio/client';
import type { OrderSignalPort, SignalDelivery } from '../../src/application/ports';
import { cancelSignal, confirmSignal, reservationWorkflowId } from '../../workflows/shared';
import { isWorkflowGone, mapTemporalError } from '../../src/adapters/temporal/errors';

/**
 * Test driver: order-service's decisions as the workflow's direct `confirm` / `cancel` signals to
 * `reservation-<orderId>`. The service does not send these (its decisions go to Postgres first and
 * ReservationWorkflowDispatcher delivers them as `request` signals); the workflow still takes them. A
 * workflow that never existed or has already ended answers 'no-workflow'; the workflow itself ignores
 * duplicates and decisions that arrive after the first one.
 */
export class TemporalOrderSignals implements OrderSignalPort {
  constructor(private readonly deps: { client: Client }) {}

  confirm(orderId: string): Promise<SignalDelivery> {
    return this.deliver(orderId, 'confirm', (id) =>
      this.deps.client.workflow.getHandle(id).signal(confirmSignal),
    );
  }

  cancel(orderId: string, reason?: string): Promise<SignalDelivery> {
    return this.deliver(orderId, 'cancel', (id) =>
      this.deps.client.workflow.getHandle(id).signal(cancelSignal, reason === undefined ? {} : { reason }),
    );
  }

  private async deliver(orderId: string, what: string, send: (workflowId: string) => Promise<void>) {
    try {
      await send(reservationWorkflowId(orderId));
      return 'signalled' as const;
    } catch (error) {
      if (isWorkflowGone(error)) return 'no-workflow' as const;
      throw mapTemporalError(error, `${what} signal for order ${orderId}`);
    }
  }
}
