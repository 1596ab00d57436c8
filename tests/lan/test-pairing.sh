#!/usr/bin/env bash
# test-pairing.sh — pairing without prior trust (docs/trust-model.md,
# Pairing) on a virtual LAN of three hosts. h2 and h3 keep WireGuard
# keys of their own (not derived from their identities) and are peers of
# h1's wg0 with no pin: h1 shows both pending over D-Bus (Trust pending,
# the Fingerprint their own nodes show) and sets no endpoint for them.
# ApprovePeer with a wrong signing key, garbage or a key that is not
# pending fails with its error and changes nothing; approving h2 pins it
# and h2 gets its endpoint at once; rejecting h3 removes its object. The
# decisions are in the approvals file (0600) and hold across a reload
# and a restart of h1's daemon: h2 pinned with its endpoint set again, h3 refused and
# never pending again. A flood of 70 more candidates (h3 publishes
# records for 70 more peers of h1 that nothing binds) makes 64 pending,
# says once that there is no room for more, and sets no endpoint. A
# corrupt approvals file stops the start, naming file and line. Prints
# TAP; needs root.

srcdir=${srcdir:-.}
ctl=${WGDISCOVERCTL:?WGDISCOVERCTL names wgdiscoverctl}
daemon=${WGDISCOVERD:?WGDISCOVERD names wgdiscoverd}
flood=${WGD_MDNS_FLOOD:?WGD_MDNS_FLOOD names tests/lan/mdns-flood}
source "$srcdir/tests/lan/lan.sh"
source "$srcdir/tests/lan/tap.sh"

for cmd in gdbus busctl; do
  if ! command -v "$cmd" > /dev/null; then
    if [[ ${CI:-} == true ]]; then
      echo "1..1"; echo "not ok 1 - $cmd not found (apt-get install libglib2.0-bin systemd)"
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
declare -a sign
for i in 2 3; do
  wg genkey > "$w/own$i"
  lan_exec "$i" wg set wg0 private-key "$w/own$i"
  lan_pub[i]=$(wg pubkey < "$w/own$i")
done
for i in 1 2 3; do sign[i]=$("$ctl" signkey < "$w/state$i/identity"); done
lan_peer 1 2 && lan_peer 1 3 && lan_peer 2 1 && lan_peer 3 1
# h2 and h3 do not browse: setting h1's endpoint, they would send it a
# handshake, and h1's WireGuard would take their addresses from it (the
# key holder decides, docs/trust-model.md), whatever h1's daemon makes of
# their records. h1 reaches them once it sets their endpoints.
for i in 2 3; do printf 'Browse=false\n' >> "$w/conf$i"; done

ROOT=/org/wgdiscover1
hex8() { lan_hex "$1" | cut -c1-16; }
peer_path() { echo "$ROOT/peer/$(hex8 "${lan_pub[$1]}")"; }
# prop N PATH INTERFACE PROPERTY: the value on host N's bus, as busctl
# prints it after the type.
prop() {
  lan_exec "$1" busctl --system get-property org.wgdiscover1 "$2" "org.wgdiscover1.$3" "$4" \
    2> /dev/null | sed -E 's/^[^ ]+ //; s/^"(.*)"$/\1/'
}
peer_prop() { prop 1 "$(peer_path "$1")" Peer "$2"; }
# call METHOD WG SIGNING: the method on h1's Manager; prints gdbus's
# output (the error's name on failure).
call() {
  lan_exec 1 gdbus call --system --dest org.wgdiscover1 --object-path $ROOT \
    --method "org.wgdiscover1.Manager.$1" "'$2'" "'$3'" 2>&1
}

declare -a pid
start_daemon() {
  lan_start "$1" "$daemon" --foreground --config "$w/conf$1" --state-dir "$w/state$1" \
    >> "$w/log$1" 2>&1
  pid[$1]=$lan_started
}
stop_daemon() {
  kill -TERM "${pid[$1]}"
  wait "${pid[$1]}"
}
for i in 1 2 3; do start_daemon "$i"; done

# --- pending ------------------------------------------------------------------
on_bus() { [[ -n $(prop "$1" $ROOT Manager Fingerprint) ]]; }
within 20 'on_bus 2 && on_bus 3' || echo "# h2's or h3's daemon is not on its bus"
fp2=$(prop 2 $ROOT Manager Fingerprint)
fp3=$(prop 3 $ROOT Manager Fingerprint)
check "h2's node shows its fingerprint ($fp2)" \
  '[[ $fp2 =~ ^[0-9a-f]{4}(-[0-9a-f]{4}){4}$ && $fp2 != "$fp3" ]]'
pending() { [[ $(peer_prop "$1" Trust) == pending ]]; }
by_trust() {
  [[ $(prop 1 $ROOT Manager PeersByTrust) == "4 \"derived\" 0 \"certificate\" 0 \"pinned\" $1 \"pending\" $2" ]]
}
check "h1 shows h2 pending" "within 20 'pending 2'"
check "h1 shows h3 pending" "within 10 'pending 3'"
check "h2's Fingerprint on h1 is the one h2's node shows" '[[ $(peer_prop 2 Fingerprint) == "$fp2" ]]'
check "h2's SigningKey on h1 is h2's" '[[ $(peer_prop 2 SigningKey) == "${sign[2]}" ]]'
check "h2's Name and Interface on h1" \
  '[[ "$(peer_prop 2 Name) $(peer_prop 2 Interface)" == "h2 $ROOT/interface/wg0" ]]'
