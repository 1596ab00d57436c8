#!/usr/bin/env bash
# test-wan.sh — two wgdiscoverd on separate LANs of the virtual internet
# (tests/lan/wan.sh) find each other only through a rendezvous server on
# 192.0.2.1 and talk over WireGuard: a1 and b1 are in endpoint mode, each
# with the other as a configured peer and no endpoint.
#
# Routed: they find each other through the server (mDNS does not cross)
# and ping over the tunnel.
# Behind NATs (each LAN masqueraded by its gateway, a router between the
# gateways): the tunnel comes up directly, with the daemons started both
# at once, a1 first and b1 first. Each side's endpoint for the other is
# the other NAT's outside address with the listen port, and no UDP goes
# to the server (it only stores records). Without the punch (the daemon
# without CAP_NET_RAW) this fails: the first WireGuard packets trap the
# far NAT (docs/architecture.md). Each case runs on a fresh virtual
# internet; the time to the first handshake is printed. Prints TAP;
# needs root.

srcdir=${srcdir:-.}
ctl=${WGDISCOVERCTL:?WGDISCOVERCTL names wgdiscoverctl}
daemon=${WGDISCOVERD:?WGDISCOVERD names wgdiscoverd}
server=${WGDISCOVER_RENDEZVOUS:?WGDISCOVER_RENDEZVOUS names wgdiscover-rendezvous}
source "$srcdir/tests/lan/lan.sh"
source "$srcdir/tests/lan/wan.sh"
source "$srcdir/tests/lan/tap.sh"

tap_require wan_require "virtual internet"
trap 'wan_down' EXIT

port=18480
url=http://$wan_server_address:$port
declare -A pub=() tunnel=([a1]=10.78.0.1 [b1]=10.78.0.2) daemon_pid=()

now_ms() { echo $(($(date +%s%N) / 1000000)); }

show_logs() {
  local f
  for f in "$@"; do [[ -f $f ]] && sed "s|^|# $(basename "$f"): |" "$f" | tail -n 20; done
}
check_show() {
  local what=$1 cond=$2
  shift 2
  if eval "$cond"; then ok "$what"; else not_ok "$what"; show_logs "$@"; fi
}

# node HOST: an identity, the derived WireGuard key on wg0 (port 51820),
# its tunnel address, and a configuration that uses the server.
node() {
  local h=$1 state=$wan_dir/state.$1
  mkdir -p "$state"
  (umask 077 && "$ctl" genkey > "$state/identity" &&
     "$ctl" wgkey < "$state/identity" > "$wan_dir/wgkey.$h") || return 1
  pub[$h]=$("$ctl" wgpubkey < "$state/identity")
  wan_exec "$h" wg set wg0 private-key "$wan_dir/wgkey.$h" listen-port 51820 || return 1
  wan_exec "$h" ip addr add "${tunnel[$h]}/24" dev wg0 || return 1
  wan_exec "$h" ip link set wg0 up || return 1
  # A keepalive, as behind NAT one sets: the daemon writes it with the
  # endpoint, and WireGuard shakes hands without waiting for traffic, with
  # the punch or without (then the first handshakes trap the NATs).
  printf '[Daemon]\nRendezvousURL=%s\n[Interface wg0]\nPersistentKeepalive=25\n' "$url" \
    > "$wan_dir/conf.$h"
}

# peer HOST OTHER: OTHER becomes a peer of HOST, without an endpoint.
peer() {
  wan_exec "$1" wg set wg0 peer "${pub[$2]}" allowed-ips "${tunnel[$2]}/32"
}

start_daemon() {
  wan_start "$1" "$daemon" --foreground --config "$wan_dir/conf.$1" \
    --state-dir "$wan_dir/state.$1" >> "$wan_dir/log.$1" 2>&1
  daemon_pid[$1]=$wan_started
}

start_server() {
  printf '[Server]\nListen=%s:%s\nAllowPlainHTTP=true\nRequestsPerSecond=1000\nRequestBurst=1000\n' \
    "$wan_server_address" "$port" > "$wan_dir/server.conf"
  wan_ns server "$server" --config "$wan_dir/server.conf" --state-dir "$wan_dir/server-state" \
    >> "$wan_dir/server.log" 2>&1 &
  within 10 "wan_ns server curl -s -m 5 -o /dev/null $url/metrics"
}

# Counts the UDP datagrams that reach the server's host.
count_server_udp() {
  wan_ns server nft -f - <<'NFT'
table ip wgd_count {
  chain input {
    type filter hook input priority 0; policy accept;
    meta l4proto udp counter
  }
}
NFT
}
server_udp() {
  wan_ns server nft list table ip wgd_count | sed -n 's/.*counter packets \([0-9]*\).*/\1/p'
}

