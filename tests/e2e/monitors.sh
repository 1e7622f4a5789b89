#!/usr/bin/env bash
# Several monitors: floe-server --monitors 3 serves each on a DISPLAY channel
# of its own; floe-viewer --headless links all three and its snapshot of
# each equals the server's pixel for pixel; the pictures differ; a raw
# client sees DISPLAY 0..2 listed, DISPLAY 3 refused, monitor 2's channel
# with its own surface 0 and one head, and its pointer reaching monitor 2;
# --monitors 5 is refused with one line.
. "$(dirname "$0")/../lib.sh"

out=$("$BIN/floe-server" --disable-ticketing --monitors 5 2>&1) && rc=0 || rc=$?
if [ "$rc" = 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] &&
   grep -q -- "--monitors (1 to 4): '5'" <<<"$out"; then
    pass "--monitors 5 refused: $out"
else
    fail "--monitors 5 gave status $rc: $out"
fi

start_server --disable-ticketing --size 1024x640 --monitors 3
ctl help | grep -q "snapshot FILE.png \[MONITOR\]" && pass "help names the monitor argument" ||
    fail "help does not name the monitor argument"
if ctl "snapshot $T/none.png 3" >"$T/none.out"; then
    fail "a snapshot of monitor 3 of 3 was taken"
else
    grep -q "no monitor 3" "$T/none.out" && pass "snapshot of monitor 3 refused" ||
        fail "snapshot of monitor 3: $(cat "$T/none.out")"
fi

"$BIN/floe-viewer" --headless --duration 8 --settle 2 --snapshot "$T/viewer.png" "$URI" \
    >"$T/viewer.out" 2>"$T/viewer.err" &
VPID=$!; PIDS+=("$VPID")
sleep 2
for k in 0 1 2; do ctl "snapshot $T/early-$k.png $k" >/dev/null; done
sleep 2
ctl freeze >/dev/null
sleep 1.5
for k in 0 1 2; do ctl "snapshot $T/server-$k.png $k" >/dev/null; done
# (a display the server renders for, on a busy machine, says so after its name)
ctl clients | sed 's/(server-rendered)//g' |
    grep -q "channels: main display display:1 display:2 inputs cursor" &&
    pass "the session holds the three display channels" ||
    fail "clients: $(ctl clients | head -1)"
if wait "$VPID"; then pass "floe-viewer exited cleanly"; else fail "floe-viewer failed"; cat "$T/viewer.err"; fi
cat "$T/viewer.out"
for k in 0 1 2; do
    v=$T/viewer.png; [ "$k" = 0 ] || v=$T/viewer-$k.png
    [ -f "$v" ] || { fail "no viewer snapshot for monitor $k ($v)"; continue; }
    d=$(pixel_diff "$T/server-$k.png" "$v")
    [ "$d" = 0 ] && pass "monitor $k: viewer snapshot equals the server's (0 differing pixels)" ||
        fail "monitor $k: viewer snapshot differs from the server's in $d pixels"
    d=$(pixel_diff "$T/early-$k.png" "$T/server-$k.png")
    [ "$d" != 0 ] && pass "monitor $k was updated ($d pixels changed)" ||
        fail "monitor $k did not change"
    line=$(grep "^monitor=$k " "$T/viewer.out" || true)
    frames=$(sed -n 's/.* frames=\([0-9]*\).*/\1/p' <<<"$line")
    [ "${frames:-0}" -gt 10 ] && grep -q "size=1024x640" <<<"$line" &&
        pass "monitor $k reported: $line" || fail "monitor $k report: '$line'"
done
[ ! -e "$T/viewer-3.png" ] && pass "no snapshot for a fourth monitor" || fail "viewer-3.png written"
for pair in "0 1" "0 2" "1 2"; do
    set -- $pair
    d=$(pixel_diff "$T/server-$1.png" "$T/server-$2.png")
    [ "$d" -gt 100000 ] && pass "monitors $1 and $2 differ ($d pixels)" ||
        fail "monitors $1 and $2 differ in only $d pixels"
done

if FLOE_PORT=$PORT FLOE_PASSWORD=x FLOE_MONITORS=3 "$TESTBIN/raw_client" >"$T/raw.out" 2>&1; then
    pass "raw client: channel list, DISPLAY 3 refused, monitor 2's channel"
else
    fail "raw client:"; cat "$T/raw.out"
fi
wait_for 5 grep -q "pointer on monitor 2 at 10,20" "$T/server.err" &&
    pass "a pointer on display 2 reached monitor 2 of the input sink" ||
    fail "no pointer on monitor 2 in the log"
grep -q "pointer on monitor 3" "$T/server.err" && fail "a pointer on display 3 was taken" ||
    pass "a pointer on display 3 (not served) was dropped"
stop_server
finish
