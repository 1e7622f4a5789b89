/* Saving the running guest into a file and starting it again from one:
 * hibernation by migration to a file, and restoring with -incoming. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "vmhost/vm-priv.h"

/* ---- hibernation ---- */

static void hibernate_failed(struct floe_vm *vm, const char *why)
{
    floe_err("vm: hibernation failed: %s", why);
    vm_op_set(vm, "hibernate", "failed");
    uv_timer_stop(&vm->op_timer);
    vm_state_hibernate_failed(&vm->state);
    if (vm->resume_if_hibernation_fails)
        vm_monitor_command(vm, "cont");
}

static void migrate_polled(struct floe_qmp *q, const struct floe_qmp_result *r, void *opaque)
{
    struct floe_vm *vm = opaque;
    struct json_object *v;
    const char *st = vm_monitor_status_of(r);

    if (r->status == -ECANCELED || vm->state != VM_HIBERNATING)
        return;
    if (!st) {
        hibernate_failed(vm, r->status ? r->err_desc : "query-migrate has no status");
    } else if (!strcmp(st, "completed")) {
        uv_timer_stop(&vm->op_timer);
        floe_info("vm: the guest's state is saved: quitting QEMU");
        vm_op_set(vm, "hibernate", "done");
        vm_state_hibernate_saved(&vm->state);
        vm_life_quit(vm);
    } else if (!strcmp(st, "failed") || !strcmp(st, "cancelled")) {
        hibernate_failed(vm, json_object_object_get_ex(r->value, "error-desc", &v)
                             ? json_object_get_string(v) : st);
    }
}

static void hibernate_tick(uv_timer_t *t)
{
    struct floe_vm *vm = t->data;

    /* a closed QMP connection leaves no client until it is made again */
    if (!vm->mon.qmp || floe_qmp_execute(vm->mon.qmp, "query-migrate", NULL, QMP_TIMEOUT_MS,
                                         migrate_polled, vm) < 0)
        hibernate_failed(vm, "QMP went away");
}

static void migrate_started(struct floe_qmp *q, const struct floe_qmp_result *r, void *opaque)
{
    struct floe_vm *vm = opaque;

    if (r->status == -ECANCELED || vm->state != VM_HIBERNATING)
        return;
    if (r->status != 0)
        hibernate_failed(vm, r->err_desc);
    else
        uv_timer_start(&vm->op_timer, hibernate_tick, OP_POLL_MS, OP_POLL_MS);
}

int floe_vm_hibernate(struct floe_vm *vm, const char *file, char *err, size_t errlen)
{
    struct json_object *args;
    char *uri;

    if (vm_op_check_ready(vm, err, errlen) < 0)
        return -1;
    if (!*file) {
        snprintf(err, errlen, "vm-hibernate needs a file");
        return -1;
    }
    uri = vm_shell_quoted("exec:cat > ", file);
    args = json_object_new_object();
    if (!uri || !args) {
        free(uri);
        json_object_put(args);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    json_object_object_add(args, "uri", json_object_new_string(uri));
    free(uri);
    vm->resume_if_hibernation_fails = vm->state == VM_RUNNING;
    /* stopped first, the state is written once and the guest does not run on */
    vm_monitor_command(vm, "stop");
    if (floe_qmp_execute(vm->mon.qmp, "migrate", args, QMP_TIMEOUT_MS, migrate_started,
                         vm) < 0) {
        snprintf(err, errlen, "QMP migrate could not be sent");
        if (vm->resume_if_hibernation_fails)
            vm_monitor_command(vm, "cont");
        return -1;
    }
    vm_state_hibernate_begin(&vm->state);
    vm_op_set(vm, "hibernate", "running");
    floe_info("vm: hibernating to %s", file);
    return 0;
}

/* vm-stop came while the state migrates: QEMU goes before the file is whole. */
void vm_save_hibernation_stopped(struct floe_vm *vm)
{
    uv_timer_stop(&vm->op_timer);
    floe_err("vm: hibernation failed: vm-stop came first");
    vm_op_set(vm, "hibernate", "failed");
}

/* ---- restoring ---- */

static void restore_resumed(struct floe_qmp *q, const struct floe_qmp_result *r, void *opaque)
{
    struct floe_vm *vm = opaque;

    if (r->status == -ECANCELED)
        return;
    if (r->status != 0) {
        floe_err("vm: the restored guest did not continue: %s", r->err_desc);
        vm_op_set(vm, "restore", "failed");
        return;
    }
    vm_state_guest_status(&vm->state, true);
    vm_op_set(vm, "restore", "done");
    floe_info("vm: the restored guest runs");
}

static void restore_polled(struct floe_qmp *q, const struct floe_qmp_result *r, void *opaque)
{
    struct floe_vm *vm = opaque;
    const char *st = vm_monitor_status_of(r);

    if (r->status == -ECANCELED || vm->state != VM_RESTORING || !st)
        return;
    if (!strcmp(st, "inmigrate"))
        return;
    uv_timer_stop(&vm->op_timer);
    free(vm->incoming);
    vm->incoming = NULL;
    floe_info("vm: the saved state is loaded (%s)", st);
    if (vm_display_connect(vm) < 0)
        floe_err("vm: cannot connect to QEMU's VNC socket");
    vm_state_restored(&vm->state, !strcmp(st, "running"));
    if (vm->state == VM_RUNNING)
        vm_op_set(vm, "restore", "done");
    else if (floe_qmp_execute(vm->mon.qmp, "cont", NULL, QMP_TIMEOUT_MS, restore_resumed,
                              vm) < 0)
        vm_op_set(vm, "restore", "failed");
}

static void restore_tick(uv_timer_t *t)
{
    struct floe_vm *vm = t->data;

    if (vm->mon.ready)
        floe_qmp_execute(vm->mon.qmp, "query-status", NULL, QMP_TIMEOUT_MS, restore_polled, vm);
}

void vm_save_restore_poll(struct floe_vm *vm)
{
    uv_timer_start(&vm->op_timer, restore_tick, 0, OP_POLL_MS);
}

int floe_vm_restore(struct floe_vm *vm, const char *file, char *err, size_t errlen)
{
    struct stat st;

    if (vm_state_qemu_runs(vm->state) || vm_state_probe_pending(vm->state)) {
        snprintf(err, errlen, "the VM is %s: vm-stop or vm-hibernate it first",
                 vm_state_name(vm->state, vm->incoming != NULL));
        return -1;
    }
    if (!*file || stat(file, &st) < 0 || access(file, R_OK) < 0) {
        snprintf(err, errlen, "'%s': %s", file, *file ? strerror(errno) : "no file given");
        return -1;
    }
    if (!S_ISREG(st.st_mode) || st.st_size == 0) {
        snprintf(err, errlen, "'%s' is not a saved VM state", file);
        return -1;
    }
    if (vm_disk_prepare(vm, err, errlen) < 0)
        return -1;
    free(vm->incoming);
    vm->incoming = vm_shell_quoted("exec:cat ", file);
    if (!vm->incoming) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    vm_op_set(vm, "restore", "running");
    floe_info("vm: restoring from %s", file);
    if (vm_life_launch(vm, err, errlen) < 0) {
        vm_save_restore_failed(vm);
        return -1;
    }
    return 0;
}

void vm_save_restore_failed(struct floe_vm *vm)
{
    vm_op_set(vm, "restore", "failed");
    free(vm->incoming);
    vm->incoming = NULL;
}
