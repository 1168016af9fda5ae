#!/usr/bin/env bash
# API benchmark: wrk against the API over a store of 100,000 versions.
#
#   tools/bench_api.sh BUILD_DIR
#
# Prints:
#   BENCH api.header_rps_tcp_token    a page of 50 version headers over TCP with a bearer token,
#                                     requests a second (wrk, 2 threads, 32 connections)
#   BENCH api.header_rps_socket       the same page over the Unix socket (bench_api_load, 32
#                                     keep-alive connections; wrk cannot speak to a socket)
#   BENCH api.versions_page_rps       = api.header_rps_tcp_token (the older name)
#   BENCH api.versions_page_p99_ms    its p99 latency
#   BENCH api.version_100k_p99_ms     p99 of one version of a 100,000-route table (JSON)
#   BENCH api.p99_during_capture_ms   p99 of the header page while 500,000-route captures run
# Environment: BENCH_SECONDS (default 10), BENCH_VERSIONS (100000), BENCH_CAPTURE_ROUTES (500000).
set -euo pipefail

BUILD=${1:?usage: tools/bench_api.sh BUILD_DIR}
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
VERSIONS=${BENCH_VERSIONS:-100000}
CAPTURE_ROUTES=${BENCH_CAPTURE_ROUTES:-500000}
SEED=$BUILD/tools/seed_store
SERVER=$BUILD/tools/bench_api_server
LOAD=$BUILD/tools/bench_api_load
command -v wrk >/dev/null || { echo "bench_api: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
[[ -x $SEED && -x $SERVER && -x $LOAD ]] || { echo "bench_api: build $SEED, $SERVER and $LOAD first" >&2; exit 1; }

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [[ -n $SERVER_PID ]]; then exec 3>&-; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

log() { printf '[bench_api] %s\n' "$*" >&2; }

# start_server [CAPTURE_ROUTES]: runs the server with stdin on fd 3 (closing it stops it).
start_server() {
  mkfifo "$WORK/in"
  "$SERVER" "$WORK/data" "$@" <"$WORK/in" >"$WORK/out" 2>"$WORK/server.log" &
  SERVER_PID=$!
  exec 3>"$WORK/in"
  rm -f "$WORK/in"
  for _ in $(seq 600); do
    PORT=$(awk '/^PORT/ {print $2}' "$WORK/out" 2>/dev/null)
    TOKEN=$(awk '/^TOKEN/ {print $2}' "$WORK/out" 2>/dev/null)
    SOCKET=$(awk '/^SOCKET/ {print $2}' "$WORK/out" 2>/dev/null)
    [[ -n $PORT ]] && return 0
    sleep 0.1
  done
  echo "bench_api: the server did not start" >&2; cat "$WORK/server.log" >&2; exit 1
}

stop_server() {
  exec 3>&-
  wait "$SERVER_PID" || true
  SERVER_PID=
}

# to_ms VALUE: wrk's "850.00us" / "1.23ms" / "1.02s" in milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
    else printf "%s", v }'
}

# run_wrk THREADS CONNECTIONS PATH: leaves wrk's report in $WORK/wrk.txt.
run_wrk() {
  wrk -t"$1" -c"$2" -d"${SECONDS_PER_RUN}s" --latency -H "Authorization: Bearer $TOKEN" \
    "http://127.0.0.1:$PORT$3" >"$WORK/wrk.txt"
  if grep -q "Non-2xx" "$WORK/wrk.txt"; then
    echo "bench_api: non-2xx answers for $3" >&2; cat "$WORK/wrk.txt" >&2; exit 1
  fi
}
rps() { awk '/^Requests\/sec/ {printf "%.0f", $2}' "$WORK/wrk.txt"; }
p99() { to_ms "$(awk '$1 == "99%" {print $2}' "$WORK/wrk.txt")"; }

log "seeding $VERSIONS versions and a 100,000-route table"
"$SEED" "$WORK/data" "$VERSIONS" 100000 >&2

start_server
PAGE="/v1/sources/main/versions?limit=50"
curl -fsS -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$PAGE" >/dev/null
run_wrk 2 32 "$PAGE"
echo "BENCH api.header_rps_tcp_token $(rps) rps"
echo "BENCH api.versions_page_rps $(rps) req/s"
echo "BENCH api.versions_page_p99_ms $(p99) ms"
curl -fsS --unix-socket "$SOCKET" "http://localhost$PAGE" >/dev/null
SOCKET_RUN=$("$LOAD" "$SOCKET" "$PAGE" 32 "$SECONDS_PER_RUN")
echo "BENCH api.header_rps_socket $(awk '/^RPS/ {print $2}' <<<"$SOCKET_RUN") rps"

BIG="/v1/sources/big/versions/latest"
log "one version of the 100,000-route table: $(curl -fsS -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$BIG" | wc -c) bytes"
run_wrk 1 2 "$BIG"
echo "BENCH api.version_100k_p99_ms $(p99) ms"
echo "BENCH api.version_100k_rps $(rps) req/s"
stop_server

log "header page while $CAPTURE_ROUTES-route captures run"
start_server "$CAPTURE_ROUTES"
sleep 2
run_wrk 2 32 "$PAGE"
echo "BENCH api.p99_during_capture_ms $(p99) ms"
echo "BENCH api.versions_page_rps_during_capture $(rps) req/s"
stop_server
grep captures "$WORK/server.log" >&2 || true
