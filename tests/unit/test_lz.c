/* Unit tests for the SPICE LZ decoder: the reference capture's LZ_RGB picture
 * pixel for pixel, hand-built streams per pixel type, and malformed input. */
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
#include "codecs/png.h"

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


static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    buf = malloc((size_t)n);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

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
    int pw, ph;

    (void)state;
    assert_int_equal(len, 12780);
    assert_int_equal(floe_png_read(GOLDEN_PNG, &png, &pw, &ph, 1L << 20), 0);
    assert_int_equal(pw, GOLDEN_W);
    assert_int_equal(ph, GOLDEN_H);
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

/* Palette streams are valid but not decoded (yet): the caller learns which. */
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
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
