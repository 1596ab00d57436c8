#!/usr/bin/env bash
# test-ctl-online.sh — wgdiscoverctl's online commands (status, peers,
# peer, monitor) against wgdiscoverd on a virtual LAN of three hosts,
# each with its own system bus (tests/lan/lan.sh): what they print is
# what the daemon's D-Bus properties and `wg show` say; --json parses and
# matches the properties; names and keys resolve, unknown and ambiguous
# ones are one-line errors with their exit status; a monitor started
# before the daemon sees it start, h2 appear, its endpoint change and h2
# vanish; with the daemon stopped every online command says it is not
# running (and the offline ones still work), without a bus that there is
# none. Text output fits 80 columns. Prints TAP; needs root.

srcdir=${srcdir:-.}
ctl=${WGDISCOVERCTL:?WGDISCOVERCTL names wgdiscoverctl}
daemon=${WGDISCOVERD:?WGDISCOVERD names wgdiscoverd}
source "$srcdir/tests/lan/lan.sh"
source "$srcdir/tests/lan/tap.sh"

for cmd in busctl /usr/bin/python3; do
  if ! command -v "$cmd" > /dev/null; then
    if [[ ${CI:-} == true ]]; then
      echo "1..1"; echo "not ok 1 - $cmd not found (apt-get install systemd python3)"
    else
      echo "1..0 # SKIP $cmd not found"
    fi
    exit 0
  fi
done

tap_lan_up 3
w=$lan_dir
umask 077

for i in 1 2 3; do lan_node "$i" "$ctl"; done
for i in 1 2 3; do
  for j in 1 2 3; do
    [[ $i == "$j" ]] || lan_peer "$i" "$j"
  done
done

# ctl N ARGS...: wgdiscoverctl on host N; stdout in $w/out, stderr in
# $w/err, status in rc.
ctl() {
  local i=$1
  shift
  lan_exec "$i" "$ctl" "$@" > "$w/out" 2> "$w/err"
  rc=$?
}
# one_line_error STATUS TEXT: the last run failed with one line naming TEXT.
one_line_error() {
  [[ $rc == "$1" && ! -s $w/out && $(wc -l < "$w/err") == 1 ]] && grep -qF -- "$2" "$w/err"
}
fits() { ! awk 'length($0) > 80 { bad = 1 } END { exit !bad }' "$w/out"; }
json_ok() { /usr/bin/python3 -c 'import json, sys; json.load(sys.stdin)' < "$w/out"; }
hex8() { lan_hex "$1" | cut -c1-16; }
peer_path() { echo "/org/wgdiscover1/peer/$(hex8 "${lan_pub[$1]}")"; }
# prop PATH INTERFACE PROPERTY: on h1, as busctl prints it after the type.
prop() {
  lan_exec 1 busctl --system get-property org.wgdiscover1 "$1" "org.wgdiscover1.$2" "$3" \
    2> /dev/null | sed -E 's/^[^ ]+ //; s/^"(.*)"$/\1/'
}

# --- without the daemon ----------------------------------------------------------
for cmd in status peers "peer h2" "approve h2" "reject h2" pause resume reload; do
  # shellcheck disable=SC2086 # the command's words
  ctl 1 $cmd
  check "without wgdiscoverd, '$cmd' says it is not running (status 5)" \
    'one_line_error 5 "wgdiscoverd is not running"'
done
ctl 1 genkey
check "without wgdiscoverd, genkey still works" '[[ $rc == 0 && $(wc -c < "$w/out") -gt 40 ]]'
lan_exec 1 "$ctl" signkey < "$w/state1/identity" > "$w/out" 2> "$w/err"
check "without wgdiscoverd, signkey still works" '[[ $? == 0 && -s $w/out ]]'
DBUS_SYSTEM_BUS_ADDRESS=unix:path=$w/no-such-bus "$ctl" status > "$w/out" 2> "$w/err"
rc=$?
check "without a system bus, status says so (status 4)" \
  'one_line_error 4 "cannot connect to the system bus"'
DBUS_SYSTEM_BUS_ADDRESS=unix:path=$w/no-such-bus "$ctl" monitor > "$w/out" 2> "$w/err"
rc=$?
check "without a system bus, monitor says so (status 4)" \
  'one_line_error 4 "cannot connect to the system bus"'

# --- monitors from before the daemon starts ----------------------------------------
lan_start 1 "$ctl" monitor > "$w/monitor" 2> "$w/monitor.err"
monitor_pid=$lan_started
lan_start 1 "$ctl" monitor --json > "$w/monitor.json" 2> "$w/monitor-json.err"
monitor_json_pid=$lan_started
check "monitor waits for wgdiscoverd" \
  "within 10 grep -q \"'wgdiscoverd is not running; waiting for it'\" '$w/monitor'"

