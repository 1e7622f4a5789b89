#!/usr/bin/env bash
# The video table of make bench: floe-server with the demo's full-screen
# video (--demo-video full, 1920x1080, a camera moving over a photographic
# scene at 30 frames per second, streamed as MJPEG) served on loopback to a
# headless floe-viewer, RUNS times. A run waits WARM seconds for the stream
# to start, then measures SECONDS:
#   frames/s     video frames the viewer drew, over the time from its first
#                to its last (stream_fps of its summary line)
#   Mbit/s       what the server wrote (its stats) over the window
#   CPU ms/frame the server process's CPU time (every thread: the demo
#                drawing its frames, the server's loop, the encoding pool)
#                over the frames written in the window
# Medians go to BUILD/bench/video.csv. floe alone: no other server here
# plays this workload on the same frames.
#
#   bench/video.sh [BIN]     (default build/bin)
# Environment: RUNS (default 3), BENCH_VIDEO_SECONDS (default 10),
# BENCH_VIDEO_WARM (default 3).
set -eu
BIN=$(cd "${1:-build/bin}" && pwd)
cd "$(dirname "$0")/.."
OUT=$(dirname "$BIN")/bench
RUNS=${RUNS:-3}
SECS=${BENCH_VIDEO_SECONDS:-10}
WARM=${BENCH_VIDEO_WARM:-3}
T=$(mktemp -d /tmp/floe-videobench.XXXXXX)
SRV=
trap '[ -z "$SRV" ] || kill $SRV 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
TCK=$(getconf CLK_TCK)
. bench/lib.sh
command -v socat >/dev/null || { echo "bench video: socat is not installed" >&2; exit 1; }

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
stat_of() { printf 'stats\n' | socat - "UNIX-CONNECT:$T/ctl" | sed -n "s/.*[ ^]$1=\([0-9]*\).*/\1/p"; }

one_run() { # appends "fps mbit cpu_ms quality" to $T/rows
    "$BIN/floe-server" --listen 127.0.0.1:0 --disable-ticketing --control "$T/ctl" \
        --size 1920x1080 --demo-video full >"$T/out" 2>"$T/err" &
    SRV=$!
    wait_for 10 grep -q "listening on" "$T/out" || { cat "$T/err" >&2; exit 1; }
    URI=$(sed -n 's/^floe-server: listening on //p' "$T/out")
    "$BIN/floe-viewer" --headless --duration $((WARM + SECS)) "$URI" >"$T/viewer" 2>&1 &
    VIEWER=$!
    sleep "$WARM"
    b0=$(stat_of bytes) s0=$(stat_of stream_frames) c0=$(cpu_ticks $SRV)
    sleep "$SECS"
    b1=$(stat_of bytes) s1=$(stat_of stream_frames) c1=$(cpu_ticks $SRV)
    wait $VIEWER || { cat "$T/viewer" >&2; exit 1; }
    printf 'quit\n' | socat - "UNIX-CONNECT:$T/ctl" >/dev/null
    wait $SRV || true
    SRV=
    line=$(tail -n 1 "$T/viewer")
    fps=$(field stream_fps "$line")
    [ "$((s1 - s0))" -gt 0 ] && [ -n "$fps" ] || { echo "bench video: no stream: $line" >&2; exit 1; }
    awk -v f="$fps" -v b=$((b1 - b0)) -v s="$SECS" -v c=$((c1 - c0)) -v n=$((s1 - s0)) -v tck="$TCK" \
        'BEGIN { printf "%.1f %.1f %.2f\n", f, b * 8 / s / 1e6, c * 1000 / tck / n }' >>"$T/rows"
    echo "run $run: $line (server: $((s1 - s0)) frames written in ${SECS}s)" >&2
}

: >"$T/rows"
for run in $(seq 1 "$RUNS"); do one_run; done
mkdir -p "$OUT"
echo "workload,fps,mbit_per_s,server_cpu_ms_per_frame,runs,seconds" >"$OUT/video.csv"
echo "full-screen 1920x1080,$(cut -d' ' -f1 "$T/rows" | median),$(cut -d' ' -f2 "$T/rows" | median),$(cut -d' ' -f3 "$T/rows" | median),$RUNS,$SECS" >>"$OUT/video.csv"
echo "demo video, full screen 1920x1080, loopback, $RUNS runs of ${SECS}s (median):"
printf '  %10s %10s %22s\n' "frames/s" "Mbit/s" "server CPU ms / frame"
printf '  %10s %10s %22s\n' "$(cut -d' ' -f1 "$T/rows" | median)" "$(cut -d' ' -f2 "$T/rows" | median)" \
    "$(cut -d' ' -f3 "$T/rows" | median)"
echo
