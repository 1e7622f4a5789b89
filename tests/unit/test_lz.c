/* Unit tests for the SPICE LZ codec: the reference capture's LZ_RGB picture
 * pixel for pixel, hand-built streams per pixel type (palettes included),
 * encoder round trips, and malformed input. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/unit/test_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/lz.h"

/* Cut from the DRAW_COPY of shared/data/spice-reference/seabios-auto_glz.pcapng
 * (the bytes after the LZ_RGB image's data_size), and the picture the
 * reference client decoded from it. */
#define GOLDEN_LZ "tests/unit/data/seabios-lz-rgb.bin"
#define GOLDEN_PNG "tests/unit/data/seabios-auto_glz.png"
#define GOLDEN_W 720
#define GOLDEN_H 400

#define BE32(v) (uint8_t)((uint32_t)(v) >> 24), (uint8_t)((uint32_t)(v) >> 16), \
                (uint8_t)((uint32_t)(v) >> 8), (uint8_t)(v)
#define LZ_HDR(type, w, h, stride, top_down) \
    BE32(0x20205A4C), BE32(0x00010001), BE32(type), BE32(w), BE32(h), BE32(stride), \
    BE32(top_down)

/* ------------------------------------------------------------------------ */
/* helpers */


/* Decodes an exact-size copy of in[0..len) into a fresh w x h buffer. */
static int decode_copy(const uint8_t *in, size_t len, int w, int h, uint32_t *out,
                       struct floe_lz_info *info)
{
    uint8_t *copy = dup_exact(in, len);
    int ret = floe_lz_decode(copy, len, out, w, h, w * 4, info);

    free(copy);
    return ret;
}

/* Decodes a hand-built stream and compares with want, top row first. */
static void expect_pixels(const uint8_t *in, size_t len, int w, int h, const uint32_t *want)
{
    uint32_t *out = calloc((size_t)w * h, 4);

    assert_non_null(out);
    assert_int_equal(decode_copy(in, len, w, h, out, NULL), 0);
    assert_memory_equal(out, want, (size_t)w * h * 4);
    free(out);
}

/* ------------------------------------------------------------------------ */
/* the reference picture */

static void test_golden_capture(void **state)
{
    struct floe_lz_info info;
    uint32_t *png, *out;
    size_t len;
    uint8_t *lz = read_file(GOLDEN_LZ, &len);

    (void)state;
    assert_int_equal(len, 12780);
    png = read_png(GOLDEN_PNG, GOLDEN_W, GOLDEN_H);
    assert_int_equal(floe_lz_peek(lz, len, &info), 0);
    assert_int_equal(info.type, FLOE_LZ_RGB32);
    assert_int_equal(info.width, GOLDEN_W);
    assert_int_equal(info.height, GOLDEN_H);
    assert_int_equal(info.stride, GOLDEN_W * 4);
    assert_true(info.top_down);
    assert_false(info.has_alpha);

    /* a wider output stride: pixels land row by row, the padding is untouched */
    out = malloc((size_t)(GOLDEN_W + 3) * 4 * GOLDEN_H);
    assert_non_null(out);
    memset(out, 0xa5, (size_t)(GOLDEN_W + 3) * 4 * GOLDEN_H);
    assert_int_equal(floe_lz_decode(lz, len, out, GOLDEN_W, GOLDEN_H, (GOLDEN_W + 3) * 4, &info),
                     0);
    for (int y = 0; y < GOLDEN_H; y++) {
        const uint32_t *row = out + (size_t)y * (GOLDEN_W + 3);

        for (int x = 0; x < GOLDEN_W; x++) {
            if (row[x] != (png[(size_t)y * GOLDEN_W + x] & 0x00ffffffu))
                fail_msg("pixel %d,%d: %08x, the reference has %08x", x, y, row[x],
                         png[(size_t)y * GOLDEN_W + x]);
        }
        for (int x = GOLDEN_W; x < GOLDEN_W + 3; x++)
            assert_int_equal(row[x], 0xa5a5a5a5u);
    }
    free(out);
    free(png);
    free(lz);
}

/* Every prefix of the capture is refused; ASan watches the exact-size copies. */
static void test_golden_truncated(void **state)
{
    uint32_t *out = malloc((size_t)GOLDEN_W * GOLDEN_H * 4);
    size_t len;
    uint8_t *lz = read_file(GOLDEN_LZ, &len);

    (void)state;
    assert_non_null(out);
    for (size_t n = 0; n < len; n++) {
        if (decode_copy(lz, n, GOLDEN_W, GOLDEN_H, out, NULL) != -EBADMSG)
            fail_msg("prefix of %zu bytes accepted", n);
    }
    free(out);
    free(lz);
}

/* Flipping any one byte never crashes and never reads outside the input. */
static void test_golden_corrupted(void **state)
{
    uint32_t *out = malloc((size_t)GOLDEN_W * GOLDEN_H * 4);
    size_t len;
    uint8_t *lz = read_file(GOLDEN_LZ, &len);
    uint8_t *copy = dup_exact(lz, len);
    int refused = 0;

    (void)state;
    assert_non_null(out);
    for (size_t i = 0; i < len; i++) {
        int ret;

        copy[i] ^= 0xff;
        ret = floe_lz_decode(copy, len, out, GOLDEN_W, GOLDEN_H, GOLDEN_W * 4, NULL);
        assert_true(ret == 0 || ret == -EBADMSG || ret == -EOPNOTSUPP);
        refused += ret != 0;
        copy[i] = lz[i];
    }
    assert_true(refused > 0);
    free(copy);
    free(out);
    free(lz);
}

/* ------------------------------------------------------------------------ */
/* hand-built streams */

#define PX_A 0x00112233u
#define PX_B 0x00a0b0c0u
#define PX_C 0x00010203u

/* 3x2 RGB32: a literal run of two pixels, then one match that overlaps itself
 * and crosses the row boundary. Stream order: A B A / B A B. */
