#!/usr/bin/env bash
# vmhost's QMP client (through qmp_tool) against a real QEMU: capabilities,
# status, events on cont/stop/quit, an unknown command; then against fake
# peers that misbehave: a clear error, a non-zero exit, no crash, no hang.
cd "$(dirname "$0")/../.."
. tests/lib.sh
QEMU=${QEMU:-qemu-system-x86_64}
TOOL="$TESTBIN/qmp_tool"
[ -x "$TOOL" ] || { echo "FAIL: $TOOL is not built"; exit 1; }
command -v "$QEMU" >/dev/null || { echo "FAIL: $QEMU is not installed"; exit 1; }

SOCK=$T/qmp.sock
"$QEMU" -accel tcg -m 64 -display none -nodefaults -no-user-config -S \
    -qmp "unix:$SOCK,server=on,wait=off" >"$T/qemu.log" 2>&1 &
QEMU_PID=$!; PIDS+=("$QEMU_PID")
wait_for 30 test -S "$SOCK" || { cat "$T/qemu.log"; echo "FAIL: QEMU did not open its QMP socket"; exit 1; }

# q NAME [qmp_tool args...]: runs the tool, output in $T/NAME.out/.err, status in RC
q() {
    local name=$1; shift
    RC=0
    timeout 60 "$TOOL" "$@" >"$T/$name.out" 2>"$T/$name.err" || RC=$?
}
has() { grep -qE "$2" "$T/$1.out"; }

q status "$SOCK" query-status
if [ $RC = 0 ] && has status '^version [0-9]+\.[0-9]+\.[0-9]+$' &&
   has status '^return .*"running":false' && has status '"status":"(prelaunch|paused)"'; then
    pass "capabilities negotiated, QEMU $(sed -n 's/^version //p' "$T/status.out"), query-status: not running"
else fail "query-status before cont (rc $RC): $(cat "$T/status.out" "$T/status.err")"; fi

q cont -e RESUME "$SOCK" cont
if [ $RC = 0 ] && has cont '^event RESUME' && has cont '^return \{\}$'; then pass "cont: RESUME event"
else fail "cont (rc $RC): $(cat "$T/cont.out" "$T/cont.err")"; fi

q running "$SOCK" query-status
if [ $RC = 0 ] && has running '"running":true' && has running '"status":"running"'; then
    pass "query-status after cont: running"
else fail "query-status after cont (rc $RC): $(cat "$T/running.out" "$T/running.err")"; fi

q stop -e STOP "$SOCK" stop
if [ $RC = 0 ] && has stop '^event STOP' && has stop '^return \{\}$'; then pass "stop: STOP event"
else fail "stop (rc $RC): $(cat "$T/stop.out" "$T/stop.err")"; fi

q unknown "$SOCK" no-such-command
if [ $RC = 2 ] && has unknown '^error CommandNotFound '; then pass "unknown command: CommandNotFound error"
else fail "unknown command (rc $RC): $(cat "$T/unknown.out" "$T/unknown.err")"; fi

q args "$SOCK" query-command-line-options '{"option": "no-such-option"}'
if [ $RC = 2 ] && has args '^error GenericError '; then pass "arguments reach QEMU (bad option refused)"
else fail "command with arguments (rc $RC): $(cat "$T/args.out" "$T/args.err")"; fi

q quit -e SHUTDOWN -w "$SOCK" quit
if [ $RC = 0 ] && has quit '^event SHUTDOWN .*"reason":"host-qmp-quit"' && has quit '^closed$'; then
    pass "quit: SHUTDOWN event and the socket closed"
else fail "quit (rc $RC): $(cat "$T/quit.out" "$T/quit.err")"; fi
for i in $(seq 1 50); do kill -0 "$QEMU_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$QEMU_PID" 2>/dev/null; then fail "QEMU still runs after quit"; else pass "QEMU exited"; fi

# fake_peer NAME MODE: a unix socket that misbehaves once; sets FAKE
fake_peer() {
    FAKE=$T/$1.sock
    python3 - "$FAKE" "$2" >"$T/$1.peer.log" 2>&1 <<'PYEOF' &
import socket, sys, time
path, mode = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_UNIX); srv.bind(path); srv.listen(1)
c, _ = srv.accept()
greeting = b'{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": ""}, "capabilities": []}}\r\n'
if mode == "garbage-greeting":
    c.sendall(b"\x00\xffhello, this is not QMP\r\n")
else:
    c.sendall(greeting)
    f = c.makefile("rb")
    line = f.readline()                      # qmp_capabilities
    import json; cid = json.loads(line)["id"]
    c.sendall(b'{"return": {}, "id": %d}\r\n' % cid)
    f.readline()                             # the command
    if mode == "garbage-reply":
        c.sendall(b'{"return": {}, "id": 2}\r\n'[:10] + b' oops\r\n')
    elif mode == "huge-line":
        chunk = b"x" * (1 << 20)
        try:
            for _ in range(20): c.sendall(chunk)
        except OSError: pass
    elif mode == "hang-up":
        c.close()
    elif mode == "silent":
        time.sleep(10)
time.sleep(1)
PYEOF
    PIDS+=($!)
    wait_for 10 test -S "$FAKE"
}

check_fake() { # name mode expected-error-regex [tool options...]
    local name=$1 mode=$2 want=$3
    shift 3
    fake_peer "$name" "$mode"
    local start=$SECONDS
    q "$name" "$@" "$FAKE" query-status
    if [ $RC = 1 ] && grep -qE "$want" "$T/$name.err" && ! grep -q "Sanitizer" "$T/$name.err" &&
       [ $((SECONDS - start)) -lt 20 ]; then
        pass "$mode: exit 1, '$(head -n 1 "$T/$name.err")'"
    else
        fail "$mode (rc $RC, $((SECONDS - start)) s): $(cat "$T/$name.out" "$T/$name.err")"
    fi
}

check_fake garbage1 garbage-greeting 'bad QMP input: not a JSON object'
check_fake garbage2 garbage-reply 'bad QMP input: invalid JSON'
check_fake huge huge-line 'line longer than 16777216 bytes'
check_fake hangup hang-up 'query-status: QEMU closed the QMP connection'
check_fake silent silent 'query-status: no reply in time' -t 1000

q missing "$T/none.sock" query-status
if [ $RC = 1 ] && grep -q 'connecting to the QMP socket' "$T/missing.err"; then pass "no socket: clear error"
else fail "no socket (rc $RC): $(cat "$T/missing.err")"; fi

finish
