/* The guest-agent relay's routing: one agent, several clients. Monitor
 * configs come from the client that owns the layout (the oldest); the
 * clipboard has one owner per selection (a client's grab takes it and the
 * guest's grab announced to the others is released for them); the guest's
 * requests go to the owner, its clipboard data to the client that asked;
 * the server tells the agent when the owner or the last client goes. */
#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "server/internal.h"

static int is_small_kind(uint32_t type)
{
    switch (type) {
    case VD_AGENT_ANNOUNCE_CAPABILITIES:
    case VD_AGENT_MONITORS_CONFIG:
    case VD_AGENT_CLIPBOARD_GRAB:
    case VD_AGENT_CLIPBOARD_REQUEST:
    case VD_AGENT_CLIPBOARD_RELEASE:
        return 1;
    default:
        return 0;
    }
}

/* The oldest session: its monitor configs are the ones the guest follows. */
static struct fsrv_session *layout_owner(struct floe_server *s)
{
    struct fsrv_session *last = NULL;

    for (struct fsrv_session *ss = s->sessions; ss; ss = ss->next)
        if (ss->main && !ss->main->closing)
            last = ss;
    return last;
}

/* Whether clipboard messages carry a selection first: both the agent and
 * the client said so. */
static int has_selection(uint32_t agent_caps, uint32_t client_caps)
{
    uint32_t bit = 1u << VD_AGENT_CAP_CLIPBOARD_SELECTION;

    return (agent_caps & bit) && (client_caps & bit);
}

/* The selection a clipboard message is about, or -1 (bad). */
static int selection_of(const uint8_t *body, uint32_t len, int with_selection)
{
    if (!with_selection)
        return VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD;
    if (len < SPICE_SIZE_vd_agent_clipboard_selection || body[0] >= FSRV_AGENT_SELECTIONS)
        return -1;
    return body[0];
}

/* The first capability word of an ANNOUNCE_CAPABILITIES body. */
static uint32_t caps_of(const uint8_t *body, uint32_t len)
{
    if (len < SPICE_SIZE_vd_agent_announce_capabilities + 4)
        return 0;
    return floe_le32(body + SPICE_SIZE_vd_agent_announce_capabilities);
}

enum fsrv_agent_route fsrv_agent_route_client(struct fsrv_session *ss,
                                              const struct spice_vd_agent_header *h)
{
    struct floe_server *s = ss->main->srv;

    if (!s->agent.attached || (s->agent.monitors_local && h->type == VD_AGENT_MONITORS_CONFIG))
        return h->type == VD_AGENT_MONITORS_CONFIG && h->size <= FSRV_MONITORS_MAX_BODY
                   ? ROUTE_LOCAL : ROUTE_DROP;
    if (is_small_kind(h->type)) {
        if (h->size <= FSRV_AGENT_SMALL_MAX)
            return ROUTE_READ;
        floe_warn("%s: an agent message of type %u and %u bytes dropped", ss->main->peer,
                  h->type, h->size);
        s->stats.agent_dropped++;
        return ROUTE_DROP;
    }
    /* clipboard data goes only where the guest asked for it */
    if (h->type == VD_AGENT_CLIPBOARD && s->agent.request_to != ss) {
        floe_warn("%s: clipboard data the agent did not ask it for, dropped", ss->main->peer);
        s->stats.agent_dropped++;
        return ROUTE_DROP;
    }
    return ROUTE_STREAM;
}

