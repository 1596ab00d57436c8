#!/usr/bin/env bash
# test-wan-lab.sh — the virtual internet of tests/lan/wan.sh holds what
# the NAT tests rely on, and the NAT trap is what it is said to be.
#
# Routed: hosts on both LANs reach the server and each other; mDNS does
# not cross (a1 sees a service published on a2, not one on b1).
# Behind NATs: the server sees each LAN from its gateway's outside
# address; two wireguard-go hosts given each other's outside
# address:port, keepalive 1 s, started at once, are measured (the trap:
# usually no handshake in 15 s; printed, not asserted), then, on fresh
# ports, each first runs tests/lan/ttl-punch (a datagram from the listen
# port that passes its own NAT and dies before the far one) and the
# tunnel must come up (ping over it) within 10 s. The figures are TAP
# comments. Prints TAP; needs root.

srcdir=${srcdir:-.}
punch=${WGD_TTL_PUNCH:?WGD_TTL_PUNCH names the ttl-punch to use}
source "$srcdir/tests/lan/lan.sh"
source "$srcdir/tests/lan/wan.sh"
source "$srcdir/tests/lan/tap.sh"

tap_require wan_require "virtual internet"
trap 'wan_down' EXIT

# ms since the epoch
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# udp_seen_from HOST: the source address the server sees a datagram from
# HOST come from (a listener on the server, one datagram sent).
udp_seen_from() {
  local out=$wan_dir/seen.$1
  wan_ns server /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 7777))
s.settimeout(5)
data, addr = s.recvfrom(100)
print(addr[0], addr[1])
' > "$out" 2>/dev/null &
  local listener=$!
  sleep 0.3
  wan_exec "$1" /usr/bin/python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 40000))
s.sendto(b"hello", ("'"$wan_server_address"'", 7777))
'
  wait "$listener"
  cat "$out"
}

# mDNS: a1 browses; a service on a2 is seen, one on b1 is not.
check_mdns() {
  local publishers
  wan_exec a2 avahi-publish -s on-a2 _wgdlab._udp 1 >/dev/null 2>&1 &
  publishers=$!
  wan_exec b1 avahi-publish -s on-b1 _wgdlab._udp 1 >/dev/null 2>&1 &
  publishers+=" $!"
  within 10 "wan_exec a1 avahi-browse -pt _wgdlab._udp 2>/dev/null | grep -q ';on-a2;'"
  check "mDNS: a host of LAN A sees a service published on LAN A" \
    "wan_exec a1 avahi-browse -pt _wgdlab._udp 2>/dev/null | grep -q ';on-a2;'"
  # a2's service is seen, so b1's had as long to arrive; one more second.
  sleep 1
  check "mDNS does not cross: a host of LAN A does not see a service of LAN B" \
    "! wan_exec a1 avahi-browse -pt _wgdlab._udp 2>/dev/null | grep -q ';on-b1;'"
  kill $publishers 2>/dev/null
  wait $publishers 2>/dev/null
}

# --- routed ------------------------------------------------------------------
if ! wan_up routed 2 1 >/dev/null 2>&1; then
  echo "1..1"; echo "not ok 1 - the routed virtual internet did not come up"
  exit 0
fi
check "routed: a1 reaches the server" "wan_exec a1 ping -c1 -W2 $wan_server_address >/dev/null"
check "routed: b1 reaches the server" "wan_exec b1 ping -c1 -W2 $wan_server_address >/dev/null"
check "routed: a1 reaches b1 across the router" "wan_exec a1 ping -c1 -W2 10.77.2.1 >/dev/null"
seen=$(udp_seen_from a1)
check "routed: the server sees a1 at its own address ($seen)" '[[ $seen == "10.77.1.1 40000" ]]'
check_mdns
wan_down

# --- behind NATs -------------------------------------------------------------
if ! wan_up nat 2 1 >/dev/null 2>&1; then
  not_ok "the virtual internet with NATs came up"
  echo "1..$n"
  exit 0
fi
out_a=$(wan_outside a)
out_b=$(wan_outside b)
check "NAT: a1 reaches the server" "wan_exec a1 ping -c1 -W2 $wan_server_address >/dev/null"
check "NAT: b1 reaches the server" "wan_exec b1 ping -c1 -W2 $wan_server_address >/dev/null"
seen=$(udp_seen_from a1)
check "NAT: the server sees LAN A from gateway A's outside, port kept ($seen)" \
  '[[ $seen == "$out_a 40000" ]]'
seen=$(udp_seen_from b1)
check "NAT: the server sees LAN B from gateway B's outside, port kept ($seen)" \
  '[[ $seen == "$out_b 40000" ]]'
check "NAT: the server cannot reach into LAN A" \
  "! wan_ns server ping -c1 -W1 10.77.1.1 >/dev/null 2>&1"
check "NAT: a1 cannot reach b1's private address" "! wan_exec a1 ping -c1 -W1 10.77.2.1 >/dev/null 2>&1"
check_mdns

