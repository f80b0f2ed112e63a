import {
  ActivityFailure,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { RemindPurchaseOrderOutcome, ReplenishmentActivities } from '../activities/replenishment';
import {
  closedSignal,
  openedSignal,
  replenishmentStatusQuery,
  ReplenishmentSearchAttributeKeys,
  type ReplenishmentPhase,
  type ReplenishmentWorkflowInput,
  type ReplenishmentWorkflowResult,
} from './replenishmentShared';

/** Nobody waits for a reminder, and it must happen: retried until the database answers. */
const { remindPurchaseOrder } = proxyActivities<ReplenishmentActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/** Closed requests remembered, so a late `opened` of one of them cannot reopen it. */
const REMEMBERED_CLOSED = 16;
/** Keeps the history of a request that stays open for years short. */
const MAX_HISTORY_EVENTS = 5_000;

/**
 * The replenishment of one SKU (`replenishment-<sku>`) while a purchase-order request of it is open.
 * ReplenishmentDispatcher starts it with signalWithStart(`opened`) when a request opens and signals
 * `closed` when a replenishment closes it. Every `reminderSeconds` in between, the reminder activity
 * checks (under the SKU's row lock) that the request is still OPEN and re-announces it; if it found the
 * request CLOSED, the workflow ends too, so a lost `closed` signal cannot keep it alive. A request that
 * opens while the previous one is still being closed joins the same run.
 */
export async function replenishmentWorkflow(
  input: ReplenishmentWorkflowInput,
): Promise<ReplenishmentWorkflowResult> {
  const { sku } = input;
  const reminderMs = Math.max(1, input.reminderSeconds) * 1000;
  let requestId: string | null = input.requestId ?? null;
  let remindersSent = input.remindersSent ?? 0;
  let closed = false;
  let closedBy: ReplenishmentWorkflowResult['closedBy'] = 'signal';
  let nextReminderAt: number | null = null;
  const closedIds: string[] = [];

  function remember(id: string): void {
    if (closedIds.includes(id)) return;
    closedIds.push(id);
    if (closedIds.length > REMEMBERED_CLOSED) closedIds.shift();
  }

  function publish(phase: ReplenishmentPhase): void {
    const current = workflowInfo().typedSearchAttributes;
    const updates = [];
    if (current.get(ReplenishmentSearchAttributeKeys.sku) !== sku) {
      updates.push({ key: ReplenishmentSearchAttributeKeys.sku, value: sku });
    }
    if (current.get(ReplenishmentSearchAttributeKeys.status) !== phase) {
      updates.push({ key: ReplenishmentSearchAttributeKeys.status, value: phase });
    }
    if (updates.length > 0) upsertSearchAttributes(updates);
  }

  setHandler(openedSignal, ({ requestId: id }) => {
    if (id === requestId || closedIds.includes(id)) return;
    // A newer request replaces the one this run watched (which the dispatcher closes, or has closed).
    if (requestId !== null) remember(requestId);
    requestId = id;
    remindersSent = 0;
    closed = false;
  });
  setHandler(closedSignal, ({ requestId: id }) => {
    remember(id);
    if (id === requestId) closed = true;
  });
  setHandler(replenishmentStatusQuery, () => ({
    sku,
    phase: closed ? 'CLOSED' : 'OPEN',
    requestId,
    remindersSent,
    nextReminderAt: closed || nextReminderAt === null ? null : new Date(nextReminderAt).toISOString(),
  }));

  // signalWithStart delivers `opened` with the first activation; wait for it all the same.
  await condition(() => requestId !== null);
  publish('OPEN');

  while (!closed) {
    const watched = requestId!;
    nextReminderAt = Date.now() + reminderMs;
    await condition(() => closed || requestId !== watched, reminderMs);
    if (requestId !== watched) continue;
    if (closed) break;

    let outcome: RemindPurchaseOrderOutcome;
    try {
      outcome = await remindPurchaseOrder({ sku, requestId: watched, reminder: remindersSent + 1 });
    } catch (error) {
      // Only a non-retryable failure gets here (a bad request id, say): try again next period.
      log.warn('purchase-order reminder failed', {
        sku,
        requestId: watched,
        error: error instanceof ActivityFailure ? (error.cause?.message ?? error.message) : String(error),
      });
      continue;
    }
    if (requestId !== watched) continue;
    if (outcome.kind === 'reminded') {
      remindersSent = outcome.reminder;
      log.info('purchase-order reminder', { sku, requestId: watched, reminder: remindersSent });
    } else {
      // Closed (or gone) in the database: the `closed` signal may still be on its way, or lost.
      remember(watched);
      closed = true;
      closedBy = 'reminder-check';
    }

    if (
      !closed &&
      (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > MAX_HISTORY_EVENTS)
    ) {
      await continueAsNew<typeof replenishmentWorkflow>({ ...input, requestId: watched, remindersSent });
    }
  }

  nextReminderAt = null;
  publish('CLOSED');
  log.info('purchase-order request closed', { sku, requestId, remindersSent, closedBy });
  return { sku, requestId, remindersSent, closedBy };
}
