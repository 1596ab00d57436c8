#!/bin/bash
# test-redis-sentinel.sh — wgdiscover-rendezvous with Store=sentinel://
# follows a Redis failover by itself: a primary, a replica and a Sentinel
# of the test's own on loopback (in the test's own network namespace),
# two servers on them. The primary is killed (SIGKILL); once Sentinel
# has promoted the replica, the servers store on it (503 meanwhile, no
# restart, no spinning), serve what was replicated before the kill,
# and the watcher on server 2, subscribed anew on the new primary,
# gets a record PUT on server 1 after the failover. Sentinel naming a
# primary that is not one (a stale answer) is refused; no Sentinel
# answering is an error at start. Prints TAP; skipped without
# redis-server. Needs $WGDISCOVER_RENDEZVOUS, $WGDISCOVERCTL,
# $WGD_RDV_CLIENT, curl, basenc.
#
# check evaluates its condition later: the variables it reads (SC2034)
# and the helpers it calls (SC2317) are used there.
# shellcheck disable=SC2016,SC2034,SC2317

set -u

server=${WGDISCOVER_RENDEZVOUS:?set WGDISCOVER_RENDEZVOUS to the wgdiscover-rendezvous binary}
ctl=${WGDISCOVERCTL:?set WGDISCOVERCTL to the wgdiscoverctl binary}
client=${WGD_RDV_CLIENT:?set WGD_RDV_CLIENT to tests/rendezvous/rdv-client}
for tool in curl basenc; do
  command -v "$tool" >/dev/null || { echo "Bail out! $tool is missing (tools/deps)"; exit 99; }
done

source "${srcdir:-.}/tests/rendezvous/server-lib.sh"
require_redis

echo "1..11"
primary_port=16391
replica_port=16392
sentinel_port=26391
ports=(18530 18531)
spids=()
store="Store=sentinel://127.0.0.1:$sentinel_port/rdv"

# redis_at PORT [OPTIONS]: a durable redis-server on 127.0.0.1:PORT, its
# data in redis.PORT/; pid in rpids[PORT].
declare -A rpids
redis_at () {
  local p=$1
  shift
  mkdir -p "redis.$p"
  redis-server --port "$p" --bind 127.0.0.1 --dir "$tmp/redis.$p" --appendonly yes \
    --appendfsync always --save '' --daemonize no --logfile "$tmp/redis.$p/log" "$@" &
  rpids[$p]=$!
  pids+=("${rpids[$p]}")
  for _ in $(seq 100); do
    [ "$(redis-cli -p "$p" ping 2>/dev/null)" = PONG ] && return 0
    sleep 0.05
  done
  return 1
}

# sentinel_primary: what the Sentinel says the primary is ("HOST PORT").
sentinel_primary () {
  redis-cli -p "$sentinel_port" sentinel get-master-addr-by-name rdv 2>/dev/null | tr '\n' ' ' |
    sed 's/ $//'
}

# serve I: server I on ports[I] behind the Sentinel, with the mesh.
serve () {
  local i=$1 p=${ports[$1]}
  printf '[Server]\nListen=127.0.0.1:%s\nRequestsPerSecond=1000\nRequestBurst=1000\n%s\n[Mesh office]\nCA=%s\n' \
    "$p" "$store" "$ca" >"conf.$i"
  "$server" --config "conf.$i" --state-dir "$tmp/state.$i" >>"log.$i" 2>&1 &
  spids[i]=$!
  pids+=("${spids[i]}")
  until_answers "${spids[i]}" "$p"
}

url () {
  echo "http://127.0.0.1:${ports[$1]}"
}

# put I FILE: PUT on server I; "STATUS T SENT" in put.out.
put () {
  "$client" --url "$(url "$1")" put "$2" >put.out
}

# served I FILE: server I serves exactly FILE.bin for alice's key.
served () {
  curl -s -m 5 -o body "$(url "$1")/v1/peers/$alice_key" \
    && sed -n 's/.*"record":"\([^"]*\)".*/\1/p' body | b64url_decode >served.bin \
    && cmp -s served.bin "$2.bin"
}

