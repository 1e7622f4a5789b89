#!/usr/bin/env bash
# SPICE's mouse modes with QEMU and floe's libspice-server.so.1: a Linux
# guest whose only pointer is the PS/2 mouse (-device VGA, no tablet, no
# vmmouse) gets server mode: clients are offered server mode only, QEMU's
# query-spice says so, and the relative moves and buttons that floe-viewer
# and remote-viewer (grabbing the pointer, moved by xdotool) send reach the
# guest's mouse (floe-evlog reads evdev in the guest and reports on the
# serial port). A USB tablet added through QMP while both clients are
# connected makes QEMU register its tablet: both are told client mode is
# allowed and take it (MAIN_MOUSE_MODE), and positions and clicks from
# remote-viewer, then from a new floe-viewer, reach the guest's tablet at
# the place asked for; the tablet removed again puts the clients back in
# server mode. The clients share the VM (FLOE_SPICE_SHARED=1). A guest
# with two display devices and a tablet gets server mode only (as the
# reference: the tablet's positions span one surface).
# Environment: BIN (default build/bin), QEMU (default qemu-system-x86_64).
. "$(dirname "$0")/../lib.sh"
LIBDIR=$(cd "$BIN/../lib" && pwd)
[ -f "$LIBDIR/libspice-server.so.1" ] || { fail "floe's libspice-server.so.1 is not built"; finish; }
REAL_QEMU=${QEMU:-qemu-system-x86_64}
command -v "$REAL_QEMU" >/dev/null || { fail "$REAL_QEMU is not installed"; finish; }
for tool in socat remote-viewer xdotool; do
    command -v $tool >/dev/null || { fail "$tool is missing (make deps installs it)"; finish; }
done

# QEMU through a wrapper that puts floe's library first (and, in the
# sanitizer build, the sanitizer runtime the library needs)
preload=$(ldd "$LIBDIR/libspice-server.so.1" | awk '/libasan/ { print $3 }')
cat >"$T/qemu" <<SH
#!/bin/sh
export LD_LIBRARY_PATH="$LIBDIR" LD_PRELOAD="$preload" ASAN_OPTIONS=detect_leaks=0
export FLOE_SPICE_SHARED=1
exec "$REAL_QEMU" "\$@"
SH
chmod +x "$T/qemu"
QEMU=$T/qemu
. "$(dirname "$0")/../qemu-lib.sh"

build_guest

# ---- the VM: the PS/2 mouse only (vmport off: no VMware absolute mouse),
# an xHCI controller for the tablet that comes later ----
SER=$T/serial.sock
start_vm mouse "disable-ticketing=on" -machine pc,vmport=off -m 256 -device VGA \
    -device qemu-xhci,id=xhci \
    -kernel "$KERNEL" -initrd "$INITRD" -append "$GUEST_APPEND floe.input=1" \
    -chardev "socket,id=ser,path=$SER,server=on,wait=off,logfile=$T/serial.log" -serial chardev:ser
URI="spice://127.0.0.1:$PORT_mouse"
grep -q "$LIBDIR" "/proc/$PID_mouse/maps" || fail "QEMU did not load floe's library"
# and, booting meanwhile for the last part, one with two display devices
# and a tablet from the start
start_vm two "disable-ticketing=on" -machine pc,vmport=off -m 256 -device VGA -device secondary-vga \
    -device qemu-xhci,id=xhci -device usb-tablet,bus=xhci.0 \
    -kernel "$KERNEL" -initrd "$INITRD" -append "$GUEST_APPEND floe.input=1" \
    -chardev "socket,id=ser2,path=$T/serial2.sock,server=on,wait=off,logfile=$T/serial2.log" \
    -serial chardev:ser2

