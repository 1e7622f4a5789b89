/* What the client says to the guest's agent through MAIN AGENT_DATA, paced
 * by the tokens the server gives (INIT, then AGENT_TOKEN): for now the
 * monitors it asks the guest for (VD_AGENT_MONITORS_CONFIG), which a
 * server may also hand to the guest's display device. */
#include "client/internal.h"

#include <errno.h>
#include <string.h>

#include "common/log.h"

/* Sends the monitors asked for if a token allows; send_lock held. */
static void send_monitors_locked(struct floe_client *c)
{
    struct fcli_agent_out *a = &c->agent;
    struct fcli_chan *ch = c->chans[FLOE_CHAN_MAIN];
    struct spice_vd_agent_monitors_config mc = { (uint32_t)a->count,
                                                 VD_AGENT_CONFIG_MONITORS_FLAG_USE_POS };
    struct spice_vd_agent_header h = { VD_AGENT_PROTOCOL, VD_AGENT_MONITORS_CONFIG, 0,
                                       SPICE_SIZE_vd_agent_monitors_config +
                                           (uint32_t)a->count * SPICE_SIZE_vd_agent_mon_config };
    struct floe_wbuf w;

    if (!a->pending || !ch || !a->inited || a->tokens == 0)
        return;
    floe_wbuf_init(&w, VD_AGENT_MAX_DATA_SIZE); /* one piece */
    spice_vd_agent_header_put(&w, &h);
    spice_vd_agent_monitors_config_put(&w, &mc);
    for (int i = 0; i < a->count; i++) {
        struct spice_vd_agent_mon_config m = {
            (uint32_t)a->mons[i].height, (uint32_t)a->mons[i].width, 32, a->mons[i].x, a->mons[i].y,
        };
        spice_vd_agent_mon_config_put(&w, &m);
    }
    if (w.failed)
        floe_err("main: the monitors asked for do not fit one agent message");
    else if (fcli_chan_send_locked(ch, SPICE_MSGC_MAIN_AGENT_DATA, w.data, w.len) == 0) {
        a->tokens--;
        a->pending = 0;
        floe_info("main: asked the guest for %d monitor%s, the first %dx%d", a->count,
                  a->count == 1 ? "" : "s", a->mons[0].width, a->mons[0].height);
    }
    floe_wbuf_free(&w);
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
    const struct fcli_chan_owner *owner = NULL;

    pthread_mutex_lock(&c->send_lock);
    memcpy(c->agent.mons, mons, (size_t)count * sizeof(*mons));
    c->agent.count = count;
    c->agent.pending = 1;
    send_monitors_locked(c);
    if (c->chans[FLOE_CHAN_MAIN])
        owner = c->chans[FLOE_CHAN_MAIN]->owner;
    pthread_mutex_unlock(&c->send_lock);
    /* the network loop writes what was queued */
    if (owner)
        owner->wake_fn(c);
    return 0;
}

void fcli_agent_tokens(struct floe_client *c, uint32_t tokens, int inited)
{
    pthread_mutex_lock(&c->send_lock);
    if (inited) {
        c->agent.inited = 1;
        c->agent.tokens = tokens;
    } else {
        c->agent.tokens += tokens;
    }
    send_monitors_locked(c);
    pthread_mutex_unlock(&c->send_lock);
}
