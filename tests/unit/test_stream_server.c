/* Unit tests for the server's video streams: a box redrawn by
 * floe_server_draw_image at video rate goes to a synced client as
 * STREAM_CREATE and STREAM_DATA (MJPEG frames near the pictures) after the
 * threshold; once it stands still, or a draw overlaps it, the stream ends
 * with the box's exact pixels, then STREAM_DESTROY; pictures elsewhere
 * start none. A client that states MULTI_CODEC and neither MJPEG nor VP8
 * gets the box as pictures; one that prefers MJPEG before its DISPLAY_INIT
 * gets MJPEG. A raw client sees the messages, a libfloe-client the picture. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/unit/raw_session.h"

#include "codecs/jpeg.h"
#include "codecs/raster.h"
#include "floe/client.h"
#include "floe/server.h"
#include "protocol/spice/draw.h"
#include "protocol/spice/stream.h"

#define W 320
#define H 240
#define BX 40      /* the video's box */
#define BY 60
#define BW 160
#define BH 120
#define FRAME_MS 40
#define STARTS_AT 20   /* the 21st picture of the box starts the stream */
#define BODY_MAX (8u << 20)
#define MAX_MSGS 64

#include "tests/unit/image_rig.h"

static struct floe_server_stats stats(struct rig *g)
{
    struct call c = { .op = OP_STATS };

    call(g, &c);
    return c.st;
}

static void sleep_until(int64_t t)
{
    int64_t left = t - now_ms();

    if (left > 0)
        usleep((useconds_t)left * 1000);
}


/* ---- the pictures ---- */

/* Frame t of the video at box pixel (x, y): smooth waves of colour. */
static uint32_t video_px(int x, int y, int t)
{
    double r = 120 + 80 * sin(x * 0.05 + t * 0.3) + 30.0 * y / BH;
    double gr = 110 + 70 * sin(y * 0.06 - t * 0.2) + 20 * cos((x + y) * 0.03);
    double b = 140 + 90 * cos((x - y) * 0.04 + t * 0.25);

    return (uint32_t)r << 16 | (uint32_t)gr << 8 | (uint32_t)b;
}

static void video_frame(uint32_t *pic, int t)
{
    for (int y = 0; y < BH; y++)
        for (int x = 0; x < BW; x++)
            pic[(size_t)(BY + y) * W + BX + x] = video_px(x, y, t);
}

static double psnr_box(const uint32_t *pic, const uint32_t *box)
{
    double se = 0;

    for (int y = 0; y < BH; y++)
        for (int x = 0; x < BW; x++) {
            uint32_t a = pic[(size_t)(BY + y) * W + BX + x], b = box[(size_t)y * BW + x];

            for (int s = 0; s < 24; s += 8) {
                double d = (double)(a >> s & 255) - (double)(b >> s & 255);
                se += d * d;
            }
        }
    se /= (double)BW * BH * 3;
    return se == 0 ? 99 : 10 * log10(255.0 * 255.0 / se);
}

/* The rig showing a still picture: a soft ramp. */
static const uint32_t *first_picture(void)
{
    static uint32_t first[W * H];

    for (int i = 0; i < W * H; i++)
        first[i] = 0x30507000u + (uint32_t)(i % W) / 4;
    return first;
}

static void rig_up_video(struct rig *g)
{
    rig_up(g, first_picture());
}

/* The raw client states the n display capabilities caps and prefers the
 * n_prefs codecs prefs before its DISPLAY_INIT. */
static void rig_up_video_caps(struct rig *g, const int *caps, int n, const uint8_t *prefs,
                              int n_prefs)
{
    rig_up_caps(g, first_picture(), caps, n, prefs, n_prefs);
}

/* ---- what arrives ---- */

struct got {
    int n;
    uint16_t type[MAX_MSGS];
    uint32_t len[MAX_MSGS];
    struct spice_rect box[MAX_MSGS];     /* draws; a stream's dest */
    uint32_t id[MAX_MSGS];               /* stream messages */
    double psnr[MAX_MSGS];               /* STREAM_DATA: its frame against g->exp */
    uint32_t mm_time[MAX_MSGS];
};

static int rect_is(const struct spice_rect *r, int l, int t, int rt, int b)
{
    return r->left == l && r->top == t && r->right == rt && r->bottom == b;
}

static int is_box(const struct spice_rect *r)
{
    return rect_is(r, BX, BY, BX + BW, BY + BH);
}

