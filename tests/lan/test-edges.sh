#!/usr/bin/env bash
# test-edges.sh — three corners of the LAN: a service name already taken
# (wgdiscoverd publishes under Avahi's alternative name and is still
# found); a host that is no peer yet (its record changes nothing, but
# once the administrator adds the peer, its next announcement gives it
# an endpoint); and a peer reachable only at an IPv6 link-local address
# (its endpoint carries the scope of the interface it was heard on, and
# the tunnel works through it). Prints TAP; needs root.

srcdir=${srcdir:-.}
ctl=${WGDISCOVERCTL:?WGDISCOVERCTL names wgdiscoverctl}
daemon=${WGDISCOVERD:?WGDISCOVERD names wgdiscoverd}
source "$srcdir/tests/lan/lan.sh"
source "$srcdir/tests/lan/tap.sh"

tap_lan_up 3
w=$lan_dir
umask 077

lan_node 1 "$ctl" && lan_node 2 "$ctl" && lan_node 3 "$ctl"
lan_peer 1 2 && lan_peer 2 1
# h3 has h1 as a peer; h1 does not have h3, yet.
lan_peer 3 1

# Someone on h2 holds the name h1 would use.
lan_start 2 avahi-publish -s h1 _wireguard._udp 9 txtvers=1 > /dev/null 2>&1
squatted() { lan_exec 1 avahi-browse -pt _wireguard._udp 2>/dev/null | grep -q ';h1;'; }
within 20 squatted || echo "# the name h1 was not taken in time"
for i in 1 2 3; do
  lan_start "$i" "$daemon" --foreground --config "$w/conf$i" --state-dir "$w/state$i" \
    ${i/1/--debug} >> "$w/log$i" 2>&1
done
renamed() {
  lan_exec 2 avahi-browse -pt _wireguard._udp 2>/dev/null | grep -q ';h1\\032\\0352;'
}
check "h1 publishes under Avahi's alternative name 'h1 #2'" "within 20 renamed"
found() { [[ $(lan_endpoint 2 1) == 10.77.0.1:51820 ]]; }
check "h2 finds h1 under its new name" "within 20 found"

# Its pub= names no peer of h1's: dropped unchecked, its name unread.
heard_h3() { grep -qF "not a peer here: unchecked (${lan_pub[3]}), service 'h3'" "$w/log1"; }
check "h1 hears h3's record and leaves it be: h3 is no peer of h1" \
  "within 20 heard_h3 && ! grep -q 'found peer h3' $w/log1"
h3_sign=$(lan_hex "$("$ctl" signkey < "$w/state3/identity")")
# h3 was heard already: had it left state, it would be there by now.
h1_and_h2_only() {
  (( $(lan_replay_keys 1) == 2 )) &&
    ! grep -q "^$h3_sign=" "$w/state1/replay"
}
check "h3 leaves nothing in h1's replay state (it holds h1 and h2 only)" \
  "within 10 h1_and_h2_only"
lan_peer 1 3
# A new address makes h3 announce again; h1 still follows its service.
lan_exec 3 ip addr add 10.77.0.13/24 dev eth0
h3_found() { [[ $(lan_endpoint 1 3) == 10.77.0.*:51820 ]]; }
check "once h3 is h1's peer, h3's next announcement gives it an endpoint" "within 20 h3_found"

# h2 keeps only its link-local IPv6 address.
lan_exec 2 ip addr del 10.77.0.2/24 dev eth0
lan_exec 2 ip addr del fd77::2/64 dev eth0
h2_ll=$(lan_exec 2 ip -6 -o addr show dev eth0 scope link | awk '{ sub("/.*", "", $4); print $4 }')
# wg shows no scope; the daemon's log does, as the interface index.
h1_eth0=$(lan_exec 1 cat /sys/class/net/eth0/ifindex)
link_local() { [[ $(lan_endpoint 1 2) == "[$h2_ll]:51820" ]]; }
check "h1's endpoint for h2 becomes h2's link-local address" "within 10 link_local"
# Set by h1, or taken from h2's own handshake (roaming) and followed
# once h2's record came: logged either way, with the scope.
check "h1 set it with the scope of its own eth0" \
  "within 10 grep -qF -- \"'-> [$h2_ll%$h1_eth0]:51820'\" $w/log1"
check "h1 pings h2 over WireGuard through the link-local endpoint" \
  "lan_exec 1 ping -c 2 -W 2 -q 10.78.0.2 >/dev/null"
echo "# h1's log:"
sed 's/^/#   /' "$w/log1"
echo "1..$n"
