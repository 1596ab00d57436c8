#!/usr/bin/env bash
# test-dyndns.sh — a peer configured by host name ([Peer NAME] Endpoint=)
# on a virtual LAN (tests/lan/lan.sh) with mDNS cut and a real DNS server:
# dnsmasq on h3, authoritative for .test with a TTL of 5 s, is h1's only
# server (its own /etc/resolv.conf, in its own mount namespace). h2 runs
# no wgdiscover at all. h1 resolves h2's name and pings it over
# WireGuard; h2 moves to another address and its record follows: h1
# follows without a restart, within the TTL's floor (30 s) and a bound;
# the name stops resolving (NXDOMAIN), found at once since h1's network
# changed: h1 keeps the last address, says so once, and the tunnel
# still works; a dual-stack name gives the IPv4 address first; STATUS=
# shows the name; a handshake gone stale while sending resolves early; the endpoint dropped from the configuration, h1
# forgets the peer. Prints TAP; needs root and dnsmasq.

srcdir=${srcdir:-.}
ctl=${WGDISCOVERCTL:?WGDISCOVERCTL names wgdiscoverctl}
daemon=${WGDISCOVERD:?WGDISCOVERD names wgdiscoverd}
command -v dnsmasq >/dev/null || { echo "1..0 # SKIP dnsmasq is missing (tools/deps: dnsmasq-base)"; exit 0; }
source "$srcdir/tests/lan/lan.sh"
source "$srcdir/tests/lan/tap.sh"

tap_lan_up 3
w=$lan_dir
echo "1..13"
lan_cut_mdns

# dnsmasq answers only for .test, from its hosts file, and refuses
# recursion: nothing leaves the LAN.
printf '10.77.0.2 peer2.test\n' > "$w/hosts"
# dns_start TTL: dnsmasq on h3, its records with that TTL.
dns_start() {
  lan_start 3 dnsmasq --keep-in-foreground --no-resolv --no-hosts --no-poll \
    --addn-hosts="$w/hosts" --local=/test/ --local-ttl="$1" --listen-address=10.77.0.3 \
    --bind-interfaces --log-queries --log-facility="$w/dnsmasq.log" --pid-file= --user=root
  dns_pid=$lan_started
}
dns_start 5
printf 'nameserver 10.77.0.3\n' > "$w/resolv1"
lan_exec 1 mount --bind "$w/resolv1" /etc/resolv.conf
dns_reload() { printf '%s\n' "$@" > "$w/hosts"; kill -HUP "$dns_pid"; }
within 10 "lan_exec 1 getent hosts peer2.test | grep -q 10.77.0.2"

lan_node 1 "$ctl"
lan_node 2 "$ctl"
lan_peer 1 2
lan_peer 2 1
printf '[Peer h2]\nWireGuardKey=%s\nEndpoint=peer2.test:51820\n' "${lan_pub[2]}" >> "$w/conf1"
# h1's daemon reports to a notify socket, as under systemd's Type=notify.
notify_listen "$w/notify" "$w/notify.log"
trap 'kill $notify_pid 2>/dev/null; lan_down' EXIT
NOTIFY_SOCKET=$w/notify G_MESSAGES_DEBUG=wgdiscoverd lan_start 1 "$daemon" --foreground --config "$w/conf1" \
  --state-dir "$w/state1" >> "$w/log1" 2>&1
daemon_pid=$lan_started

check_show "h1 sets h2's endpoint from its name" \
  "within 20 '[[ \$(lan_endpoint 1 2) == 10.77.0.2:51820 ]]'" "$w/log1"
check_show "and says what the name resolved to, with its TTL" \
  "grep -q 'peer h2 (.*): peer2.test:51820 resolved to 10.77.0.2:51820 (TTL 5 s' '$w/log1'" "$w/log1"
check "h1 pings h2 over WireGuard (h2 runs no wgdiscover)" \
  "within 10 'lan_exec 1 ping -c 1 -W 1 10.78.0.2 >/dev/null'"
lan_exec 1 "$ctl" peer h2 > "$w/peer" 2>&1
check_show "wgdiscoverctl peer shows the name, what it resolved to and the TTL, trust none" \
  "grep -q '^ConfiguredEndpoint: *peer2.test:51820 (10.77.0.2:51820; TTL 5 s)' '$w/peer' &&
   grep -q '^Trust: *none' '$w/peer' && grep -q '^SigningKey: *-\?$' '$w/peer'" "$w/peer"

check_show "STATUS= names the endpoint by name, what it resolved to and the TTL" \
  "within 10 'grep \"^STATUS=\" \"$w/notify.log\" | tail -n 1 |
     grep -qF \"names: peer2.test:51820 (10.77.0.2:51820; TTL 5 s)\"'" "$w/notify.log"

# h2 moves; its name follows.
# (Deleting a primary address takes the secondary ones of its subnet
# with it: the old goes first.)
lan_exec 2 ip addr del 10.77.0.2/24 dev eth0
lan_exec 2 ip addr add 10.77.0.12/24 dev eth0
# h2 forgets where h1 is, so that nothing it sends from its new address
# makes h1's WireGuard roam there: only the name can tell h1.
lan_exec 2 wg set wg0 peer "${lan_pub[1]}" remove
lan_peer 2 1
dns_reload '10.77.0.12 peer2.test'
moved_at=$SECONDS
check_show "h2 moved and its name with it: h1 follows within 45 s, without a restart" \
  "within 45 '[[ \$(lan_endpoint 1 2) == 10.77.0.12:51820 ]]' &&
   grep -q 'endpoint 10.77.0.2:51820 -> 10.77.0.12:51820 (configured address)' '$w/log1'" "$w/log1"
