#!/usr/bin/env bash
# Local infrastructure without Docker: a real Apache Kafka broker (KRaft), PostgreSQL with one
# database per service, and Redis (optional, for the gateway's scale-out).
#
#   infra.sh up       start what is not reachable yet (idempotent)
#   infra.sh down     stop what `up` started; servers that were already running are left alone
#   infra.sh status   one line per component
#
# State lives in .infra/ (git-ignored); the Kafka jars are cached in $ORDERFLOW_CACHE.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/tools/infra"
STATE="$ROOT/.infra"
CACHE="${ORDERFLOW_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/orderflow}"

KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
# A second, private broker (e.g. for the chaos suite): other ports, its own state directory, and
# optionally an advertised port other than the listener (a proxy in front of it).
KAFKA_ADVERTISED_PORT="${KAFKA_ADVERTISED_PORT:-$KAFKA_PORT}"
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$HERE/kafka/pom.xml")"
KAFKA_LIB="$CACHE/kafka-$KAFKA_VERSION/lib"
KAFKA_DIR="${KAFKA_STATE_DIR:-$STATE/kafka}"
PG_HOST="${PGHOST:-127.0.0.1}"
PG_PORT="${PGPORT:-5432}"
PG_USER="${PGUSER:-postgres}"
REDIS_PORT="${REDIS_PORT:-6379}"
DATABASES=(orderflow_order orderflow_inventory orderflow_payment orderflow_shipping orderflow_notification orderflow_gateway)

log() { printf '[infra] %s\n' "$*"; }
die() { printf '[infra] ERROR: %s\n' "$*" >&2; exit 1; }
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_for_port() { # host port seconds what
  local deadline=$((SECONDS + $3))
  until port_open "$1" "$2"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.5
  done
}

# ---------------------------------------------------------------- Kafka
kafka_resolve_jars() {
  [ -f "$KAFKA_LIB/.complete" ] && return 0
  command -v java >/dev/null || die "Java 17+ is required to run Kafka locally (apt-get install openjdk-17-jre-headless), or use the Docker path: docker compose up"
  command -v mvn >/dev/null || die "Maven is required to fetch the Kafka jars (apt-get install maven), or use the Docker path: docker compose up"
  log "resolving Apache Kafka $KAFKA_VERSION from Maven Central into $KAFKA_LIB"
  rm -rf "$KAFKA_LIB" && mkdir -p "$KAFKA_LIB"
  mvn -q -B -f "$HERE/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIB" >"$STATE/kafka-mvn.log" 2>&1 ||
    die "mvn could not resolve the Kafka jars; see $STATE/kafka-mvn.log"
  touch "$KAFKA_LIB/.complete"
}

kafka_java() { java -cp "$KAFKA_LIB/*" -Dlog4j2.configurationFile="$HERE/kafka/log4j2.properties" "$@"; }

kafka_up() {
  if port_open 127.0.0.1 "$KAFKA_PORT"; then log "kafka: already listening on 127.0.0.1:$KAFKA_PORT"; return; fi
  mkdir -p "$KAFKA_DIR"
  kafka_resolve_jars
  sed -e "s#@KAFKA_PORT@#$KAFKA_PORT#g" -e "s#@ADVERTISED_PORT@#$KAFKA_ADVERTISED_PORT#g" -e "s#@CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" \
    -e "s#@DATA_DIR@#$KAFKA_DIR/data#g" "$HERE/kafka/server.properties.template" >"$KAFKA_DIR/server.properties"
  if [ ! -f "$KAFKA_DIR/data/meta.properties" ]; then
    kafka_java kafka.tools.StorageTool format -t "$(kafka_java kafka.tools.StorageTool random-uuid)" \
      -c "$KAFKA_DIR/server.properties" >"$KAFKA_DIR/format.log" 2>&1 || die "kafka storage format failed; see $KAFKA_DIR/format.log"
  fi
  log "kafka: starting $KAFKA_VERSION (KRaft) on 127.0.0.1:$KAFKA_PORT"
  nohup java -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -cp "$KAFKA_LIB/*" -Dlog4j2.configurationFile="$HERE/kafka/log4j2.properties" \
    kafka.Kafka "$KAFKA_DIR/server.properties" >"$KAFKA_DIR/kafka.log" 2>&1 &
  echo $! >"$KAFKA_DIR/kafka.pid"
  wait_for_port 127.0.0.1 "$KAFKA_PORT" 90 || { tail -20 "$KAFKA_DIR/kafka.log" >&2; die "kafka did not open port $KAFKA_PORT within 90s"; }
  log "kafka: ready"
}

kafka_down() {
  local pidfile="$KAFKA_DIR/kafka.pid"
  [ -f "$pidfile" ] || { log "kafka: not started by infra:up"; return; }
  stop_pid "$(cat "$pidfile")" kafka 30
  rm -f "$pidfile"
}

