#!/usr/bin/env bash
# The Linux test guest on QEMU's QXL device in native mode: its qxl DRM
# driver draws the console with QXL commands and carries a hardware cursor.
# Seen through SPICE, floe-viewer's picture after text typed through it
# equals QEMU's screendump, and the cursor floe-drmcursor sets in the guest
# reaches SPICE clients with its shape, pixels, hot spot and position, as
# Wireshark's SPICE dissector reads them: a client connected meanwhile gets
# it in CURSOR_SET (and CURSOR_MOVE), a client connecting later in
# CURSOR_INIT. While the console scrolls, a second client replaces the
# first, and a client connecting after sees the right picture.
# remote-viewer shows the same picture and what is typed into
# it runs. The VM saved to a file and restored into a new QEMU shows the
# picture it was saved with, to QEMU and to clients, and runs on; after a
# reset (the device reset, the driver loaded again) the picture is right.
# The guest's QXL ROM says whether a client is present (and what it can
# take) as clients come and go (the reference: as they come), and the
# monitors floe-viewer asks for become the guest's outputs (floe's library;
# the reference needs an agent); the guest then shows its console on two
# heads of its one QXL device, and clients show them as two monitors.
# floe's library takes the device's address QEMU gives (set_device_info).
# Environment: BIN (default build/bin), QEMU (default qemu-system-x86_64);
# SPICE_LIB_DIR: a folder holding a libspice-server.so.1 for QEMU to run
# with instead of Debian's (put first in QEMU's LD_LIBRARY_PATH, and checked
# in its memory map), e.g. floe's own; unset, QEMU runs Debian's library,
# the reference.
cd "$(dirname "$0")/../.."
. tests/lib.sh
if [ -n "${SPICE_LIB_DIR:-}" ]; then
    # QEMU through a wrapper: the library first, and the sanitizer runtime a
    # library built with sanitizers needs (QEMU itself has none)
    REAL_QEMU=${QEMU:-qemu-system-x86_64}
    preload=$(ldd "$SPICE_LIB_DIR/libspice-server.so.1" | awk '/libasan/ { print $3 }')
    cat >"$T/qemu" <<SH
#!/bin/sh
export LD_LIBRARY_PATH="$SPICE_LIB_DIR\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" LD_PRELOAD="$preload"
export ASAN_OPTIONS=detect_leaks=0
exec "$REAL_QEMU" "\$@"
SH
    chmod +x "$T/qemu"
    QEMU=$T/qemu
fi
. tests/qemu-lib.sh
command -v socat >/dev/null || { echo "FAIL: socat is not installed"; exit 1; }

build_guest

# ---- the VM: QXL as its VGA, the serial port on a socket (and a log) ----
SER=$T/serial.sock
boot() {
    start_vm guest "disable-ticketing=on" -m 256 -vga qxl \
        -kernel "$KERNEL" -initrd "$INITRD" -append "$GUEST_APPEND" \
        -chardev "socket,id=ser,path=$SER,server=on,wait=off,logfile=$T/serial.log" -serial chardev:ser
}
boot
QEMU_PID=${PIDS[-1]}
URI="spice://127.0.0.1:$PORT_guest"

lib=$(grep -o '/[^ ]*/libspice-server\.so[^ ]*' "/proc/$QEMU_PID/maps" | head -n 1 || true)
if [ -z "$lib" ]; then
    fail "QEMU holds no libspice-server"
elif [ -n "${SPICE_LIB_DIR:-}" ]; then
    [ "$lib" -ef "$SPICE_LIB_DIR/libspice-server.so.1" ] &&
        pass "QEMU runs the libspice-server of SPICE_LIB_DIR ($lib)" ||
        fail "QEMU runs $lib, not $SPICE_LIB_DIR/libspice-server.so.1"
    # QEMU tells the library where its qxl device is (set_device_info)
    info=$(grep -a -o "QXL device 0 is pci/[0-9a-f/.]* in the guest, display ids 0 to [0-9]*" \
        "$T/guest.qemu.log" | head -n 1)
    [ -n "$info" ] && pass "the device's address and display ids were taken: $info" ||
        fail "no device info from QEMU: $(grep -a 'QXL device' "$T/guest.qemu.log" | head -n 2)"
else
    pass "QEMU runs Debian's libspice-server ($lib)"
fi

if ! wait_for 120 grep -q "floe-guest ready" "$T/serial.log"; then
    fail "no banner from the guest"; tail -n 5 "$T/serial.log"; finish
