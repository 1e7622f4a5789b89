# Shared by the tests that play QEMU's side of the QXL interface with
# tests/e2e/qxl_host.c over floe's libspice-server.so.1 and Debian's
# (source after lib.sh): the programs, the preload a sanitizer build needs,
# starting and stopping qxl_host.
HOST=$TESTBIN/qxl_host
VIEWER=$BIN/floe-viewer
FLOE_LIB=$BIN/../lib/libspice-server.so.1
REF_LIB=/usr/lib/x86_64-linux-gnu/libspice-server.so.1

# A library built with ASan needs the runtime loaded first; libjpeg too,
# whose thread-local SIMD flag would otherwise live in dynamic TLS, which
# LeakSanitizer's thread scan of this glibc cannot walk (its tracer faults
# at exit).
PRELOAD=
if [ -e "$FLOE_LIB" ] && ldd "$FLOE_LIB" | grep -q libasan; then
    # (the ASan runtime first of all, as it wants)
    PRELOAD="$(ldd "$FLOE_LIB" | awk '/libasan/ { print $3 }') $(ldd "$FLOE_LIB" |
        awk '/libjpeg\.so/ { print $3 }')"
fi

# start_host NAME LIB SCENARIO [options]: runs qxl_host on a free port
# (WANT_PORT first, when set); sets HOST_PID and HOST_PORT. The reference
# leaks at exit: no leak check there.
start_host() {
    local name=$1 lib=$2 try asan=${ASAN_OPTIONS:-}
    shift 2
    [ "$lib" = "$REF_LIB" ] && asan=detect_leaks=0
    for try in 1 2 3; do
        HOST_PORT=$(free_port)
        # WANT_PORT: the port to try first (one a capture already watches)
        [ "$try" = 1 ] && [ -n "${WANT_PORT:-}" ] && HOST_PORT=$WANT_PORT
        LD_PRELOAD=$PRELOAD ASAN_OPTIONS=$asan \
            "$HOST" "$lib" "$HOST_PORT" "$@" >"$T/$name.out" 2>"$T/$name.err" &
        HOST_PID=$!; PIDS+=("$HOST_PID")
        wait_for 60 grep -q '^listening' "$T/$name.out" && kill -0 "$HOST_PID" 2>/dev/null && return
        echo "  $name: qxl_host did not start (try $try): $(tail -n 1 "$T/$name.err")"
        kill "$HOST_PID" 2>/dev/null || true
    done
    fail "$name: qxl_host did not start"
    return 1
}

# stop_host NAME: SIGTERM; it must exit cleanly (sanitizers included)
stop_host() {
    kill -TERM "$HOST_PID" 2>/dev/null || true
    if wait "$HOST_PID"; then pass "$1: qxl_host exited cleanly"
    else fail "$1: qxl_host exited with an error:"; tail -n 20 "$T/$1.err"; fi
}
