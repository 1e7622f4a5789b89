/* Unit tests for the SPICE GLZ codec: QEMU's GLZ tiles over its LZ screen
 * against QEMU's screendump, round trips through the window, and bad input. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/unit/test_util.h"
#include "tests/unit/glz_capture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/glz.h"
#include "codecs/lz.h"

/* Captured from QEMU's SPICE server (image-compression=glz, std VGA, SeaBIOS
 * opening its boot menu on Escape): the LZ_RGB screen it sent first, then
 * the GLZ_RGB tiles of its DRAW_COPYs in order, and QMP's screendump after.
 * The .seq records are: left, top, width, height (u16 LE), image type (u8),
 * aux (u32 LE: glz_data_size for ZLIB_GLZ_RGB), length (u32 LE), payload. */
#define GOLDEN_BASE "tests/unit/data/glz-seabios-menu-base.lz"
#define GOLDEN_SEQ "tests/unit/data/glz-seabios-menu.seq"
#define GOLDEN_PNG "tests/unit/data/glz-seabios-menu.png"
#define SCREEN_W 720
#define SCREEN_H 400

/* ------------------------------------------------------------------------ */
/* helpers */

/* Decodes an exact-size copy, so ASan sees any read past the end. */
static int decode_copy(struct floe_glz_window *w, const uint8_t *in, size_t len, uint32_t *out,
                       int width, int height)
{
    uint8_t *copy = dup_exact(in, len);
    int ret = floe_glz_decode(w, copy, len, out, width, height, width * 4, NULL);

    free(copy);
    return ret;
}

static uint32_t *decode_tile(struct floe_glz_window *w, const struct tile *t)
{
    uint32_t *px = malloc((size_t)t->w * t->h * 4);

    assert_non_null(px);
    assert_int_equal(t->type, FLOE_GLZ_IMAGE_TYPE);
    assert_int_equal(decode_copy(w, t->data, t->len, px, t->w, t->h), 0);
    return px;
}

/* A window that has decoded tiles [0, n). */
static struct floe_glz_window *window_after(const struct tile *t, int n)
{
    struct floe_glz_window *w = floe_glz_window_new(0);

    assert_non_null(w);
    for (int i = 0; i < n; i++)
        free(decode_tile(w, &t[i]));
    return w;
}

/* ------------------------------------------------------------------------ */
/* the reference encoder */

static void test_golden_screen(void **state)
{
    size_t base_len, seq_len;
    uint8_t *base = read_file(GOLDEN_BASE, &base_len);
    uint8_t *seq = read_file(GOLDEN_SEQ, &seq_len);
    uint32_t *screen = malloc(SCREEN_W * SCREEN_H * 4);
    struct floe_glz_window *w = floe_glz_window_new(0);
    struct tile t[64];
    int n, crossing = 0;

    (void)state;
    assert_non_null(screen);
    assert_non_null(w);
    n = read_tiles(seq, seq_len, t, 64);
    assert_int_equal(n, 34);
    assert_int_equal(floe_lz_decode(base, base_len, screen, SCREEN_W, SCREEN_H, SCREEN_W * 4,
                                    NULL), 0);
    for (int i = 0; i < n; i++) {
        struct floe_glz_info info;
        uint32_t *px = decode_tile(w, &t[i]);
        struct floe_glz_window *alone = floe_glz_window_new(0);
        uint32_t *scratch = malloc((size_t)t[i].w * t[i].h * 4);

        assert_int_equal(floe_glz_peek(t[i].data, t[i].len, &info), 0);
        assert_int_equal(info.type, FLOE_GLZ_RGB32);
        assert_true(info.top_down);
        assert_int_equal(info.id, (uint64_t)i);
        /* the tiles copy glyphs out of earlier tiles: alone they fail */
        if (floe_glz_decode(alone, t[i].data, t[i].len, scratch, t[i].w, t[i].h, t[i].w * 4,
                            NULL) == -EBADMSG)
            crossing++;
        put_tile(screen, SCREEN_W, &t[i], px);
        free(scratch);
        floe_glz_window_free(alone);
        free(px);
    }
    assert_true(crossing >= 10);
    /* the reference kept every tile: its window is far larger than them */
    assert_int_equal(floe_glz_window_images(w), (size_t)n);
    expect_screen(screen, GOLDEN_PNG, SCREEN_W, SCREEN_H);
    floe_glz_window_free(w);
    free(screen);
    free(seq);
    free(base);
}

