/* Unit tests for libfloe-client's video streams (white-box: they call the
 * display's stream handler): an MJPEG stream's frames land on its area
 * close to the pictures encoded (a PSNR bound: MJPEG is lossy), rows
 * bottom first when the stream is not flagged top-down, scaled to the
 * area, only within the stream's clip and the surface; a new clip holds
 * for later frames; a destroyed stream's frames are bad input; a frame
 * that does not decode is dropped and the stream goes on; bad CREATEs
 * are refused. With the server's clock set (MAIN INIT, MULTI_MEDIA_TIME),
 * frames play at their stamps: one ahead is held and drawn when the loop
 * reaches its time (a clock set back makes it wait longer), one stamped
 * 0 or more than 5 s ahead is drawn as it comes; one late by
 * more than a frame's slack is dropped as late, as is a held one the loop
 * reaches too late or that a newer due frame passes; one stamped before a
 * frame drawn is dropped, frames held out of order play in stamp order;
 * at most FLOE_CLIENT_HELD_FRAMES are held (the oldest dropped); after
 * STREAM_ACTIVATE_REPORT, STREAM_REPORTs count each window's frames and
 * drops (max_window_size frames, timeout_ms, or three drops in a row) with
 * the last frame's delay, and a stream of a codec not played says so;
 * STREAM_DESTROY and DESTROY_ALL drop the frames held. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "client/display.h"
#include "codecs/jpeg.h"
#include "protocol/spice/stream.h"

#define W 64
#define H 48
#define FW 32
#define FH 24

struct rig {
    struct fcli_display d;
    struct fcli_surface *s;
    struct floe_jpeg *j;
    struct fcli_mm_clock clock;
    int64_t now;                /* the monotonic time messages come at */
};

static void rig_up(struct rig *r)
{
    int err;

    fcli_display_init(&r->d, 1u << 20);
    r->s = fcli_surface_new(0, W, H, SPICE_SURFACE_FMT_32_xRGB, SPICE_SURFACE_FLAG_PRIMARY, &err);
    assert_non_null(r->s);
    r->d.surfaces[0] = r->s;
    r->d.primary = r->s;
    memset(pixman_image_get_data(r->s->image), 0, (size_t)pixman_image_get_stride(r->s->image) * H);
    r->j = floe_jpeg_new();
    assert_non_null(r->j);
    memset(&r->clock, 0, sizeof(r->clock));
    r->now = 1;
}

static void rig_down(struct rig *r)
{
    fcli_display_fini(&r->d);
    floe_jpeg_free(r->j);
}

static uint32_t px(const struct rig *r, int x, int y)
{
    return pixman_image_get_data(r->s->image)[y * (pixman_image_get_stride(r->s->image) / 4) + x] &
           0xffffff;
}

/* A smooth picture MJPEG keeps well: a gradient per channel, `t` moving it. */
static void picture(uint32_t *p, int w, int h, int t)
{
    /* triangle waves: no edge where a value wraps */
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int a = (x * 8 + t) % 512, b = (x * 3 + y * 5 + t) % 512;

            p[y * w + x] = (uint32_t)(a < 256 ? a : 511 - a) << 16 | (uint32_t)(y * 255 / h) << 8 |
                           (uint32_t)(b < 256 ? b : 511 - b);
        }
}

static void create_coded(struct rig *r, uint32_t id, uint8_t flags, struct spice_rect dest,
                         const struct spice_rect *clip, int nclip, int want, uint8_t codec)
{
    struct spice_stream_create m = { .surface_id = 0, .id = id, .flags = flags,
                                     .codec_type = codec,
                                     .stream_width = FW, .stream_height = FH,
                                     .src_width = FW, .src_height = FH, .dest = dest };
    struct floe_wbuf w;

    m.clip.type = nclip ? SPICE_CLIP_RECTS : SPICE_CLIP_NONE;
    m.clip.num_rects = (uint32_t)nclip;
    floe_wbuf_init(&w, 1 << 20);
    spice_stream_create_put(&w, &m, clip);
    assert_int_equal(fcli_stream_message(&r->d, SPICE_MSG_DISPLAY_STREAM_CREATE, w.data, w.len,
                                         r->now), want);
    floe_wbuf_free(&w);
}

