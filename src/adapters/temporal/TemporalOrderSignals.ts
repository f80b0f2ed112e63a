import type { Client } from '@temporalio/client';
import type { OrderSignalPort, SignalDelivery } from '../../application/ports';
import { cancelSignal, confirmSignal, reservationWorkflowId } from '../../../workflows/shared';
import { isWorkflowGone, mapTemporalError } from './errors';

/**
 * order-service's decisions as signals to `reservation-<orderId>`. A workflow that never existed or
 * has already ended answers 'no-workflow' (the bridge acknowledges and records it); the workflow
 * itself ignores duplicates and decisions that arrive after the first one.
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
