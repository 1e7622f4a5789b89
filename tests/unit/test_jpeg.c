/* Unit tests for the JPEG and JPEG_ALPHA codecs: round trips held to a PSNR
 * floor, exact alpha, quality against size, and damaged or mismatched input. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/unit/test_util.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <turbojpeg.h>

#include "codecs/jpeg.h"
#include "codecs/lz.h"

/* JPEG payloads QEMU's SPICE server (libspice-server, jpeg-wan-compression=
 * always) sent for 32x480 strips of a photographic SeaBIOS boot splash, and
 * the pixels libjpeg gives for them through the path spice-gtk takes
 * (jpeg_read_scanlines to JCS_RGB, default DCT and upsampling). */
#define GOLDEN_A "tests/unit/data/jpeg-qemu-splash-32x480-a"
#define GOLDEN_B "tests/unit/data/jpeg-qemu-splash-32x480-b"

#define BE32(v) (uint8_t)((uint32_t)(v) >> 24), (uint8_t)((uint32_t)(v) >> 16), \
                (uint8_t)((uint32_t)(v) >> 8), (uint8_t)(v)
#define LZ_HDR(type, w, h, stride, top_down) \
    BE32(0x20205A4C), BE32(0x00010001), BE32(type), BE32(w), BE32(h), BE32(stride), \
    BE32(top_down)

/* The floors asserted. A smooth picture (no detail finer than ~8 pixels)
 * at q85 4:2:0 measures 45.5 dB with libjpeg-turbo 2.1; 35 leaves room for
 * other versions' rounding while still failing a wrong colour order, a
 * shifted row or a lost chroma plane (all well under 25 dB). The same with
 * sparse noise at q30 measures 32.8 dB; 30 is the floor there. Flat
 * pictures come back within 2 of each channel. */
#define PSNR_Q85 35.0
#define PSNR_Q30 30.0

/* ------------------------------------------------------------------------ */
/* helpers */

static uint32_t rng_state = 0x2545f491u;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* A w x h picture, rows `stride` words apart, padding and alpha junk. */
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

static uint32_t *at(const struct test_pic *p, int x, int y)
{
    return p->px + (size_t)y * p->stride + x;
}

static uint8_t clamp8(double v)
{
    return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)v;
}

/* Photo-like: overlapping smooth waves in each channel, a varying alpha. */
static void fill_smooth(struct test_pic *p)
{
    for (int y = 0; y < p->h; y++) {
        for (int x = 0; x < p->w; x++) {
            double a = sin(x / 23.0) * cos(y / 31.0), b = sin((x + 2 * y) / 41.0);

            *at(p, x, y) = (uint32_t)clamp8(128 + 120 * sin((x - y) / 57.0)) << 24 |
                           (uint32_t)clamp8(128 + 90 * a + 30 * b) << 16 |
                           (uint32_t)clamp8(100 + 60 * b + 40 * a) << 8 |
                           clamp8(160 - 70 * a + 20 * sin(y / 13.0));
        }
    }
}

/* PSNR of the RGB bytes of got (packed rows) against want. */
static double psnr(const struct test_pic *want, const uint32_t *got)
{
    double se = 0;

    for (int y = 0; y < want->h; y++) {
        for (int x = 0; x < want->w; x++) {
            uint32_t a = *at(want, x, y), b = got[(size_t)y * want->w + x];

            for (int s = 0; s < 24; s += 8) {
                double d = (double)((a >> s) & 0xff) - (double)((b >> s) & 0xff);

                se += d * d;
            }
        }
    }
    if (se == 0)
        return 99.0;
    return 10 * log10(255.0 * 255.0 * 3 * want->w * want->h / se);
}

static struct floe_jpeg *jpeg_new(void)
{
    struct floe_jpeg *j = floe_jpeg_new();

    assert_non_null(j);
    return j;
}

/* JPEG of p at quality q. */
static struct floe_bytes encode(struct floe_jpeg *j, const struct test_pic *p, int q)
{
    struct floe_bytes b = { 0 };