/* Tells the clients the guest's grab of `sel` is over (but `keep`). */
static void release_guest_grab(struct floe_server *s, int sel, struct fsrv_session *keep,
                               int with_sel_caps)
{
    uint8_t msg[SPICE_SIZE_vd_agent_header + SPICE_SIZE_vd_agent_clipboard_selection];

    for (struct fsrv_session *ss = s->sessions; ss; ss = ss->next) {
        int sel_on = has_selection(with_sel_caps, ss->agent.caps);
        struct spice_vd_agent_header h = { VD_AGENT_PROTOCOL, VD_AGENT_CLIPBOARD_RELEASE, 0,
                                           sel_on ? 4 : 0 };
        struct floe_wbuf w;

        if (ss == keep || !ss->agent.guest_grab[sel])
            continue;
        ss->agent.guest_grab[sel] = 0;
        floe_wbuf_init(&w, 0);
        spice_vd_agent_header_put(&w, &h);
        if (sel_on)
            spice_vd_agent_clipboard_selection_put(
                &w, &(struct spice_vd_agent_clipboard_selection){ (uint8_t)sel, 0, 0 });
        memcpy(msg, w.data, w.len);
        fsrv_agent_emit(ss, msg, (uint32_t)w.len, 1);
        floe_wbuf_free(&w);
        fsrv_agent_client_flush(ss);
    }
}

static int forward(struct fsrv_session *ss, const struct spice_vd_agent_header *h,
                   const uint8_t *body)
{
    uint8_t head[SPICE_SIZE_vd_agent_header];
    struct floe_wbuf w;
    int rc;

    floe_wbuf_init(&w, 0);
    spice_vd_agent_header_put(&w, h);
    memcpy(head, w.data, sizeof(head));
    floe_wbuf_free(&w);
    rc = fsrv_agent_src_add(&ss->agent.src, head, sizeof(head), h->size == 0);
    if (rc == 0 && h->size)
        rc = fsrv_agent_src_add(&ss->agent.src, body, h->size, 1);
    return rc;
}

int fsrv_agent_client_message(struct fsrv_session *ss, const struct spice_vd_agent_header *h,
                              const uint8_t *body)
{
    struct floe_server *s = ss->main->srv;
    struct fsrv_agent *ag = &s->agent;
    int sel = selection_of(body, h->size, has_selection(ag->caps, ss->agent.caps));

    switch (h->type) {
    case VD_AGENT_ANNOUNCE_CAPABILITIES:
        ss->agent.caps = caps_of(body, h->size);
        break;
    case VD_AGENT_MONITORS_CONFIG:
        if (ss != layout_owner(s)) {
            floe_info("%s: a monitors config from a client that does not own the layout, "
                      "dropped", ss->main->peer);
            s->stats.agent_dropped++;
            return 0;
        }
        break;
    case VD_AGENT_CLIPBOARD_GRAB:
        if (sel < 0)
            goto bad;
        ag->owner[sel] = ss;
        release_guest_grab(s, sel, ss, (int)ag->caps);
        break;
    case VD_AGENT_CLIPBOARD_REQUEST:
        if (sel < 0)
            goto bad;
        ag->requester = ss;
        break;
    case VD_AGENT_CLIPBOARD_RELEASE:
        if (sel < 0 || ag->owner[sel] != ss) {
            floe_debug("%s: a clipboard release from a client that holds no grab, dropped",
                       ss->main->peer);
            return 0;
        }
        ag->owner[sel] = NULL;
        break;
    default:
        break;
    }
    return forward(ss, h, body);
bad:
    floe_warn("%s: a clipboard message without its selection, dropped", ss->main->peer);
    s->stats.agent_dropped++;
    return 0;
}

/* ---- the guest's messages ---- */

enum fsrv_agent_route fsrv_agent_route_guest(struct floe_server *s,
                                             const struct spice_vd_agent_header *h)
{
    struct fsrv_session *to = NULL;
    int all = 0;

    if (is_small_kind(h->type)) {
        if (h->size <= FSRV_AGENT_SMALL_MAX)
            return ROUTE_READ;
        floe_warn("agent: a message of type %u and %u bytes dropped", h->type, h->size);
        s->stats.agent_dropped++;
        return ROUTE_DROP;
    }
    if (h->type == VD_AGENT_CLIPBOARD)
        to = s->agent.requester;
    else
        all = 1;
    for (struct fsrv_session *ss = s->sessions; ss; ss = ss->next)
        ss->agent.to_this = ss->agent.started && (all || ss == to);
    if (!all && (!to || !to->agent.started)) {
        floe_debug("agent: clipboard data no client asked for, dropped");
        return ROUTE_DROP;
    }
    return ROUTE_STREAM;
}

