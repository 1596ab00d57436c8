#!/usr/bin/env bash
# test-dbus.sh — wgdiscoverd's D-Bus API (docs/dbus-api.md) on a virtual
# LAN of three hosts, each with its own system bus (tests/lan/lan.sh):
# h1's daemon owns org.wgdiscover1; what gdbus introspect shows matches
# data/org.wgdiscover1.xml; busctl and gdbus read every property; the
# Manager, Interface and Peer values match the configuration, `wg show`
# and the log (after a ping, an address move, a removed peer); a client
# that only listens to signals from the start ends with what
# GetManagedObjects says at the end; h3, whose bus name another process
# holds, says so once and finds its peers all the same; the bus policy
# (data/org.wgdiscover1.conf) lets root own the name, anyone read and call
# the Manager's methods (which the daemon refuses when polkit cannot say
# yes), and refuses anyone else the name and any other call. Prints TAP; needs root.

srcdir=${srcdir:-.}
ctl=${WGDISCOVERCTL:?WGDISCOVERCTL names wgdiscoverctl}
daemon=${WGDISCOVERD:?WGDISCOVERD names wgdiscoverd}
xml=${WGD_DBUS_XML:-$srcdir/data/org.wgdiscover1.xml}
client=$(cd "$srcdir" && pwd)/tests/lan/dbus-listen.py
source "$srcdir/tests/lan/lan.sh"
source "$srcdir/tests/lan/tap.sh"

for cmd in gdbus busctl /usr/bin/python3; do
  if ! command -v "$cmd" > /dev/null; then
    if [[ ${CI:-} == true ]]; then
      echo "1..1"; echo "not ok 1 - $cmd not found (apt-get install libglib2.0-bin systemd python3-gi)"
    else
      echo "1..0 # SKIP $cmd not found"
    fi
    exit 0
  fi
done
if ! /usr/bin/python3 -c 'import gi' 2> /dev/null; then
  echo "1..0 # SKIP python3-gi is not installed"
  exit 0
fi

tap_lan_up 3
w=$lan_dir
umask 077

for i in 1 2 3; do lan_node "$i" "$ctl"; done
for i in 1 2 3; do
  for j in 1 2 3; do
    [[ $i == "$j" ]] || lan_peer "$i" "$j"
  done
done

py() { lan_exec "$1" /usr/bin/python3 "$client" "${@:2}"; }
hex8() { lan_hex "$1" | cut -c1-16; }
ROOT=/org/wgdiscover1
IFACE_PATH=$ROOT/interface/wg0
peer_path() { echo "$ROOT/peer/$(hex8 "${lan_pub[$1]}")"; }
# prop N PATH INTERFACE PROPERTY: the value on host N, as busctl prints
# it after the type ("s \"h2\"" -> "h2"; numbers as they are).
prop() {
  lan_exec "$1" busctl --system get-property org.wgdiscover1 "$2" "org.wgdiscover1.$3" "$4" \
    2> /dev/null | sed -E 's/^[^ ]+ //; s/^"(.*)"$/\1/'
}
peer_prop() { prop 1 "$(peer_path "$1")" Peer "$2"; }
manager_prop() { prop 1 "$ROOT" Manager "$1"; }
# The properties of one interface of the XML.
xml_props() {
  /usr/bin/python3 - "$xml" "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
for i in ET.parse(sys.argv[1]).getroot().findall("interface"):
    if i.get("name") == sys.argv[2]:
        for p in i.findall("property"):
            print(p.get("name"))
PY
}

# h1's listener hears signals from before its daemon starts, and reads
# what was exported before the daemon owned its name.
lan_start 1 /usr/bin/python3 "$client" listen "$w/heard" "$w/events"
within 10 "grep -q listening $w/events 2> /dev/null" || echo "# the listener did not start"
# Someone else holds org.wgdiscover1 on h3's bus.
lan_start 3 /usr/bin/python3 "$client" own org.wgdiscover1 > "$w/squatter" 2>&1
within 10 "grep -q owned $w/squatter" || echo "# the squatter on h3 does not own the name"

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
all_found() {
  local i j
  for i in 1 2 3; do
    for j in 1 2 3; do
      [[ $i == "$j" ]] && continue
      [[ $(lan_endpoint "$i" "$j") == "10.77.0.$j:51820" ]] || return 1
    done
  done
}
check "every host sets every other host's LAN endpoint" "within 20 all_found"

