#!/usr/bin/env bash
# floe-server and floe-viewer --headless on loopback: after freeze the
# viewer's picture equals the server's pixel for pixel, and keys typed
# through the viewer reach the demo's text window, whose rows went to the
# viewer as draw operations (glyph runs and fills) it rendered itself.
. "$(dirname "$0")/../lib.sh"

start_server --disable-ticketing --size 1280x720
TEXT="hello floe 42"
"$BIN/floe-viewer" --headless --duration 14 --settle 2 --snapshot "$T/viewer.png" --type "$TEXT" "$URI" \
    >"$T/viewer.out" 2>"$T/viewer.err" &
VPID=$!; PIDS+=("$VPID")
sleep 1
ctl "snapshot $T/early.png" >/dev/null

if wait_for 12 ctl_has_text typed "$TEXT"; then
    pass "keys typed through floe-viewer reached the demo's text window"
else
    fail "typed text did not arrive: $(ctl typed | head -1)"
fi
# the text window's rows go as glyph runs and fills the viewer draws itself
n=$(ctl stats | sed -n 's/.*ops_offloaded=\([0-9]*\).*/\1/p')
[ "${n:-0}" -gt 0 ] && pass "the server sent $n draw operations for the viewer to render (ops_offloaded)" ||
    fail "no draw operation was offloaded: $(ctl stats | head -n 1)"
# the wallpaper is an off-screen surface the viewer keeps: what the dragged
# window uncovers is copied from it
n=$(ctl stats | sed -n 's/.*offscreen_surfaces=\([0-9]*\).*/\1/p')
[ "${n:-0}" = 1 ] && pass "the demo's wallpaper is an off-screen surface (offscreen_surfaces=1)" ||
    fail "the demo's wallpaper is not an off-screen surface: $(ctl stats | head -n 1)"
sleep 1
ctl freeze >/dev/null
sleep 1
ctl "snapshot $T/server.png" >/dev/null
if wait "$VPID"; then pass "floe-viewer exited cleanly"; else fail "floe-viewer failed"; cat "$T/viewer.err"; fi
summary=$(tail -n 1 "$T/viewer.out")
echo "viewer: $summary"
frames=$(sed -n 's/.*frames=\([0-9]*\).*/\1/p' <<<"$summary")
[ "${frames:-0}" -gt 10 ] && pass "the viewer received $frames frames" || fail "too few frames: $summary"
d=$(pixel_diff "$T/server.png" "$T/viewer.png")
[ "$d" = 0 ] && pass "viewer snapshot equals server snapshot (0 differing pixels)" ||
    fail "viewer snapshot differs from the server's in $d pixels"
d=$(pixel_diff "$T/early.png" "$T/server.png")
[ "$d" != 0 ] && pass "the demo was animating ($d pixels changed meanwhile)" ||
    fail "the demo did not change"
stop_server
finish
