#!/usr/bin/env bash
# vmhost's VNC framebuffer feed against QEMU's VNC server on a unix socket:
# vnc_snap's picture equals QMP screendump pixel for pixel, an Escape key sent
# as an XT scancode opens SeaBIOS's boot menu, and fake servers sending bad
# bytes make vnc_snap fail with one clear line, without a crash or a hang.
cd "$(dirname "$0")/../.."
. tests/lib.sh
QEMU=${QEMU:-qemu-system-x86_64}
SNAP="$TESTBIN/vnc_snap"
[ -x "$SNAP" ] || { echo "FAIL: $SNAP is not built"; exit 1; }
for tool in "$QEMU" python3 compare; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed"; exit 1; }
done

# snap_matches NAME [vnc_snap options...]: vnc_snap's picture equals QEMU's
# screendump (matches_screendump in lib.sh)
snap_matches() {
    local name=$1
    shift
    matches_screendump "$name" "$T/qmp.sock" "$SNAP" "$T/vnc.sock" "$T/$name.png" "$@"
}

"$QEMU" -accel tcg -m 128 -display none -nodefaults -no-user-config -vga std \
    -boot menu=on,splash-time=60000 -vnc "unix:$T/vnc.sock" \
    -qmp "unix:$T/qmp.sock,server=on,wait=off" >"$T/qemu.log" 2>&1 &
PIDS+=($!)
if ! wait_for 30 test -S "$T/vnc.sock" -a -S "$T/qmp.sock"; then
    cat "$T/qemu.log"; echo "FAIL: QEMU did not open its VNC and QMP sockets"; exit 1
fi
sleep 2   # SeaBIOS reaches its "Press ESC for boot menu" prompt

snap_matches boot --duration 2
if grep -Eq '^updates=[1-9][0-9]* rects=[1-9][0-9]* size=720x400$' "$T/boot.out"; then
    pass "boot: summary line: $(cat "$T/boot.out")"
else
    fail "boot: unexpected summary line: '$(cat "$T/boot.out")'"
fi

snap_matches menu --duration 3 --key 0x01 --key-delay 0.5
d=$(pixel_diff "$T/boot.png" "$T/menu.png")
if [ -n "$d" ] && [ "$d" -gt 200 ]; then
    pass "Escape opened the boot menu: $d pixels changed"
else
    fail "the picture did not change after Escape (${d:-?} pixels differ)"
fi

# fake_server MODE: a unix-socket VNC server that goes wrong in MODE's way
fake_server() {
    fake_rfb "$T/fake.sock" "$1" <<'PY'
mode = argv[0]
if mode == "garbage":
    c.sendall(b"\x17\x03\x01 this is not RFB at all\n"); time.sleep(5); sys.exit()
handshake(64, 48)
time.sleep(0.3)
if mode == "encoding":
    c.sendall(b"\x00\x00\x00\x01" + struct.pack(">HHHHi", 0, 0, 8, 8, 16) + bytes(64))
elif mode == "outside":
    c.sendall(b"\x00\x00\x00\x01" + struct.pack(">HHHHi", 60, 40, 8, 16, 0))
elif mode == "huge":
    c.sendall(b"\x00\x00\x00\x01" + struct.pack(">HHHHi", 0, 0, 60000, 60000, -223))
elif mode == "close":
    c.close(); sys.exit()
time.sleep(5)
PY
}

# bad_peer MODE EXPECTED-TEXT
bad_peer() {
    local rc=0 lines
    fake_server "$1"
    timeout 20 "$SNAP" "$T/fake.sock" "$T/fake.png" --duration 10 >"$T/fake.out" 2>"$T/fake.err" || rc=$?
    lines=$(wc -l <"$T/fake.err")
    if [ "$rc" = 1 ] && [ "$lines" = 1 ] && grep -q "^vnc_snap: .*$2" "$T/fake.err"; then
        pass "fake server ($1): vnc_snap fails with: $(cat "$T/fake.err")"
    else
        fail "fake server ($1): exit $rc, $lines line(s) of errors:"; cat "$T/fake.err"
    fi
}

