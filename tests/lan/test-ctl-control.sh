#!/usr/bin/env bash
# test-ctl-control.sh — wgdiscoverctl's commands that change what
# wgdiscoverd does (approve, reject, pause, resume, reload) on a virtual
# LAN of three hosts. h2 and h3 keep WireGuard keys of their own (not
# derived from their identities) and h1 has them as peers without a pin,
# so both are pending on h1: peers shows them with the fingerprints that
# `wgdiscoverctl status` shows on h2 and h3; approve h2 pins it and h1
# sets its endpoint; reject h3 refuses it; a second approve is an error;
# pause withdraws h1's service from h2's view and resume brings it back;
# reload takes a good configuration and reports a broken one. A user who
# is not root (and whom polkit, not running here, cannot authorize) gets
# the one-line "not allowed" error and status 6, and nothing changes.
# Prints TAP; needs root.
#
# Needs the daemon's methods and pending peers (issue 10's pairing and
# polkit parts).

srcdir=${srcdir:-.}
ctl=${WGDISCOVERCTL:?WGDISCOVERCTL names wgdiscoverctl}
daemon=${WGDISCOVERD:?WGDISCOVERD names wgdiscoverd}
source "$srcdir/tests/lan/lan.sh"
source "$srcdir/tests/lan/tap.sh"

for cmd in avahi-browse setpriv /usr/bin/python3; do
  if ! command -v "$cmd" > /dev/null; then
    if [[ ${CI:-} == true ]]; then
      echo "1..1"; echo "not ok 1 - $cmd not found (apt-get install avahi-utils util-linux python3)"
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
for i in 2 3; do
  wg genkey > "$w/own$i"
  lan_exec "$i" wg set wg0 private-key "$w/own$i"
  lan_pub[i]=$(wg pubkey < "$w/own$i")
done
lan_peer 1 2 && lan_peer 2 1 && lan_peer 1 3 && lan_peer 3 1
# h2 and h3 do not browse: setting h1's endpoint, they would send it a
# handshake, and h1's WireGuard would take their addresses from it (the
# key holder decides, docs/trust-model.md), whatever h1's daemon makes of
# their records.
for i in 2 3; do printf 'Browse=false\n' >> "$w/conf$i"; done

declare -a pid
for i in 1 2 3; do
  lan_start "$i" "$daemon" --foreground --config "$w/conf$i" --state-dir "$w/state$i" \
    >> "$w/log$i" 2>&1
  pid[i]=$lan_started
done

# ctl N ARGS...: wgdiscoverctl on host N as root; stdout in $w/out, stderr
# in $w/err, status in rc.
ctl() {
  local i=$1
  shift
  lan_exec "$i" "$ctl" "$@" > "$w/out" 2> "$w/err"
  rc=$?
}
# A user of h1's only, wgdtest-ctl, in a private /etc/passwd and
# /etc/group of h1's mount namespace (the bus wants an account to know
# its groups), with a uid no account of the machine has.
stranger=64123
while getent passwd "$stranger" > /dev/null || getent group "$stranger" > /dev/null; do
  stranger=$((stranger + 1))
done
cp /etc/passwd "$w/passwd" && cp /etc/group "$w/group"
echo "wgdtest-ctl:x:$stranger:$stranger::/nonexistent:/usr/sbin/nologin" >> "$w/passwd"
echo "wgdtest-ctl:x:$stranger:" >> "$w/group"
chmod 644 "$w/passwd" "$w/group"
lan_exec 1 sh -c "mount --bind '$w/passwd' /etc/passwd && mount --bind '$w/group' /etc/group" ||
  echo "# h1's private /etc/passwd could not be mounted"
ctl_stranger() {
  lan_exec 1 setpriv --reuid="$stranger" --regid="$stranger" --clear-groups -- "$ctl" "$@" \
    > "$w/out" 2> "$w/err"
  rc=$?
}
one_line_error() {
  [[ $rc == "$1" && $(wc -l < "$w/err") == 1 ]] && grep -qF -- "$2" "$w/err"
}
field() { awk -v l="$1" '$1 == l { print $2 }' "$w/out"; }
pending_names() { lan_exec 1 "$ctl" peers --pending --names 2> /dev/null | sort | tr '\n' ' '; }

check "h2 and h3 are pending on h1" "within 20 '[[ \$(pending_names) == \"h2 h3 \" ]]'"
check "h1 sets no endpoint for a pending peer" "[[ \$(lan_endpoint 1 2) == '(none)' ]]"
ctl 2 status
fp2=$(awk '$1 == "fingerprint" { print $2 }' "$w/out")
ctl 3 status
fp3=$(awk '$1 == "fingerprint" { print $2 }' "$w/out")
check "status on h2 and h3 shows their fingerprints ($fp2, $fp3)" \
  '[[ $fp2 =~ ^[0-9a-f]{4}(-[0-9a-f]{4}){4}$ && $fp3 =~ ^[0-9a-f]{4}(-[0-9a-f]{4}){4}$ ]]'
