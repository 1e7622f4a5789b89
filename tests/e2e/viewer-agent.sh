#!/usr/bin/env bash
# floe-viewer's clipboard against floe-server's demo and its built-in guest
# agent. Headless: --clipboard-set's text (over 2048 bytes: several
# AGENT_DATA pieces) reaches the demo's notes, and what the demo puts on
# its clipboard (short, and over 2048 bytes) is written whole to
# --clipboard-out's file; --send-file to an agent that says it takes no
# files (FILE_XFER_DISABLED) ends with a clear failure and exit 1;
# --guest-size makes the demo's desktop that size, its notes kept. With a
# window under Xvfb (SDL's X11 clipboard): text put on the X clipboard with xclip reaches the notes, and
# the demo's clipboard is what xclip -o reads; the window resized with
# xdotool resizes the demo's desktop; with --no-clipboard the X clipboard
# stays the viewer's own.
. "$(dirname "$0")/../lib.sh"

command -v xclip >/dev/null || { echo "SKIP: xclip is not installed (make deps)"; exit 77; }
VIEWER=$BIN/floe-viewer
start_server --disable-ticketing --size 800x600

# ---- headless ----
long="viewer-$RANDOM-$(printf 'klmnopqrst%.0s' $(seq 1 300))-end-$RANDOM"
"$VIEWER" --headless --duration 60 --clipboard-set "$long" --clipboard-out "$T/clip.txt" \
    "spice://127.0.0.1:$PORT" >"$T/v1.out" 2>"$T/v1.err" &
V1=$!; PIDS+=($V1)
if wait_for 30 ctl_has_text typed "$long"; then
    pass "--clipboard-set's ${#long} bytes reached the demo's notes whole"
else
    fail "the demo's notes do not hold --clipboard-set's text: $(ctl typed | tail -c 200)"
    tail -n 20 "$T/v1.err"
fi
for text in "from-demo-$RANDOM" "big-$(printf '0123456789%.0s' $(seq 1 260))-$RANDOM"; do
    ctl "clip-set $text" >/dev/null || fail "clip-set failed"
    if wait_for 30 bash -c '[ "$(cat "$1" 2>/dev/null)" = "$2" ]' _ "$T/clip.txt" "$text"; then
        pass "the demo's clipboard (${#text} bytes) reached --clipboard-out whole"
    else
        fail "--clipboard-out holds '$(head -c 80 "$T/clip.txt" 2>/dev/null)', not the ${#text} bytes the demo offered"
    fi
done
kill "$V1" 2>/dev/null; wait "$V1" 2>/dev/null || true

# --guest-size: the demo's agent makes its desktop that size, notes kept
if timeout 60 "$VIEWER" --headless --guest-size 1024x700 --duration 4 \
        "spice://127.0.0.1:$PORT" >"$T/g.out" 2>"$T/g.err" && grep -q 'size=1024x700 ' "$T/g.out"; then
    pass "--guest-size 1024x700: the demo's desktop took the size asked for"
else
    fail "--guest-size 1024x700 left the desktop at: $(grep -o 'size=[0-9x]*' "$T/g.out")"
fi
ctl_has_text typed "$long" && pass "the notes kept their text through the resize" ||
    fail "the notes lost their text when the desktop was resized"

# a file to an agent that takes none: a clear failure
head -c 10000 /dev/urandom >"$T/file.bin"
if timeout 60 "$VIEWER" --headless --duration 30 --send-file "$T/file.bin" \
        "spice://127.0.0.1:$PORT" >"$T/v2.out" 2>"$T/v2.err"; then
    fail "--send-file to the demo, whose agent takes no files, exited 0"
elif grep -q "state=failed error=\"the guest's agent takes no files\"" "$T/v2.out"; then
    pass "--send-file to an agent that takes no files (FILE_XFER_DISABLED) fails at once and says so"
else
    fail "--send-file failed without saying why: $(tail -n 2 "$T/v2.out" "$T/v2.err")"
fi

# ---- with a window: SDL's clipboard ----
start_xvfb 1280x1024   # (room for the window and its frame: the window manager leaves its size)
"$VIEWER" "spice://127.0.0.1:$PORT" >"$T/w.out" 2>"$T/w.err" &
W1=$!; PIDS+=($W1)
wait_for 30 ctl_has clients 'display' || fail "the windowed viewer did not link"
sleep 1
word="from-X-$RANDOM"
put_x_clipboard "$word"
if wait_for 30 ctl_has_text typed "$word"; then
    pass "text on the X clipboard reached the demo's notes through floe-viewer's window"
else
    fail "the X clipboard's text did not reach the demo: $(ctl typed | tail -c 200)"
    tail -n 20 "$T/w.err"
fi
text="demo-to-X-$RANDOM"
ctl "clip-set $text" >/dev/null || fail "clip-set failed"
x_clipboard_reads "$text" &&
    pass "the demo's clipboard reached the X clipboard through floe-viewer's window" ||
    fail "xclip -o read '$X_CLIPBOARD', not '$text'"
# the window resized: the demo's desktop takes its size
size_seen() { # WxH: a fresh headless viewer's summary says it
    "$VIEWER" --headless --duration 1 "spice://127.0.0.1:$PORT" 2>/dev/null | grep -qE "size=$1( |\$)"
}
if command -v xdotool >/dev/null; then
    xdotool search --sync --onlyvisible --name 'floe-viewer' windowsize 640 480 >/dev/null 2>&1 ||
        true
    if wait_for 30 size_seen 640x480; then
        pass "the window resized to 640x480: the demo's desktop followed"
    else
        fail "the demo's desktop did not follow the window to 640x480: $(grep -h 'desktop is now' "$T/server.err" | tail -n 1)"
    fi
else
    skip "window resize" "xdotool is missing (make deps installs it)"
fi
kill "$W1" 2>/dev/null; wait "$W1" 2>/dev/null || true

# --no-clipboard: the X clipboard is not offered, the demo's not taken
"$VIEWER" --no-clipboard "spice://127.0.0.1:$PORT" >"$T/n.out" 2>"$T/n.err" &
W2=$!; PIDS+=($W2)
sleep 2
quiet="not-shared-$RANDOM"
put_x_clipboard "$quiet"
ctl "clip-set demo-$quiet" >/dev/null || true
sleep 4
if ctl_has_text typed "$quiet"; then
    fail "with --no-clipboard the X clipboard still reached the demo"
elif [ "$(timeout 5 xclip -o -selection clipboard 2>/dev/null)" != "$quiet" ]; then
    fail "with --no-clipboard the X clipboard changed: $(timeout 5 xclip -o -selection clipboard 2>/dev/null | head -c 80)"
else
    pass "with --no-clipboard nothing was shared either way"
fi
kill "$W2" 2>/dev/null; wait "$W2" 2>/dev/null || true
stop_server
finish
