/* The clipboard shared with the guest's agent, on demand as SPICE has it:
 * whoever copies tells the other side (GRAB, with the types it has), which
 * asks for one type when it wants it (REQUEST) and gets it (CLIPBOARD);
 * RELEASE takes an offer back. The client asks for the guest's contents as
 * soon as they are offered (text first, else PNG), keeps the last that
 * came per selection and tells the application (FLOE_CLIENT_EVENT_CLIPBOARD).
 * With CLIPBOARD_SELECTION on both sides each message starts with the
 * selection. */
#include "client/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

static const char *const sel_name[2] = { "clipboard", "primary selection" };

/* The selection prefix, when both sides have it; 0 for the clipboard. */
static void put_selection(const struct fcli_agent *a, struct floe_wbuf *w, int sel)
{
    if (fcli_agent_both_have(a, VD_AGENT_CAP_CLIPBOARD_SELECTION))
        spice_vd_agent_clipboard_selection_put(w, &(struct spice_vd_agent_clipboard_selection){
                                                      (uint8_t)sel, 0, 0 });
}

/* Reads the selection prefix (if any): the selection, or -1. */
static int get_selection(const struct fcli_agent *a, struct floe_rbuf *r)
{
    struct spice_vd_agent_clipboard_selection s = { 0 };

    if (fcli_agent_both_have(a, VD_AGENT_CAP_CLIPBOARD_SELECTION))
        spice_vd_agent_clipboard_selection_get(r, &s);
    return r->bad || s.selection > 1 ? -1 : s.selection;
}

/* A message of type with the selection prefix and `words` u32 values,
 * then `data`. */
static int send_clip_locked(struct floe_client *c, uint32_t type, int sel, const uint32_t *words,
                            int n, const void *data, size_t len)
{
    struct floe_wbuf w;
    int rc;

    floe_wbuf_init(&w, 0);
    put_selection(&c->agent, &w, sel);
    for (int i = 0; i < n; i++)
        spice_vd_agent_clipboard_put(&w, &(struct spice_vd_agent_clipboard){ words[i] });
    rc = w.failed ? -ENOMEM : fcli_agent_queue_locked(c, type, w.data, w.len, data, len);
    floe_wbuf_free(&w);
    return rc;
}

/* Offers (GRAB) the client's contents of sel when the agent can hear it. */
static void tell_offer_locked(struct floe_client *c, int sel)
{
    struct fcli_agent *a = &c->agent;
    uint32_t type;

    if (!a->connected || !a->caps_known || a->offer_told[sel] || !a->offer[sel].type)
        return;
    if (!(a->caps & 1u << VD_AGENT_CAP_CLIPBOARD_BY_DEMAND)) {
        floe_warn("main: the guest's agent shares no clipboard (no CLIPBOARD_BY_DEMAND)");
        return;
    }
    if (sel == 1 && !fcli_agent_both_have(a, VD_AGENT_CAP_CLIPBOARD_SELECTION))
        return;
    type = a->offer[sel].type == FLOE_CLIENT_CLIP_PNG ? VD_AGENT_CLIPBOARD_IMAGE_PNG
                                                      : VD_AGENT_CLIPBOARD_UTF8_TEXT;
    if (send_clip_locked(c, VD_AGENT_CLIPBOARD_GRAB, sel, &type, 1, NULL, 0) == 0)
        a->offer_told[sel] = 1;
}

void fcli_clip_agent_came_locked(struct floe_client *c)
{
    for (int sel = 0; sel < 2; sel++) {
        c->agent.offer_told[sel] = 0;
        tell_offer_locked(c, sel);
    }
}

void fcli_clip_reset_locked(struct fcli_agent *a)
{
    for (int sel = 0; sel < 2; sel++) {
        free(a->got[sel].data);
        a->got[sel] = (struct fcli_clip){ 0 };
        a->offer_told[sel] = 0;
    }
}

static int guest_grab(struct floe_client *c, int sel, struct floe_rbuf *r)
{
    struct fcli_agent *a = &c->agent;
    uint32_t want = 0;

    /* its offer replaces the client's */
    free(a->offer[sel].data);
    a->offer[sel] = (struct fcli_clip){ 0 };
    a->offer_told[sel] = 0;
    while (r->len - r->pos >= 4) {
        struct spice_vd_agent_clipboard t;

        spice_vd_agent_clipboard_get(r, &t);
        if (t.type == VD_AGENT_CLIPBOARD_UTF8_TEXT ||
            (t.type == VD_AGENT_CLIPBOARD_IMAGE_PNG && !want))
            want = t.type;
    }
    if (!want) {
        floe_debug("main: the guest offers its %s in no type the client takes", sel_name[sel]);
        return 0;
    }
    if (send_clip_locked(c, VD_AGENT_CLIPBOARD_REQUEST, sel, &want, 1, NULL, 0) < 0)
        floe_err("main: out of memory asking for the guest's %s", sel_name[sel]);
    return 0;
}

