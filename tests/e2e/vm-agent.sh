#!/usr/bin/env bash
# floe-server --vm relays the guest agent's port: a fake QEMU (QMP with
# VSERPORT_CHANGE events, a VNC server with a blank screen, the agent's
# socket chardev) plays a guest agent speaking VDIChunks. When the guest
# opens the port floe-viewer gets AGENT_CONNECTED and its clipboard offer
# reaches the guest as a port-1 GRAB; text goes both ways; closing the port
# detaches the agent (the viewer hears AGENT_DISCONNECTED) and the next
# agent gets a fresh connection; an agent that breaks the protocol stays
# detached until it opens the port again; the guest's bytes attach it even
# before the event; vm-stop and quit end it all cleanly.
cd "$(dirname "$0")/../.."
. tests/lib.sh
command -v socat >/dev/null || { echo "FAIL: socat is not installed"; exit 1; }

cat >"$T/fake-qemu" <<'PY'
#!/usr/bin/env python3
import json, os, socket, struct, sys, threading, time
args = sys.argv[1:]
d = os.environ["FAKE_DIR"]
logf = open(os.path.join(d, "guest.log"), "a", buffering=1)
def log(*a): logf.write(" ".join(str(x) for x in a) + "\n")
def path_after(flag, key=None):
    for i, a in enumerate(args[:-1]):
        v = args[i + 1]
        if a == flag and (key is None or key in v):
            if key is None: return v[len("unix:"):].split(",server")[0].replace(",,", ",")
            return v.split("path=")[1].replace(",,", ",")
log("args", " ".join(args))
def listen(path):
    s = socket.socket(socket.AF_UNIX); s.bind(path); s.listen(1); return s

qmp = None; qlock = threading.Lock()
def qsend(obj):
    with qlock:
        if qmp: qmp.sendall((json.dumps(obj) + "\n").encode())
def event(name, data):
    qsend({"event": name, "data": data, "timestamp": {"seconds": int(time.time()), "microseconds": 0}})
def serve_qmp(l):
    global qmp
    while True:
        c, _ = l.accept(); qmp = c
        qsend({"QMP": {"version": {"qemu": {"major": 8, "minor": 2, "micro": 0}}, "capabilities": []}})
        for line in c.makefile():
            m = json.loads(line); cmd = m.get("execute"); ret = {}
            if cmd == "query-status": ret = {"status": "running", "running": True}
            r = {"return": ret}
            if "id" in m: r["id"] = m["id"]
            qsend(r)
            if cmd in ("system_powerdown", "quit"):
                event("SHUTDOWN", {"guest": cmd == "system_powerdown"}); time.sleep(0.2); os._exit(0)

def serve_vnc(l):
    c, _ = l.accept()
    c.sendall(b"RFB 003.008\n"); c.recv(12)
    c.sendall(b"\x01\x01"); c.recv(1)
    c.sendall(struct.pack(">I", 0)); c.recv(1)
    c.sendall(struct.pack(">HH4B3H3B3x", 64, 48, 32, 24, 0, 1, 255, 255, 255, 16, 8, 0)
              + struct.pack(">I", 4) + b"fake")
    while c.recv(4096): pass

# the guest's end of com.redhat.spice.0: QEMU takes one connection at a time
agent = None; alock = threading.Lock(); conns = 0; clip = b""
CAPS = struct.pack("<II", 0, (1 << 5) | (1 << 1))   # CLIPBOARD_BY_DEMAND, MONITORS_CONFIG
def amsg(typ, body):   # one VDAgent message on port 1, in one chunk
    m = struct.pack("<IIQI", 1, typ, 0, len(body)) + body
    with alock:
        if agent: agent.sendall(struct.pack("<II", 1, len(m)) + m)
