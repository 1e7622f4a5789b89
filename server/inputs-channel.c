/* The INPUTS channel: keyboard scancodes and the pointer (absolute in
 * client mouse mode, relative in server mode), handed to the embedding
 * host's input sink; motion is acknowledged in bunches. */
#include <errno.h>

#include "common/log.h"
#include "server/internal.h"

static void inputs_linked(struct fsrv_chan *c)
{
    struct floe_wbuf w;
    struct spice_inputs_init init = { (uint16_t)c->srv->keyboard_locks };

    floe_wbuf_init(&w, 0);
    spice_inputs_init_put(&w, &init);
    fsrv_chan_send_wbuf(c, SPICE_MSG_INPUTS_INIT, &w);
}

static void on_key(struct fsrv_chan *c, uint32_t code, int down)
{
    const struct floe_input_sink *sink = &c->srv->sink;

    if (sink->key_fn)
        sink->key_fn(sink->opaque, spice_key_scancode(code), down);
}

/* The pointer on the session's monitor goes to pointer_monitor_fn, or,
 * for monitor 0 only, to pointer_fn. */
static void pointer_update(struct fsrv_chan *c)
{
    const struct floe_input_sink *sink = &c->srv->sink;
    struct fsrv_session *ss = c->sess;

    if (sink->pointer_monitor_fn)
        sink->pointer_monitor_fn(sink->opaque, ss->mouse_monitor, ss->mouse_x, ss->mouse_y,
                                 ss->buttons);
    else if (sink->pointer_fn && ss->mouse_monitor == 0)
        sink->pointer_fn(sink->opaque, ss->mouse_x, ss->mouse_y, ss->buttons);
}

static void motion_ack(struct fsrv_chan *c)
{
    struct floe_wbuf w;

    if (++c->sess->motion_count % SPICE_INPUT_MOTION_ACK_BUNCH)
        return;
    floe_wbuf_init(&w, 0);
    fsrv_chan_send_wbuf(c, SPICE_MSG_INPUTS_MOUSE_MOTION_ACK, &w);
}

static int clampi(long long v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : (int)v;
}

/* A host with motion_fn takes relative motion (and the buttons) from a
 * client in server mouse mode. */
static int relative(const struct fsrv_chan *c)
{
    return c->srv->sink.motion_fn && c->sess->mouse_mode == SPICE_MOUSE_MODE_SERVER;
}

/* Relative motion (server mouse mode) goes to the host's motion_fn; a host
 * without one sees it move the pointer on monitor 0, where the one cursor
 * is. */
static void on_motion(struct fsrv_chan *c, const struct spice_mouse_motion *m)
{
    const struct floe_input_sink *sink = &c->srv->sink;
    struct fsrv_session *ss = c->sess;
    int w = c->srv->primary[0].width, h = c->srv->primary[0].height;

    if (sink->motion_fn) {
        if (!relative(c)) {
            floe_debug("%s: inputs: relative motion in client mouse mode ignored", c->peer);
            return;
        }
        ss->buttons = m->buttons & 7;
        sink->motion_fn(sink->opaque, m->dx, m->dy, ss->buttons);
        return;
    }
    /* in 64 bits: MOUSE_POSITION may have left the pointer near INT_MAX, and
     * adding the client's delta to it overflowed int */
    ss->mouse_x = clampi((long long)ss->mouse_x + m->dx, 0, w > 0 ? w - 1 : 0);
    ss->mouse_y = clampi((long long)ss->mouse_y + m->dy, 0, h > 0 ? h - 1 : 0);
    ss->buttons = m->buttons & 7;
    ss->mouse_monitor = 0;
    pointer_update(c);
    floe_server_cursor_move(c->srv, ss->mouse_x, ss->mouse_y);
}

static void on_button(struct fsrv_chan *c, const struct spice_mouse_button *b, int down)
{
    const struct floe_input_sink *sink = &c->srv->sink;

    if (b->button == SPICE_MOUSE_BUTTON_UP || b->button == SPICE_MOUSE_BUTTON_DOWN) {
        if (down && sink->wheel_fn)
            sink->wheel_fn(sink->opaque, b->button == SPICE_MOUSE_BUTTON_UP ? -1 : 1);
        return;
    }
    c->sess->buttons = b->buttons & 7;
    if (relative(c))
        sink->motion_fn(sink->opaque, 0, 0, c->sess->buttons);
    else
        pointer_update(c);
}

