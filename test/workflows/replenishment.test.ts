import { randomUUID } from 'node:crypto';
import type { Connection, WorkflowHandle } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import type { RemindPurchaseOrderCommand, RemindPurchaseOrderOutcome } from '../../activities/replenishment';
import {
  signalReplenishmentClosed,
  startReplenishment,
} from '../../src/adapters/temporal/ReplenishmentDispatcher';
import type { replenishmentWorkflow } from '../../workflows/replenishment';
import {
  REPLENISHMENT_SEARCH_ATTRIBUTES,
  ReplenishmentSearchAttributeKeys,
  replenishmentStatusQuery,
  replenishmentWorkflowId,
} from '../../workflows/replenishmentShared';
import { uniqueSku } from '../support/naming';
import { bundleWorkflows, createTimeSkippingEnv, uniqueTaskQueue } from '../support/temporal';
import { eventually } from './support/harness';

jest.setTimeout(30_000);

const DAY_SECONDS = 86_400;
const DAY = DAY_SECONDS * 1000;
const GRPC_ALREADY_EXISTS = 6;

/** The Java test server implements AddSearchAttributes, not ListSearchAttributes: add, tolerate repeats. */
async function registerReplenishmentSearchAttributes(connection: Connection): Promise<void> {
  try {
    await connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: Object.fromEntries(
        Object.keys(REPLENISHMENT_SEARCH_ATTRIBUTES).map((name) => [
          name,
          encodeSearchAttributeIndexedValueType('KEYWORD')!,
        ]),
      ),
    });
  } catch (error) {
    if ((error as { code?: number }).code !== GRPC_ALREADY_EXISTS) throw error;
  }
}

/** The reminder activity's database, stubbed: which requests are open, and every call made. */
class FakeRequests {
  readonly calls: RemindPurchaseOrderCommand[] = [];
  readonly open = new Set<string>();
  readonly sent = new Map<string, number>();

  async remindPurchaseOrder(command: RemindPurchaseOrderCommand): Promise<RemindPurchaseOrderOutcome> {
    this.calls.push(command);
    if (!this.open.has(command.requestId)) return { kind: 'closed' };
    const sent = Math.max(this.sent.get(command.requestId) ?? 0, command.reminder);
    this.sent.set(command.requestId, sent);
    return { kind: 'reminded', reminder: sent, available: 1 };
  }
}

