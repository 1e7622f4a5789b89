#!/usr/bin/env bash
# Link errors against a real floe-server: wrong magic and version, oversized
# and truncated link messages, bad and expired tickets, unknown channels,
# oversized messages; the server keeps serving its other clients.
. "$(dirname "$0")/../lib.sh"

echo "s3cret-pass" >"$T/pw"
start_server --password-file "$T/pw" --size 640x480
if FLOE_PORT=$PORT FLOE_PASSWORD=s3cret-pass "$TESTBIN/raw_client"; then
    pass "every bad link got its link error and a closed connection"
else
    fail "link errors"
fi
printf 's3cret-pass\nexpires=%s\n' "$(( $(date +%s) - 60 ))" >"$T/pw"
if FLOE_PORT=$PORT FLOE_PASSWORD=s3cret-pass FLOE_EXPIRED=1 "$TESTBIN/raw_client"; then
    pass "an expired password is refused"
else
    fail "expired password"
fi
printf 's3cret-pass\nexpires=%s\n' "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)" >"$T/pw"
if FLOE_PORT=$PORT FLOE_PASSWORD=wrong FLOE_EXPIRED=1 "$TESTBIN/raw_client" &&
   ! FLOE_PORT=$PORT FLOE_PASSWORD=s3cret-pass FLOE_EXPIRED=1 "$TESTBIN/raw_client" >/dev/null 2>&1; then
    pass "a password with a future expiry works"
else
    fail "future expiry"
fi
grep -q "link refused: INVALID_MAGIC" "$T/server.err" && pass "server logs the refusal" ||
    fail "no log line for the refused link"
stop_server
finish
