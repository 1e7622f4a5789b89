#!/usr/bin/env bash
# A real guest's QXL commands, recorded and played again: the Linux test
# guest on QEMU's qxl device in native mode, with floe's library recording
# (FLOE_QXL_RECORD) while its console draws (lines written through the
# serial console, the screen scrolling, cleared, coloured text); the VM
# stopped and QEMU's screendump taken; then qxl_replay plays the recording
# into floe's library and into Debian's, each watched by floe-viewer from
# the start. For each: the primary surface's memory after the last
# update_area, floe-viewer's picture and spicy-screenshot's (linking after
# the replay) equal the screendump; every command of the guest's memslot group
# was played and every release named a command that was handed over; and
# the two libraries give the same pictures. A damaged recording is refused
# with one line.
# Environment: BIN, TESTBIN (default build/bin, build/tests), QEMU.
cd "$(dirname "$0")/../.."
. tests/lib.sh
REPLAY=$TESTBIN/qxl_replay
FLOE_LIB=$(cd "$BIN/../lib" && pwd)/libspice-server.so.1
REF_LIB=/usr/lib/x86_64-linux-gnu/libspice-server.so.1
REC=$T/guest.qxlrec
for f in "$REPLAY" "$FLOE_LIB"; do
    [ -e "$f" ] || { fail "$f is not built"; finish; }
done
for tool in socat spicy-screenshot compare; do
    command -v $tool >/dev/null || { fail "$tool is missing (make deps installs it)"; finish; }
done

# QEMU through a wrapper: floe's library first, the sanitizer runtime it
# needs, and the recording on
REAL_QEMU=${QEMU:-qemu-system-x86_64}
PRELOAD=$(ldd "$FLOE_LIB" | awk '/libasan/ { print $3 }')
cat >"$T/qemu" <<SH
#!/bin/sh
export LD_LIBRARY_PATH="$(dirname "$FLOE_LIB")\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" LD_PRELOAD="$PRELOAD"
export ASAN_OPTIONS=detect_leaks=0 FLOE_QXL_RECORD="$REC"
exec "$REAL_QEMU" "\$@"
SH
chmod +x "$T/qemu"
QEMU=$T/qemu
. tests/qemu-lib.sh
build_guest

# ---- the recording: the guest's console drawing ----
SER=$T/serial.sock
start_vm guest "disable-ticketing=on" -m 256 -vga qxl \
    -kernel "$KERNEL" -initrd "$INITRD" -append "$GUEST_APPEND" \
    -chardev "socket,id=ser,path=$SER,server=on,wait=off,logfile=$T/serial.log" -serial chardev:ser
if ! wait_for 120 grep -q "floe-guest ready" "$T/serial.log"; then
    fail "no banner from the guest"; tail -n 5 "$T/serial.log"; finish
fi
banner=$(grep -a -m 1 "floe-guest ready" "$T/serial.log" | tr -d '\r')
[[ "$banner" == *"fb0 driver qxl" ]] || { fail "the guest's console is not on qxl: $banner"; finish; }
guest_run() { # COMMAND: typed into the shell on the guest's serial port
    printf '%s\n' "$1" | socat -t 2 - "UNIX-CONNECT:$SER" >/dev/null
}
# a DRM cursor set and moved (the cursor ring), lines past the screen's
# height a few at a time (it scrolls), a clear, coloured lines, the cursor
# handed back to the console
guest_run 'floe-drmcursor 300 200 & echo $! > /tmp/cursor.pid'
wait_for 30 grep -a -q "floe-drmcursor: cursor" "$T/serial.log" ||
    fail "floe-drmcursor set no cursor"
guest_run '(i=0; while [ $i -lt 60 ]; do echo "floe-record line $i: the quick brown fox" > /dev/tty1;
  i=$((i+1)); [ $((i % 10)) = 0 ] && sleep 0.05; done; sleep 0.5; printf "\033[H\033[2J" > /dev/tty1;
  sleep 0.5; for c in 31 32 33 34 35 36; do printf "\033[1;${c}mfloe-record colour $c\033[0m\n" > /dev/tty1;
  sleep 0.05; done; ls -l / > /dev/tty1; kill $(cat /tmp/cursor.pid); sleep 0.5; echo floe-record-drawn > /dev/ttyS0) &'
