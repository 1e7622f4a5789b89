/* A QEMU VM served through libfloe-server (see vm.h): making and freeing the
 * object, its run folder and handles, and the vm-status line. */
#include "vmhost/vm.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmhost/vm-priv.h"

/* The sockets QEMU listens on in the run folder. */
void vm_remove_sockets(struct floe_vm *vm)
{
    char path[sizeof(vm->dir) + 32];

    unlink(vm->qmp_path);
    unlink(vm->probe_image);
    for (int i = 0; i < FLOE_VM_MAX_MONITORS; i++)
        if (vm->heads[i].vnc_path[0])
            unlink(vm->heads[i].vnc_path);
    unlink(vm->agent_path);
    for (int i = 0; i < FLOE_VM_MAX_USB_REDIR; i++) {
        snprintf(path, sizeof(path), "%s/usbredir%d.sock", vm->dir, i);
        unlink(path);
    }
}

/* Frees the VM once floe_vm_free() was called and the last handle is closed. */
static void release_if_done(struct floe_vm *vm)
{
    if (vm->state != VM_FREEING || vm->open_handles > 0)
        return;
    if (vm->dir[0]) {
        vm_remove_sockets(vm);
        if (vm->overlay_is_ours)
            unlink(vm->overlay);
        vm_spice_clear(vm);
        rmdir(vm->dir);
    }
    floe_vm_config_clear(&vm->cfg);
    free(vm->incoming);
    free(vm);
}

void vm_handle_closed(struct floe_vm *vm)
{
    vm->open_handles--;
    release_if_done(vm);
}

static void timer_closed(uv_handle_t *h)
{
    vm_handle_closed(h->data);
}

/* ---- child processes ---- */

static void child_closed(uv_handle_t *h)
{
    struct vm_child *c = h->data;
    struct floe_vm *vm = c->vm;
    vm_child_closed_fn closed_fn = c->closed_fn;

    free(c);
    vm->open_handles--;
    if (vm->state == VM_FREEING)
        release_if_done(vm);
    else if (closed_fn)
        closed_fn(vm);
}

struct vm_child *vm_child_spawn(struct floe_vm *vm, uv_process_options_t *po, int *rc)
{
    struct vm_child *c = calloc(1, sizeof(*c));

    if (!c) {
        *rc = UV_ENOMEM;
        return NULL;
    }
    c->vm = vm;
    c->proc.data = c;
    *rc = uv_spawn(vm->loop, &c->proc, po);
    vm->open_handles++;
    if (*rc < 0) {
        /* libuv wants the handle closed even when the spawn failed */
        uv_close((uv_handle_t *)&c->proc, child_closed);
        return NULL;
    }
    return c;
}

void vm_child_close(struct vm_child *c, vm_child_closed_fn closed_fn)
{
    c->closed_fn = closed_fn;
    uv_close((uv_handle_t *)&c->proc, child_closed);
}

void vm_child_kill(struct vm_child *c)
{
    if (c)
        uv_process_kill(&c->proc, SIGKILL);
}

/* ---- the object ---- */

struct floe_vm *floe_vm_new(uv_loop_t *loop, struct floe_server *srv,
                            struct floe_vm_config *cfg, char *err, size_t errlen)
{
    struct floe_vm *vm = calloc(1, sizeof(*vm));
    const char *tmp = getenv("TMPDIR");
    uv_timer_t *timers[5];

