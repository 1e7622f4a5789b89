#!/usr/bin/env bash
# floe-server --vm with display = qxl: QEMU runs the Linux test guest on its
# qxl device and serves SPICE itself with floe's libspice-server.so.1 (and,
# in a sanitizer build, the libasan it needs), at the address floe-server
# prints. floe-viewer's picture equals QEMU's screendump, a command typed
# through it runs in the guest, the control socket keeps the VM's lifecycle
# (pause, resume, stop, start; vm-screendump) and refuses the commands that
# read floe's own display. With --password-file a wrong password is refused,
# the right one let in, and an expired one refused after a restart of QEMU.
# With --listen unix:PATH QEMU listens on that socket and on no TCP port:
# floe-viewer and remote-viewer (spice+unix://) see SeaBIOS's screen, the
# socket is owner-only whatever the umask, a stale one is replaced, a live
# one refused, and it is gone once QEMU stops.
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/qemu-lib.sh
command -v socat >/dev/null || { echo "FAIL: socat is not installed"; exit 1; }
LIB=$(cd "$BIN/../lib" && pwd)/libspice-server.so.1
[ -f "$LIB" ] || { echo "FAIL: $LIB is not built"; exit 1; }

# quiet_log: neither QEMU (whose stderr is floe-server's) nor the sanitizers complained
quiet_log() {
    local bad
    bad=$(grep -E "AddressSanitizer|runtime error|qemu-system-[a-z0-9_]*: " "$T/server.err" |
          grep -v "terminating on signal\|warning: Spice: " | head -n 3 || true)
    [ -z "$bad" ] && pass "$1: no complaint from QEMU or the sanitizers" || fail "$1: $bad"
}

# bad_config NAME EXPECTED-TEXT [floe-server options]: exits non-zero with one line
bad_config() {
    local name=$1 want=$2 rc=0 lines
    shift 2
    timeout 20 "$BIN/floe-server" --disable-ticketing "$@" >"$T/bad.out" 2>"$T/bad.err" || rc=$?
    lines=$(wc -l <"$T/bad.err")
    if [ "$rc" != 0 ] && [ "$rc" != 124 ] && [ "$lines" = 1 ] && grep -q "$want" "$T/bad.err"; then
        pass "$name: exit $rc with: $(cat "$T/bad.err")"
    else
        fail "$name: exit $rc, $lines line(s):"; cat "$T/bad.err"
    fi
}
printf 'display = vga\n' >"$T/display.conf"
bad_config "bad display" "display must be vnc or qxl, not 'vga'" --vm "$T/display.conf"
mkdir "$T/nolib"
printf 'display = qxl\nspice_lib = %s\n' "$T/nolib" >"$T/nolib.conf"
bad_config "no library" "display = qxl needs floe's libspice-server.so.1: not found in $T/nolib" \
    --listen 127.0.0.1:0 --vm "$T/nolib.conf"

build_guest