# --- the name and the introspection ----------------------------------------
owner_pid() {
  lan_exec 1 gdbus call --system --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
    --method org.freedesktop.DBus.GetConnectionUnixProcessID org.wgdiscover1 2> /dev/null |
    sed -E 's/^\(uint32 ([0-9]+),\)$/\1/'
}
check "h1's wgdiscoverd owns org.wgdiscover1 on h1's system bus" \
  '[[ $(owner_pid) == "${daemon_pid[1]}" ]]'
check "h1 logs that it is on the system bus" "grep -q 'D-Bus: org.wgdiscover1 is on the system bus' $w/log1"
h2=$(peer_path 2)
h3=$(peer_path 3)
check "h2's peer object is there" "within 10 '[[ -n \$(peer_prop 2 Name) ]]'"
for spec in "$ROOT org.wgdiscover1.Manager org.freedesktop.DBus.ObjectManager" \
            "$IFACE_PATH org.wgdiscover1.Interface" "$h2 org.wgdiscover1.Peer"; do
  set -- $spec
  if out=$(py 1 introspect "$xml" "$@" 2>&1); then
    ok "gdbus introspection of $1 matches the XML ($2)"
  else
    not_ok "gdbus introspection of $1 matches the XML ($2)"
    echo "$out" | sed 's/^/# /'
  fi
done
# And as gdbus itself prints it: every property of the XML, with its type.
gdbus_lists() {
  local path=$1 name=$2 out p
  out=$(lan_exec 1 gdbus introspect --system --dest org.wgdiscover1 --object-path "$path") || return 1
  for p in $(xml_props "$name"); do
    grep -qE "readonly [a-z{}()]+ $p = " <<< "$out" || { echo "# $path: no $p"; return 1; }
  done
}
check "gdbus introspect lists every Manager property" "gdbus_lists $ROOT org.wgdiscover1.Manager"
check "gdbus introspect lists every Peer property" "gdbus_lists $h2 org.wgdiscover1.Peer"

# --- every property, with busctl and with gdbus -----------------------------
read_all() {
  local path=$1 name=$2 p bad=
  for p in $(xml_props "$name"); do
    lan_exec 1 busctl --system get-property org.wgdiscover1 "$path" "$name" "$p" > /dev/null 2>&1 ||
      bad+=" busctl:$p"
    lan_exec 1 gdbus call --system --dest org.wgdiscover1 --object-path "$path" \
      --method org.freedesktop.DBus.Properties.Get "$name" "$p" > /dev/null 2>&1 ||
      bad+=" gdbus:$p"
  done
  [[ -z $bad ]] || echo "# $path: cannot read$bad"
  [[ -z $bad ]]
}
check "busctl and gdbus read every Manager property" "read_all $ROOT org.wgdiscover1.Manager"
check "busctl and gdbus read every Interface property" "read_all $IFACE_PATH org.wgdiscover1.Interface"
check "busctl and gdbus read every Peer property" "read_all $h2 org.wgdiscover1.Peer"
check "busctl fails on a property that does not exist" \
  "! lan_exec 1 busctl --system get-property org.wgdiscover1 $h2 org.wgdiscover1.Peer NoSuchThing > /dev/null 2>&1"

# --- the Manager and the Interface -------------------------------------------
version=$("$daemon" --version | awk '{ print $2 }')
check "Manager.Version is wgdiscoverd --version ($version)" '[[ $(manager_prop Version) == "$version" ]]'
check "Manager.SigningKey is h1's signing key" \
  '[[ $(manager_prop SigningKey) == "$("$ctl" signkey < "$w/state1/identity")" ]]'
