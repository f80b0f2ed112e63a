import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Resource } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { tracingSinks } from '../../src/adapters/temporal/tracing';
import { bundleReservationWorkflows } from '../../src/adapters/temporal/worker';
import { installRuntime } from '../support/temporal';
import { HISTORIES_DIR } from './support/harness';

/**
 * Turning tracing on (OTEL_EXPORTER_OTLP_ENDPOINT set) bundles the OpenTelemetry workflow interceptors
 * and ours (src/adapters/temporal/workflowDecisionTracing.ts) into the workflow code. Reservations
 * started by an untraced worker must keep running on a traced one: every recorded history replays
 * deterministically with the traced bundle too.
 */
describe('reservation workflow replay with the tracing interceptors bundled', () => {
  it('replays every recorded history deterministically', async () => {
    installRuntime();
    const workflowBundle = await bundleReservationWorkflows({ tracing: true });
    const spanProcessor = new SimpleSpanProcessor(new InMemorySpanExporter());
    const sinks = tracingSinks({ enabled: true, resource: Resource.empty(), spanProcessor });
    const files = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json'));
    const histories = files.map((file) => ({
      workflowId: file.replace(/\.json$/, ''),
      history: historyFromJSON(JSON.parse(readFileSync(join(HISTORIES_DIR, file), 'utf8'))),
    }));
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle, sinks }, histories)) {
      replayed++;
      if (result.error) failures.push(`${result.workflowId}: ${String(result.error)}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(files.length);
    expect(replayed).toBeGreaterThanOrEqual(5);
  }, 120_000);
});
