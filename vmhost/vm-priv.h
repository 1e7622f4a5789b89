/* What the VM's source files share: struct floe_vm and its heads, and the
 * functions each concern (process, QMP, display, operations) offers the others. */
#ifndef FLOE_VMHOST_VM_PRIV_H
#define FLOE_VMHOST_VM_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <uv.h>

#include "vmhost/qmp.h"
#include "vmhost/vm-config.h"
#include "vmhost/vm-state.h"
#include "vmhost/vm.h"
#include "vmhost/vnc-feed.h"

#define QMP_TIMEOUT_MS 10000
#define QUIT_GRACE_MS 3000   /* from QMP quit to SIGKILL */
#define OP_POLL_MS 100       /* query-migrate and query-status while an operation runs */
#define CDROM_ID "cdrom0"
#define VM_AGENT_PORT_ID "agentport"   /* the agent's virtserialport, as VSERPORT_CHANGE names it */

/* One display head: its VNC server in QEMU, read into server surface `index`. */
struct vm_head {
    struct floe_vm *vm;
    int index;
    char vnc_path[96];
    struct floe_vnc_feed *feed;
    int w, h;
    /* what the feed changed since its last picture went to the server: the
     * bounds of its rectangles (x2 <= x1: nothing) */
    int dirty_x1, dirty_y1, dirty_x2, dirty_y2;
};

typedef void (*vm_child_closed_fn)(struct floe_vm *vm);

/* A child process: the VM's QEMU or the KVM probe's. It is the VM's until
 * libuv has closed it, after its exit; then closed_fn (if any) runs. */
struct vm_child {
    uv_process_t proc;
    struct floe_vm *vm;
    vm_child_closed_fn closed_fn;
};

/* The QMP connection to the running QEMU. */
struct vm_monitor {
    struct floe_qmp *qmp;   /* NULL: down */
    bool ready;             /* capabilities negotiated: commands may go */
    int status_tries;       /* query-status asked again after a failure */
    int reconnects;         /* connections tried again while QEMU runs */
};

/* The last long operation, for op= in vm-status: its name and outcome
 * ("running", "done" or "failed"), both literals; NULL before the first. */
struct vm_op {
    const char *name, *outcome;
};

/* display = qxl: QEMU's own SPICE server (vm-spice.c) */
struct vm_spice {
    char *lib_dir;            /* the folder of floe's libspice-server.so.1 */
    char preload[256];        /* LD_PRELOAD for QEMU: the library's libasan, or "" */
    char host[256];           /* where clients connect */
    int port;
    char password_path[96];   /* the password as QEMU's secret reads it */
    time_t expiry;            /* the password file's expires=, 0 for none */
    /* on a unix socket (vm-spice-unix.c): the path clients use ("" for
     * TCP), and while QEMU starts, the private folder it binds it in */
    char unix_path[108], unix_dir[108], unix_bound[108];
    bool unix_published;      /* moved to unix_path: it is ours to remove */
    dev_t unix_dev;           /* what was put there */
    ino_t unix_ino;
};

/* The guest agent's port (vm-agent.c), display = vnc only: connected to
 * QEMU's chardev while QEMU runs, attached to the server while the guest
 * has the port open. */
struct vm_agent_conn;
struct vm_agent {
    struct vm_agent_conn *conn;   /* NULL: none */
    bool guest_open;              /* VSERPORT_CHANGE said open (and it broke nothing since) */
    bool attached;                /* the server relays it */
    bool broken;                  /* it broke the protocol: not again until it opens the port */
    int tries;                    /* connections failed in a row */
};

