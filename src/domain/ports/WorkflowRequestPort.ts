import type { OrderId } from '../OrderId';

/**
 * What the order's reservation workflow must be told: `start` (a reserve created or extended the
 * reservation: start the workflow or join it), a decision (`confirm`, `cancel`, `release`) or `extend`.
 */
export type WorkflowRequestKind = 'start' | 'confirm' | 'cancel' | 'release' | 'extend';

export interface WorkflowRequest {
  readonly orderId: OrderId;
  readonly kind: WorkflowRequestKind;
  readonly reason?: string;
}

/**
 * Durable requests to the order's workflow, recorded in the transaction of the change that needs
 * them; a dispatcher delivers them after commit (at least once).
 */
export interface WorkflowRequestPort {
  request(requests: readonly WorkflowRequest[]): Promise<void>;
}
