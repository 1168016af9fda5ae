# Sourced by the benchmark scripts: a temp folder and the network namespaces they make, both
# removed on exit. Never touches the host's own namespace.
#   TMP      a temporary folder
#   make_ns NAME   a namespace with lo up and a veth pair a0/b0 (10.99.0.1/24 and .2 on them,
#                  fd00:99::1/64 on a0)

TMP=$(mktemp -d)
NSS=()

cleanup() {
  for ns in "${NSS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

make_ns() {
  local ns=$1
  ip netns add "$ns"
  NSS+=("$ns")
  ip -n "$ns" link set lo up
  ip -n "$ns" link add a0 type veth peer name b0
  ip -n "$ns" link set a0 up
  ip -n "$ns" link set b0 up
  ip -n "$ns" addr add 10.99.0.1/24 dev a0
  ip -n "$ns" addr add 10.99.0.2/24 dev b0
  ip -n "$ns" addr add fd00:99::1/64 dev a0 nodad
}
