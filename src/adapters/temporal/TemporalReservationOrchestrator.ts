import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import type {
  ReleaseCommand,
  ReleaseOutcome,
  ReserveCommand,
  ReserveOutcome,
} from '../../application/contracts';
import type { ReservationOrchestratorPort } from '../../application/ports';
import type { reservationWorkflow } from '../../../workflows/reservation';
import {
  RESERVATION_WORKFLOW_TYPE,
  releaseUpdate,
  reservationWorkflowId,
  reserveUpdate,
  SearchAttributeKeys,
  type ReservationWorkflowInput,
} from '../../../workflows/shared';
import { isWorkflowGone, mapTemporalError } from './errors';

export interface TemporalReservationOrchestratorDeps {
  client: Client;
  taskQueue: string;
  defaultTtlSeconds?: number;
  /** Releases straight through the use case (its own scope) when no workflow is running for the order. */
  releaseDirectly: (command: ReleaseCommand) => Promise<ReleaseOutcome>;
  /** Benchmarks only: where the workflow runs its activities (see docs/temporal.md). */
  activities?: ReservationWorkflowInput['activities'];
}

/**
 * The HTTP façade's way into the reservation saga. `reserve` is exactly one Update-With-Start round
 * trip: it starts the order's workflow or joins the running one, and returns the reserve step's
 * outcome. Failures typed with a domain error code come back as that DomainError / ValidationError;
 * everything else is a ReservationOrchestrationError (`transient` → worth a retry, HTTP 503).
 */
export class TemporalReservationOrchestrator implements ReservationOrchestratorPort {
  constructor(private readonly deps: TemporalReservationOrchestratorDeps) {}

  async reserve(command: ReserveCommand): Promise<ReserveOutcome> {
    const workflowId = reservationWorkflowId(command.orderId);
    const input: ReservationWorkflowInput = {
      orderId: command.orderId,
      ...(this.deps.defaultTtlSeconds ? { defaultTtlSeconds: this.deps.defaultTtlSeconds } : {}),
      ...(this.deps.activities ? { activities: this.deps.activities } : {}),
    };
    const startWorkflowOperation = new WithStartWorkflowOperation<typeof reservationWorkflow>(
      RESERVATION_WORKFLOW_TYPE,
      {
        workflowId,
        taskQueue: this.deps.taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        typedSearchAttributes: [
          { key: SearchAttributeKeys.orderId, value: command.orderId },
          { key: SearchAttributeKeys.status, value: 'PENDING' },
        ],
      },
    );
    try {
      return await this.deps.client.workflow.executeUpdateWithStart(reserveUpdate, {
        args: [command],
        startWorkflowOperation,
      });
    } catch (error) {
      throw mapTemporalError(error, `reserve for order ${command.orderId}`);
    }
  }

  /**
   * Through the running workflow, so the release is serialized with its other steps; once the
   * workflow has ended (or never existed) the use case answers directly: it is idempotent, and the
   * caller still gets 200 with the reservation or 404.
   */
  async release(command: ReleaseCommand): Promise<ReleaseOutcome> {
    const handle = this.deps.client.workflow.getHandle(reservationWorkflowId(command.orderId));
    try {
      return await handle.executeUpdate(releaseUpdate, {
        args: [{ ...(command.sku !== undefined ? { sku: command.sku } : {}), reason: 'released' }],
      });
    } catch (error) {
      if (isWorkflowGone(error)) return this.deps.releaseDirectly({ ...command, reason: 'released' });
      throw mapTemporalError(error, `release for order ${command.orderId}`);
    }
  }
}
