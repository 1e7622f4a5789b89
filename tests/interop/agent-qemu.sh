#!/usr/bin/env bash
# floe-agent in the test guest under QEMU's own SPICE server, with
# remote-viewer under a bare Xvfb (no window manager, no focus): text set
# with xclip on the X side reaches `floe-agent clip get` in the guest, and
# text set with `floe-agent clip set` reaches `xclip -o`, both also larger
# than one agent chunk (2048 bytes). With floe.drm=1 the guest's VGA is on
# bochs, and remote-viewer's window size comes as a monitors config that
# floe-agent sets as the guest's mode, read back through KMS; in client
# mouse mode the pointer's moves and clicks reach floe-agent's uinput device
# (floe-evlog reads it through evdev; floe.input=1 loads evdev); a new
# client after the first left is offered the guest's copy again. A second
# floe-agent on a port whose host side is a socket (as floe-server --vm has
# it) announces its capabilities again each time the host side comes back,
# and serves the clipboard over it.
# Environment: BIN (default build/bin), QEMU (default qemu-system-x86_64).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../qemu-lib.sh"
for tool in remote-viewer xclip Xvfb socat md5sum; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (make deps)"; exit 77; }
done

build_guest

# ---- a bare X server: remote-viewer's clipboard needs no window manager ----
Xvfb -displayfd 3 -screen 0 1280x1024x24 -nolisten tcp 3>"$T/xvfb.display" >"$T/xvfb.log" 2>&1 &
PIDS+=($!)
wait_for 10 test -s "$T/xvfb.display" || { cat "$T/xvfb.log"; echo "FAIL: no Xvfb"; exit 1; }
export DISPLAY=":$(head -n 1 "$T/xvfb.display")"
export XDG_RUNTIME_DIR=$T/xdg/run XDG_CONFIG_HOME=$T/xdg/config XDG_CACHE_HOME=$T/xdg/cache
mkdir -p "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME"; mkdir -m 700 -p "$XDG_RUNTIME_DIR"

# ---- the guest: the agent's port on QEMU's spicevmc, the VGA on bochs ----
SER=$T/serial.sock
start_vm guest "disable-ticketing=on" -m 256 -vga std \
    -kernel "$KERNEL" -initrd "$INITRD" -append "$GUEST_APPEND floe.drm=1 floe.input=1" \
    -device virtio-serial -chardev spicevmc,id=vdagent,name=vdagent \
    -device virtserialport,chardev=vdagent,name=com.redhat.spice.0 \
    -chardev "socket,id=agentsock,path=$T/agent.sock,server=on,wait=off" \
    -device virtserialport,chardev=agentsock,name=org.floe.agent-test \
    -chardev "socket,id=ser,path=$SER,server=on,wait=off,logfile=$T/serial.log" -serial chardev:ser
if ! wait_for 120 grep -q "floe-guest ready" "$T/serial.log"; then
    fail "no banner from the guest"; tail -n 5 "$T/serial.log"; finish
fi
banner=$(grep -a -m 1 "floe-guest ready" "$T/serial.log" | tr -d '\r')
[[ "$banner" == *"virtio ports 2"* && "$banner" == *"fb0 driver bochs"* ]] &&
    pass "the guest has the agent's port and its VGA on bochs: $banner" ||
    fail "unexpected guest: $banner"

sleep 2 # the shell's prompt
agent_log() { guest_line "floe-log-$1" "cat /tmp/floe-agent.log | tr '\\n' '|'"; }

line=$(agent_log 1 || true)
[[ "$line" == *"capabilities announced"* ]] &&
    pass "floe-agent opened the port and announced its capabilities" ||
    { fail "floe-agent did not start: $line"; finish; }

# ---- the client ----
remote-viewer "spice://127.0.0.1:$PORT_guest" >"$T/rv.log" 2>&1 &
RV=$!; PIDS+=($RV)
n=2
for i in $(seq 1 30); do
    sleep 1
    line=$(agent_log $((n++)) || true)
    [[ "$line" == *"client announced"* ]] && break
done
if [[ "$line" == *"client announced"* ]]; then
    pass "remote-viewer's capabilities reached floe-agent: $(grep -o 'the client announced[^|]*' <<<"$line")"
else
    fail "no capabilities from remote-viewer: $line"; tail -n 5 "$T/rv.log"; finish
fi

# text_cmd TAG N: a shell loop printing N lines tagged TAG, run on both sides
text_cmd() { echo "i=0; while [ \$i -lt $2 ]; do echo \"floe $1 line \$i of $2: the quick brown fox\"; i=\$((i+1)); done"; }

