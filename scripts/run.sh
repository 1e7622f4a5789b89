#!/usr/bin/env bash
# make run: floe-server on the demo desktop with floe-viewer attached. With a
# display the viewer opens a window; without one it runs headless for a few
# seconds, reports and writes a snapshot, and the server stays up for others.
set -eu
# From a terminal, run the rest as a job of its own in the foreground: Ctrl-C
# then reaches the server and viewer but not make, and ends make run with 0.
if [ -t 0 ] && [ -z "${FLOE_RUN_INNER:-}" ]; then
    set -m
    FLOE_RUN_INNER=1 "$0" "$@" &
    rc=0; fg %1 >/dev/null || rc=$?
    [ $rc = 130 ] && rc=0
    exit $rc
fi
BIN=${1:-build/bin}
RUNDIR=build/run
mkdir -p "$RUNDIR"
# 5930 unless something listens there; a port left in TIME_WAIT by the last
# run is free to bind (floe-server sets SO_REUSEADDR), so ask the same way
PORT=5930
if python3 -c "import socket; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1',$PORT))" 2>/dev/null; then :
else PORT=0; fi

"$BIN/floe-server" --listen 127.0.0.1:$PORT --disable-ticketing --control "$RUNDIR/control.sock" \
    >"$RUNDIR/server.out" 2> >(tee "$RUNDIR/server.log" >&2) &
SRV=$!
stop_server() { kill $SRV 2>/dev/null || true; wait $SRV 2>/dev/null || true; }
# Ctrl-C is how a user ends make run: stop the server and end with success
trap 'stop_server; echo; echo "floe-server stopped"; exit 130' INT
trap 'stop_server; exit 143' TERM
trap stop_server EXIT
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
