#!/usr/bin/env bash
# test-wan-mesh.sh — wgdiscoverd in mesh mode off the LAN, on the routed
# virtual internet of tests/lan/wan.sh (two LANs, a router between them,
# no multicast across, wgdiscover-rendezvous on 192.0.2.1).
#
# a1 (LAN A) and b1 (LAN B) hold certificates of one mesh CA and the
# server's URL: they watch the mesh over WebSocket and find each other
# only through the server, and ping over WireGuard. b2, started later, is
# pushed to a1 (the time from its PUT to a1 adding it is printed). a3 is
# in a mesh of another CA on the same server: it learns nothing of the
# first mesh, and a proof with its certificate lists or watches nothing
# there (403). The server is restarted with MaxWebSockets=0: the
# daemons' watches are refused (503) and they poll the mesh's listing,
# and b1 still finds a2, started meanwhile; with the server's limit
# lifted they watch again. Behind a proxy that swallows WebSockets
# silently (tests/lan/ws-blackhole.py), a1 finds its watch dead after
# 60 s without a pong and polls, while b1's healthy watch stays open.
# Prints TAP; needs root.

srcdir=${srcdir:-.}
ctl=${WGDISCOVERCTL:?WGDISCOVERCTL names wgdiscoverctl}
daemon=${WGDISCOVERD:?WGDISCOVERD names wgdiscoverd}
server=${WGDISCOVER_RENDEZVOUS:?WGDISCOVER_RENDEZVOUS names wgdiscover-rendezvous}
client=${WGD_RDV_CLIENT:?WGD_RDV_CLIENT names tests/rendezvous/rdv-client}
blackhole=$(cd "$srcdir" && pwd)/tests/lan/ws-blackhole.py
source "$srcdir/tests/lan/lan.sh"
source "$srcdir/tests/lan/wan.sh"
source "$srcdir/tests/lan/tap.sh"

tap_require wan_require "virtual internet"
trap 'wan_down' EXIT
if ! wan_up routed 3 2 >/dev/null 2>&1; then
  echo "1..1"; echo "not ok 1 - the routed virtual internet did not come up"
  exit 0
fi
w=$wan_dir
umask 077
port=18490
url=http://$wan_server_address:$port

# ms since the epoch
now_ms() { echo $(($(date +%s%N) / 1000000)); }

"$ctl" ca init > "$w/ca.key"
ca=$("$ctl" ca pubkey < "$w/ca.key")
"$ctl" ca init > "$w/other-ca.key"
other_ca=$("$ctl" ca pubkey < "$w/other-ca.key")

# node HOST N CA_KEY_FILE CA: an identity, wg0 with its key on port 51820
# and 10.78.0.N, a certificate of the CA for 10.78.0.N/32, and a
# configuration in mesh mode with the server's URL.
declare -A pub=() daemon_pid=()
node() {
  local h=$1 i=$2 state=$w/state-$1
  mkdir -p "$state"
  "$ctl" genkey > "$state/identity"
  "$ctl" wgkey < "$state/identity" > "$w/wgkey-$h"
  pub[$h]=$("$ctl" wgpubkey < "$state/identity")
  wan_exec "$h" wg set wg0 private-key "$w/wgkey-$h" listen-port 51820
  wan_exec "$h" ip addr add "10.78.0.$i/24" dev wg0
  wan_exec "$h" ip link set wg0 up
  "$ctl" ca sign --ca "$3" --name "$h" --serial "$i" \
    --signkey "$("$ctl" signkey < "$state/identity")" --wgkey "${pub[$h]}" \
    --address "10.78.0.$i/32" > "$w/cert-$h"
  printf '[Daemon]\nRendezvousURL=%s\n[Interface wg0]\nMode=mesh\nMesh=lab\n[Mesh lab]\nCA=%s\nCertificate=%s\n' \
    "$url" "$4" "$w/cert-$h" > "$w/conf-$h"
}
node a1 1 "$w/ca.key" "$ca"
node b1 2 "$w/ca.key" "$ca"
node b2 3 "$w/ca.key" "$ca"
node a2 4 "$w/ca.key" "$ca"
node a3 5 "$w/other-ca.key" "$other_ca"
# b1 asks the server always, the others when the LAN has nothing (the default).
sed -i 's/^Mode=mesh$/Mode=mesh\nRendezvous=always/' "$w/conf-b1"

