/* A QEMU VM served through libfloe-server (see vm.h): the child process, the
 * KVM probe with its TCG fallback, QMP lifecycle and the VNC feed to the server. */
#include "vmhost/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "vmhost/qmp.h"
#include "vmhost/vm-config.h"
#include "vmhost/vnc-feed.h"

#define SOCKET_WAIT_MS 30000
#define SOCKET_POLL_MS 100
#define QUIT_GRACE_MS 3000
#define QMP_TIMEOUT_MS 10000
#define STATUS_TRIES 5       /* query-status asked again after a failure */
#define QMP_RECONNECTS 3     /* QMP connections tried again while QEMU runs */

#define OP_POLL_MS 100

extern char **environ;
#define SNAPSHOT_TIMEOUT_MS 120000
#define CDROM_ID "cdrom0"

enum vm_state { VM_STOPPED, VM_STARTING, VM_RUNNING, VM_PAUSED, VM_STOPPING, VM_DIED,
                VM_HIBERNATING, VM_HIBERNATED, VM_RESTORING };

static const char *const state_names[] = { "stopped", "starting", "running", "paused",
                                           "stopping", "died", "hibernating", "hibernated",
                                           "restoring" };

/* One display head: its VNC server in QEMU, read into server surface `index`. */
struct vm_head {
    struct floe_vm *vm;
    int index;
    char vnc_path[96];
    struct floe_vnc_feed *feed;
    int w, h;
};

struct floe_vm {
    uv_loop_t *loop;
    struct floe_server *srv;
    struct floe_vm_config cfg;
    char dir[64], qmp_path[96], agent_path[96], probe_image[96];
    struct vm_head heads[FLOE_VM_MAX_MONITORS];   /* cfg.monitors of them */
    uv_process_t proc;
    int proc_alive;        /* spawned and not yet exited */
    int proc_open;         /* the process handle is not closed yet */
    uv_process_t probe_proc;   /* the KVM probe's QEMU */
    int probe_open;            /* its handle is not closed yet */
    int probe_timed_out;       /* killed at the deadline */
    uint64_t probe_started_ms;
    uv_timer_t sock_timer, probe_timer, stop_timer, op_timer;
    int sock_waited_ms;
    struct floe_qmp *qmp;
    int qmp_ready;
    enum vm_state state;
    enum floe_vm_accel accel;     /* what this run uses: KVM or TCG */
    int decided;                  /* KVM probed or configured: accel holds for next runs */
    int probing, stop_requested, stop_stage, guest_shutdown;
    unsigned long updates;
    int ptr_x, ptr_y, ptr_monitor;   /* the pointer is on heads[ptr_monitor] */
    unsigned buttons;
    char last_exit[96];
    char accel_note[160];  /* how the accelerator was chosen, logged once QEMU runs */
    char *incoming;        /* -incoming URI while a restore is under way */
    int was_running;       /* the guest ran when hibernation began */
    int hibernated;        /* the state is saved: QEMU's exit means hibernated */
    const char *op_name, *op_how;  /* the last long operation and how it went (literals) */
    char overlay[4096];    /* the disk QEMU opens when the config names a template */
    int own_overlay;       /* the overlay was made in dir and goes with it */
    int freeing, open_handles;
    int status_tries, qmp_reconnects;
};

/* ---- freeing ---- */

/* The sockets QEMU listens on in the run folder. */
static void remove_sockets(struct floe_vm *vm)
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

static void maybe_release(struct floe_vm *vm)
{
    if (!vm->freeing || vm->open_handles > 0 || vm->proc_open || vm->probe_open)
        return;
    if (vm->dir[0]) {
        remove_sockets(vm);
        if (vm->own_overlay)
            unlink(vm->overlay);
        rmdir(vm->dir);
    }
    floe_vm_config_clear(&vm->cfg);
    free(vm->incoming);
    free(vm);
}

static void handle_closed(uv_handle_t *h)
{
    struct floe_vm *vm = h->data;

    vm->open_handles--;
    maybe_release(vm);
}

/* ---- the display feed ---- */

static void feed_resize(void *opaque, int w, int h)
{
    struct vm_head *head = opaque;

    head->w = w;
    head->h = h;
    if (floe_server_surface_create(head->vm->srv, (uint32_t)head->index, w, h) < 0)
        floe_err("vm: cannot create a %dx%d surface for monitor %d", w, h, head->index + 1);
}

static void feed_damage(void *opaque, int x, int y, int w, int h, const uint32_t *pixels,
                        int stride)
{
    struct vm_head *head = opaque;
    struct floe_rect r = { x, y, w, h };

    floe_server_draw_image(head->vm->srv, (uint32_t)head->index, &r, pixels, stride);
}

static void feed_copy(void *opaque, int src_x, int src_y, int x, int y, int w, int h)
{
    struct vm_head *head = opaque;
    struct floe_rect r = { x, y, w, h };

    floe_server_copy_bits(head->vm->srv, (uint32_t)head->index, src_x, src_y, &r);
}

static void feed_update(void *opaque)
{
    struct vm_head *head = opaque;

    head->vm->updates++;
    floe_server_frame_end(head->vm->srv);
}

static void feed_error(void *opaque, const char *message)
{
    struct vm_head *head = opaque;
    struct floe_vm *vm = head->vm;

    if (vm->proc_alive && !vm->stop_requested) {
        if (vm->cfg.monitors > 1)
            floe_warn("vm: display feed of monitor %d: %s", head->index + 1, message);
        else
            floe_warn("vm: display feed: %s", message);
    }
    floe_vnc_feed_free(head->feed);
    head->feed = NULL;
}

