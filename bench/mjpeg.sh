#!/usr/bin/env bash
# The MJPEG table of make bench: floe's libspice-server.so.1 against
# Debian's, fed the same frames, in the same run. A film (bench/film.c:
# the demo's video, a camera moving over its photographic scene with film
# grain, BENCH_MJPEG_SIZE at 25 frames a second for BENCH_MJPEG_SECONDS)
# is played by qxl_host's film scenario (QEMU's side of the QXL interface,
# video streams on) to each library in turn, watched by one client at a
# time on loopback with no cap (BENCH_MJPEG_CLIENT: remote-viewer, the
# reference's client, under a private Xvfb, which sends STREAM_REPORTs to
# both; or floe-viewer, headless). tshark captures the display channel; the
# STREAM_DATA payloads the library sent, the JPEGs as they went, are
# scored by mjpeg-score against the film: SSIM of luma per film frame
# against the frame a viewer shows then (shown_ssim), and the stream's
# kbit/s at the film's pace.
#
# Debian's library is run once at its own rate control (the quality most
# of its frames have, read from their quantization tables, goes into the
# table), and so is floe's, for comparison. Then floe's runs at each
# quality of BENCH_MJPEG_QUALITIES, fixed for every frame
# (FLOE_TEST_STREAM_QUALITY). floe's kbit/s at the reference's SSIM is
# interpolated between the two qualities whose SSIMs bracket it (linear in
# log kbit/s against SSIM); when none reaches it, the best is given
# alone and the ratio is left out. (floe's MJPEG runs are MJPEG whatever the
# client plays: FLOE_TEST_STREAM_CODEC=mjpeg.)
#
# Then floe's library streams VP8 (FLOE_TEST_STREAM_CODEC=vp8; the client
# must state CODEC_VP8, as remote-viewer with GStreamer's vp8dec and
# floe-viewer do): once at its own rate control, then at each bitrate of
# BENCH_VP8_KBPS (kbit/s, FLOE_TEST_STREAM_KBPS), and its kbit/s at the
# reference's SSIM is interpolated the same way, with its ratio to the
# reference's MJPEG. BENCH_NO_VP8=1 leaves VP8 out.
#
#   bench/mjpeg.sh [BIN]     (default build/bin; the library is BIN/../lib)
# Environment: BENCH_MJPEG_SIZE (640x480), BENCH_MJPEG_SECONDS (10),
# BENCH_MJPEG_QUALITIES ("70 76 78 80 82 84 90"), BENCH_MJPEG_CLIENT
# (remote-viewer when installed, else floe-viewer), REF_LIB (Debian's
# library), BENCH_VP8_KBPS ("150 250 400 800 1600": around the reference's
# SSIM, which VP8 passes near 300 kbit/s). Writes
# BUILD/bench/mjpeg.csv.
set -eu
BIN=$(cd "${1:-build/bin}" && pwd)
cd "$(dirname "$0")/.."
BUILD=$(dirname "$BIN")
OUT=$BUILD/bench
HOST=$BUILD/tests/qxl_host
FILM_MAKE=$OUT/film-make
SCORE=$OUT/mjpeg-score
FLOE_LIB=$BUILD/lib/libspice-server.so.1
REF_LIB=${REF_LIB:-/usr/lib/x86_64-linux-gnu/libspice-server.so.1}
SIZE=${BENCH_MJPEG_SIZE:-640x480}
SECS=${BENCH_MJPEG_SECONDS:-10}
QUALITIES=${BENCH_MJPEG_QUALITIES:-70 76 78 80 82 84 90}
VP8_KBPS=${BENCH_VP8_KBPS:-150 250 400 800 1600}
[ -z "${BENCH_NO_VP8:-}" ] || VP8_KBPS=
FPS=25
CLIENT=${BENCH_MJPEG_CLIENT:-}
if [ -z "$CLIENT" ]; then
    command -v remote-viewer >/dev/null && command -v Xvfb >/dev/null &&
        CLIENT=remote-viewer || CLIENT=floe-viewer