start_daemon() {
  wan_start "$1" "$daemon" --foreground --config "$w/conf-$1" --state-dir "$w/state-$1" \
    >> "$w/log-$1" 2>&1
  daemon_pid[$1]=$wan_started
}
stop_pid() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
# start_server [KEY=VALUE...]: the server on 192.0.2.1, with these keys too.
start_server() {
  {
    printf '[Server]\nListen=%s:%s\nAllowPlainHTTP=true\nRequestsPerSecond=1000\nRequestBurst=1000\n' \
      "$wan_server_address" "$port"
    printf '%s\n' "$@"
  } > "$w/server.conf"
  # ip netns exec execs the server: $! is its PID.
  ip netns exec "${wan_id}-server" "$server" --config "$w/server.conf" \
    --state-dir "$w/server-state" >> "$w/server.log" 2>&1 &
  server_pid=$!
  within 10 "wan_ns server curl -s -m 5 -o /dev/null $url/metrics"
}
has_peer() { wan_exec "$1" wg show wg0 peers | grep -qxF "${pub[$2]}"; }
endpoint_of() { # host, peer
  wan_exec "$1" wg show wg0 endpoints | awk -v k="${pub[$2]}" '$1 == k { print $2 }'
}
logged() { grep -qE "$2" "$w/log-$1"; }
count_logged() { grep -cE "$2" "$w/log-$1"; }

start_server
check "the server answers on $wan_server_address" "[[ -n \$server_pid ]] && kill -0 $server_pid"

t0=$(now_ms)
for h in a1 b1 a3; do start_daemon "$h"; done
found_ab() { has_peer a1 b1 && has_peer b1 a1; }
check_show "a1 and b1 add each other through the server" "within 40 found_ab" \
  "$w/log-a1" "$w/log-b1" "$w/server.log"
echo "# a1 and b1 added each other $(($(now_ms) - t0)) ms after their daemons started"
check "a1 found b1 through the rendezvous server, not the LAN" \
  "logged a1 \"found peer b1 \\(.*on rendezvous\" && ! logged a1 'found peer b1 .*on eth0'"
# b1's own handshake may give a1 its endpoint first (roaming): a1 then
# writes it again, with a handshake, as no session holds yet.
reflexive_ab() { [[ $(endpoint_of a1 b1) == 10.77.2.1:51820 ]]; }
check_show "a1 has b1's reflexive endpoint (the address the server saw)" "within 10 reflexive_ab" \
  "$w/log-a1" "$w/log-b1"
# Both ends send a handshake as soon as they set the other's endpoint;
# one that reaches a NAT before the other end's own opened it is lost,
# and WireGuard tries again 5 s later.
check_show "a1 pings b1 over WireGuard" "within 15 'wan_exec a1 ping -c 1 -W 2 -q 10.78.0.2 >/dev/null'" \
  "$w/log-a1" "$w/log-b1"
for h in a1 b1; do
  check_show "$h watches the mesh over WebSocket" "within 10 logged $h 'wg0: watching the mesh'" \
    "$w/log-$h"
done
check_show "wgdiscoverctl status on a1 says the mesh is watched" \
  "within 5 \"wan_exec a1 '$ctl' status | grep -qx 'Rendezvous mesh wg0: watched'\"" \
  "$w/log-a1"
check "the server counts the open watches" \
  "wan_ns server curl -s -m 5 $url/metrics | grep -qE '^wgdiscover_rendezvous_websocket_clients [3-9]'"

# b2 joins: pushed to a1. The time from the server accepting b2's PUT to
# a1 adding b2, both seen by polling the logs and wg every 20 ms.
start_daemon b2
put_at=
added_at=
for ((t = 0; t < 1500; t++)); do
  [[ -z $put_at ]] && grep -qF "PUT accepted: key ${pub[b2]}" "$w/server.log" && put_at=$(now_ms)
  if [[ -n $put_at ]] && has_peer a1 b2; then added_at=$(now_ms); break; fi
  sleep 0.02
