#!/usr/bin/env bash
# The demo's full-screen video (--demo-video full) to a headless floe-viewer:
# the server streams it (STREAM_CREATE, frames coded on the encoding pool at
# the client's quality), the viewer draws the frames at their stamps, in
# their order, at a rate far above what a stalled coder gives (a loose
# floor, not a timing), answers STREAM_ACTIVATE_REPORT with STREAM_REPORTs
# (the server counts them), and once the video stops (freeze) the stream
# ends with the exact pixels: the viewer's picture equals the server's. Then through the shaping
# proxy at 1.5 Mbit/s: the stream's quality drops below the best and frames
# still play in order (once the cap is lifted the quality it climbs back to
# is printed: how fast depends on how busy the machine is). The video in a
# window (--demo-video window) streams too. Every wait is for the server to
# have written frames, not a fixed time: a sanitizer build on a busy machine
# takes seconds to start a stream. So that even there the demo draws its
# pictures less than 200 ms apart, the pace that makes a box a video, they
# are small (640x400, a window of 400x240) and those before the stream go as
# LZ4, the cheapest to code (bench/video.sh plays 1920x1080).
. "$(dirname "$0")/../lib.sh"
# MJPEG: what this test measures (stream_quality); e2e/video-vp8.sh plays VP8
export FLOE_TEST_STREAM_CODEC=mjpeg
PROXY=$TESTBIN/shape_proxy
[ -x "$PROXY" ] || { echo "FAIL: $PROXY is not built"; exit 1; }
quality() { ctl clients | sed -n 's/.*stream_quality=\([0-9]*\).*/\1/p' | head -n 1; }

# --- loopback --------------------------------------------------------------
start_server --disable-ticketing --size 640x400 --demo-video full --image-compression lz4
"$BIN/floe-viewer" --headless --duration 300 --snapshot "$T/viewer.png" "$URI" \
    >"$T/viewer.out" 2>"$T/viewer.err" &
VPID=$!; PIDS+=("$VPID")
if wait_for 90 written_over 60; then
    pass "the server streams the video ($(frames_written) frames written)"
else
    fail "the server wrote $(frames_written) frames in 90 s"
fi
# (its quality is the client's pace's: a viewer short of CPU gets less)
echo "stream quality on loopback: $(quality)"
# the server asked for reports (every 10 frames or 1 s) and the viewer sends them
reports() { ctl clients | sed -n 's/.*stream_reports=\([0-9]*\).*/\1/p' | head -n 1; }
has_reports() { [ "$(reports)" -ge 2 ]; }
wait_for 20 has_reports && pass "floe-viewer sent $(reports) STREAM_REPORTs on the stream" ||
    fail "floe-viewer sent $(reports) STREAM_REPORTs: $(ctl clients)"
# the video stops; 1 s later the stream ends with the box's exact pixels
ctl freeze >/dev/null
sleep 1.5
ctl "snapshot $T/server.png" >/dev/null
viewer_catch_up "$VPID" && pass "floe-viewer ran to the end" ||
    { fail "floe-viewer failed"; cat "$T/viewer.err"; }
cat "$T/viewer.out"
streams=$(summary_field streams "$T/viewer.out")
draws=$(summary_field stream_draws "$T/viewer.out")
fps=$(summary_field stream_fps "$T/viewer.out")
reordered=$(summary_field stream_reordered "$T/viewer.out")
[ "${streams:-0}" -ge 1 ] && pass "the viewer was sent a stream" || fail "no stream reached the viewer"
[ "${draws:-0}" -ge 30 ] && pass "it drew $draws video frames" || fail "it drew ${draws:-no} video frames"
[ "${reordered:-1}" = 0 ] && pass "every frame came after the one before it" ||
    fail "${reordered:-?} frames came out of order"
# a coder that stalls, or that codes one frame at a time far too slowly,
# gives a frame a second or none; the demo offers 30 (a sanitizer build on
# a busy machine plays 10 to 30)
awk -v f="${fps:-0}" 'BEGIN { exit !(f >= 4) }' && pass "frames came at $fps a second (>= 4)" ||
    fail "frames came at ${fps:-0} a second"
ctl_has stats 'streams=[1-9]' && pass "the server counts its stream" || fail "stats: $(ctl stats)"
d=$(pixel_diff "$T/server.png" "$T/viewer.png")
[ "$d" = 0 ] && pass "after the video stopped the viewer's picture equals the server's" ||
    fail "the viewer's picture differs from the server's in $d pixels"
stop_server

# --- through the shaping proxy at 1.5 Mbit/s ---------------------------------
start_server --disable-ticketing --size 640x400 --demo-video full --image-compression lz4
start_proxy --rate 1500
"$BIN/floe-viewer" --headless --duration 300 "spice://127.0.0.1:$PPORT" \
    >"$T/slow.out" 2>"$T/slow.err" &
VPID=$!; PIDS+=("$VPID")
wait_for 90 written_over 5 || fail "through the proxy the server wrote $(frames_written) frames in 90 s"
low=100
for _ in $(seq 1 10); do
    sleep 1
    q=$(quality)
    [ -n "$q" ] && [ "$q" -lt "$low" ] && low=$q
done
echo "lowest stream quality at 1.5 Mbit/s: $low ($(ctl clients | sed -n 's/.*\(stream_kbps=[0-9]*\).*/\1/p'))"
[ "$low" -lt 75 ] && pass "at 1.5 Mbit/s the stream's quality dropped (to $low)" ||
    fail "at 1.5 Mbit/s the stream's quality stayed at $low"
proxy rate 0
sleep 8
echo "8 s after the cap was lifted: quality $(quality)"
viewer_end "$VPID" || true
cat "$T/slow.out"
played_in_order "$T/slow.out" "through the proxy"
stop_server

# --- the video in a window above the desktop ---------------------------------
start_server --disable-ticketing --size 800x480 --demo-video window --image-compression lz4
"$BIN/floe-viewer" --headless --duration 300 "$URI" >"$T/window.out" 2>"$T/window.err" &
VPID=$!; PIDS+=("$VPID")
wait_for 90 written_over 50 || true
viewer_end "$VPID" || { fail "floe-viewer failed"; cat "$T/window.err"; }
cat "$T/window.out"
[ "$(summary_field streams "$T/window.out")" = 1 ] &&
    [ "$(summary_field stream_draws "$T/window.out")" -ge 20 ] &&
    pass "the windowed video goes as one stream" || fail "the windowed video did not stream"
stop_server
finish
