#!/usr/bin/env bash
# Capture benchmarks of the kernel source, in network namespaces this script creates and removes:
#   tools/bench_capture.sh [BUILD_DIR]        (default build-release)
# - re-dump + canonicalise + compare of a 500k-route table vs `ip route save` of it (ratio);
# - first capture of that table;
# - latency from a single route change to its delivery, p50/p99 over 1,000 changes;
# - memory holding a 1M-route capture vs its canonical size.
# Sizes can be lowered for a quick run: ROUTES_DUMP=50000 ROUTES_RSS=100000 LAT_N=200.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD=${1:-$ROOT/build-release}
BENCH=$BUILD/tools/bench_capture
GEN=$BUILD/tools/gen_routes
ROUTES_DUMP=${ROUTES_DUMP:-500000}
ROUTES_RSS=${ROUTES_RSS:-1000000}
LAT_N=${LAT_N:-1000}
# shellcheck source=tools/bench_netns.sh
source "$ROOT/tools/bench_netns.sh"

# gen N FILE: an Internet-like IPv4 table in the main table, as ip -batch lines.
gen() {
  if [[ -x $GEN ]]; then
    "$GEN" --routes "$1" --tables 1 --dev a0 --seed 7 >"$2"
  else
    awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++)
      printf "route add %d.%d.%d.0/24 via 10.99.0.%d dev a0\n", 11 + int(i / 65536), int(i / 256) % 256, i % 256, 3 + i % 8 }' >"$2"
  fi
}

now() { date +%s.%N; }

echo "# dump vs ip route save, ${ROUTES_DUMP} routes"
NS1=benchcap-$$-a
make_ns "$NS1"
gen "$ROUTES_DUMP" "$TMP/dump.batch"
t0=$(now)
ip -n "$NS1" -batch "$TMP/dump.batch" >/dev/null
echo "loaded $(wc -l <"$TMP/dump.batch") routes with ip -batch in $(echo "$(now) - $t0" | bc) s"

best_save=999
for _ in 1 2 3; do
  t0=$(now)
  ip -n "$NS1" route save table all >"$TMP/save.bin"
  t=$(echo "$(now) - $t0" | bc)
  best_save=$(echo "if ($t < $best_save) $t else $best_save" | bc)
done
echo "ip route save: ${best_save} s (best of 3), $(stat -c %s "$TMP/save.bin") bytes"

out=$("$BENCH" dump "$NS1" 3)
echo "$out" | grep -v '^REDUMP_S'
redump=$(echo "$out" | awk '/^REDUMP_S/ { print $2 }')
first=$(echo "$out" | awk '/capture.first_capture_500k_s/ { print $3 }')
echo "BENCH capture.vs_ip_route_save_500k $(echo "scale=3; $redump / $best_save" | bc) ratio"
# The store is not part of this measurement yet: the figure is the first capture alone.
echo "BENCH capture.first_store_500k_s ${first} s"

echo "# latency, ${LAT_N} single changes"
"$BENCH" latency "$NS1" "$LAT_N"
ip netns del "$NS1"

echo "# memory, ${ROUTES_RSS} routes"
NS2=benchcap-$$-b
make_ns "$NS2"
gen "$ROUTES_RSS" "$TMP/rss.batch"
ip -n "$NS2" -batch "$TMP/rss.batch" >/dev/null
"$BENCH" rss "$NS2"