static void create(struct rig *r, uint32_t id, uint8_t flags, struct spice_rect dest,
                   const struct spice_rect *clip, int nclip, int want)
{
    create_coded(r, id, flags, dest, clip, nclip, want, SPICE_VIDEO_CODEC_TYPE_MJPEG);
}

/* Sends a frame of the FW x FH picture (rows as given) stamped mm at
 * r->now; returns what the handler returned. */
static int frame_at(struct rig *r, uint32_t id, const uint32_t *pic, int corrupt, uint32_t mm)
{
    struct floe_bytes jpg = { 0 };
    struct spice_stream_data m = { .id = id, .mm_time = mm };
    struct floe_wbuf w;
    int rc;

    assert_int_equal(floe_jpeg_encode(r->j, pic, FW, FH, FW * 4, 90, &jpg), 0);
    if (corrupt)
        memset(jpg.data + jpg.len / 2, 0xff, jpg.len / 4);
    m.data = jpg.data;
    m.data_size = (uint32_t)jpg.len;
    floe_wbuf_init(&w, 1 << 20);
    spice_stream_data_put(&w, &m);
    rc = fcli_stream_message(&r->d, SPICE_MSG_DISPLAY_STREAM_DATA, w.data, w.len, r->now);
    floe_wbuf_free(&w);
    floe_bytes_free(&jpg);
    return rc;
}

/* A frame with no clock to play by: drawn as it comes. */
static int frame(struct rig *r, uint32_t id, const uint32_t *pic, int corrupt)
{
    return frame_at(r, id, pic, corrupt, 1000);
}

/* PSNR of the surface's area at (x0,y0) against the first w columns of
 * `want` (FW x h, scaled by sx, sy: surface pixel (x, y) shows want's
 * (x / sx, y / sy), its rows turned over with flip). */
static double psnr(const struct rig *r, int x0, int y0, const uint32_t *want, int w, int h, int sx,
                   int sy, int flip)
{
    double se = 0;
    int n = 0;

    for (int y = 0; y < h * sy; y++)
        for (int x = 0; x < w * sx; x++) {
            uint32_t a = px(r, x0 + x, y0 + y);
            uint32_t b = want[(flip ? h - 1 - y / sy : y / sy) * FW + x / sx];

            for (int c = 0; c < 24; c += 8) {
                double e = (double)((a >> c) & 0xff) - (double)((b >> c) & 0xff);

                se += e * e;
                n++;
            }
        }
    return se == 0 ? 99 : 10 * log10(255.0 * 255.0 * n / se);
}

static void test_frames_land(void **st)
{
    static uint32_t pic[FW * FH];
    struct rig r;
    double q;

    (void)st;
    rig_up(&r);
    picture(pic, FW, FH, 0);
    create(&r, 3, SPICE_STREAM_FLAGS_TOP_DOWN, (struct spice_rect){ .left = 10, .top = 5,
           .right = 10 + FW, .bottom = 5 + FH }, NULL, 0, 0);
    assert_int_equal(frame(&r, 3, pic, 0), 0);
    q = psnr(&r, 10, 5, pic, FW, FH, 1, 1, 0);
    if (q < 30)
        fail_msg("the frame's area is %.1f dB from the picture", q);
    assert_int_equal(px(&r, 9, 5), 0);
    assert_int_equal(px(&r, 10 + FW, 5), 0);
    assert_int_equal(px(&r, 10, 4), 0);
    assert_int_equal(r.d.stream_frames, 1);
    assert_int_equal(r.d.streams_created, 1);
    /* the next frame replaces it */
    picture(pic, FW, FH, 90);
    assert_int_equal(frame(&r, 3, pic, 0), 0);
    q = psnr(&r, 10, 5, pic, FW, FH, 1, 1, 0);
    if (q < 30)
        fail_msg("the second frame's area is %.1f dB from its picture", q);
    /* a frame that does not decode is dropped, the stream goes on */
    assert_int_equal(frame(&r, 3, pic, 1), 0);
    assert_int_equal(r.d.stream_drops, 1);
    /* destroyed: its frames are bad input */
    {
        struct floe_wbuf w;

        floe_wbuf_init(&w, 64);
        spice_stream_destroy_put(&w, 3);
        assert_int_equal(fcli_stream_message(&r.d, SPICE_MSG_DISPLAY_STREAM_DESTROY, w.data,
                                             w.len, r.now), 0);
        floe_wbuf_free(&w);
    }
    assert_int_equal(frame(&r, 3, pic, 0), -EBADMSG);
    rig_down(&r);
}

