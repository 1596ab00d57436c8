#!/bin/sh
# Runs bench/wg-apply against a fresh WireGuard interface in a network
# namespace of its own: wireguard-go (userspace backend) by default, or
# the kernel module with `wg-apply.sh kernel` (inside the QEMU guest:
# tests/vm/run-in-vm bench/wg-apply.sh kernel).
#
#   WG_APPLY       the benchmark binary (default: ./bench/wg-apply)
#   WG_APPLY_PEERS number of peers (default 1000)
set -eu

impl=${1:-wireguard-go}
bin=${WG_APPLY:-./bench/wg-apply}
peers=${WG_APPLY_PEERS:-1000}
ns=wgbench-$$
iface=wgb$$

cleanup() {
  ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  rm -f "/var/run/wireguard/$iface.sock"
}
trap cleanup EXIT INT TERM

ip netns add "$ns"
case $impl in
  kernel) ip -n "$ns" link add "$iface" type wireguard ;;
  wireguard-go)
    command -v wireguard-go >/dev/null || { echo "wireguard-go not found: apt-get install wireguard-go" >&2; exit 2; }
    ip netns exec "$ns" wireguard-go "$iface"
    ;;
  *) echo "usage: $0 [wireguard-go|kernel]" >&2; exit 2 ;;
esac
ip netns exec "$ns" "$bin" "$iface" "$peers"
