#!/usr/bin/env bash
# test-pinned.sh — an existing WireGuard setup keeps its keys: h2's wg0
# has a key of its own, not the one derived from its identity. h2 still
# advertises, with a record that binds its identity to that key (and
# says once what its peers need); h1, which pins h2's signing key for
# that key ([Peer] in its configuration), sets h2's endpoint and pings
# it; h3, which has h2 as a peer but no pin, does not accept the record:
# h2 is pending there (test-pairing.sh) and nothing changes. h2 does not refuse its own record
# when it hears it back. Prints TAP; needs root.

srcdir=${srcdir:-.}
ctl=${WGDISCOVERCTL:?WGDISCOVERCTL names wgdiscoverctl}
daemon=${WGDISCOVERD:?WGDISCOVERD names wgdiscoverd}
source "$srcdir/tests/lan/lan.sh"
source "$srcdir/tests/lan/tap.sh"

tap_lan_up 3
w=$lan_dir
umask 077

for i in 1 2 3; do lan_node "$i" "$ctl"; done
wg genkey > "$w/own2"
lan_exec 2 wg set wg0 private-key "$w/own2"
derived2=${lan_pub[2]}
lan_pub[2]=$(wg pubkey < "$w/own2")
# h3 is no peer of h2's: h2 would send it a handshake with its endpoint,
# and h3's WireGuard would take h2's address from it (the key holder
# decides, docs/trust-model.md), whatever h3's daemon makes of the record.
lan_peer 1 2 && lan_peer 2 1 && lan_peer 3 2
cat >> "$w/conf1" <<EOF
[Peer h2]
WireGuardKey=${lan_pub[2]}
SigningKey=$("$ctl" signkey < "$w/state2/identity")
EOF

declare -a pid
for i in 1 2 3; do
  lan_start "$i" "$daemon" --foreground --config "$w/conf$i" --state-dir "$w/state$i" \
    >> "$w/log$i" 2>&1
  pid[i]=$lan_started
done
check "h1 sets h2's endpoint through its pin" "within 20 '[[ \$(lan_endpoint 1 2) == 10.77.0.2:51820 ]]'"
check "h1 pings h2 over WireGuard with h2's own keys" \
  "lan_exec 1 ping -c 2 -W 2 -q 10.78.0.2 > /dev/null"
check "h1 logged h2 found with the binding 'pinned'" "grep -q 'found peer h2 .* binding pinned' '$w/log1'"
pending() { grep -q "peer h2 (${lan_pub[2]}) is pending" "$w/log3"; }
check "h3, with no pin, does not accept h2's record: h2 is pending there" "within 10 pending"
check "h3 has no endpoint for h2" "[[ \$(lan_endpoint 3 2) == '(none)' ]]"
sign2=$(lan_hex "$("$ctl" signkey < "$w/state2/identity")")
check "h3 keeps nothing of h2's in its replay state" "! grep -q '^$sign2=' '$w/state3/replay'"
check "h1 keeps h2's newest timestamp in its replay state" "within 5 \"grep -q '^$sign2=' '$w/state1/replay'\""
check "h2 said once that its key is not derived and what its peers need" \
  "[[ \$(grep -c \"wg0: the interface's public key is not derived from this node's identity\" '$w/log2') -eq 1 ]]"
check "h2's record names its own key, not the derived one" \
  "grep -qF 'found peer h2 (${lan_pub[2]})' '$w/log1' && ! grep -qF '$derived2' '$w/log1'"
check "h2 does not refuse its own record" "! grep -q 'rejected announcement' '$w/log2'"
for i in 1 2 3; do
  kill -TERM "${pid[i]}"
  wait "${pid[i]}"
  status=$?
  check "wgdiscoverd on h$i exits with status 0 ($status)" '[[ $status == 0 ]]'
done
for i in 1 2 3; do
  echo "# h$i's log:"
  sed 's/^/#   /' "$w/log$i"
done
echo "1..$n"
