import type { ChildProcess } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { searchAttributeNames } from '../../scripts/lib/temporalFlags';

/**
 * Whether the dev server at `address` answers and has registered every search attribute of
 * temporal/search-attributes.txt (start-dev registers them after it starts listening). False while it
 * is not up yet; a probe for a wait loop.
 */
export async function devServerReady(address: string, namespace = 'default'): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 1_000 });
    const attrs = await connection.operatorService.listSearchAttributes({ namespace });
    const registered = attrs.customAttributes ?? {};
    return searchAttributeNames().every((name) => name in registered);
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/** SIGTERM to a child this process spawned, SIGKILL after `killAfterMs`; resolves once it has exited. */
export async function terminateChild(child: ChildProcess, killAfterMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  await exited;
  clearTimeout(timer);
}
