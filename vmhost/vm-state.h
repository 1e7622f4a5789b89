/* The VM's lifecycle as one state machine: what each state says of QEMU and
 * the KVM probe, and one function per transition. Pure: no I/O, no clock. */
#ifndef FLOE_VMHOST_VM_STATE_H
#define FLOE_VMHOST_VM_STATE_H

#include <stdbool.h>

enum vm_state {
    VM_STOPPED,             /* no QEMU: never started, stopped as asked, or powered off */
    VM_PROBING,             /* the KVM probe guest runs; the VM's QEMU follows it */
    VM_PROBE_OVERDUE,       /* the probe passed its deadline and is being killed */
    VM_PROBED,              /* the probe ended and chose; QEMU starts once it is closed */
    VM_PROBE_CANCELLED,     /* vm-stop during the probe: nothing starts after it */
    VM_STARTING,            /* QEMU runs: its sockets or the guest's first status awaited */
    VM_RESTORING,           /* QEMU runs with -incoming: the saved state is loading */
    VM_RUNNING,             /* the guest runs */
    VM_PAUSED,              /* the guest is stopped (QMP stop, or a state loaded paused) */
    VM_POWERING_DOWN,       /* vm-stop: the guest was asked to power down */
    VM_QUITTING,            /* vm-stop: the guest did not; QMP quit was sent */
    VM_HIBERNATING,         /* the stopped guest's state is migrating into a file */
    VM_HIBERNATE_QUITTING,  /* the state is in the file; QMP quit was sent */
    VM_HIBERNATED,          /* QEMU quit with the guest's state saved */
    VM_DIED,                /* QEMU ended unasked, or could not start after the probe */
    VM_FREEING,             /* floe_vm_free(): the VM goes once its handles are closed */
};

/* The name vm-status shows. A probe runs for a start or for a restore
 * (restore true), and is shown as that. */
const char *vm_state_name(enum vm_state s, bool restore);

/* QEMU's process was spawned and has not exited. */
bool vm_state_qemu_runs(enum vm_state s);
/* A probe was started and the VM's QEMU has not been spawned after it. */
bool vm_state_probe_pending(enum vm_state s);
/* QEMU runs and nobody is ending it: a lost QMP or VNC connection is news. */
bool vm_state_qemu_wanted(enum vm_state s);
/* The guest can take a long operation (hibernate, CD-ROM, snapshots). */
bool vm_state_guest_up(enum vm_state s);

/* The transitions. Each moves *s and returns 0, or leaves it and returns
 * -EINVAL when it does not apply to the state *s is in. */

/* stopped, hibernated or died -> probing: the accelerator is to be found */
int vm_state_probe_begin(enum vm_state *s);
/* probing -> probe-overdue: its deadline passed */
int vm_state_probe_overdue(enum vm_state *s);
/* probing or probe-overdue -> probed: the probe's exit chose */
int vm_state_probe_exited(enum vm_state *s);
/* probing, probe-overdue or probed -> probe-cancelled: vm-stop */
int vm_state_probe_cancel(enum vm_state *s);
/* probe-cancelled -> stopped: the probe is gone and nothing starts */
int vm_state_probe_abandoned(enum vm_state *s);
/* stopped, hibernated, died or probed -> starting, or restoring when QEMU
 * loads a saved state: QEMU was spawned */
int vm_state_spawned(enum vm_state *s, bool restore);
/* probed -> died: QEMU could not be spawned after the probe */
int vm_state_spawn_failed(enum vm_state *s);
/* starting, running or paused -> running or paused: QEMU's word on the guest */
int vm_state_guest_status(enum vm_state *s, bool running);
/* restoring -> running or paused: the saved state is loaded */
int vm_state_restored(enum vm_state *s, bool running);
/* starting, restoring, running, paused, hibernating or powering-down ->
 * powering-down: vm-stop (QEMU that quits already is left to it) */
int vm_state_power_down(enum vm_state *s);
/* powering-down -> quitting: the guest did not power down in time */
int vm_state_quit_sent(enum vm_state *s);
/* running or paused -> hibernating */
int vm_state_hibernate_begin(enum vm_state *s);
/* hibernating -> paused: the migration failed (the guest may run on) */
int vm_state_hibernate_failed(enum vm_state *s);
/* hibernating -> hibernate-quitting: the state is saved */
int vm_state_hibernate_saved(enum vm_state *s);
/* QEMU exited: hibernate-quitting -> hibernated; hibernating -> died;
 * powering-down or quitting -> stopped; starting, restoring, running or
 * paused -> stopped when the guest powered itself off (SHUTDOWN, then exit
 * status 0), else died. */
int vm_state_qemu_exited(enum vm_state *s, bool guest_powered_off);
/* any -> freeing */
int vm_state_free(enum vm_state *s);

#endif