    assert_int_equal(floe_jpeg_encode(j, p->px, p->w, p->h, p->stride * 4, q, &b), 0);
    assert_true(b.len > 4);
    return b;
}

/* Decodes an exact-size copy of in[0..len) into out (w x h packed). */
static int decode_copy(struct floe_jpeg *j, const uint8_t *in, size_t len, uint32_t *out, int w,
                       int h)
{
    uint8_t *copy = dup_exact(in, len);
    int ret = floe_jpeg_decode(j, copy, len, out, w, h, w * 4);

    free(copy);
    return ret;
}

static int alpha_decode_copy(struct floe_jpeg *j, const uint8_t *in, size_t len,
                             uint32_t jpeg_size, uint8_t flags, uint32_t *out, int w, int h)
{
    uint8_t *copy = dup_exact(in, len);
    int ret = floe_jpeg_alpha_decode(j, copy, len, jpeg_size, flags, out, w, h, w * 4);

    free(copy);
    return ret;
}

/* ------------------------------------------------------------------------ */
/* the reference server's JPEGs */

static void expect_golden(struct floe_jpeg *j, const char *base)
{
    char path[256];
    uint32_t *png, *out = malloc(32 * 480 * 4);
    size_t len;
    uint8_t *jpg;

    assert_non_null(out);
    snprintf(path, sizeof(path), "%s.bin", base);
    jpg = read_file(path, &len);
    snprintf(path, sizeof(path), "%s.png", base);
    png = read_png(path, 32, 480);
    assert_int_equal(decode_copy(j, jpg, len, out, 32, 480), 0);
    for (int i = 0; i < 32 * 480; i++)
        if (out[i] != (png[i] & 0x00ffffffu))
            fail_msg("%s pixel %d,%d: %08x, libjpeg gives %08x", base, i % 32, i / 32, out[i],
                     png[i]);
    /* the descriptor's size is checked against the header */
    assert_int_equal(decode_copy(j, jpg, len, out, 32, 479), -EBADMSG);
    assert_int_equal(decode_copy(j, jpg, len, out, 480, 32), -EBADMSG);
    free(png);
    free(jpg);
    free(out);
}

static void test_golden_reference(void **state)
{
    struct floe_jpeg *j = jpeg_new();
    uint32_t *out = malloc(32 * 480 * 4), jpeg_size;
    struct floe_bytes b = { 0 };
    struct test_pic p = { NULL, 32, 480, 32 };
    size_t len;
    uint8_t *jpg, flags;

    (void)state;
    assert_non_null(out);
    expect_golden(j, GOLDEN_A);
    expect_golden(j, GOLDEN_B);
    /* the server's JPEG with an alpha plane of floe's after it: JPEG_ALPHA as
     * the reference server builds it from an RGBA bitmap */
    jpg = read_file(GOLDEN_A ".bin", &len);
    p.px = read_png(GOLDEN_A ".png", 32, 480);
    for (int i = 0; i < 32 * 480; i++)
        p.px[i] = (p.px[i] & 0x00ffffffu) | (uint32_t)(i % 32 * 8) << 24;
    assert_int_equal(floe_bytes_append(&b, jpg, len), 0);
    assert_int_equal(floe_lz_encode_alpha(p.px, 32, 480, 128, false, &b), 0);
    jpeg_size = (uint32_t)len;
    flags = FLOE_JPEG_ALPHA_TOP_DOWN;
    assert_int_equal(alpha_decode_copy(j, b.data, b.len, jpeg_size, flags, out, 32, 480), 0);
    assert_memory_equal(out, p.px, 32 * 480 * 4);
    /* floe's own q85 of those pixels has the server's layout and about its size */
    floe_bytes_free(&b);
    b = encode(j, &p, 85);
    print_message("reference q85 strip: %zu bytes, floe's of its pixels: %zu\n", len, b.len);
    assert_true(b.len < len * 3 / 2);
    {
        tjhandle tj = tjInitDecompress();
        int w, h, samp, cs;

        assert_non_null(tj);
        assert_int_equal(tjDecompressHeader3(tj, jpg, len, &w, &h, &samp, &cs), 0);
        assert_int_equal(samp, TJSAMP_420);
        assert_int_equal(cs, TJCS_YCbCr);
        assert_int_equal(tjDecompressHeader3(tj, b.data, b.len, &w, &h, &samp, &cs), 0);
        assert_int_equal(samp, TJSAMP_420);
        assert_int_equal(cs, TJCS_YCbCr);
        tjDestroy(tj);
    }
    floe_bytes_free(&b);
    free(p.px);
    free(jpg);
    free(out);
    floe_jpeg_free(j);
}

