/* Channel events for QEMU (query-spice and the SPICE_* QMP events): floe's
 * server reports each connection on its thread; QEMU's channel_event gets
 * one SpiceChannelEventInfo per connection, the same pointer from
 * CONNECTED to DISCONNECTED (QEMU keeps it in its channel list and reads
 * it from its main loop until then), with the extended addresses. The
 * first client to come and the last to go are told to the guest too. */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "server/qemu/lib.h"

struct conn {
    struct conn *next;
    uint64_t id;
    int main_channel;      /* an initialized MAIN: a client */
    SpiceChannelEventInfo info;
};

struct fqxl_events {
    SpiceServer *s;
    struct conn *list;     /* the server's thread's own */
    int clients;           /* read from QEMU's threads: atomic */
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

static void on_channel(void *opaque, int event, const struct floe_channel_info *ci)
{
    struct fqxl_events *ev = opaque;
    SpiceCoreInterface *core = ev->s->core;
    struct conn **p = find(ev, ci->conn), *c = *p;

    switch (event) {
    case FLOE_CHANNEL_CONNECTED:
        if (c)
            return;
        c = calloc(1, sizeof(*c));
        if (!c) {
            floe_err("out of memory: QEMU is not told of a connection");
            return;
        }
        c->id = ci->conn;
        fill(&c->info, ci);
        c->next = ev->list;
        ev->list = c;
        core->channel_event(SPICE_CHANNEL_EVENT_CONNECTED, &c->info);
        return;
    case FLOE_CHANNEL_INITIALIZED:
        if (!c)
            return;
        fill(&c->info, ci);
        if (ci->type == SPICE_CHANNEL_MAIN && !c->main_channel) {
            c->main_channel = 1;
            if (__atomic_add_fetch(&ev->clients, 1, __ATOMIC_SEQ_CST) == 1)
                fqxl_workers_clients(ev->s, 1);
        }
        core->channel_event(SPICE_CHANNEL_EVENT_INITIALIZED, &c->info);
        return;
    case FLOE_CHANNEL_DISCONNECTED:
        if (!c)
            return;
        core->channel_event(SPICE_CHANNEL_EVENT_DISCONNECTED, &c->info);
        if (c->main_channel && __atomic_sub_fetch(&ev->clients, 1, __ATOMIC_SEQ_CST) == 0)
            fqxl_workers_clients(ev->s, 0);
        *p = c->next;
        free(c);
        return;
    }
}

void fqxl_events_attach(struct floe_server *srv, void *opaque)
{
    struct floe_event_sink sink = { .channel_fn = on_channel, .opaque = opaque };

    floe_server_set_event_sink(srv, &sink);
}
