#!/usr/bin/env bash
# test-polkit.sh — the Manager's methods are checked with a real polkitd
# (docs/dbus-api.md, Authorization). On h1 of a virtual LAN of two hosts,
# h1's mount namespace gets private copies of what polkitd reads: an
# /etc/passwd and /etc/group with the test users wgdtest-yes,
# wgdtest-no and wgdtest-auth (and wgdiscover and polkitd, made here if
# the machine has none), our policy as the only actions, and a rules file
# that grants wgdtest-yes, denies wgdtest-no, and makes wgdtest-auth
# authenticate (it has no agent) for every org.wgdiscover1 action. polkitd
# runs on h1's private system bus as it does from its unit; wgdiscoverd
# runs as the user wgdiscover (so polkit must honour the policy's owner
# annotation to answer it). Checked: wgdtest-no is refused every method
# with AccessDenied and nothing changes, and so is wgdtest-auth, told that
# authentication is required; wgdtest-yes pauses (Paused true,
# h2 no longer sees h1's service, nothing is written into wg0), rescans,
# resumes (the service is back, the endpoint written), reloads, and gets
# org.wgdiscover1.Error.InvalidConfiguration for a broken configuration
# with nothing changed; every property stays readable by the refused
# user (busctl and gdbus); with polkitd gone, the caller is refused with
# a message that says so, and root still may. ApprovePeer (the pairing
# part of the API) is checked last. Prints TAP; needs root.

srcdir=${srcdir:-.}
ctl=${WGDISCOVERCTL:?WGDISCOVERCTL names wgdiscoverctl}
daemon=${WGDISCOVERD:?WGDISCOVERD names wgdiscoverd}
polkitd=/usr/lib/polkit-1/polkitd
source "$srcdir/tests/lan/lan.sh"
source "$srcdir/tests/lan/tap.sh"

for cmd in gdbus busctl avahi-browse setpriv "$polkitd"; do
  if ! command -v "$cmd" > /dev/null; then
    if [[ ${CI:-} == true ]]; then
      echo "1..1"; echo "not ok 1 - $cmd not found (apt-get install polkitd libglib2.0-bin systemd avahi-utils util-linux)"
    else
      echo "1..0 # SKIP $cmd not found"
    fi
    exit 0
  fi
done

tap_lan_up 2
w=$lan_dir
# polkitd and wgdiscoverd run as users of their own: what they read is
# readable, the rest of the LAN's directory stays root's.
chmod 755 "$w"

lan_node 1 "$ctl" && lan_node 2 "$ctl"
lan_peer 1 2 && lan_peer 2 1

# --- h1's users and polkit -------------------------------------------------
# uids no account of the machine has; names in h1's namespace only.
free_uid() {
  local uid=$1
  while getent passwd "$uid" > /dev/null || getent group "$uid" > /dev/null; do uid=$((uid + 1)); done
  echo "$uid"
}
p=$w/polkit
mkdir -p "$p/rules" "$p/actions" "$p/no-rules"
cp /etc/passwd "$p/passwd" && cp /etc/group "$p/group"
declare -A uid
next=64000
for user in wgdtest-yes wgdtest-no wgdtest-auth wgdiscover polkitd; do
  if [[ $user == wgdtest-* ]] || ! grep -q "^$user:" "$p/passwd"; then
    sed -i "/^$user:/d" "$p/passwd" "$p/group"
    next=$(free_uid "$next")
    echo "$user:x:$next:$next::/nonexistent:/usr/sbin/nologin" >> "$p/passwd"
    echo "$user:x:$next:" >> "$p/group"
    next=$((next + 1))
  fi
  uid[$user]=$(awk -F: -v u="$user" '$1 == u { print $3 }' "$p/passwd")
