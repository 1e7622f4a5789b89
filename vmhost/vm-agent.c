/* The guest agent's port on the VNC-fed path: QEMU's socket chardev behind
 * virtio-serial com.redhat.spice.0, relayed by the server's agent API. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "floe/server.h"
#include "common/log.h"
#include "vmhost/vm-priv.h"

/* Above this much queued for QEMU the relay is told to wait (-EAGAIN); the
 * last write callback under it wakes it again. */
#define AGENT_QUEUE_MAX (64 * 1024)
#define CONNECT_TRIES 10
#define CONNECT_RETRY_MS 300

/* One connection to the chardev: QEMU accepts one at a time, so a new one
 * waits in its listen backlog until QEMU has seen the old one close. */
struct vm_agent_conn {
    uv_pipe_t pipe;
    uv_connect_t req;
    struct floe_vm *vm;
    bool connected;
    bool throttled;           /* write_fn said -EAGAIN: wake the relay when drained */
    char buf[16 * 1024];
};

struct agent_write {
    uv_write_t req;
    struct vm_agent_conn *conn;
    uint8_t bytes[];
};

static bool agent_wanted(const struct floe_vm *vm)
{
    return vm->cfg.display == FLOE_VM_DISPLAY_VNC && vm->qemu && vm_state_qemu_wanted(vm->state);
}

static void conn_closed(uv_handle_t *h)
{
    struct vm_agent_conn *c = h->data;
    struct floe_vm *vm = c->vm;

    free(c);
    vm_handle_closed(vm);
}

static void detach(struct floe_vm *vm)
{
    if (!vm->agent.attached)
        return;
    vm->agent.attached = false;
    floe_server_agent_detach(vm->srv);
}

/* Drops the connection (writes still queued are cancelled with it). */
static void drop_conn(struct floe_vm *vm)
{
    struct vm_agent_conn *c = vm->agent.conn;

    detach(vm);
    if (!c)
        return;
    vm->agent.conn = NULL;
    uv_close((uv_handle_t *)&c->pipe, conn_closed);
}

static void retry_tick(uv_timer_t *t)
{
    vm_agent_connect(t->data);
}

/* The connection failed or broke: a new one while QEMU runs. What was
 * queued on the old one is gone with it, so the guest never reads the tail
 * of a chunk meant for an agent that has since closed the port. */
static void reconnect(struct floe_vm *vm)
{
    drop_conn(vm);
    if (!agent_wanted(vm))
        return;
    if (vm->agent.tries++ >= CONNECT_TRIES) {
        floe_warn("vm: no guest agent port: %s cannot be connected", vm->agent_path);
        return;
    }
    uv_timer_start(&vm->agent_timer, retry_tick, vm->agent.tries > 1 ? CONNECT_RETRY_MS : 0, 0);
}

static void written(uv_write_t *req, int status);

static int write_fn(void *opaque, const uint8_t *bytes, size_t len)
{
    struct floe_vm *vm = opaque;
    struct vm_agent_conn *c = vm->agent.conn;
    struct agent_write *w;
    uv_buf_t b;

    if (!c || !c->connected || c->pipe.write_queue_size > AGENT_QUEUE_MAX) {
        if (c)
            c->throttled = true;
        return -EAGAIN;
    }
    w = malloc(sizeof(*w) + len);
    if (!w) {
        c->throttled = true;
        return -EAGAIN;
    }
    memcpy(w->bytes, bytes, len);
    w->conn = c;
    w->req.data = w;
    b = uv_buf_init((char *)w->bytes, (unsigned)len);
    if (uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1, written) < 0) {
        /* the pipe is broken: its read side tells, and the port goes */
        free(w);
        c->throttled = true;
        return -EAGAIN;
    }
    return 0;
}

static void written(uv_write_t *req, int status)
{
    struct agent_write *w = req->data;
    struct vm_agent_conn *c = w->conn;
    struct floe_vm *vm = c->vm;

    free(w);
    if (status == UV_ECANCELED || vm->agent.conn != c)
        return;
    if (status < 0) {
        floe_warn("vm: the guest agent port: %s", uv_strerror(status));
        reconnect(vm);
        return;
    }
    if (c->throttled && c->pipe.write_queue_size <= AGENT_QUEUE_MAX && vm->agent.attached) {
        c->throttled = false;
        floe_server_agent_wake(vm->srv);
    }
}

/* Attaches the port to the server once both ends are there: our connection
 * to QEMU and the guest's agent (VSERPORT_CHANGE open). */
