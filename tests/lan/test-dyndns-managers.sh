#!/usr/bin/env bash
# test-dyndns-managers.sh — wgdiscoverd follows the host-name endpoints
# that wg-quick, systemd-networkd and NetworkManager files give for wg0,
# with nothing else configured: h1's wgdiscoverd.conf has [Daemon] only.
# On a virtual LAN (tests/lan/lan.sh) with mDNS cut, h2, h3 and h4 run
# plain WireGuard and no wgdiscover; h1's wg0 has h2 from a wg-quick
# file, h3 from a .netdev and h4 from a keyfile, by names that dnsmasq
# on h1 (its only server, TTL 5 s) serves; h4's name has an AAAA record
# only. In h1's mount namespace an empty tmpfs covers each of the nine
# directories those managers read, so the machine's own files are never
# read, and nothing is created on the machine (a directory that does not
# exist is made in an overlay private to h1). Checked: each endpoint set
# from its name, logged with its file; pings over WireGuard; all three
# hosts move at once and h1 follows each within the TTL floor (30 s) and
# a bound, without a restart; a name that stops resolving keeps its last
# address; an edited wg-quick file is followed without SIGHUP; a
# [Peer NAME] Endpoint= in wgdiscoverd.conf wins for its key after
# SIGHUP; a broken .netdev is logged once and the other managers' peers
# still work; wgdiscoverctl peer shows ConfiguredEndpoint; then with
# --ifconf, the same from wgdiscoverctl ifconf --export's file, a new
# export followed, a broken one kept. Prints TAP and
# the follow times; needs root, dnsmasq and overlayfs.

srcdir=${srcdir:-.}
ctl=${WGDISCOVERCTL:?WGDISCOVERCTL names wgdiscoverctl}
daemon=${WGDISCOVERD:?WGDISCOVERD names wgdiscoverd}
command -v dnsmasq >/dev/null || { echo "1..0 # SKIP dnsmasq is missing (tools/deps: dnsmasq-base)"; exit 0; }
source "$srcdir/tests/lan/lan.sh"
source "$srcdir/tests/lan/tap.sh"

# What wgd_ifconf_read reads (src/common/ifconf.c), in its order.
manager_dirs=(/etc/wireguard /usr/local/etc/wireguard
  /etc/systemd/network /run/systemd/network /usr/local/lib/systemd/network /usr/lib/systemd/network
  /run/NetworkManager/system-connections /etc/NetworkManager/system-connections
  /usr/lib/NetworkManager/system-connections)

# host_dirs: which of the nine directories and their parents exist on
# the machine, to show at the end that the test created none.
host_dirs() {
  local d
  for d in "${manager_dirs[@]}"; do
    while [[ $d != / ]]; do
      [[ -d $d ]] && echo "$d"
      d=$(dirname "$d")
    done
  done | sort -u
}

tap_lan_up 4
w=$lan_dir
# After lan_up, which makes h1's /run/systemd and the like itself.
host_before=$(host_dirs)
echo "1..20"
lan_cut_mdns