static const uint8_t rgb32_3x2[] = {
    LZ_HDR(FLOE_LZ_RGB32, 3, 2, 12, 1),
    0x01,               /* literal run of 1 + 1 pixels, each b, g, r */
    0x33, 0x22, 0x11,   /* A */
    0xc0, 0xb0, 0xa0,   /* B */
    0x80,               /* match: length (0x80 >> 5) - 1 + 1 = 4, distance high bits 0 */
    0x01,               /* distance low byte 1: 1 + 1 = 2 pixels back */
};

static void test_rgb32_top_down(void **state)
{
    static const uint32_t want[] = { PX_A, PX_B, PX_A, PX_B, PX_A, PX_B };

    (void)state;
    expect_pixels(rgb32_3x2, sizeof(rgb32_3x2), 3, 2, want);
}

static void test_rgb32_bottom_up(void **state)
{
    uint8_t s[sizeof(rgb32_3x2)];
    static const uint32_t want[] = { PX_B, PX_A, PX_B, PX_A, PX_B, PX_A };

    (void)state;
    memcpy(s, rgb32_3x2, sizeof(s));
    s[27] = 0;  /* top_down word: the stream's first row is the bottom one */
    expect_pixels(s, sizeof(s), 3, 2, want);
}

/* RGB24 streams are RGB32 streams with a 3-byte stride. */
static void test_rgb24(void **state)
{
    uint8_t s[sizeof(rgb32_3x2)];
    static const uint32_t want[] = { PX_A, PX_B, PX_A, PX_B, PX_A, PX_B };
    struct floe_lz_info info;

    (void)state;
    memcpy(s, rgb32_3x2, sizeof(s));
    s[11] = FLOE_LZ_RGB24;
    s[23] = 9;  /* stride 3 * 3 */
    expect_pixels(s, sizeof(s), 3, 2, want);
    assert_int_equal(floe_lz_peek(s, sizeof(s), &info), 0);
    assert_int_equal(info.type, FLOE_LZ_RGB24);
    assert_int_equal(info.stride, 9);
}

/* 5x1 RGB16: literals are big-endian x1r5g5b5, 5-bit channels widen as
 * (v << 3) | (v >> 2); a match length of zero means 2 pixels. */
static void test_rgb16(void **state)
{
    static const uint8_t s[] = {
        LZ_HDR(FLOE_LZ_RGB16, 5, 1, 10, 1),
        0x01,           /* literal run of 2 */
        0x7c, 0x00,     /* r 31: 0xff0000 */
        0x04, 0x21,     /* r 1, g 1, b 1: 0x080808 */
        0x40,           /* match: length (0x40 >> 5) - 1 + 2 = 3 */
        0x01,           /* distance 2 */
    };
    static const uint32_t want[] = { 0xff0000, 0x080808, 0xff0000, 0x080808, 0xff0000 };

    (void)state;
    expect_pixels(s, sizeof(s), 5, 1, want);
}

/* 2x2 RGBA bottom-up: an RGB plane (one literal, then a run), then an alpha
 * plane of one byte per pixel in stream order. */
static void test_rgba(void **state)
{
    static const uint8_t s[] = {
        LZ_HDR(FLOE_LZ_RGBA, 2, 2, 8, 0),
        0x00, 0x03, 0x02, 0x01, /* literal of 1: 0x010203 */
        0x60, 0x00,             /* match: length 3 - 1 + 1 = 3, distance 1: a run */
        0x03,                   /* alpha: literal run of 4 */
        0x10, 0x20, 0x30, 0x40,
    };
    static const uint32_t want[] = { 0x30010203, 0x40010203, 0x10010203, 0x20010203 };
    struct floe_lz_info info;

    (void)state;
    expect_pixels(s, sizeof(s), 2, 2, want);
    assert_int_equal(floe_lz_peek(s, sizeof(s), &info), 0);
    assert_true(info.has_alpha);
    assert_false(info.top_down);
}

/* Alpha matches carry only the alpha byte and need 3 pixels at least. */
static void test_rgba_alpha_match(void **state)
{
    static const uint8_t s[] = {
        LZ_HDR(FLOE_LZ_RGBA, 4, 1, 16, 1),
        0x03,                   /* literal run of 4 */
        0x01, 0x00, 0x00, 0x02, 0x00, 0x00, 0x03, 0x00, 0x00, 0x04, 0x00, 0x00,
        0x00, 0x77,             /* alpha: literal of 1 */
        0x20, 0x00,             /* match: length 1 - 1 + 3 = 3, distance 1 */
    };
    static const uint32_t want[] = { 0x77000001, 0x77000002, 0x77000003, 0x77000004 };

    (void)state;
    expect_pixels(s, sizeof(s), 4, 1, want);
}

/* 8200x1 RGB32: a long run (length extension bytes), a far match (16-bit
 * distance) and a match with distance high bits in the control byte. */
