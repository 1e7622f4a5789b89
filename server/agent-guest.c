/* The guest-agent relay's guest side: the agent attaches and detaches
 * (AGENT_CONNECTED / AGENT_DISCONNECTED to every client), and its bytes are
 * read as chunks, port 1's messages passed to the clients they are for
 * (agent-route.c) cut into AGENT_DATA pieces, port 2's skipped. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "server/internal.h"

static void tell_clients(struct floe_server *s, int connected)
{
    for (struct fsrv_session *ss = s->sessions; ss; ss = ss->next) {
        struct fsrv_chan *c = ss->main;
        struct floe_wbuf w;

        if (!c || c->closing)
            continue;
        floe_wbuf_init(&w, 0);
        if (!connected) {
            spice_agent_disconnected_put(&w, &(struct spice_agent_disconnected){ 0 });
            fsrv_chan_send_wbuf(c, SPICE_MSG_MAIN_AGENT_DISCONNECTED, &w);
        } else if (spice_caps_has(c->caps.channel, SPICE_MAIN_CAP_AGENT_CONNECTED_TOKENS)) {
            spice_agent_connected_tokens_put(
                &w, &(struct spice_agent_connected_tokens){ FSRV_AGENT_TOKENS });
            fsrv_chan_send_wbuf(c, SPICE_MSG_MAIN_AGENT_CONNECTED_TOKENS, &w);
        } else {
            fsrv_chan_send_wbuf(c, SPICE_MSG_MAIN_AGENT_CONNECTED, &w);
        }
    }
}

static void relay_reset(struct floe_server *s)
{
    struct fsrv_agent *ag = &s->agent;

    fsrv_agent_port_reset(s);
    fsrv_agent_in_reset(&ag->in);
    ag->chead_len = 0;
    ag->chunk_left = 0;
    ag->caps = 0;
    memset(ag->owner, 0, sizeof(ag->owner));
    ag->requester = ag->request_to = NULL;
    for (struct fsrv_session *ss = s->sessions; ss; ss = ss->next)
        fsrv_agent_client_reset(ss);
}

int floe_server_agent_attach(struct floe_server *s, const struct floe_agent_port *port)
{
    if (s->agent.attached)
        return -EBUSY;
    if (!port || !port->write_fn)
        return -EINVAL;
    relay_reset(s);
    s->agent.port = *port;
    s->agent.attached = 1;
    s->stats.agent = 1;
    floe_info("guest agent attached");
    tell_clients(s, 1);
    return 0;
}

void floe_server_agent_detach(struct floe_server *s)
{
    if (!s->agent.attached)
        return;
    relay_reset(s);
    s->agent.attached = 0;
    s->stats.agent = 0;
    floe_info("guest agent detached");
    tell_clients(s, 0);
}

int floe_server_agent_attached(const struct floe_server *s)
{
    return s->agent.attached;
}

void floe_server_agent_monitors_local(struct floe_server *s, int local)
{
    s->agent.monitors_local = !!local;
}

void floe_server_agent_wake(struct floe_server *s)
{
    s->agent.blocked = 0;
    fsrv_agent_pump(s);
}

/* ---- port 1's messages ---- */

static int header_done(struct floe_server *s, struct fsrv_agent_in *a)
{
    struct floe_rbuf r;

    floe_rbuf_init(&r, a->head, sizeof(a->head));
    spice_vd_agent_header_get(&r, &a->hdr);
    if (a->hdr.protocol != VD_AGENT_PROTOCOL) {
        floe_warn("agent: protocol %u, not %u", a->hdr.protocol, VD_AGENT_PROTOCOL);
        return -EPROTO;
    }
    a->left = a->hdr.size;
    a->body_len = 0;
    a->route = fsrv_agent_route_guest(s, &a->hdr);
    if (a->route == ROUTE_READ) {
        a->body = malloc(a->hdr.size ? a->hdr.size : 1);
        if (!a->body)
            return -ENOMEM;
    } else if (a->route == ROUTE_STREAM) {
        for (struct fsrv_session *ss = s->sessions; ss; ss = ss->next)
            if (ss->agent.to_this)
                fsrv_agent_emit(ss, a->head, sizeof(a->head), a->left == 0);
    }
    return 0;
}

static void body_bytes(struct floe_server *s, struct fsrv_agent_in *a, const uint8_t *p,
                       uint32_t n)
{
    if (a->route == ROUTE_STREAM) {
        for (struct fsrv_session *ss = s->sessions; ss; ss = ss->next)
            if (ss->agent.to_this)
                fsrv_agent_emit(ss, p, n, a->left == n);
    } else if (a->body) {
        memcpy(a->body + a->body_len, p, n);
        a->body_len += n;
    }
}