describe('replenishment workflow (time-skipping server, stubbed reminder activity)', () => {
  let env: TestWorkflowEnvironment;
  let bundle: WorkflowBundle;
  let requests: FakeRequests;
  let worker: Worker;
  let running: Promise<void>;
  let taskQueue: string;
  let sku: string;

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
    await registerReplenishmentSearchAttributes(env.connection);
    bundle = await bundleWorkflows(require.resolve('../../workflows'));
  });

  afterAll(async () => {
    await env?.teardown();
  });

  beforeEach(async () => {
    requests = new FakeRequests();
    taskQueue = uniqueTaskQueue('replenishment-ts');
    sku = uniqueSku('PO');
    worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue,
      workflowBundle: bundle,
      activities: { remindPurchaseOrder: (c: RemindPurchaseOrderCommand) => requests.remindPurchaseOrder(c) },
    });
    running = worker.run();
  });

  afterEach(async () => {
    // A run left open would hold its timers on a queue nobody polls, and the test server does not skip
    // time past pending work: end it while its worker still runs.
    await handle()
      .terminate('test over')
      .catch(() => undefined);
    worker.shutdown();
    await running;
  });

  function handle(): WorkflowHandle<typeof replenishmentWorkflow> {
    return env.client.workflow.getHandle(replenishmentWorkflowId(sku));
  }

  async function open(requestId: string = randomUUID(), reminderSeconds = DAY_SECONDS): Promise<string> {
    requests.open.add(requestId);
    await startReplenishment(env.client, { sku, requestId, taskQueue, reminderSeconds });
    return requestId;
  }

  const reminders = (requestId: string) =>
    requests.calls.filter((c) => c.requestId === requestId).map((c) => c.reminder);

  async function searchAttributes() {
    const attrs = (await handle().describe()).typedSearchAttributes;
    return {
      sku: attrs.get(ReplenishmentSearchAttributeKeys.sku),
      status: attrs.get(ReplenishmentSearchAttributeKeys.status),
    };
  }

  it('reminds once the period has passed, not before', async () => {
    const requestId = await open();
    expect(await handle().query(replenishmentStatusQuery)).toMatchObject({
      sku,
      phase: 'OPEN',
      requestId,
      remindersSent: 0,
    });
    expect(await searchAttributes()).toEqual({ sku, status: 'OPEN' });

    await env.sleep(DAY / 2);
    expect(requests.calls).toHaveLength(0);

    await env.sleep(DAY / 2 + 1000);
    await eventually(() => (requests.calls.length === 1 ? true : undefined), 'the first reminder');
    expect(requests.calls[0]).toEqual({ sku, requestId, reminder: 1 });
    await eventually(
      async () => ((await handle().query(replenishmentStatusQuery)).remindersSent === 1 ? true : undefined),
      'the reminder counted',
    );
  });

  it('keeps reminding every period while the request stays open', async () => {
    const requestId = await open();
    for (let n = 1; n <= 3; n++) {
      await env.sleep(DAY + 1000);
      await eventually(() => (reminders(requestId).length === n ? true : undefined), `reminder ${n}`);
    }
    expect(reminders(requestId)).toEqual([1, 2, 3]);
  });

  it('ends on the closed signal of its request, with status CLOSED, and ignores others', async () => {
    const requestId = await open();
    expect(await signalReplenishmentClosed(env.client, { sku, requestId: randomUUID() })).toBe(true);
    expect(await handle().query(replenishmentStatusQuery)).toMatchObject({ phase: 'OPEN', requestId });

    expect(await signalReplenishmentClosed(env.client, { sku, requestId })).toBe(true);
    const result = await handle().result();

    expect(result).toEqual({ sku, requestId, remindersSent: 0, closedBy: 'signal' });
    expect(requests.calls).toHaveLength(0);
    expect(await searchAttributes()).toEqual({ sku, status: 'CLOSED' });
    // Nothing left to tell once it has ended.
    expect(await signalReplenishmentClosed(env.client, { sku, requestId })).toBe(false);
  });

  it('ends when the reminder check finds the request closed (the closed signal was lost)', async () => {
    const requestId = await open();
    await env.sleep(DAY + 1000);
    await eventually(() => (reminders(requestId).length === 1 ? true : undefined), 'the first reminder');
    requests.open.delete(requestId);

    const result = await handle().result();

    expect(result).toEqual({ sku, requestId, remindersSent: 1, closedBy: 'reminder-check' });
    expect(reminders(requestId)).toEqual([1, 2]);
    expect(await searchAttributes()).toEqual({ sku, status: 'CLOSED' });
  });

  it('is started idempotently: a repeated opened joins the same run and changes nothing', async () => {
    const requestId = await open();
    const runId = (await handle().describe()).runId;
    await open(requestId);
    expect((await handle().describe()).runId).toBe(runId);
    await env.sleep(DAY + 1000);
    await eventually(() => (reminders(requestId).length === 1 ? true : undefined), 'one reminder');
    expect(reminders(requestId)).toEqual([1]);
  });

  it('starts a new run for the next request once the previous one closed', async () => {
    const first = await open();
    await signalReplenishmentClosed(env.client, { sku, requestId: first });
    const firstRun = await handle().result();
    expect(firstRun.requestId).toBe(first);

    const second = await open();
    const status = await handle().query(replenishmentStatusQuery);
    expect(status).toMatchObject({ phase: 'OPEN', requestId: second, remindersSent: 0 });
    expect(await searchAttributes()).toEqual({ sku, status: 'OPEN' });
    await signalReplenishmentClosed(env.client, { sku, requestId: second });
    expect(await handle().result()).toMatchObject({ requestId: second, closedBy: 'signal' });
  });

  it('a request opened while the previous one is still being closed joins the running workflow', async () => {
    const first = await open();
    const second = await open();
    // The late close of the first request must not end the run that now watches the second.
    await signalReplenishmentClosed(env.client, { sku, requestId: first });
    // A late duplicate opened of the first request must not bring it back.
    await open(first);
    expect(await handle().query(replenishmentStatusQuery)).toMatchObject({
      phase: 'OPEN',
      requestId: second,
    });

    await env.sleep(DAY + 1000);
    await eventually(() => (reminders(second).length === 1 ? true : undefined), 'a reminder of the second');
    expect(reminders(first)).toEqual([]);
    await signalReplenishmentClosed(env.client, { sku, requestId: second });
    expect(await handle().result()).toMatchObject({
      requestId: second,
      remindersSent: 1,
      closedBy: 'signal',
    });
  });
});
