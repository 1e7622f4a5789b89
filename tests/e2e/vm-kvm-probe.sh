#!/usr/bin/env bash
# The KVM probe of floe-server --vm (accel = auto): before the VM's QEMU, a
# probe guest built into floe-server boots under KVM and must finish a memory
# test in long mode within kvm_probe_seconds, else the VM runs under TCG. One
# log line says which and why. A wrapper around QEMU plays each outcome:
#   the probe guest run under TCG instead (so it finishes): KVM is chosen,
#     which also proves the built-in guest itself works;
#   a probe that hangs: TCG after the deadline;
#   a probe QEMU that fails: TCG with its exit status;
#   vm-stop during the probe: no VM is started;
#   /dev/kvm replaced by /dev/null (a private mount namespace, as root):
#     TCG without a probe.
# Then the real probe on this host, which must decide within its deadline.
# The VM is SeaBIOS alone, which runs under KVM and TCG alike.
# The first four need a usable /dev/kvm (floe-server probes only then):
# without one each prints a SKIP line saying why, and the rest still runs.
cd "$(dirname "$0")/../.."
. tests/lib.sh
command -v socat >/dev/null || { echo "FAIL: socat is not installed"; exit 1; }
REAL_QEMU=$(command -v "${QEMU:-qemu-system-x86_64}") || { echo "FAIL: QEMU is not installed"; exit 1; }

# the wrapper: PROBE_MODE decides what happens to the probe's QEMU (the one
# with isa-debug-exit); the VM's QEMU runs as asked
cat >"$T/qemu" <<EOF2
#!/usr/bin/env bash
case " \$* " in
*isa-debug-exit*)
    echo "\$*" >>"$T/probe-args"
    case "\$PROBE_MODE" in
    tcg)  args=(); for a in "\$@"; do [ "\$a" = kvm ] && a=tcg; args+=("\$a"); done
          exec "$REAL_QEMU" "\${args[@]}" ;;
    hang) echo \$\$ >"$T/hang.pid"; exec sleep 600 ;;
    fail) exit 1 ;;
    esac ;;
esac
exec "$REAL_QEMU" "\$@"
EOF2
chmod +x "$T/qemu"
cat >"$T/vm.conf" <<EOF2
memory = 64
accel = auto
kvm_probe_seconds = 3
stop_timeout = 1
EOF2

status() { ctl vm-status | head -1; }
wait_state() { # seconds pattern
    wait_for "$1" ctl_has vm-status "$2"
}
# kvm_unusable: why floe-server would not probe KVM here (as floe-server
# checks it: /dev/kvm opens for reading and writing and speaks API 12)
kvm_unusable() {
    [ -e /dev/kvm ] || { echo "/dev/kvm is missing"; return; }
    python3 - <<'PY' || true
import fcntl, os
try:
    fd = os.open("/dev/kvm", os.O_RDWR)
    v = fcntl.ioctl(fd, 0xAE00)          # KVM_GET_API_VERSION
    if v != 12: print("/dev/kvm speaks KVM API %d, not 12" % v)
except OSError as e:
    print("/dev/kvm is not usable (%s)" % e.strerror)
PY
}
NO_KVM=$(kvm_unusable)

if [ -z "$NO_KVM" ]; then
    # the probe guest runs under TCG: it finishes, so KVM is chosen
    rm -f "$T/probe-args"
    PROBE_MODE=tcg QEMU="$T/qemu" start_server --disable-ticketing --vm "$T/vm.conf"
    if wait_for 10 grep -q "vm: using KVM: a probe guest entered long mode" "$T/server.err"; then
        pass "a probe that finishes: $(grep -m1 'vm: using KVM' "$T/server.err" | sed 's/.*vm: //')"
    else
        fail "a finishing probe did not choose KVM"; tail -5 "$T/server.err"
    fi
    grep -q -- "-accel kvm" "$T/probe-args" && grep -q "if=floppy" "$T/probe-args" &&
        pass "the probe asked for KVM and booted its own disk" || fail "probe args: $(cat "$T/probe-args")"
    wait_state 20 "state=running accel=kvm " && pass "the VM runs under KVM: $(status | cut -c1-40)" ||
        fail "VM after a good probe: $(status)"
    ctl vm-stop >/dev/null
    wait_state 15 "state=stopped" || fail "vm-stop: $(status)"
    ctl vm-start >/dev/null
    wait_state 20 "state=running accel=kvm " && [ "$(grep -c 'vm: probing KVM' "$T/server.err")" = 1 ] &&
        pass "a second start keeps the decision without probing again" ||
        fail "second start: $(status), $(grep -c 'vm: probing KVM' "$T/server.err") probes"
    stop_server

    # a probe that never finishes: TCG once the deadline passes
    start=$SECONDS
    PROBE_MODE=hang QEMU="$T/qemu" start_server --disable-ticketing --vm "$T/vm.conf"
    if wait_for 15 grep -q "vm: using TCG: KVM runs guests too slowly here" "$T/server.err"; then
        pass "a hanging probe: $(grep -m1 'vm: using TCG' "$T/server.err" | sed 's/.*vm: //')"
    else
        fail "a hanging probe: no TCG line"; tail -5 "$T/server.err"
    fi
    wait_state 20 "state=running accel=tcg " && pass "then the VM runs under TCG ($((SECONDS - start)) s after start)" ||
        fail "VM after a hanging probe: $(status)"
    [ "$(grep -c 'vm: using' "$T/server.err")" = 1 ] && pass "exactly one accelerator line" ||
        fail "accelerator lines: $(grep 'vm: using' "$T/server.err")"
    stop_server
    hang=$(cat "$T/hang.pid" 2>/dev/null || true)
    [ -n "$hang" ] && kill -0 "$hang" 2>/dev/null && fail "the hanging probe was left running" ||
        pass "the hanging probe was killed"

    # a probe QEMU that fails at once
    PROBE_MODE=fail QEMU="$T/qemu" start_server --disable-ticketing --vm "$T/vm.conf"
    if wait_for 10 grep -q "vm: using TCG: QEMU running a probe guest under KVM exited with status 1" "$T/server.err"; then
        pass "a failing probe: $(grep -m1 'vm: using TCG' "$T/server.err" | sed 's/.*vm: //')"
    else
        fail "a failing probe: $(grep 'vm:' "$T/server.err" | tail -3)"
    fi
    wait_state 20 "state=running accel=tcg " || fail "VM after a failing probe: $(status)"
    stop_server

    # vm-stop while probing: the probe ends and no VM starts
    PROBE_MODE=hang QEMU="$T/qemu" start_server --disable-ticketing --vm "$T/vm.conf"
    wait_state 10 "accel=kvm-probing" && pass "vm-status shows the probe: $(status | cut -c1-40)" ||
        fail "no probing state: $(status)"
    ctl vm-stop >/dev/null
    wait_state 10 "state=stopped" && sleep 1 && ! grep -q "vm: QEMU started (pid" "$T/server.err" &&
        pass "vm-stop during the probe: stopped, no QEMU started" ||
        fail "vm-stop during the probe: $(status); $(grep 'vm:' "$T/server.err" | tail -2)"
    stop_server
