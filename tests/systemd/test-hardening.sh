#!/usr/bin/env bash
# test-hardening.sh — wgdiscoverd under the conditions systemd/
# wgdiscoverd.service gives it, on a virtual LAN of two hosts with
# wireguard-go (tests/lan/lan.sh). PID 1 here is not systemd, so nothing
# can be started through systemd: tests/systemd/as-unit.sh stands in for
# it (read-only file system but for the state directory, private /tmp
# and /dev, /proc of processes only, the user and the unit's
# capabilities (CAP_NET_ADMIN and CAP_NET_RAW) alone through setpriv, no_new_privs, and the unit's own seccomp filters
# through unit-seccomp.py).
#
# As an unprivileged user (the unit's User=wgdiscover), against wireguard-go's root-only /run/wireguard, the
# daemon says that permission is denied on the interface and keeps
# running. As uid 0 with only those (the drop-in
# wgdiscoverd-userspace.conf) it opens the punch's raw sockets (UDP and
# ICMP; the unit's filters let them through), finds the peer and sets its endpoint,
# reports READY=1, reloads on SIGHUP and stops with status 0. Prints
# TAP; needs root and python3-seccomp.

srcdir=${srcdir:-.}
ctl=${WGDISCOVERCTL:?WGDISCOVERCTL names wgdiscoverctl}
daemon=${WGDISCOVERD:?WGDISCOVERD names wgdiscoverd}
unit=${WGD_SYSTEMD_UNIT:?WGD_SYSTEMD_UNIT names the built wgdiscoverd.service}
# Absolute: nsenter starts the command from the host's /.
as_unit=$(cd "$srcdir/tests/systemd" && pwd)/as-unit.sh
source "$srcdir/tests/lan/lan.sh"
source "$srcdir/tests/lan/tap.sh"

missing=
command -v setpriv >/dev/null || missing="setpriv (apt-get install util-linux)"
# Debian's python3, whatever python3 comes first in PATH: python3-seccomp
# is for it.
/usr/bin/python3 -c 'import seccomp' 2>/dev/null || missing="python3-seccomp (apt-get install python3-seccomp)"
command -v systemd-analyze >/dev/null || missing="systemd-analyze (apt-get install systemd)"
if [[ -n $missing ]]; then
  if [[ ${CI:-} == true ]]; then
    echo "1..1"; echo "not ok 1 - $missing is missing"
  else
    echo "1..0 # SKIP $missing is missing"
  fi
  exit 0
fi

tap_lan_up 2
w=$lan_dir
umask 077
# A uid and gid no account of the machine has.
uid=61999
while getent passwd "$uid" >/dev/null || getent group "$uid" >/dev/null; do uid=$((uid + 1)); done
# dbus-daemon drops a client whose uid it cannot look up (its policy
# needs the user's groups), and avahi-client talks D-Bus: host 1 gets
# /etc/passwd and /etc/group of its own with the user wgdiscover, as
# systemd-sysusers would add it. The machine's files stay as they are.
{ cat /etc/passwd; echo "wgdiscover:x:$uid:$uid:WireGuard peer discovery:/:/usr/sbin/nologin"; } > "$w/passwd"
{ cat /etc/group; echo "wgdiscover:x:$uid:"; } > "$w/group"
chmod 644 "$w/passwd" "$w/group"
lan_exec 1 mount --bind "$w/passwd" /etc/passwd
lan_exec 1 mount --bind "$w/group" /etc/group

lan_node 1 "$ctl" && lan_node 2 "$ctl"
lan_peer 1 2 && lan_peer 2 1
lan_start 2 "$daemon" --foreground --config "$w/conf2" --state-dir "$w/state2" >> "$w/log2" 2>&1

# What the unit's user needs to see: its configuration (as in
# /etc/wgdiscover, readable by all) and the way to it.
chmod 711 "$w"
chmod 644 "$w/conf1"
# wireguard-go makes /run/wireguard 0700 (lan.sh mounts a tmpfs there).
lan_exec 1 chmod 700 /run/wireguard
# systemd's notify socket takes datagrams from any user.
mkdir -m 755 "$w/notify"
notify_listen "$w/notify/socket" "$w/notify1"
chmod 666 "$w/notify/socket"

