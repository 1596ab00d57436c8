#!/usr/bin/env bash
# test-ifconf-unit.sh — wgdiscover-ifconf.service's command under the
# unit's own conditions (tests/systemd/as-unit.sh: uid 0 with no
# capability at all, read-only file system but for its runtime
# directory, no_new_privs, the unit's seccomp filters), and why the
# unit exists. PID 1 here need not be systemd: nothing is started.
#
# In a private mount namespace, the nine directories that
# src/common/ifconf.c reads are empty tmpfs mounts where they exist, and
# /etc and /run overlays (for the directories the test makes there), so
# the machine's own files never come in and nothing of the machine
# changes. The test
# writes a wg-quick file (0600 root), a .netdev (0640 root:root) and a
# NetworkManager keyfile (0600 root), each with a host-name endpoint and
# a private key. As the unit runs it, `wgdiscoverctl ifconf --export`
# writes the three endpoints and no private key, mode 0644; the same
# command as the daemon's unprivileged user (wgdiscoverd.service's
# conditions) cannot read the files, so the separation is needed; that
# user can read the export. Prints TAP; needs root, setpriv,
# python3-seccomp, systemd-analyze and overlayfs.

srcdir=${srcdir:-.}
ctl=${WGDISCOVERCTL:?WGDISCOVERCTL names wgdiscoverctl}
ifconf_unit=${WGD_IFCONF_UNIT:?WGD_IFCONF_UNIT names the built wgdiscover-ifconf.service}
daemon_unit=${WGD_SYSTEMD_UNIT:?WGD_SYSTEMD_UNIT names the built wgdiscoverd.service}
as_unit=$(cd "$srcdir/tests/systemd" && pwd)/as-unit.sh
n=0
check() {
  n=$((n + 1))
  if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fi
}

missing=
(( EUID == 0 )) || missing="root"
command -v setpriv >/dev/null || missing="setpriv (apt-get install util-linux)"
/usr/bin/python3 -c 'import seccomp' 2>/dev/null || missing="python3-seccomp (apt-get install python3-seccomp)"
command -v systemd-analyze >/dev/null || missing="systemd-analyze (apt-get install systemd)"
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || missing="overlayfs"
if [[ -n $missing ]]; then
  if [[ ${CI:-} == true ]]; then
    echo "1..1"; echo "not ok 1 - $missing is missing"
  else
    echo "1..0 # SKIP $missing is missing"
  fi
  exit 0
fi

# LeakSanitizer (in the sanitize stage of tools/check) needs ptrace,
# which the units' filters refuse; tests/ctl looks for leaks.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

