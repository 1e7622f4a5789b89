#!/usr/bin/env bash
# The reference client on a unix socket: a host of libfloe-server's public
# API (api_host) listens with floe_server_listen_unix, exclusive; remote-viewer
# links every channel over spice+unix:// and shows the host's picture pixel
# for pixel; a second remote-viewer replaces the first; the channel events
# pair up and the socket file goes with the server. And floe-server itself
# with --listen unix:PATH: an owner-only socket whatever the umask,
# floe-viewer's spice+unix:// picture equal to the server's, no TCP.
. "$(dirname "$0")/../lib.sh"

# ---- floe-server --listen unix:PATH, floe-viewer over spice+unix:// ----
FSOCK=$T/floe.sock
old_umask=$(umask)
umask 000
start_server --disable-ticketing --size 640x480 --listen "unix:$FSOCK"
umask "$old_umask"
[ "$URI" = "spice+unix://$FSOCK" ] && pass "floe-server prints $URI" ||
    fail "floe-server printed '$URI', not spice+unix://$FSOCK"
mode=$(stat -c %a "$FSOCK" 2>/dev/null || echo none)
[ "$mode" = 600 ] && pass "floe-server's socket is owner-only under umask 000 (mode $mode)" ||
    fail "floe-server's socket: mode $mode, not 600"
tcp=$(tcp_listeners "$SRV_PID")
[ -z "$tcp" ] && pass "floe-server listens on no TCP port" || fail "floe-server listens on TCP: $tcp"
ctl freeze >/dev/null
ctl "snapshot $T/floe-server.png" >/dev/null
if "$BIN/floe-viewer" --headless --duration 2 --settle 1 --snapshot "$T/floe-viewer.png" "$URI" \
        >"$T/floe-viewer.out" 2>"$T/floe-viewer.err"; then
    d=$(pixel_diff "$T/floe-server.png" "$T/floe-viewer.png")
    [ "$d" = 0 ] && pass "floe-viewer over $URI shows the server's picture (0 pixels differ)" ||
        fail "floe-viewer's picture differs from the server's in $d pixels"
else
    fail "floe-viewer over $URI: $(tail -n 1 "$T/floe-viewer.err")"
fi
grep -q "unix client: channel 1:0 linked" "$T/server.err" &&
    pass "the server saw the viewer come in over the unix socket" ||
    fail "the server's log shows no unix client"
stop_server
[ -e "$FSOCK" ] && fail "$FSOCK is still there" || pass "the socket is gone once floe-server quit"

if ! command -v remote-viewer >/dev/null || ! command -v Xvfb >/dev/null; then
    skip "remote-viewer on a unix socket" "remote-viewer or Xvfb is not installed"
    finish
fi
W=800; H=600
SOCK=$T/spice.sock
EV=$T/events
start_xvfb ${W}x${H}
"$TESTBIN/api_host" --unix "$SOCK" --size ${W}x${H} --snapshot "$T/host.png" --exclusive \
    >"$EV" 2>"$T/host.err" &
HOST=$!; PIDS+=("$HOST")
if ! wait_for 20 grep -q '^listening' "$EV"; then
    cat "$T/host.err"; echo "FAIL: api_host did not listen"; exit 1
fi
[ -S "$SOCK" ] && pass "the host listens on a unix socket file" || fail "no socket file at $SOCK"

lines() { # EVENT [SESSION]: how many lines of that event (of that session)
    grep -c "^$1 .*session=${2:-}" "$EV" || true
}
# the session ids of the MAIN channels initialized, in order
sessions() { sed -n 's/^initialized .* type=1 .*session=\([0-9]*\) .*/\1/p' "$EV"; }

# ---- the first client: every channel over the socket, and the picture ----
remote-viewer --full-screen "spice+unix://$SOCK" >"$T/rv1.log" 2>&1 &
PIDS+=($!)
if wait_for 60 sh -c "[ \$(grep -c '^initialized' '$EV') -ge 4 ]"; then
    pass "remote-viewer linked 4 channels over the unix socket"
else
    fail "remote-viewer did not link its channels"; cat "$EV" "$T/rv1.log"
fi
S1=$(sessions | head -n 1)
types=$(sed -n "s/^initialized .*type=\([0-9]*\) .*session=$S1 .*/\1/p" "$EV" | sort | tr '\n' ' ')
[ "$types" = "1 2 3 4 " ] && pass "main, display, inputs and cursor (types: $types)" ||
    fail "channel types linked: $types"
if grep '^\(connected\|initialized\)' "$EV" | grep -qv 'local=unix peer=unix'; then
    fail "an event names a socket that is not a unix one: $(grep -v 'local=unix peer=unix' "$EV" | head -n 1)"
else
    pass "every event names unix sockets at both ends"
fi
best=unset
for i in 1 2 3 4 5 6 7 8 9 10; do
    sleep 1
    import -window root "$T/rv.png"
    best=$(pixel_diff "$T/host.png" "$T/rv.png")
    [ "$best" = 0 ] && break
done
if [ "$best" = 0 ]; then
    pass "remote-viewer shows the host's picture (0 of $((W * H)) pixels differ)"
else
    fail "remote-viewer's screen differs from the host's picture in $best pixels"
fi

# ---- exclusive: a second client replaces the first ----
remote-viewer "spice+unix://$SOCK" >"$T/rv2.log" 2>&1 &
PIDS+=($!)
if wait_for 60 sh -c "[ \$(grep -c '^initialized .* type=1 ' '$EV') -ge 2 ]"; then
    S2=$(sessions | sed -n 2p)
    if wait_for 20 sh -c "[ \$(grep -c '^disconnected .*session=$S1 ' '$EV') -ge 4 ]"; then
        pass "the second client's session $S2 disconnected all 4 channels of session $S1"
    else
        fail "session $S1 was not disconnected: $(lines disconnected "$S1 ") channels"
    fi
    wait_for 30 sh -c "[ \$(grep -c '^initialized .*session=$S2 ' '$EV') -ge 4 ]" || true
    sleep 2
    n2=$(lines initialized "$S2 "); d2=$(lines disconnected "$S2 ")
    [ "$n2" -ge 4 ] && [ "$d2" = 0 ] && pass "session $S2 stays: $n2 channels, none disconnected" ||
        fail "session $S2: $n2 channels linked, $d2 disconnected"
else
    fail "the second remote-viewer did not link"; cat "$T/rv2.log"
fi

# ---- the end: every connection closed once, the socket file gone ----
kill -TERM "$HOST"
if wait "$HOST"; then pass "the host closed the server cleanly"
else fail "the host exited with an error"; tail -n 20 "$T/host.err"; fi
[ -e "$SOCK" ] && fail "the socket file is still there" || pass "the socket file is gone"
opened=$(sed -n 's/^connected conn=\([0-9]*\) .*/\1/p' "$EV" | sort)
closed=$(sed -n 's/^disconnected conn=\([0-9]*\) .*/\1/p' "$EV" | sort)
if [ -n "$opened" ] && [ "$opened" = "$closed" ]; then
    pass "each of the $(wc -l <<<"$opened") connections was disconnected exactly once"
else
    fail "connected and disconnected do not pair: $(echo $opened) / $(echo $closed)"
fi
finish