/* ------------------------------------------------------------------------ */
/* JPEG */

static void test_roundtrip_q85(void **state)
{
    struct floe_jpeg *j = jpeg_new();
    struct test_pic p = pic_new(320, 240, 320);
    uint32_t *out = malloc(320 * 240 * 4);
    struct floe_bytes b;
    double db;

    (void)state;
    assert_non_null(out);
    fill_smooth(&p);
    b = encode(j, &p, 85);
    assert_int_equal(b.data[0], 0xff);   /* SOI ... EOI */
    assert_int_equal(b.data[1], 0xd8);
    assert_int_equal(b.data[b.len - 2], 0xff);
    assert_int_equal(b.data[b.len - 1], 0xd9);
    assert_true(b.len < 320 * 240 * 3 / 8);   /* smooth content: well under 3 bits a pixel */
    assert_int_equal(decode_copy(j, b.data, b.len, out, 320, 240), 0);
    db = psnr(&p, out);
    print_message("q85 320x240 smooth: %zu bytes, %.1f dB\n", b.len, db);
    assert_true(db > PSNR_Q85);
    for (int i = 0; i < 320 * 240; i++)
        assert_int_equal(out[i] >> 24, 0);
    floe_bytes_free(&b);
    free(out);
    free(p.px);
    floe_jpeg_free(j);
}

/* Sizes that are not multiples of the 16x16 MCU, down to 1x1; flat colours
 * come back within 2 of each channel. */
static void test_odd_sizes(void **state)
{
    static const int sizes[][2] = { { 1, 1 }, { 1, 17 }, { 17, 1 }, { 7, 3 }, { 33, 65 } };
    struct floe_jpeg *j = jpeg_new();

    (void)state;
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        int w = sizes[s][0], h = sizes[s][1];
        struct test_pic p = pic_new(w, h, w);
        uint32_t *out = malloc((size_t)w * h * 4);
        struct floe_bytes b;

        assert_non_null(out);
        for (int i = 0; i < w * h; i++)
            p.px[i] = 0x80c86432u;
        b = encode(j, &p, 85);
        assert_int_equal(decode_copy(j, b.data, b.len, out, w, h), 0);
        for (int i = 0; i < w * h; i++) {
            for (int sh = 0; sh < 24; sh += 8) {
                int d = (int)((out[i] >> sh) & 0xff) - (int)((0xc86432u >> sh) & 0xff);

                if (d < -2 || d > 2)
                    fail_msg("%dx%d pixel %d: %08x", w, h, i, out[i]);
            }
            assert_int_equal(out[i] >> 24, 0);
        }
        floe_bytes_free(&b);
        free(out);
        free(p.px);
    }
    floe_jpeg_free(j);
}

/* Input rows with padding; output rows with padding left untouched. */
static void test_strides(void **state)
{
    struct floe_jpeg *j = jpeg_new();
    struct test_pic p = pic_new(50, 40, 53);
    uint32_t *out = malloc(57 * 40 * 4), *packed = malloc(50 * 40 * 4);
    struct floe_bytes b;

    (void)state;
    assert_non_null(out);
    assert_non_null(packed);
    fill_smooth(&p);
    b = encode(j, &p, 90);
    for (int i = 0; i < 57 * 40; i++)
        out[i] = 0xa5a5a5a5u;
    assert_int_equal(floe_jpeg_decode(j, b.data, b.len, out, 50, 40, 57 * 4), 0);
    for (int y = 0; y < 40; y++) {
        memcpy(packed + y * 50, out + y * 57, 50 * 4);
        for (int x = 50; x < 57; x++)
            assert_int_equal(out[y * 57 + x], 0xa5a5a5a5u);
    }
    assert_true(psnr(&p, packed) > PSNR_Q85);
    floe_bytes_free(&b);
    free(packed);
    free(out);
    free(p.px);
    floe_jpeg_free(j);
}

