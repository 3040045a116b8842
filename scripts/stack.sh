#!/usr/bin/env bash
# make stack: Temporal server on Postgres (built from source, outside Herald's
# module), its Web UI, Herald's gateway (with a worker) and a second worker as
# separate processes (HERALD_STACK_SPLIT=1: a gateway without one, two workers).
# Logs and pid files under .data/stack/. `scripts/stack.sh down` stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
gobin=$(go env GOPATH)/bin
state=.data/stack
server_version=v1.32.1
ui_version=v2.42.1
shards=${HERALD_STACK_SHARDS:-4}
pguser=${PGUSER:-postgres}
mkdir -p "$state"
# shellcheck source=scripts/secret-keys.sh
. scripts/secret-keys.sh "$state/secret-keys"

stop() {
  for f in "$state"/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$f"
  done
}
if [ "${1:-up}" = "down" ]; then stop; echo "stack stopped."; exit 0; fi

# 1. Binaries (first time only: a few minutes each).
if [ ! -x "$gobin/temporal-server" ]; then
  echo "building the Temporal server $server_version (about 8 minutes, once) ..."
  tmp=$(mktemp -d)
  GOBIN=$tmp go install go.temporal.io/server/cmd/server@$server_version
  GOBIN=$tmp go install go.temporal.io/server/cmd/tools/sql@$server_version
  mv "$tmp/server" "$gobin/temporal-server"
  mv "$tmp/sql" "$gobin/temporal-sql-tool"
fi
if [ ! -x "$gobin/temporal-sql-tool" ]; then
  tmp=$(mktemp -d)
  GOBIN=$tmp go install go.temporal.io/server/cmd/tools/sql@$server_version
  mv "$tmp/sql" "$gobin/temporal-sql-tool"
fi
if [ ! -x "$gobin/temporal-ui-server" ]; then
  echo "building the Temporal UI server $ui_version ..."
  tmp=$(mktemp -d)
  GOBIN=$tmp go install github.com/temporalio/ui-server/v2/cmd/server@$ui_version
  mv "$tmp/server" "$gobin/temporal-ui-server"
fi
make -s build temporal-cli postgres

# 2. Temporal's databases and schema (idempotent: update-schema applies what is missing).
schema=$(go env GOMODCACHE)/go.temporal.io/server@$server_version/schema/postgresql/v12
if [ ! -d "$schema" ]; then
  go mod download go.temporal.io/server@$server_version >/dev/null
fi
sqltool=("$gobin/temporal-sql-tool" --plugin postgres12 --ep 127.0.0.1 -p 5432 -u "$pguser")
for db in temporal temporal_visibility; do
  "${sqltool[@]}" --db "$db" create-database >/dev/null 2>&1 || true
done
"${sqltool[@]}" --db temporal setup-schema -v 0.0 >/dev/null 2>&1 || true
"${sqltool[@]}" --db temporal update-schema -d "$schema/temporal/versioned" >"$state/schema.log" 2>&1
"${sqltool[@]}" --db temporal_visibility setup-schema -v 0.0 >/dev/null 2>&1 || true
"${sqltool[@]}" --db temporal_visibility update-schema -d "$schema/visibility/versioned" >>"$state/schema.log" 2>&1

# 3. Connection budget (DEPLOY.md, "Postgres connections"): every pool is
# sized so that all of them full stay under max_connections:
#   max_connections - superuser_reserved - spare
#     >= 4 Temporal services x (main + visibility) + 3 Herald processes x HERALD_DB_MAX_CONNS
psql_q() { psql -h 127.0.0.1 -U "$pguser" -d postgres -Atc "$1"; }
max_conns=$(psql_q "SHOW max_connections")
reserved=$(psql_q "SHOW superuser_reserved_connections")
spare=10 # migrations, the CLI, psql, a benchmark's own pool
avail=$((max_conns - reserved - spare))
herald_procs=2 temporal_services=4
[ -n "${HERALD_STACK_SPLIT:-}" ] && herald_procs=3
herald_conns=${HERALD_DB_MAX_CONNS:-$((avail / 4 / herald_procs))}
[ "$herald_conns" -gt 10 ] && [ -z "${HERALD_DB_MAX_CONNS:-}" ] && herald_conns=10
left=$((avail - herald_procs * herald_conns))
main_conns=$((left * 3 / 4 / temporal_services)); [ "$main_conns" -gt 20 ] && main_conns=20
vis_conns=$((left / 4 / temporal_services)); [ "$vis_conns" -gt 10 ] && vis_conns=10
if [ "$herald_conns" -lt 2 ] || [ "$main_conns" -lt 4 ] || [ "$vis_conns" -lt 2 ]; then
  echo "Postgres allows $max_conns connections: too few for this stack (raise max_connections to 100 or more)" >&2
  exit 1