struct floe_vm {
    uv_loop_t *loop;
    struct floe_server *srv;
    struct floe_vm_config cfg;
    enum vm_state state;      /* changed only by the vm_state_* transitions */
    char dir[64], qmp_path[96], agent_path[96], probe_image[96];
    struct vm_head heads[FLOE_VM_MAX_MONITORS];   /* cfg.monitors of them */
    struct vm_child *qemu;    /* the VM's QEMU from its spawn to its exit */
    struct vm_child *probe;   /* the probe's QEMU from its spawn to its exit */
    uint64_t probe_started_ms;
    uv_timer_t sock_timer, probe_timer, stop_timer, op_timer, agent_timer;
    int sock_waited_ms;
    struct vm_monitor mon;
    /* FLOE_VM_ACCEL_AUTO until probed or configured; then what every run uses */
    enum floe_vm_accel accel;
    char accel_note[160];     /* how the accelerator was chosen, logged once QEMU runs */
    bool guest_powered_off;   /* SHUTDOWN came from this run's guest */
    char last_exit[96];
    unsigned long updates;
    int ptr_x, ptr_y, ptr_monitor;   /* the pointer is on heads[ptr_monitor] */
    unsigned buttons;
    char *incoming;           /* the -incoming URI while a restore is under way */
    bool resume_if_hibernation_fails;   /* the guest ran when hibernation began */
    struct vm_op op;
    char overlay[4096];       /* the disk QEMU opens when the config names a template */
    bool overlay_is_ours;     /* made in the run folder: it goes with it */
    int open_handles;         /* timers and child processes not closed yet */
    struct vm_spice spice;    /* display = qxl only */
    struct vm_agent agent;    /* display = vnc only */
};

/* vm.c: the object, its run folder and its handles */
/* Removes the sockets QEMU listens on (and the probe's disk) from the run folder. */
void vm_remove_sockets(struct floe_vm *vm);
/* Spawns a child with po (whose exit_cb gets the child as proc.data): the
 * child, or NULL with a negative errno in *rc. */
struct vm_child *vm_child_spawn(struct floe_vm *vm, uv_process_options_t *po, int *rc);
/* Closes an exited child; closed_fn (or NULL) runs once libuv has closed it,
 * unless the VM is being freed. */
void vm_child_close(struct vm_child *c, vm_child_closed_fn closed_fn);
/* SIGKILL to a child that has not exited; NULL is a no-op. */
void vm_child_kill(struct vm_child *c);
/* A handle counted in open_handles was closed by libuv: the VM goes if it
 * was the last one of a VM being freed. */
void vm_handle_closed(struct floe_vm *vm);

/* vm-cmdline.c: QEMU's command line */
#define VM_MAX_OWNED (16 + 2 * FLOE_VM_MAX_USB_REDIR + 3 * FLOE_VM_MAX_MONITORS)
const char *vm_qemu_program(void);
/* The VM's command line; the strings put in own[] (up to VM_MAX_OWNED) are
 * the caller's to free, as is the array. NULL when out of memory. */
char **vm_qemu_args(const struct floe_vm *vm, char **own, int *n_own);
/* vm-quote.c: the syntax of QEMU's arguments */
/* prefix + v + suffix, each comma of v doubled as QEMU's option syntax wants. */
char *vm_escape_commas(const char *prefix, const char *v, const char *suffix);
/* prefix + s in single quotes for /bin/sh, which runs QEMU's exec: migration URIs. */
char *vm_shell_quoted(const char *prefix, const char *s);
int vm_has_suffix(const char *s, const char *suffix);

/* vm-spice.c: QEMU's own SPICE server (display = qxl) */
/* Finds floe's library (and the libasan it may need) and checks the
 * address, choosing the port when it is 0. 0, or -1 with one line in err. */
int vm_spice_init(struct floe_vm *vm, char *err, size_t errlen);
void vm_spice_clear(struct floe_vm *vm);
/* -spice's value, and -object's for the password; NULL when out of memory. */
char *vm_spice_option(const struct floe_vm *vm);
char *vm_spice_secret_object(const struct floe_vm *vm);
/* Reads the password file into the secret's file: 0, or -1 with err. */
int vm_spice_before_spawn(struct floe_vm *vm, char *err, size_t errlen);
/* QEMU's environment (every string and the array are the caller's; free
 * with vm_spice_env_free), or NULL to inherit floe-server's. */
char **vm_spice_env(const struct floe_vm *vm);
void vm_spice_env_free(char **env);
/* QMP is ready: the password's expiry goes to QEMU. */
void vm_spice_qmp_ready(struct floe_vm *vm);