fi
T=$(mktemp -d /tmp/floe-mjpegbench.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
. bench/lib.sh
die() { echo "bench mjpeg: $*" >&2; exit 1; }
for f in "$HOST" "$FILM_MAKE" "$SCORE" "$FLOE_LIB" "$REF_LIB"; do
    [ -e "$f" ] || die "$f is missing (make bench builds floe's; Debian's is libspice-server1)"
done
command -v tshark >/dev/null || die "tshark is not installed"

W=${SIZE%x*} H=${SIZE#*x}
"$FILM_MAKE" "$T/film" "$W" "$H" $((SECS * FPS)) "$FPS"

if [ "$CLIENT" = remote-viewer ]; then
    Xvfb -displayfd 3 -screen 0 1024x768x24 -nolisten tcp 3>"$T/xvfb.display" >"$T/xvfb.log" 2>&1 &
    PIDS+=($!)
    wait_for 10 test -s "$T/xvfb.display" || die "Xvfb did not start"
    export DISPLAY=:$(head -n 1 "$T/xvfb.display")
    export XDG_RUNTIME_DIR=$T/xdg/run XDG_CONFIG_HOME=$T/xdg/config XDG_CACHE_HOME=$T/xdg/cache
    mkdir -p "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME"
    mkdir -m 700 -p "$XDG_RUNTIME_DIR"
fi

# play NAME LIB [QUALITY [CODEC [KBPS]]]: the film through LIB to the
# client, captured; prints mjpeg-score's line for what LIB streamed
play() {
    local name=$1 lib=$2 q=${3:-} codec=${4:-} kbps=${5:-} port host ts client n
    port=$(free_port)
    tshark -i lo -B 128 -f "tcp port $port" -w "$T/$name.pcapng" >"$T/$name.tshark" 2>&1 &
    ts=$!; PIDS+=("$ts")
    wait_for 20 grep -q "Capturing on" "$T/$name.tshark" || die "$name: tshark does not capture on lo"
    sleep 1   # the capture is live a moment after tshark says so
    FLOE_TEST_STREAM_QUALITY=$q FLOE_TEST_STREAM_CODEC=$codec FLOE_TEST_STREAM_KBPS=$kbps \
        "$HOST" "$lib" "$port" film --film "$T/film" --wait-client \
        >"$T/$name.out" 2>"$T/$name.err" &
    host=$!; PIDS+=("$host")
    wait_for 60 grep -q '^listening' "$T/$name.out" || die "$name: qxl_host did not start: $(tail -n 1 "$T/$name.err")"
    if [ "$CLIENT" = remote-viewer ]; then
        remote-viewer "spice://127.0.0.1:$port" >"$T/$name.client" 2>&1 &
    else
        "$BIN/floe-viewer" --headless --duration $((SECS + 60)) "spice://127.0.0.1:$port" \
            >"$T/$name.client" 2>&1 &
    fi
    client=$!; PIDS+=("$client")
    # the film, then its last frame still: the stream ends, update_area answers
    wait_for $((SECS + 90)) grep -q '^ready' "$T/$name.out" || die "$name: the film did not finish"
    kill "$client" 2>/dev/null || true; wait "$client" 2>/dev/null || true
    kill -TERM "$host" 2>/dev/null || true; wait "$host" 2>/dev/null || true
    sleep 0.5
    kill -INT "$ts" 2>/dev/null || true; wait "$ts" 2>/dev/null || true
    # every STREAM_DATA (123) the library sent, its payload a line; each
    # one the dissector saw must have its payload
    tshark -r "$T/$name.pcapng" -d "tcp.port==$port,spice" -T fields -E occurrence=a \
        -e tcp.srcport -e spice.message_type -e spice.stream_data 2>/dev/null |
        awk -F'\t' -v p="$port" '$1 == p { print $2 "\t" $3 }' >"$T/$name.data"
    n=$(cut -f1 "$T/$name.data" | tr ',' '\n' | grep -c '^123$' || true)
    cut -f2 "$T/$name.data" | tr ',' '\n' | grep . >"$T/$name.hex" || true
    [ "$(wc -l <"$T/$name.hex")" -gt 10 ] || die "$name: fewer than 10 stream frames captured"
    [ "$(wc -l <"$T/$name.hex")" = "$n" ] ||
        die "$name: $n STREAM_DATA in the capture, $(wc -l <"$T/$name.hex") payloads read"
    "$SCORE" "$T/film" <"$T/$name.hex" || die "$name: frames not scored"
}

echo "MJPEG at equal SSIM: a ${SIZE} film, $SECS s at $FPS frames/s, to $CLIENT on loopback:" >&2
ref=$(play ref "$REF_LIB")
echo "  Debian's library: $ref" >&2
own=$(play floe-own "$FLOE_LIB" "" mjpeg)
echo "  floe's library at its own rate control: $own" >&2
: >"$T/floe.rows"
for q in $QUALITIES; do
    line=$(play "floe-q$q" "$FLOE_LIB" "$q" mjpeg)
    echo "  floe's library, quality $q: $line" >&2
    echo "$q $(field shown_ssim "$line") $(field kbps "$line") $(field frames "$line")" \
        "$(field ssim "$line") $(field psnr "$line")" >>"$T/floe.rows"
done

vp8_own=
: >"$T/vp8.rows"
if [ -n "$VP8_KBPS" ]; then
    vp8_own=$(play vp8-own "$FLOE_LIB" "" vp8)
    echo "  floe's library, VP8 at its own rate control: $vp8_own" >&2
    for k in $VP8_KBPS; do
        line=$(play "vp8-$k" "$FLOE_LIB" "" vp8 "$k")
        echo "  floe's library, VP8 at $k kbit/s: $line" >&2
        echo "$k $(field shown_ssim "$line") $(field kbps "$line") $(field frames "$line")" \
            "$(field ssim "$line") $(field psnr "$line")" >>"$T/vp8.rows"
    done
fi

# floe's kbit/s at the reference's SSIM: between the two settings around it
ref_ssim=$(field shown_ssim "$ref") ref_kbps=$(field kbps "$ref")
at_ssim() { sort -g -k2 "$1" | awk -v s="$ref_ssim" '
    { q[NR] = $1; ss[NR] = $2; k[NR] = $3 }
    END {
        for (i = 1; i <= NR; i++) if (ss[i] >= s) break
        if (i > NR) { printf "none %s %s %s\n", q[NR], ss[NR], k[NR]; exit }
        if (i == 1 || ss[i] == ss[i - 1]) { printf "%s %s %s %s\n", q[i], ss[i], k[i], k[i]; exit }
        f = (s - ss[i - 1]) / (ss[i] - ss[i - 1])
        printf "%s-%s %s %.1f %s\n", q[i - 1], q[i], s, exp(log(k[i - 1]) + f * (log(k[i]) - log(k[i - 1]))), k[i]
    }'; }
read -r mq mssim mkbps _ <<<"$(at_ssim "$T/floe.rows")"
vq=none vssim= vkbps=
[ ! -s "$T/vp8.rows" ] || read -r vq vssim vkbps _ <<<"$(at_ssim "$T/vp8.rows")"
mkdir -p "$OUT"
{
    echo "library,quality,frames,kbps,shown_ssim,ssim,psnr,client,size,seconds"
    echo "debian,$(field quality "$ref"),$(field frames "$ref"),$ref_kbps,$ref_ssim,$(field ssim "$ref"),$(field psnr "$ref"),$CLIENT,$SIZE,$SECS"
    echo "floe own,$(field quality "$own"),$(field frames "$own"),$(field kbps "$own"),$(field shown_ssim "$own"),$(field ssim "$own"),$(field psnr "$own"),$CLIENT,$SIZE,$SECS"
    while read -r q s k f s2 p; do
        echo "floe,$q,$f,$k,$s,$s2,$p,$CLIENT,$SIZE,$SECS"
    done <"$T/floe.rows"
    if [ "$mq" = none ]; then
        echo "floe at equal ssim,none reaches it,,,,,,$CLIENT,$SIZE,$SECS"
    else
        echo "floe at equal ssim,$mq,,$mkbps,$mssim,,,$CLIENT,$SIZE,$SECS"
        echo "ratio,,,$(awk -v a="$mkbps" -v b="$ref_kbps" 'BEGIN { printf "%.3f", a / b }'),,,,$CLIENT,$SIZE,$SECS"
    fi
    if [ -n "$vp8_own" ]; then
        echo "vp8 own,,$(field frames "$vp8_own"),$(field kbps "$vp8_own"),$(field shown_ssim "$vp8_own"),$(field ssim "$vp8_own"),$(field psnr "$vp8_own"),$CLIENT,$SIZE,$SECS"
        while read -r k s f2 f s2 p; do
            echo "vp8,$k,$f,$f2,$s,$s2,$p,$CLIENT,$SIZE,$SECS"
        done <"$T/vp8.rows"
        if [ "$vq" = none ]; then
            echo "vp8 at equal ssim,none reaches it,,,,,,$CLIENT,$SIZE,$SECS"
        else
            echo "vp8 at equal ssim,$vq,,$vkbps,$vssim,,,$CLIENT,$SIZE,$SECS"
            echo "vp8 ratio,,,$(awk -v a="$vkbps" -v b="$ref_kbps" 'BEGIN { printf "%.3f", a / b }'),,,,$CLIENT,$SIZE,$SECS"
        fi
    fi
} >"$OUT/mjpeg.csv"
if [ "$mq" = none ]; then
    echo "  no quality of floe's reached the reference's SSIM $ref_ssim (best: $mkbps at quality $mssim)" >&2
else
    echo "  floe at the reference's SSIM $ref_ssim: $mkbps kbit/s (qualities $mq), against" \
        "$ref_kbps kbit/s: ratio $(awk -v a="$mkbps" -v b="$ref_kbps" 'BEGIN { printf "%.3f", a / b }')" >&2
fi
if [ -n "$vp8_own" ] && [ "$vq" != none ]; then
    echo "  floe's VP8 at the reference's SSIM $ref_ssim: $vkbps kbit/s ($vq kbit/s targets), against" \
        "$ref_kbps kbit/s of MJPEG: ratio $(awk -v a="$vkbps" -v b="$ref_kbps" 'BEGIN { printf "%.3f", a / b }')" >&2
elif [ -n "$vp8_own" ]; then
    echo "  no VP8 bitrate of floe's reached the reference's SSIM $ref_ssim" >&2
fi
echo
