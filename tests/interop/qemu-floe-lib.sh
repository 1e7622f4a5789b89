#!/usr/bin/env bash
# QEMU with floe's libspice-server.so.1 in place of the reference library
# (LD_LIBRARY_PATH, no change to QEMU): QEMU's simple display (-device VGA)
# and the qxl device in VGA mode (-vga qxl, SeaBIOS's screen) reach
# floe-viewer, spicy-screenshot and remote-viewer pixel for pixel as QEMU's
# own screendump has them (which needs the library to answer QEMU's
# update_area), keys typed in the viewer reach the guest (SeaBIOS's boot
# menu), QMP add_client hands floe a connected socket, query-spice lists
# the client's channels, QEMU's passwords (set, changed, expired) hold, and
# a second client replaces the first unless FLOE_SPICE_SHARED=1.
# Environment: BIN (default build/bin), QEMU (default qemu-system-x86_64).
. "$(dirname "$0")/../lib.sh"
LIBDIR=$(cd "$BIN/../lib" && pwd)
[ -f "$LIBDIR/libspice-server.so.1" ] || { fail "floe's libspice-server.so.1 is not built"; finish; }
REAL_QEMU=${QEMU:-qemu-system-x86_64}
command -v "$REAL_QEMU" >/dev/null || { fail "$REAL_QEMU is not installed"; finish; }
for tool in spicy-screenshot remote-viewer import; do
    command -v $tool >/dev/null || { fail "$tool is missing (make deps installs it)"; finish; }
done

# QEMU run through a wrapper that puts floe's library first (and, in the
# sanitizer build, the sanitizer runtime the library needs: QEMU has none)
preload=$(ldd "$LIBDIR/libspice-server.so.1" | awk '/libasan/ { print $3 }')
cat >"$T/qemu" <<SH
#!/bin/sh
export LD_LIBRARY_PATH="$LIBDIR" LD_PRELOAD="$preload" ASAN_OPTIONS=detect_leaks=0
exec "$REAL_QEMU" "\$@"
SH
chmod +x "$T/qemu"
QEMU=$T/qemu
. "$(dirname "$0")/../qemu-lib.sh"

# the std VM also has what QEMU's SPICE modules register: the agent's port,
# a USB redirection device and a sound card (accepted; their channels come later)
start_vm std "disable-ticketing=on" -device VGA \
    -device virtio-serial-pci -chardev spicevmc,id=vdagent,name=vdagent \
    -device virtserialport,chardev=vdagent,name=com.redhat.spice.0 \
    -device qemu-xhci -chardev spicevmc,id=usbredir0,name=usbredir -device usb-redir,chardev=usbredir0 \
    -audiodev spice,id=snd0 -device intel-hda -device hda-duplex,audiodev=snd0
start_vm lz "disable-ticketing=on,image-compression=lz" -device VGA
start_vm quic "disable-ticketing=on,image-compression=quic" -device VGA
start_vm qxl "disable-ticketing=on" -vga qxl
sleep 3 # let SeaBIOS reach a quiet screen
for vm in std qxl; do
    pid_var=PID_$vm
    grep -q "$LIBDIR" "/proc/${!pid_var}/maps" ||
        fail "$vm: QEMU did not load floe's library"
done

