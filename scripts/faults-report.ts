import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { readResults, renderDigest, renderDoc, RESULTS_FILE, type FaultRun } from '../test/faults/report';

// npm run faults:report [-- more-results.json ...] — renders docs/faults.md from the results of the last
// `npm run test:faults` (and of earlier runs kept under another name, e.g. at another FAULTS_RATE).
// npm run faults:report -- --digest — prints a verdict per scenario of the last run instead (.ci/run).
async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes('--digest')) {
    const run = readResults();
    if (!run || run.scenarios.length === 0) {
      console.log(`no fault results in ${RESULTS_FILE}`);
      return 0;
    }
    console.log(renderDigest(run));
    return 0;
  }
  const files = [RESULTS_FILE, ...args];
  const runs = files.map((f) => readResults(f)).filter((r): r is FaultRun => !!r && r.scenarios.length > 0);
  if (runs.length === 0) {
    console.error(`no fault results in ${files.join(', ')}: run 'npm run test:faults' first`);
    return 1;
  }
  const target = join(__dirname, '..', 'docs', 'faults.md');
  // The hand-written reading of the results (between the notes markers) survives a re-render.
  const previous = existsSync(target) ? readFileSync(target, 'utf8') : '';
  const notes = /<!-- notes -->[\s\S]*?<!-- \/notes -->/.exec(previous)?.[0];
  // In the repository's Prettier style, so that lint:format passes on the rendered file.
  const options = { ...(await resolveConfig(target)), filepath: target };
  writeFileSync(target, await format(renderDoc(runs, notes), options));
  console.log(
    `${target}: ${runs.map((r) => `${r.scenarios.length} scenario(s) of ${r.startedAt}`).join('; ')}`,
  );
  return 0;
}

main().then((code) => process.exit(code));
