#!/usr/bin/env bash
# One idempotent setup on a fresh Debian machine (root, package registries only).
# Every step prints what it does and how long it took; a failing step names itself and says what to do.
set -Eeuo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

SETUP_START=$SECONDS
CURRENT_STEP=""
declare -A STEP_HINTS=(
  [npm]="check network access to the npm registry, then run 'npm run setup' again"
  [apt]="check that 'apt-get update' reaches Debian's mirrors, or point DATABASE_URL and AMQP_URL at running servers"
  [postgres]="see /var/log/postgresql/ for the server log, or point DATABASE_URL at a running Postgres"
  [rabbitmq]="see /var/log/rabbitmq/ for the server log, or point AMQP_URL at a running RabbitMQ"
  [temporal-cli]="needs Go and the Go module proxy; delete .tools/bin/temporal and retry"
  [test-server]="needs Java and Maven Central; delete .tools/test-server and retry"
  [jaeger]="needs Go and the Go module proxy; delete .tools/bin/jaeger and retry"
  [fuzz-tools]="needs python3 (3.10+) with venv and PyPI; delete .tools/venv and retry"
  [prisma]="run 'npm run prisma:generate' to see the generator's own error"
  [migrate]="run 'npm run migrate' to see the applier's error; DATABASE_URL=$DATABASE_URL"
  [secret]="check that .env at the project root is writable"
)
trap 'rc=$?; [[ -n $CURRENT_STEP ]] && printf "\033[31mxx  setup step \"%s\" failed (exit %s): %s\033[0m\n" "$CURRENT_STEP" "$rc" "${STEP_HINTS[$CURRENT_STEP]:-see the output above}" >&2' ERR

step() {
  local name=$1 desc=$2
  shift 2
  CURRENT_STEP=$name
  log "[$name] $desc"
  local t0=$SECONDS
  "$@"
  printf '    [%s] done in %ss\n' "$name" $((SECONDS - t0))
  CURRENT_STEP=""
}

npm_install() {
  local stamp=node_modules/.setup-lock-sha want
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
    echo "    node_modules matches package-lock.json: skipped"
    return
  fi
  npm ci --no-audit --no-fund
  echo "$want" >"$stamp"
}

