#!/usr/bin/env bash
# floe-server's command line and control socket: clear refusals at start,
# the socket the owner's only whatever the umask, every command, bad lines, several connections at once, and a clean exit
# on quit even with a client that stopped reading.
. "$(dirname "$0")/../lib.sh"

refuses() { # description, args...: floe-server must exit non-zero with one line
    local what=$1 rc=0; shift
    timeout 20 "$BIN/floe-server" --listen 127.0.0.1:0 "$@" >"$T/r.out" 2>"$T/r.err" || rc=$?
    if [ "$rc" != 0 ] && [ "$rc" != 124 ] && [ -s "$T/r.err" ]; then
        pass "$what: refused ($(head -n 1 "$T/r.err"))"
    else
        fail "$what: exit $rc: $(cat "$T/r.err")"
    fi
}
refuses "no ticket choice"
: >"$T/empty"; refuses "empty password file" --password-file "$T/empty"
refuses "missing password file" --password-file "$T/nope"
refuses "bad --size" --disable-ticketing --size 10x10
refuses "bad --listen" --disable-ticketing --listen nowhere
echo "precious" >"$T/file"
refuses "--control on a regular file" --disable-ticketing --control "$T/file"
grep -q precious "$T/file" && pass "the file was left alone" || fail "the file was changed"

echo "ctl-pass" >"$T/pw"
# under umask 000, so that a socket left to the umask would be anyone's
old_umask=$(umask); umask 000
start_server --password-file "$T/pw" --size 640x480
umask "$old_umask"
mode=$(stat -c %a "$CTL")
[ "$mode" = 600 ] && pass "the control socket is the owner's only (mode $mode under umask 000)" ||
    fail "the control socket's mode is $mode under umask 000"
refuses "--control on a live socket" --disable-ticketing --control "$CTL"
ctl help | grep -q "snapshot FILE.png" && pass "help lists the commands" || fail "help"
out=$(ctl frobnicate || true)
[[ "$out" == "error: unknown command"* ]] && pass "unknown command: $out" || fail "unknown command: $out"
out=$(ctl "snapshot /nonexistent/dir/x.png" || true)
[[ "$out" == "error: snapshot"* ]] && pass "unwritable snapshot: $out" || fail "snapshot: $out"
ctl "snapshot $T/s.png" >/dev/null && [ "$(identify -format %wx%h "$T/s.png")" = 640x480 ] &&
    pass "snapshot writes the surface" || fail "snapshot"
ctl stats | grep -q "^frames=[0-9]* bytes=" && pass "stats" || fail "stats"
ctl freeze >/dev/null && ctl thaw >/dev/null && pass "freeze and thaw" || fail "freeze/thaw"

# the same commands from the command line: floe-server control PATH COMMAND
out=$("$BIN/floe-server" control "$CTL" stats) && grep -q "^frames=[0-9]* bytes=" <<<"$out" &&
    pass "floe-server control: stats printed, exit 0" || fail "floe-server control stats: $out"
"$BIN/floe-server" control "$CTL" snapshot "$T/cli.png" && [ -s "$T/cli.png" ] &&
    pass "floe-server control: arguments joined into one command (snapshot written)" ||
    fail "floe-server control snapshot"
rc=0; out=$("$BIN/floe-server" control "$CTL" frobnicate 2>&1) || rc=$?
[ $rc = 1 ] && grep -q "error: unknown command" <<<"$out" &&
    pass "floe-server control: an error reply exits 1: $out" || fail "control error: exit $rc: $out"
rc=0; out=$("$BIN/floe-server" control "$T/no-such.sock" stats 2>&1) || rc=$?
[ $rc = 2 ] && grep -q "cannot connect to" <<<"$out" &&
    pass "floe-server control: no server exits 2: $out" || fail "control without server: exit $rc: $out"

# disconnect: every client gets DISCONNECTING and goes; new ones still come in
"$BIN/floe-viewer" --headless --duration 30 "spice://127.0.0.1:$PORT?password=ctl-pass" \
    >"$T/dv.out" 2>"$T/dv.err" &
DV=$!; PIDS+=("$DV")
wait_for 20 ctl_has clients 'display' ||
    fail "the viewer did not connect"
out=$(ctl disconnect | head -1)
[ "$out" = "sessions=1" ] && pass "disconnect: $out" || fail "disconnect: $out"
if wait_for 10 sh -c "! kill -0 $DV 2>/dev/null"; then
    grep -q "server is disconnecting" "$T/dv.err" &&
        pass "the viewer was told: $(grep -m1 'server is disconnecting' "$T/dv.err")" ||
        fail "the viewer left without DISCONNECTING: $(cat "$T/dv.err")"
else
    fail "the viewer was still connected 10 s after disconnect"
fi
"$BIN/floe-viewer" --headless --duration 2 "spice://127.0.0.1:$PORT?password=ctl-pass" \
    >/dev/null 2>"$T/dv2.err" && pass "a new client connects after disconnect" ||
    fail "no client after disconnect: $(cat "$T/dv2.err")"
out=$(python3 - "$CTL" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(10)
s.sendall(b"x" * 4096)
data = b""
while True:
    b = s.recv(4096)
    if not b: break
    data += b
print(data.decode().strip())
PY
)
[ "$out" = "error: line too long" ] && pass "a line of 4096 bytes is refused and the connection closed" ||
    fail "long line: $out"

# a client that stops reading must not keep the server from exiting
FLOE_PORT=$PORT FLOE_PASSWORD=ctl-pass FLOE_STALL=30 "$TESTBIN/raw_client" >"$T/stall.out" 2>&1 &
PIDS+=($!)
wait_for 20 grep -q "stalled session" "$T/stall.out" || fail "no stalled client"
sleep 2
# two control connections: one idle, one that says quit
python3 - "$CTL" >"$T/quit.out" 2>&1 <<'PY' &
import socket, sys, time
idle = socket.socket(socket.AF_UNIX); idle.connect(sys.argv[1])
q = socket.socket(socket.AF_UNIX); q.connect(sys.argv[1]); q.settimeout(10)
q.sendall(b"quit\n")
print("quit:", q.recv(100).decode().strip())
time.sleep(0.5)
try:
    idle.sendall(b"stats\n")
    idle.settimeout(5)
    print("idle:", repr(idle.recv(100)))
except OSError as e:
    print("idle:", e)
PY
QPY=$!
for i in $(seq 1 100); do kill -0 "$SRV_PID" 2>/dev/null || break; sleep 0.1; done
wait "$QPY" || true
grep -q "^quit: ok" "$T/quit.out" && pass "quit is answered ok" || fail "quit: $(cat "$T/quit.out")"
if kill -0 "$SRV_PID" 2>/dev/null; then
    fail "floe-server still runs 10 s after quit"
elif wait "$SRV_PID"; then
    pass "floe-server exited cleanly despite an idle control connection and a stalled client"
else
    fail "floe-server exited with an error"; tail -20 "$T/server.err"
fi
finish
