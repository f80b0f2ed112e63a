import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { bundleWorkflows, installRuntime } from '../support/temporal';
import { HISTORIES_DIR } from './support/harness';

/**
 * Replays recorded histories (time-skipping and dev-server runs) against today's workflow code: a
 * change that would make running workflows non-deterministic fails here, before it ships. Re-record
 * with RECORD_HISTORIES=1 only for a deliberate, versioned change (patched()).
 */
describe('reservation workflow replay', () => {
  const files = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json'));

  it('has recorded histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
  });

  it('replays every recorded history deterministically', async () => {
    installRuntime();
    const workflowBundle = await bundleWorkflows(require.resolve('../../workflows'));
    const histories = files.map((file) => ({
      workflowId: file.replace(/\.json$/, ''),
      history: historyFromJSON(JSON.parse(readFileSync(join(HISTORIES_DIR, file), 'utf8'))),
    }));
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle }, histories)) {
      replayed++;
      if (result.error) failures.push(`${result.workflowId}: ${String(result.error)}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(files.length);
  }, 60_000);
});
