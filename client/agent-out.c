/* The client's messages to the guest's agent: a stream of whole VDAgent
 * messages cut into MAIN AGENT_DATA pieces of at most
 * VD_AGENT_MAX_DATA_SIZE bytes, paced by the tokens the server gives
 * (INIT, AGENT_TOKEN); between messages, the monitors the client asks the
 * guest for (which go also with no agent: the server or the display device
 * takes them), then file data as a transfer's refill gives it. */
#include "client/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

/* file data is read while less than this waits to be written */
#define MAX_UNWRITTEN (256u << 10)
/* what may wait to go: the two selections' data and some */
#define MAX_QUEUED (2 * (size_t)FLOE_CLIENT_MAX_CLIPBOARD + (1u << 20))

struct fcli_agent_msg {
    struct fcli_agent_msg *next;
    size_t len, off;
    uint8_t data[];
};

int fcli_agent_both_have(const struct fcli_agent *a, unsigned cap)
{
    return a->caps_known && cap < 32 && (a->caps & FCLI_AGENT_CAPS & (1u << cap));
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
                     !a->refill || !a->refill(c))
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

void fcli_agent_drop_queue_locked(struct fcli_agent *a, int all)
{
    struct fcli_agent_msg *m = a->head, *keep = NULL;

    if (m && m->off > 0 && !all) {   /* the server has its start: it goes whole */
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

void fcli_agent_wake(struct floe_client *c)
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
    fcli_agent_wake(c);
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
