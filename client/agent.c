/* The client's end of the guest's agent, through MAIN: what goes to it is
 * a stream of whole VDAgent messages cut into AGENT_DATA pieces of at most
 * VD_AGENT_MAX_DATA_SIZE bytes, paced by the tokens the server gives (INIT,
 * AGENT_TOKEN); what comes from it (AGENT_DATA, any cut) is put together
 * here and handed to the clipboard (agent-clip.c) and file transfers
 * (agent-xfer.c). The monitors the client asks the guest for go the same
 * way, also with no agent: the server or the display device takes them. */
#include "client/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

/* the largest message taken from the agent: a clipboard at the limit */
#define MAX_IN (FLOE_CLIENT_MAX_CLIPBOARD + 64)
/* file data is read while less than this waits to be written */
#define MAX_UNWRITTEN (256u << 10)
/* what may wait to go: the two selections' data and some */
#define MAX_QUEUED (2 * (size_t)FLOE_CLIENT_MAX_CLIPBOARD + (1u << 20))

/* the capabilities the client announces */
static const uint32_t MY_CAPS = 1u << VD_AGENT_CAP_MONITORS_CONFIG | 1u << VD_AGENT_CAP_REPLY |
                                1u << VD_AGENT_CAP_CLIPBOARD_BY_DEMAND |
                                1u << VD_AGENT_CAP_CLIPBOARD_SELECTION |
                                1u << VD_AGENT_CAP_MONITORS_CONFIG_POSITION |
                                1u << VD_AGENT_CAP_FILE_XFER_DETAILED_ERRORS;

struct fcli_agent_msg {
    struct fcli_agent_msg *next;
    size_t len, off;
    uint8_t data[];
};

int fcli_agent_both_have(const struct fcli_agent *a, unsigned cap)
{
    return a->caps_known && cap < 32 && (a->caps & MY_CAPS & (1u << cap));
}

int fcli_agent_queue_locked(struct floe_client *c, uint32_t type, const void *a, size_t alen,
                            const void *b, size_t blen)
{
    struct fcli_agent *ag = &c->agent;
    size_t body = alen + blen;
    struct fcli_agent_msg *m;
    struct floe_wbuf w;

    if (body > UINT32_MAX - SPICE_SIZE_vd_agent_header ||
        ag->queued + body > MAX_QUEUED)
        return -ENOMEM;
    m = malloc(sizeof(*m) + SPICE_SIZE_vd_agent_header + body);
    if (!m)
        return -ENOMEM;
    floe_wbuf_init(&w, SPICE_SIZE_vd_agent_header);
    spice_vd_agent_header_put(&w, &(struct spice_vd_agent_header){ VD_AGENT_PROTOCOL, type, 0,
                                                                    (uint32_t)body });
    memcpy(m->data, w.data, SPICE_SIZE_vd_agent_header);
    floe_wbuf_free(&w);
    if (alen)
        memcpy(m->data + SPICE_SIZE_vd_agent_header, a, alen);
    if (blen)
        memcpy(m->data + SPICE_SIZE_vd_agent_header + alen, b, blen);
    m->len = SPICE_SIZE_vd_agent_header + body;
    m->off = 0;
    m->next = NULL;
    if (ag->tail)
        ag->tail->next = m;
    else
        ag->head = m;
    ag->tail = m;
    ag->queued += m->len;
    return 0;
}

/* The monitors asked for, as a MONITORS_CONFIG queued. */
static void queue_monitors_locked(struct floe_client *c)
{
    struct fcli_agent *a = &c->agent;
    struct spice_vd_agent_monitors_config mc = { (uint32_t)a->mon_count,
                                                 VD_AGENT_CONFIG_MONITORS_FLAG_USE_POS };
    struct floe_wbuf w;

    a->mon_pending = 0;
    floe_wbuf_init(&w, 0);
    spice_vd_agent_monitors_config_put(&w, &mc);
    for (int i = 0; i < a->mon_count; i++) {
        struct spice_vd_agent_mon_config m = {
            (uint32_t)a->mons[i].height, (uint32_t)a->mons[i].width, 32, a->mons[i].x,
            a->mons[i].y,
        };
        spice_vd_agent_mon_config_put(&w, &m);
    }
    if (w.failed || fcli_agent_queue_locked(c, VD_AGENT_MONITORS_CONFIG, w.data, w.len, NULL, 0))
        floe_err("main: out of memory for the monitors asked for");
    else
        floe_info("main: asking the guest for %d monitor%s, the first %dx%d", a->mon_count,
                  a->mon_count == 1 ? "" : "s", a->mons[0].width, a->mons[0].height);
    floe_wbuf_free(&w);
}