/* Every prefix of every tile is refused and leaves the window as it was. */
static void test_golden_truncated(void **state)
{
    size_t seq_len;
    uint8_t *seq = read_file(GOLDEN_SEQ, &seq_len);
    struct tile t[64];
    int n = read_tiles(seq, seq_len, t, 64);
    struct floe_glz_window *w = floe_glz_window_new(0);

    (void)state;
    for (int i = 0; i < n; i++) {
        uint32_t *px = malloc((size_t)t[i].w * t[i].h * 4);

        for (size_t k = 0; k < t[i].len; k++) {
            if (decode_copy(w, t[i].data, k, px, t[i].w, t[i].h) != -EBADMSG)
                fail_msg("tile %d: prefix of %zu bytes accepted", i, k);
            assert_int_equal(floe_glz_window_images(w), (size_t)i);
        }
        assert_int_equal(decode_copy(w, t[i].data, t[i].len, px, t[i].w, t[i].h), 0);
        free(px);
    }
    floe_glz_window_free(w);
    free(seq);
}

/* Flipping any one byte of any tile never crashes or reads out of bounds. */
static void test_golden_corrupted(void **state)
{
    size_t seq_len;
    uint8_t *seq = read_file(GOLDEN_SEQ, &seq_len);
    struct tile t[64];
    int n = read_tiles(seq, seq_len, t, 64), refused = 0;

    (void)state;
    for (int i = 0; i < n; i++) {
        struct floe_glz_window *w = window_after(t, i);
        uint32_t *px = malloc((size_t)t[i].w * t[i].h * 4);
        uint8_t *copy = dup_exact(t[i].data, t[i].len);

        for (size_t k = 0; k < t[i].len; k++) {
            int ret;

            copy[k] ^= 0xff;
            ret = floe_glz_decode(w, copy, t[i].len, px, t[i].w, t[i].h, t[i].w * 4, NULL);
            assert_true(ret == 0 || ret == -EBADMSG);
            refused += ret != 0;
            copy[k] = t[i].data[k];
            if (ret == 0) {  /* it joined the window: start again without it */
                floe_glz_window_free(w);
                w = window_after(t, i);
            }
        }
        free(copy);
        free(px);
        floe_glz_window_free(w);
    }
    assert_true(refused > (int)seq_len / 2);
    free(seq);
}

/* ------------------------------------------------------------------------ */
/* round trips */

static uint32_t rng_state = 12345;

static uint32_t rnd(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

/* A picture of w x h with stride_px words a row; kind picks the content. */
static uint32_t *make_picture(int w, int h, int stride_px, int kind, bool alpha)
{
    uint32_t *p = malloc((size_t)stride_px * h * 4);

    assert_non_null(p);
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < stride_px; x++) {
            uint32_t v;

            switch (kind) {
            case 0: v = 0x00336699u; break;                                   /* flat */
            case 1: v = rnd() & 0xffffffu; break;                             /* noise */
            case 2: v = (uint32_t)(x * 255 / (w ? w : 1)) << 16 | (uint32_t)(y & 255) << 8 |
                        (uint32_t)((x + y) & 255); break;                     /* gradient */
            default: v = ((x / 8 + y / 16) % 5) * 0x00203040u + ((x % 8) == (y % 7)) * 0xffu;
            }
            if (alpha)
                v |= (kind == 1 ? rnd() : (uint32_t)(x * 7 + y)) << 24;
            p[(size_t)y * stride_px + x] = x < w ? v : 0xdeadbeefu;
        }
    }
    return p;
}

/* Encodes with d, decodes with w, expects the same pixels (alpha 0 unless
 * alpha); returns the stream's size. */