fi
banner=$(grep -a -m 1 "floe-guest ready" "$T/serial.log" | tr -d '\r')
if [[ "$banner" == *"framebuffer qxldrmfb "* && "$banner" == *"fb0 driver qxl" ]]; then
    pass "the console is on the qxl DRM driver's framebuffer: $banner"
else
    fail "the guest's console is not on qxl: $banner"; finish
fi

guest_run() { # COMMAND: typed into the shell on the guest's serial port
    printf '%s\n' "$1" | socat -t 2 - "UNIX-CONNECT:$SER" >/dev/null
}

# Everything SPICE carries from here on, for the dissector; should tshark
# not capture here, the cursor's checks are skipped
CAP=$T/spice.pcapng
tshark -i lo -B 64 -f "tcp port $PORT_guest" -w "$CAP" >"$T/tshark.log" 2>&1 &
TS=$!; PIDS+=("$TS")
capturing=
if wait_for 20 grep -q "Capturing on" "$T/tshark.log"; then
    capturing=1
    sleep 2 # the capture is live a moment after tshark says so
fi
sleep 1 # let the shell's prompt reach the screen

# ---- the console: text typed through floe-viewer, drawn with QXL commands ----
screendump "$QMP_guest" "$T/before.ppm"
A=$((RANDOM % 900 + 100)); B=$((RANDOM % 900 + 100))
DURATION=7 snapshot_matches typed "$URI" "$QMP_guest" --type-delay 1 \
    --type "echo floe-qxl-\$(($A*$B)) | tee /dev/ttyS0
"
if wait_for 20 grep -q "floe-qxl-$((A * B))" "$T/serial.log"; then
    pass "the typed command ran in the guest (floe-qxl-$((A * B)) on the serial port)"
else
    fail "the typed command did not run"; tail -n 5 "$T/serial.log"
fi
if [ -f "$T/typed.png" ]; then
    d=$(pixel_diff "$T/before.ppm" "$T/typed.png")
    [ "$d" -gt 500 ] && pass "the command and its output appeared on the picture ($d pixels changed)" ||
        fail "the picture barely changed after typing ($d pixels)"
fi

# ---- the cursor: set in the guest while one client looks, seen by a later one ----
cursor_checks() {
    local x y line hash early
    "$VIEWER" --headless --duration 120 "$URI" >"$T/early.out" 2>"$T/early.err" &
    early=$!; PIDS+=("$early")
    sleep 4 # linked, its cursor channel too, before the cursor is set
    x=$((RANDOM % 700 + 100)); y=$((RANDOM % 500 + 100))
    guest_run "floe-drmcursor $x $y &"
    if ! wait_for 30 grep -q "floe-drmcursor: cursor" "$T/serial.log"; then
        fail "floe-drmcursor set no cursor: $(grep -a 'floe-drmcursor' "$T/serial.log" | tail -n 2 | tr -d '\r')"
        return
    fi
    line=$(grep -a -o "floe-drmcursor: cursor.*" "$T/serial.log" | tail -n 1 | tr -d '\r')
    pass "the guest set its DRM cursor: ${line#floe-drmcursor: }"
    hash=$(sed -n 's/.*pixels fnv1a \([0-9a-f]*\).*/\1/p' <<<"$line")
    sleep 3 # the cursor commands reach the client
    # one client after the other: QEMU's server lets a new client replace
    # the one it has
    kill -TERM "$early" 2>/dev/null || true
    wait "$early" || fail "the first floe-viewer failed: $(tail -n 2 "$T/early.err")"
    "$VIEWER" --headless --duration 3 "$URI" >"$T/late.out" 2>"$T/late.err" ||
        fail "the later floe-viewer failed: $(tail -n 2 "$T/late.err")"
    sleep 1
    kill -INT "$TS"; wait "$TS" || true
    judge_cursor "$x" "$y" "$hash"
}