apt_updated=""
apt_install() {
  [[ -n $apt_updated ]] || { apt-get update -qq && apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

debian_packages() {
  local want=()
  if ! port_open "$(pg_host)" "$(pg_port)" || is_local_host "$(pg_host)"; then
    command -v pg_ctlcluster >/dev/null || want+=(postgresql)
  fi
  if ! port_open "$(amqp_host)" "$(amqp_port)" || is_local_host "$(amqp_host)"; then
    command -v rabbitmq-server >/dev/null || want+=(rabbitmq-server)
  fi
  command -v promtool >/dev/null || want+=(prometheus)
  if ((${#want[@]} == 0)); then
    echo "    postgresql, rabbitmq-server, prometheus already installed: skipped"
    return
  fi
  echo "    apt-get install ${want[*]}"
  apt_install "${want[@]}"
  # The Debian prometheus package starts nothing without systemd; make sure no stray server holds :9090.
  pkill -x prometheus 2>/dev/null || true
}

postgres_role_and_db() {
  if ! is_local_host "$(pg_host)"; then
    echo "    DATABASE_URL points at $(pg_host): using it as is"
    return
  fi
  bash "$ROOT/scripts/services.sh" up postgres
  bash "$ROOT/scripts/pg-bootstrap.sh"
}

rabbitmq_ready() {
  if ! is_local_host "$(amqp_host)"; then
    echo "    AMQP_URL points at $(amqp_host): using it as is"
    return
  fi
  bash "$ROOT/scripts/services.sh" up rabbitmq
}

temporal_cli() {
  local stamp="$TOOLS/bin/.temporal-version"
  if [[ -x $TEMPORAL_BIN && -f $stamp && $(cat "$stamp") == "$TEMPORAL_CLI_VERSION" ]]; then
    echo "    temporal $TEMPORAL_CLI_VERSION ($("$TEMPORAL_BIN" --version | head -1)): skipped"
    return
  fi
  command -v go >/dev/null || die "Go is not installed (apt-get install golang-go, or a Go toolchain on PATH)"
  echo "    go install github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION (cold: ~4-5 min, cached: ~15 s)"
  CGO_ENABLED=0 GOBIN="$TOOLS/bin" go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION"
  echo "$TEMPORAL_CLI_VERSION" >"$stamp"
}

test_server() {
  local dir="$TOOLS/test-server"
  if [[ -x $TEST_SERVER_BIN ]] && ls "$dir/lib/temporal-test-server-$TEMPORAL_TEST_SERVER_VERSION"*.jar >/dev/null 2>&1; then
    echo "    $TEST_SERVER_BIN: skipped"
    return
  fi
  command -v java >/dev/null || die "Java is not installed (apt-get install default-jre-headless)"
  command -v mvn >/dev/null || apt_install maven
  rm -rf "$dir/lib"
  mkdir -p "$dir"
  mvn -q -B -f "$ROOT/temporal/test-server/pom.xml" dependency:copy-dependencies -DoutputDirectory="$dir/lib"
  # sdk-core spawns this with the port as its only argument; exec so the JVM dies with it.
  cat >"$TEST_SERVER_BIN" <<EOF
#!/bin/sh
exec java -Xshare:auto -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$dir/lib/*" io.temporal.testserver.TestServer "\$@"
EOF
  chmod +x "$TEST_SERVER_BIN"
}

jaeger() {
  if [[ -x $JAEGER_BIN ]]; then
    echo "    $JAEGER_BIN: skipped"
    return
  fi
  command -v go >/dev/null || die "Go is not installed"
  echo "    go install tool (observability/jaeger/go.mod pins jaeger v1.76.0; cold: ~4 min, cached: ~15 s)"
  (cd "$ROOT/observability/jaeger" && CGO_ENABLED=0 GOBIN="$TOOLS/bin" go install tool)
}

# schemathesis for npm run test:fuzz, in a venv of its own; redone when the requirements change.
fuzz_tools() {
  local venv="$TOOLS/venv" req="$ROOT/test/fuzz/requirements.txt" stamp want
  stamp="$venv/.requirements-sha"
  want=$(sha256sum "$req" | cut -d' ' -f1)
  if [[ -x $venv/bin/schemathesis && -f $stamp && $(cat "$stamp") == "$want" ]]; then
    echo "    $($venv/bin/schemathesis --version 2>/dev/null | head -1): skipped"
    return
  fi
  if ! python3 -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    apt_install python3 python3-venv
  fi
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
  echo "$want" >"$stamp"
}

prisma_generate() { bash "$ROOT/scripts/prisma-generate.sh"; }
migrate() { npx tsx "$ROOT/scripts/migrate.ts"; }

mkdir -p "$TOOLS/bin" "$DATA"
step npm "npm ci (skipped when node_modules matches package-lock.json)" npm_install
step secret "random AUTH_JWT_SECRET in .env (kept when there is one)" bash "$ROOT/scripts/jwt-secret.sh"
step apt "Debian packages: postgresql, rabbitmq-server, prometheus" debian_packages
step postgres "Postgres running; role and database of DATABASE_URL" postgres_role_and_db
step rabbitmq "RabbitMQ running" rabbitmq_ready
# The two Go builds are the long part of a cold setup; they run side by side.
if [[ ! -x $TEMPORAL_BIN || ! -x $JAEGER_BIN ]]; then
  log "[go-builds] Temporal CLI and Jaeger build in parallel"
  (step jaeger "Jaeger all-in-one into .tools/bin" jaeger) &
  jaeger_pid=$!
  step temporal-cli "Temporal CLI $TEMPORAL_CLI_VERSION into .tools/bin" temporal_cli
  wait "$jaeger_pid" || die "setup step \"jaeger\" failed: ${STEP_HINTS[jaeger]}"
else
  step temporal-cli "Temporal CLI $TEMPORAL_CLI_VERSION into .tools/bin" temporal_cli
  step jaeger "Jaeger all-in-one into .tools/bin" jaeger
fi
step test-server "Temporal Java time-skipping test server into .tools/test-server" test_server
step fuzz-tools "schemathesis (test/fuzz/requirements.txt) into .tools/venv" fuzz_tools
step prisma "Prisma client generation" prisma_generate
step migrate "Database migrations" migrate
trap - ERR
log "setup finished in $((SECONDS - SETUP_START))s. Next: 'npm start' (or 'npm test')."
