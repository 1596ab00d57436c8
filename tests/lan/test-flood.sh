#!/usr/bin/env bash
# test-flood.sh — a hostile host h3 publishes 500 bogus _wireguard._udp
# services (tests/lan/mdns-flood: TXT that is no record, records with a
# broken signature, and valid records of strangers) before wgdiscoverd
# starts on h1 and h2. The real peer is still found, the daemon keeps
# running, logs rejections within its budget of lines and sums up the
# rest, and the strangers leave no state. Prints TAP; needs root.

srcdir=${srcdir:-.}
ctl=${WGDISCOVERCTL:?WGDISCOVERCTL names wgdiscoverctl}
daemon=${WGDISCOVERD:?WGDISCOVERD names wgdiscoverd}
flood=${WGD_MDNS_FLOOD:?WGD_MDNS_FLOOD names tests/lan/mdns-flood}
source "$srcdir/tests/lan/lan.sh"
source "$srcdir/tests/lan/tap.sh"

tap_lan_up 3
w=$lan_dir
umask 077

lan_node 1 "$ctl" && lan_node 2 "$ctl"
lan_peer 1 2 && lan_peer 2 1

lan_start 3 "$flood" 500 > "$w/flood.out" 2> "$w/flood.err"
flooded() { grep -q '^published 500$' "$w/flood.out"; }
check "h3 publishes 500 bogus services" "within 60 flooded"
seen_on_h1() {
  (( $(lan_exec 1 avahi-browse -pt _wireguard._udp 2>/dev/null | grep -c ';bogus-') >= 500 ))
}
check "h1's avahi-daemon sees them" "within 60 seen_on_h1"

# h1's daemon reports to a notify socket, as under systemd's Type=notify.
notify_listen "$w/notify" "$w/notify.log"
trap 'kill $notify_pid 2>/dev/null; lan_down' EXIT
NOTIFY_SOCKET=$w/notify lan_start 1 "$daemon" --foreground --config "$w/conf1" --state-dir "$w/state1" \
  >> "$w/log1" 2>&1
pid1=$lan_started
started=$(date +%s)
lan_start 2 "$daemon" --foreground --config "$w/conf2" --state-dir "$w/state2" >> "$w/log2" 2>&1
found() {
  lan_exec 1 wg show wg0 endpoints | grep -qxF "${lan_pub[2]}	10.77.0.2:51820"
}
check "h1 still finds the real peer h2 amid the flood" "within 60 found"
check "h1 pings h2 over WireGuard" "lan_exec 1 ping -c 2 -W 2 -q 10.78.0.2 >/dev/null"
check "wgdiscoverd on h1 keeps running" "kill -0 $pid1"
check "wgdiscoverd on h1 tells systemd it is ready" "within 10 grep -qx READY=1 $w/notify.log"
# Every bogus service is judged (lookups are queued, not dropped), and
# counted in the status line: 334 forged or garbage, 166 strangers (each
# heard once or twice: over IPv4 and IPv6).
status_count() {
  grep '^STATUS=' "$w/notify.log" | tail -n 1 | grep -oE "[0-9]+ $1" | cut -d' ' -f1
}
all_judged() { (( $(status_count rejected) >= 334 && $(status_count 'for no peer here') >= 166 )); }
check "all 500 bogus services are judged and counted in STATUS" "within 60 all_judged"
# The strangers' records were valid, but no peer of h1's: they leave no
# replay state, no peer in the table, no line in the log.
sleep 2
check "the strangers leave nothing in h1's replay state (h1 and h2: $(lan_replay_keys 1))" \
  '(( $(lan_replay_keys 1) == 2 ))'
# STATUS= comes when it changes: the line that said all was judged may
# have come before h2 was found.
one_peer() { [[ $(status_count "peers known") == 1 ]]; }
check "h1 knows one peer, h2" "within 40 one_peer"
# A line per service, interface and reason (the sender is unknown), but
# never more than 20 lines in the 15 s window the first one opens.
rejections() { grep -c 'rejected announcement' "$w/log1"; }
budget() { echo $((20 * (($(date +%s) - started) / 15 + 1))); }
check "h1 logs rejections within its budget, not one per service ($(rejections) lines)" \
  '(( $(rejections) >= 1 && $(rejections) <= $(budget) ))'
check "h1's log stays short" '(( $(wc -l < "$w/log1") < 2 * $(budget) + 30 ))'
summed_up() { grep -c 'more rejected announcements were not logged' "$w/log1"; }
# The sum comes when the window the first line opened ends (15 s).
check "h1 sums up what it did not log" "within 20 '(( \$(summed_up) >= 1 ))'"

# A flood from many sources at once: each service and reason would be a
# line of its own, so the log keeps to its budget per window (20 lines a
# 15 s) and sums up the rest. Lookups are paced, so whether one window's
# share overflows (and a sum-up line comes) depends on the machine; the
# rate of lines does not.
spread_started=$(date +%s)
lan_start 3 "$flood" 200 --spread > "$w/spread.out" 2> "$w/spread.err"
spread_published() { grep -q '^published 200$' "$w/spread.out"; }
check "h3 publishes 200 more, each from a host and address of its own" "within 60 spread_published"
spread_lines() { grep -c "rejected announcement 'spread-" "$w/log1"; }
check "h1 judges the flood from many sources" "within 60 '(( \$(spread_lines) > 0 ))'"
sleep 15
spread_budget() { echo $(( 20 * (($(date +%s) - spread_started) / 15 + 2) )); }
check "h1 logs it within its budget ($(spread_lines) lines in $(( $(date +%s) - spread_started )) s)" \
  '(( $(spread_lines) <= $(spread_budget) ))'
check "h1 logs fewer lines than the flood has sources ($(spread_lines) for 134)" \
  '(( $(spread_lines) < 100 ))'
check "wgdiscoverd on h1 still runs" "kill -0 $pid1"
echo "# h1's notifications:"
sed 's/^/#   /' "$w/notify.log"
echo "# h1's log:"
sed 's/^/#   /' "$w/log1"
echo "1..$n"