declare -a daemon_pid
start_daemon() {
  lan_start "$1" "$daemon" --foreground --config "$w/conf$1" --state-dir "$w/state$1" >> "$w/log$1" 2>&1
  daemon_pid[$1]=$lan_started
}
# h1 starts last, once h2 and h3 are announced: it finds them by
# browsing and sets their endpoints itself, with its reasons. (Started
# first, h1 would get their handshakes, sent as they found it, and its
# WireGuard their endpoints from those, which the daemon then leaves be.)
for i in 2 3; do start_daemon "$i"; done
within 20 'lan_announced 1 h2 h3' || echo "# h1's avahi-daemon does not see h2 and h3"
start_daemon 1
found() { [[ $(lan_endpoint 1 2) == 10.77.0.2:51820 && $(lan_endpoint 1 3) == 10.77.0.3:51820 ]]; }
check "h1 sets h2's and h3's endpoints" "within 20 found"
h2=$(peer_path 2)
within 10 '[[ $(prop "$h2" Peer Endpoint) == 10.77.0.2:51820 ]]'

# --- peers --------------------------------------------------------------------------
ctl 1 peers
cp "$w/out" "$w/peers"
sed 's/^/# /' "$w/peers"
row() { awk -v n="$1" '$1 == n' "$w/peers"; }
check "peers has a header" 'head -n 1 "$w/peers" | grep -qE "^NAME +TRUST +ENDPOINT +SOURCE +HANDSHAKE +RX +TX$"'
for i in 2 3; do
  check "peers shows h$i: derived, the endpoint of wg show on h1" \
    '[[ $rc == 0 && $(row h$i | awk "{ print \$2, \$3 }") == "derived $(lan_endpoint 1 $i)" ]]'
done
check "peers shows where h2's endpoint comes from (subnet)" '[[ $(row h2 | awk "{ print \$4 }") == subnet ]]'
check "peers fits 80 columns" 'cp "$w/peers" "$w/out"; fits'
ctl 1 peers --names
check "peers --names lists h2 and h3" '[[ $rc == 0 && $(cat "$w/out") == $(printf "h2\nh3") ]]'
ctl 1 peers --pending --names
check "peers --pending --names lists none" '[[ $rc == 0 && ! -s $w/out ]]'
lan_exec 1 ping -c 2 -W 2 -q 10.78.0.2 > /dev/null
handshake() { ctl 1 peers; awk '$1 == "h2"' "$w/out" | grep -qE ' [0-9]+ s ago +[0-9.]+ (bytes|[kMG]B) '; }
check "after a ping, peers shows h2's handshake in seconds and its traffic" "within 25 handshake"
sed 's/^/# /' "$w/out"

ctl 1 peers --json
cp "$w/out" "$w/peers.json"
check "peers --json parses" '[[ $rc == 0 ]] && json_ok'
py_check() {
  /usr/bin/python3 - "$w/peers.json" "$@" <<'PY'
import json, sys
peers = {p["name"]: p for p in json.load(open(sys.argv[1]))["peers"]}
field, name, want = sys.argv[2], sys.argv[3], sys.argv[4]
got = peers[name][field]
if str(got) != want:
    print("# %s of %s: %r, not %r" % (field, name, got, want))
    sys.exit(1)
PY
}
for f in Name WireGuardKey SigningKey Trust Endpoint EndpointReason Interface LastSeen; do
  json=$(sed -E 's/([a-z])([A-Z])/\1_\2/g; s/Wire_Guard/WireGuard/' <<< "$f" | tr 'A-Z' 'a-z')
  check "peers --json: h2's $json is its D-Bus $f" 'py_check "$json" h2 "$(prop "$h2" Peer "$f")"'
done
check "peers --json: h2's candidates hold its LAN address from mdns" \
  '/usr/bin/python3 -c "import json,sys; c = [p for p in json.load(open(sys.argv[1]))[\"peers\"] if p[\"name\"] == \"h2\"][0][\"candidates\"]; sys.exit(not any(x[\"endpoint\"] == \"10.77.0.2:51820\" and x[\"source\"] == \"mdns\" and x[\"age\"] >= 0 for x in c))" "$w/peers.json"'

# --- peer ------------------------------------------------------------------------------
field() { awk -v l="$1" '$1 == l { print $2 }' "$w/out"; }
ctl 1 peer h2
cp "$w/out" "$w/peer-name"
sed 's/^/# /' "$w/peer-name"
check "peer h2 shows its key, trust, endpoint and candidates" \
  '[[ $rc == 0 && $(field WireGuardKey:) == "${lan_pub[2]}" && $(field Trust:) == derived && $(field Endpoint:) == 10.77.0.2:51820 ]] && grep -qE "^  10\.77\.0\.2:51820  mdns  [0-9]+ s ago$" "$w/out"'
