#!/usr/bin/env bash
# thousand-peers.sh — a thousand services on one LAN (tests/lan/lan.sh):
# host 2 announces them all through its avahi-daemon
# (tests/lan/mdns-flood --valid: valid records of 1000 identities, each
# with its own endpoint 10.77.0.2:20000+i), host 1 runs wgdiscoverd and,
# beside it, `avahi-browse -r` as the reference. In the same run:
#
#   strangers   host 1 has none of them as peers: the CPU seconds
#               wgdiscoverd spends while they are announced, against those
#               of avahi-browse resolving the same services
#   peers       host 1's wg0 has all 1000 as peers: from the start of the
#               announcements until wg0 holds every one's endpoint, against
#               until avahi-browse has resolved every service; then
#               wgdiscoverd's RSS and CPU seconds
#
# With WGDISCOVERD_REFERENCE (another build of wgdiscoverd, e.g. of the
# commit before), both are measured for it too, first, and the ratios
# printed. Goals: peers ratio at most 1.2, RSS at most 16 MiB. Needs root.
#
#   WGDISCOVERCTL, WGDISCOVERD, WGD_MDNS_FLOOD  the binaries (default:
#                                               under build/plain, as
#                                               tools/check builds them)
#   THOUSAND_PEERS                              how many (default 1000)
set -u

here=$(cd "$(dirname "$0")/.." && pwd)
ctl=${WGDISCOVERCTL:-$here/build/plain/src/ctl/wgdiscoverctl}
daemon=${WGDISCOVERD:-$here/build/plain/src/daemon/wgdiscoverd}
flood=${WGD_MDNS_FLOOD:-$here/build/plain/tests/lan/mdns-flood}
reference=${WGDISCOVERD_REFERENCE:-}
count=${THOUSAND_PEERS:-1000}
source "$here/tests/lan/lan.sh"

lan_bench_up 2 "('make tests/lan/mdns-flood' for mdns-flood), or set WGDISCOVERCTL/WGDISCOVERD/WGD_MDNS_FLOOD" \
  "$ctl" "$daemon" "$flood" ${reference:+"$reference"}