wait_for 60 grep -a -q "floe-record-drawn" "$T/serial.log" ||
    fail "the guest did not finish drawing"
kill -0 "$PID_guest" 2>/dev/null || { fail "QEMU ended: $(tail -n 5 "$T/guest.qemu.log")"; finish; }
# the console catches up with what was written: a still picture
for i in $(seq 1 20); do
    sleep 0.5
    screendump "$QMP_guest" "$T/still-a.ppm"; sleep 0.5; screendump "$QMP_guest" "$T/still-b.ppm"
    [ "$(pixel_diff "$T/still-a.ppm" "$T/still-b.ppm")" = 0 ] && break
done
qmp "$QMP_guest" stop
screendump "$QMP_guest" "$T/end.ppm"
qmp "$QMP_guest" quit || true
wait "$PID_guest" 2>/dev/null || true
if grep -q "recording.*stopped" "$T/guest.qemu.log"; then
    fail "the recording stopped: $(grep -m 1 'recording.*stopped' "$T/guest.qemu.log")"
fi
size=$(stat -c %s "$REC" 2>/dev/null || echo 0)
if [ "$size" -gt 4096 ] && [ "$(head -c 8 "$REC")" = FLQXLREC ]; then
    pass "floe's library recorded the guest's QXL commands ($size bytes)"
else
    fail "no recording ($size bytes)"; finish
fi

# ---- the recording played into each library ----
ASAN_LIB=
if ldd "$FLOE_LIB" | grep -q libasan && ! ldd "$REPLAY" | grep -q libasan; then
    ASAN_LIB=$PRELOAD
fi
same() { # NAME WHAT A B
    local d
    d=$(pixel_diff "$3" "$4")
    if [ "$d" = 0 ]; then pass "$1: $2 (0 differing pixels)"
    else fail "$1: $2: $d pixels differ"; fi
}
declare -A RPID RPORT VPID BAD
# start_play LABEL LIB: qxl_replay on a free port, which plays once
# floe-viewer, started here, has its display channel (the reference leaks
# at exit: no leak check there)
start_play() {
    local asan=${ASAN_OPTIONS:-}
    [ "$2" = "$REF_LIB" ] && asan=detect_leaks=0
    RPORT[$1]=$(free_port)
    LD_PRELOAD=$ASAN_LIB ASAN_OPTIONS=$asan "$REPLAY" "$2" "${RPORT[$1]}" "$REC" --wait-client \
        --surface "$T/$1.surface.ppm" >"$T/$1.out" 2>"$T/$1.err" &
    RPID[$1]=$!; PIDS+=("${RPID[$1]}")
    wait_for 30 grep -q '^listening' "$T/$1.out" || { fail "$1: qxl_replay did not start"; return; }
    "$BIN/floe-viewer" --headless --duration 90 --snapshot "$T/$1.viewer.png" \
        "spice://127.0.0.1:${RPORT[$1]}" >"$T/$1.viewer.out" 2>&1 &
    VPID[$1]=$!; PIDS+=("${VPID[$1]}")
}
# viewer_end LABEL: floe-viewer, which watched the whole replay, writes its
# picture when told to end
viewer_end() {
    kill -TERM "${VPID[$1]}" 2>/dev/null || true
    if wait "${VPID[$1]}"; then
        same "$1" "floe-viewer's picture, having watched the replay, equals QEMU's screendump" \
            "$T/end.ppm" "$T/$1.viewer.png"
    else
        fail "$1: floe-viewer failed: $(tail -n 2 "$T/$1.viewer.out")"
    fi
}
check_play() { # LABEL: played whole, released right, the surface right
    local lab=$1 line cmds cursor guest_skipped unknown
    if ! wait_for 60 grep -q '^ready' "$T/$lab.out"; then
        fail "$lab: the replay did not end: $(tail -n 2 "$T/$lab.err")"; return 1
    fi
    sed -n '/^replayed/,/^released/p' "$T/$lab.out" | sed "s/^/  $lab: /"
    line=$(grep '^replayed' "$T/$lab.out")
    cmds=$(sed -n 's/^replayed \([0-9]*\) commands.*/\1/p' <<<"$line")
    cursor=$(sed -n 's/.*cursor \([0-9]*\),.*/\1/p' <<<"$line")
    guest_skipped=$(sed -n 's/^skipped commands group=1 //p' "$T/$lab.out")
    unknown=$(sed -n 's/.*, \([0-9]*\) unknown releases.*/\1/p' "$T/$lab.out")
    if [ "${cmds:-0}" -gt 0 ] && [ "${cursor:-0}" -gt 0 ] && [ "$guest_skipped" = 0 ]; then
        pass "$lab: played $cmds commands ($cursor on the cursor ring), none of the guest's left out"
    else
        fail "$lab: played ${cmds:-no} commands (${cursor:-no} cursor), $guest_skipped of the guest's left out"
    fi
    [ "$unknown" = 0 ] && pass "$lab: every release named a command handed over" ||
        fail "$lab: $unknown releases of nothing handed over"
    same "$lab" "the surface's memory equals QEMU's screendump" "$T/end.ppm" "$T/$lab.surface.ppm"
}
spicy_shot() { # LABEL: spicy-screenshot's picture, from a client linking after the replay
    local lab=$1
    if timeout 60 spicy-screenshot -h 127.0.0.1 -p "${RPORT[$lab]}" -o "$T/$lab.spicy.ppm" \
        >"$T/$lab.spicy.log" 2>&1; then
        same "$lab" "spicy-screenshot's picture equals QEMU's screendump" \
            "$T/end.ppm" "$T/$lab.spicy.ppm"
    else
        fail "$lab: spicy-screenshot failed: $(tail -n 1 "$T/$lab.spicy.log")"
    fi
}
stop_play() { # LABEL: SIGTERM; it must exit cleanly (sanitizers included)
    kill -TERM "${RPID[$1]}" 2>/dev/null || true
    if wait "${RPID[$1]}"; then pass "$1: qxl_replay exited cleanly"
    else fail "$1: qxl_replay exited with an error:"; tail -n 20 "$T/$1.err"; fi
}
# both libraries side by side, each watched by floe-viewer as it plays
LABS=(floe)
start_play floe "$FLOE_LIB"
if [ -f "$REF_LIB" ]; then
    LABS+=(ref)
    start_play ref "$REF_LIB"