# h1_mask DIR...: inside h1 only, an empty tmpfs over each DIR. A DIR that
# does not exist is made in an overlay of its deepest existing ancestor,
# whose upper layer is a tmpfs of h1's (so a read-only /usr/lib does not
# matter and the machine gets nothing); the mounts that were below that
# ancestor (h1's /run/dbus, /run/wireguard, ...) are bound again on top.
# $w is made one of them, as TMPDIR may be below such an ancestor (/run):
# what h1 writes there must reach $w itself, not an upper layer.
h1_mask() {
  lan_exec 1 bash -euc '
    w=$1
    shift
    mount --bind "$w" "$w"
    mkdir "$w/h1-layers"
    mount -t tmpfs -o mode=0700 tmpfs "$w/h1-layers"
    n=0
    for d; do
      if [[ ! -d $d ]]; then
        a=$d
        while [[ ! -d $a ]]; do a=$(dirname "$a"); done
        n=$((n + 1))
        l=$w/h1-layers/$n
        mkdir "$l" "$l/below" "$l/upper" "$l/work"
        # The outermost mounts below a, each bound again with its own
        # (with a "/" after each, so that /x-y does not sort between /x
        # and /x/z).
        below=$(findmnt -rn -o TARGET | awk -v a="$a/" "index(\$0, a) == 1 { print \$0 \"/\" }" |
                LC_ALL=C sort | awk "NR == 1 || index(\$0, top) != 1 { top = \$0; print }")
        mount --rbind "$a" "$l/below"
        # From here on, paths below a (which $w may be, as in /run/tmp)
        # lead into the overlay: the mounts are found from below instead.
        cd "$l/below"
        mount -t overlay overlay -o "lowerdir=$a,upperdir=$l/upper,workdir=$l/work" "$a"
        for m in $below; do
          m=${m%/}
          mount --rbind "./${m#"$a"/}" "$m"
        done
        cd /
        mkdir -p "$d"
      fi
      mount -t tmpfs -o mode=0755 tmpfs "$d"
    done' h1-mask "$w" "$@"
}

# h1_put MODE PATH: stdin becomes PATH in h1, replaced at once as an
# editor would (the managers' files are root's: umask 077).
h1_put() {
  lan_exec 1 bash -c 'umask 077 && cat > "$2.new" && chmod "$1" "$2.new" && mv "$2.new" "$2"' \
    h1-put "$1" "$2"
}

h1_mask "${manager_dirs[@]}"
masked=0
for d in "${manager_dirs[@]}"; do
  lan_exec 1 mountpoint -q "$d" && [[ $(lan_exec 1 stat -f -c %T "$d") == tmpfs &&
    -z $(lan_exec 1 ls -A "$d") ]] && masked=$((masked + 1))
done
check "the nine directories of the managers' files are empty tmpfs in h1 ($masked of 9)" \
  "[[ $masked -eq 9 ]]"
# Without them the daemon would read the machine's own files.
(( masked == 9 )) || { echo "Bail out! h1 does not hide the machine's managers' files"; exit 0; }
lan_exec 1 chmod 0700 /etc/wireguard /etc/NetworkManager/system-connections

# dnsmasq on h1, h1's only server: authoritative for .test from its
# hosts file, no recursion, nothing leaves the LAN.
printf '%s\n' '10.77.0.2 peer2.test' '10.77.0.3 peer3.test' 'fd77::4 peer4.test' > "$w/hosts"
lan_start 1 dnsmasq --keep-in-foreground --no-resolv --no-hosts --no-poll \
  --addn-hosts="$w/hosts" --local=/test/ --local-ttl=5 --listen-address=127.0.0.1 \
  --bind-interfaces --log-queries --log-facility="$w/dnsmasq.log" --pid-file= --user=root
dns_pid=$lan_started
# dns_reload LINE...: the hosts file becomes LINE...; returns once dnsmasq
# has read it (it logs each reading), so that no query gets the old one.
dns_reload() {
  local reads
  reads=$(grep -c "read $w/hosts" "$w/dnsmasq.log")
  printf '%s\n' "$@" > "$w/hosts"
  kill -HUP "$dns_pid"
  within 10 "[[ \$(grep -c 'read $w/hosts' '$w/dnsmasq.log') -gt $reads ]]" ||
    echo "# dnsmasq did not read $w/hosts again"
}
printf 'nameserver 127.0.0.1\n' > "$w/resolv1"
lan_exec 1 mount --bind "$w/resolv1" /etc/resolv.conf
check_show "dnsmasq serves the names, peer4.test with an AAAA record only" \
  "within 10 'lan_exec 1 getent hosts peer2.test | grep -q 10.77.0.2' &&
   lan_exec 1 getent hosts peer3.test | grep -q 10.77.0.3 &&
   lan_exec 1 getent ahosts peer4.test | grep -q fd77::4 &&
   ! lan_exec 1 getent ahostsv4 peer4.test" "$w/dnsmasq.log"

for i in 1 2 3 4; do
  lan_node "$i" "$ctl"
