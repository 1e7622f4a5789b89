#!/usr/bin/env bash
# The first picture stays whole when a client's queue overflows before it has
# left: the draws the server replaces by pixels are replaced where they
# stood, never after MARK. Each client's first picture is taken from a frozen
# 1920x1080 demo and then encoded slowly (FLOE_TEST_ENCODE_DELAY_MS) while
# the demo runs again, so its draws pile up behind the first picture until
# the queue overflows. spicy-screenshot's picture, and a raw client's picture
# at MARK, must be the frozen one; once the demo stops again, the raw
# client's picture equals the server's.
. "$(dirname "$0")/../lib.sh"

OVERFLOW="slow client:"   # the server's debug line when it replaces queued draws

if ! command -v spicy-screenshot >/dev/null; then
    fail "spicy-screenshot is missing (Debian package spice-client-gtk, make deps)"
    finish
fi

# start_slow_server: a 1920x1080 demo, frozen, whose encodings take 15 s each;
# queued draws the demo paints over stay queued (no occlusion), so that the
# queue overflows, which this test is about
start_slow_server() {
    export FLOE_TEST_ENCODE_DELAY_MS=15000 FLOE_LOG=debug FLOE_TEST_OCCLUSION=0
    start_server --disable-ticketing --size 1920x1080
    unset FLOE_TEST_ENCODE_DELAY_MS FLOE_LOG FLOE_TEST_OCCLUSION
    ctl freeze >/dev/null
    ctl "snapshot $T/frozen.png" >/dev/null
}

# overflow_first NAME PID DONE-TEST...: once the client's first picture is
# being encoded, lets the demo run; passes if the queue overflowed before
# the client had its picture, which DONE-TEST tells. The log line is read
# first, then the test: the overflow came before.
overflow_first() {
    local name=$1 pid=$2 early=0
    shift 2
    wait_for 20 ctl_has stats ' images=[1-9]' || fail "$name: the first picture was never started"
    ctl thaw >/dev/null
    while kill -0 "$pid" 2>/dev/null; do
        if grep -q "$OVERFLOW" "$T/server.err"; then
            "$@" || early=1
            break
        fi
        "$@" && break
        sleep 0.1
    done
    [ "$early" = 1 ] &&
        pass "$name: the queue overflowed while the first picture was being encoded" ||
        fail "$name: no overflow before the first picture was out: the test proves nothing"
}

# 1. spicy-screenshot, which writes the picture it has after its first draw
# (it creates its file once it has it)
start_slow_server
timeout 60 spicy-screenshot -h 127.0.0.1 -p "$PORT" -o "$T/shot.ppm" >"$T/spicy.out" 2>&1 &
SPID=$!; PIDS+=("$SPID")
overflow_first spicy-screenshot "$SPID" test -e "$T/shot.ppm"
if wait "$SPID" && [ -s "$T/shot.ppm" ]; then
    d=$(pixel_diff "$T/frozen.png" "$T/shot.ppm")
    [ "$d" = 0 ] && pass "spicy-screenshot's picture is the whole first picture" ||
        fail "spicy-screenshot's picture differs from the first picture in $d pixels"
else
    fail "spicy-screenshot wrote no picture: $(tail -n 3 "$T/spicy.out")"
fi
stop_server

# 2. a raw client with the reference client's capabilities, which keeps the
# picture it has at MARK (it prints "mark:" then); it draws only pictures,
# fills and copies, so it tells the server (floe's render report) that it
# renders nothing else: the server renders draw operations for it
start_slow_server
FLOE_PORT=$PORT FLOE_PASSWORD=x FLOE_MARK="$T/raw" FLOE_MARK_END="$T/end" \
    "$TESTBIN/raw_client" >"$T/raw.out" 2>&1 &
RPID=$!; PIDS+=("$RPID")
overflow_first "raw client" "$RPID" grep -q "^mark:" "$T/raw.out"
wait_for 30 grep -q "^mark:" "$T/raw.out" ||
    fail "the raw client saw no MARK: $(tail -n 3 "$T/raw.out")"
grep "^mark:" "$T/raw.out" || true
grep -q "^mark: 2073600 of 2073600 pixels drawn" "$T/raw.out" &&
    pass "raw client: every pixel was drawn before MARK" ||
    fail "raw client: the picture at MARK is not whole"
wait_for 10 test -s "$T/raw-mark.png" || true
d=$(pixel_diff "$T/frozen.png" "$T/raw-mark.png")
[ "$d" = 0 ] && pass "raw client: its picture at MARK is the whole first picture" ||
    fail "raw client: its picture at MARK differs from the first picture in $d pixels"
# after MARK the raw client asks for raw pictures, which are not delayed
sleep 2
ctl freeze >/dev/null
sleep 1
ctl "snapshot $T/server.png" >/dev/null
wait_for 60 ctl_has clients 'display_pending=0 ' || fail "the raw client's queue did not drain"
touch "$T/end"
if wait "$RPID"; then
    d=$(pixel_diff "$T/server.png" "$T/raw-final.png")
    [ "$d" = 0 ] && pass "after the overflow the raw client's picture equals the server's" ||
        fail "after the overflow the raw client's picture differs in $d pixels"
else
    fail "the raw client failed: $(grep -m3 -i 'error\|fail' "$T/raw.out")"
fi
stop_server
finish
