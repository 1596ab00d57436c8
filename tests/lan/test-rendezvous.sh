#!/usr/bin/env bash
# test-rendezvous.sh — wgdiscoverd's rendezvous client on a virtual LAN
# (tests/lan/lan.sh) where mDNS between the hosts is cut (UDP 5353 dropped
# on the bridge), so that only the server can tell them about each other:
# h3 runs wgdiscover-rendezvous on 10.77.0.3; h1 and h2 find each other
# through it and ping over WireGuard; with the server gone they keep
# working and back off (the spacing of their retries measured at a fake
# server that never answers); a host started meanwhile is found once the
# server is back, through its reflexive endpoint alone, since its private
# addresses are not sent by default; a 429's Retry-After is obeyed; a
# record with a broken signature, served by a fake server, is refused and
# changes nothing. Prints TAP; needs root.

srcdir=${srcdir:-.}
ctl=${WGDISCOVERCTL:?WGDISCOVERCTL names wgdiscoverctl}
daemon=${WGDISCOVERD:?WGDISCOVERD names wgdiscoverd}
server=${WGDISCOVER_RENDEZVOUS:?WGDISCOVER_RENDEZVOUS names wgdiscover-rendezvous}
fake=$(cd "$srcdir" && pwd)/tests/lan/rdv-fake.py
source "$srcdir/tests/lan/lan.sh"
source "$srcdir/tests/lan/tap.sh"

tap_lan_up 4
w=$lan_dir
umask 077
echo "1..19"
port=18480
url=http://10.77.0.3:$port

# mDNS cut between the hosts: what they learn, they learn from the server.
lan_cut_mdns

declare -a daemon_pid
for i in 1 2 4; do lan_node "$i" "$ctl"; done
lan_peer 1 2; lan_peer 2 1; lan_peer 1 4; lan_peer 4 1
# h1 and h2 may send the server their (private) LAN addresses; h4 keeps
# the default and sends none.
for i in 1 2; do
  printf '[Daemon]\nRendezvousURL=%s\nRendezvousPrivateAddresses=true\n[Interface wg0]\n' \
    "$url" > "$w/conf$i"
done
printf '[Daemon]\nRendezvousURL=%s\n[Interface wg0]\n' "$url" > "$w/conf4"

start_daemon() {
  lan_start "$1" "$daemon" --foreground --config "$w/conf$1" --state-dir "$w/state$1" >> "$w/log$1" 2>&1
  daemon_pid[$1]=$lan_started
}
stop_daemon() { kill "${daemon_pid[$1]}" 2>/dev/null; wait "${daemon_pid[$1]}" 2>/dev/null; }
start_server() {
  printf '[Server]\nListen=10.77.0.3:%s\nAllowPlainHTTP=true\nRequestsPerSecond=1000\nRequestBurst=1000\n' \
    "$port" > "$w/server.conf"
  lan_start 3 "$server" --config "$w/server.conf" --state-dir "$w/server-state" >> "$w/server.log" 2>&1
  server_pid=$lan_started
  within 10 "lan_exec 3 curl -s -m 5 -o /dev/null $url/metrics"
}
stop_pid() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
start_fake() {
  lan_start 3 /usr/bin/python3 "$fake" 10.77.0.3 "$port" "$w/fake.log" "$@"
  fake_pid=$lan_started
  within 10 "lan_exec 3 bash -c 'exec 3<>/dev/tcp/10.77.0.3/$port' 2>/dev/null"
}

start_server
check "the server answers on h3" "[[ -n \$server_pid ]] && kill -0 $server_pid"

t0=$(date +%s.%N)
start_daemon 1
start_daemon 2
found_12() { [[ $(lan_endpoint 1 2) == 10.77.0.2:51820 && $(lan_endpoint 2 1) == 10.77.0.1:51820 ]]; }
check_show "h1 and h2 set each other's endpoint through the server" "within 30 found_12" "$w/log1" "$w/server.log"
t1=$(date +%s.%N)
echo "# found through the server in $(echo "$t1 - $t0" | bc) s (the fallback waits 5 s for mDNS)"
check "the LAN did not carry mDNS between them (nothing found on mdns)" \
  "! grep -q 'WGD_SOURCE=mdns\\|found peer.*on eth0' '$w/log1'"
# h2's handshake can give h1's WireGuard h2's endpoint before h1's own
# lookup of h2 is answered.
found_h2_logged() { grep -qF "found peer h2 (${lan_pub[2]}) in service '$url' on rendezvous" "$w/log1"; }
check "h1 logs h2 found through the rendezvous server" "within 20 found_h2_logged"
check "h1 pings h2 over WireGuard" "lan_exec 1 ping -c 2 -W 2 -q 10.78.0.2 >/dev/null"
check "h1 logs the server connected" "grep -q 'rendezvous server $url: connected' '$w/log1'"
check "wgdiscoverctl status on h1 says connected" \
  "lan_exec 1 '$ctl' status | grep -qx 'Rendezvous: connected'"

