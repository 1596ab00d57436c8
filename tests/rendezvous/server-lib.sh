# server-lib.sh — what the rendezvous server's loopback tests share, to be
# sourced by bash after $server is set: a private working directory
# (the current one) removed on exit with every process in pids, TAP's
# check, starting and stopping the server, and base64url records; and a
# redis-server of the test's own. With RDV_STORE=redis every server the
# test starts keeps its records on that Redis (the same suite, the other
# store); without redis-server the whole test is skipped.
#
# shellcheck shell=bash disable=SC2034

tmp=$(mktemp -d) || exit 99
pids=()
cleanup () {
  local p
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
cd "$tmp" || exit 99
umask 077

# check WHAT CONDITION: one TAP line; on failure the last answer (body)
# and the end of the server's log.
n=0
check () {
  n=$((n + 1))
  if eval "$2"; then
    echo "ok $n - $1"
  else
    echo "not ok $n - $1"
    sed 's/^/# body: /' body 2>/dev/null
    sed 's/^/# log: /' log 2>/dev/null | tail -n 5
  fi
}

# require_redis: skips the whole test (TAP's "1..0 # SKIP", never a pass)
# without redis-server.
require_redis () {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null && return 0
  echo "1..0 # SKIP redis-server is missing: install the Debian package redis-server (tools/deps)"
  exit 0
}

# redis_start [OPTIONS]: a redis-server on the unix socket $redis_sock
# only (no TCP port), its data in $tmp/redis, configured as the README
# says for durability (every write fsync()ed before Redis answers) unless
# OPTIONS say otherwise; pid in $rpid. Started again after redis_stop,
# it reads back what it wrote.
redis_sock=$tmp/redis/sock
redis_start () {
  mkdir -p "$tmp/redis"
  redis-server --port 0 --unixsocket "$redis_sock" --unixsocketperm 700 --dir "$tmp/redis" \
    --appendonly yes --appendfsync always --save '' --daemonize no \
    --logfile "$tmp/redis/log" "$@" &
  rpid=$!
  pids+=("$rpid")
  for _ in $(seq 100); do
    [ "$(redis-cli -s "$redis_sock" ping 2>/dev/null)" = PONG ] && return 0
    kill -0 "$rpid" 2>/dev/null || break
    sleep 0.05
  done
  echo "# redis-server did not start"
  sed 's/^/# redis: /' "$tmp/redis/log" | tail -n 5
  return 1
}

# redis_stop [SIGNAL]: stops it (SIGTERM, or SIGKILL: no last write).
redis_stop () {
  kill -"${1:-TERM}" "$rpid" 2>/dev/null
  wait "$rpid" 2>/dev/null
}

rcli () {
  redis-cli -s "$redis_sock" "$@"
}

# store_sockets: the sockets a server holds for its store (Redis: one).
store_conf=
store_sockets=0
if [ "${RDV_STORE:-sqlite}" = redis ]; then
  require_redis
  # shellcheck disable=SC2119
  redis_start || { echo "Bail out! redis-server did not start"; exit 99; }
  store_conf="Store=unix:$redis_sock"
  store_sockets=1
fi

# state_reset: the next server starts with no record: an empty state
# directory, and on Redis an empty database.
state_reset () {
  rm -rf state
  [ -z "$store_conf" ] || rcli flushall >/dev/null
}

# start CONFIG [ARGS]: starts the server with this configuration text and
# waits until it answers on $port; pid in $spid, its output in log. With
# fresh_state set, each server starts with an empty state directory. On
# Redis, Store= joins [Server].
start () {
  if [ -n "$store_conf" ]; then
    printf '%s\n' "$1" | sed "/^\[Server\]\$/a $store_conf" >conf
  else
    printf '%s\n' "$1" >conf
  fi
  shift
  [ -n "${fresh_state:-}" ] && state_reset
  # A server started anew has a full request bucket of its own; on
  # Redis the fleet's buckets outlive it (docs/rendezvous.md 4.3), so
  # they go too, for the suite to mean the same on both stores.
  if [ -n "$store_conf" ]; then
    rcli --scan --pattern 'wgdiscover:rdv:rl:*' | xargs -r redis-cli -s "$redis_sock" del >/dev/null
  fi
  "$server" --config conf --state-dir "$tmp/state" "$@" >>log 2>&1 &
  spid=$!
  pids+=("$spid")
  until_answers "$spid" "$port"
}

# until_answers PID PORT: waits until the server PID answers on PORT;
# fails when it exits first or takes more than 5 s.
until_answers () {
  for _ in $(seq 100); do
    curl -s -m 5 -o /dev/null "${scheme:-http}://127.0.0.1:$2/metrics" ${curl_tls:-} && return 0
    kill -0 "$1" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# stop: SIGTERM, which the server must answer by exiting with status 0;
# any other status is remembered (unclean) and said with its log.
unclean=0
stop () {
  local status
  kill "$spid" 2>/dev/null
  wait "$spid" 2>/dev/null
  status=$?
  if [ "$status" != 0 ]; then
    unclean=$((unclean + 1))
    echo "# the server ($spid) exited with status $status on SIGTERM"
    sed 's/^/# log: /' log | tail -n 10
  fi
}

# b64url_decode: base64url (unpadded) on standard input as bytes.
b64url_decode () {
  local t
  t=$(tr -d '\n')
  while [ $((${#t} % 4)) -ne 0 ]; do t="$t="; done
  printf '%s' "$t" | basenc --base64url -d
}

# binary FILE: the base64url record in FILE as bytes in FILE.bin.
binary () {
  b64url_decode <"$1" >"$1.bin"
}
