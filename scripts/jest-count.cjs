// Counts Jest --json result files for the closing line of npm test and CI: prints "<passed> <failed>
// <skipped>". Suites that failed before running a test count as failures, so does a missing or
// unreadable file (the run it stands for crashed).
const fs = require('node:fs');

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of process.argv.slice(2)) {
  try {
    const r = JSON.parse(fs.readFileSync(file, 'utf8'));
    const broken = r.testResults.filter(
      (s) => s.status === 'failed' && s.assertionResults.length === 0,
    ).length;
    passed += r.numPassedTests;
    failed += r.numFailedTests + broken;
    skipped += r.numPendingTests + r.numTodoTests;
  } catch {
    failed += 1;
  }
}
process.stdout.write(`${passed} ${failed} ${skipped}\n`);
