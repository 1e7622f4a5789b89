#!/usr/bin/env bash
# Who renders, per client, from the client's own report: two headless
# floe-viewers on the demo, one of them a slow renderer (each draw message
# takes it 40 ms more, FLOE_TEST_RENDER_DELAY_US). That one reports (floe's
# RENDER_REPORT) spending most of its time rendering, and the server renders
# for it (`clients` says server-rendered, `stats` counts it) and merges
# what waits for it into few messages, while the
# other keeps getting draws it renders itself (ops_offloaded keeps rising);
# once the desktop is frozen both pictures equal the server's.
. "$(dirname "$0")/../lib.sh"

start_server --disable-ticketing --size 800x600
# the slow one works through what it was sent after the freeze: it takes its
# picture once nothing changed for 6 s after its 35 s (the checks below end
# sooner)
FLOE_TEST_RENDER_DELAY_US=40000 "$BIN/floe-viewer" --headless --duration 35 --settle 6 \
    --snapshot "$T/slow.png" "$URI" >"$T/slow.out" 2>"$T/slow.err" &
SLOW=$!; PIDS+=("$SLOW")
"$BIN/floe-viewer" --headless --duration 120 --snapshot "$T/fast.png" "$URI" \
    >"$T/fast.out" 2>"$T/fast.err" &
FAST=$!; PIDS+=("$FAST")

if wait_for 25 ctl_has clients 'server-rendered'; then
    pass "the slow viewer's display is rendered by the server: $(ctl clients | grep -c 'server-rendered') of $(ctl clients | grep -c '^session') sessions"
else
    fail "no display became server-rendered: $(ctl clients | tr '\n' ' ')"
fi
n=$(ctl clients | grep -c 'server-rendered')
[ "$n" = 1 ] && pass "only the slow viewer is rendered for" || fail "$n sessions server-rendered"
grep -q "the server renders for it" "$T/server.err" && pass "the server said why: $(grep -m1 'the server renders for it' "$T/server.err" | sed 's/^.*display/display/')" ||
    fail "no line said the server renders for a client"
k=$(ctl stats | sed -n 's/.*server_rendered_clients=\([0-9]*\).*/\1/p')
[ "$k" = 1 ] && pass "stats: server_rendered_clients=1" || fail "stats: $(ctl stats | head -n 1)"

# the other keeps rendering draws: the demo's text window blinks its caret
# as draw operations, which go on being offloaded; what waits for the slow
# one is merged by messages too (it is slow per message, however small):
# its queue stays near a second of what it renders
o1=$(ctl stats | sed -n 's/.*ops_offloaded=\([0-9]*\).*/\1/p')
most=0
for i in $(seq 1 12); do
    q=$(ctl clients | sed -n 's/.*(server-rendered).*display_queued=\([0-9]*\).*/\1/p')
    [ "${q:-0}" -gt "$most" ] && most=$q
    sleep 0.25
done
[ "$most" -le 256 ] && pass "the slow viewer's queue stayed at most $most messages (bound 256)" ||
    fail "the slow viewer's queue held $most messages"
o2=$(ctl stats | sed -n 's/.*ops_offloaded=\([0-9]*\).*/\1/p')
[ "${o2:-0}" -gt "${o1:-0}" ] && pass "draws still go to the fast viewer as draws ($o1 -> $o2 offloaded)" ||
    fail "no draw offloaded meanwhile ($o1 -> $o2)"

ctl freeze >/dev/null
ctl "snapshot $T/server.png" >/dev/null
# a video stream ends a second after its last frame, with the exact pixels
sleep 2
wait "$SLOW" || fail "the slow floe-viewer failed: $(tail -n 2 "$T/slow.err")"
viewer_catch_up "$FAST" || fail "the fast floe-viewer failed: $(tail -n 2 "$T/fast.err")"
for v in slow fast; do
    d=$(pixel_diff "$T/server.png" "$T/$v.png")
    [ "$d" = 0 ] && pass "the $v viewer's picture equals the server's (0 differing pixels)" ||
        { fail "the $v viewer's picture differs from the server's in $d pixels"
          tail -n 3 "$T/$v.err"; ctl clients; ctl stats | head -n 1; }
done
stop_server
finish
