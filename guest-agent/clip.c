/* floe-agent's clipboard: the guest's copies, kept by the agent and offered
 * to the client (GRAB, then CLIPBOARD on its REQUEST), and the client's,
 * asked for when the guest pastes. Text (UTF8_TEXT) and PNG only. */
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
        a->clip[sel].client_owns = 0;
        a->clip[sel].n_client_types = 0;
        if (!keep_guest)
            clip_drop_guest(&a->clip[sel]);
    }
}

static int clip_send_grab(struct floe_agent *a, unsigned sel)
{
    struct spice_vd_agent_clipboard m = { .type = a->clip[sel].guest_type };
    struct floe_wbuf w;

    clip_begin(a, &w, VD_AGENT_CLIPBOARD_GRAB, sel);
    spice_vd_agent_clipboard_put(&w, &m);   /* the one type offered */
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
    c->client_owns = 0;
    c->guest_owns = 1;
    c->guest_type = type;
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
        if (c->guest_type != type)
            return -ENODATA;
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
}

/* the client pastes what the guest holds; anything else gets an empty
 * answer (type NONE), as the reference agent gives, so it never waits */
static void clip_request(struct floe_agent *a, unsigned sel, struct floe_rbuf *r)
{
    struct spice_vd_agent_clipboard m;
    struct agent_clip *c = &a->clip[sel];
    struct floe_wbuf w;

    spice_vd_agent_clipboard_get(r, &m);
    if (r->bad) {
        agent_error(a, "floe-agent: CLIPBOARD_REQUEST is truncated");
        return;
    }
    int give = c->guest_owns && c->guest_type == m.type;
    if (give && a->max_clipboard >= 0 && c->guest_len > (size_t)a->max_clipboard) {
        agent_error(a, "floe-agent: the %s clipboard of %zu bytes is over the client's limit of %d",
                    clip_sel_name(sel), c->guest_len, a->max_clipboard);
        give = 0;
    } else if (!give) {
        agent_error(a, "floe-agent: the client asked for type %u of %s, which the guest does not hold",
                    m.type, clip_sel_name(sel));
    }
    struct spice_vd_agent_clipboard out = { .type = give ? m.type : VD_AGENT_CLIPBOARD_NONE };
    clip_begin(a, &w, VD_AGENT_CLIPBOARD, sel);
    spice_vd_agent_clipboard_put(&w, &out);
    if (give)
        floe_put_bytes(&w, c->guest_data, c->guest_len);
    agent_msg_send(a, &w);
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
        a->clip[sel].client_owns = 0;
        a->clip[sel].n_client_types = 0;
        break;
    }
}