ctl=$(realpath "$ctl")
daemon=$(realpath "$daemon")
flood=$(realpath "$flood")
[[ -n $reference ]] && reference=$(realpath "$reference")
lan_node 1 "$ctl" || exit 1
tick=$(getconf CLK_TCK)

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
# CPU seconds (user and system) of a process so far.
cpu() { awk -v t="$tick" '{ sub(/.*\) /, ""); printf "%.2f\n", ($12 + $13) / t }' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# Services of the flood that avahi-browse on host 1 is done with:
# resolved, or given up on (it says so, and does not try again).
resolved() {
  { grep '^=;' "$w/browse" | cut -d';' -f4
    grep -o "resolve service 'bogus-[0-9]*'" "$w/browse" | cut -d"'" -f2
  } | grep '^bogus-' | sort -u | wc -l
}
failed() { grep -c "resolve service 'bogus-" "$w/browse"; }
# Peers whose announced endpoint host 1's wg0 holds.
placed() { lan_exec 1 wg show wg0 endpoints | grep -cxFf "$w/expected"; }

# start_host1 DAEMON: wgdiscoverd and avahi-browse on host 1, after a
# restart of its avahi-daemon (nothing cached from an earlier round).
start_host1() {
  local pid
  for pid in $(lan_pidof 1 avahi-daemon); do kill "$pid"; done
  while [[ -n $(lan_pidof 1 avahi-daemon) ]]; do sleep 0.1; done
  lan_avahi_start 1
  until lan_exec 1 avahi-daemon --check 2>/dev/null; do sleep 0.1; done
  rm -rf "$w/state1/replay" "$w/state1/endpoints"
  lan_start 1 "$1" --foreground --config "$w/conf1" --state-dir "$w/state1" > "$w/log1" 2>&1
  daemon_pid=$lan_started
  : > "$w/browse"
  lan_start 1 stdbuf -oL -eL avahi-browse -rp _wireguard._udp > "$w/browse" 2>&1
  browse_pid=$lan_started
  sleep 3
}

stop_host1() {
  kill "$daemon_pid" "$browse_pid" 2>/dev/null
  while kill -0 "$daemon_pid" 2>/dev/null; do sleep 0.1; done
}

# Announces the flood from host 2 and waits until host 2's avahi-daemon
# has it all (at most 120 s); the publisher's PID is in flood_pid.
announce() {
  local deadline=$((SECONDS + 120))
  lan_start 2 "$flood" "$count" --valid 10.77.0.2 > "$w/flood.out" 2> "$w/flood.err"
  flood_pid=$lan_started
  until grep -q "^published $count\$" "$w/flood.out"; do
    ((SECONDS < deadline)) || { echo "host 2 did not publish $count services" >&2; exit 1; }
    sleep 0.2
  done
}

withdraw() {
  kill "$flood_pid" 2>/dev/null
  wait "$flood_pid" 2>/dev/null
  sleep 3
}

# Waits until avahi-browse resolved everything and the daemon's CPU
# stood still for 2 s (at most 180 s).
settle() {
  local deadline=$((SECONDS + 180)) last=-1 still=0 c
  while ((SECONDS < deadline)); do
    c=$(cpu "$daemon_pid")
    if (($(resolved) >= count)) && [[ $c == "$last" ]]; then
      ((++still >= 4)) && return 0
    else
      still=0
    fi
    last=$c
    sleep 0.5
  done
  echo "the strangers were not all resolved within 180 s ($(resolved) of $count)" >&2
  exit 1
}

# strangers DAEMON LABEL: CPU seconds of DAEMON and of avahi-browse.
strangers() {
  local d0 b0
  start_host1 "$1"
  d0=$(cpu "$daemon_pid")
  b0=$(cpu "$browse_pid")
  announce
  settle
  printf '%s strangers: wgdiscoverd %.2f CPU s, avahi-browse -r %.2f CPU s\n' "$2" \
    "$(awk -v a="$d0" -v b="$(cpu "$daemon_pid")" 'BEGIN { print b - a }')" \
    "$(awk -v a="$b0" -v b="$(cpu "$browse_pid")" 'BEGIN { print b - a }')" | tee -a "$w/summary"
  stop_host1
  withdraw
}

# peers DAEMON LABEL: seconds until wg0 holds every endpoint, and until
# avahi-browse resolved every service, from the start of the announcements.
peers() {
  local t0 tb= td= deadline
  # The peers anew, without the endpoints an earlier round set.
  lan_exec 1 wg setconf wg0 "$w/wg0.conf" || exit 1
  start_host1 "$1"
  t0=$(now)
  lan_start 2 "$flood" "$count" --valid 10.77.0.2 > "$w/flood.out" 2> "$w/flood.err"
  flood_pid=$lan_started
  deadline=$((SECONDS + 300))
  while [[ -z $tb || -z $td ]]; do
    if ((SECONDS >= deadline)); then
      [[ -z $td ]] && td="more than 300 ($(placed) of $count)"
      [[ -z $tb ]] && tb="more than 300 ($(resolved) of $count)"
      break
    fi
    [[ -z $tb ]] && (($(resolved) >= count)) && tb=$(elapsed "$t0" "$(now)")
    [[ -z $td ]] && (($(placed) >= count)) && td=$(elapsed "$t0" "$(now)")
    sleep 0.2
  done
  sleep 2
  printf '%s peers: all %d endpoints in wg0 after %s s, avahi-browse -r resolved all after %s s (gave up on %d), ratio %s; wgdiscoverd RSS %s KiB, CPU %s s\n' \
    "$2" "$count" "$td" "$tb" "$(failed)" "$(awk -v a="$td" -v b="$tb" 'BEGIN { printf "%.2f", a / b }')" \
    "$(rss_kib "$daemon_pid")" "$(cpu "$daemon_pid")" | tee -a "$w/summary"
  stop_host1
  withdraw
}

: > "$w/summary"
[[ -n $reference ]] && strangers "$reference" reference
strangers "$daemon" this
# The flood printed its keys: host 1 gets them all as peers.
awk '$1 == "key" { print $2 "\t" $3 }' "$w/flood.out" > "$w/expected"
{
  printf '[Interface]\nPrivateKey = %s\nListenPort = 51820\n\n' "$(cat "$w/wgkey1")"
  awk '$1 == "key" { print "[Peer]\nPublicKey = " $2 "\n" }' "$w/flood.out"
} > "$w/wg0.conf"
(($(wc -l < "$w/expected") == count)) || { echo "the flood printed no keys" >&2; exit 1; }
[[ -n $reference ]] && peers "$reference" reference
peers "$daemon" this

echo "summary:"
cat "$w/summary"
if [[ -n $reference ]]; then
  awk '/^reference strangers/ { r = $4 } /^this strangers/ { t = $4 }
       END { if (r > 0) printf "strangers: CPU this / reference %.2f\n", t / r }' "$w/summary"
fi
awk '/^this peers/ { for (i = 1; i <= NF; i++) { if ($i == "ratio") r = $(i + 1); if ($i == "RSS") m = $(i + 1) }; sub(/;$/, "", r) }
     END { printf "goal: peers ratio %s (at most 1.2), RSS %.1f MiB (at most 16)\n", r, m / 1024 }' "$w/summary"