guest_run() { # COMMAND: typed into the shell on the guest's serial port
    printf '%s\n' "$1" | socat -t 2 - "UNIX-CONNECT:$SER" >/dev/null
}
# evlog_last DEVICE_PATTERN: the last report of the device floe-evlog
# watches under a name matching the pattern, as "DX DY WHEEL X Y BUTTONS"
evlog_last() {
    local ev
    ev=$(grep -a "floe-evlog: watching" "$T/serial.log" | grep -a -E "$1" | tail -n 1 |
         sed -n 's/.*watching \(event[0-9]*\) .*/\1/p')
    [ -n "$ev" ] || return 1
    grep -a "floe-evlog: $ev rel " "$T/serial.log" | tail -n 1 | tr -d '\r' |
        sed -n 's/.* rel \(-*[0-9]*\) \(-*[0-9]*\) wheel \(-*[0-9]*\) abs \(-*[0-9]*\) \(-*[0-9]*\) buttons \([0-9]*\)$/\1 \2 \3 \4 \5 \6/p'
}
evlog_is() { [ "$(evlog_last "$1")" = "$2" ]; }   # DEVICE_PATTERN "DX DY WHEEL X Y BUTTONS"
evlog_saw_buttons() { # DEVICE_PATTERN BUTTONS: some report of the device had these buttons held
    local ev
    ev=$(grep -a "floe-evlog: watching" "$T/serial.log" | grep -a -E "$1" | tail -n 1 |
         sed -n 's/.*watching \(event[0-9]*\) .*/\1/p')
    [ -n "$ev" ] && grep -a "floe-evlog: $ev rel " "$T/serial.log" | tr -d '\r' | grep -q "buttons $2\$"
}
spice_mouse_mode() {
    qmp_return "$QMP_mouse" query-spice | sed -n 's/.*"mouse-mode": "\([a-z]*\)".*/\1/p'
}
spice_mouse_mode_is() { [ "$(spice_mouse_mode)" = "$1" ]; }
watching() { grep -a 'floe-evlog: watching' "$T/serial.log" | grep -q "$1"; }
MOUSE='PS/2'

if ! wait_for 120 grep -a -q "floe-guest ready" "$T/serial.log"; then
    fail "no banner from the guest"; tail -n 5 "$T/serial.log"; finish
fi
guest_run "floe-evlog >/dev/ttyS0 &"
if wait_for 20 watching "$MOUSE"; then
    pass "the guest's PS/2 mouse: $(grep -a -o "floe-evlog: watching.*$MOUSE.*" "$T/serial.log" | tr -d '\r')"
else
    fail "floe-evlog sees no PS/2 mouse in the guest"; tail -n 5 "$T/serial.log"; finish
fi
mode=$(spice_mouse_mode)
[ "$mode" = server ] && pass "with no absolute pointer, query-spice says server mouse mode" ||
    fail "with no absolute pointer, query-spice says mouse mode '$mode'"

# ---- server mode: relative moves and a click from floe-viewer ----
FLOE_LOG=debug "$VIEWER" --headless --duration 4 --type-delay 0.3 \
    --pointer "rel 40 0,rel 0 30,rel -15 -5,press 1,release 1,press 3,release 3" "$URI" \
    >"$T/rel.out" 2>"$T/rel.err" || fail "floe-viewer (relative moves) failed: $(tail -n 2 "$T/rel.err")"
init=$(grep -o "mouse modes supported 0x[0-9a-f]* current [0-9]*" "$T/rel.err" | head -n 1)
[ "$init" = "mouse modes supported 0x1 current 1" ] &&
    pass "MAIN_INIT offers server mode only, and it is current ($init)" ||
    fail "MAIN_INIT offers something else: '$init'"
n=$(grep -c "pointer: .* sent in server mouse mode" "$T/rel.err")
[ "$n" = 7 ] && pass "floe-viewer sent its 7 pointer steps in server mouse mode" ||
    fail "floe-viewer sent $n of 7 pointer steps in server mode: $(grep pointer "$T/rel.err" | tail -n 3)"
if wait_for 10 evlog_is "$MOUSE" "25 25 0 -1 -1 0"; then
    pass "the guest's mouse moved by the relative moves sent (25, 25 in all)"
else
    fail "the guest's mouse did not move as sent: want '25 25 0 -1 -1 0', have '$(evlog_last "$MOUSE")'"
fi
evlog_saw_buttons "$MOUSE" 1 && evlog_saw_buttons "$MOUSE" 4 &&
    pass "the left and right buttons reached the guest's mouse" ||
    fail "the buttons did not reach the guest's mouse"

# ---- server mode, the reference client: remote-viewer grabs the pointer
# on a click, then sends the moves xdotool makes; a floe-viewer connected
# beside it stays, to see the tablet come ----
FLOE_LOG=info "$VIEWER" --headless --duration 90 --type-delay 0.3 \
    --pointer "rel 5 5,abs 10 10" "$URI" >"$T/switch.out" 2>"$T/switch.err" &
VIEW=$!; PIDS+=("$VIEW")
wait_for 20 evlog_is "$MOUSE" "30 30 0 -1 -1 0" ||
    fail "the second floe-viewer's relative move did not reach the guest: '$(evlog_last "$MOUSE")'"
