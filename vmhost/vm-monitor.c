/* The VM's QMP connection: connecting (again, while QEMU runs), the guest's
 * run state from query-status and events, and plain commands. */
#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "vmhost/vm-priv.h"

#define STATUS_TRIES 5       /* query-status asked again after a failure */
#define QMP_RECONNECTS 3     /* QMP connections tried again while QEMU runs */
#define RECONNECT_MS 300

/* QEMU's run state of the guest; only running and paused tell us anything. */
static void guest_status(struct floe_vm *vm, const char *status)
{
    if (!status)
        return;
    if (!strcmp(status, "running"))
        vm_state_guest_status(&vm->state, true);
    else if (!strcmp(status, "paused"))
        vm_state_guest_status(&vm->state, false);
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
    if (r->status != 0 && vm->mon.qmp == q && vm->mon.status_tries++ < STATUS_TRIES) {
        /* a QEMU busy booting may answer late: the state must not stay unknown */
        floe_warn("vm: query-status: %s: asking again",
                  r->err_desc ? r->err_desc : strerror(-r->status));
        floe_qmp_execute(q, "query-status", NULL, QMP_TIMEOUT_MS, status_done, vm);
        return;
    }
    guest_status(vm, vm_monitor_status_of(r));
}

static void qmp_ready(struct floe_qmp *q, void *opaque)
{
    struct floe_vm *vm = opaque;

    vm->mon.ready = true;
    vm_spice_qmp_ready(vm);
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
        vm->guest_powered_off = true;
    else if (!strcmp(name, "STOP"))
        guest_status(vm, "paused");
    else if (!strcmp(name, "RESUME"))
        guest_status(vm, "running");
    else if (!strcmp(name, "VSERPORT_CHANGE"))
        vm_agent_port_event(vm, data);
}

static void reconnect_tick(uv_timer_t *t)
{
    vm_monitor_connect(t->data);
}

static void qmp_closed(struct floe_qmp *q, int err, const char *why, void *opaque)
{
    struct floe_vm *vm = opaque;
    bool again = vm_state_qemu_wanted(vm->state);

    if (again)
        floe_warn("vm: QMP: %s", why);
    vm->mon.ready = false;
    floe_qmp_free(q);
    vm->mon.qmp = NULL;
    /* QEMU still runs: its monitor is needed for every command */
    if (again && vm->mon.reconnects++ < QMP_RECONNECTS) {
        /* e.g. the socket existed before QEMU listened on it: a moment later */
        floe_info("vm: connecting to QMP again");
        uv_timer_start(&vm->sock_timer, reconnect_tick, RECONNECT_MS, 0);
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
    if (!vm->mon.qmp || !vm->mon.ready)
        return -ENOTCONN;
    return floe_qmp_execute(vm->mon.qmp, command, NULL, QMP_TIMEOUT_MS, command_done, vm);
}

void vm_monitor_connect(struct floe_vm *vm)
{
    static const struct floe_qmp_ops ops = { qmp_ready, qmp_event, qmp_closed };

    vm->mon.status_tries = 0;
    vm->mon.qmp = floe_qmp_new(vm->loop, &ops, vm);
    if (vm->mon.qmp && floe_qmp_connect(vm->mon.qmp, vm->qmp_path, QMP_TIMEOUT_MS) < 0) {
        floe_qmp_free(vm->mon.qmp);
        vm->mon.qmp = NULL;
    }
}

void vm_monitor_close(struct floe_vm *vm)
{
    floe_qmp_free(vm->mon.qmp);
    vm->mon.qmp = NULL;
    vm->mon.ready = false;
}
