#!/usr/bin/env bash
# tests/e2e/shape_proxy.c, the shaping proxy that stands in for netem, measured
# with Python peers on loopback: bytes pass intact both ways on parallel
# connections; --rate and --rate-up give the transfer times they call for, and
# a rate changed through the control socket the new throughput; --delay adds
# twice itself to a round trip; a stall (by command, and periodic) holds bytes
# for its length; a sender faster than --rate is held back by TCP flow control
# while the proxy's memory stays bounded; SIGTERM exits cleanly with the
# byte counts. Bad arguments get one line and status 2.
. "$(dirname "$0")/../lib.sh"
PROXY=$TESTBIN/shape_proxy
[ -x "$PROXY" ] || { echo "FAIL: $PROXY is not built"; exit 1; }

cat >"$T/peer.py" <<'PY'
# "servers" runs every server; each client prints what it measured.
import hashlib, random, select, socket, sys, threading, time

def data(n, seed):
    return random.Random(seed).randbytes(n)

def sha(b):
    return hashlib.sha256(b).hexdigest()

def connect(port):
    c = socket.create_connection(("127.0.0.1", port))
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return c

def read_all(c):
    h, n = hashlib.sha256(), 0
    while True:
        b = c.recv(65536)
        if not b:
            return n, h.hexdigest()
        h.update(b)
        n += len(b)

def control(path, line):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.sendall((line + "\n").encode())
    reply = b""
    while not (reply.endswith(b"ok\n") or b"error:" in reply and reply.endswith(b"\n")):
        b = s.recv(4096)
        if not b:
            break
        reply += b
    s.close()
    return reply.decode()

# ---- servers: one thread per connection ----
def echo(c):
    while True:
        b = c.recv(65536)
        if not b:
            break
        c.sendall(b)

def sink(c):                      # reads to the end, answers "BYTES SHA"
    n, h = read_all(c)
    c.sendall(f"{n} {h}\n".encode())

def trickle(c):                   # 1000 bytes every 10 ms
    while True:
        c.sendall(b"t" * 1000)
        time.sleep(0.01)

def firehose(c):                  # as fast as the link takes them
    chunk = b"f" * 65536
    while True:
        c.sendall(chunk)

def flood(c, secs):               # as fast as it can for secs, timing its waits
    c.setblocking(False)
    chunk, sent, blocked = bytes(65536), 0, 0.0
    end = time.monotonic() + float(secs)
    while (now := time.monotonic()) < end:
        try:
            sent += c.send(chunk)
        except BlockingIOError:
            select.select([], [c], [], end - now)
            blocked += time.monotonic() - now
    print(f"sent={sent} blocked_ms={blocked * 1000:.0f}", flush=True)

def accept_loop(l, handler, args):
    def run(c):
        try:
            handler(c, *args)
        except OSError:
            pass
        c.close()
    while True:
        c, _ = l.accept()
        threading.Thread(target=run, args=(c,), daemon=True).start()

def servers(source_bytes, flood_secs):
    """Every server at once, each on a port of its own: prints "NAME PORT"."""
    src = data(int(source_bytes), 1)
    table = dict(echo=(echo,), source=(lambda c: c.sendall(src),), sink=(sink,),
                 trickle=(trickle,), firehose=(firehose,), flood=(flood, flood_secs))
    print("source_sha", sha(src), flush=True)
    for name, (handler, *args) in table.items():
        l = socket.socket()
        l.bind(("127.0.0.1", 0))
        l.listen(16)
        print(name, l.getsockname()[1], flush=True)
        threading.Thread(target=accept_loop, args=(l, handler, args), daemon=True).start()
    print("ready", flush=True)
    threading.Event().wait()

# ---- clients ----
def integrity(port, conns, n):    # each connection echoes its own data
    conns, n, ok = int(conns), int(n), True
    out = [None] * conns
    def one(i):
        d, c = data(n, 100 + i), connect(port)
        def send():
            c.sendall(d)
            c.shutdown(socket.SHUT_WR)
        t = threading.Thread(target=send)
        t.start()
        out[i] = read_all(c) + (sha(d),)
        t.join()
        c.close()
    ts = [threading.Thread(target=one, args=(i,)) for i in range(conns)]
    for t in ts: t.start()
    for t in ts: t.join()
    for i, (got, h, want) in enumerate(out):
        same = got == n and h == want
        ok = ok and same
        print(f"conn={i} sent={n} echoed={got} same={'yes' if same else 'no'}")
    sys.exit(0 if ok else 1)

