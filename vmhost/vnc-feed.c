/* The framebuffer feed (see vnc-feed.h): libuv pipe, RFB handshake, a local
 * framebuffer kept by applying protocol/rfb's parsed rectangles. */
#include "vmhost/vnc-feed.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/rfb/rfb.h"

/* A Raw rectangle is parsed whole, so the read buffer holds up to the largest
 * one plus its header and whatever came after it. */
#define READ_CHUNK 65536
#define READ_LIMIT ((size_t)FLOE_RFB_MAX_PIXELS * FLOE_RFB_BPP + 2 * READ_CHUNK)

/* QEMU's VNC server looks for changes on a timer that starts at 30 ms and
 * grows by 50 ms at each look that finds none, up to 3 s; any client message
 * other than the four basic ones (an update request is one of those) sets it
 * back to 30 ms counted from the last look. After a still moment input thus
 * brings a look at once, before the guest has answered it, and the next one
 * 80 ms later. For a while after each input the feed sends, more often than
 * every 30 ms, a message QEMU drops: the release of keycode 0, a key nobody
 * pressed. The looks then stay 30 ms apart, as QEMU's own SPICE server's do. */
#define NUDGE_PERIOD_MS 20
#define NUDGE_WINDOW_MS 1000   /* after the last key or pointer event */

enum state { ST_CONNECTING, ST_VERSION, ST_SECURITY, ST_SEC_RESULT, ST_SERVER_INIT, ST_RUNNING,
             ST_CLOSED };

struct floe_vnc_feed {
    uv_pipe_t pipe;
    uv_timer_t nudge;
    uint64_t nudge_until;          /* loop time the nudges stop at */
    int open_handles;
    uv_connect_t connect_req;
    struct floe_vnc_feed_cbs cbs;
    void *opaque;
    char *path;
    enum state state;
    int closing, closed, want_free;
    uint8_t *in;
    size_t in_len, in_cap;
    struct floe_rfb_parser parser;
    uint32_t *fb;
    int fb_w, fb_h;
    int ext_keys;
    int request_pending, need_full;
    int update_real, update_resized;     /* what the update being read held */
    unsigned long updates, rects;
};

struct write_req {
    uv_write_t req;
    uv_buf_t buf;
    uint8_t data[];
};

static void feed_destroy(struct floe_vnc_feed *feed)
{
    free(feed->in);
    free(feed->fb);
    free(feed->path);
    free(feed);
}

/* Called once per handle; the feed is closed when the last one is. */
static void close_cb(uv_handle_t *h)
{
    struct floe_vnc_feed *feed = h->data;

    if (--feed->open_handles > 0)
        return;
    feed->closed = 1;
    if (feed->want_free)
        feed_destroy(feed);
}

static void start_close(struct floe_vnc_feed *feed)
{
    feed->state = ST_CLOSED;
    if (!feed->closing) {
        feed->closing = 1;
        uv_close((uv_handle_t *)&feed->pipe, close_cb);
        uv_close((uv_handle_t *)&feed->nudge, close_cb);
    }
}

