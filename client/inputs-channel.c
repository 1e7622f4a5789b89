/* The INPUTS channel: key scancodes, pointer position or motion, buttons;
 * motion is throttled by the server's MOUSE_MOTION_ACKs. Callable from any thread. */
#include "client/internal.h"

#include <errno.h>
#include <string.h>

#include "common/log.h"

/* spice-gtk stops sending motion at two unacknowledged bunches; so do we */
#define MAX_UNACKED (2 * SPICE_INPUT_MOTION_ACK_BUNCH)

void fcli_inputs_reset(struct fcli_inputs_state *s)
{
    memset(s, 0, sizeof(*s));
}

/* PC XT set-1 code as SPICE packs it: low byte first, 0xE0 prefix for
 * extended keys (0x100 | code), 0x80 on release. */
static uint32_t key_code(uint32_t scancode, int release)
{
    uint32_t code = (scancode & 0x7f) | (release ? 0x80 : 0);

    if (scancode & 0x100)
        return 0xe0 | code << 8;
    return code;
}

/* Returns the inputs channel with send_lock held, or NULL (lock released). */
static struct fcli_chan *inputs_lock(struct floe_client *c)
{
    pthread_mutex_lock(&c->send_lock);
    if (c->chans[FLOE_CHAN_INPUTS] && atomic_load(&c->inputs_ready))
        return c->chans[FLOE_CHAN_INPUTS];
    pthread_mutex_unlock(&c->send_lock);
    return NULL;
}

/* Releases send_lock and wakes the network loop for what was queued. */
static void inputs_unlock(struct fcli_chan *ch)
{
    struct floe_client *c = ch->client;
    const struct fcli_chan_owner *owner = ch->owner;

    pthread_mutex_unlock(&c->send_lock);
    owner->wake_fn(c);
}

static void send_locked(struct fcli_chan *ch, uint16_t type, struct floe_wbuf *w)
{
    if (!w->failed)
        fcli_chan_send_locked(ch, type, w->data, w->len);
    floe_wbuf_free(w);
}

void floe_client_key(struct floe_client *c, uint32_t scancode, int down)
{
    struct fcli_chan *ch = inputs_lock(c);
    struct spice_key m = { key_code(scancode, !down) };
    struct floe_wbuf w;

    if (!ch)
        return;
    floe_wbuf_init(&w, 64);
    spice_key_put(&w, &m);
    send_locked(ch, down ? SPICE_MSGC_INPUTS_KEY_DOWN : SPICE_MSGC_INPUTS_KEY_UP, &w);
    inputs_unlock(ch);
}

static void send_position(struct fcli_chan *ch, struct fcli_inputs_state *s)
{
    struct spice_mouse_position m = { (uint32_t)s->pending_x, (uint32_t)s->pending_y,
                                      s->buttons, (uint8_t)s->pending_display };
    struct floe_wbuf w;

    floe_wbuf_init(&w, 64);
    spice_mouse_position_put(&w, &m);
    send_locked(ch, SPICE_MSGC_INPUTS_MOUSE_POSITION, &w);
    s->pending_position = 0;
    s->motion_unacked++;
}

static void send_motion(struct fcli_chan *ch, struct fcli_inputs_state *s)
{
    struct spice_mouse_motion m = { s->pending_dx, s->pending_dy, s->buttons };
    struct floe_wbuf w;

    floe_wbuf_init(&w, 64);
    spice_mouse_motion_put(&w, &m);
    send_locked(ch, SPICE_MSGC_INPUTS_MOUSE_MOTION, &w);
    s->pending_motion = 0;
    s->pending_dx = s->pending_dy = 0;
    s->motion_unacked++;
}

void floe_client_mouse_position_monitor(struct floe_client *c, int monitor, int x, int y)
{
    struct fcli_chan *ch;
    struct fcli_inputs_state *s = &c->inputs;
    struct fcli_view v;

    /* a head's position is on its display channel's surface */
    pthread_mutex_lock(&c->lock);
    if (fcli_view_find(c, monitor, &v) == 0) {
        monitor = v.display;
        x = (x < 0 ? 0 : x) + v.x;
        y = (y < 0 ? 0 : y) + v.y;
    }
    pthread_mutex_unlock(&c->lock);
    if (monitor < 0 || monitor > 255)
        return;
    ch = inputs_lock(c);
    if (!ch)
        return;
    /* a position on another monitor must not be merged into this one's */
    if (s->pending_position && s->pending_display != monitor)
        send_position(ch, s);
    s->pending_position = 1;
    s->pending_display = monitor;
    s->pending_x = x < 0 ? 0 : x;
    s->pending_y = y < 0 ? 0 : y;
    if (s->motion_unacked < MAX_UNACKED)
        send_position(ch, s);
    inputs_unlock(ch);
}

