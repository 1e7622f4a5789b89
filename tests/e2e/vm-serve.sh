#!/usr/bin/env bash
# floe-server --vm against a real QEMU guest with no disk (SeaBIOS's screen):
# floe-viewer's picture equals the server's and QEMU's screendump, Escape typed
# through the viewer opens the boot menu, pause and resume show in vm-status,
# a killed QEMU sends the connected clients DISCONNECTING and leaves the server
# serving (new clients see the last picture), vm-start brings the guest back,
# and bad configs fail with one line.
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/qemu-lib.sh
command -v socat >/dev/null || { echo "FAIL: socat is not installed"; exit 1; }


# bad_config NAME EXPECTED-TEXT [floe-server options]: exits non-zero with one line
bad_config() {
    local name=$1 want=$2 rc=0 lines
    shift 2
    timeout 20 "$BIN/floe-server" --disable-ticketing --listen 127.0.0.1:0 "$@" \
        >"$T/bad.out" 2>"$T/bad.err" || rc=$?
    lines=$(wc -l <"$T/bad.err")
    if [ "$rc" != 0 ] && [ "$rc" != 124 ] && [ "$lines" = 1 ] && grep -q "$want" "$T/bad.err"; then
        pass "$name: exit $rc with: $(cat "$T/bad.err")"
    else
        fail "$name: exit $rc, $lines line(s):"; cat "$T/bad.err"
    fi
}

printf 'memory = 64\nfloppy = yes\n' >"$T/unknown.conf"
bad_config "unknown key" "unknown.conf:2: unknown key 'floppy'" --vm "$T/unknown.conf"
printf 'memory = 64\ndisk = %s\n' "$T/no-such.img" >"$T/missing.conf"
bad_config "missing disk" "missing.conf:2: disk .*No such file" --vm "$T/missing.conf"
bad_config "missing config" "cannot read VM config" --vm "$T/no-such.conf"
printf 'accel = fast\n' >"$T/accel.conf"
bad_config "bad accel" "accel must be auto, kvm or tcg" --vm "$T/accel.conf"
printf 'memory = 64\n' >"$T/ok.conf"
bad_config "--vm with --size" "excludes the demo options" --vm "$T/ok.conf" --size 800x600
printf 'memory = 64\naccel = tcg\n' >"$T/noqemu.conf"
QEMU=/nonexistent/qemu bad_config "QEMU missing" "cannot run /nonexistent/qemu" --vm "$T/noqemu.conf"

# QEMU's monitor socket takes one client, and floe-server holds it: the
# screendumps go through a second monitor the test adds with extra
QMP=$T/test-qmp.sock
cat >"$T/vm.conf" <<EOF
# SeaBIOS waits a minute in its "Press ESC for boot menu" prompt
memory = 128
accel = tcg
boot_menu = yes
stop_timeout = 1
extra = -qmp unix:$QMP,server=on,wait=off
EOF
start_server --disable-ticketing --vm "$T/vm.conf"
if wait_for 30 ctl_has vm-status 'state=running.*updates=[1-9]'; then
    pass "the VM runs: $(ctl vm-status | head -1)"
else
    fail "the VM did not start: $(ctl vm-status | head -1)"; cat "$T/server.err"; finish
fi
grep -q "vm: using TCG (as configured)" "$T/server.err" && pass "log says: vm: using TCG (as configured)" ||
    fail "no accel line in the log"

# shots_match NAME: floe-viewer's snapshot equals one of the server's
# snapshots and one of QEMU's screendumps taken as it ends (SeaBIOS's text
# cursor blinks, so the exact instant varies); a few attempts.
shots_match() {
    local name=$1 attempt vpid n i srv dump okd oks
    for attempt in 1 2 3 4; do
        rm -f "$T/$name".srv*.png "$T/$name".dump*.ppm "$T/$name.png"
        "$VIEWER" --headless --duration 3 --snapshot "$T/$name.png" "$URI" \
            >"$T/$name.out" 2>"$T/$name.err" &
        vpid=$!
        n=0
        while kill -0 "$vpid" 2>/dev/null; do
            ctl "snapshot $T/$name.srv$n.png" >/dev/null || true
            screendump "$QMP" "$T/$name.dump$n.ppm" || true
            n=$((n + 1)); sleep 0.05
        done
        if ! wait "$vpid"; then
            fail "$name: floe-viewer failed: $(tail -n 3 "$T/$name.err")"; return
        fi
        ctl "snapshot $T/$name.srv$n.png" >/dev/null
        screendump "$QMP" "$T/$name.dump$n.ppm"
        oks=""; okd=""
        for i in $n $((n - 1)) $((n - 2)); do
            srv="$T/$name.srv$i.png"; dump="$T/$name.dump$i.ppm"
            [ -f "$srv" ] && [ "$(pixel_diff "$T/$name.png" "$srv")" = 0 ] && oks=1
            [ -f "$dump" ] && [ "$(pixel_diff "$T/$name.png" "$dump")" = 0 ] && okd=1
        done
        if [ -n "$oks" ] && [ -n "$okd" ]; then
            pass "$name: viewer snapshot equals the server's snapshot and QEMU's screendump ($(tail -n 1 "$T/$name.out"))"
            return
        fi
        echo "  $name: attempt $attempt: server match=${oks:-no} screendump match=${okd:-no}, retrying"
    done
    fail "$name: viewer, server and screendump pictures differ"
}