done
for i in 2 3 4; do
  lan_peer 1 "$i"
  lan_peer "$i" 1
done
# h1 keeps its WireGuard setup (lan_node) but not the [Interface wg0]
# group lan_node wrote: nothing but the managers' files names wg0.
printf '[Daemon]\nStateDirectory=%s\n' "$w/state1" > "$w/conf1"

h1_put 0600 /etc/wireguard/wg0.conf <<EOF
[Interface]
PrivateKey = $(cat "$w/wgkey1")
Address = 10.78.0.1/24
ListenPort = 51820

[Peer]
PublicKey = ${lan_pub[2]}
Endpoint = peer2.test:51820
AllowedIPs = 10.78.0.2/32
EOF
netdev() {
  printf '[NetDev]\nName=wg0\nKind=wireguard\n\n[WireGuard]\nListenPort=51820\n'
  printf 'PrivateKeyFile=/etc/systemd/network/wg0.key\n\n'
  printf '[WireGuardPeer]\nPublicKey=%s\nEndpoint=peer3.test:51820\nAllowedIPs=10.78.0.3/32\n' \
    "${lan_pub[3]}"
}
netdev | h1_put 0644 /etc/systemd/network/wg0.netdev
uuid=$(cat /proc/sys/kernel/random/uuid)
keyfile() {
  printf '[connection]\nid=wg0\nuuid=%s\ntype=wireguard\ninterface-name=wg0\n\n' "$uuid"
  printf '[wireguard]\nlisten-port=51820\nprivate-key=%s\n\n' "$(cat "$w/wgkey1")"
  printf '[wireguard-peer.%s]\nendpoint=%s:51820\nallowed-ips=10.78.0.4/32;\n\n' \
    "${lan_pub[4]}" "$1"
  printf '[ipv4]\naddress1=10.78.0.1/24\nmethod=manual\n'
}
keyfile peer4.test | h1_put 0600 /etc/NetworkManager/system-connections/wg0.nmconnection

lan_start 1 "$daemon" --foreground --config "$w/conf1" >> "$w/log1" 2>&1
daemon_pid=$lan_started

# resolved WHAT FILE: the log says WHAT (NAME:PORT resolved to ADDR) with
# the TTL, citing FILE.
resolved() { grep -q "peer .*: $1 (TTL 5 s; .*$2" "$w/log1"; }
check_show "h1 sets h2's endpoint from the wg-quick file's name and logs that file" \
  "within 20 '[[ \$(lan_endpoint 1 2) == 10.77.0.2:51820 ]]' &&
   resolved 'peer2.test:51820 resolved to 10.77.0.2:51820' /etc/wireguard/wg0.conf" "$w/log1"
check_show "h1 sets h3's endpoint from the .netdev's name and logs that file" \
  "within 10 '[[ \$(lan_endpoint 1 3) == 10.77.0.3:51820 ]]' &&
   resolved 'peer3.test:51820 resolved to 10.77.0.3:51820' /etc/systemd/network/wg0.netdev" "$w/log1"
check_show "h1 sets h4's endpoint from the keyfile's AAAA-only name and logs that file" \
  "within 10 '[[ \$(lan_endpoint 1 4) == \"[fd77::4]:51820\" ]]' &&
   resolved 'peer4.test:51820 resolved to \\[fd77::4\\]:51820' \
     /etc/NetworkManager/system-connections/wg0.nmconnection" "$w/log1"
# pings N...: h1 pings each host N over WireGuard, all at once, so that
# the handshakes a forgotten session needs (WireGuard's 15 s rekey
# timeout) overlap; each gets 25 s.
pings() {
  local i pid status=0
  local -a pids=()
  for i; do
    lan_exec 1 ping -c 1 -w 25 "10.78.0.$i" >/dev/null &
    pids+=("$!")
  done
  for pid in "${pids[@]}"; do
    wait "$pid" || status=1
  done
  return "$status"
}
check "h1 pings h2, h3 and h4 over WireGuard (they run no wgdiscover)" "pings 2 3 4"
for i in 2 3 4; do
  lan_exec 1 "$ctl" peer "${lan_pub[i]}" > "$w/peer$i" 2>&1
