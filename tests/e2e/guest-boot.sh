#!/usr/bin/env bash
# The test guest (tests/guest/build.sh: Debian's kernel and busybox) boots
# under QEMU to its banner; its framebuffer console shows in QMP screendump
# at the expected mode, keys typed on the VM's keyboard run a shell command,
# vnc_snap's picture of the still console equals the screendump, and the
# floe-demo workload draws frames on /dev/fb0.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
QEMU=${QEMU:-qemu-system-x86_64}
SNAP="$TESTBIN/vnc_snap"
MODE=1024x768     # vga=0x318
[ -x "$SNAP" ] || { echo "FAIL: $SNAP is not built"; exit 1; }
for tool in "$QEMU" python3 compare convert; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed"; exit 1; }
done

start=$SECONDS
build_guest
pass "guest built in $((SECONDS - start)) s: $GUEST_CONTENTS"

# qmp_type TEXT: types TEXT on the VM's keyboard (QMP send-key, one key at a
# time, shift added for the characters that need it)
qmp_type() {
    python3 - "$T/qmp.sock" "$1" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(20); s.connect(sys.argv[1])
f = s.makefile("rw"); f.readline()
def cmd(c, **args):
    f.write(json.dumps({"execute": c, "arguments": args}) + "\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "return" in r: return
        if "error" in r: sys.exit("qmp: " + r["error"]["desc"])
cmd("qmp_capabilities")
plain = {" ": "spc", "-": "minus", "/": "slash", "=": "equal", ".": "dot", "\n": "ret"}
shifted = {">": "dot", "$": "4", "(": "9", ")": "0", "*": "8", "+": "equal"}
for ch in sys.argv[2]:
    if ch.isalnum():
        keys = ["shift", ch.lower()] if ch.isupper() else [ch]
    elif ch in plain:
        keys = [plain[ch]]
    else:
        keys = ["shift", shifted[ch]]
    cmd("send-key", keys=[{"type": "qcode", "data": k} for k in keys], **{"hold-time": 40})
PY
}

"$QEMU" -accel tcg -m 256 -display none -nodefaults -no-user-config -vga std \
    -kernel "$KERNEL" -initrd "$INITRD" -append "$GUEST_APPEND" \
    -device virtio-serial-pci -device virtserialport,chardev=agent,name=org.floe.agent \
    -chardev "socket,id=agent,path=$T/agent.sock,server=on,wait=off" \
    -qmp "unix:$T/qmp.sock,server=on,wait=off" -vnc "unix:$T/vnc.sock" \
    -serial "file:$T/serial.log" >"$T/qemu.log" 2>&1 &
PIDS+=($!)
boot=$SECONDS
if ! wait_for 60 grep -q "^floe-guest ready" "$T/serial.log"; then
    echo "serial log:"; tail -n 30 "$T/serial.log"; cat "$T/qemu.log"
    echo "FAIL: no banner on the serial console in 60 s"; exit 1
fi
banner=$(grep -a "^floe-guest ready" "$T/serial.log" | tr -d '\r')
pass "banner after $((SECONDS - boot)) s: $banner"
if [[ "$banner" == *"framebuffer VESA VGA ${MODE}x24"* && "$banner" == *"virtio ports 1,"* ]]; then
    pass "vesafb runs at ${MODE}x24 and virtio_console found the VM's port"
else
    fail "unexpected framebuffer or port count in the banner"
fi
sleep 1   # the shell draws its prompt

# (1) the framebuffer console in QMP screendump: the mode's size, not one
# colour, and text (lit pixels) on the banner's row
screendump "$T/qmp.sock" "$T/boot.ppm"
info=$(convert "$T/boot.ppm" -format '%wx%h %k' info:)
lit=$(convert "$T/boot.ppm" -crop 1024x32+0+0 +repage -threshold 50% -format '%[fx:int(mean*w*h)]' info:)
if [ "${info% *}" = "$MODE" ] && [ "${info#* }" -gt 1 ] && [ "$lit" -gt 200 ]; then
    pass "screendump: $info (size, colours), $lit lit pixels on the banner's row"
else
    fail "screendump: $info, $lit lit pixels on the banner's row (want $MODE, >1 colours, >200 lit)"
fi

# (2) keys: a command typed on the VM's keyboard (QMP send-key), Enter sent
# through vnc_snap; its output reaches the serial log only if the shell ran it
a=$((RANDOM % 900 + 100)); b=$((RANDOM % 900 + 100))
qmp_type "echo floe-key-\$(($a*$b)) >/dev/ttyS0"
if ! "$SNAP" "$T/vnc.sock" "$T/typed.png" --duration 2 --key 0x1c --key-delay 0.5 \
        >"$T/typed.out" 2>"$T/typed.err"; then
    fail "vnc_snap with Enter failed: $(cat "$T/typed.err")"
fi
if wait_for 20 grep -q "floe-key-$((a * b))" "$T/serial.log"; then
    pass "typed command ran: floe-key-$((a * b)) on the serial console"
else
    fail "typed command did not run (no floe-key-$((a * b)) in the serial log)"
    tail -n 5 "$T/serial.log"
fi
d=$(pixel_diff "$T/boot.ppm" "$T/typed.png")
if [ -n "$d" ] && [ "$d" -gt 100 ]; then pass "the typed command shows on the console ($d pixels changed)"
else fail "the console did not change after typing (${d:-?} pixels differ)"; fi

# (3) vnc_snap's picture of the still console equals QMP screendump; a few
# attempts in case the console was still being drawn
sleep 1
same=no
for attempt in 1 2 3; do
    if ! "$SNAP" "$T/vnc.sock" "$T/still.png" --duration 2 >"$T/still.out" 2>"$T/still.err"; then
        fail "vnc_snap failed: $(cat "$T/still.err")"; break
    fi
    screendump "$T/qmp.sock" "$T/still.ppm"
    d=$(pixel_diff "$T/still.png" "$T/still.ppm")
    [ "$d" = 0 ] && { same=yes; break; }
    echo "  attempt $attempt: $d pixels differ, retrying"
done
if [ $same = yes ] && grep -Eq "^updates=[1-9][0-9]* rects=[1-9][0-9]* size=$MODE\$" "$T/still.out"; then
    pass "vnc_snap equals QMP screendump pixel for pixel ($(cat "$T/still.out"))"
elif [ $same = yes ]; then
    fail "vnc_snap: unexpected summary line: '$(cat "$T/still.out")'"
else
    fail "vnc_snap's picture differs from QMP screendump (${d:-?} pixels)"
fi
# (4) the display workload draws frames: it reports them on the serial
# console and the picture is no longer the console's
qmp_type "floe-demo 3 >/dev/ttyS0
"
if wait_for 30 grep -Eq "^floe-demo: [1-9][0-9]* frames" "$T/serial.log"; then
    screendump "$T/qmp.sock" "$T/demo.ppm"
    d=$(pixel_diff "$T/still.ppm" "$T/demo.ppm")
    if [ -n "$d" ] && [ "$d" -gt 100000 ]; then
        pass "$(grep -a "^floe-demo:" "$T/serial.log" | tr -d '\r'), $d pixels changed"
    else
        fail "floe-demo ran but the picture changed little (${d:-?} pixels)"
    fi
else
    fail "floe-demo did not report its frames"; tail -n 5 "$T/serial.log"
fi
echo "total $((SECONDS - start)) s"
finish