def download(port):
    t0 = time.monotonic()
    n, h = read_all(connect(port))
    print(f"bytes={n} seconds={time.monotonic() - t0:.3f} sha={h}")

def upload(port, n):
    d = data(int(n), 7)
    t0 = time.monotonic()
    c = connect(port)
    c.sendall(d)
    c.shutdown(socket.SHUT_WR)
    reply = b""
    while b := c.recv(4096):
        reply += b
    got_n, got_sha = (reply.decode().split() + ["-", "-"])[:2]
    print(f"seconds={time.monotonic() - t0:.3f} bytes={len(d)} sha={sha(d)} sink_bytes={got_n} sink_sha={got_sha}")

def rtt(port, count):
    c = connect(port)
    c.sendall(b"w")
    c.recv(1)
    ms = []
    for _ in range(int(count)):
        t0, got = time.monotonic(), 0
        c.sendall(b"p" * 64)
        while got < 64:
            got += len(c.recv(64 - got))
        ms.append((time.monotonic() - t0) * 1000)
    s = sorted(ms)
    print(f"min={s[0]:.1f} median={s[len(s) // 2]:.1f} max={s[-1]:.1f} all=" + ",".join(f"{m:.1f}" for m in ms))

def gaps(port, secs, ctl="", stall_ms="0", at="0"):
    c = connect(port)
    if ctl:
        threading.Timer(float(at), control, (ctl, f"stall {stall_ms}")).start()
    end, last, found = time.monotonic() + float(secs), None, []
    while (now := time.monotonic()) < end:
        if not select.select([c], [], [], end - now)[0]:
            break
        if not c.recv(65536):
            break
        t = time.monotonic()
        if last is not None and t - last > 0.1:
            found.append((t - last) * 1000)
        last = t
    print("gaps_ms", " ".join(f"{g:.1f}" for g in found) or "none")

def rates(port, ctl, r1, r2, secs):
    count = [0]
    c = connect(port)
    def reader():
        while b := c.recv(65536):
            count[0] += len(b)
    threading.Thread(target=reader, daemon=True).start()
    for r in (r1, r2):
        control(ctl, f"rate {r}")
        time.sleep(0.3)
        b0, t0 = count[0], time.monotonic()
        time.sleep(float(secs))
        kbit = (count[0] - b0) * 8 / 1000 / (time.monotonic() - t0)
        print(f"rate={r} measured_kbit={kbit:.0f}", flush=True)

if sys.argv[1] == "servers":
    servers(*sys.argv[2:])
else:
    dict(integrity=integrity, download=download, upload=upload, rtt=rtt, gaps=gaps,
         rates=rates)[sys.argv[1]](*sys.argv[2:])
PY

# the servers behind the proxies; port_of NAME gives each one's port
SOURCE_BYTES=$((4 << 20))
python3 "$T/peer.py" servers $SOURCE_BYTES 2 >"$T/peers.out" 2>"$T/peers.err" &
PIDS+=($!)
wait_for 10 grep -q '^ready' "$T/peers.out" || { cat "$T/peers.err"; echo "FAIL: the peers did not start"; exit 1; }
port_of() { sed -n "s/^$1 //p" "$T/peers.out"; }

# start_proxy NAME SERVER [OPTIONS...]: a proxy in front of server SERVER;
# sets PX_PID, PX_PORT, CTL (its control socket), PX_OUT
start_proxy() {
    local name=$1 to
    to=$(port_of "$2")
    shift 2
    CTL=$T/$name.sock PX_OUT=$T/$name.out
    "$PROXY" --listen 0 --to "127.0.0.1:$to" --control "$CTL" "$@" >"$PX_OUT" 2>"$T/$name.err" &
    PX_PID=$!; PIDS+=("$PX_PID")
    wait_for 10 grep -q '^listening on ' "$PX_OUT" || { cat "$T/$name.err"; echo "FAIL: the proxy did not start"; exit 1; }
    PX_PORT=$(sed -n 's/^listening on 127\.0\.0\.1://p' "$PX_OUT")
}

