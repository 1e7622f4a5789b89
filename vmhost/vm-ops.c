/* The op= record of vm-status, and the operations that end with one QMP
 * answer: changing the CD-ROM, saving or loading snapshots, screendumps. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "vmhost/vm-priv.h"

#define SNAPSHOT_TIMEOUT_MS 120000

void vm_op_set(struct floe_vm *vm, const char *name, const char *outcome)
{
    vm->op.name = name;
    vm->op.outcome = outcome;
}

int vm_op_check_ready(struct floe_vm *vm, char *err, size_t errlen)
{
    if (!vm_state_guest_up(vm->state)) {
        snprintf(err, errlen, "the VM is %s", vm_state_name(vm->state, vm->incoming != NULL));
        return -1;
    }
    if (!vm->mon.qmp || !vm->mon.ready) {
        snprintf(err, errlen, "QEMU is not running or not ready");
        return -1;
    }
    return 0;
}

/* The answer of a command that ends the operation vm->op names. */
static void op_done(struct floe_qmp *q, const struct floe_qmp_result *r, void *opaque)
{
    struct floe_vm *vm = opaque;
    const char *hmp = r->value && json_object_is_type(r->value, json_type_string)
                      ? json_object_get_string(r->value) : "";
    const char *name = vm->op.name;

    if (r->status == -ECANCELED || !name)
        return;
    /* HMP commands answer with their error text and QMP success */
    if (r->status != 0 || *hmp) {
        floe_err("vm: %s failed: %.*s", name, (int)strcspn(r->status ? r->err_desc : hmp, "\r\n"),
                 r->status ? r->err_desc : hmp);
        vm_op_set(vm, name, "failed");
    } else {
        floe_info("vm: %s done", name);
        vm_op_set(vm, name, "done");
    }
}

static int start_op(struct floe_vm *vm, const char *name, const char *command,
                    struct json_object *args, unsigned timeout_ms, char *err, size_t errlen)
{
    if (!args) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (floe_qmp_execute(vm->mon.qmp, command, args, timeout_ms, op_done, vm) < 0) {
        snprintf(err, errlen, "QMP %s could not be sent", command);
        return -1;
    }
    vm_op_set(vm, name, "running");
    return 0;
}

int floe_vm_cdrom(struct floe_vm *vm, const char *file, char *err, size_t errlen)
{
    struct json_object *args;

    if (vm_op_check_ready(vm, err, errlen) < 0)
        return -1;
    if (file && (!*file || access(file, R_OK) < 0)) {
        snprintf(err, errlen, "'%s': %s", file, *file ? strerror(errno) : "no file given");
        return -1;
    }
    args = json_object_new_object();
    if (args) {
        json_object_object_add(args, "id", json_object_new_string(CDROM_ID));
        if (file) {
            json_object_object_add(args, "filename", json_object_new_string(file));
            json_object_object_add(args, "format", json_object_new_string("raw"));
            json_object_object_add(args, "read-only-mode", json_object_new_string("read-only"));
        } else {
            json_object_object_add(args, "force", json_object_new_boolean(1));
        }
    }
    floe_info("vm: CD-ROM: %s%s", file ? "inserting " : "ejecting", file ? file : "");
    return start_op(vm, file ? "cdrom" : "eject", file ? "blockdev-change-medium" : "eject",
                    args, QMP_TIMEOUT_MS, err, errlen);
}

/* Snapshot names go into a monitor command line: a plain word only. */
static int snapshot_name_ok(const char *name)
{
    size_t n = strlen(name);

    return n > 0 && n <= 64 && strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                             "0123456789._-") == n;
}

static int snapshot_op(struct floe_vm *vm, const char *verb, const char *name, char *err,
                       size_t errlen)
{
    struct json_object *args;
    char line[96];

    if (vm_op_check_ready(vm, err, errlen) < 0)
        return -1;
    if (!vm_disk_has_snapshots(vm)) {
        snprintf(err, errlen, "snapshots need a qcow2 disk (disk = FILE.qcow2, or template)");
        return -1;
    }
    if (!snapshot_name_ok(name)) {
        snprintf(err, errlen, "a snapshot name is 1..64 of A-Z a-z 0-9 . _ -");
        return -1;
    }
    snprintf(line, sizeof(line), "%s %s", verb, name);
    args = json_object_new_object();
    if (args)
        json_object_object_add(args, "command-line", json_object_new_string(line));
    floe_info("vm: %s", line);
    return start_op(vm, verb, "human-monitor-command", args, SNAPSHOT_TIMEOUT_MS, err, errlen);
}

int floe_vm_snapshot_save(struct floe_vm *vm, const char *name, char *err, size_t errlen)
{
    return snapshot_op(vm, "savevm", name, err, errlen);
}

int floe_vm_snapshot_load(struct floe_vm *vm, const char *name, char *err, size_t errlen)
{
    return snapshot_op(vm, "loadvm", name, err, errlen);
}

int floe_vm_screendump(struct floe_vm *vm, const char *file, int monitor, char *err,
                       size_t errlen)
{
    struct json_object *args;
    char head[16];

    if (vm_op_check_ready(vm, err, errlen) < 0)
        return -1;
    if (monitor < 0 || monitor >= vm->cfg.monitors) {
        snprintf(err, errlen, "no monitor %d (monitors: 0 to %d)", monitor, vm->cfg.monitors - 1);
        return -1;
    }
    if (!*file) {
        snprintf(err, errlen, "no file given");
        return -1;
    }
    args = json_object_new_object();
    if (args) {
        json_object_object_add(args, "filename", json_object_new_string(file));
        json_object_object_add(args, "format", json_object_new_string("png"));
        /* head 0 is QEMU's first console, the others have ids */
        snprintf(head, sizeof(head), "head%d", monitor);
        if (monitor > 0)
            json_object_object_add(args, "device", json_object_new_string(head));
    }
    return start_op(vm, "screendump", "screendump", args, QMP_TIMEOUT_MS, err, errlen);
}