# The guest's run, the unix socket's and the tickets' are parts of their
# own, side by side (the last two need only SeaBIOS's screen).
guest_part() {
# ---- the guest on QXL, its serial port on a socket (and a log) ----
QMP=$T/test-qmp.sock
SER=$T/serial.sock
cat >"$T/vm.conf" <<EOF
memory = 256
accel = tcg
display = qxl
kernel = $KERNEL
initrd = $INITRD
append = $GUEST_APPEND
stop_timeout = 1
extra = -qmp unix:$QMP,server=on,wait=off -chardev socket,id=ser,path=$SER,server=on,wait=off,logfile=$T/serial.log,logappend=on -serial chardev:ser
EOF
start_server --disable-ticketing --image-compression auto_lz --vm "$T/vm.conf"
status=$(ctl vm-status | head -n 1)
[[ "$status" == *" display=qxl spice=$URI" ]] &&
    pass "vm-status: display=qxl and the address floe-server printed ($URI)" ||
    fail "vm-status: $status (printed $URI)"
wait_for 30 test -S "$QMP" || { fail "QEMU did not start"; cat "$T/server.err"; finish; }
QEMU_PID=$(vm_field pid)
args=$(tr '\0' ' ' <"/proc/$QEMU_PID/cmdline")
[[ "$args" == *"-vga qxl"* && "$args" == *"-spice port=$PORT,addr=127.0.0.1,disable-ticketing=on,image-compression=auto_lz"* && "$args" != *"-vnc"* ]] &&
    pass "QEMU runs with -vga qxl and -spice on the port floe-server printed, no -vnc" ||
    fail "QEMU's command line: $args"
port_open "$PORT" && pass "QEMU's SPICE server listens on $PORT" || fail "nothing listens on $PORT"
listening=$(tcp_listeners "$QEMU_PID")
[ "$listening" = "$PORT" ] && pass "QEMU's TCP listeners, read from /proc: $listening" ||
    fail "QEMU's TCP listeners: '$listening', not $PORT"

lib=$(grep -o '/[^ ]*/libspice-server\.so[^ ]*' "/proc/$QEMU_PID/maps" | head -n 1 || true)
[ -n "$lib" ] && [ "$lib" -ef "$LIB" ] && pass "QEMU runs floe's libspice-server ($lib)" ||
    fail "QEMU runs '${lib:-no libspice-server}', not $LIB"
asan=$(ldd "$LIB" | awk '/libasan/ { print $1 }')
if [ -n "$asan" ]; then
    grep -q "/${asan}" "/proc/$QEMU_PID/maps" && grep -q "preloading .*/$asan" "$T/server.err" &&
        pass "floe's library was built with sanitizers: QEMU preloads $asan" ||
        fail "QEMU does not preload $asan: $(grep 'display = qxl' "$T/server.err")"
fi

if ! wait_for 150 grep -aq "floe-guest ready" "$T/serial.log"; then
    fail "no banner from the guest"; tail -n 5 "$T/serial.log"; tail -n 5 "$T/server.err"; finish
fi
banner=$(grep -a -m 1 "floe-guest ready" "$T/serial.log" | tr -d '\r')
[[ "$banner" == *"fb0 driver qxl" ]] && pass "the guest's console is on the qxl driver: $banner" ||
    fail "the guest's console is not on qxl: $banner"
sleep 1 # the shell's prompt reaches the screen

# ---- the picture and the keys, through the address floe-server printed ----
DURATION=4 snapshot_matches console "$URI" "$QMP"
A=$((RANDOM % 900 + 100)); B=$((RANDOM % 900 + 100))
DURATION=7 snapshot_matches typed "$URI" "$QMP" --type-delay 1 \
    --type "echo floe-vmqxl-\$(($A*$B)) | tee /dev/ttyS0
"
wait_for 20 grep -aq "floe-vmqxl-$((A * B))" "$T/serial.log" &&
    pass "the command typed through floe-viewer ran in the guest (floe-vmqxl-$((A * B)))" ||
    { fail "the typed command did not run"; tail -n 5 "$T/serial.log"; }

# ---- the guest agent on QEMU's vdagent device, served by floe's library ----
word="floe-qxl-clip-$RANDOM"
"$BIN/floe-viewer" --headless --duration 60 --clipboard-set "$word" --clipboard-out "$T/qclip.txt" \
    "$URI" >"$T/qclip.out" 2>"$T/qclip.err" &
QV=$!; PIDS+=($QV)
if wait_for 30 grep -q "agent is connected" "$T/qclip.err"; then
    pass "floe-agent in the guest reached floe-viewer through floe's library"
    got=
    for i in 1 2 3 4 5; do
        got=$(guest_line "floe-qget-$i" "floe-agent clip get --timeout 5" || true)
        [ "$got" = "$word" ] && break
        sleep 1
    done
    [ "$got" = "$word" ] && pass "--clipboard-set's text is what 'floe-agent clip get' reads in the guest" ||
        fail "'floe-agent clip get' read '$got', not '$word'"
    guest_run "echo guest-$word | floe-agent clip set"
    wait_for 30 grep -qx "guest-$word" "$T/qclip.txt" &&
        pass "text set in the guest with 'floe-agent clip set' reached --clipboard-out" ||
        fail "--clipboard-out holds '$(cat "$T/qclip.txt" 2>/dev/null)'"
else
    fail "no agent reached floe-viewer: $(tail -n 2 "$T/qclip.err")"
fi
kill "$QV" 2>/dev/null; wait "$QV" 2>/dev/null || true

# ---- the control socket: QEMU's picture, floe's own display refused ----
for i in 1 2 3; do
    ctl "vm-screendump $T/ctl.png" >/dev/null || fail "vm-screendump refused"
    wait_for 20 ctl_has vm-status 'op=screendump:done' || true
    screendump "$QMP" "$T/ctl-dump.ppm"
    d=$(pixel_diff "$T/ctl.png" "$T/ctl-dump.ppm")
    [ "$d" = 0 ] && break
done
[ "$d" = 0 ] && pass "vm-screendump writes QEMU's picture ($(identify -format %wx%h "$T/ctl.png"))" ||
    fail "vm-screendump's picture differs from QEMU's in $d pixels"
for cmd in "snapshot $T/s.png" clients stats; do
    out=$(ctl "$cmd" 2>&1 || true)
    [[ "$out" == *"error: ${cmd%% *}: with display = qxl"* ]] &&
        pass "'${cmd%% *}' says clients are QEMU's" || fail "'$cmd' answered: $out"
done

# the SPICE address is QEMU's: nobody else may have it
bad_config "address taken" "cannot listen on 127.0.0.1:$PORT" --listen "127.0.0.1:$PORT" \
    --vm "$T/vm.conf"

# ---- lifecycle through QMP: pause, resume, stop, start ----
ctl vm-pause >/dev/null && wait_for 10 state_is paused && pass "vm-pause: paused" ||
    fail "vm-pause: $(ctl vm-status | head -n 1)"
ctl vm-resume >/dev/null && wait_for 10 state_is running && pass "vm-resume: running" ||
    fail "vm-resume: $(ctl vm-status | head -n 1)"
ctl vm-stop >/dev/null
wait_for 20 state_is stopped && pass "vm-stop: QEMU ended ($(vm_field last_exit))" ||
    fail "vm-stop: $(ctl vm-status | head -n 1)"
port_open "$PORT" && fail "something still listens on $PORT" || pass "the SPICE port is closed"
booted=$(grep -ac "floe-guest ready" "$T/serial.log" || true)
ctl vm-start >/dev/null || fail "vm-start refused"
if wait_for 150 sh -c "[ \$(grep -ac 'floe-guest ready' '$T/serial.log') -gt $booted ]"; then
    pass "vm-start: the guest booted again (QEMU pid $(vm_field pid))"
    sleep 1
    D=$((RANDOM % 900 + 100))
    DURATION=7 snapshot_matches restarted "$URI" "$QMP" --type-delay 1 \
        --type "echo floe-again-\$(($D*3)) | tee /dev/ttyS0
"
    wait_for 20 grep -aq "floe-again-$((D * 3))" "$T/serial.log" &&
        pass "a command typed after vm-start ran" || fail "the command typed after vm-start did not run"
else
    fail "the guest did not boot after vm-start"; tail -n 5 "$T/server.err"
fi
stop_server
quiet_log "the guest's run"

}