done
check_show "wgdiscoverctl peer shows each one's ConfiguredEndpoint: name, address, TTL" \
  "grep -q '^ConfiguredEndpoint: *peer2.test:51820 (10.77.0.2:51820; TTL 5 s)' '$w/peer2' &&
   grep -q '^ConfiguredEndpoint: *peer3.test:51820 (10.77.0.3:51820; TTL 5 s)' '$w/peer3' &&
   grep -q '^ConfiguredEndpoint: *peer4.test:51820 (\[fd77::4\]:51820; TTL 5 s)' '$w/peer4'" \
  "$w/peer2" "$w/peer3" "$w/peer4"

# All three move at once and their records with them. Each forgets
# where h1 is, so that nothing it sends from its new address makes h1's
# WireGuard roam there: only the names can tell h1. (Deleting a primary
# IPv4 address takes the secondary ones of its subnet with it: the old
# goes first.)
forget_h1() { lan_exec "$1" wg set wg0 peer "${lan_pub[1]}" remove && lan_peer "$1" 1; }
lan_exec 2 ip addr del 10.77.0.2/24 dev eth0
lan_exec 2 ip addr add 10.77.0.12/24 dev eth0
lan_exec 3 ip addr del 10.77.0.3/24 dev eth0
lan_exec 3 ip addr add 10.77.0.13/24 dev eth0
lan_exec 4 ip addr del fd77::4/64 dev eth0
lan_exec 4 ip addr add fd77::14/64 dev eth0 nodad
for i in 2 3 4; do forget_h1 "$i"; done
dns_reload '10.77.0.12 peer2.test' '10.77.0.13 peer3.test' 'fd77::14 peer4.test'
declare -A want=([2]=10.77.0.12:51820 [3]=10.77.0.13:51820 [4]='[fd77::14]:51820') followed=()
moved_at=$SECONDS
while (( ${#followed[@]} < 3 && SECONDS - moved_at <= 45 )); do
  for i in 2 3 4; do
    if [[ -z ${followed[$i]:-} && $(lan_endpoint 1 "$i") == "${want[$i]}" ]]; then
      followed[$i]=$((SECONDS - moved_at))
    fi
  done
  sleep 0.2
done
check_show "h2, h3 and h4 moved and their names with them: h1 follows each within 45 s, without a restart" \
  "[[ \${#followed[@]} -eq 3 ]] && kill -0 $daemon_pid" "$w/log1"
echo "# the endpoints followed the DNS change after: h2 ${followed[2]:-none} s (wg-quick)," \
  "h3 ${followed[3]:-none} s (networkd), h4 ${followed[4]:-none} s (NetworkManager, IPv6);" \
  "TTL 5 s, floor 30 s"
check "h1 pings them at their new addresses" "pings 2 3 4"

# peer2.test goes away: the last address stays. h1's network changes
# (an address comes), so it resolves at once, not at the TTL.
dns_reload '10.77.0.13 peer3.test' 'fd77::14 peer4.test'
lan_exec 1 ip addr add 10.77.0.41/24 dev eth0
check_show "h1's network changed, peer2.test is gone: h1 says so and keeps 10.77.0.12, the tunnel works" \
  "within 10 'grep -q \"peer2.test.*keeping 10.77.0.12:51820\" \"$w/log1\"' &&
   [[ \$(lan_endpoint 1 2) == 10.77.0.12:51820 ]] && pings 2" "$w/log1"
lan_exec 1 ip addr del 10.77.0.41/24 dev eth0

# The wg-quick file is edited to another name, and no SIGHUP: the
# daemon sees the change itself. (From here on a host's new address is
# one more, not the source its kernel picks towards h1: only the name
# can make it h1's endpoint, and the host need not forget h1.)
lan_exec 2 ip addr add 10.77.0.22/24 dev eth0
dns_reload '10.77.0.22 h2b.test' '10.77.0.13 peer3.test' 'fd77::14 peer4.test'
lan_exec 1 sed 's/^Endpoint = peer2.test:51820$/Endpoint = h2b.test:51820/' /etc/wireguard/wg0.conf |
  h1_put 0600 /etc/wireguard/wg0.conf
edited_at=$SECONDS
check_show "the wg-quick file names h2b.test now: h1 follows without SIGHUP" \
  "within 15 '[[ \$(lan_endpoint 1 2) == 10.77.0.22:51820 ]]' &&
   resolved 'h2b.test:51820 resolved to 10.77.0.22:51820' /etc/wireguard/wg0.conf &&
   ! grep -q 'configuration reloaded' '$w/log1'" "$w/log1"
echo "# the edited wg-quick file was followed after $((SECONDS - edited_at)) s"

# wgdiscoverd.conf names h3's key too: after SIGHUP its [Peer] wins over
# the .netdev.
lan_exec 3 ip addr add 10.77.0.33/24 dev eth0
dns_reload '10.77.0.22 h2b.test' '10.77.0.13 peer3.test' '10.77.0.33 other.test' 'fd77::14 peer4.test'
printf '[Peer other]\nWireGuardKey=%s\nEndpoint=other.test:51820\n' "${lan_pub[3]}" >> "$w/conf1"
kill -HUP "$daemon_pid"
check_show "[Peer other] Endpoint= in wgdiscoverd.conf and SIGHUP: it wins for h3 over the .netdev" \
  "within 15 '[[ \$(lan_endpoint 1 3) == 10.77.0.33:51820 ]]' &&
   resolved 'other.test:51820 resolved to 10.77.0.33:51820' '\\[Peer other\\] Endpoint=' &&
   lan_exec 1 '$ctl' peer other > '$w/peer3' 2>&1 &&
   grep -q '^ConfiguredEndpoint: *other.test:51820 (10.77.0.33:51820; TTL 5 s)' '$w/peer3'" \
  "$w/log1" "$w/peer3"

# The .netdev breaks: logged once; the keyfile is edited afterwards and
# followed, and a SIGHUP comes: the files are read twice more, without
# the error again.
broken="wg0.netdev:13: .*neither KEY=VALUE, nor a \[section\] header, nor a comment"
{ netdev; printf 'this line is not networkd syntax\n'; } | h1_put 0644 /etc/systemd/network/wg0.netdev
check_show "a broken .netdev is logged, naming the file and line; h3 stays at other.test" \
  "within 10 'grep -q \"$broken\" \"$w/log1\"' && [[ \$(lan_endpoint 1 3) == 10.77.0.33:51820 ]]" \
  "$w/log1"
lan_exec 4 ip addr add fd77::24/64 dev eth0 nodad
dns_reload '10.77.0.22 h2b.test' '10.77.0.33 other.test' 'fd77::14 peer4.test' 'fd77::24 h4b.test'
keyfile h4b.test | h1_put 0600 /etc/NetworkManager/system-connections/wg0.nmconnection
check_show "the other managers' peers still work: the keyfile's new name is followed, h2 and h4 ping, the .netdev's error was logged once" \
  "within 15 '[[ \$(lan_endpoint 1 4) == \"[fd77::24]:51820\" ]]' &&
   resolved 'h4b.test:51820 resolved to \\[fd77::24\\]:51820' \
     /etc/NetworkManager/system-connections/wg0.nmconnection &&
   [[ \$(lan_endpoint 1 2) == 10.77.0.22:51820 ]] && pings 2 4 &&
   kill -HUP $daemon_pid &&
   within 10 '[[ \$(grep -c \"configuration reloaded\" \"$w/log1\") -eq 2 ]]' &&
   [[ \$(grep -c \"$broken\" \"$w/log1\") -eq 1 ]]" "$w/log1"

kill "$daemon_pid"
wait "$daemon_pid" 2>/dev/null
status=$?
# Under the sanitizers a leak or an error found at exit is a non-zero status.
check_show "wgdiscoverd stops on SIGTERM with status 0" "[[ $status -eq 0 ]]" "$w/log1"
queries=$(grep -c 'query\[' "$w/dnsmasq.log")
echo "# dnsmasq answered $queries queries in $SECONDS s"

# Under systemd the daemon's user may not read those files:
# wgdiscover-ifconf.service exports their peers (wgdiscoverctl ifconf
# --export, as root) and the daemon reads and watches that file
# (--ifconf) instead. The wg-quick file names h2c.test (h2's first
# move); only a new export makes the daemon see the next edit.
lan_exec 1 sed 's/^Endpoint = h2b.test:51820$/Endpoint = h2c.test:51820/' /etc/wireguard/wg0.conf |
  h1_put 0600 /etc/wireguard/wg0.conf
dns_reload '10.77.0.12 h2c.test' '10.77.0.22 h2b.test' '10.77.0.33 other.test' 'fd77::24 h4b.test'
lan_exec 1 "$ctl" ifconf --export="$w/peers" > "$w/export.out" 2>&1
# h1's WireGuard forgets h2's endpoint and session, which would win over
# a configured one.
lan_exec 1 wg set wg0 peer "${lan_pub[2]}" remove
lan_peer 1 2
lan_start 1 "$daemon" --foreground --config "$w/conf1" --ifconf="$w/peers" >> "$w/log2" 2>&1
daemon_pid=$lan_started
check_show "with --ifconf, h1 takes h2c.test from the export, naming the wg-quick file" \
  "grep -q 'wg0.netdev:13' '$w/export.out' && [[ \$(stat -c %a '$w/peers') == 644 ]] &&
   ! grep -qi 'private' '$w/peers' &&
   within 20 '[[ \$(lan_endpoint 1 2) == 10.77.0.12:51820 ]]' &&
   grep -q 'h2c.test:51820 resolved to 10.77.0.12:51820 (TTL 5 s; wg-quick /etc/wireguard/wg0.conf' \
     '$w/log2'" "$w/log2" "$w/export.out"
lan_exec 1 sed 's/^Endpoint = h2c.test:51820$/Endpoint = h2b.test:51820/' /etc/wireguard/wg0.conf |
  h1_put 0600 /etc/wireguard/wg0.conf
lan_exec 1 "$ctl" ifconf --export="$w/peers" > "$w/export.out" 2>&1
check_show "a new export is followed without SIGHUP" \
  "within 15 '[[ \$(lan_endpoint 1 2) == 10.77.0.22:51820 ]]' &&
   ! grep -q 'configuration reloaded' '$w/log2'" "$w/log2"
printf '[Peer wg0 x]\nEndpoint=broken\n' > "$w/peers.new" && mv "$w/peers.new" "$w/peers"
check_show "a broken export is logged once, naming it, and takes no endpoint away" \
  "within 10 'grep -q \"$w/peers:1: .*what that file gave before is kept\" \"$w/log2\"' &&
   [[ \$(lan_endpoint 1 2) == 10.77.0.22:51820 ]] && kill -HUP $daemon_pid &&
   within 10 'grep -q \"configuration reloaded\" \"$w/log2\"' &&
   [[ \$(grep -c \"$w/peers:1: \" \"$w/log2\") -eq 1 ]] &&
   lan_exec 1 '$ctl' peer '${lan_pub[2]}' > '$w/peer2' 2>&1 &&
   grep -q '^ConfiguredEndpoint: *h2b.test:51820' '$w/peer2'" "$w/log2" "$w/peer2"
kill "$daemon_pid"
wait "$daemon_pid" 2>/dev/null
status=$?
check_show "wgdiscoverd --ifconf stops on SIGTERM with status 0" "[[ $status -eq 0 ]]" "$w/log2"
diff <(echo "$host_before") <(host_dirs) > "$w/host-dirs.diff"
check_show "nothing was created on the machine's file system" "[[ ! -s '$w/host-dirs.diff' ]]" \
  "$w/host-dirs.diff"
