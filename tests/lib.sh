# Helpers for the shell tests: free ports, a floe-server under test with its
# control socket, a private Xvfb, QMP, a fake VNC server, and cleanup of
# everything on exit. Source it; it sets -eu and an EXIT trap that kills
# what was started. What a test makes lives in its own folder $T, on ports
# and X displays chosen free at run time, so tests can run side by side
# (tests/run.sh runs several at a time), and so can parts of one test (part).
#
# Results: each check prints "PASS: what" or "FAIL: what". A part of a test
# that cannot run on this machine prints "SKIP: part — reason" (skip) and is
# never counted as passed. finish exits 1 when a check failed, 77 when
# nothing was checked because every part was skipped, else 0; tests/run.sh
# reports the SKIP lines.
set -eu
BIN=${BIN:-$PWD/build/bin}
TESTBIN=${TESTBIN:-$PWD/build/tests}
T=$(mktemp -d /tmp/floe-test.XXXXXX)
# the SPICE clients' GStreamer plugin registry, built once for the whole
# suite rather than by every remote-viewer and spicy-screenshot (a second of
# scanning each); GStreamer replaces the file whole when it writes it
export GST_REGISTRY=${GST_REGISTRY:-$(dirname "$BIN")/gst-registry.bin}
PIDS=()
FAILS=0 PASSES=0 SKIPS=0