/* Reads one display message into m (checked as it is parsed). */
static void take(struct rig *g, uint16_t type, uint32_t len, struct got *m)
{
    int i = m->n++;

    assert_true(i < MAX_MSGS);
    m->type[i] = type;
    m->len[i] = len;
    switch (type) {
    case SPICE_MSG_DISPLAY_DRAW_FILL: {
        struct spice_draw_fill f;

        assert_int_equal(spice_draw_fill_parse(g->body, len, &f), 0);
        m->box[i] = f.base.box;
        break;
    }
    case SPICE_MSG_DISPLAY_DRAW_COPY: {
        struct spice_draw_copy dc;

        assert_int_equal(spice_draw_copy_parse(g->body, len, &dc), 0);
        assert_int_equal(dc.base.clip.type, SPICE_CLIP_NONE);
        m->box[i] = dc.base.box;
        break;
    }
    case SPICE_MSG_DISPLAY_STREAM_CREATE: {
        struct spice_stream_create sc;

        assert_int_equal(spice_stream_create_parse(g->body, len, &sc), 0);
        assert_int_equal(sc.surface_id, 0);
        assert_int_equal(sc.codec_type, SPICE_VIDEO_CODEC_TYPE_MJPEG);
        assert_int_equal(sc.flags, SPICE_STREAM_FLAGS_TOP_DOWN);
        assert_int_equal(sc.stream_width, BW);
        assert_int_equal(sc.stream_height, BH);
        assert_int_equal(sc.src_width, BW);
        assert_int_equal(sc.src_height, BH);
        assert_int_equal(sc.clip.type, SPICE_CLIP_NONE);
        m->box[i] = sc.dest;
        m->id[i] = sc.id;
        break;
    }
    case SPICE_MSG_DISPLAY_STREAM_DATA: {
        struct spice_stream_data sd;
        static uint32_t frame[BW * BH];
        struct floe_jpeg *j = floe_jpeg_new();

        assert_int_equal(spice_stream_data_parse(g->body, len, &sd), 0);
        assert_int_equal(floe_jpeg_decode(j, sd.data, sd.data_size, frame, BW, BH, BW * 4), 0);
        floe_jpeg_free(j);
        m->id[i] = sd.id;
        m->mm_time[i] = sd.mm_time;
        m->len[i] = sd.data_size;
        m->psnr[i] = psnr_box(g->exp, frame);
        break;
    }
    case SPICE_MSG_DISPLAY_STREAM_CLIP: {
        struct spice_stream_clip sc;

        assert_int_equal(spice_stream_clip_parse(g->body, len, &sc), 0);
        /* emptied: the client shows no more frames */
        assert_int_equal(sc.clip.type, SPICE_CLIP_RECTS);
        assert_int_equal(sc.clip.num_rects, 0);
        m->id[i] = sc.id;
        break;
    }
    case SPICE_MSG_DISPLAY_STREAM_DESTROY:
        assert_int_equal(spice_stream_destroy_parse(g->body, len, &m->id[i]), 0);
        break;
    case SPICE_MSG_DISPLAY_COPY_BITS:
        break;
    default:
        fail_msg("unexpected display message %u", type);
    }
}

/* Collects what came after the last call, up to a sentinel: a fill of
 * pixel (0,0) with the colour it has (no test's box holds it). */
static void collect(struct rig *g, struct got *m)
{
    struct call c = { .op = OP_FILL, .r = { 0, 0, 1, 1 }, .rgb = g->exp[0] & 0xffffff };

    memset(m, 0, sizeof(*m));
    call(g, &c);
    for (;;) {
        uint32_t len;
        uint16_t type = next_msg(g, 10000, &len);

        if (!type)
            fail_msg("no sentinel DRAW_FILL within 10 s (%d messages before)", m->n);
        take(g, type, len, m);
        if (type == SPICE_MSG_DISPLAY_DRAW_FILL && rect_is(&m->box[m->n - 1], 0, 0, 1, 1)) {
            m->n--;
            return;
        }
    }
}

static int count(const struct got *m, uint16_t type)
{
    int n = 0;

    for (int i = 0; i < m->n; i++)
        n += m->type[i] == type;
    return n;
}

/* Draws the video's frame t (FRAME_MS after the last) and collects. */
static void play(struct rig *g, int t, int64_t *next, struct got *m)
{
    sleep_until(*next);
    *next = now_ms() + FRAME_MS;
    video_frame(g->exp, t);
    call(g, &(struct call){ .op = OP_IMAGE, .r = { BX, BY, BW, BH }, .px = g->exp });
    collect(g, m);
}

/* Plays frames 0..n-1; checks DRAW_COPYs before the threshold, then
 * STREAM_CREATE and a frame, then frames only; returns the stream id. */
