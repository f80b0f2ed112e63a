# Shared helpers and defaults for setup.sh, services.sh, start.sh and test.sh. Source, do not run.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
DATA="$ROOT/.data"
# shellcheck source=../temporal/versions.env
source "$ROOT/temporal/versions.env"

# The service URLs the caller set itself, before the defaults below (use_test_servers needs them).
CALLER_SERVICE_URLS=()
for v in DATABASE_URL AMQP_URL TEMPORAL_ADDRESS; do [[ -n ${!v:-} ]] && CALLER_SERVICE_URLS+=("$v"); done

# Local defaults: used only when the variable is not already set.
: "${DATABASE_URL:=postgresql://inventory:inventory@127.0.0.1:5432/inventory}"
: "${AMQP_URL:=amqp://guest:guest@127.0.0.1:5672}"
: "${TEMPORAL_ADDRESS:=127.0.0.1:7233}"
: "${TEMPORAL_NAMESPACE:=default}"
: "${TEMPORAL_UI_PORT:=8233}"
: "${JAEGER_QUERY_URL:=http://127.0.0.1:16686}"
export DATABASE_URL AMQP_URL TEMPORAL_ADDRESS TEMPORAL_NAMESPACE

TEMPORAL_BIN="$TOOLS/bin/temporal"
JAEGER_BIN="$TOOLS/bin/jaeger"
TEST_SERVER_BIN="$TOOLS/test-server/temporal-test-server"
export TEMPORAL_TEST_SERVER_PATH="${TEMPORAL_TEST_SERVER_PATH:-$TEST_SERVER_BIN}"

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }
warn() { printf '\033[33m!!  %s\033[0m\n' "$*" >&2; }
die() {
  printf '\033[31mxx  %s\033[0m\n' "$*" >&2
  exit 1
}

# host and port of a URL such as postgresql://u:p@host:5432/db or amqp://host:5672/vhost
url_host() { node -e 'const u=new URL(process.argv[1]);process.stdout.write(u.hostname.replace(/^\[|\]$/g,""))' "$1"; }
url_port() { node -e 'const u=new URL(process.argv[1]);process.stdout.write(u.port||process.argv[2])' "$1" "$2"; }

# port_open HOST PORT: true when something accepts TCP connections there.
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# wait_port NAME HOST PORT SECONDS
wait_port() {
  local name=$1 host=$2 port=$3 secs=${4:-60} i
  for ((i = 0; i < secs * 10; i++)); do
    port_open "$host" "$port" && return 0
    sleep 0.1
  done
  die "$name did not accept connections on $host:$port within ${secs}s"
}

is_local_host() { [[ $1 == 127.0.0.1 || $1 == localhost || $1 == ::1 ]]; }

pg_host() { url_host "$DATABASE_URL"; }
pg_port() { url_port "$DATABASE_URL" 5432; }
amqp_host() { url_host "$AMQP_URL"; }
amqp_port() { url_port "$AMQP_URL" 5672; }
temporal_host() { echo "${TEMPORAL_ADDRESS%:*}"; }
temporal_port() { echo "${TEMPORAL_ADDRESS##*:}"; }

pg_cluster_version() { ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1; }

# The servers of the test suites (npm test, npm run test:fuzz), in the order test/support/global-setup.ts
# uses: DATABASE_URL / AMQP_URL / TEMPORAL_ADDRESS when the caller set all three; Testcontainers when a
# Docker engine answers; otherwise the local servers of 'npm run setup', started here when they are down.
# Unsets the URLs that only the defaults above filled in, so that global-setup can choose.
use_test_servers() {
  local v
  for v in DATABASE_URL AMQP_URL TEMPORAL_ADDRESS; do
    [[ " ${CALLER_SERVICE_URLS[*]} " == *" $v "* ]] || unset "$v"
  done
  if ((${#CALLER_SERVICE_URLS[@]} < 3)) && ! { command -v docker >/dev/null && docker info >/dev/null 2>&1; }; then
    bash "$ROOT/scripts/services.sh" up >/dev/null
  fi
}
