#!/usr/bin/env bash
# Automated restore benchmark (issue 7): time from deleting 30% of a 100,000-route table in a
# network namespace to the table being whole again, p50 and p99 over repeated runs.
#   tools/bench_restore.sh [BUILD_DIR] [bench_restore options: --runs N --routes N ...]
# Needs root; creates and deletes its own namespace.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD=${1:-$ROOT/build-release}
shift || true
if [[ ! -x $BUILD/tools/bench_restore ]]; then
  ninja -C "$BUILD" tools/bench_restore >&2
fi
exec "$BUILD/tools/bench_restore" --runs "${RUNS:-10}" "$@"
