#!/bin/sh
# Runs each libFuzzer target for a bounded time, starting from a copy of
# its committed seed corpus (tests/fuzz/seeds/<target>/), and reports in
# TAP, one test per target.
#
#   FUZZ_SECONDS   time per target (default 60)
#   FUZZ_JOBS      targets fuzzed at the same time (default 2)
#   FUZZ_TARGETS   which targets (default: WGD_FUZZ_TARGETS, which
#                  Makefile.am sets to every target in $(fuzz_targets))
#
# Runs from the top build directory (as `make check` does). Everything it
# writes goes to tests/fuzz/work/<target>/ there: the grown corpus, the
# fuzzer's output (fuzz.log) and, on a crash, the input that caused it.
# Reproduce a crash with: tests/fuzz/<target> <crash file>

seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-2}
targets=${FUZZ_TARGETS:-${WGD_FUZZ_TARGETS:-fuzz-announcement fuzz-certificate fuzz-txt}}
srcdir=${srcdir:-.}
builddir=$(pwd)

# Fuzzes one target; its exit status goes to $work/status.
fuzz_one() {
  bin=$builddir/tests/fuzz/$1
  work=$builddir/tests/fuzz/work/$1
  seeds=$srcdir/tests/fuzz/seeds/$1

  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/crashes" || return
  if [ ! -x "$bin" ]; then
    echo "$bin was not built (configure --enable-fuzzing)" > "$work/fuzz.log"
    echo 127 > "$work/status"
    return
  fi
  if [ -d "$seeds" ]; then
    cp "$seeds"/* "$work/corpus/" && chmod -R u+w "$work/corpus"
  fi
  ls "$work/corpus" | wc -l > "$work/seeds"
  "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/crashes/" "$work/corpus" > "$work/fuzz.log" 2>&1
  echo $? > "$work/status"
}

names=
for target in $targets; do
  names="$names ${target##*/}"
done
set -- $names
echo "1..$#"

running=0
for name in $names; do
  fuzz_one "$name" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait
    running=0
  fi
done
wait

n=0
for name in $names; do
  n=$((n + 1))
  work=$builddir/tests/fuzz/work/$name
  status=$(cat "$work/status" 2>/dev/null || echo "?")
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log" 2>/dev/null | tail -n 1)
  if [ "$status" = 0 ]; then
    echo "ok $n - $name: ${execs:-?} runs in $seconds s," \
         "corpus $(cat "$work/seeds") -> $(ls "$work/corpus" | wc -l) inputs"
  else
    echo "not ok $n - $name: exit status $status after ${execs:-?} runs"
    for crash in "$work"/crashes/*; do
      [ -e "$crash" ] && echo "# kept input: $crash"
    done
    echo "# reproduce: $builddir/tests/fuzz/$name <input>    full output: $work/fuzz.log"
    tail -n 40 "$work/fuzz.log" 2>/dev/null | sed 's/^/# /'
  fi
done
