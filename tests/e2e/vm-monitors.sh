#!/usr/bin/env bash
# floe-server --vm with two monitors: QEMU gets a second display head (a
# secondary VGA with its own VNC server) and floe-server serves it as a
# second DISPLAY channel. With the Linux test guest (which drives the second
# head through the bochs DRM driver as /dev/fb1):
#   - floe-viewer's pictures of both monitors equal the server's snapshots
#     and QEMU's screendumps of the matching heads;
#   - a command typed through floe-viewer (floe-paint) paints the second
#     head; the viewer's second monitor then shows the new mode with its
#     eight grey bands, still equal to QEMU's, while the first monitor shows
#     the typed command;
#   - a monitors value out of range is refused with one line.
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/qemu-lib.sh
command -v socat >/dev/null || { echo "FAIL: socat is not installed"; exit 1; }

printf 'monitors = 5\n' >"$T/bad.conf"
rc=0
out=$("$BIN/floe-server" --listen 127.0.0.1:0 --disable-ticketing --vm "$T/bad.conf" 2>&1) || rc=$?
[ $rc = 2 ] && grep -q "monitors must be 1..4, not '5'" <<<"$out" &&
    pass "monitors = 5 refused: $out" || fail "monitors = 5: exit $rc: $out"

build_guest
QMP=$T/test-qmp.sock
cat >"$T/vm.conf" <<EOF2
memory = 256
accel = tcg
monitors = 2
kernel = $KERNEL
initrd = $INITRD
append = $GUEST_APPEND
stop_timeout = 1
extra = -qmp unix:$QMP,server=on,wait=off -serial file:$T/serial.log
EOF2
start_server --disable-ticketing --vm "$T/vm.conf"
if wait_for 90 grep -q "floe-guest ready" "$T/serial.log"; then
    pass "the guest booted: $(grep -m1 'floe-guest ready' "$T/serial.log" | tr -d '\r' | sed 's/.*, virtio/virtio/')"
else
    fail "no banner from the guest"; tail -5 "$T/serial.log"; tail -5 "$T/server.err"; finish
fi
grep -q "framebuffers 2" "$T/serial.log" && pass "the guest has a framebuffer for each head" ||
    fail "the guest's framebuffers: $(grep -m1 'floe-guest ready' "$T/serial.log")"
status=$(ctl vm-status | head -1)
grep -q "size=1024x768,[0-9]*x[0-9]* " <<<"$status" && pass "vm-status has both heads: $(grep -o 'size=[^ ]*' <<<"$status")" ||
    fail "vm-status: $status"

dump_head() { # head file
    qmp "$QMP" screendump "{\"filename\": \"$2\", \"device\": \"head$1\"}"
}
# agree NAME: both monitors of the viewer equal the server's and QEMU's
agree() {
    local i m d1 d2 ok
    for i in 1 2 3 4 5; do
        sleep 2
        rm -f "$T/$1".png "$T/$1"-1.png
        "$BIN/floe-viewer" --headless --duration 3 --snapshot "$T/$1.png" "$URI" \
            >"$T/$1.out" 2>"$T/$1.err" || { fail "$1: floe-viewer failed: $(cat "$T/$1.err")"; return; }
        ok=1
        for m in 0 1; do
            local v=$T/$1.png
            [ $m = 0 ] || v=$T/$1-1.png
            ctl "snapshot $T/$1-server$m.png $m" >/dev/null
            dump_head $m "$T/$1-qemu$m.ppm"
            d1=$(pixel_diff "$v" "$T/$1-server$m.png")
            d2=$(pixel_diff "$v" "$T/$1-qemu$m.ppm")
            [ "$d1" = 0 ] && [ "$d2" = 0 ] || { ok=0; why="monitor $((m + 1)): viewer/server $d1, viewer/QEMU $d2"; }
        done
        [ $ok = 1 ] && break
    done
    if [ $ok = 1 ]; then
        pass "$1: each monitor of the viewer equals the server's and QEMU's head ($(identify -format '%wx%h ' "$T/$1.png" "$T/$1-1.png"))"
    else
        fail "$1: pixels differ: $why"
    fi
}
agree boot

"$BIN/floe-viewer" --headless --duration 6 --type-delay 1 --type "floe-paint >/dev/ttyS0
" "$URI" >/dev/null 2>"$T/type.err" || fail "typing viewer failed: $(cat "$T/type.err")"
if wait_for 20 grep -q "floe-paint: fb1 painted" "$T/serial.log"; then
    pass "floe-paint, typed through the viewer, ran in the guest"
else
    fail "floe-paint did not run"; tail -5 "$T/serial.log"
fi
agree painted
size=$(identify -format %wx%h "$T/painted-1.png")
colours=$(convert "$T/painted-1.png" -format %k info:)
# eight bands of equal area: every grey covers an eighth of the picture
counts=$(convert "$T/painted-1.png" -format %c histogram:info: | awk '{print $1}' | tr -d : | sort -u)
[ "$counts" = $(( $(identify -format '%w*%h' "$T/painted-1.png") / 8 )) ] || colours="uneven $colours"
[ "$size" != "$(identify -format %wx%h "$T/boot-1.png")" ] && [ "$colours" = 8 ] &&
    pass "the second monitor shows the guest's new mode $size with its 8 grey bands" ||
    fail "the second monitor after floe-paint: $size, $colours colours"
d=$(pixel_diff "$T/boot.png" "$T/painted.png")
[ "$d" -gt 500 ] && pass "the first monitor shows the typed command ($d pixels changed)" ||
    fail "the first monitor barely changed ($d pixels)"
ctl vm-stop >/dev/null || true
stop_server
finish
