#!/usr/bin/env bash
# floe-server's image compression with floe-viewer --headless: in each mode
# (server option or the client's PREFERRED_COMPRESSION) the images go out in
# the codec that mode calls for, repeats come from the client's pixmap cache,
# and the viewer's picture equals the server's: exactly for lossless codecs,
# above a PSNR bound for JPEG.
. "$(dirname "$0")/../lib.sh"

# server-mode viewer-preference codec-expected [server options...]
check_mode() {
    local mode=$1 pref=$2 want=$3 stats coded raw d
    shift 3
    # no video streams: the photo window's loop of 90 frames comes back as
    # pictures the client may have cached (the text windows go as draws)
    start_server --disable-ticketing --size 1024x640 --image-compression "$mode" \
        --streaming-video off "$@"
    "$BIN/floe-viewer" --headless --duration 40 --snapshot "$T/$mode-$pref.png" \
        --preferred-compression "$pref" "$URI" >"$T/viewer.out" 2>"$T/viewer.err" &
    VPID=$!; PIDS+=("$VPID")
    sleep 7
    # the photo loops in 3 s: its repeated pictures come from the cache once
    # the client keeps up (on a busy machine that can take longer)
    wait_for 30 ctl_has stats ' from_cache=[1-9]' || true
    ctl freeze >/dev/null
    sleep 1
    ctl "snapshot $T/server.png" >/dev/null
    if ! viewer_catch_up "$VPID"; then
        fail "$mode/$pref: floe-viewer failed"; cat "$T/viewer.err"; stop_server; return
    fi
    stats=$(ctl stats | head -1)
    stop_server
    echo "$mode/$pref: $stats"
    if grep -q ' does not decode\|not supported yet' "$T/viewer.err"; then
        fail "$mode/$pref: the viewer could not decode: $(grep -m1 'decode\|supported' "$T/viewer.err")"
    fi
    if [ "$want" = raw ]; then
        # the first picture's strips may go out before the client's
        # PREFERRED_COMPRESSION is read; nothing compressed after that
        n=$(grep -oE ' (quic|lz|glz|zlib-glz|lz4|jpeg|jpeg-alpha)=[0-9]+' <<<"$stats" |
            cut -d= -f2 | awk '{ s += $1 } END { print s + 0 }')
        [ "$n" -le 16 ] && pass "$mode/$pref: uncompressed images ($n compressed at the start)" ||
            fail "$mode/$pref: $n compressed images were sent: $stats"
    else
        grep -qE " $want=[1-9]" <<<"$stats" && pass "$mode/$pref: $want images were sent" ||
            fail "$mode/$pref: no $want images: $stats"
        coded=$(sed -n 's/.*image_coded=\([0-9]*\).*/\1/p' <<<"$stats")
        raw=$(sed -n 's/.*image_raw=\([0-9]*\).*/\1/p' <<<"$stats")
        [ "$((coded * 10))" -lt "$((raw * 9))" ] &&
            pass "$mode/$pref: images took $((coded * 100 / raw))% of their raw size" ||
            fail "$mode/$pref: compression saved less than 10% ($coded of $raw bytes)"
    fi
    grep -qE ' from_cache=[1-9]' <<<"$stats" && pass "$mode/$pref: repeated images came from the cache" ||
        fail "$mode/$pref: no cache hits: $stats"
    if [ "$want" = jpeg ]; then
        d=$(compare -metric PSNR "$T/server.png" "$T/$mode-$pref.png" null: 2>&1 || true)
        awk -v d="$d" 'BEGIN { exit !(d == "inf" || d + 0 >= 30) }' &&
            pass "$mode/$pref: viewer picture within PSNR $d dB of the server's" ||
            fail "$mode/$pref: PSNR only $d dB"
    else
        d=$(pixel_diff "$T/server.png" "$T/$mode-$pref.png")
        [ "$d" = 0 ] && pass "$mode/$pref: viewer picture equals the server's (0 px differ)" ||
            fail "$mode/$pref: viewer picture differs in $d pixels"
    fi
}

# Each mode is a part of its own (its own server and viewer), side by side.
# the server's own setting, the viewer asking for nothing
part off-server check_mode off server raw
part lz4-server check_mode lz4 server lz4
part glz-server check_mode glz server glz
part zlib-glz-server check_mode glz server zlib-glz --zlib-glz-wan-compression always
part lz-server check_mode lz server lz
part quic-server check_mode quic server quic
part auto_lz-server check_mode auto_lz server quic
# photographs in JPEG (PSNR-bounded), the rest lossless
part auto_glz-server check_mode auto_glz server jpeg --jpeg-wan-compression always
# the client's PREFERRED_COMPRESSION overrides the server's setting
part off-lz4 check_mode off lz4 lz4
part lz4-off check_mode lz4 off raw
parts_wait
finish