static void test_quality_and_size(void **state)
{
    struct floe_jpeg *j = jpeg_new();
    struct test_pic p = pic_new(256, 256, 256);
    uint32_t *out = malloc(256 * 256 * 4);
    size_t len[3];
    static const int q[3] = { 30, 60, 90 };

    (void)state;
    assert_non_null(out);
    fill_smooth(&p);
    for (int i = 0; i < 256 * 256; i += 7)  /* some detail for the quantiser to lose */
        p.px[i] ^= rnd() & 0x1f1f1f;
    for (int i = 0; i < 3; i++) {
        struct floe_bytes b = encode(j, &p, q[i]);

        len[i] = b.len;
        assert_int_equal(decode_copy(j, b.data, b.len, out, 256, 256), 0);
        if (q[i] == 30) {
            print_message("q30 256x256 with noise: %.1f dB\n", psnr(&p, out));
            assert_true(psnr(&p, out) > PSNR_Q30);
        }
        floe_bytes_free(&b);
    }
    print_message("256x256: q30 %zu, q60 %zu, q90 %zu bytes\n", len[0], len[1], len[2]);
    assert_true(len[0] < len[1]);
    assert_true(len[1] < len[2]);
    free(out);
    free(p.px);
    floe_jpeg_free(j);
}

/* Other chroma layouts and greyscale decode too: the reference client takes
 * whatever libjpeg reads. */
static void test_decode_other_layouts(void **state)
{
    static const int samp[] = { TJSAMP_444, TJSAMP_422, TJSAMP_GRAY };
    struct floe_jpeg *j = jpeg_new();
    struct test_pic p = pic_new(40, 24, 40);
    uint32_t *out = malloc(40 * 24 * 4);
    tjhandle tj = tjInitCompress();

    (void)state;
    assert_non_null(out);
    assert_non_null(tj);
    fill_smooth(&p);
    for (size_t s = 0; s < sizeof(samp) / sizeof(samp[0]); s++) {
        unsigned char *buf = NULL;
        unsigned long len = 0;

        assert_int_equal(tjCompress2(tj, (unsigned char *)p.px, 40, 160, 24, TJPF_BGRX, &buf,
                                     &len, samp[s], 90, 0),
                         0);
        assert_int_equal(decode_copy(j, buf, len, out, 40, 24), 0);
        if (samp[s] == TJSAMP_GRAY)  /* r = g = b */
            assert_int_equal((out[5] >> 16) & 0xff, out[5] & 0xff);
        else
            assert_true(psnr(&p, out) > PSNR_Q85);
        tjFree(buf);
    }
    tjDestroy(tj);
    free(out);
    free(p.px);
    floe_jpeg_free(j);
}

/* ------------------------------------------------------------------------ */
/* JPEG_ALPHA */

