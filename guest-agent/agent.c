/* floe-agent's core: the agent port's chunks put back into messages per
 * port, each message checked and handed to its handler; capabilities. */
#include "guest-agent/agent-int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* what this agent does (see README.md's floe-agent section) */
static const unsigned agent_caps[] = {
    VD_AGENT_CAP_MOUSE_STATE, VD_AGENT_CAP_MONITORS_CONFIG, VD_AGENT_CAP_REPLY,
    VD_AGENT_CAP_CLIPBOARD_BY_DEMAND, VD_AGENT_CAP_CLIPBOARD_SELECTION,
    VD_AGENT_CAP_SPARSE_MONITORS_CONFIG, VD_AGENT_CAP_GUEST_LINEEND_LF,
    VD_AGENT_CAP_MAX_CLIPBOARD, VD_AGENT_CAP_MONITORS_CONFIG_POSITION,
    VD_AGENT_CAP_FILE_XFER_DETAILED_ERRORS,
};

void agent_error(struct floe_agent *a, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(a->last_error, sizeof(a->last_error), fmt, ap);
    va_end(ap);
    a->errors++;
    if (a->ops.log_fn)
        a->ops.log_fn(a->ctx, a->last_error);
}

int agent_peer_has(const struct floe_agent *a, unsigned cap)
{
    return a->peer_known && cap / 32 < a->peer_words && spice_caps_has(a->peer_caps, cap);
}

int agent_selections(const struct floe_agent *a)
{
    return agent_peer_has(a, VD_AGENT_CAP_CLIPBOARD_SELECTION);
}

struct floe_agent *floe_agent_new(const struct floe_agent_ops *ops, void *ctx,
                                  const char *xfer_dir)
{
    struct floe_agent *a = calloc(1, sizeof(*a));

    if (!a)
        return NULL;
    a->ops = *ops;
    a->ctx = ctx;
    a->max_clipboard = -1;
    a->max_message = FLOE_AGENT_MAX_MESSAGE;
    if (xfer_dir && !(a->xfer_dir = strdup(xfer_dir))) {
        free(a);
        return NULL;
    }
    return a;
}

static void agent_rx_reset(struct agent_rx *rx)
{
    free(rx->body);
    memset(rx, 0, sizeof(*rx));
}

/* forgets the stream and everything the last client set up */
static void agent_forget(struct floe_agent *a)
{
    a->chdr_got = 0;
    a->chunk_left = 0;
    agent_rx_reset(&a->rx[0]);
    agent_rx_reset(&a->rx[1]);
    a->peer_known = 0;
    a->peer_words = 0;
    a->max_clipboard = -1;
    agent_clip_reset(a, 0);
    agent_xfer_cancel_all(a);
}

void floe_agent_free(struct floe_agent *a)
{
    if (!a)
        return;
    a->ops.clip_grab_fn = NULL;   /* the owner may be gone already */
    a->ops.clip_fn = NULL;
    agent_forget(a);
    free(a->xfer_dir);
    free(a);
}

void agent_msg_begin(struct floe_wbuf *w, uint32_t type)
{
    struct spice_vdi_chunk_header ch = { .port = VDP_CLIENT_PORT };
    struct spice_vd_agent_header h = { .protocol = VD_AGENT_PROTOCOL, .type = type };

    floe_wbuf_init(w, SPICE_SIZE_vdi_chunk_header + SPICE_SIZE_vd_agent_header +
                      (size_t)FLOE_AGENT_MAX_MESSAGE);
    spice_vdi_chunk_header_put(w, &ch);
    spice_vd_agent_header_put(w, &h);
}

/* The whole message goes in one chunk: the reference server takes a chunk
 * of any size from the agent, but never two messages' bytes in one. */
int agent_msg_send(struct floe_agent *a, struct floe_wbuf *w)
{
    size_t hl = SPICE_SIZE_vdi_chunk_header + SPICE_SIZE_vd_agent_header;
    int rc = -ENOMEM;

    if (!w->failed) {
        floe_patch_u32(w, 4, (uint32_t)(w->len - SPICE_SIZE_vdi_chunk_header));
        floe_patch_u32(w, hl - 4, (uint32_t)(w->len - hl));
        rc = a->ops.write_fn(a->ctx, w->data, w->len);
    }
    floe_wbuf_free(w);
    return rc;
}

static int agent_send_caps(struct floe_agent *a, uint32_t request)
{
    struct spice_vd_agent_announce_capabilities m = { .request = request };
    uint32_t words[SPICE_CAPS_WORDS] = { 0 };
    struct floe_wbuf w;

    for (size_t i = 0; i < sizeof(agent_caps) / sizeof(agent_caps[0]); i++)
        spice_caps_set(words, agent_caps[i]);
    agent_msg_begin(&w, VD_AGENT_ANNOUNCE_CAPABILITIES);
    spice_vd_agent_announce_capabilities_put(&w, &m);
    floe_put_u32(&w, words[0]);
    return agent_msg_send(a, &w);
}

int floe_agent_start(struct floe_agent *a)
{
    agent_forget(a);
    return agent_send_caps(a, 1);
}

