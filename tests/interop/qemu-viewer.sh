#!/usr/bin/env bash
# floe-viewer against QEMU's built-in SPICE server (libspice-server): the
# viewer's snapshot must equal QMP's screendump pixel for pixel (std VGA and
# QXL), tickets must work (right password in, wrong one refused with
# PERMISSION_DENIED), keys typed with --type must reach the guest (SeaBIOS
# boot menu), LZ and LZ4 images decode exactly, and bad arguments must fail
# with one line.
# Environment: BIN (default build/bin), QEMU (default qemu-system-x86_64).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../qemu-lib.sh"

# ---- the peers ----
NOCOMP="image-compression=off,streaming-video=off"
start_vm std "disable-ticketing=on,$NOCOMP" -device VGA
start_vm qxl "disable-ticketing=on,$NOCOMP" -vga qxl
start_vm pw "password-secret=sec0,$NOCOMP" -object secret,id=sec0,data=floe-pass -device VGA
# QEMU's defaults (image-compression=auto_glz, streaming on): the viewer
# asks for nothing and decodes what comes
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
# started now, not with the others: SeaBIOS offers its menu for 60 s at most,
# and on a busy machine the checks above can take longer
boot_menu_opens "disable-ticketing=on,$NOCOMP"

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