static void message_done(struct floe_server *s, struct fsrv_agent_in *a)
{
    if (a->route == ROUTE_READ)
        fsrv_agent_guest_message(s, &a->hdr, a->body);
    else if (a->route == ROUTE_STREAM)
        s->stats.agent_from_guest++;
    free(a->body);
    a->body = NULL;
    a->head_len = 0;
    for (struct fsrv_session *ss = s->sessions; ss; ss = ss->next)
        ss->agent.to_this = 0;
}

/* n bytes of a port-1 chunk (the chunk's last when `last`). */
static int port1_bytes(struct floe_server *s, const uint8_t *p, size_t n, int last)
{
    struct fsrv_agent_in *a = &s->agent.in;
    int rc;

    while (n > 0) {
        if (a->head_len < sizeof(a->head)) {
            if (!floe_take_head(a->head, &a->head_len, sizeof(a->head), &p, &n))
                break;
            if ((rc = header_done(s, a)) < 0)
                return rc;
        }
        uint32_t take = a->left < n ? a->left : (uint32_t)n;
        body_bytes(s, a, p, take);
        p += take;
        n -= take;
        a->left -= take;
        if (a->left == 0) {
            message_done(s, a);
            if (n > 0 || !last) {
                floe_warn("agent: a chunk holds the end of one message and the start of "
                          "the next");
                return -EPROTO;
            }
        }
    }
    return 0;
}

static int chunk_header_done(struct fsrv_agent *ag)
{
    struct spice_vdi_chunk_header ch;
    struct floe_rbuf r;

    floe_rbuf_init(&r, ag->chead, sizeof(ag->chead));
    spice_vdi_chunk_header_get(&r, &ch);
    if (ch.port != VDP_CLIENT_PORT && ch.port != VDP_SERVER_PORT) {
        floe_warn("agent: a chunk for port %u", ch.port);
        return -EPROTO;
    }
    if (ch.size > FSRV_AGENT_CHUNK_MAX) {
        floe_warn("agent: a chunk of %u bytes, more than %u", ch.size, FSRV_AGENT_CHUNK_MAX);
        return -EPROTO;
    }
    ag->chunk_port = ch.port;
    ag->chunk_left = ch.size;
    return 0;
}

static int guest_bytes(struct floe_server *s, const uint8_t *p, size_t len)
{
    struct fsrv_agent *ag = &s->agent;
    int rc;

    while (len > 0) {
        if (ag->chead_len < sizeof(ag->chead)) {
            if (!floe_take_head(ag->chead, &ag->chead_len, sizeof(ag->chead), &p, &len))
                break;
            if ((rc = chunk_header_done(ag)) < 0)
                return rc;
        }
        uint32_t take = ag->chunk_left < len ? ag->chunk_left : (uint32_t)len;
        /* port 2 is the server's: what the agent says there is not read */
        if (ag->chunk_port == VDP_CLIENT_PORT &&
            (rc = port1_bytes(s, p, take, take == ag->chunk_left)) < 0)
            return rc;
        p += take;
        len -= take;
        ag->chunk_left -= take;
        if (ag->chunk_left == 0)
            ag->chead_len = 0;
    }
    return 0;
}

/* Clients past their bound are cut; the others get what they have tokens for. */
static void flush_clients(struct floe_server *s)
{
    struct fsrv_session *ss, *next;

    for (ss = s->sessions; ss; ss = next) {
        next = ss->next;
        if (ss->agent.overflow && ss->main && !ss->main->closing) {
            s->stats.agent_dropped++;
            fsrv_chan_disconnect(ss->main, SPICE_LINK_ERR_ERROR,
                                 "agent data waiting for its tokens past the bound");
        } else if (!ss->agent.overflow) {
            fsrv_agent_client_flush(ss);
        }
    }
}

int floe_server_agent_from_guest(struct floe_server *s, const void *bytes, size_t len)
{
    int rc;

    if (!s->agent.attached)
        return -ENOTCONN;
    rc = guest_bytes(s, bytes, len);
    if (rc < 0) {
        s->stats.agent_dropped++;
        floe_warn("agent: bad bytes from the guest: the agent is detached");
        floe_server_agent_detach(s);
        return -EPROTO;
    }
    /* pieces go out as they are, even a message's first part */
    for (struct fsrv_session *ss = s->sessions; ss; ss = ss->next)
        if (ss->agent.out_tail)
            ss->agent.out_tail->open = 0;
    flush_clients(s);
    return 0;
}
