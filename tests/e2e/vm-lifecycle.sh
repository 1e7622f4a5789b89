#!/usr/bin/env bash
# The VM's lifecycle through floe-server's control socket, on the Linux test
# guest booted from an overlay on a read-only template: vm-hibernate saves
# the guest and ends QEMU, vm-restore brings back the same screen and a shell
# that still takes keys, vm-snapshot / vm-snapshot-load return to a saved
# screen, vm-cdrom changes and ejects the medium, and bad input is refused.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/qemu-lib.sh
for tool in socat qemu-img sha256sum; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed"; exit 1; }
done
start=$SECONDS
build_guest

op_is() { [ "$(vm_field op)" = "$1" ]; }
serial_has() { grep -aq "$1" "$T/serial.log"; }

# the CD-ROM's medium through the second monitor the config adds
# (floe-server holds the first)
cd_medium() { # the file in the CD-ROM drive, or "none"
    qmp_return "$QMP" query-block | python3 -c '
import json, sys
for d in json.load(sys.stdin):
    if d.get("qdev") == "cdrom0":
        print(d["inserted"]["file"] if "inserted" in d else "none")'
}

# type_line NAME TEXT: types TEXT and Enter through floe-viewer
type_line() {
    "$VIEWER" --headless --duration 6 --type "$2"$'\n' "$URI" >"$T/$1.out" 2>"$T/$1.err" ||
        fail "$1: floe-viewer --type failed: $(tail -n 2 "$T/$1.err")"
}

# still_shot NAME: floe-viewer's snapshot of the still console, checked
# against the server's own; leaves NAME.png
still_shot() {
    local name=$1 attempt d
    for attempt in 1 2 3; do
        if ! "$VIEWER" --headless --duration 2 --snapshot "$T/$name.png" "$URI" \
                >"$T/$name.out" 2>"$T/$name.err"; then
            fail "$name: floe-viewer failed: $(tail -n 2 "$T/$name.err")"; return
        fi
        ctl "snapshot $T/$name.srv.png" >/dev/null
        d=$(pixel_diff "$T/$name.png" "$T/$name.srv.png")
        if [ "$d" = 0 ]; then
            pass "$name: floe-viewer's snapshot equals the server's"; return
        fi
        echo "  $name: attempt $attempt: ${d:-?} pixels differ, retrying"
        sleep 1
    done
    fail "$name: floe-viewer's and the server's pictures differ"
}

same_picture() { # WHAT a.png b.png
    local d
    d=$(pixel_diff "$2" "$3")
    [ "$d" = 0 ] && pass "$1 (0 differing pixels)" || fail "$1: ${d:-?} pixels differ"
}

truncate -s 16M "$T/template.img"
printf 'floe template\n' | dd of="$T/template.img" conv=notrunc status=none
chmod a-w "$T/template.img"
sum_before=$(sha256sum <"$T/template.img")
mtime_before=$(stat -c %Y "$T/template.img")
QMP=$T/test-qmp.sock
cat >"$T/vm.conf" <<CONF
memory = 128
accel = tcg
stop_timeout = 1
kernel = $KERNEL
initrd = $INITRD
append = $GUEST_APPEND
template = $T/template.img
# append: a restored QEMU opens the log again
extra = -chardev file,id=ser,path=$T/serial.log,append=on -serial chardev:ser -qmp unix:$QMP,server=on,wait=off
CONF
start_server --disable-ticketing --vm "$T/vm.conf"
boot=$SECONDS
if ! wait_for 60 serial_has "^floe-guest ready"; then
    fail "no banner in 60 s: $(ctl vm-status)"; tail -n 20 "$T/server.err"; finish
fi
pass "the guest booted in $((SECONDS - boot)) s: $(ctl vm-status | head -1)"
OVERLAY=$(vm_field disk)
grep -q "vm: created the overlay $OVERLAY on $T/template.img" "$T/server.err" &&
    pass "the server created the overlay $OVERLAY" || fail "no overlay was created ($OVERLAY)"
sleep 1

