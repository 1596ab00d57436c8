#!/usr/bin/env bash
# rendezvous.sh — wgdiscover-rendezvous under load on loopback, with wrk
# as the load generator, against references measured in the same run:
#
#   GET /v1/peers/KEY  of one stored record, against nginx serving a static
#                      file of the same bytes at the same path, once with
#                      keep-alive (nginx's default) and once with
#                      keepalive_timeout 0: the server closes every
#                      connection after its answer (src/rendezvous/server.c,
#                      on_request), so each of its requests is a new TCP
#                      connection, and the second reference does the same
#   PUT, accepted      records of new keys (bench/rdv-records), each sent
#                      once, every one verified and written to the store
#                      (synchronous=FULL: an fsync each) before its answer;
#                      with the store in the temporary directory, and, when
#                      that is no tmpfs, again with it on /dev/shm
#   PUT, already-known the stored record again: verified, nothing written
#   the Redis store    GET and accepted PUTs again with Store=unix: on a
#                      redis-server of the bench's own (appendonly yes,
#                      appendfsync always: every accepted record fsynced
#                      before its answer, as README.md advises), once on one
#                      server and once spread over three servers on that
#                      one Redis (three wrk at a third of the connections
#                      each; rates summed, the worst p99 of the three);
#                      skipped, said so, without redis-server
#   verify             bare crypto_sign_verify_detached of that record on
#                      one core (bench/verify), the check every PUT
#                      must pass, and that with the derived binding's
#                      check (crypto_sign_ed25519_pk_to_curve25519), which
#                      these records, without certificate, need as well
#
# and prints requests/s with p50/p99 latency and the ratios. The server
# and nginx (one worker, like the server's one thread) get the same wrk
# parameters. Timings on a shared machine are noisy: the measurements run
# in rounds, one after the other in each, so that a change of the
# machine's load hits all alike; the medians over the rounds are printed,
# a ratio is the median of the rounds' ratios. Read the ratios, not the
# absolute figures; nothing here asserts a speed. Needs wrk, nginx and
# curl (tools/deps); as root nginx runs as nobody.
#
#   WGD_BUILDDIR            the build directory (default build/plain)
#   WGDISCOVER_RENDEZVOUS, WGDISCOVERCTL   the binaries (default: under it)
#   RDV_BENCH_ROUNDS        rounds (default 5)
#   RDV_BENCH_SECONDS       seconds of each measurement in a round (default 1)
#   RDV_BENCH_CONNECTIONS   wrk's connections (default 16)
#   RDV_BENCH_RECORDS       records per round for the accepted PUTs
#                           (default 5000; when they are used up early
#                           that measurement ends early, its rate is right)
#   RDV_BENCH_PORT          the first of seven loopback ports (default 18490)
set -u

here=$(cd "$(dirname "$0")/.." && pwd)
builddir=${WGD_BUILDDIR:-$here/build/plain}
server=${WGDISCOVER_RENDEZVOUS:-$builddir/src/rendezvous/wgdiscover-rendezvous}
ctl=${WGDISCOVERCTL:-$builddir/src/ctl/wgdiscoverctl}
make_records=$builddir/bench/rdv-records
verify_rate=$builddir/bench/verify
seconds=${RDV_BENCH_SECONDS:-1}
rounds=${RDV_BENCH_ROUNDS:-5}
connections=${RDV_BENCH_CONNECTIONS:-16}
n_records=${RDV_BENCH_RECORDS:-5000}
port=${RDV_BENCH_PORT:-18490}
threads=1
nginx_keepalive_port=$((port + 1))
nginx_close_port=$((port + 2))

for bin in "$server" "$ctl" "$make_records" "$verify_rate"; do
  [[ -x $bin ]] || { echo "$bin not found: build first, or set WGD_BUILDDIR" >&2; exit 2; }
done
for tool in wrk nginx curl basenc; do
  command -v "$tool" >/dev/null || { echo "$tool not found (tools/deps)" >&2; exit 2; }
