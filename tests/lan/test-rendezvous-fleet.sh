#!/usr/bin/env bash
# test-rendezvous-fleet.sh — wgdiscoverd's client of several rendezvous
# servers (RendezvousURL= with a list) on a virtual LAN (tests/lan/lan.sh)
# with mDNS cut between the hosts: h3 runs a redis-server of the test's
# own and three wgdiscover-rendezvous on it; h1 lists all three, h2 only
# the third. They find each other across servers; h1's server killed
# (SIGKILL), h1 moves to the next, and its new record, PUT there, is
# served by the third; all three down, h1's attempts (SYNs counted on
# h3) stay few; one server back, h1 connects to it by itself. Prints
# TAP; needs root; skipped without redis-server.

srcdir=${srcdir:-.}
ctl=${WGDISCOVERCTL:?WGDISCOVERCTL names wgdiscoverctl}
daemon=${WGDISCOVERD:?WGDISCOVERD names wgdiscoverd}
server=${WGDISCOVER_RENDEZVOUS:?WGDISCOVER_RENDEZVOUS names wgdiscover-rendezvous}
command -v redis-server >/dev/null || { echo "1..0 # SKIP redis-server is missing (tools/deps)"; exit 0; }
source "$srcdir/tests/lan/lan.sh"
source "$srcdir/tests/lan/tap.sh"

tap_lan_up 3
w=$lan_dir
umask 077
echo "1..11"
source "$srcdir/tests/lan/fleet.sh"

lan_cut_mdns
# Every connection attempt to a server, counted where the servers run.
lan_exec 3 nft -f - <<'NFT'
table inet attempts {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport 18490-18492 tcp flags & (syn | ack) == syn counter
  }
}
NFT
syns() { lan_exec 3 nft list table inet attempts | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }

fleet_redis

for i in 0 1 2; do start_server "$i"; done
check "three servers on one Redis answer on h3" "kill -0 ${spid[0]} && kill -0 ${spid[1]} && kill -0 ${spid[2]}"

for i in 1 2; do lan_node "$i" "$ctl"; done
lan_peer 1 2; lan_peer 2 1
printf '[Daemon]\nRendezvousURL=%s %s %s\nRendezvousPrivateAddresses=true\n[Interface wg0]\n' \
  "${urls[@]}" > "$w/conf1"
printf '[Daemon]\nRendezvousURL=%s\nRendezvousPrivateAddresses=true\n[Interface wg0]\n' \
  "${urls[2]}" > "$w/conf2"
start_daemon 1
start_daemon 2
found_12() { [[ $(lan_endpoint 1 2) == 10.77.0.2:51820 && $(lan_endpoint 2 1) == 10.77.0.1:51820 ]]; }
check_show "h1 (on the first server) and h2 (on the third) find each other" "within 40 found_12" \
  "$w/log1" "$w/log2"
check "h1 talks to the first server" "grep -q 'rendezvous server ${urls[0]}: connected' '$w/log1'"

key1=$(printf '%s' "${lan_pub[1]}" | tr '+/' '-_' | tr -d '=')
record1() { lan_exec 3 curl -s -m 5 "${urls[2]}/v1/peers/$key1" | sed -n 's/.*"record":"\([^"]*\)".*/\1/p'; }
before=$(record1)

# h1's server dies; h1's record changes (a new port). h1 finds out at
# its next request: the PUT, or at the latest its next lookup of h2, a
# minute after the last.
stop_pid "${spid[0]}" -KILL
lan_exec 1 wg set wg0 listen-port 51821
moved() { grep -q "rendezvous server ${urls[1]}: connected" "$w/log1"; }
check_show "h1 moves to the second server once the first is killed" "within 90 moved" "$w/log1"
newer() { local now; now=$(record1); [[ -n $now && $now != "$before" ]]; }
check_show "h1's new record, PUT on the second, is served by the third" "within 20 newer" "$w/log1"
record1 > "$w/record1"
"$ctl" verify < "$w/record1" > "$w/verify1" 2>&1
check_show "it has h1's new port" "grep -q ':51821' '$w/verify1'" "$w/verify1"
lan_exec 1 "$ctl" status > "$w/status1" 2>&1
check_show "h1's status says connected" "grep -qx 'Rendezvous: connected' '$w/status1'" "$w/status1"

# All down; h1 restarted, so that it has a record to PUT and h2 to look
# up at once, and backs off over the list.
stop_pid "${spid[1]}" -KILL
stop_pid "${spid[2]}" -KILL
stop_pid "${daemon_pid[1]}"
syn_before=$(syns)
start_daemon 1
sleep 30
syn_count=$(( $(syns) - syn_before ))
echo "# h1 and h2 tried to connect $syn_count times in 30 s with every server down"
# With every draw at its least, a round of three costs 2 s: 45 attempts
# of a PUT and a lookup; a loop would be thousands.
check "the attempts are few, not a loop (at most 100 SYNs in 30 s from two daemons)" \
  "[[ $syn_count -le 100 ]]"
check "and they go on (at least 3)" "[[ $syn_count -ge 3 ]]"
check "h1 logs backing off" "grep -q 'backing off until' '$w/log1'"

start_server 1
back() { [[ $(grep -c "rendezvous server ${urls[1]}: connected" "$w/log1") -ge 2 ]]; }
check_show "h1 connects to the second server again once it is back" "within 60 back" "$w/log1"
for i in 1 2; do stop_pid "${daemon_pid[$i]}"; done
stop_pid "${spid[1]}"
stop_pid "$redis_pid"