done
if [[ -n $put_at && -n $added_at ]]; then
  latency=$((added_at - put_at))
  echo "# b2's record reached a1 ${latency} ms after the server accepted it (push; polls are 15-30 s apart)"
  check "b2 is pushed to a1 within 3 s of its PUT (${latency} ms)" '[[ $latency -lt 3000 ]]'
else
  not_ok "b2 is pushed to a1 within 3 s of its PUT (PUT seen: ${put_at:-no}, added: ${added_at:-no})"
  show_logs "$w/log-a1" "$w/log-b2" "$w/server.log"
fi
check "a1 found b2 through the rendezvous server" "logged a1 'found peer b2 \\(.*on rendezvous'"
check "a1 has not polled the mesh" "! logged a1 'polling its listing'"

# The member of another mesh on the same server learns nothing of this one.
check_show "a3 watches its own mesh on the server" "logged a3 'wg0: watching the mesh'" "$w/log-a3"
check "a3 adds no peer" '[[ -z $(wan_exec a3 wg show wg0 peers) ]]'
check "a3 logs none of the mesh's members" "! logged a3 'peer (a1|b1|b2) '"
wan_exec a3 "$client" --url "$url" --identity "$w/state-a3/identity" --cert "$w/cert-a3" \
  --mesh "$ca" list > "$w/outsider.list" 2>&1
check_show "a proof with a3's certificate lists nothing of the mesh (403)" \
  "head -n 1 '$w/outsider.list' | grep -qx 403 && ! grep -q record '$w/outsider.list'" \
  "$w/outsider.list"
wan_exec a3 "$client" --url "$url" --identity "$w/state-a3/identity" --cert "$w/cert-a3" \
  --mesh "$ca" --timeout 5 watch > "$w/outsider.watch" 2>&1
check_show "nor watches it (refused, 403)" \
  "grep -q '^refused' '$w/outsider.watch' && grep -qx 'status 403' '$w/outsider.watch'" \
  "$w/outsider.watch"
wan_exec a1 "$client" --url "$url" --identity "$w/state-a1/identity" --cert "$w/cert-a1" \
  list > "$w/member.list" 2>&1
check_show "while a1's proof lists it (200, with b2's record)" \
  "head -n 1 '$w/member.list' | grep -qx 200 && grep -qF \"${pub[b2]}\" '$w/member.list'" \
  "$w/member.list"

# No WebSockets: the watches are refused and the daemons poll.
stop_pid "$server_pid"
start_server MaxWebSockets=0
polling() { logged a1 'polling its listing' && logged b1 'polling its listing'; }
check_show "with MaxWebSockets=0, a1 and b1 fall back to polling the listing" "within 60 polling" \
  "$w/log-a1" "$w/log-b1" "$w/server.log"
refused_503() {
  wan_ns server curl -s -m 5 "$url/metrics" |
    awk '/^wgdiscover_rendezvous_requests_total\{route="mesh-watch",status="503"\}/ { print $2 }'
}
check "the server refuses their watches with 503 (too-many-websockets)" \
  'within 30 "[[ \$(refused_503) -ge 2 ]]"'
check_show "wgdiscoverctl status on b1 says the mesh is polled" \
  "within 10 \"wan_exec b1 '$ctl' status | grep -qx 'Rendezvous mesh wg0: polled'\"" \
  "$w/log-b1"
# a2 joins once the listing after the watch's loss is behind them: only
# a later poll can bring it to b1.
sleep 3
t0=$(now_ms)
start_daemon a2
check_show "b1 finds a2, started meanwhile, by polling the listing" "within 60 has_peer b1 a2" \
  "$w/log-b1" "$w/log-a2" "$w/server.log"
echo "# b1 added a2 $(($(now_ms) - t0)) ms after a2's daemon started (polls are 15-30 s apart)"
check "b1 found a2 through the rendezvous server" "logged b1 'found peer a2 \\(.*on rendezvous'"
check "b1 still polls: the server takes no watch" \
  "wan_exec b1 '$ctl' status | grep -qx 'Rendezvous mesh wg0: polled'"
check "b1 pings a2 over WireGuard" "within 40 'wan_exec b1 ping -c 1 -W 1 -q 10.78.0.4 >/dev/null'"
echo "# the server refused $(refused_503) watches with 503 so far"

