#!/usr/bin/env bash
# idle-wakeups.sh — how often an idle wgdiscoverd wakes up: two hosts on
# a virtual LAN (tests/lan/lan.sh) find each other, ping once over the
# tunnel, settle (IDLE_SETTLE seconds, default 40: the start's own
# timers run out), then host 1's daemon is traced with strace -f for
# IDLE_SECONDS (default 300). Every return of a poll-like call (poll,
# ppoll, epoll_wait, epoll_pwait) that could sleep, in any of its
# threads, is one wake-up; so is the end of the call each thread slept
# in when strace attached (restart_syscall: strace shows its start no
# more, and it is the first wake-up of the window). A return at once
# because the thread itself had just signalled its own wake-up eventfd
# (GLib 2.74 does so when it dispatches a source with file descriptors,
# such as avahi-glib's: it takes them out of the poll set and puts them
# back) never slept: it is shown, but not counted.
# Prints wake-ups per minute against the goal of at most 2; host 1's
# avahi-daemon, traced over the same window, is shown for scale (it is
# no reference: it answers the LAN). Needs root.
# With IDLE_RENDEZVOUS=1 both hosts also use a wgdiscover-rendezvous
# server on host 1 (plain HTTP on the virtual LAN): the daemon's
# rendezvous client then publishes there and may look peers up.
#
#   WGDISCOVERCTL, WGDISCOVERD  the binaries (default: under build/plain)
#   WGDISCOVER_RENDEZVOUS       the server, with IDLE_RENDEZVOUS=1
#   IDLE_TRACE                  a file to keep the daemon's trace in
#                               (with -tt times, to tell what woke it)
#   IDLE_TRACE_MORE             more system calls to trace, for that file
#                               (e.g. read,write,recvmsg,sendmsg); they
#                               are not counted
set -u

here=$(cd "$(dirname "$0")/.." && pwd)
ctl=${WGDISCOVERCTL:-$here/build/plain/src/ctl/wgdiscoverctl}
daemon=${WGDISCOVERD:-$here/build/plain/src/daemon/wgdiscoverd}
seconds=${IDLE_SECONDS:-300}
settle=${IDLE_SETTLE:-40}
rendezvous=${IDLE_RENDEZVOUS:-0}
server=${WGDISCOVER_RENDEZVOUS:-$here/build/plain/src/rendezvous/wgdiscover-rendezvous}
source "$here/tests/lan/lan.sh"

bins=("$ctl" "$daemon")
[[ $rendezvous == 1 ]] && bins+=("$server")
command -v strace >/dev/null || { echo "strace not found: apt-get install strace" >&2; exit 2; }
lan_bench_up 2 "set WGDISCOVERCTL/WGDISCOVERD/WGDISCOVER_RENDEZVOUS" "${bins[@]}"
ctl=$(realpath "$ctl")
daemon=$(realpath "$daemon")

for i in 1 2; do lan_node "$i" "$ctl" || exit 1; done
lan_peer 1 2 && lan_peer 2 1
setup="two hosts, endpoints set"
if [[ $rendezvous == 1 ]]; then
  url=http://10.77.0.1:18480
  printf '[Server]\nListen=10.77.0.1:18480\nAllowPlainHTTP=true\n' > "$w/server.conf"
  lan_start 1 "$(realpath "$server")" --config "$w/server.conf" --state-dir "$w/server-state" \
    > "$w/server.log" 2>&1
  for ((t = 0; t < 100; t++)); do
    lan_exec 1 bash -c 'exec 3<>/dev/tcp/10.77.0.1/18480' 2>/dev/null && break
    sleep 0.1
  done
  for i in 1 2; do
    printf '[Daemon]\nRendezvousURL=%s\nRendezvousPrivateAddresses=true\n[Interface wg0]\n' \
      "$url" > "$w/conf$i"
  done
  setup="$setup, both using the rendezvous server $url"
fi
declare -a pid
for i in 1 2; do
  lan_start "$i" "$daemon" --foreground --config "$w/conf$i" --state-dir "$w/state$i" > "$w/log$i" 2>&1
  pid[i]=$lan_started