    if (cfg->monitors < 1 || cfg->monitors > FLOE_VM_MAX_MONITORS) {
        snprintf(err, errlen, "monitors must be 1..%d, not %d", FLOE_VM_MAX_MONITORS,
                 cfg->monitors);
        free(vm);
        return NULL;
    }
    if (!vm) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    vm->cfg = *cfg;
    memset(cfg, 0, sizeof(*cfg));
    /* unix socket paths are short: fall back to /tmp for a long TMPDIR */
    if (!tmp || strlen(tmp) > 40)
        tmp = "/tmp";
    snprintf(vm->dir, sizeof(vm->dir), "%s/floe-vm.XXXXXX", tmp);
    if (!mkdtemp(vm->dir)) {
        snprintf(err, errlen, "cannot make a runtime folder in %s: %s", tmp, strerror(errno));
        floe_vm_config_clear(&vm->cfg);
        free(vm);
        return NULL;
    }
    snprintf(vm->qmp_path, sizeof(vm->qmp_path), "%s/qmp.sock", vm->dir);
    for (int i = 0; i < vm->cfg.monitors; i++) {
        struct vm_head *head = &vm->heads[i];

        head->vm = vm;
        head->index = i;
        if (i == 0)
            snprintf(head->vnc_path, sizeof(head->vnc_path), "%s/vnc.sock", vm->dir);
        else
            snprintf(head->vnc_path, sizeof(head->vnc_path), "%s/vnc%d.sock", vm->dir, i);
    }
    snprintf(vm->agent_path, sizeof(vm->agent_path), "%s/agent.sock", vm->dir);
    snprintf(vm->probe_image, sizeof(vm->probe_image), "%s/kvm-probe.img", vm->dir);
    if (vm->cfg.display == FLOE_VM_DISPLAY_QXL && vm_spice_init(vm, err, errlen) < 0) {
        vm_spice_clear(vm);
        rmdir(vm->dir);
        floe_vm_config_clear(&vm->cfg);
        free(vm);
        return NULL;
    }
    vm->loop = loop;
    vm->srv = srv;
    snprintf(vm->last_exit, sizeof(vm->last_exit), "none");
    timers[0] = &vm->sock_timer;
    timers[1] = &vm->probe_timer;
    timers[2] = &vm->stop_timer;
    timers[3] = &vm->op_timer;
    timers[4] = &vm->agent_timer;
    vm->state = VM_STOPPED;
    vm->accel = FLOE_VM_ACCEL_AUTO;
    for (int i = 0; i < 5; i++) {
        uv_timer_init(loop, timers[i]);
        timers[i]->data = vm;
        vm->open_handles++;
    }
    vm_display_init(vm);
    return vm;
}

void floe_vm_free(struct floe_vm *vm)
{
    if (!vm)
        return;
    vm_state_free(&vm->state);
    vm_monitor_close(vm);
    vm_display_disconnect(vm);
    vm_agent_stop(vm);
    uv_close((uv_handle_t *)&vm->sock_timer, timer_closed);
    uv_close((uv_handle_t *)&vm->probe_timer, timer_closed);
    uv_close((uv_handle_t *)&vm->stop_timer, timer_closed);
    uv_close((uv_handle_t *)&vm->op_timer, timer_closed);
    uv_close((uv_handle_t *)&vm->agent_timer, timer_closed);
    /* the children's exit callbacks close them; the last handle frees vm */
    vm_child_kill(vm->probe);
    vm_child_kill(vm->qemu);
}

/* display=vnc, or display=qxl and the address QEMU serves clients on */
static void display_status(const struct floe_vm *vm, char *buf, size_t len)
{
    char uri[160];

    if (floe_vm_spice_uri(vm, uri, sizeof(uri)) < 0)
        snprintf(buf, len, "display=vnc");
    else
        snprintf(buf, len, "display=qxl spice=%s", uri);
}

void floe_vm_status(const struct floe_vm *vm, char *buf, size_t len)
{
    char sizes[16 * FLOE_VM_MAX_MONITORS] = "none", display[320];
    const char *accel = vm->accel == FLOE_VM_ACCEL_KVM ? "kvm"
                        : vm->accel == FLOE_VM_ACCEL_TCG ? "tcg" : "none";
    const struct vm_op *op = &vm->op;
    size_t at = 0;

    /* with display = qxl the heads' sizes are QEMU's, not seen here */
    for (int i = 0; vm->cfg.display == FLOE_VM_DISPLAY_VNC && i < vm->cfg.monitors &&
                    at < sizeof(sizes); i++)
        at += (size_t)snprintf(sizes + at, sizeof(sizes) - at, "%s%dx%d", i ? "," : "",
                               vm->heads[i].w, vm->heads[i].h);
    display_status(vm, display, sizeof(display));
    if (vm->probe)
        accel = "kvm";
    snprintf(buf, len, "state=%s accel=%s%s pid=%d qmp=%s size=%s updates=%lu last_exit=%s "
             "op=%s%s%s disk=%s agent=%s usb_redir=%d monitor=%s %s",
             vm_state_name(vm->state, vm->incoming != NULL), accel, vm->probe ? "-probing" : "",
             vm->qemu ? vm->qemu->proc.pid : 0, vm->qemu ? vm->qmp_path : "none", sizes,
             vm->updates, vm->last_exit, op->name ? op->name : "none", op->name ? ":" : "",
             op->name ? op->outcome : "",
             vm->overlay[0] ? vm->overlay : vm->cfg.disk ? vm->cfg.disk : "none",
             !vm->qemu ? "none" : vm->cfg.display == FLOE_VM_DISPLAY_QXL ? "spicevmc"
                                                                       : vm->agent_path,
             vm->cfg.usb_redir,
             vm->mon.ready ? "ready" : vm->mon.qmp ? "connecting" : "down", display);
}
