#!/usr/bin/env bash
# The demo's full-screen video (640x400) to a headless floe-viewer, which
# states MULTI_CODEC, CODEC_MJPEG and CODEC_VP8: the server streams it as
# VP8 (the clients command says so, and a capture's STREAM_CREATE carries
# codec_type 2), the viewer decodes and draws the frames at their stamps,
# in order, and sends STREAM_REPORTs; once the video stops (freeze) its
# last VP8 frame on the viewer is within a PSNR bound of the server's
# picture (the stream is held open meanwhile: FLOE_TEST_STREAM_IDLE_MS),
# and when the stream ends the viewer's picture equals the server's. A
# second viewer joining mid-stream gets a keyframe first and plays too.
# Through the shaping proxy at 1.5 Mbit/s the VP8 bitrate drops below the
# cap while frames play in order (the bitrate it climbs back to once the
# cap is lifted is printed). With FLOE_TEST_STREAM_CODEC=mjpeg the same
# viewer gets MJPEG, and so does it a stream of 1280x720, larger than VP8
# keeps up with.
. "$(dirname "$0")/../lib.sh"
PROXY=$TESTBIN/shape_proxy
[ -x "$PROXY" ] || { echo "FAIL: $PROXY is not built"; exit 1; }
PSNR_MIN=28

# --- loopback: VP8 ------------------------------------------------------------
export FLOE_TEST_STREAM_IDLE_MS=6000
start_server --disable-ticketing --size 640x400 --demo-video full --image-compression lz4
CAP=
if command -v tshark >/dev/null; then
    tshark -i lo -f "tcp port $PORT" -w "$T/vp8.pcapng" >"$T/tshark.out" 2>&1 &
    CAP=$!; PIDS+=("$CAP")
    wait_for 20 grep -q "Capturing on" "$T/tshark.out" || CAP=
    sleep 1
fi
"$BIN/floe-viewer" --headless --duration 300 --snapshot "$T/viewer.png" "$URI" \
    >"$T/viewer.out" 2>"$T/viewer.err" &
VPID=$!; PIDS+=("$VPID")
if wait_for 90 written_over 60; then
    pass "the server streams the video ($(frames_written) frames written)"
else
    fail "the server wrote $(frames_written) frames in 90 s"
fi
codec=$(client_field stream_codec)
[ "$codec" = vp8 ] && pass "floe-viewer's stream is VP8 (at $(client_field stream_vp8_kbps) kbit/s)" ||
    fail "floe-viewer's stream codec is '${codec:-none}': $(ctl clients)"
# a second viewer joins the running stream: its own coder, a keyframe first
"$BIN/floe-viewer" --headless --duration 300 "$URI" >"$T/late.out" 2>"$T/late.err" &
LPID=$!; PIDS+=("$LPID")
reports() { ctl clients | sed -n 's/.*stream_reports=\([0-9]*\).*/\1/p' | head -n 1; }
has_reports() { [ "$(reports)" -ge 2 ]; }
wait_for 20 has_reports && pass "floe-viewer sent $(reports) STREAM_REPORTs on the stream" ||
    fail "floe-viewer sent $(reports) STREAM_REPORTs: $(ctl clients)"
n=$(frames_written)
wait_for 60 written_over $((n + 60)) || true
# the video stops: its last frame stands on the viewer, the stream still open
ctl freeze >/dev/null
sleep 2.5
ctl "snapshot $T/server.png" >/dev/null
viewer_end "$VPID" && pass "floe-viewer ran to the end" || { fail "floe-viewer failed"; cat "$T/viewer.err"; }
viewer_end "$LPID" || { fail "the late floe-viewer failed"; cat "$T/late.err"; }
cat "$T/viewer.out" "$T/late.out"
psnr=$(compare -metric PSNR "$T/server.png" "$T/viewer.png" null: 2>&1 | cut -d' ' -f1 || true)
awk -v p="$psnr" -v m=$PSNR_MIN 'BEGIN { exit !(p == "inf" || p + 0 >= m) }' &&
    pass "the viewer's last VP8 frame is within $PSNR_MIN dB of the server's picture ($psnr dB)" ||
    fail "the viewer's last VP8 frame is $psnr dB from the server's picture"
for f in viewer late; do
    draws=$(summary_field stream_draws "$T/$f.out")
    reordered=$(summary_field stream_reordered "$T/$f.out")
    [ "${draws:-0}" -ge 30 ] && pass "$f: it drew $draws VP8 frames" || fail "$f: it drew ${draws:-no} frames"
    [ "${reordered:-1}" = 0 ] && pass "$f: every frame came after the one before it" ||
        fail "$f: ${reordered:-?} frames came out of order"
done
grep -q 'VP8 frame does not decode' "$T/viewer.err" "$T/late.err" &&
    fail "a VP8 frame did not decode: $(grep -h 'VP8 frame' "$T/viewer.err" "$T/late.err" | head -n 3)" ||
    pass "every VP8 frame decoded (the late viewer's first was a keyframe)"
