#!/usr/bin/env bash
# The reference client's clipboard against floe-server's demo and its
# built-in guest agent: remote-viewer under Xvfb (X11 needs no focus for
# the clipboard), text put on the X clipboard with xclip reaches the demo's
# notes, a text over 2048 bytes too (several chunks and AGENT_DATA pieces),
# and the text the demo puts on its clipboard is what xclip -o reads.
. "$(dirname "$0")/../lib.sh"

command -v xclip >/dev/null || { echo "SKIP: xclip is not installed (make deps)"; exit 77; }
W=800; H=600
start_server --disable-ticketing --size ${W}x${H}
start_xvfb ${W}x${H}
remote-viewer "spice://127.0.0.1:$PORT" >"$T/rv.log" 2>&1 &
PIDS+=($!)
if wait_for 60 ctl_has clients 'display'; then
    pass "remote-viewer linked"
else
    fail "remote-viewer did not link"; cat "$T/rv.log"; finish
fi
ctl_has stats 'agent=1' && pass "the demo's agent is attached" || fail "no agent: $(ctl stats | head -n 1)"
# the client starts the agent and announces itself: the demo answers
wait_for 20 ctl_has stats 'agent_from_guest=[1-9]' && pass "the demo's agent spoke to remote-viewer" ||
    fail "the demo's agent said nothing to the client: $(ctl stats | head -n 1)"

# X -> demo: xclip holds the selection until it is killed
word="from-X-$RANDOM"
put_x_clipboard "$word"
if wait_for 30 ctl_has_text typed "$word"; then
    pass "text on the X clipboard reached the demo's notes"
else
    fail "the demo's notes do not hold the X clipboard's text: $(ctl typed | head -c 300)"
    tail -n 20 "$T/server.err"
fi
long="long-$RANDOM-$(printf 'abcdefghij%.0s' $(seq 1 300))-end-$RANDOM"
put_x_clipboard "$long"
if wait_for 30 ctl_has_text typed "$long"; then
    pass "a text of ${#long} bytes on the X clipboard reached the demo's notes whole"
else
    fail "the ${#long}-byte text did not arrive whole: $(ctl typed | tail -c 200)"
fi

# demo -> X: the demo grabs, remote-viewer offers it, xclip -o asks for it
text="from-demo-$RANDOM"
ctl "clip-set $text" >/dev/null || fail "clip-set failed"
x_clipboard_reads "$text" && pass "the demo's clipboard reached the X clipboard" ||
    fail "xclip -o read '$X_CLIPBOARD', not '$text'"
big="big-$(printf '0123456789%.0s' $(seq 1 250))-$RANDOM"
ctl "clip-set $big" >/dev/null || fail "clip-set failed"
x_clipboard_reads "$big" && pass "a clipboard of ${#big} bytes from the demo reached X whole" ||
    fail "xclip -o read ${#X_CLIPBOARD} bytes, not the ${#big} the demo offered"
ctl_has stats 'agent_dropped=0' && pass "nothing was dropped" || fail "dropped: $(ctl stats | head -n 1)"
stop_server
finish
