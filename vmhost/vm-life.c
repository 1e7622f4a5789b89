/* The VM's life as a process: QEMU spawned once the accelerator is known,
 * its sockets awaited, its exit told apart, and start, stop, pause and reset. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "protocol/log.h"
#include "vmhost/vm-priv.h"

#define SOCKET_WAIT_MS 30000
#define SOCKET_POLL_MS 100

void vm_life_kill(struct floe_vm *vm)
{
    if (vm->proc_alive)
        uv_process_kill(&vm->proc, SIGKILL);
}

static void connect_sockets(struct floe_vm *vm)
{
    int feeds = 0;

    vm->qmp_reconnects = 0;
    vm_monitor_connect(vm);
    /* while a restore loads, the screen is the empty VGA's: clients keep the
     * old picture until the guest's own comes back */
    if (!vm->incoming)
        feeds = vm_display_connect(vm);
    if (!vm->qmp || feeds < 0)
        floe_err("vm: cannot connect to QEMU's QMP and VNC sockets");
}

static int is_socket(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

static void sock_tick(uv_timer_t *t)
{
    struct floe_vm *vm = t->data;

    int ready = is_socket(vm->qmp_path);

    for (int i = 0; i < vm->cfg.monitors; i++)
        ready = ready && is_socket(vm->heads[i].vnc_path);
    if (ready) {
        uv_timer_stop(t);
        connect_sockets(vm);
        return;
    }
    vm->sock_waited_ms += SOCKET_POLL_MS;
    if (vm->sock_waited_ms >= SOCKET_WAIT_MS) {
        uv_timer_stop(t);
        floe_err("vm: QEMU did not open its QMP and VNC sockets within %d s: killing it",
                 SOCKET_WAIT_MS / 1000);
        vm_life_kill(vm);
    }
}

static void proc_closed(uv_handle_t *h)
{
    struct floe_vm *vm = h->data;

    vm->proc_open = 0;
    vm_maybe_release(vm);
}

static void describe_exit(struct floe_vm *vm, int64_t status, int sig)
{
    if (sig)
        snprintf(vm->last_exit, sizeof(vm->last_exit), "killed-by-signal-%d", sig);
    else
        snprintf(vm->last_exit, sizeof(vm->last_exit), "exit-status-%d", (int)status);
}

static void qemu_exited(uv_process_t *p, int64_t status, int sig)
{
    struct floe_vm *vm = p->data;

    vm->proc_alive = 0;
    uv_timer_stop(&vm->sock_timer);
    uv_timer_stop(&vm->probe_timer);
    uv_timer_stop(&vm->stop_timer);
    uv_timer_stop(&vm->op_timer);
    floe_qmp_free(vm->qmp);
    vm->qmp = NULL;
    vm->qmp_ready = 0;
    vm_display_disconnect(vm);
    describe_exit(vm, status, sig);
    uv_close((uv_handle_t *)p, proc_closed);
    if (vm->freeing)
        return;
    if (vm->incoming) {
        floe_err("vm: restoring failed: QEMU ended (%s) before the saved state was loaded",
                 vm->last_exit);
        vm_op_set(vm, "restore", "failed");
        free(vm->incoming);
        vm->incoming = NULL;
    }
    if (vm->hibernated) {
        vm->state = VM_HIBERNATED;
        floe_info("vm: QEMU quit after hibernating (%s)", vm->last_exit);
    } else if (vm->state == VM_HIBERNATING) {
        vm->state = VM_DIED;
        vm_op_set(vm, "hibernate", "failed");
        floe_err("vm: QEMU died while hibernating (%s)", vm->last_exit);
    } else if (vm->stop_requested || (vm->guest_shutdown && !sig && status == 0)) {
        vm->state = VM_STOPPED;
        floe_info("vm: QEMU stopped (%s)", vm->last_exit);
    } else {
        char why[160];

        vm->state = VM_DIED;
        floe_err("vm: QEMU died (%s): clients are told and let go; the server keeps the last "
                 "picture and vm-start starts the VM again", vm->last_exit);
        snprintf(why, sizeof(why), "the VM's QEMU died (%s)", vm->last_exit);
        vm_display_lost(vm, why);
    }
}

static int spawn_qemu(struct floe_vm *vm, char *err, size_t errlen)
{
    uv_stdio_container_t stdio[3] = { { .flags = UV_IGNORE },
                                      { .flags = UV_INHERIT_FD, .data.fd = 2 },
                                      { .flags = UV_INHERIT_FD, .data.fd = 2 } };
    uv_process_options_t po = { .exit_cb = qemu_exited, .stdio_count = 3, .stdio = stdio };
    char *own[VM_MAX_OWNED] = { 0 };
    int n_own = 0, rc;
    char **argv = vm_qemu_args(vm, own, &n_own);

    if (!argv) {
        rc = -ENOMEM;
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    vm_remove_sockets(vm);
    po.file = argv[0];
    po.args = argv;
    vm->proc.data = vm;
    vm->guest_shutdown = vm->stop_requested = vm->hibernated = 0;
    vm->stop_stage = 0;
    rc = uv_spawn(vm->loop, &vm->proc, &po);
    if (rc < 0) {
        snprintf(err, errlen, "cannot run %s: %s", argv[0], uv_strerror(rc));
        vm->proc_open = 1;
        uv_close((uv_handle_t *)&vm->proc, proc_closed);
        goto out;
    }
    vm->proc_alive = vm->proc_open = 1;
    vm->state = vm->incoming ? VM_RESTORING : VM_STARTING;
    vm->sock_waited_ms = 0;
    uv_timer_start(&vm->sock_timer, sock_tick, SOCKET_POLL_MS, SOCKET_POLL_MS);
    if (vm->accel_note[0])
        floe_info("%s", vm->accel_note);
    vm->accel_note[0] = 0;
    floe_info("vm: QEMU started (pid %d, %s)", vm->proc.pid,
              vm->accel == FLOE_VM_ACCEL_KVM ? "kvm" : "tcg");
out:
    for (int i = 0; i < n_own; i++)
        free(own[i]);
    free(argv);
    return rc;
}

void vm_life_after_probe(struct floe_vm *vm)
{
    char err[256];

    if (vm->stop_requested) {
        vm->state = VM_STOPPED;
        floe_info("vm: stopped before QEMU started");
    } else if (spawn_qemu(vm, err, sizeof(err)) < 0) {
        floe_err("vm: %s", err);
        vm->state = VM_DIED;
    } else {
        return;
    }
    if (vm->incoming) {
        vm_op_set(vm, "restore", "failed");
        free(vm->incoming);
        vm->incoming = NULL;
    }
}

int vm_life_launch(struct floe_vm *vm, char *err, size_t errlen)
{
    int rc = vm_kvm_decide(vm, err, errlen);

    if (rc != 0)
        return rc < 0 ? rc : 0;
    return spawn_qemu(vm, err, errlen);
}

int floe_vm_start(struct floe_vm *vm, char *err, size_t errlen)
{
    if (vm->proc_alive || vm->proc_open) {
        snprintf(err, errlen, "the VM is %s", vm_state_names[vm->state]);
        return -EALREADY;
    }
    if (vm->probe_open) {
        snprintf(err, errlen, "the VM is starting (KVM is being probed)");
        return -EALREADY;
    }
    if (vm_disk_prepare(vm, err, errlen) < 0)
        return -EINVAL;
    return vm_life_launch(vm, err, errlen);
}

static void stop_tick(uv_timer_t *t)
{
    struct floe_vm *vm = t->data;

    if (vm->stop_stage == 0 && vm_monitor_command(vm, "quit") == 0) {
        floe_info("vm: the guest did not power down within %ds: quitting QEMU",
                  vm->cfg.stop_timeout);
        vm->stop_stage = 1;
        uv_timer_start(t, stop_tick, QUIT_GRACE_MS, 0);
        return;
    }
    floe_info("vm: killing QEMU");
    vm_life_kill(vm);
}

void vm_life_quit(struct floe_vm *vm)
{
    vm_monitor_command(vm, "quit");
    uv_timer_start(&vm->stop_timer, stop_tick, QUIT_GRACE_MS, 0);
}

int floe_vm_stop(struct floe_vm *vm)
{
    if (vm->probe_open) {   /* QEMU has not started: the probe ends, and no VM */
        vm->stop_requested = 1;
        vm->state = VM_STOPPING;
        if (vm->probing)
            uv_process_kill(&vm->probe_proc, SIGKILL);
        return 0;
    }
    if (!vm->proc_alive)
        return -ENOTCONN;
    vm->stop_requested = 1;
    vm->state = VM_STOPPING;
    if (vm_monitor_command(vm, "system_powerdown") < 0) {
        vm_life_kill(vm);
        return 0;
    }
    uv_timer_start(&vm->stop_timer, stop_tick, (uint64_t)vm->cfg.stop_timeout * 1000, 0);
    return 0;
}

int floe_vm_pause(struct floe_vm *vm)
{
    return vm_monitor_command(vm, "stop");
}

int floe_vm_resume(struct floe_vm *vm)
{
    return vm_monitor_command(vm, "cont");
}

int floe_vm_reset(struct floe_vm *vm)
{
    return vm_monitor_command(vm, "system_reset");
}

