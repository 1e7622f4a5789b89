#!/usr/bin/env bash
# The qxl table of make bench: the Linux test guest (tests/guest/build.sh) on
# QEMU's QXL device, its text console drawn by the qxl DRM driver, served by
# floe's libspice-server.so.1 (LD_LIBRARY_PATH=BUILD/lib) and, in the same
# run, by Debian's (plain QEMU): the same guest, the same QEMU options, each
# viewed by a headless floe-viewer on loopback, the two booted in turn (the
# order alternating), RUNS times. Each boot measures:
#   bytes per line   the scroll workload (bench/lib.sh): the console is
#            filled, a loop on the serial shell prints a line on it every
#            0.3 s, and over a window of BENCH_QXL_SECONDS the bytes the
#            viewer received are divided by the lines printed.
#   CPU per line     over the same window, the utime + stime of the SPICE
#            server's threads (below), in milliseconds per line; beside it
#            QEMU's main loop thread.
#   latency  the loop stopped, floe-viewer --measure-latency KEYS times key
#            -> first changed pixel; the key goes to the shell on tty1, which
#            echoes it, so the pixels are the console's glyph drawn through
#            qxl. (floe-keyflip, the VM table's workload, writes /dev/fb0
#            with dd; on the qxl driver's framebuffer that did not change
#            the picture.) The median.
# Each figure is the median over the runs; floe / Debian ratios follow.
#
# Which threads are the SPICE server's: QEMU runs with -name
# ...,debug-threads=on, so it names every thread it makes ("CPU 0/TCG",
# "worker", "IO ...") except its main loop (the process's first thread) and
# its call_rcu thread, which a constructor starts before -name is read. The
# threads counted are those left: not the first thread, not named by QEMU
# (a name other than the process's own, save "SPICE Worker", Debian's
# display worker), and not the earliest started of the unnamed ones (the
# call_rcu thread). For Debian's library that leaves exactly its
# "SPICE Worker" (checked each boot); for floe's, its server thread (where
# its QXL workers run) and libuv's encoding pool. Neither count holds what a library does
# on QEMU's main loop: Debian's main and inputs channels and their sockets,
# floe's input delivery; the main loop column shows that thread whole (it
# also runs QEMU's own timers and display refresh).
#
#   bench/qxl.sh [BIN]     (default build/bin; the library is BIN/../lib)
# Environment: RUNS (default 3), BENCH_QXL_SECONDS (15), BENCH_QXL_KEYS (20),
# GUEST_DIR (default BUILD/guest), QEMU (default qemu-system-x86_64).
# Writes BUILD/bench/qxl.csv.
set -eu
BIN=$(cd "${1:-build/bin}" && pwd)
cd "$(dirname "$0")/.."
BUILD=$(dirname "$BIN")
LIB=$BUILD/lib
OUT=$BUILD/bench
GUEST=$(realpath -m "${GUEST_DIR:-$BUILD/guest}")
QEMU=${QEMU:-qemu-system-x86_64}
RUNS=${RUNS:-3}
SECS=${BENCH_QXL_SECONDS:-15}
KEYS=${BENCH_QXL_KEYS:-20}
APPEND="console=tty0 console=ttyS0 vga=0x318 quiet"
T=$(mktemp -d /tmp/floe-qxlbench.XXXXXX)
PID= PORT=
cleanup() {
    exec 3>&- 2>/dev/null || true
    [ -z "${VIEWER:-}" ] || kill "$VIEWER" 2>/dev/null || true
    [ -z "${FEED:-}" ] || kill "$FEED" 2>/dev/null || true
    [ -z "$PID" ] || kill "$PID" 2>/dev/null || true
    [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

die() { echo "bench qxl: $*" >&2; exit 1; }
. bench/lib.sh
for tool in "$QEMU" socat python3; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
[ -f "$LIB/libspice-server.so.1" ] || die "$LIB/libspice-server.so.1 is not built"
tests/guest/build.sh "$GUEST" >"$T/guest.log" 2>&1 || { cat "$T/guest.log" >&2; die "guest build failed"; }

port_open() {
    python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),1)' "$1"
}
boot() { # floe|debian -> sets PID, URI, LOG; the serial shell reads fd 3
    local port
    port=$(free_port)
    PORT=$port
    LOG=$T/serial-$1-$run.log
    rm -f "$T/serial.sock"
    serial_args "$T/serial.sock" "$LOG"
    set -- "$QEMU" -accel tcg -m 256 -display none -nodefaults -no-user-config \
        -name floe-bench,debug-threads=on -vga qxl \
        -kernel "$GUEST/vmlinuz" -initrd "$GUEST/initrd.gz" -append "$APPEND" \
        "${SERIAL[@]}" -spice "port=$port,addr=127.0.0.1,disable-ticketing=on"
    if [ "$lib" = floe ]; then
        LD_LIBRARY_PATH=$LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} "$@" >"$T/qemu.err" 2>&1 &
    else
        "$@" >"$T/qemu.err" 2>&1 &
    fi
    PID=$!
    URI=spice://127.0.0.1:$port
    wait_for 30 port_open "$port" || { cat "$T/qemu.err" >&2; die "$lib: QEMU did not open its SPICE port"; }
    serial_attach "$T/serial.sock"
}

