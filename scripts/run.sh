#!/usr/bin/env bash
# make run: floe-server on the demo desktop with floe-viewer attached. With a
# display the viewer opens a window; without one it runs headless for a few
# seconds, reports and writes a snapshot, and the server stays up for others.
set -eu
BIN=${1:-build/bin}
RUNDIR=build/run
mkdir -p "$RUNDIR"
PORT=5930
if python3 -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1',$PORT))" 2>/dev/null; then :
else PORT=0; fi

"$BIN/floe-server" --listen 127.0.0.1:$PORT --disable-ticketing --control "$RUNDIR/control.sock" \
    >"$RUNDIR/server.out" 2> >(tee "$RUNDIR/server.log" >&2) &
SRV=$!
trap 'kill $SRV 2>/dev/null || true; wait $SRV 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 100); do
    grep -q "listening on" "$RUNDIR/server.out" 2>/dev/null && break
    kill -0 $SRV 2>/dev/null || { echo "make run: floe-server failed to start" >&2; exit 1; }
    sleep 0.1
done
URI=$(sed -n 's/^floe-server: listening on //p' "$RUNDIR/server.out")
echo "floe-server is serving the demo desktop at $URI (control socket $RUNDIR/control.sock)"

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    echo "opening floe-viewer; close its window to stop"
    "$BIN/floe-viewer" "$URI" || true
else
    echo "no display: floe-viewer runs headless for 5 seconds"
    "$BIN/floe-viewer" --headless --duration 5 --snapshot "$RUNDIR/snapshot.png" "$URI"
    echo "floe-viewer wrote $RUNDIR/snapshot.png"
    echo "floe-server keeps serving $URI for other clients (e.g. remote-viewer $URI); Ctrl-C stops it"
    wait $SRV
fi
