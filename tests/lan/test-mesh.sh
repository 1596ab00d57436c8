#!/usr/bin/env bash
# test-mesh.sh — wgdiscoverd in mesh mode on a virtual LAN of five hosts
# (tests/lan/lan.sh) sharing one mesh CA. h1, h2 and h5 hold certificates
# (h5's runs out half a minute into the test), h3 has none and pushes an
# uncertified record into the mesh's subtype, and h4 is the observer,
# whose interface starts with one peer an administrator configured.
# Certified hosts are added to h4 with their certificate's addresses,
# the uncertified one is not; a revoked certificate (after SIGHUP) and an
# expired one take their peer away; the administrator's peer is never
# touched; h4 and h1 ping over the tunnel they built. Prints TAP; needs
# root.

srcdir=${srcdir:-.}
ctl=${WGDISCOVERCTL:?WGDISCOVERCTL names wgdiscoverctl}
daemon=${WGDISCOVERD:?WGDISCOVERD names wgdiscoverd}
source "$srcdir/tests/lan/lan.sh"
source "$srcdir/tests/lan/tap.sh"

tap_lan_up 5
w=$lan_dir
umask 077

"$ctl" ca init > "$w/ca.key"
ca=$("$ctl" ca pubkey < "$w/ca.key")
now=$(date +%s)
declare -a daemon_pid
for i in 1 2 3 4 5; do
  lan_node "$i" "$ctl"
  [[ $i == 3 ]] && continue
  validity=()
  # h5's certificate ends 30 s from now.
  [[ $i == 5 ]] && validity=(--days 1 --not-before $((now - 86400 + 30)))
  "$ctl" ca sign --ca "$w/ca.key" --name "h$i" --serial "$i" "${validity[@]}" \
    --signkey "$("$ctl" signkey < "$w/state$i/identity")" --wgkey "${lan_pub[i]}" \
    --address "10.78.0.$i/32" > "$w/cert$i"
done
write_conf() { # host, extra [Mesh] lines
  printf '[Interface wg0]\nMode=mesh\nMesh=lab\n[Mesh lab]\nCA=%s\nCertificate=%s\n%s' \
    "$ca" "$w/cert$1" "$2" > "$w/conf$1"
}
for i in 1 2 4 5; do write_conf "$i" ""; done
# h3 keeps lan_node's endpoint-mode configuration: it has no certificate.
# The administrator's own peer on h4, which wgdiscoverd did not add.
admin_key=$(wg genkey | wg pubkey)
lan_exec 4 wg set wg0 peer "$admin_key" allowed-ips 10.78.0.99/32

start_daemon() {
  lan_start "$1" "$daemon" --foreground --config "$w/conf$1" --state-dir "$w/state$1" >> "$w/log$1" 2>&1
  daemon_pid[$1]=$lan_started
}
has_peer() { lan_exec "$1" wg show wg0 peers | grep -qxF "${lan_pub[$2]}"; }
allowed_ips_of() { # host, peer
  lan_exec "$1" wg show wg0 allowed-ips | awk -v k="${lan_pub[$2]}" '$1 == k { print $2 }'
}
logged() { grep -qE "$2" "$w/log$1"; }

for i in 1 2 3 4 5; do start_daemon "$i"; done
# h3 pushes its uncertified record into the mesh's subtype.
subtype="_m$(lan_hex "$ca" | head -c 8)._sub._wireguard._udp"
mapfile -t plain < <("$ctl" announce --identity "$w/state3/identity" --mesh "$ca" \
  --endpoint 10.77.0.3:51820 --txt)
lan_exec 3 avahi-publish -s --subtype="$subtype" intruder _wireguard._udp 51820 \
  "${plain[@]}" >/dev/null 2>&1 &

all_added() { has_peer 4 1 && has_peer 4 2 && has_peer 4 5 && has_peer 1 4; }
check "h4 adds the certified hosts h1, h2 and h5, and h1 adds h4" "within 30 all_added"
check "h1's peer on h4 has its certificate's address as allowed-ips" \
  '[[ $(allowed_ips_of 4 1) == 10.78.0.1/32 ]]'
check "h1's peer on h4 has its LAN endpoint" '[[ $(lan_endpoint 4 1) == 10.77.0.1:51820 ]]'
check "h4 pings h1 over the tunnel they built" \
  "lan_exec 4 ping -c 2 -W 2 -q 10.78.0.1 >/dev/null"
check "h4 logs the uncertified record from the mesh subtype with its reason" \
  "within 15 logged 4 \"'intruder'.*no-binding\""
check "the uncertified h3 is not added to h4" "! has_peer 4 3"
check "h4 never browses the general service type in mesh mode" "! logged 4 \"'h3'\""

# h2's certificate is revoked; h4 learns it on SIGHUP.
"$ctl" ca revoke --ca "$w/ca.key" --serial 2 > "$w/revoked"
write_conf 4 "Revocations=$w/revoked"$'\n'
kill -HUP "${daemon_pid[4]}"
revoked_gone() { ! has_peer 4 2; }
check "after SIGHUP with a revocation list, h4 removes the revoked h2" "within 15 revoked_gone"
check "h4 logs the removal with its reason" "within 5 logged 4 'removed peer h2 .*revoked'"
expired_gone() { ! has_peer 4 5; }
check "h4 removes h5 when its certificate expires" "within 60 expired_gone"
check "h4 logs that removal with its reason" "within 5 logged 4 'removed peer h5 .*expired'"
check "h1 stays on h4" "has_peer 4 1"
check "the administrator's peer on h4 is untouched" \
  "lan_exec 4 wg show wg0 allowed-ips | grep -qxF \"$admin_key	10.78.0.99/32\""
check "wgdiscoverd on h4 keeps running" "kill -0 ${daemon_pid[4]}"

# Stopped and started again, h4 still knows which peers are its own.
kill -TERM "${daemon_pid[4]}"
stopped() { ! kill -0 "${daemon_pid[4]}" 2>/dev/null; }
check "wgdiscoverd on h4 stops on SIGTERM" "within 10 stopped"
wait "${daemon_pid[4]}"
status=$?
# Under the sanitizers, a leak or a memory error makes this non-zero.
check "and exits with status 0 ($status)" '[[ $status == 0 ]]'
check "h4's state lists h1 as a peer it added, and not the administrator's" \
  "grep -q \"^\$(lan_hex ${lan_pub[1]})=\" $w/state4/mesh && ! grep -q \"^\$(lan_hex $admin_key)=\" $w/state4/mesh"
start_daemon 4
check "a restarted h4 keeps h1" "sleep 2; has_peer 4 1"
echo "# h4's log:"
sed 's/^/#   /' "$w/log4"
echo "1..$n"
