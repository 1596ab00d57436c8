#!/usr/bin/env bash
# test-rendezvous-fleet-mesh.sh — a mesh watch moving to another server
# of a fleet, on a virtual LAN (tests/lan/lan.sh) with mDNS cut between
# the hosts. h3 runs a redis-server of the test's own and three
# wgdiscover-rendezvous on it; h1, h2 and h4 hold certificates of one
# mesh CA and run wgdiscoverd in mesh mode, h1 listing all three
# servers, h2 and h4 only the third. h1 watches the mesh on the first
# server and h2 on the third, and they add each other across servers.
# The first server killed (SIGKILL), h1's watch moves to the second
# (seen in h1's log and status and in the servers' /metrics; the time
# is printed). h4 then joins through the third server only: its record
# is pushed through Redis to the second and over h1's watch to h1 (the
# time from the PUT to h1 adding h4 is printed, and must be far below the
# 15 to 30 s between polls): h1's log names the second server as the
# record's source, that server counts a push, and h1 lists nothing
# meanwhile. Prints TAP; needs root; skipped without redis-server.

srcdir=${srcdir:-.}
ctl=${WGDISCOVERCTL:?WGDISCOVERCTL names wgdiscoverctl}
daemon=${WGDISCOVERD:?WGDISCOVERD names wgdiscoverd}
server=${WGDISCOVER_RENDEZVOUS:?WGDISCOVER_RENDEZVOUS names wgdiscover-rendezvous}
command -v redis-server >/dev/null || { echo "1..0 # SKIP redis-server is missing (tools/deps)"; exit 0; }
source "$srcdir/tests/lan/lan.sh"
source "$srcdir/tests/lan/tap.sh"

tap_lan_up 4
w=$lan_dir
umask 077
source "$srcdir/tests/lan/fleet.sh"

# ms since the epoch
now_ms() { echo $(($(date +%s%N) / 1000000)); }

lan_cut_mdns
fleet_redis

# metric SERVER LINE-START: the value of the first line of the server's
# /metrics that starts so, or 0.
metric() {
  lan_exec 3 curl -s -m 5 "${urls[$1]}/metrics" |
    awk -v m="$2" 'index($0, m) == 1 { print $NF; found = 1; exit } END { if (!found) print 0 }'
}
watches() { metric "$1" 'wgdiscover_rendezvous_websocket_clients '; }
listings() { metric "$1" 'wgdiscover_rendezvous_requests_total{route="mesh-announcements",status="200"}'; }
pushes() { metric "$1" 'wgdiscover_rendezvous_push_latency_seconds_count '; }
has_peer() { lan_exec "$1" wg show wg0 peers | grep -qxF "${lan_pub[$2]}"; }
logged() { grep -qE "$2" "$w/log$1"; }
count_logged() { grep -cE "$2" "$w/log$1"; }
mesh_status() { lan_exec "$1" "$ctl" status | grep -qx "Rendezvous mesh wg0: $2"; }

for i in 0 1 2; do start_server "$i"; done
check "three servers on one Redis answer on h3" "kill -0 ${spid[0]} && kill -0 ${spid[1]} && kill -0 ${spid[2]}"

"$ctl" ca init > "$w/ca.key"
ca=$("$ctl" ca pubkey < "$w/ca.key")
for i in 1 2 4; do
  lan_node "$i" "$ctl"
  "$ctl" ca sign --ca "$w/ca.key" --name "h$i" --serial "$i" \
    --signkey "$("$ctl" signkey < "$w/state$i/identity")" --wgkey "${lan_pub[i]}" \
    --address "10.78.0.$i/32" > "$w/cert$i"
done
write_conf() { # host, URLs
  printf '[Daemon]\nRendezvousURL=%s\nRendezvousPrivateAddresses=true\n[Interface wg0]\nMode=mesh\nMesh=lab\n[Mesh lab]\nCA=%s\nCertificate=%s\n' \
    "$2" "$ca" "$w/cert$1" > "$w/conf$1"
}
write_conf 1 "${urls[*]}"
write_conf 2 "${urls[2]}"
write_conf 4 "${urls[2]}"

