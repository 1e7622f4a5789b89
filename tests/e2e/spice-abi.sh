#!/usr/bin/env bash
# floe's libspice-server.so.1 is a drop-in for QEMU: it exports exactly the
# functions, in exactly the version nodes, that the installed QEMU's SPICE
# modules import (QEMU binds them all at load time: one missing and QEMU
# turns SPICE off), nothing else; its soname is the reference's; nothing in
# it is left undefined; and QEMU starts with it and reports it.
. "$(dirname "$0")/../lib.sh"
LIB=$(cd "$BIN/../lib" && pwd)/libspice-server.so.1
QEMU=${QEMU:-qemu-system-x86_64}
[ -f "$LIB" ] || { fail "$LIB is not built"; finish; }

MODDIR=
for d in /usr/lib/x86_64-linux-gnu/qemu /usr/lib/qemu; do
    [ -f "$d/ui-spice-core.so" ] && { MODDIR=$d; break; }
done

# "version symbol" lines of what the library defines
objdump -T "$LIB" | awk 'NF >= 2 && $0 !~ /\*UND\*/ && $(NF-1) ~ /^SPICE_SERVER/ && $NF != $(NF-1) {
    print $(NF-1), $NF }' | tr -d '()' | sort -u >"$T/have"
others=$(objdump -T "$LIB" | awk '$0 ~ / DF | DO / && $0 !~ /\*UND\*/ && $(NF-1) !~ /^SPICE_SERVER/' || true)
if [ -z "$others" ]; then
    pass "nothing is exported outside the SPICE_SERVER version nodes"
else
    fail "exported outside the SPICE nodes: $(head -n 5 <<<"$others")"
fi

if [ -z "$MODDIR" ]; then
    skip "QEMU's imports" "QEMU's SPICE modules (qemu-system-modules-spice) are not installed"
else
    for m in ui-spice-core hw-display-qxl audio-spice chardev-spice; do
        [ -f "$MODDIR/$m.so" ] && objdump -T "$MODDIR/$m.so"
    done | awk '/\*UND\*/ && $(NF-1) ~ /SPICE_SERVER/ { print $(NF-1), $NF }' | tr -d '()' |
        sort -u >"$T/want"
    n=$(wc -l <"$T/want")
    [ "$n" -gt 50 ] || fail "only $n SPICE imports found in QEMU's modules"
    if diff "$T/want" "$T/have" >"$T/diff"; then
        pass "the library exports exactly the $n functions and versions QEMU's SPICE modules import"
    else
        fail "exports differ from QEMU's imports (< QEMU wants, > floe has): $(head -n 10 "$T/diff")"
    fi
fi

soname=$(objdump -p "$LIB" | awk '$1 == "SONAME" { print $2 }')
[ "$soname" = libspice-server.so.1 ] && pass "soname $soname" || fail "soname is '$soname'"
if undefined=$(LD_LIBRARY_PATH=$(dirname "$LIB") ldd -r "$LIB" 2>&1 | grep -i "undefined symbol"); then
    fail "undefined symbols: $(head -n 3 <<<"$undefined")"
else
    pass "every symbol the library needs resolves"
fi

# QEMU loads it: query-spice answers from a QEMU whose SPICE is floe's
if ! command -v "$QEMU" >/dev/null; then
    skip "QEMU start" "$QEMU is not installed"
else
    preload=
    if ldd "$LIB" | grep -q libasan; then
        preload=$(ldd "$LIB" | awk '/libasan/ { print $3 }')
    fi
    port=$(free_port)
    LD_PRELOAD=$preload ASAN_OPTIONS=detect_leaks=0 LD_LIBRARY_PATH=$(dirname "$LIB") \
        "$QEMU" -accel tcg -m 64 -display none -nodefaults -no-user-config -vga qxl \
        -spice "port=$port,addr=127.0.0.1,disable-ticketing=on" \
        -qmp "unix:$T/qmp,server=on,wait=off" >"$T/qemu.log" 2>&1 &
    PIDS+=($!)
    if wait_for 30 test -S "$T/qmp" && maps=$(cat "/proc/${PIDS[-1]}/maps") &&
        grep -q "$LIB" <<<"$maps"; then
        pass "QEMU loaded floe's library from LD_LIBRARY_PATH"
    else
        fail "QEMU did not load floe's library: $(tail -n 3 "$T/qemu.log")"
    fi
    if reply=$(qmp_return "$T/qmp" query-spice) && grep -q "\"port\": *$port" <<<"$reply"; then
        pass "query-spice: SPICE is on, port $port"
    else
        fail "query-spice: ${reply:-no answer}"
    fi
fi
finish