done
cp "$srcdir/data/org.wgdiscover1.policy" "$p/actions/"
cat > "$p/rules/10-wgdtest.rules" <<'RULES'
polkit.addRule(function(action, subject) {
  if (action.id.indexOf("org.wgdiscover1.") == 0) {
    if (subject.user == "wgdtest-yes")
      return polkit.Result.YES;
    if (subject.user == "wgdtest-no")
      return polkit.Result.NO;
    if (subject.user == "wgdtest-auth")
      return polkit.Result.AUTH_ADMIN;
  }
});
RULES
chmod -R a+rX "$p"
lan_exec 1 sh -c "mount --bind '$p/passwd' /etc/passwd && mount --bind '$p/group' /etc/group &&
  mkdir -p /etc/polkit-1/rules.d /usr/share/polkit-1/rules.d /usr/share/polkit-1/actions &&
  mount --bind '$p/rules' /etc/polkit-1/rules.d &&
  mount --bind '$p/no-rules' /usr/share/polkit-1/rules.d &&
  mount --bind '$p/actions' /usr/share/polkit-1/actions" ||
  echo "# h1's private polkit files could not be mounted"

start_polkitd() {
  lan_start 1 "$polkitd" --no-debug >> "$w/polkitd.log" 2>&1
  polkitd_pid=$lan_started
  within 10 "lan_exec 1 gdbus call --system --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
    --method org.freedesktop.DBus.GetNameOwner org.freedesktop.PolicyKit1 > /dev/null 2>&1"
}
check "polkitd runs on h1's system bus" start_polkitd

# --- wgdiscoverd on h1 as the user wgdiscover ------------------------------
# Userspace WireGuard's socket is root's (0700), and wireguard-go closes
# it when its attributes change: the daemon keeps CAP_DAC_OVERRIDE to
# reach it (the unit's drop-in runs as root instead). What matters here
# is that polkit is asked by the user wgdiscover.
chown -R "${uid[wgdiscover]}:${uid[wgdiscover]}" "$w/state1"
chmod 644 "$w/conf1"
start_h1() {
  lan_start 1 setpriv --reuid=wgdiscover --regid=wgdiscover --clear-groups \
    --inh-caps=+dac_override,+net_admin --ambient-caps=+dac_override,+net_admin -- \
    "$daemon" --foreground --config "$w/conf1" --state-dir "$w/state1" >> "$w/log1" 2>&1
  pid1=$lan_started
}
start_h1
lan_start 2 "$daemon" --foreground --config "$w/conf2" --state-dir "$w/state2" >> "$w/log2" 2>&1
pid2=$lan_started
found() { [[ $(lan_endpoint 1 2) == 10.77.0.2:51820 && $(lan_endpoint 2 1) == 10.77.0.1:51820 ]]; }
check "h1 (as wgdiscover) and h2 find each other" "within 20 found"
on_bus() { grep -q 'D-Bus: org.wgdiscover1 is on the system bus' "$w/log1"; }
check "h1's wgdiscoverd, as wgdiscover, is on h1's system bus" "within 10 on_bus"

ROOT=/org/wgdiscover1
# as USER CMD...: CMD on h1 as USER (root: as it is).
as() {
  local user=$1
  shift
  if [[ $user == root ]]; then
    lan_exec 1 "$@"
  else
    lan_exec 1 setpriv --reuid="${uid[$user]}" --regid="${uid[$user]}" --clear-groups -- "$@"
  fi
}
# call USER METHOD [ARGS...]: the Manager's method as USER; prints what
# gdbus says (the error on failure).
call() {
  as "$1" gdbus call --system --dest org.wgdiscover1 --object-path $ROOT \
    --method "org.wgdiscover1.Manager.$2" "${@:3}" 2>&1
}
denied() { call "$@" | grep -q 'GDBus.Error:org.freedesktop.DBus.Error.AccessDenied'; }
allowed() { [[ $(call "$@") == "()" ]]; }
prop() {
  as wgdtest-no busctl --system get-property org.wgdiscover1 "$ROOT" org.wgdiscover1.Manager "$1" \
    2> /dev/null | sed -E 's/^[^ ]+ //; s/^"(.*)"$/\1/'
}
advertising() {
  as wgdtest-no busctl --system get-property org.wgdiscover1 "$ROOT/interface/wg0" \
    org.wgdiscover1.Interface Advertising 2> /dev/null | sed -E 's/^[^ ]+ //'
}
# Whether h2's avahi-daemon sees h1's _wireguard._udp service.
h2_sees_h1() { lan_exec 2 avahi-browse -pt _wireguard._udp 2> /dev/null | grep -q ';h1;_wireguard\._udp;'; }
check "h2 sees h1's service" "within 10 h2_sees_h1"
check "h1's wg0 is Advertising" "within 10 '[[ \$(advertising) == true ]]'"

