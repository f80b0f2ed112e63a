import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflows, createTimeSkippingEnv, uniqueTaskQueue } from '../support/temporal';
import { sleepAnHour } from './fixtures/smoke-workflows';

jest.setTimeout(60_000);

describe('harness: time-skipping test server', () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });

  afterAll(async () => {
    await env?.teardown();
  });

  it('skips a one-hour timer in seconds of wall time', async () => {
    const taskQueue = uniqueTaskQueue('smoke-ts');
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await bundleWorkflows(require.resolve('./fixtures/smoke-workflows')),
    });
    const wallStart = Date.now();
    const virtualStart = (await env.currentTimeMs()) as number;
    const result = await worker.runUntil(
      env.client.workflow.execute(sleepAnHour, { taskQueue, workflowId: uniqueTaskQueue('sleep') }),
    );
    const virtualElapsed = ((await env.currentTimeMs()) as number) - virtualStart;
    expect(result).toBe('woke');
    expect(virtualElapsed).toBeGreaterThanOrEqual(60 * 60 * 1000);
    expect(Date.now() - wallStart).toBeLessThan(60 * 60 * 1000);
  });
});