# ---- QEMU's settings: image-compression as named ----
for vm in lz:101 quic:1; do
    name=${vm%%:*} type=${vm#*:} port_var=PORT_${vm%%:*} qmp_var=QMP_${vm%%:*}
    mkdir -p "$T/dump-$name"
    FLOE_DUMP_IMAGES="$T/dump-$name" snapshot_matches "$name" "spice://127.0.0.1:${!port_var}" \
        "${!qmp_var}"
    seen=$(ls "$T/dump-$name" | sed -n 's/.*-t\([0-9]*\)-.*/\1/p' | sort -u | tr '\n' ' ')
    [ "$seen" = "$type " ] && pass "image-compression=$name: floe sent image type $type only" ||
        fail "image-compression=$name: image types { $seen}, want $type"
done

# ---- pictures: floe-viewer, the reference client's screenshot, remote-viewer ----
snapshot_matches std "spice://127.0.0.1:$PORT_std" "$QMP_std"
summary_ok std 720x400
snapshot_matches qxl "spice://127.0.0.1:$PORT_qxl" "$QMP_qxl"
summary_ok qxl 720x400

for vm in std qxl; do
    port_var=PORT_$vm qmp_var=QMP_$vm
    matches_screendump "spicy-$vm" "${!qmp_var}" sh -c \
        "spicy-screenshot -h 127.0.0.1 -p ${!port_var} -o '$T/spicy-$vm.ppm' >/dev/null 2>&1 &&
         convert '$T/spicy-$vm.ppm' '$T/spicy-$vm.png' && echo spicy-screenshot"
done

start_xvfb 720x400
remote-viewer --full-screen "spice://127.0.0.1:$PORT_qxl" >"$T/rv.log" 2>&1 &
PIDS+=($!)
remote_viewer_matches "$QMP_qxl" 20

# ---- keyboard: Escape through floe-viewer opens SeaBIOS's boot menu ----
# started now: SeaBIOS offers its menu for 60 s at most
boot_menu_opens "disable-ticketing=on"

# ---- QMP add_client: a socket handed in through QMP becomes a client ----
# A relay hands each MAIN connection of the viewer (its link message names
# the channel) to QEMU as one end of a socket pair (getfd, add_client) and
# carries it over the other end; the other channels go to the SPICE port,
# as they would.
relay_port=$(free_port)
python3 - "$QMP_std" "$relay_port" "$PORT_std" >"$T/relay.log" 2>&1 <<'PY' &
import array, json, socket, sys, threading
qmp_path, relay_port, spice_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d: break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try: s.shutdown(socket.SHUT_RDWR)
        except OSError: pass
def hand_to_qemu():
    # one QMP connection per client: QEMU's monitor serves one at a time
    mine, qemus = socket.socketpair()
    q = socket.socket(socket.AF_UNIX); q.connect(qmp_path); f = q.makefile("rw")
    def cmd(c, fd=None):
        data = (json.dumps(c) + "\n").encode()
        if fd is None:
            q.sendall(data)
        else:
            q.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])
        while True:
            r = json.loads(f.readline())
            if "return" in r or "error" in r:
                return r
    f.readline(); cmd({"execute": "qmp_capabilities"})
    r1 = cmd({"execute": "getfd", "arguments": {"fdname": "floe-client"}}, qemus.fileno())
    r2 = cmd({"execute": "add_client", "arguments": {"protocol": "spice", "fdname": "floe-client"}})
    print("getfd", json.dumps(r1), "add_client", json.dumps(r2), flush=True)
    f.close(); q.close(); qemus.close()
    return mine
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", relay_port)); ls.listen(8)
print("listening", flush=True)
while True:
    c, _ = ls.accept()
    head = b""
    while len(head) < 21:
        d = c.recv(21 - len(head))
        if not d: break
        head += d
    # SpiceLinkHeader (16 bytes), then the link message: connection id, channel type
    other = hand_to_qemu() if len(head) == 21 and head[20] == 1 else \
        socket.create_connection(("127.0.0.1", spice_port))
    other.sendall(head)
    threading.Thread(target=pipe, args=(c, other), daemon=True).start()
    threading.Thread(target=pipe, args=(other, c), daemon=True).start()
PY
PIDS+=($!)
wait_for 10 grep -q listening "$T/relay.log" || fail "add_client relay did not start: $(cat "$T/relay.log")"
snapshot_matches add-client "spice://127.0.0.1:$relay_port" "$QMP_std"
n=$(grep -c 'add_client {"return": {}}' "$T/relay.log" || true)
if [ "$n" -ge 1 ] && ! grep -q '"error"' "$T/relay.log"; then
    pass "add_client: QEMU took $n client socket(s) through QMP, each serving the viewer's MAIN channel"
