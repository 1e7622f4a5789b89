#!/usr/bin/env bash
# make bench: the demo desktop at 1920x1080 served on loopback to a headless
# floe-viewer. Prints frames/s delivered, bytes per frame and server CPU
# milliseconds per frame, each the median of RUNS runs of SECONDS seconds.
set -eu
BIN=${1:-build/bin}
RUNS=${RUNS:-5}
SECONDS_PER_RUN=${BENCH_SECONDS:-8}
T=$(mktemp -d /tmp/floe-bench.XXXXXX)
trap 'kill $SRV 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
TCK=$(getconf CLK_TCK)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

: >"$T/rows"
for run in $(seq 1 "$RUNS"); do
    "$BIN/floe-server" --listen 127.0.0.1:0 --disable-ticketing --control "$T/ctl" \
        --size 1920x1080 >"$T/out" 2>"$T/err" &
    SRV=$!
    for _ in $(seq 1 100); do grep -q "listening on" "$T/out" && break; sleep 0.1; done
    URI=$(sed -n 's/^floe-server: listening on //p' "$T/out")
    sleep 1
    f0=$(printf 'stats\n' | socat - "UNIX-CONNECT:$T/ctl" | sed -n 's/.*frames=\([0-9]*\).*/\1/p')
    c0=$(cpu_ticks $SRV)
    line=$("$BIN/floe-viewer" --headless --duration "$SECONDS_PER_RUN" "$URI" | tail -n 1)
    c1=$(cpu_ticks $SRV)
    f1=$(printf 'stats\n' | socat - "UNIX-CONNECT:$T/ctl" | sed -n 's/.*frames=\([0-9]*\).*/\1/p')
    printf 'quit\n' | socat - "UNIX-CONNECT:$T/ctl" >/dev/null
    wait $SRV || true
    bytes=$(sed -n 's/.*bytes=\([0-9]*\).*/\1/p' <<<"$line")
    vframes=$(sed -n 's/.*frames=\([0-9]*\).*/\1/p' <<<"$line")
    sframes=$((f1 - f0))
    [ "${vframes:-0}" -gt 0 ] && [ "$sframes" -gt 0 ] || { echo "bench: no frames: $line" >&2; exit 1; }
    awk -v vf="$vframes" -v sf="$sframes" -v b="$bytes" -v c=$((c1 - c0)) \
        -v s="$SECONDS_PER_RUN" -v tck="$TCK" \
        'BEGIN { printf "%.2f %.0f %.3f\n", vf / s, b / vf, c * 1000 / tck / sf }' >>"$T/rows"
    echo "run $run: $line" >&2
done
echo "demo desktop 1920x1080, loopback, $RUNS runs of ${SECONDS_PER_RUN}s (median):"
printf '  frames/s delivered     %s\n' "$(cut -d' ' -f1 "$T/rows" | median)"
printf '  bytes per frame        %s\n' "$(cut -d' ' -f2 "$T/rows" | median)"
printf '  server CPU ms / frame  %s\n' "$(cut -d' ' -f3 "$T/rows" | median)"