static void test_bottom_up_scaled_clipped(void **st)
{
    static uint32_t pic[FW * FH];
    /* the stream's area is twice the frame's size; its clip is the left half */
    struct spice_rect clip = { .left = 0, .top = 0, .right = FW, .bottom = H };
    struct spice_rect dest = { .left = 0, .top = 0, .right = 2 * FW, .bottom = 2 * FH };
    struct rig r;
    double q;

    (void)st;
    rig_up(&r);
    picture(pic, FW, FH, 40);
    create(&r, 0, 0, dest, &clip, 1, 0);
    assert_int_equal(frame(&r, 0, pic, 0), 0);
    /* not flagged top-down: the frame's first row is the area's bottom row */
    q = psnr(&r, 0, 0, pic, FW / 2, FH, 2, 2, 1);
    if (q < 25)
        fail_msg("the scaled, turned frame is %.1f dB from the picture", q);
    for (int y = 0; y < H; y++)
        assert_int_equal(px(&r, FW + 3, y), 0);   /* outside the clip */
    /* a new clip: the right half only; the left keeps the last frame */
    {
        struct spice_stream_clip c = { .id = 0 };
        struct spice_rect right = { .left = FW, .top = 0, .right = 2 * FW, .bottom = H };
        struct floe_wbuf w;
        uint32_t kept = px(&r, 5, 5);

        c.clip.type = SPICE_CLIP_RECTS;
        c.clip.num_rects = 1;
        floe_wbuf_init(&w, 1 << 10);
        spice_stream_clip_put(&w, &c, &right);
        assert_int_equal(fcli_stream_message(&r.d, SPICE_MSG_DISPLAY_STREAM_CLIP, w.data, w.len,
                                             r.now), 0);
        floe_wbuf_free(&w);
        picture(pic, FW, FH, 200);
        assert_int_equal(frame(&r, 0, pic, 0), 0);
        assert_int_equal(px(&r, 5, 5), kept);
        assert_true(px(&r, FW + 3, 5) != 0);
    }
    rig_down(&r);
}

static void test_bad_create(void **st)
{
    struct rig r;
    struct spice_rect dest = { .left = 0, .top = 0, .right = FW, .bottom = FH };

    (void)st;
    rig_up(&r);
    create(&r, FLOE_CLIENT_MAX_STREAMS, SPICE_STREAM_FLAGS_TOP_DOWN, dest, NULL, 0, -EBADMSG);
    create(&r, 1, SPICE_STREAM_FLAGS_TOP_DOWN, (struct spice_rect){ .left = 5, .top = 0,
           .right = 5, .bottom = 4 }, NULL, 0, -EBADMSG);
    assert_int_equal(r.d.streams_created, 0);
    /* a frame for a stream never made: id 1, time 0, no data */
    {
        static const uint8_t body[12] = { 1 };

        assert_int_equal(fcli_stream_message(&r.d, SPICE_MSG_DISPLAY_STREAM_DATA, body,
                                             sizeof(body), r.now), -EBADMSG);
    }
    rig_down(&r);
}

/* ---- playing at the frames' times ---- */

#define AX 10                   /* the area of the playing tests' stream */
#define AY 5
#define MM0 50000u              /* the server's clock when the tests start */
#define T0 1000                 /* ... read at this monotonic time */

/* The session's clock reads mm now (MAIN INIT or MULTI_MEDIA_TIME). */
static void clock_at(struct rig *r, uint32_t mm)
{
    fcli_mm_clock_set(&r->clock, mm, r->now);
    r->d.mm_clock = &r->clock;
}

