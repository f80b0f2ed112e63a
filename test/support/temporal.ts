import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { uniqueName } from './naming';

const ROOT = join(__dirname, '..', '..');

/** The Java time-skipping test server that `npm run setup` assembles (the SDK's own download fails here). */
export function testServerPath(): string {
  const path =
    process.env.TEMPORAL_TEST_SERVER_PATH ?? join(ROOT, '.tools', 'test-server', 'temporal-test-server');
  if (!existsSync(path)) {
    throw new Error(
      `Temporal test server not found at ${path}: run 'npm run setup' (or set TEMPORAL_TEST_SERVER_PATH)`,
    );
  }
  return path;
}

let runtimeInstalled = false;
/** Runtime.install must run before any environment or worker is created, once per process. */
export function installRuntime(): void {
  if (runtimeInstalled) return;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed by an earlier test file in this Jest worker process.
  }
  runtimeInstalled = true;
}

export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  installRuntime();
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testServerPath() } },
  });
}

/** Attaches to the running dev server (no time skipping): TEMPORAL_ADDRESS from globalSetup. */
export async function createDevServerEnv(): Promise<TestWorkflowEnvironment> {
  installRuntime();
  return TestWorkflowEnvironment.createFromExistingServer({
    address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
  });
}

const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();
/** Bundles workflow code once per test file (webpack is slow); pass the result as workflowBundle. */
export function bundleWorkflows(workflowsPath: string): Promise<WorkflowBundleWithSourceMap> {
  let bundle = bundles.get(workflowsPath);
  if (!bundle) {
    bundle = bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
    bundles.set(workflowsPath, bundle);
  }
  return bundle;
}

export function uniqueTaskQueue(prefix = 'test'): string {
  return uniqueName(prefix);
}

/** Every signal in a workflow's history, in order, with its first argument decoded (undefined if none). */
export async function signalsIn(
  client: Client,
  workflowId: string,
): Promise<{ name: string; arg: unknown }[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((e) => {
    const signalled = e.workflowExecutionSignaledEventAttributes;
    if (!signalled) return [];
    const payload = signalled.input?.payloads?.[0];
    return [
      {
        name: signalled.signalName ?? '',
        arg: payload ? defaultPayloadConverter.fromPayload(payload) : undefined,
      },
    ];
  });
}