# ---- X -> guest ----
check_to_guest() { # NAME LINES
    local want got
    local i
    bash -c "$(text_cmd "x-$1" "$2")" >"$T/$1.txt"
    want=$(md5sum <"$T/$1.txt" | cut -d' ' -f1)
    xclip -quiet -selection clipboard -i "$T/$1.txt" >"$T/xclip-$1.log" 2>&1 &
    PIDS+=($!)
    # remote-viewer grabs for the guest once X tells it of the new owner
    for i in 1 2 3 4 5; do
        sleep 2
        got=$(guest_line "floe-$1-$i" "floe-agent clip get | md5sum" || true)
        [ "${got%% *}" = "$want" ] && break
    done
    if [ "${got%% *}" = "$want" ]; then
        pass "X -> guest: $(wc -c <"$T/$1.txt") bytes set with xclip read by 'floe-agent clip get' (md5 $want)"
    else
        fail "X -> guest ($(wc -c <"$T/$1.txt") bytes): guest read '$got', want $want"
        agent_log "err-$1"
    fi
}
check_to_guest small 1
check_to_guest big 200

# ---- guest -> X ----
check_to_x() { # NAME LINES [SELECTION]
    local want got sel=${3:-clipboard}
    bash -c "$(text_cmd "guest-$1" "$2")" >"$T/g$1.txt"
    want=$(md5sum <"$T/g$1.txt" | cut -d' ' -f1)
    line=$(guest_line "floe-set-$1" " ( $(text_cmd "guest-$1" "$2") ) | floe-agent clip set --selection $sel 2>&1; echo rc=\$?" || true)
    [[ "$line" == *"rc=0"* ]] || fail "guest -> X: 'floe-agent clip set' failed: $line"
    sleep 1
    got=$(timeout 20 xclip -o -selection "$sel" 2>"$T/xclip-o.err" | md5sum | cut -d' ' -f1)
    if [ "$got" = "$want" ]; then
        pass "guest -> X: $(wc -c <"$T/g$1.txt") bytes set with 'floe-agent clip set' read by 'xclip -o -selection $sel'"
    else
        fail "guest -> X ($(wc -c <"$T/g$1.txt") bytes, $sel): xclip read md5 $got, want $want: $(cat "$T/xclip-o.err")"
    fi
}
check_to_x small 1
check_to_x big 200
check_to_x primary 100 primary

# ---- monitors config: remote-viewer's window, resized, becomes the guest's mode ----
# (remote-viewer sends the size its widget got; with no window manager the
# window is resized here with xdotool, as a user would drag it)
if command -v xdotool >/dev/null; then
    wid=$(xdotool search --name "remote-viewer|QEMU|spice" 2>/dev/null | head -n 1 || true)
    [ -n "$wid" ] && xdotool windowsize "$wid" 1000 700 2>/dev/null || true
    mc=
    for i in $(seq 1 15); do
        sleep 1
        line=$(agent_log "m$i" || true)
        mc=$(grep -o 'monitors config: [^|]*' <<<"$line" | tail -n 1 || true)
        [[ "$mc" == *": set" && "$mc" != *" 1280x800:"* ]] && break
    done
    mode=$(guest_line floe-kms "floe-agent kms | tr '\\n' ' '" || true)
    if [[ "$mc" == *": set" ]] && [[ "$mode" =~ mode\ ([0-9]+x[0-9]+) ]] &&
       [[ "$mc" == *"the first ${BASH_REMATCH[1]}:"* ]]; then
        pass "remote-viewer's monitors config set the guest's mode through KMS ($mc; $mode)"
    else
        fail "the monitors config did not set the mode: agent '$mc', KMS '$mode' (window ${wid:-not found})"
    fi
else
    skip "monitors config" "xdotool is not installed (make deps)"
fi

# ---- client mouse mode: remote-viewer's pointer through the agent ----
# (QEMU's server offers client mode once an agent is attached and sends the
# positions to it as MOUSE_STATE on the server's port)
if [ -n "${wid:-}" ]; then
    guest_run "floe-evlog >/tmp/evlog.txt 2>&1 &"
    sleep 1
    for i in 1 2 3 4 5 6; do
        xdotool mousemove --window "$wid" $((200 + 20 * i)) $((150 + 10 * i)) 2>/dev/null || true
        sleep 0.5
    done
    xdotool click 1 2>/dev/null || true
    sleep 1
    ev=$(guest_line floe-ev " (grep 'floe-agent pointer' /tmp/evlog.txt | head -n 1; tail -n 2 /tmp/evlog.txt) | tr '\\n' '|'" || true)
    if [[ "$ev" == *"watching event"*"abs floe-agent pointer"* ]] &&
       [[ "$ev" =~ abs\ ([0-9]+)\ ([0-9]+)\ buttons ]] && [ "${BASH_REMATCH[1]}" -gt 100 ] &&
       [[ "$ev" == *"buttons 1"* ]]; then
        pass "client mouse mode: remote-viewer's moves and click reached floe-agent's uinput pointer ($ev)"
    else
        fail "client mouse mode: floe-agent's pointer did not move or click: '$ev'"
        agent_log mouse-err
    fi