/* The loop plays the frames due at `now`; returns how many it drew. */
static int play(struct rig *r, int64_t now)
{
    r->now = now;
    return fcli_streams_play(&r->d, now);
}

/* Picture k of a sequence: each far from the others. */
static const uint32_t *pic_n(int k)
{
    static uint32_t pics[8][FW * FH];
    static int made;

    if (!made) {
        for (int i = 0; i < 8; i++)
            picture(pics[i], FW, FH, 61 * i);
        made = 1;
    }
    return pics[k];
}

/* The stream's area shows picture k (close to it, as MJPEG gives it). */
static int shows(const struct rig *r, int k)
{
    return psnr(r, AX, AY, pic_n(k), FW, FH, 1, 1, 0) >= 30;
}

static int area_black(const struct rig *r)
{
    for (int y = AY; y < AY + FH; y++)
        for (int x = AX; x < AX + FW; x++)
            if (px(r, x, y))
                return 0;
    return 1;
}

/* A clock from T0 reading MM0 and stream 3 on the area. */
static void play_rig(struct rig *r)
{
    rig_up(r);
    r->now = T0;
    clock_at(r, MM0);
    create(r, 3, SPICE_STREAM_FLAGS_TOP_DOWN, (struct spice_rect){ .left = AX, .top = AY,
           .right = AX + FW, .bottom = AY + FH }, NULL, 0, 0);
    /* the pictures differ: a frame shown is told from the others */
    for (int i = 1; i < 8; i++) {
        double se = 0;

        for (int p = 0; p < FW * FH; p++) {
            double e = (double)(pic_n(i)[p] & 0xff) - (double)(pic_n(i - 1)[p] & 0xff);

            se += e * e;
        }
        assert_true(10 * log10(255.0 * 255.0 * FW * FH / (se + 1)) < 25);
    }
}

static void test_held_until_time(void **state)
{
    struct rig r;

    (void)state;
    play_rig(&r);
    /* stamped 400 ms ahead of the clock: held */
    assert_int_equal(frame_at(&r, 3, pic_n(0), 0, MM0 + 400), 0);
    assert_true(area_black(&r));
    assert_int_equal(r.d.streams[3].n_held, 1);
    assert_int_equal(fcli_streams_next_ms(&r.d, T0), T0 + 400);
    assert_int_equal(play(&r, T0 + 399), 0);
    assert_true(area_black(&r));
    assert_int_equal(play(&r, T0 + 400), 1);
    assert_true(shows(&r, 0));
    assert_int_equal(r.d.stream_frames, 1);
    assert_int_equal(r.d.streams[3].n_held, 0);
    assert_int_equal(fcli_streams_next_ms(&r.d, r.now), -1);
    /* a frame that comes late by less than a frame's slack is drawn at once */
    r.now = T0 + 450;
    assert_int_equal(frame_at(&r, 3, pic_n(1), 0, MM0 + 440), 0);
    assert_true(shows(&r, 1));
    assert_int_equal(r.d.stream_frames, 2);
    /* MULTI_MEDIA_TIME sets the clock back 300 ms: a held frame waits longer */
    assert_int_equal(frame_at(&r, 3, pic_n(2), 0, MM0 + 600), 0);
    assert_int_equal(fcli_streams_next_ms(&r.d, r.now), T0 + 600);
    r.now = T0 + 460;
    clock_at(&r, MM0 + 160);
    assert_int_equal(fcli_streams_next_ms(&r.d, r.now), T0 + 900);
    assert_int_equal(play(&r, T0 + 899), 0);
    assert_true(shows(&r, 1));
    assert_int_equal(play(&r, T0 + 900), 1);
    assert_true(shows(&r, 2));
    /* stamps off the clock (0: not stamped; far ahead: another clock) are
     * drawn as they come, and the frames stamped on it after them play */
    assert_int_equal(frame_at(&r, 3, pic_n(3), 0, 0), 0);
    assert_true(shows(&r, 3));
    assert_int_equal(frame_at(&r, 3, pic_n(4), 0, MM0 + 600 + 6000), 0);
    assert_true(shows(&r, 4));
    assert_int_equal(frame_at(&r, 3, pic_n(5), 0, MM0 + 700), 0);
    assert_true(shows(&r, 4));
    assert_int_equal(play(&r, T0 + 1000), 1);
    assert_true(shows(&r, 5));
    assert_int_equal(r.d.stream_frames, 6);
    assert_int_equal(r.d.stream_drops, 0);
    assert_int_equal(r.d.stream_late, 0);
    rig_down(&r);
}