unix_part() {
# ---- a unix socket: --listen unix:PATH (SeaBIOS's screen is enough) ----
USOCK=$T/spice.sock
UQMP=$T/unix-qmp.sock
cat >"$T/unix.conf" <<EOF
memory = 64
accel = tcg
display = qxl
stop_timeout = 1
extra = -qmp unix:$UQMP,server=on,wait=off
EOF
# a stale socket, as a server that died leaves it
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$USOCK"
stale_ino=$(stat -c %i "$USOCK")
old_umask=$(umask)
umask 000 # the socket must be owner-only whatever the umask
start_server --disable-ticketing --image-compression auto_lz --listen "unix:$USOCK" \
    --vm "$T/unix.conf"
umask "$old_umask"
[ "$URI" = "spice+unix://$USOCK" ] && pass "floe-server prints the unix address: $URI" ||
    fail "floe-server printed '$URI', not spice+unix://$USOCK"
grep -q "removed the stale socket $USOCK" "$T/server.err" &&
    pass "the stale socket was found stale and removed, and said so" ||
    fail "no word of the stale socket: $(grep -m 1 stale "$T/server.err" || true)"
status=$(ctl vm-status | head -n 1)
[[ "$status" == *" display=qxl spice=spice+unix://$USOCK" ]] &&
    pass "vm-status: display=qxl spice=spice+unix://$USOCK" || fail "vm-status: $status"
wait_for 30 test -S "$USOCK" || { fail "no socket at $USOCK"; tail -n 5 "$T/server.err"; }
[ "$(stat -c %i "$USOCK")" != "$stale_ino" ] && pass "a new socket replaced the stale one" ||
    fail "the stale socket is still there"
mode=$(stat -c %a "$USOCK")
[ "$mode" = 600 ] && pass "the socket is owner-only (mode $mode, under umask 000)" ||
    fail "the socket's mode is $mode, not 600"
leftover=$(find "$T" -maxdepth 1 -name '.floe-*' | head -n 1)
[ -z "$leftover" ] && pass "QEMU's private folder is gone once the socket is in place" ||
    fail "a private folder is left: $leftover"
QEMU_PID=$(vm_field pid)
args=$(tr '\0' ' ' <"/proc/$QEMU_PID/cmdline")
[[ "$args" == *"-spice unix=on,addr=$T/.floe-"*",disable-ticketing=on,image-compression=auto_lz"* &&
   "$args" != *"port="* ]] &&
    pass "QEMU runs with -spice unix=on in a private folder beside the socket, no port" ||
    fail "QEMU's command line: $args"
listening=$(tcp_listeners "$QEMU_PID")
[ -z "$listening" ] && pass "QEMU listens on no TCP port" || fail "QEMU listens on TCP: $listening"
listening=$(tcp_listeners "$SRV_PID")
[ -z "$listening" ] && pass "floe-server listens on no TCP port" ||
    fail "floe-server listens on TCP: $listening"

# a live socket is not taken over, by a VM or a demo
bad_config "a live socket (vm)" "cannot listen on unix:$USOCK: another server is listening there" \
    --listen "unix:$USOCK" --vm "$T/unix.conf"
bad_config "a live socket (demo)" "cannot listen on unix:$USOCK: another server is listening there" \
    --listen "unix:$USOCK"
echo precious >"$T/plain"
bad_config "a file at the path" "cannot listen on unix:$T/plain: a file that is not a socket is there" \
    --listen "unix:$T/plain" --vm "$T/unix.conf"
grep -q precious "$T/plain" && pass "the file was left alone" || fail "the file was changed"

sleep 3 # SeaBIOS reaches its last words
DURATION=2 snapshot_matches unix-bios "$URI" "$UQMP"
grep -q "unix client: channel 1:0 linked" "$T/server.err" &&
    pass "floe-viewer came in over the unix socket (QEMU's log)" ||
    fail "QEMU's log shows no client on the unix socket"
if command -v remote-viewer >/dev/null && command -v Xvfb >/dev/null; then
    start_xvfb 720x400
    remote-viewer --full-screen "$URI" >"$T/rv.log" 2>&1 &
    RV_PID=$!; PIDS+=("$RV_PID")
    remote_viewer_matches "$UQMP" 30
    kill "$RV_PID" 2>/dev/null || true
else
    skip "remote-viewer on the unix socket" "remote-viewer or Xvfb is not installed"
fi

ctl vm-stop >/dev/null
wait_for 20 state_is stopped || fail "vm-stop: $(ctl vm-status | head -n 1)"
[ ! -e "$USOCK" ] && pass "the socket is gone once QEMU stopped" || fail "$USOCK is still there"
ctl vm-start >/dev/null || fail "vm-start refused"
wait_for 30 test -S "$USOCK" && [ "$(stat -c %a "$USOCK")" = 600 ] &&
    pass "vm-start: the socket is back, mode 600" || fail "vm-start: no owner-only socket at $USOCK"
stop_server
[ ! -e "$USOCK" ] && pass "the socket is gone once floe-server quit" || fail "$USOCK is still there"
quiet_log "the unix socket's run"

}