if [ -n "$CAP" ]; then
    sleep 0.5
    kill -INT "$CAP" 2>/dev/null || true; wait "$CAP" 2>/dev/null || true
    # Wireshark's SPICE dissector reads STREAM_CREATE's codec_type itself
    created=$(tshark -r "$T/vp8.pcapng" -d "tcp.port==$PORT,spice" -Y 'spice.message_type == 122' \
        -T fields -e tcp.srcport -e spice.display_stream_codec_type 2>/dev/null | awk -v p="$PORT" '$1 == p' | head -n 3)
    echo "STREAM_CREATE in the capture (port, codec_type): $created"
    if [ -z "$created" ]; then
        skip "the capture's codec_type" "tshark's dissector names no codec_type field here"
    else
        awk '{ n++; if ($2 != 2) bad++ } END { exit !(n > 0 && !bad) }' <<<"$created" &&
            pass "the capture's STREAM_CREATEs carry codec_type VP8 (2)" ||
            fail "the capture's STREAM_CREATEs: $created"
    fi
fi
stop_server
unset FLOE_TEST_STREAM_IDLE_MS
# the stream ended without the hold: the exact pixels
start_server --disable-ticketing --size 640x400 --demo-video full --image-compression lz4
"$BIN/floe-viewer" --headless --duration 300 --snapshot "$T/exact.png" "$URI" \
    >"$T/exact.out" 2>"$T/exact.err" &
VPID=$!; PIDS+=("$VPID")
wait_for 90 written_over 30 || fail "the server wrote $(frames_written) frames in 90 s"
ctl freeze >/dev/null
sleep 1.5
ctl "snapshot $T/server2.png" >/dev/null
viewer_catch_up "$VPID" || { fail "floe-viewer failed"; cat "$T/exact.err"; }
d=$(pixel_diff "$T/server2.png" "$T/exact.png")
[ "$d" = 0 ] && pass "once the VP8 stream ended the viewer's picture equals the server's" ||
    fail "the viewer's picture differs from the server's in $d pixels"
stop_server

# --- through the shaping proxy at 1.5 Mbit/s --------------------------------------
start_server --disable-ticketing --size 640x400 --demo-video full --image-compression lz4
start_proxy --rate 1500
"$BIN/floe-viewer" --headless --duration 300 "spice://127.0.0.1:$PPORT" \
    >"$T/slow.out" 2>"$T/slow.err" &
VPID=$!; PIDS+=("$VPID")
wait_for 90 written_over 5 || fail "through the proxy the server wrote $(frames_written) frames in 90 s"
low=100000
for _ in $(seq 1 10); do
    sleep 1
    k=$(client_field stream_vp8_kbps)
    [ -n "$k" ] && [ "$k" -lt "$low" ] && low=$k
done
echo "lowest VP8 bitrate at 1.5 Mbit/s: $low kbit/s ($(client_field stream_kbps) kbit/s budget)"
[ "$low" -lt 1500 ] && pass "at 1.5 Mbit/s the VP8 bitrate dropped under the cap (to $low kbit/s)" ||
    fail "at 1.5 Mbit/s the VP8 bitrate stayed at $low kbit/s"
proxy rate 0
sleep 8
echo "8 s after the cap was lifted: $(client_field stream_vp8_kbps) kbit/s"
viewer_end "$VPID" || true
cat "$T/slow.out"
played_in_order "$T/slow.out" "through the proxy"
stop_server

# --- MJPEG forced --------------------------------------------------------------
export FLOE_TEST_STREAM_CODEC=mjpeg
start_server --disable-ticketing --size 640x400 --demo-video full --image-compression lz4
"$BIN/floe-viewer" --headless --duration 300 "$URI" >"$T/mjpeg.out" 2>"$T/mjpeg.err" &
VPID=$!; PIDS+=("$VPID")
wait_for 90 written_over 30 || fail "MJPEG forced: the server wrote $(frames_written) frames in 90 s"
codec=$(client_field stream_codec)
[ "$codec" = mjpeg ] && pass "FLOE_TEST_STREAM_CODEC=mjpeg: the same viewer gets MJPEG" ||
    fail "FLOE_TEST_STREAM_CODEC=mjpeg: the stream is '${codec:-none}'"
viewer_end "$VPID" || true
draws=$(summary_field stream_draws "$T/mjpeg.out")
[ "${draws:-0}" -ge 20 ] && pass "it drew $draws MJPEG frames" || fail "it drew ${draws:-no} MJPEG frames"
stop_server
unset FLOE_TEST_STREAM_CODEC

# --- a stream too large for VP8 to keep up: 1280x720 goes as MJPEG --------------
start_server --disable-ticketing --size 1280x720 --demo-video full --image-compression lz4
"$BIN/floe-viewer" --headless --duration 300 "$URI" >"$T/large.out" 2>"$T/large.err" &
VPID=$!; PIDS+=("$VPID")
wait_for 90 written_over 10 || fail "1280x720: the server wrote $(frames_written) frames in 90 s"
codec=$(client_field stream_codec)
[ "$codec" = mjpeg ] && pass "a 1280x720 stream goes as MJPEG to the VP8 viewer (VP8 would not keep up)" ||
    fail "a 1280x720 stream is '${codec:-none}'"
viewer_end "$VPID" || true
stop_server
finish
