#!/usr/bin/env bash
# A client's first picture is whole when the client takes it. spicy-screenshot
# (spice-client-gtk, the reference client library) writes the picture it has
# after the first draw spice-gtk reports; a raw client with the reference
# client's capabilities writes the picture it has at MARK. On a frozen demo
# both equal the server's snapshot, pixel for pixel, three tries out of three.
. "$(dirname "$0")/../lib.sh"

if ! command -v spicy-screenshot >/dev/null; then
    fail "spicy-screenshot is missing (Debian package spice-client-gtk, make deps)"
    finish
fi

# name [floe-server options...]: three screenshots against a frozen 1024x768 demo
screenshots() {
    local name=$1 i d
    shift
    start_server --disable-ticketing --size 1024x768 "$@"
    ctl freeze >/dev/null
    ctl "snapshot $T/server.png" >/dev/null
    for i in 1 2 3; do
        rm -f "$T/shot.ppm"
        if ! timeout 30 spicy-screenshot -h 127.0.0.1 -p "$PORT" -o "$T/shot.ppm" \
            >"$T/spicy.out" 2>&1 || [ ! -s "$T/shot.ppm" ]; then
            fail "$name, try $i: spicy-screenshot wrote no picture: $(tail -n 3 "$T/spicy.out")"
            continue
        fi
        d=$(pixel_diff "$T/server.png" "$T/shot.ppm")
        [ "$d" = 0 ] && pass "$name, try $i: spicy-screenshot's picture equals the server's" ||
            fail "$name, try $i: spicy-screenshot's picture differs in $d pixels"
    done
    stop_server
}

screenshots quic --image-compression quic
screenshots "default compression"

# the raw client (no pixmap cache, no GLZ window: LZ and QUIC pictures)
start_server --disable-ticketing --size 1024x768
ctl freeze >/dev/null
ctl "snapshot $T/server.png" >/dev/null
for i in 1 2 3; do
    rm -f "$T/raw-mark.png"
    if ! FLOE_PORT=$PORT FLOE_PASSWORD=x FLOE_MARK="$T/raw" "$TESTBIN/raw_client" \
        >"$T/raw.out" 2>&1; then
        fail "raw client, try $i: $(grep -m1 -i 'error\|fail' "$T/raw.out")"
        continue
    fi
    grep "^mark:" "$T/raw.out"
    grep -q "^mark: 786432 of 786432 pixels drawn" "$T/raw.out" &&
        pass "raw client, try $i: every pixel was drawn before MARK" ||
        fail "raw client, try $i: $(grep '^mark:' "$T/raw.out")"
    d=$(pixel_diff "$T/server.png" "$T/raw-mark.png")
    [ "$d" = 0 ] && pass "raw client, try $i: its picture at MARK equals the server's" ||
        fail "raw client, try $i: its picture at MARK differs in $d pixels"
done
stop_server
finish
