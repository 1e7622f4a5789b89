/* A server on its own thread fed pictures by floe_server_draw_image (or
 * operations by floe_server_draw), a raw client on its display channel and
 * a libfloe-client, for the unit tests of updates (test_scroll,
 * test_stream_server, test_server_draw). Include after
 * cmocka.h and tests/unit/raw_session.h, with W, H (the surface) and
 * BODY_MAX (the largest message) defined. */
#ifndef FLOE_TESTS_IMAGE_RIG_H
#define FLOE_TESTS_IMAGE_RIG_H

#include <poll.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "floe/client.h"
#include "floe/server.h"
#include "protocol/spice/stream.h"

/* ---- the server, on its own thread ---- */

enum op { OP_LISTEN, OP_IMAGE, OP_FILL, OP_DRAW, OP_STATS, OP_OFF_CREATE, OP_OFF_DRAW,
          OP_OFF_UPDATE, OP_OFF_DESTROY };

struct call {
    enum op op;
    struct floe_rect r;
    const uint32_t *px;
    uint32_t rgb;
    const struct floe_raster_op *draw;
    uint32_t id;   /* OP_OFF_*: the off-screen surface (r.w x r.h at px, for OP_OFF_CREATE) */
    enum floe_surface_format format;   /* OP_OFF_CREATE: its pixels' (rows of whole words) */
    int rc, port;
    struct floe_server_stats st;
};

static void on_server(struct floe_server *s, void *opaque)
{
    struct call *c = opaque;

    switch (c->op) {
    case OP_LISTEN:
        c->rc = floe_server_listen(s, "127.0.0.1", 0, &c->port);
        if (c->rc == 0)
            c->rc = floe_server_surface_create(s, 0, W, H);
        break;
    case OP_IMAGE:
        /* the pixels at r of a whole W x H picture */
        floe_server_draw_image(s, 0, &c->r, c->px + (size_t)c->r.y * W + c->r.x, W * 4);
        floe_server_frame_end(s);
        break;
    case OP_FILL: floe_server_draw_fill(s, 0, &c->r, c->rgb); break;
    case OP_DRAW: c->rc = floe_server_draw(s, 0, c->draw); break;
    case OP_STATS: floe_server_get_stats(s, &c->st); break;
    case OP_OFF_CREATE:
        c->rc = floe_server_offscreen_create(s, 0, c->id, c->r.w, c->r.h, (uint32_t *)c->px,
                                             (c->r.w * (c->format == FLOE_SURFACE_A8 ? 1 :
                                                        c->format >= FLOE_SURFACE_RGB565 ? 2 : 4) +
                                              3) & ~3,
                                             c->format);
        break;
    case OP_OFF_DRAW: c->rc = floe_server_offscreen_draw(s, 0, c->id, c->draw); break;
    case OP_OFF_UPDATE: floe_server_offscreen_update(s, 0, c->id, &c->r); break;
    case OP_OFF_DESTROY: floe_server_offscreen_destroy(s, 0, c->id); break;
    }
}

/* One test's world: the server, a raw client, a libfloe-client and the
 * picture every one of them should show. */
struct rig {
    struct floe_server_thread *t;
    int port, main_fd, disp;
    uint32_t ack_window, since_ack;
    uint8_t *body;
    struct floe_client *fc;
    uint32_t *exp;
};