# a marker on the screen, so the picture is this session's
a=$((RANDOM % 900 + 100)); b=$((RANDOM % 900 + 100))
type_line mark "echo floe-mark-\$(($a*$b)) >/dev/ttyS0"
wait_for 20 serial_has "floe-mark-$((a * b))" && pass "typed command ran before hibernation" ||
    fail "the marker command did not run"
sleep 1
still_shot before

# hibernation
QPID=$(vm_field pid)
ctl "vm-hibernate $T/state.bin" >/dev/null && pass "vm-hibernate answered ok" ||
    fail "vm-hibernate: $(ctl "vm-hibernate $T/state.bin")"
t0=$SECONDS
if wait_for 60 state_is hibernated; then
    pass "hibernated in $((SECONDS - t0)) s: $(ctl vm-status | head -1)"
else
    fail "not hibernated: $(ctl vm-status | head -1)"; tail -n 5 "$T/server.err"
fi
kill -0 "$QPID" 2>/dev/null && fail "QEMU (pid $QPID) still runs" || pass "QEMU is gone"
[ "$(vm_field pid)" = 0 ] && op_is hibernate:done && pass "vm-status: pid=0 op=hibernate:done" ||
    fail "vm-status after hibernation: $(ctl vm-status | head -1)"
size=$(stat -c %s "$T/state.bin" 2>/dev/null || echo 0)
[ "$size" -gt 100000 ] && pass "the saved state has $size bytes" || fail "the saved state has $size bytes"
ctl "snapshot $T/hib.srv.png" >/dev/null
same_picture "the server keeps the picture while hibernated" "$T/before.png" "$T/hib.srv.png"

# bad input while hibernated
out=$(ctl "vm-restore $T/no-such.state" || true)
[[ "$out" == "error: "*"No such file"* ]] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] &&
    pass "vm-restore of a missing file: $out" || fail "vm-restore of a missing file answered: $out"
: >"$T/empty.state"
out=$(ctl "vm-restore $T/empty.state" || true)
[[ "$out" == "error: "* ]] && pass "vm-restore of an empty file: $out" ||
    fail "vm-restore of an empty file answered: $out"
out=$(ctl "vm-snapshot s0" || true)
[[ "$out" == "error: the VM is hibernated" ]] && pass "vm-snapshot while hibernated: $out" ||
    fail "vm-snapshot while hibernated answered: $out"
kill -0 "$SRV_PID" 2>/dev/null && state_is hibernated && pass "the server stays up, still hibernated" ||
    fail "the server or its state changed after bad input"

# restore
ctl "vm-restore $T/state.bin" >/dev/null && pass "vm-restore answered ok" ||
    fail "vm-restore: $(ctl "vm-restore $T/state.bin")"
t0=$SECONDS
if wait_for 60 op_is restore:done && state_is running; then
    pass "restored in $((SECONDS - t0)) s: $(ctl vm-status | head -1)"
else
    fail "not restored: $(ctl vm-status | head -1)"; tail -n 5 "$T/server.err"
fi
[ "$(vm_field pid)" != "$QPID" ] && [ "$(vm_field pid)" != 0 ] && pass "a new QEMU runs" ||
    fail "no new QEMU"
sleep 2
still_shot restored
same_picture "after vm-restore the picture is the one before hibernation" "$T/before.png" "$T/restored.png"
out=$(ctl "vm-restore $T/state.bin" || true)
[[ "$out" == "error: the VM is running"* ]] && pass "vm-restore while running: $out" ||
    fail "vm-restore while running answered: $out"
c=$((RANDOM % 900 + 100)); d=$((RANDOM % 900 + 100))
type_line after "echo floe-after-\$(($c*$d)) >/dev/ttyS0"
wait_for 20 serial_has "floe-after-$((c * d))" && pass "typing works after the restore" ||
    fail "the command typed after the restore did not run"
sleep 1

# live snapshots in the overlay
still_shot s1
ctl "vm-snapshot s1" >/dev/null || fail "vm-snapshot s1: $(ctl "vm-snapshot s1")"
wait_for 60 op_is savevm:done && pass "vm-snapshot s1: op=savevm:done" ||
    fail "vm-snapshot s1: $(ctl vm-status | head -1)"