static void test_long_and_far(void **state)
{
    enum { W = 8200 };
    uint8_t s[FLOE_LZ_HEADER_SIZE + 128];
    static const uint8_t hdr[] = { LZ_HDR(FLOE_LZ_RGB32, W, 1, W * 4, 1) };
    uint32_t *want = malloc(W * 4);
    size_t n = 0;

    (void)state;
    assert_non_null(want);
    memcpy(s, hdr, sizeof(hdr));
    n = sizeof(hdr);
    /* pixels 0, 1: literal A, B */
    s[n++] = 0x01;
    s[n++] = 0x33; s[n++] = 0x22; s[n++] = 0x11;
    s[n++] = 0xc0; s[n++] = 0xb0; s[n++] = 0xa0;
    /* pixels 2..8191: B repeated; length 8190 = 6 (0xe0 >> 5, less 1) + 32 * 255 + 23, + 1 */
    s[n++] = 0xe0;
    for (int i = 0; i < 32; i++)
        s[n++] = 0xff;
    s[n++] = 23;
    s[n++] = 0x00;  /* distance 1 */
    /* pixels 8192..8194: 3 pixels from 8192 back (A, B, B); high bits 31 and a
     * low byte of 255 announce a far distance: 8191 + 0x0000 + 1 */
    s[n++] = 0x7f;
    s[n++] = 0xff;
    s[n++] = 0x00; s[n++] = 0x00;
    /* pixels 8195, 8196: 2 pixels from 300 back (B, B): distance 0x12b + 1 */
    s[n++] = 0x41;
    s[n++] = 0x2b;
    /* pixels 8197..8199: literal C x 3 */
    s[n++] = 0x02;
    for (int i = 0; i < 3; i++) {
        s[n++] = 0x03; s[n++] = 0x02; s[n++] = 0x01;
    }
    want[0] = PX_A;
    for (int i = 1; i < 8192; i++)
        want[i] = PX_B;
    want[8192] = PX_A;
    want[8193] = want[8194] = want[8195] = want[8196] = PX_B;
    want[8197] = want[8198] = want[8199] = PX_C;
    expect_pixels(s, n, W, 1, want);
    for (size_t len = 0; len < n; len++) {
        uint32_t *out = malloc(W * 4);

        assert_non_null(out);
        assert_int_equal(decode_copy(s, len, W, 1, out, NULL), -EBADMSG);
        free(out);
    }
    free(want);
}

/* ------------------------------------------------------------------------ */
/* malformed streams */

static void expect_refused(const uint8_t *s, size_t len, int w, int h, int err)
{
    uint32_t *out = calloc((size_t)w * h, 4);

    assert_non_null(out);
    assert_int_equal(decode_copy(s, len, w, h, out, NULL), err);
    free(out);
}

static void test_bad_back_references(void **state)
{
    /* a match before any pixel exists */
    static const uint8_t first[] = { LZ_HDR(FLOE_LZ_RGB32, 4, 1, 16, 1), 0x60, 0x00 };
    /* distance 3 with only 2 pixels decoded */
    static const uint8_t far[] = {
        LZ_HDR(FLOE_LZ_RGB32, 4, 1, 16, 1), 0x01, 1, 2, 3, 4, 5, 6, 0x20, 0x02,
    };
    /* a far distance past the start */
    static const uint8_t far16[] = {
        LZ_HDR(FLOE_LZ_RGB32, 4, 1, 16, 1), 0x00, 1, 2, 3, 0x3f, 0xff, 0x00, 0x00,
    };
    /* a match longer than the picture's remaining pixels */
    static const uint8_t longer[] = {
        LZ_HDR(FLOE_LZ_RGB32, 4, 1, 16, 1), 0x00, 1, 2, 3, 0x80, 0x00,
    };
    /* an endless length extension */
    static const uint8_t ext[] = {
        LZ_HDR(FLOE_LZ_RGB32, 4, 1, 16, 1), 0x00, 1, 2, 3, 0xe0, 0xff, 0xff, 0xff,
    };

    (void)state;
    expect_refused(first, sizeof(first), 4, 1, -EBADMSG);
    expect_refused(far, sizeof(far), 4, 1, -EBADMSG);
    expect_refused(far16, sizeof(far16), 4, 1, -EBADMSG);
    expect_refused(longer, sizeof(longer), 4, 1, -EBADMSG);
    expect_refused(ext, sizeof(ext), 4, 1, -EBADMSG);
}

static void test_bad_literals_and_tail(void **state)
{
    /* a literal run of 3 in a 2-pixel picture */
    static const uint8_t over[] = {
        LZ_HDR(FLOE_LZ_RGB32, 2, 1, 8, 1), 0x02, 1, 2, 3, 4, 5, 6, 7, 8, 9,
    };
    /* a complete picture followed by a stray byte */
    static const uint8_t tail[] = {
        LZ_HDR(FLOE_LZ_RGB32, 2, 1, 8, 1), 0x01, 1, 2, 3, 4, 5, 6, 0x00,
    };
    /* RGBA without its alpha plane */
    static const uint8_t no_alpha[] = {
        LZ_HDR(FLOE_LZ_RGBA, 2, 1, 8, 1), 0x01, 1, 2, 3, 4, 5, 6,
    };

    (void)state;
    expect_refused(over, sizeof(over), 2, 1, -EBADMSG);
    expect_refused(tail, sizeof(tail), 2, 1, -EBADMSG);
    expect_refused(tail, sizeof(tail) - 1, 2, 1, 0);
    expect_refused(no_alpha, sizeof(no_alpha), 2, 1, -EBADMSG);
}

/* Changes header word `word` of the 3x2 stream and expects `err`. */
static void expect_header_refused(int word, uint32_t v, int err)
{
    uint8_t s[sizeof(rgb32_3x2)];
    struct floe_lz_info info;

    memcpy(s, rgb32_3x2, sizeof(s));
    s[word * 4] = (uint8_t)(v >> 24);
    s[word * 4 + 1] = (uint8_t)(v >> 16);
    s[word * 4 + 2] = (uint8_t)(v >> 8);
    s[word * 4 + 3] = (uint8_t)v;
    expect_refused(s, sizeof(s), 3, 2, err);
    assert_int_equal(floe_lz_peek(s, sizeof(s), &info), err);
}

