#!/usr/bin/env bash
# Encoding runs off the loop thread: with every encoding made slow
# (FLOE_TEST_ENCODE_DELAY_MS), the control socket and a second client's link
# are answered while a client's first picture is still being encoded, and
# that client still ends with the server's exact picture.
. "$(dirname "$0")/../lib.sh"

DELAY=10000    # ms per encoding: a 1920x1080 first picture is one image
BOUND=1000     # ms: a reply the loop blocked by one encoding could not beat

export FLOE_TEST_ENCODE_DELAY_MS=$DELAY
start_server --disable-ticketing --size 1920x1080 --image-compression glz
unset FLOE_TEST_ENCODE_DELAY_MS
ctl freeze >/dev/null

"$BIN/floe-viewer" --headless --duration 30 --snapshot "$T/a.png" "$URI" \
    >"$T/a.out" 2>"$T/a.err" &
APID=$!; PIDS+=("$APID")
sleep 2

slow=0; worst=0
for i in 1 2 3 4 5; do
    t0=$(date +%s%N)
    ctl stats >"$T/stats.$i" || fail "probe $i: no reply"
    ms=$((($(date +%s%N) - t0) / 1000000))
    [ "$ms" -gt "$worst" ] && worst=$ms
    [ "$ms" -gt "$BOUND" ] && slow=$((slow + 1))
    sleep 1
done
coded=$(sed -n 's/.* image_coded=\([0-9]*\).*/\1/p' "$T/stats.5")
echo "control replies: worst ${worst} ms; image bytes coded by the last probe: $coded"
[ "${coded:-1}" = 0 ] && pass "the probes ran while the first picture was being encoded" ||
    fail "the first picture was done before the probes ended ($coded bytes coded)"
[ "$slow" = 0 ] && pass "the control socket answered within $BOUND ms meanwhile (worst $worst ms)" ||
    fail "$slow control replies took over $BOUND ms (worst $worst ms)"

# a second client links (MAIN, then its other channels) meanwhile
t0=$(date +%s%N)
"$BIN/floe-viewer" --headless --duration 3 "$URI" >"$T/b.out" 2>"$T/b.err" &
BPID=$!; PIDS+=("$BPID")
two_displays() { [ "$(ctl clients | grep -c display)" = 2 ]; }
wait_for 10 two_displays
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -lt 5000 ] && pass "a second client linked its channels in $ms ms meanwhile" ||
    fail "a second client took $ms ms to link its channels"
wait "$BPID" || fail "the second viewer failed: $(tail -n 3 "$T/b.err")"

# the first client gets its picture (one image): it is the server's
wait_for 60 ctl_has stats ' image_coded=[1-9]' || fail "the first picture was not sent in 60 s"
wait "$APID" || fail "the first viewer failed: $(tail -n 3 "$T/a.err")"
ctl "snapshot $T/server.png" >/dev/null
d=$(pixel_diff "$T/server.png" "$T/a.png")
[ "$d" = 0 ] && pass "the slow-coded client's picture equals the server's" ||
    fail "the slow-coded client's picture differs in $d pixels"
stop_server
finish