static const struct floe_vnc_feed_cbs feed_cbs = { feed_resize, feed_damage, feed_copy,
                                                   feed_update, feed_error };

/* Connects every head's feed: 0, or -1 when one could not be made. */
static int feeds_connect(struct floe_vm *vm)
{
    int rc = 0;

    for (int i = 0; i < vm->cfg.monitors; i++) {
        struct vm_head *head = &vm->heads[i];

        if (!head->feed)
            head->feed = floe_vnc_feed_new(vm->loop, head->vnc_path, &feed_cbs, head);
        if (!head->feed)
            rc = -1;
    }
    return rc;
}

static void feeds_free(struct floe_vm *vm)
{
    for (int i = 0; i < FLOE_VM_MAX_MONITORS; i++) {
        floe_vnc_feed_free(vm->heads[i].feed);
        vm->heads[i].feed = NULL;
    }
}

/* The feed that carries keys: any head's reaches the guest's keyboard. */
static struct floe_vnc_feed *key_feed(struct floe_vm *vm)
{
    for (int i = 0; i < vm->cfg.monitors; i++)
        if (vm->heads[i].feed)
            return vm->heads[i].feed;
    return NULL;
}

/* ---- QMP ---- */

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

static const char *status_of(const struct floe_qmp_result *r)
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
    set_state_from_status(vm, status_of(r));
}

static void restore_tick(uv_timer_t *t);

