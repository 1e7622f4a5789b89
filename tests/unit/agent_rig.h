/* The test rig of floe-agent's core: the core on one end of a socketpair,
 * the test playing the SPICE server and client on the other (chunks in,
 * chunks out), and what the core handed its owner. Include after cmocka. */
#ifndef FLOE_AGENT_RIG_H
#define FLOE_AGENT_RIG_H

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guest-agent/agent.h"
#include "protocol/spice/messages.h"

struct rig {
    int sv[2];               /* sv[0] the core's port, sv[1] the host's end */
    struct floe_agent *a;
    int feed_rc;
    /* what the owner was handed */
    struct floe_agent_monitor mons[FLOE_AGENT_MAX_MONITORS];
    int mon_calls, mon_rc;
    uint32_t mon_n, mon_flags;
    int clip_calls;
    unsigned clip_sel;
    uint32_t clip_type;
    uint8_t *clip_data;      /* NULL: the client had nothing */
    size_t clip_len;
    int grab_calls;          /* clip_grab_fn: the client's hold, as the owner sees it */
    unsigned grab_sel, grab_n;
    uint32_t grab_types[8];
    int req_calls;           /* clip_request_fn: the client asks for an offer */
    unsigned req_sel;
    uint32_t req_type;
    int mouse_calls;
    uint32_t mouse_x, mouse_y, mouse_buttons;
    char log[512];
};