static void feed_fail(struct floe_vnc_feed *feed, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void feed_fail(struct floe_vnc_feed *feed, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (feed->state == ST_CLOSED)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    start_close(feed);
    if (feed->cbs.error && !feed->want_free)
        feed->cbs.error(feed->opaque, msg);
}

static void write_cb(uv_write_t *req, int status)
{
    struct floe_vnc_feed *feed = req->data;

    free(req);
    if (status < 0 && status != UV_ECANCELED)
        feed_fail(feed, "write to the VNC server failed: %s", uv_strerror(status));
}

/* Sends what w holds and frees it. */
static void feed_send(struct floe_vnc_feed *feed, struct floe_wbuf *w)
{
    struct write_req *wr;
    int ret;

    if (w->failed) {
        floe_wbuf_free(w);
        feed_fail(feed, "out of memory");
        return;
    }
    wr = malloc(sizeof(*wr) + w->len);
    if (!wr) {
        floe_wbuf_free(w);
        feed_fail(feed, "out of memory");
        return;
    }
    memcpy(wr->data, w->data, w->len);
    wr->buf = uv_buf_init((char *)wr->data, (unsigned)w->len);
    wr->req.data = feed;
    floe_wbuf_free(w);
    ret = uv_write(&wr->req, (uv_stream_t *)&feed->pipe, &wr->buf, 1, write_cb);
    if (ret < 0) {
        free(wr);
        feed_fail(feed, "write to the VNC server failed: %s", uv_strerror(ret));
    }
}

static void send_request(struct floe_vnc_feed *feed)
{
    struct floe_wbuf w;

    floe_wbuf_init(&w, 64);
    floe_rfb_put_update_request(&w, !feed->need_full, 0, 0, (uint16_t)feed->fb_w,
                                (uint16_t)feed->fb_h);
    feed->request_pending = 1;
    feed->need_full = 0;
    feed_send(feed, &w);
}

static int resize_fb(struct floe_vnc_feed *feed, int w, int h)
{
    uint32_t *fb = calloc((size_t)w * h, 4);

    if (!fb) {
        feed_fail(feed, "out of memory for a %dx%d framebuffer", w, h);
        return -ENOMEM;
    }
    free(feed->fb);
    feed->fb = fb;
    feed->fb_w = w;
    feed->fb_h = h;
    if (feed->cbs.resize)
        feed->cbs.resize(feed->opaque, w, h);
    return 0;
}

/* ---- the handshake, one step per state ---- */

static int step_version(struct floe_vnc_feed *feed, const uint8_t *p, size_t n, size_t *used)
{
    struct floe_wbuf w;
    int major, minor, ret = floe_rfb_parse_version(p, n, &major, &minor, used);

    if (ret == -EPROTONOSUPPORT)
        feed_fail(feed, "VNC server speaks RFB %d.%d; 3.8 is needed", major, minor);
    else if (ret < 0)
        feed_fail(feed, "VNC server sent no RFB version string");
    if (ret <= 0)
        return ret;
    floe_wbuf_init(&w, 64);
    floe_rfb_put_version(&w);
    feed_send(feed, &w);
    feed->state = ST_SECURITY;
    return 1;
}

static int step_security(struct floe_vnc_feed *feed, const uint8_t *p, size_t n, size_t *used)
{
    struct floe_rfb_security sec;
    struct floe_wbuf w;
    char reason[256] = "";
    int ret = floe_rfb_parse_security(p, n, &sec, reason, sizeof(reason), used), i;

    if (ret < 0)
        feed_fail(feed, "VNC server sent a bad security type list");
    if (ret <= 0)
        return ret;
    if (sec.n == 0) {
        feed_fail(feed, "VNC server refused the connection: %s", reason);
        return -ECONNREFUSED;
    }
    for (i = 0; i < sec.n && sec.types[i] != FLOE_RFB_SEC_NONE; i++)
        ;
    if (i == sec.n) {
        feed_fail(feed, "VNC server does not offer security type None");
        return -ENOTSUP;
    }
    floe_wbuf_init(&w, 64);
    floe_rfb_put_security_choice(&w, FLOE_RFB_SEC_NONE);
    feed_send(feed, &w);
    feed->state = ST_SEC_RESULT;
    return 1;
}

static int step_sec_result(struct floe_vnc_feed *feed, const uint8_t *p, size_t n, size_t *used)
{
    struct floe_wbuf w;
    char reason[256] = "";
    uint32_t status;
    int ret = floe_rfb_parse_security_result(p, n, &status, reason, sizeof(reason), used);

    if (ret < 0)
        feed_fail(feed, "VNC server sent a bad security result");
    if (ret <= 0)
        return ret;
    if (status != 0) {
        feed_fail(feed, "VNC security handshake failed: %s", reason);
        return -EACCES;
    }
    floe_wbuf_init(&w, 64);
    floe_rfb_put_client_init(&w, 1);
    feed_send(feed, &w);
    feed->state = ST_SERVER_INIT;
    return 1;
}

static int step_server_init(struct floe_vnc_feed *feed, const uint8_t *p, size_t n, size_t *used)
{
    static const int32_t encodings[] = {
        FLOE_RFB_ENC_COPYRECT, FLOE_RFB_ENC_HEXTILE, FLOE_RFB_ENC_RAW, FLOE_RFB_ENC_DESKTOP_SIZE,
        FLOE_RFB_ENC_QEMU_EXT_KEY,
    };
    struct floe_rfb_server_init si;
    struct floe_wbuf w;
    int ret = floe_rfb_parse_server_init(p, n, &si, used);

    if (ret < 0)
        feed_fail(feed, "VNC server sent a bad ServerInit (size or name over the limits)");
    if (ret <= 0)
        return ret;
    if (resize_fb(feed, si.width, si.height) < 0)
        return -ENOMEM;
    floe_rfb_parser_init(&feed->parser, si.width, si.height);
    floe_wbuf_init(&w, 256);
    floe_rfb_put_set_pixel_format(&w, &floe_rfb_xrgb);
    floe_rfb_put_set_encodings(&w, encodings, sizeof(encodings) / sizeof(encodings[0]));
    feed_send(feed, &w);
    feed->state = ST_RUNNING;
    feed->need_full = 1;
    send_request(feed);
    return 1;
}

/* ---- the running connection ---- */

static void apply_raw(struct floe_vnc_feed *feed, const struct floe_rfb_rect *rc)
{
    const uint8_t *src = rc->pixels;
    int x, y;

    for (y = 0; y < rc->h; y++) {
        uint32_t *dst = feed->fb + (size_t)(rc->y + y) * feed->fb_w + rc->x;

        for (x = 0; x < rc->w; x++, src += 4)
            dst[x] = floe_le32(src) & 0xffffff;
    }
    if (feed->cbs.damage && rc->w && rc->h)
        feed->cbs.damage(feed->opaque, rc->x, rc->y, rc->w, rc->h,
                         feed->fb + (size_t)rc->y * feed->fb_w + rc->x, feed->fb_w * 4);
}

/* Hextile, asked for before Raw: a one-colour 16x16 tile is a byte instead
 * of 1 KiB, so a screen of few colours comes in a fraction of the bytes
 * (half of a 1024x768 screen filled: 1.5 KB instead of 1.5 MB, read at once
 * rather than a socket buffer at a time) before the server can go on. */
static int apply_hextile(struct floe_vnc_feed *feed, const struct floe_rfb_rect *rc)
{
    uint32_t *at = feed->fb + (size_t)rc->y * feed->fb_w + rc->x;

    if (floe_rfb_hextile_decode(rc->pixels, rc->size, rc->w, rc->h, at, (size_t)feed->fb_w) < 0)
        return -EBADMSG;
    if (feed->cbs.damage && rc->w && rc->h)
        feed->cbs.damage(feed->opaque, rc->x, rc->y, rc->w, rc->h, at, feed->fb_w * 4);
    return 0;
}

static void apply_copy(struct floe_vnc_feed *feed, const struct floe_rfb_rect *rc)
{
    size_t row = (size_t)rc->w * 4;
    int i, y;

    /* rows overlapping downwards are copied bottom first */
    for (i = 0; i < rc->h; i++) {
        y = rc->src_y < rc->y ? rc->h - 1 - i : i;
        memmove(feed->fb + (size_t)(rc->y + y) * feed->fb_w + rc->x,
                feed->fb + (size_t)(rc->src_y + y) * feed->fb_w + rc->src_x, row);
    }
    if (feed->cbs.copy && rc->w && rc->h)
        feed->cbs.copy(feed->opaque, rc->src_x, rc->src_y, rc->x, rc->y, rc->w, rc->h);
}

static int apply_rect(struct floe_vnc_feed *feed, const struct floe_rfb_rect *rc)
{
    feed->rects++;
    switch (rc->encoding) {
    case FLOE_RFB_ENC_RAW:
        feed->update_real = 1;
        apply_raw(feed, rc);
        return 0;
    case FLOE_RFB_ENC_HEXTILE:
        feed->update_real = 1;
        return apply_hextile(feed, rc);
    case FLOE_RFB_ENC_COPYRECT:
        feed->update_real = 1;
        apply_copy(feed, rc);
        return 0;
    case FLOE_RFB_ENC_DESKTOP_SIZE:
        feed->update_resized = 1;
        return resize_fb(feed, rc->w, rc->h);
    case FLOE_RFB_ENC_QEMU_EXT_KEY:
        feed->ext_keys = 1;
        return 0;
    }
    return 0;
}

/* An update holding only pseudo-rectangles can come unasked (QEMU sends the
 * extended key and desktop size ones when they happen), so only one with
 * pixels, or an empty one, answers the outstanding request. */
static void end_update(struct floe_vnc_feed *feed)
{
    feed->updates++;
    if (feed->update_resized)
        feed->need_full = 1;
    if (feed->update_real)
        feed->request_pending = 0;
    feed->update_real = feed->update_resized = 0;
    if (feed->cbs.update)
        feed->cbs.update(feed->opaque);
    if (feed->state == ST_RUNNING && !feed->request_pending)
        send_request(feed);
}

static int step_running(struct floe_vnc_feed *feed, const uint8_t *p, size_t n, size_t *used)
{
    struct floe_rfb_msg msg;
    int ret = floe_rfb_parse(&feed->parser, p, n, &msg, used);

    if (ret < 0)
        feed_fail(feed, "VNC server sent bad data: %s", feed->parser.error);
    if (ret <= 0)
        return ret;
    switch (msg.type) {
    case FLOE_RFB_MSG_UPDATE_BEGIN:
        if (msg.u.nrects == 0)
            feed->update_real = 1;
        break;
    case FLOE_RFB_MSG_RECT:
        ret = apply_rect(feed, &msg.u.rect);
        if (ret == -EBADMSG)
            feed_fail(feed, "VNC server sent a hextile rectangle that does not decode");
        if (ret < 0)
            return ret;
        break;
    case FLOE_RFB_MSG_UPDATE_END:
        end_update(feed);
        break;
    default:
        break;
    }
    return 1;
}

static int step(struct floe_vnc_feed *feed, const uint8_t *p, size_t n, size_t *used)
{
    switch (feed->state) {
    case ST_VERSION: return step_version(feed, p, n, used);
    case ST_SECURITY: return step_security(feed, p, n, used);
    case ST_SEC_RESULT: return step_sec_result(feed, p, n, used);
    case ST_SERVER_INIT: return step_server_init(feed, p, n, used);
    case ST_RUNNING: return step_running(feed, p, n, used);
    default: return -EPIPE;
    }
}

static void process(struct floe_vnc_feed *feed)
{
    size_t off = 0, used;
    int ret;

    for (;;) {
        used = 0;
        ret = step(feed, feed->in + off, feed->in_len - off, &used);
        if (ret <= 0 || feed->state == ST_CLOSED)
            break;
        off += used;
    }
    if (feed->state == ST_CLOSED)
        return;
    memmove(feed->in, feed->in + off, feed->in_len - off);
    feed->in_len -= off;
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct floe_vnc_feed *feed = h->data;
    size_t cap = feed->in_cap;
    uint8_t *in;

    *buf = uv_buf_init(NULL, 0);
    if (cap - feed->in_len < READ_CHUNK) {
        cap = cap ? cap * 2 : 4 * READ_CHUNK;
        if (cap < feed->in_len + READ_CHUNK)
            cap = feed->in_len + READ_CHUNK;
        if (cap > READ_LIMIT)
            return;
        in = realloc(feed->in, cap);
        if (!in)
            return;
        feed->in = in;
        feed->in_cap = cap;
    }
    *buf = uv_buf_init((char *)feed->in + feed->in_len, (unsigned)(feed->in_cap - feed->in_len));
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct floe_vnc_feed *feed = s->data;

    if (nread == UV_ENOBUFS) {
        feed_fail(feed, "VNC server message too large to buffer");
        return;
    }
    if (nread == UV_EOF || nread == UV_ECONNRESET) {
        feed_fail(feed, "VNC server closed the connection");
        return;
    }
    if (nread < 0) {
        feed_fail(feed, "reading from the VNC server failed: %s", uv_strerror((int)nread));
        return;
    }
    feed->in_len += (size_t)nread;
    process(feed);
}

static void connect_cb(uv_connect_t *req, int status)
{
    struct floe_vnc_feed *feed = req->data;
    int ret;

    if (status == UV_ECANCELED)
        return;
    if (status < 0) {
        feed_fail(feed, "cannot connect to the VNC socket %s: %s", feed->path,
                  uv_strerror(status));
        return;
    }
    feed->state = ST_VERSION;
    ret = uv_read_start((uv_stream_t *)&feed->pipe, alloc_cb, read_cb);
    if (ret < 0)
        feed_fail(feed, "cannot read from the VNC socket: %s", uv_strerror(ret));
}

struct floe_vnc_feed *floe_vnc_feed_new(uv_loop_t *loop, const char *path,
                                        const struct floe_vnc_feed_cbs *cbs, void *opaque)
{
    struct floe_vnc_feed *feed = calloc(1, sizeof(*feed));

    if (!feed)
        return NULL;
    feed->path = strdup(path);
    if (!feed->path || uv_pipe_init(loop, &feed->pipe, 0) < 0) {
        free(feed->path);
        free(feed);
        return NULL;
    }
    feed->pipe.data = feed;
    if (uv_timer_init(loop, &feed->nudge) < 0) {
        feed->open_handles = 1;
        feed->want_free = feed->closing = 1;
        uv_close((uv_handle_t *)&feed->pipe, close_cb);
        return NULL;
    }
    feed->nudge.data = feed;
    feed->open_handles = 2;
    if (cbs)
        feed->cbs = *cbs;
    feed->opaque = opaque;
    feed->connect_req.data = feed;
    feed->state = ST_CONNECTING;
    uv_pipe_connect(&feed->connect_req, &feed->pipe, path, connect_cb);
    return feed;
}

void floe_vnc_feed_free(struct floe_vnc_feed *feed)
{
    if (!feed)
        return;
    feed->want_free = 1;
    if (!feed->closing)
        start_close(feed);
    else if (feed->closed)
        feed_destroy(feed);
}

static void nudge_cb(uv_timer_t *t)
{
    struct floe_vnc_feed *feed = t->data;
    struct floe_wbuf w;

    if (feed->state != ST_RUNNING || uv_now(t->loop) >= feed->nudge_until) {
        uv_timer_stop(t);
        return;
    }
    floe_wbuf_init(&w, 16);
    floe_rfb_put_qemu_key(&w, 0, 0, 0);
    feed_send(feed, &w);
}

/* Keeps QEMU looking for changes every 30 ms for NUDGE_WINDOW_MS from now;
 * only a server that takes QEMU's key events gets the nudges. */
static void nudge_start(struct floe_vnc_feed *feed)
{
    if (!feed->ext_keys || feed->closing || feed->state != ST_RUNNING)
        return;
    feed->nudge_until = uv_now(feed->nudge.loop) + NUDGE_WINDOW_MS;
    if (!uv_is_active((uv_handle_t *)&feed->nudge))
        uv_timer_start(&feed->nudge, nudge_cb, NUDGE_PERIOD_MS, NUDGE_PERIOD_MS);
}

static void send_key(struct floe_vnc_feed *feed, int down, uint32_t keycode)
{
    struct floe_wbuf w;

    floe_wbuf_init(&w, 64);
    floe_rfb_put_qemu_key(&w, down, 0, keycode);
    feed_send(feed, &w);
}

int floe_vnc_feed_key(struct floe_vnc_feed *feed, uint32_t xt_scancode, int down)
{
    uint32_t keycode = floe_rfb_xt_keycode(xt_scancode);

    if (feed->state != ST_RUNNING)
        return -EAGAIN;
    if (!feed->ext_keys)
        return -ENOTSUP;
    if (!keycode)
        return -EINVAL;
    send_key(feed, down, keycode);
    nudge_start(feed);
    return 0;
}

void floe_vnc_feed_nudge(struct floe_vnc_feed *feed)
{
    nudge_start(feed);
}

int floe_vnc_feed_pointer(struct floe_vnc_feed *feed, int x, int y, unsigned buttons)
{
    struct floe_wbuf w;

    if (feed->state != ST_RUNNING)
        return -EAGAIN;
    x = x < 0 ? 0 : x >= feed->fb_w ? feed->fb_w - 1 : x;
    y = y < 0 ? 0 : y >= feed->fb_h ? feed->fb_h - 1 : y;
    floe_wbuf_init(&w, 64);
    floe_rfb_put_pointer(&w, (uint8_t)buttons, (uint16_t)x, (uint16_t)y);
    feed_send(feed, &w);
    nudge_start(feed);
    return 0;
}

const uint32_t *floe_vnc_feed_pixels(const struct floe_vnc_feed *feed, int *w, int *h)
{
    *w = feed->fb_w;
    *h = feed->fb_h;
    return feed->fb;
}

int floe_vnc_feed_has_ext_keys(const struct floe_vnc_feed *feed)
{
    return feed->ext_keys;
}

void floe_vnc_feed_stats(const struct floe_vnc_feed *feed, unsigned long *updates,
                         unsigned long *rects)
{
    *updates = feed->updates;
    *rects = feed->rects;
}
