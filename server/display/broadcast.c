/* A display message for every client of a monitor that follows the model:
 * each synced display channel of that monitor queues it, after the draws
 * it paints over whole are taken out of the queue; one about an off-screen
 * surface goes only to those that render draws. */
#include "server/internal.h"

void fsrv_display_broadcast(struct floe_server *s, int monitor, struct fsrv_msg *m)
{
    if (!m)
        return;
    for (struct fsrv_session *ss = s->sessions; ss; ss = ss->next) {
        struct fsrv_chan *c = ss->display[monitor];

        if (!c || !c->model_synced)
            continue;
        /* only clients that said they understand MONITORS_CONFIG get it */
        if (m->type == SPICE_MSG_DISPLAY_MONITORS_CONFIG &&
            !spice_caps_has(c->caps.channel, SPICE_DISPLAY_CAP_MONITORS_CONFIG))
            continue;
        /* a client the server renders for has no off-screen surfaces */
        if (m->surface_id && fsrv_display_server_renders(c))
            continue;
        if (m->opaque && m->has_box && c->ops && c->ops->occlude)
            c->ops->occlude(c, &m->box);
        fsrv_chan_send(c, m);
    }
    fsrv_msg_unref(m);
}