const uint32_t *floe_agent_peer_caps(const struct floe_agent *a, unsigned *words)
{
    *words = a->peer_words;
    return a->peer_known ? a->peer_caps : NULL;
}

void floe_agent_set_limit(struct floe_agent *a, uint32_t max_message)
{
    a->max_message = max_message < FLOE_AGENT_MAX_MESSAGE ? max_message : FLOE_AGENT_MAX_MESSAGE;
}

int32_t floe_agent_max_clipboard(const struct floe_agent *a) { return a->max_clipboard; }
unsigned floe_agent_errors(const struct floe_agent *a) { return a->errors; }
const char *floe_agent_last_error(const struct floe_agent *a) { return a->last_error; }

static int agent_caps_msg(struct floe_agent *a, struct floe_rbuf *r)
{
    struct spice_vd_agent_announce_capabilities m;
    size_t words = floe_rbuf_left(r) / 4;

    spice_vd_agent_announce_capabilities_get(r, &m);
    if (r->bad) {
        agent_error(a, "floe-agent: ANNOUNCE_CAPABILITIES of %zu bytes is truncated", r->len);
        return 0;
    }
    words = words ? words - 1 : 0;
    memset(a->peer_caps, 0, sizeof(a->peer_caps));
    a->peer_words = words < SPICE_CAPS_WORDS ? (unsigned)words : SPICE_CAPS_WORDS;
    for (unsigned i = 0; i < a->peer_words; i++)
        a->peer_caps[i] = floe_get_u32(r);
    a->peer_known = 1;
    if (m.request) {
        int rc = agent_send_caps(a, 0);
        if (rc < 0)
            return rc;
    }
    /* a client that came (again) learns what the guest holds */
    return agent_clip_regrab(a);
}

static void agent_max_clipboard_msg(struct floe_agent *a, struct floe_rbuf *r)
{
    struct spice_vd_agent_max_clipboard m;

    spice_vd_agent_max_clipboard_get(r, &m);
    if (r->bad)
        agent_error(a, "floe-agent: MAX_CLIPBOARD is truncated");
    else
        a->max_clipboard = m.max < 0 ? -1 : m.max;
}

static void agent_mouse_msg(struct floe_agent *a, struct floe_rbuf *r)
{
    struct spice_vd_agent_mouse_state m;

    spice_vd_agent_mouse_state_get(r, &m);
    if (r->bad)
        agent_error(a, "floe-agent: MOUSE_STATE is truncated");
    else if (a->ops.mouse_fn)
        a->ops.mouse_fn(a->ctx, m.x, m.y, m.buttons, m.display_id);
}

/* only checked: which device shows which monitor does not matter to a
 * guest with one display device */
static void agent_device_info_msg(struct floe_agent *a, struct floe_rbuf *r)
{
    struct spice_vd_agent_graphics_device_info m;
    struct spice_vd_agent_device_display_info d;

    spice_vd_agent_graphics_device_info_get(r, &m);
    for (uint32_t i = 0; i < m.count && !r->bad; i++) {
        spice_vd_agent_device_display_info_get(r, &d);
        floe_get_bytes(r, d.device_address_len);
    }
    if (r->bad)
        agent_error(a, "floe-agent: GRAPHICS_DEVICE_INFO is truncated");
}

static int agent_reply(struct floe_agent *a, uint32_t type, uint32_t error)
{
    struct spice_vd_agent_reply m = { .type = type, .error = error };
    struct floe_wbuf w;

    agent_msg_begin(&w, VD_AGENT_REPLY);
    spice_vd_agent_reply_put(&w, &m);
    return agent_msg_send(a, &w);
}

static int agent_dispatch(struct floe_agent *a, uint32_t port, uint32_t type,
                          const uint8_t *body, size_t len)
{
    struct floe_rbuf r;

    floe_rbuf_init(&r, body, len);
    switch (type) {
    case VD_AGENT_ANNOUNCE_CAPABILITIES:
        return agent_caps_msg(a, &r);
    case VD_AGENT_MONITORS_CONFIG:
        agent_monitors_msg(a, &r);
        return 0;
    case VD_AGENT_DISPLAY_CONFIG:
        return agent_reply(a, VD_AGENT_DISPLAY_CONFIG, VD_AGENT_SUCCESS);
    case VD_AGENT_CLIPBOARD_GRAB: case VD_AGENT_CLIPBOARD_REQUEST:
    case VD_AGENT_CLIPBOARD: case VD_AGENT_CLIPBOARD_RELEASE:
        agent_clip_msg(a, type, &r);
        return 0;
    case VD_AGENT_FILE_XFER_START: case VD_AGENT_FILE_XFER_STATUS:
    case VD_AGENT_FILE_XFER_DATA:
        agent_xfer_msg(a, type, &r);
        return 0;
    case VD_AGENT_MAX_CLIPBOARD:
        agent_max_clipboard_msg(a, &r);
        return 0;
    case VD_AGENT_CLIENT_DISCONNECTED:
        agent_clip_reset(a, 1);
        agent_xfer_cancel_all(a);
        return 0;
    case VD_AGENT_MOUSE_STATE:
        agent_mouse_msg(a, &r);
        return 0;
    case VD_AGENT_GRAPHICS_DEVICE_INFO:
        agent_device_info_msg(a, &r);
        return 0;
    case VD_AGENT_AUDIO_VOLUME_SYNC:
        return 0;
    default:
        agent_error(a, "floe-agent: unknown message type %u on port %u dropped", type, port);
        return 0;
    }
}