static void test_bad_header(void **state)
{
    (void)state;
    expect_header_refused(0, 0x4c5a2020, -EBADMSG);        /* magic, wrong byte order */
    expect_header_refused(1, 0x00010000, -EBADMSG);        /* version */
    expect_header_refused(1, 0x00020001, -EBADMSG);
    expect_header_refused(2, 0, -EBADMSG);                 /* type INVALID */
    expect_header_refused(2, 12, -EBADMSG);                /* type past A8 */
    expect_header_refused(2, 0x18, -EBADMSG);              /* GLZ-style top_down bit */
    expect_header_refused(2, FLOE_LZ_RGB16, -EBADMSG);     /* stride 12 != 3 * 2 */
    expect_header_refused(2, FLOE_LZ_PLT8, -EBADMSG);      /* stride 12 > 3 * 1 */
    expect_header_refused(2, FLOE_LZ_A8, -EBADMSG);        /* stride 12 != 3 */
    expect_header_refused(3, 0, -EBADMSG);                 /* width 0 */
    expect_header_refused(3, 0x80000003, -EBADMSG);        /* width past the limit */
    expect_header_refused(4, 0, -EBADMSG);                 /* height 0 */
    expect_header_refused(4, 16385, -EBADMSG);
    expect_header_refused(5, 11, -EBADMSG);                /* stride */
    expect_header_refused(5, 0xfffffff4, -EBADMSG);
    expect_header_refused(6, 2, -EBADMSG);                 /* top_down not 0 or 1 */
    expect_header_refused(6, 0x01000000, -EBADMSG);
}

/* Palette streams are valid but need a palette: floe_lz_decode says so. */
static void test_palette_unsupported(void **state)
{
    static const uint8_t plt8[] = { LZ_HDR(FLOE_LZ_PLT8, 3, 2, 3, 1), 0x00, 0x01 };
    static const uint8_t plt1[] = { LZ_HDR(FLOE_LZ_PLT1_BE, 9, 2, 2, 1), 0x00, 0x01 };
    struct floe_lz_info info;

    (void)state;
    expect_refused(plt8, sizeof(plt8), 3, 2, -EOPNOTSUPP);
    expect_refused(plt1, sizeof(plt1), 9, 2, -EOPNOTSUPP);
    assert_int_equal(floe_lz_peek(plt1, sizeof(plt1), &info), -EOPNOTSUPP);
    assert_int_equal(info.type, FLOE_LZ_PLT1_BE);
    assert_int_equal(info.stride, 2);
}

static void test_too_large(void **state)
{
    /* 16384 x 16384 passes each dimension but not the pixel limit */
    static const uint8_t s[] = { LZ_HDR(FLOE_LZ_RGB32, 16384, 16384, 65536, 1), 0x00 };
    struct floe_lz_info info;

    (void)state;
    assert_int_equal(floe_lz_peek(s, sizeof(s), &info), -EBADMSG);
}

static void test_short_header(void **state)
{
    struct floe_lz_info info;

    (void)state;
    for (size_t n = 0; n < FLOE_LZ_HEADER_SIZE; n++) {
        uint8_t *copy = dup_exact(rgb32_3x2, n);

        assert_int_equal(floe_lz_peek(copy, n, &info), -EBADMSG);
        free(copy);
        expect_refused(rgb32_3x2, n, 3, 2, -EBADMSG);
    }
}

/* The size the image descriptor announced must be the header's. */
static void test_wrong_expected_size(void **state)
{
    uint32_t out[16];
    struct floe_lz_info info;

    (void)state;
    expect_refused(rgb32_3x2, sizeof(rgb32_3x2), 2, 3, -EBADMSG);
    expect_refused(rgb32_3x2, sizeof(rgb32_3x2), 3, 1, -EBADMSG);
    expect_refused(rgb32_3x2, sizeof(rgb32_3x2), 4, 2, -EBADMSG);
    /* the header still reaches the caller, for its log */
    assert_int_equal(floe_lz_decode(rgb32_3x2, sizeof(rgb32_3x2), out, 3, 3, 12, &info),
                     -EBADMSG);
    assert_int_equal(info.width, 3);
    assert_int_equal(info.height, 2);
}

static void test_bad_arguments(void **state)
{
    uint32_t out[16];

    (void)state;
    assert_int_equal(floe_lz_decode(rgb32_3x2, sizeof(rgb32_3x2), out, 3, 2, 8, NULL), -EINVAL);
    assert_int_equal(floe_lz_decode(rgb32_3x2, sizeof(rgb32_3x2), out, 3, 2, 14, NULL), -EINVAL);
    assert_int_equal(floe_lz_decode(rgb32_3x2, sizeof(rgb32_3x2), NULL, 3, 2, 12, NULL), -EINVAL);
    assert_int_equal(floe_lz_decode(NULL, 0, out, 3, 2, 12, NULL), -EINVAL);
    assert_int_equal(floe_lz_decode(rgb32_3x2, sizeof(rgb32_3x2), out, 0, 2, 12, NULL), -EINVAL);
    assert_int_equal(floe_lz_decode(rgb32_3x2, sizeof(rgb32_3x2), out, 3, -2, 12, NULL),
                     -EINVAL);
    assert_int_equal(floe_lz_decode(rgb32_3x2, sizeof(rgb32_3x2), out, 3, 2, 12, NULL), 0);
}

/* ------------------------------------------------------------------------ */
/* the encoder */

static uint32_t rng_state = 0x12345678u;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* A w x h picture of `stride` words a row, padding filled with junk. */
struct test_pic {
    uint32_t *px;
    int w, h, stride;
};

static struct test_pic pic_new(int w, int h, int stride)
{
    struct test_pic p = { malloc((size_t)stride * h * 4), w, h, stride };

    assert_non_null(p.px);
    for (size_t i = 0; i < (size_t)stride * h; i++)
        p.px[i] = 0xdeadbeefu;
    return p;
}

static uint32_t *pic_at(struct test_pic *p, int x, int y)
{
    return p->px + (size_t)y * p->stride + x;
}

/* Encodes p, checks the header, decodes an exact-size copy of the stream
 * and compares (without alpha only the colour counts, and decoded alpha is
 * 0). Returns the stream's size. */
