# server-lib.sh — what the rendezvous server's loopback tests share, to be
# sourced by bash after $server is set: a private working directory
# (the current one) removed on exit with every process in pids, TAP's
# check, starting and stopping the server, and base64url records.
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

# start CONFIG [ARGS]: starts the server with this configuration text and
# waits until it answers on $port; pid in $spid, its output in log. With
# fresh_state set, each server starts with an empty state directory.
start () {
  printf '%s\n' "$1" >conf
  shift
  [ -n "${fresh_state:-}" ] && rm -rf state
  "$server" --config conf --state-dir "$tmp/state" "$@" >>log 2>&1 &
  spid=$!
  pids+=("$spid")
  for _ in $(seq 100); do
    curl -s -m 5 -o /dev/null "${scheme:-http}://127.0.0.1:$port/metrics" ${curl_tls:-} && return 0
    kill -0 "$spid" 2>/dev/null || return 1
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
