#!/usr/bin/env bash
# Runs the whole suite (make test): unit programs, end-to-end and interop
# scripts and the fuzz smoke run, TEST_JOBS at a time (default: one more
# than the cores, as most tests spend most of their time waiting for a
# picture, a guest or a peer), each with a time limit and its own log under
# BUILD/test-logs. The Linux test guest is built first, beside the tests
# that do not need it; the longest tests start first so the pool ends evenly.
#
#   tests/run.sh [NAME...]     NAME: e.g. e2e/vm-serve.sh, unit/test_lz, fuzz/smoke
#
# One line when a test starts and one when it ends (PASS, FAIL or SKIP, with
# its seconds). A script that exits 77 was skipped as a whole; one that
# passes may have skipped parts of itself ("SKIP: part — reason" lines).
# Neither counts as passed: the last line is "N passed, N failed", with
# ", N skipped" (skipped tests and parts) when anything was skipped. Exits
# non-zero if any test failed.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/san}
JOBS=${TEST_JOBS:-$(($(nproc 2>/dev/null || echo 1) + 1))}
GUEST_DIR=${GUEST_DIR:-build/guest}
export BIN="$PWD/$BUILD/bin" TESTBIN="$PWD/$BUILD/tests" GUEST_DIR
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
LOGS="$PWD/$BUILD/test-logs"
TIMES="$PWD/$BUILD/test-times"
rm -rf "$LOGS"; mkdir -p "$LOGS"

# Seconds each test took in a run of this pool on two busy cores: the order
# when there is no $TIMES from an earlier run. Others count as 20 s (unit programs 1 s).
DEFAULT_TIMES="
interop/qxl-guest-floe.sh 190
interop/qxl-guest.sh 144
fuzz/smoke 122
e2e/qxl-diff.sh 116
e2e/vm-qxl.sh 89
interop/qemu-floe-lib.sh 85
interop/agent-qemu.sh 110
e2e/codec-roundtrip.sh 73
e2e/vm-lifecycle.sh 69
interop/remote-viewer-codecs.sh 61
e2e/compression.sh 61
interop/qemu-viewer.sh 55
interop/qemu-codecs.sh 53
interop/qemu-mouse-modes.sh 46
e2e/vm-guest.sh 66
e2e/first-picture-overflow.sh 44
e2e/render-policy.sh 43
e2e/viewer-agent.sh 45
e2e/agent-x11.sh 10
e2e/video-vp8.sh 40
e2e/vm-monitors.sh 36
e2e/slow-link.sh 34
interop/qxl-record.sh 32
e2e/guest-boot.sh 32
e2e/video.sh 31
e2e/encode-pool.sh 31
unit/test_lz 31
e2e/vm-serve.sh 30
e2e/slow-client.sh 29
e2e/shape-proxy.sh 21
unit/test_stream_server 18
interop/remote-viewer-vp8.sh 17
e2e/vnc-feed.sh 17
e2e/viewer.sh 17
interop/wireshark.sh 15
e2e/link-watch.sh 15
e2e/monitors.sh 13
e2e/vm-kvm-probe.sh 12
e2e/viewer-latency.sh 12
e2e/unix-socket.sh 11
unit/test_quic 10
interop/remote-viewer.sh 8
interop/remote-viewer-agent.sh 6
e2e/vm-agent.sh 5
unit/test_agent_relay 5
interop/remote-viewer-monitors.sh 8
e2e/control.sh 8
e2e/viewer-window.sh 7
e2e/library-exports.sh 7
interop/remote-viewer-video.sh 6
e2e/vm-fake-qemu.sh 6
e2e/layering.sh 6
e2e/first-picture.sh 6
e2e/session.sh 5
e2e/qmp.sh 5
"

# ---- the tests, their limits and what they need ----
declare -A LIMIT WEIGHT NEEDS_GUEST STARTED PID_OF
ALL=()
add() { # name limit weight
    ALL+=("$1"); LIMIT[$1]=$2; WEIGHT[$1]=$3; NEEDS_GUEST[$1]=
}
for t in "$TESTBIN"/test_*; do
    [ -x "$t" ] && add "unit/$(basename "$t")" 300 1