void floe_client_mouse_position(struct floe_client *c, int x, int y)
{
    floe_client_mouse_position_monitor(c, 0, x, y);
}

void floe_client_mouse_motion(struct floe_client *c, int dx, int dy)
{
    struct fcli_chan *ch = inputs_lock(c);
    struct fcli_inputs_state *s = &c->inputs;

    if (!ch)
        return;
    s->pending_motion = 1;
    s->pending_dx += dx;
    s->pending_dy += dy;
    if (s->motion_unacked < MAX_UNACKED)
        send_motion(ch, s);
    inputs_unlock(ch);
}

void floe_client_mouse_button(struct floe_client *c, int button, int down)
{
    struct fcli_chan *ch;
    struct spice_mouse_button m;
    struct floe_wbuf w;
    uint16_t mask = button == SPICE_MOUSE_BUTTON_LEFT ? SPICE_MOUSE_BUTTON_MASK_LEFT
                    : button == SPICE_MOUSE_BUTTON_MIDDLE ? SPICE_MOUSE_BUTTON_MASK_MIDDLE
                    : button == SPICE_MOUSE_BUTTON_RIGHT ? SPICE_MOUSE_BUTTON_MASK_RIGHT : 0;

    if (button < SPICE_MOUSE_BUTTON_LEFT || button > SPICE_MOUSE_BUTTON_DOWN)
        return;
    ch = inputs_lock(c);
    if (!ch)
        return;
    /* the pointer must be where the click is, acknowledged or not */
    if (c->inputs.pending_position)
        send_position(ch, &c->inputs);
    if (c->inputs.pending_motion)
        send_motion(ch, &c->inputs);
    if (down)
        c->inputs.buttons |= mask;
    else
        c->inputs.buttons &= (uint16_t)~mask;
    m.button = (uint8_t)button;
    m.buttons = c->inputs.buttons;
    floe_wbuf_init(&w, 64);
    spice_mouse_button_put(&w, &m);
    send_locked(ch, down ? SPICE_MSGC_INPUTS_MOUSE_PRESS : SPICE_MSGC_INPUTS_MOUSE_RELEASE, &w);
    inputs_unlock(ch);
}

int floe_client_mouse_mode(struct floe_client *c)
{
    return atomic_load(&c->mouse_mode);
}

int floe_client_inputs_ready(struct floe_client *c)
{
    return atomic_load(&c->inputs_ready);
}

static void motion_ack(struct fcli_chan *ch)
{
    struct fcli_inputs_state *s = &ch->client->inputs;

    pthread_mutex_lock(&ch->client->send_lock);
    s->motion_unacked -= SPICE_INPUT_MOTION_ACK_BUNCH;
    if (s->motion_unacked < 0)
        s->motion_unacked = 0;
    if (s->pending_position)
        send_position(ch, s);
    if (s->pending_motion)
        send_motion(ch, s);
    pthread_mutex_unlock(&ch->client->send_lock);
}

static int inputs_message(struct fcli_chan *ch, uint16_t type, const uint8_t *body, size_t len)
{
    struct spice_inputs_init m;
    struct spice_key_modifiers km;
    struct floe_rbuf r;

    switch (type) {
    case SPICE_MSG_INPUTS_INIT:
    case SPICE_MSG_INPUTS_KEY_MODIFIERS:
        floe_rbuf_init(&r, body, len);
        if (type == SPICE_MSG_INPUTS_INIT) {
            spice_inputs_init_get(&r, &m);
        } else {
            spice_key_modifiers_get(&r, &km);
            m.modifiers = km.modifiers;
        }
        if (r.bad)
            return -EBADMSG;
        pthread_mutex_lock(&ch->client->send_lock);
        ch->client->inputs.modifiers = m.modifiers;
        pthread_mutex_unlock(&ch->client->send_lock);
        floe_debug("inputs: keyboard modifiers 0x%x", m.modifiers);
        if (type == SPICE_MSG_INPUTS_INIT)
            ch->owner->emit_fn(ch->client, FLOE_CLIENT_EVENT_INPUTS_READY);
        return 0;
    case SPICE_MSG_INPUTS_MOUSE_MOTION_ACK:
        motion_ack(ch);
        return 0;
    default:
        floe_debug("inputs: message %u ignored", type);
        return 0;
    }
}

static void inputs_linked(struct fcli_chan *ch)
{
    pthread_mutex_lock(&ch->client->send_lock);
    fcli_inputs_reset(&ch->client->inputs);
    pthread_mutex_unlock(&ch->client->send_lock);
    atomic_store(&ch->client->inputs_ready, 1);
}

static void inputs_closed(struct fcli_chan *ch)
{
    atomic_store(&ch->client->inputs_ready, 0);
}

const struct fcli_chan_ops fcli_inputs_ops = {
    .name = "inputs",
    .linked_fn = inputs_linked,
    .message_fn = inputs_message,
    .closed_fn = inputs_closed,
};
