/* floe-agent's clipboard: the guest's copies, kept by the agent or by its
 * owner (an X11 selection) and offered to the client (GRAB, then CLIPBOARD
 * on its REQUEST), and the client's, asked for when the guest pastes. Text
 * (UTF8_TEXT) and PNG only. */
#include "guest-agent/agent-int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *clip_sel_name(unsigned sel) { return sel ? "PRIMARY" : "CLIPBOARD"; }

static int clip_type_ok(uint32_t type)
{
    return type == VD_AGENT_CLIPBOARD_UTF8_TEXT || type == VD_AGENT_CLIPBOARD_IMAGE_PNG;
}

/* a clipboard message: the selection first when both sides have them */
static void clip_begin(struct floe_agent *a, struct floe_wbuf *w, uint32_t type, unsigned sel)
{
    agent_msg_begin(w, type);
    if (agent_selections(a)) {
        struct spice_vd_agent_clipboard_selection s = { .selection = (uint8_t)sel };
        spice_vd_agent_clipboard_selection_put(w, &s);
    }
}

static void clip_drop_guest(struct agent_clip *c)
{
    free(c->guest_data);
    c->guest_data = NULL;
    c->guest_len = 0;
    c->guest_owns = 0;
    c->guest_lazy = 0;
    c->n_guest_types = 0;
}

static int clip_guest_has(const struct agent_clip *c, uint32_t type)
{
    for (unsigned i = 0; i < c->n_guest_types; i++)
        if (c->guest_types[i] == type)
            return 1;
    return 0;
}

/* the client holds the selection no more: its owner learns it */
static void clip_drop_client(struct floe_agent *a, unsigned sel)
{
    struct agent_clip *c = &a->clip[sel];
    int held = c->client_owns;

    c->client_owns = 0;
    c->n_client_types = 0;
    if (held && a->ops.clip_grab_fn)
        a->ops.clip_grab_fn(a->ctx, sel, NULL, 0);
}

/* the request out (if any) gets no answer: its waiter learns it */
static void clip_fail_request(struct floe_agent *a, unsigned sel)
{
    struct agent_clip *c = &a->clip[sel];

    if (!c->requested)
        return;
    c->requested = 0;
    if (a->ops.clip_fn)
        a->ops.clip_fn(a->ctx, sel, c->req_type, NULL, 0);
}

void agent_clip_reset(struct floe_agent *a, int keep_guest)
{
    for (unsigned sel = 0; sel < AGENT_SELECTIONS; sel++) {
        clip_fail_request(a, sel);
        clip_drop_client(a, sel);
        /* an offer stays: its owner (the X selection) outlives the port */
        if (!keep_guest && !a->clip[sel].guest_lazy)
            clip_drop_guest(&a->clip[sel]);
    }
}

static int clip_send_grab(struct floe_agent *a, unsigned sel)
{
    struct agent_clip *c = &a->clip[sel];
    struct floe_wbuf w;

    clip_begin(a, &w, VD_AGENT_CLIPBOARD_GRAB, sel);
    for (unsigned i = 0; i < c->n_guest_types; i++)
        floe_put_u32(&w, c->guest_types[i]);
    return agent_msg_send(a, &w);
}

