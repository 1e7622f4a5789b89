/* The MAIN channel: session id and mouse modes from INIT, the VM name, the
 * server's multimedia clock (INIT, MULTI_MEDIA_TIME), and the channel list
 * that makes the client link its other channels. */
#include "client/internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "protocol/spice/stream.h"
#include "protocol/spice/varmsgs.h"

static void request_mouse_mode(struct fcli_chan *ch, uint32_t supported, uint32_t current)
{
    struct spice_mouse_mode_request m = { SPICE_MOUSE_MODE_CLIENT };
    struct floe_wbuf w;

    if (!(supported & SPICE_MOUSE_MODE_CLIENT) || current == SPICE_MOUSE_MODE_CLIENT)
        return;
    floe_wbuf_init(&w, 64);
    spice_mouse_mode_request_put(&w, &m);
    fcli_chan_send_wbuf(ch, SPICE_MSGC_MAIN_MOUSE_MODE_REQUEST, &w);
}

/* The server's multimedia clock reads mm now: video frames play by it. */
static void set_mm_time(struct floe_client *c, uint32_t mm)
{
    pthread_mutex_lock(&c->lock);
    fcli_mm_clock_set(&c->mm_clock, mm, fcli_now_ms());
    pthread_mutex_unlock(&c->lock);
}

static int handle_init(struct fcli_chan *ch, const uint8_t *body, size_t len)
{
    struct floe_client *c = ch->client;
    struct spice_main_init m;
    struct floe_rbuf r;

    floe_rbuf_init(&r, body, len);
    spice_main_init_get(&r, &m);
    if (r.bad)
        return -EBADMSG;
    c->session_id = m.session_id;
    c->supported_mouse_modes = m.supported_mouse_modes;
    set_mm_time(c, m.multi_media_time);
    atomic_store(&c->mouse_mode, (int)m.current_mouse_mode);
    floe_debug("main: session %u, mouse modes supported 0x%x current %u, agent %u",
               m.session_id, m.supported_mouse_modes, m.current_mouse_mode,
               m.agent_connected);
    fcli_chan_send(ch, SPICE_MSGC_MAIN_ATTACH_CHANNELS, NULL, 0);
    request_mouse_mode(ch, m.supported_mouse_modes, m.current_mouse_mode);
    /* AGENT_START before any AGENT_DATA (a monitors config asked for
     * early included): the reference server drops an attached agent's
     * data that comes before it */
    if (m.agent_connected)
        fcli_agent_connected(c, 1);
    fcli_agent_tokens(c, m.agent_tokens, 1);
    ch->owner->emit_fn(c, FLOE_CLIENT_EVENT_MOUSE_MODE);
    return 0;
}

/* Links every DISPLAY channel offered (one per monitor), then INPUTS and
 * CURSOR 0. */
static int open_displays(struct fcli_chan *ch, const struct spice_channel_id *ids, int n)
{
    char why[64];

    for (int i = 0; i < n; i++) {
        if (ids[i].type != SPICE_CHANNEL_DISPLAY)
            continue;
        if (ids[i].id >= FLOE_CLIENT_MAX_DISPLAYS) {
            floe_warn("main: display channel %u not linked: at most %d displays", ids[i].id,
                      FLOE_CLIENT_MAX_DISPLAYS);
            continue;
        }
        if (ch->owner->open_fn(ch->client, SPICE_CHANNEL_DISPLAY, ids[i].id)) {
            if (ids[i].id == 0)
                snprintf(why, sizeof(why), "cannot link the display channel");
            else
                snprintf(why, sizeof(why), "cannot link display channel %u", ids[i].id);
            ch->owner->error_fn(ch->client, why);
            return -ENOTCONN;
        }
    }
    return 0;
}

static int handle_channels_list(struct fcli_chan *ch, const uint8_t *body, size_t len)
{
    static const uint8_t wanted[] = { SPICE_CHANNEL_INPUTS, SPICE_CHANNEL_CURSOR };
    struct spice_channel_id ids[64];
    struct floe_rbuf r;
    int n;

    floe_rbuf_init(&r, body, len);
    n = spice_channels_list_get(&r, ids, 64);
    if (n < 0)
        return -EBADMSG;
    if (open_displays(ch, ids, n))
        return -ENOTCONN;
    for (size_t w = 0; w < sizeof(wanted); w++)
        for (int i = 0; i < n; i++)
            if (ids[i].type == wanted[w] && ids[i].id == 0)
                ch->owner->open_fn(ch->client, ids[i].type, 0);
    for (int i = 0; i < n; i++)
        floe_debug("main: server offers channel %u:%u", ids[i].type, ids[i].id);
    return 0;
}