static void call(struct rig *g, struct call *c)
{
    assert_int_equal(floe_server_thread_call_wait(g->t, on_server, c), 0);
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The next display message other than SET_ACK and PING (acknowledged as a
 * client does: ACK_SYNC, then an ACK every window), or 0 if none starts
 * within ms; its body in g->body, its size in *len. */
static uint16_t next_msg(struct rig *g, int ms, uint32_t *len)
{
    int64_t end = now_ms() + ms;

    for (;;) {
        struct pollfd p = { g->disp, POLLIN, 0 };
        int64_t left = end - now_ms();
        uint16_t type;
        int pr = poll(&p, 1, left > 0 ? (int)left : 0);

        assert_true(pr >= 0);
        if (pr == 0)
            return 0;
        type = raw_display_read(g->disp, &g->ack_window, &g->since_ack, g->body, BODY_MAX, len);
        if (type)
            return type;
    }
}

/* The display messages one draw_image sent, up to the sentinel fill. */
/* ---- the pictures the clients end with ---- */

static int same(uint32_t a, uint32_t b)
{
    return !((a ^ b) & 0xffffff);
}

/* 1 once the libfloe-client shows g->exp whole; else why not in msg. */
static int client_shows(struct rig *g, char *msg, size_t len)
{
    struct floe_client_canvas cv;
    int ok = floe_client_canvas_lock(g->fc, &cv) == 0 && cv.width == W && cv.height == H;

    snprintf(msg, len, "no %dx%d picture", W, H);
    for (int i = 0; ok && i < W * H; i++) {
        uint32_t px = ((const uint32_t *)((const uint8_t *)cv.pixels +
                                          (size_t)(i / W) * cv.stride))[i % W];

        ok = same(px, g->exp[i]);
        if (!ok)
            snprintf(msg, len, "pixel (%d,%d) is %06x, want %06x", i % W, i / W,
                     px & 0xffffff, g->exp[i] & 0xffffff);
    }
    floe_client_canvas_unlock(g->fc);
    return ok;
}

/* The libfloe-client comes to show g->exp within 10 s. */
static void assert_picture(struct rig *g)
{
    char msg[128];
    int ok = 0;

    for (int i = 0; i < 500 && !(ok = client_shows(g, msg, sizeof(msg))); i++)
        usleep(20000);
    if (!ok)
        fail_msg("libfloe-client after 10 s: %s", msg);
}

/* ---- setting up ---- */

/* A server showing `first`, a raw client synced (it got MARK; its display
 * channel advertising the n capabilities display_caps, and sending
 * PREFERRED_VIDEO_CODEC_TYPE with n_prefs codecs before DISPLAY_INIT when
 * n_prefs is not 0) and a libfloe-client showing it. */
static void rig_up_caps(struct rig *g, const uint32_t *first, const int *display_caps, int n,
                        const uint8_t *prefs, int n_prefs)
{
    static const uint16_t main_init[] = { SPICE_MSG_MAIN_INIT, 0 };
    struct call c = { .op = OP_LISTEN };
    struct spice_main_init init;
    struct floe_rbuf r;
    char err[256];
    uint32_t len;
    uint16_t type;

    memset(g, 0, sizeof(*g));
    g->body = malloc(BODY_MAX);
    g->exp = malloc((size_t)W * H * 4);
    assert_true(g->body && g->exp);
    memcpy(g->exp, first, (size_t)W * H * 4);
    g->t = floe_server_thread_new(&(struct floe_server_options){
        .disable_ticketing = 1, .jpeg_wan = FLOE_WAN_NEVER, .zlib_glz_wan = FLOE_WAN_NEVER });
    assert_non_null(g->t);
    call(g, &c);
    assert_int_equal(c.rc, 0);
    g->port = c.port;
    call(g, &(struct call){ .op = OP_IMAGE, .r = { 0, 0, W, H }, .px = first });

    g->main_fd = raw_link(g->port, 0, SPICE_CHANNEL_MAIN);
    raw_read(g->main_fd, main_init, g->body, BODY_MAX);
    floe_rbuf_init(&r, g->body, SPICE_SIZE_main_init);
    spice_main_init_get(&r, &init);
    g->disp = raw_link_caps(g->port, init.session_id, SPICE_CHANNEL_DISPLAY, display_caps, n);
    if (n_prefs)
        RAW_SEND(g->disp, SPICE_MSGC_DISPLAY_PREFERRED_VIDEO_CODEC_TYPE,
                 spice_preferred_video_codecs_put(&w_, &(struct spice_preferred_video_codecs){
                     (uint8_t)n_prefs, prefs }));
    /* no image cache, no GLZ dictionary */
    RAW_SEND(g->disp, SPICE_MSGC_DISPLAY_INIT,
             spice_display_init_put(&w_, &(struct spice_display_init){ 1, 0, 0, 0 }));
    while ((type = next_msg(g, 10000, &len)) != SPICE_MSG_DISPLAY_MARK)
        if (!type)
            fail_msg("raw client: no MARK within 10 s");

    g->fc = floe_client_new(&(struct floe_client_options){ .host = "127.0.0.1", .port = g->port });
    assert_non_null(g->fc);
    if (floe_client_connect(g->fc, err, sizeof(err)) < 0)
        fail_msg("libfloe-client: %s", err);
    assert_int_equal(floe_client_start(g->fc), 0);
    assert_picture(g);
}

/* The same, its display channel advertising capability display_cap,
 * unless -1. */
static void rig_up_cap(struct rig *g, const uint32_t *first, int display_cap)
{
    rig_up_caps(g, first, &display_cap, display_cap >= 0, NULL, 0);
}

static void rig_up(struct rig *g, const uint32_t *first)
{
    rig_up_cap(g, first, -1);
}

static inline struct floe_server_stats rig_stats(struct rig *g)
{
    struct call c = { .op = OP_STATS };

    call(g, &c);
    return c.st;
}

/* The raw client (with floe's render reports) says rendering took
 * `permille` of its last second; waits until the server took it as
 * `server_rendered` clients rendered for. */
static inline void rig_report(struct rig *g, int permille, int server_rendered)
{
    struct floe_server_stats st;

    RAW_SEND(g->disp, FLOE_MSGC_DISPLAY_RENDER_REPORT,
             spice_floe_render_report_put(&w_, &(struct spice_floe_render_report){
                 1000, 40, (uint32_t)permille * 1000 }));
    for (int i = 0; i < 200; i++) {
        st = rig_stats(g);
        if (st.server_rendered_clients == server_rendered)
            return;
        usleep(10000);
    }
    fail_msg("server_rendered_clients is %d after a report of %d permille, want %d",
             st.server_rendered_clients, permille, server_rendered);
}

static void rig_down(struct rig *g)
{
    floe_client_free(g->fc);
    close(g->disp);
    close(g->main_fd);
    floe_server_thread_free(g->t);
    free(g->body);
    free(g->exp);
}

#endif
