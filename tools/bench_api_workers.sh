#!/usr/bin/env bash
# API worker-pool benchmarks (issue 13, item 4), in a network namespace this script creates and
# removes; never the host's own tables:   tools/bench_api_workers.sh [BUILD_DIR] (build-release)
# (a) /v1/health latency (a request every 2 ms) while a full rollback of ROUTES routes (default
#     500,000) runs in the real snapshotd: a kernel source on table 100 of the namespace records
#     the table, the table is flushed, and the rollback back to it (force + reason) is timed.
#       BENCH api.health_p99_during_rollback_ms
# (b) a whole 100,000-route version over HTTP (streamed) against the old in-memory build, and
# (c) the same for a BIG_ROUTES-route version (default 1,000,000), with the peak RSS growth of
#     one response and the header page p99 while four clients fetch it (bench_api_workers fetch).
#       BENCH api.version_100k_ms (over HTTP), api.version_100k_server_ms, api.version_100k_old_build_ms
#             and their ratios, api.version_1m_peak_rss_mb,
#             api.header_p99_during_version_fetch_ms
# Each step is bounded by STEP_TIMEOUT seconds (default 600).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD=${1:-$ROOT/build-release}
ROUTES=${ROUTES:-500000}
BIG_ROUTES=${BIG_ROUTES:-1000000}
STEP_TIMEOUT=${STEP_TIMEOUT:-600}
TABLE=100
# shellcheck source=tools/bench_netns.sh
source "$ROOT/tools/bench_netns.sh"

for exe in snapshotd/snapshotd tools/bench_api_workers tools/seed_store tools/bench_rollback; do
  [[ -x $BUILD/$exe ]] || { echo "no $BUILD/$exe: build it first (ninja -C $BUILD all-tools snapshotd/snapshotd)" >&2; exit 1; }
done
bounded() { timeout --kill-after=10 "$STEP_TIMEOUT" "$@"; }
now() { date +%s.%N; }

DAEMON_PID=
stop_daemon() {
  if [[ -n $DAEMON_PID ]]; then kill "$DAEMON_PID" 2>/dev/null || true; wait "$DAEMON_PID" 2>/dev/null || true; fi
  DAEMON_PID=
}
trap 'stop_daemon; cleanup' EXIT

# latest_version: "RECORDS VERSION" of source k's newest version ("-1 0" before the first).
latest_version() {
  curl -fsS "http://127.0.0.1:$PORT/v1/sources/k/versions?limit=1" | python3 -c '
import json, sys
v = json.load(sys.stdin)["versions"]
print(v[0]["records"], v[0]["version"]) if v else print(-1, 0)'
}
# wait_records OP N: waits (bounded) until the newest version of k has -ge/-eq N records; prints
# its number.
wait_records() {
  local deadline=$((SECONDS + STEP_TIMEOUT)) got
  while ((SECONDS < deadline)); do
    got=$(latest_version 2>/dev/null || echo "-1 0")
    if [ "${got% *}" "$1" "$2" ]; then echo "${got#* }"; return 0; fi
    sleep 0.5
  done
  echo "bench_api_workers: source k never reached $1 $2 records (last: $got)" >&2; tail -5 "$TMP/snapshotd.log" | cut -c1-300 >&2; exit 1
}

echo "# (a) /v1/health during a full rollback of ${ROUTES} routes (table ${TABLE})"
NS=benchapi-$$
make_ns "$NS"
bounded "$BUILD/tools/bench_rollback" load "$NS" "$ROUTES" "$TABLE" "$TMP/damage.batch" >/dev/null
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$TMP/snapshotd.toml" <<CONF
[daemon]
data_dir = "$TMP/data"
listen = "127.0.0.1:$PORT"
socket = ""
allow_loopback_operator = true

[[source]]
name = "k"
kind = "kernel"
netns = "/run/netns/$NS"
tables = [$TABLE]
resync_s = 0
CONF
"$BUILD/snapshotd/snapshotd" --config "$TMP/snapshotd.toml" >"$TMP/snapshotd.log" 2>&1 &
DAEMON_PID=$!
GOOD=$(wait_records -ge "$ROUTES")
bounded ip -n "$NS" route flush table "$TABLE"
wait_records -lt "$ROUTES" >/dev/null  # a few routes the flush leaves stay
"$BUILD/tools/bench_api_workers" probe "$PORT" /v1/health "$TMP/stop" >"$TMP/probe.txt" &
PROBE_PID=$!
t0=$(now)
bounded curl -fsS -X POST -H 'Content-Type: application/json' \
  -d "{\"to\":$GOOD,\"force\":true,\"reason\":\"bench\"}" \
  "http://127.0.0.1:$PORT/v1/sources/k/rollbacks" >"$TMP/rollback.json"
t1=$(now)
touch "$TMP/stop"
wait "$PROBE_PID" || { echo "bench_api_workers: health requests failed during the rollback" >&2; }
state=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["state"])' "$TMP/rollback.json")
echo "rollback: $state in $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}') s; table ${TABLE} now has $(ip -n "$NS" route show table "$TABLE" | wc -l) routes"
head -1 "$TMP/probe.txt"
echo "BENCH api.health_p99_during_rollback_ms $(awk '/^P99/ {print $2}' "$TMP/probe.txt") ms"
echo "BENCH api.health_max_during_rollback_ms $(awk '/^MAX/ {print $2}' "$TMP/probe.txt") ms"
stop_daemon

echo "# (b) a whole 100,000-route version"
bounded "$BUILD/tools/seed_store" "$TMP/seed100k" 1000 100000 >/dev/null
bounded "$BUILD/tools/bench_api_workers" fetch "$TMP/seed100k"

echo "# (c) a whole ${BIG_ROUTES}-route version"
bounded "$BUILD/tools/seed_store" "$TMP/seedbig" 1000 "$BIG_ROUTES" >/dev/null
bounded "$BUILD/tools/bench_api_workers" fetch "$TMP/seedbig" | tee "$TMP/big.txt"
echo "BENCH api.header_p99_during_version_fetch_ms $(awk '/^BENCH api.header_p99_during_version_fetch_/ {print $3}' "$TMP/big.txt") ms"