# judge_cursor X Y HASH: the capture's cursor channels, as Wireshark reads
# them: the first (connected before the cursor was set) got a CURSOR_SET of
# the shape and ends at X,Y; the second got it in CURSOR_INIT at X,Y
judge_cursor() {
    local verdict what
    tshark -r "$CAP" -d "tcp.port==$PORT_guest,spice" -T fields -E occurrence=a \
        -e tcp.stream -e tcp.srcport -e spice.channel_type -e spice.message_type \
        -e spice.point16.x -e spice.point16.y -e spice.cursor_type -e spice.cursor_width \
        -e spice.cursor_height -e spice.cursor_hotspot_x -e spice.cursor_hotspot_y \
        -e spice.cursor_data >"$T/cursor.fields" 2>"$T/tshark-read.err" ||
        { fail "tshark cannot read the capture: $(tail -n 2 "$T/tshark-read.err")"; return; }
    while IFS='|' read -r verdict what; do
        case $verdict in ok) pass "$what" ;; note) echo "note: $what" ;; *) fail "$what" ;; esac
    done < <(python3 - "$T/cursor.fields" "$PORT_guest" "$1" "$2" "$3" <<'PY'
import sys
path, port, x, y, want_hash = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
# cursor channel messages (server to client) that carry a position, a shape
INIT, SET, MOVE = 101, 103, 104
CURSOR_CHANNEL = "4"
WANT = {"type": 0, "size": (64, 64), "hot": (4, 2)}  # ALPHA, floe-drmcursor's

def fnv1a(data):
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xffffffff
    return "%08x" % h

def split(field):
    return [v for v in field.split(",") if v != ""]

order, events, shapes = [], {}, {}
for row in open(path):
    f = row.rstrip("\n").split("\t")
    f += [""] * (12 - len(f))
    stream, src = f[0], f[1]
    if src != port:
        if CURSOR_CHANNEL in split(f[2]) and stream not in events:
            order.append(stream); events[stream] = []; shapes[stream] = []
        continue
    if stream not in events:
        continue
    xs, ys = split(f[4]), split(f[5])
    for t in split(f[3]):
        if int(t) in (INIT, SET, MOVE) and xs:
            events[stream].append((int(t), int(xs.pop(0)), int(ys.pop(0))))
    cols = [split(c) for c in f[6:12]]
    for i in range(len(cols[0])):
        data = bytes.fromhex(cols[5][i].replace(":", "")) if i < len(cols[5]) else b""
        num = lambda c: int(cols[c][i], 0)  # the type comes as hex (0x00)
        shapes[stream].append({"type": num(0), "size": (num(1), num(2)), "hot": (num(3), num(4)),
                               "bytes": len(data), "hash": fnv1a(data)})

def shape_ok(who, s):
    got = "type %d, %dx%d, hot spot %d,%d, %d bytes, pixels fnv1a %s" % (
        s["type"], *s["size"], *s["hot"], s["bytes"], s["hash"])
    good = (s["type"] == WANT["type"] and s["size"] == WANT["size"] and s["hot"] == WANT["hot"]
            and s["bytes"] == 64 * 64 * 4 and s["hash"] == want_hash)
    print("%s|%s: the cursor's shape: %s%s" % ("ok" if good else "bad", who, got,
          "" if good else " (want type 0 (ALPHA), 64x64, hot spot 4,2, 16384 bytes, fnv1a " + want_hash + ")"))

def check(who, stream, first_type):
    ev, sh = events[stream], shapes[stream]
    kinds = [t for t, _, _ in ev]
    if first_type not in kinds:
        print("bad|%s: no %s on its cursor channel (messages with a position: %s)" % (
            who, {INIT: "CURSOR_INIT", SET: "CURSOR_SET"}[first_type], kinds))
        return
    if not sh:
        print("bad|%s: no cursor shape on its cursor channel" % who)
        return
    shape_ok(who, sh[-1])
    t, px, py = ev[-1]
    print("%s|%s: the cursor's hot spot ends at %d,%d (want %d,%d; %d positioned messages)" % (
        "ok" if (px, py) == (x, y) else "bad", who, px, py, x, y, len(ev)))

if len(order) < 2:
    print("bad|%d cursor channel(s) in the capture, want 2 (one per floe-viewer)" % len(order))
else:
    check("client connected while it was set (CURSOR_SET)", order[-2], SET)
    check("client connected later (CURSOR_INIT)", order[-1], INIT)
PY
)
}

if [ -n "$capturing" ]; then
    cursor_checks
    n=$(tshark -r "$CAP" -d "tcp.port==$PORT_guest,spice" -Y "spice.clip_type == 1" 2>/dev/null | wc -l)
    echo "note: $n packets held draws clipped by rectangles, as the qxl driver sends them"
    bad=$(tshark -r "$CAP" -d "tcp.port==$PORT_guest,spice" -Y _ws.malformed 2>/dev/null | wc -l)
    [ "$bad" = 0 ] && pass "the dissector found no malformed packet" || fail "$bad malformed packets"
else
    skip "cursor" "tshark does not capture on lo here: $(tail -n 1 "$T/tshark.log")"
