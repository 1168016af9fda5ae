#!/usr/bin/env bash
# Rollback benchmarks (issue 6), in network namespaces this script creates and removes; never
# the host's own tables:   tools/bench_rollback.sh [BUILD_DIR]        (default build-release)
# (a) a 500,000-route table, 1,000 routes deleted and 1,000 overwritten: our rollback
#     (RollbackManager::Submit, in-process daemon, kernel source) vs
#     `ip route flush table T; ip route restore < saved`                      (speedup ratio)
# (b) the same table wiped: our full rollback (force + reason) vs `ip route restore` (time ratio,
#     peak RSS of each)
# (c) dry-run plan back to a stored 1,000,000-route version, live state in a namespace (ms)
# Sizes can be lowered for a quick run: ROUTES=50000 ROUTES_DRY=100000. Each step is bounded by
# STEP_TIMEOUT seconds (default 600).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD=${1:-$ROOT/build-release}
BENCH=$BUILD/tools/bench_rollback
ROUTES=${ROUTES:-500000}
ROUTES_DRY=${ROUTES_DRY:-1000000}
STEP_TIMEOUT=${STEP_TIMEOUT:-600}
TABLE=100
# shellcheck source=tools/bench_netns.sh
source "$ROOT/tools/bench_netns.sh"

[[ -x $BENCH ]] || { echo "no $BENCH: build it first (ninja -C $BUILD tools/bench_rollback)" >&2; exit 1; }

bounded() { timeout --kill-after=10 "$STEP_TIMEOUT" "$@"; }
now() { date +%s.%N; }
routes_in() { ip -n "$1" route show table "$TABLE" | wc -l; }

NS=benchrb-$$-a
make_ns "$NS"
echo "# (a) ${ROUTES} routes in table ${TABLE}, 1,000 deleted + 1,000 overwritten"
bounded "$BENCH" load "$NS" "$ROUTES" "$TABLE" "$TMP/damage.batch"
ip -n "$NS" route save table "$TABLE" >"$TMP/saved.bin"
echo "saved table ${TABLE}: $(routes_in "$NS") routes, $(stat -c %s "$TMP/saved.bin") bytes"

bounded ip -n "$NS" -batch "$TMP/damage.batch"
t0=$(now)
bounded ip -n "$NS" route flush table "$TABLE"
t1=$(now)
bounded ip -n "$NS" route restore <"$TMP/saved.bin"
t2=$(now)
flush_s=$(echo "$t1 - $t0" | bc)
restore_s=$(echo "$t2 - $t1" | bc)
flush_restore_s=$(echo "$t2 - $t0" | bc)
echo "ip route flush table ${TABLE}; ip route restore: ${flush_restore_s} s (flush ${flush_s} s, restore ${restore_s} s), $(routes_in "$NS") routes after"

rc=0
out=$(bounded "$BENCH" rollback "$NS" "$TMP/data" "$TMP/damage.batch" "$TABLE") || rc=$?
echo "$out" | grep -v -e '^PARTIAL_MS' -e '^FULL_MS'
((rc == 0)) || { echo "bench_rollback rollback failed ($rc)" >&2; exit 1; }
partial_ms=$(echo "$out" | awk '/^PARTIAL_MS/ { print $2 }')
full_ms=$(echo "$out" | awk '/^FULL_MS/ { print $2 }')
echo "our rollback: ${partial_ms} ms vs ${flush_restore_s} s for ip flush + restore"
echo "BENCH rollback.speedup_vs_flush_restore_500k $(echo "scale=1; $flush_restore_s * 1000 / $partial_ms" | bc) ratio"

echo "# (b) table ${TABLE} wiped: ip route restore of the saved table"
bounded ip -n "$NS" route flush table "$TABLE"
bounded /usr/bin/time -f "%e %M" -o "$TMP/time.txt" ip -n "$NS" route restore <"$TMP/saved.bin"
read -r ip_restore_s ip_restore_kb <"$TMP/time.txt"
echo "ip route restore: ${ip_restore_s} s, peak RSS $((ip_restore_kb / 1024)) MB, $(routes_in "$NS") routes after"
echo "our full rollback: ${full_ms} ms vs ${ip_restore_s} s for ip route restore"
echo "BENCH rollback.full_vs_ip_restore_500k $(echo "scale=3; $full_ms / 1000 / $ip_restore_s" | bc) ratio"
echo "BENCH rollback.ip_restore_rss_mb $((ip_restore_kb / 1024)) MB"
ip netns del "$NS"

echo "# (c) dry-run plan, ${ROUTES_DRY} routes (live in a namespace, target a stored version)"
NS2=benchrb-$$-b
make_ns "$NS2"
bounded "$BENCH" dryrun "$NS2" "$TMP/data2" "$ROUTES_DRY" "$TABLE"
