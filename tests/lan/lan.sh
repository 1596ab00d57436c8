# lan.sh — a virtual LAN of hosts for the integration tests and the demo,
# to be sourced by bash. Each host is a network namespace on one bridge,
# with its own mount and UTS namespaces (its own host name, /run/dbus,
# /run/avahi-daemon, /run/wireguard and an empty /run/systemd, so that
# nothing on a test host logs into a real journal), its own D-Bus system bus,
# avahi-daemon and wireguard-go interface wg0.
#
#   lan_up N           make hosts 1..N (LAN addresses 10.77.0.N/24 and
#                      fd77::N/64, tunnel addresses 10.78.0.N/24)
#   lan_exec N CMD...  run CMD inside host N
#   lan_avahi_start N  start host N's avahi-daemon again after a test
#                      stopped it
#   lan_start N CMD... start CMD inside host N in the background; its PID
#                      (CMD's own: nsenter execs it) is in lan_started
#   lan_node N CTL     give host N an identity (made by the wgdiscoverctl
#                      CTL) in $lan_dir/stateN, its WireGuard key on wg0
#                      (port 51820) and a configuration $lan_dir/confN
#                      with [Interface wg0]; its public key is lan_pub[N]
#   lan_peer N M       host M becomes a peer of host N (allowed-ips
#                      10.78.0.M/32, no endpoint)
#   lan_pidof N NAME   the PIDs of the processes called NAME on host N
#   lan_endpoint N M   the endpoint host N's wg0 has for host M
#   lan_announced N NAME...  host N's avahi-daemon knows the
#                      _wireguard._udp services NAME...
#   lan_down           kill everything started and delete the namespaces
#   lan_bench_up N HINT BIN...  for a benchmark: exits 2 unless every BIN
#                      is executable (HINT says how to get them), then
#                      makes hosts 1..N, torn down on exit, with w their
#                      directory and umask 077
#
# Names carry this shell's PID, so runs side by side do not collide, and
# everything is killed by the PIDs recorded, never by name. Only addresses
# inside these namespaces are ever used.

lan_id=wgd$$
lan_dir=
declare -a lan_pids=() lan_pub=()

lan_die() {
  echo "lan: $*" >&2
  return 1
}

lan_require() {
  local cmd
  for cmd in ip unshare nsenter dbus-daemon avahi-daemon wireguard-go wg; do
    command -v "$cmd" >/dev/null ||
      lan_die "$cmd not found: apt-get install iproute2 util-linux dbus avahi-daemon wireguard-go wireguard-tools" ||
      return 1
  done
  [[ $(id -u) -eq 0 ]] || lan_die "a virtual LAN needs root" || return 1
  [[ -c /dev/net/tun ]] ||
    lan_die "wireguard-go needs /dev/net/tun, which is missing (modprobe tun)" || return 1
}

# The host's own system bus: avahi's policy comes from the stock
# system.d, anything else may talk to anything (these hosts are tests).
lan_write_bus_config() {
  cat > "$lan_dir/bus.conf" <<'CONF'
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=/run/dbus/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow receive_sender="*"/>
  </policy>
  <includedir>/usr/share/dbus-1/system.d</includedir>
</busconfig>
CONF
}

# avahi-daemon's settings, Debian's defaults written out, so that a
# machine whose /etc/avahi/avahi-daemon.conf was changed (IPv6 off, some
# interfaces denied) runs the same tests.
lan_write_avahi_config() {
  cat > "$lan_dir/avahi-daemon.conf" <<'CONF'
[server]
use-ipv4=yes
use-ipv6=yes
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[wide-area]
enable-wide-area=yes
[publish]
publish-hinfo=no
publish-workstation=no
CONF
}

# lan_host_spawn NETNS NAME DIR: starts, in the background, the one
# long-lived process that holds a host's mount and UTS namespaces inside
# network namespace NETNS, with host name NAME, its bus, avahi-daemon
# and wg0, configured from DIR (lan_write_bus_config and
# lan_write_avahi_config wrote there). Its PID is in $!. tests/lan/wan.sh
# makes its hosts with it too.
lan_host_spawn() {
  ip netns exec "$1" unshare -m -u --propagation private \
    bash -c 'hostname "$1"
             for d in /run/dbus /run/avahi-daemon /run/wireguard /run/systemd; do
               mkdir -p "$d" && mount -t tmpfs tmpfs "$d"
             done
             # The files of WireGuard'"'"'s other managers that wgdiscoverd
             # reads (src/common/ifconf.c): the machine'"'"'s own are hidden.
             for d in /etc/wireguard /usr/local/etc/wireguard /etc/systemd/network \
                      /usr/local/lib/systemd/network /usr/lib/systemd/network \
                      /run/NetworkManager/system-connections \
                      /etc/NetworkManager/system-connections \
                      /usr/lib/NetworkManager/system-connections; do
               [[ ! -d $d ]] || mount -t tmpfs -o mode=0755 tmpfs "$d"
             done
             dbus-daemon --config-file="$2/bus.conf" --fork --nopidfile
             avahi-daemon --no-chroot --no-drop-root --no-rlimits --daemonize \
               --file="$2/avahi-daemon.conf"
             WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 wireguard-go wg0 2>/dev/null
             exec sleep infinity' lan-host "$2" "$3" &
}

