/* The client's end of the guest's agent, through MAIN: the agent coming
 * and going (AGENT_START, the capabilities both ways), and what comes from
 * it (AGENT_DATA, any cut) put together and handed to the clipboard
 * (agent-clip.c) and file transfers (agent-xfer.c). What goes to it leaves
 * through agent-out.c. */
#include "client/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

/* the largest message taken from the agent: a clipboard at the limit */
#define MAX_IN (FLOE_CLIENT_MAX_CLIPBOARD + 64)
static void announce_locked(struct floe_client *c, uint32_t request)
{
    uint8_t b[SPICE_SIZE_vd_agent_announce_capabilities + 4];
    struct floe_wbuf w;
    uint32_t caps = FCLI_AGENT_CAPS;

    floe_wbuf_init(&w, sizeof(b));
    spice_vd_agent_announce_capabilities_put(&w, &(struct spice_vd_agent_announce_capabilities){
                                                     request });
    memcpy(b, w.data, SPICE_SIZE_vd_agent_announce_capabilities);
    floe_wbuf_free(&w);
    for (int i = 0; i < 4; i++)   /* the caps word, little-endian */
        b[SPICE_SIZE_vd_agent_announce_capabilities + i] = (uint8_t)(caps >> (8 * i));
    if (fcli_agent_queue_locked(c, VD_AGENT_ANNOUNCE_CAPABILITIES, b, sizeof(b), NULL, 0))
        floe_err("main: out of memory for the agent's capabilities");
}

void fcli_agent_connected(struct floe_client *c, int connected)
{
    struct fcli_agent *a = &c->agent;
    int was;

    pthread_mutex_lock(&c->send_lock);
    was = a->connected;
    a->connected = connected;
    if (connected && !was) {
        struct floe_wbuf w;

        /* as the reference client: all the agent's messages at once */
        floe_wbuf_init(&w, 0);
        spice_agent_start_put(&w, &(struct spice_agent_start){ UINT32_MAX });
        if (c->chans[FLOE_CHAN_MAIN])
            fcli_chan_send_locked(c->chans[FLOE_CHAN_MAIN], SPICE_MSGC_MAIN_AGENT_START, w.data,
                                  w.len);
        floe_wbuf_free(&w);
        a->refill = fcli_xfer_next_locked;
        announce_locked(c, 1);
        floe_info("main: the guest's agent is connected");
    } else if (!connected && was) {
        fcli_agent_drop_queue_locked(a, 0);
        a->caps_known = 0;
        a->caps = 0;
        fcli_clip_reset_locked(a);
        fcli_xfer_fail_all_locked(a, "the guest's agent went away");
        floe_info("main: the guest's agent disconnected");
    }
    pthread_mutex_unlock(&c->send_lock);
    if (connected != was && !connected && c->chans[FLOE_CHAN_MAIN]) {
        c->chans[FLOE_CHAN_MAIN]->owner->emit_fn(c, FLOE_CLIENT_EVENT_AGENT);
        c->chans[FLOE_CHAN_MAIN]->owner->emit_fn(c, FLOE_CLIENT_EVENT_FILE_XFER);
    }
}

