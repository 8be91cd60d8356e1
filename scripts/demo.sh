#!/usr/bin/env bash
# `make demo`: Postgres and Redis (started by the Makefile), then the simulator, api, scheduler and two
# workers; creates the two demo Tokopedia accounts, connects the demo TikTok Shop shop through the simulated
# consent page, syncs them, prints where to look, and runs until Ctrl-C.
# Every address and secret below can be overridden from the environment.
set -euo pipefail
cd "$(dirname "$0")/.."

export OCEAN_API_ADDR="${OCEAN_API_ADDR:-127.0.0.1:8080}"
export OCEAN_SIM_ADDR="${OCEAN_SIM_ADDR:-127.0.0.1:8090}"
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/ocean_sync}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/}"
export OCEAN_QUEUE_NAME="${OCEAN_QUEUE_NAME:-ocean:demo:sync-accounts}"
export OCEAN_TOKOPEDIA_BASE_URL="${OCEAN_TOKOPEDIA_BASE_URL:-http://$OCEAN_SIM_ADDR}"
export OCEAN_TOKOPEDIA_AUTH_URL="${OCEAN_TOKOPEDIA_AUTH_URL:-http://$OCEAN_SIM_ADDR/token}"
# The simulator's TikTok Shop hosts and its demo app (the consent page redirects back at once).
export OCEAN_TIKTOK_SHOP_API_BASE_URL="${OCEAN_TIKTOK_SHOP_API_BASE_URL:-http://$OCEAN_SIM_ADDR/tiktok-shop/api}"
export OCEAN_TIKTOK_SHOP_AUTH_BASE_URL="${OCEAN_TIKTOK_SHOP_AUTH_BASE_URL:-http://$OCEAN_SIM_ADDR/tiktok-shop/auth}"
export OCEAN_TIKTOK_SHOP_AUTHORIZE_URL="${OCEAN_TIKTOK_SHOP_AUTHORIZE_URL:-http://$OCEAN_SIM_ADDR/tiktok-shop/auth/open/authorize}"
export OCEAN_TIKTOK_SHOP_SERVICE_ID="${OCEAN_TIKTOK_SHOP_SERVICE_ID:-7312000000000000001}"
export OCEAN_TIKTOK_SHOP_APP_KEY="${OCEAN_TIKTOK_SHOP_APP_KEY:-6demotiktokapp}"
# Demo-only secrets: never use these outside a demo.
export OCEAN_ADMIN_TOKEN="${OCEAN_ADMIN_TOKEN:-demo-admin-token-not-for-production}"
export OCEAN_ENCRYPTION_KEYS="${OCEAN_ENCRYPTION_KEYS:-demo:ZGVtby1vbmx5LWtleS1kby1ub3QtdXNlLWluLXByb2Q=}"
export OCEAN_TIKTOK_SHOP_APP_SECRET="${OCEAN_TIKTOK_SHOP_APP_SECRET:-demo-tiktok-secret}"
export OCEAN_API_URL="http://$OCEAN_API_ADDR" OCEAN_API_TOKEN="$OCEAN_ADMIN_TOKEN"
export RUST_LOG="${RUST_LOG:-info,sqlx=warn}"

LOGS=.demo/logs
BIN=target/debug
mkdir -p "$LOGS"
pids=()

stop_all() {
    trap - INT TERM EXIT
    if ((${#pids[@]})); then
        echo; echo "stopping Ocean Sync..."
        kill -TERM "${pids[@]}" 2>/dev/null || true
        wait "${pids[@]}" 2>/dev/null || true
    fi
}
# Ctrl-C is how the demo is meant to end: stop everything and exit cleanly (no "a process exited").
trap 'stop_all; exit 0' INT TERM
trap stop_all EXIT

for addr in "$OCEAN_API_ADDR" "$OCEAN_SIM_ADDR"; do
    if { exec 3<>"/dev/tcp/${addr%:*}/${addr##*:}"; } 2>/dev/null; then
        exec 3<&-
        echo "error: $addr is already in use (another demo running?). Stop it or set OCEAN_API_ADDR / OCEAN_SIM_ADDR." >&2
        exit 1
    fi
done

echo "building..."
cargo build --quiet --workspace --bins --locked

# Each process in its own session: Ctrl-C reaches only this script (and make), which stops them in order;
# otherwise they would get the terminal's SIGINT too, and one exiting first looks like a crash.
start() {
    local name=$1; shift
    setsid "$@" >"$LOGS/$name.log" 2>&1 &
    pids+=($!)
}

# GET http://host:port/path answers 200 (plain bash, no curl needed).
http_ok() {
    local host=${1%:*} port=${1##*:}
    { exec 3<>"/dev/tcp/$host/$port"; } 2>/dev/null || return 1
    printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$2" "$host" >&3
    local status
    read -r _ status _ <&3 || true
    exec 3<&-
    [[ "$status" == "200" ]]
}

wait_ready() {
    for _ in $(seq 1 150); do
        http_ok "$1" "$2" && return 0
        sleep 0.2
    done
    echo "error: http://$1$2 did not answer; see $LOGS/" >&2
    exit 1
}

"$BIN/ocean-api" migrate
start sim "$BIN/ocean-sim"
start api "$BIN/ocean-api" serve
start scheduler "$BIN/ocean-scheduler"
HOSTNAME=worker-1 OCEAN_METRICS_ADDR=127.0.0.1:9103 start worker-1 "$BIN/ocean-worker"
HOSTNAME=worker-2 OCEAN_METRICS_ADDR=127.0.0.1:9104 start worker-2 "$BIN/ocean-worker"
wait_ready "$OCEAN_API_ADDR" /readyz

"$BIN/oceanctl" demo-seed

cat <<INFO

Ocean Sync is running (simulator, api, scheduler, 2 workers). Press Ctrl-C to stop.
  Console      http://$OCEAN_API_ADDR/   (sign in with the token below)
  API          http://$OCEAN_API_ADDR/api/integrations/tokopedia/accounts
               http://$OCEAN_API_ADDR/api/integrations/tiktok-shop/accounts
  Token        $OCEAN_ADMIN_TOKEN   (demo only)
  Try          curl -H "Authorization: Bearer $OCEAN_ADMIN_TOKEN" http://$OCEAN_API_ADDR/api/integrations/tokopedia/accounts
  Accounts     OCEAN_API_TOKEN=$OCEAN_ADMIN_TOKEN $BIN/oceanctl accounts
  Sync all     OCEAN_API_TOKEN=$OCEAN_ADMIN_TOKEN $BIN/oceanctl sync-all
  Simulator    http://$OCEAN_SIM_ADDR/sim/stats
  Metrics      http://127.0.0.1:9101/metrics (api), :9102 (scheduler), :9103 and :9104 (workers)
  Logs         $LOGS/
INFO

wait -n "${pids[@]}" || true
echo "a process exited; see $LOGS/" >&2