static void qmp_ready(struct floe_qmp *q, void *opaque)
{
    struct floe_vm *vm = opaque;

    vm->qmp_ready = 1;
    if (vm->incoming) {
        uv_timer_start(&vm->op_timer, restore_tick, 0, OP_POLL_MS);
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

static void qmp_connect(struct floe_vm *vm);

static void qmp_retry_tick(uv_timer_t *t)
{
    qmp_connect(t->data);
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

static int run_command(struct floe_vm *vm, const char *command)
{
    if (!vm->qmp || !vm->qmp_ready)
        return -ENOTCONN;
    return floe_qmp_execute(vm->qmp, command, NULL, QMP_TIMEOUT_MS, command_done, vm);
}

/* ---- the process ---- */

static void kill_qemu(struct floe_vm *vm)
{
    if (vm->proc_alive)
        uv_process_kill(&vm->proc, SIGKILL);
}

static void qmp_connect(struct floe_vm *vm)
{
    static const struct floe_qmp_ops ops = { qmp_ready, qmp_event, qmp_closed };

    vm->status_tries = 0;
    vm->qmp = floe_qmp_new(vm->loop, &ops, vm);
    if (vm->qmp && floe_qmp_connect(vm->qmp, vm->qmp_path, QMP_TIMEOUT_MS) < 0) {
        floe_qmp_free(vm->qmp);
        vm->qmp = NULL;
    }
}

static void connect_sockets(struct floe_vm *vm)
{
    int feeds = 0;

    vm->qmp_reconnects = 0;
    qmp_connect(vm);
    /* while a restore loads, the screen is the empty VGA's: clients keep the
     * old picture until the guest's own comes back */
    if (!vm->incoming)
        feeds = feeds_connect(vm);
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
        kill_qemu(vm);
    }
}

static int prepare_overlay(struct floe_vm *vm, char *err, size_t errlen);

static void proc_closed(uv_handle_t *h)
{
    struct floe_vm *vm = h->data;

    vm->proc_open = 0;
    maybe_release(vm);
}

static void set_op(struct floe_vm *vm, const char *name, const char *how)
{
    vm->op_name = name;
    vm->op_how = how;
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
    feeds_free(vm);
    describe_exit(vm, status, sig);
    uv_close((uv_handle_t *)p, proc_closed);
    if (vm->freeing)
        return;
    if (vm->incoming) {
        floe_err("vm: restoring failed: QEMU ended (%s) before the saved state was loaded",
                 vm->last_exit);
        set_op(vm, "restore", "failed");
        free(vm->incoming);
        vm->incoming = NULL;
    }
    if (vm->hibernated) {
        vm->state = VM_HIBERNATED;
        floe_info("vm: QEMU quit after hibernating (%s)", vm->last_exit);
    } else if (vm->state == VM_HIBERNATING) {
        vm->state = VM_DIED;
        set_op(vm, "hibernate", "failed");
        floe_err("vm: QEMU died while hibernating (%s)", vm->last_exit);
    } else if (vm->stop_requested || (vm->guest_shutdown && !sig && status == 0)) {
        vm->state = VM_STOPPED;
        floe_info("vm: QEMU stopped (%s)", vm->last_exit);
    } else {
        char why[160];

        vm->state = VM_DIED;
        floe_err("vm: QEMU died (%s): clients are told and let go; the server keeps the last "
                 "picture and vm-start starts the VM again", vm->last_exit);
        /* SPICE's DISCONNECTING carries a link error, not text: ERROR (1) */
        snprintf(why, sizeof(why), "the VM's QEMU died (%s)", vm->last_exit);
        floe_server_disconnect_clients(vm->srv, 1, why);
    }
}

/* QEMU's option syntax doubles a comma that belongs to a value. */
static char *escape_commas(const char *prefix, const char *v, const char *suffix)
{
    size_t n = strlen(prefix) + 2 * strlen(v) + strlen(suffix) + 1;
    char *out = malloc(n), *o = out;

    if (!out)
        return NULL;
    o += sprintf(o, "%s", prefix);
    for (; *v; v++) {
        *o++ = *v;
        if (*v == ',')
            *o++ = ',';
    }
    strcpy(o, suffix);
    return out;
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);

    return a >= b && !strcmp(s + a - b, suffix);
}

#define MAX_FIXED_ARGS (64 + 4 * FLOE_VM_MAX_USB_REDIR + 4 * FLOE_VM_MAX_MONITORS)
#define MAX_OWNED (12 + 2 * FLOE_VM_MAX_USB_REDIR + 3 * FLOE_VM_MAX_MONITORS)

static char *int_arg(int v)
{
    char b[16];

    snprintf(b, sizeof(b), "%d", v);
    return strdup(b);
}

/* a + b in a new string; frees both (NULL if either is NULL) */
static char *concat_free(char *a, char *b)
{
    char *r = NULL;

    if (a && b && asprintf(&r, "%s%s", a, b) < 0)
        r = NULL;
    free(a);
    free(b);
    return r;
}

/* The command line; strings in own[] are freed by the caller. */
static char **build_args(struct floe_vm *vm, char **own, int *n_own)
{
    const struct floe_vm_config *c = &vm->cfg;
    char **argv = calloc((size_t)(MAX_FIXED_ARGS + c->n_extra), sizeof(*argv));
    const char *qemu = getenv("QEMU");
    int n = 0;

    if (!argv)
        return NULL;
#define ARG(s) (argv[n++] = (char *)(s))
#define OWN(s) (own[(*n_own)++] = argv[n++] = (s))
    ARG(qemu && *qemu ? qemu : "qemu-system-x86_64");
    ARG("-nodefaults"); ARG("-no-user-config"); ARG("-display"); ARG("none");
    /* one head: the standard VGA and its VNC server; more: a secondary VGA
     * (no legacy ports) for each further head, with its own VNC server */
    if (c->monitors == 1) {
        ARG("-vga"); ARG("std");
    } else {
        ARG("-device"); ARG("VGA,id=head0");
        for (int i = 1; i < c->monitors; i++) {
            char id[32];

            snprintf(id, sizeof(id), "secondary-vga,id=head%d", i);
            ARG("-device");
            OWN(strdup(id));
        }
    }
    ARG("-accel"); ARG(vm->accel == FLOE_VM_ACCEL_KVM ? "kvm" : "tcg");
    ARG("-m"); OWN(int_arg(c->memory_mib));
    ARG("-smp"); OWN(int_arg(c->cpus));
    ARG("-qmp"); OWN(escape_commas("unix:", vm->qmp_path, ",server=on,wait=off"));
    for (int i = 0; i < c->monitors; i++) {
        char tail[48];

        snprintf(tail, sizeof(tail), ",id=vnc%d,display=head%d", i, i);
        ARG("-vnc");
        OWN(escape_commas("unix:", vm->heads[i].vnc_path, c->monitors == 1 ? "" : tail));
    }
    /* a USB tablet makes QEMU's VNC pointer absolute in the guest */
    ARG("-device"); ARG("usb-ehci,id=ehci"); ARG("-device"); ARG("usb-tablet,bus=ehci.0");
    /* the guest agent's port, as SPICE agents look for it, on a socket */
    ARG("-device"); ARG("virtio-serial-pci,id=vser");
    ARG("-chardev");
    OWN(escape_commas("socket,id=agent,server=on,wait=off,path=", vm->agent_path, ""));
    ARG("-device"); ARG("virtserialport,bus=vser.0,chardev=agent,name=com.redhat.spice.0");
    /* USB redirection ports: each a usb-redir device on a socket chardev */
    if (c->usb_redir) {
        ARG("-device"); ARG("qemu-xhci,id=xhci");
    }
    for (int i = 0; i < c->usb_redir; i++) {
        char id[32], path[sizeof(vm->dir) + 32];

        snprintf(path, sizeof(path), "%s/usbredir%d.sock", vm->dir, i);
        snprintf(id, sizeof(id), "usbredir%d", i);
        ARG("-chardev");
        OWN(concat_free(escape_commas("socket,server=on,wait=off,id=", id, ""),
                        escape_commas(",path=", path, "")));
        ARG("-device");
        OWN(concat_free(strdup("usb-redir,bus=xhci.0,chardev="), strdup(id)));
    }
    if (c->sound) {
        ARG("-audiodev"); ARG("none,id=snd0");
        ARG("-device"); ARG("intel-hda"); ARG("-device"); ARG("hda-duplex,audiodev=snd0");
    }
    if (c->template_file) {
        ARG("-drive");
        OWN(escape_commas("file=", vm->overlay, ",if=virtio,format=qcow2"));
    } else if (c->disk) {
        ARG("-drive");
        OWN(escape_commas("file=", c->disk, has_suffix(c->disk, ".qcow2")
                          ? ",if=virtio,format=qcow2" : ",if=virtio,format=raw"));
    }
    /* always a drive, empty without cdrom, so that vm-cdrom can insert one */
    ARG("-drive");
    OWN(c->cdrom ? escape_commas("if=none,id=cd0,media=cdrom,format=raw,readonly=on,file=",
                                 c->cdrom, "")
                 : strdup("if=none,id=cd0,media=cdrom"));
    ARG("-device"); ARG("ide-cd,drive=cd0,id=" CDROM_ID);
    if (vm->incoming) { ARG("-incoming"); ARG(vm->incoming); }
    if (c->kernel) { ARG("-kernel"); ARG(c->kernel); }
    if (c->initrd) { ARG("-initrd"); ARG(c->initrd); }
    if (c->append) { ARG("-append"); ARG(c->append); }
    if (c->boot_menu) { ARG("-boot"); ARG("menu=on,splash-time=60000"); }
    for (int i = 0; i < c->n_extra; i++)
        ARG(c->extra[i]);
#undef ARG
#undef OWN
    for (int i = 0; i < n; i++)
        if (!argv[i]) {
            free(argv);
            return NULL;
        }
    return argv;
}

static int spawn_qemu(struct floe_vm *vm, char *err, size_t errlen)
{
    uv_stdio_container_t stdio[3] = { { .flags = UV_IGNORE },
                                      { .flags = UV_INHERIT_FD, .data.fd = 2 },
                                      { .flags = UV_INHERIT_FD, .data.fd = 2 } };
    uv_process_options_t po = { .exit_cb = qemu_exited, .stdio_count = 3, .stdio = stdio };
    char *own[MAX_OWNED] = { 0 };
    int n_own = 0, rc;
    char **argv = build_args(vm, own, &n_own);

    if (!argv) {
        rc = -ENOMEM;
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    remove_sockets(vm);
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

/* ---- the accelerator: KVM when it really runs guests, else TCG ---- */

/* The probe guest (kvm-probe-guest.S), linked in by the Makefile. */
extern const uint8_t floe_kvm_probe_image[], floe_kvm_probe_image_end[];

/* QEMU's exit status from the probe guest's isa-debug-exit write, value << 1 | 1 */
#define PROBE_OK 99
#define PROBE_BAD_MEMORY 97
#define PROBE_MEMORY_MIB 160   /* the guest tests 16..112 MiB */

/* Whether KVM can be opened and speaks the API QEMU expects; why not in why. */
static int kvm_usable(char *why, size_t len)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC), v;

    if (fd < 0) {
        snprintf(why, len, "%s", strerror(errno));
        return 0;
    }
    v = ioctl(fd, KVM_GET_API_VERSION, 0);
    if (v < 0)
        snprintf(why, len, "%s", strerror(errno));
    else if (v != KVM_API_VERSION)
        snprintf(why, len, "API version %d, not %d", v, KVM_API_VERSION);
    close(fd);
    return v == KVM_API_VERSION;
}

/* QEMU for the VM, now that the accelerator is known; a failure ends the start. */
static void spawn_after_probe(struct floe_vm *vm)
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
        set_op(vm, "restore", "failed");
        free(vm->incoming);
        vm->incoming = NULL;
    }
}

