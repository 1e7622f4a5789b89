/* The MAIN channel: INIT, NAME/UUID, the channel list, mouse modes (the
 * ones the host allows, each session's own) and the agent's messages
 * (agent-*.c). */
#include <errno.h>

#include "common/log.h"
#include "server/internal.h"

void fsrv_main_send_mouse_mode(struct fsrv_session *ss)
{
    struct floe_wbuf w;
    struct spice_mouse_mode m;

    if (!ss->main)
        return;
    m.supported_modes = (uint16_t)ss->main->srv->mouse_modes;
    m.current_mode = ss->mouse_mode;
    floe_wbuf_init(&w, 0);
    spice_mouse_mode_put(&w, &m);
    fsrv_chan_send_wbuf(ss->main, SPICE_MSG_MAIN_MOUSE_MODE, &w);
}

uint16_t fsrv_mouse_mode_initial(const struct floe_server *s)
{
    return s->mouse_modes & FLOE_MOUSE_MODE_CLIENT ? SPICE_MOUSE_MODE_CLIENT
                                                   : SPICE_MOUSE_MODE_SERVER;
}

void fsrv_mouse_mode_update(struct floe_server *s)
{
    uint32_t mode = s->sessions ? FLOE_MOUSE_MODE_SERVER : fsrv_mouse_mode_initial(s);

    for (struct fsrv_session *ss = s->sessions; ss; ss = ss->next)
        if (ss->mouse_mode == SPICE_MOUSE_MODE_CLIENT)
            mode = FLOE_MOUSE_MODE_CLIENT;
    if (mode == s->mouse_mode_now)
        return;
    s->mouse_mode_now = mode;
    if (s->sink.mouse_mode_fn)
        s->sink.mouse_mode_fn(s->sink.opaque, mode);
}

/* As the reference server: a change of the modes allowed is news to every
 * client, and a session in client mode leaves it when it goes. */
void floe_server_set_mouse_modes(struct floe_server *s, uint32_t modes)
{
    modes = (modes & FLOE_MOUSE_MODE_CLIENT) | FLOE_MOUSE_MODE_SERVER;
    if (modes == s->mouse_modes)
        return;
    s->mouse_modes = modes;
    floe_info("mouse modes allowed: %s", modes & FLOE_MOUSE_MODE_CLIENT ? "server, client"
                                                                       : "server");
    for (struct fsrv_session *ss = s->sessions; ss; ss = ss->next) {
        if (!(modes & FLOE_MOUSE_MODE_CLIENT))
            ss->mouse_mode = SPICE_MOUSE_MODE_SERVER;
        fsrv_main_send_mouse_mode(ss);
    }
    fsrv_mouse_mode_update(s);
}

/* A mode the server does not allow now is refused: the reply says the
 * mode the session stays in. */
static void mouse_mode_request(struct fsrv_chan *c, uint16_t mode)
{
    struct fsrv_session *ss = c->sess;

    if (!ss)
        return;
    if ((mode == SPICE_MOUSE_MODE_SERVER || mode == SPICE_MOUSE_MODE_CLIENT) &&
        (c->srv->mouse_modes & mode))
        ss->mouse_mode = mode;
    else
        floe_debug("%s: main: mouse mode %u refused (allowed: 0x%x)", c->peer, mode,
                   c->srv->mouse_modes);
    fsrv_main_send_mouse_mode(ss);
    fsrv_mouse_mode_update(c->srv);
}

static void main_linked(struct fsrv_chan *c)
{
    struct floe_server *s = c->srv;
    struct floe_wbuf w;
    struct spice_main_init init = {
        .session_id = c->sess->id,
        .display_channels_hint = (uint32_t)c->sess->monitors,
        .supported_mouse_modes = s->mouse_modes,
        .current_mouse_mode = c->sess->mouse_mode,
        .agent_connected = (uint32_t)s->agent.attached,
        .agent_tokens = FSRV_AGENT_TOKENS,
        .multi_media_time = (uint32_t)(fsrv_now_ms() - s->start_ms + 1),
    };

    fsrv_agent_in_reset(&c->sess->agent.in);
    floe_wbuf_init(&w, 0);
    spice_main_init_put(&w, &init);
    fsrv_chan_send_wbuf(c, SPICE_MSG_MAIN_INIT, &w);
    if (spice_caps_has(c->caps.channel, SPICE_MAIN_CAP_NAME_AND_UUID)) {
        floe_wbuf_init(&w, 0);
        spice_name_put(&w, s->name);
        fsrv_chan_send_wbuf(c, SPICE_MSG_MAIN_NAME, &w);
        floe_wbuf_init(&w, 0);
        spice_uuid_put(&w, s->opt.uuid);
        fsrv_chan_send_wbuf(c, SPICE_MSG_MAIN_UUID, &w);
    }
    /* measures the link, as the reference server does at the start */
    c->sess->net_ping_small = fsrv_chan_ping_pad(c, 0);
    c->sess->net_ping_big = fsrv_chan_ping_pad(c, FLOE_NET_TEST_BYTES);
}

/* DISPLAY 0..monitors-1 (as many as when the session began), then INPUTS
 * and CURSOR. */
static void send_channels_list(struct fsrv_chan *c)
{
    struct spice_channel_id ids[FLOE_SERVER_MAX_MONITORS + 2];
    struct floe_wbuf w;
    int n = 0;

    for (int k = 0; k < c->sess->monitors; k++)
        ids[n++] = (struct spice_channel_id){ SPICE_CHANNEL_DISPLAY, (uint8_t)k };
    ids[n++] = (struct spice_channel_id){ SPICE_CHANNEL_INPUTS, 0 };
    ids[n++] = (struct spice_channel_id){ SPICE_CHANNEL_CURSOR, 0 };
    floe_wbuf_init(&w, 0);
    spice_channels_list_put(&w, ids, n);
    fsrv_chan_send_wbuf(c, SPICE_MSG_MAIN_CHANNELS_LIST, &w);
}

static int main_handle(struct fsrv_chan *c, uint16_t type, const uint8_t *body, uint32_t len)
{
    struct floe_rbuf r;
    struct spice_mouse_mode_request req;

    floe_rbuf_init(&r, body, len);
    switch (type) {
    case SPICE_MSGC_MAIN_ATTACH_CHANNELS:
        send_channels_list(c);
        return 0;
    case SPICE_MSGC_MAIN_MOUSE_MODE_REQUEST:
        spice_mouse_mode_request_get(&r, &req);
        if (r.bad)
            return -EBADMSG;
        mouse_mode_request(c, req.mode);
        return 0;
    case SPICE_MSGC_MAIN_AGENT_DATA:
        return fsrv_agent_data(c, body, len);
    case SPICE_MSGC_MAIN_AGENT_START:
        return fsrv_agent_start(c, body, len);
    case SPICE_MSGC_MAIN_AGENT_TOKEN:
        return fsrv_agent_token(c, body, len);
    case SPICE_MSGC_MAIN_CLIENT_INFO:
        return 0;
    default:
        floe_debug("%s: main: ignoring message %u", c->peer, type);
        return 0;
    }
}

const struct fsrv_chan_ops fsrv_main_ops = {
    .linked = main_linked,
    .handle = main_handle,
};
