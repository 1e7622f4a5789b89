#!/usr/bin/env bash
# Wireshark's SPICE dissector, an independent implementation of the wire
# format, reads a capture of floe-server and floe-viewer and finds every
# message well formed, with the draw commands it expects.
. "$(dirname "$0")/../lib.sh"

echo "ws-pass" >"$T/pw"
start_server --password-file "$T/pw" --size 1024x768
# a large capture buffer: the first picture arrives in one burst on loopback
tshark -i lo -B 256 -f "tcp port $PORT" -w "$T/cap.pcapng" >"$T/tshark.log" 2>&1 &
TS=$!; PIDS+=("$TS")
wait_for 20 grep -q "Capturing on" "$T/tshark.log" || { fail "tshark did not start"; cat "$T/tshark.log"; finish; }
sleep 3 # the capture is live a moment after tshark says so
"$BIN/floe-viewer" --headless --duration 6 --type "ok\n\nfloe\n\n" "spice://127.0.0.1:$PORT?password=ws-pass" \
    >"$T/viewer.out" 2>"$T/viewer.err" && pass "floe-viewer ran" || fail "floe-viewer failed"
sleep 1
kill -INT "$TS"; wait "$TS" || true

dissect() { tshark -r "$T/cap.pcapng" -d "tcp.port==$PORT,spice" "$@" 2>/dev/null; }
n=$(dissect | wc -l)
[ "$n" -gt 20 ] && pass "capture holds $n packets" || fail "capture holds only $n packets"
lost=$(dissect -Y tcp.analysis.lost_segment | wc -l)
[ "$lost" = 0 ] || echo "note: the capture lost $lost segments; messages in them cannot be judged"
bad=$(dissect -Y _ws.malformed | wc -l)
[ "$bad" = 0 ] && pass "no malformed packets" || { fail "$bad malformed packets:"; dissect -Y _ws.malformed | head; }
types=$(dissect -T fields -e spice.message_type | tr ',' '\n' | sort -u | tr '\n' ' ')
echo "message types seen: $types"
for want in 103 104 314 317 102 302 304 101; do
    case " $types " in *" $want "*) pass "dissector saw message type $want";;
        *) fail "dissector never saw message type $want";; esac
done
errs=$(dissect -T fields -e spice.error_code | grep -v '^$' | sort -u | tr '\n' ' ')
[ "$errs" = "0 " ] && pass "every link succeeded (error codes: $errs)" || fail "link error codes: $errs"
stop_server
finish