static void probe_closed(uv_handle_t *h)
{
    struct floe_vm *vm = h->data;

    vm->probe_open = 0;
    unlink(vm->probe_image);
    if (vm->freeing)
        maybe_release(vm);
    else if (!vm->probing)
        spawn_after_probe(vm);
}

static void probe_exited(uv_process_t *p, int64_t status, int sig)
{
    struct floe_vm *vm = p->data;
    uint64_t ms = uv_now(vm->loop) - vm->probe_started_ms;
    char how[96];

    uv_timer_stop(&vm->probe_timer);
    vm->probing = 0;
    uv_close((uv_handle_t *)p, probe_closed);
    if (vm->freeing || vm->stop_requested)
        return;
    vm->decided = 1;
    if (!sig && status == PROBE_OK) {
        vm->accel = FLOE_VM_ACCEL_KVM;
        floe_info("vm: using KVM: a probe guest entered long mode and wrote and checked "
                  "288 MiB in %llu ms", (unsigned long long)ms);
        return;
    }
    vm->accel = FLOE_VM_ACCEL_TCG;
    if (vm->probe_timed_out) {
        floe_info("vm: using TCG: KVM runs guests too slowly here: a probe guest that needs "
                  "well under a second did not finish its memory test within %ds",
                  vm->cfg.kvm_probe_seconds);
    } else if (!sig && status == PROBE_BAD_MEMORY) {
        floe_info("vm: using TCG: a probe guest under KVM read back wrong memory");
    } else {
        if (sig)
            snprintf(how, sizeof(how), "was killed by signal %d", sig);
        else
            snprintf(how, sizeof(how), "exited with status %d", (int)status);
        floe_info("vm: using TCG: QEMU running a probe guest under KVM %s", how);
    }
}

static void probe_deadline(uv_timer_t *t)
{
    struct floe_vm *vm = t->data;

    vm->probe_timed_out = 1;
    uv_process_kill(&vm->probe_proc, SIGKILL);
}

static void probe_spawn_failed_closed(uv_handle_t *h)
{
    struct floe_vm *vm = h->data;

    vm->probe_open = 0;
    unlink(vm->probe_image);
    maybe_release(vm);
}

/* Writes the probe guest's disk into the run folder: 0 or -errno. */
static int write_probe_image(const char *path)
{
    size_t len = (size_t)(floe_kvm_probe_image_end - floe_kvm_probe_image);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), rc = 0;

    if (fd < 0)
        return -errno;
    if (write(fd, floe_kvm_probe_image, len) != (ssize_t)len)
        rc = errno ? -errno : -EIO;
    if (close(fd) < 0 && !rc)
        rc = -errno;
    return rc;
}