static size_t roundtrip(struct test_pic *p, bool alpha)
{
    struct floe_bytes b = { 0 };
    struct floe_lz_info info;
    uint32_t *out = malloc((size_t)p->w * p->h * 4);
    size_t len;

    assert_non_null(out);
    assert_int_equal(floe_lz_encode(p->px, p->w, p->h, p->stride * 4, alpha, &b), 0);
    assert_int_equal(floe_lz_peek(b.data, b.len, &info), 0);
    assert_int_equal(info.type, alpha ? FLOE_LZ_RGBA : FLOE_LZ_RGB32);
    assert_int_equal(info.width, p->w);
    assert_int_equal(info.height, p->h);
    assert_int_equal(info.stride, p->w * 4);
    assert_true(info.top_down);
    assert_int_equal(decode_copy(b.data, b.len, p->w, p->h, out, NULL), 0);
    for (int y = 0; y < p->h; y++) {
        for (int x = 0; x < p->w; x++) {
            uint32_t want = *pic_at(p, x, y) & (alpha ? 0xffffffffu : 0x00ffffffu);

            if (out[(size_t)y * p->w + x] != want)
                fail_msg("%dx%d pixel %d,%d: %08x, want %08x", p->w, p->h, x, y,
                         out[(size_t)y * p->w + x], want);
        }
    }
    len = b.len;
    floe_bytes_free(&b);
    free(out);
    return len;
}

static void fill_noise(struct test_pic *p, uint32_t mask)
{
    for (int y = 0; y < p->h; y++)
        for (int x = 0; x < p->w; x++)
            *pic_at(p, x, y) = rnd() & mask;
}

static void test_encode_tiny(void **state)
{
    (void)state;
    /* every size up to 6 x 6 (shorter than any match or hash window), noise and flat */
    for (int w = 1; w <= 6; w++) {
        for (int h = 1; h <= 6; h++) {
            struct test_pic p = pic_new(w, h, w);

            fill_noise(&p, 0x03030303u);  /* few values: matches and runs happen */
            roundtrip(&p, false);
            roundtrip(&p, true);
            fill_noise(&p, 0);
            roundtrip(&p, true);
            free(p.px);
        }
    }
}

static void test_encode_single_colour(void **state)
{
    struct test_pic p = pic_new(640, 480, 640);
    size_t len;

    (void)state;
    for (int y = 0; y < p.h; y++)
        for (int x = 0; x < p.w; x++)
            *pic_at(&p, x, y) = 0x80336699u;
    /* header, two literals, one run whose length takes 307200 / 255 bytes */
    len = roundtrip(&p, false);
    assert_true(len < FLOE_LZ_HEADER_SIZE + 8 + 307200 / 255 + 8);
    len = roundtrip(&p, true);
    assert_true(len < FLOE_LZ_HEADER_SIZE + 16 + 2 * (307200 / 255) + 16);
    free(p.px);
}

static void test_encode_noise(void **state)
{
    struct test_pic p = pic_new(257, 129, 257);
    size_t len;

    (void)state;
    fill_noise(&p, 0xffffffffu);
    /* incompressible: no worse than literals (3 bytes a pixel, a count per 32) */
    len = roundtrip(&p, false);
    assert_true(len <= FLOE_LZ_HEADER_SIZE + 257 * 129 * 3 + (257 * 129 + 31) / 32);
    roundtrip(&p, true);
    free(p.px);
}

static void test_encode_gradients(void **state)
{
    struct test_pic p = pic_new(333, 97, 333);
    size_t len;

    (void)state;
    for (int y = 0; y < p.h; y++)
        for (int x = 0; x < p.w; x++)
            *pic_at(&p, x, y) = (uint32_t)(x * 255 / p.w) << 24 | (uint32_t)(x & 0xff) << 16 |
                                (uint32_t)(y * 2) << 8 | (uint32_t)((x + y) & 0xff);
    roundtrip(&p, false);
    roundtrip(&p, true);
    /* horizontal bands: every row repeats the one above (distance = width) */
    for (int y = 0; y < p.h; y++)
        for (int x = 0; x < p.w; x++)
            *pic_at(&p, x, y) = (uint32_t)x * 0x010203u;
    len = roundtrip(&p, false);
    assert_true(len < 333 * 3 + 2000);
    free(p.px);
}

/* Rows stride apart: only the w pixels of each row are read, junk elsewhere. */
static void test_encode_stride(void **state)
{
    struct test_pic p = pic_new(13, 11, 19);

    (void)state;
    fill_noise(&p, 0x01010101u);
    roundtrip(&p, false);
    roundtrip(&p, true);
    free(p.px);
}

/* Matches farther than 8191 pixels use the 16-bit form; beyond 73727 none. */
static void test_encode_far(void **state)
{
    struct test_pic p = pic_new(9000, 12, 9000);
    size_t len;

    (void)state;
    fill_noise(&p, 0x00ffffffu);
    for (int y = 1; y < p.h; y++)  /* every row a copy of row 0: distance 9000 */
        memcpy(pic_at(&p, 0, y), pic_at(&p, 0, 0), 9000 * 4);
    len = roundtrip(&p, false);
    assert_true(len < 9000 * 4 + 11 * 60);
    roundtrip(&p, true);
    free(p.px);
    /* a repeat 80000 pixels back is out of reach: still exact */
    p = pic_new(16000, 10, 16000);
    fill_noise(&p, 0xffffffffu);
    memcpy(pic_at(&p, 0, 5), pic_at(&p, 0, 0), 16000 * 4 * 5);
    roundtrip(&p, true);
    free(p.px);
}

/* A run of one alpha amid noise colour, and the reverse. */
static void test_encode_rgba_planes(void **state)
{
    struct test_pic p = pic_new(100, 50, 100);

    (void)state;
    fill_noise(&p, 0x00ffffffu);
    roundtrip(&p, true);
    for (int y = 0; y < p.h; y++)
        for (int x = 0; x < p.w; x++)
            *pic_at(&p, x, y) = (rnd() & 0xff000000u) | 0x123456u;
    roundtrip(&p, true);
    free(p.px);
}