static void test_alpha_roundtrip(void **state)
{
    struct floe_jpeg *j = jpeg_new();
    struct test_pic p = pic_new(200, 120, 203);
    uint32_t *out = malloc(200 * 120 * 4);
    struct floe_bytes b = { 0 }, plain;
    uint32_t jpeg_size = 0;
    uint8_t flags = 0xee;
    double db;

    (void)state;
    assert_non_null(out);
    fill_smooth(&p);
    assert_int_equal(floe_bytes_append(&b, "xy", 2), 0);   /* appends after what is there */
    assert_int_equal(floe_jpeg_alpha_encode(j, p.px, 200, 120, 203 * 4, true, 85, &b,
                                            &jpeg_size, &flags),
                     0);
    assert_int_equal(flags, FLOE_JPEG_ALPHA_TOP_DOWN);
    assert_true(jpeg_size > 0 && jpeg_size + 2 + FLOE_LZ_HEADER_SIZE < b.len);
    /* the JPEG part is exactly the plain JPEG of the colour */
    plain = encode(j, &p, 85);
    assert_int_equal(plain.len, jpeg_size);
    assert_memory_equal(plain.data, b.data + 2, jpeg_size);
    floe_bytes_free(&plain);
    assert_int_equal(alpha_decode_copy(j, b.data + 2, b.len - 2, jpeg_size, flags, out, 200, 120),
                     0);
    for (int y = 0; y < 120; y++)
        for (int x = 0; x < 200; x++)
            assert_int_equal(out[y * 200 + x] >> 24, *at(&p, x, y) >> 24);
    db = psnr(&p, out);
    print_message("jpeg-alpha q85 200x120: %zu bytes (jpeg %u), %.1f dB\n", b.len - 2, jpeg_size,
                  db);
    assert_true(db > PSNR_Q85);
    floe_bytes_free(&b);
    free(out);
    free(p.px);
    floe_jpeg_free(j);
}

/* A picture without alpha travels as JPEG_ALPHA with alpha 255. */
static void test_alpha_opaque(void **state)
{
    struct floe_jpeg *j = jpeg_new();
    struct test_pic p = pic_new(64, 48, 64);
    uint32_t out[64 * 48];
    struct floe_bytes b = { 0 };
    uint32_t jpeg_size;
    uint8_t flags;

    (void)state;
    fill_smooth(&p);
    assert_int_equal(floe_jpeg_alpha_encode(j, p.px, 64, 48, 256, false, 85, &b, &jpeg_size,
                                            &flags),
                     0);
    assert_true(b.len - jpeg_size < FLOE_LZ_HEADER_SIZE + 20);
    assert_int_equal(alpha_decode_copy(j, b.data, b.len, jpeg_size, flags, out, 64, 48), 0);
    for (int i = 0; i < 64 * 48; i++)
        assert_int_equal(out[i] >> 24, 0xff);
    floe_bytes_free(&b);
    free(p.px);
    floe_jpeg_free(j);
}

/* A bottom-up alpha plane (flags without TOP_DOWN), as a server may send. */
static void test_alpha_bottom_up(void **state)
{
    static const uint8_t xxxa[] = {
        LZ_HDR(FLOE_LZ_XXXA, 2, 2, 8, 0), 0x03, 0x10, 0x20, 0x30, 0x40,
    };
    struct floe_jpeg *j = jpeg_new();
    struct test_pic p = pic_new(2, 2, 2);
    struct floe_bytes b;
    uint32_t out[4], jpeg_size;

    (void)state;
    fill_smooth(&p);
    b = encode(j, &p, 85);
    jpeg_size = (uint32_t)b.len;
    assert_int_equal(floe_bytes_append(&b, xxxa, sizeof(xxxa)), 0);
    assert_int_equal(alpha_decode_copy(j, b.data, b.len, jpeg_size, 0, out, 2, 2), 0);
    assert_int_equal(out[0] >> 24, 0x30);
    assert_int_equal(out[1] >> 24, 0x40);
    assert_int_equal(out[2] >> 24, 0x10);
    assert_int_equal(out[3] >> 24, 0x20);
    /* the flags and the LZ header must agree on the order */
    assert_int_equal(alpha_decode_copy(j, b.data, b.len, jpeg_size, FLOE_JPEG_ALPHA_TOP_DOWN,
                                       out, 2, 2),
                     -EBADMSG);
    floe_bytes_free(&b);
    free(p.px);
    floe_jpeg_free(j);
}

/* ------------------------------------------------------------------------ */
/* bad input */

