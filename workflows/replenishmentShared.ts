import { defineQuery, defineSignal } from '@temporalio/workflow';

/**
 * What the replenishment workflow and its clients (ReplenishmentDispatcher, tests) share. Importable
 * from both sides: no workflow-only API is called at module load.
 */

export const REPLENISHMENT_WORKFLOW_TYPE = 'replenishmentWorkflow';

/** One workflow per SKU: while a purchase-order request of the SKU is open, its workflow runs. */
export function replenishmentWorkflowId(sku: string): string {
  return `replenishment-${sku}`;
}

export interface ReplenishmentWorkflowInput {
  sku: string;
  /** Period between reminders while the request stays open (PURCHASE_ORDER_REMINDER_SECONDS). */
  reminderSeconds: number;
  /** Carried over by continue-as-new; a fresh start learns the request from the `opened` signal. */
  requestId?: string;
  remindersSent?: number;
}

export interface RequestRef {
  requestId: string;
}

/** A request was opened for the SKU (sent with signalWithStart: starts the workflow when none runs). */
export const openedSignal = defineSignal<[RequestRef]>('opened');
/** That request was closed by a replenishment. Signals for another request are ignored. */
export const closedSignal = defineSignal<[RequestRef]>('closed');

export type ReplenishmentPhase = 'OPEN' | 'CLOSED';

export interface ReplenishmentWorkflowStatus {
  sku: string;
  phase: ReplenishmentPhase;
  requestId: string | null;
  /** Reminders the current request has sent (as the last reminder activity reported). */
  remindersSent: number;
  /** When the next reminder is due (ISO-8601), null once closed. */
  nextReminderAt: string | null;
}

export interface ReplenishmentWorkflowResult {
  sku: string;
  requestId: string | null;
  remindersSent: number;
  /** How the workflow learnt the request was closed. */
  closedBy: 'signal' | 'reminder-check';
}

export const replenishmentStatusQuery = defineQuery<ReplenishmentWorkflowStatus>('status');

/** Typed search-attribute keys (the shape of @temporalio/common's SearchAttributeKey, spelled out). */
export const ReplenishmentSearchAttributeKeys = {
  sku: { name: 'ReplenishmentSku', type: 'KEYWORD' },
  status: { name: 'ReplenishmentStatus', type: 'KEYWORD' },
} as const;

/** Name → type, as temporal/search-attributes.txt lists them. */
export const REPLENISHMENT_SEARCH_ATTRIBUTES = {
  ReplenishmentSku: 'Keyword',
  ReplenishmentStatus: 'Keyword',
} as const;