/* Every prefix of an encoded stream is refused. */
static void test_encode_truncated(void **state)
{
    struct test_pic p = pic_new(31, 7, 31);
    struct floe_bytes b = { 0 };
    uint32_t out[31 * 7];

    (void)state;
    fill_noise(&p, 0x0f0f0f0fu);
    assert_int_equal(floe_lz_encode(p.px, 31, 7, 31 * 4, true, &b), 0);
    for (size_t n = 0; n < b.len; n++)
        assert_int_equal(decode_copy(b.data, n, 31, 7, out, NULL), -EBADMSG);
    assert_int_equal(decode_copy(b.data, b.len, 31, 7, out, NULL), 0);
    floe_bytes_free(&b);
    free(p.px);
}

static void test_encode_appends(void **state)
{
    uint32_t px[4] = { 1, 2, 3, 4 };
    struct floe_bytes b = { 0 };
    uint32_t out[4];

    (void)state;
    assert_int_equal(floe_bytes_append(&b, "abc", 3), 0);
    assert_int_equal(floe_lz_encode(px, 2, 2, 8, false, &b), 0);
    assert_memory_equal(b.data, "abc", 3);
    assert_int_equal(decode_copy(b.data + 3, b.len - 3, 2, 2, out, NULL), 0);
    assert_memory_equal(out, px, sizeof(px));
    floe_bytes_free(&b);
}

static void test_encode_bad_arguments(void **state)
{
    uint32_t px[16] = { 0 };
    struct floe_bytes b = { 0 };

    (void)state;
    assert_int_equal(floe_lz_encode(NULL, 2, 2, 8, false, &b), -EINVAL);
    assert_int_equal(floe_lz_encode(px, 0, 2, 8, false, &b), -EINVAL);
    assert_int_equal(floe_lz_encode(px, 2, -1, 8, false, &b), -EINVAL);
    assert_int_equal(floe_lz_encode(px, 3, 2, 8, false, &b), -EINVAL);    /* stride < 4 * w */
    assert_int_equal(floe_lz_encode(px, 1, 2, 6, false, &b), -EINVAL);    /* not words */
    assert_int_equal(floe_lz_encode(px, 16385, 1, 65540, false, &b), -EINVAL);
    assert_int_equal(floe_lz_encode(px, 2, 2, 8, false, NULL), -EINVAL);
    assert_int_equal(floe_lz_encode_alpha(px, 2, 2, 4, false, &b), -EINVAL);
    assert_int_equal(b.len, 0);
    floe_bytes_free(&b);
}

/* ------------------------------------------------------------------------ */
/* alpha planes: XXXA (JPEG_ALPHA's) and A8 */

static void test_xxxa_roundtrip(void **state)
{
    struct test_pic p = pic_new(77, 33, 80);
    struct floe_bytes b = { 0 };
    struct floe_lz_info info;
    uint32_t *out = malloc(77 * 33 * 4);

    (void)state;
    assert_non_null(out);
    for (int y = 0; y < p.h; y++)
        for (int x = 0; x < p.w; x++)
            *pic_at(&p, x, y) = (uint32_t)(x < 40 ? 0xff : (rnd() & 0x3) * 60) << 24 | rnd() >> 8;
    assert_int_equal(floe_lz_encode_alpha(p.px, 77, 33, 80 * 4, false, &b), 0);
    assert_int_equal(floe_lz_peek(b.data, b.len, &info), -EOPNOTSUPP);
    assert_int_equal(info.type, FLOE_LZ_XXXA);
    assert_int_equal(info.stride, 77 * 4);
    assert_true(info.top_down);
    assert_true(info.has_alpha);
    /* the colour already there stays; only alpha is written */
    for (int i = 0; i < 77 * 33; i++)
        out[i] = 0x00abcdefu;
    {
        uint8_t *copy = dup_exact(b.data, b.len);

        assert_int_equal(floe_lz_decode_alpha(copy, b.len, out, 77, 33, 77 * 4, &info), 0);
        free(copy);
    }
    for (int y = 0; y < p.h; y++)
        for (int x = 0; x < p.w; x++)
            assert_int_equal(out[y * 77 + x], (*pic_at(&p, x, y) & 0xff000000u) | 0xabcdefu);
    /* floe_lz_decode wants colour: refused; decode_alpha wants XXXA */
    assert_int_equal(decode_copy(b.data, b.len, 77, 33, out, NULL), -EOPNOTSUPP);
    floe_bytes_free(&b);
    assert_int_equal(floe_lz_encode(p.px, 77, 33, 80 * 4, true, &b), 0);
    assert_int_equal(floe_lz_decode_alpha(b.data, b.len, out, 77, 33, 77 * 4, NULL), -EBADMSG);
    floe_bytes_free(&b);
    /* opaque: 255 everywhere whatever the top bytes say, in a few bytes */
    assert_int_equal(floe_lz_encode_alpha(p.px, 77, 33, 80 * 4, true, &b), 0);
    assert_true(b.len < FLOE_LZ_HEADER_SIZE + 20);
    assert_int_equal(floe_lz_decode_alpha(b.data, b.len, out, 77, 33, 77 * 4, NULL), 0);
    for (int i = 0; i < 77 * 33; i++)
        assert_int_equal(out[i] >> 24, 0xff);
    for (size_t n = 0; n < b.len; n++)
        assert_int_equal(floe_lz_decode_alpha(b.data, n, out, 77, 33, 77 * 4, NULL), -EBADMSG);
    floe_bytes_free(&b);
    free(out);
    free(p.px);
}

/* A hand-built XXXA stream, bottom-up, over an existing colour. */
static void test_xxxa_bottom_up(void **state)
{
    static const uint8_t s[] = {
        LZ_HDR(FLOE_LZ_XXXA, 2, 2, 8, 0),
        0x01, 0x10, 0x20,   /* literal run of 2: the stream's first row is the bottom */
        0x01, 0x30, 0x40,
    };
    uint32_t out[4] = { 1, 2, 3, 4 };
    uint8_t *copy = dup_exact(s, sizeof(s));

    (void)state;
    assert_int_equal(floe_lz_decode_alpha(copy, sizeof(s), out, 2, 2, 8, NULL), 0);
    assert_int_equal(out[0], 0x30000001u);
    assert_int_equal(out[1], 0x40000002u);
    assert_int_equal(out[2], 0x10000003u);
    assert_int_equal(out[3], 0x20000004u);
    assert_int_equal(floe_lz_decode_alpha(copy, sizeof(s), out, 2, 1, 8, NULL), -EBADMSG);
    free(copy);
}

