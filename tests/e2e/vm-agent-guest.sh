#!/usr/bin/env bash
# floe-agent in the Linux test guest with floe-server --vm (the agent's port
# on the socket floe-server made, the VGA on bochs: floe.drm=1), through
# floe-viewer: the server attaches the agent once the guest opens its port;
# --clipboard-set's text (over 2048 bytes) is what `floe-agent clip get`
# reads in the guest, and text set there with `floe-agent clip set` (short,
# and over 2048 bytes) reaches --clipboard-out whole; a file sent with
# --send-file (300 KB of random bytes) arrives byte-exact in the guest's
# /root/Downloads; --guest-size 1000x700 becomes the guest's display mode,
# read back through KMS (`floe-agent kms`), and the picture's size.
cd "$(dirname "$0")/../.."
. tests/lib.sh
for tool in socat md5sum sha256sum; do
    command -v $tool >/dev/null || { echo "FAIL: $tool is not installed"; exit 1; }
done
VIEWER=$BIN/floe-viewer
build_guest

SER=$T/serial.sock
cat >"$T/vm.conf" <<EOF2
memory = 256
accel = auto
kernel = $KERNEL
initrd = $INITRD
append = $GUEST_APPEND floe.drm=1
stop_timeout = 1
extra = -chardev socket,id=ser,path=$SER,server=on,wait=off,logfile=$T/serial.log -serial chardev:ser
EOF2
start_server --disable-ticketing --vm "$T/vm.conf"
if ! wait_for 120 grep -a -q "floe-guest ready" "$T/serial.log"; then
    fail "no banner from the guest"; tail -n 5 "$T/serial.log"; tail -n 5 "$T/server.err"; finish
fi
if wait_for 60 ctl_has stats 'agent=1'; then
    pass "floe-agent opened its port in the guest: the server attached it"
else
    fail "the server has no agent: $(ctl stats | head -n 1)"
    guest_line floe-log "cat /tmp/floe-agent.log | tr '\\n' '|'" || true
    finish
fi
sleep 1 # the shell's prompt

# ---- the clipboard, both ways, through one viewer ----
long="floe-clip-$RANDOM-$(printf 'the quick brown fox %.0s' $(seq 1 120))end"
want=$(printf '%s' "$long" | md5sum | cut -d' ' -f1)
"$VIEWER" --headless --duration 120 --clipboard-set "$long" --clipboard-out "$T/clip.txt" \
    "$URI" >"$T/v.out" 2>"$T/v.err" &
V=$!; PIDS+=($V)
wait_for 30 grep -q "agent is connected" "$T/v.err" || fail "the viewer saw no agent: $(tail -n 2 "$T/v.err")"
got=
for i in $(seq 1 10); do
    got=$(guest_line "floe-get-$i" "floe-agent clip get --timeout 5 | md5sum | cut -c1-32" || true)
    [ "$got" = "$want" ] && break
    sleep 1
done
[ "$got" = "$want" ] &&
    pass "--clipboard-set's ${#long} bytes are what 'floe-agent clip get' reads in the guest" ||
    fail "'floe-agent clip get' read md5 '$got', not $want"
for n in 1 150; do
    text_cmd="i=0; while [ \$i -lt $n ]; do echo \"floe guest line \$i of $n: pack my box\"; i=\$((i+1)); done"
    bash -c "$text_cmd" >"$T/want-$n.txt"
    guest_run "( $text_cmd ) | floe-agent clip set"
    if wait_for 30 cmp -s "$T/want-$n.txt" "$T/clip.txt"; then
        pass "text set in the guest ($(wc -c <"$T/want-$n.txt") bytes) reached --clipboard-out whole"
    else
        fail "--clipboard-out holds $(wc -c <"$T/clip.txt" 2>/dev/null || echo no) bytes, not the $(wc -c <"$T/want-$n.txt") set in the guest"
    fi
done
kill "$V" 2>/dev/null; wait "$V" 2>/dev/null || true

# ---- a file ----
head -c 300000 /dev/urandom >"$T/floe-file.bin"
sum=$(sha256sum "$T/floe-file.bin" | cut -c1-64)
if timeout 120 "$VIEWER" --headless --duration 90 --send-file "$T/floe-file.bin" "$URI" \
        >"$T/x.out" 2>"$T/x.err" && grep -q 'state=done' "$T/x.out"; then
    pass "--send-file: $(grep -c '^file_xfer' "$T/x.out") progress lines, the last: $(grep '^file_xfer' "$T/x.out" | tail -n 1)"
else
    fail "--send-file did not finish: $(tail -n 1 "$T/x.out") $(tail -n 1 "$T/x.err")"
fi
got=$(guest_line floe-sha "sha256sum /root/Downloads/floe-file.bin | cut -c1-64" || true)
[ "$got" = "$sum" ] && pass "the file arrived byte-exact in the guest's /root/Downloads" ||
    fail "the guest's copy has sha256 '$got', not $sum"

# ---- the monitors config: the guest's mode ----
"$VIEWER" --headless --guest-size 1000x700 --duration 6 "$URI" >"$T/g.out" 2>"$T/g.err" || true
mode=
for i in $(seq 1 10); do
    mode=$(guest_line "floe-kms-$i" "floe-agent kms | tr '\\n' ' '" || true)
    [[ "$mode" == *"mode 1000x700"* ]] && break
    sleep 1
done
[[ "$mode" == *"mode 1000x700"* ]] && pass "--guest-size 1000x700 became the guest's mode through KMS ($mode)" ||
    fail "the guest's mode after --guest-size 1000x700: $mode"
size_seen() { "$VIEWER" --headless --duration 2 "$URI" 2>/dev/null | grep -qE 'size=1000x700( |$)'; }
wait_for 30 size_seen && pass "the picture floe-server sends is 1000x700 too" ||
    fail "the picture did not follow the guest's mode: $("$VIEWER" --headless --duration 2 "$URI" 2>/dev/null | grep -o 'size=[0-9x]*')"
ctl_has stats 'agent_dropped=0' && pass "the relay dropped nothing" || fail "dropped: $(ctl stats | head -n 1)"
ctl vm-stop >/dev/null || true
stop_server
finish
