#!/usr/bin/env bash
# npm start: the service in one process (ROLES=api,worker,bridge,relay by default). Starts the local
# servers first when DATABASE_URL / AMQP_URL / TEMPORAL_ADDRESS point at this machine and they are down,
# and applies pending migrations. Extra arguments are passed to the entrypoint.
set -Eeuo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
# The service reads .env itself (the environment wins); say what to do before starting any server.
if [[ -z ${AUTH_JWT_SECRET:-} ]] && ! grep -Eq '^[[:space:]]*(export[[:space:]]+)?AUTH_JWT_SECRET=' .env 2>/dev/null; then
  die "AUTH_JWT_SECRET is not set and .env holds none: run 'npm run setup' (writes a random one into .env) or set it"
fi
local_services=()
is_local_host "$(pg_host)" && local_services+=(postgres)
is_local_host "$(amqp_host)" && local_services+=(rabbitmq)
is_local_host "$(temporal_host)" && local_services+=(temporal)
if ((${#local_services[@]})); then
  bash "$ROOT/scripts/services.sh" up "${local_services[@]}"
fi
[[ -d src/adapters/postgres/generated ]] || bash "$ROOT/scripts/prisma-generate.sh" >/dev/null
npx tsx scripts/migrate.ts
exec npx tsx src/main/index.ts "$@"
