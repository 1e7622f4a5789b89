/* floe-agent's MONITORS_CONFIG: the layout the client asks for, parsed and
 * handed to the owner (which sets the display mode), answered with REPLY. */
#include "guest-agent/agent-int.h"

#include <errno.h>
#include <string.h>

int agent_monitors_parse(struct floe_rbuf *r, struct floe_agent_monitor *mons,
                         uint32_t *flags, const char **why)
{
    struct spice_vd_agent_monitors_config m;
    struct spice_vd_agent_mon_config c;
    struct spice_vd_agent_monitor_mm mm;

    spice_vd_agent_monitors_config_get(r, &m);
    if (r->bad) {
        *why = "its header is truncated";
        return -EBADMSG;
    }
    if (m.num_of_monitors > FLOE_AGENT_MAX_MONITORS) {
        *why = "it has too many monitors";
        return -E2BIG;
    }
    if (floe_rbuf_left(r) < (size_t)m.num_of_monitors * SPICE_SIZE_vd_agent_mon_config) {
        *why = "its monitors are truncated";
        return -EBADMSG;
    }
    memset(mons, 0, sizeof(*mons) * FLOE_AGENT_MAX_MONITORS);
    for (uint32_t i = 0; i < m.num_of_monitors; i++) {
        spice_vd_agent_mon_config_get(r, &c);
        mons[i] = (struct floe_agent_monitor){ .width = c.width, .height = c.height,
                                               .depth = c.depth, .x = c.x, .y = c.y };
    }
    /* the physical sizes follow only when flagged */
    if (m.flags & VD_AGENT_CONFIG_MONITORS_FLAG_PHYSICAL_SIZE) {
        if (floe_rbuf_left(r) < (size_t)m.num_of_monitors * SPICE_SIZE_vd_agent_monitor_mm) {
            *why = "its physical sizes are truncated";
            return -EBADMSG;
        }
        for (uint32_t i = 0; i < m.num_of_monitors; i++) {
            spice_vd_agent_monitor_mm_get(r, &mm);
            mons[i].mm_width = mm.width;
            mons[i].mm_height = mm.height;
        }
    }
    *flags = m.flags;
    return (int)m.num_of_monitors;
}

void agent_monitors_msg(struct floe_agent *a, struct floe_rbuf *r)
{
    struct floe_agent_monitor mons[FLOE_AGENT_MAX_MONITORS];
    struct spice_vd_agent_reply reply = { .type = VD_AGENT_MONITORS_CONFIG,
                                          .error = VD_AGENT_ERROR };
    const char *why = "";
    uint32_t flags = 0;
    struct floe_wbuf w;
    int n = agent_monitors_parse(r, mons, &flags, &why);

    if (n < 0) {
        agent_error(a, "floe-agent: MONITORS_CONFIG of %zu bytes refused: %s", r->len, why);
    } else if (a->ops.monitors_fn) {
        int rc = a->ops.monitors_fn(a->ctx, mons, (uint32_t)n, flags);
        if (rc < 0)
            agent_error(a, "floe-agent: the display did not take the monitors config (%s)",
                        strerror(-rc));
        else
            reply.error = VD_AGENT_SUCCESS;
    } else {
        reply.error = VD_AGENT_SUCCESS;
    }
    agent_msg_begin(&w, VD_AGENT_REPLY);
    spice_vd_agent_reply_put(&w, &reply);
    agent_msg_send(a, &w);
}
