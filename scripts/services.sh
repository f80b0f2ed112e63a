#!/usr/bin/env bash
# npm run services -- up|down|status [postgres|rabbitmq|temporal|jaeger ...]
# Starts the local servers without systemd, reports them, and stops only what 'up' started.
set -Eeuo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MARKS="$DATA/services"
mkdir -p "$MARKS"
ALL=(postgres rabbitmq temporal jaeger)

mark() { echo "${2:-started}" >"$MARKS/$1.started"; }
marked() { [[ -f $MARKS/$1.started ]]; }
unmark() { rm -f "$MARKS/$1.started"; }

address() {
  case $1 in
    postgres) echo "$(pg_host):$(pg_port)" ;;
    rabbitmq) echo "$(amqp_host):$(amqp_port)" ;;
    temporal) echo "$TEMPORAL_ADDRESS (Web UI http://$(temporal_host):$TEMPORAL_UI_PORT)" ;;
    jaeger) echo "OTLP 127.0.0.1:4317 (gRPC) / 127.0.0.1:4318 (HTTP), query $JAEGER_QUERY_URL" ;;
  esac
}

is_up() {
  case $1 in
    postgres) port_open "$(pg_host)" "$(pg_port)" ;;
    rabbitmq) port_open "$(amqp_host)" "$(amqp_port)" ;;
    temporal) port_open "$(temporal_host)" "$(temporal_port)" ;;
    jaeger) port_open 127.0.0.1 16686 && port_open 127.0.0.1 4318 ;;
  esac
}

up_postgres() {
  is_local_host "$(pg_host)" || die "postgres: DATABASE_URL points at $(pg_host), not this machine; start it there"
  local ver
  ver=$(pg_cluster_version)
  [[ -n $ver ]] || die "postgres: not installed; run 'npm run setup'"
  if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -q "^$ver main$"; then
    pg_createcluster "$ver" main >/dev/null
  fi
  local conf="/etc/postgresql/$ver/main/conf.d/inventory.conf"
  if [[ ! -f $conf ]]; then
    # Tests open several pools at once (4 reserving processes, workers, the relay).
    printf "max_connections = 300\nport = %s\n" "$(pg_port)" >"$conf"
  fi
  pg_ctlcluster "$ver" main start
  mark postgres
  wait_port postgres "$(pg_host)" "$(pg_port)" 60
}

up_rabbitmq() {
  is_local_host "$(amqp_host)" || die "rabbitmq: AMQP_URL points at $(amqp_host), not this machine; start it there"
  command -v rabbitmq-server >/dev/null || die "rabbitmq: not installed; run 'npm run setup'"
  # The management plugin ships with the server: its HTTP API (:15672) serves the tests' per-file vhosts,
  # queue depths for metrics, and operators.
  rabbitmq-plugins enable --offline rabbitmq_management >/dev/null 2>&1 || warn "rabbitmq: management plugin not enabled"
  rabbitmq-server -detached >/dev/null 2>&1 || true
  mark rabbitmq
  rabbitmqctl wait --timeout 90 "/var/lib/rabbitmq/mnesia/rabbit@$(hostname -s).pid" >/dev/null ||
    die "rabbitmq: did not start; see /var/log/rabbitmq/"
  wait_port rabbitmq "$(amqp_host)" "$(amqp_port)" 60
}

temporal_flags() {
  local line
  while IFS= read -r line; do
    [[ -z $line || $line == \#* ]] && continue
    printf -- '--search-attribute\n%s\n' "$line"
  done <"$ROOT/temporal/search-attributes.txt"
  while IFS= read -r line; do
    [[ -z $line || $line == \#* ]] && continue
    printf -- '--dynamic-config-value\n%s\n' "$line"
  done <"$ROOT/temporal/dynamic-config.txt"
  while IFS= read -r line; do
    [[ -z $line || $line == \#* ]] && continue
    printf -- '--sqlite-pragma\n%s\n' "$line"
  done <"$ROOT/temporal/sqlite-pragmas.txt"
}

up_temporal() {
  is_local_host "$(temporal_host)" || die "temporal: TEMPORAL_ADDRESS points at $(temporal_host), not this machine"
  [[ -x $TEMPORAL_BIN ]] || die "temporal: $TEMPORAL_BIN is missing; run 'npm run setup'"
  local flags
  mapfile -t flags < <(temporal_flags)
  local env_vars
  mapfile -t env_vars < <(grep -v '^\s*\(#\|$\)' "$ROOT/temporal/dev-server.env")
  setsid nohup env "${env_vars[@]}" "$TEMPORAL_BIN" server start-dev --ip "$(temporal_host)" --port "$(temporal_port)" \
    --ui-port "$TEMPORAL_UI_PORT" --db-filename "$DATA/temporal.db" --namespace "$TEMPORAL_NAMESPACE" \
    --log-level warn "${flags[@]}" >"$DATA/temporal.log" 2>&1 </dev/null &
  mark temporal $!
  wait_port temporal "$(temporal_host)" "$(temporal_port)" 60
  local i
  for ((i = 0; i < 300; i++)); do
    "$TEMPORAL_BIN" operator search-attribute list --address "$TEMPORAL_ADDRESS" \
      --namespace "$TEMPORAL_NAMESPACE" 2>/dev/null | grep -q ReservationExpiresAt && return 0
    sleep 0.2
  done
  die "temporal: namespace $TEMPORAL_NAMESPACE or its search attributes not ready; see $DATA/temporal.log"
}

up_jaeger() {
  [[ -x $JAEGER_BIN ]] || die "jaeger: $JAEGER_BIN is missing; run 'npm run setup'"
  setsid nohup "$JAEGER_BIN" >"$DATA/jaeger.log" 2>&1 </dev/null &
  mark jaeger $!
  wait_port jaeger 127.0.0.1 16686 60
  wait_port jaeger 127.0.0.1 4318 60
}

down_one() {
  local name=$1 pid
  if ! marked "$name"; then
    is_up "$name" && echo "    $name: not started by 'services up'; left running"
    return 0
  fi
  case $name in
    postgres) pg_ctlcluster "$(pg_cluster_version)" main stop || true ;;
    rabbitmq) rabbitmqctl stop >/dev/null 2>&1 || true ;;
    temporal | jaeger)
      pid=$(cat "$MARKS/$name.started")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      ;;
  esac
  unmark "$name"
  echo "    $name: stopped"
}

cmd=${1:-status}
shift || true
names=("$@")
((${#names[@]})) || names=("${ALL[@]}")

case $cmd in
  up)
    for n in "${names[@]}"; do
      if is_up "$n"; then
        echo "    $n: already up at $(address "$n")"
        continue
      fi
      t0=$SECONDS
      "up_$n"
      echo "    $n: up at $(address "$n") in $((SECONDS - t0))s"
    done
    ;;
  down)
    for ((i = ${#names[@]} - 1; i >= 0; i--)); do down_one "${names[$i]}"; done
    ;;
  status)
    rc=0
    for n in "${names[@]}"; do
      if is_up "$n"; then state=up; else state=down rc=3; fi
      who=external
      marked "$n" && who="started by services up"
      printf '    %-9s %-5s %s [%s]\n' "$n" "$state" "$(address "$n")" "$who"
    done
    exit $rc
    ;;
  *) die "usage: npm run services -- up|down|status [${ALL[*]}]" ;;
esac
