#!/usr/bin/env bash
# test-discovery.sh — wgdiscoverd on a virtual LAN of three hosts in
# endpoint mode with derived identities (tests/lan/lan.sh): they find each
# other and every pair pings over WireGuard; a host's new LAN address
# reaches the others; forged, replayed and malformed announcements from a
# hostile publisher change nothing and are logged with their reason; a
# restarted daemon configures known peers from its state at once.
# Prints TAP; needs root.

srcdir=${srcdir:-.}
ctl=${WGDISCOVERCTL:?WGDISCOVERCTL names wgdiscoverctl}
daemon=${WGDISCOVERD:?WGDISCOVERD names wgdiscoverd}
source "$srcdir/tests/lan/lan.sh"
source "$srcdir/tests/lan/tap.sh"

tap_lan_up 3
w=$lan_dir
umask 077

declare -a daemon_pid
for i in 1 2 3; do
  lan_node "$i" "$ctl"
done
# Endpoint mode: the interfaces know their peers, not where they are.
for i in 1 2 3; do
  for j in 1 2 3; do
    [[ $i == "$j" ]] || lan_peer "$i" "$j"
  done
done

start_daemon() {
  lan_start "$1" "$daemon" --foreground --config "$w/conf$1" --state-dir "$w/state$1" >> "$w/log$1" 2>&1
  daemon_pid[$1]=$lan_started
}
all_found() {
  local i j
  for i in 1 2 3; do
    for j in 1 2 3; do
      [[ $i == "$j" ]] && continue
      [[ $(lan_endpoint "$i" "$j") == "10.77.0.$j:51820" ]] || return 1
    done
  done
}

for i in 1 2 3; do start_daemon "$i"; done
check "every host sets every other host's LAN endpoint" "within 20 all_found"
for pair in "1 2" "1 3" "2 3"; do
  set -- $pair
  check_show "h$1 pings h$2 over WireGuard" "within 10 lan_exec $1 ping -c 1 -W 2 -q 10.78.0.$2 \\>/dev/null" \
    "$w/log$1" "$w/log$2"
done

# h2 moves to another LAN address (deleting the old one first: a
# primary address takes the secondaries of its subnet with it).
lan_exec 2 ip addr del 10.77.0.2/24 dev eth0
lan_exec 2 ip addr add 10.77.0.12/24 dev eth0
moved() { [[ $(lan_endpoint 1 2) == 10.77.0.12:51820 && $(lan_endpoint 3 2) == 10.77.0.12:51820 ]]; }
check "h2's new LAN address reaches h1 and h3" "within 20 moved"
check "h1 pings h2 at its new address" "lan_exec 1 ping -c 2 -W 2 -q 10.78.0.2 >/dev/null"

# A hostile host 3 publishes what it can make: an older record of h2
# (captured before), pointing h2's key elsewhere; a copy with one byte
# changed; a record of its own that claims h2's WireGuard key through a
# certificate of a CA it made up; TXT that is no record; TXT far larger
# than any record; an expired record of its own; a stranger's record
# whose pub= names h2; and a stranger's forged record, whose pub= (its
# own key, no peer of h1's) has it dropped before its signature is
# checked: it is never logged.
now=$(date +%s)
mapfile -t replayed < <("$ctl" announce --identity "$w/state2/identity" \
  --endpoint 10.77.0.66:51820 --timestamp $((now - 30)) --lifetime 3600 --txt)
# forge TXT...: the strings with one character of chunk a0 changed.
forge() {
  local i chunk c
  for i in "${!forged[@]}"; do
    [[ ${forged[i]} == a0=* ]] || continue
    chunk=${forged[i]}
    [[ ${chunk:20:1} == A ]] && c=B || c=A
    forged[i]="${chunk:0:20}$c${chunk:21}"
  done
}
forged=("${replayed[@]}")
forge
"$ctl" ca init > "$w/evil-ca"
"$ctl" ca sign --ca "$w/evil-ca" --name h2 --address 10.78.0.2/32 \
  --signkey "$("$ctl" signkey < "$w/state3/identity")" --wgkey "${lan_pub[2]}" > "$w/evil-cert"
mapfile -t unbound < <("$ctl" announce --identity "$w/state3/identity" --cert "$w/evil-cert" \
  --endpoint 10.77.0.66:51820 --txt)
# As large as one mDNS packet carries (a TXT beyond the MTU is never
# resolved at all), in more strings than any record needs.
huge=(txtvers=1)
for ((k = 0; k < 40; k++)); do huge+=("a$k=$(printf 'A%.0s' {1..24})"); done
mapfile -t expired < <("$ctl" announce --identity "$w/state3/identity" \
  --endpoint 10.77.0.66:51820 --timestamp $((now - 7200)) --lifetime 60 --txt)