/* A8 streams decode to alpha over colour 0: a literal, then a run of 3. */
static void test_a8(void **state)
{
    static const uint8_t s[] = { LZ_HDR(FLOE_LZ_A8, 4, 1, 4, 1), 0x00, 0x80, 0x20, 0x00 };
    static const uint32_t want[] = { 0x80000000u, 0x80000000u, 0x80000000u, 0x80000000u };
    struct floe_lz_info info;

    (void)state;
    expect_pixels(s, sizeof(s), 4, 1, want);
    assert_int_equal(floe_lz_peek(s, sizeof(s), &info), 0);
    assert_true(info.has_alpha);
}

/* ------------------------------------------------------------------------ */
/* palette streams */

static const uint32_t test_palette[] = {
    0xff112233u, 0x00a0b0c0u, 0x00010203u, 0x00ffffffu, 0x00000001u, 0x00808080u,
};

static void expect_plt(const uint8_t *s, size_t len, int w, int h, int palette_len,
                       const uint32_t *want_indices)
{
    uint32_t *out = calloc((size_t)w * h, 4);
    uint8_t *copy = dup_exact(s, len);
    struct floe_lz_info info;

    assert_non_null(out);
    assert_int_equal(floe_lz_decode_plt(copy, len, test_palette, palette_len, out, w, h, w * 4,
                                        &info),
                     0);
    for (int i = 0; i < w * h; i++)
        assert_int_equal(out[i], test_palette[want_indices[i]] & 0x00ffffffu);
    /* every prefix refused */
    for (size_t n = 0; n < len; n++) {
        free(copy);
        copy = dup_exact(s, n);
        assert_int_equal(floe_lz_decode_plt(copy, n, test_palette, palette_len, out, w, h, w * 4,
                                            NULL),
                         -EBADMSG);
    }
    free(copy);
    free(out);
}

/* 10x2, one bit a pixel, padding bits after each row's 10th. */
static void test_plt1(void **state)
{
    static const uint32_t want[] = { 1, 0, 1, 1, 0, 0, 1, 1, 1, 0,
                                     0, 1, 0, 1, 0, 1, 0, 1, 0, 1 };
    static const uint8_t be[] = {
        LZ_HDR(FLOE_LZ_PLT1_BE, 10, 2, 2, 1),
        0x03, 0xb3, 0x80, 0x55, 0x7f,  /* most significant bit first; the 0x3f is padding */
    };
    static const uint8_t le[] = {
        LZ_HDR(FLOE_LZ_PLT1_LE, 10, 2, 2, 1),
        0x03, 0xcd, 0x01, 0xaa, 0xfe,  /* least significant bit first */
    };

    (void)state;
    expect_plt(be, sizeof(be), 10, 2, 2, want);
    expect_plt(le, sizeof(le), 10, 2, 2, want);
}

/* 3x3, a nibble a pixel: a literal row, then a match of 4 bytes 2 back. */
static void test_plt4(void **state)
{
    static const uint32_t want[] = { 1, 2, 3, 1, 2, 3, 1, 2, 3 };
    static const uint8_t be[] = {
        LZ_HDR(FLOE_LZ_PLT4_BE, 3, 3, 2, 1),
        0x01, 0x12, 0x3f,   /* high nibble first; the f is padding */
        0x40, 0x01,         /* match: length 1 + 3, distance 1 + 1 */
    };
    static const uint8_t le[] = {
        LZ_HDR(FLOE_LZ_PLT4_LE, 3, 3, 2, 1),
        0x01, 0x21, 0xf3,   /* low nibble first */
        0x40, 0x01,
    };

    (void)state;
    expect_plt(be, sizeof(be), 3, 3, 4, want);
    expect_plt(le, sizeof(le), 3, 3, 4, want);
}

/* 3x2 bottom-up bytes: the stream's first row is the picture's last. */
static void test_plt8(void **state)
{
    static const uint32_t want[] = { 3, 4, 5, 0, 1, 2 };
    static const uint8_t s[] = {
        LZ_HDR(FLOE_LZ_PLT8, 3, 2, 3, 0),
        0x05, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
    };

    (void)state;
    expect_plt(s, sizeof(s), 3, 2, 6, want);
}

