/* The VM's life as a process: QEMU spawned once the accelerator is known,
 * its sockets awaited, its exit told apart, and start, stop, pause and reset. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "vmhost/vm-priv.h"

#define SOCKET_WAIT_MS 30000
#define SOCKET_POLL_MS 100

static void connect_sockets(struct floe_vm *vm)
{
    int feeds = 0;

    vm->mon.reconnects = 0;
    vm_monitor_connect(vm);
    /* while a restore loads, the screen is the empty VGA's: clients keep the
     * old picture until the guest's own comes back */
    if (!vm->incoming)
        feeds = vm_display_connect(vm);
    vm_agent_start(vm);
    if (!vm->mon.qmp || feeds < 0)
        floe_err("vm: cannot connect to QEMU's QMP%s", feeds < 0 ? " and VNC sockets" : " socket");
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

    for (int i = 0; vm->cfg.display == FLOE_VM_DISPLAY_VNC && i < vm->cfg.monitors; i++)
        ready = ready && is_socket(vm->heads[i].vnc_path);
    ready = ready && !vm_spice_unix_pending(vm);
    if (ready) {
        uv_timer_stop(t);
        if (vm_spice_unix_publish(vm) < 0) {
            vm_child_kill(vm->qemu);
            return;
        }
        connect_sockets(vm);
        return;
    }
    vm->sock_waited_ms += SOCKET_POLL_MS;
    if (vm->sock_waited_ms >= SOCKET_WAIT_MS) {
        uv_timer_stop(t);
        floe_err("vm: QEMU did not open its QMP%s within %d s: killing it",
                 vm->cfg.display == FLOE_VM_DISPLAY_VNC ? " and VNC sockets"
                 : vm->spice.unix_path[0] ? " and SPICE sockets" : " socket",
                 SOCKET_WAIT_MS / 1000);
        vm_child_kill(vm->qemu);
    }
}

static void describe_exit(struct floe_vm *vm, int64_t status, int sig)
{
    if (sig)
        snprintf(vm->last_exit, sizeof(vm->last_exit), "killed-by-signal-%d", sig);
    else
        snprintf(vm->last_exit, sizeof(vm->last_exit), "exit-status-%d", (int)status);
}

/* What QEMU's end means: the state says whether it was asked to end. */
static void qemu_exited(uv_process_t *p, int64_t status, int sig)
{
    struct vm_child *c = p->data;
    struct floe_vm *vm = c->vm;
    enum vm_state was = vm->state;
    char why[160];

    vm->qemu = NULL;
    uv_timer_stop(&vm->sock_timer);
    uv_timer_stop(&vm->stop_timer);
    uv_timer_stop(&vm->op_timer);
    vm_monitor_close(vm);
    vm_display_disconnect(vm);
    vm_agent_stop(vm);
    vm_spice_unix_withdraw(vm);
    describe_exit(vm, status, sig);
    vm_child_close(c, NULL);
    if (vm_state_qemu_exited(&vm->state, vm->guest_powered_off && !sig && status == 0) < 0)
        return;   /* being freed */
    if (vm->incoming) {
        floe_err("vm: restoring failed: QEMU ended (%s) before the saved state was loaded",
                 vm->last_exit);
        vm_save_restore_failed(vm);
    }
    if (vm->state == VM_HIBERNATED) {
        floe_info("vm: QEMU quit after hibernating (%s)", vm->last_exit);
    } else if (was == VM_HIBERNATING) {
        vm_op_set(vm, "hibernate", "failed");
        floe_err("vm: QEMU died while hibernating (%s)", vm->last_exit);
    } else if (vm->state == VM_STOPPED) {
        floe_info("vm: QEMU stopped (%s)", vm->last_exit);
    } else {
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
    int n_own = 0, rc = -EINVAL;
    char **argv = NULL, **env = NULL;

    if (vm_spice_before_spawn(vm, err, errlen) < 0)
        goto out;
    argv = vm_qemu_args(vm, own, &n_own);
    env = vm_spice_env(vm);
    if (!argv || (vm->cfg.display == FLOE_VM_DISPLAY_QXL && !env)) {
        rc = -ENOMEM;
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    vm_remove_sockets(vm);
    po.file = argv[0];
    po.args = argv;
    po.env = env;
    vm->qemu = vm_child_spawn(vm, &po, &rc);
    if (!vm->qemu) {
        snprintf(err, errlen, "cannot run %s: %s", argv[0], uv_strerror(rc));
        goto out;
    }
    vm_state_spawned(&vm->state, vm->incoming != NULL);
    vm->guest_powered_off = false;
    vm->sock_waited_ms = 0;
    uv_timer_start(&vm->sock_timer, sock_tick, SOCKET_POLL_MS, SOCKET_POLL_MS);
    if (vm->accel_note[0])
        floe_info("%s", vm->accel_note);
    vm->accel_note[0] = 0;
    floe_info("vm: QEMU started (pid %d, %s)", vm->qemu->proc.pid,
              vm->accel == FLOE_VM_ACCEL_KVM ? "kvm" : "tcg");
out:
    if (rc < 0)
        vm_spice_unix_withdraw(vm);
    for (int i = 0; i < n_own; i++)
        free(own[i]);
    free(argv);
    vm_spice_env_free(env);
    return rc;
}

void vm_life_after_probe(struct floe_vm *vm)
{
    char err[256];

    if (vm_state_probe_abandoned(&vm->state) == 0) {
        floe_info("vm: stopped before QEMU started");
    } else if (spawn_qemu(vm, err, sizeof(err)) < 0) {
        /* nobody waits for an answer now: the log and the state tell */
        floe_err("vm: %s", err);
        vm_state_spawn_failed(&vm->state);
    } else {
        return;
    }
    if (vm->incoming)
        vm_save_restore_failed(vm);
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
    if (vm_state_qemu_runs(vm->state)) {
        snprintf(err, errlen, "the VM is %s", vm_state_name(vm->state, vm->incoming != NULL));
        return -EALREADY;
    }
    if (vm_state_probe_pending(vm->state)) {
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

    if (vm->state == VM_POWERING_DOWN && vm_monitor_command(vm, "quit") == 0) {
        floe_info("vm: the guest did not power down within %ds: quitting QEMU",
                  vm->cfg.stop_timeout);
        vm_state_quit_sent(&vm->state);
        uv_timer_start(t, stop_tick, QUIT_GRACE_MS, 0);
        return;
    }
    floe_info("vm: killing QEMU");
    vm_child_kill(vm->qemu);
}

void vm_life_quit(struct floe_vm *vm)
{
    vm_monitor_command(vm, "quit");
    uv_timer_start(&vm->stop_timer, stop_tick, QUIT_GRACE_MS, 0);
}

int floe_vm_stop(struct floe_vm *vm)
{
    enum vm_state was = vm->state;

    if (vm_state_probe_pending(was)) {   /* the probe ends, and no VM after it */
        vm_state_probe_cancel(&vm->state);
        vm_child_kill(vm->probe);
        return 0;
    }
    if (!vm_state_qemu_runs(was))
        return -ENOTCONN;
    if (vm_state_power_down(&vm->state) < 0)
        return 0;   /* QMP quit was sent: the kill follows if need be */
    if (was == VM_HIBERNATING)
        vm_save_hibernation_stopped(vm);
    if (vm_monitor_command(vm, "system_powerdown") < 0) {
        vm_child_kill(vm->qemu);
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