done
found() { [[ $(lan_endpoint 1 2) == 10.77.0.2:51820 && $(lan_endpoint 2 1) == 10.77.0.1:51820 ]]; }
for ((t = 0; t < 300; t++)); do found && break; sleep 0.1; done
found || { echo "the hosts did not find each other" >&2; sed 's/^/  /' "$w/log1" >&2; exit 1; }
lan_exec 1 ping -c 1 -W 5 -q 10.78.0.2 >/dev/null || echo "# the tunnel did not answer a ping" >&2
sleep "$settle"

# wakeups PID: poll-like returns of PID's threads during the window.
polls=poll,ppoll,epoll_wait,epoll_pwait,select,pselect6,restart_syscall
trace() {
  timeout -s INT "$seconds" strace -f -qq -tt -e signal=none \
    -e trace="$polls,write${IDLE_TRACE_MORE:+,$IDLE_TRACE_MORE}" -p "$1" -o "$2" 2>/dev/null
}
avahi=$(lan_pidof 1 avahi-daemon | head -n 1)
trace "${pid[1]}" "$w/daemon.trace" &
tracer=$!
[[ -n $avahi ]] && trace "$avahi" "$w/avahi.trace"
wait "$tracer"
# wakeups TRACE: returns of the poll-like calls that could sleep (a
# timeout other than 0; a call split by another thread's is matched with
# its start), in all, then those at once on the thread's own signal (an
# eventfd it wrote since its last return, and nothing else ready), then
# the rest per thread; other calls traced are skipped.
wakeups() {
  awk -v polls="$polls" '
    BEGIN { split(polls, p, ","); for (i in p) poll[p[i]] = 1 }
    / write\([0-9]+, "\\1\\0\\0\\0\\0\\0\\0\\0", 8/ {
      fd = $0; sub(/.* write\(/, "", fd); sub(/,.*/, "", fd); signalled[$1] = signalled[$1] " " fd " "
    }
    function own_signal(line, tid,    rest, fd, any) {
      rest = line; any = 0
      while (match(rest, /fd=[0-9]+, revents/)) {
        fd = substr(rest, RSTART + 3, RLENGTH - 12); rest = substr(rest, RSTART + RLENGTH)
        if (index(signalled[tid], " " fd " ") == 0) return 0
        any = 1
      }
      return any
    }
    function name_of(line) {
      if (match(line, /<\.\.\. [a-z0-9_]+ resumed>/)) return substr(line, RSTART + 5, RLENGTH - 14)
      if (match(line, /[a-z0-9_]+\(/)) return substr(line, RSTART, RLENGTH - 1)
      return ""
    }
    !(name_of($0) in poll) { next }
    function timeout_of(line) {
      if (match(line, /, -?[0-9]+ <unfinished/) || match(line, /, -?[0-9]+\) += /)) {
        t = substr(line, RSTART + 2); sub(/[^-0-9].*/, "", t); return t
      }
      return "?"
    }
    / <unfinished \.\.\.>/ { pending[$1] = timeout_of($0); next }
    /resumed>/ { t = pending[$1]; delete pending[$1] }
    !/resumed>/ { t = timeout_of($0) }
    /\) += -?[0-9]/ {
      if (t != "0" && own_signal($0, $1)) own++
      else if (t != "0") { n[$1]++; all++ }
      delete signalled[$1]
    }
    END {
      printf "%d %d", all + 0, own + 0
      for (tid in n) printf " %s:%d", tid, n[tid]
      printf "\n"
    }' "$1"
}
per_minute() { awk -v n="$1" -v s="$seconds" 'BEGIN { printf "%.1f", n * 60 / s }'; }
read -r d own threads < <(wakeups "$w/daemon.trace")
echo "idle for ${seconds} s (after ${settle} s to settle), $setup"
echo "wgdiscoverd: $d wake-ups, $(per_minute "$d")/min (goal: at most 2/min); per thread: ${threads:-none}"
echo "  (and $own returns at once on the thread's own signal, which never slept: not counted)"
if [[ -n $avahi ]]; then
  read -r a _ _ < <(wakeups "$w/avahi.trace")
  echo "avahi-daemon (same host, same window, for scale): $a wake-ups, $(per_minute "$a")/min"
fi
kill -0 "${pid[1]}" 2>/dev/null || { echo "wgdiscoverd on host 1 died" >&2; exit 1; }
[[ -n ${IDLE_TRACE:-} ]] && cp "$w/daemon.trace" "$IDLE_TRACE"
exit 0
