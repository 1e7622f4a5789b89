/* Channel events for QEMU (query-spice and the SPICE_* QMP events): floe's
 * server reports each connection on its thread; QEMU's channel_event gets
 * one SpiceChannelEventInfo per connection, the same pointer from
 * CONNECTED to DISCONNECTED (QEMU keeps it in its channel list and reads
 * it from its main loop until then), with the extended addresses. Each
 * event is told on QEMU's main loop, where channel_event belongs (called
 * elsewhere it takes QEMU's big lock, which floe's thread never waits
 * for). The first client to come and the last to go are told to the
 * guest too. */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "server/qemu/lib.h"

struct conn {
    struct conn *next;     /* the server's thread's list */
    uint64_t id;
    int main_channel;      /* an initialized MAIN: a client (main loop) */
    SpiceChannelEventInfo info; /* QEMU's main loop's own */
};

struct fqxl_events {
    SpiceServer *s;
    struct conn *list;     /* the server's thread's own */
    int clients;           /* changed on QEMU's main loop, read anywhere: atomic */
};

/* One event on its way to the main loop. */
struct event_call {
    struct fqxl_events *ev;
    struct conn *c;        /* freed after DISCONNECTED is told */
    int event;
    struct floe_channel_info ci;
};

struct fqxl_events *fqxl_events_new(SpiceServer *s)
{
    struct fqxl_events *ev = calloc(1, sizeof(*ev));

    if (ev)
        ev->s = s;
    return ev;
}

int fqxl_events_clients(const struct fqxl_events *ev)
{
    return __atomic_load_n(&ev->clients, __ATOMIC_SEQ_CST);
}

static struct conn **find(struct fqxl_events *ev, uint64_t id)
{
    struct conn **p = &ev->list;

    while (*p && (*p)->id != id)
        p = &(*p)->next;
    return p;
}

static void fill(SpiceChannelEventInfo *info, const struct floe_channel_info *ci)
{
    info->flags = SPICE_CHANNEL_EVENT_FLAG_ADDR_EXT;
    info->connection_id = ci->session_id;
    info->type = ci->type;
    info->id = ci->id;
    memcpy(&info->laddr_ext, &ci->laddr, sizeof(info->laddr_ext));
    info->llen_ext = ci->llen;
    memcpy(&info->paddr_ext, &ci->paddr, sizeof(info->paddr_ext));
    info->plen_ext = ci->plen;
}

/* QEMU's main loop: the event told. */
static void tell(void *arg, int run)
{
    struct event_call *e = arg;
    struct fqxl_events *ev = e->ev;
    SpiceCoreInterface *core = ev->s->core;
    struct conn *c = e->c;

    switch (run ? e->event : -1) {
    case FLOE_CHANNEL_CONNECTED:
        fill(&c->info, &e->ci);
        core->channel_event(SPICE_CHANNEL_EVENT_CONNECTED, &c->info);
        break;
    case FLOE_CHANNEL_INITIALIZED:
        fill(&c->info, &e->ci);
        if (e->ci.type == SPICE_CHANNEL_MAIN && !c->main_channel) {
            c->main_channel = 1;
            if (__atomic_add_fetch(&ev->clients, 1, __ATOMIC_SEQ_CST) == 1)
                fqxl_workers_clients(ev->s, 1);
        }
        core->channel_event(SPICE_CHANNEL_EVENT_INITIALIZED, &c->info);
        break;
    case FLOE_CHANNEL_DISCONNECTED:
        core->channel_event(SPICE_CHANNEL_EVENT_DISCONNECTED, &c->info);
        if (c->main_channel && __atomic_sub_fetch(&ev->clients, 1, __ATOMIC_SEQ_CST) == 0)
            fqxl_workers_clients(ev->s, 0);
        break;
    }
    if (e->event == FLOE_CHANNEL_DISCONNECTED)
        free(c);
    free(e);
}

/* floe's thread: the connection looked up (made at CONNECTED, taken off the
 * list at DISCONNECTED) and the event queued. */
static void on_channel(void *opaque, int event, const struct floe_channel_info *ci)
{
    struct fqxl_events *ev = opaque;
    struct conn **p = find(ev, ci->conn), *c = *p;
    struct event_call *e;

    if (event == FLOE_CHANNEL_CONNECTED ? c != NULL : c == NULL)
        return;
    e = calloc(1, sizeof(*e));
    if (event == FLOE_CHANNEL_CONNECTED && e) {
        c = calloc(1, sizeof(*c));
        if (c) {
            c->id = ci->conn;
            c->next = ev->list;
            ev->list = c;
        }
    }
    if (!e || !c) {
        floe_err("out of memory: QEMU is not told of a connection");
        free(e);
        return;
    }
    if (event == FLOE_CHANNEL_DISCONNECTED)
        *p = c->next;
    *e = (struct event_call){ ev, c, event, *ci };
    if (fqxl_main_call(ev->s->main_loop, tell, e) < 0) {
        floe_err("out of memory: QEMU is not told of a connection");
        if (event == FLOE_CHANNEL_CONNECTED) {
            /* QEMU never had it: its later events are not told either */
            ev->list = c->next;
            free(c);
        }
        /* (after DISCONNECTED QEMU may keep the pointer: it stays) */
        free(e);
    }
}

void fqxl_events_attach(struct floe_server *srv, void *opaque)
{
    struct floe_event_sink sink = { .channel_fn = on_channel, .opaque = opaque };

    floe_server_set_event_sink(srv, &sink);
}
