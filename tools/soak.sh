#!/usr/bin/env bash
# Soak test of snapshotd (issue 13): route churn in a namespace this script creates, resolver
# churn in a temp folder, API load against 127.0.0.1, retention every minute. Prints the growth
# of RSS, open descriptors, threads and disk between the end of warm-up (a fifth of the run, at
# least 30 s) and the end, and BENCH lines. Stops by itself and cleans up.
#   tools/soak.sh [--minutes N (10)] [--build DIR (build)]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MINUTES=10
BUILD=$ROOT/build
while (($#)); do
  case $1 in
    --minutes) MINUTES=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    *) echo "usage: tools/soak.sh [--minutes N] [--build DIR]" >&2; exit 2 ;;
  esac
done
[[ $MINUTES =~ ^[0-9]+$ && $MINUTES -ge 1 && $MINUTES -le 1440 ]] ||
  { echo "--minutes takes 1 to 1440" >&2; exit 2; }
BIN=$BUILD/snapshotd/snapshotd
[[ -x $BIN ]] || { echo "no $BIN: build it first" >&2; exit 2; }
[[ $(id -u) == 0 ]] || { echo "run as root (it creates a network namespace)" >&2; exit 2; }

TOTAL=$((MINUTES * 60))
WARMUP=$((TOTAL / 5 > 30 ? TOTAL / 5 : 30))
# nstest-*: what tools/dev removes should a run be killed before its clean-up.
TMP=$(mktemp -d /tmp/nstest-soak.XXXXXX)
NS=nstest-soak-$$
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

ip netns add "$NS"
ip -n "$NS" link add a0 type veth peer name b0
ip -n "$NS" addr add 10.99.0.1/24 dev a0
ip -n "$NS" link set a0 up
ip -n "$NS" link set b0 up
for g in 0 1; do
  for i in $(seq 0 1999); do
    echo "route replace 10.$((i >> 8)).$((i & 255)).0/24 via 10.99.0.$((3 + (i + g) % 5)) dev a0 table 100 proto static"
  done > "$TMP/routes$g"
done
echo "nameserver 192.0.2.1" > "$TMP/resolv.conf"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$TMP/netsnap.toml" <<CONF
[daemon]
data_dir = "$TMP/data"
socket = ""
listen = "127.0.0.1:$PORT"
[retention]
keep_all = "2m"
hourly = "0s"
daily = "0s"
interval = "1m"
[[source]]
name = "k"
kind = "kernel"
netns = "/run/netns/$NS"
tables = [100]
[[source]]
name = "r"
kind = "resolver"
format = "resolv.conf"
path = "$TMP/resolv.conf"
CONF
"$BIN" --config "$TMP/netsnap.toml" --log-level warn 2> "$TMP/daemon.log" &
DAEMON=$!
PIDS+=("$DAEMON")
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$PORT/v1/health" > /dev/null && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$PORT/v1/health" > /dev/null || { echo "snapshotd did not start" >&2; cat "$TMP/daemon.log" >&2; exit 1; }

END=$((SECONDS + TOTAL))
# The load runs 30 s past END, so the last sample is taken under load like the first: when the
# load stopped first, RSS fell by a third as the connections' buffers went back.
LOAD_END=$((END + 30))
( g=0; while ((SECONDS < LOAD_END)); do ip -n "$NS" -batch "$TMP/routes$g" || true; g=$((1 - g)); sleep 0.5; done ) &
PIDS+=($!)
( i=0; while ((SECONDS < LOAD_END)); do echo "nameserver 192.0.2.$((i % 250 + 1))" > "$TMP/resolv.conf.new"
    mv "$TMP/resolv.conf.new" "$TMP/resolv.conf"; i=$((i + 1)); sleep 0.5; done ) &
PIDS+=($!)
( while ((SECONDS < LOAD_END)); do
    for p in /v1/sources /v1/sources/k/versions /v1/events /metrics /v1/sources/r/versions; do
      curl -s --max-time 10 "http://127.0.0.1:$PORT$p" > /dev/null || true
    done
  done ) &
PIDS+=($!)
if command -v wrk > /dev/null; then
  wrk -t1 -c4 -d"$((TOTAL + 30))s" "http://127.0.0.1:$PORT/v1/health" > "$TMP/wrk.txt" 2>&1 &
  PIDS+=($!)
fi

sample() {  # rss_kb fds threads disk_bytes
  local rss thr
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$DAEMON/status")
  thr=$(awk '/^Threads/ {print $2}' "/proc/$DAEMON/status")
  echo "$rss $(ls "/proc/$DAEMON/fd" | wc -l) $thr $(du -sb "$TMP/data" | cut -f1)"
}
sleep "$WARMUP"
read -r rss0 fd0 thr0 disk0 < <(sample)
echo "after warm-up (${WARMUP}s): rss ${rss0} kB, fds $fd0, threads $thr0, disk $disk0 bytes"
# A sample a minute shows whether growth is a trend (a leak) or a climb to a cap (memtables
# until their flush, the block caches).
NEXT=$((SECONDS + 60))
while ((SECONDS < END)); do
  sleep 1
  if ((SECONDS >= NEXT && SECONDS < END)); then
    read -r rss fd thr disk < <(sample)
    echo "at $((SECONDS - END + TOTAL))s: rss ${rss} kB, fds $fd, threads $thr, disk $disk bytes"
    NEXT=$((SECONDS + 60))
  fi
done
kill -0 "$DAEMON" || { echo "snapshotd died" >&2; tail "$TMP/daemon.log" >&2; exit 1; }
read -r rss1 fd1 thr1 disk1 < <(sample)
echo "at the end (${TOTAL}s):    rss ${rss1} kB, fds $fd1, threads $thr1, disk $disk1 bytes"
curl -s "http://127.0.0.1:$PORT/metrics" | grep -E '^netsnap_(retention_runs_total|retention_removed_total|versions_total|commit_failures_total)' || true
[[ -f $TMP/wrk.txt ]] && grep -E "Requests/sec|Latency" "$TMP/wrk.txt" || true
echo "BENCH soak.rss_growth_mb $(awk -v a="$rss0" -v b="$rss1" 'BEGIN {printf "%.1f", (b - a) / 1024}') MB"
echo "BENCH soak.fd_growth $((fd1 - fd0)) fds"
echo "BENCH soak.thread_growth $((thr1 - thr0)) threads"
echo "BENCH soak.disk_growth_mb $(awk -v a="$disk0" -v b="$disk1" 'BEGIN {printf "%.1f", (b - a) / 1048576}') MB"