check_lib() { # the library QEMU holds is the one asked for
    local held
    held=$(grep -o '/[^ ]*/libspice-server\.so[^ ]*' "/proc/$PID/maps" | head -n 1 || true)
    [ -n "$held" ] || die "$lib: QEMU holds no libspice-server"
    if [ "$lib" = floe ]; then
        [ "$held" -ef "$LIB/libspice-server.so.1" ] || die "floe: QEMU holds $held"
    elif [ "$held" -ef "$LIB/libspice-server.so.1" ]; then
        die "debian: QEMU holds floe's library ($held)"
    fi
}

halt() {
    exec 3>&-
    kill "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
    serial_detach
    PID= PORT=
}

thread_cpu() { # -> "SPICE_TICKS MAIN_TICKS NAMES": the rule in the header
    python3 - "$PID" <<'PY'
import os, sys
pid = sys.argv[1]
own = open("/proc/%s/comm" % pid).read().strip()
rows = []
for tid in os.listdir("/proc/%s/task" % pid):
    try:
        comm = open("/proc/%s/task/%s/comm" % (pid, tid)).read().strip()
        stat = open("/proc/%s/task/%s/stat" % (pid, tid)).read()
    except OSError:
        continue
    f = stat[stat.rindex(")") + 2:].split()  # the name may hold spaces
    rows.append((int(f[19]), int(tid), comm, int(f[11]) + int(f[12])))
rows.sort()
unnamed = [r for r in rows if r[1] != int(pid) and r[2] == own]
rcu = unnamed[0][1] if unnamed else None
spice = [r for r in rows if r[2] == "SPICE Worker" or (r[2] == own and r[1] not in (int(pid), rcu))]
main = [r for r in rows if r[1] == int(pid)]
names = ",".join(sorted(set(r[2].replace(" ", "_") for r in spice)))
print(sum(r[3] for r in spice), sum(r[3] for r in main), "%s/%d" % (names, len(spice)))
PY
}