# The rest runs in a mount namespace of its own.
if [[ ${1:-} != --inside ]]; then
  # Not below /run or /etc, which get overlays (tests/sandbox puts
  # TMPDIR in /run).
  case ${TMPDIR:-/tmp} in
    /run/*|/etc/*) base=/var/tmp ;;
    *) base=${TMPDIR:-/tmp} ;;
  esac
  tmp=$(mktemp -d "$base/wgd-ifconf-unit.XXXXXX") || exit 99
  trap 'rm -rf "$tmp"' EXIT
  unshare --mount --propagation private -- "$BASH" "${BASH_SOURCE[0]}" --inside "$tmp"
  exit
fi
tmp=$2

# /etc and /run as overlays on a tmpfs: the test's directories are made
# in the upper layers. Mounts below them (a container's /etc/hosts,
# /run/netns) would hide under the overlay and leave as-unit.sh mount
# points it cannot reach: in this namespace, they go.
mount -t tmpfs -o mode=755 tmpfs "$tmp" || exit 99
for top in etc run; do
  mkdir "$tmp/$top.up" "$tmp/$top.work"
  awk '{ print $5 }' /proc/self/mountinfo | grep "^/$top/" | sort -r | xargs -r -n1 umount -l
  if ! mount -t overlay overlay -o "lowerdir=/$top,upperdir=$tmp/$top.up,workdir=$tmp/$top.work" "/$top"; then
    echo "1..1"; echo "not ok 1 - an overlay on /$top"
    exit 0
  fi
done
mkdir -p -m 700 /etc/wireguard
mkdir -p -m 755 /etc/systemd/network /etc/NetworkManager
mkdir -p -m 700 /etc/NetworkManager/system-connections
dirs=$(sed -n '/_dirs\[\] = {/,/};/p' "$srcdir/src/common/ifconf.c" | grep -o '"/[^"]*"' | tr -d '"' |
       sort -u)
check "ifconf.c reads nine directories" "[[ \$(wc -l <<< \"\$dirs\") == 9 ]]"
for d in $dirs; do
  [[ -d $d ]] || continue
  mode=$(stat -c %a "$d")
  mount -t tmpfs -o "mode=$mode" tmpfs "$d"
done
check "the directories the test writes to are empty mounts of their own" \
  "mountpoint -q /etc/wireguard && mountpoint -q /etc/systemd/network &&
   mountpoint -q /etc/NetworkManager/system-connections &&
   [[ -z \$(find /etc/wireguard /etc/systemd/network /etc/NetworkManager/system-connections \
           -mindepth 1) ]]"

key() { "$ctl" genkey | "$ctl" wgkey; }
pub() { "$ctl" genkey | "$ctl" wgpubkey; }
priv1=$(key) priv2=$(key) priv3=$(key) psk=$(key)
peer1=$(pub) peer2=$(pub) peer3=$(pub)
(umask 077 && cat > /etc/wireguard/wg0.conf <<EOF
[Interface]
PrivateKey = $priv1
ListenPort = 51820

[Peer]
PublicKey = $peer1
PresharedKey = $psk
Endpoint = quick.example.org:51820
AllowedIPs = 10.0.0.2/32
EOF
)
cat > /etc/systemd/network/50-wg1.netdev <<EOF
[NetDev]
Name=wg1
Kind=wireguard

[WireGuard]
PrivateKey=$priv2

[WireGuardPeer]
PublicKey=$peer2
Endpoint=networkd.example.org:51821
EOF
chmod 640 /etc/systemd/network/50-wg1.netdev
(umask 077 && cat > /etc/NetworkManager/system-connections/wg2.nmconnection <<EOF
[connection]
id=wg2
type=wireguard
interface-name=wg2

[wireguard]
private-key=$priv3

[wireguard-peer.$peer3]
endpoint=nm.example.org:51822
allowed-ips=10.2.0.0/24;
EOF
)
check "the files are root's: 0600, 0640 and 0600" \
  "[[ \$(stat -c '%U %a' /etc/wireguard/wg0.conf /etc/systemd/network/50-wg1.netdev \
        /etc/NetworkManager/system-connections/wg2.nmconnection | paste -sd' ') == \
     'root 600 root 640 root 600' ]]"

# The unit's runtime directory, as systemd makes it (RuntimeDirectory=,
# RuntimeDirectoryMode=), and its command with the build's wgdiscoverctl.
runtime=/run/$(sed -n 's/^RuntimeDirectory=//p' "$ifconf_unit")
install -d -m "$(sed -n 's/^RuntimeDirectoryMode=//p' "$ifconf_unit")" "$runtime"
exec_start=$(sed -n 's/^ExecStart=//p' "$ifconf_unit")
check "the unit runs wgdiscoverctl ifconf --export=$runtime/peers" \
  "[[ \$exec_start == */wgdiscoverctl' ifconf --export=$runtime/peers' ]]"
read -ra args <<< "$exec_start"
args[0]=$ctl

"$as_unit" "$ifconf_unit" 0 0 "$runtime" grep -E '^(Uid|Cap[A-Za-z]+|NoNewPrivs|Seccomp):' \
  /proc/self/status > "$tmp/status" 2>&1
sed 's/^/#   /' "$tmp/status"
check "under the unit: uid 0, every capability set empty, no_new_privs, a seccomp filter" \
  "[[ \$(grep -c ':[[:space:]]*0000000000000000\$' '$tmp/status') == 5 ]] &&
   grep -qP '^Uid:\t0\t0\t0\t0\$' '$tmp/status' && grep -qP '^NoNewPrivs:\t1\$' '$tmp/status' &&
   grep -qP '^Seccomp:\t2\$' '$tmp/status'"
refused='import socket
try:
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
except PermissionError:
    print("refused")'
check "under the unit, an IP socket is refused (RestrictAddressFamilies=AF_UNIX)" \
  "[[ \$(\"\$as_unit\" \"\$ifconf_unit\" 0 0 \"\$runtime\" /usr/bin/python3 -c \"\$refused\") == refused ]]"
