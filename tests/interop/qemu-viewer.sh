#!/usr/bin/env bash
# floe-viewer against QEMU's built-in SPICE server (libspice-server): the
# viewer's snapshot must equal QMP's screendump pixel for pixel (std VGA and
# QXL), tickets must work (right password in, wrong one refused with
# PERMISSION_DENIED), keys typed with --type must reach the guest (SeaBIOS
# boot menu), LZ and LZ4 images decode exactly, and bad arguments must fail
# with one line.
# Environment: BIN (default build/bin), QEMU (default qemu-system-x86_64).
. "$(dirname "$0")/../lib.sh"
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

# screendump QMP_SOCKET FILE.ppm
screendump() {
    python3 - "$1" "$2" <<'EOF'
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
        if "return" in r: return
        if "error" in r: sys.exit("qmp: " + r["error"]["desc"])
cmd({"execute": "qmp_capabilities"})
cmd({"execute": "screendump", "arguments": {"filename": sys.argv[2]}})
EOF
}

# start_vm NAME SPICE_OPTIONS [QEMU args...]: sets PORT_<NAME> and QMP_<NAME>
start_vm() {
    local name=$1 spice=$2 port qmp i
    shift 2
    port=$(free_port)
    qmp="$T/$name.qmp"
    "$QEMU" -accel tcg -m 128 -display none -nodefaults -no-user-config "$@" \
        -spice "port=$port,addr=127.0.0.1,$spice" \
        -qmp "unix:$qmp,server=on,wait=off" >"$T/$name.qemu.log" 2>&1 &
    PIDS+=($!)
    for i in $(seq 1 100); do
        port_open "$port" && [ -S "$qmp" ] && break
        sleep 0.2
    done
    if ! port_open "$port"; then
        echo "FAIL: QEMU ($name) did not open its SPICE port"; cat "$T/$name.qemu.log"; exit 1
    fi
    printf -v "PORT_$name" '%s' "$port"
    printf -v "QMP_$name" '%s' "$qmp"
}