# stop_proxy NAME: SIGTERM; it must exit 0 with its stats line and no
# sanitizer report
stop_proxy() {
    local name=$1 rc=0
    kill -TERM "$PX_PID"
    wait "$PX_PID" || rc=$?
    if [ "$rc" = 0 ] && grep -q '^stats down=' "$PX_OUT" && ! grep -qE 'Sanitizer|runtime error' "$T/$name.err"; then
        pass "$name: SIGTERM: exit 0, $(grep '^stats' "$PX_OUT" | tail -n 1)"
    else
        fail "$name: SIGTERM: exit $rc"; tail -n 20 "$T/$name.err"
    fi
}

peer() { python3 "$T/peer.py" "$@"; }
within() { # VALUE LOW HIGH
    awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v < hi) }'
}
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2" | head -n 1; }

# ---- arguments ----
for args in "--to 127.0.0.1:1" "--listen 0 --to nohost" "--listen 0 --to 127.0.0.1:1 --rate fast" \
        "--listen 0 --to 127.0.0.1:1 --stall-every 100" "--listen 0 --to 127.0.0.1:1 --bogus"; do
    rc=0
    # shellcheck disable=SC2086
    "$PROXY" $args >"$T/args.out" 2>"$T/args.err" || rc=$?
    if [ "$rc" = 2 ] && [ "$(wc -l <"$T/args.err")" = 1 ]; then pass "'$args': status 2, $(cat "$T/args.err")"
    else fail "'$args': status $rc, expected 2 and one line:"; cat "$T/args.err"; fi
done
"$PROXY" --help | grep -q '^usage: shape_proxy' && pass "--help prints the usage" || fail "--help"

# ---- (1) bytes intact both ways, three connections at once ----
start_proxy intact echo --delay 20
n=3000000
if peer integrity "$PX_PORT" 3 $n >"$T/intact.res"; then
    pass "3 connections each sent $n random bytes and got them back unchanged (sha256)"
else
    fail "bytes changed on the way:"; cat "$T/intact.res"
fi
stats=$(ctl stats | head -n 1)
[ "$(field down "$stats")" = $((3 * n)) ] && [ "$(field up "$stats")" = $((3 * n)) ] &&
    [ "$(field connections "$stats")" = 3 ] &&
    pass "the proxy counted $((3 * n)) bytes each way on 3 connections" || fail "counts: $stats"
stop_proxy intact

# ---- (2) --rate and --rate-up: a 4 MiB download and a 2 MiB upload side by side ----
start_proxy rate source --rate 8000
RATE_PORT=$PX_PORT RATE_PID=$PX_PID
start_proxy rateup sink --rate-up 4000
peer download "$RATE_PORT" >"$T/down.res" &
DL=$!
peer upload "$PX_PORT" $((2 << 20)) >"$T/up.res"
wait $DL
down=$(cat "$T/down.res") up=$(cat "$T/up.res")
echo "download: $down"; echo "upload: $up"
[ "$(field sha "$down")" = "$(port_of source_sha)" ] && [ "$(field bytes "$down")" = $SOURCE_BYTES ] &&
    pass "the 4 MiB download arrived whole (sha256)" || fail "download: $down"
# within_share SECONDS EXPECTED: within ±25%
within_share() {
    within "$1" "$(awk -v e="$2" 'BEGIN { print e * 0.75 }')" "$(awk -v e="$2" 'BEGIN { print e * 1.25 }')"
}
expect=$(awk -v b=$SOURCE_BYTES 'BEGIN { printf "%.3f", b * 8 / 8000000 }')
s=$(field seconds "$down")
within_share "$s" "$expect" && pass "--rate 8000: 4 MiB took $s s (expected $expect s ±25%)" ||
    fail "--rate 8000: 4 MiB took $s s, expected $expect s ±25%"
[ "$(field sink_bytes "$up")" = $((2 << 20)) ] && [ "$(field sink_sha "$up")" = "$(field sha "$up")" ] &&
    pass "the 2 MiB upload arrived whole (sha256) and its end was passed on" || fail "upload: $up"
expect=$(awk -v b=$((2 << 20)) 'BEGIN { printf "%.3f", b * 8 / 4000000 }')
s=$(field seconds "$up")
within_share "$s" "$expect" && pass "--rate-up 4000: 2 MiB took $s s (expected $expect s ±25%)" ||
    fail "--rate-up 4000: 2 MiB took $s s, expected $expect s ±25%"
stop_proxy rateup
PX_PID=$RATE_PID PX_OUT=$T/rate.out stop_proxy rate