# --- wgdtest-no: refused, nothing changes -----------------------------------
for method in Pause Resume Rescan Reload; do
  check "wgdtest-no's $method is refused with AccessDenied" "denied wgdtest-no $method"
done
check "wgdtest-no's refusal names the action" \
  "call wgdtest-no Pause | grep -q 'not authorized for org.wgdiscover1.manage'"
call wgdtest-auth Pause > "$w/auth.err"
check "wgdtest-auth, who must authenticate but has no agent, is refused with AccessDenied" \
  "grep -q 'GDBus.Error:org.freedesktop.DBus.Error.AccessDenied' '$w/auth.err'"
check "and told that authentication is required" \
  "grep -q 'authentication is required' '$w/auth.err'"
sleep 1
check "Paused stays false" '[[ $(prop Paused) == false ]]'
check "h2 still sees h1's service" h2_sees_h1
check "h1 logged no pause" "! grep -q 'paused:' '$w/log1'"

# --- wgdtest-yes: Pause, Rescan, Resume -------------------------------------
check "wgdtest-yes may Pause" "allowed wgdtest-yes Pause"
check "Paused is true" '[[ $(prop Paused) == true ]]'
check "h1 logged the pause" "grep -q 'paused: our announcements are withdrawn' '$w/log1'"
check "h1's service is withdrawn: h2 no longer sees it" "within 10 '! h2_sees_h1'"
check "h1's wg0 is no longer Advertising" "within 5 '[[ \$(advertising) == false ]]'"
check "Pause when paused does nothing" \
  "allowed wgdtest-yes Pause && [[ \$(grep -c 'paused: our' '$w/log1') == 1 ]]"
# h2 becomes a new peer of h1's wg0, with no endpoint: a paused daemon
# writes none, even when asked to look again.
lan_exec 1 wg set wg0 peer "${lan_pub[2]}" remove
lan_peer 1 2
check "wgdtest-yes may Rescan" "allowed wgdtest-yes Rescan"
check "h1 logged the rescan" "within 5 \"grep -q 'rescan: interfaces read again' '$w/log1'\""
sleep 3
check "paused, h1 writes no endpoint for h2" '[[ $(lan_endpoint 1 2) == "(none)" ]]'
check "h1 still follows h2 (its Peer object is there)" \
  "as wgdtest-no busctl --system tree org.wgdiscover1 2> /dev/null | grep -q '/peer/'"
check "wgdtest-yes may Resume" "allowed wgdtest-yes Resume"
check "Paused is false again" '[[ $(prop Paused) == false ]]'
check "h1 logged the resume" "grep -q 'resumed: announcing again' '$w/log1'"
check "resumed, h1 writes h2's endpoint" "within 10 '[[ \$(lan_endpoint 1 2) == 10.77.0.2:51820 ]]'"
check "h2 sees h1's service again" "within 15 h2_sees_h1"
check "h1's wg0 is Advertising again" "within 5 '[[ \$(advertising) == true ]]'"
check "Resume when not paused does nothing" \
  "allowed wgdtest-yes Resume && [[ \$(grep -c 'resumed: announcing' '$w/log1') == 1 ]]"

# --- Reload -----------------------------------------------------------------
check "wgdtest-yes may Reload" "allowed wgdtest-yes Reload"
check "h1 logged the reload" "grep -q 'configuration reloaded from $w/conf1' '$w/log1'"
interfaces_before=$(prop Interfaces)
cp "$w/conf1" "$w/conf1.good"
printf '[Interface wg1]\nMode=sideways\n' >> "$w/conf1"
call wgdtest-yes Reload > "$w/reload.err"
check "a broken configuration: org.wgdiscover1.Error.InvalidConfiguration" \
  "grep -q 'GDBus.Error:org.wgdiscover1.Error.InvalidConfiguration' '$w/reload.err'"