/* Boots the probe guest under KVM with a deadline; its exit decides. */
static int start_probe(struct floe_vm *vm, char *err, size_t errlen)
{
    uv_stdio_container_t stdio[3] = { { .flags = UV_IGNORE }, { .flags = UV_IGNORE },
                                      { .flags = UV_IGNORE } };
    uv_process_options_t po = { .exit_cb = probe_exited, .stdio_count = 3, .stdio = stdio };
    const char *qemu = getenv("QEMU");
    char memory[16], *drive;
    int rc;

    rc = write_probe_image(vm->probe_image);
    if (rc < 0) {
        snprintf(err, errlen, "cannot write %s: %s", vm->probe_image, strerror(-rc));
        unlink(vm->probe_image);
        return rc;
    }
    drive = escape_commas("file=", vm->probe_image, ",format=raw,if=floppy,readonly=on");
    if (!drive) {
        snprintf(err, errlen, "out of memory");
        unlink(vm->probe_image);
        return -ENOMEM;
    }
    snprintf(memory, sizeof(memory), "%d", PROBE_MEMORY_MIB);
    char *argv[] = { (char *)(qemu && *qemu ? qemu : "qemu-system-x86_64"), "-nodefaults",
                     "-no-user-config", "-display", "none", "-accel", "kvm", "-m", memory,
                     "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-drive", drive,
                     "-boot", "order=a", NULL };

    po.file = argv[0];
    po.args = argv;
    vm->probe_proc.data = vm;
    vm->probe_open = 1;
    rc = uv_spawn(vm->loop, &vm->probe_proc, &po);
    free(drive);
    if (rc < 0) {
        snprintf(err, errlen, "cannot run %s: %s", argv[0], uv_strerror(rc));
        uv_close((uv_handle_t *)&vm->probe_proc, probe_spawn_failed_closed);
        return rc;
    }
    vm->probing = 1;
    vm->probe_timed_out = vm->stop_requested = 0;
    vm->accel = FLOE_VM_ACCEL_KVM;
    vm->probe_started_ms = uv_now(vm->loop);
    vm->state = vm->incoming ? VM_RESTORING : VM_STARTING;
    uv_timer_start(&vm->probe_timer, probe_deadline, (uint64_t)vm->cfg.kvm_probe_seconds * 1000,
                   0);
    floe_info("vm: probing KVM: a probe guest gets %ds", vm->cfg.kvm_probe_seconds);
    return 0;
}

/* Starts QEMU, or first the KVM probe when the accelerator is not known yet. */
static int launch(struct floe_vm *vm, char *err, size_t errlen)
{
    char why[96];

    if (!vm->decided) {
        if (vm->cfg.accel != FLOE_VM_ACCEL_AUTO) {
            vm->accel = vm->cfg.accel;
            vm->decided = 1;
            snprintf(vm->accel_note, sizeof(vm->accel_note), "vm: using %s (as configured)",
                     vm->accel == FLOE_VM_ACCEL_KVM ? "KVM" : "TCG");
        } else if (!kvm_usable(why, sizeof(why))) {
            vm->accel = FLOE_VM_ACCEL_TCG;
            vm->decided = 1;
            snprintf(vm->accel_note, sizeof(vm->accel_note),
                     "vm: using TCG: /dev/kvm is not usable (%s)", why);
        } else {
            return start_probe(vm, err, errlen);
        }
    }
    return spawn_qemu(vm, err, errlen);
}

/* ---- the public functions ---- */

struct floe_vm *floe_vm_new(uv_loop_t *loop, struct floe_server *srv,
                            struct floe_vm_config *cfg, char *err, size_t errlen)
{
    struct floe_vm *vm = calloc(1, sizeof(*vm));
    const char *tmp = getenv("TMPDIR");
    uv_timer_t *timers[4];

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
    vm->loop = loop;
    vm->srv = srv;
    snprintf(vm->last_exit, sizeof(vm->last_exit), "none");
    timers[0] = &vm->sock_timer;
    timers[1] = &vm->probe_timer;
    timers[2] = &vm->stop_timer;
    timers[3] = &vm->op_timer;
    for (int i = 0; i < 4; i++) {
        uv_timer_init(loop, timers[i]);
        timers[i]->data = vm;
        vm->open_handles++;
    }
    /* clients that come before the guest's first picture see a black screen */
    for (int i = 0; i < vm->cfg.monitors; i++) {
        vm->heads[i].w = i ? 640 : 720;   /* the sizes of QEMU's empty VGA screens */
        vm->heads[i].h = i ? 480 : 400;
        floe_server_surface_create(srv, (uint32_t)i, vm->heads[i].w, vm->heads[i].h);
    }
    floe_server_frame_end(srv);
    return vm;
}

void floe_vm_free(struct floe_vm *vm)
{
    if (!vm)
        return;
    vm->freeing = 1;
    floe_qmp_free(vm->qmp);
    vm->qmp = NULL;
    feeds_free(vm);
    uv_close((uv_handle_t *)&vm->sock_timer, handle_closed);
    uv_close((uv_handle_t *)&vm->probe_timer, handle_closed);
    uv_close((uv_handle_t *)&vm->stop_timer, handle_closed);
    uv_close((uv_handle_t *)&vm->op_timer, handle_closed);
    /* qemu_exited and probe_exited close the process handles once QEMU is gone */
    if (vm->probing)
        uv_process_kill(&vm->probe_proc, SIGKILL);
    kill_qemu(vm);
}