endpoint() {
  wan_exec "$1" wg show wg0 endpoints | awk -v k="${pub[$2]}" '$1 == k { print $2 }'
}
handshake() {
  wan_exec "$1" wg show wg0 latest-handshakes | awk -v k="${pub[$2]}" '$1 == k { exit !($2 > 0) }'
}

# setup MODE: a fresh virtual internet, the server, a1 and b1 as each
# other's peers.
setup() {
  wan_down
  wan_up "$1" 1 1 >/dev/null 2>&1 || return 1
  start_server || return 1
  count_server_udp || return 1
  node a1 && node b1 && peer a1 b1 && peer b1 a1
}

# --- routed: through the server, no NAT ----------------------------------
if setup routed; then
  ok "routed: the virtual internet, the server and both hosts came up"
else
  not_ok "routed: the virtual internet, the server and both hosts came up"
fi
start_daemon a1
start_daemon b1
t0=$(now_ms)
found() { [[ $(endpoint a1 b1) == 10.77.2.1:51820 && $(endpoint b1 a1) == 10.77.1.1:51820 ]]; }
check_show "routed: a1 and b1 set each other's endpoint (found through the server)" \
  "within 30 found" "$wan_dir/log.a1" "$wan_dir/log.b1"
echo "# routed: found in $(($(now_ms) - t0)) ms"
# b1's handshake may have given a1 b1's endpoint (WireGuard roams) before
# a1's own lookup, which follows after the 5 s mDNS grace.
logged_found() { grep -q "found peer b1 (${pub[b1]}) in service .* on rendezvous" "$wan_dir/log.a1"; }
check "routed: a1 logs b1 found on rendezvous" "within 20 logged_found"
# Both sides wrote endpoints at about the same time: their first
# handshakes may cross, and WireGuard retries after 5 s.
pings() { wan_exec a1 ping -c 1 -W 1 -q 10.78.0.2 >/dev/null; }
check "routed: a1 pings b1 over WireGuard" "within 20 pings"
check "routed: no punch for private addresses" "! grep -qE 'punching (our NAT|towards)' '$wan_dir/log.a1'"

# --- behind NATs -----------------------------------------------------------
# nat_case NAME FIRST SECOND GAP: the daemons started in that order, GAP
# seconds apart; the tunnel must come up directly.
nat_case() {
  local name=$1 first=$2 second=$3 gap=$4 t0 ms out_a out_b
  if ! setup nat; then
    not_ok "$name: the virtual internet came up"
    return
  fi
  out_a=$(wan_outside a)
  out_b=$(wan_outside b)
  start_daemon "$first"
  sleep "$gap"
  start_daemon "$second"
  t0=$(now_ms)
  if within 150 "handshake a1 b1"; then
    ms=$(($(now_ms) - t0))
    ok "$name: a handshake between a1 and b1"
    echo "# $name: first handshake ${ms} ms after the second daemon started"
  else
    not_ok "$name: a handshake between a1 and b1"
    show_logs "$wan_dir/log.a1" "$wan_dir/log.b1"
  fi
  check "$name: a1 pings b1 over WireGuard" "wan_exec a1 ping -c 3 -W 2 -q 10.78.0.2 >/dev/null"
  check "$name: direct: a1's endpoint for b1 is gateway B's outside with b1's port ($(endpoint a1 b1))" \
    "[[ \$(endpoint a1 b1) == $out_b:51820 ]]"
  check "$name: direct: b1's endpoint for a1 is gateway A's outside with a1's port ($(endpoint b1 a1))" \
    "[[ \$(endpoint b1 a1) == $out_a:51820 ]]"
  check "$name: no UDP reached the server ($(server_udp) datagrams): it only stored records" \
    "[[ \$(server_udp) == 0 ]]"
  # What each daemon did, when: found, punched, held, parked, through.
  for h in a1 b1; do
    grep -E "found peer|punch|no handshake|handshake through" "$wan_dir/log.$h" |
      sed -E "s/^[^:]*: ([0-9:.]+): wg0: /# $h \1 /; s/^[^:]*: ([0-9:.]+): /# $h \1 /; s/ \([A-Za-z0-9+\/=]{44}\)//"
  done
  kill "${daemon_pid[a1]}" "${daemon_pid[b1]}" 2>/dev/null
  wait "${daemon_pid[a1]}" "${daemon_pid[b1]}" 2>/dev/null
  # Under the sanitizers, what the punch did on the way is checked too.
  check_show "$name: the daemons stopped without a sanitizer's report" \
    "! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' '$wan_dir/log.a1' '$wan_dir/log.b1'" \
    "$wan_dir/log.a1" "$wan_dir/log.b1"
}

nat_case "NAT, both at once" a1 b1 0
nat_case "NAT, a1 first" a1 b1 8
nat_case "NAT, b1 first" b1 a1 8
echo "1..$n"
