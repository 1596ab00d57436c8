#!/bin/sh
# Records per second through the daemon's decision path
# (wgd_trust_check_record with its trust store and replay state) against
# bare crypto_sign_verify_detached over the same record bytes, measured
# in the same run by bench/verify --decide, on one core:
#   new      records of a known key, each with a newer timestamp
#            (derived binding), accepted as the daemon accepts them;
#            goal: at least 0.9 times bare verification
#   reheard  the record accepted last, heard again byte for byte;
#            goal: at least 20 times bare verification
# and the heap allocations each record costs (goal: none).
#
#   VERIFY          the benchmark binary (default: ./bench/verify)
#   VERIFY_SECONDS  seconds per measurement, three rounds of three
#                   (default 2)
set -eu

bin=${VERIFY:-./bench/verify}
seconds=${VERIFY_SECONDS:-2}
[ -x "$bin" ] || { echo "$bin not found: build the project (make), or set VERIFY" >&2; exit 2; }

# GLib's slice allocator would hide small allocations from the count.
out=$(G_SLICE=always-malloc "$bin" --decide "$seconds")
value() { printf '%s\n' "$out" | awk -v k="$1" '$1 == k { print $2 }'; }

verdict() { # ratio goal
  awk -v r="$1" -v g="$2" 'BEGIN { print (r >= g ? "goal met" : "goal missed") }'
}

echo "bare crypto_sign_verify_detached: $(value verify_per_second) records/s"
echo "new records of a known key:       $(value new_per_second) records/s," \
  "ratio $(value new_ratio) (goal >= 0.9: $(verdict "$(value new_ratio)" 0.9))"
echo "byte-identical record heard again: $(value reheard_per_second) records/s," \
  "ratio $(value reheard_ratio) (goal >= 20: $(verdict "$(value reheard_ratio)" 20))"
if [ -n "$(value new_allocations_per_record)" ]; then
  echo "heap allocations per record: new $(value new_allocations_per_record)," \
    "reheard $(value reheard_allocations_per_record)"
fi