int floe_vm_start(struct floe_vm *vm, char *err, size_t errlen)
{
    if (vm->proc_alive || vm->proc_open) {
        snprintf(err, errlen, "the VM is %s", state_names[vm->state]);
        return -EALREADY;
    }
    if (vm->probe_open) {
        snprintf(err, errlen, "the VM is starting (KVM is being probed)");
        return -EALREADY;
    }
    if (prepare_overlay(vm, err, errlen) < 0)
        return -EINVAL;
    return launch(vm, err, errlen);
}

static void stop_tick(uv_timer_t *t)
{
    struct floe_vm *vm = t->data;

    if (vm->stop_stage == 0 && run_command(vm, "quit") == 0) {
        floe_info("vm: the guest did not power down within %ds: quitting QEMU",
                  vm->cfg.stop_timeout);
        vm->stop_stage = 1;
        uv_timer_start(t, stop_tick, QUIT_GRACE_MS, 0);
        return;
    }
    floe_info("vm: killing QEMU");
    kill_qemu(vm);
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
    if (run_command(vm, "system_powerdown") < 0) {
        kill_qemu(vm);
        return 0;
    }
    uv_timer_start(&vm->stop_timer, stop_tick, (uint64_t)vm->cfg.stop_timeout * 1000, 0);
    return 0;
}

int floe_vm_pause(struct floe_vm *vm)
{
    return run_command(vm, "stop");
}

int floe_vm_resume(struct floe_vm *vm)
{
    return run_command(vm, "cont");
}

int floe_vm_reset(struct floe_vm *vm)
{
    return run_command(vm, "system_reset");
}

void floe_vm_status(const struct floe_vm *vm, char *buf, size_t len)
{
    char sizes[16 * FLOE_VM_MAX_MONITORS] = "";
    size_t at = 0;

    for (int i = 0; i < vm->cfg.monitors && at < sizeof(sizes); i++)
        at += (size_t)snprintf(sizes + at, sizeof(sizes) - at, "%s%dx%d", i ? "," : "",
                               vm->heads[i].w, vm->heads[i].h);
    const char *accel = vm->accel == FLOE_VM_ACCEL_KVM ? "kvm" : "tcg";

    if (vm->probing)
        accel = "kvm";
    else if (!vm->proc_alive && !vm->decided)
        accel = "none";
    snprintf(buf, len, "state=%s accel=%s%s pid=%d qmp=%s size=%s updates=%lu last_exit=%s "
             "op=%s%s%s disk=%s agent=%s usb_redir=%d monitor=%s", state_names[vm->state], accel,
             vm->probing ? "-probing" : "",
             vm->proc_alive ? vm->proc.pid : 0, vm->proc_alive ? vm->qmp_path : "none", sizes,
             vm->updates, vm->last_exit, vm->op_name ? vm->op_name : "none",
             vm->op_name ? ":" : "", vm->op_name ? vm->op_how : "",
             vm->overlay[0] ? vm->overlay : vm->cfg.disk ? vm->cfg.disk : "none",
             vm->proc_alive ? vm->agent_path : "none", vm->cfg.usb_redir,
             vm->qmp_ready ? "ready" : vm->qmp ? "connecting" : "down");
}

/* ---- disks on a template ---- */

/* Runs qemu-img (env QEMU_IMG overrides it) to make overlay on template;
 * blocks for the moment this takes. 0, or -1 with one line in err. */
static int make_overlay(const char *template_file, const char *overlay, char *err, size_t errlen)
{
    const char *img = getenv("QEMU_IMG");
    char *argv[] = { (char *)(img && *img ? img : "qemu-img"), "create", "-q", "-f", "qcow2",
                     "-b", (char *)template_file, "-F",
                     has_suffix(template_file, ".qcow2") ? "qcow2" : "raw",
                     (char *)overlay, NULL };
    pid_t pid;
    int rc, status;

    rc = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
    if (rc != 0) {
        snprintf(err, errlen, "cannot run %s: %s", argv[0], strerror(rc));
        return -1;
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            snprintf(err, errlen, "%s: %s", argv[0], strerror(errno));
            return -1;
        }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(err, errlen, "%s could not create the overlay %s on %s", argv[0], overlay,
                 template_file);
        return -1;
    }
    floe_info("vm: created the overlay %s on %s", overlay, template_file);
    return 0;
}

/* The overlay QEMU boots from: the configured one or one in the run
 * folder, made once; the template stays as it is (QEMU opens backing
 * files read-only). */
static int prepare_overlay(struct floe_vm *vm, char *err, size_t errlen)
{
    const struct floe_vm_config *c = &vm->cfg;
    char *abs_template;
    int rc = 0;

    if (!c->template_file || vm->overlay[0])
        return 0;
    if (c->overlay)
        snprintf(vm->overlay, sizeof(vm->overlay), "%s", c->overlay);
    else
        snprintf(vm->overlay, sizeof(vm->overlay), "%s/overlay.qcow2", vm->dir);
    if (access(vm->overlay, F_OK) == 0)
        return 0;
    /* the overlay records the backing path; relative ones would be read
     * from the overlay's folder */
    abs_template = realpath(c->template_file, NULL);
    if (!abs_template) {
        snprintf(err, errlen, "template '%s': %s", c->template_file, strerror(errno));
        rc = -1;
    } else {
        rc = make_overlay(abs_template, vm->overlay, err, errlen);
    }
    free(abs_template);
    if (rc == 0)
        vm->own_overlay = !c->overlay;
    else
        vm->overlay[0] = 0;
    return rc;
}