fi
# ---- clients come and go while the guest draws (its console scrolls) ----
guest_run '(i=0; while [ $i -lt 300 ]; do echo floe-scroll-$i > /dev/tty1; i=$((i+1)); sleep 0.05; done; echo floe-scroll-end > /dev/ttyS0) &'
"$VIEWER" --headless --duration 8 "$URI" >"$T/first.out" 2>"$T/first.err" &
first=$!
sleep 3
"$VIEWER" --headless --duration 4 "$URI" >"$T/second.out" 2>"$T/second.err" ||
    fail "the second client failed: $(tail -n 2 "$T/second.err")"
rc=0; wait "$first" || rc=$?
if [ "$rc" -ne 0 ] && grep -q "disconnected" "$T/first.err"; then
    pass "while the guest draws, a second client replaced the first ($(tail -n 1 "$T/first.err"))"
else
    fail "the first client was not replaced: exit $rc, $(tail -n 2 "$T/first.err")"
fi
grep -q "frames=[1-9]" "$T/second.out" && pass "the second client saw the scroll: $(cat "$T/second.out")" ||
    fail "the second client saw no frames: $(cat "$T/second.out"); its log: $(tail -n 6 "$T/second.err" | tr '\n' '|')"
wait_for 90 grep -a -q "floe-scroll-end" "$T/serial.log" || fail "the guest's scrolling did not end"
# the console catches up with the lines written: wait for a still picture
for i in $(seq 1 30); do
    screendump "$QMP_guest" "$T/still-a.ppm"; sleep 1; screendump "$QMP_guest" "$T/still-b.ppm"
    [ "$(pixel_diff "$T/still-a.ppm" "$T/still-b.ppm")" = 0 ] && break
done
snapshot_matches reconnected "$URI" "$QMP_guest"

# ---- remote-viewer: the same console, typed into through spice-gtk ----
if command -v xdotool >/dev/null; then
    start_xvfb 1024x768
    remote-viewer --full-screen "$URI" >"$T/rv.log" 2>&1 &
    RV=$!; PIDS+=("$RV")
    sleep 6 # linked, the window mapped and focused
    C=$((RANDOM % 900 + 100))
    xdotool type --delay 60 "echo floe-rv-\$(($C*7)) | tee /dev/ttyS0"
    xdotool key Return
    if wait_for 30 grep -q "floe-rv-$((C * 7))" "$T/serial.log"; then
        pass "a command typed through remote-viewer ran in the guest (floe-rv-$((C * 7)))"
    else
        fail "the command typed through remote-viewer did not run"; tail -n 3 "$T/rv.log"
    fi
    remote_viewer_matches "$QMP_guest" 15
    kill "$RV" 2>/dev/null || true
    wait "$RV" 2>/dev/null || true
else
    fail "xdotool is missing (make deps installs it)"
fi

# ---- save and restore: the VM's state to a file and into a new QEMU ----
qmp "$QMP_guest" stop
screendump "$QMP_guest" "$T/saved.ppm"
qmp "$QMP_guest" migrate "{\"uri\": \"exec:cat > $T/vm.state\"}"
for i in $(seq 1 100); do
    st=$(qmp_return "$QMP_guest" query-migrate | sed -n 's/.*"status": "\([a-z-]*\)".*/\1/p')
    [ "$st" = completed ] || [ "$st" = failed ] && break
    sleep 0.3
done
if [ "$st" = completed ]; then
    qmp "$QMP_guest" quit || true
    SER=$T/serial2.sock
    start_vm restored "disable-ticketing=on" -m 256 -vga qxl \
        -kernel "$KERNEL" -initrd "$INITRD" -append "$GUEST_APPEND" \
        -chardev "socket,id=ser,path=$SER,server=on,wait=off,logfile=$T/serial2.log" -serial chardev:ser \
        -incoming "exec:cat $T/vm.state"
    for i in $(seq 1 100); do
        st=$(qmp_return "$QMP_restored" query-status | sed -n 's/.*"status": "\([a-z-]*\)".*/\1/p')
        [ "$st" = paused ] || [ "$st" = running ] && break
        sleep 0.3
    done
    qmp "$QMP_restored" cont || true
    sleep 2
    screendump "$QMP_restored" "$T/restored.ppm"
    d=$(pixel_diff "$T/saved.ppm" "$T/restored.ppm")
    [ "$d" = 0 ] && pass "the restored VM shows the picture it was saved with (screendump)" ||
        fail "the restored VM's screendump differs from the saved one in $d pixels"
    snapshot_matches restored "spice://127.0.0.1:$PORT_restored" "$QMP_restored"
    d=$(pixel_diff "$T/saved.ppm" "$T/restored.png" 2>/dev/null || echo "no picture")
    [ "$d" = 0 ] && pass "a client of the restored VM sees the saved picture" ||
        fail "a client of the restored VM sees a picture that differs from the saved one ($d)"
    QMP_guest=$QMP_restored PORT_guest=$PORT_restored URI="spice://127.0.0.1:$PORT_restored"
    guest_run "echo floe-restored-ok | tee /dev/ttyS0"
    wait_for 20 grep -q "floe-restored-ok" "$T/serial2.log" &&
        pass "the restored guest runs commands" || fail "the restored guest does not answer"
    serial_log=$T/serial2.log
