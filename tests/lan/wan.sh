# wan.sh — a virtual internet for the tests off the LAN, to be sourced by
# bash after lan.sh: two LANs, each behind its own gateway, a router
# between the gateways (so there is a hop between them, as on the
# internet), and a server on a third segment of the router.
#
#   LAN A 10.77.1.0/24 ── gateway A ── 198.51.100.0/24 ──┐
#                        (10.77.1.254, 198.51.100.1)       router ── 192.0.2.0/24 ── server
#   LAN B 10.77.2.0/24 ── gateway B ── 203.0.113.0/24 ───┘         (192.0.2.1)
#                        (10.77.2.254, 203.0.113.1)
#
# A LAN is a bridge in a namespace of its own with hosts like lan.sh's
# (own mount and UTS namespaces, bus, avahi-daemon, wireguard-go wg0):
# hosts a1..aN on LAN A at 10.77.1.I, b1..bN on LAN B at 10.77.2.I. With
# `nat`, each gateway masquerades its LAN behind its outside address
# (nftables; Linux keeps the source port when it is free, so the NATs
# are port-preserving) and lets in from outside only what answers
# something sent from inside; the router knows no route into the LANs.
# With `routed`, the gateways only route and the router knows both LANs.
# mDNS stays on each LAN either way: nothing forwards multicast. The
# server is a plain network namespace.
#
#   wan_up MODE NA NB    MODE nat or routed; NA hosts on LAN A, NB on B
#   wan_exec HOST CMD... run CMD on a host (a1, b2, …)
#   wan_start HOST CMD...  … in the background; its PID is in wan_started
#   wan_ns NAME CMD...   run CMD in namespace NAME: gwa, gwb, router,
#                        server (only its network namespace)
#   wan_outside a|b      the outside address of gateway A or B
#   wan_down             kill everything started and delete the namespaces
#
# Names carry this shell's PID, as lan.sh's do; only addresses inside
# these namespaces are used (documentation and private ranges).

wan_id=wgdw$$
wan_dir=
wan_mode=
wan_started=
declare -A wan_pids=()
declare -a wan_namespaces=()

wan_server_address=192.0.2.1

wan_outside() {
  case $1 in
    a) echo 198.51.100.1 ;;
    b) echo 203.0.113.1 ;;
  esac
}

wan_require() {
  lan_require || return 1
  command -v nft >/dev/null ||
    lan_die "nft not found: apt-get install nftables" || return 1
}

wan_netns_add() {
  ip netns add "${wan_id}-$1" || return 1
  wan_namespaces+=("${wan_id}-$1")
  ip -n "${wan_id}-$1" link set lo up
}

wan_ns() {
  local name=$1
  shift
  ip netns exec "${wan_id}-$name" "$@"
}

# wan_link NS1 IF1 NS2 IF2: a veth pair between two of our namespaces.
wan_link() {
  ip -n "${wan_id}-$1" link add "$2" type veth peer name "$4" netns "${wan_id}-$3" || return 1
  ip -n "${wan_id}-$1" link set "$2" up && ip -n "${wan_id}-$3" link set "$4" up
}

# wan_gateway L NET OUTSIDE ROUTER_SIDE: gateway gwL between LAN L's bridge
# and the router.
wan_gateway() {
  local l=$1 net=$2 outside=$3 router_side=$4
  wan_netns_add "gw$l" || return 1
  wan_link "gw$l" in "lan$l" "gw$l" || return 1
  ip -n "${wan_id}-lan$l" link set "gw$l" master br0 || return 1
  ip -n "${wan_id}-gw$l" addr add "$net.254/24" dev in || return 1
  wan_link "gw$l" out router "r$l" || return 1
  ip -n "${wan_id}-gw$l" addr add "$outside/24" dev out || return 1
  ip -n "${wan_id}-router" addr add "$router_side/24" dev "r$l" || return 1
  ip -n "${wan_id}-gw$l" route add default via "$router_side" || return 1
  wan_ns "gw$l" sysctl -qw net.ipv4.ip_forward=1 || return 1
  if [[ $wan_mode == nat ]]; then
    wan_ns "gw$l" nft -f - <<'NFT' || return 1
table ip wgd_wan {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "out" masquerade
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "out" ct state established,related accept
    iifname "out" drop
  }
}
NFT
  else
    ip -n "${wan_id}-router" route add "$net.0/24" via "$outside" || return 1
  fi
}

# wan_lan L NET COUNT: the bridge of LAN L and its hosts L1..LCOUNT.
wan_lan() {
  local l=$1 net=$2 count=$3 i ns
  wan_netns_add "lan$l" || return 1
  ip -n "${wan_id}-lan$l" link add br0 type bridge || return 1
  ip -n "${wan_id}-lan$l" link set br0 up || return 1
  for ((i = 1; i <= count; i++)); do
    ns=${wan_id}-$l$i
    wan_netns_add "$l$i" || return 1
    ip -n "${wan_id}-lan$l" link add "p$i" type veth peer name eth0 netns "$ns" || return 1
    ip -n "${wan_id}-lan$l" link set "p$i" master br0 up || return 1
    ip -n "$ns" addr add "$net.$i/24" dev eth0 || return 1
    ip -n "$ns" link set eth0 up || return 1
    ip -n "$ns" route add default via "$net.254" || return 1
    lan_host_spawn "$ns" "$l$i" "$wan_dir"
    wan_pids[$l$i]=$!
  done
}

wan_up() {
  local h tries
  wan_mode=$1
  [[ $wan_mode == nat || $wan_mode == routed ]] || lan_die "wan_up: mode nat or routed" || return 1
  wan_require || return 1
  wan_dir=$(mktemp -d "${TMPDIR:-/tmp}/wgd-wan.XXXXXX")
  # lan.sh's writers write to lan_dir.
  lan_dir=$wan_dir lan_write_bus_config
  lan_dir=$wan_dir lan_write_avahi_config
  wan_netns_add router || return 1
  wan_ns router sysctl -qw net.ipv4.ip_forward=1 || return 1
  wan_netns_add server || return 1
  wan_link router rs server eth0 || return 1
  ip -n "${wan_id}-router" addr add 192.0.2.254/24 dev rs || return 1
  ip -n "${wan_id}-server" addr add "$wan_server_address/24" dev eth0 || return 1
  ip -n "${wan_id}-server" route add default via 192.0.2.254 || return 1
  wan_lan a 10.77.1 "$2" || return 1
  wan_lan b 10.77.2 "$3" || return 1
  wan_gateway a 10.77.1 198.51.100.1 198.51.100.254 || return 1
  wan_gateway b 10.77.2 203.0.113.1 203.0.113.254 || return 1
  for h in "${!wan_pids[@]}"; do
    for ((tries = 0; tries < 100; tries++)); do
      wan_exec "$h" avahi-daemon --check 2>/dev/null && wan_exec "$h" wg show wg0 >/dev/null 2>&1 &&
        break
      sleep 0.1
    done
    ((tries < 100)) || lan_die "host $h did not come up (avahi-daemon or wg0 missing)" || return 1
  done
}

wan_exec() {
  local h=$1
  shift
  lan_enter "${wan_pids[$h]}" "$@"
}

wan_start() {
  local h=$1
  shift
  # nsenter itself, not a function: $! must be CMD's PID.
  nsenter -t "${wan_pids[$h]}" -m -n -u -- "$@" &
  wan_started=$!
}

wan_down() {
  lan_netns_clear "${wan_namespaces[@]}"
  wan_namespaces=()
  wan_pids=()
  [[ -n $wan_dir ]] && rm -rf "$wan_dir"
  wan_dir=
  return 0
}
