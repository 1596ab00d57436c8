#!/usr/bin/env bash
# dyndns.sh — how fast wgdiscoverd follows a peer's dynamic-DNS name, and
# how often it asks, on a virtual LAN (tests/lan/lan.sh) with mDNS cut:
# dnsmasq on host 3 serves peer2.test with a TTL of DYNDNS_TTL seconds
# (default 60); host 1 has [Peer h2] Endpoint=peer2.test:51820; host 2
# runs no wgdiscover. DYNDNS_RUNS times (default 3) host 2 moves between
# 10.77.0.2 and 10.77.0.12 and its record with it, at a random moment;
# each run prints the time from the record's change until host 1's
# interface holds the new address, against the TTL (the goal: at most
# the TTL, plus a lookup). Then it counts the A queries host 1 sends for
# the unchanged name over DYNDNS_STABLE seconds (default 3 TTLs), as
# queries per hour, against one per TTL (the goal) and one a minute.
# Needs root and dnsmasq.
#
#   WGDISCOVERCTL, WGDISCOVERD  the binaries (default: under build/plain)
set -u

here=$(cd "$(dirname "$0")/.." && pwd)
ctl=${WGDISCOVERCTL:-$here/build/plain/src/ctl/wgdiscoverctl}
daemon=${WGDISCOVERD:-$here/build/plain/src/daemon/wgdiscoverd}
ttl=${DYNDNS_TTL:-60}
runs=${DYNDNS_RUNS:-3}
stable=${DYNDNS_STABLE:-$((3 * ttl))}
source "$here/tests/lan/lan.sh"
command -v dnsmasq >/dev/null || { echo "dnsmasq not found: apt-get install dnsmasq-base" >&2; exit 2; }
lan_bench_up 3 "set WGDISCOVERCTL/WGDISCOVERD" "$ctl" "$daemon"
ctl=$(realpath "$ctl")
daemon=$(realpath "$daemon")
lan_cut_mdns

printf '10.77.0.2 peer2.test\n' > "$w/hosts"
lan_start 3 dnsmasq --keep-in-foreground --no-resolv --no-hosts --no-poll \
  --addn-hosts="$w/hosts" --local=/test/ --local-ttl="$ttl" --listen-address=10.77.0.3 \
  --bind-interfaces --log-queries --log-facility="$w/dnsmasq.log" --pid-file= --user=root
dns_pid=$lan_started
printf 'nameserver 10.77.0.3\n' > "$w/resolv1"
lan_exec 1 mount --bind "$w/resolv1" /etc/resolv.conf
lan_node 1 "$ctl"
lan_node 2 "$ctl"
lan_peer 1 2
lan_peer 2 1
printf '[Peer h2]\nWireGuardKey=%s\nEndpoint=peer2.test:51820\n' "${lan_pub[2]}" >> "$w/conf1"
lan_start 1 "$daemon" --foreground --config "$w/conf1" --state-dir "$w/state1" >> "$w/log1" 2>&1

# until_endpoint ADDRESS LIMIT: waits for host 1 to hold it.
until_endpoint() {
  local deadline=$((SECONDS + $2))
  while ((SECONDS < deadline)); do
    [[ $(lan_endpoint 1 2) == "$1:51820" ]] && return 0
    sleep 0.1
  done
  return 1
}
until_endpoint 10.77.0.2 30 || { echo "host 1 never resolved peer2.test" >&2; tail "$w/log1" >&2; exit 1; }

echo "following a moved name (TTL $ttl s, $runs runs):"
from=10.77.0.2
for run in $(seq "$runs"); do
  [[ $from == 10.77.0.2 ]] && to=10.77.0.12 || to=10.77.0.2
  sleep $((RANDOM % ttl))
  lan_exec 2 ip addr del "$from/24" dev eth0
  lan_exec 2 ip addr add "$to/24" dev eth0
  # Host 2 forgets host 1's endpoint: nothing it sends makes host 1's
  # WireGuard roam, so only the name tells host 1 (as tests/lan/test-dyndns.sh).
  lan_exec 2 wg set wg0 peer "${lan_pub[1]}" remove
  lan_peer 2 1
  printf '%s peer2.test\n' "$to" > "$w/hosts"
  kill -HUP "$dns_pid"
  t0=$(date +%s.%N)
  if until_endpoint "$to" $((ttl + 60)); then
    awk -v run="$run" -v from="$from" -v to="$to" -v t0="$t0" -v t1="$(date +%s.%N)" -v ttl="$ttl" \
      'BEGIN { printf "  run %d: %s -> %s in %.1f s (%.2f x TTL)\n", run, from, to, t1 - t0, (t1 - t0) / ttl }'
  else
    echo "  run $run: $from -> $to not followed within $((ttl + 60)) s"
  fi
  from=$to
done

before=$(grep -c 'query\[A\] peer2.test' "$w/dnsmasq.log")
sleep "$stable"
count=$(( $(grep -c 'query\[A\] peer2.test' "$w/dnsmasq.log") - before ))
per_hour=$((count * 3600 / stable))
echo "queries for an unchanged name: $count A queries in $stable s = $per_hour an hour"
awk -v q="$per_hour" -v ttl="$ttl" 'BEGIN {
  printf "  against one per TTL: %d an hour (ratio %.2f); one a minute would be 60\n", 3600 / ttl, q * ttl / 3600 }'
