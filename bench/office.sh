#!/usr/bin/env bash
# The office table of make bench: floe-server's demo desktop at 1920x1080
# (its terminal scrolling a log, its About window dragged across the desktop
# by the demo itself, its photo window's live picture, the Notes window's
# caret) with office-probe (bench/office.c) typing into the Notes window, a
# headless libfloe-client session: on loopback directly, and through the
# shaping proxy (tests/e2e/shape_proxy.c) capped at each rate of
# BENCH_OFFICE_RATES (Mbit/s down, the whole session's channels together;
# up unlimited, no added delay). Each link gets a new server; once the
# client has its first picture, a window of BENCH_OFFICE_SECONDS opens:
#   bytes/s   what the client received, per second of the window
#   frames/s  the client's display updates (floe-viewer's frames: bursts of
#             drawing 8 ms apart), per second
#   server CPU ms per frame  the floe-server process's user+system time
#             (/proc/PID/stat) over the window, divided by the frames the
#             server made in it (its control socket's stats frames)
#   latency   key to picture: each key (then a Backspace, untimed) timed
#             from sending it to its glyph on the client's canvas; min,
#             quartiles and max of the keys of the window
# Medians over RUNS runs (default 1), into BUILD/bench/office.csv. There is
# no peer that shows this desktop: these are floe's own figures.
#
#   bench/office.sh [BIN]     (default build/bin)
# Environment: RUNS (1), BENCH_OFFICE_SECONDS (24: one turn of the About
# window's path), BENCH_OFFICE_RATES (100 10 2).
set -eu
BIN=$(cd "${1:-build/bin}" && pwd)
cd "$(dirname "$0")/.."
BUILD=$(dirname "$BIN")
OUT=$BUILD/bench
PROBE=$OUT/office-probe
PROXY=$BUILD/tests/shape_proxy
RUNS=${RUNS:-1}
SECS=${BENCH_OFFICE_SECONDS:-24}
RATES=${BENCH_OFFICE_RATES:-100 10 2}
# the Notes window's first text row at 1920x1080 (demo/windows.c, demo/notes.c)
AREA=1413,219,434
T=$(mktemp -d /tmp/floe-office.XXXXXX)
SRV= PRX= PRB=
cleanup() {
    for p in $PRB $PRX $SRV; do kill "$p" 2>/dev/null || true; done
    [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

die() { echo "bench office: $*" >&2; exit 1; }
. bench/lib.sh
for tool in socat "$PROBE" "$PROXY"; do command -v "$tool" >/dev/null || die "$tool is missing"; done
TCK=$(getconf CLK_TCK)

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SRV/stat"; }
server_frames() { field frames "$(printf 'stats\n' | socat -t 5 - "UNIX-CONNECT:$T/ctl")"; }
ctl_quit() { printf 'quit\n' | socat -t 10 - "UNIX-CONNECT:$T/ctl" >/dev/null 2>&1 || true; }

start_server() { # -> SRV, PORT
    rm -f "$T/ctl"
    "$BIN/floe-server" --listen 127.0.0.1:0 --disable-ticketing --control "$T/ctl" \
        --size 1920x1080 >"$T/server.out" 2>"$T/server.err" &
    SRV=$!
    wait_for 30 grep -q "listening on" "$T/server.out" ||
        { cat "$T/server.err" >&2; die "floe-server did not start"; }
    PORT=$(sed -n 's/^floe-server: listening on spice:\/\/127.0.0.1://p' "$T/server.out")
}

start_proxy() { # Mbit/s -> PRX, URI through it
    "$PROXY" --listen 127.0.0.1:0 --to "127.0.0.1:$PORT" --rate $(($1 * 1000)) \
        >"$T/proxy.out" 2>"$T/proxy.err" &
    PRX=$!
    wait_for 10 grep -q "listening on" "$T/proxy.out" ||
        { cat "$T/proxy.err" >&2; die "the proxy did not start"; }
    URI=spice://$(sed -n 's/^listening on //p' "$T/proxy.out")
}

stop_all() {
    ctl_quit
    for _ in $(seq 1 100); do kill -0 "$SRV" 2>/dev/null || break; sleep 0.1; done
    for p in $PRB $PRX $SRV; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    SRV= PRX= PRB=
}

# at_line WORD: waits for the probe's line starting WORD; prints it
at_line() {
    local until=$((SECONDS + $2))
    while ! grep -q "^$1 " "$T/probe.out"; do
        kill -0 "$PRB" 2>/dev/null || die "$link: the probe ended: $(tail -n 2 "$T/probe.err")"
        [ $SECONDS -lt "$until" ] || die "$link: no '$1' from the probe within $2 s"
        sleep 0.05
    done
    grep "^$1 " "$T/probe.out"
}

# one link (0: direct) -> a row "bytes/s fps cpu-ms/frame min q1 median q3 max n lost" in rows-LINK
one_run() {
    local s0 s1 c0 c1 f0 f1 lat
    link=$1
    start_server
    URI=spice://127.0.0.1:$PORT
    [ "$1" = 0 ] || start_proxy "$1"
    "$PROBE" --area "$AREA" --seconds "$SECS" "$URI" >"$T/probe.out" 2>"$T/probe.err" &
    PRB=$!
    s0=$(at_line start 180)
    c0=$(cpu_ticks) f0=$(server_frames)
    s1=$(at_line end $((SECS + 60)))
    c1=$(cpu_ticks) f1=$(server_frames)
    wait "$PRB" || die "$link: the probe timed no key: $(cat "$T/probe.out" "$T/probe.err")"
    PRB=
    lat=$(grep '^latency_ms ' "$T/probe.out")
    stop_all
    echo "run $run, $([ "$1" = 0 ] && echo direct || echo "$1 Mbit/s"): $s0 / $s1 / server frames $((f1 - f0)), CPU ticks $((c1 - c0)) / $lat" >&2
    awk -v b="$(($(field bytes "$s1") - $(field bytes "$s0")))" \
        -v vf="$(($(field frames "$s1") - $(field frames "$s0")))" \
        -v sf=$((f1 - f0)) -v c=$((c1 - c0)) -v s="$SECS" -v tck="$TCK" \
        -v lat="$(for k in min q1 median q3 max n lost; do printf '%s ' "$(field $k "$lat")"; done)" \
        'BEGIN { printf "%.0f %.2f %.3f %s\n", b / s, vf / s, sf ? c * 1000 / tck / sf : 0, lat }' >>"$T/rows-$1"
}

LINKS="0 $RATES"
for l in $LINKS; do : >"$T/rows-$l"; done
for run in $(seq 1 "$RUNS"); do
    for l in $LINKS; do one_run "$l"; done
done

col() { cut -d' ' -f"$2" "$T/rows-$1" | median; }
mkdir -p "$OUT"
echo "link,rate_mbit,bytes_per_s,fps,server_cpu_ms_per_frame,latency_min_ms,latency_q1_ms,latency_median_ms,latency_q3_ms,latency_max_ms,keys,keys_lost,runs,seconds" >"$OUT/office.csv"
echo "office workload on the demo desktop at 1920x1080; ${SECS}s windows, median of $RUNS run(s):"
printf '  %-12s %9s %9s %15s   %-36s %5s\n' link "Mbit/s" frames/s "CPU ms / frame" "key to picture ms: min q1 median q3 max" keys
for l in $LINKS; do
    name=direct rate=
    [ "$l" = 0 ] || name="$l Mbit/s" rate=$l
    printf '  %-12s %9.2f %9.1f %15.2f   %6.1f %6.1f %6.1f %6.1f %8.1f %5s\n' "$name" \
        "$(col "$l" 1 | awk '{ print $1 * 8 / 1e6 }')" "$(col "$l" 2)" "$(col "$l" 3)" \
        "$(col "$l" 4)" "$(col "$l" 5)" "$(col "$l" 6)" "$(col "$l" 7)" "$(col "$l" 8)" "$(col "$l" 9)"
    echo "$name,$rate,$(col "$l" 1),$(col "$l" 2),$(col "$l" 3),$(col "$l" 4),$(col "$l" 5),$(col "$l" 6),$(col "$l" 7),$(col "$l" 8),$(col "$l" 9),$(col "$l" 10),$RUNS,$SECS" >>"$OUT/office.csv"
done
echo
