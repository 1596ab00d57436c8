#!/usr/bin/env bash
# test-failover.sh — a peer with two LAN addresses whose first one gets
# no handshake: wgdiscoverd on h1 abandons it for the other one, both
# when h2 silently drops what comes to it (h1's WireGuard sends and
# counts handshakes that are never answered) and when h1 cannot send to
# it at all (an nft output rule: WireGuard counts nothing sent). h1 asks
# for a session with every endpoint it sets (a handshake), so h3, whose
# first address is black-holed too, is abandoned as well, though
# nothing else is sent to it. h2 and h3 send h1 handshakes of their own
# from their first addresses, which give h1's WireGuard those endpoints
# by roaming: that proves nothing about the way back, and they are put
# on trial all the same. h1's answers to them are lost, so h2's and h3's
# daemons abandon h1's IPv4 address in turn, and the tunnel may come up
# over IPv6: "another address" is any of the peer's but the broken one,
# with a handshake done. The timeouts are generous: the speed is
# bench/failover.sh's to measure. Prints TAP; needs root.
srcdir=${srcdir:-.}
ctl=${WGDISCOVERCTL:?WGDISCOVERCTL names wgdiscoverctl}
daemon=${WGDISCOVERD:?WGDISCOVERD names wgdiscoverd}
source "$srcdir/tests/lan/lan.sh"
source "$srcdir/tests/lan/tap.sh"

command -v nft > /dev/null || { echo "1..0 # SKIP nft not found (apt-get install nftables)"; exit 0; }
tap_lan_up 3
w=$lan_dir
umask 077

for i in 1 2 3; do lan_node "$i" "$ctl"; done
lan_peer 1 2 && lan_peer 2 1 && lan_peer 1 3 && lan_peer 3 1
lan_exec 2 ip addr add 10.77.0.22/24 dev eth0
lan_exec 3 ip addr add 10.77.0.33/24 dev eth0
# h2's first address is black-holed at h2, and so is h3's; h1 keeps a
# session with h2 (a keepalive), with h3 none.
lan_exec 2 nft add table inet t
lan_exec 2 nft add chain inet t input '{ type filter hook input priority 0 ; }'
lan_exec 2 nft add rule inet t input ip daddr 10.77.0.2 udp dport 51820 drop
lan_exec 3 nft add table inet t
lan_exec 3 nft add chain inet t input '{ type filter hook input priority 0 ; }'
lan_exec 3 nft add rule inet t input ip daddr 10.77.0.3 udp dport 51820 drop
lan_exec 1 wg set wg0 peer "${lan_pub[2]}" persistent-keepalive 25

declare -a pid
start_daemon() {
  lan_start "$1" "$daemon" --foreground --config "$w/conf$1" --state-dir "$w/state$1" >> "$w/log$1" 2>&1
  pid[$1]=$lan_started
}
for i in 1 2 3; do start_daemon "$i"; done
endpoint_is() { [[ $(lan_endpoint 1 "$1") == "$2" ]]; }
# abandoned N ADDRESS: h1 has a session with hN at an endpoint other than ADDRESS.
abandoned() {
  local e
  e=$(lan_endpoint 1 "$1")
  [[ -n $e && $e != "(none)" && $e != "$2" ]] &&
    [[ $(lan_exec 1 wg show wg0 latest-handshakes | awk -v k="${lan_pub[$1]}" '$1 == k { print $2 }') != 0 ]]
}
# WireGuard's next handshake attempt (every 5 s) goes to the new address.
pinged() { lan_exec 1 ping -c 1 -W 2 -q 10.78.0.2 > /dev/null; }

check_show "h1 tries h2's first address" "within 20 endpoint_is 2 10.77.0.2:51820" "$w/log1"
check_show "h1 tries h3's first address" "within 20 endpoint_is 3 10.77.0.3:51820" "$w/log1"
check_show "h1 abandons the black-holed address for another of h2's" \
  "within 60 abandoned 2 10.77.0.2:51820" "$w/log1" "$w/log2"
check "h1 pings h2 at its other address" "within 20 pinged"
check_show "h1 abandons h3's black-holed first address too: its handshake got no answer" \
  "within 60 abandoned 3 10.77.0.3:51820" "$w/log1" "$w/log3"

# h1 cannot send to h2's first address at all. A new start with state
# of its own (the saved endpoint would be set at once) and a new key
# for h2's peer (no session left from before).
kill -TERM "${pid[1]}"
wait "${pid[1]}"
lan_exec 2 nft flush ruleset
lan_exec 1 nft add table inet t
lan_exec 1 nft add chain inet t output '{ type filter hook output priority 0 ; }'
lan_exec 1 nft add rule inet t output ip daddr 10.77.0.2 udp dport 51820 drop
lan_exec 1 wg set wg0 peer "${lan_pub[2]}" remove
lan_exec 1 wg set wg0 peer "${lan_pub[2]}" allowed-ips 10.78.0.2/32 persistent-keepalive 25
rm -f "$w/state1/endpoints"
start_daemon 1
check_show "after a restart, h1 tries h2's first address again" \
  "within 20 endpoint_is 2 10.77.0.2:51820" "$w/log1"
check_show "h1 abandons the address it cannot send to for another of h2's" \
  "within 60 abandoned 2 10.77.0.2:51820" "$w/log1" "$w/log2"
check "h1 pings h2 at its other address" "within 20 pinged"

for i in 1 2 3; do
  check "wgdiscoverd on h$i keeps running" "kill -0 ${pid[i]}"
done
echo "1..$n"
