/* The monitors a client asks the guest for (VD_AGENT_MONITORS_CONFIG) while
 * no guest agent is attached: the server reads them itself and hands them
 * to the host's input sink. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "server/internal.h"

/* the most monitors a MONITORS_CONFIG may ask for */
#define MAX_REQUESTED 16
/* the largest monitor a client may ask for, each way */
#define MAX_SIDE 16384

void fsrv_agent_monitors_local(struct fsrv_chan *c, const uint8_t *body, uint32_t len)
{
    struct floe_server *s = c->srv;
    struct floe_monitor_request mons[MAX_REQUESTED];
    struct spice_vd_agent_monitors_config mc;
    struct floe_rbuf r;
    int n = 0;

    floe_rbuf_init(&r, body, len);
    spice_vd_agent_monitors_config_get(&r, &mc);
    if (r.bad || mc.num_of_monitors == 0 || mc.num_of_monitors > MAX_REQUESTED ||
        len < SPICE_SIZE_vd_agent_monitors_config +
              mc.num_of_monitors * (uint32_t)SPICE_SIZE_vd_agent_mon_config) {
        floe_warn("%s: a monitors config of %u monitors in %u bytes dropped", c->peer,
                  r.bad ? 0 : mc.num_of_monitors, len);
        return;
    }
    for (uint32_t i = 0; i < mc.num_of_monitors; i++) {
        struct spice_vd_agent_mon_config m;
        spice_vd_agent_mon_config_get(&r, &m);
        if (m.width > MAX_SIDE || m.height > MAX_SIDE || m.x < -MAX_SIDE || m.x > MAX_SIDE ||
            m.y < -MAX_SIDE || m.y > MAX_SIDE) {
            floe_warn("%s: a monitors config asking for %ux%u at %d,%d dropped", c->peer,
                      m.width, m.height, m.x, m.y);
            return;
        }
        mons[n++] = (struct floe_monitor_request){ m.x, m.y, (int)m.width, (int)m.height };
    }
    floe_info("%s: asks for %d monitor%s, the first %dx%d", c->peer, n, n == 1 ? "" : "s",
              mons[0].width, mons[0].height);
    if (s->sink.monitors_fn)
        s->sink.monitors_fn(s->sink.opaque, n, mons);
}