# WebSockets back: the daemons watch again.
stop_pid "$server_pid"
before=$(count_logged a1 'wg0: watching the mesh')
start_server
watching_again() { [[ $(count_logged a1 'wg0: watching the mesh') -gt $before ]]; }
t0=$(now_ms)
check_show "with WebSockets allowed again, a1 watches the mesh again" "within 150 watching_again" \
  "$w/log-a1" "$w/server.log"
echo "# a1 watched again $(($(now_ms) - t0)) ms after the server came back"

# A proxy in front of a second server that passes the WebSocket's
# opening and then swallows it silently: a1 (reloaded with the proxy's
# URL) takes the watch as dead once nothing came for 60 s, and polls
# through the proxy. Meanwhile b1 keeps its watch on the first server:
# the pongs to its pings keep a healthy watch alive past those 60 s.
watched_again_b1() { wan_exec b1 "$ctl" status | grep -qx 'Rendezvous mesh wg0: watched'; }
check_show "b1 watches the mesh again too" "within 150 watched_again_b1" "$w/log-b1"
b1_drops=$(count_logged b1 'cannot watch the mesh')
b1_watches=$(count_logged b1 'wg0: watching the mesh')
proxy_port=$((port + 1))
proxy_url=http://$wan_server_address:$proxy_port
printf '[Server]\nListen=%s:%s\nAllowPlainHTTP=true\nPublicURL=%s\n' \
  "$wan_server_address" $((port + 2)) "$proxy_url" > "$w/server2.conf"
ip netns exec "${wan_id}-server" "$server" --config "$w/server2.conf" \
  --state-dir "$w/server2-state" >> "$w/server2.log" 2>&1 &
server2_pid=$!
ip netns exec "${wan_id}-server" /usr/bin/python3 "$blackhole" "$wan_server_address" \
  "$proxy_port" "$wan_server_address" $((port + 2)) "$w/blackhole.log" &
proxy_pid=$!
within 10 "wan_ns server curl -s -m 5 -o /dev/null $proxy_url/metrics"
sed -i "s|^RendezvousURL=.*|RendezvousURL=$proxy_url|" "$w/conf-a1"
kill -HUP "${daemon_pid[a1]}"
check_show "through the proxy, a1 opens a watch (the proxy passes the 101)" \
  "within 30 logged a1 'wg0: watching the mesh on the rendezvous server $proxy_url'" \
  "$w/log-a1" "$w/blackhole.log" "$w/server2.log"
t0=$(now_ms)
silent() { logged a1 "cannot watch the mesh on the rendezvous server $proxy_url \\(nothing heard"; }
check_show "a1 finds the swallowed watch dead and polls the listing" "within 100 silent" \
  "$w/log-a1" "$w/blackhole.log"
echo "# a1 gave the silent watch up $(($(now_ms) - t0)) ms after it opened (pings every 20 s, dead after 60 s)"
# A dead watch is a failure of its server (the client backs off, to the
# next server of its list if it has several) until the listing after it
# is answered.
check_show "wgdiscoverctl status on a1: connected through the proxy, the mesh polled" \
  "within 40 \"wan_exec a1 '$ctl' status | grep -qx 'Rendezvous mesh wg0: polled'\" &&
   within 10 \"wan_exec a1 '$ctl' status | grep -q '^Rendezvous: connected'\"" "$w/log-a1"
check_show "b1 kept one watch open all along (answered pings, no drop, no new watch)" \
  "watched_again_b1 && [[ \$(count_logged b1 'cannot watch the mesh') == $b1_drops &&
                         \$(count_logged b1 'wg0: watching the mesh') == $b1_watches ]]" "$w/log-b1"
stop_pid "$server2_pid"
stop_pid "$proxy_pid"

for h in a1 b1 b2 a2 a3; do
  check "wgdiscoverd on $h keeps running" "kill -0 ${daemon_pid[$h]}"
done
for h in a1 b1 b2 a2 a3; do
  kill -TERM "${daemon_pid[$h]}"
  wait "${daemon_pid[$h]}"
  status=$?
  # Under the sanitizers, a leak or a memory error makes this non-zero.
  check "wgdiscoverd on $h exits with status 0 ($status)" '[[ $status == 0 ]]'
done
stop_pid "$server_pid"
echo "# b1's log:"
sed 's/^/#   /' "$w/log-b1"
echo "1..$n"
