#!/usr/bin/env bash
# test-late.sh — interfaces and peers that come later. At boot wgdiscoverd
# usually starts before wg-quick or NetworkManager creates the interface:
# it says once that the interface is not there, and once it appears (and
# is configured just after, as those tools do) its peers get the
# endpoints of records heard meanwhile, and our record is published. A
# peer added to a running interface long after gets its endpoint with the
# next record heard of it (or at the daemon's look when it re-announces,
# every 300 s), or at once when a route to it
# through the interface follows, as wg-quick and NetworkManager add. The
# key of an interface that does not advertise is nobody's concern.
# Prints TAP; needs root.

srcdir=${srcdir:-.}
ctl=${WGDISCOVERCTL:?WGDISCOVERCTL names wgdiscoverctl}
daemon=${WGDISCOVERD:?WGDISCOVERD names wgdiscoverd}
source "$srcdir/tests/lan/lan.sh"
source "$srcdir/tests/lan/tap.sh"

tap_lan_up 3
w=$lan_dir
umask 077

lan_node 1 "$ctl" && lan_node 2 "$ctl" && lan_node 3 "$ctl"
lan_peer 2 1 && lan_peer 3 1
# h1 serves wg9, which does not exist yet; its wg0 has a key of its own
# and is only browsed for.
printf '[Interface wg9]\n[Interface wg0]\nAdvertise=false\n' > "$w/conf1"
wg genkey > "$w/other.key"
lan_exec 1 wg set wg0 private-key "$w/other.key"

endpoint9() { lan_exec 1 wg show wg9 endpoints 2>/dev/null | awk -v k="${lan_pub[$1]}" '$1 == k { print $2 }'; }
ms() { date +%s%3N; }

lan_start 1 "$daemon" --foreground --debug --config "$w/conf1" --state-dir "$w/state1" \
  >> "$w/log1" 2>&1
pid1=$lan_started
declare -a pid
for i in 2 3; do
  lan_start "$i" "$daemon" --foreground --config "$w/conf$i" --state-dir "$w/state$i" \
    >> "$w/log$i" 2>&1
  pid[i]=$lan_started
done
heard() { grep -q "not a peer here: .*service 'h2'" "$w/log1" && grep -q "not a peer here: .*service 'h3'" "$w/log1"; }
check "h1 hears h2 and h3 before it has wg9" "within 20 heard"
sleep 16
check "h1 said once, and only once, that wg9 is not there" \
  "[[ \$(grep -c 'wg9: .*no such network interface.*once it is there' '$w/log1') -eq 1 ]]"
check "h1 says nothing of wg0's own key: wg0 does not advertise" \
  "! grep -q \"wg0: the interface's public key\" '$w/log1'"

# wg-quick's way: create the interface, then configure it.
t0=$(ms)
lan_exec 1 wireguard-go wg9 2> /dev/null
lan_exec 1 wg set wg9 private-key "$w/wgkey1" listen-port 51829 peer "${lan_pub[2]}" \
  allowed-ips 10.79.0.2/32
lan_exec 1 ip addr add 10.79.0.1/24 dev wg9
lan_exec 1 ip link set wg9 up
check "h1 sets h2's endpoint on the new wg9" "within 20 '[[ \$(endpoint9 2) == 10.77.0.2:51820 ]]'"
echo "# wg9 created and configured -> h2's endpoint on it: $(( $(ms) - t0 )) ms"
check "h1 says once that wg9 is there" \
  "[[ \$(grep -c 'wg9: WireGuard interface found' '$w/log1') -eq 1 ]]"
h2_has_h1() { [[ $(lan_endpoint 2 1) == 10.77.0.1:51829 ]]; }
check "h1 publishes its record with wg9's port, and h2 takes it" "within 20 h2_has_h1"

# Long after wg9 appeared, h3 becomes a peer of it. h3's WireGuard may
# be first: h3 sent h1 a handshake when it set h1's endpoint, and retries
# it for 90 s; once h1 has h3, h1's WireGuard answers and takes the
# address it came from (either of h3's), and the daemon leaves that be.
sleep 31
t0=$(ms)
lan_exec 1 wg set wg9 peer "${lan_pub[3]}" allowed-ips 10.79.0.3/32
# Nothing tells h1's daemon; h3's next record does (a reload publishes
# a new one), unless h3's handshake was first, from any of its addresses
# (its link-local one too).
sleep 2
kill -HUP "${pid[3]}"
check "a peer added to the running wg9 gets its endpoint with h3's next record" \
  "within 20 '[[ \$(endpoint9 3) == @(10.77.0.3|\[fd77::3\]|\[fe80::*\]):51820 ]]'"
echo "# peer added to a running interface -> its endpoint: $(( $(ms) - t0 )) ms"

# wg-quick's and NetworkManager's way: the peer, then a route to its
# allowed-ips through the interface, which tells h1 at once.
lan_exec 1 wg set wg9 peer "${lan_pub[3]}" remove
sleep 1
t0=$(ms)
lan_exec 1 wg set wg9 peer "${lan_pub[3]}" allowed-ips 10.79.0.3/32
lan_exec 1 ip route add 10.79.0.3/32 dev wg9
check "a peer added to the running wg9 with a route to it gets its endpoint within 5 s" \
  "within 5 '[[ \$(endpoint9 3) == @(10.77.0.3|\[fd77::3\]):51820 ]]'"
echo "# peer and route added to a running interface -> its endpoint: $(( $(ms) - t0 )) ms"

# wg9 goes away and comes back (re-created): said, and served again.
lan_exec 1 ip link del wg9
gone() { grep -q 'wg9: .*waiting for it to come back' "$w/log1"; }
check "h1 says that wg9 went away" "within 20 gone"
lan_exec 1 wireguard-go wg9 2> /dev/null
lan_exec 1 wg set wg9 private-key "$w/wgkey1" listen-port 51829 peer "${lan_pub[2]}" \
  allowed-ips 10.79.0.2/32
lan_exec 1 ip link set wg9 up
check "the re-created wg9 gets h2's endpoint again" "within 20 '[[ \$(endpoint9 2) == 10.77.0.2:51820 ]]'"

kill -TERM "$pid1"
wait "$pid1"
check "wgdiscoverd on h1 exits with status 0" "[[ $? -eq 0 ]]"
echo "# h1's log:"
grep -v ': DEBUG: ' "$w/log1" | sed 's/^/#   /'
echo "1..$n"
