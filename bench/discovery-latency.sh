#!/usr/bin/env bash
# discovery-latency.sh — how long discovery takes on a virtual LAN of two
# hosts (tests/lan/lan.sh), against raw Avahi measured in the same run:
#
#   raw avahi    from starting avahi-publish on A (a service of the same
#                size, a new name each run) until `avahi-browse -r` on B
#                prints it resolved
#   announced    from starting wgdiscoverd on A until B's WireGuard
#                interface holds A's endpoint, A having no peer to shake
#                hands with: the path of A's announcement alone (B's
#                daemon already runs; A gets a new identity each run, so
#                B knows nothing of it)
#   tunnel       the same, A having B as a peer (tunnel addresses
#                10.78.0.1 on A, 10.78.0.2 on B): A browses first, finds
#                B already announced, sets B's endpoint and sends it a
#                handshake, from which B's WireGuard learns A's endpoint
#                before A's announcement arrives
#   ping         from the same start until a ping from B to 10.78.0.1
#                through the tunnel is answered
#   move         from A's LAN address changing, while the tunnel is up,
#                until B's interface holds the new endpoint
#
# Each is repeated (DISCOVERY_RUNS, default 11); the medians and 90th
# percentiles (nearest rank) and their ratios to raw avahi's are printed.
# Needs root.
#
#   WGDISCOVERCTL, WGDISCOVERD  the binaries (default: under build/plain)
set -u

here=$(cd "$(dirname "$0")/.." && pwd)
ctl=${WGDISCOVERCTL:-$here/build/plain/src/ctl/wgdiscoverctl}
daemon=${WGDISCOVERD:-$here/build/plain/src/daemon/wgdiscoverd}
runs=${DISCOVERY_RUNS:-11}
source "$here/tests/lan/lan.sh"

lan_bench_up 2 "set WGDISCOVERCTL/WGDISCOVERD" "$ctl" "$daemon"
# The hosts run programs from their own mount namespace's root.
ctl=$(realpath "$ctl")
daemon=$(realpath "$daemon")

now() { date +%s.%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# The 90th percentile, nearest rank.
p90() { sort -n | awk '{ v[NR] = $1 } END { i = int(NR * 0.9); if (i < NR * 0.9) i++; print v[i] }'; }
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

# Waits until B's interface holds endpoint $2 for key $1: looks every
# 20 ms, not in a busy loop, whose processes would take the CPU from the
# daemon being timed (raw avahi is waited for by a blocking read).
wait_endpoint() {
  local deadline=$((SECONDS + 30))
  until lan_exec 2 wg show wg0 endpoints | grep -qxF "$1	$2"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.02
  done
}

# Waits until a ping from B to A's tunnel address is answered.
wait_ping() {
  local deadline=$((SECONDS + 30))
  until lan_exec 2 ping -c 1 -W 0.2 -q 10.78.0.1 >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
  done
}

# A with a new identity that B has a peer for; with "tunnel", B is a peer
# of A's too. Starts A's daemon; t0 is when.
start_a() {
  rm -rf "$w/stateA"
  mkdir -p "$w/stateA"
  "$ctl" genkey > "$w/stateA/identity"
  "$ctl" wgkey < "$w/stateA/identity" > "$w/keyA"
  pubA=$("$ctl" wgpubkey < "$w/stateA/identity")
  lan_exec 1 wg set wg0 private-key "$w/keyA" listen-port 51820
  lan_exec 1 wg set wg0 peer "$pubB" remove
  [[ $1 == tunnel ]] && lan_exec 1 wg set wg0 peer "$pubB" allowed-ips 10.78.0.2/32
  lan_exec 2 wg set wg0 peer "$pubA" allowed-ips 10.78.0.1/32
  sleep 0.5
  t0=$(now)
  lan_start 1 "$daemon" --foreground --config "$w/conf" --state-dir "$w/stateA" > "$w/logA" 2>&1
  daemonA=$lan_started
}

stop_a() {
  kill -TERM "$daemonA"
  while kill -0 "$daemonA" 2>/dev/null; do sleep 0.05; done
  lan_exec 2 wg set wg0 peer "$pubA" remove
}

found_or_die() {
  if ! wait_endpoint "$pubA" "$1"; then
    echo "run $r: $2 within 30 s; A's log:" >&2
    cat "$w/logA" >&2
    exit 1
  fi
}

figures=(raw announced tunnel ping move)
for f in "${figures[@]}"; do : > "$w/$f.times"; done
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

  # Announced: A has no peer to shake hands with.
  start_a announced
  found_or_die 10.77.0.1:51820 "A was not found"
  elapsed "$t0" "$(now)" >> "$w/announced.times"
  stop_a

  # Tunnel: A has B as a peer, B is announced already.
  start_a tunnel
  found_or_die 10.77.0.1:51820 "B's interface did not get A's endpoint"
  elapsed "$t0" "$(now)" >> "$w/tunnel.times"
  if ! wait_ping; then
    echo "run $r: no ping through the tunnel within 30 s" >&2
    exit 1
  fi
  elapsed "$t0" "$(now)" >> "$w/ping.times"

  # Move: A's LAN address changes while the tunnel is up.
  t0=$(now)
  lan_exec 1 ip addr del 10.77.0.1/24 dev eth0
  lan_exec 1 ip addr add 10.77.0.11/24 dev eth0
  found_or_die 10.77.0.11:51820 "the move was not seen"
  elapsed "$t0" "$(now)" >> "$w/move.times"
  stop_a
  lan_exec 1 ip addr del 10.77.0.11/24 dev eth0
  lan_exec 1 ip addr add 10.77.0.1/24 dev eth0

  printf 'run %2d: raw avahi %ss, announced %ss, tunnel %ss, ping %ss, move %ss\n' "$r" \
    "$(tail -n 1 "$w/raw.times")" "$(tail -n 1 "$w/announced.times")" \
    "$(tail -n 1 "$w/tunnel.times")" "$(tail -n 1 "$w/ping.times")" \
    "$(tail -n 1 "$w/move.times")"
done

declare -A p50 p90
for f in "${figures[@]}"; do
  p50[$f]=$(median < "$w/$f.times")
  p90[$f]=$(p90 < "$w/$f.times")
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
line() {
  printf '  %-44s p50 %6.3f s  p90 %6.3f s' "$2" "${p50[$1]}" "${p90[$1]}"
  [[ $1 == raw || $1 == move ]] ||
    printf '  ratio to raw avahi: p50 %s  p90 %s' "$(ratio "${p50[$1]}" "${p50[raw]}")" \
      "$(ratio "${p90[$1]}" "${p90[raw]}")"
  [[ -n ${3:-} ]] && printf '  (goal: %s)' "$3"
  echo
}
echo "over $runs runs:"
line raw "raw avahi publish -> resolved on B"
line announced "start, no handshake -> endpoint on B's wg0" "p50 and p90 at most 1.10"
line tunnel "start -> endpoint on B's wg0 (handshake)" "p50 at most 0.40"
line ping "start -> ping B -> A through the tunnel"
line move "A's address change -> new endpoint on B" "p50 at most 0.200 s"