static void test_late_dropped(void **state)
{
    struct rig r;

    (void)state;
    play_rig(&r);
    /* 100 ms late, more than a frame (40 ms before the stream's pace is known) */
    assert_int_equal(frame_at(&r, 3, pic_n(0), 0, MM0 - 100), 0);
    assert_true(area_black(&r));
    assert_int_equal(r.d.stream_late, 1);
    /* two frames held, 40 ms apart; the loop wakes after both were due: the
     * older is late, the newer, late by less than 40 ms, is drawn */
    assert_int_equal(frame_at(&r, 3, pic_n(1), 0, MM0 + 100), 0);
    assert_int_equal(frame_at(&r, 3, pic_n(2), 0, MM0 + 140), 0);
    assert_int_equal(play(&r, T0 + 150), 1);
    assert_true(shows(&r, 2));
    assert_int_equal(r.d.stream_late, 2);
    /* held, then the loop wakes 60 ms after its time: late, not drawn */
    assert_int_equal(frame_at(&r, 3, pic_n(3), 0, MM0 + 180), 0);
    assert_int_equal(play(&r, T0 + 240), 0);
    assert_true(shows(&r, 2));
    assert_int_equal(r.d.stream_frames, 1);
    assert_int_equal(r.d.stream_late, 3);
    assert_int_equal(r.d.stream_drops, 3);
    assert_int_equal(r.d.streams[3].n_held, 0);
    rig_down(&r);
}

static void test_stamps_back(void **state)
{
    struct rig r;

    (void)state;
    play_rig(&r);
    /* held out of order: played in the order of their stamps */
    assert_int_equal(frame_at(&r, 3, pic_n(0), 0, MM0 + 100), 0);
    assert_int_equal(frame_at(&r, 3, pic_n(1), 0, MM0 + 60), 0);
    assert_int_equal(r.d.stream_reordered, 1);
    assert_int_equal(play(&r, T0 + 60), 1);
    assert_true(shows(&r, 1));
    assert_int_equal(play(&r, T0 + 100), 1);
    assert_true(shows(&r, 0));
    /* stamped before the frame shown (and due): dropped, not late */
    assert_int_equal(frame_at(&r, 3, pic_n(2), 0, MM0 + 90), 0);
    assert_true(shows(&r, 0));
    /* ... and ahead of the clock: dropped too, not held */
    clock_at(&r, MM0);
    assert_int_equal(frame_at(&r, 3, pic_n(2), 0, MM0 + 80), 0);
    assert_int_equal(r.d.streams[3].n_held, 0);
    assert_int_equal(play(&r, T0 + 200), 0);
    assert_true(shows(&r, 0));
    assert_int_equal(r.d.stream_reordered, 2);
    assert_int_equal(r.d.stream_drops, 2);
    assert_int_equal(r.d.stream_late, 0);
    assert_int_equal(r.d.stream_frames, 2);
    rig_down(&r);
}

static void test_held_bounded(void **state)
{
    struct rig r;
    uint64_t bytes = 0;
    int n = FLOE_CLIENT_HELD_FRAMES + 8;

    (void)state;
    play_rig(&r);
    for (int i = 0; i < n; i++)
        assert_int_equal(frame_at(&r, 3, pic_n(i % 8), 0, MM0 + 100 + 10 * (uint32_t)i), 0);
    /* the oldest went to make room */
    assert_int_equal(r.d.streams[3].n_held, FLOE_CLIENT_HELD_FRAMES);
    assert_int_equal(r.d.stream_drops, 8);
    assert_int_equal(r.d.stream_late, 0);
    assert_int_equal(r.d.streams[3].held[0].mm_time, MM0 + 100 + 80);
    for (int i = 0; i < r.d.streams[3].n_held; i++)
        bytes += r.d.streams[3].held[i].size;
    assert_int_equal(r.d.held_bytes, bytes);
    /* all due at once: the newest is drawn */
    assert_int_equal(play(&r, T0 + 100 + 10 * (n - 1)), 1);
    assert_true(shows(&r, (n - 1) % 8));
    assert_int_equal(r.d.stream_late, FLOE_CLIENT_HELD_FRAMES - 1);
    assert_int_equal(r.d.held_bytes, 0);
    rig_down(&r);
}