/* vm-spice-unix.c: display = qxl on a unix socket */
/* Checks the path (cfg.spice.unix_path) and that no live server or other
 * file is at it (a stale socket is removed). 0, or -1 with one line in err. */
int vm_spice_unix_init(struct floe_vm *vm, char *err, size_t errlen);
/* The same check again, and a new private folder for QEMU to bind in. */
int vm_spice_unix_before_spawn(struct floe_vm *vm, char *err, size_t errlen);
/* QEMU has not bound its socket in the private folder yet. */
bool vm_spice_unix_pending(const struct floe_vm *vm);
/* QEMU listens: the socket goes to its path, mode 0600. 0 or -1 (logged). */
int vm_spice_unix_publish(struct floe_vm *vm);
/* QEMU ended: the socket put at the path (if still there) and the private
 * folder are removed. */
void vm_spice_unix_withdraw(struct floe_vm *vm);

/* vm-disk.c: the overlay on a template */
int vm_disk_prepare(struct floe_vm *vm, char *err, size_t errlen);
/* Whether the disk QEMU writes can hold snapshots (qcow2). */
int vm_disk_has_snapshots(const struct floe_vm *vm);

/* vm-kvm.c: the accelerator */
/* Decides KVM or TCG unless done before: 0 when decided (QEMU may start),
 * 1 when a probe started (vm_life_after_probe follows), or a negative errno
 * with one line in err. */
int vm_kvm_decide(struct floe_vm *vm, char *err, size_t errlen);

/* vm-life.c: QEMU's process */
/* Starts QEMU, or first the KVM probe when the accelerator is not known. */
int vm_life_launch(struct floe_vm *vm, char *err, size_t errlen);
/* The probe ended and its handle is closed: QEMU starts unless stopped. */
void vm_life_after_probe(struct floe_vm *vm);
/* QMP quit, then SIGKILL after QUIT_GRACE_MS. */
void vm_life_quit(struct floe_vm *vm);

/* vm-monitor.c: the QMP connection */
void vm_monitor_connect(struct floe_vm *vm);
/* Drops the connection; commands in flight are cancelled. */
void vm_monitor_close(struct floe_vm *vm);
/* Runs command (no arguments); only a failure is logged. 0 or -ENOTCONN. */
int vm_monitor_command(struct floe_vm *vm, const char *command);
/* The "status" member of a successful answer, or NULL. */
const char *vm_monitor_status_of(const struct floe_qmp_result *r);

/* vm-display.c: the heads' VNC feeds into the server */
void vm_display_init(struct floe_vm *vm);
int vm_display_connect(struct floe_vm *vm);
void vm_display_disconnect(struct floe_vm *vm);
/* QEMU died: clients are let go with why; the last picture stays. */
void vm_display_lost(struct floe_vm *vm, const char *why);

/* vm-agent.c: the guest agent's port (display = vnc) */
/* QEMU's sockets are there: connects to the agent's chardev. */
void vm_agent_start(struct floe_vm *vm);
/* Connects unless connected or QEMU does not run (the retry timer's too). */
void vm_agent_connect(struct floe_vm *vm);
/* QMP's VSERPORT_CHANGE: the guest opened or closed a port. */
void vm_agent_port_event(struct floe_vm *vm, struct json_object *data);
/* QEMU ended or the VM is freed: detached and closed, no retry. */
void vm_agent_stop(struct floe_vm *vm);

/* vm-ops.c: the op= record and the operations that end with one QMP answer */
void vm_op_set(struct floe_vm *vm, const char *name, const char *outcome);
/* 0 when the VM runs or is paused and QMP is ready, else -1 with why in err. */
int vm_op_check_ready(struct floe_vm *vm, char *err, size_t errlen);

/* vm-save.c: hibernation and restoring */
/* QMP is ready during a restore: polls until the saved state is loaded. */
void vm_save_restore_poll(struct floe_vm *vm);
/* vm-stop during a hibernation: it has failed, its polling ends. */
void vm_save_hibernation_stopped(struct floe_vm *vm);
/* The restore under way ends before QEMU loaded the state: op failed. */
void vm_save_restore_failed(struct floe_vm *vm);

#endif