/* ---- hibernation ---- */

/* s in single quotes for /bin/sh, which runs QEMU's exec: migration URIs. */
static char *shell_quoted(const char *prefix, const char *s)
{
    size_t n = strlen(prefix) + 4 * strlen(s) + 3;
    char *out = malloc(n), *o = out;

    if (!out)
        return NULL;
    o += sprintf(o, "%s'", prefix);
    for (; *s; s++) {
        if (*s == '\'') {
            memcpy(o, "'\\''", 4);
            o += 4;
        } else {
            *o++ = *s;
        }
    }
    strcpy(o, "'");
    return out;
}


static void hibernate_failed(struct floe_vm *vm, const char *why)
{
    floe_err("vm: hibernation failed: %s", why);
    set_op(vm, "hibernate", "failed");
    uv_timer_stop(&vm->op_timer);
    vm->state = VM_PAUSED;
    if (vm->was_running)
        run_command(vm, "cont");
}

static void migrate_polled(struct floe_qmp *q, const struct floe_qmp_result *r, void *opaque)
{
    struct floe_vm *vm = opaque;
    struct json_object *v;
    const char *st = status_of(r);

    if (r->status == -ECANCELED || vm->state != VM_HIBERNATING)
        return;
    if (!st) {
        hibernate_failed(vm, r->status ? r->err_desc : "query-migrate has no status");
    } else if (!strcmp(st, "completed")) {
        uv_timer_stop(&vm->op_timer);
        floe_info("vm: the guest's state is saved: quitting QEMU");
        set_op(vm, "hibernate", "done");
        vm->hibernated = vm->stop_requested = 1;
        vm->stop_stage = 1;
        run_command(vm, "quit");
        uv_timer_start(&vm->stop_timer, stop_tick, QUIT_GRACE_MS, 0);
    } else if (!strcmp(st, "failed") || !strcmp(st, "cancelled")) {
        hibernate_failed(vm, json_object_object_get_ex(r->value, "error-desc", &v)
                             ? json_object_get_string(v) : st);
    }
}

