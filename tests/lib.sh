# Helpers for the shell tests: free ports, a floe-server under test with its
# control socket, a private Xvfb, and cleanup of everything on exit.
# Source it; it sets -eu and an EXIT trap that kills what was started.
set -eu
BIN=${BIN:-$PWD/build/bin}
TESTBIN=${TESTBIN:-$PWD/build/tests}
T=$(mktemp -d /tmp/floe-test.XXXXXX)
PIDS=()
FAILS=0

cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    sleep 0.3
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    [ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
finish() { [ "$FAILS" -eq 0 ] || { echo "$FAILS check(s) failed"; exit 1; }; echo "all checks passed"; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_for() { # seconds, command...
    local until=$((SECONDS + $1)); shift
    while ! "$@" >/dev/null 2>&1; do
        [ $SECONDS -ge $until ] && return 1
        sleep 0.2
    done
}

# start_server [floe-server options...]: sets SRV_PID, PORT, CTL, URI
start_server() {
    CTL=$T/ctl.sock
    # emptied here, not by the redirection below: a restart must not find
    # the previous server's "listening on" line before the new one truncates it
    : >"$T/server.out"
    # RUN_IN: a command prefix the server runs under (a network namespace)
    ${RUN_IN:-} "$BIN/floe-server" --listen 127.0.0.1:0 --control "$CTL" "$@" >"$T/server.out" 2>"$T/server.err" &
    SRV_PID=$!; PIDS+=("$SRV_PID")
    if ! wait_for 30 grep -q "listening on" "$T/server.out"; then
        cat "$T/server.err"; echo "FAIL: floe-server did not start"; exit 1
    fi
    URI=$(sed -n 's/^floe-server: listening on //p' "$T/server.out")
    PORT=${URI##*:}
    wait_for 10 test -S "$CTL"
}

ctl() { # command line -> prints the reply, fails on "error:"
    local out
    out=$(printf '%s\n' "$*" | socat -t 30 - "UNIX-CONNECT:$CTL")
    printf '%s\n' "$out"
    case "$out" in *"error:"*) return 1;; esac
}

ctl_has() { # COMMAND PATTERN: the reply to the control command matches (grep)
    ctl "$1" 2>/dev/null | grep -q -- "$2"
}
vm_field() { # NAME: a field of vm-status
    ctl vm-status | sed -n "s/.*\b$1=\([^ ]*\).*/\1/p"
}
state_is() { [ "$(vm_field state)" = "$1" ]; }

# build_guest: builds the Linux test guest (tests/guest/build.sh) in
# GUEST_DIR (default build/guest), or finds it built; sets KERNEL, INITRD
# and GUEST_APPEND (its kernel command line: framebuffer console, 1024x768)
build_guest() {
    local dir=${GUEST_DIR:-build/guest}
    if ! tests/guest/build.sh "$dir" >"$T/build.out" 2>"$T/build.err"; then
        cat "$T/build.err"; echo "FAIL: the guest did not build"; exit 1
    fi
    KERNEL=$(sed -n 1p "$T/build.out"); INITRD=$(sed -n 2p "$T/build.out")
    GUEST_CONTENTS=$(cat "$dir/contents")
    GUEST_APPEND="console=tty0 console=ttyS0 vga=0x318 quiet"
}

# stop_server: asks it to quit and checks it exits cleanly (sanitizers included)
stop_server() {
    ctl quit >/dev/null || true
    local i
    for i in $(seq 1 100); do kill -0 "$SRV_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$SRV_PID" 2>/dev/null; then fail "floe-server did not quit"; return; fi
    if wait "$SRV_PID"; then pass "floe-server quit cleanly"
    else fail "floe-server exited with an error:"; tail -20 "$T/server.err"; fi
}

pixel_diff() { # a.png b.png -> number of differing pixels
    compare -metric AE "$1" "$2" null: 2>&1 | cut -d' ' -f1 || true
}

# start_xvfb WxH: a private X server with a window manager; sets DISPLAY
start_xvfb() {
    local n
    for n in $(seq 90 140); do
        [ -e /tmp/.X11-unix/X$n ] || [ -e /tmp/.X$n-lock ] && continue
        Xvfb ":$n" -screen 0 "${1}x24" -nolisten tcp >"$T/xvfb.log" 2>&1 &
        PIDS+=($!)
        if wait_for 10 test -e "/tmp/.X11-unix/X$n"; then
            export DISPLAY=":$n"
            openbox >"$T/openbox.log" 2>&1 &
            PIDS+=($!)
            sleep 1
            return 0
        fi
    done
    echo "FAIL: could not start Xvfb"; exit 1
}