static size_t round_trip(struct floe_glz_dict *d, struct floe_glz_window *w, const uint32_t *p,
                         int width, int height, int stride_px, bool alpha)
{
    struct floe_bytes out = { 0 };
    struct floe_glz_info info;
    uint32_t *dec = malloc((size_t)(width + 2) * height * 4);
    size_t len;

    assert_non_null(dec);
    memset(dec, 0xa5, (size_t)(width + 2) * height * 4);
    assert_int_equal(floe_glz_encode(d, p, width, height, stride_px * 4, alpha, &out), 0);
    assert_int_equal(decode_copy(w, out.data, out.len, dec, width, height), 0);
    assert_int_equal(floe_glz_peek(out.data, out.len, &info), 0);
    assert_int_equal(info.has_alpha, alpha);
    for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
            uint32_t want = p[(size_t)y * stride_px + x] & (alpha ? ~0u : 0x00ffffffu);

            if (dec[(size_t)y * width + x] != want)
                fail_msg("%dx%d pixel %d,%d: %08x, want %08x", width, height, x, y,
                         dec[(size_t)y * width + x], want);
        }
    }
    /* a wider output stride leaves the padding alone */
    assert_int_equal(floe_glz_window_images(w) > 0, 1);
    len = out.len;
    floe_bytes_free(&out);
    free(dec);
    return len;
}

static void test_round_trip_shapes(void **state)
{
    static const int sizes[][2] = { { 1, 1 }, { 2, 1 }, { 1, 3 }, { 3, 3 }, { 7, 5 }, { 33, 9 },
                                    { 101, 17 }, { 640, 48 }, { 1, 300 } };
    struct floe_glz_dict *d = floe_glz_dict_new(1 << 22);
    struct floe_glz_window *w = floe_glz_window_new(1 << 22);

    (void)state;
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        for (int kind = 0; kind < 4; kind++) {
            for (int pad = 0; pad < 3; pad += 2) {
                for (int alpha = 0; alpha < 2; alpha++) {
                    int wd = sizes[s][0], ht = sizes[s][1];
                    uint32_t *p = make_picture(wd, ht, wd + pad, kind, alpha);

                    round_trip(d, w, p, wd, ht, wd + pad, alpha);
                    free(p);
                }
            }
        }
    }
    floe_glz_window_free(w);
    floe_glz_dict_free(d);
}

static void test_round_trip_sizes(void **state)
{
    struct floe_glz_dict *d = floe_glz_dict_new(0);
    struct floe_glz_window *w = floe_glz_window_new(0);
    uint32_t *flat = make_picture(800, 600, 800, 0, false);
    uint32_t *noise = make_picture(256, 256, 256, 1, false);
    size_t n;

    (void)state;
    /* one long run: length extension bytes */
    n = round_trip(d, w, flat, 800, 600, 800, false);
    assert_true(n < 2500);
    /* noise does not grow past literals: 3 bytes a pixel and a control byte in 32 */
    n = round_trip(d, w, noise, 256, 256, 256, false);
    assert_true(n <= FLOE_GLZ_HEADER_SIZE + 256 * 256 * 3 + 256 * 256 / 32 + 1);
    free(noise);
    free(flat);
    floe_glz_window_free(w);
    floe_glz_dict_free(d);
}

/* Later pictures repeat earlier ones (moved, partly): they cost far less. */
static void test_cross_image_sequence(void **state)
{
    enum { W = 200, H = 120 };
    struct floe_glz_dict *d = floe_glz_dict_new(0);
    struct floe_glz_window *w = floe_glz_window_new(0);
    uint32_t *a = make_picture(W, H, W, 1, false);
    uint32_t *b = malloc(W * H * 4);
    size_t first, again, shifted, part;

    (void)state;
    first = round_trip(d, w, a, W, H, W, false);
    /* the same noise again: all of it one image back */
    again = round_trip(d, w, a, W, H, W, false);
    assert_true(again * 50 < first);
    /* the noise moved by 5 pixels, a fresh column at the left */
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            b[y * W + x] = x < 5 ? rnd() & 0xffffff : a[y * W + x - 5];
    shifted = round_trip(d, w, b, W, H, W, false);
    assert_true(shifted * 10 < first);
    /* a smaller picture cut out of the first (a window drawn elsewhere) */
    part = round_trip(d, w, a + 30 * W + 40, 100, 50, W, false);
    assert_true(part * 10 < 100 * 50 * 3);
    assert_int_equal(floe_glz_window_images(w), 4);
    free(b);
    free(a);
    /* offsets past 2^17 in an earlier image (the long form) */
    a = make_picture(16384, 9, 16384, 1, false);
    b = malloc(16384 * 9 * 4);
    first = round_trip(d, w, a, 16384, 9, 16384, false);
    memcpy(b, a + 1, (16384 * 9 - 1) * 4);
    b[16384 * 9 - 1] = 0;
    again = round_trip(d, w, b, 16384, 9, 16384, false);
    assert_true(again * 50 < first);
    free(b);
    free(a);
    floe_glz_window_free(w);
    floe_glz_dict_free(d);
}