static int handle_mouse_mode(struct fcli_chan *ch, const uint8_t *body, size_t len)
{
    struct spice_mouse_mode m;
    struct floe_rbuf r;

    floe_rbuf_init(&r, body, len);
    spice_mouse_mode_get(&r, &m);
    if (r.bad)
        return -EBADMSG;
    uint32_t before = ch->client->supported_mouse_modes;

    ch->client->supported_mouse_modes = m.supported_modes;
    atomic_store(&ch->client->mouse_mode, (int)m.current_mode);
    floe_info("mouse mode: %s", m.current_mode == SPICE_MOUSE_MODE_CLIENT ? "client" : "server");
    /* client mode may become possible later (an agent connects): ask then,
     * once, so a server that keeps refusing is not asked in a loop */
    if (!(before & SPICE_MOUSE_MODE_CLIENT))
        request_mouse_mode(ch, m.supported_modes, m.current_mode);
    ch->owner->emit_fn(ch->client, FLOE_CLIENT_EVENT_MOUSE_MODE);
    return 0;
}

static int handle_name(struct fcli_chan *ch, const uint8_t *body, size_t len)
{
    struct floe_client *c = ch->client;
    const uint8_t *name;
    uint32_t n, i;

    if (spice_name_parse(body, len, &name, &n))
        return -EBADMSG;
    pthread_mutex_lock(&c->lock);
    for (i = 0; i < n && i + 1 < sizeof(c->title) && name[i]; i++)
        c->title[i] = name[i] >= 0x20 && name[i] != 0x7f ? (char)name[i] : '?';
    c->title[i] = 0;
    pthread_mutex_unlock(&c->lock);
    floe_debug("main: name \"%s\"", c->title);
    ch->owner->emit_fn(c, FLOE_CLIENT_EVENT_TITLE);
    return 0;
}

static int handle_uuid(const uint8_t *body, size_t len)
{
    uint8_t uuid[SPICE_UUID_BYTES];
    char hex[2 * SPICE_UUID_BYTES + 1];
    struct floe_rbuf r;

    floe_rbuf_init(&r, body, len);
    if (spice_uuid_get(&r, uuid) < 0)
        return -EBADMSG;
    for (int i = 0; i < SPICE_UUID_BYTES; i++)
        snprintf(hex + 2 * i, 3, "%02x", uuid[i]);
    floe_debug("main: uuid %s", hex);
    return 0;
}

static int main_message(struct fcli_chan *ch, uint16_t type, const uint8_t *body, size_t len)
{
    switch (type) {
    case SPICE_MSG_MAIN_INIT:
        return handle_init(ch, body, len);
    case SPICE_MSG_MAIN_CHANNELS_LIST:
        return handle_channels_list(ch, body, len);
    case SPICE_MSG_MAIN_MOUSE_MODE:
        return handle_mouse_mode(ch, body, len);
    case SPICE_MSG_MAIN_NAME:
        return handle_name(ch, body, len);
    case SPICE_MSG_MAIN_UUID:
        return handle_uuid(body, len);
    case SPICE_MSG_MAIN_MULTI_MEDIA_TIME: {
        uint32_t mm;

        if (spice_multi_media_time_parse(body, len, &mm))
            return -EBADMSG;
        set_mm_time(ch->client, mm);
        return 0;
    }
    case SPICE_MSG_MAIN_AGENT_TOKEN:
    case SPICE_MSG_MAIN_AGENT_CONNECTED_TOKENS: {
        /* (the same body: the tokens) */
        struct spice_agent_token t;
        struct floe_rbuf r;

        floe_rbuf_init(&r, body, len);
        spice_agent_token_get(&r, &t);
        if (r.bad)
            return -EBADMSG;
        if (type == SPICE_MSG_MAIN_AGENT_CONNECTED_TOKENS)
            fcli_agent_connected(ch->client, 1);
        fcli_agent_tokens(ch->client, t.num_tokens, type == SPICE_MSG_MAIN_AGENT_CONNECTED_TOKENS);
        return 0;
    }
    case SPICE_MSG_MAIN_AGENT_CONNECTED:
        fcli_agent_connected(ch->client, 1);
        return 0;
    case SPICE_MSG_MAIN_AGENT_DISCONNECTED:
        fcli_agent_connected(ch->client, 0);
        return 0;
    case SPICE_MSG_MAIN_AGENT_DATA: {
        int ev = fcli_agent_data(ch->client, body, len);

        if (ev < 0)
            return ev;
        for (int e = 0; e < 32; e++)
            if ((unsigned)ev & (1u << e))
                ch->owner->emit_fn(ch->client, (enum floe_client_event)e);
        return 0;
    }
    case SPICE_MSG_MAIN_MIGRATE_BEGIN:
    case SPICE_MSG_MAIN_MIGRATE_CANCEL:
    case SPICE_MSG_MAIN_MIGRATE_SWITCH_HOST:
    case SPICE_MSG_MAIN_MIGRATE_END:
        floe_warn("main: migration message %u ignored (not supported)", type);
        return 0;
    default:
        floe_debug("main: message %u ignored", type);
        return 0;
    }
}

const struct fcli_chan_ops fcli_main_ops = {
    .name = "main",
    .message_fn = main_message,
};
