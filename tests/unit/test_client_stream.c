/* Unit tests for libfloe-client's video streams (white-box: they call the
 * display's stream handler): an MJPEG stream's frames land on its area
 * close to the pictures encoded (a PSNR bound: MJPEG is lossy), rows
 * bottom first when the stream is not flagged top-down, scaled to the
 * area, only within the stream's clip and the surface; a new clip holds
 * for later frames; a destroyed stream's frames are bad input; a frame
 * that does not decode is dropped and the stream goes on; bad CREATEs
 * are refused. */
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

static void create(struct rig *r, uint32_t id, uint8_t flags, struct spice_rect dest,
                   const struct spice_rect *clip, int nclip, int want)
{
    struct spice_stream_create m = { .surface_id = 0, .id = id, .flags = flags,
                                     .codec_type = SPICE_VIDEO_CODEC_TYPE_MJPEG,
                                     .stream_width = FW, .stream_height = FH,
                                     .src_width = FW, .src_height = FH, .dest = dest };
    struct floe_wbuf w;

    m.clip.type = nclip ? SPICE_CLIP_RECTS : SPICE_CLIP_NONE;
    m.clip.num_rects = (uint32_t)nclip;
    floe_wbuf_init(&w, 1 << 20);
    spice_stream_create_put(&w, &m, clip);
    assert_int_equal(fcli_stream_message(&r->d, SPICE_MSG_DISPLAY_STREAM_CREATE, w.data, w.len),
                     want);
    floe_wbuf_free(&w);
}

/* Sends a frame of the FW x FH picture (rows as given); returns what the
 * handler returned. */
static int frame(struct rig *r, uint32_t id, const uint32_t *pic, int corrupt)
{
    struct floe_bytes jpg = { 0 };
    struct spice_stream_data m = { .id = id, .mm_time = 1000 };
    struct floe_wbuf w;
    int rc;

    assert_int_equal(floe_jpeg_encode(r->j, pic, FW, FH, FW * 4, 90, &jpg), 0);
    if (corrupt)
        memset(jpg.data + jpg.len / 2, 0xff, jpg.len / 4);
    m.data = jpg.data;
    m.data_size = (uint32_t)jpg.len;
    floe_wbuf_init(&w, 1 << 20);
    spice_stream_data_put(&w, &m);
    rc = fcli_stream_message(&r->d, SPICE_MSG_DISPLAY_STREAM_DATA, w.data, w.len);
    floe_wbuf_free(&w);
    floe_bytes_free(&jpg);
    return rc;
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
                                             w.len), 0);
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
        assert_int_equal(fcli_stream_message(&r.d, SPICE_MSG_DISPLAY_STREAM_CLIP, w.data, w.len), 0);
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
                                             sizeof(body)), -EBADMSG);
    }
    rig_down(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames_land),
        cmocka_unit_test(test_bottom_up_scaled_clipped),
        cmocka_unit_test(test_bad_create),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
