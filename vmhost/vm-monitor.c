/* The VM's QMP connection: connecting (again, while QEMU runs), the guest's
 * run state from query-status and events, and plain commands. */
#include <errno.h>
#include <string.h>

#include "protocol/log.h"
#include "vmhost/vm-priv.h"

#define STATUS_TRIES 5       /* query-status asked again after a failure */
#define QMP_RECONNECTS 3     /* QMP connections tried again while QEMU runs */

static void set_state_from_status(struct floe_vm *vm, const char *status)
{
    if (vm->state == VM_STOPPING || vm->state == VM_HIBERNATING ||
        vm->state == VM_RESTORING || !status)
        return;
    if (!strcmp(status, "running"))
        vm->state = VM_RUNNING;
    else if (!strcmp(status, "paused"))
        vm->state = VM_PAUSED;
}

const char *vm_monitor_status_of(const struct floe_qmp_result *r)
{
    struct json_object *st;

    if (r->status != 0 || !r->value || !json_object_object_get_ex(r->value, "status", &st))
        return NULL;
    return json_object_get_string(st);
}

static void status_done(struct floe_qmp *q, const struct floe_qmp_result *r, void *opaque)
{
    struct floe_vm *vm = opaque;

    if (r->status == -ECANCELED || r->status == -ECONNRESET)
        return;
    if (r->status != 0 && vm->qmp == q && vm->status_tries++ < STATUS_TRIES) {
        /* a QEMU busy booting may answer late: the state must not stay unknown */
        floe_warn("vm: query-status: %s: asking again",
                  r->err_desc ? r->err_desc : strerror(-r->status));
        floe_qmp_execute(q, "query-status", NULL, QMP_TIMEOUT_MS, status_done, vm);
        return;
    }
    set_state_from_status(vm, vm_monitor_status_of(r));
}

static void qmp_ready(struct floe_qmp *q, void *opaque)
{
    struct floe_vm *vm = opaque;

    vm->qmp_ready = 1;
    if (vm->incoming) {
        vm_save_restore_poll(vm);
        return;
    }
    floe_qmp_execute(q, "query-status", NULL, QMP_TIMEOUT_MS, status_done, vm);
}

static void qmp_event(struct floe_qmp *q, const char *name, struct json_object *data,
                      void *opaque)
{
    struct floe_vm *vm = opaque;

    if (!strcmp(name, "SHUTDOWN") || !strcmp(name, "RESET") || !strcmp(name, "STOP") ||
        !strcmp(name, "RESUME"))
        floe_info("vm: guest event %s", name);
    if (!strcmp(name, "SHUTDOWN"))
        vm->guest_shutdown = 1;
    else if (!strcmp(name, "STOP"))
        set_state_from_status(vm, "paused");
    else if (!strcmp(name, "RESUME"))
        set_state_from_status(vm, "running");
}

static void qmp_retry_tick(uv_timer_t *t)
{
    vm_monitor_connect(t->data);
}

static void qmp_closed(struct floe_qmp *q, int err, const char *why, void *opaque)
{
    struct floe_vm *vm = opaque;
    int again = vm->proc_alive && !vm->stop_requested && !vm->freeing;

    if (again)
        floe_warn("vm: QMP: %s", why);
    vm->qmp_ready = 0;
    floe_qmp_free(q);
    vm->qmp = NULL;
    /* QEMU still runs: its monitor is needed for every command */
    if (again && vm->qmp_reconnects++ < QMP_RECONNECTS) {
        /* e.g. the socket existed before QEMU listened on it: a moment later */
        floe_info("vm: connecting to QMP again");
        uv_timer_start(&vm->sock_timer, qmp_retry_tick, 300, 0);
    }
}

/* A command whose answer only matters when it fails. */
static void command_done(struct floe_qmp *q, const struct floe_qmp_result *r, void *opaque)
{
    if (r->status != 0 && r->status != -ECANCELED && r->status != -ECONNRESET)
        floe_warn("vm: QMP command failed: %s", r->err_desc);
}

int vm_monitor_command(struct floe_vm *vm, const char *command)
{
    if (!vm->qmp || !vm->qmp_ready)
        return -ENOTCONN;
    return floe_qmp_execute(vm->qmp, command, NULL, QMP_TIMEOUT_MS, command_done, vm);
}

void vm_monitor_connect(struct floe_vm *vm)
{
    static const struct floe_qmp_ops ops = { qmp_ready, qmp_event, qmp_closed };

    vm->status_tries = 0;
    vm->qmp = floe_qmp_new(vm->loop, &ops, vm);
    if (vm->qmp && floe_qmp_connect(vm->qmp, vm->qmp_path, QMP_TIMEOUT_MS) < 0) {
        floe_qmp_free(vm->qmp);
        vm->qmp = NULL;
    }
}
