#!/bin/bash
# test-redis.sh — what only the Redis store has, with a redis-server of
# the test's own (server-lib.sh) and three wgdiscover-rendezvous on it:
# a record PUT on one is served by the others; two servers racing PUTs
# of two records of one key keep the newer, always, as GET on every
# server shows; Redis stopped or frozen gives 503 with Retry-After, the
# servers stay up and serve again by themselves once it is back; Redis
# killed (SIGKILL) and started again with appendfsync always still has
# every record answered 200 (and, the control, one without the
# append-only file has not); the password from StorePasswordFile=, never
# logged; no Redis at start is an error; redis:// over TCP into another
# database. Prints TAP; skipped without
# redis-server. Needs $WGDISCOVER_RENDEZVOUS, $WGDISCOVERCTL, curl, basenc.
#
# check evaluates its condition later: the variables it reads (SC2034)
# and the helpers it calls (SC2317) are used there.
# redis_start takes options only for the control below (SC2119).
# shellcheck disable=SC2016,SC2034,SC2317,SC2119

set -u

server=${WGDISCOVER_RENDEZVOUS:?set WGDISCOVER_RENDEZVOUS to the wgdiscover-rendezvous binary}
ctl=${WGDISCOVERCTL:?set WGDISCOVERCTL to the wgdiscoverctl binary}
for tool in curl basenc; do
  command -v "$tool" >/dev/null || { echo "Bail out! $tool is missing (tools/deps)"; exit 99; }
done

source "${srcdir:-.}/tests/rendezvous/server-lib.sh"
require_redis

echo "1..29"
redis_start || { echo "Bail out! redis-server did not start"; exit 99; }
ports=(18510 18511 18512)
spids=()

# serve I [CONFIG LINES]: server I on ports[I] with the shared Redis,
# its output in log.I; waits until it answers.
serve () {
  local i=$1 p=${ports[$1]}
  shift
  printf '[Server]\nListen=127.0.0.1:%s\nRequestsPerSecond=1000\nRequestBurst=1000\nStore=unix:%s\n' \
    "$p" "$redis_sock" >"conf.$i"
  for line in "$@"; do printf '%s\n' "$line" >>"conf.$i"; done
  "$server" --config "conf.$i" --state-dir "$tmp/state.$i" >>"log.$i" 2>&1 &
  spids[i]=$!
  pids+=("${spids[i]}")
  until_answers "${spids[i]}" "$p"
}

# put I FILE: PUT of FILE.bin to server I; status in $status, answer in body.
put () {
  status=$(curl -s -m 5 -o body -D headers -w '%{http_code}' -X PUT \
    --data-binary @"$2.bin" "http://127.0.0.1:${ports[$1]}/v1/announcements")
}

# get I NAME: GET of NAME's key on server I; status in $status.
get () {
  status=$(curl -s -m 5 -o body -D headers -w '%{http_code}' \
    "http://127.0.0.1:${ports[$1]}/v1/peers/$(cat "$2.key")")
}

# served I NAME FILE: server I serves exactly FILE.bin for NAME's key.
served () {
  get "$1" "$2" && [ "$status" = 200 ] \
    && sed -n 's/.*"record":"\([^"]*\)".*/\1/p' body | b64url_decode >served.bin \
    && cmp -s served.bin "$3.bin"
}

json () {
  sed -n 's/.*"'"$1"'":\("\([^"]*\)"\|\([^,}"]*\)\).*/\2\3/p' body
}

retry_after () {
  tr -d '\r' <headers | awk -F': ' 'tolower($1) == "retry-after" { print $2 }'
}

# until_served I NAME FILE: waits up to 10 s for server I to serve it again.
until_served () {
  for _ in $(seq 100); do
    served "$@" && return 0
    sleep 0.1
  done
  return 1
}

# node NAME: an identity NAME and its key, URL-ready, in NAME.key.
node () {
  "$ctl" genkey >"$1"
  "$ctl" wgpubkey <"$1" | tr '+/' '-_' | tr -d = >"$1.key"
}

# announce NAME RECORD AGE PORT: RECORD.bin, NAME's record AGE s old.
announce () {
  "$ctl" announce --identity "$1" --endpoint "192.0.2.1:$4" --timestamp $((now - $3)) >"$2"
  binary "$2"
}

now=$(date +%s)
serve 0 && serve 1 && serve 2
ok=$?
check "three servers start on one redis-server" '[ "$ok" = 0 ]'
node a
announce a a1 30 1001
put 0 a1
check "a PUT on server 1 is stored" '[ "$status" = 200 ] && [ "$(json status)" = stored ]'
check "servers 2 and 3 serve it byte for byte" 'served 1 a a1 && served 2 a a1'
put 2 a1
check "the same record on server 3: already known" \
  '[ "$status" = 200 ] && [ "$(json status)" = already-known ]'