static void test_truncated(void **state)
{
    struct floe_jpeg *j = jpeg_new();
    struct test_pic p = pic_new(48, 32, 48);
    uint32_t out[48 * 32];
    struct floe_bytes b;

    (void)state;
    fill_smooth(&p);
    b = encode(j, &p, 85);
    /* every prefix is refused, even one lacking only EOI (a warning to
     * libjpeg, an error here); the handle works again afterwards */
    for (size_t n = 0; n < b.len; n++)
        if (decode_copy(j, b.data, n, out, 48, 32) != -EBADMSG)
            fail_msg("prefix of %zu of %zu bytes accepted", n, b.len);
    assert_int_equal(decode_copy(j, b.data, b.len, out, 48, 32), 0);
    floe_bytes_free(&b);
    free(p.px);
    floe_jpeg_free(j);
}

/* The descriptor's size must be the JPEG's own: checked before decoding,
 * so a small descriptor never gets a big picture written into it. */
static void test_size_mismatch(void **state)
{
    struct floe_jpeg *j = jpeg_new();
    struct test_pic p = pic_new(40, 30, 40);
    uint32_t *out = malloc(40 * 30 * 4);
    struct floe_bytes b;

    (void)state;
    assert_non_null(out);
    fill_smooth(&p);
    b = encode(j, &p, 85);
    assert_int_equal(decode_copy(j, b.data, b.len, out, 39, 30), -EBADMSG);
    assert_int_equal(decode_copy(j, b.data, b.len, out, 40, 29), -EBADMSG);
    assert_int_equal(decode_copy(j, b.data, b.len, out, 30, 40), -EBADMSG);
    assert_int_equal(decode_copy(j, b.data, b.len, out, 1, 1), -EBADMSG);
    assert_int_equal(decode_copy(j, b.data, b.len, out, 40, 30), 0);
    floe_bytes_free(&b);
    free(out);
    free(p.px);
    floe_jpeg_free(j);
}

static void test_alpha_bad(void **state)
{
    struct floe_jpeg *j = jpeg_new();
    struct test_pic p = pic_new(40, 30, 40);
    uint32_t *out = malloc(41 * 30 * 4);
    struct floe_bytes b = { 0 }, rgb = { 0 };
    uint32_t js;
    uint8_t flags;

    (void)state;
    assert_non_null(out);
    fill_smooth(&p);
    assert_int_equal(floe_jpeg_alpha_encode(j, p.px, 40, 30, 160, true, 85, &b, &js, &flags), 0);
    /* jpeg_size zero, past the payload, or leaving less than an LZ header */
    assert_int_equal(alpha_decode_copy(j, b.data, b.len, 0, flags, out, 40, 30), -EBADMSG);
    assert_int_equal(alpha_decode_copy(j, b.data, b.len, (uint32_t)b.len, flags, out, 40, 30),
                     -EBADMSG);
    assert_int_equal(alpha_decode_copy(j, b.data, b.len, (uint32_t)b.len + 100, flags, out, 40,
                                       30),
                     -EBADMSG);
    assert_int_equal(alpha_decode_copy(j, b.data, b.len, UINT32_MAX, flags, out, 40, 30),
                     -EBADMSG);
    assert_int_equal(alpha_decode_copy(j, b.data, js + FLOE_LZ_HEADER_SIZE - 1, js, flags, out,
                                       40, 30),
                     -EBADMSG);
    /* jpeg_size off by a few: the alpha header is not where it says */
    assert_int_equal(alpha_decode_copy(j, b.data, b.len, js - 1, flags, out, 40, 30), -EBADMSG);
    assert_int_equal(alpha_decode_copy(j, b.data, b.len, js + 1, flags, out, 40, 30), -EBADMSG);
    /* every truncation of the whole payload */
    for (size_t n = 0; n < b.len; n++)
        assert_int_equal(alpha_decode_copy(j, b.data, n, js, flags, out, 40, 30), -EBADMSG);
    /* another size than the descriptor's */
    assert_int_equal(alpha_decode_copy(j, b.data, b.len, js, flags, out, 41, 30), -EBADMSG);
    /* an alpha plane of another type (RGBA instead of XXXA) */
    assert_int_equal(floe_bytes_append(&rgb, b.data, js), 0);
    assert_int_equal(floe_lz_encode(p.px, 40, 30, 160, true, &rgb), 0);
    assert_int_equal(alpha_decode_copy(j, rgb.data, rgb.len, js, flags, out, 40, 30), -EBADMSG);
    /* an alpha plane of another size after a right-sized JPEG */
    rgb.len = js;
    assert_int_equal(floe_lz_encode_alpha(p.px, 20, 30, 160, false, &rgb), 0);
    assert_int_equal(alpha_decode_copy(j, rgb.data, rgb.len, js, flags, out, 40, 30), -EBADMSG);
    assert_int_equal(alpha_decode_copy(j, b.data, b.len, js, flags, out, 40, 30), 0);
    floe_bytes_free(&rgb);
    floe_bytes_free(&b);
    free(out);
    free(p.px);
    floe_jpeg_free(j);
}

