#!/usr/bin/env bash
# test-kernel-user.sh — wgdiscoverd as systemd/wgdiscoverd.service runs
# it, an unprivileged user with CAP_NET_ADMIN and CAP_NET_RAW alone, reads and changes
# the kernel's WireGuard: in a QEMU guest with Debian's kernel
# (tests/vm/run-in-vm), under tests/systemd/as-unit.sh, which stands in
# for systemd (PID 1 here is not systemd, and in the guest nothing is).
# The guest has no avahi-daemon, so what shows that the interface is
# written is the daemon restoring a peer's last known endpoint from its
# state at start. Prints TAP; a skip without QEMU on a developer's
# machine, a failure under CI=true.

if [[ ${1:-} == --guest ]]; then
  # In the guest, as root: WORK UNIT DAEMON CTL.
  work=$2 unit=$3 daemon=$4 ctl=$5
  uid=61999
  # LeakSanitizer (the sanitize stage) needs ptrace, which the unit's
  # filter refuses; the other tests look for leaks.
  export ASAN_OPTIONS=detect_leaks=0
  n=0
  check() {
    n=$((n + 1))
    if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fi
  }
  within() {
    local limit=$1 t
    shift
    for ((t = 0; t < limit * 5; t++)); do eval "$*" && return 0; sleep 0.2; done
    return 1
  }
  umask 077
  d=/run/wgd-test
  mkdir -p "$d/state" && chmod 711 "$d"
  "$ctl" genkey > "$d/state/identity"
  "$ctl" wgkey < "$d/state/identity" > "$d/wgkey"
  peer=$("$ctl" genkey | "$ctl" wgpubkey)
  hex=$(printf '%s' "$peer" | base64 -d | od -An -tx1 | tr -d ' \n')
  printf '[Endpoints]\n%s=10.77.0.2:51820\n' "$hex" > "$d/state/endpoints"
  printf '[Interface wg0]\n' > "$d/conf" && chmod 644 "$d/conf"
  # StateDirectory=, as systemd makes it for User=.
  chown -R "$uid:$uid" "$d/state"
  # avahi-client needs a system bus to wait on for avahi-daemon (one
  # that lets anyone talk, as on tests/lan/lan.sh's hosts), and
  # dbus-daemon drops clients whose uid it cannot look up: the guest's
  # own /etc gets the user, as systemd-sysusers would add it.
  echo "wgdiscover:x:$uid:$uid:WireGuard peer discovery:/:/usr/sbin/nologin" >> /etc/passwd
  echo "wgdiscover:x:$uid:" >> /etc/group
  mkdir -p -m 755 /run/dbus
  cat > "$d/bus.conf" <<'CONF'
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
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
CONF
  dbus-daemon --config-file="$d/bus.conf" --fork --nopidfile
  ip link add wg0 type wireguard
  wg set wg0 private-key "$d/wgkey" listen-port 51820 peer "$peer" allowed-ips 10.78.0.2/32
  ip link set wg0 up
  check "the guest has a kernel WireGuard interface and no UAPI socket" \
    "wg show wg0 >/dev/null && [[ ! -e /run/wireguard/wg0.sock ]]"

  "$work/as-unit.sh" "$unit" "$uid" "$uid" "$d/state" \
    "$daemon" --foreground --config "$d/conf" --state-dir "$d/state" > "$d/log" 2>&1 &
  pid=$!
  # No awk in the guest: its /etc has no alternatives.
  status_of() { sed -n "s/^$1:[[:space:]]*//p" "/proc/$pid/status" | tr -s '\t' ' '; }
  confined() {
    [[ $(cat "/proc/$pid/comm") == wgdiscoverd && $(status_of Uid) == "$uid $uid $uid $uid" &&
       $(status_of CapEff) == 0000000000003000 && $(status_of CapBnd) == 0000000000003000 &&
       $(status_of NoNewPrivs) == 1 && $(status_of Seccomp) == 2 ]]
  }
  check "the daemon runs as uid $uid with CAP_NET_ADMIN and CAP_NET_RAW alone, no_new_privs and a filter" \
    "within 30 confined"
  check "it reads the interface through the kernel (netlink backend)" \
    "within 30 grep -q \"'wg0: WireGuard interface found (netlink backend'\" '$d/log'"
  restored() { [[ $(wg show wg0 endpoints | grep -F "$peer" | cut -f 2) == 10.77.0.2:51820 ]]; }
  check "and sets a peer's endpoint in it" "within 30 restored"
  check "and says so" "grep -q 'restored the last known endpoint of 1 peer' '$d/log'"
  check "and keeps running without avahi-daemon" "sleep 1; confined"
  kill -TERM "$pid"
  wait "$pid"
  status=$?
  check "it stops on SIGTERM with status 0 ($status)" '[[ $status == 0 ]]'
  echo "# the daemon's log in the guest:"
  sed 's/^/#   /' "$d/log"
  echo "1..$n"
  exit 0
fi

srcdir=${srcdir:-.}
ctl=${WGDISCOVERCTL:?WGDISCOVERCTL names wgdiscoverctl}
daemon=${WGDISCOVERD:?WGDISCOVERD names wgdiscoverd}
unit=${WGD_SYSTEMD_UNIT:?WGD_SYSTEMD_UNIT names the built wgdiscoverd.service}
builddir=${WGD_BUILDDIR:?WGD_BUILDDIR names the build directory}
runvm=$srcdir/tests/vm/run-in-vm

why=
if ! reason=$("$runvm" --check 2>&1); then
  why="it needs a QEMU guest: $reason"
elif ! command -v setpriv >/dev/null || ! /usr/bin/python3 -c 'import seccomp' 2>/dev/null; then
  why="setpriv and Debian's python3-seccomp are needed (apt-get install util-linux python3-seccomp)"
fi
if [[ -n $why ]]; then
  if [[ ${CI:-} == true ]]; then
    echo "1..1"; echo "not ok 1 - did not run: $why"
  else
    echo "1..0 # SKIP $why"
  fi
  exit 0
fi

# The guest sees the build directory only (at the same path): the
# scripts go there for the run.
mkdir -p "$builddir/tests/systemd"
work=$(mktemp -d "$builddir/tests/systemd/vm.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
cp "$srcdir/tests/systemd/test-kernel-user.sh" "$srcdir/tests/systemd/as-unit.sh" \
  "$srcdir/tests/systemd/unit-seccomp.py" "$work/"
RUNVM_TIMEOUT=${RUNVM_TIMEOUT:-300} "$runvm" -C "$builddir" \
  bash "$work/test-kernel-user.sh" --guest "$work" "$unit" "$daemon" "$ctl" > "$work/out" 2>&1
status=$?
grep -E '^(ok|not ok|#)' "$work/out" > "$work/tap"
cat "$work/tap"
n=$(grep -cE '^(ok|not ok)' "$work/tap")
n=$((n + 1))
if [[ $status == 0 ]] && grep -q '^1\.\.' "$work/out"; then
  echo "ok $n - the guest ran to the end"
else
  echo "not ok $n - the guest ended with status $status:"
  sed 's/^/#   /' "$work/out" | tail -n 40
fi
echo "1..$n"
