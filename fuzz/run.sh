#!/usr/bin/env bash
# Build (fuzz/build.sh) and run every fuzz harness for a fixed budget,
# under ASan + UBSan with libFuzzer's coverage of sslmod's C code.
#
#   fuzz/run.sh [SECONDS_PER_HARNESS [HARNESS...]]     (default 40 s, all)
#
# Fails on any crash, uncaught Python exception (a differential mismatch
# is one), sanitizer report or timeout, and on any leak LeakSanitizer
# finds when the corpora are replayed at the end.  Prints one line per
# harness: executions, libFuzzer's cov/ft figures, corpus size.
# SSLMOD_FUZZ_SKIP_BUILD=1 reuses the venv; SSLMOD_FUZZ_WORK (default
# /tmp/sslmod-fuzz-work) keeps the grown corpora and logs; crash inputs
# land in $SSLMOD_FUZZ_WORK/artifacts.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
secs=${1:-40}
shift || true
harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
  for f in "$here"/fuzz_*.py; do
    h=$(basename "$f" .py); harnesses+=("${h#fuzz_}")
  done
fi
work=${SSLMOD_FUZZ_WORK:-/tmp/sslmod-fuzz-work}
venv=${SSLMOD_FUZZ_VENV:-/tmp/sslmod-fuzz-venv}
if [ -z "${SSLMOD_FUZZ_SKIP_BUILD:-}" ]; then
  venv=$("$here/build.sh" | tail -1) || { echo "fuzz/run: build failed" >&2; exit 1; }
fi
py=$venv/bin/python
rt=$("$py" -c 'import atheris, os; print(atheris.path())')/asan_with_fuzzer.so
[ -f "$rt" ] || { echo "fuzz/run: $rt missing" >&2; exit 1; }
mkdir -p "$work/artifacts"

# Python's own allocations go through malloc so that ASan sees them too.
export PYTHONMALLOC=malloc

export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
san_opts="allocator_may_return_null=1:detect_odr_violation=0:handle_abort=1"

status=0
printf '%-20s %12s %8s %8s %7s  %s\n' harness executions cov ft corpus result
for h in "${harnesses[@]}"; do
  script=$here/fuzz_$h.py
  [ -f "$script" ] || { echo "fuzz/run: no harness $h" >&2; status=1; continue; }
  corpus=$work/corpus/$h
  log=$work/$h.log
  mkdir -p "$corpus"
  # libFuzzer writes new inputs into the first folder and only reads the
  # committed seeds, which stay as they are.
  (cd "$here" && ASAN_OPTIONS="detect_leaks=0:$san_opts" LD_PRELOAD="$rt" "$py" "$script" \
      "$corpus" "$here/corpus/$h" -max_total_time="$secs" -timeout=20 \
      -rss_limit_mb=3072 -max_len=16384 -print_final_stats=1 \
      -artifact_prefix="$work/artifacts/$h-" >"$log" 2>&1)
  rc=$?
  result=ok
  if [ $rc -ne 0 ] || grep -q -E "ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|Uncaught Python exception" "$log"; then
    result="FAILED (rc $rc, log $log)"
    status=1
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  last=$(grep -E "^#[0-9]+.*cov: " "$log" | tail -1)
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  printf '%-20s %12s %8s %8s %7s  %s\n' "$h" "${execs:-?}" "${cov:-?}" "${ft:-?}" \
    "$(ls "$corpus" | wc -l)" "$result"
  if [ "$result" != ok ]; then
    grep -v "^    #" "$log" | grep -A25 -E "ERROR:|Uncaught|runtime error" | head -60 >&2
  fi
done

# Leaks: replay every corpus (committed seeds and what the run added) in
# one process per harness, and let LeakSanitizer check at exit for memory
# nothing points to any more (CPython's own caches stay reachable).  One
# check at exit, not libFuzzer's check after each input, which scans the
# whole heap every time and takes seconds per input here.
if [ -z "${SSLMOD_FUZZ_NO_LEAKS:-}" ]; then
  for h in "${harnesses[@]}"; do
    [ -f "$here/fuzz_$h.py" ] || continue
    log=$work/$h.leaks.log
    # sslmod alone: the interpreter's _ssl leaks on some certificates itself.
    (cd "$here" && SSLMOD_FUZZ_NO_STDLIB=1 ASAN_OPTIONS="detect_leaks=1:$san_opts" LD_PRELOAD="$rt" "$py" "fuzz_$h.py" \
        -runs=0 -detect_leaks=0 -timeout=60 "$work/corpus/$h" "$here/corpus/$h" >"$log" 2>&1)
    rc=$?
    if [ $rc -ne 0 ] || grep -q -E "ERROR: (LeakSanitizer|AddressSanitizer|libFuzzer)|runtime error:" "$log"; then
      echo "fuzz/run: $h: leak replay FAILED (rc $rc, log $log)" >&2
      grep -v "^    #[2-9][0-9]" "$log" | grep -A30 -E "ERROR:" | head -60 >&2
      status=1
    else
      echo "fuzz/run: $h: leak replay of $(ls "$work/corpus/$h" "$here/corpus/$h" | wc -l) inputs clean"
    fi
  done
fi
exit $status