ctl 1 peers
sed 's/^/# /' "$w/out"
check "peers on h1 shows h2 pending, with h2's own fingerprint" \
  '[[ $(awk "\$1 == \"h2\" { print \$2 }" "$w/out") == pending ]] && grep -qxF "pending: h2, fingerprint $fp2" "$w/out"'
ctl 1 peer h2
check "peer h2 on h1 shows the fingerprint and h2's signing key" \
  '[[ $(field Fingerprint:) == "$fp2" && $(field SigningKey:) == "$("$ctl" signkey < "$w/state2/identity")" ]]'

# --- not allowed ---------------------------------------------------------------
ctl_stranger peers
check "a user may read peers" '[[ $rc == 0 ]] && grep -q "^h2 " "$w/out"'
sed 's/^/# stderr: /' "$w/err"
for cmd in "approve h2" "reject h2" pause resume reload; do
  # shellcheck disable=SC2086 # the command's words
  ctl_stranger $cmd
  check "a user may not '$cmd': one line, status 6" \
    'one_line_error 6 "not allowed: " && grep -qF "ask an administrator or use sudo" "$w/err"'
  sed 's/^/# stderr: /' "$w/err"
done
check "h2 and h3 are still pending" '[[ $(pending_names) == "h2 h3 " ]]'

# --- approve and reject ----------------------------------------------------------
ctl 1 approve h2
cat "$w/out" "$w/err" | sed 's/^/# /'
check "approve h2 succeeds and shows the fingerprint it approves" \
  '[[ $rc == 0 ]] && grep -qF "fingerprint $fp2" "$w/out" && grep -qxF "approved h2" "$w/out"'
check "h1 then sets h2's endpoint" "within 20 '[[ \$(lan_endpoint 1 2) == 10.77.0.2:51820 ]]'"
ctl 1 peer h2
check "h2 is pinned on h1" '[[ $(field Trust:) == pinned ]]'
check "h1 pings h2 over WireGuard" "lan_exec 1 ping -c 2 -W 2 -q 10.78.0.2 > /dev/null"
ctl 1 approve h2
check "approving h2 again: it is not pending, one line, status 3" 'one_line_error 3 "h2 is not pending"'
ctl 1 reject --json h3
check "reject --json h3 succeeds with a JSON line naming h3 and its fingerprint" \
  '[[ $rc == 0 ]] && /usr/bin/python3 -c "import json, sys; r = json.load(sys.stdin); sys.exit(not (r[\"command\"] == \"reject\" and r[\"name\"] == \"h3\" and r[\"fingerprint\"] == sys.argv[1]))" "$fp3" < "$w/out"'
check "nothing is pending on h1 any more" "within 10 '[[ -z \$(pending_names) ]]'"
check "h1 sets no endpoint for the rejected h3" "[[ \$(lan_endpoint 1 3) == '(none)' ]]"
ctl 1 approve h3
check "approving the rejected h3: one line, status 3" 'one_line_error 3 "h3"'

# --- pause and resume --------------------------------------------------------------
h2_sees_h1() { lan_exec 2 avahi-browse -pt _wireguard._udp 2> /dev/null | grep -q ';h1;_wireguard\._udp;'; }
check "h2 sees h1's service" "within 10 h2_sees_h1"
ctl 1 pause
check "pause succeeds" '[[ $rc == 0 && $(cat "$w/out") == paused ]]'
check "h2 no longer sees h1's service" "within 15 '! h2_sees_h1'"
ctl 1 status
check "status says paused" '[[ $rc == 0 ]] && head -n 1 "$w/out" | grep -q ", paused$"'
ctl 1 status --json
check "status --json says paused" \
  '/usr/bin/python3 -c "import json, sys; sys.exit(json.load(sys.stdin)[\"paused\"] is not True)" < "$w/out"'
ctl 1 resume --json
check "resume --json succeeds" \
  '[[ $rc == 0 ]] && /usr/bin/python3 -c "import json, sys; sys.exit(json.load(sys.stdin) != {\"command\": \"resume\"})" < "$w/out"'
check "h2 sees h1's service again" "within 15 h2_sees_h1"
ctl 1 status
check "status says running" 'head -n 1 "$w/out" | grep -q ", running$"'

# --- reload ----------------------------------------------------------------------------
cp "$w/conf1" "$w/conf1.good"
printf '[Interface wg0]\nMode=sideways\n' > "$w/conf1"
ctl 1 reload
check "reload of a broken configuration: the daemon's one-line error, status 7" \
  'one_line_error 7 "conf1" && [[ ! -s $w/out ]]'
cp "$w/conf1.good" "$w/conf1"
ctl 1 reload
check "reload of a good configuration succeeds" '[[ $rc == 0 && $(cat "$w/out") == reloaded ]]'
check "h1 still has h2's endpoint" '[[ $(lan_endpoint 1 2) == 10.77.0.2:51820 ]]'

for i in 1 2 3; do
  kill -TERM "${pid[i]}"
  wait "${pid[i]}"
  status=$?
  check "wgdiscoverd on h$i exits with status 0 ($status)" '[[ $status == 0 ]]'
done
echo "# h1's log:"
sed 's/^/#   /' "$w/log1"
echo "1..$n"