/* Flipping any one byte never crashes nor reads outside the payload. */
static void test_corrupted(void **state)
{
    struct floe_jpeg *j = jpeg_new();
    struct test_pic p = pic_new(24, 16, 24);
    uint32_t out[24 * 16];
    struct floe_bytes b = { 0 };
    uint32_t js;
    uint8_t flags;
    int refused = 0;

    (void)state;
    fill_smooth(&p);
    assert_int_equal(floe_jpeg_alpha_encode(j, p.px, 24, 16, 96, true, 85, &b, &js, &flags), 0);
    for (size_t i = 0; i < b.len; i++) {
        int ret;

        b.data[i] ^= 0xff;
        ret = alpha_decode_copy(j, b.data, b.len, js, flags, out, 24, 16);
        assert_true(ret == 0 || ret == -EBADMSG);
        refused += ret != 0;
        if (i < js) {
            ret = decode_copy(j, b.data, js, out, 24, 16);
            assert_true(ret == 0 || ret == -EBADMSG);
        }
        b.data[i] ^= 0xff;
    }
    assert_true(refused > 0);
    floe_bytes_free(&b);
    free(p.px);
    floe_jpeg_free(j);
}

static void test_garbage(void **state)
{
    static const uint8_t not_jpeg[] = "this is not a jpeg at all";
    static const uint8_t soi_only[] = { 0xff, 0xd8 };
    struct floe_jpeg *j = jpeg_new();
    uint32_t out[16];

    (void)state;
    assert_int_equal(decode_copy(j, not_jpeg, sizeof(not_jpeg), out, 4, 4), -EBADMSG);
    assert_int_equal(decode_copy(j, soi_only, sizeof(soi_only), out, 4, 4), -EBADMSG);
    assert_int_equal(decode_copy(j, soi_only, 0, out, 4, 4), -EBADMSG);
    floe_jpeg_free(j);
}

static void test_bad_arguments(void **state)
{
    struct floe_jpeg *j = jpeg_new();
    uint32_t px[16] = { 0 }, js;
    struct floe_bytes b = { 0 };
    uint8_t flags;

    (void)state;
    assert_int_equal(floe_jpeg_encode(j, px, 2, 2, 8, 0, &b), -EINVAL);
    assert_int_equal(floe_jpeg_encode(j, px, 2, 2, 8, 101, &b), -EINVAL);
    assert_int_equal(floe_jpeg_encode(j, px, 3, 2, 8, 85, &b), -EINVAL);
    assert_int_equal(floe_jpeg_encode(j, px, 0, 2, 8, 85, &b), -EINVAL);
    assert_int_equal(floe_jpeg_encode(j, NULL, 2, 2, 8, 85, &b), -EINVAL);
    assert_int_equal(floe_jpeg_encode(NULL, px, 2, 2, 8, 85, &b), -EINVAL);
    assert_int_equal(floe_jpeg_encode(j, px, 16385, 1, 65540, 85, &b), -EINVAL);
    assert_int_equal(floe_jpeg_alpha_encode(j, px, 2, 2, 8, true, 85, &b, NULL, &flags), -EINVAL);
    assert_int_equal(floe_jpeg_alpha_encode(j, px, 2, 2, 6, true, 85, &b, &js, &flags), -EINVAL);
    assert_int_equal(b.len, 0);
    assert_int_equal(floe_jpeg_decode(j, (const uint8_t *)"x", 1, px, 2, 2, 6), -EINVAL);
    assert_int_equal(floe_jpeg_decode(j, NULL, 1, px, 2, 2, 8), -EINVAL);
    assert_int_equal(floe_jpeg_decode(NULL, (const uint8_t *)"x", 1, px, 2, 2, 8), -EINVAL);
    floe_bytes_free(&b);
    floe_jpeg_free(j);
    floe_jpeg_free(NULL);
}

