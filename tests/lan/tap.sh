# tap.sh — what the virtual-LAN tests share, to be sourced by bash after
# lan.sh: TAP output (with log tails on failure), waiting for a
# condition, a notify socket, and
# bringing up the LAN or saying why not (a skip on a developer's machine,
# a failure under CI=true, where everything needed is installed).

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }
# show_logs FILE...: the last 15 lines of each file as TAP comments.
show_logs() {
  local f
  for f in "$@"; do sed "s|^|# $(basename "$f"): |" "$f" | tail -n 15; done
}
# check_show DESCRIPTION CONDITION FILE...: check, with the files' tails
# shown when it fails.
check_show() {
  local what=$1 cond=$2
  shift 2
  if eval "$cond"; then ok "$what"; else not_ok "$what"; show_logs "$@"; fi
}

# Retries a condition for up to $1 seconds.
within() {
  local limit=$1 t
  shift
  for ((t = 0; t < limit * 5; t++)); do
    eval "$*" && return 0
    sleep 0.2
  done
  return 1
}

# notify_listen SOCKET LOG: a notify socket like systemd's (Type=notify);
# each datagram is appended to LOG with a newline after it. Its PID is in
# notify_pid.
notify_listen() {
  python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
out = open(sys.argv[2], "ab", buffering=0)
while True:
    out.write(s.recv(4096) + b"\n")
' "$1" "$2" &
  notify_pid=$!
  within 10 "[[ -S $1 ]]" || echo "# no notify socket at $1"
}

# tap_require FUNC WHAT: FUNC (lan_require, wan_require) succeeds, or a
# TAP plan says there is no WHAT and why, and the test exits.
tap_require() {
  local reason
  if ! reason=$("$1" 2>&1); then
    if [[ ${CI:-} == true ]]; then
      echo "1..1"; echo "not ok 1 - no $2: $reason"
    else
      echo "1..0 # SKIP no $2: $reason"
    fi
    exit 0
  fi
}

# tap_lan_up N: a LAN of N hosts, torn down on exit; or a TAP plan that
# says why there is none, and exit.
tap_lan_up() {
  tap_require lan_require "virtual LAN"
  trap 'lan_down' EXIT
  if ! lan_up "$1" >/dev/null 2>&1; then
    echo "1..1"; echo "not ok 1 - the virtual LAN did not come up"
    exit 0
  fi
}
