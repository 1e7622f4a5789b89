# Shared by the QEMU tests (source after lib.sh, which has qmp and
# screendump): QEMU VMs with SPICE and QMP, and floe-viewer snapshots
# compared with QMP screendumps.
# Environment: BIN (default build/bin), QEMU (default qemu-system-x86_64).
QEMU=${QEMU:-qemu-system-x86_64}
VIEWER="$BIN/floe-viewer"
DURATION=${DURATION:-3}

[ -x "$VIEWER" ] || { echo "FAIL: $VIEWER is not built"; exit 1; }
if ! command -v "$QEMU" >/dev/null; then echo "FAIL: $QEMU is not installed"; exit 1; fi
for tool in python3 compare; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed"; exit 1; }
done

port_open() {
    python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),1)' "$1" \
        2>/dev/null
}

# start_vm NAME SPICE_OPTIONS [QEMU args...]: sets PORT_<NAME>, QMP_<NAME> and
# PID_<NAME> (QEMU's process, a child of the test).
# The port is chosen free, then taken by QEMU; should another program take
# it in between (tests run side by side), QEMU exits and another is tried.
start_vm() {
    local name=$1 spice=$2 port qmp i pid try
    shift 2
    qmp="$T/$name.qmp"
    for try in 1 2 3; do
        port=$(free_port)
        rm -f "$qmp"
        "$QEMU" -accel tcg -m 128 -display none -nodefaults -no-user-config "$@" \
            -spice "port=$port,addr=127.0.0.1,$spice" \
            -qmp "unix:$qmp,server=on,wait=off" >"$T/$name.qemu.log" 2>&1 &
        pid=$!; PIDS+=("$pid")
        for i in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            port_open "$port" && [ -S "$qmp" ] && break
            sleep 0.2
        done
        # the port answers and our QEMU still runs: the port is QEMU's
        kill -0 "$pid" 2>/dev/null && break
        echo "  QEMU ($name) exited at start (try $try): $(tail -n 1 "$T/$name.qemu.log")"
    done
    if ! kill -0 "$pid" 2>/dev/null || ! port_open "$port"; then
        echo "FAIL: QEMU ($name) did not open its SPICE port"; cat "$T/$name.qemu.log"; exit 1
    fi
    printf -v "PORT_$name" '%s' "$port"
    printf -v "QMP_$name" '%s' "$qmp"
    printf -v "PID_$name" '%s' "$pid"
}

# snapshot_matches NAME URI QMP [viewer options...]: floe-viewer --headless's
# snapshot equals QEMU's screendump (matches_screendump in lib.sh)
snapshot_matches() {
    local name=$1 uri=$2 qmp=$3
    shift 3
    matches_screendump "$name" "$qmp" \
        "$VIEWER" --headless --duration "$DURATION" --snapshot "$T/$name.png" "$@" "$uri"
}

summary_ok() { # name expected-size
    local line
    line=$(tail -n 1 "$T/$1.out")
    if [[ "$line" =~ ^frames=[0-9]+\ bytes=[0-9]+\ fps=[0-9.]+\ size=$2$ ]]; then
        pass "$1: summary line: $line"
    else
        fail "$1: unexpected summary line: '$line'"
    fi
}


# boot_menu_opens SPICE_OPTIONS: a VM whose SeaBIOS offers its boot menu;
# Escape typed through floe-viewer opens it (the picture must equal the
# screendump and the screen must change). Start it late in a test: SeaBIOS
# offers the menu for 60 s at most.
boot_menu_opens() {
    local d
    start_vm menu "$1" -device VGA -boot menu=on,splash-time=60000
    sleep 3 # let SeaBIOS reach its prompt
    screendump "$QMP_menu" "$T/menu-before.ppm"
    snapshot_matches menu "spice://127.0.0.1:$PORT_menu" "$QMP_menu" --type $'\e' --type-delay 0.3
    screendump "$QMP_menu" "$T/menu-after.ppm"
    d=$(pixel_diff "$T/menu-before.ppm" "$T/menu-after.ppm")
    if [ "$d" != 0 ] && [ "$d" -gt 200 ]; then
        pass "menu: Escape typed through floe-viewer opened the boot menu ($d pixels changed)"
    else
        fail "menu: the guest's screen did not change after typing Escape ($d pixels)"
    fi
}

# remote_viewer_matches QMP TRIES: remote-viewer, full screen under this
# test's Xvfb, shows QEMU's screendump pixel for pixel within TRIES seconds
remote_viewer_matches() {
    local best=-1 i
    for i in $(seq 1 "$2"); do
        sleep 1
        screendump "$1" "$T/rv-dump.ppm"
        import -window root "$T/rv.png" 2>/dev/null || continue
        best=$(pixel_diff "$T/rv-dump.ppm" "$T/rv.png")
        [ "$best" = 0 ] && break
    done
    if [ "$best" = 0 ]; then
        pass "remote-viewer's window equals QEMU's screendump (0 of $(identify -format '%w x %h' "$T/rv.png") pixels differ)"
    else
        fail "remote-viewer's window differs from QEMU's screendump in $best pixels"
        [ -f "$T/rv.log" ] && tail -n 5 "$T/rv.log"
    fi
}

# qemu_logs_clean LOG...: neither QEMU nor the sanitizers complained in
# these QEMU logs (a line each that failed)
qemu_logs_clean() {
    local log bad
    for log in "$@"; do
        bad=$(grep -E "AddressSanitizer|runtime error|Assertion|qemu-system-[a-z0-9_]*: " "$log" |
              grep -v "terminating on signal\|warning: Spice: " | head -n 3 || true)
        [ -z "$bad" ] || fail "$(basename "$log" .qemu.log): QEMU's log: $bad"
    done
}
