#!/usr/bin/env bash
# The session flows byte by byte with a raw client: MAIN (INIT, NAME, UUID,
# channel list, mouse modes), INPUTS (motion acks), CURSOR (SET_ACK, INIT
# with an ALPHA cursor, moves) and DISPLAY (the reference order of the first
# messages, a picture covering the whole surface).
. "$(dirname "$0")/../lib.sh"

echo "session-pass" >"$T/pw"
start_server --password-file "$T/pw" --size 800x600
if FLOE_PORT=$PORT FLOE_PASSWORD=session-pass FLOE_SESSION=1 "$TESTBIN/raw_client"; then
    pass "main, inputs, cursor and display follow the protocol"
else
    fail "session flows"
fi
stop_server
finish
