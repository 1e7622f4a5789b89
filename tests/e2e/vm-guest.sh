#!/usr/bin/env bash
# floe-server --vm with the project's Linux test guest (tests/guest/build.sh,
# accel = auto, so the KVM probe must choose what boots it): floe-viewer --headless shows the guest's framebuffer console, equal to
# the server's snapshot and to QEMU's screendump; a command typed through
# floe-viewer runs in the guest's shell (its output reaches the serial log)
# and its output appears on the viewer's picture, the console's scrolling
# found in QEMU's updates and sent as scrolls. The VM has the agent's
# virtio-serial port (com.redhat.spice.0, seen by the guest), USB
# redirection ports and a sound card, each on the sockets floe-server made.
# The guest's VGA is on bochs (floe.drm=1) and floe-agent runs in it: the
# server attaches it once the guest opens its port; --clipboard-set's text
# (over 2048 bytes) is what `floe-agent clip get` reads in the guest, and
# text set there with `floe-agent clip set` (short, and over 2048 bytes)
# reaches --clipboard-out whole; a file sent with --send-file (300 KB of
# random bytes) arrives byte-exact in the guest's /root/Downloads;
# --guest-size 1000x700 becomes the guest's display mode, read back through
# KMS (`floe-agent kms`), and the picture's size.
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/qemu-lib.sh
for tool in socat md5sum sha256sum; do
    command -v $tool >/dev/null || { echo "FAIL: $tool is not installed"; exit 1; }
done

build_guest

QMP=$T/test-qmp.sock
SER=$T/serial.sock
cat >"$T/vm.conf" <<EOF2
memory = 256
accel = auto
kernel = $KERNEL
initrd = $INITRD
append = $GUEST_APPEND floe.drm=1
stop_timeout = 1
usb_redir = 2
sound = yes
extra = -qmp unix:$QMP,server=on,wait=off -chardev socket,id=ser,path=$SER,server=on,wait=off,logfile=$T/serial.log -serial chardev:ser
EOF2
start_server --disable-ticketing --vm "$T/vm.conf"
# accel = auto: whatever the KVM probe chooses must boot a Linux kernel
if wait_for 90 grep -aq "floe-guest ready" "$T/serial.log"; then
    pass "the guest booted: $(grep -a -m1 'floe-guest ready' "$T/serial.log" | tr -d '\r')"
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
grep -aq "virtio ports 1," "$T/serial.log" && pass "the guest sees one virtio-serial port" ||
    fail "the guest's virtio ports: $(grep -a -m1 'floe-guest ready' "$T/serial.log")"
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
if wait_for 20 grep -aq "floe-key-$((A * B))" "$T/serial.log"; then
    pass "the typed command ran in the guest (floe-key-$((A * B)) on the serial port)"
else
    fail "the typed command did not run"; tail -5 "$T/serial.log"
fi
grep -aq "com.redhat.spice.0" "$T/serial.log" &&
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

# ---- floe-agent in the guest, through floe-viewer ----
VIEWER=$BIN/floe-viewer
if wait_for 60 ctl_has stats 'agent=1'; then
    pass "floe-agent opened its port in the guest: the server attached it"
else
    fail "the server has no agent: $(ctl stats | head -n 1)"
    guest_line floe-log "cat /tmp/floe-agent.log | tr '\\n' '|'" || true
fi
sleep 1 # the shell's prompt

# ---- the clipboard, both ways, through one viewer ----
long="floe-clip-$RANDOM-$(printf 'the quick brown fox %.0s' $(seq 1 120))end"
want=$(printf '%s' "$long" | md5sum | cut -d' ' -f1)
"$VIEWER" --headless --duration 120 --clipboard-set "$long" --clipboard-out "$T/clip.txt" \
    "$URI" >"$T/v.out" 2>"$T/v.err" &
V=$!; PIDS+=($V)
wait_for 30 grep -q "agent is connected" "$T/v.err" || fail "the viewer saw no agent: $(tail -n 2 "$T/v.err")"
got=
for i in $(seq 1 10); do
    got=$(guest_line "floe-get-$i" "floe-agent clip get --timeout 5 | md5sum | cut -c1-32" || true)
    [ "$got" = "$want" ] && break
    sleep 1
done
[ "$got" = "$want" ] &&
    pass "--clipboard-set's ${#long} bytes are what 'floe-agent clip get' reads in the guest" ||
    fail "'floe-agent clip get' read md5 '$got', not $want"
for n in 1 150; do
    text_cmd="i=0; while [ \$i -lt $n ]; do echo \"floe guest line \$i of $n: pack my box\"; i=\$((i+1)); done"
    bash -c "$text_cmd" >"$T/want-$n.txt"
    guest_run "( $text_cmd ) | floe-agent clip set"
    if wait_for 30 cmp -s "$T/want-$n.txt" "$T/clip.txt"; then
        pass "text set in the guest ($(wc -c <"$T/want-$n.txt") bytes) reached --clipboard-out whole"
    else
        fail "--clipboard-out holds $(wc -c <"$T/clip.txt" 2>/dev/null || echo no) bytes, not the $(wc -c <"$T/want-$n.txt") set in the guest"
    fi
done
kill "$V" 2>/dev/null; wait "$V" 2>/dev/null || true

# ---- a file ----
head -c 300000 /dev/urandom >"$T/floe-file.bin"
sum=$(sha256sum "$T/floe-file.bin" | cut -c1-64)
if timeout 120 "$VIEWER" --headless --duration 90 --send-file "$T/floe-file.bin" "$URI" \
        >"$T/x.out" 2>"$T/x.err" && grep -q 'state=done' "$T/x.out"; then
    pass "--send-file: $(grep -c '^file_xfer' "$T/x.out") progress lines, the last: $(grep '^file_xfer' "$T/x.out" | tail -n 1)"
else
    fail "--send-file did not finish: $(tail -n 1 "$T/x.out") $(tail -n 1 "$T/x.err")"
fi
got=$(guest_line floe-sha "sha256sum /root/Downloads/floe-file.bin | cut -c1-64" || true)
[ "$got" = "$sum" ] && pass "the file arrived byte-exact in the guest's /root/Downloads" ||
    fail "the guest's copy has sha256 '$got', not $sum"

# ---- the monitors config: the guest's mode ----
"$VIEWER" --headless --guest-size 1000x700 --duration 6 "$URI" >"$T/g.out" 2>"$T/g.err" || true
mode=
for i in $(seq 1 10); do
    mode=$(guest_line "floe-kms-$i" "floe-agent kms | tr '\\n' ' '" || true)
    [[ "$mode" == *"mode 1000x700"* ]] && break
    sleep 1
done
[[ "$mode" == *"mode 1000x700"* ]] && pass "--guest-size 1000x700 became the guest's mode through KMS ($mode)" ||
    fail "the guest's mode after --guest-size 1000x700: $mode"
size_seen() { "$VIEWER" --headless --duration 2 "$URI" 2>/dev/null | grep -qE 'size=1000x700( |$)'; }
wait_for 30 size_seen && pass "the picture floe-server sends is 1000x700 too" ||
    fail "the picture did not follow the guest's mode: $("$VIEWER" --headless --duration 2 "$URI" 2>/dev/null | grep -o 'size=[0-9x]*')"
ctl_has stats 'agent_dropped=0' && pass "the relay dropped nothing" || fail "dropped: $(ctl stats | head -n 1)"
ctl vm-stop >/dev/null || true
stop_server
finish
