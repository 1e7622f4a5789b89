#!/usr/bin/env bash
# Runs the whole suite (make test): unit programs, end-to-end and interop
# scripts, each with a time limit and its own log; ends with one
# "N passed, N failed" line and fails if any test failed.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/san}
export BIN="$PWD/$BUILD/bin" TESTBIN="$PWD/$BUILD/tests"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
LOGS="$PWD/$BUILD/test-logs"
rm -rf "$LOGS"; mkdir -p "$LOGS"

passed=0; failed=0; failed_names=()
run_one() { # name, timeout seconds, command...
    local name=$1 limit=$2; shift 2
    local start=$SECONDS
    mkdir -p "$(dirname "$LOGS/$name.log")"
    if timeout --kill-after=10 "$limit" "$@" >"$LOGS/$name.log" 2>&1; then
        passed=$((passed + 1)); echo "PASS  $name ($((SECONDS - start))s)"
    else
        failed=$((failed + 1)); failed_names+=("$name")
        echo "FAIL  $name ($((SECONDS - start))s), last lines of $BUILD/test-logs/$name.log:"
        tail -n 25 "$LOGS/$name.log" | sed 's/^/      /'
    fi
}

for t in "$TESTBIN"/test_*; do
    [ -x "$t" ] && run_one "unit/$(basename "$t")" 300 "$t"
done
for t in tests/e2e/*.sh tests/interop/*.sh; do
    [ -f "$t" ] && run_one "${t#tests/}" 600 bash "$t"
done
if [ -f tests/fuzz/fuzz.mk ]; then
    run_one "fuzz/smoke" 900 make --no-print-directory BUILD="$BUILD" fuzz-smoke
fi

echo
[ $failed -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
