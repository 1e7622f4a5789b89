#!/usr/bin/env bash
# The guest agent's char device through floe's libspice-server.so.1 and
# Debian's, played by qxl_host --agent (QEMU's spicevmc "vdagent" device
# with a small VDAgent behind it, on the host's main loop; it takes at most
# 1000 bytes per loop turn, so the library must keep what QEMU did not take
# and write it on the next wakeup). For each library, floe-viewer
# --clipboard-set's text (over 2048 bytes: several AGENT_DATA pieces and
# chunks) reaches the agent whole, and the agent's own text (over 2048
# bytes) reaches --clipboard-out whole; the library says the client side is
# connected through the device's state. A second viewer, after the first
# went, gets the same (the agent stays attached across clients). A
# monitors config from floe-viewer --guest-size goes to the QXL device and
# not to the agent while the device's guest takes them, and to the agent
# when it does not (the reference's rule). Every sif call comes on the
# host's main loop (qxl_host aborts otherwise).
. "$(dirname "$0")/../lib.sh"

. "$(dirname "$0")/../qxl-host-lib.sh"
for f in "$HOST" "$VIEWER" "$FLOE_LIB" "$REF_LIB"; do
    [ -e "$f" ] || { fail "$f is missing"; finish; }
done

# got_from_viewer NAME TEXT: the agent printed TEXT as the client's clipboard
got_from_viewer() { grep -qxF "agent clipboard ${#2}: $2" "$T/$1.out"; }

# clipboard_both_ways NAME RUN: one floe-viewer, its text to the agent and
# the agent's back
clipboard_both_ways() {
    local name=$1 run=$2 mine v
    mine="viewer-$run-$RANDOM-$(printf 'klmnopqrst%.0s' $(seq 1 400))-end"
    rm -f "$T/$name.clip.$run"
    "$VIEWER" --headless --duration 60 --clipboard-set "$mine" --clipboard-out "$T/$name.clip.$run" \
        "spice://127.0.0.1:$HOST_PORT" >"$T/$name.v$run.out" 2>"$T/$name.v$run.err" &
    v=$!; PIDS+=($v)
    if wait_for 30 got_from_viewer "$name" "$mine"; then
        pass "$name, viewer $run: --clipboard-set's ${#mine} bytes reached the agent whole"
    else
        fail "$name, viewer $run: the agent did not get --clipboard-set's ${#mine} bytes: $(grep '^agent' "$T/$name.out" | cut -c 1-100 | tail -n 5)"
    fi
    if wait_for 30 bash -c '[ "$(cat "$1" 2>/dev/null)" = "$2" ]' _ "$T/$name.clip.$run" "$AGENT_TEXT"; then
        pass "$name, viewer $run: the agent's ${#AGENT_TEXT} bytes reached --clipboard-out whole"
    else
        fail "$name, viewer $run: --clipboard-out holds $(wc -c <"$T/$name.clip.$run" 2>/dev/null || echo no) bytes, not the agent's ${#AGENT_TEXT}"
        tail -n 5 "$T/$name.v$run.err"
    fi
    kill "$v" 2>/dev/null; wait "$v" 2>/dev/null || true
}

# monitors NAME: floe-viewer --guest-size; $2 = qxl (the device took it) or agent
monitors() {
    local name=$1 want=$2 v
    "$VIEWER" --headless --duration 60 --guest-size 1000x700 \
        "spice://127.0.0.1:$HOST_PORT" >"$T/$name.m.out" 2>"$T/$name.m.err" &
    v=$!; PIDS+=($v)
    if [ "$want" = qxl ]; then
        if wait_for 30 grep -q '^client_monitors_config monitors=1' "$T/$name.out"; then
            sleep 2
            if grep -q '^agent: a monitors config came' "$T/$name.out"; then
                fail "$name: the monitors config went to the QXL device and to the agent too"
            else
                pass "$name: the monitors config went to the QXL device, not to the agent"
            fi
        else
            fail "$name: the QXL device never got the monitors config"
        fi
    else
        if wait_for 30 grep -q '^agent: a monitors config came' "$T/$name.out"; then
            pass "$name: with a guest whose driver takes none, the monitors config went to the agent"
        else
            fail "$name: the agent never got the monitors config"
        fi
    fi
    kill "$v" 2>/dev/null; wait "$v" 2>/dev/null || true
}

AGENT_TEXT="agent-$RANDOM-$(printf 'abcdefghij%.0s' $(seq 1 300))-end"

# run_clipboard LIB PATH: two viewers one after the other, then a monitors config
run_clipboard() {
    start_host "$1" "$2" scroll --agent "$AGENT_TEXT" || return 0
    clipboard_both_ways "$1" 1
    clipboard_both_ways "$1" 2
    if grep -q '^agent: the library says the client side is connected' "$T/$1.out"; then
        pass "$1: the library told the device the client side is there (its state call)"
    else
        fail "$1: the library never called the device's state"
    fi
    monitors "$1" qxl
    stop_host "$1"
}

# run_monitors_agent LIB PATH: a device whose guest takes no monitor configs
run_monitors_agent() {
    start_host "$1-noqxl" "$2" scroll --agent "$AGENT_TEXT" --no-client-monitors || return 0
    monitors "$1-noqxl" agent
    stop_host "$1-noqxl"
}

PARTS_AT_ONCE=2
for lib in floe ref; do
    [ $lib = floe ] && path=$FLOE_LIB || path=$REF_LIB
    part "$lib-clipboard" run_clipboard $lib "$path"
    part "$lib-monitors-agent" run_monitors_agent $lib "$path"
done
parts_wait
finish