# mine PID: the process is still a child of this test. A process that has
# ended leaves its pid free, and with tests side by side another test's
# process (a QEMU, say) may have it by now: that one is not ours to kill.
mine() { [ "$(ps -o ppid= -p "$1" 2>/dev/null | tr -d ' ')" = "$BASHPID" ]; }
kill_tree() { # PID: the process and all it started
    local c
    for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do kill_tree "$c"; done
    kill "$1" 2>/dev/null || true
}
cleanup() {
    local p
    # parts still running when the test ends early
    for p in "${PART_PIDS[@]:-}"; do [ -n "$p" ] && mine "$p" && kill_tree "$p"; done
    for p in "${PIDS[@]}"; do mine "$p" && kill "$p" 2>/dev/null || true; done
    sleep 0.3
    for p in "${PIDS[@]}"; do mine "$p" && kill -9 "$p" 2>/dev/null || true; done
    [ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT

pass() { echo "PASS: $*"; PASSES=$((PASSES + 1)); }
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
skip() { # PART REASON: a part of the test that cannot run here
    echo "SKIP: $1 — $2"; SKIPS=$((SKIPS + 1))
}
finish() {
    [ "$FAILS" -eq 0 ] || { echo "$FAILS check(s) failed"; exit 1; }
    if [ "$PASSES" -eq 0 ] && [ "$SKIPS" -gt 0 ]; then
        echo "nothing was checked: $SKIPS part(s) skipped"; exit 77
    fi
    if [ "$SKIPS" -gt 0 ]; then echo "all checks that ran passed; $SKIPS part(s) skipped"
    else echo "all checks passed"; fi
}

# ---- parts: independent pieces of a test run side by side ----
# part NAME COMMAND...: runs COMMAND (a function of the test, say) in the
# background in a subshell of its own, with its own folder $T (inside this
# test's), its own processes (killed when it ends) and its own output, at
# most PARTS_AT_ONCE (default 3) at a time. parts_wait waits for them all,
# prints each part's output in the order they were started and counts its
# PASS, FAIL and SKIP lines as this test's; a part that exits non-zero
# counts as one failed check more. A part's folder goes when it ends: what
# the test needs afterwards it copies to $PART_OF, the test's own folder.
PART_NAMES=() PART_PIDS=()
parts_running() {
    local p n=0
    for p in "${PART_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && n=$((n + 1)); done
    echo "$n"
}
part() {
    local name=$1; shift
    while [ "$(parts_running)" -ge "${PARTS_AT_ONCE:-3}" ]; do sleep 0.2; done
    mkdir -p "$T/parts/$name"
    (
        (
            PART_OF=$T T=$T/parts/$name PIDS=() PART_NAMES=() PART_PIDS=() FAILS=0 PASSES=0 SKIPS=0
            trap cleanup EXIT
            "$@"
        ) >"$T/parts/$name.out" 2>&1
        echo $? >"$T/parts/$name.rc"
    ) &
    PART_NAMES+=("$name"); PART_PIDS+=($!)
}
parts_wait() {
    local i rc out
    for i in "${!PART_PIDS[@]}"; do
        wait "${PART_PIDS[$i]}" || true
        out=$T/parts/${PART_NAMES[$i]}.out
        rc=$(cat "$T/parts/${PART_NAMES[$i]}.rc" 2>/dev/null || echo lost)
        echo "---- part ${PART_NAMES[$i]}"
        cat "$out"
        PASSES=$((PASSES + $(grep -c '^PASS: ' "$out" || true)))
        FAILS=$((FAILS + $(grep -c '^FAIL: ' "$out" || true)))
        SKIPS=$((SKIPS + $(grep -c '^SKIP: ' "$out" || true)))
        [ "$rc" = 0 ] || fail "part ${PART_NAMES[$i]} ended with status $rc"
    done
    PART_NAMES=() PART_PIDS=()
}

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

# start_proxy [shape_proxy options...]: the shaping proxy in front of the
# server (PORT), controlled at $T/proxy.sock; sets PPORT, the port to use
start_proxy() {
    "$TESTBIN/shape_proxy" --listen 0 --to "127.0.0.1:$PORT" --control "$T/proxy.sock" "$@" \
        >"$T/proxy.out" 2>&1 &
    PIDS+=($!)
    wait_for 10 grep -q "listening on" "$T/proxy.out" || { cat "$T/proxy.out"; fail "no proxy"; finish; }
    PPORT=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$T/proxy.out")
}
proxy() { printf '%s\n' "$*" | socat -t 5 - "UNIX-CONNECT:$T/proxy.sock" >/dev/null; }   # a shaping command

# ---- video streams (e2e/video.sh, e2e/video-vp8.sh) ----
summary_field() { sed -n "s/.*\b$1=\([0-9.]*\).*/\1/p" <<<"$(tail -n 1 "$2")"; }   # NAME FILE
client_field() { ctl clients | sed -n "s/.*\b$1=\([0-9a-z]*\).*/\1/p" | head -n 1; } # NAME
frames_written() { ctl stats | sed -n 's/.*stream_frames=\([0-9]*\).*/\1/p'; }
written_over() { [ "$(frames_written)" -gt "$1" ]; }
viewer_end() { kill -TERM "$1" 2>/dev/null || true; wait "$1"; }
# played_in_order FILE WHERE: the headless floe-viewer's summary (last line
# of FILE) shows 20 or more stream frames drawn, none out of order
played_in_order() {
    local draws reordered
    draws=$(summary_field stream_draws "$1")
    reordered=$(summary_field stream_reordered "$1")
    [ "${draws:-0}" -ge 20 ] && pass "$2 the viewer drew $draws frames" ||
        fail "$2 the viewer drew ${draws:-no} frames"
    [ "${reordered:-1}" = 0 ] && pass "in order" || fail "${reordered:-?} frames out of order"
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
ctl_has_text() { # COMMAND TEXT: the reply to the control command holds TEXT
    ctl "$1" 2>/dev/null | grep -qF -- "$2"
}
# viewer_catch_up PID: once the server's picture is frozen, waits until the
# server has sent its clients all it had for their displays (at most 30 s:
# on a busy machine a client can be far behind), gives the viewer a moment
# to draw the last of it, then ends the headless floe-viewer PID, which
# writes its snapshot and summary as at the end of its --duration
# (SIGTERM). Returns the viewer's exit status.
viewer_catch_up() {
    wait_for 30 displays_sent || true
    sleep 1.5
    kill -TERM "$1" 2>/dev/null || true
    wait "$1"
}
displays_sent() { ! ctl clients | grep -q 'display_pending=[1-9]'; }
vm_field() { # NAME: a field of vm-status
    ctl vm-status | sed -n "s/.*\b$1=\([^ ]*\).*/\1/p"
}
state_is() { [ "$(vm_field state)" = "$1" ]; }

# build_guest: builds the Linux test guest (tests/guest/build.sh) in
# GUEST_DIR (default build/guest), or finds it built; sets KERNEL, INITRD
# and GUEST_APPEND (its kernel command line: framebuffer console, 1024x768).
# The folder is locked meanwhile, so tests side by side build it once.
build_guest() {
    local dir=${GUEST_DIR:-build/guest}
    mkdir -p "$dir"
    if ! flock "$dir" tests/guest/build.sh "$dir" >"$T/build.out" 2>"$T/build.err"; then
        cat "$T/build.err"; echo "FAIL: the guest did not build"; exit 1
    fi
    KERNEL=$(sed -n 1p "$T/build.out"); INITRD=$(sed -n 2p "$T/build.out")
    GUEST_CONTENTS=$(cat "$dir/contents")
    GUEST_APPEND="console=tty0 console=ttyS0 vga=0x318 quiet"
}

# The X clipboard (xclip; DISPLAY set). put_x_clipboard TEXT: an xclip in
# the background holds TEXT as the clipboard until the next call or until
# another client takes it; x_clipboard_reads TEXT: xclip -o reads TEXT
# within 15 s (X_CLIPBOARD keeps the last it read).
put_x_clipboard() {
    # (an xclip that lost the selection has gone already)
    if [ -n "${XCLIP:-}" ]; then kill "$XCLIP" 2>/dev/null || true; fi
    printf '%s' "$1" | xclip -quiet -selection clipboard >"$T/xclip.log" 2>&1 &
    XCLIP=$!; PIDS+=($XCLIP)
}
x_clipboard_reads() {
    local i
    for i in $(seq 1 30); do
        X_CLIPBOARD=$(timeout 5 xclip -o -selection clipboard 2>/dev/null || true)
        [ "$X_CLIPBOARD" = "$1" ] && return 0
        sleep 0.5
    done
    return 1
}

# The guest's shell on its serial port, a socket $SER whose log is
# $T/serial.log (QEMU: -chardev socket,...,path=$SER,server=on,wait=off,
# logfile=$T/serial.log -serial chardev:ID). guest_run COMMAND types a line
# into it; guest_line MARK COMMAND runs COMMAND there and prints its output
# (one line, the guest prints it after MARK), or fails after 30 s.
guest_run() {
    printf '%s\n' "$1" | socat -t 2 - "UNIX-CONNECT:$SER" >/dev/null
}
guest_line() {
    guest_run "echo \"$1 \$($2)\""
    wait_for 30 grep -a -q "^$1 " "$T/serial.log" || return 1
    grep -a "^$1 " "$T/serial.log" | tail -n 1 | tr -d '\r' | cut -d' ' -f2-
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

# tcp_listeners PID: the TCP ports process PID listens on, one line (its
# sockets in LISTEN state in its network namespace's /proc/net/tcp and tcp6)
tcp_listeners() {
    local fd link inodes=" " sl addr rem st x1 x2 x3 x4 x5 inode rest
    for fd in /proc/"$1"/fd/*; do
        link=$(readlink "$fd" 2>/dev/null) || continue
        [[ $link == "socket:["*"]" ]] && inodes+="${link:8:-1} "
    done
    cat /proc/"$1"/net/tcp /proc/"$1"/net/tcp6 2>/dev/null |
        while read -r sl addr rem st x1 x2 x3 x4 x5 inode rest; do
            [ "$st" = 0A ] && [[ $inodes == *" $inode "* ]] && echo $((16#${addr##*:}))
        done | paste -sd ' '
}

pixel_diff() { # a.png b.png -> number of differing pixels
    compare -metric AE "$1" "$2" null: 2>&1 | cut -d' ' -f1 || true
}

# start_xvfb WxH: a private X server with a window manager; sets DISPLAY.
# Xvfb takes a free display number itself (-displayfd), so tests side by
# side never race for one; the desktop programs get their own runtime,
# config and cache folders under $T.
start_xvfb() {
    local n
    Xvfb -displayfd 3 -screen 0 "${1}x24" -nolisten tcp 3>"$T/xvfb.display" >"$T/xvfb.log" 2>&1 &
    PIDS+=($!)
    if ! wait_for 10 test -s "$T/xvfb.display"; then
        cat "$T/xvfb.log"; echo "FAIL: could not start Xvfb"; exit 1
    fi
    n=$(head -n 1 "$T/xvfb.display")
    export DISPLAY=":$n"
    export XDG_RUNTIME_DIR=$T/xdg/run XDG_CONFIG_HOME=$T/xdg/config XDG_CACHE_HOME=$T/xdg/cache
    mkdir -p "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME"
    mkdir -m 700 -p "$XDG_RUNTIME_DIR"
    openbox >"$T/openbox.log" 2>&1 &
    PIDS+=($!)
    sleep 1
}

# qmp_return QMP_SOCKET COMMAND [ARGUMENTS-JSON]: runs one command on a QEMU
# monitor socket and prints its return value as JSON; fails on an error
qmp_return() {
    python3 - "$@" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(20)
s.connect(sys.argv[1])
f = s.makefile("rw")
f.readline()
def cmd(c):
    f.write(json.dumps(c) + "\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "return" in r: return r["return"]
        if "error" in r: sys.exit("qmp: " + r["error"]["desc"])
cmd({"execute": "qmp_capabilities"})
c = {"execute": sys.argv[2]}
if len(sys.argv) > 3:
    c["arguments"] = json.loads(sys.argv[3])
print(json.dumps(cmd(c)))
PY
}
# qmp QMP_SOCKET COMMAND [ARGUMENTS-JSON]: the same, printing nothing
qmp() { qmp_return "$@" >/dev/null; }

# screendump QMP_SOCKET FILE.ppm
screendump() {
    qmp "$1" screendump "{\"filename\": \"$2\"}"
}

# matches_screendump NAME QMP_SOCKET COMMAND...: runs COMMAND, which writes
# the picture $T/NAME.png (its output goes to $T/NAME.out and .err), taking
# QMP screendumps meanwhile; passes when the picture equals one of the last
# three (a text cursor blinks, so the exact instant varies). Four attempts.
matches_screendump() {
    local name=$1 qmp=$2 attempt pid n d best=unset dump
    shift 2
    for attempt in 1 2 3 4; do
        rm -f "$T/$name".dump*.ppm "$T/$name.png"
        # a quick client may keep the picture from before its first dump
        screendump "$qmp" "$T/$name.dump-pre.ppm" || true
        "$@" >"$T/$name.out" 2>"$T/$name.err" &
        pid=$!
        n=0
        while kill -0 "$pid" 2>/dev/null; do
            screendump "$qmp" "$T/$name.dump$n.ppm" || true
            n=$((n + 1)); sleep 0.05
        done
        if ! wait "$pid"; then
            fail "$name: $(basename "$1") exited with an error: $(tail -n 3 "$T/$name.err")"; return
        fi
        screendump "$qmp" "$T/$name.dump$n.ppm"
        for dump in "$T/$name.dump$n.ppm" "$T/$name.dump$((n - 1)).ppm" "$T/$name.dump$((n - 2)).ppm" \
                "$T/$name.dump-pre.ppm"; do
            [ -f "$dump" ] || continue
            d=$(pixel_diff "$T/$name.png" "$dump")
            if [ "$d" = 0 ]; then
                pass "$name: picture equals QEMU's screendump (0 differing pixels; $(tail -n 1 "$T/$name.out"))"
                return
            fi
            best=$d
        done
        echo "  $name: attempt $attempt: $best pixels differ, retrying"
    done
    fail "$name: picture differs from QEMU's screendump ($best pixels)"
}

# fake_rfb SOCKET [ARGS...] <<'PY' ... PY: a fake VNC server on the unix
# SOCKET. Once a client connects it runs the Python on standard input, with
# c (the connection), rd(n) (n bytes, fewer at the end), argv (ARGS) and
# handshake(w, h) (RFB 3.8, no security, a w x h 32-bit framebuffer named
# "fake") at hand. Returns once the socket is there.
fake_rfb() {
    local sock=$1 body
    shift
    body=$(cat)
    rm -f "$sock"
    python3 -c "$FAKE_RFB_PRELUDE
$body" "$sock" "$@" &
    PIDS+=($!)
    wait_for 10 test -S "$sock"
}
FAKE_RFB_PRELUDE='import socket, struct, sys, time
path, argv = sys.argv[1], sys.argv[2:]
l = socket.socket(socket.AF_UNIX); l.bind(path); l.listen(1)
c, _ = l.accept()
def rd(n):
    b = b""
    while len(b) < n:
        x = c.recv(n - len(b))
        if not x: return b
        b += x
    return b
def handshake(w, h):
    c.sendall(b"RFB 003.008\n"); rd(12)
    c.sendall(b"\x01\x01"); rd(1)
    c.sendall(struct.pack(">I", 0)); rd(1)
    c.sendall(struct.pack(">HH4B3H3B3x", w, h, 32, 24, 0, 1, 255, 255, 255, 16, 8, 0)
              + struct.pack(">I", 4) + b"fake")'