int agent_clip_regrab(struct floe_agent *a)
{
    for (unsigned sel = 0; sel < AGENT_SELECTIONS; sel++) {
        if (!a->clip[sel].guest_owns || !agent_peer_has(a, VD_AGENT_CAP_CLIPBOARD_BY_DEMAND))
            continue;
        if (sel && !agent_selections(a))
            continue;
        int rc = clip_send_grab(a, sel);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int floe_agent_clip_set(struct floe_agent *a, unsigned selection, uint32_t type,
                        const uint8_t *data, size_t len)
{
    struct agent_clip *c;
    uint8_t *copy;

    if (selection >= AGENT_SELECTIONS || !clip_type_ok(type))
        return -EINVAL;
    if (!agent_peer_has(a, VD_AGENT_CAP_CLIPBOARD_BY_DEMAND) ||
        (selection && !agent_selections(a)))
        return -ENOTCONN;
    if (a->max_clipboard >= 0 && len > (size_t)a->max_clipboard)
        return -EFBIG;
    if (len > FLOE_AGENT_MAX_MESSAGE - 8)
        return -EFBIG;
    if (!(copy = malloc(len ? len : 1)))
        return -ENOMEM;
    memcpy(copy, data, len);
    c = &a->clip[selection];
    clip_fail_request(a, selection);
    clip_drop_guest(c);
    clip_drop_client(a, selection);
    c->guest_owns = 1;
    c->guest_types[0] = type;
    c->n_guest_types = 1;
    c->guest_data = copy;
    c->guest_len = len;
    return clip_send_grab(a, selection);
}

int floe_agent_clip_get(struct floe_agent *a, unsigned selection, uint32_t type,
                        const uint8_t **data, size_t *len)
{
    struct agent_clip *c;
    struct floe_wbuf w;

    if (selection >= AGENT_SELECTIONS || !clip_type_ok(type))
        return -EINVAL;
    c = &a->clip[selection];
    if (c->guest_owns) {
        if (c->guest_lazy || c->guest_types[0] != type)
            return -ENODATA;   /* an offer's data is its owner's own */
        *data = c->guest_data;
        *len = c->guest_len;
        return 1;
    }
    unsigned i = 0;
    while (i < c->n_client_types && c->client_types[i] != type)
        i++;
    if (!c->client_owns || i == c->n_client_types)
        return -ENODATA;
    if (c->requested)
        return 0;   /* the answer to the one out serves this one too */
    struct spice_vd_agent_clipboard m = { .type = type };
    clip_begin(a, &w, VD_AGENT_CLIPBOARD_REQUEST, selection);
    spice_vd_agent_clipboard_put(&w, &m);
    int rc = agent_msg_send(a, &w);
    if (rc < 0)
        return rc;
    c->requested = 1;
    c->req_type = type;
    return 0;
}

static void clip_grab(struct floe_agent *a, unsigned sel, struct floe_rbuf *r)
{
    struct agent_clip *c = &a->clip[sel];

    if (floe_rbuf_left(r) % 4) {
        agent_error(a, "floe-agent: CLIPBOARD_GRAB of %zu bytes of types is malformed",
                    floe_rbuf_left(r));
        return;
    }
    clip_fail_request(a, sel);
    clip_drop_guest(c);
    c->client_owns = 1;
    c->n_client_types = 0;
    while (floe_rbuf_left(r)) {
        uint32_t t = floe_get_u32(r);
        if (c->n_client_types < AGENT_CLIP_TYPES)
            c->client_types[c->n_client_types++] = t;
    }
    if (a->ops.clip_grab_fn)
        a->ops.clip_grab_fn(a->ctx, sel, c->client_types, c->n_client_types);
}

/* CLIPBOARD for `sel`: `type` and the data, or NONE */
static int clip_send_data(struct floe_agent *a, unsigned sel, uint32_t type, const uint8_t *data,
                          size_t len)
{
    struct spice_vd_agent_clipboard out = { .type = data ? type : VD_AGENT_CLIPBOARD_NONE };
    struct floe_wbuf w;

    clip_begin(a, &w, VD_AGENT_CLIPBOARD, sel);
    spice_vd_agent_clipboard_put(&w, &out);
    if (data)
        floe_put_bytes(&w, data, len);
    return agent_msg_send(a, &w);
}

static int clip_over_limit(struct floe_agent *a, unsigned sel, size_t len)
{
    if (a->max_clipboard < 0 || len <= (size_t)a->max_clipboard)
        return 0;
    agent_error(a, "floe-agent: the %s clipboard of %zu bytes is over the client's limit of %d",
                clip_sel_name(sel), len, a->max_clipboard);
    return 1;
}

int floe_agent_clip_offer(struct floe_agent *a, unsigned selection, const uint32_t *types,
                          unsigned n)
{
    struct agent_clip *c;
    uint32_t keep[AGENT_CLIP_TYPES];
    unsigned k = 0;

    for (unsigned i = 0; i < n && k < AGENT_CLIP_TYPES; i++)
        if (clip_type_ok(types[i]))
            keep[k++] = types[i];
    if (selection >= AGENT_SELECTIONS || !k)
        return -EINVAL;
    c = &a->clip[selection];
    clip_fail_request(a, selection);
    clip_drop_guest(c);
    clip_drop_client(a, selection);
    c->guest_owns = 1;
    c->guest_lazy = 1;
    memcpy(c->guest_types, keep, k * sizeof(keep[0]));
    c->n_guest_types = k;
    if (!agent_peer_has(a, VD_AGENT_CAP_CLIPBOARD_BY_DEMAND) ||
        (selection && !agent_selections(a)))
        return 0;   /* offered when a client that can take it comes */
    return clip_send_grab(a, selection);
}

int floe_agent_clip_reply(struct floe_agent *a, unsigned selection, uint32_t type,
                          const uint8_t *data, size_t len)
{
    int over;

    if (selection >= AGENT_SELECTIONS)
        return -EINVAL;
    if (!agent_peer_has(a, VD_AGENT_CAP_CLIPBOARD_BY_DEMAND))
        return -ENOTCONN;
    over = data && clip_over_limit(a, selection, len);
    if (!over && data && len > FLOE_AGENT_MAX_MESSAGE - 8) {
        agent_error(a, "floe-agent: the %s clipboard of %zu bytes is over the largest message",
                    clip_sel_name(selection), len);
        over = 1;
    }
    int rc = clip_send_data(a, selection, type, over ? NULL : data, len);
    return rc < 0 ? rc : over ? -EFBIG : 0;
}

int floe_agent_clip_release(struct floe_agent *a, unsigned selection)
{
    struct agent_clip *c;
    struct floe_wbuf w;

    if (selection >= AGENT_SELECTIONS)
        return -EINVAL;
    c = &a->clip[selection];
    if (!c->guest_owns)
        return 0;
    clip_drop_guest(c);
    if (!agent_peer_has(a, VD_AGENT_CAP_CLIPBOARD_BY_DEMAND) ||
        (selection && !agent_selections(a)))
        return 0;
    clip_begin(a, &w, VD_AGENT_CLIPBOARD_RELEASE, selection);
    return agent_msg_send(a, &w);
}

/* the client pastes what the guest holds; anything else gets an empty
 * answer (type NONE), as the reference agent gives, so it never waits */
static void clip_request(struct floe_agent *a, unsigned sel, struct floe_rbuf *r)
{
    struct spice_vd_agent_clipboard m;
    struct agent_clip *c = &a->clip[sel];

    spice_vd_agent_clipboard_get(r, &m);
    if (r->bad) {
        agent_error(a, "floe-agent: CLIPBOARD_REQUEST is truncated");
        return;
    }
    int give = c->guest_owns && clip_guest_has(c, m.type);
    if (give && c->guest_lazy && a->ops.clip_request_fn) {
        a->ops.clip_request_fn(a->ctx, sel, m.type);   /* answered by floe_agent_clip_reply */
        return;
    }
    if (give && (c->guest_lazy || clip_over_limit(a, sel, c->guest_len))) {
        give = 0;
    } else if (!give) {
        agent_error(a, "floe-agent: the client asked for type %u of %s, which the guest does not hold",
                    m.type, clip_sel_name(sel));
    }
    clip_send_data(a, sel, m.type, give ? c->guest_data : NULL, c->guest_len);
}

static void clip_data(struct floe_agent *a, unsigned sel, struct floe_rbuf *r)
{
    struct spice_vd_agent_clipboard m;
    struct agent_clip *c = &a->clip[sel];

    spice_vd_agent_clipboard_get(r, &m);
    if (r->bad) {
        agent_error(a, "floe-agent: CLIPBOARD is truncated");
        return;
    }
    if (!c->requested) {
        agent_error(a, "floe-agent: CLIPBOARD data for %s that nobody asked for, dropped",
                    clip_sel_name(sel));
        return;
    }
    c->requested = 0;
    if (a->ops.clip_fn) {
        size_t n = floe_rbuf_left(r);
        const uint8_t *p = floe_get_bytes(r, n);
        int none = m.type == VD_AGENT_CLIPBOARD_NONE || m.type != c->req_type;
        a->ops.clip_fn(a->ctx, sel, c->req_type, none ? NULL : p, none ? 0 : n);
    }
}

void agent_clip_msg(struct floe_agent *a, uint32_t type, struct floe_rbuf *r)
{
    unsigned sel = VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD;

    if (agent_selections(a)) {
        struct spice_vd_agent_clipboard_selection s;
        spice_vd_agent_clipboard_selection_get(r, &s);
        if (r->bad) {
            agent_error(a, "floe-agent: clipboard message type %u is truncated", type);
            return;
        }
        if (s.selection >= AGENT_SELECTIONS) {
            agent_error(a, "floe-agent: clipboard message type %u for selection %u, dropped",
                        type, s.selection);
            return;
        }
        sel = s.selection;
    }
    switch (type) {
    case VD_AGENT_CLIPBOARD_GRAB:
        clip_grab(a, sel, r);
        break;
    case VD_AGENT_CLIPBOARD_REQUEST:
        clip_request(a, sel, r);
        break;
    case VD_AGENT_CLIPBOARD:
        clip_data(a, sel, r);
        break;
    case VD_AGENT_CLIPBOARD_RELEASE:
        clip_fail_request(a, sel);
        clip_drop_client(a, sel);
        break;
    }
}
