#!/usr/bin/env bash
# floe-viewer's SDL2 window under Xvfb: the window shows the server's
# desktop pixel for pixel, keys typed into it with xdotool reach the demo,
# and the viewer says so and ends when the server goes away.
. "$(dirname "$0")/../lib.sh"

start_server --disable-ticketing --size 1024x768 --name "floe window test"
start_xvfb 1400x1000
# SDL loads the X11 libraries with dlopen and unloads them at exit, so the
# little they keep for good shows up as leaks of an "unknown module" that
# cannot be told apart or suppressed: leaks are checked in the headless
# tests, where the same client code runs without SDL.
ASAN_OPTIONS=detect_leaks=0 SDL_RENDER_DRIVER=software "$BIN/floe-viewer" "$URI" >"$T/viewer.out" 2>"$T/viewer.err" &
VPID=$!; PIDS+=("$VPID")
if wait_for 30 sh -c 'xdotool search --name "floe window test" | grep -q .'; then
    pass "the window carries the server's name"
else
    fail "no floe-viewer window"; cat "$T/viewer.err"; finish
fi
WID=$(xdotool search --name "floe window test" | head -n 1)
geom=$(xdotool getwindowgeometry "$WID" | sed -n 's/.*Geometry: //p')
[ "$geom" = 1024x768 ] && pass "the window is the surface's size ($geom)" || fail "window is $geom"

sleep 2
xdotool windowactivate --sync "$WID" >/dev/null 2>&1 || true
xdotool type --delay 60 "Typed in SDL!"
if wait_for 10 ctl_has_text typed 'Typed in SDL!'; then
    pass "keys typed into the window reached the demo"
else
    fail "typed text did not arrive: $(ctl typed | head -1)"
fi
ctl freeze >/dev/null
best=-1
for i in 1 2 3 4 5; do
    sleep 1
    ctl "snapshot $T/server.png" >/dev/null
    import -window "$WID" "$T/window.png"
    best=$(pixel_diff "$T/server.png" "$T/window.png")
    [ "$best" = 0 ] && break
done
[ "$best" = 0 ] && pass "the window equals the server's snapshot (0 differing pixels)" ||
    fail "the window differs from the server's snapshot in $best pixels"
stop_server
for i in $(seq 1 50); do kill -0 "$VPID" 2>/dev/null || break; sleep 0.2; done
if kill -0 "$VPID" 2>/dev/null; then
    fail "floe-viewer kept running after the server left"
else
    rc=0; wait "$VPID" || rc=$?
    if [ "$rc" = 1 ] && grep -q "^floe-viewer: disconnected" "$T/viewer.err"; then
        pass "floe-viewer said it was disconnected and exited with status 1"
    else
        fail "floe-viewer ended with status $rc when the server left"; tail -5 "$T/viewer.err"
    fi
fi
finish
