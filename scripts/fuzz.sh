#!/usr/bin/env bash
# npm run test:fuzz: schemathesis (from .tools/venv, installed by npm run setup) against the real service,
# bounded to FUZZ_MAX_TIME seconds (default 180). Finds its servers as npm test does (test/support/global-setup.ts).
set -Eeuo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
use_test_servers
exec npx tsx test/fuzz/run.ts