one_run() { # floe|debian -> appends "bytes/line spice-ms/line main-ms/line latency" to $T/rows-LIB
    lib=$1 WHO=$1
    local got lat
    boot "$lib"
    check_lib
    wait_for 120 seen "floe-guest ready" || die "$lib: the guest did not boot"
    seen "fb0 driver qxl" || die "$lib: the console is not on qxl: $(grep -a -m 1 'floe-guest ready' "$LOG")"
    scroll_start
    scroll_window "$SECS" thread_cpu
    scroll_viewer_end
    scroll_stop
    set -- $WINDOW # lines bytes, thread_cpu at the window's start and at its end
    got="$1 $2 $(($6 - $3)) $(($7 - $4)) $8"
    sleep 1
    lat=$("$BIN/floe-viewer" --measure-latency "$KEYS" "$URI" 2>"$T/lat.err" | grep '^latency_ms') ||
        die "$lib: latency: $(tail -1 "$T/lat.err") $lat"
    halt
    [ "$(field n "$lat")" = "$KEYS" ] || die "$lib: $(field n "$lat") of $KEYS latency samples"
    set -- $got
    [ "$1" -gt 0 ] || die "$lib: no line was printed in the window ($got)"
    [ "$2" -gt 0 ] || die "$lib: no bytes in the window ($got)"
    [ "$lib" = floe ] || [ "$5" = SPICE_Worker/1 ] ||
        die "debian: the thread rule counts $5, not Debian's one SPICE Worker"
    awk -v l="$1" -v b="$2" -v s="$3" -v m="$4" \
        -v tck="$(getconf CLK_TCK)" -v lat="$(field median "$lat")" \
        'BEGIN { printf "%.0f %.2f %.2f %s\n", b / l, s * 1000 / tck / l, m * 1000 / tck / l, lat }' \
        >>"$T/rows-$lib"
    echo "run $run, $lib: $1 lines, $2 bytes, threads $5 -> $(tail -n 1 "$T/rows-$lib" |
        awk '{ printf "%s bytes/line, SPICE threads %s ms/line, main loop %s ms/line", $1, $2, $3 }'); $lat" >&2
}

col() { cut -d' ' -f"$2" "$T/rows-$1" | median; }

LIBS="floe debian"
for l in $LIBS; do : >"$T/rows-$l"; done
echo "qxl guest: $RUNS run(s), each booting the guest with floe's and with Debian's libspice-server" >&2
for run in $(seq 1 "$RUNS"); do
    if [ $((run % 2)) = 1 ]; then order="floe debian"; else order="debian floe"; fi
    for l in $order; do one_run "$l"; done
done

deb=$(dpkg-query -W -f '${Version}' libspice-server1 2>/dev/null || true)
mkdir -p "$OUT"
echo "server,bytes_per_line,spice_cpu_ms_per_line,main_loop_cpu_ms_per_line,latency_median_ms,runs,seconds,keys" >"$OUT/qxl.csv"
echo "qxl guest console scrolling a line every 0.3 s at 1024x768 under TCG, loopback; median of $RUNS run(s):"
printf '  %-30s %14s %20s %18s %16s\n' server "bytes / line" "SPICE CPU ms/line" "main ms/line" "latency ms"
for l in $LIBS; do
    name="floe libspice-server"; [ "$l" = debian ] && name="Debian libspice-server${deb:+ $deb}"
    printf '  %-30s %14.0f %20.2f %18.2f %16.1f\n' "$name" "$(col $l 1)" "$(col $l 2)" "$(col $l 3)" "$(col $l 4)"
    echo "$name,$(col $l 1),$(col $l 2),$(col $l 3),$(col $l 4),$RUNS,$SECS,$KEYS" >>"$OUT/qxl.csv"
done
awk -v b="$(col floe 1)" -v c="$(col debian 1)" -v s="$(col floe 2)" -v t="$(col debian 2)" \
    -v m="$(col floe 3)" -v n="$(col debian 3)" -v l="$(col floe 4)" -v k="$(col debian 4)" '
    function r(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "" }
    BEGIN {
        printf "  floe / Debian: bytes per line %s, SPICE threads CPU %s, main loop %s, latency %s (lower is better)\n",
            r(b, c), r(s, t), r(m, n), r(l, k)
        printf "floe/Debian ratio,%s,%s,%s,%s,,,\n", r(b, c), r(s, t), r(m, n), r(l, k) >>"'"$OUT/qxl.csv"'"
    }'
echo