# A fake server draws a pattern with Raw, paints a box with Hextile (two
# tiles, the second on the first's background), shifts part of the pattern
# down and right with an overlapping CopyRect and announces extended key
# events: the picture
# equals the one computed here, the key arrives as QEMU's 12-byte event, and
# for about a second after it the release of keycode 0 comes every 20 ms (it
# keeps QEMU's refresh timer at its base rate), then stops.
fake_copy_server() {
    fake_rfb "$T/fake.sock" "$T" <<'PY'
out = argv[0]
W, H = 64, 48
handshake(W, H)
rd(20 + 24 + 10)   # SetPixelFormat, SetEncodings (5), the first request
px = [[((x * 4) & 255, (y * 5) & 255, (x * y) & 255) for x in range(W)] for y in range(H)]
raw = b"".join(bytes((b, g, r, 0)) for row in px for (r, g, b) in row)
bg, fg = (10, 20, 30), (200, 100, 50)
hextile = (bytes((2 | 4 | 8, bg[2], bg[1], bg[0], 0, fg[2], fg[1], fg[0], 0, 1, 0x23, 0x43))
           + bytes((0,)))
for y in range(30, 40):
    for x in range(40, 60):
        px[y][x] = fg if 42 <= x < 47 and 33 <= y < 37 else bg
c.sendall(b"\x00\x00\x00\x04" + struct.pack(">HHHHi", 0, 0, W, H, 0) + raw
          + struct.pack(">HHHHi", 40, 30, 20, 10, 5) + hextile
          + struct.pack(">HHHHiHH", 8, 4, 32, 24, 1, 0, 0)
          + struct.pack(">HHHHi", 0, 0, W, H, -258))
old = [row[:] for row in px]
for y in range(24):
    for x in range(32):
        px[4 + y][8 + x] = old[y][x]
with open(out + "/copy-want.ppm", "wb") as f:
    f.write(b"P6\n%d %d\n255\n" % (W, H) + b"".join(bytes(p) for row in px for p in row))
c.settimeout(4)
got, times = b"", []
try:
    while True:
        x = c.recv(4096)
        if not x: break
        got += x
        times.append("%.4f %d" % (time.monotonic(), len(got)))
except socket.timeout:
    pass
open(out + "/copy-times.txt", "w").write("\n".join(times) + "\n")
open(out + "/copy-sent.bin", "wb").write(got)
PY
}
fake_copy_server
if "$SNAP" "$T/fake.sock" "$T/copy.png" --duration 2.5 --key 0xe04d --key-delay 0.2 \
        >"$T/copy.out" 2>"$T/copy.err"; then
    d=$(pixel_diff "$T/copy.png" "$T/copy-want.ppm")
    [ "$d" = 0 ] && pass "Raw + Hextile + overlapping CopyRect: picture as computed ($(cat "$T/copy.out"))" \
                 || fail "Raw + Hextile + overlapping CopyRect: $d pixels differ from the computed picture"
else
    fail "vnc_snap failed on the CopyRect server: $(cat "$T/copy.err")"
fi
wait_for 10 test -f "$T/copy-sent.bin"
if python3 -c 'import sys; b = open(sys.argv[1], "rb").read()
p, r = (b.find(bytes.fromhex(h)) for h in ("ff000001 00000000 000000cd", "ff000000 00000000 000000cd"))
sys.exit(0 if 0 <= p < r else 1)' \
        "$T/copy-sent.bin"; then
    pass "extended key 0xe04d sent as QEMU key events (press, release) with keycode 0xcd"
else
    fail "no QEMU key events for 0xe04d in what vnc_snap sent"
fi
# the client messages vnc_snap sent after its first request, each with the
# time its last byte arrived: the nudges follow the key, about 50 a second,
# and stop a second after its release while vnc_snap runs on
if out=$(python3 - "$T/copy-sent.bin" "$T/copy-times.txt" 2>&1 <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
arrivals = [tuple(map(float, l.split())) for l in open(sys.argv[2]) if l.strip()]
sizes = {3: 10, 4: 8, 5: 6, 255: 12}
msgs, off = [], 0
while off < len(data):
    n = sizes.get(data[off])
    if n is None or off + n > len(data):
        sys.exit("unexpected bytes at %d: %s" % (off, data[off:off + 12].hex()))
    t = next(t for t, end in arrivals if end >= off + n)
    msgs.append((t, data[off:off + n])); off += n
nudge = bytes.fromhex("ff000000 00000000 00000000")
keys = [(t, m[3]) for t, m in msgs if m[0] == 255 and m != nudge]
nudges = [t for t, m in msgs if m == nudge]
if [k for _, k in keys] != [1, 0] or not nudges:
    sys.exit("key events %s, %d nudges" % ([k for _, k in keys], len(nudges)))
first, last = nudges[0] - keys[0][0], nudges[-1] - keys[1][0]
print("%d nudges, from %.2f s after the key press to %.2f s after its release"
      % (len(nudges), first, last))
sys.exit(0 if first >= 0 and 0.8 <= last <= 1.3 and len(nudges) >= 20 else 1)
PY
); then
    pass "QEMU refresh nudges: $out"
else
    fail "QEMU refresh nudges: $out"
fi

bad_peer garbage "no RFB version string"
bad_peer encoding "encoding that was not asked for"
bad_peer outside "outside the framebuffer"
bad_peer huge "over the limits"
bad_peer close "closed the connection"
finish