e=$((RANDOM % 900 + 100))
type_line change "echo floe-changed-$e >/dev/ttyS0"
wait_for 20 serial_has "floe-changed-$e" || fail "the command after the snapshot did not run"
sleep 1
still_shot changed
n=$(pixel_diff "$T/s1.png" "$T/changed.png")
[ -n "$n" ] && [ "$n" -gt 100 ] && pass "the screen changed after the snapshot ($n pixels)" ||
    fail "the screen did not change after the snapshot (${n:-?} pixels)"
ctl "vm-snapshot-load s1" >/dev/null || fail "vm-snapshot-load s1: $(ctl "vm-snapshot-load s1")"
wait_for 60 op_is loadvm:done && pass "vm-snapshot-load s1: op=loadvm:done" ||
    fail "vm-snapshot-load s1: $(ctl vm-status | head -1)"
state_is running && pass "the guest runs after loading the snapshot" ||
    fail "after loadvm: $(ctl vm-status | head -1)"
sleep 2
still_shot loaded
same_picture "vm-snapshot-load s1 brings back the picture at s1" "$T/s1.png" "$T/loaded.png"
ctl "vm-snapshot-load nope" >/dev/null || true
wait_for 30 op_is loadvm:failed && pass "loading a missing snapshot fails: $(grep 'loadvm failed' "$T/server.err" | tail -n 1)" ||
    fail "loading a missing snapshot: $(ctl vm-status | head -1)"
out=$(ctl "vm-snapshot a;b" || true)
[[ "$out" == "error: a snapshot name"* ]] && pass "a bad snapshot name is refused: $out" ||
    fail "a bad snapshot name answered: $out"

# the CD-ROM
if command -v genisoimage >/dev/null; then
    mkdir "$T/disc" && echo floe >"$T/disc/README"
    genisoimage -quiet -o "$T/disc.iso" "$T/disc"
else
    head -c 1048576 /dev/zero >"$T/disc.iso"   # QEMU takes any raw file as a medium
fi
[ "$(cd_medium)" = none ] && pass "the CD-ROM drive starts empty" || fail "CD-ROM: $(cd_medium)"
ctl "vm-cdrom $T/disc.iso" >/dev/null || fail "vm-cdrom: $(ctl "vm-cdrom $T/disc.iso")"
wait_for 20 op_is cdrom:done && [ "$(cd_medium)" = "$T/disc.iso" ] &&
    pass "vm-cdrom: query-block shows $(cd_medium)" || fail "vm-cdrom: medium $(cd_medium), $(ctl vm-status)"
ctl "vm-cdrom eject" >/dev/null || fail "vm-cdrom eject: $(ctl "vm-cdrom eject")"
wait_for 20 op_is eject:done && [ "$(cd_medium)" = none ] &&
    pass "vm-cdrom eject: the drive is empty" || fail "eject: medium $(cd_medium)"
out=$(ctl "vm-cdrom $T/no-such.iso" || true)
[[ "$out" == "error: "*"No such file"* ]] && pass "vm-cdrom of a missing file: $out" ||
    fail "vm-cdrom of a missing file answered: $out"

# the template is untouched; the overlay is qcow2 on it and holds s1
[ "$(sha256sum <"$T/template.img")" = "$sum_before" ] && [ "$(stat -c %Y "$T/template.img")" = "$mtime_before" ] &&
    pass "the template's checksum and mtime are unchanged" || fail "the template changed"
info=$(qemu-img info -U "$OVERLAY")
if grep -q "^file format: qcow2" <<<"$info" && grep -q "^backing file: $T/template.img" <<<"$info"; then
    pass "the overlay is qcow2 on the template"
else
    fail "qemu-img info of the overlay: $info"
fi
qemu-img snapshot -U -l "$OVERLAY" | grep -q " s1 " && pass "the overlay holds snapshot s1" ||
    fail "no s1 in the overlay"
ctl help | grep -q "vm-hibernate FILE | vm-restore FILE | vm-cdrom FILE|eject | vm-snapshot NAME | vm-snapshot-load NAME" &&
    pass "help lists the new commands" || fail "help: $(ctl help)"

stop_server
[ ! -e "$OVERLAY" ] && pass "the overlay in the run folder went with the server" ||
    fail "the overlay $OVERLAY is left behind"
echo "total $((SECONDS - start)) s"
finish