static void hibernate_tick(uv_timer_t *t)
{
    struct floe_vm *vm = t->data;

    if (floe_qmp_execute(vm->qmp, "query-migrate", NULL, QMP_TIMEOUT_MS, migrate_polled,
                         vm) < 0)
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

static int check_ready(struct floe_vm *vm, char *err, size_t errlen)
{
    if (vm->state != VM_RUNNING && vm->state != VM_PAUSED) {
        snprintf(err, errlen, "the VM is %s", state_names[vm->state]);
        return -1;
    }
    if (!vm->qmp || !vm->qmp_ready) {
        snprintf(err, errlen, "QEMU is not running or not ready");
        return -1;
    }
    return 0;
}

int floe_vm_hibernate(struct floe_vm *vm, const char *file, char *err, size_t errlen)
{
    struct json_object *args;
    char *uri;

    if (check_ready(vm, err, errlen) < 0)
        return -1;
    if (!*file) {
        snprintf(err, errlen, "vm-hibernate needs a file");
        return -1;
    }
    uri = shell_quoted("exec:cat > ", file);
    args = json_object_new_object();
    if (!uri || !args) {
        free(uri);
        json_object_put(args);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    json_object_object_add(args, "uri", json_object_new_string(uri));
    free(uri);
    vm->was_running = vm->state == VM_RUNNING;
    /* stopped first, the state is written once and the guest does not run on */
    run_command(vm, "stop");
    if (floe_qmp_execute(vm->qmp, "migrate", args, QMP_TIMEOUT_MS, migrate_started, vm) < 0) {
        snprintf(err, errlen, "QMP migrate could not be sent");
        if (vm->was_running)
            run_command(vm, "cont");
        return -1;
    }
    vm->state = VM_HIBERNATING;
    set_op(vm, "hibernate", "running");
    floe_info("vm: hibernating to %s", file);
    return 0;
}

/* ---- restoring ---- */

static void restore_resumed(struct floe_qmp *q, const struct floe_qmp_result *r, void *opaque)
{
    struct floe_vm *vm = opaque;

    if (r->status == -ECANCELED)
        return;
    if (r->status != 0) {
        floe_err("vm: the restored guest did not continue: %s", r->err_desc);
        set_op(vm, "restore", "failed");
        return;
    }
    vm->state = VM_RUNNING;
    set_op(vm, "restore", "done");
    floe_info("vm: the restored guest runs");
}

static void restore_polled(struct floe_qmp *q, const struct floe_qmp_result *r, void *opaque)
{
    struct floe_vm *vm = opaque;
    const char *st = status_of(r);

    if (r->status == -ECANCELED || vm->state != VM_RESTORING || !st)
        return;
    if (!strcmp(st, "inmigrate"))
        return;
    uv_timer_stop(&vm->op_timer);
    free(vm->incoming);
    vm->incoming = NULL;
    floe_info("vm: the saved state is loaded (%s)", st);
    if (feeds_connect(vm) < 0)
        floe_err("vm: cannot connect to QEMU's VNC socket");
    vm->state = VM_PAUSED;
    if (!strcmp(st, "running")) {
        vm->state = VM_RUNNING;
        set_op(vm, "restore", "done");
    } else if (floe_qmp_execute(vm->qmp, "cont", NULL, QMP_TIMEOUT_MS, restore_resumed,
                                vm) < 0) {
        set_op(vm, "restore", "failed");
    }
}

static void restore_tick(uv_timer_t *t)
{
    struct floe_vm *vm = t->data;

    if (vm->qmp_ready)
        floe_qmp_execute(vm->qmp, "query-status", NULL, QMP_TIMEOUT_MS, restore_polled, vm);
}

int floe_vm_restore(struct floe_vm *vm, const char *file, char *err, size_t errlen)
{
    struct stat st;

    if (vm->proc_alive || vm->proc_open || vm->probe_open) {
        snprintf(err, errlen, "the VM is %s: vm-stop or vm-hibernate it first",
                 state_names[vm->state]);
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
    if (prepare_overlay(vm, err, errlen) < 0)
        return -1;
    free(vm->incoming);
    vm->incoming = shell_quoted("exec:cat ", file);
    if (!vm->incoming) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    set_op(vm, "restore", "running");
    floe_info("vm: restoring from %s", file);
    if (launch(vm, err, errlen) < 0) {
        free(vm->incoming);
        vm->incoming = NULL;
        set_op(vm, "restore", "failed");
        return -1;
    }
    return 0;
}

/* ---- the CD-ROM and snapshots ---- */

/* The answer of a command that ends the operation vm->op names. */
static void op_done(struct floe_qmp *q, const struct floe_qmp_result *r, void *opaque)
{
    struct floe_vm *vm = opaque;
    const char *hmp = r->value && json_object_is_type(r->value, json_type_string)
                      ? json_object_get_string(r->value) : "";
    const char *name = vm->op_name;

    if (r->status == -ECANCELED || !name)
        return;
    /* HMP commands answer with their error text and QMP success */
    if (r->status != 0 || *hmp) {
        floe_err("vm: %s failed: %.*s", name, (int)strcspn(r->status ? r->err_desc : hmp, "\r\n"),
                 r->status ? r->err_desc : hmp);
        set_op(vm, name, "failed");
    } else {
        floe_info("vm: %s done", name);
        set_op(vm, name, "done");
    }
}

static int start_op(struct floe_vm *vm, const char *name, const char *command,
                    struct json_object *args, unsigned timeout_ms, char *err, size_t errlen)
{
    if (!args) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (floe_qmp_execute(vm->qmp, command, args, timeout_ms, op_done, vm) < 0) {
        snprintf(err, errlen, "QMP %s could not be sent", command);
        return -1;
    }
    set_op(vm, name, "running");
    return 0;
}

int floe_vm_cdrom(struct floe_vm *vm, const char *file, char *err, size_t errlen)
{
    struct json_object *args;

    if (check_ready(vm, err, errlen) < 0)
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
    const struct floe_vm_config *c = &vm->cfg;
    struct json_object *args;
    char line[96];

    if (check_ready(vm, err, errlen) < 0)
        return -1;
    if (!c->template_file && !(c->disk && has_suffix(c->disk, ".qcow2"))) {
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

/* ---- input ---- */

/* Input changes whichever head the guest draws its answer on: every head's
 * VNC server but `sent` (which input itself nudges) is nudged. */
static void nudge_other_heads(struct floe_vm *vm, const struct floe_vnc_feed *sent)
{
    for (int i = 0; i < vm->cfg.monitors; i++)
        if (vm->heads[i].feed && vm->heads[i].feed != sent)
            floe_vnc_feed_nudge(vm->heads[i].feed);
}

static void in_key(void *opaque, uint32_t scancode, int down)
{
    struct floe_vm *vm = opaque;

    struct floe_vnc_feed *feed = key_feed(vm);

    if (feed)
        floe_vnc_feed_key(feed, scancode, down);
    nudge_other_heads(vm, feed);
}

/* An absolute position on a monitor goes through that head's VNC
 * connection. QEMU scales it to its one USB tablet's whole range, so on a
 * head other than the first it lands where the guest maps that tablet
 * (usually its whole desktop) until a guest agent places the monitors. */
static void in_pointer(void *opaque, int monitor, int x, int y, uint32_t buttons)
{
    struct floe_vm *vm = opaque;
    struct floe_vnc_feed *feed;

    if (monitor < 0 || monitor >= vm->cfg.monitors)
        return;
    vm->ptr_monitor = monitor;
    feed = vm->heads[monitor].feed;
    vm->ptr_x = x;
    vm->ptr_y = y;
    vm->buttons = buttons & 7;
    if (feed)
        floe_vnc_feed_pointer(feed, x, y, vm->buttons);
    nudge_other_heads(vm, feed);
}

/* RFB has no wheel: a press and release of button 4 (up) or 5 (down). */
static void in_wheel(void *opaque, int delta)
{
    struct floe_vm *vm = opaque;
    unsigned bit = delta > 0 ? 1u << 4 : 1u << 3;

    struct floe_vnc_feed *feed = vm->heads[vm->ptr_monitor].feed;

    if (!feed || !delta)
        return;
    floe_vnc_feed_pointer(feed, vm->ptr_x, vm->ptr_y, vm->buttons | bit);
    floe_vnc_feed_pointer(feed, vm->ptr_x, vm->ptr_y, vm->buttons);
}

void floe_vm_input_sink(struct floe_vm *vm, struct floe_input_sink *sink)
{
    memset(sink, 0, sizeof(*sink));
    sink->key_fn = in_key;
    sink->pointer_monitor_fn = in_pointer;
    sink->wheel_fn = in_wheel;
    sink->opaque = vm;
}
