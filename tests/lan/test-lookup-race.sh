#!/usr/bin/env bash
# test-lookup-race.sh — what a hostile host h3 can make of the name of a
# peer's service (tests/lan/mdns-send.py): garbage TXT under the name h2
# before h2 announces it is refused, h2's own record under that name is
# still heard and h2 found; the rejection names the service and the
# interface, never h2's address (which the forged SRV record points to);
# repeats under one name are summed up; and h2's record replayed by h3
# under another name is logged as found in that service, not at h3's
# address. Prints TAP; needs root.

# Absolute: commands run inside a host (lan_exec) start at its root.
srcdir=$(cd "${srcdir:-.}" && pwd)
ctl=${WGDISCOVERCTL:?WGDISCOVERCTL names wgdiscoverctl}
daemon=${WGDISCOVERD:?WGDISCOVERD names wgdiscoverd}
send=$srcdir/tests/lan/mdns-send.py
source "$srcdir/tests/lan/lan.sh"
source "$srcdir/tests/lan/tap.sh"

tap_lan_up 3
w=$lan_dir
umask 077

lan_node 1 "$ctl" && lan_node 2 "$ctl"
lan_peer 1 2 && lan_peer 2 1

start_daemon() {
  lan_start "$1" "$daemon" --foreground --config "$w/conf$1" --state-dir "$w/state$1" >> "$w/log$1" 2>&1
  daemon_pid[$1]=$lan_started
}
stop_daemon() {
  kill -TERM "${daemon_pid[$1]}"
  wait "${daemon_pid[$1]}"
}
logged() { grep -qE -- "$1" "$w/log1"; }
rejected() { logged "rejected announcement '$1' on eth0: $2"; }
summed_up() { logged "$1 announcements of '$2' on eth0 rejected so far: $3"; }
found_in() { logged "found peer h2 \\(${lan_pub[2]//+/\\+}\\) in service '$1' on eth0, binding"; }
endpoint_is() { [[ $(lan_endpoint 1 "$1") == "$2" ]]; }

start_daemon 1
within 20 "logged 'connected to avahi-daemon'" || echo "# wgdiscoverd on h1 did not connect"

# h3 is first with the name h2: a service whose SRV record names h2's
# host (so that it resolves to h2's address) and whose TXT is garbage.
for from in 10.77.0.3 fd77::3; do
  lan_exec 3 python3 "$send" --from "$from" --txt h2 --srv h2 txtvers=1 'a0=!!not-a-record' > /dev/null
done
check "h1 refuses the garbage announced under the name h2" "within 10 rejected h2 malformed"
check "the rejection names no address, least of all h2's" \
  "! grep 'rejected announcement' $w/log1 | grep -qE '10\\.77\\.|fd77:'"

start_daemon 2
check "h1 finds h2 under the name the garbage came first in" \
  "within 10 endpoint_is 2 10.77.0.2:51820"
# h2's endpoint can be there first: h2 found h1 by browsing and sent it a
# handshake before h2's own service was announced.
check "h1 logs it found h2 in the service 'h2' on eth0" "within 10 found_in h2"

# A hundred different garbage TXT records under one name: one line, and
# the repeats summed up.
lan_exec 3 python3 "$send" --from 10.77.0.3 --txt evil --variants 100 --rate 50 \
  txtvers=1 'a0=!!' > /dev/null
check "h1 sums up 100 garbage records under the name evil" \
  "within 20 summed_up 100 evil malformed && summed_up 10 evil malformed"
check "and logs the first of them once" \
  "[[ \$(grep -c \"rejected announcement 'evil'\" $w/log1) == 1 ]]"

# h3 replays h2's record under a name of its own, with an SRV record
# naming h3's host; h2's service is gone, and h1 starts afresh.
txt=$(lan_exec 1 avahi-browse -rpt -k _wireguard._udp 2>/dev/null |
        awk -F';' '$1 == "=" && $3 == "IPv4" && $4 == "h2" { print $10; exit }')
mapfile -t strings < <(tr -d '"' <<< "$txt" | tr ' ' '\n')
check "h3 captured h2's record (${#strings[@]} TXT strings)" '(( ${#strings[@]} >= 2 ))'
stop_daemon 1
stop_daemon 2
gone() { ! lan_exec 1 avahi-browse -pt _wireguard._udp 2>/dev/null | grep -q ';h2;'; }
within 10 gone || echo "# h2's service did not go"
for from in 10.77.0.3 fd77::3; do
  lan_exec 3 python3 "$send" --from "$from" --txt copy --srv h3 "${strings[@]}" > /dev/null
done
start_daemon 1
check "h1 logs h2's replayed record as found in the service 'copy' on eth0" "within 10 found_in copy"
check "and names no address for it, least of all h3's" \
  "! grep 'found peer' $w/log1 | grep -qE '10\\.77\\.|fd77:'"
check "wgdiscoverd on h1 keeps running" "kill -0 ${daemon_pid[1]}"
stop_daemon 1
status=$?
check "wgdiscoverd on h1 exits with status 0 on SIGTERM ($status)" '[[ $status == 0 ]]'
echo "# h1's log:"
sed 's/^/#   /' "$w/log1"
echo "1..$n"
