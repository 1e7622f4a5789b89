#!/usr/bin/env bash
# The reference client: remote-viewer (virt-viewer, spice-gtk) under Xvfb,
# full screen, with a password, shows floe-server's desktop pixel for pixel,
# the rows of text it was sent as glyph runs (DRAW_TEXT) included.
. "$(dirname "$0")/../lib.sh"

W=1920; H=1080
echo "rv-pass-42" >"$T/pw"
start_server --password-file "$T/pw" --size ${W}x${H}
start_xvfb ${W}x${H}

# a .vv connection file, as virt-viewer users write them
cat >"$T/conn.vv" <<VV
[virt-viewer]
type=spice
host=127.0.0.1
port=$PORT
password=rv-pass-42
fullscreen=1
title=floe
VV
remote-viewer --full-screen "$T/conn.vv" >"$T/rv.log" 2>&1 &
PIDS+=($!)

if wait_for 60 ctl_has clients 'display inputs cursor'; then
    pass "remote-viewer linked main, display, inputs and cursor"
else
    fail "remote-viewer did not link all channels"; ctl clients || true; cat "$T/rv.log"
fi
sleep 3
# the Notes window's blinking caret row goes as a fill and a glyph run (A4
# DRAW_TEXT) that remote-viewer renders itself
n=$(ctl stats | sed -n 's/.*ops_offloaded=\([0-9]*\).*/\1/p')
[ "${n:-0}" -gt 0 ] && pass "remote-viewer was sent $n draw operations to render (ops_offloaded)" ||
    fail "no draw operation was offloaded: $(ctl stats | head -n 1)"
ctl freeze >/dev/null
best=-1
for i in 1 2 3 4 5 6 7 8 9 10; do
    sleep 1
    ctl "snapshot $T/server.png" >/dev/null
    import -window root "$T/rv.png"
    best=$(pixel_diff "$T/server.png" "$T/rv.png")
    [ "$best" = 0 ] && break
done
if [ "$best" = 0 ]; then
    pass "remote-viewer's screen equals the server's snapshot (0 of $((W * H)) pixels differ)"
else
    fail "remote-viewer's screen differs from the server's snapshot in $best pixels"
    mkdir -p build/test-artifacts && cp "$T/server.png" "$T/rv.png" build/test-artifacts/ || true
fi
# the picture is not trivially uniform: the demo drew something
colors=$(convert "$T/rv.png" -format %k info:)
[ "$colors" -gt 50 ] && pass "the desktop has $colors colours" || fail "only $colors colours on screen"

# a wrong password is refused by the server and the client reports it
cat >"$T/bad.vv" <<VV
[virt-viewer]
type=spice
host=127.0.0.1
port=$PORT
password=wrong
VV
before=$(grep -c "PERMISSION_DENIED" "$T/server.err" || true)
timeout 15 remote-viewer "$T/bad.vv" >"$T/rv-bad.log" 2>&1 &
PIDS+=($!)
if wait_for 15 sh -c "[ \$(grep -c PERMISSION_DENIED $T/server.err) -gt $before ]"; then
    pass "a wrong password is refused (PERMISSION_DENIED)"
else
    fail "a wrong password was not refused"
fi
ctl thaw >/dev/null
stop_server
finish