else
    fail "add_client: $(cat "$T/relay.log")"
fi

# ---- unix=on: SPICE on a unix socket ----
rm -f "$T/spice.sock"
"$QEMU" -accel tcg -m 64 -display none -nodefaults -no-user-config -device VGA \
    -spice "unix=on,addr=$T/spice.sock,disable-ticketing=on" \
    -qmp "unix:$T/unix.qmp,server=on,wait=off" >"$T/unix.qemu.log" 2>&1 &
PIDS+=($!)
if wait_for 30 test -S "$T/spice.sock"; then
    sleep 2
    matches_screendump unix "$T/unix.qmp" sh -c \
        "spicy-screenshot --uri='spice+unix://$T/spice.sock' -o '$T/unix.ppm' >/dev/null 2>&1 &&
         convert '$T/unix.ppm' '$T/unix.png' && echo spicy-screenshot over the unix socket"
else
    fail "unix=on: no socket at $T/spice.sock: $(tail -n 3 "$T/unix.qemu.log")"
fi

# ---- query-spice lists the connected client's channels ----
"$VIEWER" --headless --duration 20 "spice://127.0.0.1:$PORT_std" >"$T/q1.out" 2>&1 &
qpid=$!
# asked until the viewer has linked them all (it may take a while on a busy machine)
for i in $(seq 1 30); do
    sleep 0.5
    reply=$(qmp_return "$QMP_std" query-spice || true)
    types=$(python3 -c 'import json,sys; print(" ".join(sorted(str(c["channel-type"]) for c in json.loads(sys.argv[1])["channels"])))' "$reply" 2>/dev/null || true)
    [ "$types" = "1 2 3 4" ] && break
done
kill -INT "$qpid" 2>/dev/null || true
wait "$qpid" || true
if [ "$types" = "1 2 3 4" ]; then
    pass "query-spice lists the client's main, display, inputs and cursor channels"
else
    fail "query-spice channels: '$types' in $reply"
fi
for i in $(seq 1 20); do
    reply=$(qmp_return "$QMP_std" query-spice || true)
    grep -q '"channels": \[\]' <<<"$reply" && break
    sleep 0.5
done
if grep -q '"channels": \[\]' <<<"$reply"; then
    pass "query-spice lists no channel once the client has gone"
else
    fail "query-spice after the client left: $reply"
fi

# ---- tickets: QEMU's password, set at start and changed at run time ----
start_vm pw "password-secret=sec0" -object secret,id=sec0,data=floe-pass -device VGA
sleep 2
snapshot_matches password "spice://127.0.0.1:$PORT_pw?password=floe-pass" "$QMP_pw"
refused() { # what uri
    local rc=0
    "$VIEWER" --headless --duration 2 "$2" >"$T/bad.out" 2>"$T/bad.err" || rc=$?
    if [ $rc -ne 0 ] && grep -q "PERMISSION_DENIED" "$T/bad.err"; then
        pass "$1 refused: $(cat "$T/bad.err")"
    else
        fail "$1: exit $rc, stderr: $(cat "$T/bad.err")"
    fi
}
refused "a wrong password" "spice://127.0.0.1:$PORT_pw?password=wrong"
refused "no password" "spice://127.0.0.1:$PORT_pw"
qmp "$QMP_pw" set_password '{"protocol": "spice", "password": "second-pass"}'
snapshot_matches password-changed "spice://127.0.0.1:$PORT_pw?password=second-pass" "$QMP_pw"
refused "the old password after set_password" "spice://127.0.0.1:$PORT_pw?password=floe-pass"
qmp "$QMP_pw" expire_password '{"protocol": "spice", "time": "now"}'
refused "an expired password" "spice://127.0.0.1:$PORT_pw?password=second-pass"