check "h2 pending has no candidates" '[[ $(peer_prop 2 Candidates) == "0" ]]'
check "Manager.PeersByTrust counts two pending" "by_trust 0 2"
check "h1 logged h2 pending once, with its fingerprint" \
  "[[ \$(grep -c \"peer h2 (${lan_pub[2]}) is pending: its signing key's fingerprint is $fp2\" '$w/log1') == 1 ]]"
check "h1 logs no rejection warning for the pending h2" "! grep -q \"rejected announcement 'h2'\" '$w/log1'"
sleep 3
check "h1's wg0 has no endpoint for h2 while it is pending" '[[ $(lan_endpoint 1 2) == "(none)" ]]'
check "h1 keeps nothing of h2's in its replay state" \
  "! grep -q '^$(lan_hex "${sign[2]}")=' '$w/state1/replay'"

# --- refused calls change nothing ------------------------------------------------
unchanged() { pending 2 && [[ ! -e $w/state1/approvals && $(lan_endpoint 1 2) == "(none)" ]]; }
out=$(call ApprovePeer "${lan_pub[2]}" "${sign[3]}")
check "ApprovePeer with another signing key: KeyChanged" '[[ $out == *org.wgdiscover1.Error.KeyChanged* ]]'
echo "# $out"
check "... and nothing changed" unchanged
out=$(call ApprovePeer "not a key" "${sign[2]}")
check "ApprovePeer with garbage: InvalidKey" '[[ $out == *org.wgdiscover1.Error.InvalidKey* ]]'
out=$(call ApprovePeer "${lan_pub[2]}" "AAAA")
check "ApprovePeer with a short signing key: InvalidKey" '[[ $out == *org.wgdiscover1.Error.InvalidKey* ]]'
out=$(call ApprovePeer "${lan_pub[1]}" "${sign[1]}")
check "ApprovePeer for a key that is not pending: NotPending" \
  '[[ $out == *org.wgdiscover1.Error.NotPending* ]]'
out=$(call RejectPeer "${lan_pub[2]}" "${sign[3]}")
check "RejectPeer with another signing key: KeyChanged" '[[ $out == *org.wgdiscover1.Error.KeyChanged* ]]'
check "... and nothing changed" unchanged
# A decision that cannot be saved is not made: here the file's place is
# taken by a directory.
mkdir "$w/state1/approvals"
out=$(call ApprovePeer "${lan_pub[2]}" "${sign[2]}")
echo "# $out"
check "ApprovePeer that cannot be saved: IO" \
  '[[ $out == *org.wgdiscover1.Error.IO* ]]'
rmdir "$w/state1/approvals"
check "... and nothing changed" unchanged

# --- approve h2, reject h3 ---------------------------------------------------------
t0=$(date +%s.%N)
out=$(call ApprovePeer "${lan_pub[2]}" "${sign[2]}")
check "ApprovePeer h2 succeeds" '[[ $out == "()" ]]'
echo "# $out"
check "h2's Trust becomes pinned" "within 5 '[[ \$(peer_prop 2 Trust) == pinned ]]'"
check "h1's wg0 gets h2's endpoint at once" "within 3 '[[ \$(lan_endpoint 1 2) == 10.77.0.2:51820 ]]'"
echo "# endpoint set $(echo "$(date +%s.%N) - $t0" | bc 2> /dev/null) s after the call"
check "h1 pings h2 over WireGuard" "lan_exec 1 ping -c 2 -W 2 -q 10.78.0.2 > /dev/null"
check "h1 logged the approval with h2's fingerprint" \
  "grep -q \"approved peer h2 (${lan_pub[2]}): the signing key with fingerprint $fp2 is pinned\" '$w/log1'"
out=$(call ApprovePeer "${lan_pub[2]}" "${sign[2]}")
check "approving h2 again: NotPending" '[[ $out == *org.wgdiscover1.Error.NotPending* ]]'

out=$(call RejectPeer "${lan_pub[3]}" "${sign[3]}")
check "RejectPeer h3 succeeds" '[[ $out == "()" ]]'
gone3() { ! lan_exec 1 busctl --system get-property org.wgdiscover1 "$(peer_path 3)" org.wgdiscover1.Peer Name > /dev/null 2>&1; }
check "h3's object is gone" "within 5 gone3"
check "Manager.PeersByTrust: one pinned, none pending" "within 5 'by_trust 1 0'"
check "h1's wg0 has no endpoint for h3" '[[ $(lan_endpoint 1 3) == "(none)" ]]'

