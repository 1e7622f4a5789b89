/* The demo's built-in guest agent, attached through the server's agent
 * API as a guest's would be: it shares the Notes window's clipboard (UTF-8
 * text, on demand) both ways, and the desktop takes the size of the first
 * monitor clients ask for. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "demo/demo-priv.h"
#include "protocol/spice/messages.h"

/* the largest message the demo reads: a clipboard's text */
#define AGENT_MSG_MAX (FLOE_DEMO_TYPED_MAX + 64)

struct floe_demo_agent {
    struct floe_demo *d;
    struct floe_wbuf out;           /* chunks for the server, sent at the next tick */
    uint8_t chead[SPICE_SIZE_vdi_chunk_header];
    uint32_t chead_len, chunk_port, chunk_left;
    uint8_t head[SPICE_SIZE_vd_agent_header];
    uint32_t head_len;
    struct spice_vd_agent_header hdr;
    uint32_t left;
    uint8_t *body;                  /* NULL: the message is skipped */
    uint32_t body_len;
    int client_grab;                /* a client's clipboard holds text */
    char *clip;                     /* the demo's clipboard, offered to clients */
    int want_w, want_h;             /* a size asked for, made at the next tick; 0 none */
};

/* Queues one message on port 1, in chunks of at most 2048 bytes. */
static void put_msg(struct floe_demo_agent *a, uint32_t type, const void *body, uint32_t len)
{
    struct floe_wbuf m;

    floe_wbuf_init(&m, 0);
    spice_vd_agent_header_put(&m, &(struct spice_vd_agent_header){ VD_AGENT_PROTOCOL, type,
                                                                   0, len });
    floe_put_bytes(&m, body, len);
    for (size_t at = 0; at < m.len;) {
        size_t n = m.len - at > VD_AGENT_MAX_DATA_SIZE ? VD_AGENT_MAX_DATA_SIZE : m.len - at;
        spice_vdi_chunk_header_put(&a->out, &(struct spice_vdi_chunk_header){
                                                VDP_CLIENT_PORT, (uint32_t)n });
        floe_put_bytes(&a->out, m.data + at, n);
        at += n;
    }
    floe_wbuf_free(&m);
}

static void put_u32_msg(struct floe_demo_agent *a, uint32_t type, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

    put_msg(a, type, b, 4);
}

static void announce(struct floe_demo_agent *a, uint32_t request)
{
    /* no files: the demo keeps none */
    uint32_t caps = 1u << VD_AGENT_CAP_MONITORS_CONFIG | 1u << VD_AGENT_CAP_CLIPBOARD_BY_DEMAND |
                    1u << VD_AGENT_CAP_FILE_XFER_DISABLED;
    uint8_t b[8];

    for (int i = 0; i < 4; i++) {
        b[i] = (uint8_t)(request >> (8 * i));
        b[4 + i] = (uint8_t)(caps >> (8 * i));
    }
    put_msg(a, VD_AGENT_ANNOUNCE_CAPABILITIES, b, sizeof(b));
}

static int has_text_type(const uint8_t *types, uint32_t len)
{
    for (uint32_t i = 0; i + 4 <= len; i += 4)
        if (floe_le32(types + i) == VD_AGENT_CLIPBOARD_UTF8_TEXT)
            return 1;
    return 0;
}

static void on_clipboard(struct floe_demo_agent *a, const uint8_t *p, uint32_t len)
{
    if (len < 4 || floe_le32(p) != VD_AGENT_CLIPBOARD_UTF8_TEXT) {
        floe_info("demo agent: a clipboard that is not text, ignored");
        return;
    }
    floe_info("demo agent: %u bytes of text pasted into the notes", len - 4);
    floe_demo_notes_paste(a->d, (const char *)p + 4, len - 4);
}

static void on_request(struct floe_demo_agent *a, const uint8_t *p, uint32_t len)
{
    uint32_t type = len >= 4 ? floe_le32(p) : 0;
    size_t n = a->clip ? strlen(a->clip) : 0;
    uint8_t *b = malloc(4 + n);

    if (!b)
        return;
    memcpy(b, p, 4);
    if (type == VD_AGENT_CLIPBOARD_UTF8_TEXT && n)
        memcpy(b + 4, a->clip, n);
    else
        n = 0;
    put_msg(a, VD_AGENT_CLIPBOARD, b, (uint32_t)(4 + n));
    free(b);
}

static void on_monitors(struct floe_demo_agent *a, const uint8_t *p, uint32_t len)
{
    struct spice_vd_agent_monitors_config mc;
    struct spice_vd_agent_mon_config m = { 0 };
    struct floe_rbuf r;

    floe_rbuf_init(&r, p, len);
    spice_vd_agent_monitors_config_get(&r, &mc);
    if (mc.num_of_monitors)
        spice_vd_agent_mon_config_get(&r, &m);
    if (r.bad || !mc.num_of_monitors)
        return;
    floe_info("demo agent: a client asks for %u monitor%s, the first %ux%u", mc.num_of_monitors,
              mc.num_of_monitors == 1 ? "" : "s", m.width, m.height);
    /* the desktop follows the first monitor asked for, as a guest's display
     * follows its agent (not from inside the server's call: at the tick) */
    a->want_w = (int)(m.width > 16384 ? 16384 : m.width);
    a->want_h = (int)(m.height > 16384 ? 16384 : m.height);
}