check "peer h2 fits 80 columns" fits
ctl 1 peer "${lan_pub[2]}"
check "peer KEY shows what peer NAME shows" \
  '[[ $rc == 0 ]] && diff <(grep -vE "^(LastSeen|LatestHandshake|Candidates|  )" "$w/peer-name") <(grep -vE "^(LastSeen|LatestHandshake|Candidates|  )" "$w/out")'
ctl 1 peer --json h2
check "peer --json h2 parses and names h2's key" \
  '[[ $rc == 0 ]] && json_ok && /usr/bin/python3 -c "import json,sys; sys.exit(json.load(sys.stdin)[\"wireguard_key\"] != sys.argv[1])" "${lan_pub[2]}" < "$w/out"'
ctl 1 peer nosuch
check "peer with an unknown name: one line, status 3" "one_line_error 3 \"no peer 'nosuch'\""
ctl 1 peer
check "peer without a name: a usage error (status 2)" 'one_line_error 2 "missing"'
ctl 1 approve h2
check "approve of a peer that is not pending: one line, status 3" 'one_line_error 3 "h2 is not pending"'

# --- status ------------------------------------------------------------------------------
ctl 1 status
sed 's/^/# /' "$w/out"
signkey1=$("$ctl" signkey < "$w/state1/identity")
check "status shows the version" '[[ $rc == 0 ]] && head -n 1 "$w/out" | grep -qF "wgdiscoverd $("$daemon" --version | awk "{ print \$2 }")"'
check "status shows h1's signing key and WireGuard key" \
  '[[ $(awk "/^  signing key / { print \$3 }" "$w/out") == "$signkey1" && $(awk "/^  WireGuard key / { print \$3 }" "$w/out") == "${lan_pub[1]}" ]]'
check "status has a line for the fingerprint" 'grep -qE "^  fingerprint +[-0-9a-f]+$" "$w/out"'
check "status shows wg0: endpoint mode, port, present, advertising" \
  'grep -qE "^  wg0 +endpoint +port 51820, present, advertising$" "$w/out"'
check "status counts accepted announcements and two derived peers" \
  'grep -qE "announcements accepted +[1-9]" "$w/out" && grep -qE "peers by trust +derived 2$" "$w/out"'
check "status fits 80 columns" fits
ctl 1 status --json
check "status --json parses and matches the D-Bus properties" \
  '[[ $rc == 0 ]] && json_ok && /usr/bin/python3 -c "