# --- a reload keeps the decisions -------------------------------------------------------
kill -HUP "${pid[1]}"
check "h1 reloads its configuration" "within 10 \"grep -q 'configuration reloaded' '$w/log1'\""
# A new address makes h2 sign a new record: accepted only through the
# approval, which the reload must have kept.
lan_exec 2 ip addr add 10.77.0.22/24 dev eth0
fresh() { [[ $(peer_prop 2 Candidates) == *10.77.0.22:51820* ]]; }
check "after the reload, h2's next record is accepted through the approval" "within 20 fresh"
check "... and h1 rejected none of h2's" "! grep -q \"rejected announcement 'h2'\" '$w/log1'"
lan_exec 2 ip addr del 10.77.0.22/24 dev eth0

approvals=$w/state1/approvals
check "the approvals file is mode 0600" '[[ $(stat -c %a "$approvals") == 600 ]]'
check "the approvals file holds the approval of h2" \
  "grep -qxF 'approve ${lan_pub[2]} ${sign[2]}' '$approvals'"
check "the approvals file holds the rejection of h3" \
  "grep -qxF 'reject ${lan_pub[3]} ${sign[3]}' '$approvals'"
sed 's/^/# approvals: /' "$approvals"

# --- across a restart ------------------------------------------------------------------
stop_daemon 1
status=$?
check "wgdiscoverd on h1 exits with status 0 ($status)" '[[ $status == 0 ]]'
# Forget the endpoint, so that only the pin can set it again.
lan_exec 1 wg set wg0 peer "${lan_pub[2]}" remove
lan_peer 1 2
rm -f "$w/state1/endpoints"
# And the flood waits for h1's daemon: 70 valid records, for 70 more
# peers of h1's wg0, that nothing binds.
lan_start 3 "$flood" 70 --unbound > "$w/flood.out" 2> "$w/flood.err"
flood_pid=$lan_started
check "h3 publishes 70 more candidates for pairing" "within 60 \"grep -q '^published 70$' '$w/flood.out'\""
mapfile -t flooded < <(sed -n 's/^key //p' "$w/flood.out")
peers=()
for k in "${flooded[@]}"; do peers+=(peer "$k"); done
lan_exec 1 wg set wg0 "${peers[@]}"
mv "$w/log1" "$w/log1.first"
start_daemon 1
check "after a restart, h2 is pinned" "within 20 '[[ \$(peer_prop 2 Trust) == pinned ]]'"
check "after a restart, h1's wg0 gets h2's endpoint again" \
  "within 10 '[[ \$(lan_endpoint 1 2) == 10.77.0.2:51820 ]]'"
check "h1 logged h2 found with the binding 'pinned'" "grep -q 'found peer h2 .* binding pinned' '$w/log1'"
refused3() { grep -q "rejected announcement 'h3' on eth0: no-binding: this signing key was rejected" "$w/log1"; }
check "after a restart, h3's record is refused as rejected (no-binding)" "within 10 refused3"
check "h3 is not pending again" "gone3 && ! grep -q 'peer h3 .* is pending' '$w/log1'"
check "h1's wg0 still has no endpoint for h3" '[[ $(lan_endpoint 1 3) == "(none)" ]]'
check "Manager.AnnouncementsRejected counts h3's under no-binding" \
  '[[ $(prop 1 $ROOT Manager AnnouncementsRejected) =~ \"no-binding\"\ [1-9] ]]'
check "of the 70 candidates, 64 are pending, and h2 still pinned" "within 20 'by_trust 1 64'"
check "h1 said once that no more can be pending" \
  "[[ \$(grep -c 'cannot be pending: 64 peers are pending already' '$w/log1') == 1 ]]"
check "h1 logged each pending peer once" "[[ \$(grep -c ') is pending: ' '$w/log1') == 64 ]]"
no_endpoints() {
  local k
  for k in "${flooded[@]}"; do
    [[ $(lan_exec 1 wg show wg0 endpoints | awk -v k="$k" '$1 == k { print $2 }') == "(none)" ]] ||
      return 1
  done
}
check "none of them has an endpoint on h1's wg0" no_endpoints
check "wgdiscoverd on h1 keeps running" 'kill -0 "${pid[1]}"'
kill "$flood_pid"

# --- a corrupt approvals file stops the start ----------------------------------------------
stop_daemon 1
status=$?
check "the restarted wgdiscoverd on h1 exits with status 0 ($status)" '[[ $status == 0 ]]'
echo "approve garbage" >> "$approvals"
lines=$(wc -l < "$approvals")
if lan_exec 1 "$daemon" --foreground --config "$w/conf1" --state-dir "$w/state1" > "$w/corrupt" 2>&1; then
  status=0
else
  status=$?
fi
check "wgdiscoverd refuses to start with a corrupt approvals file (status $status)" '[[ $status != 0 ]]'
check "... and says which file, line and why" \
  "grep -qF '$approvals:$lines: expected three words' '$w/corrupt'"
sed 's/^/# /' "$w/corrupt"

for i in 2 3; do
  stop_daemon "$i"
  status=$?
  check "wgdiscoverd on h$i exits with status 0 ($status)" '[[ $status == 0 ]]'
done
echo "# h1's log before its restart:"
sed 's/^/#   /' "$w/log1.first"
for i in 1 2 3; do
  echo "# h$i's log:"
  sed 's/^/#   /' "$w/log$i"
done
echo "1..$n"