/* One whole message from the agent; send_lock held. */
static int message_locked(struct floe_client *c, uint32_t type, const uint8_t *body, uint32_t len)
{
    struct fcli_agent *a = &c->agent;

    switch (type) {
    case VD_AGENT_ANNOUNCE_CAPABILITIES: {
        struct spice_vd_agent_announce_capabilities ac;
        struct floe_rbuf r;
        int had = a->caps_known;

        floe_rbuf_init(&r, body, len);
        spice_vd_agent_announce_capabilities_get(&r, &ac);
        if (r.bad)
            return -EBADMSG;
        a->caps = len >= SPICE_SIZE_vd_agent_announce_capabilities + 4 ?
                  (uint32_t)body[4] | (uint32_t)body[5] << 8 | (uint32_t)body[6] << 16 |
                      (uint32_t)body[7] << 24 : 0;
        a->caps_known = 1;
        floe_debug("main: the agent's capabilities 0x%x%s", a->caps,
                   ac.request ? " (it asks for ours)" : "");
        if (ac.request)
            announce_locked(c, 0);
        if (a->caps & 1u << VD_AGENT_CAP_MAX_CLIPBOARD) {   /* only to one that has it */
            uint8_t m[4];
            struct floe_wbuf w;

            floe_wbuf_init(&w, sizeof(m));
            spice_vd_agent_max_clipboard_put(&w, &(struct spice_vd_agent_max_clipboard){
                                                     (int32_t)FLOE_CLIENT_MAX_CLIPBOARD });
            memcpy(m, w.data, sizeof(m));
            floe_wbuf_free(&w);
            fcli_agent_queue_locked(c, VD_AGENT_MAX_CLIPBOARD, m, sizeof(m), NULL, 0);
        }
        fcli_clip_agent_came_locked(c);
        return had ? 0 : 1 << FLOE_CLIENT_EVENT_AGENT;
    }
    case VD_AGENT_CLIPBOARD_GRAB:
    case VD_AGENT_CLIPBOARD_REQUEST:
    case VD_AGENT_CLIPBOARD:
    case VD_AGENT_CLIPBOARD_RELEASE:
        return fcli_clip_message_locked(c, type, body, len);
    case VD_AGENT_FILE_XFER_STATUS:
        return fcli_xfer_status_locked(c, body, len);
    case VD_AGENT_REPLY: {
        struct spice_vd_agent_reply rp;
        struct floe_rbuf r;

        floe_rbuf_init(&r, body, len);
        spice_vd_agent_reply_get(&r, &rp);
        if (r.bad)
            return -EBADMSG;
        if (rp.error != VD_AGENT_SUCCESS)
            floe_warn("main: the agent refused message %u (error %u)", rp.type, rp.error);
        return 0;
    }
    default:
        floe_debug("main: agent message %u of %u bytes ignored", type, len);
        return 0;
    }
}

int fcli_agent_data(struct floe_client *c, const uint8_t *p, size_t len)
{
    struct fcli_agent *a = &c->agent;
    int events = 0;

    while (len > 0) {
        size_t n;

        if (a->hdr_got < SPICE_SIZE_vd_agent_header) {
            struct floe_rbuf r;

            if (!floe_take_head(a->hdr, &a->hdr_got, SPICE_SIZE_vd_agent_header, &p, &len))
                break;
            floe_rbuf_init(&r, a->hdr, sizeof(a->hdr));
            spice_vd_agent_header_get(&r, &a->cur);
            a->body_got = 0;
            a->body = NULL;
            if (a->cur.protocol != VD_AGENT_PROTOCOL)
                floe_err("main: agent message %u of protocol %u, not %u, skipped", a->cur.type,
                         a->cur.protocol, VD_AGENT_PROTOCOL);
            else if (a->cur.size > MAX_IN)
                floe_err("main: agent message %u of %u bytes skipped (more than %u)",
                         a->cur.type, a->cur.size, MAX_IN);
            else if (!(a->body = malloc(a->cur.size ? a->cur.size : 1)))
                floe_err("main: out of memory for an agent message of %u bytes", a->cur.size);
        }
        n = a->cur.size - a->body_got;
        n = n < len ? n : len;
        if (a->body)
            memcpy(a->body + a->body_got, p, n);
        a->body_got += (uint32_t)n;
        p += n;
        len -= n;
        if (a->body_got == a->cur.size) {
            if (a->body) {
                int rc;

                pthread_mutex_lock(&c->send_lock);
                rc = message_locked(c, a->cur.type, a->body, a->cur.size);
                pthread_mutex_unlock(&c->send_lock);
                if (rc < 0)
                    floe_err("main: bad agent message %u (%u bytes) dropped", a->cur.type,
                             a->cur.size);
                else
                    events |= rc;
                free(a->body);
                a->body = NULL;
            }
            a->hdr_got = 0;
        }
    }
    return events;
}

int floe_client_agent_ready(struct floe_client *c)
{
    int ready;

    pthread_mutex_lock(&c->send_lock);
    ready = c->agent.connected && c->agent.caps_known;
    pthread_mutex_unlock(&c->send_lock);
    return ready;
}

void fcli_agent_fini(struct floe_client *c)
{
    struct fcli_agent *a = &c->agent;

    fcli_agent_drop_queue_locked(a, 1);
    free(a->body);
    a->body = NULL;
    fcli_clip_reset_locked(a);
    for (int i = 0; i < 2; i++) {
        free(a->offer[i].data);
        a->offer[i] = (struct fcli_clip){ 0 };
    }
    fcli_xfer_fail_all_locked(a, "the client stopped");
}
