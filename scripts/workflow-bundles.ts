import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { bundleReservationWorkflows } from '../src/adapters/temporal/worker';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/container/logger';

/**
 * Builds the workflow bundles (plain, and traced for OTEL on) into WORKFLOW_BUNDLE_CACHE_DIR, so that
 * a process started later from the same sources loads them instead of webpacking workflows/ on its
 * start (about 10 s of CPU per variant). The Dockerfile runs it on the compiled sources, so an image's
 * first worker start is as quick as its next.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const dir = config.WORKFLOW_BUNDLE_CACHE_DIR;
  const logger = createLogger(config.LOG_LEVEL);
  if (!dir) throw new Error('WORKFLOW_BUNDLE_CACHE_DIR is empty: there is nowhere to put the bundles');
  for (const tracing of [false, true]) {
    await bundleReservationWorkflows({
      tracing,
      cacheDir: dir,
      logger,
    });
  }
  for (const file of readdirSync(resolve(dir)).sort()) console.log(`    ${resolve(dir, file)}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`workflow bundles not built: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