static void message(struct floe_demo_agent *a, uint32_t type, const uint8_t *p, uint32_t len)
{
    switch (type) {
    case VD_AGENT_ANNOUNCE_CAPABILITIES:
        if (len >= 4 && floe_le32(p))
            announce(a, 0);
        break;
    case VD_AGENT_CLIPBOARD_GRAB:
        /* on demand: the text is asked for once it was offered */
        a->client_grab = has_text_type(p, len);
        if (a->client_grab)
            put_u32_msg(a, VD_AGENT_CLIPBOARD_REQUEST, VD_AGENT_CLIPBOARD_UTF8_TEXT);
        break;
    case VD_AGENT_CLIPBOARD:
        on_clipboard(a, p, len);
        break;
    case VD_AGENT_CLIPBOARD_REQUEST:
        on_request(a, p, len);
        break;
    case VD_AGENT_CLIPBOARD_RELEASE:
        a->client_grab = 0;
        break;
    case VD_AGENT_MONITORS_CONFIG:
        on_monitors(a, p, len);
        break;
    default:
        break;
    }
}

/* Bytes of a port-1 chunk. */
static void port1(struct floe_demo_agent *a, const uint8_t *p, size_t n)
{
    while (n > 0) {
        if (a->head_len < sizeof(a->head)) {
            struct floe_rbuf r;

            if (!floe_take_head(a->head, &a->head_len, sizeof(a->head), &p, &n))
                return;
            floe_rbuf_init(&r, a->head, sizeof(a->head));
            spice_vd_agent_header_get(&r, &a->hdr);
            a->left = a->hdr.size;
            a->body_len = 0;
            a->body = a->hdr.size <= AGENT_MSG_MAX ? malloc(a->hdr.size + 1) : NULL;
        }
        uint32_t take = a->left < n ? a->left : (uint32_t)n;
        if (a->body)
            memcpy(a->body + a->body_len, p, take);
        a->body_len += take;
        p += take;
        n -= take;
        a->left -= take;
        if (a->left == 0) {
            if (a->body)
                message(a, a->hdr.type, a->body, a->hdr.size);
            free(a->body);
            a->body = NULL;
            a->head_len = 0;
        }
    }
}

/* The server's bytes for the guest: parsed at once, answered at the next tick. */
static int on_write(void *opaque, const uint8_t *p, size_t len)
{
    struct floe_demo_agent *a = opaque;

    while (len > 0) {
        if (a->chead_len < sizeof(a->chead)) {
            if (!floe_take_head(a->chead, &a->chead_len, sizeof(a->chead), &p, &len))
                break;
            a->chunk_port = floe_le32(a->chead);
            a->chunk_left = floe_le32(a->chead + 4);
        }
        uint32_t take = a->chunk_left < len ? a->chunk_left : (uint32_t)len;
        if (a->chunk_port == VDP_CLIENT_PORT)
            port1(a, p, take);
        else if (a->chunk_port == VDP_SERVER_PORT && take >= 8 &&
                 floe_le32(p + 4) == VD_AGENT_CLIENT_DISCONNECTED)
            a->client_grab = 0;
        p += take;
        len -= take;
        a->chunk_left -= take;
        if (a->chunk_left == 0)
            a->chead_len = 0;
    }
    return 0;
}

int floe_demo_agent_init(struct floe_demo *d)
{
    struct floe_demo_agent *a = calloc(1, sizeof(*a));
    int rc;

    if (!a)
        return -ENOMEM;
    a->d = d;
    floe_wbuf_init(&a->out, 0);
    rc = floe_server_agent_attach(d->srv, &(struct floe_agent_port){ on_write, a });
    if (rc < 0) {
        floe_warn("demo agent: not attached (%s)", strerror(-rc));
        floe_wbuf_free(&a->out);
        free(a);
        return 0;   /* the desktop goes on without it */
    }
    d->agent = a;
    announce(a, 0);
    return 0;
}

void floe_demo_agent_tick(struct floe_demo *d)
{
    struct floe_demo_agent *a = d->agent;

    if (!a || a->out.len == 0)
        return;
    if (floe_server_agent_from_guest(d->srv, a->out.data, a->out.len) < 0)
        floe_warn("demo agent: the server refused its bytes");
    a->out.len = 0;
}

int floe_demo_agent_size_asked(struct floe_demo *d, int *w, int *h)
{
    struct floe_demo_agent *a = d->agent;

    if (!a || !a->want_w)
        return 0;
    *w = a->want_w;
    *h = a->want_h;
    a->want_w = a->want_h = 0;
    return 1;
}

void floe_demo_agent_free(struct floe_demo *d)
{
    struct floe_demo_agent *a = d->agent;

    if (!a)
        return;
    floe_server_agent_detach(d->srv);
    floe_wbuf_free(&a->out);
    free(a->body);
    free(a->clip);
    free(a);
    d->agent = NULL;
}

int floe_demo_clipboard_set(struct floe_demo *d, const char *text)
{
    struct floe_demo_agent *a = d->agent;
    char *copy;

    if (!a)
        return -ENOTCONN;
    if (strlen(text) > FLOE_DEMO_TYPED_MAX)
        return -E2BIG;
    if (!(copy = strdup(text)))
        return -ENOMEM;
    free(a->clip);
    a->clip = copy;
    put_u32_msg(a, VD_AGENT_CLIPBOARD_GRAB, VD_AGENT_CLIPBOARD_UTF8_TEXT);
    return 0;
}