start_xvfb 1024x768
remote-viewer --full-screen "$URI" >"$T/rv.log" 2>&1 &
RV=$!; PIDS+=("$RV")
clicks() { grep -a "floe-evlog: $1 rel .* buttons 1" "$T/serial.log" | wc -l; }
mouse_ev=$(grep -a "floe-evlog: watching" "$T/serial.log" | grep "$MOUSE" | tail -n 1 |
           sed -n 's/.*watching \(event[0-9]*\) .*/\1/p')
# its inputs channel beside floe-viewer's, as query-spice lists them; then
# a moment for the window to be mapped
inputs_linked() {
    [ "$(qmp_return "$QMP_mouse" query-spice | grep -o '"channel-type": 3' | wc -l)" -ge 2 ]
}
wait_for 30 inputs_linked || fail "remote-viewer did not link its inputs channel"
sleep 1
xdotool mousemove 512 384 click 1   # the grab: not sent to the guest
sleep 1
xdotool mousemove_relative -- 3 3   # the first move after the grab goes to re-centring
sleep 1
read -r bx by _ <<<"$(evlog_last "$MOUSE")"
before=$(clicks "$mouse_ev")
for i in 1 2 3 4; do xdotool mousemove_relative -- 10 5; sleep 0.3; done
xdotool click 1
rv_moved() {
    local x y
    read -r x y _ <<<"$(evlog_last "$MOUSE")"
    [ $((x - bx)) -gt 0 ] && [ $((y - by)) -gt 0 ] && [ "$(clicks "$mouse_ev")" -gt "$before" ]
}
if wait_for 10 rv_moved; then
    read -r ax ay _ <<<"$(evlog_last "$MOUSE")"
    pass "remote-viewer's relative moves (4 x 10,5) and click reached the guest's mouse (moved $((ax - bx)),$((ay - by)))"
    [ $((ax - bx)) -le 40 ] && [ $((ay - by)) -le 20 ] ||
        fail "the guest's mouse moved more than remote-viewer was moved: $((ax - bx)),$((ay - by))"
else
    fail "remote-viewer's moves did not reach the guest's mouse: '$(evlog_last "$MOUSE")' from '$bx $by'"
    tail -n 3 "$T/rv.log"
fi

# ---- a tablet comes while both clients are connected: they are offered
# client mode and take it ----
qmp "$QMP_mouse" device_add '{"driver": "usb-tablet", "id": "tablet", "bus": "xhci.0"}'
TABLET='Tablet'
if wait_for 30 watching "$TABLET"; then
    pass "the guest has the tablet: $(grep -a -o "floe-evlog: watching.*$TABLET.*" "$T/serial.log" | tr -d '\r')"
else
    fail "the tablet did not appear in the guest"; tail -n 5 "$T/serial.log"
fi
if wait_for 30 grep -q "pointer: abs 10 10 sent in client mouse mode" "$T/switch.err"; then
    pass "the connected floe-viewer was switched to client mode and sent a position"
else
    fail "floe-viewer did not get client mode: $(grep -i "mouse mode\|pointer" "$T/switch.err" | tail -n 3)"
fi
modes=$(grep "mouse mode:" "$T/switch.err" | sed 's/.*mouse mode: //' | tr '\n' ' ')
[ "$modes" = "server client " ] &&
    pass "MAIN_MOUSE_MODE told floe-viewer: client mode allowed, then client mode taken" ||
    fail "floe-viewer was told the mouse modes '$modes', want 'server client '"
wait_for 10 spice_mouse_mode_is client
mode=$(spice_mouse_mode)
[ "$mode" = client ] && pass "query-spice says client mouse mode" ||
    fail "with the tablet and clients in client mode, query-spice says '$mode'"