# Runs the viewer headless and compares its snapshot with screendumps taken
# while it ends and just after (SeaBIOS's text cursor blinks, so the picture
# at the viewer's last instant is one of those). Retries a few times.
# snapshot_matches NAME URI QMP [viewer options...]
snapshot_matches() {
    local name=$1 uri=$2 qmp=$3 attempt vpid n d best dumps
    shift 3
    for attempt in 1 2 3 4; do
        rm -f "$T/$name".dump*.ppm "$T/$name.png"
        "$VIEWER" --headless --duration "$DURATION" --snapshot "$T/$name.png" "$@" "$uri" \
            >"$T/$name.out" 2>"$T/$name.err" &
        vpid=$!
        n=0
        while kill -0 "$vpid" 2>/dev/null; do
            screendump "$qmp" "$T/$name.dump$n.ppm" || true
            n=$((n + 1))
            sleep 0.05
        done
        if ! wait "$vpid"; then
            fail "$name: floe-viewer exited with an error: $(tail -n 3 "$T/$name.err")"
            return
        fi
        screendump "$qmp" "$T/$name.dump$n.ppm"
        best=unset
        dumps="$T/$name.dump$n.ppm"
        [ $n -ge 1 ] && dumps="$dumps $T/$name.dump$((n - 1)).ppm"
        [ $n -ge 2 ] && dumps="$dumps $T/$name.dump$((n - 2)).ppm"
        for dump in $dumps; do
            d=$(pixel_diff "$T/$name.png" "$dump")
            if [ "$d" = 0 ]; then
                pass "$name: snapshot equals QEMU's screendump (0 differing pixels; $(tail -n 1 "$T/$name.out"))"
                return
            fi
            best=$d
        done
        echo "  $name: attempt $attempt: $best pixels differ, retrying"
    done
    fail "$name: snapshot differs from QEMU's screendump ($best pixels)"
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

# ---- the peers ----
NOCOMP="image-compression=off,streaming-video=off"
start_vm std "disable-ticketing=on,$NOCOMP" -device VGA
start_vm qxl "disable-ticketing=on,$NOCOMP" -vga qxl
start_vm pw "password-secret=sec0,$NOCOMP" -object secret,id=sec0,data=floe-pass -device VGA
start_vm menu "disable-ticketing=on,$NOCOMP" -device VGA -boot menu=on,splash-time=60000
# QEMU's defaults (image-compression=auto_glz): the viewer asks for
# uncompressed images with PREFERRED_COMPRESSION, as it decodes no codec yet
start_vm auto "disable-ticketing=on" -device VGA
# LZ images, decoded by floe (the viewer asks for nothing: the server's choice)
start_vm lz "disable-ticketing=on,image-compression=lz,streaming-video=off" -device VGA
# LZ4 images: QEMU has no option for them, a client asks (PREFERRED_COMPRESSION)
start_vm lz4 "disable-ticketing=on,streaming-video=off" -device VGA
sleep 3 # let SeaBIOS reach a quiet screen

# ---- pictures ----
snapshot_matches std "spice://127.0.0.1:$PORT_std" "$QMP_std"
summary_ok std 720x400
snapshot_matches qxl "spice://127.0.0.1:$PORT_qxl" "$QMP_qxl"
if grep -q "error" "$T/qxl.err"; then fail "qxl: errors logged: $(grep error "$T/qxl.err" | head -3)"; fi
snapshot_matches auto "spice://127.0.0.1:$PORT_auto" "$QMP_auto"
snapshot_matches lz "spice://127.0.0.1:$PORT_lz" "$QMP_lz" --preferred-compression server
snapshot_matches lz4 "spice://127.0.0.1:$PORT_lz4" "$QMP_lz4" --preferred-compression lz4
bytes_of() { sed -n 's/.*bytes=\([0-9]*\).*/\1/p' "$T/$1.out"; }
for codec in lz lz4; do
    if [ "$(bytes_of $codec)" -lt $(($(bytes_of std) / 4)) ]; then
        pass "$codec: the picture came compressed ($(bytes_of $codec) bytes against $(bytes_of std) uncompressed)"
    else
        fail "$codec: $(bytes_of $codec) bytes: the images were not compressed"
    fi
done

# ---- URI forms and tickets ----
if "$VIEWER" --headless --duration 1 "spice://127.0.0.1?port=$PORT_std" >"$T/q.out" 2>"$T/q.err"; then
    pass "spice://HOST?port=N form accepted"
else
    fail "spice://HOST?port=N form: $(cat "$T/q.err")"
fi
snapshot_matches password "spice://127.0.0.1:$PORT_pw?password=floe-pass" "$QMP_pw"
printf 'floe-pass\n' >"$T/pwfile"
if "$VIEWER" --headless --duration 1 --password-file "$T/pwfile" "spice://127.0.0.1:$PORT_pw" \
        >"$T/pf.out" 2>"$T/pf.err"; then
    pass "--password-file accepted"
else
    fail "--password-file: $(cat "$T/pf.err")"
fi
for bad in "?password=wrong-pass" ""; do
    rc=0
    "$VIEWER" --headless --duration 2 "spice://127.0.0.1:$PORT_pw$bad" >"$T/bad.out" 2>"$T/bad.err" ||
        rc=$?
    if [ $rc -ne 0 ] && grep -q "^floe-viewer: link refused: PERMISSION_DENIED$" "$T/bad.err" &&
        [ "$(wc -l <"$T/bad.err")" -eq 1 ]; then
        pass "password '${bad#?password=}' refused: exit $rc, '$(cat "$T/bad.err")'"
    else
        fail "password '${bad#?password=}': exit $rc, stderr: $(cat "$T/bad.err")"
    fi
done

# ---- keyboard: Escape opens SeaBIOS's boot menu ----
screendump "$QMP_menu" "$T/menu-before.ppm"
snapshot_matches menu "spice://127.0.0.1:$PORT_menu" "$QMP_menu" --type $'\e' --type-delay 0.3
screendump "$QMP_menu" "$T/menu-after.ppm"
d=$(pixel_diff "$T/menu-before.ppm" "$T/menu-after.ppm")
if [ "$d" != 0 ] && [ "$d" -gt 200 ]; then
    pass "menu: Escape typed through floe-viewer opened the boot menu ($d pixels changed)"
else
    fail "menu: the guest's screen did not change after typing Escape ($d pixels)"
fi

# ---- bad arguments: non-zero exit, one line ----
check_bad() { # description args...
    local what=$1 rc=0
    shift
    "$VIEWER" "$@" >"$T/arg.out" 2>"$T/arg.err" || rc=$?
    if [ $rc -ne 0 ] && [ "$(wc -l <"$T/arg.err")" -eq 1 ]; then
        pass "$what: exit $rc, '$(cat "$T/arg.err")'"
    else
        fail "$what: exit $rc, stderr: $(cat "$T/arg.err")"
    fi
}
check_bad "no URI" --headless
check_bad "not a spice URI" --headless http://example
check_bad "no port" --headless spice://127.0.0.1
check_bad "unknown option" --frobnicate spice://127.0.0.1:1
check_bad "bad duration" --duration abc spice://127.0.0.1:1
check_bad "nothing listening" --headless --duration 1 "spice://127.0.0.1:$(free_port)"

finish
