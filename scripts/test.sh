#!/usr/bin/env bash
# npm test: every suite (unit, workflows, integration, e2e) against real servers, then the fuzz suite
# (npm run test:fuzz) and the fault suite (npm run test:faults, which owns its servers). Extra
# arguments go to Jest (e.g. npm test -- --selectProjects unit), and then only Jest runs. The others'
# servers, in the order test/support/global-setup.ts uses:
# DATABASE_URL / AMQP_URL / TEMPORAL_ADDRESS when all set; Testcontainers when a Docker engine answers;
# otherwise the local servers of 'npm run setup', which this script starts when they are down.
set -Eeuo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
use_test_servers

mkdir -p "$DATA"
results="$DATA/jest-results.json"
faults="$DATA/jest-faults-results.json"
# Suites outside Jest, one check each in the closing line; .ci/run reads the same file.
checks="$DATA/test-checks.txt"
rm -f "$results" "$faults" "$checks"
set +e
npx jest --maxWorkers=2 --json --outputFile="$results" "$@"
rc=$?
counted=("$results")
# With arguments for Jest (one project, one file) only Jest runs.
if (($# == 0)); then
  for suite in fuzz; do
    echo "::: npm run test:$suite"
    if npm run --silent "test:$suite"; then
      echo "passed test:$suite" >>"$checks"
    else
      echo "failed test:$suite" >>"$checks"
      rc=1
    fi
  done
  # The fault suite stops and starts servers of its own under load: alone, after the others
  # (TEST_FAULTS=0 skips it). Its tests count one by one, from its own results file.
  if [[ ${TEST_FAULTS:-1} != 0 ]]; then
    echo "::: npm run test:faults"
    npx jest -c jest.faults.config.js --runInBand --json --outputFile="$faults"
    frc=$?
    ((rc == 0)) && rc=$frc
    counted+=("$faults")
  fi
fi
set -e
# One closing line that any CI reads: Jest's tests of both runs (a suite that failed before running a
# test, or a missing results file, counts as a failure) plus the checks after them.
read -r jp jf js < <(node "$ROOT/scripts/jest-count.cjs" "${counted[@]}")
extra_passed=$(grep -c '^passed ' "$checks" 2>/dev/null || true)
extra_failed=$(grep -c '^failed ' "$checks" 2>/dev/null || true)
line="$((jp + ${extra_passed:-0})) passed, $((jf + ${extra_failed:-0})) failed"
if ((js > 0)); then line+=", $js skipped"; fi
echo "$line"
exit $rc