static void activate(struct rig *r, uint32_t id, uint32_t unique, uint32_t window,
                     uint32_t timeout_ms)
{
    struct spice_stream_activate_report m = { id, unique, window, timeout_ms };
    struct floe_wbuf w;

    floe_wbuf_init(&w, 64);
    spice_stream_activate_report_put(&w, &m);
    assert_int_equal(fcli_stream_message(&r->d, SPICE_MSG_DISPLAY_STREAM_ACTIVATE_REPORT, w.data,
                                         w.len, r->now), 0);
    floe_wbuf_free(&w);
}

static void expect_report(struct rig *r, uint32_t id, uint32_t start, uint32_t end,
                          uint32_t frames, uint32_t drops, int32_t delay)
{
    struct spice_stream_report rep[FLOE_CLIENT_REPORTS_OUT];

    assert_int_equal(fcli_stream_reports_take(&r->d, rep, FLOE_CLIENT_REPORTS_OUT), 1);
    assert_int_equal(rep[0].stream_id, id);
    assert_int_equal(rep[0].unique_id, 7);
    assert_int_equal(rep[0].start_frame_mm_time, start);
    assert_int_equal(rep[0].end_frame_mm_time, end);
    assert_int_equal(rep[0].num_frames, frames);
    assert_int_equal(rep[0].num_drops, drops);
    assert_int_equal(rep[0].last_frame_delay, delay);
    assert_int_equal(rep[0].audio_delay, UINT32_MAX);
}

static void test_reports(void **state)
{
    struct spice_stream_report rep[FLOE_CLIENT_REPORTS_OUT];
    struct rig r;

    (void)state;
    play_rig(&r);
    activate(&r, 3, 7, 5, 1000);
    /* five frames: two in time, two that come late, one ahead */
    assert_int_equal(frame_at(&r, 3, pic_n(0), 0, MM0 + 200), 0);
    r.now = T0 + 40;
    assert_int_equal(frame_at(&r, 3, pic_n(1), 0, MM0 + 240), 0);
    assert_int_equal(play(&r, T0 + 200), 1);
    assert_int_equal(play(&r, T0 + 240), 1);
    r.now = T0 + 400;
    assert_int_equal(frame_at(&r, 3, pic_n(2), 0, MM0 + 280), 0);
    assert_int_equal(frame_at(&r, 3, pic_n(3), 0, MM0 + 320), 0);
    assert_int_equal(fcli_stream_reports_take(&r.d, rep, FLOE_CLIENT_REPORTS_OUT), 0);
    r.now = T0 + 410;
    assert_int_equal(frame_at(&r, 3, pic_n(4), 0, MM0 + 600), 0);
    expect_report(&r, 3, MM0 + 200, MM0 + 600, 5, 2, 190);
    assert_int_equal(r.d.stream_frames, 2);
    assert_int_equal(r.d.stream_late, 2);
    /* a window ends after timeout_ms too; the frames that fell late while
     * it ran count in it */
    r.now = T0 + 420;
    assert_int_equal(frame_at(&r, 3, pic_n(5), 0, MM0 + 640), 0);
    r.now = T0 + 1420;
    assert_int_equal(frame_at(&r, 3, pic_n(6), 0, MM0 + 1640), 0);
    expect_report(&r, 3, MM0 + 640, MM0 + 1640, 2, 2, 220);
    /* three dropped in a row: reported at once */
    r.now = T0 + 2000;
    assert_int_equal(frame_at(&r, 3, pic_n(7), 0, MM0 + 1850), 0);
    assert_int_equal(frame_at(&r, 3, pic_n(0), 0, MM0 + 1860), 0);
    assert_int_equal(fcli_stream_reports_take(&r.d, rep, FLOE_CLIENT_REPORTS_OUT), 0);
    assert_int_equal(frame_at(&r, 3, pic_n(1), 0, MM0 + 1870), 0);
    expect_report(&r, 3, MM0 + 1850, MM0 + 1870, 3, 3, -130);
    /* a stream this client cannot play says so when asked for reports */
    create_coded(&r, 4, SPICE_STREAM_FLAGS_TOP_DOWN, (struct spice_rect){ .left = 0, .top = 0,
                 .right = FW, .bottom = FH }, NULL, 0, 0, SPICE_VIDEO_CODEC_TYPE_H264);
    activate(&r, 4, 9, 5, 1000);
    assert_int_equal(fcli_stream_reports_take(&r.d, rep, FLOE_CLIENT_REPORTS_OUT), 1);
    assert_int_equal(rep[0].stream_id, 4);
    assert_int_equal(rep[0].unique_id, 9);
    assert_int_equal(rep[0].num_frames, 0);
    assert_int_equal(rep[0].num_drops, UINT32_MAX);
    /* a stream that was never made is bad input */
    {
        static const uint8_t body[16] = { 9 };

        assert_int_equal(fcli_stream_message(&r.d, SPICE_MSG_DISPLAY_STREAM_ACTIVATE_REPORT, body,
                                             sizeof(body), r.now), -EBADMSG);
        assert_int_equal(fcli_stream_message(&r.d, SPICE_MSG_DISPLAY_STREAM_ACTIVATE_REPORT, body,
                                             15, r.now), -EBADMSG);
    }
    rig_down(&r);
}