check "with the loader's message, naming the file and the key" \
  "grep -q '$w/conf1:.*Mode' '$w/reload.err'"
check "nothing changed: the same interfaces" '[[ $(prop Interfaces) == "$interfaces_before" ]]'
check "h1 logged that it keeps the running configuration" \
  "grep -q 'reload: keeping the running configuration' '$w/log1'"
cp "$w/conf1.good" "$w/conf1"
check "h1's wgdiscoverd still runs and h2 still sees it" "kill -0 $pid1 && h2_sees_h1"

# --- reading stays open -----------------------------------------------------
props=$(as wgdtest-no gdbus call --system --dest org.wgdiscover1 --object-path $ROOT \
  --method org.freedesktop.DBus.Properties.GetAll org.wgdiscover1.Manager 2>&1)
for property in Paused Fingerprint Version SigningKey WireGuardKey Interfaces AnnouncementsAccepted \
  AnnouncementsIgnored AnnouncementsRejected EndpointChanges PeersByTrust; do
  check "wgdtest-no reads $property with busctl" \
    "as wgdtest-no busctl --system get-property org.wgdiscover1 $ROOT org.wgdiscover1.Manager $property > /dev/null"
  check "and finds it in gdbus's GetAll" "grep -q \"'$property'\" <<< \"\$props\""
done
# wgd_key_fingerprint: BLAKE2b-256 of a domain and the key, 10 bytes in hex.
fingerprint() {
  python3 -c 'import base64, hashlib, sys
h = hashlib.blake2b(b"wgdiscover fingerprint v1" + base64.b64decode(sys.argv[1]), digest_size=32).hexdigest()
print("-".join(h[i:i + 4] for i in range(0, 20, 4)))' "$1"
}
check "Fingerprint is that of h1's signing key" \
  "[[ \$(prop Fingerprint) == \$(fingerprint \"\$('$ctl' signkey < '$w/state1/identity')\") ]]"

# --- polkitd gone -----------------------------------------------------------
kill "$polkitd_pid"
wait "$polkitd_pid" 2> /dev/null
call wgdtest-yes Pause > "$w/nopolkit.err"
check "without polkitd, wgdtest-yes is refused with AccessDenied" \
  "grep -q 'GDBus.Error:org.freedesktop.DBus.Error.AccessDenied' '$w/nopolkit.err'"
check "and told that the authorization could not be checked" \
  "grep -q 'cannot check the authorization for org.wgdiscover1.manage' '$w/nopolkit.err'"
check "h1 logged it" "grep -q 'D-Bus: cannot check the authorization' '$w/log1'"
check "Paused stays false" '[[ $(prop Paused) == false ]]'
check "root may Pause without polkit" "allowed root Pause && [[ \$(prop Paused) == true ]]"
check "root may Resume without polkit" "allowed root Resume && [[ \$(prop Paused) == false ]]"

kill -TERM "$pid1" "$pid2"
for pid in "$pid1" "$pid2"; do
  wait "$pid"
  status=$?
  check "wgdiscoverd ($pid) exits with status 0 ($status)" '[[ $status == 0 ]]'
done

# --- pairing: ApprovePeer ---------------------------------------------------
# ApprovePeer and RejectPeer belong to the pairing part of the API; this
# checks their authorization once they are there.
check "polkitd runs on h1's system bus again" start_polkitd
start_h1
within 10 "[[ \$(grep -c 'D-Bus: org.wgdiscover1 is on the system bus' '$w/log1') == 2 ]]"
sign2=$("$ctl" signkey < "$w/state2/identity")
check "wgdtest-no's ApprovePeer is refused with AccessDenied" \
  "denied wgdtest-no ApprovePeer '${lan_pub[2]}' '$sign2'"
check "wgdtest-no's RejectPeer is refused with AccessDenied" \
  "denied wgdtest-no RejectPeer '${lan_pub[2]}' '$sign2'"
kill -TERM "$pid1"
wait "$pid1"

for log in log1 log2 polkitd.log; do
  echo "# $log:"
  sed 's/^/#   /' "$w/$log"
done
echo "1..$n"