# WireGuard on a1 (10.78.0.1) and b1 (10.78.0.2).
umask 077
for h in a1 b1; do
  wg genkey > "$wan_dir/$h.key"
  wg pubkey < "$wan_dir/$h.key" > "$wan_dir/$h.pub"
done
wan_exec a1 ip addr add 10.78.0.1/24 dev wg0
wan_exec b1 ip addr add 10.78.0.2/24 dev wg0
wan_exec a1 ip link set wg0 up
wan_exec b1 ip link set wg0 up

# wg_pair PORT: both hosts listen on PORT with the other as peer at its
# NAT's outside address:PORT, keepalive 1 s, set at the same time.
wg_pair() {
  wan_exec a1 wg set wg0 private-key "$wan_dir/a1.key" listen-port "$1" \
    peer "$(cat "$wan_dir/b1.pub")" endpoint "$out_b:$1" allowed-ips 10.78.0.2/32 \
    persistent-keepalive 1 &
  local a=$!
  wan_exec b1 wg set wg0 private-key "$wan_dir/b1.key" listen-port "$1" \
    peer "$(cat "$wan_dir/a1.pub")" endpoint "$out_a:$1" allowed-ips 10.78.0.1/32 \
    persistent-keepalive 1
  wait "$a"
}
handshake() { wan_exec a1 wg show wg0 latest-handshakes | awk '{ exit !($2 > 0) }'; }
wg_forget() {
  wan_exec a1 wg set wg0 peer "$(cat "$wan_dir/b1.pub")" remove
  wan_exec b1 wg set wg0 peer "$(cat "$wan_dir/a1.pub")" remove
}

# The trap: no punch.
start=$(now_ms)
wg_pair 51820
if within 15 handshake; then
  echo "# without the punch: handshake after $(($(now_ms) - start)) ms"
else
  echo "# without the punch: no handshake within 15 s (the trap)"
fi
for g in gwa gwb; do
  echo "# conntrack on $g:" $(wan_ns "$g" cat /proc/net/nf_conntrack 2>/dev/null |
                             grep 'dport=51820' | sed -E 's/ +/ /g' | cut -c1-160 | tr '\n' '|')
done
ok "the trap was measured (not asserted)"
wg_forget

# The remedy, on fresh ports: each side punches, then WireGuard talks.
wan_exec a1 wg set wg0 listen-port 51830
wan_exec b1 wg set wg0 listen-port 51830
start=$(now_ms)
wan_exec a1 "$punch" 51830 "$out_b" 51830 > "$wan_dir/punch.a1" 2>&1 &
punching=$!
wan_exec b1 "$punch" 51830 "$out_a" 51830 > "$wan_dir/punch.b1" 2>&1
wait "$punching"
echo "# punch a1: $(cat "$wan_dir/punch.a1"); b1: $(cat "$wan_dir/punch.b1");" \
  "both in $(($(now_ms) - start)) ms"
check "ttl-punch on a1 stopped past its NAT, before the far one (passed 2)" \
  '[[ $(cat "$wan_dir/punch.a1") == "passed 2" ]]'
check "ttl-punch on b1 stopped past its NAT, before the far one (passed 2)" \
  '[[ $(cat "$wan_dir/punch.b1") == "passed 2" ]]'
start=$(now_ms)
wg_pair 51830
if within 10 handshake; then
  ok "with the punch: a handshake within 10 s"
  echo "# with the punch: handshake after $(($(now_ms) - start)) ms"
else
  not_ok "with the punch: a handshake within 10 s"
fi
check "with the punch: a1 pings b1 over the tunnel" \
  "wan_exec a1 ping -c1 -W2 10.78.0.2 >/dev/null"
check "with the punch: the tunnel is direct (a1's endpoint for b1 is b's outside:51830)" \
  "wan_exec a1 wg show wg0 endpoints | grep -q '$out_b:51830'"
wg_forget

# A punch too late: a1 talks to b's outside for 2 s before b1 punches
# and talks. Measured, not asserted: what a client that punches but does
# not wait for the other side meets.
wan_exec a1 wg set wg0 listen-port 51840
wan_exec b1 wg set wg0 listen-port 51840
wan_exec a1 "$punch" 51840 "$out_b" 51840 >/dev/null 2>&1
wan_exec a1 wg set wg0 peer "$(cat "$wan_dir/b1.pub")" endpoint "$out_b:51840" \
  allowed-ips 10.78.0.2/32 persistent-keepalive 1
sleep 2
wan_exec b1 "$punch" 51840 "$out_a" 51840 > "$wan_dir/punch.late" 2>&1
start=$(now_ms)
wan_exec b1 wg set wg0 peer "$(cat "$wan_dir/a1.pub")" endpoint "$out_a:51840" \
  allowed-ips 10.78.0.1/32 persistent-keepalive 1
if within 15 handshake; then
  echo "# punch 2 s late on one side: handshake after $(($(now_ms) - start)) ms"
else
  echo "# punch 2 s late on one side ($(cat "$wan_dir/punch.late")): no handshake within 15 s"
fi
ok "a late punch was measured (not asserted)"

echo "1..$n"