static uint32_t play_stream(struct rig *g, int n, size_t *copy_bytes, size_t *data_bytes)
{
    int64_t next = now_ms();
    uint32_t id = 0, last_mm = 0;
    struct got m;

    for (int t = 0; t < n; t++) {
        play(g, t, &next, &m);
        if (t < STARTS_AT) {
            assert_int_equal(count(&m, SPICE_MSG_DISPLAY_STREAM_CREATE), 0);
            assert_int_equal(count(&m, SPICE_MSG_DISPLAY_STREAM_DATA), 0);
            assert_true(count(&m, SPICE_MSG_DISPLAY_DRAW_COPY) >= 1);
            for (int i = 0; i < m.n && copy_bytes; i++)
                *copy_bytes += m.len[i];
            continue;
        }
        if (t == STARTS_AT) {
            if (m.n != 2 || m.type[0] != SPICE_MSG_DISPLAY_STREAM_CREATE)
                fail_msg("picture %d: %d messages, the first %u: want STREAM_CREATE, STREAM_DATA",
                         t, m.n, m.n ? m.type[0] : 0);
            assert_true(is_box(&m.box[0]));
            id = m.id[0];
            m.n--;
            memmove(&m.type[0], &m.type[1], sizeof(m.type[0]));
            memmove(&m.id[0], &m.id[1], sizeof(m.id[0]));
            memmove(&m.len[0], &m.len[1], sizeof(m.len[0]));
            memmove(&m.psnr[0], &m.psnr[1], sizeof(m.psnr[0]));
            memmove(&m.mm_time[0], &m.mm_time[1], sizeof(m.mm_time[0]));
        }
        if (m.n != 1 || m.type[0] != SPICE_MSG_DISPLAY_STREAM_DATA)
            fail_msg("picture %d: %d messages, the first %u: want one STREAM_DATA", t, m.n,
                     m.n ? m.type[0] : 0);
        assert_int_equal(m.id[0], id);
        if (m.psnr[0] < 28)
            fail_msg("picture %d: the stream's frame is %.1f dB from it (28 wanted)", t,
                     m.psnr[0]);
        assert_true(m.mm_time[0] > last_mm);
        last_mm = m.mm_time[0];
        if (data_bytes)
            *data_bytes += m.len[0];
    }
    return id;
}

/* The stream ends: clip emptied, the box's exact pixels, STREAM_DESTROY. */
static void assert_end(const struct got *m, int at, uint32_t id)
{
    assert_true(m->n >= at + 3);
    assert_int_equal(m->type[at], SPICE_MSG_DISPLAY_STREAM_CLIP);
    assert_int_equal(m->id[at], id);
    assert_int_equal(m->type[at + 1], SPICE_MSG_DISPLAY_DRAW_COPY);
    assert_true(is_box(&m->box[at + 1]));
    assert_int_equal(m->type[at + 2], SPICE_MSG_DISPLAY_STREAM_DESTROY);
    assert_int_equal(m->id[at + 2], id);
}

/* ---- the tests ---- */

static void test_stream_plays_and_ends(void **state)
{
    struct rig g;
    struct got m;
    size_t copy_bytes = 0, data_bytes = 0;
    struct floe_server_stats st;
    uint32_t id;
    uint32_t len;
    uint16_t type;

    (void)state;
    rig_up_video(&g);
    id = play_stream(&g, 25, &copy_bytes, &data_bytes);
    print_message("bytes per picture of the %dx%d box: %zu as DRAW_COPY, %zu as an MJPEG frame\n",
                  BW, BH, copy_bytes / STARTS_AT, data_bytes / (25 - STARTS_AT));
    /* nothing before the second of stillness is up */
    memset(&m, 0, sizeof(m));
    assert_int_equal(next_msg(&g, 700, &len), 0);
    while (m.n < 3 && (type = next_msg(&g, 1500, &len)))
        take(&g, type, len, &m);
    assert_end(&m, 0, id);
    assert_picture(&g);
    st = stats(&g);
    assert_int_equal(st.streams, 1);
    /* five frames to each of the two clients, unless one was dropped */
    assert_true(st.stream_frames >= 5 && st.stream_frames <= 10);
    rig_down(&g);
}

