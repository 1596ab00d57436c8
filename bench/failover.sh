#!/usr/bin/env bash
# failover.sh — how long wgdiscoverd takes to abandon an endpoint that
# gets no handshake, on a virtual LAN of two hosts (tests/lan/lan.sh).
# Host 2 has two LAN addresses, 10.77.0.2 (chosen first) and 10.77.0.22;
# before the daemons start, the path to the first one is broken:
#
#   black hole   host 2 drops what comes to 10.77.0.2 (nft input rule):
#                host 1's WireGuard sends, and counts, handshakes that
#                are never answered
#   local drop   host 1 drops what it sends to 10.77.0.2 (nft output
#                rule): sending fails locally, and WireGuard counts
#                nothing sent
#
# Host 1 wants a session (PersistentKeepalive=25, and a ping running).
# Each case prints the time from host 1's interface holding 10.77.0.2
# until it has a session with host 2 at another address, and which one,
# against two of WireGuard's handshake attempts (it retries every 5 s, REKEY_TIMEOUT: 10 s; the goal is at
# most 12 s). FAILOVER_RUNS (default 1) runs of each. Needs root.
#
#   WGDISCOVERCTL, WGDISCOVERD  the binaries (default: under build/plain)
set -u

here=$(cd "$(dirname "$0")/.." && pwd)
ctl=${WGDISCOVERCTL:-$here/build/plain/src/ctl/wgdiscoverctl}
daemon=${WGDISCOVERD:-$here/build/plain/src/daemon/wgdiscoverd}
runs=${FAILOVER_RUNS:-1}
limit=${FAILOVER_LIMIT:-120}
source "$here/tests/lan/lan.sh"

for bin in "$ctl" "$daemon"; do
  [[ -x $bin ]] || { echo "$bin not found: build first, or set WGDISCOVERCTL/WGDISCOVERD" >&2; exit 2; }
done
command -v nft >/dev/null || { echo "nft not found: apt-get install nftables" >&2; exit 2; }
ctl=$(realpath "$ctl")
daemon=$(realpath "$daemon")
trap lan_down EXIT
reference=10

now() { date +%s.%N; }
# first_endpoint: waits until host 1 holds an endpoint for host 2; prints it.
first_endpoint() {
  local e deadline=$((SECONDS + 30))
  while ((SECONDS < deadline)); do
    e=$(lan_endpoint 1 2)
    [[ -n $e && $e != "(none)" ]] && { echo "$e"; return 0; }
    sleep 0.05
  done
  return 1
}

# drop HOST HOOK: HOST drops UDP to 10.77.0.2:51820 in HOOK.
drop() {
  lan_exec "$1" nft add table inet failover &&
    lan_exec "$1" nft add chain inet failover "$2" "{ type filter hook $2 priority 0 ; }" &&
    lan_exec "$1" nft add rule inet failover "$2" ip daddr 10.77.0.2 udp dport 51820 drop
}

# moved: host 1 left 10.77.0.2 and has a handshake with host 2. That may
# be at 10.77.0.22, or over IPv6: with the black hole, host 2's own
# handshakes leave from 10.77.0.2 and host 1's answers are lost, so host
# 2's daemon abandons host 1's IPv4 address in turn.
moved() {
  local e
  e=$(lan_endpoint 1 2)
  [[ -n $e && $e != 10.77.0.2:51820 && $e != "(none)" ]] &&
    [[ $(lan_exec 1 wg show wg0 latest-handshakes | awk -v k="${lan_pub[2]}" '$1 == k { print $2 }') != 0 ]]
}

# run CASE: one run on a new LAN; prints the seconds and the endpoint
# reached, or why none.
run() {
  local kind=$1 t0 t1 e pid1 pid2
  lan_up 2 >/dev/null || { echo "the virtual LAN did not come up"; return 1; }
  lan_node 1 "$ctl" && lan_node 2 "$ctl" && lan_peer 1 2 && lan_peer 2 1 ||
    { echo "the hosts could not be set up"; lan_down; return 1; }
  printf '[Interface wg0]\nPersistentKeepalive=25\n' > "$lan_dir/conf1"
  lan_exec 2 ip addr add 10.77.0.22/24 dev eth0
  case $kind in
    black-hole) drop 2 input ;;
    local-drop) drop 1 output ;;
  esac
  lan_start 2 "$daemon" --foreground --config "$lan_dir/conf2" --state-dir "$lan_dir/state2" \
    > "$lan_dir/log2" 2>&1
  pid2=$lan_started
  lan_start 1 "$daemon" --foreground --config "$lan_dir/conf1" --state-dir "$lan_dir/state1" \
    > "$lan_dir/log1" 2>&1
  pid1=$lan_started
  lan_start 1 ping -i 0.5 -q 10.78.0.2 > /dev/null 2>&1
  e=$(first_endpoint) || { echo "no endpoint within 30 s"; lan_down; return 1; }
  t0=$(now)
  if [[ $e != 10.77.0.2:51820 ]]; then
    echo "chose $e first, not the broken 10.77.0.2:51820"
    lan_down
    return 1
  fi
  until moved; do
    if awk -v a="$t0" -v b="$(now)" -v l="$limit" 'BEGIN { exit !(b - a > l) }'; then
      echo "still 10.77.0.2 after ${limit} s"
      lan_down
      return 1
    fi
    sleep 0.05
  done
  t1=$(now)
  awk -v a="$t0" -v b="$t1" -v e="$(lan_endpoint 1 2)" 'BEGIN { printf "%.1f %s\n", b - a, e }'
  kill "$pid1" "$pid2" 2>/dev/null
  lan_down
}

echo "failover from a broken LAN address to a session at another (reference: two of WireGuard's"
echo "handshake attempts, 5 s apart = ${reference} s; goal: at most 12 s)"
status=0
for kind in black-hole local-drop; do
  for ((r = 1; r <= runs; r++)); do
    result=$(run "$kind")
    if [[ $result =~ ^([0-9.]+)\ (.*)$ ]]; then
      ratio=$(awk -v s="${BASH_REMATCH[1]}" -v r="$reference" 'BEGIN { printf "%.2f", s / r }')
      printf '%-10s run %d: %5s s to %s (ratio %s against %d s)\n' "$kind" "$r" \
        "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "$ratio" "$reference"
    else
      printf '%-10s run %d: %s\n' "$kind" "$r" "$result"
      status=1
    fi
  done
done
exit $status