import json, sys
s = json.load(sys.stdin)
ok = (s[\"signing_key\"] == sys.argv[1] and s[\"wireguard_key\"] == sys.argv[2]
      and s[\"peers_by_trust\"][\"derived\"] == 2 and s[\"interfaces\"][0][\"name\"] == \"wg0\"
      and s[\"interfaces\"][0][\"listen_port\"] == 51820 and s[\"version\"] == sys.argv[3]
      and s[\"announcements_accepted\"] == int(sys.argv[4]))
sys.exit(not ok)" "$signkey1" "${lan_pub[1]}" "$(prop /org/wgdiscover1 Manager Version)" "$(prop /org/wgdiscover1 Manager AnnouncementsAccepted)" < "$w/out"'

# --- an ambiguous name: h3 announces h2's name too ------------------------------------
lan_exec 3 hostname h2
kill -TERM "${daemon_pid[3]}"; wait "${daemon_pid[3]}"
start_daemon 3
renamed() { [[ $(prop "$(peer_path 3)" Peer Name) == h2 ]]; }
check "h3 now announces itself as h2" "within 25 renamed"
ctl 1 peer h2
check "peer with an ambiguous name: one line listing both keys, status 3" \
  'one_line_error 3 "ambiguous" && grep -qF "${lan_pub[2]}" "$w/err" && grep -qF "${lan_pub[3]}" "$w/err"'
ctl 1 peers --names
check "peers --names gives both keys instead of the shared name" \
  '[[ $(sort "$w/out") == $(printf "%s\n" "${lan_pub[2]}" "${lan_pub[3]}" | sort) ]]'

# --- h2 moves, then goes -------------------------------------------------------------------
lan_exec 2 ip addr del 10.77.0.2/24 dev eth0
lan_exec 2 ip addr add 10.77.0.12/24 dev eth0
check "h2's move shows in wg show on h1" "within 25 '[[ \$(lan_endpoint 1 2) == 10.77.0.12:51820 ]]'"
# It can come by h2's handshake from its new address, before h2's new
# record: then h1's daemon shows it from its next read of wg0.
check "h2's move shows on h1's bus" "within 25 '[[ \$(prop $h2 Peer Endpoint) == 10.77.0.12:51820 ]]'"
# As NetworkManager and networkd remove a peer: the peer, then the
# route to its allowed-ips, which tells h1's daemon to look.
lan_exec 1 ip route add 10.78.0.2/32 dev wg0
lan_exec 1 wg set wg0 peer "${lan_pub[2]}" remove
lan_exec 1 ip route del 10.78.0.2/32 dev wg0
check "h2's peer object goes when h2 is removed from wg0" "within 25 '[[ -z \$(prop $h2 Peer Name) ]]'"

mon() { grep -qF -- "$1" "$w/monitor"; }
check "monitor saw wgdiscoverd start" "within 5 mon \"'wgdiscoverd is running (version'\""
check "monitor saw h2 appear, with its key" "mon 'peer h2 appeared (${lan_pub[2]})'"
check "monitor saw h2's endpoint set" "mon 'peer h2: Endpoint = 10.77.0.2:51820'"
check "monitor saw h2's endpoint change" "mon 'peer h2: Endpoint = 10.77.0.12:51820'"
check "monitor saw h2 vanish" "within 5 mon \"'peer h2 vanished (${lan_pub[2]})'\""
# Changes are coalesced and h2's and h3's first records may land in one, so any
# count is right; that the count reached the monitor at all is what matters.
check "monitor saw the counters change" \
  "within 5 grep -qE \"'wgdiscoverd: AnnouncementsAccepted = [1-9]'\" '$w/monitor'"
check "monitor does not list the daemon's values when it starts" "! mon 'wgdiscoverd: Version = '"
check "every monitor line starts with the time" "! grep -vqE '^[0-9]{2}:[0-9]{2}:[0-9]{2} ' '$w/monitor'"
check "every monitor line parses as JSON" \
  '/usr/bin/python3 -c "import json, sys; [json.loads(l) for l in open(sys.argv[1])]" "$w/monitor.json"'
json_events() {
  /usr/bin/python3 - "$w/monitor.json" "${lan_pub[2]}" <<'PY'
import json, sys
key = sys.argv[2]
ev = [json.loads(l) for l in open(sys.argv[1])]
kinds = [e["event"] for e in ev]
added = any(e["event"] == "peer-added" and e["wireguard_key"] == key
            and e["properties"]["wireguard_key"] == key for e in ev)
moved = any(e["event"] == "peer-changed" and e["wireguard_key"] == key
            and e["properties"].get("endpoint") == "10.77.0.12:51820" for e in ev)
gone = any(e["event"] == "peer-removed" and e["wireguard_key"] == key for e in ev)
timed = all("time" in e for e in ev)
started = ev[0] == {"time": ev[0]["time"], "event": "daemon", "running": False} and \
          any(e["event"] == "daemon" and e["running"] for e in ev)
if not (added and moved and gone and timed and started):
    print("# added %s moved %s gone %s timed %s started %s: %s" % (added, moved, gone, timed, started, kinds))
    sys.exit(1)
PY
}
check "monitor --json saw wgdiscoverd start, h2 appear, move and vanish" json_events

# --- the daemon stops ---------------------------------------------------------------------
kill -TERM "${daemon_pid[1]}"
wait "${daemon_pid[1]}"
check "h1's wgdiscoverd exits with status 0" '[[ $? == 0 ]]'
check "monitor says wgdiscoverd stopped, and waits" \
  "within 10 mon \"'wgdiscoverd is not running; waiting for it'\" && [[ \$(grep -c 'waiting for it' '$w/monitor') == 2 ]] && kill -0 $monitor_pid"
check "monitor does not report the stopped daemon's peers as vanished" \
  "[[ \$(grep -c 'vanished' '$w/monitor') == 1 ]]"
ctl 1 peers
check "with wgdiscoverd stopped, peers says it is not running (status 5)" \
  'one_line_error 5 "wgdiscoverd is not running"'
kill -INT "$monitor_pid"
wait "$monitor_pid"
check "monitor ends on SIGINT with status 0" '[[ $? == 0 ]]'
kill -TERM "$monitor_json_pid"
wait "$monitor_json_pid"
check "monitor --json ends on SIGTERM with status 0" '[[ $? == 0 ]]'
check "the monitors wrote nothing on stderr" '[[ ! -s $w/monitor.err && ! -s $w/monitor-json.err ]]'
check "monitor's lines fit 80 columns, but for keys and candidates" \
  "! grep -vE 'appeared|vanished|Candidates' '$w/monitor' | awk 'length(\$0) > 80 { bad = 1 } END { exit !bad }'"
echo "# h1's monitor:"
sed 's/^/#   /' "$w/monitor"
echo "1..$n"