# ---------------------------------------------------------------- PostgreSQL
pg_ready() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT" 2>/dev/null || port_open "$PG_HOST" "$PG_PORT"; }

pg_up() {
  if pg_ready; then
    log "postgres: reachable on $PG_HOST:$PG_PORT"
  elif command -v pg_ctlcluster >/dev/null && [ -n "$(ls /etc/postgresql 2>/dev/null)" ]; then
    local version; version="$(ls /etc/postgresql | sort -V | tail -1)"
    log "postgres: starting the machine's cluster $version/main"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
    touch "$STATE/postgres.started-by-infra"
    wait_for_port "$PG_HOST" "$PG_PORT" 30 || die "postgres did not come up on $PG_PORT"
  else
    pg_private_up
  fi
  pg_create_databases
}

pg_private_up() {
  local bin; bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  [ -x "$bin/initdb" ] || die "PostgreSQL is not reachable on $PG_HOST:$PG_PORT and not installed: apt-get install postgresql, or use the Docker path: docker compose up"
  local dir="$STATE/postgres" run=()
  [ "$(id -u)" = 0 ] && run=(runuser -u postgres --)
  mkdir -p "$dir" && [ "$(id -u)" = 0 ] && chown postgres "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    log "postgres: creating a private instance in $dir"
    "${run[@]}" "$bin/initdb" -D "$dir/data" -U "$PG_USER" --auth=trust >"$dir/initdb.log" 2>&1
  fi
  "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w \
    -o "-p $PG_PORT -k /tmp -c listen_addresses=$PG_HOST" start >/dev/null
  touch "$STATE/postgres.private"
}

pg_create_databases() {
  for db in "${DATABASES[@]}"; do
    if [ "$(psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -tAc "select 1 from pg_database where datname='$db'")" != 1 ]; then
      psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -qc "create database $db" >/dev/null
      log "postgres: created database $db"
    fi
  done
}

pg_down() {
  if [ -f "$STATE/postgres.private" ]; then
    local bin run=(); bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
    [ "$(id -u)" = 0 ] && run=(runuser -u postgres --)
    "${run[@]}" "$bin/pg_ctl" -D "$STATE/postgres/data" -m fast stop >/dev/null && rm -f "$STATE/postgres.private"
    log "postgres: private instance stopped"
  elif [ -f "$STATE/postgres.started-by-infra" ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main stop
    rm -f "$STATE/postgres.started-by-infra"
    log "postgres: stopped"
  else
    log "postgres: left running (it was not started by infra:up)"
  fi
}

# ---------------------------------------------------------------- Redis (optional)
redis_up() {
  if port_open 127.0.0.1 "$REDIS_PORT"; then log "redis: reachable on 127.0.0.1:$REDIS_PORT"; return; fi
  if ! command -v redis-server >/dev/null; then
    log "redis: not installed; the gateway runs single-instance (apt-get install redis-server for scale-out)"
    return
  fi
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --pidfile "$STATE/redis.pid" --logfile "$STATE/redis.log" >/dev/null
  touch "$STATE/redis.started-by-infra"
  wait_for_port 127.0.0.1 "$REDIS_PORT" 15 || die "redis did not come up"
  log "redis: started on 127.0.0.1:$REDIS_PORT"
}

redis_down() {
  [ -f "$STATE/redis.started-by-infra" ] || { log "redis: left running (it was not started by infra:up)"; return; }
  stop_pid "$(cat "$STATE/redis.pid")" redis 10
  rm -f "$STATE/redis.started-by-infra"
}

# ---------------------------------------------------------------- helpers
stop_pid() { # pid name seconds
  local pid=$1 deadline=$((SECONDS + $3))
  kill -0 "$pid" 2>/dev/null || { log "$2: not running"; return 0; }
  kill -TERM "$pid"
  while kill -0 "$pid" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then kill -KILL "$pid"; log "$2: killed after $3s"; return 0; fi
    sleep 0.3
  done
  log "$2: stopped"
}

status() {
  local ok=0
  port_open 127.0.0.1 "$KAFKA_PORT" && log "kafka:    up   127.0.0.1:$KAFKA_PORT" || { log "kafka:    down"; ok=1; }
  pg_ready && log "postgres: up   $PG_HOST:$PG_PORT" || { log "postgres: down"; ok=1; }
  port_open 127.0.0.1 "$REDIS_PORT" && log "redis:    up   127.0.0.1:$REDIS_PORT" || log "redis:    down (optional)"
  return $ok
}

mkdir -p "$STATE"
case "${1:-}" in
  up) pg_up; redis_up; kafka_up ;;
  down) kafka_down; redis_down; pg_down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
