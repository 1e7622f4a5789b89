#!/usr/bin/env bash
# QEMU with floe's libspice-server.so.1 in place of the reference library
# (LD_LIBRARY_PATH, no change to QEMU): QEMU's simple display (-device VGA)
# and the qxl device in VGA mode (-vga qxl, SeaBIOS's screen) reach
# floe-viewer, spicy-screenshot and remote-viewer pixel for pixel as QEMU's
# own screendump has them (which needs the library to answer QEMU's
# update_area), keys typed in the viewer reach the guest (SeaBIOS's boot
# menu), and QMP add_client hands floe a connected socket.
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

start_vm std "disable-ticketing=on" -device VGA
start_vm qxl "disable-ticketing=on" -vga qxl
sleep 3 # let SeaBIOS reach a quiet screen
for vm in std qxl; do
    grep -q "$LIBDIR" "/proc/$(pgrep -f "$T/$vm.qmp" | head -n 1)/maps" ||
        fail "$vm: QEMU did not load floe's library"
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
best=-1
for i in $(seq 1 20); do
    sleep 1
    screendump "$QMP_qxl" "$T/rv-dump.ppm"
    import -window root "$T/rv.png" 2>/dev/null || continue
    best=$(pixel_diff "$T/rv-dump.ppm" "$T/rv.png")
    [ "$best" = 0 ] && break
done
if [ "$best" = 0 ]; then
    pass "remote-viewer's window equals QEMU's screendump (0 of $((720 * 400)) pixels differ)"
else
    fail "remote-viewer's window differs from QEMU's screendump: $best pixels"
    cat "$T/rv.log"
fi

# ---- keyboard: Escape through floe-viewer opens SeaBIOS's boot menu ----
# started now: SeaBIOS offers its menu for 60 s at most
start_vm menu "disable-ticketing=on" -device VGA -boot menu=on,splash-time=60000
sleep 3
screendump "$QMP_menu" "$T/menu-before.ppm"
snapshot_matches menu "spice://127.0.0.1:$PORT_menu" "$QMP_menu" --type $'\e' --type-delay 0.3
screendump "$QMP_menu" "$T/menu-after.ppm"
d=$(pixel_diff "$T/menu-before.ppm" "$T/menu-after.ppm")
if [ "$d" != 0 ] && [ "$d" -gt 200 ]; then
    pass "menu: Escape typed through floe-viewer opened the boot menu ($d pixels changed)"
else
    fail "menu: the guest's screen did not change after typing Escape ($d pixels)"
fi

# ---- QMP add_client: a socket handed in through QMP becomes a client ----
# A relay takes the viewer's first connection (MAIN) to a socket pair whose
# other end QEMU is handed (getfd, add_client); the other channels go to
# the SPICE port as they would.
relay_port=$(free_port)
python3 - "$QMP_std" "$relay_port" "$PORT_std" >"$T/relay.log" 2>&1 <<'PY' &
import array, json, socket, sys, threading
qmp_path, relay_port, spice_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
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
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", relay_port)); ls.listen(8)
print("listening", flush=True)
first = True
while True:
    c, _ = ls.accept()
    if first:
        mine, qemus = socket.socketpair()
        r1 = cmd({"execute": "getfd", "arguments": {"fdname": "floe-client"}}, qemus.fileno())
        r2 = cmd({"execute": "add_client", "arguments": {"protocol": "spice", "fdname": "floe-client"}})
        print("getfd", json.dumps(r1), "add_client", json.dumps(r2), flush=True)
        qemus.close(); other = mine; first = False
    else:
        other = socket.create_connection(("127.0.0.1", spice_port))
    threading.Thread(target=pipe, args=(c, other), daemon=True).start()
    threading.Thread(target=pipe, args=(other, c), daemon=True).start()
PY
PIDS+=($!)
wait_for 10 grep -q listening "$T/relay.log" || fail "add_client relay did not start: $(cat "$T/relay.log")"
snapshot_matches add-client "spice://127.0.0.1:$relay_port" "$QMP_std"
if grep -q '"add_client" {"return": {}}\|add_client {"return": {}}' "$T/relay.log"; then
    pass "add_client: QEMU accepted the socket ($(grep getfd "$T/relay.log"))"
else
    fail "add_client: $(cat "$T/relay.log")"
fi

# QEMU and floe logged no errors
for vm in std qxl menu; do
    if grep -qi "error\|runtime error\|AddressSanitizer" "$T/$vm.qemu.log"; then
        fail "$vm: errors in QEMU's log: $(grep -i "error" "$T/$vm.qemu.log" | head -n 3)"
    fi
done
finish
