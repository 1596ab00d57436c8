#!/usr/bin/env bash
# discovery-latency.sh — how long discovery takes on a virtual LAN of two
# hosts (tests/lan/lan.sh), against raw Avahi measured in the same run:
#
#   wgdiscoverd  from starting wgdiscoverd on A until B's WireGuard
#                interface holds A's endpoint (B's daemon already runs;
#                A gets a new identity each run, so B knows nothing of it)
#   raw avahi    from starting avahi-publish on A (a service of the same
#                size, a new name each run) until `avahi-browse -r` on B
#                prints it resolved
#   move         from A's LAN address changing until B's interface holds
#                the new endpoint
#
# Each is repeated (DISCOVERY_RUNS, default 11); the medians and the
# ratio wgdiscoverd / raw avahi are printed. Needs root.
#
#   WGDISCOVERCTL, WGDISCOVERD  the binaries (default: under build/plain)
set -u

here=$(cd "$(dirname "$0")/.." && pwd)
ctl=${WGDISCOVERCTL:-$here/build/plain/src/ctl/wgdiscoverctl}
daemon=${WGDISCOVERD:-$here/build/plain/src/daemon/wgdiscoverd}
runs=${DISCOVERY_RUNS:-11}
source "$here/tests/lan/lan.sh"

for bin in "$ctl" "$daemon"; do
  [[ -x $bin ]] || { echo "$bin not found: build first, or set WGDISCOVERCTL/WGDISCOVERD" >&2; exit 2; }
done
# The hosts run programs from their own mount namespace's root.
ctl=$(realpath "$ctl")
daemon=$(realpath "$daemon")
trap lan_down EXIT
lan_up 2 >/dev/null || { echo "the virtual LAN did not come up" >&2; exit 1; }
w=$lan_dir
umask 077

now() { date +%s.%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", b - a }'; }

# B: a running wgdiscoverd, endpoint mode.
mkdir -p "$w/stateB"
"$ctl" genkey > "$w/stateB/identity"
"$ctl" wgkey < "$w/stateB/identity" > "$w/keyB"
pubB=$("$ctl" wgpubkey < "$w/stateB/identity")
printf '[Interface wg0]\n' > "$w/conf"
lan_exec 2 wg set wg0 private-key "$w/keyB" listen-port 51820
lan_start 2 "$daemon" --foreground --config "$w/conf" --state-dir "$w/stateB" > "$w/logB" 2>&1
sleep 2

# Waits until B's interface holds endpoint $2 for key $1.
wait_endpoint() {
  local deadline=$((SECONDS + 30))
  until lan_exec 2 wg show wg0 endpoints | grep -qxF "$1	$2"; do
    ((SECONDS < deadline)) || return 1
  done
}

: > "$w/daemon.times"
: > "$w/raw.times"
: > "$w/move.times"
for ((r = 1; r <= runs; r++)); do
  # Raw Avahi: a browser on B waiting, then a publisher on A.
  txt=()
  for ((k = 0; k < 3; k++)); do txt+=("a$k=$(head -c 150 /dev/urandom | base64 -w0 | tr '+/' '-_' | head -c 200)"); done
  rm -f "$w/browse"
  mkfifo "$w/browse"
  # Opened for reading and writing, so neither side blocks on the other.
  exec 3<> "$w/browse"
  lan_start 2 stdbuf -oL avahi-browse -rp _wireguard._udp >&3 2>/dev/null
  browser=$lan_started
  sleep 0.5
  t0=$(now)
  lan_start 1 avahi-publish -s "raw-$r" _wireguard._udp 51821 txtvers=1 "${txt[@]}" >/dev/null 2>&1
  publisher=$lan_started
  while IFS= read -r -t 30 line <&3; do
    [[ $line == "=;"*";raw-$r;"* ]] && break
  done
  t1=$(now)
  elapsed "$t0" "$t1" >> "$w/raw.times"
  kill "$publisher" "$browser" 2>/dev/null
  exec 3<&-

  # wgdiscoverd: A with a new identity B has a peer for.
  rm -rf "$w/stateA"
  mkdir -p "$w/stateA"
  "$ctl" genkey > "$w/stateA/identity"
  "$ctl" wgkey < "$w/stateA/identity" > "$w/keyA"
  pubA=$("$ctl" wgpubkey < "$w/stateA/identity")
  lan_exec 1 wg set wg0 private-key "$w/keyA" listen-port 51820
  lan_exec 2 wg set wg0 peer "$pubA" allowed-ips 10.78.0.1/32
  sleep 0.5
  t0=$(now)
  lan_start 1 "$daemon" --foreground --config "$w/conf" --state-dir "$w/stateA" > "$w/logA" 2>&1
  daemonA=$lan_started
  if ! wait_endpoint "$pubA" 10.77.0.1:51820; then
    echo "run $r: A was not found within 30 s; A's log:" >&2
    cat "$w/logA" >&2
    exit 1
  fi
  t1=$(now)
  elapsed "$t0" "$t1" >> "$w/daemon.times"

  # Move: A's LAN address changes while both run.
  t0=$(now)
  lan_exec 1 ip addr del 10.77.0.1/24 dev eth0
  lan_exec 1 ip addr add 10.77.0.11/24 dev eth0
  if ! wait_endpoint "$pubA" 10.77.0.11:51820; then
    echo "run $r: the move was not seen within 30 s" >&2
    exit 1
  fi
  t1=$(now)
  elapsed "$t0" "$t1" >> "$w/move.times"

  kill -TERM "$daemonA"
  while kill -0 "$daemonA" 2>/dev/null; do sleep 0.05; done
  lan_exec 1 ip addr del 10.77.0.11/24 dev eth0
  lan_exec 1 ip addr add 10.77.0.1/24 dev eth0
  lan_exec 2 wg set wg0 peer "$pubA" remove
  printf 'run %2d: raw avahi %ss, wgdiscoverd %ss, move %ss\n' "$r" \
    "$(tail -n 1 "$w/raw.times")" "$(tail -n 1 "$w/daemon.times")" "$(tail -n 1 "$w/move.times")"
done

raw=$(median < "$w/raw.times")
found=$(median < "$w/daemon.times")
move=$(median < "$w/move.times")
echo "medians over $runs runs:"
echo "  raw avahi publish -> resolved on B:          ${raw} s"
echo "  wgdiscoverd start -> endpoint on B's wg0:    ${found} s"
echo "  A's address change -> new endpoint on B:     ${move} s"
awk -v a="$found" -v b="$raw" 'BEGIN { printf "ratio wgdiscoverd / raw avahi: %.2f (goal: at most 1.10)\n", a / b }'
