#!/usr/bin/env bash
# npm run test:fuzz: schemathesis (from .tools/venv, installed by npm run setup) against the real service,
# bounded to FUZZ_MAX_TIME seconds (default 180). Finds its servers as npm test does (test/support/global-setup.ts).
set -Eeuo pipefail
given=()
for v in DATABASE_URL AMQP_URL TEMPORAL_ADDRESS; do [[ -n ${!v:-} ]] && given+=("$v"); done
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
for v in DATABASE_URL AMQP_URL TEMPORAL_ADDRESS; do [[ " ${given[*]} " == *" $v "* ]] || unset "$v"; done
if ((${#given[@]} < 3)) && ! { command -v docker >/dev/null && docker info >/dev/null 2>&1; }; then
  bash "$ROOT/scripts/services.sh" up >/dev/null
fi
exec npx tsx test/fuzz/run.ts