done

tmp=$(mktemp -d) || exit 1
pids=()
dirs=("$tmp")
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "${dirs[@]}"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
# nginx may run as nobody: it must reach its own directory.
chmod 755 "$tmp"

fail() {
  echo "rendezvous bench: $*" >&2
  exit 1
}

# wait_http URL: until something answers at URL (5 s at most).
wait_http() {
  for _ in $(seq 100); do
    curl -s -o /dev/null "$1" && return 0
    sleep 0.05
  done
  return 1
}

# start_server PORT DIR [STORE]: the server, with its state in DIR and a
# rate limit that lets the load through (every request comes from
# 127.0.0.1); STORE is a Store= line.
start_server() {
  mkdir -p "$2" && chmod 700 "$2"
  cat > "$2/conf" <<CONF
[Server]
Listen=127.0.0.1:$1
RequestsPerSecond=100000
RequestBurst=100000
MaxRecords=1000000
${3:-}
CONF
  "$server" --config "$2/conf" --state-dir "$2/state" > "$2/log" 2>&1 &
  pids+=("$!")
  wait_http "http://127.0.0.1:$1/metrics" || { cat "$2/log" >&2; fail "the server did not start"; }
}
start_server "$port" "$tmp/server"

# stored PORT: the records the server on PORT holds.
stored() {
  curl -s "http://127.0.0.1:$1/metrics" | awk '$1 == "wgdiscover_rendezvous_records" { print $2 }'
}

# The record GET serves and the already-known PUTs send, made as a node
# makes it.
(umask 077 && "$ctl" genkey > "$tmp/server/id")
key=$("$ctl" wgpubkey < "$tmp/server/id" | tr '+/' '-_' | tr -d =)
"$ctl" announce --identity "$tmp/server/id" --endpoint 192.0.2.1:51820 > "$tmp/record.b64"
record_b64=$(tr -d '\n' < "$tmp/record.b64")
while (( ${#record_b64} % 4 )); do record_b64+="="; done
printf '%s' "$record_b64" | basenc --base64url -d > "$tmp/record.bin"
od -An -v -tx1 "$tmp/record.bin" | tr -d ' \n' > "$tmp/record.hex"
echo >> "$tmp/record.hex"
status=$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary @"$tmp/record.bin" \
  "http://127.0.0.1:$port/v1/announcements")
[[ $status == 200 ]] || fail "PUT of the record: status $status"
status=$(curl -s -o "$tmp/answer" -w '%{http_code}' "http://127.0.0.1:$port/v1/peers/$key")
[[ $status == 200 ]] || fail "GET of the record: status $status"
answer_size=$(stat -c %s "$tmp/answer")

# nginx, unprivileged, everything in its own directory: the answer as a
# static file at the same path, served with and without keep-alive.
ng=$tmp/nginx
mkdir -p "$ng/html/v1/peers" "$ng/temp"
cp "$tmp/answer" "$ng/html/v1/peers/$key"
cat > "$ng/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $ng/nginx.pid;
error_log $ng/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  default_type application/json;
  client_body_temp_path $ng/temp/body;
  proxy_temp_path $ng/temp/proxy;
  fastcgi_temp_path $ng/temp/fastcgi;
  uwsgi_temp_path $ng/temp/uwsgi;
  scgi_temp_path $ng/temp/scgi;
  server { listen 127.0.0.1:$nginx_keepalive_port; root $ng/html; }
  server { listen 127.0.0.1:$nginx_close_port; root $ng/html; keepalive_timeout 0; }
}
CONF
nginx_cmd=(nginx -p "$ng" -c "$ng/nginx.conf" -e "$ng/error.log")
if [[ $(id -u) -eq 0 ]]; then
  chown -R nobody:nogroup "$ng"
  nginx_cmd=(setpriv --reuid=nobody --regid=nogroup --clear-groups -- "${nginx_cmd[@]}")
fi
"${nginx_cmd[@]}" > "$ng/stdout" 2>&1 &
pids+=("$!")
for p in "$nginx_keepalive_port" "$nginx_close_port"; do
  wait_http "http://127.0.0.1:$p/" || { cat "$ng/error.log" "$ng/stdout" >&2; fail "nginx did not start"; }
  curl -s -o "$tmp/nginx-answer" "http://127.0.0.1:$p/v1/peers/$key"
  cmp -s "$tmp/answer" "$tmp/nginx-answer" || fail "nginx on port $p does not serve the same bytes"
done

# The Redis store: a redis-server of our own, durable as README.md says,
# and three servers on it (the first alone for the one-server figures).
redis_ports=()
if command -v redis-server >/dev/null; then
  rd=$tmp/redis
  mkdir -p "$rd" && chmod 700 "$rd"
  redis-server --port 0 --unixsocket "$rd/sock" --unixsocketperm 700 --dir "$rd" --save '' \
    --appendonly yes --appendfsync always > "$rd/log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 100); do
    [[ $(redis-cli -s "$rd/sock" ping 2>/dev/null) == PONG ]] && break
    sleep 0.05
  done
  for i in 0 1 2; do
    start_server "$((port + 4 + i))" "$tmp/redis-server.$i" "Store=unix:$rd/sock"
    redis_ports+=("$((port + 4 + i))")
  done
  status=$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary @"$tmp/record.bin" \
    "http://127.0.0.1:${redis_ports[0]}/v1/announcements")
  [[ $status == 200 ]] || fail "PUT of the record on Redis: status $status"
  redis_urls=()
  for p in "${redis_ports[@]}"; do redis_urls+=("http://127.0.0.1:$p"); done
