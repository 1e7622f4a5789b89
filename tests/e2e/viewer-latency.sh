#!/usr/bin/env bash
# floe-viewer --measure-latency against the demo desktop (its text window
# shows typed keys): it takes as many samples as asked and reports times
# above zero; a frozen desktop (keys change nothing) makes it fail with the
# samples it has; a bad count is refused. No timing thresholds.
. "$(dirname "$0")/../lib.sh"

start_server --disable-ticketing --size 800x600
N=3
if "$BIN/floe-viewer" --measure-latency $N "$URI" >"$T/lat.out" 2>"$T/lat.err"; then
    pass "floe-viewer --measure-latency $N exited cleanly"
else
    fail "floe-viewer --measure-latency failed: $(tail -n 3 "$T/lat.err")"
fi
line=$(grep '^latency_ms ' "$T/lat.out" || true)
echo "viewer: $line"
n=$(sed -n 's/.* n=\([0-9]*\).*/\1/p' <<<"$line")
min=$(sed -n 's/.* min=\([0-9.]*\).*/\1/p' <<<"$line")
[ "$n" = "$N" ] && pass "it took $N samples" || fail "n is '$n', not $N: $line"
awk -v m="${min:-0}" 'BEGIN { exit !(m > 0) }' && pass "the shortest time is above zero ($min ms)" ||
    fail "bad minimum: $line"
grep -q '^frames=' "$T/lat.out" && pass "the summary line follows" || fail "no summary line"
ctl "typed" | grep -q '[a-h]' && pass "the keys reached the demo's text window" ||
    fail "no keys in the text window: $(ctl typed)"

ctl freeze >/dev/null
rc=0
"$BIN/floe-viewer" --measure-latency 2 --duration 2 "$URI" >"$T/frozen.out" 2>"$T/frozen.err" || rc=$?
[ "$rc" = 1 ] && grep -q '^latency_ms .* n=0$' "$T/frozen.out" &&
    pass "a still desktop: exit status 1 and n=0" ||
    fail "a still desktop: status $rc, $(cat "$T/frozen.out" "$T/frozen.err")"
ctl thaw >/dev/null

rc=0
"$BIN/floe-viewer" --measure-latency 0 "$URI" >/dev/null 2>"$T/bad.err" || rc=$?
[ "$rc" = 2 ] && grep -q 'bad --measure-latency' "$T/bad.err" && pass "a count of 0 is refused" ||
    fail "--measure-latency 0: status $rc, $(cat "$T/bad.err")"
stop_server
finish