static void test_plt_refused(void **state)
{
    static const uint8_t plt8[] = {
        LZ_HDR(FLOE_LZ_PLT8, 3, 2, 3, 0), 0x05, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
    };
    /* index 4 in a 4-entry palette, in a pixel (not padding) */
    static const uint8_t plt4[] = { LZ_HDR(FLOE_LZ_PLT4_BE, 3, 1, 2, 1), 0x01, 0x12, 0x40 };
    /* a one-entry palette cannot serve a set bit */
    static const uint8_t plt1[] = { LZ_HDR(FLOE_LZ_PLT1_LE, 3, 1, 1, 1), 0x00, 0x04 };
    /* a match before the first byte, and one past the end */
    static const uint8_t before[] = { LZ_HDR(FLOE_LZ_PLT8, 6, 1, 6, 1), 0x20, 0x00 };
    static const uint8_t past[] = { LZ_HDR(FLOE_LZ_PLT8, 4, 1, 4, 1), 0x00, 0x01, 0x40, 0x00 };
    /* stride other than ceil(width / pixels-per-byte) */
    static const uint8_t stride[] = { LZ_HDR(FLOE_LZ_PLT4_LE, 4, 1, 1, 1), 0x00, 0x11 };
    uint32_t out[16];

    (void)state;
    assert_int_equal(floe_lz_decode_plt(plt8, sizeof(plt8), test_palette, 5, out, 3, 2, 12, NULL),
                     -EBADMSG);
    assert_int_equal(floe_lz_decode_plt(plt4, sizeof(plt4), test_palette, 4, out, 3, 1, 12, NULL),
                     -EBADMSG);
    assert_int_equal(floe_lz_decode_plt(plt4, sizeof(plt4), test_palette, 5, out, 3, 1, 12, NULL),
                     0);
    assert_int_equal(out[2], test_palette[4]);
    assert_int_equal(floe_lz_decode_plt(plt1, sizeof(plt1), test_palette, 1, out, 3, 1, 12, NULL),
                     -EBADMSG);
    assert_int_equal(floe_lz_decode_plt(plt1, sizeof(plt1), test_palette, 2, out, 3, 1, 12, NULL),
                     0);
    assert_int_equal(floe_lz_decode_plt(before, sizeof(before), test_palette, 6, out, 6, 1, 24,
                                        NULL),
                     -EBADMSG);
    assert_int_equal(floe_lz_decode_plt(past, sizeof(past), test_palette, 6, out, 4, 1, 16, NULL),
                     -EBADMSG);
    assert_int_equal(floe_lz_decode_plt(stride, sizeof(stride), test_palette, 6, out, 4, 1, 16,
                                        NULL),
                     -EBADMSG);
    /* palette sizes, the picture's size, and the type */
    assert_int_equal(floe_lz_decode_plt(plt8, sizeof(plt8), test_palette, 0, out, 3, 2, 12, NULL),
                     -EBADMSG);
    assert_int_equal(floe_lz_decode_plt(plt8, sizeof(plt8), test_palette, 257, out, 3, 2, 12,
                                        NULL),
                     -EBADMSG);
    assert_int_equal(floe_lz_decode_plt(plt8, sizeof(plt8), NULL, 6, out, 3, 2, 12, NULL),
                     -EINVAL);
    assert_int_equal(floe_lz_decode_plt(plt8, sizeof(plt8), test_palette, 6, out, 2, 3, 12, NULL),
                     -EBADMSG);
    assert_int_equal(floe_lz_decode_plt(rgb32_3x2, sizeof(rgb32_3x2), test_palette, 6, out, 3, 2,
                                        12, NULL),
                     -EBADMSG);
}

/* ------------------------------------------------------------------------ */
/* the registry */

static void test_codec_table(void **state)
{
    const struct floe_codec *lz = floe_codec_by_name("lz");
    const struct floe_codec *plt = floe_codec_by_name("lz-plt");
    uint32_t px[6] = { 0x11223344u, 5, 6, 7, 8, 9 }, out[6];
    struct floe_pic pic = { px, 3, 2, 12, false };
    struct floe_pic dst = { out, 3, 2, 12, true };
    struct floe_bytes b = { 0 };
    struct floe_coded meta = { 0 };
    static const uint8_t plt8[] = {
        LZ_HDR(FLOE_LZ_PLT8, 3, 2, 3, 0), 0x05, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
    };

    (void)state;
    assert_ptr_equal(lz, &floe_codec_lz);
    assert_ptr_equal(floe_codec_by_type(101), &floe_codec_lz);
    assert_ptr_equal(floe_codec_by_type(100), plt);
    assert_null(plt->encode);
    assert_false(lz->lossy);
    assert_int_equal(lz->encode(NULL, &pic, &b, &meta), 0);
    assert_int_equal(meta.type, 101);
    meta.data = b.data;
    meta.len = b.len;
    assert_int_equal(lz->decode(NULL, &meta, &dst), 0);
    assert_false(dst.alpha);
    assert_int_equal(out[0], 0x00223344u);
    assert_memory_equal(out + 1, px + 1, 5 * 4);
    floe_bytes_free(&b);
    meta = (struct floe_coded){ .type = 100, .palette = test_palette, .palette_len = 6,
                                .data = plt8, .len = sizeof(plt8) };
    assert_int_equal(plt->decode(NULL, &meta, &dst), 0);
    assert_int_equal(out[0], test_palette[3]);
    meta.palette_len = 5;
    assert_int_equal(plt->decode(NULL, &meta, &dst), -EBADMSG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_capture),
        cmocka_unit_test(test_golden_truncated),
        cmocka_unit_test(test_golden_corrupted),
        cmocka_unit_test(test_rgb32_top_down),
        cmocka_unit_test(test_rgb32_bottom_up),
        cmocka_unit_test(test_rgb24),
        cmocka_unit_test(test_rgb16),
        cmocka_unit_test(test_rgba),
        cmocka_unit_test(test_rgba_alpha_match),
        cmocka_unit_test(test_long_and_far),
        cmocka_unit_test(test_bad_back_references),
        cmocka_unit_test(test_bad_literals_and_tail),
        cmocka_unit_test(test_bad_header),
        cmocka_unit_test(test_palette_unsupported),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_short_header),
        cmocka_unit_test(test_wrong_expected_size),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_encode_tiny),
        cmocka_unit_test(test_encode_single_colour),
        cmocka_unit_test(test_encode_noise),
        cmocka_unit_test(test_encode_gradients),
        cmocka_unit_test(test_encode_stride),
        cmocka_unit_test(test_encode_far),
        cmocka_unit_test(test_encode_rgba_planes),
        cmocka_unit_test(test_encode_truncated),
        cmocka_unit_test(test_encode_appends),
        cmocka_unit_test(test_encode_bad_arguments),
        cmocka_unit_test(test_xxxa_roundtrip),
        cmocka_unit_test(test_xxxa_bottom_up),
        cmocka_unit_test(test_a8),
        cmocka_unit_test(test_plt1),
        cmocka_unit_test(test_plt4),
        cmocka_unit_test(test_plt8),
        cmocka_unit_test(test_plt_refused),
        cmocka_unit_test(test_codec_table),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