else
  echo "rendezvous bench: no redis-server (tools/deps): the Redis store is not measured"
fi

# run_wrk URL: one wrk run of $seconds; sets w_requests, w_seconds,
# w_rps, w_p50 and w_p99 (ms) and w_bytes (per answer). Fails on an answer
# with an error status: it would measure something else.
run_wrk() {
  wrk -t "$threads" -c "$connections" -d "${seconds}s" -s "$here/bench/rendezvous.lua" "$1" \
    > "$tmp/wrk.out" 2>&1
  read_wrk "$1" "$tmp/wrk.out"
}

# run_wrk_spread URL...: one wrk per URL at the same time, the connections
# shared out; with RDV_BENCH_RECORDS set, wrk I sends FILE.I. Sets what
# run_wrk sets: requests and rates summed, the slowest p50 and p99.
run_wrk_spread() {
  local i n=$# urls=("$@") wpids=() requests=0 seconds_max=0 p50=0 p99=0 bytes=0
  for ((i = 0; i < n; i++)); do
    RDV_BENCH_RECORDS=${RDV_BENCH_RECORDS:+$RDV_BENCH_RECORDS.$i} \
      wrk -t "$threads" -c $((connections / n)) -d "${seconds}s" -s "$here/bench/rendezvous.lua" \
      "${urls[i]}" > "$tmp/wrk.out.$i" 2>&1 &
    wpids+=("$!")
  done
  for ((i = 0; i < n; i++)); do wait "${wpids[i]}"; done
  for ((i = 0; i < n; i++)); do
    read_wrk "${urls[i]}" "$tmp/wrk.out.$i"
    requests=$((requests + w_requests))
    bytes=$((bytes + w_bytes * w_requests))
    seconds_max=$(awk -v a="$seconds_max" -v b="$w_seconds" 'BEGIN { print (b > a) ? b : a }')
    p50=$(awk -v a="$p50" -v b="$w_p50" 'BEGIN { print (b > a) ? b : a }')
    p99=$(awk -v a="$p99" -v b="$w_p99" 'BEGIN { print (b > a) ? b : a }')
  done
  w_requests=$requests
  w_seconds=$seconds_max
  w_rps=$(awk -v n="$requests" -v d="$seconds_max" 'BEGIN { printf "%.0f", n / d }')
  w_p50=$p50
  w_p99=$p99
  w_bytes=$((bytes / requests))
}