/* An absolute position on the surface of the monitor display_id names; an
 * id the server does not serve is dropped. */
static void on_position(struct fsrv_chan *c, const struct spice_mouse_position *p)
{
    struct fsrv_session *ss = c->sess;
    const struct fsrv_surface *sf;
    int w, h;

    if (c->srv->sink.motion_fn && ss->mouse_mode != SPICE_MOUSE_MODE_CLIENT) {
        floe_debug("%s: inputs: absolute position in server mouse mode ignored", c->peer);
        return;
    }
    if (p->display_id >= c->srv->monitors) {
        floe_debug("%s: inputs: pointer on display %u ignored: %d monitor%s", c->peer,
                   p->display_id, c->srv->monitors, c->srv->monitors == 1 ? "" : "s");
        return;
    }
    sf = &c->srv->primary[p->display_id];
    w = sf->width;
    h = sf->height;
    ss->mouse_monitor = p->display_id;
    ss->mouse_x = p->x >= (uint32_t)w ? (w > 0 ? w - 1 : 0) : (int)p->x;
    ss->mouse_y = p->y >= (uint32_t)h ? (h > 0 ? h - 1 : 0) : (int)p->y;
    ss->buttons = p->buttons & 7;
    pointer_update(c);
}

static int inputs_handle(struct fsrv_chan *c, uint16_t type, const uint8_t *body, uint32_t len)
{
    struct floe_rbuf r;
    union {
        struct spice_key key;
        struct spice_mouse_motion motion;
        struct spice_mouse_position pos;
        struct spice_mouse_button button;
    } m;

    if (!c->sess)
        return 0;
    floe_rbuf_init(&r, body, len);
    switch (type) {
    case SPICE_MSGC_INPUTS_KEY_DOWN:
    case SPICE_MSGC_INPUTS_KEY_UP:
        spice_key_get(&r, &m.key);
        if (!r.bad)
            on_key(c, m.key.code, type == SPICE_MSGC_INPUTS_KEY_DOWN);
        break;
    case SPICE_MSGC_INPUTS_KEY_MODIFIERS: {
        struct spice_key_modifiers km;
        const struct floe_input_sink *sink = &c->srv->sink;

        spice_key_modifiers_get(&r, &km);
        if (!r.bad && sink->locks_fn)
            sink->locks_fn(sink->opaque, km.modifiers & 7);
        break;
    }
    case SPICE_MSGC_INPUTS_MOUSE_MOTION:
        spice_mouse_motion_get(&r, &m.motion);
        if (!r.bad) {
            on_motion(c, &m.motion);
            motion_ack(c);
        }
        break;
    case SPICE_MSGC_INPUTS_MOUSE_POSITION:
        spice_mouse_position_get(&r, &m.pos);
        if (!r.bad) {
            on_position(c, &m.pos);
            motion_ack(c);
        }
        break;
    case SPICE_MSGC_INPUTS_MOUSE_PRESS:
    case SPICE_MSGC_INPUTS_MOUSE_RELEASE:
        spice_mouse_button_get(&r, &m.button);
        if (!r.bad)
            on_button(c, &m.button, type == SPICE_MSGC_INPUTS_MOUSE_PRESS);
        break;
    default:
        floe_debug("%s: inputs: ignoring message %u", c->peer, type);
        break;
    }
    return r.bad ? -EBADMSG : 0;
}

void floe_server_set_keyboard_locks(struct floe_server *s, uint32_t locks)
{
    struct floe_wbuf w;
    struct fsrv_msg *m;

    if ((locks & 7) == s->keyboard_locks)
        return;
    s->keyboard_locks = locks & 7;
    floe_wbuf_init(&w, 0);
    spice_key_modifiers_put(&w, &(struct spice_key_modifiers){ (uint16_t)(locks & 7) });
    m = fsrv_msg_from_wbuf(SPICE_MSG_INPUTS_KEY_MODIFIERS, &w);
    for (struct fsrv_session *ss = s->sessions; m && ss; ss = ss->next)
        if (ss->inputs)
            fsrv_chan_send(ss->inputs, m);
    fsrv_msg_unref(m);
}

const struct fsrv_chan_ops fsrv_inputs_ops = {
    .linked = inputs_linked,
    .handle = inputs_handle,
};