static int rig_write(void *ctx, const uint8_t *p, size_t n)
{
    struct rig *r = ctx;

    while (n) {
        ssize_t w = write(r->sv[0], p, n);
        if (w < 0)
            return -errno;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int rig_monitors(void *ctx, const struct floe_agent_monitor *m, uint32_t n, uint32_t flags)
{
    struct rig *r = ctx;

    r->mon_calls++;
    r->mon_n = n;
    r->mon_flags = flags;
    memcpy(r->mons, m, n * sizeof(*m));
    return r->mon_rc;
}

static void rig_clip(void *ctx, unsigned sel, uint32_t type, const uint8_t *data, size_t len)
{
    struct rig *r = ctx;

    r->clip_calls++;
    r->clip_sel = sel;
    r->clip_type = type;
    free(r->clip_data);
    r->clip_data = NULL;
    r->clip_len = len;
    if (data) {
        r->clip_data = malloc(len ? len : 1);
        memcpy(r->clip_data, data, len);
    }
}

static void rig_clip_grab(void *ctx, unsigned sel, const uint32_t *types, unsigned n)
{
    struct rig *r = ctx;

    r->grab_calls++;
    r->grab_sel = sel;
    r->grab_n = n;
    if (n)
        memcpy(r->grab_types, types, (n < 8 ? n : 8) * sizeof(*types));
}

static void rig_clip_request(void *ctx, unsigned sel, uint32_t type)
{
    struct rig *r = ctx;

    r->req_calls++;
    r->req_sel = sel;
    r->req_type = type;
}

static void rig_mouse(void *ctx, uint32_t x, uint32_t y, uint32_t buttons, uint8_t display)
{
    struct rig *r = ctx;

    (void)display;
    r->mouse_calls++;
    r->mouse_x = x;
    r->mouse_y = y;
    r->mouse_buttons = buttons;
}

static void rig_log(void *ctx, const char *line)
{
    struct rig *r = ctx;
    snprintf(r->log, sizeof(r->log), "%s", line);
}

/* a core whose port is a socketpair; its capabilities are read and checked
 * by the caller (rig_recv) */
static struct rig *rig_new(const char *xfer_dir)
{
    static const struct floe_agent_ops ops = { .write_fn = rig_write, .monitors_fn = rig_monitors,
                                               .clip_fn = rig_clip, .mouse_fn = rig_mouse,
                                               .clip_grab_fn = rig_clip_grab,
                                               .clip_request_fn = rig_clip_request,
                                               .log_fn = rig_log };
    struct rig *r = calloc(1, sizeof(*r));

    assert_non_null(r);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, r->sv), 0);
    /* room for the largest message the tests make */
    int big = 4 << 20;
    setsockopt(r->sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
    setsockopt(r->sv[1], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    fcntl(r->sv[0], F_SETFL, O_NONBLOCK);
    fcntl(r->sv[1], F_SETFL, O_NONBLOCK);
    r->a = floe_agent_new(&ops, r, xfer_dir);
    assert_non_null(r->a);
    assert_int_equal(floe_agent_start(r->a), 0);
    return r;
}

static void rig_free(struct rig *r)
{
    floe_agent_free(r->a);
    close(r->sv[0]);
    close(r->sv[1]);
    free(r->clip_data);
    free(r);
}

/* everything the host wrote so far goes through the port into the core */
static void rig_pump(struct rig *r)
{
    uint8_t buf[4096];
    ssize_t n;

    while ((n = read(r->sv[0], buf, sizeof(buf))) > 0) {
        int rc = floe_agent_feed(r->a, buf, (size_t)n);
        if (rc < 0)
            r->feed_rc = rc;
    }
}

/* the host writes raw bytes to the port, `cut` at a time (0: at once) */
static void rig_raw(struct rig *r, const uint8_t *p, size_t n, size_t cut)
{
    while (n) {
        size_t k = cut && cut < n ? cut : n;
        assert_int_equal(write(r->sv[1], p, k), (ssize_t)k);
        rig_pump(r);
        p += k;
        n -= k;
    }
}

/* the message's bytes (header and body) as chunks of at most `chunk` bytes
 * on `port`, appended to w */
static void rig_chunks(struct floe_wbuf *w, uint32_t port, uint32_t type, const uint8_t *body,
                       size_t len, size_t chunk)
{
    struct floe_wbuf m;
    struct spice_vd_agent_header h = { .protocol = VD_AGENT_PROTOCOL, .type = type,
                                       .size = (uint32_t)len };

    floe_wbuf_init(&m, 0);
    spice_vd_agent_header_put(&m, &h);
    floe_put_bytes(&m, body, len);
    for (size_t at = 0; at < m.len; at += chunk) {
        size_t k = m.len - at < chunk ? m.len - at : chunk;
        struct spice_vdi_chunk_header ch = { .port = port, .size = (uint32_t)k };
        spice_vdi_chunk_header_put(w, &ch);
        floe_put_bytes(w, m.data + at, k);
    }
    floe_wbuf_free(&m);
}

/* the host sends one message, in chunks of VD_AGENT_MAX_DATA_SIZE */
static void rig_send(struct rig *r, uint32_t port, uint32_t type, const uint8_t *body, size_t len)
{
    struct floe_wbuf w;

    floe_wbuf_init(&w, 0);
    rig_chunks(&w, port, type, body, len, VD_AGENT_MAX_DATA_SIZE);
    rig_raw(r, w.data, w.len, 0);
    floe_wbuf_free(&w);
}

static void rig_send_w(struct rig *r, uint32_t type, struct floe_wbuf *body)
{
    rig_send(r, VDP_CLIENT_PORT, type, body->data, body->len);
    floe_wbuf_free(body);
}

static size_t rig_read_n(struct rig *r, uint8_t *p, size_t n)
{
    size_t got = 0;
    ssize_t k;

    while (got < n && (k = read(r->sv[1], p + got, n - got)) > 0)
        got += (size_t)k;
    return got;
}

/* The next message the core sent, or 0 when none is waiting: it must come
 * whole in one chunk for the client's port. *body (the caller frees) */
static uint32_t rig_recv(struct rig *r, uint8_t **body, size_t *len)
{
    uint8_t hb[SPICE_SIZE_vdi_chunk_header + SPICE_SIZE_vd_agent_header];
    struct spice_vdi_chunk_header ch;
    struct spice_vd_agent_header h;
    struct floe_rbuf rb;
    size_t got = rig_read_n(r, hb, sizeof(hb));

    if (got == 0)
        return 0;
    assert_int_equal(got, sizeof(hb));
    floe_rbuf_init(&rb, hb, sizeof(hb));
    spice_vdi_chunk_header_get(&rb, &ch);
    spice_vd_agent_header_get(&rb, &h);
    assert_int_equal(ch.port, VDP_CLIENT_PORT);
    assert_int_equal(h.protocol, VD_AGENT_PROTOCOL);
    assert_int_equal(ch.size, SPICE_SIZE_vd_agent_header + h.size);   /* one chunk, one message */
    *body = malloc(h.size ? h.size : 1);
    assert_int_equal(rig_read_n(r, *body, h.size), h.size);
    *len = h.size;
    return h.type;
}

/* the next message must be of `type`; returns its body in an rbuf over *body */
static void rig_expect(struct rig *r, uint32_t type, uint8_t **body, struct floe_rbuf *rb)
{
    size_t len = 0;
    uint32_t got = rig_recv(r, body, &len);

    assert_int_equal(got, type);
    floe_rbuf_init(rb, *body, len);
}

static void rig_expect_nothing(struct rig *r)
{
    uint8_t *b = NULL;
    size_t len;
    uint32_t t = rig_recv(r, &b, &len);

    free(b);
    assert_int_equal(t, 0);
}

/* the client announces these caps (request=0), after the core's own */
static void rig_client_caps(struct rig *r, const unsigned *caps, size_t n)
{
    struct spice_vd_agent_announce_capabilities m = { .request = 0 };
    uint32_t words[SPICE_CAPS_WORDS] = { 0 };
    struct floe_wbuf w;
    uint8_t *b;
    struct floe_rbuf rb;

    rig_expect(r, VD_AGENT_ANNOUNCE_CAPABILITIES, &b, &rb);   /* the core's, first */
    free(b);
    for (size_t i = 0; i < n; i++)
        spice_caps_set(words, caps[i]);
    floe_wbuf_init(&w, 0);
    spice_vd_agent_announce_capabilities_put(&w, &m);
    floe_put_u32(&w, words[0]);
    rig_send_w(r, VD_AGENT_ANNOUNCE_CAPABILITIES, &w);
}

/* what remote-viewer announces that matters here */
static const unsigned rig_full_caps[] = {
    VD_AGENT_CAP_MONITORS_CONFIG, VD_AGENT_CAP_REPLY, VD_AGENT_CAP_CLIPBOARD_BY_DEMAND,
    VD_AGENT_CAP_CLIPBOARD_SELECTION, VD_AGENT_CAP_MAX_CLIPBOARD,
    VD_AGENT_CAP_FILE_XFER_DETAILED_ERRORS, VD_AGENT_CAP_MONITORS_CONFIG_POSITION,
};
#define RIG_FULL_CAPS (sizeof(rig_full_caps) / sizeof(rig_full_caps[0]))

#endif
