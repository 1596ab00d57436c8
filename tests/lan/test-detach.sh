#!/usr/bin/env bash
# test-detach.sh — wgdiscoverd without --foreground, on a virtual LAN of
# two hosts (tests/lan/lan.sh): a start that fails, before or after the
# fork, still fails the command with its error; one that works returns
# once the daemon runs, detached (a session of its own, stdio on
# /dev/null, working directory /) and logging to the journal; relative
# paths still hold when SIGHUP reloads; SIGTERM stops it.
# Prints TAP; needs root.

# Absolute: entering a host's mount namespace starts from /.
srcdir=$(cd "${srcdir:-.}" && pwd)
ctl=${WGDISCOVERCTL:?WGDISCOVERCTL names wgdiscoverctl}
daemon=${WGDISCOVERD:?WGDISCOVERD names wgdiscoverd}
source "$srcdir/tests/lan/lan.sh"
source "$srcdir/tests/lan/tap.sh"

tap_lan_up 2
w=$lan_dir
umask 077

lan_node 1 "$ctl" && lan_node 2 "$ctl"
lan_peer 1 2 && lan_peer 2 1
lan_start 2 "$daemon" --foreground --config "$w/conf2" --state-dir "$w/state2" >> "$w/log2" 2>&1
# A stand-in journal for h1, in its own /run/systemd.
lan_exec 1 mkdir -p /run/systemd/journal
lan_start 1 python3 "$srcdir/tests/lan/journal-sink.py" /run/systemd/journal/socket "$w/journal1"
sink_up() { lan_exec 1 test -S /run/systemd/journal/socket; }
within 10 sink_up || echo "# the journal stand-in did not come up"
journal_has() { grep -qF -- "$1" "$w/journal1" 2>/dev/null; }
running() { [[ -n $(lan_pidof 1 wgdiscoverd) ]]; }

out=$(lan_exec 1 "$daemon" --config "$w/missing.conf" 2>&1)
rc=$?
check "a configuration that is not there fails the start (exit 1, '$out')" \
  '[[ $rc == 1 && $out == *"$w/missing.conf"* ]]'
touch "$w/not-a-directory"
out=$(lan_exec 1 "$daemon" --config "$w/conf1" --state-dir "$w/not-a-directory" 2>&1)
rc=$?
check "a state directory that is a file fails the start after the fork (exit 1, '$out')" \
  '[[ $rc == 1 && $out == *not-a-directory* ]]'
check "no daemon is left behind by a failed start" '! running'

# Relative paths, from h1's shell in the test's directory.
lan_exec 1 sh -c 'cd "$1" && exec "$2" --config conf1 --state-dir state1' sh "$w" "$daemon" \
  > "$w/start.out" 2>&1
rc=$?
pid=$(lan_pidof 1 wgdiscoverd)
check "the command returns 0, with nothing printed" '[[ $rc == 0 && ! -s $w/start.out ]]'
check "wgdiscoverd is already running when it returns" '[[ -n $pid ]]'
check "it leads a session of its own" '[[ -n $pid && $(ps -o sid= -p "$pid" | tr -d " ") == "$pid" ]]'
check "its stdin, stdout and stderr are /dev/null" \
  '[[ -n $pid && $(readlink "/proc/$pid/fd/0" "/proc/$pid/fd/1" "/proc/$pid/fd/2" | sort -u) == /dev/null ]]'
check "its working directory is /" '[[ -n $pid && $(readlink "/proc/$pid/cwd") == / ]]'
found() { [[ $(lan_endpoint 2 1) == 10.77.0.1:51820 && $(lan_endpoint 1 2) == 10.77.0.2:51820 ]]; }
check "h1 and h2 find each other" "within 20 found"
check "h1 logs to the journal, at notice level" "within 10 journal_has '5 found peer h2'"
check "and what it logged while starting" "journal_has '5 loaded the identity'"

h1_published() {
  lan_exec 2 avahi-browse -pt _wireguard._udp 2>/dev/null | grep -q '^+;eth0;IPv4;h1;'
}
check "h1's service is published" "within 10 h1_published"
printf '[Interface wg0]\nAdvertise=false\n' > "$w/conf1"
kill -HUP "$pid"
check "SIGHUP reloads conf1 by its absolute path" \
  "within 10 journal_has 'configuration reloaded from $w/conf1'"
withdrawn() { ! h1_published; }
check "the reloaded Advertise=false withdraws h1's service" "within 10 withdrawn"
kill -TERM "$pid"
stopped() { ! running; }
check "SIGTERM stops it" "[[ -n $pid ]] && within 10 stopped"
check "and it says so in the journal" "journal_has stopping"
echo "# h1's journal:"
sed 's/^/#   /' "$w/journal1"
echo "1..$n"