# The server goes; a fake one takes its port and never answers.
stop_pid "$server_pid"
: > "$w/fake.log"
start_fake close
start_daemon 4
sleep 25
check "h1 still pings h2 with the server gone" "lan_exec 1 ping -c 2 -W 2 -q 10.78.0.2 >/dev/null"
backing=$(grep -c 'backing off until' "$w/log4")
lan_exec 4 "$ctl" status > "$w/status4" 2>&1
check_show "wgdiscoverctl status on h4 says backing off, until when and why" \
  "grep -qE '^Rendezvous: backing-off until 20[0-9-]+T[0-9:]+Z \\(.+\\)$' '$w/status4'" "$w/status4"
check_show "h4 logs backing off once per state change, not per retry ($backing lines)" \
  "[[ $backing -ge 1 && $backing -le 3 ]]" "$w/log4"
# h4's attempts, in bursts (a PUT and the lookups of one round leave together).
mapfile -t bursts < <(awk '$2 == "10.77.0.4" { t = $1; if (t - last > 0.5) print t; last = t }' "$w/fake.log")
spaced() {
  local i gap
  [[ ${#bursts[@]} -ge 2 && ${#bursts[@]} -le 10 ]] || return 1
  for ((i = 1; i < ${#bursts[@]}; i++)); do
    gap=$(echo "${bursts[i]} - ${bursts[i-1]}" | bc)
    echo "# retry gap $gap s"
    (( $(echo "$gap >= 0.9" | bc) )) || return 1
  done
}
check_show "h4's retries are spaced by the backoff (${#bursts[@]} in 25 s, at least 1 s apart)" \
  spaced "$w/fake.log" "$w/log4"
stop_pid "$fake_pid"

# The server is back: h4, new meanwhile, is published and found.
start_server
found_4() { [[ $(lan_endpoint 1 4) == 10.77.0.4:51820 ]]; }
t0=$(date +%s.%N)
check_show "h1 finds h4 (started while the server was down) once it is back" "within 180 found_4" "$w/log4" "$w/log1"
echo "# caught up $(echo "$(date +%s.%N) - $t0" | bc) s after the server came back"
check "h1 pings h4 over WireGuard" "lan_exec 1 ping -c 2 -W 2 -q 10.78.0.4 >/dev/null"
key4=$(printf '%s' "${lan_pub[4]}" | tr '+/' '-_' | tr -d '=')
lan_exec 3 curl -s -m 5 "$url/v1/peers/$key4" | sed -n 's/.*"record":"\([^"]*\)".*/\1/p' > "$w/record4"
"$ctl" verify < "$w/record4" > "$w/verify4" 2>&1
check_show "the server holds h4's record with its reflexive endpoint" \
  "grep -q 'reflexive 10.77.0.4:51820' '$w/verify4'" "$w/verify4"
check "h4's record carries none of its private addresses (RendezvousPrivateAddresses=false)" \
  "[[ -s '$w/record4' ]] && ! grep -qE 'host (10\\.77\\.|\\[fd77)' '$w/verify4'"

# 429: a fake server asks for 10 s; h1, restarted, must wait them out.
stop_pid "$server_pid"
: > "$w/fake.log"
start_fake 429 10
stop_daemon 1
start_daemon 1
sleep 16
mapfile -t times < <(awk '$2 == "10.77.0.1" { print $1 }' "$w/fake.log")
obeyed() {
  local first=${times[0]} t gap later=0
  [[ -n $first ]] || return 1
  for t in "${times[@]}"; do
    gap=$(echo "$t - $first" | bc)
    if (( $(echo "$gap > 0.5" | bc) )); then
      (( $(echo "$gap >= 9.5" | bc) )) || { echo "# a request $gap s after the 429"; return 1; }
      later=1
    fi
  done
  [[ $later == 1 ]]
}
check_show "h1 sends nothing within Retry-After (10 s) of a 429, and tries again after" obeyed \
  "$w/fake.log" "$w/log1"
check "h1 logs the 429" "grep -q 'rate-limited (429, Retry-After 10)' '$w/log1'"
stop_pid "$fake_pid"

# A fake server serves h2's record with its signature broken.
now=$(date +%s)
"$ctl" announce --identity "$w/state2/identity" --endpoint 10.77.0.99:51820 \
  --timestamp "$((now + 1))" > "$w/good2"
rec=$(cat "$w/good2")
c=${rec: -10:1}
[[ $c == A ]] && r=B || r=A
printf '%s\n' "${rec:0:${#rec}-10}$r${rec: -9}" > "$w/tampered2"
start_fake serve "$w/tampered2"
stop_daemon 1
start_daemon 1
refused() { grep -q "on rendezvous: bad-signature" "$w/log1"; }
check_show "h1 refuses the tampered record from the server (bad-signature)" "within 20 refused" "$w/log1"
check "h1 keeps h2's endpoint" "[[ \$(lan_endpoint 1 2) == 10.77.0.2:51820 ]]"
stop_pid "$fake_pid"
for i in 1 2 4; do stop_daemon "$i"; done