announce a a0 40 1000
put 1 a0
check "an older record of the key on server 2: 409 replayed" \
  '[ "$status" = 409 ] && [ "$(json error)" = replayed ]'
check "every server counts the one record" \
  '[ "$(curl -s "http://127.0.0.1:${ports[2]}/metrics" | awk "\$1 == \"wgdiscover_rendezvous_records\" { print \$2 }")" = 1 ]'

# --- racing ------------------------------------------------------------------
# Each round: a fresh key, its older and newer record PUT at once, twice
# each, to two different servers, in an order that changes every round.
rounds=12
wrong=0
bad_status=0
for r in $(seq "$rounds"); do
  node "r$r"
  announce "r$r" "r$r.old" 20 2000
  announce "r$r" "r$r.new" 10 2001
  x=$((r % 3))
  y=$(((r + 1) % 3))
  if [ $((r % 2)) = 0 ]; then first=old; second=new; else first=new; second=old; fi
  cpids=()
  for f in "$first" "$second" "$first" "$second"; do
    [ "$f" = new ] && s=$x || s=$y
    curl -s -m 5 -o /dev/null -w '%{http_code}\n' -X PUT --data-binary @"r$r.$f.bin" \
      "http://127.0.0.1:${ports[$s]}/v1/announcements" >"race.$r.${#cpids[@]}" &
    cpids+=($!)
  done
  for c in "${cpids[@]}"; do wait "$c"; done
  [ "$(cat "race.$r".* | grep -cx '200\|409')" = 4 ] || bad_status=$((bad_status + 1))
  for s in 0 1 2; do served "$s" "r$r" "r$r.new" || wrong=$((wrong + 1)); done
done
check "$rounds rounds of racing PUTs on two servers: each answered 200 or 409" \
  '[ "$bad_status" = 0 ]'
check "after every round all three servers serve the newer record" '[ "$wrong" = 0 ]'
check "and the older one is refused everywhere afterwards" \
  'put 0 r1.old && [ "$status" = 409 ] && put 2 r2.old && [ "$status" = 409 ]'

# --- Redis away -----------------------------------------------------------------
node b
announce b b1 5 3000
redis_stop TERM
put 0 b1
check "Redis stopped: a PUT is answered 503 unavailable" \
  '[ "$status" = 503 ] && [ "$(json error)" = unavailable ]'
check "with Retry-After in seconds" '[ "$(retry_after)" -ge 1 ]'
get 1 a
check "a GET on another server: 503 with Retry-After" \
  '[ "$status" = 503 ] && [ "$(json error)" = unavailable ] && [ "$(retry_after)" -ge 1 ]'
