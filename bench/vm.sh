#!/usr/bin/env bash
# The VM table of make bench: the Linux test guest (tests/guest/build.sh,
# 1024x768 framebuffer console, TCG) served by floe-server --vm and, in the
# same run, by QEMU's own SPICE server (-spice), each viewed the same way by
# a headless floe-viewer on loopback, the two booted in turn (the order
# alternating), RUNS times. Each boot measures:
#   bytes per line   the scroll workload (bench/lib.sh), as the qxl table's:
#            the console is filled, a loop on the serial shell prints a line
#            on it every 0.3 s, and over a window of BENCH_VM_SCROLL_SECONDS
#            the bytes the viewer received are divided by the lines printed.
#            Then the loop stops, and 2 s later, the picture still, the
#            viewer's last picture (the sum of all it was sent) is compared
#            with QEMU's screendump (QMP, on a monitor the bench adds): the
#            pixels that differ, the worst run's.
#   latency  floe-keyflip runs in the guest (every key fills half the screen);
#            floe-viewer --measure-latency KEYS times key -> first changed pixel
#   frames/s floe-demo runs in the guest; floe-viewer counts the canvas
#            updates it sees in SECONDS
# Prints them with the floe / QEMU ratios and writes BUILD/bench/vm.csv.
#
#   bench/vm.sh [BIN]     (default build/bin)
# Environment: RUNS (default 1), BENCH_VM_KEYS (20), BENCH_VM_SECONDS (10),
# BENCH_VM_SCROLL_SECONDS (15), GUEST_DIR (default BUILD/guest), QEMU
# (default qemu-system-x86_64).
set -eu
BIN=$(cd "${1:-build/bin}" && pwd)
cd "$(dirname "$0")/.."
BUILD=$(dirname "$BIN")
OUT=$BUILD/bench
GUEST=$(realpath -m "${GUEST_DIR:-$BUILD/guest}")
QEMU=${QEMU:-qemu-system-x86_64}
RUNS=${RUNS:-1}
KEYS=${BENCH_VM_KEYS:-20}
SECS=${BENCH_VM_SECONDS:-10}
SCROLL_SECS=${BENCH_VM_SCROLL_SECONDS:-15}
APPEND="console=tty0 console=ttyS0 vga=0x318 quiet"
T=$(mktemp -d /tmp/floe-vmbench.XXXXXX)
PID= PORT=
cleanup() {
    exec 3>&- 2>/dev/null || true
    [ -z "${VIEWER:-}" ] || kill "$VIEWER" 2>/dev/null || true
    [ -z "${FEED:-}" ] || kill "$FEED" 2>/dev/null || true
    [ -z "$PID" ] || kill "$PID" 2>/dev/null || true
    [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

die() { echo "bench vm: $*" >&2; exit 1; }
. bench/lib.sh
for tool in "$QEMU" socat python3 ss compare; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
tests/guest/build.sh "$GUEST" >"$T/guest.log" 2>&1 || { cat "$T/guest.log" >&2; die "guest build failed"; }

# QEMU's options for both: the serial shell (bench/lib.sh) and a monitor for
# screendumps (floe-server keeps the one it starts QEMU with to itself)
guest_args() { # serial log -> SERIAL
    rm -f "$T/serial.sock" "$T/qmp.sock"
    serial_args "$T/serial.sock" "$1"
    SERIAL+=(-qmp "unix:$T/qmp.sock,server=on,wait=off")
}

start_floe() { # serial log -> sets PID, URI, PORT
    guest_args "$1"
    cat >"$T/vm.conf" <<CONF
memory = 256
accel = tcg
kernel = $GUEST/vmlinuz
initrd = $GUEST/initrd.gz
append = $APPEND
stop_timeout = 1
extra = ${SERIAL[*]}
CONF
    "$BIN/floe-server" --listen 127.0.0.1:0 --disable-ticketing --control "$T/ctl" \
        --vm "$T/vm.conf" >"$T/server.out" 2>"$T/server.err" &
    PID=$!
    wait_for 30 grep -q "listening on" "$T/server.out" || { cat "$T/server.err" >&2; die "floe-server did not start"; }
    URI=$(sed -n 's/^floe-server: listening on //p' "$T/server.out")
    PORT=${URI##*:}
}

start_qemu() { # serial log -> sets PID, URI, PORT
    guest_args "$1"
    PORT=$(free_port)
    "$QEMU" -accel tcg -m 256 -display none -nodefaults -no-user-config -vga std \
        -usb -device usb-tablet -kernel "$GUEST/vmlinuz" -initrd "$GUEST/initrd.gz" \
        -append "$APPEND" "${SERIAL[@]}" \
        -spice "port=$PORT,addr=127.0.0.1,disable-ticketing=on" >"$T/qemu.err" 2>&1 &
    PID=$!
    URI=spice://127.0.0.1:$PORT
}

stop_peer() {
    if [ "$1" = floe ]; then
        printf 'quit\n' | socat -t 10 - "UNIX-CONNECT:$T/ctl" >/dev/null 2>&1 || true
        for _ in $(seq 1 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    fi
    kill "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
    serial_detach
    PID= PORT=
}

screendump() { # file.ppm: QEMU's picture, through the bench's monitor
    python3 - "$T/qmp.sock" "$1" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(20)
s.connect(sys.argv[1])
f = s.makefile("rw")
f.readline()
for c in ({"execute": "qmp_capabilities"},
          {"execute": "screendump", "arguments": {"filename": sys.argv[2]}}):
    f.write(json.dumps(c) + "\n")
    f.flush()
    while True:
        r = json.loads(f.readline())
        if "error" in r:
            sys.exit("qmp: " + r["error"]["desc"])
        if "return" in r:
            break
PY
}

pixels_off() { # a.png b.ppm -> how many pixels differ
    local d
    d=$(compare -metric AE "$1" "$2" null: 2>&1 | cut -d' ' -f1 || true)
    [[ "$d" =~ ^[0-9]+$ ]] ||
        die "$peer: cannot compare the pictures: $(compare -metric AE "$1" "$2" null: 2>&1 | head -n 1)"
    echo "$d"
}

# the scroll workload -> SCROLL="bytes/line lines bytes pixels-off"; the
# viewer's picture is taken 2 s after the loop stopped, the screen still
scroll() {
    local shot=$T/scroll-$peer-$run.png dump=$T/scroll-$peer-$run.ppm off
    serial_attach "$T/serial.sock"
    scroll_start
    scroll_window "$SCROLL_SECS" "" "$shot"
    scroll_stop
    sleep 2
    screendump "$dump" || die "$peer: screendump failed"
    scroll_viewer_end
    off=$(pixels_off "$shot" "$dump")
    set -- $WINDOW
    [ "$1" -gt 0 ] || die "$peer: no line was printed in the window ($WINDOW)"
    [ "$2" -gt 0 ] || die "$peer: no bytes in the window ($WINDOW)"
    SCROLL="$(awk -v l="$1" -v b="$2" 'BEGIN { printf "%.0f", b / l }') $1 $2 $off"
}

type_in() { # text: typed into the guest's console
    "$BIN/floe-viewer" --headless --duration 3 --type-delay 0.5 --type "$1" "$URI" \
        >/dev/null 2>>"$T/type.err" || die "$peer: typing viewer failed: $(tail -1 "$T/type.err")"
}

one_run() { # peer (floe|qemu) -> appends "min median max n fps bytes/line pixels-off" to $T/rows-PEER
    local peer=$1 lat fps
    WHO=$1 LOG=$T/serial-$1-$run.log
    "start_$peer" "$LOG"
    wait_for 120 seen "floe-guest ready" || die "$peer: the guest did not boot"
    sleep 1
    scroll
    type_in $'floe-keyflip\n'
    wait_for 60 seen "floe-keyflip ready" || die "$peer: floe-keyflip did not start"
    lat=$("$BIN/floe-viewer" --measure-latency "$KEYS" "$URI" 2>"$T/lat.err" | grep '^latency_ms') ||
        die "$peer: latency: $(tail -1 "$T/lat.err") $lat"
    type_in q
    type_in "floe-demo $((SECS + 15))"$'\n'
    sleep 2
    fps=$("$BIN/floe-viewer" --headless --duration "$SECS" "$URI" | tail -n 1)
    set -- $SCROLL
    echo "run $run, $peer: $2 lines, $3 bytes -> $1 bytes/line, $4 pixels off at the end; $lat; $fps" >&2
    stop_peer "$peer"
    local mn md mx n f
    mn=$(field min "$lat"); md=$(field median "$lat"); mx=$(field max "$lat"); n=$(field n "$lat")
    f=$(field fps "$fps")
    [ "$n" = "$KEYS" ] || die "$peer: $n of $KEYS latency samples"
    awk -v a="$mn" -v b="$mx" 'BEGIN { exit !(a > 0 && b < 5000) }' ||
        die "$peer: implausible latency: $lat"
    awk -v f="${f:-0}" 'BEGIN { exit !(f > 0) }' || die "$peer: no frames: $fps"
    echo "$mn $md $mx $n $f $1 $4" >>"$T/rows-$peer"
}

col() { cut -d' ' -f"$2" "$T/rows-$1" | median | awk '{ printf "%.1f\n", $1 }'; }
bytes() { cut -d' ' -f6 "$T/rows-$1" | median | awk '{ printf "%.0f\n", $1 }'; }
worst() { cut -d' ' -f7 "$T/rows-$1" | sort -g | tail -n 1; }

PEERS="floe qemu"
for p in $PEERS; do : >"$T/rows-$p"; done
for run in $(seq 1 "$RUNS"); do
    if [ $((run % 2)) = 1 ]; then order="floe qemu"; else order="qemu floe"; fi
    for peer in $order; do one_run "$peer"; done
done

mkdir -p "$OUT"
echo "server,latency_min_ms,latency_median_ms,latency_max_ms,keys,fps,runs,bytes_per_line,scroll_seconds,pixels_differing_max" >"$OUT/vm.csv"
echo "test guest 1024x768 under TCG, loopback; bytes per line over ${SCROLL_SECS}s of scrolling, latency over $KEYS keys, frames/s over ${SECS}s; median of $RUNS run(s):"
printf '  %-14s %12s %16s %12s %12s %12s %10s\n' server "bytes / line" "pixels off (max)" "latency min" median max frames/s
for p in $PEERS; do
    name=floe-server; [ "$p" = qemu ] && name="QEMU SPICE"
    printf '  %-14s %12s %16s %12s %12s %12s %10s\n' "$name" "$(bytes $p)" "$(worst $p)" \
        "$(col $p 1)" "$(col $p 2)" "$(col $p 3)" "$(col $p 5)"
    echo "$name,$(col $p 1),$(col $p 2),$(col $p 3),$KEYS,$(col $p 5),$RUNS,$(bytes $p),$SCROLL_SECS,$(worst $p)" >>"$OUT/vm.csv"
done
awk -v a="$(col floe 2)" -v b="$(col qemu 2)" -v f="$(col floe 5)" -v g="$(col qemu 5)" \
    -v x="$(bytes floe)" -v y="$(bytes qemu)" 'BEGIN {
    printf "  floe / QEMU: bytes per line %.2f (lower is better), median latency %.2f (lower is better), frames/s %.2f (higher is better)\n", x / y, a / b, f / g
    printf "floe/QEMU ratio,,%.3f,,,%.3f,,%.3f,,\n", a / b, f / g, x / y >>"'"$OUT/vm.csv"'"
}'
echo
