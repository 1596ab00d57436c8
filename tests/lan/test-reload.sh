#!/usr/bin/env bash
# test-reload.sh — SIGHUP never stops wgdiscoverd. A configuration that
# parses but cannot be applied (a mesh certificate issued for another
# node) is refused, the running one kept, and the daemon goes on serving;
# a good one is applied as a change: our service is not published and
# probed anew, and the peer table stays. RELOADING=1 carries
# MONOTONIC_USEC= (systemd's Type=notify-reload). Prints TAP; needs root.

srcdir=${srcdir:-.}
ctl=${WGDISCOVERCTL:?WGDISCOVERCTL names wgdiscoverctl}
daemon=${WGDISCOVERD:?WGDISCOVERD names wgdiscoverd}
source "$srcdir/tests/lan/lan.sh"
source "$srcdir/tests/lan/tap.sh"

tap_lan_up 2
w=$lan_dir
umask 077

lan_node 1 "$ctl" && lan_node 2 "$ctl"
lan_peer 1 2 && lan_peer 2 1
# h2 moves over IPv4 only: no IPv6 candidates in the way.
lan_exec 2 sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1

notify_listen "$w/notify" "$w/notify.log"
trap 'kill $notify_pid 2>/dev/null; lan_down' EXIT
NOTIFY_SOCKET=$w/notify lan_start 1 "$daemon" --foreground --debug --config "$w/conf1" \
  --state-dir "$w/state1" >> "$w/log1" 2>&1
pid1=$lan_started
lan_start 2 "$daemon" --foreground --config "$w/conf2" --state-dir "$w/state2" >> "$w/log2" 2>&1
pid2=$lan_started
h1_has_h2() { [[ $(lan_endpoint 1 2) == "$1" ]]; }
check "h1 finds h2" "within 20 h1_has_h2 10.77.0.2:51820"
published() { grep -q "published 'h1'" "$w/log1"; }
within 20 published || echo "# h1 did not say it published"

# A certificate of a mesh CA, issued for h2's keys, in h1's configuration.
(cd "$w" && "$ctl" ca init > ca.key && "$ctl" ca pubkey < ca.key > ca.pub &&
  "$ctl" ca sign --ca ca.key --name h2 --signkey "$("$ctl" signkey < state2/identity)" \
    --wgkey "${lan_pub[2]}" --address 10.78.0.2/32 > h2.cert)
printf '[Interface wg0]\nMode=mesh\nMesh=lab\n[Mesh lab]\nCA=%s\nCertificate=%s\n' \
  "$(cat "$w/ca.pub")" "$w/h2.cert" > "$w/conf1"
reloads() { grep -c '^RELOADING=1$' "$w/notify.log"; }
kill -HUP "$pid1"
refused() { grep -q 'reload: keeping the running configuration.*issued for another node' "$w/log1"; }
check "a reload with another node's certificate is refused, naming why" "within 10 refused"
check "wgdiscoverd on h1 keeps running after it" "sleep 1; kill -0 $pid1"
lan_exec 2 ip addr del 10.77.0.2/24 dev eth0
lan_exec 2 ip addr add 10.77.0.12/24 dev eth0
check "h1 still follows h2 (to its new address)" "within 20 h1_has_h2 10.77.0.12:51820"

# A good configuration: the same one, with a keepalive.
printf '[Interface wg0]\nPersistentKeepalive=25\n' > "$w/conf1"
found_before=$(grep -c 'found peer h2' "$w/log1")
published_before=$(grep -c "published 'h1'" "$w/log1")
kill -HUP "$pid1"
reloaded() { grep -q 'configuration reloaded' "$w/log1"; }
check "a good configuration is reloaded" "within 10 reloaded"
check "wgdiscoverd on h1 keeps running" "kill -0 $pid1"
# A service withdrawn and published again is probed again, and says so.
sleep 3
check "h1's service was not published anew (no probing)" \
  "[[ \$(grep -c \"published 'h1'\" '$w/log1') -eq $published_before ]]"
# h2 moves again: the peer table that knew h2 goes on.
lan_exec 2 ip addr del 10.77.0.12/24 dev eth0
lan_exec 2 ip addr add 10.77.0.22/24 dev eth0
check "h1 follows h2 after the reload" "within 20 h1_has_h2 10.77.0.22:51820"
check "h1 did not find h2 anew (its peer table was kept)" \
  "[[ \$(grep -c 'found peer h2' '$w/log1') -eq $found_before ]]"
check "both reloads said RELOADING=1" "within 5 '[[ \$(reloads) -eq 2 ]]'"
check "RELOADING=1 came with MONOTONIC_USEC=" \
  "grep -A1 -x 'RELOADING=1' '$w/notify.log' | grep -qE '^MONOTONIC_USEC=[0-9]+$'"
check "and READY=1 after each" "[[ \$(grep -cx 'READY=1' '$w/notify.log') -ge 3 ]]"

kill -TERM "$pid1"
wait "$pid1"
check "wgdiscoverd on h1 exits with status 0" "[[ $? -eq 0 ]]"
kill -TERM "$pid2"
wait "$pid2"
echo "# h1's log:"
grep -v ': DEBUG: ' "$w/log1" | sed 's/^/#   /'
echo "1..$n"