check "Manager.WireGuardKey is h1's WireGuard key" '[[ $(manager_prop WireGuardKey) == "${lan_pub[1]}" ]]'
check "Manager.Interfaces is wg0's object" '[[ $(manager_prop Interfaces) == "1 \"$IFACE_PATH\"" ]]'
derived_peers() { [[ $(manager_prop PeersByTrust) == "4 \"derived\" $1 \"certificate\" 0 \"pinned\" 0 \"pending\" 0" ]]; }
check "Manager.PeersByTrust counts two derived peers" "derived_peers 2"
check "Manager.AnnouncementsAccepted counts h2's and h3's" '(( $(manager_prop AnnouncementsAccepted) >= 2 ))'
check "Interface wg0: name, mode, port, present, advertising" \
  '[[ "$(prop 1 $IFACE_PATH Interface Name) $(prop 1 $IFACE_PATH Interface Mode) $(prop 1 $IFACE_PATH Interface ListenPort) $(prop 1 $IFACE_PATH Interface Present) $(prop 1 $IFACE_PATH Interface Advertising)" == "wg0 endpoint 51820 true true" ]]'
# A garbage TXT from h3 is counted under its reason, as it is logged.
lan_exec 3 avahi-publish -s evil-garbage _wireguard._udp 51820 txtvers=1 'a0=!!!' > /dev/null 2>&1 &
malformed() {
  grep -q "'evil-garbage'.*malformed" "$w/log1" &&
    [[ $(manager_prop AnnouncementsRejected) =~ \"malformed\"\ ([1-9][0-9]*) ]]
}
check "Manager.AnnouncementsRejected counts the malformed TXT h1 logged" "within 15 malformed"
check "Manager.AnnouncementsRejected lists every reason" \
  '[[ $(manager_prop AnnouncementsRejected) == "11 "* ]]'

# --- a peer against the log and wg show --------------------------------------
check "Peer h2: Name, WireGuardKey, Trust, Interface" \
  '[[ "$(peer_prop 2 Name) $(peer_prop 2 WireGuardKey) $(peer_prop 2 Trust) $(peer_prop 2 Interface)" == "h2 ${lan_pub[2]} derived $IFACE_PATH" ]]'
check "Peer h2: SigningKey is h2's" '[[ $(peer_prop 2 SigningKey) == "$("$ctl" signkey < "$w/state2/identity")" ]]'
reason=$(sed -nE "s/.*peer h2 \(.*\): endpoint .* -> 10\.77\.0\.2:51820 \((.*)\)$/\1/p" "$w/log1" | tail -n 1)
check "Peer h2: EndpointReason is what the log says ($reason)" \
  '[[ -n $reason && $(peer_prop 2 EndpointReason) == "$reason" ]]'
check "Peer h2: Candidates holds its LAN address from mDNS" \
  '[[ $(peer_prop 2 Candidates) =~ \"10\.77\.0\.2:51820\"\ \"mdns\"\ [0-9]+ ]]'
last_seen=$(peer_prop 2 LastSeen)
check "Peer h2: LastSeen is a time of this run ($last_seen)" \
  '(( last_seen > $(date +%s) - 120 && last_seen <= $(date +%s) ))'
check "h1 pings h2 over WireGuard" "lan_exec 1 ping -c 3 -W 2 -q 10.78.0.2 > /dev/null"
# wg show's values, and the daemon's from its next read of wg0 (a route
# added through wg0 makes it read wg0 for a few seconds): nothing moves
# in between, so they must be the same. First the keepalives WireGuard
# sends 10 s after the ping's last packet.
wg_field() { lan_exec 1 wg show wg0 "$1" | awk -v k="${lan_pub[2]}" '$1 == k { $1 = ""; print substr($0, 2) }'; }
matches_wg() {
  local e h t
  e=$(wg_field endpoints) h=$(wg_field latest-handshakes) t=$(wg_field transfer)
  [[ $(peer_prop 2 Endpoint) == "$e" && $(peer_prop 2 LatestHandshake) == "$h" &&
     "$(peer_prop 2 RxBytes) $(peer_prop 2 TxBytes)" == "$t" && $h != 0 ]]
}
sleep 12
lan_exec 1 ip route add 10.78.0.99/32 dev wg0
check "Peer h2: Endpoint, LatestHandshake, RxBytes, TxBytes match wg show after the ping" \
  "within 25 matches_wg"
echo "# wg show: $(wg_field endpoints) $(wg_field latest-handshakes) $(wg_field transfer)"
echo "# D-Bus:   $(peer_prop 2 Endpoint) $(peer_prop 2 LatestHandshake) $(peer_prop 2 RxBytes) $(peer_prop 2 TxBytes)"

# --- changes: an address move, a peer removed ---------------------------------
lan_exec 2 ip addr del 10.77.0.2/24 dev eth0
lan_exec 2 ip addr add 10.77.0.12/24 dev eth0
moved() { [[ $(lan_endpoint 1 2) == 10.77.0.12:51820 && $(peer_prop 2 Endpoint) == 10.77.0.12:51820 ]]; }
check "h2's move shows in Peer.Endpoint as in wg show" "within 25 moved"
# A peer removed from a running interface is seen at the daemon's next
# read of it (at the latest when it re-signs, every 300 s: an idle
# daemon reads nothing in between), or at once when a route through the
# interface goes with the peer, as NetworkManager and networkd remove
# its allowed-ips' routes: the route added above stands for h3's.
lan_exec 1 wg set wg0 peer "${lan_pub[3]}" remove
lan_exec 1 ip route del 10.78.0.99/32 dev wg0
h3_gone() { [[ -n $(peer_prop 2 Name) && -z $(peer_prop 3 Name) ]]; }
check "h3's peer object goes when h3 is removed from wg0" "within 25 h3_gone"
check "Manager.PeersByTrust counts one derived peer now" "within 5 derived_peers 1"

# --- the listener ----------------------------------------------------------------
heard() { grep -qF -- "$1" "$w/events"; }
check "the listener heard h2's peer appear" "heard 'added $h2'"
check "the listener heard h3's peer appear" "heard 'added $h3'"
check "the listener heard h2's endpoint change" "heard 'changed $h2 Endpoint \"10.77.0.12:51820\"'"
check "the listener heard h2's handshake" "grep -qE '^changed $h2 LatestHandshake [1-9]' $w/events"
check "the listener heard h2's traffic" "grep -qE '^changed $h2 RxBytes [1-9]' $w/events"
check "the listener heard h3's peer go" "heard 'removed $h3'"

# --- a reload adds and removes Interface objects ---------------------------------
printf '[Interface wg0]\n[Interface wg9]\nAdvertise=false\n' > "$w/conf1"
kill -HUP "${daemon_pid[1]}"
WG9=$ROOT/interface/wg9
wg9_added() { [[ $(prop 1 $WG9 Interface Present) == false && $(manager_prop Interfaces) == "2 \"$IFACE_PATH\" \"$WG9\"" ]]; }
check "a reload that adds wg9 (not there) adds its object and lists it in Manager.Interfaces" \
  "within 10 wg9_added"
printf '[Interface wg0]\n' > "$w/conf1"
kill -HUP "${daemon_pid[1]}"
wg9_removed() { [[ -z $(prop 1 $WG9 Interface Name) && $(manager_prop Interfaces) == "1 \"$IFACE_PATH\"" ]]; }
check "a reload without wg9 removes it again" "within 10 wg9_removed"
check "the listener heard wg9 come and go" "heard 'added $WG9' && heard 'removed $WG9'"

same_state() { py 1 compare "$w/heard" > "$w/compare.out" 2>&1; }
check "what the listener heard is what GetManagedObjects says at the end" "within 20 same_state"
sed 's/^/# /' "$w/compare.out"

# --- no name, no bus -------------------------------------------------------------
check "h3 says once that it cannot own the name" \
  '[[ $(grep -c "cannot own the name org.wgdiscover1" $w/log3) == 1 ]]'
check "h3 found its peers all the same" '[[ $(lan_endpoint 3 1) == 10.77.0.1:51820 ]]'
check "wgdiscoverd on h3 keeps running" "kill -0 ${daemon_pid[3]}"

# --- the bus policy (data/org.wgdiscover1.conf) -----------------------------------
# A bus with the system bus's default policy (nothing may be owned or
# called) and ours on top, in this test's sandbox; a daemon (as root) on
# it, and the user nobody as a client.
conf=${WGD_DBUS_CONF:-$srcdir/data/org.wgdiscover1.conf}
strict=$(mktemp -d)
chmod 755 "$strict"
cat > "$strict/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$strict/socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  <include>$conf</include>
</busconfig>
CONF
dbus-daemon --config-file="$strict/bus.conf" --fork --nopidfile --print-pid > "$strict/bus.pid" 2> "$strict/bus.err"
export_bus="unix:path=$strict/socket"
within 5 "[[ -S $strict/socket ]]" || { echo "# the strict bus did not start:"; sed 's/^/#   /' "$strict/bus.err"; }
mkdir -p "$strict/state"
: > "$strict/empty.conf"
DBUS_SYSTEM_BUS_ADDRESS=$export_bus "$daemon" --foreground --config "$strict/empty.conf" \
  --state-dir "$strict/state" > "$strict/log" 2>&1 &
strict_daemon=$!
nobody_run() { DBUS_SYSTEM_BUS_ADDRESS=$export_bus setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
check "the policy lets root own org.wgdiscover1" \
  "within 10 \"grep -q 'D-Bus: org.wgdiscover1 is on the system bus' $strict/log\""
check "the policy lets anyone read a property" \
  "nobody_run gdbus call --system --dest org.wgdiscover1 --object-path $ROOT --method org.freedesktop.DBus.Properties.Get org.wgdiscover1.Manager Version > /dev/null"
check "the policy lets anyone read all properties" \
  "nobody_run gdbus call --system --dest org.wgdiscover1 --object-path $ROOT --method org.freedesktop.DBus.Properties.GetAll org.wgdiscover1.Manager > /dev/null"
check "the policy lets anyone call GetManagedObjects" \
  "nobody_run gdbus call --system --dest org.wgdiscover1 --object-path $ROOT --method org.freedesktop.DBus.ObjectManager.GetManagedObjects > /dev/null"
check "the policy lets anyone introspect" \
  "nobody_run gdbus introspect --system --dest org.wgdiscover1 --object-path $ROOT > /dev/null"
denied() { nobody_run "$@" 2>&1 | grep -q 'AccessDenied'; }
check "the policy refuses anyone else a Properties.Set" \
  "denied gdbus call --system --dest org.wgdiscover1 --object-path $ROOT --method org.freedesktop.DBus.Properties.Set org.wgdiscover1.Manager Version '<\"x\">'"
# The bus lets the call through; the daemon asks polkit (absent here)
# and refuses it itself.
refused_by_daemon() {
  nobody_run gdbus call --system --dest org.wgdiscover1 --object-path $ROOT \
    --method org.wgdiscover1.Manager.Rescan 2>&1 |
    grep -q 'AccessDenied: cannot check the authorization for org.wgdiscover1.manage'
}
check "the policy lets anyone call the Manager's methods; the daemon refuses without polkit" \
  refused_by_daemon
kill -TERM "$strict_daemon"
wait "$strict_daemon"
check "the policy refuses anyone else the name" \
  "denied gdbus call --system --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus --method org.freedesktop.DBus.RequestName org.wgdiscover1 4"
kill "$(cat "$strict/bus.pid")" 2> /dev/null

kill -TERM "${daemon_pid[1]}"
wait "${daemon_pid[1]}"
status=$?
# Under the sanitizers, a leak or a memory error makes this non-zero.
check "h1's wgdiscoverd exits with status 0 ($status)" '[[ $status == 0 ]]'
gone() { [[ -z $(owner_pid) ]]; }
check "and org.wgdiscover1 is free again" "within 5 gone"
echo "# h1's log:"
sed 's/^/#   /' "$w/log1"
echo "# h1's listener:"
sed 's/^/#   /' "$w/events"
echo "1..$n"
