#!/bin/sh
# Records per second through the daemon's decision path
# (wgd_trust_check_record with its trust store and replay state) against
# bare crypto_sign_verify_detached over the same record bytes, measured
# in the same run by bench/verify --decide, on one core:
#   new      records of a known key, each with a newer timestamp,
#            accepted as the daemon accepts them;
#            goal: at least 0.9 times bare verification
#   reheard  the record accepted last, heard again byte for byte;
#            goal: at least 20 times bare verification
# in endpoint mode with the derived binding, and in mesh mode with a
# certificate; and the heap allocations each record costs (goal: none).
#
#   VERIFY          the benchmark binary (default: ./bench/verify)
#   VERIFY_SECONDS  seconds per measurement, in 21 slices taken in turn
#                   with the five others (default 2)
set -eu

bin=${VERIFY:-./bench/verify}
seconds=${VERIFY_SECONDS:-2}
[ -x "$bin" ] || { echo "$bin not found: build the project (make), or set VERIFY" >&2; exit 2; }

# GLib's slice allocator would hide small allocations from the count.
out=$(G_SLICE=always-malloc "$bin" --decide "$seconds")
value() { printf '%s\n' "$out" | awk -v k="$1" '$1 == k { print $2 }'; }

show() { # prefix label goal
  ratio=$(value "${1}_ratio")
  met=$(awk -v r="$ratio" -v g="$3" 'BEGIN { print (r >= g ? "met" : "missed") }')
  allocations=$(value "${1}_allocations_per_record")
  printf '  %-34s %9s records/s  ratio %6s  (goal >= %s: %s)%s\n' "$2" \
    "$(value "${1}_per_second")" "$ratio" "$3" "$met" \
    "${allocations:+, $allocations allocations/record}"
}

for mode in endpoint mesh; do
  if [ "$mode" = endpoint ]; then p=; what="endpoint mode, derived binding"; else p=mesh_; what="mesh mode, certificate"; fi
  echo "$what:"
  printf '  %-34s %9s records/s\n' "bare crypto_sign_verify_detached" "$(value "${p}verify_per_second")"
  show "${p}new" "new records of a known key" 0.9
  show "${p}reheard" "the same record heard again" 20
done