else
    for part in "a probe that finishes chooses KVM" "a hanging probe falls back to TCG" \
                "a failing probe falls back to TCG" "vm-stop during the probe"; do
        skip "$part" "$NO_KVM, so floe-server does not probe"
    done
fi

# /dev/kvm that is not KVM: TCG without a probe. The server runs in a
# private mount namespace whose /dev is an overlay of the real one (so
# nothing changes outside) with /dev/kvm made /dev/null's device: this
# works whether or not the machine has a /dev/kvm.
cat >"$T/no-kvm" <<EOF2
#!/bin/sh
# runs its arguments where /dev/kvm is /dev/null
exec unshare -m --propagation private sh -c '
    d=$T/private-dev && mkdir -p "\$d" && mount -t tmpfs none "\$d" && mkdir "\$d/up" "\$d/work" &&
    mount -t overlay overlay -o "lowerdir=/dev,upperdir=\$d/up,workdir=\$d/work" /dev &&
    rm -f /dev/kvm && mknod -m 666 /dev/kvm c 1 3 && exec "\$0" "\$@"' "\$@"
EOF2
chmod +x "$T/no-kvm"
if [ "$(id -u)" != 0 ]; then
    skip "a /dev/kvm that is not KVM" "it needs root for a private mount namespace"
elif ! command -v unshare >/dev/null; then
    skip "a /dev/kvm that is not KVM" "unshare (util-linux) is not installed"
elif ! why=$("$T/no-kvm" sh -c '[ -c /dev/kvm ] && [ "$(stat -c %t:%T /dev/kvm)" = 1:3 ]' 2>&1); then
    skip "a /dev/kvm that is not KVM" "no private /dev here: ${why:-the check in it failed}"
else
    RUN_IN=$T/no-kvm start_server --disable-ticketing --vm "$T/vm.conf"
    if wait_for 10 grep -q "vm: using TCG: /dev/kvm is not usable" "$T/server.err"; then
        pass "no KVM device: $(grep -m1 'vm: using TCG' "$T/server.err" | sed 's/.*vm: //')"
    else
        fail "no KVM device: $(grep 'vm:' "$T/server.err" | tail -3)"
    fi
    grep -q "probing KVM" "$T/server.err" && fail "probed without a KVM device" || true
    stop_server
fi

# the real probe on this host decides within its deadline, in one line
# (the run folder the probe used must be gone once the server is)
start_server --disable-ticketing --vm "$T/vm.conf"
if wait_for 10 grep -q "vm: using \(KVM\|TCG\): " "$T/server.err"; then
    pass "on this host: $(grep -m1 'vm: using' "$T/server.err" | sed 's/.*vm: //')"
else
    fail "the real probe did not decide: $(grep 'vm:' "$T/server.err" | tail -3)"
fi
want=$(grep -m1 -o "vm: using [KT][VC][MG]" "$T/server.err" | tr 'A-Z' 'a-z' | sed 's/vm: using //')
wait_state 20 "state=running accel=$want " && pass "the VM runs as the log says: $(status | cut -c1-40)" ||
    fail "VM after the real probe: $(status)"
dir=$(dirname "$(status | sed -n 's/.* agent=\([^ ]*\).*/\1/p')")
stop_server
[ -n "$dir" ] && [ ! -e "$dir" ] && pass "the run folder is removed ($dir)" ||
    fail "the run folder is left: $dir: $(ls "$dir" 2>&1)"
finish
