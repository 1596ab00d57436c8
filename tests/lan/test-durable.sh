#!/usr/bin/env bash
# test-durable.sh — nothing is acted on before it is durable. h1 accepts
# a newer record of h2 and sets the endpoint it carries; h1 is killed
# (SIGKILL) at once; after its restart an attacker replays h2's previous,
# still valid record. The newer record's timestamp reached h1's disk
# before its endpoint reached WireGuard, so the replay is refused and the
# endpoint stays. Prints TAP; needs root.

srcdir=${srcdir:-.}
ctl=${WGDISCOVERCTL:?WGDISCOVERCTL names wgdiscoverctl}
daemon=${WGDISCOVERD:?WGDISCOVERD names wgdiscoverd}
source "$srcdir/tests/lan/lan.sh"
source "$srcdir/tests/lan/tap.sh"

tap_lan_up 3
w=$lan_dir
umask 077

lan_node 1 "$ctl" && lan_node 2 "$ctl"
lan_peer 1 2
now=$(date +%s)
# h2's records, as its daemon would sign them: an older one and a newer.
mapfile -t older < <("$ctl" announce --identity "$w/state2/identity" --name h2 \
  --endpoint 10.77.0.2:51820 --timestamp $((now - 20)) --lifetime 3600 --txt)
mapfile -t newer < <("$ctl" announce --identity "$w/state2/identity" --name h2 \
  --endpoint 10.77.0.12:51820 --timestamp $((now - 10)) --lifetime 3600 --txt)

start1() {
  lan_start 1 "$daemon" --foreground --config "$w/conf1" --state-dir "$w/state1" \
    >> "$w/log1" 2>&1
  pid1=$lan_started
}
has() { [[ $(lan_endpoint 1 2) == "$1" ]]; }

start1
lan_start 2 avahi-publish -s h2 _wireguard._udp 51820 "${older[@]}" > /dev/null 2>&1
publisher=$lan_started
check "h1 takes h2's older record" "within 20 has 10.77.0.2:51820"
# The older record is on h1's disk a second later.
sleep 2
kill "$publisher"
wait "$publisher" 2> /dev/null
lan_start 2 avahi-publish -s h2 _wireguard._udp 51820 "${newer[@]}" > /dev/null 2>&1
publisher=$lan_started
# Killed the moment the newer endpoint is in WireGuard.
for ((t = 0; t < 2000; t++)); do
  has 10.77.0.12:51820 && break
  sleep 0.01
done
kill -KILL "$pid1"
wait "$pid1" 2> /dev/null
check "h1 had taken h2's newer record when it was killed" "has 10.77.0.12:51820"
kill "$publisher"
wait "$publisher" 2> /dev/null
h2_gone() { ! lan_exec 1 avahi-browse -pt _wireguard._udp 2> /dev/null | grep -q ';h2;'; }
within 20 h2_gone || echo "# h2's service is still in h1's avahi-daemon"

# h2 is silent now; h3 replays its older record.
lan_start 3 avahi-publish -s h2-replayed _wireguard._udp 51820 "${older[@]}" > /dev/null 2>&1
replayer=$lan_started
start1
refused() { grep -q "'h2-replayed'.*replayed" "$w/log1"; }
check "after its restart h1 refuses the older record as replayed" "within 20 refused"
check "h1's endpoint for h2 stays the newer one" "has 10.77.0.12:51820"
kill "$replayer"
kill -TERM "$pid1"
wait "$pid1"
check "wgdiscoverd on h1 exits with status 0" "[[ $? -eq 0 ]]"
echo "# h1's log:"
sed 's/^/#   /' "$w/log1"
echo "1..$n"
