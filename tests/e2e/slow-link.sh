#!/usr/bin/env bash
# The measured link decides the lossy and zlib choices (jpeg-wan-compression
# and zlib-glz-wan-compression auto, the defaults): on loopback the network
# test finds a fast link and photographs go as lossless QUIC; in a network
# namespace whose loopback is limited to 6 Mbit/s it finds a slow one, and
# they go as JPEG and the rest as zlib-wrapped GLZ, with the viewer's picture
# within a PSNR bound of the server's. Needs root (ip netns, tc).
. "$(dirname "$0")/../lib.sh"
for tool in ip tc; do
    command -v $tool >/dev/null || { echo "FAIL: $tool is not installed (iproute2)"; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "FAIL: this test needs root for a network namespace"; exit 1; }

NS=floe-slow-$$
ip netns add "$NS"
trap 'cleanup; ip netns del "$NS" 2>/dev/null || true' EXIT
# an Ethernet-sized MTU: the token bucket drops any packet larger than its
# burst, and loopback's 64 KiB packets would be (a stalled connection)
ip netns exec "$NS" ip link set lo mtu 1500 up
ip netns exec "$NS" tc qdisc add dev lo root tbf rate 6mbit burst 32kb latency 2s

# run NAME: the demo and a headless viewer (both under $RUN_IN); checks link kind
run() {
    local name=$1 want_link=$2 clients
    start_server --disable-ticketing --size 800x600
    ${RUN_IN:-} "$BIN/floe-viewer" --headless --duration 14 --settle 2 --snapshot "$T/$name.png" "$URI" \
        >"$T/$name.out" 2>"$T/$name.err" &
    VPID=$!; PIDS+=("$VPID")
    sleep 3
    clients=$(ctl clients | head -1)
    echo "$name: $clients"
    grep -q "link=$want_link " <<<"$clients" && pass "$name: the network test found a $want_link link" ||
        fail "$name: expected a $want_link link: $clients"
    sleep 5
    ctl freeze >/dev/null
    wait "$VPID" || { fail "$name: floe-viewer failed"; cat "$T/$name.err"; }
    ctl "snapshot $T/$name-server.png" >/dev/null
    STATS=$(ctl stats | head -1)
    echo "$name: $STATS"
    stop_server
}

RUN_IN="" run fast fast
grep -qE ' quic=[1-9]' <<<"$STATS" && ! grep -qE ' (jpeg|zlib-glz)=' <<<"$STATS" &&
    pass "fast: photographs went as QUIC, nothing lossy or zlib-wrapped" ||
    fail "fast: unexpected codecs: $STATS"
d=$(pixel_diff "$T/fast-server.png" "$T/fast.png")
[ "$d" = 0 ] && pass "fast: the viewer's picture equals the server's" || fail "fast: $d pixels differ"

RUN_IN="ip netns exec $NS" run slow slow
grep -qE ' jpeg=[1-9]' <<<"$STATS" && grep -qE ' zlib-glz=[1-9]' <<<"$STATS" &&
    pass "slow: photographs went as JPEG and the rest as zlib-wrapped GLZ" ||
    fail "slow: unexpected codecs: $STATS"
d=$(compare -metric PSNR "$T/slow-server.png" "$T/slow.png" null: 2>&1 || true)
awk -v d="$d" 'BEGIN { exit !(d == "inf" || d + 0 >= 30) }' &&
    pass "slow: the viewer's picture is within PSNR $d dB of the server's" ||
    fail "slow: PSNR only $d dB"
finish