/* More images than the window holds: both sides drop the same old ones and
 * every picture still decodes exactly. */
static void test_window_eviction(void **state)
{
    enum { W = 64, H = 32, WINDOW = 5 * W * H + 100 };
    struct floe_glz_dict *d = floe_glz_dict_new(WINDOW);
    struct floe_glz_window *w = floe_glz_window_new(WINDOW);
    uint32_t *pics[4];

    (void)state;
    for (int i = 0; i < 4; i++)
        pics[i] = make_picture(W, H, W, 1, false);
    for (int i = 0; i < 40; i++) {
        size_t n = round_trip(d, w, pics[i % 4], W, H, W, false);

        if (i >= 4)  /* the same picture four images back is still held */
            assert_true(n < 100);
        assert_true(floe_glz_window_pixels(w) <= WINDOW);
        assert_true(floe_glz_window_images(w) <= 5);
    }
    /* a picture the window cannot hold is not GLZ's */
    {
        struct floe_bytes out = { 0 };
        uint32_t *big = make_picture(WINDOW, 1, WINDOW, 0, false);

        assert_int_equal(floe_glz_encode(d, big, WINDOW, 1, WINDOW * 4, false, &out), -EINVAL);
        assert_int_equal(out.len, 0);
        free(big);
        floe_bytes_free(&out);
    }
    for (int i = 0; i < 4; i++)
        free(pics[i]);
    floe_glz_window_free(w);
    floe_glz_dict_free(d);
}

/* After a reset the encoder names no old image; the client frees them all. */
static void test_dict_reset(void **state)
{
    struct floe_glz_dict *d = floe_glz_dict_new(0);
    struct floe_glz_window *w = floe_glz_window_new(0);
    uint32_t *a = make_picture(50, 50, 50, 1, false);
    size_t first, after;

    (void)state;
    first = round_trip(d, w, a, 50, 50, 50, false);
    round_trip(d, w, a, 50, 50, 50, false);
    floe_glz_dict_reset(d);
    after = round_trip(d, w, a, 50, 50, 50, false);
    assert_int_equal(after, first);
    assert_int_equal(floe_glz_window_images(w), 1);
    free(a);
    floe_glz_window_free(w);
    floe_glz_dict_free(d);
}

/* ------------------------------------------------------------------------ */
/* hand-built streams */

#define BE32(v) (uint8_t)((uint32_t)(v) >> 24), (uint8_t)((uint32_t)(v) >> 16), \
                (uint8_t)((uint32_t)(v) >> 8), (uint8_t)(v)
#define GLZ_HDR(type, w, h, stride, id, dist) \
    BE32(FLOE_GLZ_MAGIC), BE32(FLOE_GLZ_VERSION), (uint8_t)(type), BE32(w), BE32(h), \
    BE32(stride), BE32(0), BE32(id), BE32(dist)

/* Image 0: 4x1 literals A B C D. */
static const uint8_t img0[] = {
    GLZ_HDR(0x18, 4, 1, 16, 0, 0), 0x03,
    0x01, 0x02, 0x03, 0x11, 0x12, 0x13, 0x21, 0x22, 0x23, 0x31, 0x32, 0x33,
};
#define PX_A 0x00030201u
#define PX_B 0x00131211u
#define PX_C 0x00232221u
#define PX_D 0x00333231u

static void expect_decode(struct floe_glz_window *w, const uint8_t *s, size_t len, int width,
                          int height, const uint32_t *want, int err)
{
    uint32_t out[64];

    assert_int_equal(decode_copy(w, s, len, out, width, height), err);
    if (!err)
        assert_memory_equal(out, want, (size_t)width * height * 4);
}

