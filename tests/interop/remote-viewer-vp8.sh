#!/usr/bin/env bash
# The reference client playing floe's VP8 stream: remote-viewer (spice-gtk,
# which states MULTI_CODEC and CODEC_VP8 when GStreamer has vp8dec) under
# Xvfb, full screen, watching the demo's full-screen video. The server's
# clients command names the stream's codec VP8 and a capture's
# STREAM_CREATE carries codec_type 2; remote-viewer sends STREAM_REPORTs
# (none of them "cannot play"), its screen changes while the video plays,
# and once the video stops its screen shows the last VP8 frame within a
# PSNR bound of the server's picture (the stream held open meanwhile by
# FLOE_TEST_STREAM_IDLE_MS), then, the stream ended, equals it pixel for pixel.
. "$(dirname "$0")/../lib.sh"
command -v remote-viewer >/dev/null || { skip "remote-viewer" "not installed"; finish; }
# vp8dec: GStreamer's vpx plugin (gstreamer1.0-plugins-good)
ls /usr/lib/*/gstreamer-1.0/libgstvpx.so >/dev/null 2>&1 ||
    { skip "remote-viewer's VP8" "GStreamer's vpx plugin (vp8dec) is not installed"; finish; }
PSNR_MIN=28

W=640; H=400
export FLOE_TEST_STREAM_IDLE_MS=8000
start_server --disable-ticketing --size ${W}x${H} --demo-video full --image-compression lz4
CAP=
if command -v tshark >/dev/null; then
    tshark -i lo -f "tcp port $PORT" -w "$T/rv.pcapng" >"$T/tshark.out" 2>&1 &
    CAP=$!; PIDS+=("$CAP")
    wait_for 20 grep -q "Capturing on" "$T/tshark.out" || CAP=
    sleep 1
fi
start_xvfb ${W}x${H}
remote-viewer --full-screen "spice://127.0.0.1:$PORT" >"$T/rv.log" 2>&1 &
PIDS+=($!)
if wait_for 60 ctl_has clients 'display inputs cursor'; then
    pass "remote-viewer linked main, display, inputs and cursor"
else
    fail "remote-viewer did not link all channels"; ctl clients || true; cat "$T/rv.log"; finish
fi
frames() { ctl stats | sed -n 's/.*stream_frames=\([0-9]*\).*/\1/p'; }
many_frames() { [ "$(frames)" -gt 30 ]; }
wait_for 60 many_frames && pass "$(frames) frames written to remote-viewer" ||
    fail "$(frames) frames written to remote-viewer in 60 s"
codec=$(ctl clients | sed -n 's/.*stream_codec=\([a-z0-9]*\).*/\1/p' | head -n 1)
[ "$codec" = vp8 ] && pass "remote-viewer's stream is VP8" ||
    fail "remote-viewer's stream is '${codec:-none}': $(ctl clients)"
reports() { ctl clients | sed -n 's/.*stream_reports=\([0-9]*\).*/\1/p' | head -n 1; }
has_reports() { [ "$(reports)" -gt 2 ]; }
wait_for 30 has_reports && pass "remote-viewer sent $(reports) STREAM_REPORTs on the stream" ||
    fail "no STREAM_REPORT from remote-viewer: $(ctl clients)"
# the window shows the video: two looks a moment apart differ
import -window root "$T/a.png"
sleep 0.7
import -window root "$T/b.png"
d=$(pixel_diff "$T/a.png" "$T/b.png")
[ "${d:-0}" -gt 1000 ] 2>/dev/null && pass "remote-viewer's screen moves with the video ($d pixels changed)" ||
    fail "remote-viewer's screen did not change while the video played (${d:-?} pixels)"
# the video stops: its last VP8 frame stands, the stream still open
ctl freeze >/dev/null
sleep 3
ctl "snapshot $T/server.png" >/dev/null
import -window root "$T/rv-vp8.png"
psnr=$(compare -metric PSNR "$T/server.png" "$T/rv-vp8.png" null: 2>&1 | cut -d' ' -f1 || true)
awk -v p="$psnr" -v m=$PSNR_MIN 'BEGIN { exit !(p == "inf" || p + 0 >= m) }' &&
    pass "remote-viewer's last VP8 frame is within $PSNR_MIN dB of the server's picture ($psnr dB)" ||
    fail "remote-viewer's last VP8 frame is $psnr dB from the server's picture"
grep -q 'cannot play' "$T/server.err" && fail "remote-viewer said it cannot play the stream" ||
    pass "remote-viewer never said it cannot play the stream"
# the stream ends (8 s after the last frame) with the exact pixels
best=-1
for i in $(seq 1 15); do
    sleep 1
    import -window root "$T/rv.png"
    best=$(pixel_diff "$T/server.png" "$T/rv.png")
    [ "$best" = 0 ] && break
done
[ "$best" = 0 ] && pass "once the stream ended remote-viewer's screen equals the server's" ||
    fail "remote-viewer's screen differs from the server's in $best pixels"
if [ -n "$CAP" ]; then
    kill -INT "$CAP" 2>/dev/null || true; wait "$CAP" 2>/dev/null || true
    created=$(tshark -r "$T/rv.pcapng" -d "tcp.port==$PORT,spice" -Y 'spice.message_type == 122' \
        -T fields -e tcp.srcport -e spice.display_stream_codec_type 2>/dev/null | awk -v p="$PORT" '$1 == p')
    echo "STREAM_CREATE in the capture (port, codec_type): $created"
    [ -n "$created" ] && awk '{ n++; if ($2 != 2) bad++ } END { exit !(n > 0 && !bad) }' <<<"$created" &&
        pass "the capture's STREAM_CREATE carries codec_type VP8 (2)" ||
        fail "the capture's STREAM_CREATEs: ${created:-none}"
fi
grep -i "critical\|warning" "$T/rv.log" | head -5 || true
stop_server
finish