install -m 600 -o 65534 /dev/null /etc/wgd-test-others
check "under the unit, uid 0 cannot read another user's file (no CAP_DAC_OVERRIDE)" \
  "\"\$as_unit\" \"\$ifconf_unit\" 0 0 \"\$runtime\" cat /etc/wgd-test-others 2>&1 |
   grep -q 'Permission denied'"

"$as_unit" "$ifconf_unit" 0 0 "$runtime" "${args[@]}" > "$tmp/out" 2> "$tmp/err"
status=$?
sed 's/^/#   out: /' "$tmp/out"
sed 's/^/#   err: /' "$tmp/err"
export=$runtime/peers
# (as-unit.sh may say on stderr which hidden mounts it cannot reach.)
check "as the unit runs it, it exits with 0 ($status), says so and reports no bad file" \
  "[[ \$status == 0 ]] && grep -qx '$export: 3 peers written' '$tmp/out' &&
   ! grep -q '^wgdiscoverctl' '$tmp/err'"
sed 's/^/#   peers: /' "$export"
check "the export holds the wg-quick endpoint" \
  "grep -qx 'Endpoint=quick.example.org:51820' '$export' && grep -qx '\\[Peer wg0 $peer1\\]' '$export'"
check "the networkd endpoint" \
  "grep -qx 'Endpoint=networkd.example.org:51821' '$export' && grep -qx '\\[Peer wg1 $peer2\\]' '$export'"
check "and the NetworkManager endpoint" \
  "grep -qx 'Endpoint=nm.example.org:51822' '$export' && grep -qx '\\[Peer wg2 $peer3\\]' '$export'"
check "and no private or preshared key, nor any other line of the files" \
  "! grep -qF -e '$priv1' -e '$priv2' -e '$priv3' -e '$psk' -e AllowedIPs -e allowed-ips -e ListenPort '$export' &&
   ! grep -vE '^(#.*|\\[Peer .*\\]|(Endpoint|Manager|File|Line)=.*|)\$' '$export'"
check "it is mode 0644 root's, though the unit's umask is 0077" \
  "[[ \$(stat -c '%U %a' '$export') == 'root 644' ]]"

# The daemon's unit: User=wgdiscover, CAP_NET_ADMIN and CAP_NET_RAW.
uid=61999
while getent passwd "$uid" >/dev/null || getent group "$uid" >/dev/null; do uid=$((uid + 1)); done
state=$tmp/state
install -d -m 700 -o "$uid" -g "$uid" "$state"
"$as_unit" "$daemon_unit" "$uid" "$uid" "$state" "$ctl" ifconf > "$tmp/user-out" 2> "$tmp/user-err"
user_status=$?
sed 's/^/#   out: /' "$tmp/user-out"
sed 's/^/#   err: /' "$tmp/user-err"
check "as the daemon's user (uid $uid), the same reading finds no peer" \
  "[[ \$user_status == 0 ]] && grep -q 'no WireGuard peer' '$tmp/user-out'"
check "and says that /etc/wireguard cannot be listed" \
  "grep -q '/etc/wireguard.*Permission denied' '$tmp/user-err'"
check "that the .netdev cannot be read" \
  "grep -q '50-wg1.netdev.*Permission denied' '$tmp/user-err'"
check "and that NetworkManager's directory cannot be listed" \
  "grep -q '/etc/NetworkManager/system-connections.*Permission denied' '$tmp/user-err'"
check "the export is readable by that user" \
  "\"\$as_unit\" \"\$daemon_unit\" \"\$uid\" \"\$uid\" \"\$state\" cat '$export' | cmp -s - '$export'"

# Outside its runtime directory the unit writes nothing.
"$as_unit" "$ifconf_unit" 0 0 "$runtime" "$ctl" ifconf --export=/etc/wgd-test-peers \
  > /dev/null 2> "$tmp/ro-err"
ro_status=$?
sed 's/^/#   err: /' "$tmp/ro-err"
check "outside its runtime directory it cannot write ($ro_status: read-only file system)" \
  "[[ \$ro_status == 2 ]] && grep -q 'Read-only file system' '$tmp/ro-err' &&
   [[ ! -e /etc/wgd-test-peers ]]"
echo "1..$n"