/* ------------------------------------------------------------------------ */
/* the registry */

static void test_codec_table(void **state)
{
    const struct floe_codec *jc = floe_codec_by_name("jpeg");
    const struct floe_codec *ja = floe_codec_by_name("jpeg-alpha");
    struct floe_codec_params lo = { .jpeg_quality = 20 }, dflt = { 0 };
    struct test_pic p = pic_new(64, 64, 64);
    uint32_t out[64 * 64];
    struct floe_pic pic = { p.px, 64, 64, 256, false };
    struct floe_pic dst = { out, 64, 64, 256, true };
    struct floe_bytes b = { 0 }, small = { 0 };
    struct floe_coded meta = { 0 };
    void *s, *s_lo;

    (void)state;
    assert_ptr_equal(jc, &floe_codec_jpeg);
    assert_ptr_equal(ja, &floe_codec_jpeg_alpha);
    assert_ptr_equal(floe_codec_by_type(105), jc);
    assert_ptr_equal(floe_codec_by_type(108), ja);
    assert_true(jc->lossy && ja->lossy);
    fill_smooth(&p);
    for (int i = 0; i < 64 * 64; i += 3)
        p.px[i] ^= rnd() & 0x3f3f3f;
    s = jc->state_new(&dflt);
    s_lo = jc->state_new(&lo);
    assert_non_null(s);
    assert_non_null(s_lo);
    /* the default is 85: the same bytes as an explicit 85 */
    assert_int_equal(jc->encode(s, &pic, &b, &meta), 0);
    assert_int_equal(meta.type, 105);
    small = encode(s, &p, 85);
    assert_int_equal(small.len, b.len);
    floe_bytes_free(&small);
    assert_int_equal(jc->encode(s_lo, &pic, &small, &meta), 0);
    assert_true(small.len < b.len);
    meta.data = b.data;
    meta.len = b.len;
    assert_int_equal(jc->decode(s, &meta, &dst), 0);
    assert_false(dst.alpha);
    /* JPEG cannot carry alpha */
    pic.alpha = true;
    assert_int_equal(jc->encode(s, &pic, &b, &meta), -EINVAL);
    floe_bytes_free(&b);
    assert_int_equal(ja->encode(s, &pic, &b, &meta), 0);
    assert_int_equal(meta.type, 108);
    assert_int_equal(meta.flags, FLOE_JPEG_ALPHA_TOP_DOWN);
    assert_true(meta.aux > 0 && meta.aux < b.len);
    meta.data = b.data;
    meta.len = b.len;
    dst.alpha = false;
    assert_int_equal(ja->decode(s, &meta, &dst), 0);
    assert_true(dst.alpha);
    assert_int_equal(out[77] >> 24, p.px[77] >> 24);
    jc->state_free(s);
    ja->state_free(s_lo);
    floe_bytes_free(&b);
    floe_bytes_free(&small);
    free(p.px);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_reference),
        cmocka_unit_test(test_roundtrip_q85),
        cmocka_unit_test(test_odd_sizes),
        cmocka_unit_test(test_strides),
        cmocka_unit_test(test_quality_and_size),
        cmocka_unit_test(test_decode_other_layouts),
        cmocka_unit_test(test_alpha_roundtrip),
        cmocka_unit_test(test_alpha_opaque),
        cmocka_unit_test(test_alpha_bottom_up),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_size_mismatch),
        cmocka_unit_test(test_alpha_bad),
        cmocka_unit_test(test_corrupted),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_codec_table),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