wait_for 10 test -S "$QMP"
sleep 2   # SeaBIOS reaches its prompt
shots_match boot

"$VIEWER" --headless --duration 3 --type $'\e' --snapshot "$T/typed.png" "$URI" \
    >"$T/typed.out" 2>"$T/typed.err" || fail "floe-viewer --type failed: $(cat "$T/typed.err")"
shots_match menu
d=$(pixel_diff "$T/boot.png" "$T/menu.png")
if [ -n "$d" ] && [ "$d" -gt 200 ]; then
    pass "Escape typed through floe-viewer opened the boot menu ($d pixels changed)"
else
    fail "the picture did not change after Escape (${d:-?} pixels differ)"
fi

ctl vm-pause >/dev/null
wait_for 10 state_is paused && pass "vm-pause: $(ctl vm-status | head -1)" ||
    fail "vm-pause did not show: $(ctl vm-status | head -1)"
ctl vm-resume >/dev/null
wait_for 10 state_is running && pass "vm-resume: state=running" ||
    fail "vm-resume did not show: $(ctl vm-status | head -1)"
ctl vm-start >/dev/null 2>&1 && fail "vm-start on a running VM answered ok" ||
    pass "vm-start on a running VM is refused: $(ctl vm-start | head -1)"

# QEMU killed: connected clients get DISCONNECTING; the server stays, says
# so, serves the last picture to new clients, restarts the VM
"$VIEWER" --headless --duration 60 "$URI" >"$T/victim.out" 2>"$T/victim.err" &
VICTIM=$!; PIDS+=("$VICTIM")
wait_for 20 ctl_has clients 'display' ||
    fail "the connected viewer did not link"
QPID=$(vm_field pid)
kill -9 "$QPID"
if wait_for 15 sh -c "! kill -0 $VICTIM 2>/dev/null"; then
    grep -q "server is disconnecting (ERROR)" "$T/victim.err" &&
        pass "the connected viewer was told: $(grep -m1 'server is disconnecting' "$T/victim.err")" ||
        fail "the connected viewer left without DISCONNECTING: $(tail -2 "$T/victim.err")"
else
    fail "the connected viewer was still connected 15 s after QEMU died"
fi
if wait_for 10 ctl_has vm-status 'state=died.*last_exit=killed-by-signal-9'; then
    pass "killed QEMU reported: $(ctl vm-status | head -1)"
else
    fail "vm-status after the kill: $(ctl vm-status | head -1)"
fi
grep -q "vm: QEMU died (killed-by-signal-9)" "$T/server.err" && pass "the log says QEMU died" ||
    fail "no log line for QEMU's death"
kill -0 "$SRV_PID" 2>/dev/null && pass "floe-server still runs" || fail "floe-server went away"
if "$VIEWER" --headless --duration 2 --snapshot "$T/dead.png" "$URI" >"$T/dead.out" 2>"$T/dead.err"; then
    ctl "snapshot $T/dead-srv.png" >/dev/null
    d=$(pixel_diff "$T/dead.png" "$T/dead-srv.png")
    [ "$d" = 0 ] && pass "a viewer connects while QEMU is down and sees the last picture" ||
        fail "viewer and server differ while QEMU is down ($d pixels)"
else
    fail "floe-viewer could not connect while QEMU was down: $(tail -n 2 "$T/dead.err")"
fi
ctl vm-pause >/dev/null 2>&1 && fail "vm-pause with QEMU down answered ok" ||
    pass "vm-pause with QEMU down is refused"

ctl vm-start >/dev/null
wait_for 30 ctl_has vm-status 'state=running' &&
    pass "vm-start: $(ctl vm-status | head -1)" || fail "vm-start: $(ctl vm-status | head -1)"
[ "$(vm_field pid)" != "$QPID" ] && pass "a new QEMU runs (pid $(vm_field pid))" ||
    fail "the pid did not change"
sleep 3
shots_match restarted
d=$(pixel_diff "$T/boot.png" "$T/restarted.png")
if [ -n "$d" ] && [ "$d" -lt 50 ]; then
    pass "the picture returned to SeaBIOS's prompt ($d pixels differ from the first boot)"
else
    fail "the restarted guest's picture is not the boot prompt (${d:-?} pixels differ)"
fi

ctl vm-stop >/dev/null
if wait_for 20 ctl_has vm-status 'state=stopped'; then
    pass "vm-stop: $(ctl vm-status | head -1)"
else
    fail "vm-stop: $(ctl vm-status | head -1)"
fi
grep -q "vm: QEMU died" <(grep -v killed-by-signal-9 "$T/server.err") &&
    fail "vm-stop was logged as a death" || true
kill -0 "$QPID" 2>/dev/null && fail "the killed QEMU is still there" || true
stop_server
finish