static int guest_contents(struct floe_client *c, int sel, struct floe_rbuf *r)
{
    struct fcli_agent *a = &c->agent;
    struct spice_vd_agent_clipboard t;
    size_t n;
    uint8_t *copy;

    spice_vd_agent_clipboard_get(r, &t);
    if (r->bad)
        return -EBADMSG;
    if (t.type != VD_AGENT_CLIPBOARD_UTF8_TEXT && t.type != VD_AGENT_CLIPBOARD_IMAGE_PNG) {
        floe_debug("main: the guest's %s came as type %u, not taken", sel_name[sel], t.type);
        return 0;
    }
    n = r->len - r->pos;
    if (!(copy = malloc(n + 1)))
        return 0;
    memcpy(copy, r->p + r->pos, n);
    copy[n] = 0;
    free(a->got[sel].data);
    a->got[sel] = (struct fcli_clip){ t.type == VD_AGENT_CLIPBOARD_IMAGE_PNG ? FLOE_CLIENT_CLIP_PNG
                                                                              : FLOE_CLIENT_CLIP_TEXT,
                                      copy, n };
    a->got_serial[sel]++;
    floe_debug("main: the guest's %s came: %zu bytes", sel_name[sel], n);
    return 1 << FLOE_CLIENT_EVENT_CLIPBOARD;
}

/* The agent asks for the client's contents: they go, or an empty answer. */
static int guest_request(struct floe_client *c, int sel, struct floe_rbuf *r)
{
    struct fcli_agent *a = &c->agent;
    struct spice_vd_agent_clipboard t;
    const struct fcli_clip *o = &a->offer[sel];
    uint32_t have;

    spice_vd_agent_clipboard_get(r, &t);
    if (r->bad)
        return -EBADMSG;
    have = o->type == FLOE_CLIENT_CLIP_PNG ? VD_AGENT_CLIPBOARD_IMAGE_PNG
                                           : VD_AGENT_CLIPBOARD_UTF8_TEXT;
    if (!o->type || t.type != have) {
        uint32_t none = VD_AGENT_CLIPBOARD_NONE;

        floe_warn("main: the guest asked for the %s as type %u, which the client does not hold",
                  sel_name[sel], t.type);
        send_clip_locked(c, VD_AGENT_CLIPBOARD, sel, &none, 1, NULL, 0);
        return 0;
    }
    if (send_clip_locked(c, VD_AGENT_CLIPBOARD, sel, &have, 1, o->data, o->len) < 0)
        floe_err("main: the %s (%zu bytes) could not be queued for the guest", sel_name[sel],
                 o->len);
    return 0;
}

int fcli_clip_message_locked(struct floe_client *c, uint32_t type, const uint8_t *body,
                             uint32_t len)
{
    struct fcli_agent *a = &c->agent;
    struct floe_rbuf r;
    int sel;

    if (a->no_clipboard)
        return 0;
    floe_rbuf_init(&r, body, len);
    if ((sel = get_selection(a, &r)) < 0) {
        floe_debug("main: agent clipboard message %u for a selection not kept", type);
        return 0;
    }
    switch (type) {
    case VD_AGENT_CLIPBOARD_GRAB:
        return guest_grab(c, sel, &r);
    case VD_AGENT_CLIPBOARD:
        return guest_contents(c, sel, &r);
    case VD_AGENT_CLIPBOARD_REQUEST:
        return guest_request(c, sel, &r);
    default: /* RELEASE */
        free(a->got[sel].data);
        a->got[sel] = (struct fcli_clip){ 0 };
        return 0;
    }
}

int floe_client_clipboard_offer(struct floe_client *c, int selection, int type, const void *data,
                                size_t len)
{
    struct fcli_agent *a = &c->agent;
    uint8_t *copy;

    if ((selection != 0 && selection != 1) ||
        (type != FLOE_CLIENT_CLIP_TEXT && type != FLOE_CLIENT_CLIP_PNG) ||
        len > FLOE_CLIENT_MAX_CLIPBOARD || (len && !data))
        return -EINVAL;
    if (a->no_clipboard)
        return -EPERM;
    if (!(copy = malloc(len ? len : 1)))
        return -ENOMEM;
    if (len)
        memcpy(copy, data, len);
    pthread_mutex_lock(&c->send_lock);
    free(a->offer[selection].data);
    a->offer[selection] = (struct fcli_clip){ type, copy, len };
    a->offer_told[selection] = 0;
    tell_offer_locked(c, selection);
    fcli_agent_wake(c);
    pthread_mutex_unlock(&c->send_lock);
    return 0;
}

int floe_client_clipboard_get(struct floe_client *c, int selection, int *type, void **data,
                              size_t *len, uint64_t *serial)
{
    struct fcli_agent *a = &c->agent;
    int rc = -ENOENT;

    if (selection != 0 && selection != 1)
        return -ENOENT;
    pthread_mutex_lock(&c->send_lock);
    if (a->got[selection].type) {
        const struct fcli_clip *g = &a->got[selection];

        *data = malloc(g->len + 1);
        if (*data) {
            memcpy(*data, g->data, g->len + 1);
            *len = g->len;
            *type = g->type;
            if (serial)
                *serial = a->got_serial[selection];
            rc = 0;
        } else {
            rc = -ENOMEM;
        }
    }
    pthread_mutex_unlock(&c->send_lock);
    return rc;
}
