#!/usr/bin/env bash
# prisma generate, offline. The CLI insists on a schema-engine binary before generate/validate/format
# even though they do not use it; pointing PRISMA_SCHEMA_ENGINE_BINARY at any existing file skips the
# download that would fail here.
set -Eeuo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PRISMA_SCHEMA_ENGINE_BINARY="${PRISMA_SCHEMA_ENGINE_BINARY:-/bin/true}"
export PRISMA_HIDE_UPDATE_MESSAGE=1 CHECKPOINT_DISABLE=1
exec npx prisma generate "$@"