static void test_overlap_ends_first(void **state)
{
    struct rig g;
    struct got m;
    struct floe_rect fr = { BX + BW - 20, BY + 10, 60, 30 };
    uint32_t id;

    (void)state;
    rig_up_video(&g);
    id = play_stream(&g, 23, NULL, NULL);
    call(&g, &(struct call){ .op = OP_FILL, .r = fr, .rgb = 0xc04020 });
    for (int y = fr.y; y < fr.y + fr.h; y++)
        for (int x = fr.x; x < fr.x + fr.w; x++)
            g.exp[(size_t)y * W + x] = 0xc04020;
    collect(&g, &m);
    assert_int_equal(m.n, 4);
    assert_end(&m, 0, id);
    assert_int_equal(m.type[3], SPICE_MSG_DISPLAY_DRAW_FILL);
    assert_true(rect_is(&m.box[3], fr.x, fr.y, fr.x + fr.w, fr.y + fr.h));
    assert_picture(&g);
    /* the box drawn again goes as a DRAW_COPY: a new run begins */
    {
        int64_t next = now_ms();

        play(&g, 40, &next, &m);
        assert_int_equal(count(&m, SPICE_MSG_DISPLAY_STREAM_DATA), 0);
        assert_true(count(&m, SPICE_MSG_DISPLAY_DRAW_COPY) >= 1);
    }
    assert_picture(&g);
    assert_int_equal(stats(&g).streams, 1);
    rig_down(&g);
}

/* A draw operation around the video (its bbox spans the box, its clip a
 * ring outside it: a window frame drawn around a player) leaves the stream
 * playing; once the video stands still the picture is exact. */
static void test_draw_around_keeps_stream(void **state)
{
    struct rig g;
    struct got m;
    pixman_region32_t ring;
    struct floe_raster_op op = { .kind = FLOE_RASTER_FILL,
                                 .bbox = { BX - 8, BY - 8, BX + BW + 8, BY + BH + 8 },
                                 .brush = { .kind = FLOE_RASTER_BRUSH_SOLID,
                                            .color = 0x2050a0 },
                                 .rop_descriptor = SPICE_ROPD_OP_PUT };
    pixman_image_t *img;
    pixman_region32_t dmg;
    const char *why = "";
    int64_t next;
    uint32_t id, len;
    uint16_t type;

    (void)state;
    rig_up_video(&g);
    id = play_stream(&g, 23, NULL, NULL);
    pixman_region32_init_rect(&ring, BX - 8, BY - 8, BW + 16, BH + 16);
    pixman_region32_subtract(&ring, &ring,
                             &(pixman_region32_t){ { BX, BY, BX + BW, BY + BH }, NULL });
    op.clip = &ring;
    call(&g, &(struct call){ .op = OP_DRAW, .draw = &op });
    img = pixman_image_create_bits(PIXMAN_x8r8g8b8, W, H, g.exp, W * 4);
    pixman_region32_init(&dmg);
    assert_int_equal(floe_raster_draw(img, &op, &dmg, &why), 0);
    pixman_region32_fini(&dmg);
    pixman_image_unref(img);
    collect(&g, &m);
    assert_int_equal(count(&m, SPICE_MSG_DISPLAY_STREAM_CLIP), 0);
    assert_int_equal(count(&m, SPICE_MSG_DISPLAY_STREAM_DESTROY), 0);
    assert_int_equal(count(&m, SPICE_MSG_DISPLAY_DRAW_FILL), 1);
    /* the video goes on as the same stream */
    next = now_ms();
    play(&g, 23, &next, &m);
    assert_int_equal(count(&m, SPICE_MSG_DISPLAY_STREAM_DATA), 1);
    assert_int_equal(m.id[0], id);
    /* it stands still: the stream ends exact */
    memset(&m, 0, sizeof(m));
    while (m.n < 3 && (type = next_msg(&g, 2500, &len)))
        take(&g, type, len, &m);
    assert_end(&m, 0, id);
    assert_picture(&g);
    pixman_region32_fini(&ring);
    rig_down(&g);
}