def on_msg(port, typ, body):
    log("msg port=%d type=%d size=%d" % (port, typ, len(body)))
    if port != 1: return
    if typ == 6 and struct.unpack("<I", body[:4])[0]:   # the client asks for our caps
        amsg(6, CAPS)
    elif typ == 7:     # CLIPBOARD_GRAB: ask for the text
        types = struct.unpack("<%dI" % (len(body) // 4), body)
        log("grab types=%s" % ",".join(map(str, types)))
        if 1 in types: amsg(8, struct.pack("<I", 1))
    elif typ == 4:   # CLIPBOARD
        log("clipboard type=%d text=%s" % (struct.unpack("<I", body[:4])[0], body[4:].decode()))
    elif typ == 8:   # CLIPBOARD_REQUEST
        amsg(4, struct.pack("<I", 1) + clip)
def serve_agent(l):
    global agent, conns
    while True:
        c, _ = l.accept(); conns += 1; log("agent connection %d" % conns)
        with alock: agent = c
        buf = b""; msgs = {1: b"", 2: b""}
        while True:
            x = c.recv(65536)
            if not x: break
            buf += x
            while len(buf) >= 8:
                port, size = struct.unpack("<II", buf[:8])
                if len(buf) < 8 + size: break
                msgs[port] = msgs.get(port, b"") + buf[8:8 + size]; buf = buf[8 + size:]
                m = msgs[port]
                while len(m) >= 20:
                    _, typ, _, n = struct.unpack("<IIQI", m[:20])
                    if len(m) < 20 + n: break
                    on_msg(port, typ, m[20:20 + n]); m = m[20 + n:]
                msgs[port] = m
        log("agent connection %d closed" % conns)
        with alock:
            if agent is c: agent = None

def serve_ctl(l):   # the test's commands: open, close, clip TEXT
    global clip
    while True:
        c, _ = l.accept(); cmd = c.makefile().readline().strip(); log("ctl", cmd)
        if cmd == "open":
            event("VSERPORT_CHANGE", {"id": "agentport", "open": True})
            amsg(6, b"\x01\0\0\0" + CAPS[4:])   # its caps, asking for the client's
        elif cmd == "announce":   # bytes without the event
            amsg(6, b"\x01\0\0\0" + CAPS[4:])
        elif cmd == "close":
            event("VSERPORT_CHANGE", {"id": "agentport", "open": False})
        elif cmd.startswith("clip "):
            clip = cmd[5:].encode(); amsg(7, struct.pack("<I", 1))
        elif cmd == "garbage":
            with alock: agent.sendall(struct.pack("<II", 1, 24) + struct.pack("<IIQI", 99, 1, 0, 4) + b"oops")
        c.sendall(b"ok\n"); c.close()

for fn, l in ((serve_qmp, listen(path_after("-qmp"))), (serve_vnc, listen(path_after("-vnc"))),
              (serve_agent, listen(path_after("-chardev", "id=agent,"))),
              (serve_ctl, listen(os.path.join(d, "fake.sock")))):
    threading.Thread(target=fn, args=(l,), daemon=True).start()
while True: time.sleep(1)
PY
chmod +x "$T/fake-qemu"
printf 'memory = 64\naccel = tcg\nstop_timeout = 2\n' >"$T/vm.conf"
guest() { echo "$*" | socat -t 5 - "UNIX-CONNECT:$T/fake.sock" >/dev/null; }
glog() { grep -q -- "$1" "$T/guest.log"; }
stat_is() { ctl_has stats "\bagent=$1\b"; }

FAKE_DIR=$T QEMU="$T/fake-qemu" start_server --disable-ticketing --vm "$T/vm.conf"
wait_for 20 test -S "$T/fake.sock" || { cat "$T/server.err"; fail "the fake QEMU did not start"; finish; }
grep -q "virtserialport,.*id=agentport,name=com.redhat.spice.0" "$T/guest.log" &&
    pass "the agent's virtserialport has an id for VSERPORT_CHANGE" ||
    fail "no id=agentport on the virtserialport: $(grep -o 'virtserialport[^ ]*' "$T/guest.log")"
wait_for 20 glog "agent connection 1" && pass "floe-server connected to the agent's chardev" ||
    fail "no connection to the agent's chardev"
stat_is 0 && pass "no agent attached while the guest has the port closed" ||
    fail "agent attached early: $(ctl stats | head -n 1)"

word="from-viewer-$RANDOM"
FLOE_LOG=debug "$BIN/floe-viewer" --headless --duration 60 --clipboard-set "$word" \
    --clipboard-out "$T/clip.out" "$URI" >"$T/viewer.out" 2>"$T/viewer.err" &
VIEWER=$!; PIDS+=($VIEWER)
wait_for 20 ctl_has clients 'display' || fail "the viewer did not link"

guest open
wait_for 10 stat_is 1 && pass "VSERPORT_CHANGE open=true attached the agent (stats agent=1)" ||
    fail "not attached on open: $(ctl stats | head -n 1)"
wait_for 10 grep -q "agent is connected" "$T/viewer.err" &&
    pass "the viewer got AGENT_CONNECTED" || fail "the viewer was not told of the agent"
wait_for 10 glog "grab types=1" &&
    pass "the viewer's clipboard offer reached the guest as a port-1 GRAB" ||
    fail "no GRAB at the guest: $(tail -n 5 "$T/guest.log")"
wait_for 10 glog "clipboard type=1 text=$word" &&
    pass "the guest asked for the text and got it" ||
    fail "the guest did not get the viewer's text: $(tail -n 5 "$T/guest.log")"
text="from-guest-$RANDOM"
guest "clip $text"
wait_for 10 grep -qx -- "$text" "$T/clip.out" && pass "the guest's clipboard reached the viewer" ||
    fail "the viewer did not write the guest's clipboard: $(cat "$T/clip.out" 2>/dev/null)"

guest close
wait_for 10 stat_is 0 && pass "VSERPORT_CHANGE open=false detached the agent (stats agent=0)" ||
    fail "still attached after close: $(ctl stats | head -n 1)"
wait_for 10 grep -q "agent disconnected" "$T/viewer.err" &&
    pass "the viewer got AGENT_DISCONNECTED" || fail "the viewer was not told the agent went"
wait_for 10 glog "agent connection 2$" &&
    pass "the next agent gets a fresh connection (nothing of the old one queued for it)" ||
    fail "no new connection after close: $(tail -n 5 "$T/guest.log")"

guest open
wait_for 10 stat_is 1 && pass "opened again: attached again" || fail "not attached the second time"
guest garbage
wait_for 10 stat_is 0 && grep -q "broke the protocol" "$T/server.err" &&
    pass "an agent that breaks the protocol is detached: $(grep -m1 'broke the protocol' "$T/server.err" | sed 's/^[^:]*: //')" ||
    fail "bad agent bytes: $(ctl stats | head -n 1)"
guest announce; sleep 1
stat_is 0 && pass "the broken agent's further bytes do not attach it" ||
    fail "the broken agent was attached again by its bytes"
guest close; guest open
wait_for 10 stat_is 1 && pass "the guest's next open attaches it again" ||
    fail "not attached after the bad agent reopened"
# a guest's bytes say it opened the port: QMP's event may come later, or
# not at all (QMP connected again, a restored guest)
guest close
wait_for 10 stat_is 0 || fail "not detached on close"
wait_for 10 glog "agent connection 5$" || fail "no fresh connection: $(tail -n 3 "$T/guest.log")"
guest announce
wait_for 10 stat_is 1 && pass "bytes from the guest attach its agent before VSERPORT_CHANGE" ||
    fail "the guest's bytes without the event did not attach it"
guest open
stat_is 1 && pass "the late event leaves it attached" || fail "detached by the late event"

kill -0 $VIEWER 2>/dev/null && pass "the viewer kept running" || fail "the viewer ended: $(tail -n 3 "$T/viewer.err")"
viewer_end $VIEWER || true
ctl vm-stop >/dev/null || true
wait_for 15 ctl_has vm-status 'state=stopped' && pass "vm-stop ended the fake" ||
    fail "vm-stop: $(ctl vm-status | head -1)"
stat_is 0 && pass "no agent once QEMU ended" || fail "agent still attached after QEMU ended"
stop_server
finish