tickets_part() {
# ---- tickets: a restart with a password file (SeaBIOS is enough) ----
printf 'floe-right-pw\n' >"$T/pw"
printf 'floe-wrong-pw\n' >"$T/bad-pw"
cat >"$T/pw.conf" <<EOF
memory = 64
accel = tcg
display = qxl
stop_timeout = 1
EOF
start_server --password-file "$T/pw" --vm "$T/pw.conf"
wait_for 30 port_open "$PORT" || fail "QEMU's SPICE port did not open"
args=$(tr '\0' ' ' <"/proc/$(vm_field pid)/cmdline")
[[ "$args" == *"-object secret,id=spice-password,format=raw,file="*"password-secret=spice-password"* ]] &&
    pass "the password goes to QEMU as a secret" || fail "QEMU's command line: $args"
# viewer NAME PASSWORD-FILE: floe-viewer's exit status
viewer() {
    local rc=0
    "$VIEWER" --headless --duration 2 --password-file "$2" --snapshot "$T/$1.png" "$URI" \
        >"$T/$1.out" 2>"$T/$1.err" || rc=$?
    return $rc
}
viewer wrong "$T/bad-pw" && fail "a wrong password was let in" ||
    { grep -q "PERMISSION_DENIED" "$T/wrong.err" && pass "a wrong password is refused: $(tail -n 1 "$T/wrong.err")" ||
      fail "a wrong password: $(tail -n 1 "$T/wrong.err")"; }
viewer right "$T/pw" && pass "the right password is let in ($(tail -n 1 "$T/right.out"))" ||
    fail "the right password: $(tail -n 1 "$T/right.err")"
printf 'floe-right-pw\nexpires=1\n' >"$T/pw"
ctl vm-stop >/dev/null
wait_for 20 state_is stopped || fail "vm-stop: $(ctl vm-status | head -n 1)"
ctl vm-start >/dev/null || fail "vm-start refused"
wait_for 30 ctl_has vm-status 'monitor=ready' && wait_for 30 port_open "$PORT" || fail "QEMU did not start again"
sleep 1 # expire_password goes through QMP once it is ready
viewer expired "$T/pw" && fail "an expired password was let in" ||
    { grep -q "PERMISSION_DENIED" "$T/expired.err" && pass "an expired password is refused after vm-start" ||
      fail "an expired password: $(tail -n 1 "$T/expired.err")"; }
stop_server
quiet_log "the tickets' run"
}

part guest guest_part
part unix unix_part
part tickets tickets_part
parts_wait
finish