static void test_destroy_drops_held(void **state)
{
    struct floe_wbuf w;
    struct rig r;

    (void)state;
    play_rig(&r);
    for (int i = 0; i < 3; i++)
        assert_int_equal(frame_at(&r, 3, pic_n(i), 0, MM0 + 100 + 40 * (uint32_t)i), 0);
    assert_true(r.d.held_bytes > 0);
    floe_wbuf_init(&w, 64);
    spice_stream_destroy_put(&w, 3);
    assert_int_equal(fcli_stream_message(&r.d, SPICE_MSG_DISPLAY_STREAM_DESTROY, w.data, w.len,
                                         r.now), 0);
    floe_wbuf_free(&w);
    assert_int_equal(r.d.stream_drops, 3);
    assert_int_equal(r.d.held_bytes, 0);
    assert_int_equal(fcli_streams_next_ms(&r.d, r.now), -1);
    assert_int_equal(play(&r, T0 + 1000), 0);
    assert_true(area_black(&r));
    /* DESTROY_ALL too */
    create(&r, 3, SPICE_STREAM_FLAGS_TOP_DOWN, (struct spice_rect){ .left = AX, .top = AY,
           .right = AX + FW, .bottom = AY + FH }, NULL, 0, 0);
    assert_int_equal(frame_at(&r, 3, pic_n(0), 0, MM0 + 2000), 0);
    assert_int_equal(fcli_stream_message(&r.d, SPICE_MSG_DISPLAY_STREAM_DESTROY_ALL, NULL, 0,
                                         r.now), 0);
    assert_int_equal(r.d.stream_drops, 4);
    assert_int_equal(r.d.held_bytes, 0);
    assert_int_equal(play(&r, T0 + 3000), 0);
    assert_true(area_black(&r));
    assert_int_equal(r.d.stream_frames, 0);
    rig_down(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames_land),
        cmocka_unit_test(test_bottom_up_scaled_clipped),
        cmocka_unit_test(test_bad_create),
        cmocka_unit_test(test_held_until_time),
        cmocka_unit_test(test_late_dropped),
        cmocka_unit_test(test_stamps_back),
        cmocka_unit_test(test_held_bounded),
        cmocka_unit_test(test_reports),
        cmocka_unit_test(test_destroy_drops_held),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