/* A message header came whole: refuse it (its bytes then skipped) or make
 * room for its body. */
static void agent_rx_header(struct floe_agent *a, struct agent_rx *rx)
{
    struct floe_rbuf r;

    floe_rbuf_init(&r, rx->hdr, sizeof(rx->hdr));
    spice_vd_agent_header_get(&r, &rx->h);
    if (rx->h.protocol != VD_AGENT_PROTOCOL) {
        agent_error(a, "floe-agent: message of protocol %u (not %u), type %u, dropped",
                    rx->h.protocol, VD_AGENT_PROTOCOL, rx->h.type);
        rx->skip = 1;
    } else if (rx->h.size > a->max_message) {
        agent_error(a, "floe-agent: message type %u of %u bytes is over the limit of %u, dropped",
                    rx->h.type, rx->h.size, a->max_message);
        rx->skip = 1;
    }
}

/* room for `more` body bytes; 0, or -ENOMEM (the message is then skipped) */
static int agent_rx_room(struct agent_rx *rx, size_t more)
{
    size_t cap = rx->cap ? rx->cap : 4096;
    uint8_t *nb;

    if (rx->got + more <= rx->cap)
        return 0;
    while (cap < rx->got + more)
        cap *= 2;
    cap = cap < rx->h.size ? cap : rx->h.size;
    if (!(nb = realloc(rx->body, cap)))
        return -ENOMEM;
    rx->body = nb;
    rx->cap = cap;
    return 0;
}

/* n bytes of port's stream; returns how many were used, or a negative errno */
static long agent_rx_bytes(struct floe_agent *a, uint32_t port, const uint8_t *p, size_t n)
{
    struct agent_rx *rx = &a->rx[port - 1];
    size_t take, used = 0;
    int rc = 0;

    if (rx->hdr_got < sizeof(rx->hdr)) {
        take = sizeof(rx->hdr) - rx->hdr_got;
        take = take < n ? take : n;
        memcpy(rx->hdr + rx->hdr_got, p, take);
        rx->hdr_got += take;
        used = take;
        if (rx->hdr_got < sizeof(rx->hdr))
            return (long)used;
        agent_rx_header(a, rx);
    }
    take = rx->h.size - rx->got;
    take = take < n - used ? take : n - used;
    if (!rx->skip && agent_rx_room(rx, take) < 0) {
        agent_error(a, "floe-agent: no memory for a message of %u bytes", rx->h.size);
        rx->skip = 1;
    }
    if (!rx->skip && take)
        memcpy(rx->body + rx->got, p + used, take);
    rx->got += take;
    used += take;
    if (rx->got == rx->h.size) {
        if (!rx->skip)
            rc = agent_dispatch(a, port, rx->h.type, rx->body, rx->h.size);
        agent_rx_reset(rx);
    }
    return rc < 0 ? rc : (long)used;
}

static int agent_chunk_header(struct floe_agent *a)
{
    struct spice_vdi_chunk_header ch;
    struct floe_rbuf r;

    floe_rbuf_init(&r, a->chdr, sizeof(a->chdr));
    spice_vdi_chunk_header_get(&r, &ch);
    a->chdr_got = 0;
    if (ch.port != VDP_CLIENT_PORT && ch.port != VDP_SERVER_PORT) {
        agent_error(a, "floe-agent: chunk for port %u: the port's stream is broken", ch.port);
        return -EPROTO;
    }
    if (ch.size > VD_AGENT_MAX_DATA_SIZE) {
        agent_error(a, "floe-agent: chunk of %u bytes (at most %u): the port's stream is broken",
                    ch.size, VD_AGENT_MAX_DATA_SIZE);
        return -EPROTO;
    }
    a->chunk_port = ch.port;
    a->chunk_left = ch.size;
    return 0;
}

int floe_agent_feed(struct floe_agent *a, const uint8_t *p, size_t n)
{
    while (n) {
        if (!a->chunk_left) {
            size_t take = sizeof(a->chdr) - a->chdr_got;
            take = take < n ? take : n;
            memcpy(a->chdr + a->chdr_got, p, take);
            a->chdr_got += take;
            p += take;
            n -= take;
            if (a->chdr_got == sizeof(a->chdr)) {
                int rc = agent_chunk_header(a);
                if (rc < 0)
                    return rc;
            }
            continue;
        }
        size_t take = a->chunk_left < n ? a->chunk_left : n;
        long used = agent_rx_bytes(a, a->chunk_port, p, take);
        if (used < 0)
            return (int)used;
        p += used;
        n -= (size_t)used;
        a->chunk_left -= (uint32_t)used;
    }
    return 0;
}