done
for t in tests/e2e/*.sh tests/interop/*.sh; do
    [ -f "$t" ] || continue
    add "${t#tests/}" 600 20
    grep -q '^[^#]*\bbuild_guest\b' "$t" && NEEDS_GUEST[${t#tests/}]=1
done
[ -f tests/fuzz/fuzz.mk ] && add fuzz/smoke 900 20

if [ $# -gt 0 ]; then    # only the tests named
    want=" $* "; sel=()
    for n in "${ALL[@]}"; do [[ "$want" == *" $n "* ]] && sel+=("$n"); done
    [ ${#sel[@]} -gt 0 ] || { echo "no test is named $*" >&2; exit 2; }
    ALL=("${sel[@]}")
fi

while read -r n s; do
    [ -n "$n" ] && [ -n "${LIMIT[$n]:-}" ] && WEIGHT[$n]=$s
done <<<"$DEFAULT_TIMES
$(cat "$TIMES" 2>/dev/null)"
mapfile -t QUEUE < <(for n in "${ALL[@]}"; do echo "${WEIGHT[$n]} $n"; done | sort -k1,1nr -k2 | cut -d' ' -f2)

# ---- the pool ----
T0=$SECONDS
clock() { local s=$((SECONDS - T0)); printf '%3d:%02d' $((s / 60)) $((s % 60)); }
passed=0; failed=0; skipped=0; whole_skips=0; failed_names=(); skip_lines=()
declare -A TOOK   # seconds each test took, kept in $TIMES for the next run's order
while read -r n s; do [ -n "$n" ] && TOOK[$n]=$s; done < <(cat "$TIMES" 2>/dev/null)
running=0

start() { # name
    local name=$1
    echo "$(clock) start $name"
    mkdir -p "$(dirname "$LOGS/$name.log")"
    (
        case $name in
        guest) mkdir -p "$GUEST_DIR"; set -- flock "$GUEST_DIR" tests/guest/build.sh "$GUEST_DIR" ;;
        unit/*) set -- "$TESTBIN/${name#unit/}" ;;
        fuzz/smoke) set -- make --no-print-directory BUILD="$BUILD" fuzz-smoke ;;
        *) set -- bash "tests/$name" ;;
        esac
        exec timeout --kill-after=10 "${LIMIT[$name]:-1800}" "$@" >"$LOGS/$name.log" 2>&1
    ) &
    PID_OF[$!]=$name; STARTED[$name]=$SECONDS
    # the guest build mostly waits for apt: it does not take a test's place
    [ "$name" = guest ] || running=$((running + 1))
}

ended() { # name status
    local name=$1 rc=$2 secs n line
    secs=$((SECONDS - ${STARTED[$name]}))
    if [ "$name" = guest ]; then
        GUEST=done
        if [ "$rc" = 0 ]; then
            echo "$(clock) done  guest ($secs s): $(cut -d';' -f1-2 "$GUEST_DIR/contents" 2>/dev/null)"
        else
            echo "$(clock) guest build failed ($secs s); the tests that need it try again:"
            tail -n 10 "$LOGS/guest.log" | sed 's/^/      /'
        fi
        return
    fi
    running=$((running - 1))
    TOOK[$name]=$secs
    if [ "$rc" = 0 ]; then
        passed=$((passed + 1))
        n=$(grep -c '^SKIP: ' "$LOGS/$name.log" || true)
        if [ "$n" -gt 0 ]; then
            skipped=$((skipped + n))
            echo "$(clock) PASS  $name (${secs}s), $n part(s) skipped:"
            while IFS= read -r line; do
                echo "        $line"; skip_lines+=("$name: ${line#SKIP: }")
            done < <(grep '^SKIP: ' "$LOGS/$name.log")
        else
            echo "$(clock) PASS  $name (${secs}s)"
        fi
    elif [ "$rc" = 77 ]; then
        skipped=$((skipped + 1)); whole_skips=$((whole_skips + 1))
        line=$(grep '^SKIP: ' "$LOGS/$name.log" | tail -n 1)
        echo "$(clock) SKIP  $name (${secs}s): ${line#SKIP: }"
        skip_lines+=("$name (whole test): ${line#SKIP: }")
    else
        failed=$((failed + 1)); failed_names+=("$name")
        if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
            echo "$(clock) FAIL  $name (${secs}s): timed out after ${LIMIT[$name]} s, last lines of $BUILD/test-logs/$name.log:"
        else
            echo "$(clock) FAIL  $name (${secs}s), last lines of $BUILD/test-logs/$name.log:"
        fi
        tail -n 25 "$LOGS/$name.log" | sed 's/^/      /'
    fi
}

# next: the first queued test that may start now (one that needs the guest
# waits for its build); prints nothing when none may
next() {
    local i
    for i in "${!QUEUE[@]}"; do
        if [ -z "${NEEDS_GUEST[${QUEUE[$i]}]}" ] || [ "$GUEST" = done ]; then
            echo "$i"; return
        fi
    done
}

trap 'echo; echo "interrupted"; kill "${!PID_OF[@]}" 2>/dev/null; exit 130' INT TERM
echo "$(clock) ${#QUEUE[@]} tests, $JOBS at a time; logs in $BUILD/test-logs/"
GUEST=done
for n in "${ALL[@]}"; do
    if [ -n "${NEEDS_GUEST[$n]}" ]; then GUEST=building; start guest; break; fi
done
while [ ${#QUEUE[@]} -gt 0 ] || [ $running -gt 0 ] || [ "$GUEST" = building ]; do
    while [ $running -lt "$JOBS" ] && [ ${#QUEUE[@]} -gt 0 ]; do
        i=$(next)
        [ -n "$i" ] || break
        start "${QUEUE[$i]}"
        unset "QUEUE[$i]"; QUEUE=("${QUEUE[@]}")
    done
    done_pid=
    wait -n -p done_pid; rc=$?
    [ -n "$done_pid" ] || continue
    ended "${PID_OF[$done_pid]}" "$rc"
    unset "PID_OF[$done_pid]"
done
for n in "${!TOOK[@]}"; do echo "$n ${TOOK[$n]}"; done | sort >"$TIMES"

echo
wall=$((SECONDS - T0))
echo "wall time $((wall / 60)) min $((wall % 60)) s for $((passed + failed + whole_skips)) tests, $JOBS at a time"
if [ ${#skip_lines[@]} -gt 0 ]; then
    echo "skipped, not counted as passed:"
    printf '  %s\n' "${skip_lines[@]}"
fi
[ $failed -gt 0 ] && echo "failed: ${failed_names[*]}"
summary="$passed passed, $failed failed"
[ $skipped -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ $failed -eq 0 ]