static void test_cross_reference_forms(void **state)
{
    /* image 1, 3x2 bottom-up: 3 pixels from image 0 at offset 1 (short
     * offset form, image distance 1), then a run of 3 of the last one */
    static const uint8_t img1[] = {
        GLZ_HDR(0x08, 3, 2, 12, 1, 1),
        0x61, 0x00, 0x01,     /* length 3, offset 1, image distance 1 */
        0x60, 0x00, 0x00,     /* length 3, distance 0 + 1: a run */
    };
    static const uint32_t want1[] = { PX_D, PX_D, PX_D, PX_B, PX_C, PX_D };
    /* image 2, 2x1: 2 pixels from image 0 at offset 2 written in the long
     * form (flag 16; image distance 2 in one more byte) */
    static const uint8_t img2[] = {
        GLZ_HDR(0x18, 2, 1, 8, 2, 2),
        0x52, 0x00, 0x40, 0x02,
    };
    static const uint32_t want2[] = { PX_C, PX_D };
    struct floe_glz_window *w = floe_glz_window_new(0);

    (void)state;
    expect_decode(w, img0, sizeof(img0), 4, 1, (const uint32_t[]){ PX_A, PX_B, PX_C, PX_D }, 0);
    expect_decode(w, img1, sizeof(img1), 3, 2, want1, 0);
    expect_decode(w, img2, sizeof(img2), 2, 1, want2, 0);
    floe_glz_window_free(w);
}

/* References the window cannot or must not resolve are refused. */
static void test_bad_references(void **state)
{
    /* image 1 naming image 0 while its win_head_dist says 0: beyond its head */
    static const uint8_t beyond[] = { GLZ_HDR(0x18, 2, 1, 8, 1, 0), 0x42, 0x00, 0x01 };
    /* image 5 naming image 4, never seen */
    static const uint8_t unknown[] = { GLZ_HDR(0x18, 2, 1, 8, 5, 5), 0x42, 0x00, 0x01 };
    /* offset 3 of image 0 for 2 pixels: past its end */
    static const uint8_t past[] = { GLZ_HDR(0x18, 2, 1, 8, 1, 1), 0x43, 0x00, 0x01 };
    /* an in-image distance before the first pixel */
    static const uint8_t before[] = { GLZ_HDR(0x18, 2, 1, 8, 1, 1), 0x40, 0x00, 0x00 };
    /* a length past the picture's end */
    static const uint8_t longer[] = { GLZ_HDR(0x18, 2, 1, 8, 1, 1), 0x60, 0x00, 0x01 };
    /* an id the window holds already */
    static const uint8_t again[] = { GLZ_HDR(0x18, 1, 1, 4, 0, 0), 0x00, 1, 2, 3 };
    /* win_head_dist larger than the id */
    static const uint8_t underflow[] = { GLZ_HDR(0x18, 1, 1, 4, 1, 2), 0x00, 1, 2, 3 };
    /* image 7 releases 0..5; image 5 then comes below the floor */
    static const uint8_t img7[] = { GLZ_HDR(0x18, 1, 1, 4, 7, 1), 0x00, 1, 2, 3 };
    static const uint8_t img5[] = { GLZ_HDR(0x18, 1, 1, 4, 5, 0), 0x00, 1, 2, 3 };
    /* image 8 naming image 0, released */
    static const uint8_t evicted[] = { GLZ_HDR(0x18, 2, 1, 8, 8, 8), 0x42, 0x00, 0x08 };
    struct floe_glz_window *w = floe_glz_window_new(0);
    uint32_t px[2] = { 0x00030201u, 0x00030201u };

    (void)state;
    expect_decode(w, img0, sizeof(img0), 4, 1, (const uint32_t[]){ PX_A, PX_B, PX_C, PX_D }, 0);
    expect_decode(w, beyond, sizeof(beyond), 2, 1, NULL, -EBADMSG);
    expect_decode(w, unknown, sizeof(unknown), 2, 1, NULL, -EBADMSG);
    expect_decode(w, past, sizeof(past), 2, 1, NULL, -EBADMSG);
    expect_decode(w, before, sizeof(before), 2, 1, NULL, -EBADMSG);
    expect_decode(w, longer, sizeof(longer), 2, 1, NULL, -EBADMSG);
    expect_decode(w, again, sizeof(again), 1, 1, NULL, -EBADMSG);
    expect_decode(w, underflow, sizeof(underflow), 1, 1, NULL, -EBADMSG);
    assert_int_equal(floe_glz_window_images(w), 1);
    expect_decode(w, img7, sizeof(img7), 1, 1, px, 0);
    assert_int_equal(floe_glz_window_images(w), 1);   /* image 0 released */
    expect_decode(w, img5, sizeof(img5), 1, 1, NULL, -EBADMSG);
    expect_decode(w, evicted, sizeof(evicted), 2, 1, NULL, -EBADMSG);
    floe_glz_window_free(w);
}