# read_wrk URL FILE: the figures of one wrk run's output.
read_wrk() {
  local line requests duration bytes p50 p99 socket_errors http_errors
  line=$(grep '^result ' "$2") || { cat "$2" >&2; fail "wrk failed on $1"; }
  read -r _ requests duration bytes p50 p99 socket_errors http_errors <<< "$line"
  (( requests > 0 )) || fail "$1: no request answered"
  (( http_errors == 0 )) || { cat "$2" >&2; fail "$1: $http_errors answers with an error status"; }
  (( socket_errors == 0 )) || echo "  ($1: $socket_errors socket errors)"
  w_requests=$requests
  w_seconds=$(awk -v d="$duration" 'BEGIN { printf "%.3f", d / 1e6 }')
  w_rps=$(awk -v n="$requests" -v d="$duration" 'BEGIN { printf "%.0f", n * 1e6 / d }')
  w_p50=$(awk -v v="$p50" 'BEGIN { printf "%.2f", v / 1000 }')
  w_p99=$(awk -v v="$p99" 'BEGIN { printf "%.2f", v / 1000 }')
  w_bytes=$((bytes / requests))
}

# Every round's figures go to $tmp/m/NAME.FIGURE, one a line.
mkdir "$tmp/m"
keep() {
  echo "$3" >> "$tmp/m/$1.$2"
}
keep_wrk() {
  keep "$1" rps "$w_rps"
  keep "$1" p50 "$w_p50"
  keep "$1" p99 "$w_p99"
  keep "$1" bytes "$w_bytes"
}
sum() {
  awk '{ s += $1 } END { print s }' "$tmp/m/$1.$2"
}
median() {
  sort -n "$tmp/m/$1.$2" |
    awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m }'
}
ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", a / b }'
}
show_wrk() {
  printf '  %-34s %8.0f req/s   p50 %6.2f ms   p99 %6.2f ms   %4.0f B/answer\n' "$2" \
    "$(median "$1" rps)" "$(median "$1" p50)" "$(median "$1" p99)" "$(median "$1" bytes)"
}
show_ratio() {
  printf '  %-38s %.3f%s\n' "$2" "$(median "$1" ratio)" "${3:-}"
}

get_url=/v1/peers/$key
echo "rendezvous bench: wrk -t $threads -c $connections on 127.0.0.1;" \
  "wgdiscover-rendezvous (one thread) and nginx (one worker) on $(nproc) CPUs;" \
  "medians of $rounds rounds of ${seconds} s, the measurements of a round one after the other"
echo "GET /v1/peers/KEY: a body of $answer_size bytes; wgdiscover-rendezvous closes" \
  "every connection after its answer"
