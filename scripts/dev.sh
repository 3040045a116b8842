#!/usr/bin/env bash
# make dev: Temporal dev server (with its Web UI and Herald's search
# attributes, persisted in .data/), Herald's database and migrations, then the
# gateway and a worker in one process. Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."

temporal=${TEMPORAL:-$(go env GOPATH)/bin/temporal}
temporal_port=${HERALD_DEV_TEMPORAL_PORT:-7233}
ui_port=${HERALD_DEV_UI_PORT:-8233}
# The dev server's HTTP API and metrics get fixed ports (it picks random
# ones otherwise), so Herald knows them as its own: no delivery may reach them.
http_port=${HERALD_DEV_HTTP_PORT:-$((temporal_port + 10))}
metrics_port=${HERALD_DEV_METRICS_PORT:-$((temporal_port + 1001))}
export HERALD_TEMPORAL_ADDRESS=${HERALD_TEMPORAL_ADDRESS:-127.0.0.1:$temporal_port}
export HERALD_TEMPORAL_UI_URL=${HERALD_TEMPORAL_UI_URL:-http://127.0.0.1:$ui_port}
export HERALD_SELF_ADDRESSES=${HERALD_SELF_ADDRESSES:-127.0.0.1:$http_port,127.0.0.1:$metrics_port}
export HERALD_DATABASE_URL=${HERALD_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/herald?sslmode=disable}
export HERALD_LISTEN=${HERALD_LISTEN:-127.0.0.1:8080}
mkdir -p .data
# shellcheck source=scripts/secret-keys.sh
. scripts/secret-keys.sh .data/secret-keys

pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "stopped."
}
# Ctrl-C (or a TERM) is how make dev is meant to end: stop everything and
# exit 0. Anything else that ends the script stops what it started too.
trap 'cleanup; exit 0' INT TERM
trap cleanup EXIT

codec_args=()
if [ -n "${HERALD_PAYLOAD_KEY:-}" ] && [ -n "${HERALD_CODEC_KEY:-}" ]; then
  # The Web UI decrypts payloads through the gateway's codec endpoint.
  codec_args=(--ui-codec-endpoint "http://$HERALD_LISTEN/codec/$HERALD_CODEC_KEY")
fi

search_attributes=()
for sa in $(bin/herald temporal search-attributes); do
  search_attributes+=(--search-attribute "$sa")
done

echo "starting the Temporal dev server (logs: .data/temporal.log) ..."
"$temporal" server start-dev \
  --ip 127.0.0.1 --port "$temporal_port" --ui-port "$ui_port" \
  --http-port "$http_port" --metrics-port "$metrics_port" \
  --db-filename .data/temporal.db \
  --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal \
  --dynamic-config-value system.forceSearchAttributesCacheRefreshOnRead=false \
  "${search_attributes[@]}" "${codec_args[@]}" \
  --log-level warn >.data/temporal.log 2>&1 &
pids+=($!)

for _ in $(seq 1 60); do
  if "$temporal" operator cluster health --address "$HERALD_TEMPORAL_ADDRESS" >/dev/null 2>&1; then break; fi
  if ! kill -0 "${pids[0]}" 2>/dev/null; then echo "the Temporal dev server exited; see .data/temporal.log" >&2; exit 1; fi
  sleep 1
done

bin/herald migrate

cat <<MSG

  Herald gateway   http://$HERALD_LISTEN   (API under /v1)
  API reference    http://$HERALD_LISTEN/docs/api   (OpenAPI: /v1/openapi.json)
  Temporal Web UI  $HERALD_TEMPORAL_UI_URL
  Temporal server  $HERALD_TEMPORAL_ADDRESS
  Database         $HERALD_DATABASE_URL

  Bootstrap:  bin/herald teams create my-team -o json
              bin/herald keys create --team <id> --scopes ingest,manage -o json
  Ctrl-C stops everything.

MSG

bin/herald dev &
pids+=($!)
wait -n "${pids[@]}"