lan_up() {
  local n=$1 i ns
  lan_require || return 1
  lan_dir=$(mktemp -d "${TMPDIR:-/tmp}/wgd-lan.XXXXXX")
  lan_write_bus_config
  lan_write_avahi_config
  ip netns add "${lan_id}-lan" || return 1
  ip -n "${lan_id}-lan" link add br0 type bridge || return 1
  ip -n "${lan_id}-lan" link set br0 up || return 1
  for ((i = 1; i <= n; i++)); do
    ns=${lan_id}-h$i
    ip netns add "$ns" || return 1
    ip -n "${lan_id}-lan" link add "p$i" type veth peer name eth0 netns "$ns" || return 1
    ip -n "${lan_id}-lan" link set "p$i" master br0 up || return 1
    ip -n "$ns" link set lo up || return 1
    ip -n "$ns" addr add "10.77.0.$i/24" dev eth0 || return 1
    ip -n "$ns" addr add "fd77::$i/64" dev eth0 nodad || return 1
    ip -n "$ns" link set eth0 up || return 1
    lan_host_spawn "$ns" "h$i" "$lan_dir"
    lan_pids[i]=$!
  done
  for ((i = 1; i <= n; i++)); do
    lan_wait_host "$i" || return 1
    lan_exec "$i" ip addr add "10.78.0.$i/24" dev wg0 || return 1
    lan_exec "$i" ip link set wg0 up || return 1
  done
}

# Waits until host N's bus, avahi-daemon and wg0 answer.
lan_wait_host() {
  local tries
  for ((tries = 0; tries < 100; tries++)); do
    if lan_exec "$1" avahi-daemon --check 2>/dev/null &&
       lan_exec "$1" wg show wg0 >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  lan_die "host $1 did not come up (avahi-daemon or wg0 missing)"
}

# lan_enter PID CMD...: runs CMD in the namespaces of the host whose
# holder is PID (tests/lan/wan.sh's hosts too).
lan_enter() {
  local pid=$1
  shift
  nsenter -t "$pid" -m -n -u -- "$@"
}

lan_exec() {
  local i=$1
  shift
  lan_enter "${lan_pids[i]}" "$@"
}

# Starts avahi-daemon on host N again (lan_up starts the first one).
lan_avahi_start() {
  lan_exec "$1" avahi-daemon --no-chroot --no-drop-root --no-rlimits --daemonize \
    --file="$lan_dir/avahi-daemon.conf"
}

# lan_cut_mdns: the bridge drops mDNS between the hosts, so that what
# they learn of each other they learn from a rendezvous server.
lan_cut_mdns() {
  ip netns exec "${lan_id}-lan" nft -f - <<'NFT'
table bridge nomdns {
  chain forward {
    type filter hook forward priority 0; policy accept;
    udp dport 5353 drop
    udp sport 5353 drop
  }
}
NFT
}

lan_start() {
  local i=$1
  shift
  # nsenter itself, not a function: $! must be CMD's PID.
  nsenter -t "${lan_pids[i]}" -m -n -u -- "$@" &
  lan_started=$!
}

lan_node() {
  local i=$1 ctl=$2 state=$lan_dir/state$1
  mkdir -p "$state" || return 1
  (umask 077 && "$ctl" genkey > "$state/identity" &&
     "$ctl" wgkey < "$state/identity" > "$lan_dir/wgkey$i") || return 1
  lan_pub[i]=$("$ctl" wgpubkey < "$state/identity") || return 1
  printf '[Interface wg0]\n' > "$lan_dir/conf$i"
  lan_exec "$i" wg set wg0 private-key "$lan_dir/wgkey$i" listen-port 51820
}

lan_peer() {
  lan_exec "$1" wg set wg0 peer "${lan_pub[$2]}" allowed-ips "10.78.0.$2/32"
}

lan_pidof() {
  local p
  for p in $(ip netns pids "${lan_id}-h$1" 2>/dev/null); do
    [[ $(cat "/proc/$p/comm" 2>/dev/null) == "$2" ]] && echo "$p"
  done
  return 0
}

# lan_hex KEY: a base64 key in hex, as the state files write keys.
lan_hex() { printf '%s' "$1" | base64 -d | od -An -tx1 | tr -d ' \n'; }

# lan_replay_keys N: how many signing keys host N's replay state holds.
lan_replay_keys() { grep -cE '^[0-9a-f]{64}=' "$lan_dir/state$1/replay"; }

lan_endpoint() {
  lan_exec "$1" wg show wg0 endpoints | awk -v k="${lan_pub[$2]}" '$1 == k { print $2 }'
}

lan_announced() {
  local n=$1 name services
  shift
  services=$(lan_exec "$n" avahi-browse -pt _wireguard._udp 2> /dev/null)
  for name; do
    [[ $services == *";$name;_wireguard._udp;"* ]] || return 1
  done
}

# lan_netns_clear NETNS...: kills everything in these network
# namespaces (a host's holder, dbus, avahi-daemon, wireguard-go and
# whatever a test started there), then deletes them.
lan_netns_clear() {
  local ns
  for ns in "$@"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
  done
  sleep 0.2
  for ns in "$@"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  done
  return 0
}

lan_down() {
  local i namespaces=()
  for i in "${!lan_pids[@]}"; do
    namespaces+=("${lan_id}-h$i")
  done
  lan_netns_clear "${namespaces[@]}" "${lan_id}-lan"
  lan_pids=()
  lan_pub=()
  [[ -n $lan_dir ]] && rm -rf "$lan_dir"
  lan_dir=
  return 0
}

lan_bench_up() {
  local n=$1 hint=$2 bin
  shift 2
  for bin in "$@"; do
    [[ -x $bin ]] || { echo "$bin not found: build first, or $hint" >&2; exit 2; }
  done
  trap lan_down EXIT
  lan_up "$n" >/dev/null || { echo "the virtual LAN did not come up" >&2; exit 1; }
  w=$lan_dir
  umask 077
}
