#!/usr/bin/env bash
# The video table of make bench: floe-server with the demo's full-screen
# video (--demo-video full, 1920x1080, a camera moving over a photographic
# scene at 30 frames per second, streamed as MJPEG) served to a headless
# floe-viewer on loopback, unlimited and through the shaping proxy
# (tests/e2e/shape_proxy.c) at each cap of BENCH_VIDEO_RATES, RUNS times. A
# run waits until the server has written 10 of the stream's frames (on a
# slow link the lossless pictures before the stream take a while), then
# WARM seconds for the rate to settle, then measures SECONDS:
#   frames/s     video frames the viewer drew, over the time from its first
#                to its last (stream_fps of its summary line)
#   Mbit/s       what the server wrote (its stats) over the window
#   CPU ms/frame the server process's CPU time (every thread: the demo
#                drawing its frames, the server's loop, the encoding pool)
#                over the frames written in the window
#   quality      the stream's JPEG quality for the viewer (the clients
#                command), the median of one look a second
# Medians go to BUILD/bench/video.csv. floe alone: no other server plays
# this workload on the same frames here.
#
#   bench/video.sh [BIN]     (default build/bin)
# Environment: RUNS (default 3), BENCH_VIDEO_SECONDS (default 10),
# BENCH_VIDEO_WARM (default 3), BENCH_VIDEO_RATES (kbit/s, 0 for no proxy;
# default "0 100000 10000 2000"), PROXY (default BUILD/tests/shape_proxy).
set -eu
BIN=$(cd "${1:-build/bin}" && pwd)
cd "$(dirname "$0")/.."
OUT=$(dirname "$BIN")/bench
PROXY=${PROXY:-$(dirname "$BIN")/tests/shape_proxy}
RUNS=${RUNS:-3}
SECS=${BENCH_VIDEO_SECONDS:-10}
WARM=${BENCH_VIDEO_WARM:-3}
RATES=${BENCH_VIDEO_RATES:-0 100000 10000 2000}
T=$(mktemp -d /tmp/floe-videobench.XXXXXX)
SRV= PRX=
trap 'for p in $SRV $PRX; do kill $p 2>/dev/null || true; done; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
TCK=$(getconf CLK_TCK)
. bench/lib.sh
die() { echo "bench video: $*" >&2; exit 1; }
command -v socat >/dev/null || die "socat is not installed"
for r in $RATES; do [ "$r" = 0 ] || [ -x "$PROXY" ] || die "$PROXY is not built"; done

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
ctl() { printf '%s\n' "$1" | socat - "UNIX-CONNECT:$T/ctl"; }
stat_of() { ctl stats | sed -n "s/.*[ ^]$1=\([0-9]*\).*/\1/p"; }
streaming() { [ "$(stat_of stream_frames)" -ge 10 ]; }
quality() { ctl clients | sed -n 's/.*stream_quality=\([0-9]*\).*/\1/p' | head -n 1; }

one_run() { # rate -> appends "fps mbit cpu_ms quality" to $T/rows-RATE
    local uri
    "$BIN/floe-server" --listen 127.0.0.1:0 --disable-ticketing --control "$T/ctl" \
        --size 1920x1080 --demo-video full >"$T/out" 2>"$T/err" &
    SRV=$!
    wait_for 10 grep -q "listening on" "$T/out" || { cat "$T/err" >&2; die "no server"; }
    uri=$(sed -n 's/^floe-server: listening on //p' "$T/out")
    if [ "$1" != 0 ]; then
        "$PROXY" --listen 0 --to "${uri#spice://}" --rate "$1" >"$T/proxy" 2>&1 &
        PRX=$!
        wait_for 10 grep -q "listening on" "$T/proxy" || { cat "$T/proxy" >&2; die "no proxy"; }
        uri=spice://$(sed -n 's/^listening on //p' "$T/proxy")
    fi
    "$BIN/floe-viewer" --headless --duration 600 "$uri" >"$T/viewer" 2>&1 &
    VIEWER=$!
    wait_for 120 streaming || die "no stream within 120 s (cap $1 kbit/s)"
    sleep "$WARM"
    b0=$(stat_of bytes) s0=$(stat_of stream_frames) c0=$(cpu_ticks $SRV)
    : >"$T/q"
    for _ in $(seq 1 "$SECS"); do sleep 1; quality >>"$T/q" || true; done
    b1=$(stat_of bytes) s1=$(stat_of stream_frames) c1=$(cpu_ticks $SRV)
    # the viewer's summary covers its stream from the first frame drawn
    kill -TERM $VIEWER
    wait $VIEWER || { cat "$T/viewer" >&2; die "floe-viewer failed"; }
    ctl quit >/dev/null
    wait $SRV || true
    SRV=
    [ -z "$PRX" ] || { kill $PRX; wait $PRX || true; PRX=; }
    line=$(tail -n 1 "$T/viewer")
    fps=$(field stream_fps "$line")
    [ "$((s1 - s0))" -gt 0 ] && [ -n "$fps" ] || die "no stream: $line"
    awk -v f="$fps" -v b=$((b1 - b0)) -v s="$SECS" -v c=$((c1 - c0)) -v n=$((s1 - s0)) \
        -v tck="$TCK" -v q="$(median <"$T/q")" \
        'BEGIN { printf "%.1f %.2f %.2f %s\n", f, b * 8 / s / 1e6, c * 1000 / tck / n, q }' \
        >>"$T/rows-$1"
    echo "run $run, cap ${1} kbit/s: $line (server: $((s1 - s0)) frames written in ${SECS}s)" >&2
}

col() { cut -d' ' -f"$1" "$T/rows-$2" | median; }
for r in $RATES; do : >"$T/rows-$r"; done
for run in $(seq 1 "$RUNS"); do
    for r in $RATES; do one_run "$r"; done
done
mkdir -p "$OUT"
echo "link_kbps,fps,mbit_per_s,server_cpu_ms_per_frame,quality,runs,seconds" >"$OUT/video.csv"
echo "demo video, full screen 1920x1080, $RUNS runs of ${SECS}s (median):"
printf '  %-22s %10s %10s %22s %8s\n' "link" "frames/s" "Mbit/s" "server CPU ms / frame" "quality"
for r in $RATES; do
    echo "$r,$(col 1 "$r"),$(col 2 "$r"),$(col 3 "$r"),$(col 4 "$r"),$RUNS,$SECS" >>"$OUT/video.csv"
    [ "$r" = 0 ] && name="loopback" || name="proxy at $((r / 1000)) Mbit/s"
    printf '  %-22s %10s %10s %22s %8s\n' "$name" "$(col 1 "$r")" "$(col 2 "$r")" "$(col 3 "$r")" \
        "$(col 4 "$r")"
done
echo