# start_unit UID LOG: wgdiscoverd on h1 as the unit runs it, with
# StateDirectory= given to UID as systemd gives it. LeakSanitizer (in
# the sanitize stage of tools/check) needs ptrace, which the unit's
# filter refuses; the other tests look for leaks.
start_unit() {
  chown -R "$1:$1" "$w/state1"
  chmod 700 "$w/state1"
  lan_start 1 env NOTIFY_SOCKET="$w/notify/socket" \
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
    "$as_unit" "$unit" "$1" "$1" "$w/state1" \
    "$daemon" --foreground --config "$w/conf1" --state-dir "$w/state1" >> "$2" 2>&1
  unit_pid=$lan_started
}
field() { awk -v k="$2:" '$1 == k { $1 = ""; print substr($0, 2) }' "/proc/$1/status" 2>/dev/null; }
running_daemon() { [[ $(cat "/proc/$unit_pid/comm" 2>/dev/null) == wgdiscoverd ]]; }
# Every uid and gid is UID, and every capability set is CAP_NET_ADMIN's
# and CAP_NET_RAW's bits (12, 13) alone; no_new_privs and a seccomp
# filter are on.
confined_as() {
  local id=$1 set
  [[ $(field "$unit_pid" Uid) == "$id $id $id $id" && $(field "$unit_pid" Gid) == "$id $id $id $id" &&
     -z $(field "$unit_pid" Groups) ]] || return 1
  for set in CapInh CapPrm CapEff CapBnd CapAmb; do
    [[ $(field "$unit_pid" "$set") == 0000000000003000 ]] || return 1
  done
  [[ $(field "$unit_pid" NoNewPrivs) == 1 && $(field "$unit_pid" Seccomp) == 2 ]]
}
logged() { grep -qF -- "$2" "$1"; }
stop_unit() {
  kill -TERM "$unit_pid"
  wait "$unit_pid"
}

# The stand-in restricts what the unit restricts, as uid 0 (the weaker
# case); each for the reason expected, not because something is missing.
confined() { lan_exec 1 "$as_unit" "$unit" 0 0 "$w/state1" "$@" 2>&1; }
check "under the stand-in, nothing outside the state directory is written" \
  "confined touch '$w/outside' | grep -q 'Read-only file system'"
check "under the stand-in, the state directory is written" \
  "confined touch '$w/state1/inside' && rm '$w/state1/inside'"
refused='import socket
try:
    socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
except PermissionError:
    print("refused")'
check "under the stand-in, a packet socket is refused" \
  "[[ \$(confined /usr/bin/python3 -c \"\$refused\") == refused ]]"
check "under the stand-in, /dev has /dev/null but no /dev/net/tun" \
  "confined test -c /dev/null && ! confined test -e /dev/net/tun"
install -m 600 -o "$uid" /dev/null "$w/others"
check "under the stand-in, uid 0 cannot read another user's file (no CAP_DAC_OVERRIDE)" \
  "confined cat '$w/others' | grep -q 'Permission denied'"

# The unit as it is: User=wgdiscover.
start_unit "$uid" "$w/log1-user"
check "the daemon runs as uid $uid with CAP_NET_ADMIN and CAP_NET_RAW alone, no_new_privs and a filter" \
  "within 10 running_daemon && confined_as $uid"
check "as uid $uid against wireguard-go's root-only socket, it says permission is denied" \
  "within 15 logged '$w/log1-user' 'permission denied on WireGuard interface wg0'"
check "and keeps running" "sleep 1; running_daemon"
check "and sets no endpoint" '[[ $(lan_endpoint 1 2) == "(none)" ]]'
stop_unit
status=$?
check "it stops on SIGTERM with status 0 ($status)" '[[ $status == 0 ]]'
echo "# h1's log as uid $uid:"
sed 's/^/#   /' "$w/log1-user"

# With the drop-in: uid 0, still those two alone; systemd gives the
# state directory to the new user.
start_unit 0 "$w/log1-root"
check "the daemon runs as uid 0 with CAP_NET_ADMIN and CAP_NET_RAW alone, no_new_privs and a filter" \
  "within 10 running_daemon && confined_as 0"
# /proc/net/raw: a raw socket's "port" is its protocol (UDP 0x11, ICMP 0x01).
raw_open() { lan_exec 1 cat /proc/net/raw | awk '{ print $2 }' | grep -q ":$1\$"; }
check "under the unit, the daemon holds the punch's raw UDP and ICMP sockets" \
  "raw_open 0011 && raw_open 0001"
endpoint_is() { [[ $(lan_endpoint "$1" "$2") == "$3" ]]; }
check "as uid 0 with those alone, h1 sets h2's endpoint" \
  "within 20 endpoint_is 1 2 10.77.0.2:51820"
check "and h2 sets h1's (h1 publishes its record)" "within 20 endpoint_is 2 1 10.77.0.1:51820"
check "it reports READY=1" "within 10 logged '$w/notify1' READY=1"
check "it writes its state" "within 15 test -s '$w/state1/endpoints'"
kill -HUP "$unit_pid"
check "it reloads on SIGHUP (ExecReload=)" \
  "within 10 logged '$w/log1-root' 'configuration reloaded' && logged '$w/notify1' RELOADING=1"
check "and keeps running" "sleep 1; running_daemon"
stop_unit
status=$?
check "it stops on SIGTERM with status 0 ($status)" '[[ $status == 0 ]]'
echo "# h1's log as uid 0:"
sed 's/^/#   /' "$w/log1-root"
echo "1..$n"