/* Length extensions, the medium and long offset forms, RGB16, RGBA. */
static void test_stream_forms(void **state)
{
    enum { W = 4996 };
    struct floe_glz_window *w = floe_glz_window_new(0);
    uint8_t s[256];
    uint32_t *want = malloc(W * 4), *out = malloc(W * 4);
    static const uint8_t hdr[] = { GLZ_HDR(0x18, W, 1, W * 4, 0, 0) };
    size_t n;

    (void)state;
    /* A; a run of 4990 (7 + 19 * 255 + 138); then 4 pixels from 4990 back
     * (medium form: 4989 = 0x137d) and a literal */
    memcpy(s, hdr, sizeof(hdr));
    n = sizeof(hdr);
    s[n++] = 0x00; s[n++] = 0x01; s[n++] = 0x02; s[n++] = 0x03;
    s[n++] = 0xe0;
    for (int i = 0; i < 19; i++)
        s[n++] = 0xff;
    s[n++] = 138;
    s[n++] = 0x00; s[n++] = 0x00;
    s[n++] = 0x80 | 0x10 | 0xd; s[n++] = 0x37; s[n++] = 0x01;
    s[n++] = 0x00; s[n++] = 0x11; s[n++] = 0x12; s[n++] = 0x13;
    for (int i = 0; i < W; i++)
        want[i] = PX_A;
    want[W - 1] = PX_B;
    assert_int_equal(decode_copy(w, s, n, out, W, 1), 0);
    assert_memory_equal(out, want, W * 4);
    for (size_t k = 0; k < n; k++)
        assert_int_equal(decode_copy(w, s, k, out, W, 1), -EBADMSG);
    free(out);
    free(want);

    /* RGB16: literals big-endian x1r5g5b5, lengths biased by one */
    {
        static const uint8_t s16[] = {
            GLZ_HDR(0x16, 4, 1, 8, 1, 1), 0x00, 0x7c, 0x00, 0x40, 0x00, 0x00,
        };
        expect_decode(w, s16, sizeof(s16), 4, 1,
                      (const uint32_t[]){ 0xff0000, 0xff0000, 0xff0000, 0xff0000 }, 0);
    }
    /* RGBA: an RGB pass, then alpha literals and an alpha run (bias two) */
    {
        static const uint8_t sa[] = {
            GLZ_HDR(0x19, 4, 1, 16, 2, 0), 0x00, 0x01, 0x02, 0x03, 0x60, 0x00, 0x00,
            0x00, 0x80, 0x20, 0x00, 0x00,
        };
        expect_decode(w, sa, sizeof(sa), 4, 1,
                      (const uint32_t[]){ 0x80030201, 0x80030201, 0x80030201, 0x80030201 }, 0);
    }
    floe_glz_window_free(w);
}

static void expect_header_refused(int at, uint8_t v)
{
    uint8_t s[sizeof(img0)];
    struct floe_glz_window *w = floe_glz_window_new(0);
    struct floe_glz_info info;
    uint32_t out[4];

    memcpy(s, img0, sizeof(s));
    s[at] = v;
    assert_int_equal(floe_glz_peek(s, sizeof(s), &info), -EBADMSG);
    assert_int_equal(decode_copy(w, s, sizeof(s), out, 4, 1), -EBADMSG);
    assert_int_equal(floe_glz_window_images(w), 0);
    floe_glz_window_free(w);
}