static void attach_if_ready(struct floe_vm *vm)
{
    struct floe_agent_port port = { write_fn, vm };
    int rc;

    if (vm->agent.attached || !vm->agent.guest_open || !vm->agent.conn ||
        !vm->agent.conn->connected)
        return;
    rc = floe_server_agent_attach(vm->srv, &port);
    if (rc < 0) {
        floe_warn("vm: the guest's agent is not relayed: %s", strerror(-rc));
        return;
    }
    vm->agent.attached = true;
    floe_info("vm: the guest's agent opened its port: relayed to clients");
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct vm_agent_conn *c = h->data;

    (void)suggested;
    *buf = uv_buf_init(c->buf, sizeof(c->buf));
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct vm_agent_conn *c = s->data;
    struct floe_vm *vm = c->vm;

    (void)buf;
    if (n == 0 || vm->agent.conn != c)
        return;
    if (n < 0) {
        if (agent_wanted(vm))
            floe_warn("vm: the guest agent port closed: %s", uv_strerror((int)n));
        reconnect(vm);
        return;
    }
    /* only a guest that opened the port writes to it: its bytes may come
     * before QMP's VSERPORT_CHANGE does, or without it (QMP connected
     * again, a restored guest), and say it as well. Not so for an agent
     * that broke the protocol: it is dropped until it opens the port anew. */
    if (!vm->agent.attached && !vm->agent.broken) {
        vm->agent.guest_open = true;
        attach_if_ready(vm);
    }
    if (!vm->agent.attached)
        return;
    if (floe_server_agent_from_guest(vm->srv, c->buf, (size_t)n) == -EPROTO) {
        /* the relay has detached it; the guest sees the port's host side
         * go and come back */
        floe_warn("vm: the guest's agent broke the protocol: detached until it opens its "
                  "port again");
        vm->agent.attached = false;
        vm->agent.guest_open = false;
        vm->agent.broken = true;
        vm->agent.tries = 0;
        reconnect(vm);
    }
}

static void connected(uv_connect_t *req, int status)
{
    struct vm_agent_conn *c = req->data;
    struct floe_vm *vm = c->vm;

    if (status == UV_ECANCELED || vm->agent.conn != c)
        return;
    if (status < 0) {
        floe_debug("vm: the guest agent port: %s", uv_strerror(status));
        reconnect(vm);
        return;
    }
    c->connected = true;
    vm->agent.tries = 0;
    floe_debug("vm: connected to the guest agent port");
    if (uv_read_start((uv_stream_t *)&c->pipe, alloc_cb, read_cb) < 0) {
        reconnect(vm);
        return;
    }
    attach_if_ready(vm);
}

void vm_agent_connect(struct floe_vm *vm)
{
    struct vm_agent_conn *c;

    if (vm->agent.conn || !agent_wanted(vm))
        return;
    c = calloc(1, sizeof(*c));
    if (!c) {
        floe_warn("vm: the guest agent port: out of memory");
        return;
    }
    c->vm = vm;
    c->pipe.data = c;
    c->req.data = c;
    if (uv_pipe_init(vm->loop, &c->pipe, 0) < 0) {
        free(c);
        return;
    }
    vm->open_handles++;
    vm->agent.conn = c;
    uv_pipe_connect(&c->req, &c->pipe, vm->agent_path, connected);
}

void vm_agent_start(struct floe_vm *vm)
{
    vm->agent.tries = 0;
    vm->agent.guest_open = false;
    vm->agent.broken = false;
    vm_agent_connect(vm);
}

void vm_agent_port_event(struct floe_vm *vm, struct json_object *data)
{
    struct json_object *id, *open;
    bool is_open;

    if (!data || !json_object_object_get_ex(data, "id", &id) ||
        strcmp(json_object_get_string(id), VM_AGENT_PORT_ID) != 0 ||
        !json_object_object_get_ex(data, "open", &open) || vm->cfg.display != FLOE_VM_DISPLAY_VNC)
        return;
    is_open = json_object_get_boolean(open);
    vm->agent.guest_open = is_open;
    vm->agent.broken = false;
    if (is_open) {
        if (!vm->agent.conn)
            vm_agent_start(vm);
        vm->agent.guest_open = true;
        attach_if_ready(vm);
        return;
    }
    if (vm->agent.attached)
        floe_info("vm: the guest's agent closed its port");
    /* a fresh connection for the next agent: nothing of this one's is left
     * queued for it */
    vm->agent.tries = 0;
    reconnect(vm);
}

void vm_agent_stop(struct floe_vm *vm)
{
    uv_timer_stop(&vm->agent_timer);
    vm->agent.guest_open = false;
    drop_conn(vm);
}