else
    skip "the reference library" "$REF_LIB is not installed"
fi
for lab in "${LABS[@]}"; do check_play "$lab" || true; done
sleep 2 # the viewers draw the last of it
for lab in "${LABS[@]}"; do viewer_end "$lab"; done
SHOTS=()
for lab in "${LABS[@]}"; do spicy_shot "$lab" >"$T/$lab.shots" & SHOTS+=($!); done
for j in "${SHOTS[@]}"; do wait "$j" || true; done
# (those checks ran in subshells: their verdicts are counted here)
for lab in "${LABS[@]}"; do
    cat "$T/$lab.shots"
    FAILS=$((FAILS + $(grep -c '^FAIL' "$T/$lab.shots" || true)))
    PASSES=$((PASSES + $(grep -c '^PASS' "$T/$lab.shots" || true)))
done
for lab in "${LABS[@]}"; do stop_play "$lab"; done
if [ ${#LABS[@]} = 2 ]; then
    for pic in surface.ppm spicy.ppm viewer.png; do
        [ -f "$T/floe.$pic" ] && [ -f "$T/ref.$pic" ] &&
            same "${pic%%.*}" "floe's library and the reference give the same picture" \
                "$T/floe.$pic" "$T/ref.$pic"
    done
fi

# ---- a damaged recording: refused with one line, nothing played ----
head -c 3000 "$REC" >"$T/cut.qxlrec"   # the primary's memory cut short
{ printf 'FLQXLREC\002\000\000\000'; tail -c +13 "$REC" | head -c 100; } >"$T/version.qxlrec"
# (both at once: each only reads its file)
for bad in cut version; do
    timeout 30 "$REPLAY" "$FLOE_LIB" "$(free_port)" "$T/$bad.qxlrec" >"$T/$bad.out" 2>"$T/$bad.err" &
    BAD[$bad]=$!
done
for bad in cut version; do
    rc=0; wait "${BAD[$bad]}" || rc=$?
    if [ "$rc" = 2 ] && [ "$(wc -l <"$T/$bad.err")" = 1 ]; then
        pass "a $bad recording is refused: $(cat "$T/$bad.err")"
    else
        fail "a $bad recording: exit $rc, $(tail -n 2 "$T/$bad.err")"
    fi
done
finish