static void test_bad_header(void **state)
{
    struct floe_glz_window *w = floe_glz_window_new(16);
    uint32_t out[16];
    static const uint8_t big[] = { GLZ_HDR(0x18, 16384, 16384, 65536, 0, 0), 0x00 };
    struct floe_glz_info info;

    (void)state;
    expect_header_refused(0, 0x4c);        /* magic */
    expect_header_refused(7, 0x02);        /* version */
    expect_header_refused(8, 0x15);        /* a palette type */
    expect_header_refused(8, 0x38);        /* stray flag bits */
    expect_header_refused(8, 0x1a);        /* XXXA */
    expect_header_refused(12, 0);          /* width 0 */
    expect_header_refused(9, 0x80);        /* width past the limit */
    expect_header_refused(20, 15);         /* stride */
    assert_int_equal(floe_glz_peek(big, sizeof(big), &info), -EBADMSG);
    for (size_t n = 0; n < FLOE_GLZ_HEADER_SIZE; n++)
        assert_int_equal(decode_copy(w, img0, n, out, 4, 1), -EBADMSG);
    /* the descriptor's size must be the header's */
    assert_int_equal(decode_copy(w, img0, sizeof(img0), out, 2, 2), -EBADMSG);
    /* a picture as large as the window is refused before it is decoded */
    assert_int_equal(floe_glz_decode(w, img0, sizeof(img0), out, 4, 1, 16, NULL), 0);
    floe_glz_window_free(w);
    w = floe_glz_window_new(4);
    assert_int_equal(floe_glz_decode(w, img0, sizeof(img0), out, 4, 1, 16, NULL), -EBADMSG);
    /* bad arguments */
    assert_int_equal(floe_glz_decode(w, img0, sizeof(img0), out, 4, 1, 15, NULL), -EINVAL);
    assert_int_equal(floe_glz_decode(w, img0, sizeof(img0), out, 4, 1, 12, NULL), -EINVAL);
    assert_int_equal(floe_glz_decode(NULL, img0, sizeof(img0), out, 4, 1, 16, NULL), -EINVAL);
    assert_int_equal(floe_glz_decode(w, img0, sizeof(img0), NULL, 4, 1, 16, NULL), -EINVAL);
    floe_glz_window_free(w);
}

/* Trailing bytes after a complete picture are refused. */
static void test_trailing_bytes(void **state)
{
    uint8_t s[sizeof(img0) + 1];
    struct floe_glz_window *w = floe_glz_window_new(0);

    (void)state;
    memcpy(s, img0, sizeof(img0));
    s[sizeof(img0)] = 0;
    expect_decode(w, s, sizeof(s), 4, 1, NULL, -EBADMSG);
    floe_glz_window_free(w);
}

/* The table entry: one state per peer, made by state_new. */
static void test_codec_table(void **state)
{
    const struct floe_codec *c = floe_codec_by_name("glz");
    struct floe_codec_params prm = { .glz_window = 1 << 20 };
    void *enc, *dec;
    uint32_t *p = make_picture(37, 11, 40, 3, false), out[37 * 11];
    struct floe_pic pic = { p, 37, 11, 40 * 4, false };
    struct floe_pic res = { out, 37, 11, 37 * 4, true };
    struct floe_coded meta = { 0 };
    struct floe_bytes b = { 0 };

    (void)state;
    assert_non_null(c);
    assert_ptr_equal(floe_codec_by_type(102), c);
    assert_int_equal(c->type, 102);
    enc = c->state_new(&prm);
    dec = c->state_new(&prm);
    for (int i = 0; i < 3; i++) {
        b.len = 0;
        assert_int_equal(c->encode(enc, &pic, &b, &meta), 0);
        assert_int_equal(meta.type, 102);
        meta.data = b.data;
        meta.len = b.len;
        assert_int_equal(c->decode(dec, &meta, &res), 0);
        assert_false(res.alpha);
        for (int y = 0; y < 11; y++)
            assert_memory_equal(out + y * 37, p + y * 40, 37 * 4);
    }
    floe_bytes_free(&b);
    c->state_free(enc);
    c->state_free(dec);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_screen),
        cmocka_unit_test(test_golden_truncated),
        cmocka_unit_test(test_golden_corrupted),
        cmocka_unit_test(test_round_trip_shapes),
        cmocka_unit_test(test_round_trip_sizes),
        cmocka_unit_test(test_cross_image_sequence),
        cmocka_unit_test(test_window_eviction),
        cmocka_unit_test(test_dict_reset),
        cmocka_unit_test(test_cross_reference_forms),
        cmocka_unit_test(test_bad_references),
        cmocka_unit_test(test_stream_forms),
        cmocka_unit_test(test_bad_header),
        cmocka_unit_test(test_trailing_bytes),
        cmocka_unit_test(test_codec_table),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