"$ctl" ca init >ca.key
ca=$("$ctl" ca pubkey <ca.key)
for node in alice carol; do "$ctl" genkey >$node; done
for node in alice carol; do
  "$ctl" ca sign --ca ca.key --name $node --signkey "$("$ctl" signkey <$node)" \
    --wgkey "$("$ctl" wgpubkey <$node)" --address 10.0.0.$((${#node} + 1)) >$node.ca.cert
done
alice_key=$("$ctl" wgpubkey <alice | tr '+/' '-_' | tr -d =)
now=$(date +%s)
for i in 0 1 2; do
  "$ctl" announce --identity alice --endpoint 192.0.2.2:$((51000 + i)) --cert alice.ca.cert \
    --timestamp $((now - 60 + i)) >"rec.$i"
  binary "rec.$i"
done

# No Sentinel there yet: the server says so and exits.
printf '[Server]\nListen=127.0.0.1:%s\n%s\n' "${ports[0]}" "$store" >conf.none
timeout 20 "$server" --config conf.none --state-dir "$tmp/state.none" >log.none 2>&1
status=$?
check "no Sentinel answering: the server exits with an error naming it" \
  '[ "$status" != 0 ] && [ "$status" != 124 ] &&
   grep -q "no Sentinel gave the primary .rdv.: Sentinel 127.0.0.1:$sentinel_port" log.none'

ok=1
redis_at $primary_port || ok=0
redis_at $replica_port --replicaof 127.0.0.1 $primary_port || ok=0
mkdir -p sentinel
cat >sentinel/conf <<CONF
port $sentinel_port
bind 127.0.0.1
dir $tmp/sentinel
sentinel monitor rdv 127.0.0.1 $primary_port 1
sentinel down-after-milliseconds rdv 1000
sentinel failover-timeout rdv 10000
CONF
redis-server sentinel/conf --sentinel --logfile "$tmp/sentinel/log" &
pids+=($!)
for _ in $(seq 200); do
  [ "$(sentinel_primary)" = "127.0.0.1 $primary_port" ] &&
    redis-cli -p $primary_port info replication | grep -q '^connected_slaves:1' && break
  sleep 0.05
done
check "a primary, its replica and a Sentinel watching them" \
  '[ $ok = 1 ] && [ "$(sentinel_primary)" = "127.0.0.1 $primary_port" ]'

ok=1
for i in 0 1; do serve $i || ok=0; done
check "two servers start behind the Sentinel and find the primary" \
  '[ $ok = 1 ] && grep -q "Redis at sentinel://127.0.0.1:$sentinel_port/rdv/0: the primary is 127.0.0.1:$primary_port" log.0'

put 0 rec.0.bin
check "a PUT on server 1 is stored on the primary" '[ "$(cut -d" " -f1 put.out)" = 200 ]'
"$client" --url "$(url 1)" --identity carol --cert carol.ca.cert watch --timeout 120 >watch.out &
pids+=($!)
for _ in $(seq 100); do grep -q '^open' watch.out && break; sleep 0.05; done
# What the primary answered reached the replica before it dies: the
# loss of the last writes before a failover is Redis's asynchronous
# replication's (README.md, "A production layout").
for _ in $(seq 200); do
  [ "$(redis-cli -p $replica_port exists "wgdiscover:rdv:r:$(printf '%s' "$("$ctl" wgpubkey <alice)" | base64 -d | od -An -tx1 -v | tr -d ' \n')")" = 1 ] && break
  sleep 0.05
done

kill -KILL "${rpids[$primary_port]}"
wait "${rpids[$primary_port]}" 2>/dev/null
: >codes
for _ in $(seq 300); do
  put 0 rec.1.bin
  code=$(cut -d" " -f1 put.out)
  echo "$code" >>codes
  [ "$code" = 200 ] && break
  sleep 0.1
done
echo "# PUT answers until the failover was done: $(sort codes | uniq -c | tr -s ' \n' ' ')"
check "after the primary is killed, a PUT on server 1 is stored again within 30 s (503 meanwhile)" \
  '[ "$(tail -n 1 codes)" = 200 ] && ! grep -qv "^\(200\|503\)$" codes'
check "Sentinel promoted the replica, and server 1 says it moved there" \
  '[ "$(sentinel_primary)" = "127.0.0.1 $replica_port" ] &&
   grep -q "the primary is 127.0.0.1:$replica_port" log.0'
check "server 2 serves the record PUT after the failover" \
  'for _ in $(seq 100); do served 1 rec.1 && break; sleep 0.1; done; served 1 rec.1'
check "the watcher on server 2, subscribed on the new primary, got it" \
  'for _ in $(seq 200); do grep -q "\"timestamp\":$((now - 59))[,}]" watch.out && break; sleep 0.05; done
   grep -q "\"timestamp\":$((now - 59))[,}]" watch.out'
check "the servers did not spin meanwhile: each logged at most 60 lines" \
  '[ "$(wc -l <log.0)" -le 60 ] && [ "$(wc -l <log.1)" -le 60 ]'

# Sentinel's answer is older than the failover it missed: it names a
# server that is a replica. The server refuses to store there.
redis-cli -p $replica_port replicaof 127.0.0.1 $primary_port >/dev/null
put 1 rec.2.bin
code=$(cut -d" " -f1 put.out)
check "a primary named by Sentinel that has become a replica is not written to (503, said in the log)" \
  '[ "$code" = 503 ] &&
   for _ in $(seq 100); do grep -q "is a slave, not the primary\|READONLY" log.1 && break; sleep 0.1; done &&
   grep -q "is a slave, not the primary\|READONLY" log.1'

unclean=0
for i in 0 1; do
  kill "${spids[i]}" 2>/dev/null
  wait "${spids[i]}" 2>/dev/null || unclean=$((unclean + 1))
done
check "both servers exit 0 on SIGTERM" '[ $unclean = 0 ]'
