#!/usr/bin/env bash
# make bench: the demo desktop at 1920x1080 served on loopback to a headless
# floe-viewer, asking for each image compression in turn (off, lz4, lz,
# glz, quic, auto_glz: --preferred-compression), runs of the modes interleaved. Prints frames/s
# delivered, bytes per frame and server CPU milliseconds per frame, each the
# median of RUNS runs of SECONDS seconds; then the codec table (bench/codecs.sh),
# the detection table (detect-bench, bench/detect.c; BENCH_NO_DETECT=1 skips
# it), the VM table (bench/vm.sh; BENCH_NO_VM=1 skips it), the qxl table
# (bench/qxl.sh; BENCH_NO_QXL=1 skips it), the video table (bench/video.sh;
# BENCH_NO_VIDEO=1 skips it), the MJPEG table (bench/mjpeg.sh, floe's
# library against Debian's at equal SSIM; BENCH_NO_MJPEG=1 skips it) and the
# office table (bench/office.sh; BENCH_NO_OFFICE=1 skips it). bench/report.sh
# then writes BUILD/bench/results.md and puts the tables into README.md.
set -eu
BIN=${1:-build/bin}
RUNS=${RUNS:-3}
SECONDS_PER_RUN=${BENCH_SECONDS:-8}
MODES=${BENCH_MODES:-off lz4 lz glz quic auto_glz}
T=$(mktemp -d /tmp/floe-bench.XXXXXX)
SRV=
trap '[ -z "$SRV" ] || kill $SRV 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
TCK=$(getconf CLK_TCK)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

one_run() { # compression mode -> appends "fps bytes/frame cpu-ms/frame" to $T/rows-MODE
    "$BIN/floe-server" --listen 127.0.0.1:0 --disable-ticketing --control "$T/ctl" \
        --size 1920x1080 >"$T/out" 2>"$T/err" &
    SRV=$!
    for _ in $(seq 1 100); do grep -q "listening on" "$T/out" && break; sleep 0.1; done
    URI=$(sed -n 's/^floe-server: listening on //p' "$T/out")
    sleep 1
    f0=$(printf 'stats\n' | socat - "UNIX-CONNECT:$T/ctl" | sed -n 's/^frames=\([0-9]*\).*/\1/p')
    c0=$(cpu_ticks $SRV)
    line=$("$BIN/floe-viewer" --headless --preferred-compression "$1" \
        --duration "$SECONDS_PER_RUN" "$URI" | tail -n 1)
    c1=$(cpu_ticks $SRV)
    f1=$(printf 'stats\n' | socat - "UNIX-CONNECT:$T/ctl" | sed -n 's/^frames=\([0-9]*\).*/\1/p')
    printf 'quit\n' | socat - "UNIX-CONNECT:$T/ctl" >/dev/null
    wait $SRV || true
    SRV=
    bytes=$(sed -n 's/.*bytes=\([0-9]*\).*/\1/p' <<<"$line")
    vframes=$(sed -n 's/^frames=\([0-9]*\).*/\1/p' <<<"$line")
    sframes=$((f1 - f0))
    [ "${vframes:-0}" -gt 0 ] && [ "$sframes" -gt 0 ] || { echo "bench: no frames: $line" >&2; exit 1; }
    awk -v vf="$vframes" -v sf="$sframes" -v b="$bytes" -v c=$((c1 - c0)) \
        -v s="$SECONDS_PER_RUN" -v tck="$TCK" \
        'BEGIN { printf "%.2f %.0f %.3f\n", vf / s, b / vf, c * 1000 / tck / sf }' >>"$T/rows-$1"
    echo "run $run, compression $1: $line" >&2
}

for mode in $MODES; do : >"$T/rows-$mode"; done
for run in $(seq 1 "$RUNS"); do
    for mode in $MODES; do one_run "$mode"; done
done
OUT=$(dirname "$BIN")/bench
mkdir -p "$OUT"
echo "compression,fps,bytes_per_frame,server_cpu_ms_per_frame,runs,seconds" >"$OUT/demo.csv"
for mode in $MODES; do
    echo "$mode,$(cut -d' ' -f1 "$T/rows-$mode" | median),$(cut -d' ' -f2 "$T/rows-$mode" | median),$(cut -d' ' -f3 "$T/rows-$mode" | median),$RUNS,$SECONDS_PER_RUN" >>"$OUT/demo.csv"
done
echo "demo desktop 1920x1080, loopback, $RUNS runs of ${SECONDS_PER_RUN}s (median):"
printf '  %-12s %10s %16s %22s\n' "compression" "frames/s" "bytes per frame" "server CPU ms / frame"
for mode in $MODES; do
    printf '  %-12s %10s %16s %22s\n' "$mode" "$(cut -d' ' -f1 "$T/rows-$mode" | median)" \
        "$(cut -d' ' -f2 "$T/rows-$mode" | median)" "$(cut -d' ' -f3 "$T/rows-$mode" | median)"
done
echo
[ -n "${BENCH_NO_CODECS:-}" ] || "$(dirname "$0")/codecs.sh" "$(dirname "$BIN")"
[ -n "${BENCH_NO_DETECT:-}" ] || { FLOE_LOG=warn "$OUT/detect-bench" --csv "$OUT/detect.csv"; echo; }
[ -n "${BENCH_NO_VM:-}" ] || "$(dirname "$0")/vm.sh" "$BIN"
[ -n "${BENCH_NO_QXL:-}" ] || "$(dirname "$0")/qxl.sh" "$BIN"
[ -n "${BENCH_NO_VIDEO:-}" ] || "$(dirname "$0")/video.sh" "$BIN"
[ -n "${BENCH_NO_MJPEG:-}" ] || "$(dirname "$0")/mjpeg.sh" "$BIN"
[ -n "${BENCH_NO_OFFICE:-}" ] || "$(dirname "$0")/office.sh" "$BIN"
# the README's figures are this run's: its tables are rewritten from the CSVs
"$(dirname "$0")/report.sh" "$OUT" README.md