else
    skip "client mouse mode" "no remote-viewer window found to move the pointer in"
fi

# ---- a new client: the guest's copy is offered again ----
# remote-viewer quits (the server tells the agent CLIENT_DISCONNECTED) and
# another comes: when it announces its capabilities the agent grabs again
# for what the guest holds, so PRIMARY pastes on the X side with no new copy
kill "$RV" 2>/dev/null || true
wait "$RV" 2>/dev/null || true
sleep 1
remote-viewer "spice://127.0.0.1:$PORT_guest" >"$T/rv2.log" 2>&1 &
PIDS+=($!)
for i in $(seq 1 30); do
    sleep 1
    line=$(agent_log "again$i" || true)
    [ "$(grep -o 'client announced' <<<"$line" | wc -l)" -ge 2 ] && break
done
sleep 1
got=$(timeout 20 xclip -o -selection primary 2>"$T/xclip-o2.err" | md5sum | cut -d' ' -f1)
if [ "$got" = "$(md5sum <"$T/gprimary.txt" | cut -d' ' -f1)" ]; then
    pass "a new remote-viewer was offered the guest's PRIMARY again and pasted it"
else
    fail "the new client did not get the guest's PRIMARY (md5 $got): $(cat "$T/xclip-o2.err")"
fi

# ---- the host side going and coming back (a server restarting) ----
# the host plays the server on a socket chardev: each connection must start
# with the agent's capabilities (request=1); on the second, a client grab
# and the data it gives when the guest pastes
cat >"$T/host.py" <<'PY'
import socket, struct, sys, time
path, tag = sys.argv[1], sys.argv[2].encode()
def msg(port, typ, body):
    m = struct.pack("<IIQI", 1, typ, 0, len(body)) + body
    return struct.pack("<II", port, len(m)) + m
def recv_msg(s):
    buf = b""
    while len(buf) < 28:
        d = s.recv(28 - len(buf))
        if not d: raise EOFError
        buf += d
    port, size, proto, typ, _, msize = struct.unpack("<IIIIQI", buf)
    body = b""
    while len(body) < msize:
        body += s.recv(msize - len(body))
    return port, typ, body
for n in (1, 2):
    s = socket.socket(socket.AF_UNIX); s.settimeout(20); s.connect(path)
    port, typ, body = recv_msg(s)
    req, caps = struct.unpack("<II", body[:8])
    print(f"host-{n} port {port} type {typ} request {req} caps 0x{caps:08x}", flush=True)
    if n == 1:
        s.close(); time.sleep(2); continue
    s.sendall(msg(1, 6, struct.pack("<II", 0, 1 << 5 | 1 << 6)))
    s.sendall(msg(1, 7, struct.pack("<BBHI", 0, 0, 0, 1)))
    while True:
        port, typ, body = recv_msg(s)
        if typ == 8:
            print(f"host-{n} request for type {struct.unpack('<I', body[4:8])[0]}", flush=True)
            s.sendall(msg(1, 4, struct.pack("<BBHI", 0, 0, 0, 1) + tag))
            time.sleep(2)
            break
PY
guest_run "floe-agent --port /dev/virtio-ports/org.floe.agent-test --socket /run/floe-agent-test.sock --no-file-transfer >/tmp/agent2.log 2>&1 &"
sleep 1
timeout 60 python3 "$T/host.py" "$T/agent.sock" floe-back-ok >"$T/host.out" 2>"$T/host.err" &
HOST=$!; PIDS+=($HOST)
wait_for 40 grep -q "^host-2 port" "$T/host.out" || true
got=$(guest_line floe-back "floe-agent clip get --socket /run/floe-agent-test.sock 2>&1" || true)
wait "$HOST" 2>/dev/null || true
if [ "$(grep -c 'type 6 request 1 caps 0x000055e7' "$T/host.out")" = 2 ] && [ "$got" = floe-back-ok ] &&
   grep -q "request for type 1" "$T/host.out"; then
    pass "host side gone and back: the agent announced its capabilities (0x000055e7, request 1) on each connection and pasted the host's text ($got)"
else
    fail "host side gone and back: host saw '$(tr '\n' ';' <"$T/host.out")' $(cat "$T/host.err"), guest pasted '$got'"
    guest_line floe-agent2 "tr '\\n' '|' </tmp/agent2.log" || true
fi

qemu_logs_clean "$T/guest.qemu.log"
finish