/* Small boxes, boxes that move, pictures too far apart: no stream. */
static void test_no_stream_elsewhere(void **state)
{
    struct rig g;
    struct got m;
    int64_t next;

    (void)state;
    rig_up_video(&g);
    next = now_ms();
    for (int t = 0; t < 25; t++) {
        /* 80x80: too small */
        sleep_until(next);
        next = now_ms() + FRAME_MS;
        video_frame(g.exp, t);
        call(&g, &(struct call){ .op = OP_IMAGE, .r = { BX, BY, 80, 80 }, .px = g.exp });
        collect(&g, &m);
        assert_int_equal(count(&m, SPICE_MSG_DISPLAY_STREAM_CREATE), 0);
    }
    for (int t = 0; t < 25; t++) {
        /* the box one pixel further each time */
        struct floe_rect r = { BX + (t % 2), BY, BW - 2, BH };

        sleep_until(next);
        next = now_ms() + FRAME_MS;
        video_frame(g.exp, t + 100);
        call(&g, &(struct call){ .op = OP_IMAGE, .r = r, .px = g.exp });
        collect(&g, &m);
        assert_int_equal(count(&m, SPICE_MSG_DISPLAY_STREAM_CREATE), 0);
    }
    for (int t = 0; t < 25; t++) {
        /* the box at video rate, but text: lines of dark marks on white
         * (the default filter streams photographic pictures only) */
        sleep_until(next);
        next = now_ms() + FRAME_MS;
        for (int y = BY; y < BY + BH; y++)
            for (int x = BX; x < BX + BW; x++)
                g.exp[y * W + x] = (y + t) % 16 < 10 && (x * 7 + y / 16 * 13 + t) % 5 < 2 ?
                                   0x202020u : 0xffffffu;
        call(&g, &(struct call){ .op = OP_IMAGE, .r = { BX, BY, BW, BH }, .px = g.exp });
        collect(&g, &m);
        assert_int_equal(count(&m, SPICE_MSG_DISPLAY_STREAM_CREATE), 0);
    }
    next = now_ms() + 300;   /* the run of text pictures ends */
    for (int t = 0; t < 22; t++) {
        /* the box, but 250 ms apart */
        sleep_until(next);
        next = now_ms() + 250;
        video_frame(g.exp, t + 200);
        call(&g, &(struct call){ .op = OP_IMAGE, .r = { BX, BY, BW, BH }, .px = g.exp });
        collect(&g, &m);
        assert_int_equal(count(&m, SPICE_MSG_DISPLAY_STREAM_CREATE), 0);
    }
    assert_picture(&g);
    assert_int_equal(stats(&g).streams, 0);
    assert_int_equal(stats(&g).stream_frames, 0);
    rig_down(&g);
}

/* MULTI_CODEC without a codec floe has: no stream for it, the box goes as
 * pictures (the libfloe-client beside it streams), and nothing of the
 * stream once it ends; the picture is right. */
static void test_multi_codec_none_gets_pictures(void **state)
{
    static const int caps[] = { SPICE_DISPLAY_CAP_MULTI_CODEC, SPICE_DISPLAY_CAP_CODEC_H264 };
    struct rig g;
    struct got m;
    int64_t next;
    uint32_t len;
    uint16_t type;

    (void)state;
    rig_up_video_caps(&g, caps, 2, NULL, 0);
    next = now_ms();
    for (int t = 0; t < 25; t++) {
        play(&g, t, &next, &m);
        assert_int_equal(count(&m, SPICE_MSG_DISPLAY_STREAM_CREATE), 0);
        assert_int_equal(count(&m, SPICE_MSG_DISPLAY_STREAM_DATA), 0);
        if (count(&m, SPICE_MSG_DISPLAY_DRAW_COPY) < 1)
            fail_msg("picture %d: no DRAW_COPY (%d messages)", t, m.n);
    }
    /* the stream ends for the libfloe-client: nothing of it here */
    while ((type = next_msg(&g, 1800, &len)))
        if (type == SPICE_MSG_DISPLAY_STREAM_CLIP || type == SPICE_MSG_DISPLAY_STREAM_DESTROY)
            fail_msg("message %u of a stream the client never joined", type);
    assert_picture(&g);
    assert_int_equal(stats(&g).streams, 1);
    rig_down(&g);
}

/* PREFERRED_VIDEO_CODEC_TYPE sent before DISPLAY_INIT holds: a client that
 * plays both and prefers MJPEG gets MJPEG (take() checks the codec). */
static void test_preference_before_init(void **state)
{
    static const int caps[] = { SPICE_DISPLAY_CAP_MULTI_CODEC, SPICE_DISPLAY_CAP_CODEC_MJPEG,
                                SPICE_DISPLAY_CAP_CODEC_VP8 };
    static const uint8_t prefs[] = { SPICE_VIDEO_CODEC_TYPE_MJPEG, SPICE_VIDEO_CODEC_TYPE_VP8 };
    struct rig g;

    (void)state;
    rig_up_video_caps(&g, caps, 3, prefs, 2);
    play_stream(&g, 25, NULL, NULL);
    rig_down(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_plays_and_ends),
        cmocka_unit_test(test_overlap_ends_first),
        cmocka_unit_test(test_draw_around_keeps_stream),
        cmocka_unit_test(test_no_stream_elsewhere),
        cmocka_unit_test(test_multi_codec_none_gets_pictures),
        cmocka_unit_test(test_preference_before_init),
    };

    return cmocka_run_group_tests_name("stream_server", tests, NULL, NULL);
}
