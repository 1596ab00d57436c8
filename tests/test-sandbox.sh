#!/bin/bash
# test-sandbox.sh — a test that fails, aborts or is killed leaves nothing
# behind: no process, no network namespace, no mount, no temporary file.
# Each case runs a deliberately failing test through tests/sandbox (as
# make check runs every test) and then looks for what it had made.
#
#   --payload MARK fail|hang   (internal) what the failing test does:
#     a named network namespace with wireguard-go in it, a process
#     that would run for long, a tmpfs mount and a temporary file, all
#     named after MARK; then it fails, or waits to be killed.
set -u

if [[ ${1:-} == --payload ]]; then
  mark=$2
  ip netns add "$mark" || exit 100
  ip netns exec "$mark" wireguard-go "$mark" 2>/dev/null || exit 101
  bash -c 'exec -a "$0-sleep" sleep 1000' "$mark" &
  mkdir "$TMPDIR/$mark-mnt" && mount -t tmpfs "$mark" "$TMPDIR/$mark-mnt" || exit 102
  touch "$TMPDIR/$mark-file" || exit 103
  echo ready > "$TMPDIR/$mark-ready"
  if [[ $3 == fail ]]; then
    exit 3
  fi
  sleep 1000
  exit 4
fi

srcdir=${srcdir:-.}
sandbox=$srcdir/tests/sandbox
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }

if [[ $(id -u) -ne 0 ]]; then
  if [[ ${CI:-} == true ]]; then
    echo "1..1"; echo "not ok 1 - the sandbox needs root"
  else
    echo "1..0 # SKIP the sandbox needs root"
  fi
  exit 0
fi
for cmd in ip unshare wireguard-go pgrep; do
  command -v "$cmd" >/dev/null || {
    echo "1..1"; echo "not ok 1 - $cmd not found (apt-get install iproute2 util-linux wireguard-go procps)"
    exit 0
  }
done

# within SECONDS CONDITION: retries CONDITION for up to SECONDS.
within() {
  local limit=$1 t
  shift
  for ((t = 0; t < limit * 10; t++)); do
    eval "$*" && return 0
    sleep 0.1
  done
  return 1
}

# What a case may have left: processes, namespaces, mounts and files
# named after its mark, as seen from here.
leftovers() {
  local mark=$1
  pgrep -f "$mark" | sed 's/^/process /'
  ip netns list | grep -F "$mark" | sed 's/^/netns /'
  grep -F "$mark" /proc/self/mountinfo | sed 's/^/mount /'
  ls -d "${TMPDIR:-/tmp}/$mark"* 2>/dev/null | sed 's/^/file /'
  return 0
}

nothing_left() {
  local mark=$1 left
  left=$(leftovers "$mark")
  [[ -z $left ]] && return 0
  printf '%s\n' "$left" | sed 's/^/# left: /'
  return 1
}

# The inner sandbox must really make one: the one make check put this
# test in must not pass for it.
unset WGD_SANDBOX

# A test that fails: its exit status comes through, and what it made
# goes with it.
mark=wgsbx$$f
"$sandbox" "$BASH" "$0" --payload "$mark" fail
status=$?
check "a failing test's exit status comes through the sandbox" '[[ $status -eq 3 ]]'
check "a failing test leaves no process, namespace, mount or file" 'within 5 nothing_left "$mark"'

# A test killed from outside (a harness's timeout): SIGKILL to the
# sandbox itself, while everything the test made is running.
mark=wgsbx$$k
"$sandbox" "$BASH" "$0" --payload "$mark" hang &
pid=$!
if within 20 'pgrep -f "$mark-sleep" >/dev/null && pgrep -f "wireguard-go $mark" >/dev/null'; then
  ok "the killed test's processes ran"
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null
  check "a test whose sandbox was killed leaves no process, namespace, mount or file" \
    'within 5 nothing_left "$mark"'
else
  not_ok "the killed test's processes ran"
  kill -KILL "$pid"
fi

# A real test aborted mid-run, as a failed assertion does: the backend
# suite with wireguard-go running.
if [[ -x ${WGD_TEST_WG_DEVICE:-} ]]; then
  "$sandbox" "$WGD_TEST_WG_DEVICE" -p /wg-device/set-endpoints-1000 >/dev/null 2>&1 &
  pid=$!
  if within 20 'pgrep -f "^wireguard-go wgt" >/dev/null'; then
    go=$(pgrep -f "^wireguard-go wgt" | head -n 1)
    iface=$(tr '\0' ' ' < "/proc/$go/cmdline" | awk '{ print $2 }')
    ok "test-wg-device started wireguard-go for $iface"
    pkill -ABRT -f "^$WGD_TEST_WG_DEVICE -p"
    wait "$pid"
    status=$?
    check "the aborted test failed (status $status)" '[[ $status -ne 0 ]]'
    check "the aborted test leaves no wireguard-go and no $iface" \
      'within 5 "! pgrep -f \"wireguard-go $iface\" >/dev/null && ! ip link show $iface >/dev/null 2>&1"'
  else
    not_ok "test-wg-device started wireguard-go"
    kill -KILL "$pid"
  fi
else
  not_ok "WGD_TEST_WG_DEVICE names the test-wg-device program"
fi

echo "1..$n"
