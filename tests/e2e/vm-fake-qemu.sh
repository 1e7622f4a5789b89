#!/usr/bin/env bash
# floe-server --vm with a fake QEMU that answers garbage on its QMP and VNC
# sockets: the server logs one clear line for each, keeps serving (its control
# socket answers, a SPICE client links), stops the fake on vm-stop and quits
# cleanly (sanitizers included). Nothing crashes, nothing hangs.
cd "$(dirname "$0")/../.."
. tests/lib.sh
command -v socat >/dev/null || { echo "FAIL: socat is not installed"; exit 1; }

# the fake: takes QEMU's -qmp unix:PATH,... and -vnc unix:PATH, listens there
# and sends garbage to whoever connects (MODE: qmp or vnc decides which lies)
cat >"$T/fake-qemu" <<'PY'
#!/usr/bin/env python3
import os, socket, sys, threading, time
args = sys.argv[1:]
def path_of(flag):
    v = args[args.index(flag) + 1]
    return v[len("unix:"):].split(",server")[0].replace(",,", ",")
def serve(path, greeting):
    s = socket.socket(socket.AF_UNIX)
    s.bind(path); s.listen(4)
    while True:
        c, _ = s.accept()
        try:
            c.sendall(greeting)
        except OSError:
            pass
mode = os.environ.get("FAKE_MODE", "qmp")
qmp_garbage = b"this is not json\n" if mode == "qmp" else \
    b'{"QMP": {"version": {"qemu": {"major": 7, "minor": 2, "micro": 0}}, "capabilities": []}}\n'
vnc_garbage = b"HELLO THERE, NOT RFB\n" if mode == "vnc" else b"RFB 003.008\n\x00"
threading.Thread(target=serve, args=(path_of("-qmp"), qmp_garbage), daemon=True).start()
threading.Thread(target=serve, args=(path_of("-vnc"), vnc_garbage), daemon=True).start()
while True:
    time.sleep(1)
PY
chmod +x "$T/fake-qemu"
printf 'memory = 64\naccel = tcg\nstop_timeout = 1\n' >"$T/vm.conf"

for mode in qmp vnc; do
    FAKE_MODE=$mode QEMU="$T/fake-qemu" start_server --disable-ticketing --vm "$T/vm.conf"
    if [ $mode = qmp ]; then want="vm: QMP: .*JSON"; else want="vm: display feed: .*"; fi
    if wait_for 20 grep -q "$want" "$T/server.err"; then
        pass "$mode garbage: $(grep -m1 "$want" "$T/server.err")"
    else
        fail "$mode garbage: no clear log line"; tail -5 "$T/server.err"
    fi
    ctl stats >/dev/null && pass "$mode garbage: the control socket still answers" ||
        fail "$mode garbage: no control socket"
    "$BIN/floe-viewer" --headless --duration 2 "$URI" >/dev/null 2>"$T/v.err" &&
        pass "$mode garbage: a SPICE client still links and runs" ||
        fail "$mode garbage: viewer: $(cat "$T/v.err")"
    ctl vm-stop >/dev/null || true
    wait_for 15 ctl_has vm-status 'state=\(stopped\|died\)' &&
        pass "$mode garbage: vm-stop ended the fake: $(ctl vm-status | head -1 | cut -c1-60)" ||
        fail "$mode garbage: vm-stop: $(ctl vm-status | head -1)"
    stop_server
done
finish
