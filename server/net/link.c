/* The SPICE link handshake on the server side: link header and message,
 * auth mechanism, RSA-OAEP ticket, link result; then the channel takes over. */
#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "server/internal.h"

static const char *link_err_name(int e)
{
    static const char *names[] = { "OK", "ERROR", "INVALID_MAGIC", "INVALID_DATA",
                                   "VERSION_MISMATCH", "NEED_SECURED", "NEED_UNSECURED",
                                   "PERMISSION_DENIED", "BAD_CONNECTION_ID",
                                   "CHANNEL_NOT_AVAILABLE" };

    return e >= 0 && e < 10 ? names[e] : "?";
}

static void server_caps(const struct fsrv_chan *c, struct spice_caps *caps)
{
    memset(caps, 0, sizeof(*caps));
    spice_caps_set(caps->common, SPICE_COMMON_CAP_AUTH_SELECTION);
    spice_caps_set(caps->common, SPICE_COMMON_CAP_AUTH_SPICE);
    spice_caps_set(caps->common, SPICE_COMMON_CAP_MINI_HEADER);
    if (c->type == SPICE_CHANNEL_MAIN)
        spice_caps_set(caps->channel, SPICE_MAIN_CAP_NAME_AND_UUID);
    if (c->type == SPICE_CHANNEL_DISPLAY) {
        spice_caps_set(caps->channel, SPICE_DISPLAY_CAP_MONITORS_CONFIG);
        spice_caps_set(caps->channel, SPICE_DISPLAY_CAP_LZ4_COMPRESSION);
        spice_caps_set(caps->channel, SPICE_DISPLAY_CAP_PREF_COMPRESSION);
        spice_caps_set(caps->channel, SPICE_DISPLAY_CAP_PREF_VIDEO_CODEC_TYPE);
        spice_caps_set(caps->channel, FLOE_DISPLAY_CAP_RENDER_REPORT);
    }
}

/* Sends a failed link reply and closes. */
static void link_refuse(struct fsrv_chan *c, int err)
{
    struct floe_wbuf w;

    floe_warn("%s: link refused: %s", c->peer, link_err_name(err));
    floe_wbuf_init(&w, 0);
    spice_link_reply_write(&w, (uint32_t)err, NULL, NULL);
    fsrv_chan_send_raw(c, w.data, w.len);
    floe_wbuf_free(&w);
    fsrv_chan_close(c, NULL);
}

/* Sends the u32 link result after the ticket, and closes on failure. */
static void link_result(struct fsrv_chan *c, int err)
{
    struct floe_wbuf w;

    floe_wbuf_init(&w, 0);
    spice_link_result_put(&w, &(struct spice_link_result){ (uint32_t)err });
    fsrv_chan_send_raw(c, w.data, w.len);
    floe_wbuf_free(&w);
    if (err != SPICE_LINK_ERR_OK) {
        floe_warn("%s: link refused: %s", c->peer, link_err_name(err));
        fsrv_chan_close(c, NULL);
    }
}

static int on_link_mess(struct fsrv_chan *c, const uint8_t *body, size_t len)
{
    struct spice_link_mess m;
    struct spice_caps caps;
    struct floe_wbuf w;
    int err = spice_link_mess_parse(body, len, &m, &c->caps);

    if (err != SPICE_LINK_ERR_OK)
        return err;
    c->type = m.channel_type;
    c->id = m.channel_id;
    c->connection_id = m.connection_id;
    c->ops = c->srv->net->channel_ops(c->srv, c->type, c->id);
    if (!c->ops)
        return SPICE_LINK_ERR_CHANNEL_NOT_AVAILABLE;
    c->mini = spice_caps_has(c->caps.common, SPICE_COMMON_CAP_MINI_HEADER);
    c->auth_selection = spice_caps_has(c->caps.common, SPICE_COMMON_CAP_AUTH_SELECTION);
    server_caps(c, &caps);
    floe_wbuf_init(&w, 0);
    spice_link_reply_write(&w, SPICE_LINK_ERR_OK, c->srv->pubkey, &caps);
    fsrv_chan_send_raw(c, w.data, w.len);
    floe_wbuf_free(&w);
    c->state = c->auth_selection ? LINK_AUTH_MECH : LINK_TICKET;
    return SPICE_LINK_ERR_OK;
}

static void link_finish(struct fsrv_chan *c, const uint8_t *ticket)
{
    int err = fsrv_auth_check_ticket(c->srv, ticket);

    if (err == SPICE_LINK_ERR_OK)
        err = c->srv->net->attach(c);
    link_result(c, err);
    if (err != SPICE_LINK_ERR_OK)
        return;
    if (c->closed) {
        /* the result's write failed at once and shut the connection, which
         * was not linked yet: it leaves the session it had joined */
        c->srv->net->detach(c);
        return;
    }
    c->state = LINK_DONE;
    floe_info("%s: channel %u:%u linked (session %u)", c->peer, c->type, c->id, c->sess->id);
    c->srv->net->initialized(c);
    if (c->ops->linked)
        c->ops->linked(c);
}

/* One step of the handshake; returns bytes used, 0 for "need more". */
static size_t link_step(struct fsrv_chan *c)
{
    struct floe_rbuf r;
    int err;

    floe_rbuf_init(&r, c->rbuf, c->rlen);
    switch (c->state) {
    case LINK_HEADER: {
        struct spice_link_header h;

        if (c->rlen < SPICE_SIZE_link_header)
            return 0;
        spice_link_header_get(&r, &h);
        err = spice_link_header_check(&h);
        if (err == SPICE_LINK_ERR_OK && h.size < SPICE_SIZE_link_mess)
            err = SPICE_LINK_ERR_INVALID_DATA;
        if (err != SPICE_LINK_ERR_OK) {
            link_refuse(c, err);
            return 0;
        }
        c->link_size = h.size;
        c->state = LINK_MESS;
        return SPICE_SIZE_link_header;
    }
    case LINK_MESS:
        if (c->rlen < c->link_size)
            return 0;
        err = on_link_mess(c, c->rbuf, c->link_size);
        if (err != SPICE_LINK_ERR_OK) {
            link_refuse(c, err);
            return 0;
        }
        return c->link_size;
    case LINK_AUTH_MECH: {
        struct spice_auth_mechanism mech;

        if (c->rlen < SPICE_SIZE_auth_mechanism)
            return 0;
        spice_auth_mechanism_get(&r, &mech);
        if (mech.mechanism != SPICE_AUTH_SPICE) {
            floe_warn("%s: unsupported auth mechanism %u", c->peer, mech.mechanism);
            link_result(c, SPICE_LINK_ERR_INVALID_DATA);
            return 0;
        }
        c->state = LINK_TICKET;
        return SPICE_SIZE_auth_mechanism;
    }
    case LINK_TICKET:
        if (c->rlen < SPICE_TICKET_BYTES)
            return 0;
        link_finish(c, c->rbuf);
        return SPICE_TICKET_BYTES;
    default:
        return 0;
    }
}

void fsrv_link_read(struct fsrv_chan *c)
{
    while (!c->closing && c->state != LINK_DONE) {
        size_t used = link_step(c);

        if (used == 0)
            return;
        memmove(c->rbuf, c->rbuf + used, c->rlen - used);
        c->rlen -= used;
    }
}