for ((r = 1; r <= rounds; r++)); do
  run_wrk "http://127.0.0.1:$port$get_url"
  keep_wrk get
  ours=$w_rps
  run_wrk "http://127.0.0.1:$nginx_keepalive_port$get_url"
  keep_wrk nginx_keepalive
  keep nginx_keepalive ratio "$(ratio "$ours" "$w_rps")"
  run_wrk "http://127.0.0.1:$nginx_close_port$get_url"
  keep_wrk nginx_close
  keep nginx_close ratio "$(ratio "$ours" "$w_rps")"
  if [[ ${#redis_ports[@]} -gt 0 ]]; then
    run_wrk "${redis_urls[0]}$get_url"
    keep_wrk get_redis1
    keep get_redis1 ratio "$(ratio "$w_rps" "$ours")"
    run_wrk_spread "${redis_urls[@]/%/$get_url}"
    keep_wrk get_redis3
    keep get_redis3 ratio "$(ratio "$w_rps" "$ours")"
  fi
done
show_wrk get "wgdiscover-rendezvous"
show_wrk nginx_keepalive "nginx, keep-alive"
show_wrk nginx_close "nginx, keepalive_timeout 0"
show_ratio nginx_keepalive "ratio GET / nginx keep-alive:" "   (goal >= 0.5)"
show_ratio nginx_close "ratio GET / nginx keepalive_timeout 0:" "   (goal >= 0.5)"
if [[ ${#redis_ports[@]} -gt 0 ]]; then
  show_wrk get_redis1 "Redis store, one server"
  show_wrk get_redis3 "Redis store, three servers"
  show_ratio get_redis1 "ratio GET Redis one / SQLite:"
  show_ratio get_redis3 "ratio GET Redis three / SQLite:"
fi

# Records of new keys, a file for each round, the same for both stores.
for ((r = 1; r <= rounds; r++)); do
  "$make_records" "$n_records" > "$tmp/records.$r.hex" || fail "bench/rdv-records failed"
done
# Others for the three servers on the Redis the one server filled, a
# third for each.
if [[ ${#redis_ports[@]} -gt 0 ]]; then
  for ((r = 1; r <= rounds; r++)); do
    "$make_records" "$n_records" |
      awk -v f="$tmp/records3.$r.hex" '{ print > (f "." ((NR - 1) % 3)) }' ||
      fail "bench/rdv-records failed"
  done
fi
state_fs=$(df --output=fstype "$tmp/server" | tail -n 1)
stores=("$port")
# The same on a memory file system, where a commit waits for no disk:
# what is left is the server's own work, verification included.
if [[ $state_fs != tmpfs && $(df --output=fstype /dev/shm 2>/dev/null | tail -n 1) == tmpfs ]]; then
  shm=$(mktemp -d -p /dev/shm) || fail "no directory in /dev/shm"
  dirs+=("$shm")
  start_server "$((port + 3))" "$shm"
  stores+=("$((port + 3))")
fi

# put_accepted PORT ROUND: PUTs each record of the round once to the
# server on PORT. Answers still in flight when wrk stops are stored but
# not counted, and after the last record wrk may send it again (answered
# already-known), so the accepted ones are the fewer of wrk's answers and
# the records the store gained.
put_accepted() {
  local before gained accepted
  before=$(stored "$1")
  RDV_BENCH_PUT=distinct RDV_BENCH_RECORDS=$tmp/records.$2.hex RDV_BENCH_THREADS=$threads \
    run_wrk "http://127.0.0.1:$1/v1/announcements"
  gained=$(( $(stored "$1") - before ))
  accepted=$(( gained < w_requests ? gained : w_requests ))
  w_rps=$(awk -v n="$accepted" -v s="$w_seconds" 'BEGIN { printf "%.0f", n / s }')
  keep_wrk "accepted_$1"
  keep "accepted_$1" accepted "$accepted"
  keep "accepted_$1" answers "$w_requests"
  keep "accepted_$1" seconds "$w_seconds"
}

# put_accepted_spread ROUND: as put_accepted, over the three servers on
# Redis, which count the same records.
put_accepted_spread() {
  local before gained accepted
  before=$(stored "${redis_ports[0]}")
  RDV_BENCH_PUT=distinct RDV_BENCH_RECORDS=$tmp/records3.$1.hex RDV_BENCH_THREADS=$threads \
    run_wrk_spread "${redis_urls[@]/%//v1/announcements}"
  gained=$(( $(stored "${redis_ports[0]}") - before ))
  accepted=$(( gained < w_requests ? gained : w_requests ))
  w_rps=$(awk -v n="$accepted" -v s="$w_seconds" 'BEGIN { printf "%.0f", n / s }')
  keep_wrk accepted_redis3
  keep accepted_redis3 accepted "$accepted"
  keep accepted_redis3 answers "$w_requests"
  keep accepted_redis3 seconds "$w_seconds"
}

for ((r = 1; r <= rounds; r++)); do
  for p in "${stores[@]}"; do
    put_accepted "$p" "$r"
  done
  if [[ ${#redis_ports[@]} -gt 0 ]]; then
    put_accepted "${redis_ports[0]}" "$r"
    keep "accepted_${redis_ports[0]}" vs_sqlite \
      "$(ratio "$(tail -n 1 "$tmp/m/accepted_${redis_ports[0]}.rps")" "$(tail -n 1 "$tmp/m/accepted_$port.rps")")"
    put_accepted_spread "$r"
    keep accepted_redis3 vs_sqlite \
      "$(ratio "$(tail -n 1 "$tmp/m/accepted_redis3.rps")" "$(tail -n 1 "$tmp/m/accepted_$port.rps")")"
  fi
  RDV_BENCH_PUT=repeat RDV_BENCH_RECORDS=$tmp/record.hex \
    run_wrk "http://127.0.0.1:$port/v1/announcements"
  keep_wrk known
  "$verify_rate" "$seconds" < "$tmp/record.hex" > "$tmp/verify" || fail "bench/verify failed"
  verify=$(awk '$1 == "verify_per_second" { print $2 }' "$tmp/verify")
  keep verify rps "$verify"
  keep derive rps "$(awk '$1 == "verify_derive_per_second" { print $2 }' "$tmp/verify")"
  for p in "${stores[@]}"; do
    keep "accepted_$p" ratio "$(ratio "$(tail -n 1 "$tmp/m/accepted_$p.rps")" "$verify")"
  done
  keep known ratio "$(ratio "$w_rps" "$verify")"
done

echo "PUT /v1/announcements: records of $(stat -c %s "$tmp/record.bin") bytes"
for p in "${stores[@]}"; do
  fs=$state_fs
  [[ $p == "$port" ]] || fs=tmpfs
  show_wrk "accepted_$p" "accepted, new key each, on $fs"
  echo "    in all rounds $(sum "accepted_$p" accepted) accepted of" \
    "$(sum "accepted_$p" answers) answers in $(sum "accepted_$p" seconds) s" \
    "($n_records new records a round)"
done
if [[ ${#redis_ports[@]} -gt 0 ]]; then
  show_wrk "accepted_${redis_ports[0]}" "accepted, Redis, one server"
  show_wrk accepted_redis3 "accepted, Redis, three servers"
  echo "    in all rounds $(sum accepted_redis3 accepted) accepted of" \
    "$(sum accepted_redis3 answers) answers over three servers" \
    "(Redis: appendonly yes, appendfsync always, on $state_fs)"
fi
show_wrk known "already-known: the same record"
printf '  %-34s %8.0f /s on one core\n' "crypto_sign_verify_detached" "$(median verify rps)"
printf '  %-34s %8.0f /s on one core (a record without certificate needs both)\n' \
  "verify + derive WireGuard key" "$(median derive rps)"
for p in "${stores[@]}"; do
  fs=$state_fs
  [[ $p == "$port" ]] || fs=tmpfs
  show_ratio "accepted_$p" "ratio accepted PUTs ($fs) / verify:"
done
show_ratio known "ratio already-known PUTs / verify:"
if [[ ${#redis_ports[@]} -gt 0 ]]; then
  printf '  %-38s %.3f\n' "ratio PUTs Redis one / SQLite:" \
    "$(median "accepted_${redis_ports[0]}" vs_sqlite)"
  printf '  %-38s %.3f\n' "ratio PUTs Redis three / SQLite:" \
    "$(median accepted_redis3 vs_sqlite)"
  cat <<NOTE
What the Redis figures can show here: what the store costs a request (a
round trip to Redis, and for an accepted PUT Redis's fsync of its
append-only file, against SQLite's read and its commit), and that
servers on one Redis answer as one. What they cannot show: how a fleet
scales. Three servers, Redis, wrk and nginx share this machine's $(nproc)
cores; one server is one thread, so the others can at most take the
core it leaves idle: three servers' rate above one's is that idle core,
not a scaling factor, and accepted PUTs are bound by the fsyncs of one
disk whatever the number of servers. On separate machines each server's
share of the load is its own, and Redis alone is shared: its one thread
and, with appendfsync always, its disk's fsyncs bound the fleet's PUTs.
NOTE
fi
