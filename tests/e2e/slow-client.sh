#!/usr/bin/env bash
# A display client that stops reading: the server keeps a bounded backlog for
# it (pending draws are replaced by pixels) while another client is served
# normally and still ends pixel-exact.
. "$(dirname "$0")/../lib.sh"

echo "slow-pass" >"$T/pw"
start_server --password-file "$T/pw" --size 1920x1080
FLOE_PORT=$PORT FLOE_PASSWORD=slow-pass FLOE_STALL=14 "$TESTBIN/raw_client" >"$T/stall.out" 2>&1 &
STALL=$!; PIDS+=("$STALL")
wait_for 20 grep -q "stalled session" "$T/stall.out" || { cat "$T/stall.out"; fail "no stalled client"; finish; }
sid=$(sed -n 's/.*stalled session \([0-9]*\).*/\1/p' "$T/stall.out")
"$BIN/floe-viewer" --headless --duration 12 --settle 2 --snapshot "$T/viewer.png" \
    "spice://127.0.0.1:$PORT?password=slow-pass" >"$T/viewer.out" 2>"$T/viewer.err" &
VPID=$!; PIDS+=("$VPID")

# the backlog is looked at for 9 s of the viewer's 12, so that the freeze
# below comes while the viewer still runs, however slow each look is
max=0; until=$((SECONDS + 9))
while [ $SECONDS -lt $until ]; do
    sleep 1
    p=$(ctl clients | sed -n "s/^session $sid .*display_pending=\([0-9]*\).*/\1/p")
    [ -n "$p" ] && [ "$p" -gt "$max" ] && max=$p
done
echo "largest backlog for the stalled client: $max bytes"
[ "$max" -gt $((4 * 1024 * 1024)) ] && pass "the stalled client did fall behind ($max bytes pending)" ||
    fail "the stalled client never fell behind ($max bytes): the test proves nothing"
[ "$max" -le $((40 * 1024 * 1024)) ] && pass "its backlog stayed bounded (<= 40 MiB)" ||
    fail "backlog grew to $max bytes"
ctl freeze >/dev/null
sleep 1
ctl "snapshot $T/server.png" >/dev/null
wait "$VPID" && pass "the other client ran to the end" || { fail "floe-viewer failed"; cat "$T/viewer.err"; }
frames=$(sed -n 's/.*frames=\([0-9]*\).*/\1/p' <<<"$(tail -n1 "$T/viewer.out")")
[ "${frames:-0}" -gt 10 ] && pass "it received $frames frames" || fail "it received ${frames:-no} frames"
d=$(pixel_diff "$T/server.png" "$T/viewer.png")
[ "$d" = 0 ] && pass "its picture equals the server's" || fail "its picture differs in $d pixels"
wait "$STALL" || true

# a stalled client that also sends bad input is cut after a grace period,
# although it never takes the bytes the server still has for it
FLOE_PORT=$PORT FLOE_PASSWORD=slow-pass FLOE_STALL=20 FLOE_STALL_BAD=1 "$TESTBIN/raw_client" \
    >"$T/stall2.out" 2>&1 &
PIDS+=($!)
wait_for 20 grep -q "sent bad input" "$T/stall2.out" || { cat "$T/stall2.out"; fail "no bad client"; finish; }
sid=$(sed -n 's/.*stalled session \([0-9]*\).*/\1/p' "$T/stall2.out")
display_gone() { ctl clients | grep "^session $sid " | grep -qv ' display '; }
if wait_for 12 display_gone; then
    pass "a closing client that never reads is cut"
else
    fail "the closing client's display channel is still there"; ctl clients
fi
# a main channel flooded with requests by a client that reads no answer:
# the server stops reading from it instead of queueing answers without end
accepted=$(FLOE_PORT=$PORT FLOE_PASSWORD=slow-pass FLOE_FLOOD=1 "$TESTBIN/raw_client" |
    sed -n 's/^accepted \([0-9]*\)$/\1/p')
echo "the flooding client got $accepted bytes in before the server stopped reading"
[ "$accepted" -lt $((64 << 20)) ] && pass "a client that floods requests is throttled ($accepted bytes)" ||
    fail "the server kept reading a flooding client ($accepted bytes)"
ctl stats >/dev/null && pass "the server still answers" || fail "the server does not answer"
stop_server
finish