else
    fail "migration to a file: $st"
    serial_log=$T/serial.log
fi

# ---- the device reset mid-stream: the guest reboots, its driver loads again ----
before=$(grep -a -c "floe-guest ready" "$serial_log" || true)
qmp "$QMP_guest" system_reset
if wait_for 150 sh -c "[ \$(grep -a -c 'floe-guest ready' '$serial_log') -gt $before ]"; then
    pass "the guest came back after a reset"
    sleep 2
    D=$((RANDOM % 900 + 100))
    DURATION=7 snapshot_matches after-reset "$URI" "$QMP_guest" --type-delay 1 \
        --type "echo floe-reset-\$(($D*3)) | tee /dev/ttyS0
"
    wait_for 20 grep -a -q "floe-reset-$((D * 3))" "$serial_log" &&
        pass "a command typed after the reset ran" || fail "the command typed after the reset did not run"
else
    fail "the guest did not come back after a reset"
fi

# ---- what the guest learns of clients ----
# set_client_capabilities lands in the QXL ROM (client_present at byte 69,
# the capability bits from byte 70, as spice/qxl_dev.h lays QXLRom out),
# read through QEMU's monitor; the monitors a client asks for
# (VD_AGENT_MONITORS_CONFIG) reach the guest's qxl driver as its outputs'
# preferred modes
rom_client() { # QMP: prints "PRESENT CAPS0" from the QXL device's ROM
    local rom
    rom=$(qmp_return "$1" query-pci | python3 -c '
import json, sys
for bus in json.load(sys.stdin):
    for d in bus["devices"]:
        if d["id"]["vendor"] == 0x1b36 and d["id"]["device"] == 0x0100:
            print([r["address"] for r in d["regions"] if r["bar"] == 2][0])')
    qmp_return "$1" human-monitor-command "{\"command-line\": \"xp /2xb $((rom + 69))\"}" |
        grep -o '0x[0-9a-f][0-9a-f]' | tail -n 2 | while read -r b; do printf '%d ' "$b"; done
}
heads_line() { # N: the guest's outputs, as its DRM driver lists them, on the serial port
    guest_run "echo floe-heads-$1 \$(for c in /sys/class/drm/card0-Virtual-*; do echo \${c##*-} \$(cat \$c/status) \$(head -n 1 \$c/modes); done) > /dev/ttyS0"
    # (the console echoes the command too: its output starts with a number)
    wait_for 20 grep -a -q "floe-heads-$1 [0-9]" "$serial_log" &&
        grep -a -o "floe-heads-$1 [0-9].*" "$serial_log" | tail -n 1 | tr -d '\r'
}
absent_ok() { # WHEN PRESENT: no client, so the ROM should say none
    if [ "$2" = 0 ]; then
        pass "$1 the guest's QXL ROM says no client is present"
    elif [ -z "${SPICE_LIB_DIR:-}" ]; then
        # the reference tells the guest when a client comes, not when the
        # last one goes
        echo "note: Debian's library, $1: client_present=$2"
    else
        fail "$1 the QXL ROM says client_present=$2"
    fi
}
sleep 2 # the last client has gone
read -r present caps <<<"$(rom_client "$QMP_guest")"
absent_ok "with no client" "$present"
"$VIEWER" --headless --duration 15 --guest-size 800x600,640x480 "$URI" >"$T/heads.out" 2>"$T/heads.err" &
hv=$!; PIDS+=("$hv")
sleep 5
read -r present caps <<<"$(rom_client "$QMP_guest")"
if [ "$present" = 1 ] && [ $((caps & 2)) = 2 ]; then
    pass "with a client the QXL ROM says one is present, with the MONITORS_CONFIG capability (caps byte 0x$(printf %02x "$caps"))"
else
    fail "with a client the QXL ROM says client_present=$present, capability byte $caps"
fi
line=$(heads_line 1 || true)
heads=
if [[ "$line" == *"1 connected 800x600"*"2 connected 640x480"* ]]; then
    pass "the monitors a client asked for reached the guest's driver: ${line#floe-heads-1 }"
    heads=1
elif [ -z "${SPICE_LIB_DIR:-}" ]; then
    # the reference hands a client's monitors to the device only through
    # a running guest agent, which this guest has not
    echo "note: Debian's library without a guest agent: ${line#floe-heads-1 }"
else
    fail "the guest's outputs after a client asked for 800x600 and 640x480: ${line:-none}"
fi
kill -TERM "$hv" 2>/dev/null || true
wait "$hv" 2>/dev/null || true
sleep 2
read -r present caps <<<"$(rom_client "$QMP_guest")"
absent_ok "after the client left" "$present"

# ---- two heads on one QXL device: the guest's console on both outputs ----
# The guest's driver shows its console on both outputs it now has and says
# so in its monitors config; clients show each head as a monitor of its own:
# floe-viewer's two pictures equal their rectangles of QEMU's screendump,
# and remote-viewer opens a window for each, sized after its head.
heads_match() { # the viewer's heads against the dump's rectangles
    local k f geo
    for k in 0 1; do
        f=$T/heads.png; [ "$k" = 0 ] || f=$T/heads-$k.png
        geo=$(grep -o "display: monitor $k: surface 0 [0-9x+]*" "$T/heads.err" | tail -n 1 | awk '{print $NF}')
        [ -n "$geo" ] && [ -f "$f" ] || return 1
        convert "$T/heads-dump.ppm" -crop "$geo" +repage "$T/heads-want-$k.png"
        [ "$(pixel_diff "$T/heads-want-$k.png" "$f")" = 0 ] || return 1
        echo -n "head $k $geo; "
    done
}
if [ -n "$heads" ]; then
    guest_run "echo floe-two-heads > /dev/tty1"
    sleep 2
    ok=
    for attempt in 1 2 3 4; do
        FLOE_LOG=debug "$VIEWER" --headless --duration 4 --snapshot "$T/heads.png" "$URI" \
            >"$T/heads.out" 2>"$T/heads.err" || true
        screendump "$QMP_guest" "$T/heads-dump.ppm"
        ok=$(heads_match || true)
        [ -n "$ok" ] && break
    done
    if [ -n "$ok" ] && grep -q "^monitor=1 .*size=640x480" "$T/heads.out"; then
        pass "the guest's two heads are two monitors to floe-viewer, each equal to its rectangle of QEMU's screendump ($ok$(tr '\n' ' ' <"$T/heads.out"))"
    else
        fail "the guest's two heads as floe-viewer shows them: $(tr '\n' ' ' <"$T/heads.out"), $(grep -o 'display: monitor.*' "$T/heads.err" | tail -n 2 | tr '\n' ' ')"
    fi
    if command -v xdotool >/dev/null; then
        remote-viewer "$URI" >"$T/rv-heads.log" 2>&1 &
        rv=$!; PIDS+=("$rv")
        wins=
        for i in $(seq 1 20); do
            sleep 1
            wins=$(for id in $(xdotool search --onlyvisible --name ' \([12]\)' 2>/dev/null); do
                       echo "$(xdotool getwindowname "$id" | grep -o '([12])') $(xdotool getwindowgeometry "$id" | sed -n 's/.*Geometry: //p')"
                   done | sort)
            [ "$(wc -l <<<"$wins")" = 2 ] && break
        done
        read -r _ g1 <<<"$(sed -n 1p <<<"$wins")"; read -r _ g2 <<<"$(sed -n 2p <<<"$wins")"
        # the same frame around each: the windows differ as the heads do
        if [ -n "${g1:-}" ] && [ -n "${g2:-}" ] &&
           [ $((${g1%x*} - 800)) = $((${g2%x*} - 640)) ] && [ $((${g1#*x} - 600)) = $((${g2#*x} - 480)) ]; then
            pass "remote-viewer opened a window for each head, sized after it: $(tr '\n' ' ' <<<"$wins")"
        else
            fail "remote-viewer's windows for the two heads: ${wins:-none}"
        fi
        kill "$rv" 2>/dev/null || true
        wait "$rv" 2>/dev/null || true
    fi
fi

# neither QEMU nor the sanitizers complained
qemu_logs_clean "$T"/*.qemu.log
finish
