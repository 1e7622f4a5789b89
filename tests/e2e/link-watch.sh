#!/usr/bin/env bash
# The link is watched while it is used, not only measured at the start: a
# headless floe-viewer watches the demo (no video streams, so the photo
# window's frames go as pictures) through the shaping proxy. Unlimited, the
# link is fast and photographs go lossless; capped at 3 Mbit/s through the
# proxy's control socket, the server finds the link slow from what its
# display socket delivers while data waits, and photographs go as JPEG;
# with the cap lifted the link is fast again and they go lossless again.
# Capped again and frozen while the viewer holds JPEG pictures, then the
# cap lifted: the server sends them again losslessly, and the viewer's
# picture equals the server's pixel for pixel.
. "$(dirname "$0")/../lib.sh"
PROXY=$TESTBIN/shape_proxy
[ -x "$PROXY" ] || { echo "FAIL: $PROXY is not built"; exit 1; }

start_server --disable-ticketing --size 1024x640 --streaming-video off
start_proxy
"$BIN/floe-viewer" --headless --duration 300 --snapshot "$T/viewer.png" "spice://127.0.0.1:$PPORT" \
    >"$T/viewer.out" 2>"$T/viewer.err" &
VPID=$!; PIDS+=("$VPID")
count() { ctl stats | sed -n "s/.* $1=\([0-9]*\).*/\1/p" | head -n 1; }   # CODEC

if wait_for 20 ctl_has clients 'link=fast'; then
    pass "unlimited: the link is fast"
else
    fail "unlimited: $(ctl clients | head -n 1)"
fi
proxy rate 3000
if wait_for 40 ctl_has clients 'link=slow'; then
    pass "capped at 3 Mbit/s: the server found the link slow ($(grep -m1 'link carries' "$T/server.err" | sed 's/.*link carries/carries/'))"
else
    fail "capped at 3 Mbit/s: the link never counted slow: $(ctl clients | head -n 1)"
fi
j1=$(count jpeg)
sleep 4
j2=$(count jpeg)
[ "${j2:-0}" -gt "${j1:-0}" ] && pass "on the slow link photographs go as JPEG ($j1 -> $j2)" ||
    fail "no JPEG on the slow link ($j1 -> $j2): $(ctl stats | head -n 1)"

q1=$(count quic)
proxy rate 0
if wait_for 60 ctl_has clients 'link=fast'; then
    pass "the cap lifted: the link is fast again ($(grep -m1 'keeps up again\|: fast$' "$T/server.err" | sed 's/.*: link/link/'))"
else
    fail "the cap lifted: the link stayed slow: $(ctl clients | head -n 1)"
fi
# (a viewer slowed by a busy machine may make it look slow again later:
# what is checked is that photographs went lossless once it was fast)
quic_grew() { [ "$(count quic)" -gt "${q1:-0}" ]; }
if wait_for 20 quic_grew; then
    pass "on the fast link photographs go lossless again (QUIC $q1 -> $(count quic))"
else
    fail "after the cap: no QUIC picture ($q1 -> $(count quic)): $(ctl stats | head -n 1)"
fi

# Capped again and frozen while JPEG pictures are what the viewer holds:
# nothing draws over them. The cap lifted, the server sends them again
# losslessly (the lossy area is looked for, not expected to stay: the
# watch may find the capped link keeping up for a while meanwhile).
lossy() { ctl clients | sed -n 's/.* lossy_px=\([0-9]*\).*/\1/p' | head -n 1; }
lossy_seen() { [ "$(lossy)" -gt 0 ]; }
lossy_gone() { [ "$(lossy)" = 0 ]; }
proxy rate 3000
wait_for 40 ctl_has clients 'link=slow' || true
wait_for 20 lossy_seen || true
ctl freeze >/dev/null
l=$(lossy); r0=$(count lossless_refresh)
[ "${l:-0}" -gt 0 ] && pass "frozen on the slow link again, the viewer holds $l pixels lossy" ||
    fail "no lossy area counted on the slow link (JPEG pictures: $(count jpeg)): $(ctl clients | head -n 1)"
proxy rate 0
t0=$SECONDS
if wait_for 60 lossy_gone && [ "$(count lossless_refresh)" -gt "${r0:-0}" ]; then
    pass "the cap lifted, the lossy areas went again losslessly within $((SECONDS - t0)) s (lossless_refresh $r0 -> $(count lossless_refresh), $(count lossless_refresh_px) pixels in all)"
else
    fail "lossy areas left: $(ctl clients | head -n 1); lossless_refresh $r0 -> $(count lossless_refresh)"
fi
ctl "snapshot $T/server.png" >/dev/null
viewer_catch_up "$VPID" || fail "floe-viewer failed: $(tail -n 2 "$T/viewer.err")"
d=$(pixel_diff "$T/server.png" "$T/viewer.png")
[ "$d" = 0 ] && pass "the viewer's picture equals the server's" ||
    fail "$d pixels differ between the viewer's picture and the server's"
stop_server
finish
