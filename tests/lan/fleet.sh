# fleet.sh — what the tests of a fleet of rendezvous servers share
# (test-rendezvous-fleet.sh, test-rendezvous-fleet-mesh.sh), to be
# sourced by bash after lan.sh and tap.sh, once the LAN is up with $w its
# directory and $server wgdiscover-rendezvous, $daemon wgdiscoverd:
#
#   fleet_redis        a redis-server of the test's own on h3, on the
#                      socket $w/redis/sock; its PID in redis_pid
#   start_server I     server I (0, 1, 2) on h3 at urls[I] on that Redis;
#                      its PID in spid[I], its log $w/serverI.log
#   start_daemon N     wgdiscoverd on host N with $w/confN; its PID in
#                      daemon_pid[N], its log $w/logN
#   stop_pid PID [SIG] stops a process and waits for it (SIGTERM)
#
# shellcheck shell=bash disable=SC2034

ports=(18490 18491 18492)
urls=()
for p in "${ports[@]}"; do urls+=("http://10.77.0.3:$p"); done
declare -a spid daemon_pid

fleet_redis() {
  mkdir -p "$w/redis"
  lan_start 3 redis-server --port 0 --unixsocket "$w/redis/sock" --unixsocketperm 700 \
    --dir "$w/redis" --save '' --appendonly no >> "$w/redis.log" 2>&1
  redis_pid=$lan_started
  within 10 "[ \"\$(redis-cli -s '$w/redis/sock' ping 2>/dev/null)\" = PONG ]"
}

start_server() {
  printf '[Server]\nListen=10.77.0.3:%s\nAllowPlainHTTP=true\nRequestsPerSecond=1000\nRequestBurst=1000\nStore=unix:%s\n' \
    "${ports[$1]}" "$w/redis/sock" > "$w/server$1.conf"
  lan_start 3 "$server" --config "$w/server$1.conf" --state-dir "$w/server-state$1" >> "$w/server$1.log" 2>&1
  spid[$1]=$lan_started
  within 10 "lan_exec 3 curl -s -m 5 -o /dev/null ${urls[$1]}/metrics"
}

stop_pid() { kill "${2:--TERM}" "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

start_daemon() {
  lan_start "$1" "$daemon" --foreground --config "$w/conf$1" --state-dir "$w/state$1" >> "$w/log$1" 2>&1
  daemon_pid[$1]=$lan_started
}