echo "# the endpoint followed the DNS change after $((SECONDS - moved_at)) s (TTL 5 s, floor 30 s)"
check "h1 pings h2 at its new address" "within 15 'lan_exec 1 ping -c 1 -W 1 10.78.0.2 >/dev/null'"

# The name goes away: the last address stays. h1's network changes
# (an address comes): it resolves at once, not at the TTL.
dns_reload ''
lan_exec 1 ip addr add 10.77.0.41/24 dev eth0
check_show "h1's network changed: it resolves at once; the name is gone: h1 says so and keeps 10.77.0.12" \
  "within 10 'grep -q \"peer2.test.*keeping 10.77.0.12:51820\" \"$w/log1\"' &&
   [[ \$(lan_endpoint 1 2) == 10.77.0.12:51820 ]]" "$w/log1"
check "the tunnel still works" "within 10 'lan_exec 1 ping -c 1 -W 1 10.78.0.2 >/dev/null'"

# Back, dual-stack: A and AAAA; IPv4 is taken first when both work.
lan_exec 2 ip addr add 10.77.0.2/24 dev eth0
dns_reload 'fd77::2 peer2.test' '10.77.0.2 peer2.test'
lan_exec 1 ip addr del 10.77.0.41/24 dev eth0
check_show "a dual-stack name: h1 says it resolves again, with both addresses, and takes IPv4" \
  "within 15 'grep -q \"peer2.test resolves again\" \"$w/log1\"' &&
   within 10 'grep -q \"resolved to 10.77.0.2:51820, \\[fd77::2\\]:51820\" \"$w/log1\"' &&
   within 15 '[[ \$(lan_endpoint 1 2) == 10.77.0.2:51820 ]]'" "$w/log1"
queries=$(grep -c 'query\[A\] peer2.test' "$w/dnsmasq.log")
echo "# dnsmasq answered $queries A queries for peer2.test in $SECONDS s"
check "h1 queried per TTL floor, not in a loop (at most 20 A queries)" "[[ $queries -le 20 ]]"

# A stale handshake while sending resolves the name early, not at its
# TTL: the record says an hour, and points nowhere; h1's WireGuard loses
# its session (the peer removed and added again); the record is put
# right while h1 sends.
kill "$dns_pid"
wait "$dns_pid" 2>/dev/null
printf '10.77.0.99 peer2.test\n' > "$w/hosts"
dns_start 3600
within 10 "lan_exec 3 ss -lun | grep -q '10.77.0.3:53 '" || echo "# dnsmasq did not come back"
lan_exec 1 wg set wg0 peer "${lan_pub[2]}" remove
lan_peer 1 2
lan_exec 1 ip addr add 10.77.0.42/24 dev eth0
lan_start 1 ping -q -i 0.5 -W 1 10.78.0.2
ping_pid=$lan_started
within 20 "[[ \$(lan_endpoint 1 2) == 10.77.0.99:51820 ]]" ||
  echo "# h1 did not take the record's new address: $(lan_endpoint 1 2)"
# An address event that comes while a lookup is out asks for one more:
# the record is put right only once h1 has stopped asking.
a_queries() { grep -c 'query\[A\] peer2.test' "$w/dnsmasq.log"; }
asked_no_more() { local before; before=$(a_queries); sleep 2; [[ $(a_queries) == "$before" ]]; }
within 20 asked_no_more || echo "# h1 kept asking for peer2.test"
dns_reload '10.77.0.2 peer2.test'
stale_at=$SECONDS
check_show "no handshake while h1 sends: it resolves early (TTL 1 h), within 60 s, and follows" \
  "within 60 '[[ \$(lan_endpoint 1 2) == 10.77.0.2:51820 ]]' &&
   grep -q 'no handshake while sending; resolving peer2.test again' '$w/log1'" "$w/log1"
echo "# followed $((SECONDS - stale_at)) s after the record was put right (its TTL 3600 s)"
kill "$ping_pid" 2>/dev/null
lan_exec 1 ip addr del 10.77.0.42/24 dev eth0

# The endpoint leaves the configuration: h1 forgets the peer it knew
# only from there, and leaves WireGuard's endpoint as it is.
printf '[Interface wg0]\n' > "$w/conf1"
kill -HUP "$daemon_pid"
check_show "its endpoint dropped and reloaded: h1 forgets h2, WireGuard keeps 10.77.0.2:51820" \
  "within 10 '! lan_exec 1 \"$ctl\" peer h2 >/dev/null 2>&1' &&
   ! lan_exec 1 \"$ctl\" peers | grep -q '${lan_pub[2]}' &&
   [[ \$(lan_endpoint 1 2) == 10.77.0.2:51820 ]]" "$w/log1"
kill "$daemon_pid"
wait "$daemon_pid" 2>/dev/null