"$ctl" genkey > "$w/stranger"
mapfile -t stranger < <("$ctl" announce --identity "$w/stranger" --endpoint 10.77.0.66:51820 --txt)
lying=("${stranger[@]/#pub=*/pub=${lan_pub[2]}}")
evil_forged=("${forged[@]}")
forged=("${stranger[@]}")
forge
lan_exec 3 avahi-publish -s evil-lying _wireguard._udp 51820 "${lying[@]}" >/dev/null 2>&1 &
lan_exec 3 avahi-publish -s stranger-forged _wireguard._udp 51820 "${forged[@]}" >/dev/null 2>&1 &
lan_exec 3 avahi-publish -s evil-replayed _wireguard._udp 51820 "${replayed[@]}" >/dev/null 2>&1 &
lan_exec 3 avahi-publish -s evil-forged _wireguard._udp 51820 "${evil_forged[@]}" >/dev/null 2>&1 &
lan_exec 3 avahi-publish -s evil-garbage _wireguard._udp 51820 txtvers=1 'a0=!!!' >/dev/null 2>&1 &
lan_exec 3 avahi-publish -s evil-expired _wireguard._udp 51820 "${expired[@]}" >/dev/null 2>&1 &
lan_exec 3 avahi-publish -s evil-unbound _wireguard._udp 51820 "${unbound[@]}" >/dev/null 2>&1 &
lan_exec 3 avahi-publish -s evil-huge _wireguard._udp 51820 "${huge[@]}" >/dev/null 2>&1 &
logged() { grep -qE "$1" "$w/log1"; }
check "h1 logs the replayed record with its reason" "within 15 logged \"'evil-replayed'.*replayed\""
forged_logged() { logged "'evil-forged'.*(bad-signature|malformed)"; }
check "h1 logs the forged record with its reason" "within 15 forged_logged"
check "h1 logs the garbage TXT with its reason" "within 15 logged \"'evil-garbage'.*malformed\""
check "h1 logs the expired record with its reason" "within 15 logged \"'evil-expired'.*expired\""
check "h1 logs the record claiming h2's key without a binding" \
  "within 15 logged \"'evil-unbound'.*no-binding\""
check "h1 logs the huge TXT with its reason" "within 15 logged \"'evil-huge'.*too-large\""
check "h1 logs the record whose pub= is not its key as malformed" \
  "within 15 logged \"'evil-lying'.*malformed: the TXT.s pub= names another WireGuard key\""
check "h1 drops the stranger's forged record unchecked: no rejection is logged" \
  "! logged \"'stranger-forged'\""
unchanged() { [[ $(lan_endpoint 1 2) == 10.77.0.12:51820 && $(lan_endpoint 1 3) == 10.77.0.3:51820 ]]; }
check "nothing rejected reached h1's interface" unchanged
check "wgdiscoverd on h1 keeps running" "kill -0 ${daemon_pid[1]}"

# avahi-daemon on h1 goes away and comes back: wgdiscoverd re-publishes
# and browses again by itself.
avahi_running() { lan_exec 1 avahi-daemon --check 2>/dev/null; }
avahi_stopped() { ! avahi_running; }
lan_exec 1 avahi-daemon --kill
within 20 avahi_stopped || echo "# avahi-daemon on h1 did not stop"
lan_avahi_start 1
within 20 avahi_running || echo "# avahi-daemon on h1 did not start again"
h1_published() {
  lan_exec 2 avahi-browse -pt _wireguard._udp 2>/dev/null | grep -q '^+;eth0;IPv4;h1;'
}
# avahi-client notices the daemon's return over D-Bus, then mDNS probes.
check "after an avahi-daemon restart h1 is published again" "within 40 h1_published"
check "wgdiscoverd on h1 survived avahi-daemon's restart" "kill -0 ${daemon_pid[1]}"
lan_exec 3 ip addr del 10.77.0.3/24 dev eth0
lan_exec 3 ip addr add 10.77.0.13/24 dev eth0
followed() { [[ $(lan_endpoint 1 3) == 10.77.0.13:51820 ]]; }
check "after an avahi-daemon restart h1 still follows h3's address" "within 40 followed"

# Restart h1's daemon with its peers' endpoints gone from the interface.
kill -TERM "${daemon_pid[1]}"
stopped() { ! kill -0 "${daemon_pid[1]}" 2>/dev/null; }
check "wgdiscoverd stops on SIGTERM" "within 10 stopped"
wait "${daemon_pid[1]}"
status=$?
# Under the sanitizers, a leak or a memory error makes this non-zero.
check "and exits with status 0 ($status)" '[[ $status == 0 ]]'
h1_withdrawn() { ! h1_published; }
check "h1's service is withdrawn when wgdiscoverd stops" "within 10 h1_withdrawn"
# h2 has heard the withdrawal by now; a service that goes away only ages
# its candidate out, WireGuard keeps the peer and the endpoint it has.
sleep 1
check "h2 keeps h1's peer and endpoint after h1's service is gone" \
  '[[ $(lan_endpoint 2 1) == 10.77.0.1:51820 ]] && kill -0 "${daemon_pid[2]}"'
# Its own newest timestamp is saved, so a restart in the same second does
# not sign a second record with a timestamp the others have seen.
sign1=$("$ctl" signkey < "$w/state1/identity" | base64 -d | od -An -tx1 | tr -d ' \n')
check "h1's state holds its own newest timestamp" "grep -q '^$sign1=' $w/state1/replay"
for j in 2 3; do
  lan_exec 1 wg set wg0 peer "${lan_pub[j]}" remove
  lan_peer 1 "$j"
done
start_daemon 1
restored() { [[ $(lan_endpoint 1 2) == 10.77.0.12:51820 ]] && logged 'restored the last known endpoints'; }
check "a restarted daemon restores known endpoints from its state" "within 5 restored"
echo "# h1's log:"
sed 's/^/#   /' "$w/log1"
echo "1..$n"
