/* Guest-agent messages from a client (MAIN AGENT_DATA): put together from
 * their pieces, with the tokens that pace them given back as each piece is
 * taken (it is read at once: nothing waits in the server). The server reads one kind itself, VD_AGENT_MONITORS_CONFIG: the
 * monitors a client asks the guest for, handed to the host's input sink.
 * Until a guest agent is relayed the other kinds are skipped. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "server/internal.h"

/* the most monitors a MONITORS_CONFIG may ask for, and so its largest body */
#define MAX_REQUESTED 16
#define MONITORS_MAX_BODY (SPICE_SIZE_vd_agent_monitors_config + \
                           MAX_REQUESTED * SPICE_SIZE_vd_agent_mon_config)
/* the largest monitor a client may ask for, each way */
#define MAX_SIDE 16384

void fsrv_agent_in_reset(struct fsrv_agent_in *a)
{
    free(a->body);
    memset(a, 0, sizeof(*a));
}

static void give_tokens(struct fsrv_chan *c, uint32_t n)
{
    struct floe_wbuf w;
    struct spice_agent_token t = { n };

    floe_wbuf_init(&w, 0);
    spice_agent_token_put(&w, &t);
    fsrv_chan_send_wbuf(c, SPICE_MSG_MAIN_AGENT_TOKEN, &w);
}

static void monitors_config(struct fsrv_chan *c, const uint8_t *body, uint32_t len)
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

/* One message, whole: the kinds the server reads. */
static void message(struct fsrv_chan *c, const struct spice_vd_agent_header *h,
                    const uint8_t *body)
{
    if (h->type == VD_AGENT_MONITORS_CONFIG)
        monitors_config(c, body, h->size);
}

int fsrv_agent_data(struct fsrv_chan *c, const uint8_t *data, uint32_t len)
{
    struct fsrv_agent_in *a = &c->sess->agent_in;

    while (len > 0) {
        if (a->head_len < sizeof(a->head)) {
            /* the header, perhaps cut between pieces */
            uint32_t take = (uint32_t)sizeof(a->head) - a->head_len;
            struct floe_rbuf r;
            if (take > len)
                take = len;
            memcpy(a->head + a->head_len, data, take);
            a->head_len += take;
            data += take;
            len -= take;
            if (a->head_len < sizeof(a->head))
                break;
            floe_rbuf_init(&r, a->head, sizeof(a->head));
            spice_vd_agent_header_get(&r, &a->hdr);
            if (a->hdr.protocol != VD_AGENT_PROTOCOL) {
                floe_warn("%s: agent protocol %u, not %u", c->peer, a->hdr.protocol,
                          VD_AGENT_PROTOCOL);
                return -EPROTO;
            }
            a->left = a->hdr.size;
            a->body_len = 0;
            if (a->hdr.type == VD_AGENT_MONITORS_CONFIG && a->hdr.size <= MONITORS_MAX_BODY) {
                a->body = malloc(a->hdr.size ? a->hdr.size : 1);
                if (!a->body)
                    return -ENOMEM;
            } else if (a->hdr.type == VD_AGENT_MONITORS_CONFIG) {
                floe_warn("%s: a monitors config of %u bytes skipped", c->peer, a->hdr.size);
            }
        }
        uint32_t take = a->left < len ? a->left : len;
        if (a->body) {
            memcpy(a->body + a->body_len, data, take);
            a->body_len += take;
        }
        data += take;
        len -= take;
        a->left -= take;
        if (a->left == 0) {
            if (a->body)
                message(c, &a->hdr, a->body);
            free(a->body);
            a->body = NULL;
            a->head_len = 0;
        }
    }
    /* taken at once: the client may send another piece */
    give_tokens(c, 1);
    return 0;
}