void fcli_agent_pump_locked(struct floe_client *c)
{
    struct fcli_agent *a = &c->agent;
    struct fcli_chan *ch = c->chans[FLOE_CHAN_MAIN];

    if (!ch || !a->inited)
        return;
    while (a->tokens > 0) {
        struct fcli_agent_msg *m = a->head;
        size_t n;

        if (!m) {
            /* between messages: the monitors asked for, then file data
             * while little waits to be written */
            if (a->mon_pending)
                queue_monitors_locked(c);
            else if (!a->connected || ch->out.len - ch->out_sent > MAX_UNWRITTEN ||
                     !fcli_xfer_next_locked(c))
                return;
            continue;
        }
        n = m->len - m->off < VD_AGENT_MAX_DATA_SIZE ? m->len - m->off : VD_AGENT_MAX_DATA_SIZE;
        if (fcli_chan_send_locked(ch, SPICE_MSGC_MAIN_AGENT_DATA, m->data + m->off, n) < 0)
            return;
        a->tokens--;
        m->off += n;
        if (m->off == m->len) {
            a->head = m->next;
            if (!a->head)
                a->tail = NULL;
            a->queued -= m->len;
            free(m);
        }
    }
}

void fcli_agent_pump(struct floe_client *c)
{
    pthread_mutex_lock(&c->send_lock);
    fcli_agent_pump_locked(c);
    pthread_mutex_unlock(&c->send_lock);
}

/* Drops what waits to go but the piece of a message already begun. */
static void drop_queue_locked(struct fcli_agent *a)
{
    struct fcli_agent_msg *m = a->head, *keep = NULL;

    if (m && m->off > 0) {   /* the server has its start: it goes whole */
        keep = m;
        m = m->next;
        keep->next = NULL;
    }
    while (m) {
        struct fcli_agent_msg *next = m->next;

        a->queued -= m->len;
        free(m);
        m = next;
    }
    a->head = a->tail = keep;
}

static void wake_main(struct floe_client *c)
{
    if (c->chans[FLOE_CHAN_MAIN])
        c->chans[FLOE_CHAN_MAIN]->owner->wake_fn(c);
}

int floe_client_ask_monitors(struct floe_client *c, int count,
                             const struct floe_client_monitor *mons)
{
    if (count < 1 || count > FLOE_CLIENT_MAX_ASKED)
        return -EINVAL;
    for (int i = 0; i < count; i++)
        if (mons[i].width < 0 || mons[i].height < 0 || mons[i].width > 16384 ||
            mons[i].height > 16384)
            return -EINVAL;
    pthread_mutex_lock(&c->send_lock);
    memcpy(c->agent.mons, mons, (size_t)count * sizeof(*mons));
    c->agent.mon_count = count;
    c->agent.mon_pending = 1;
    /* the network loop writes what was queued */
    wake_main(c);
    pthread_mutex_unlock(&c->send_lock);
    return 0;
}

void fcli_agent_tokens(struct floe_client *c, uint32_t tokens, int inited)
{
    pthread_mutex_lock(&c->send_lock);
    if (inited) {
        c->agent.inited = 1;
        c->agent.tokens = tokens;
    } else {
        c->agent.tokens = tokens > UINT32_MAX - c->agent.tokens ? UINT32_MAX
                                                                : c->agent.tokens + tokens;
    }
    fcli_agent_pump_locked(c);
    pthread_mutex_unlock(&c->send_lock);
}

static void announce_locked(struct floe_client *c, uint32_t request)
{
    uint8_t b[SPICE_SIZE_vd_agent_announce_capabilities + 4];
    struct floe_wbuf w;
    uint32_t caps = MY_CAPS;

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
        announce_locked(c, 1);
        floe_info("main: the guest's agent is connected");
    } else if (!connected && was) {
        drop_queue_locked(a);
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
    struct fcli_agent_msg *m = a->head;

    while (m) {
        struct fcli_agent_msg *next = m->next;

        free(m);
        m = next;
    }
    a->head = a->tail = NULL;
    free(a->body);
    a->body = NULL;
    fcli_clip_reset_locked(a);
    for (int i = 0; i < 2; i++) {
        free(a->offer[i].data);
        a->offer[i] = (struct fcli_clip){ 0 };
    }
    fcli_xfer_fail_all_locked(a, "the client stopped");
}
