#!/usr/bin/env bash
# npm test: every suite (unit, workflows, integration, e2e) against real servers. Extra arguments go to
# Jest (e.g. npm test -- --selectProjects unit). Servers, in the order test/support/global-setup.ts uses:
# DATABASE_URL / AMQP_URL / TEMPORAL_ADDRESS when all set; Testcontainers when a Docker engine answers;
# otherwise the local servers of 'npm run setup', which this script starts when they are down.
set -Eeuo pipefail
given=()
for v in DATABASE_URL AMQP_URL TEMPORAL_ADDRESS; do [[ -n ${!v:-} ]] && given+=("$v"); done
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
# lib.sh fills in local defaults; keep only what the caller really set, so global-setup can choose.
for v in DATABASE_URL AMQP_URL TEMPORAL_ADDRESS; do [[ " ${given[*]} " == *" $v "* ]] || unset "$v"; done

if ((${#given[@]} < 3)) && ! { command -v docker >/dev/null && docker info >/dev/null 2>&1; }; then
  bash "$ROOT/scripts/services.sh" up >/dev/null
fi

mkdir -p "$DATA"
results="$DATA/jest-results.json"
rm -f "$results"
set +e
npx jest --maxWorkers=2 --json --outputFile="$results" "$@"
rc=$?
set -e
if [[ -f $results ]]; then
  # One closing line that any CI reads: suites that failed before running a test count as failures too.
  node -e '
    const r = require(process.argv[1]);
    const broken = r.testResults.filter((s) => s.status === "failed" && s.assertionResults.length === 0).length;
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests + broken} failed` + (skipped ? `, ${skipped} skipped` : ""));
  ' "$results"
else
  echo "0 passed, 1 failed"
fi
exit $rc
