/* The VM's lifecycle states and their transitions (see vm-state.h): each
 * transition names the states it leaves and the one it enters, nothing else. */
#include "vmhost/vm-state.h"

#include <errno.h>

#define IN(s) (1u << (s))

/* QEMU is down and may be started */
#define DOWN (IN(VM_STOPPED) | IN(VM_HIBERNATED) | IN(VM_DIED))
#define PROBE (IN(VM_PROBING) | IN(VM_PROBE_OVERDUE) | IN(VM_PROBED) | IN(VM_PROBE_CANCELLED))
#define QEMU (IN(VM_STARTING) | IN(VM_RESTORING) | IN(VM_RUNNING) | IN(VM_PAUSED) | \
              IN(VM_POWERING_DOWN) | IN(VM_QUITTING) | IN(VM_HIBERNATING) | \
              IN(VM_HIBERNATE_QUITTING))
/* QEMU runs and is not being ended on purpose */
#define WANTED (IN(VM_STARTING) | IN(VM_RESTORING) | IN(VM_RUNNING) | IN(VM_PAUSED) | \
                IN(VM_HIBERNATING))

static bool is(enum vm_state s, unsigned set)
{
    return (IN(s) & set) != 0;
}

/* The one way a state changes: from one of `from` to `to`. */
static int move(enum vm_state *s, unsigned from, enum vm_state to)
{
    if (!is(*s, from))
        return -EINVAL;
    *s = to;
    return 0;
}

const char *vm_state_name(enum vm_state s, bool restore)
{
    switch (s) {
    case VM_STOPPED: return "stopped";
    case VM_PROBING:
    case VM_PROBE_OVERDUE:
    case VM_PROBED: return restore ? "restoring" : "starting";
    case VM_STARTING: return "starting";
    case VM_RESTORING: return "restoring";
    case VM_RUNNING: return "running";
    case VM_PAUSED: return "paused";
    case VM_PROBE_CANCELLED:
    case VM_POWERING_DOWN:
    case VM_QUITTING:
    case VM_FREEING: return "stopping";
    case VM_HIBERNATING:
    case VM_HIBERNATE_QUITTING: return "hibernating";
    case VM_HIBERNATED: return "hibernated";
    case VM_DIED: return "died";
    }
    return "unknown";
}

bool vm_state_qemu_runs(enum vm_state s)
{
    return is(s, QEMU);
}

bool vm_state_probe_pending(enum vm_state s)
{
    return is(s, PROBE);
}

bool vm_state_qemu_wanted(enum vm_state s)
{
    return is(s, WANTED);
}

bool vm_state_guest_up(enum vm_state s)
{
    return is(s, IN(VM_RUNNING) | IN(VM_PAUSED));
}

int vm_state_probe_begin(enum vm_state *s)
{
    return move(s, DOWN, VM_PROBING);
}

int vm_state_probe_overdue(enum vm_state *s)
{
    return move(s, IN(VM_PROBING), VM_PROBE_OVERDUE);
}

int vm_state_probe_exited(enum vm_state *s)
{
    return move(s, IN(VM_PROBING) | IN(VM_PROBE_OVERDUE), VM_PROBED);
}

int vm_state_probe_cancel(enum vm_state *s)
{
    return move(s, IN(VM_PROBING) | IN(VM_PROBE_OVERDUE) | IN(VM_PROBED), VM_PROBE_CANCELLED);
}

int vm_state_probe_abandoned(enum vm_state *s)
{
    return move(s, IN(VM_PROBE_CANCELLED), VM_STOPPED);
}

int vm_state_spawned(enum vm_state *s, bool restore)
{
    return move(s, DOWN | IN(VM_PROBED), restore ? VM_RESTORING : VM_STARTING);
}

int vm_state_spawn_failed(enum vm_state *s)
{
    return move(s, IN(VM_PROBED), VM_DIED);
}

int vm_state_guest_status(enum vm_state *s, bool running)
{
    return move(s, IN(VM_STARTING) | IN(VM_RUNNING) | IN(VM_PAUSED),
                running ? VM_RUNNING : VM_PAUSED);
}

int vm_state_restored(enum vm_state *s, bool running)
{
    return move(s, IN(VM_RESTORING), running ? VM_RUNNING : VM_PAUSED);
}

int vm_state_power_down(enum vm_state *s)
{
    return move(s, WANTED | IN(VM_POWERING_DOWN), VM_POWERING_DOWN);
}

int vm_state_quit_sent(enum vm_state *s)
{
    return move(s, IN(VM_POWERING_DOWN), VM_QUITTING);
}

int vm_state_hibernate_begin(enum vm_state *s)
{
    return move(s, IN(VM_RUNNING) | IN(VM_PAUSED), VM_HIBERNATING);
}

int vm_state_hibernate_failed(enum vm_state *s)
{
    return move(s, IN(VM_HIBERNATING), VM_PAUSED);
}

int vm_state_hibernate_saved(enum vm_state *s)
{
    return move(s, IN(VM_HIBERNATING), VM_HIBERNATE_QUITTING);
}

int vm_state_qemu_exited(enum vm_state *s, bool guest_powered_off)
{
    if (move(s, IN(VM_HIBERNATE_QUITTING), VM_HIBERNATED) == 0 ||
        move(s, IN(VM_HIBERNATING), VM_DIED) == 0 ||
        move(s, IN(VM_POWERING_DOWN) | IN(VM_QUITTING), VM_STOPPED) == 0)
        return 0;
    return move(s, IN(VM_STARTING) | IN(VM_RESTORING) | IN(VM_RUNNING) | IN(VM_PAUSED),
                guest_powered_off ? VM_STOPPED : VM_DIED);
}

int vm_state_free(enum vm_state *s)
{
    *s = VM_FREEING;
    return 0;
}
