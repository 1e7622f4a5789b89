#!/usr/bin/env bash
# floe-agent with an X session, on the host: its port a pty whose other end
# (agent_x11_peer) plays the SPICE client, its display an Xvfb. Text the
# client grabs is what `xclip -o` reads (CLIPBOARD and PRIMARY; 11, 5000
# and 300 KiB bytes, the last sent INCR), text set with `xclip -i` is
# offered (GRAB) and a REQUEST returns it whole; a PNG both ways and in
# TARGETS; the client's RELEASE leaves PRIMARY without owner; a selection
# over the client's MAX_CLIPBOARD is answered empty; monitors configs set
# the X screen's size through RandR (1024x768, and 1000x700, a mode added),
# read back with xdpyinfo.
. "$(dirname "$0")/../lib.sh"

for t in Xvfb xclip xdpyinfo; do
    command -v "$t" >/dev/null || { skip "floe-agent with X" "$t is missing"; finish; }
done
if "$BIN/floe-agent" --x11 :none --socket "$T/probe.sock" --port /nonexistent 2>&1 |
        grep -q "built without X11"; then
    skip "floe-agent with X" "floe-agent was built without libX11, libXfixes, libXrandr"
    finish
fi

start_xvfb 1280x800
TMPDIR=$T timeout 180 "$TESTBIN/agent_x11_peer" "$BIN/floe-agent" --socket "$T/agent.sock" \
    --no-file-transfer --x11 "$DISPLAY" >"$T/peer.out" 2>"$T/agent.log" && rc=0 || rc=$?
while IFS= read -r line; do
    case $line in
        ok:*) pass "${line#ok: }" ;;
        FAIL:*) fail "${line#FAIL: }" ;;
    esac
done <"$T/peer.out"
[ "$rc" = 0 ] || { fail "agent_x11_peer exited with $rc"; sed 's/^/  agent: /' "$T/agent.log"; }
grep -q "X display .*CLIPBOARD and PRIMARY mirrored" "$T/agent.log" &&
    pass "floe-agent took the X display" || fail "floe-agent did not say it took the X display"
finish
