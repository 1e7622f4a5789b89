#!/usr/bin/env bash
# floe-server --vm with the project's Linux test guest (tests/guest/build.sh,
# accel = auto, so the KVM probe must choose what boots it): floe-viewer --headless shows the guest's framebuffer console, equal to
# the server's snapshot and to QEMU's screendump; a command typed through
# floe-viewer runs in the guest's shell (its output reaches the serial log)
# and its output appears on the viewer's picture, the console's scrolling
# found in QEMU's updates and sent as scrolls. The VM has the agent's
# virtio-serial port (com.redhat.spice.0, seen by the guest), USB
# redirection ports and a sound card, each on the sockets floe-server made.
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/qemu-lib.sh
command -v socat >/dev/null || { echo "FAIL: socat is not installed"; exit 1; }

build_guest

QMP=$T/test-qmp.sock
cat >"$T/vm.conf" <<EOF2
memory = 256
accel = auto
kernel = $KERNEL
initrd = $INITRD
append = $GUEST_APPEND
stop_timeout = 1
usb_redir = 2
sound = yes
extra = -qmp unix:$QMP,server=on,wait=off -serial file:$T/serial.log
EOF2
start_server --disable-ticketing --vm "$T/vm.conf"
# accel = auto: whatever the KVM probe chooses must boot a Linux kernel
if wait_for 90 grep -q "floe-guest ready" "$T/serial.log"; then
    pass "the guest booted: $(grep -m1 'floe-guest ready' "$T/serial.log" | tr -d '\r')"
    pass "accel = auto chose an accelerator that boots Linux: $(grep -m1 'vm: using' "$T/server.err" | sed 's/.*vm: //')"
else
    fail "no banner from the guest"; tail -5 "$T/serial.log"; tail -5 "$T/server.err"; finish
fi

# viewer, server and QEMU agree once the console is still
agree() { # NAME: retries while the screen settles
    local d1 d2 i
    for i in 1 2 3 4 5; do
        sleep 2
        "$BIN/floe-viewer" --headless --duration 3 --snapshot "$T/$1-viewer.png" "$URI" \
            >/dev/null 2>"$T/$1-viewer.err" || { fail "$1: floe-viewer failed"; cat "$T/$1-viewer.err"; return; }
        ctl "snapshot $T/$1-server.png" >/dev/null
        screendump "$QMP" "$T/$1-qemu.ppm"
        d1=$(pixel_diff "$T/$1-viewer.png" "$T/$1-server.png")
        d2=$(pixel_diff "$T/$1-viewer.png" "$T/$1-qemu.ppm")
        [ "$d1" = 0 ] && [ "$d2" = 0 ] && break
    done
    [ "$d1" = 0 ] && [ "$d2" = 0 ] &&
        pass "$1: the viewer's picture equals the server's and QEMU's ($(identify -format %wx%h "$T/$1-viewer.png"))" ||
        fail "$1: pixels differ: viewer/server $d1, viewer/QEMU $d2"
}
agree console
colours=$(convert "$T/console-viewer.png" -format %k info:)
[ "$colours" -gt 1 ] && pass "the console shows text ($colours colours)" || fail "blank console"

# the devices floe-server gave the VM
grep -q "virtio ports 1," "$T/serial.log" && pass "the guest sees one virtio-serial port" ||
    fail "the guest's virtio ports: $(grep -m1 'floe-guest ready' "$T/serial.log")"
status=$(ctl vm-status | head -1)
agent=$(sed -n 's/.* agent=\([^ ]*\).*/\1/p' <<<"$status")
[ -S "$agent" ] && pass "the agent port's socket is there ($agent)" || fail "no agent socket: $status"
n=0
for i in 0 1; do [ -S "$(dirname "$agent")/usbredir$i.sock" ] && n=$((n + 1)); done
[ $n = 2 ] && pass "two USB redirection sockets" || fail "$n USB redirection sockets"
"$TESTBIN/qmp_tool" "$QMP" query-pci >"$T/pci.json" 2>"$T/pci.err" || fail "query-pci: $(cat "$T/pci.err")"
for class in 1027:sound 3075:USB 1920:virtio-serial; do
    grep -q "\"class\": *${class%%:*}\b" "$T/pci.json" && pass "QEMU has the ${class#*:} device" ||
        fail "no ${class#*:} device on the PCI bus"
done

# a command typed through floe-viewer, its output on the serial port and on screen
A=$((RANDOM % 900 + 100)); B=$((RANDOM % 900 + 100))
"$BIN/floe-viewer" --headless --duration 14 --type-delay 1 \
    --type "cat /sys/class/virtio-ports/*/name >/dev/ttyS0; seq 1 60; echo floe-key-\$(($A*$B)) >/dev/ttyS0; printf '%0400d\\n' 0 | tr 0 '#'
" "$URI" >/dev/null 2>"$T/type.err" || fail "typing viewer failed: $(cat "$T/type.err")"
if wait_for 20 grep -q "floe-key-$((A * B))" "$T/serial.log"; then
    pass "the typed command ran in the guest (floe-key-$((A * B)) on the serial port)"
else
    fail "the typed command did not run"; tail -5 "$T/serial.log"
fi
grep -q "com.redhat.spice.0" "$T/serial.log" &&
    pass "the guest names its port com.redhat.spice.0, as SPICE agents expect" ||
    fail "the guest's port name: $(tail -3 "$T/serial.log")"
agree typed
# sixty lines scrolled the console: the server found the scrolls in QEMU's
# updates and sent them as COPY_BITS and the new rows
n=$(ctl stats | sed -n 's/.* scrolls=\([0-9]*\).*/\1/p')
[ "${n:-0}" -gt 0 ] && pass "the console's scrolling went to clients as scrolls (scrolls=$n)" ||
    fail "no scroll found in the console's updates: $(ctl stats | head -n 1)"
d=$(pixel_diff "$T/console-viewer.png" "$T/typed-viewer.png")
[ "$d" -gt 2000 ] && pass "the command's output appeared on the viewer's picture ($d pixels changed)" ||
    fail "the viewer's picture barely changed ($d pixels)"
ctl vm-stop >/dev/null || true
stop_server
finish