# ---- (2b) the rate changed while a transfer runs ----
start_proxy change firehose
peer rates "$PX_PORT" "$CTL" 16000 4000 1.0 >"$T/rates.res"
cat "$T/rates.res"
while read -r line; do
    r=$(field rate "$line") m=$(field measured_kbit "$line")
    within_share "$m" "$r" &&
        pass "control 'rate $r' mid-transfer: $m kbit/s measured (±25%)" ||
        fail "control 'rate $r': $m kbit/s measured"
done <"$T/rates.res"
grep -q '^set rate 4000$' "$PX_OUT" && pass "the proxy printed the change" || fail "no 'set rate' line"
reply=$(printf 'rate lots\n' | socat -t 5 - "UNIX-CONNECT:$CTL" || true)
[[ $reply == "error: "* ]] && pass "a bad command gets '$reply'" || fail "bad command: '$reply'"
stop_proxy change

# ---- (3) --delay 100: a round trip ----
start_proxy delay echo --delay 100
res=$(peer rtt "$PX_PORT" 5)
min=$(field min "$res") med=$(field median "$res") max=$(field max "$res")
within "$min" 200 100000 && within "$med" 0 400 &&
    pass "--delay 100: 64-byte round trips took $min / $med / $max ms (min / median / max; >= 200, < 400)" ||
    fail "--delay 100: round trips $res"
stop_proxy delay

# ---- (4) stalls: by command, then periodic ----
start_proxy stall trickle
res=$(peer gaps "$PX_PORT" 2.0 "$CTL" 1000 0.5)
echo "stall 1000 at 0.5 s, gaps over 100 ms while 1000 bytes come every 10 ms: $res"
g=$(tr ' ' '\n' <<<"${res#gaps_ms }" | sort -n | tail -n 1)
# (990: the client times arrivals, a little after the proxy's writes)
within "$g" 990 1500 && pass "control 'stall 1000' held the bytes for $g ms" ||
    fail "control 'stall 1000': longest gap $g ms ($res)"
stop_proxy stall
start_proxy stalls trickle --stall-every 1000 --stall-for 300
res=$(peer gaps "$PX_PORT" 2.6)
echo "--stall-every 1000 --stall-for 300: $res"
n=$(tr ' ' '\n' <<<"${res#gaps_ms }" | awk '$1 >= 290 && $1 < 600' | wc -l)
others=$(tr ' ' '\n' <<<"${res#gaps_ms }" | awk '$1 < 290 || $1 >= 600' | grep -c . || true)
[ "$n" -ge 2 ] && [ "$others" = 0 ] && pass "periodic stalls: $n gaps of 300 ms in 2.6 s, nothing else" ||
    fail "periodic stalls: $res"
stop_proxy stalls

# ---- (5) backpressure: a sender as fast as it can behind --rate 800 ----
start_proxy flood flood --rate 800
base=$(awk '/^VmRSS/ { print $2 }' /proc/"$PX_PID"/status)
peer download "$PX_PORT" >"$T/flood-client.res" 2>/dev/null &
CLIENT=$!; PIDS+=("$CLIENT")
max=$base deadline=$((SECONDS + 20))
until grep -q '^sent=' "$T/peers.out" || [ $SECONDS -ge $deadline ]; do
    r=$(awk '/^VmRSS/ { print $2 }' /proc/"$PX_PID"/status 2>/dev/null || true)
    [ "${r:-0}" -gt "$max" ] && max=$r
    sleep 0.1
done
res=$(grep '^sent=' "$T/peers.out") || { fail "the sender never finished"; cat "$T/flood.err"; finish; }
stats=$(ctl stats | head -n 1)
echo "sender: $res; proxy: $stats; VmRSS $base kB at start, at most $max kB"
sent=$(field sent "$res") blocked=$(field blocked_ms "$res") q=$(field max_queued_down "$stats")
[ "$sent" -lt $((32 << 20)) ] && [ "$blocked" -ge 1000 ] &&
    pass "the sender's writes blocked $blocked ms of 2000; it got $sent bytes out (the proxy forwards $(field down "$stats"))" ||
    fail "no backpressure: $res"
[ "$q" -le $(((1024 + 64) * 1024)) ] && pass "the proxy queued at most $q bytes for the connection (limit 1 MiB)" ||
    fail "queue grew to $q bytes"
[ "$max" -lt 20480 ] && pass "the proxy's VmRSS stayed at $max kB (< 20 MB; $base kB at start)" ||
    fail "VmRSS reached $max kB"
stop_proxy flood
finish
