#!/usr/bin/env bash
# test-clock.sh — a clock set back does not lock a node out. A node whose
# clock was once a day fast has tomorrow's timestamp as its newest in its
# state: it must sign with the clock's time again (no receiver accepts
# tomorrow) and say so once. A receiver whose clock was set back holds a
# peer's newest timestamp from tomorrow: it must still accept the peer's
# fresh records. Prints TAP; needs root.

srcdir=${srcdir:-.}
ctl=${WGDISCOVERCTL:?WGDISCOVERCTL names wgdiscoverctl}
daemon=${WGDISCOVERD:?WGDISCOVERD names wgdiscoverd}
source "$srcdir/tests/lan/lan.sh"
source "$srcdir/tests/lan/tap.sh"

tap_lan_up 2
w=$lan_dir
umask 077

lan_node 1 "$ctl" && lan_node 2 "$ctl"
lan_peer 1 2 && lan_peer 2 1
sign1=$(lan_hex "$("$ctl" signkey < "$w/state1/identity")")
tomorrow=$(( $(date +%s) + 86400 ))
zeros=$(printf '0%.0s' {1..64})

# replay_entry N KEY: host N's newest timestamp for signing key KEY.
replay_entry() { sed -n "s/^$2=\([0-9]*\) .*/\1/p" "$w/state$1/replay" 2>/dev/null; }

start() {
  lan_start "$1" "$daemon" --foreground --config "$w/conf$1" --state-dir "$w/state$1" \
    >> "$w/log$1" 2>&1
  pid[$1]=$lan_started
}
stop() {
  kill -TERM "${pid[$1]}"
  wait "${pid[$1]}"
}

# h1 once signed with tomorrow's time.
printf '[Replay]\n%s=%s %s\n' "$sign1" "$tomorrow" "$zeros" > "$w/state1/replay"
start 1
start 2
found() { [[ $(lan_endpoint 2 1) == 10.77.0.1:51820 ]]; }
check "h2 accepts h1's record although h1 once signed tomorrow" "within 20 found"
check "h1 says once that its clock was set back" \
  "[[ \$(grep -c 'ahead of the clock' '$w/log1') -eq 1 ]]"
own_now() { local t; t=$(replay_entry 1 "$sign1"); [[ -n $t ]] && (( t <= $(date +%s) + 5 )); }
check "h1's own newest timestamp follows the clock again" "within 10 own_now"
check "h2 refused nothing of h1's as from the future" "! grep -q 'future' '$w/log2'"

# h2's clock was set back: it holds h1's newest from tomorrow.
stop 2
lan_exec 2 wg set wg0 peer "${lan_pub[1]}" remove
lan_peer 2 1
rm -f "$w/state2/endpoints"
printf '[Replay]\n%s=%s %s\n' "$sign1" "$tomorrow" "$zeros" > "$w/state2/replay"
start 2
check "h2, whose clock was set back, accepts h1's fresh record" "within 20 found"
# Only h1's: a copy of h2's own record from before its restart may still
# be in avahi-daemon's cache, and is refused as the replay it is.
check "h2 refused nothing of h1's as a replay" "! grep -q \"'h1' .*replayed\" '$w/log2'"

stop 1
check "wgdiscoverd on h1 exits with status 0" "[[ $? -eq 0 ]]"
stop 2
echo "# h1's log:"
sed 's/^/#   /' "$w/log1"
echo "# h2's log:"
sed 's/^/#   /' "$w/log2"
echo "1..$n"