check "the servers stay up and answer /metrics" \
  'kill -0 "${spids[0]}" && kill -0 "${spids[1]}" && kill -0 "${spids[2]}" &&
   [ "$(curl -s -m 5 -o /dev/null -w "%{http_code}" "http://127.0.0.1:${ports[0]}/metrics")" = 200 ]'
check "the failure is logged with the reason" 'grep -q "WARNING.*store: Redis at unix:" log.0'
redis_start
check "Redis back: every server serves again by itself" \
  'until_served 0 a a1 && until_served 1 a a1 && until_served 2 a a1'
put 0 b1
check "and stores again, its log saying Redis is back" \
  '[ "$status" = 200 ] && served 2 b b1 && grep -q "Redis at unix:.*: connected again" log.0'

# Frozen, Redis still accepts connections but answers nothing: each
# request must still be answered (the command's timeout), not hang.
kill -STOP "$rpid"
codes=
for _ in 1 2 3 4 5; do
  get 1 b
  codes="$codes $status"
done
check "Redis frozen (SIGSTOP): five GETs are answered 503, none hangs" \
  '[ "$codes" = " 503 503 503 503 503" ]'
kill -CONT "$rpid"
check "Redis thawed: served again by itself" 'until_served 1 b b1'

# --- durability -------------------------------------------------------------
accepted=0
for i in $(seq 20); do
  node "d$i"
  announce "d$i" "d$i.rec" 5 $((4000 + i))
  put $((i % 3)) "d$i.rec"
  [ "$status" = 200 ] && accepted=$((accepted + 1))
done
check "20 new records answered 200 on the three servers" '[ "$accepted" = 20 ]'
redis_stop KILL
redis_start
lost=0
until_served 0 d1 d1.rec
for i in $(seq 20); do served $((i % 3)) "d$i" "d$i.rec" || lost=$((lost + 1)); done
check "Redis killed (SIGKILL) and started again: all 20 still served" '[ "$lost" = 0 ]'
check "and the records from before too" 'served 0 a a1 && served 1 b b1 && served 2 r3 r3.new'
# The control: without the append-only file the same kill loses a record
# answered 200, so the check above can fail.
redis_stop TERM
redis_start --appendonly no
node c
announce c c1 5 5000
for _ in $(seq 50); do put 0 c1; [ "$status" = 200 ] && break; sleep 0.1; done
control=$status
redis_stop KILL
redis_start
until_served 0 a a1
get 0 c
check "control: Redis without appendonly, killed alike, lost a record answered 200" \
  '[ "$control" = 200 ] && [ "$status" = 404 ] && served 1 d7 d7.rec'

# --- start-up --------------------------------------------------------------------
# stop_server I: SIGTERM; an exit status other than 0 (a leak found by
# LeakSanitizer, say) is counted in unclean and its log shown.
unclean=0
stop_server () {
  local status
  kill "${spids[$1]}"
  wait "${spids[$1]}"
  status=$?
  if [ "$status" != 0 ]; then
    unclean=$((unclean + 1))
    echo "# server $1 exited with status $status on SIGTERM"
    sed 's/^/# log: /' "log.$1" | tail -n 20
  fi
}
stop_server 0
rcli config set appendfsync everysec >/dev/null
serve 0 2>/dev/null
ok=$?
check "a Redis without appendfsync always: the server starts and warns" \
  '[ "$ok" = 0 ] && grep -q "appendfsync everysec" log.0'
stop_server 0
rcli config set appendfsync always >/dev/null
rcli config set requirepass 'pw-7f3a9c' >/dev/null
printf 'pw-7f3a9c\n' >password
printf 'pw-wrong\n' >wrong
serve 0 "StorePasswordFile=$tmp/password"
ok=$?
check "Redis with a password: StorePasswordFile= is sent, records are served" \
  '[ "$ok" = 0 ] && served 0 d5 d5.rec'
printf '[Server]\nListen=127.0.0.1:18519\nStore=unix:%s\nStorePasswordFile=%s/wrong\n' \
  "$redis_sock" "$tmp" >conf.wrong
"$server" --config conf.wrong --state-dir "$tmp/state" >out.wrong 2>&1
rc=$?
check "a wrong password: the server exits at start, saying why" \
  '[ "$rc" = 1 ] && grep -q "AUTH" out.wrong'
check "no log or message ever holds the password" \
  '! grep -q "pw-" log.0 log.1 log.2 out.wrong'
printf '[Server]\nListen=127.0.0.1:18519\nStore=unix:%s/none.sock\n' "$tmp" >conf.none
"$server" --config conf.none --state-dir "$tmp/state" >out.none 2>&1
rc=$?
check "no Redis at start: the server exits, naming where it looked" \
  '[ "$rc" = 1 ] && grep -q "Redis at unix:$tmp/none.sock" out.none'
# Over TCP, in another database: a second redis-server on loopback.
redis-server --port 16379 --bind 127.0.0.1 --dir "$tmp/redis" --save '' --appendonly yes \
  --appendfilename tcp.aof --appendfsync always --daemonize no --logfile "$tmp/redis/tcp.log" &
pids+=($!)
for _ in $(seq 100); do
  [ "$(redis-cli -p 16379 ping 2>/dev/null)" = PONG ] && break
  sleep 0.05
done
printf '[Server]\nListen=127.0.0.1:18519\nStore=redis://127.0.0.1:16379/3\n' >conf.tcp
"$server" --config conf.tcp --state-dir "$tmp/state" >>log.3 2>&1 &
spids[3]=$!
ports[3]=18519
pids+=("${spids[3]}")
node t
announce t t1 5 6000
for _ in $(seq 100); do put 3 t1; [ "$status" = 200 ] && break; sleep 0.05; done
check "Store=redis://127.0.0.1:16379/3: over TCP, into database 3" \
  '[ "$status" = 200 ] && served 3 t t1 &&
   [ "$(redis-cli -p 16379 -n 3 --scan --pattern "wgdiscover:rdv:r:*" | wc -l)" = 1 ] &&
   [ "$(redis-cli -p 16379 -n 0 dbsize)" = 0 ]'
for i in 0 1 2 3; do stop_server "$i"; done
check "every server stopped with SIGTERM exited with status 0" '[ "$unclean" = 0 ]'
exit 0