fi
export HERALD_DB_MAX_CONNS=$herald_conns
budget="max_connections $max_conns: Temporal $temporal_services x ($main_conns + $vis_conns), Herald $herald_procs x $herald_conns, $reserved reserved, $((avail - temporal_services * (main_conns + vis_conns) - herald_procs * herald_conns + spare)) spare"

# 4. Temporal server.
stop
sed -e "s|@SHARDS@|$shards|" -e "s|@PGUSER@|$pguser|" -e "s|@ROOT@|$root|" \
  -e "s|@MAIN_CONNS@|$main_conns|" -e "s|@VIS_CONNS@|$vis_conns|" deploy/temporal/stack.yaml.tmpl >"$state/temporal.yaml"
start_temporal() {
  "$gobin/temporal-server" --config-file "$state/temporal.yaml" --allow-no-auth start >>"$state/temporal.log" 2>&1 &
  echo $! >"$state/temporal.pid"
  for _ in $(seq 1 90); do
    if "$gobin/temporal" operator cluster health --address "$HERALD_TEMPORAL_ADDRESS" >/dev/null 2>&1; then return 0; fi
    kill -0 "$(cat "$state/temporal.pid")" 2>/dev/null || { echo "the Temporal server exited; see $state/temporal.log" >&2; exit 1; }
    sleep 1
  done
}
export HERALD_TEMPORAL_ADDRESS=127.0.0.1:7233
: >"$state/temporal.log"
start_temporal
"$gobin/temporal" operator namespace describe --address "$HERALD_TEMPORAL_ADDRESS" -n default >/dev/null 2>&1 ||
  "$gobin/temporal" operator namespace create --address "$HERALD_TEMPORAL_ADDRESS" -n default --retention 72h >/dev/null
# A new namespace takes a few seconds to reach every service.
for i in $(seq 1 30); do
  bin/herald temporal setup -o json >"$state/setup.json" 2>"$state/setup.log" && break
  [ "$i" = 30 ] && { cat "$state/setup.log" >&2; exit 1; }
  sleep 1
done
# The server reads search attributes from a cache it refreshes every minute
# (the dev server's forced refresh on every read costs a metadata query per
# start and per visibility write; dynamicconfig.yaml leaves it off). Search
# attributes added just now reach every service at once after a restart.
if ! grep -q '"added": *\[\]' "$state/setup.json"; then
  echo "registered Herald's search attributes: $(tr -d '\n ' <"$state/setup.json"); restarting the Temporal server so every service sees them"
  kill "$(cat "$state/temporal.pid")"
  for _ in $(seq 1 100); do kill -0 "$(cat "$state/temporal.pid")" 2>/dev/null || break; sleep 0.1; done
  start_temporal
fi

# 5. Web UI.
"$gobin/temporal-ui-server" --root "$root/deploy/temporal" --config ui --env stack start >"$state/ui.log" 2>&1 &
echo $! >"$state/ui.pid"

# 6. Herald: a gateway that runs a worker too, so that new events start
# eagerly on it (no trip through matching), and a second worker. DEPLOY.md
# says when to run gateways without workers instead (HERALD_STACK_SPLIT=1).
export HERALD_DATABASE_URL=${HERALD_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/herald_stack?sslmode=disable}
export HERALD_LOG_FORMAT=json
bin/herald migrate >/dev/null
if [ -n "${HERALD_STACK_SPLIT:-}" ]; then
  gateway_mode=(serve) gateway_desc="gateway (no worker)"
else
  gateway_mode=(serve --with-worker) gateway_desc="gateway with a worker (events start eagerly on it)"
fi
HERALD_LISTEN=${HERALD_LISTEN:-127.0.0.1:8080} HERALD_METRICS_LISTEN=${HERALD_METRICS_LISTEN:-127.0.0.1:9463} bin/herald "${gateway_mode[@]}" >"$state/gateway.log" 2>&1 &
echo $! >"$state/gateway.pid"
workers=(1)
[ -n "${HERALD_STACK_SPLIT:-}" ] && workers=(1 2)
for i in "${workers[@]}"; do
  HERALD_METRICS_LISTEN=127.0.0.1:946$((3 + i)) bin/herald worker >"$state/worker$i.log" 2>&1 &
  echo $! >"$state/worker$i.pid"
done
for _ in $(seq 1 30); do curl -fs "http://${HERALD_LISTEN:-127.0.0.1:8080}/readyz" >/dev/null 2>&1 && break; sleep 1; done

cat <<MSG

  Herald gateway   http://${HERALD_LISTEN:-127.0.0.1:8080}, $gateway_desc   (database $HERALD_DATABASE_URL)
  Herald workers   ${#workers[@]} more, metrics at http://127.0.0.1:9464/metrics$([ ${#workers[@]} = 2 ] && echo " and http://127.0.0.1:9465/metrics")
  Temporal server  $HERALD_TEMPORAL_ADDRESS   ($shards history shards, Postgres persistence and visibility)
  Postgres pools   $budget
  Temporal Web UI  http://127.0.0.1:8233
  Logs and pids    $state/
  Stop:            make stack-down

MSG
