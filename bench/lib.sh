# Shell helpers shared by the VM benches (source it): waiting, free ports,
# key=value fields of summary lines, medians; and the scroll workload.
wait_for() { # seconds, command...
    local until=$((SECONDS + $1)); shift
    while ! "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt "$until" ] || return 1
        sleep 0.2
    done
}
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
field() { sed -n "s/.*[ ^]$1=\([0-9.]*\).*/\1/p" <<<" $2"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# The scroll workload (bench/qxl.sh, bench/vm.sh). The guest's serial port
# is a socket chardev logged to a file, and the shell on it fills the text
# console to its bottom, then prints one line on tty1 every 0.3 s and a
# counter on the serial port. A headless viewer connects; 3 s later, when
# it has the first picture, a window of some seconds opens: the counter and
# the bytes the viewer's connections have received (bytes_received of its
# sockets in `ss -ti`) are read at both ends, so the connection and its
# first picture stay outside. Bytes per line = bytes / lines.
# The script that sources this defines die and sets BIN and T, and for
# each boot WHO (its name in messages), LOG (the serial log), PORT
# (the SPICE port the viewer connects to) and URI.
FEED= VIEWER=

serial_args() { # socket log -> SERIAL: QEMU's options for that serial port
    SERIAL=(-chardev "socket,id=ser,path=$1,server=on,wait=off,logfile=$2" -serial chardev:ser)
}

# one connection to the serial port for the whole boot (what is written to a
# connection that closes at once can be lost before the guest reads it), its
# output read and dropped (the log has it): unread, it fills the socket and
# the guest's serial port stalls
serial_attach() { # socket -> the serial shell reads fd 3
    wait_for 30 test -S "$1" || die "$WHO: no serial socket $1"
    rm -f "$T/serial.in"
    mkfifo "$T/serial.in"
    socat - "UNIX-CONNECT:$1" <"$T/serial.in" >/dev/null 2>"$T/socat.err" &
    FEED=$!
    exec 3>"$T/serial.in"
}

serial_detach() { # once QEMU is gone
    exec 3>&-
    [ -z "$FEED" ] || wait "$FEED" 2>/dev/null || true
    FEED=
}

seen() { grep -a -q -- "$1" "$LOG"; }
guest() { printf '%s\n' "$1" >&3; } # a command line for the serial shell

# a marker only the command's output holds, not its echo: $((6*7))
guest_done() { # command, what -> runs command, waits for it to finish
    local tag=$2-$RANDOM
    guest "$1; echo $tag-\$((6*7))"
    wait_for 60 seen "$tag-42" || die "$WHO: $2 did not finish"
}

lines() { # the loop's last counter on the serial port (a whole line only)
    grep -a -o $'floe-scroll [0-9]*\r' "$LOG" | tail -n 1 | tr -dc 0-9
}
counting() { [ -n "$(lines)" ]; }

scroll_start() { # the console filled, then the loop (until scroll_stop)
    guest ""
    guest_done 'i=0; while [ $i -lt 60 ]; do echo fill $i; i=$((i + 1)); done >/dev/tty1' "fill"
    guest 'i=0; while :; do echo "line $i: the quick brown fox jumps over the lazy dog" >/dev/tty1; echo "floe-scroll $i" >/dev/ttyS0; i=$((i + 1)); sleep 0.3; done &'
    wait_for 20 counting || die "$WHO: the scrolling loop did not start"
    sleep 1
}
scroll_stop() { guest_done 'kill $!' "stop"; }

received() { # bytes the client ends of connections to PORT have received
    ss -tinH state established "( dport = :$PORT )" |
        grep -o 'bytes_received:[0-9]*' | awk -F: '{ s += $2 } END { print s + 0 }'
}

# scroll_window SECONDS [SAMPLE [SNAPSHOT]]: the viewer started (SNAPSHOT:
# the PNG it writes as it ends) and the window measured; WINDOW is then
# "LINES BYTES" followed by SAMPLE's output (a command's) at the window's
# start and at its end. The viewer goes on until scroll_viewer_end.
scroll_window() {
    local n0 n1 b0 b1 s0= s1=
    "$BIN/floe-viewer" --headless --duration $(($1 + 120)) ${3:+--snapshot "$3"} "$URI" \
        >"$T/viewer.out" 2>"$T/viewer.err" &
    VIEWER=$!
    sleep 3
    [ -z "${2:-}" ] || s0=$("$2"); n0=$(lines); b0=$(received)
    sleep "$1"
    [ -z "${2:-}" ] || s1=$("$2"); n1=$(lines); b1=$(received)
    [ "$b0" -gt 0 ] || die "$WHO: the viewer had received nothing 3 s after it started"
    WINDOW="$((n1 - n0)) $((b1 - b0)) $s0 $s1"
}

# ends the viewer (SIGTERM: it prints its summary, and writes its snapshot);
# its summary, which counts from the start, must hold the window's bytes
scroll_viewer_end() {
    local out
    kill -TERM "$VIEWER" 2>/dev/null || true
    wait "$VIEWER" || die "$WHO: viewer failed: $(tail -n 1 "$T/viewer.err")"
    VIEWER=
    out=$(tail -n 1 "$T/viewer.out")
    [ "$(field bytes "$out")" -ge "$(cut -d' ' -f2 <<<"$WINDOW")" ] ||
        die "$WHO: the window's bytes ($WINDOW) do not fit the viewer's: $out"
}
