#!/usr/bin/env bash
# The reference decoder: remote-viewer (spice-gtk) under Xvfb shows
# floe-server's desktop in every image compression mode. For each mode the
# server's stats must show the codec the mode calls for, and remote-viewer's
# screen must equal the server's snapshot: pixel for pixel for the lossless
# codecs, above a PSNR bound for JPEG.
. "$(dirname "$0")/../lib.sh"

W=1280; H=720

# mode expected-codec(s) [server options...]: a part of its own, with its
# own X server, floe-server and remote-viewer
check_mode() {
    local mode=$1 want=$2 stats best=-1 d rv
    shift 2
    start_xvfb ${W}x${H}
    start_server --disable-ticketing --size ${W}x${H} --image-compression "$mode" "$@"
    remote-viewer --full-screen "spice://127.0.0.1:$PORT" >"$T/rv-$mode.log" 2>&1 &
    rv=$!; PIDS+=("$rv")
    if ! wait_for 60 ctl_has clients 'display'; then
        fail "$mode: remote-viewer did not link its display channel"; cat "$T/rv-$mode.log"
    fi
    # the demo's photo loops in 3 s: repeats come from the cache, once the
    # client keeps up (on a busy machine that can take longer)
    sleep 6
    wait_for 30 ctl_has stats ' from_cache=[1-9]' || true
    ctl freeze >/dev/null
    for i in 1 2 3 4 5 6 7 8; do
        sleep 1
        ctl "snapshot $T/server.png" >/dev/null
        import -window root "$T/rv.png"
        if [[ " $want " == *" jpeg "* ]]; then
            d=$(compare -metric PSNR "$T/server.png" "$T/rv.png" null: 2>&1 || true)
            awk -v d="$d" 'BEGIN { exit !(d == "inf" || d + 0 >= 30) }' && { best=0; break; }
            best="PSNR $d dB"
        else
            best=$(pixel_diff "$T/server.png" "$T/rv.png")
            [ "$best" = 0 ] && break
        fi
    done
    stats=$(ctl stats | head -1)
    echo "$mode: $stats"
    for codec in $want; do
        grep -qE " $codec=[1-9]" <<<"$stats" && pass "$mode: $codec images were sent" ||
            fail "$mode: no $codec images: $stats"
    done
    grep -qE ' from_cache=[1-9]' <<<"$stats" && pass "$mode: repeated images came from the cache" ||
        fail "$mode: no cache hits: $stats"
    if [ "$best" = 0 ]; then
        pass "$mode: remote-viewer's screen matches the server's ($([[ " $want " == *" jpeg "* ]] && echo "PSNR >= 30 dB" || echo "0 of $((W * H)) pixels differ"))"
    else
        fail "$mode: remote-viewer's screen differs from the server's: $best"
        mkdir -p build/test-artifacts && cp "$T/server.png" build/test-artifacts/server-$mode-${want// /-}.png &&
            cp "$T/rv.png" build/test-artifacts/rv-$mode-${want// /-}.png || true
    fi
    grep -i 'warn\|crit' "$T/rv-$mode.log" | head -5 || true
    kill "$rv" 2>/dev/null || true
    wait "$rv" 2>/dev/null || true
    ctl thaw >/dev/null
    stop_server
}

part off check_mode off raw
part lz4 check_mode lz4 lz4
part glz check_mode glz glz
part zlib-glz check_mode glz zlib-glz --zlib-glz-wan-compression always
part lz check_mode lz lz
part quic check_mode quic quic
part auto_lz check_mode auto_lz "quic lz"
part auto_glz check_mode auto_glz "quic glz"
part auto_glz-jpeg check_mode auto_glz "jpeg glz" --jpeg-wan-compression always
parts_wait
finish