start_daemon 1
start_daemon 2
found_12() { has_peer 1 2 && has_peer 2 1; }
check_show "h1 (on the first server) and h2 (on the third) add each other" "within 40 found_12" \
  "$w/log1" "$w/log2"
watching_on() { logged "$1" "wg0: watching the mesh on the rendezvous server ${urls[$2]}\$"; }
check_show "h1 watches the mesh on the first server" "within 20 watching_on 1 0" "$w/log1"
check_show "h2 watches it on the third" "within 20 watching_on 2 2" "$w/log2"
check "the first and the third server each count one open watch, the second none" \
  "within 10 '[[ \$(watches 0) == 1 && \$(watches 2) == 1 && \$(watches 1) == 0 ]]'"

# The first server dies under h1's watch: the connection drops, the
# client moves to the second server (0.5 to 1 s), polls the mesh there
# meanwhile and opens its watch again after the watch's backoff (1 to 3
# s).
t0=$(now_ms)
stop_pid "${spid[0]}" -KILL
check_show "h1's watch moves to the second server within 15 s of the first being killed" "within 15 watching_on 1 1" \
  "$w/log1" "$w/server1.log"
echo "# h1 watched on the second server $(($(now_ms) - t0)) ms after the first was killed"
check_show "h1's status says the mesh is watched" "within 10 mesh_status 1 watched" "$w/log1"
check "the second server counts h1's watch" "within 10 '[[ \$(watches 1) == 1 ]]'"
# After its new watch opened, h1 lists the mesh once on the second server
# (after the listing it made while it had no watch): then nothing is
# listed again while the watch holds.
check_show "h1 lists the mesh on the second server after its watch opened there" \
  "within 20 '[[ \$(listings 1) -ge 2 ]]'" "$w/log1" "$w/server1.log"

# h4 joins through the third server: its record reaches h1 only if the
# second server pushes it over h1's watch (polls are 15 to 30 s apart;
# 5 s leaves room for a loaded machine under the sanitizers).
# The time from the third server accepting h4's PUT to h1 adding h4,
# both seen by polling the log and wg every 20 ms.
listed_before=$(listings 1)
pushed_before=$(pushes 1)
polled_before=$(count_logged 1 'polling its listing')
start_daemon 4
put_at=
added_at=
for ((t = 0; t < 1500; t++)); do
  [[ -z $put_at ]] && grep -qF "PUT accepted: key ${lan_pub[4]}" "$w/server2.log" && put_at=$(now_ms)
  if [[ -n $put_at ]] && has_peer 1 4; then added_at=$(now_ms); break; fi
  sleep 0.02
done
if [[ -n $put_at && -n $added_at ]]; then
  latency=$((added_at - put_at))
  echo "# h4's record reached h1 ${latency} ms after the third server accepted it"
  check "h4 is pushed to h1 within 5 s of its PUT (${latency} ms)" '[[ $latency -lt 5000 ]]'
else
  not_ok "h4 is pushed to h1 within 5 s of its PUT (PUT seen: ${put_at:-no}, added: ${added_at:-no})"
  show_logs "$w/log1" "$w/log4" "$w/server1.log" "$w/server2.log"
fi
check "h1 found h4 through the second server" \
  "logged 1 \"found peer h4 \\(.* in service '\${urls[1]}' on rendezvous\""
check "the second server pushed it (its pushes counted $pushed_before, now more)" \
  "within 5 '[[ \$(pushes 1) -gt $pushed_before ]]'"
check "h1 did not list or poll the mesh meanwhile" \
  "[[ \$(listings 1) == $listed_before && \$(count_logged 1 'polling its listing') == $polled_before ]] &&
   mesh_status 1 watched"

for i in 1 2 4; do
  kill -TERM "${daemon_pid[$i]}"
  wait "${daemon_pid[$i]}"
  status=$?
  # Under the sanitizers, a leak or a memory error makes this non-zero.
  check "wgdiscoverd on h$i exits with status 0 ($status)" '[[ $status == 0 ]]'
done
stop_pid "${spid[1]}"
stop_pid "${spid[2]}"
stop_pid "$redis_pid"
echo "1..$n"