# ---- client mode: positions and clicks reach the tablet, from
# remote-viewer (which let the pointer go) and from a new floe-viewer (not
# the one connected while the tablet came: the guest's input layer keeps
# what came while the tablet was being set up, before floe-evlog opened it) ----
W=1024; H=768   # the guest's console (vga=0x318), the tablet's logical size
# at_place X Y: the tablet's last report is within 2 of X, Y scaled to
# the tablet's range, buttons up, after a click
at_place() {
    local r x y b wx=$(($1 * 32767 / W)) wy=$(($2 * 32767 / H))
    r=$(evlog_last "$TABLET") || return 1
    read -r _ _ _ x y b <<<"$r"
    [ "${x:--1}" -ge $((wx - 2)) ] && [ "$x" -le $((wx + 2)) ] &&
        [ "$y" -ge $((wy - 2)) ] && [ "$y" -le $((wy + 2)) ] && [ "$b" = 0 ] &&
        evlog_saw_buttons "$TABLET" 1
}
RX=$((RANDOM % 600 + 100)); RY=$((RANDOM % 500 + 100))
xdotool mousemove $((RX - 20)) $((RY - 20)); sleep 0.3
xdotool mousemove "$RX" "$RY"; sleep 0.3
xdotool click 1
if wait_for 10 at_place "$RX" "$RY"; then
    pass "remote-viewer's position $RX,$RY and click reached the guest's tablet ($(evlog_last "$TABLET"))"
else
    fail "after remote-viewer's click at $RX,$RY the tablet's report is '$(evlog_last "$TABLET")'"
fi
AX=$((RANDOM % 600 + 100)); AY=$((RANDOM % 500 + 100))
FLOE_LOG=debug "$VIEWER" --headless --duration 60 --type-delay 0.3 \
    --pointer "abs $AX $AY,press 1,release 1" "$URI" >"$T/abs.out" 2>"$T/abs.err" &
VIEW2=$!; PIDS+=("$VIEW2")
if wait_for 20 at_place "$AX" "$AY"; then
    pass "floe-viewer's position $AX,$AY and click reached the guest's tablet ($(evlog_last "$TABLET"))"
else
    fail "after floe-viewer's click at $AX,$AY the tablet's report is '$(evlog_last "$TABLET")'"
fi
init=$(grep -o "mouse modes supported 0x[0-9a-f]* current [0-9]*" "$T/abs.err" | head -n 1)
[ "$init" = "mouse modes supported 0x3 current 2" ] &&
    pass "with the tablet, MAIN_INIT offers both modes, client mode current ($init)" ||
    fail "with the tablet, MAIN_INIT offers something else: '$init'"

# ---- the tablet goes: back to server mode ----
qmp "$QMP_mouse" device_del '{"id": "tablet"}'
last_mode_server() { grep 'mouse mode:' "$1" | tail -n 1 | grep -q server; }
if wait_for 20 last_mode_server "$T/abs.err" && wait_for 5 last_mode_server "$T/switch.err"; then
    pass "the tablet removed, MAIN_MOUSE_MODE put both floe-viewers back in server mode"
else
    fail "the clients were not put back in server mode: $(grep 'mouse mode' "$T/abs.err" | tail -n 1), $(grep 'mouse mode' "$T/switch.err" | tail -n 1)"
fi
wait_for 10 spice_mouse_mode_is server
mode=$(spice_mouse_mode)
[ "$mode" = server ] && pass "query-spice says server mouse mode again" ||
    fail "after the tablet went, query-spice says '$mode'"
kill -TERM "$VIEW" "$VIEW2" 2>/dev/null; wait "$VIEW" "$VIEW2" 2>/dev/null

# ---- two display devices: with the tablet, client mode is not offered
# (as the reference: the tablet's positions span one surface) ----
wait_for 120 grep -a -q "floe-guest ready" "$T/serial2.log" || true
printf '%s\n' "floe-evlog >/dev/ttyS0 &" | socat -t 2 - "UNIX-CONNECT:$T/serial2.sock" >/dev/null || true
if wait_for 60 grep -a -q "floe-evlog: watching.*$TABLET" "$T/serial2.log"; then
    sleep 2   # as long as client mode took to come with one display device
    mode=$(qmp_return "$QMP_two" query-spice | sed -n 's/.*"mouse-mode": "\([a-z]*\)".*/\1/p')
    FLOE_LOG=debug "$VIEWER" --headless --duration 2 "spice://127.0.0.1:$PORT_two" \
        >"$T/two.out" 2>"$T/two.err" || true
    init=$(grep -o "mouse modes supported 0x[0-9a-f]* current [0-9]*" "$T/two.err" | head -n 1)
    if [ "$mode" = server ] && [ "$init" = "mouse modes supported 0x1 current 1" ]; then
        pass "with two display devices and the guest's tablet, server mode only (query-spice: $mode; $init)"
    else
        fail "with two display devices and the guest's tablet: query-spice '$mode', MAIN_INIT '$init'"
    fi
else
    fail "the guest with two display devices did not open its tablet"; tail -n 3 "$T/serial2.log"
fi

qemu_logs_clean "$T"/*.qemu.log
finish
