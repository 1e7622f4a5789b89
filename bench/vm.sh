#!/usr/bin/env bash
# The VM table of make bench: the Linux test guest (tests/guest/build.sh,
# 1024x768 framebuffer console, TCG) served by floe-server --vm and, in the
# same run, by QEMU's own SPICE server (-spice), each viewed the same way by
# a headless floe-viewer on loopback, one after the other, RUNS times:
#   latency  floe-keyflip runs in the guest (every key fills half the screen);
#            floe-viewer --measure-latency KEYS times key -> first changed pixel
#   frames/s floe-demo runs in the guest; floe-viewer counts the canvas
#            updates it sees in SECONDS
# Prints both with the floe / QEMU ratios and writes BUILD/bench/vm.csv.
#
#   bench/vm.sh [BIN]     (default build/bin)
# Environment: RUNS (default 1), BENCH_VM_KEYS (20), BENCH_VM_SECONDS (10),
# GUEST_DIR (default BUILD/guest), QEMU (default qemu-system-x86_64).
set -eu
BIN=$(cd "${1:-build/bin}" && pwd)
cd "$(dirname "$0")/.."
BUILD=$(dirname "$BIN")
OUT=$BUILD/bench
GUEST=$(realpath -m "${GUEST_DIR:-$BUILD/guest}")
QEMU=${QEMU:-qemu-system-x86_64}
RUNS=${RUNS:-1}
KEYS=${BENCH_VM_KEYS:-20}
SECS=${BENCH_VM_SECONDS:-10}
APPEND="console=tty0 console=ttyS0 vga=0x318 quiet"
T=$(mktemp -d /tmp/floe-vmbench.XXXXXX)
PID=
trap '[ -z "$PID" ] || kill $PID 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT

die() { echo "bench vm: $*" >&2; exit 1; }
. bench/lib.sh
for tool in "$QEMU" socat python3; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
tests/guest/build.sh "$GUEST" >"$T/guest.log" 2>&1 || { cat "$T/guest.log" >&2; die "guest build failed"; }


start_floe() { # serial log -> sets PID, URI
    cat >"$T/vm.conf" <<EOF
memory = 256
accel = tcg
kernel = $GUEST/vmlinuz
initrd = $GUEST/initrd.gz
append = $APPEND
stop_timeout = 1
extra = -serial file:$1
EOF
    "$BIN/floe-server" --listen 127.0.0.1:0 --disable-ticketing --control "$T/ctl" \
        --vm "$T/vm.conf" >"$T/server.out" 2>"$T/server.err" &
    PID=$!
    wait_for 30 grep -q "listening on" "$T/server.out" || { cat "$T/server.err" >&2; die "floe-server did not start"; }
    URI=$(sed -n 's/^floe-server: listening on //p' "$T/server.out")
}

start_qemu() { # serial log -> sets PID, URI
    local port
    port=$(free_port)
    "$QEMU" -accel tcg -m 256 -display none -nodefaults -no-user-config -vga std \
        -usb -device usb-tablet -kernel "$GUEST/vmlinuz" -initrd "$GUEST/initrd.gz" \
        -append "$APPEND" -serial "file:$1" \
        -spice "port=$port,addr=127.0.0.1,disable-ticketing=on" >"$T/qemu.err" 2>&1 &
    PID=$!
    URI=spice://127.0.0.1:$port
}

stop_peer() {
    if [ "$1" = floe ]; then
        printf 'quit\n' | socat -t 10 - "UNIX-CONNECT:$T/ctl" >/dev/null 2>&1 || true
        for _ in $(seq 1 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    fi
    kill "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
    PID=
}

type_in() { # text: typed into the guest's console
    "$BIN/floe-viewer" --headless --duration 3 --type-delay 0.5 --type "$1" "$URI" \
        >/dev/null 2>>"$T/type.err" || die "$peer: typing viewer failed: $(tail -1 "$T/type.err")"
}

one_run() { # peer (floe|qemu) -> appends "min median max n fps" to $T/rows-PEER
    local peer=$1 log=$T/serial-$1-$run.log lat fps
    : >"$log"
    "start_$peer" "$log"
    wait_for 120 grep -q "floe-guest ready" "$log" || die "$peer: the guest did not boot"
    sleep 1
    type_in $'floe-keyflip\n'
    wait_for 60 grep -q "floe-keyflip ready" "$log" || die "$peer: floe-keyflip did not start"
    lat=$("$BIN/floe-viewer" --measure-latency "$KEYS" "$URI" 2>"$T/lat.err" | grep '^latency_ms') ||
        die "$peer: latency: $(tail -1 "$T/lat.err") $lat"
    type_in q
    type_in "floe-demo $((SECS + 15))"$'\n'
    sleep 2
    fps=$("$BIN/floe-viewer" --headless --duration "$SECS" "$URI" | tail -n 1)
    echo "run $run, $peer: $lat; $fps" >&2
    stop_peer "$peer"
    local mn md mx n f
    mn=$(field min "$lat"); md=$(field median "$lat"); mx=$(field max "$lat"); n=$(field n "$lat")
    f=$(field fps "$fps")
    [ "$n" = "$KEYS" ] || die "$peer: $n of $KEYS latency samples"
    awk -v a="$mn" -v b="$mx" 'BEGIN { exit !(a > 0 && b < 5000) }' ||
        die "$peer: implausible latency: $lat"
    awk -v f="${f:-0}" 'BEGIN { exit !(f > 0) }' || die "$peer: no frames: $fps"
    echo "$mn $md $mx $n $f" >>"$T/rows-$peer"
}

col() { cut -d' ' -f"$2" "$T/rows-$1" | median | awk '{ printf "%.1f\n", $1 }'; }

PEERS="floe qemu"
for p in $PEERS; do : >"$T/rows-$p"; done
for run in $(seq 1 "$RUNS"); do
    for peer in $PEERS; do one_run "$peer"; done
done

mkdir -p "$OUT"
echo "server,latency_min_ms,latency_median_ms,latency_max_ms,keys,fps,runs" >"$OUT/vm.csv"
echo "test guest 1024x768 under TCG, loopback; latency over $KEYS keys, frames/s over ${SECS}s; median of $RUNS run(s):"
printf '  %-14s %12s %12s %12s %10s\n' server "latency min" median max frames/s
for p in $PEERS; do
    name=floe-server; [ "$p" = qemu ] && name="QEMU SPICE"
    printf '  %-14s %12s %12s %12s %10s\n' "$name" "$(col $p 1)" "$(col $p 2)" "$(col $p 3)" "$(col $p 5)"
    echo "$name,$(col $p 1),$(col $p 2),$(col $p 3),$KEYS,$(col $p 5),$RUNS" >>"$OUT/vm.csv"
done
awk -v a="$(col floe 2)" -v b="$(col qemu 2)" -v f="$(col floe 5)" -v g="$(col qemu 5)" 'BEGIN {
    printf "  floe / QEMU: median latency %.2f (lower is better), frames/s %.2f (higher is better)\n", a / b, f / g
    printf "floe/QEMU ratio,,%.3f,,,%.3f,\n", a / b, f / g >>"'"$OUT/vm.csv"'"
}'
echo
