#!/usr/bin/env bash
# test-avahi-stop.sh — avahi-daemon on h1 stops answering (SIGSTOP) for
# 30 s, while the LAN is busy enough that what arrives meanwhile is lost
# (junk from h3 fills its sockets: tests/lan/mdns-send.py) and the peer
# h2 moves to another address. wgdiscoverd on h1 notices, asks nothing
# of the stopped avahi-daemon and keeps running; once avahi-daemon runs
# again, h2's new endpoint arrives within seconds, although neither h2
# nor avahi-daemon on h1 would say anything about it for a long while.
# An idle wgdiscoverd asks avahi-daemon nothing (it would cost wake-ups),
# so it notices once it has something to ask: here h1 gains an address
# and publishes its record anew.
# Prints TAP; needs root.

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
# h1 is no peer of h2's: h2's move must reach h1 by mDNS, not by a
# handshake of h2's to a peer it has a session with.
lan_peer 1 2
# h3 only sends junk; its avahi-daemon has no part in this.
lan_exec 3 avahi-daemon --kill

for i in 1 2; do
  lan_start "$i" "$daemon" --foreground --config "$w/conf$i" --state-dir "$w/state$i" >> "$w/log$i" 2>&1
  daemon_pid[i]=$lan_started
done
endpoint_is() { [[ $(lan_endpoint 1 2) == "$1" ]]; }
logged() { grep -qF -- "$1" "$w/log1"; }
check "h1 finds h2" "within 20 endpoint_is 10.77.0.2:51820"
found=$(date +%s)

# avahi-daemon asks again for a TXT record it follows 1, 3, 7, 15, 31,
# 63 and 127 s after it began to (avahi-core/querier.c): stopped from
# the 65th to the 95th second, nothing it does by itself would catch up
# with h2 before the 127th, and h2 only announces again after 300 s.
sleep $((found + 65 - $(date +%s)))
avahi1=$(lan_pidof 1 avahi-daemon)
kill -STOP $avahi1
lan_start 3 python3 "$send" --from 10.77.0.3 --from fd77::3 --rate 200 --junk 29 > /dev/null
sleep 2
lan_exec 2 ip addr del 10.77.0.2/24 dev eth0
lan_exec 2 ip addr add 10.77.0.12/24 dev eth0
lan_exec 1 ip addr add 10.77.0.51/24 dev eth0
unanswered() { logged 'avahi-daemon does not answer'; }
check "wgdiscoverd on h1 notices that avahi-daemon does not answer" "within 25 unanswered"
sleep $((found + 95 - $(date +%s)))
kill -CONT $avahi1
resumed=$(date +%s.%N)
check "h2's new endpoint reaches h1 within 15 s of avahi-daemon running again" \
  "within 15 endpoint_is 10.77.0.12:51820"
echo "# it took $(awk -v a="$resumed" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
check "wgdiscoverd on h1 said avahi-daemon answers again" "logged 'avahi-daemon answers again'"
check "wgdiscoverd on h1 keeps running" "kill -0 ${daemon_pid[1]}"
kill -TERM "${daemon_pid[1]}"
wait "${daemon_pid[1]}"
status=$?
check "wgdiscoverd on h1 exits with status 0 on SIGTERM ($status)" '[[ $status == 0 ]]'
for i in 1 2; do
  echo "# h$i's log:"
  sed 's/^/#   /' "$w/log$i"
done
echo "1..$n"
