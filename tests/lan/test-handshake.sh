#!/usr/bin/env bash
# test-handshake.sh — wgdiscoverd makes WireGuard shake hands at once.
# h1 does not advertise, so h2 and h3 can only learn where h1 is from
# h1's WireGuard (roaming). When h1 starts, h2 and h3 are announced
# already: h1 finds them by browsing, sets their endpoints and sends each
# a handshake, and their interfaces hold h1's endpoint. The keepalive
# h1's peers keep is what the configuration says: none on wg0, 7 s on
# wg1. When h1's LAN address moves, its peers with a session get a packet
# from the new address at once (nothing else would send one within
# seconds: no keepalive, no traffic), and hold the new endpoint.
# Prints TAP; needs root.

srcdir=${srcdir:-.}
ctl=${WGDISCOVERCTL:?WGDISCOVERCTL names wgdiscoverctl}
daemon=${WGDISCOVERD:?WGDISCOVERD names wgdiscoverd}
source "$srcdir/tests/lan/lan.sh"
source "$srcdir/tests/lan/tap.sh"

tap_lan_up 3
w=$lan_dir
umask 077

for i in 1 2 3; do lan_node "$i" "$ctl"; done
lan_peer 1 2 && lan_peer 2 1
# h1's wg1, with a key of its own, has h3 as its peer.
wg genkey > "$w/wg1.key"
wg1_pub=$(wg pubkey < "$w/wg1.key")
lan_exec 1 wireguard-go wg1 2> /dev/null
lan_exec 1 wg set wg1 private-key "$w/wg1.key" listen-port 51821 peer "${lan_pub[3]}" \
  allowed-ips 10.79.0.3/32
lan_exec 1 ip link set wg1 up
lan_exec 3 wg set wg0 peer "$wg1_pub" allowed-ips 10.79.0.1/32
printf '[Interface wg0]\nAdvertise=false\n[Interface wg1]\nAdvertise=false\nPersistentKeepalive=7\n' \
  > "$w/conf1"

# What host $1's interface $2 has for peer key $3: endpoint, keepalive,
# latest handshake.
show() { lan_exec "$1" wg show "$2" "$4" | awk -v k="$3" '$1 == k { print $2 }'; }

for i in 2 3; do
  lan_start "$i" "$daemon" --foreground --debug --config "$w/conf$i" --state-dir "$w/state$i" \
    >> "$w/log$i" 2>&1
done
published() { grep -q "mdns: published 'h$1'" "$w/log$1"; }
check_show "h2 and h3 are announced" "within 20 published 2 && within 20 published 3" \
  "$w/log2" "$w/log3"
check "neither h2 nor h3 has a handshake from h1 yet" \
  "[[ \$(show 2 wg0 '${lan_pub[1]}' latest-handshakes) == 0 && \$(show 3 wg0 '$wg1_pub' latest-handshakes) == 0 ]]"

lan_start 1 "$daemon" --foreground --debug --config "$w/conf1" --state-dir "$w/state1" \
  >> "$w/log1" 2>&1
pid1=$lan_started
check_show "h1 sets h2's endpoint on wg0 and h3's on wg1" \
  "within 20 '[[ \$(show 1 wg0 ${lan_pub[2]} endpoints) == 10.77.0.2:51820 && \$(show 1 wg1 ${lan_pub[3]} endpoints) == 10.77.0.3:51820 ]]'" \
  "$w/log1"
check_show "h2's wg0 learns h1's endpoint from h1's handshake" \
  "within 10 '[[ \$(show 2 wg0 ${lan_pub[1]} endpoints) == 10.77.0.1:51820 ]]'" "$w/log1" "$w/log2"
check_show "h3's wg0 learns h1's wg1 endpoint from its handshake" \
  "within 10 '[[ \$(show 3 wg0 $wg1_pub endpoints) == 10.77.0.1:51821 ]]'" "$w/log1" "$w/log3"
check "h2 has a handshake with h1" "[[ \$(show 2 wg0 '${lan_pub[1]}' latest-handshakes) != 0 ]]"
check "h1's peer h2 keeps no keepalive (wg0 asks for none)" \
  "[[ \$(show 1 wg0 '${lan_pub[2]}' persistent-keepalive) == off ]]"
check "h1's peer h3 keeps the 7 s keepalive wg1 asks for" \
  "[[ \$(show 1 wg1 '${lan_pub[3]}' persistent-keepalive) == 7 ]]"
check "h1 never announced itself" "! grep -q 'mdns: published' '$w/log1'"

# The move: the old address goes, a new one comes.
lan_exec 1 ip addr del 10.77.0.1/24 dev eth0
lan_exec 1 ip addr add 10.77.0.21/24 dev eth0
check_show "h2's wg0 holds h1's new address within 5 s" \
  "within 5 '[[ \$(show 2 wg0 ${lan_pub[1]} endpoints) == 10.77.0.21:51820 ]]'" "$w/log1" "$w/log2"
check_show "h3's wg0 holds h1's new address within 5 s" \
  "within 5 '[[ \$(show 3 wg0 $wg1_pub endpoints) == 10.77.0.21:51821 ]]'" "$w/log1" "$w/log3"
check_show "h1 says it told its peers" \
  "grep -q 'wg0: our addresses changed: 1 peers with a session told at once' '$w/log1'" "$w/log1"
check "after the move, h1's peer h2 still keeps no keepalive" \
  "[[ \$(show 1 wg0 '${lan_pub[2]}' persistent-keepalive) == off ]]"
check "after the move, h1's peer h3 still keeps 7 s" \
  "[[ \$(show 1 wg1 '${lan_pub[3]}' persistent-keepalive) == 7 ]]"
check "a ping from h2 to h1 goes through the tunnel" "lan_exec 2 ping -c 1 -W 5 -q 10.78.0.1 >/dev/null"

kill -TERM "$pid1"
wait "$pid1"
check "wgdiscoverd on h1 exits with status 0" "[[ $? -eq 0 ]]"
echo "1..$n"