static void emit_message(struct fsrv_session *ss, const struct spice_vd_agent_header *h,
                         const uint8_t *body)
{
    uint8_t head[SPICE_SIZE_vd_agent_header];
    struct floe_wbuf w;

    if (!ss || !ss->agent.started)
        return;
    floe_wbuf_init(&w, 0);
    spice_vd_agent_header_put(&w, h);
    memcpy(head, w.data, sizeof(head));
    floe_wbuf_free(&w);
    fsrv_agent_emit(ss, head, sizeof(head), h->size == 0);
    if (h->size)
        fsrv_agent_emit(ss, body, h->size, 1);
}

void fsrv_agent_guest_message(struct floe_server *s, const struct spice_vd_agent_header *h,
                              const uint8_t *body)
{
    struct fsrv_agent *ag = &s->agent;
    struct fsrv_session *last = NULL;

    s->stats.agent_from_guest++;
    if (h->type == VD_AGENT_ANNOUNCE_CAPABILITIES)
        ag->caps = caps_of(body, h->size);
    for (struct fsrv_session *ss = s->sessions; ss; ss = ss->next) {
        int clip = h->type != VD_AGENT_ANNOUNCE_CAPABILITIES && h->type != VD_AGENT_MONITORS_CONFIG;
        int sel = clip ? selection_of(body, h->size, has_selection(ag->caps, ss->agent.caps)) : 0;

        if (h->type == VD_AGENT_CLIPBOARD_GRAB && sel >= 0) {
            /* the guest's clipboard is every client's */
            ag->owner[sel] = NULL;
            ss->agent.guest_grab[sel] = ss->agent.started;
        } else if (h->type == VD_AGENT_CLIPBOARD_RELEASE && sel >= 0) {
            if (!ss->agent.guest_grab[sel])
                continue;
            ss->agent.guest_grab[sel] = 0;
        } else if (h->type == VD_AGENT_CLIPBOARD_REQUEST) {
            if (sel < 0 || ag->owner[sel] != ss)
                continue;
            last = ss;
        } else if (sel < 0) {
            continue;
        }
        emit_message(ss, h, body);
    }
    if (h->type == VD_AGENT_CLIPBOARD_REQUEST) {
        ag->request_to = last;
        if (!last)
            floe_debug("agent: a clipboard request no client owns, dropped");
    }
}

void fsrv_agent_session_gone(struct floe_server *s, struct fsrv_session *ss)
{
    struct fsrv_agent *ag = &s->agent;
    int others = 0;

    for (struct fsrv_session *o = s->sessions; o; o = o->next)
        others |= o != ss;
    fsrv_agent_src_drop(s, &ss->agent.src,
                        ss->agent.in.route == ROUTE_STREAM ? ss->agent.in.left : 0);
    if (ag->requester == ss)
        ag->requester = NULL;
    if (ag->request_to == ss)
        ag->request_to = NULL;
    for (int sel = 0; sel < FSRV_AGENT_SELECTIONS; sel++) {
        uint8_t b[4] = { (uint8_t)sel };

        if (ag->owner[sel] != ss)
            continue;
        ag->owner[sel] = NULL;
        /* the guest holds a grab of data no client has now */
        if (others)
            fsrv_agent_server_msg(s, VDP_CLIENT_PORT, VD_AGENT_CLIPBOARD_RELEASE, b,
                                  has_selection(ag->caps, ss->agent.caps) ? 4 : 0);
    }
    if (!others)
        fsrv_agent_server_msg(s, VDP_SERVER_PORT, VD_AGENT_CLIENT_DISCONNECTED, NULL, 0);
    fsrv_agent_client_reset(ss);
    fsrv_agent_in_reset(&ss->agent.in);
}
