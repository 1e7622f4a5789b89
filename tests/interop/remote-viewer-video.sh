#!/usr/bin/env bash
# The reference client playing floe's video stream: remote-viewer (spice-gtk,
# which states SPICE_DISPLAY_CAP_STREAM_REPORT) under Xvfb, full screen,
# watching the demo's full-screen video. The server asks it for reports
# (STREAM_ACTIVATE_REPORT) and it sends STREAM_REPORTs, which the server
# takes into the stream's rate; once the video stops (freeze) remote-viewer's
# screen equals the server's picture pixel for pixel.
. "$(dirname "$0")/../lib.sh"
command -v remote-viewer >/dev/null || { skip "remote-viewer" "not installed"; finish; }
# MJPEG here (interop/remote-viewer-vp8.sh plays VP8 to the same client)
export FLOE_TEST_STREAM_CODEC=mjpeg

W=640; H=400
start_server --disable-ticketing --size ${W}x${H} --demo-video full --image-compression lz4
start_xvfb ${W}x${H}
remote-viewer --full-screen "spice://127.0.0.1:$PORT" >"$T/rv.log" 2>&1 &
PIDS+=($!)
if wait_for 60 ctl_has clients 'display inputs cursor'; then
    pass "remote-viewer linked main, display, inputs and cursor"
else
    fail "remote-viewer did not link all channels"; ctl clients || true; cat "$T/rv.log"; finish
fi
reports() { ctl clients | sed -n 's/.*stream_reports=\([0-9]*\).*/\1/p' | head -n 1; }
has_reports() { [ "$(reports)" -gt 2 ]; }
if wait_for 30 has_reports; then
    pass "remote-viewer sent $(reports) STREAM_REPORTs on the stream"
else
    fail "no STREAM_REPORT from remote-viewer: $(ctl clients)"
fi
ctl_has stats 'streams=[1-9]' && pass "the server streamed the video" || fail "stats: $(ctl stats)"
frames() { ctl stats | sed -n 's/.*stream_frames=\([0-9]*\).*/\1/p'; }
many_frames() { [ "$(frames)" -gt 30 ]; }
wait_for 60 many_frames && pass "$(frames) frames written to remote-viewer" ||
    fail "$(frames) frames written to remote-viewer in 60 s"
ctl freeze >/dev/null
best=-1
for i in $(seq 1 10); do
    sleep 1
    ctl "snapshot $T/server.png" >/dev/null
    import -window root "$T/rv.png"
    best=$(pixel_diff "$T/server.png" "$T/rv.png")
    [ "$best" = 0 ] && break
done
[ "$best" = 0 ] && pass "once the video stopped remote-viewer's screen equals the server's" ||
    fail "remote-viewer's screen differs from the server's in $best pixels"
grep -i "critical\|warning" "$T/rv.log" | head -5 || true
stop_server
finish