# ---- clients: a second replaces the first; with FLOE_SPICE_SHARED=1 both stay ----
two_clients() { # name port: runs two viewers, the second starting 2 s after the first
    "$VIEWER" --headless --duration 6 "spice://127.0.0.1:$2" >"$T/$1-a.out" 2>"$T/$1-a.err" &
    local a=$!
    sleep 2
    "$VIEWER" --headless --duration 2 "spice://127.0.0.1:$2" >"$T/$1-b.out" 2>"$T/$1-b.err" || true
    A_RC=0; wait "$a" || A_RC=$?
}
two_clients replace "$PORT_qxl"
if [ "$A_RC" -ne 0 ] && [ -s "$T/replace-b.out" ]; then
    pass "a second client replaced the first (the first ended: $(tail -n 1 "$T/replace-a.err"))"
else
    fail "the first client was not replaced: exit $A_RC, $(cat "$T/replace-a.err")"
fi
FLOE_SPICE_SHARED=1 start_vm shared "disable-ticketing=on" -device VGA
sleep 2
two_clients shared "$PORT_shared"
if [ "$A_RC" -eq 0 ] && [ -s "$T/shared-b.out" ]; then
    pass "FLOE_SPICE_SHARED=1: two clients at once ($(cat "$T/shared-a.out"); $(cat "$T/shared-b.out"))"
else
    fail "FLOE_SPICE_SHARED=1: the first client ended: exit $A_RC, $(cat "$T/shared-a.err")"
fi

# ---- start-up: -vga qxl without -spice; a TLS port, not built yet ----
"$QEMU" -accel tcg -m 64 -display none -nodefaults -no-user-config -vga qxl \
    -qmp "unix:$T/nospice.qmp,server=on,wait=off" >"$T/nospice.qemu.log" 2>&1 &
PIDS+=($!)
if wait_for 30 test -S "$T/nospice.qmp" && sleep 2 &&
    grep -q "$LIBDIR" "/proc/${PIDS[-1]}/maps" && screendump "$T/nospice.qmp" "$T/nospice.ppm" &&
    [ "$(convert "$T/nospice.ppm" -format %k info:)" -gt 1 ]; then
    pass "-vga qxl without -spice: QEMU runs with floe's library, its screendump shows SeaBIOS"
else
    fail "-vga qxl without -spice: $(tail -n 3 "$T/nospice.qemu.log")"
fi
rc=0
timeout 30 "$QEMU" -accel tcg -m 64 -display none -nodefaults -no-user-config -vga qxl \
    -spice "tls-port=$(free_port),addr=127.0.0.1,x509-dir=$T" >"$T/tls.log" 2>&1 || rc=$?
if [ $rc -ne 0 ] && grep -q "floe-spice: error: TLS" "$T/tls.log" &&
    grep -q "failed to initialize spice server" "$T/tls.log"; then
    pass "a TLS port stops QEMU with floe's reason: $(grep "floe-spice: error" "$T/tls.log")"
else
    fail "TLS port: exit $rc, $(cat "$T/tls.log")"
fi

# ---- QEMU quits with a client connected: floe's threads go quietly ----
"$VIEWER" --headless --duration 30 "spice://127.0.0.1:$PORT_std" >"$T/quit.out" 2>"$T/quit.err" &
qv=$!
sleep 3
qmp "$QMP_std" quit || true
rc=0; wait "$PID_std" 2>/dev/null || rc=$?
vrc=0; wait "$qv" || vrc=$?
if [ "$rc" = 0 ] && [ "$vrc" != 0 ] && grep -q "disconnected" "$T/quit.err"; then
    pass "QEMU quit with a client connected: exit 0, the client told ($(tail -n 1 "$T/quit.err"))"
else
    fail "QEMU quit with a client connected: QEMU exit $rc, viewer exit $vrc: $(tail -n 2 "$T/quit.err")"
fi

# neither QEMU nor the sanitizers complained
qemu_logs_clean "$T"/{std,qxl,menu,pw,shared,unix}.qemu.log
finish
