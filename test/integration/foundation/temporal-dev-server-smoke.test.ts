import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflows, createDevServerEnv, uniqueTaskQueue } from '../../support/temporal';
import { greet } from '../../workflows/fixtures/smoke-workflows';

jest.setTimeout(60_000);

describe('harness: Temporal dev server', () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await createDevServerEnv();
  });

  afterAll(async () => {
    await env?.teardown();
  });

  it('runs a trivial workflow on a worker of its own task queue', async () => {
    const taskQueue = uniqueTaskQueue('smoke-dev');
    const worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      workflowBundle: await bundleWorkflows(require.resolve('../../workflows/fixtures/smoke-workflows')),
    });
    const result = await worker.runUntil(
      env.client.workflow.execute(greet, {
        taskQueue,
        workflowId: uniqueTaskQueue('greet'),
        args: ['inventory'],
      }),
    );
    expect(result).toBe('hello inventory');
  });

  it('has the project search attributes registered', async () => {
    const { customAttributes } = await env.connection.operatorService.listSearchAttributes({
      namespace: env.namespace ?? 'default',
    });
    expect(Object.keys(customAttributes ?? {})).toEqual(
      expect.arrayContaining(['OrderId', 'Skus', 'ReservationStatus', 'ReservationExpiresAt']),
    );
  });
});
