/* Unit tests for the SPICE QUIC codec: reference payloads decoded pixel for
 * pixel and re-encoded byte for byte, round trips, and malformed input. */
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

#include "codecs/codec.h"
#include "codecs/quic.h"

/* QUIC payloads (the bytes after the image's data_size) that QEMU's SPICE
 * server sent for the whole screen, and QMP screendumps taken at the time:
 * SeaBIOS's text screen, and its boot splash (a plasma and a gradient). */
#define SEABIOS_BIN "tests/unit/data/quic-seabios-rgb32.bin"
#define SEABIOS_PNG "tests/unit/data/quic-seabios-rgb32.png"
#define SPLASH_BIN "tests/unit/data/quic-splash-rgb32.bin"
#define SPLASH_PNG "tests/unit/data/quic-splash-rgb32.png"
/* A 67x45 picture with alpha (smooth, flat and noisy bands) and the payloads
 * the reference encoder (spice-common's quic.c) made of it as GRAY (the blue
 * byte), RGB16 (the top 5 bits of each channel), RGB24 and RGBA. */
#define MIXED_PNG "tests/unit/data/quic-mixed.png"
#define MIXED_W 67
#define MIXED_H 45

/* ------------------------------------------------------------------------ */
/* helpers */

static uint32_t rng_state = 0x9e3779b9u;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* Decodes an exact-size copy of in[0..len) into out (w x h, stride w). */
static int decode_copy(const uint8_t *in, size_t len, int w, int h, uint32_t *out, int *alpha)
{
    uint8_t *copy = dup_exact(in, len);
    int ret = floe_quic_decode(copy, len, out, w, h, w * 4, alpha);

    free(copy);
    return ret;
}

enum content { FLAT, NOISE, GRADIENT, SMOOTH, STRIPES, CONTENTS };

/* A w x h picture, rows `pitch` words apart, the padding filled with junk. */
static uint32_t *make_pic(int w, int h, int pitch, enum content c)
{
    uint32_t *p = malloc((size_t)pitch * h * 4);

    assert_non_null(p);
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < pitch; x++) {
            uint32_t v = rng();

            if (x < w) {
                switch (c) {
                case FLAT: v = 0x7f2060a0u; break;
                case NOISE: break;
                case GRADIENT:
                    v = (uint32_t)(x * 255 / w) << 16 | (uint32_t)(y * 255 / h) << 8 |
                        (uint32_t)((x + y) & 255) | (uint32_t)(255 - (x & 255)) << 24;
                    break;
                case SMOOTH: {
                    /* photo-like: slow waves plus a little noise */
                    int r = 128 + (x * 7 + y * 3) % 97 - 48 + (int)(v & 3);
                    int g = 100 + ((x * x + y * y) / 40) % 80 + (int)(v >> 8 & 1);
                    int b = 60 + (y * 5 / 3 + x / 2) % 120;

                    v = (uint32_t)r << 16 | (uint32_t)g << 8 | (uint32_t)b |
                        (uint32_t)((x * 3 + y) & 255) << 24;
                    break;
                }
                case STRIPES:
                    /* flat runs with edges, an odd pixel now and then */
                    if ((x * 7 + y * 13) % 53)
                        v = (x / 6 + y / 4) % 3 ? 0xff304050u : 0x80e0d0c0u;
                    break;
                default: break;
                }
            }
            p[(size_t)y * pitch + x] = v;
        }
    }
    return p;
}

/* What a decoder must give back for a picture coded as `type`. */
static uint32_t expected_pixel(uint32_t v, enum floe_quic_type type)
{
    uint32_t g = v & 0xff, r16 = (v >> 3) & 0x001f1f1fu;

    switch (type) {
    case FLOE_QUIC_GRAY: return g * 0x010101u;
    case FLOE_QUIC_RGB16: return r16 << 3 | ((r16 >> 2) & 0x070707u);
    case FLOE_QUIC_RGBA: return v;
    default: return v & 0x00ffffffu;
    }
}

/* Encodes as `type` from a padded picture, decodes into a padded buffer of
 * another stride, and checks every pixel and that the padding is untouched. */
static void roundtrip(int w, int h, enum content c, enum floe_quic_type type)
{
    struct floe_bytes b = { 0 };
    int pitch = w + 3, opitch = w + 1, alpha = -1;
    uint32_t *pic = make_pic(w, h, pitch, c);
    uint32_t *out = malloc((size_t)opitch * h * 4);
    uint8_t *copy;

    assert_non_null(out);
    memset(out, 0xa5, (size_t)opitch * h * 4);
    assert_int_equal(floe_quic_encode_type(pic, w, h, pitch * 4, type, &b), 0);
    copy = dup_exact(b.data, b.len);
    assert_int_equal(floe_quic_decode(copy, b.len, out, w, h, opitch * 4, &alpha), 0);
    assert_int_equal(alpha, type == FLOE_QUIC_RGBA);
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            uint32_t want = expected_pixel(pic[(size_t)y * pitch + x], type);
            uint32_t got = out[(size_t)y * opitch + x];

            if (got != want)
                fail_msg("%dx%d content %d type %d: pixel %d,%d is %08x, not %08x", w, h, c,
                         type, x, y, got, want);
        }
        assert_int_equal(out[(size_t)y * opitch + w], 0xa5a5a5a5u);
    }
    free(copy);
    floe_bytes_free(&b);
    free(out);
    free(pic);
}

/* A small RGBA stream with runs, smooth and noisy parts, for the damage tests. */
static uint8_t *small_stream(size_t *len, int *w, int *h)
{
    struct floe_bytes b = { 0 };
    uint32_t *pic;

    *w = 61;
    *h = 37;
    pic = make_pic(*w, *h, *w, STRIPES);
    for (int i = 0; i < *w * 12; i++)
        pic[i] = pic[i] + (uint32_t)i * 0x01020301u;
    assert_int_equal(floe_quic_encode(pic, *w, *h, *w * 4, 1, &b), 0);
    free(pic);
    *len = b.len;
    return b.data;
}

/* ------------------------------------------------------------------------ */
/* the reference's payloads */

static void check_capture(const char *bin, const char *png, int w, int h)
{
    struct floe_quic_info info;
    struct floe_bytes b = { 0 };
    size_t len;
    uint8_t *q = read_file(bin, &len);
    uint32_t *want = read_png(png, w, h);
    uint32_t *out = malloc((size_t)(w + 3) * 4 * h);
    int alpha = -1;

    assert_non_null(out);
    assert_int_equal(floe_quic_peek(q, len, &info), 0);
    assert_int_equal(info.type, FLOE_QUIC_RGB32);
    assert_int_equal(info.width, w);
    assert_int_equal(info.height, h);

    /* a wider output stride: pixels land row by row, the padding is untouched */
    memset(out, 0xa5, (size_t)(w + 3) * 4 * h);
    assert_int_equal(floe_quic_decode(q, len, out, w, h, (w + 3) * 4, &alpha), 0);
    assert_int_equal(alpha, 0);
    for (int y = 0; y < h; y++) {
        const uint32_t *row = out + (size_t)y * (w + 3);

        for (int x = 0; x < w; x++) {
            if (row[x] != (want[(size_t)y * w + x] & 0x00ffffffu))
                fail_msg("%s: pixel %d,%d is %08x, the screendump has %08x", bin, x, y, row[x],
                         want[(size_t)y * w + x]);
        }
        for (int x = w; x < w + 3; x++)
            assert_int_equal(row[x], 0xa5a5a5a5u);
    }

    /* the encoder makes the very same stream from the picture */
    assert_int_equal(floe_quic_encode(want, w, h, w * 4, 0, &b), 0);
    assert_int_equal(b.len, len);
    assert_memory_equal(b.data, q, len);
    floe_bytes_free(&b);
    free(out);
    free(want);
    free(q);
}

static void test_capture_seabios_text(void **state)
{
    (void)state;
    check_capture(SEABIOS_BIN, SEABIOS_PNG, 720, 400);
}

static void test_capture_seabios_splash(void **state)
{
    (void)state;
    check_capture(SPLASH_BIN, SPLASH_PNG, 640, 480);
}

/* Every stream type the reference encoder makes decodes to what it coded,
 * and floe's encoder makes each byte for byte. */
static void test_reference_types(void **state)
{
    static const struct {
        const char *path;
        enum floe_quic_type type;
    } cases[] = {
        { "tests/unit/data/quic-mixed-gray.bin", FLOE_QUIC_GRAY },
        { "tests/unit/data/quic-mixed-rgb16.bin", FLOE_QUIC_RGB16 },
        { "tests/unit/data/quic-mixed-rgb24.bin", FLOE_QUIC_RGB24 },
        { "tests/unit/data/quic-mixed-rgba.bin", FLOE_QUIC_RGBA },
    };
    uint32_t *pic = read_png(MIXED_PNG, MIXED_W, MIXED_H);
    uint32_t out[MIXED_W * MIXED_H];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct floe_bytes b = { 0 };
        struct floe_quic_info info;
        size_t len;
        uint8_t *q = read_file(cases[i].path, &len);
        int alpha = -1;

        assert_int_equal(floe_quic_peek(q, len, &info), 0);
        assert_int_equal(info.type, cases[i].type);
        assert_int_equal(decode_copy(q, len, MIXED_W, MIXED_H, out, &alpha), 0);
        assert_int_equal(alpha, cases[i].type == FLOE_QUIC_RGBA);
        for (int p = 0; p < MIXED_W * MIXED_H; p++) {
            if (out[p] != expected_pixel(pic[p], cases[i].type))
                fail_msg("%s: pixel %d,%d is %08x, not %08x", cases[i].path, p % MIXED_W,
                         p / MIXED_W, out[p], expected_pixel(pic[p], cases[i].type));
        }
        assert_int_equal(floe_quic_encode_type(pic, MIXED_W, MIXED_H, MIXED_W * 4,
                                               cases[i].type, &b), 0);
        assert_int_equal(b.len, len);
        assert_memory_equal(b.data, q, len);
        floe_bytes_free(&b);
        free(q);
    }
    free(pic);
}

/* ------------------------------------------------------------------------ */
/* round trips */

static const int sizes[][2] = {
    { 1, 1 }, { 2, 1 }, { 1, 2 }, { 3, 7 }, { 4, 4 }, { 641, 97 }, { 1, 700 },
    /* the model's update interval grows every 2048 pixels, inside a row or at its end */
    { 2047, 2 }, { 2048, 2 }, { 2049, 3 }, { 5000, 3 },
};

static void roundtrip_all(enum floe_quic_type type)
{
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
        for (int c = 0; c < CONTENTS; c++)
            roundtrip(sizes[s][0], sizes[s][1], (enum content)c, type);
}

/* RGB32 ignores the top byte (the pictures have junk there) and decodes it as 0. */
static void test_roundtrip_rgb32(void **state)
{
    (void)state;
    roundtrip_all(FLOE_QUIC_RGB32);
}

static void test_roundtrip_rgba(void **state)
{
    (void)state;
    roundtrip_all(FLOE_QUIC_RGBA);
}

static void test_roundtrip_other_types(void **state)
{
    (void)state;
    roundtrip_all(FLOE_QUIC_GRAY);
    roundtrip_all(FLOE_QUIC_RGB16);
    roundtrip_all(FLOE_QUIC_RGB24);
}

/* Flat pictures shrink to almost nothing; noise costs at most a little more
 * than the raw bytes. */
static void test_sizes(void **state)
{
    struct floe_bytes b = { 0 };
    uint32_t *flat = make_pic(640, 480, 640, FLAT), *noise = make_pic(64, 64, 64, NOISE);

    (void)state;
    assert_int_equal(floe_quic_encode(flat, 640, 480, 640 * 4, 0, &b), 0);
    assert_true(b.len < 2000);
    floe_bytes_free(&b);
    assert_int_equal(floe_quic_encode(noise, 64, 64, 64 * 4, 1, &b), 0);
    assert_true(b.len < 64 * 64 * 4 * 11 / 10);
    /* encoders append: a second picture goes after the first */
    {
        size_t first = b.len;

        assert_int_equal(floe_quic_encode(noise, 64, 64, 64 * 4, 1, &b), 0);
        assert_int_equal(b.len, 2 * first);
        assert_memory_equal(b.data, b.data + first, first);
    }
    floe_bytes_free(&b);
    free(flat);
    free(noise);
}

/* ------------------------------------------------------------------------ */
/* damaged input */

/* Every prefix is refused: a stream needs all its words, the last one too. */
static void test_truncated_every_length(void **state)
{
    int w, h;
    size_t len;
    uint8_t *s = small_stream(&len, &w, &h);
    uint32_t *out = malloc((size_t)w * h * 4);

    (void)state;
    assert_non_null(out);
    assert_int_equal(decode_copy(s, len, w, h, out, NULL), 0);
    for (size_t n = 0; n < len; n++) {
        if (decode_copy(s, n, w, h, out, NULL) != -EBADMSG)
            fail_msg("prefix of %zu of %zu bytes accepted", n, len);
    }
    free(out);
    free(s);
}

/* The captures cut at many lengths, the last words one by one. */
static void test_truncated_capture(void **state)
{
    size_t len;
    uint8_t *q = read_file(SPLASH_BIN, &len);
    uint32_t *out = malloc((size_t)640 * 480 * 4);

    (void)state;
    assert_non_null(out);
    for (size_t n = 0; n < len; n += n < 64 ? 1 : 397) {
        if (decode_copy(q, n, 640, 480, out, NULL) != -EBADMSG)
            fail_msg("prefix of %zu bytes accepted", n);
    }
    for (size_t n = len - 12; n < len; n++)
        assert_int_equal(decode_copy(q, n, 640, 480, out, NULL), -EBADMSG);
    free(out);
    free(q);
}

/* Bytes after the last whole word the picture needs are ignored, as the
 * reference decoder does (it is handed whole words). */
static void test_trailing_bytes(void **state)
{
    int w, h;
    size_t len;
    uint8_t *s = small_stream(&len, &w, &h), *longer = malloc(len + 7);
    uint32_t *a = malloc((size_t)w * h * 4), *b = malloc((size_t)w * h * 4);

    (void)state;
    assert_non_null(longer);
    assert_non_null(a);
    assert_non_null(b);
    memcpy(longer, s, len);
    memset(longer + len, 0x5a, 7);
    assert_int_equal(decode_copy(s, len, w, h, a, NULL), 0);
    for (size_t extra = 1; extra <= 7; extra++) {
        assert_int_equal(decode_copy(longer, len + extra, w, h, b, NULL), 0);
        assert_memory_equal(a, b, (size_t)w * h * 4);
    }
    free(a);
    free(b);
    free(longer);
    free(s);
}

/* Damaging any byte, or a run of bytes, never crashes or reads outside the input. */
static void test_corrupted(void **state)
{
    int w, h, refused = 0;
    size_t len;
    uint8_t *s = small_stream(&len, &w, &h), *copy = dup_exact(s, len);
    uint32_t *out = malloc((size_t)w * h * 4);

    (void)state;
    assert_non_null(out);
    for (size_t i = FLOE_QUIC_HEADER_SIZE; i < len; i++) {
        static const uint8_t masks[] = { 0x01, 0x80, 0xff };

        for (size_t m = 0; m < sizeof(masks); m++) {
            int ret;

            copy[i] ^= masks[m];
            ret = floe_quic_decode(copy, len, out, w, h, w * 4, NULL);
            assert_true(ret == 0 || ret == -EBADMSG);
            refused += ret != 0;
            copy[i] = s[i];
        }
    }
    assert_true(refused > 0);
    /* garbage after a valid header */
    for (int round = 0; round < 200; round++) {
        for (size_t i = FLOE_QUIC_HEADER_SIZE; i < len; i++)
            copy[i] = (uint8_t)(round & 1 ? rng() : rng() | rng());
        assert_true(floe_quic_decode(copy, len, out, w, h, w * 4, NULL) <= 0);
    }
    free(out);
    free(copy);
    free(s);
}

static void test_corrupted_capture(void **state)
{
    size_t len;
    uint8_t *q = read_file(SEABIOS_BIN, &len), *copy = dup_exact(q, len);
    uint32_t *out = malloc((size_t)720 * 400 * 4);

    (void)state;
    assert_non_null(out);
    for (size_t i = FLOE_QUIC_HEADER_SIZE; i < len; i += 41) {
        int ret;

        copy[i] ^= (uint8_t)(1u << (i % 8));
        ret = floe_quic_decode(copy, len, out, 720, 400, 720 * 4, NULL);
        assert_true(ret == 0 || ret == -EBADMSG);
        copy[i] = q[i];
    }
    free(out);
    free(copy);
    free(q);
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void test_bad_header(void **state)
{
    int w, h;
    size_t len;
    uint8_t *s = small_stream(&len, &w, &h), *copy = dup_exact(s, len);
    uint32_t *out = malloc((size_t)w * h * 4);
    static const struct {
        size_t at;
        uint32_t value;
    } bad[] = {
        { 0, 0x43495552 }, /* magic */
        { 0, 0 },
        { 4, 1 },          /* version */
        { 4, 0x00010000 },
        { 8, 0 },          /* type */
        { 8, 6 },
        { 8, 0xffffffff },
        { 12, 60 },        /* width and height must be the caller's */
        { 12, 62 },
        { 16, 36 },
        { 16, 0 },
        { 12, 0x80000000 },
        { 16, FLOE_QUIC_MAX_DIM + 1 },
    };
    struct floe_quic_info info;

    (void)state;
    assert_non_null(out);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memcpy(copy, s, len);
        put32(copy + bad[i].at, bad[i].value);
        if (floe_quic_decode(copy, len, out, w, h, w * 4, NULL) != -EBADMSG)
            fail_msg("header word %zu = %08x accepted", bad[i].at / 4, bad[i].value);
    }
    /* short headers */
    for (size_t n = 0; n < FLOE_QUIC_HEADER_SIZE; n++) {
        assert_int_equal(floe_quic_peek(s, n, &info), -EBADMSG);
        assert_int_equal(decode_copy(s, n, w, h, out, NULL), -EBADMSG);
    }
    /* the header alone, and the header with one word of pixels */
    assert_int_equal(floe_quic_peek(s, FLOE_QUIC_HEADER_SIZE, &info), 0);
    assert_int_equal(decode_copy(s, FLOE_QUIC_HEADER_SIZE, w, h, out, NULL), -EBADMSG);
    assert_int_equal(decode_copy(s, FLOE_QUIC_HEADER_SIZE + 4, w, h, out, NULL), -EBADMSG);
    /* a stream for a bigger picture, into a buffer for the announced one */
    assert_int_equal(decode_copy(s, len, w + 1, h, out, NULL), -EBADMSG);
    free(out);
    free(copy);
    free(s);
}

static void test_bad_arguments(void **state)
{
    int w, h;
    size_t len;
    uint8_t *s = small_stream(&len, &w, &h);
    uint32_t px[4];
    struct floe_bytes b = { 0 };

    (void)state;
    assert_int_equal(floe_quic_decode(NULL, len, px, 1, 1, 4, NULL), -EINVAL);
    assert_int_equal(floe_quic_decode(s, len, NULL, 1, 1, 4, NULL), -EINVAL);
    assert_int_equal(floe_quic_decode(s, len, px, 0, 1, 4, NULL), -EINVAL);
    assert_int_equal(floe_quic_decode(s, len, px, 1, -1, 4, NULL), -EINVAL);
    assert_int_equal(floe_quic_decode(s, len, px, 2, 1, 4, NULL), -EINVAL);   /* stride < 4 w */
    assert_int_equal(floe_quic_decode(s, len, px, 1, 1, 6, NULL), -EINVAL);   /* not words */
    assert_int_equal(floe_quic_decode(s, len, px, FLOE_QUIC_MAX_DIM + 1, 1,
                                      (FLOE_QUIC_MAX_DIM + 1) * 4, NULL), -EINVAL);
    assert_int_equal(floe_quic_decode(s, len, px, 1, FLOE_QUIC_MAX_DIM + 1, 4, NULL), -EINVAL);
    assert_int_equal(floe_quic_decode(s, len, px, FLOE_QUIC_MAX_DIM, FLOE_QUIC_MAX_DIM / 2 + 8,
                                      FLOE_QUIC_MAX_DIM * 4, NULL), -EINVAL);
    assert_int_equal(floe_quic_encode(NULL, 1, 1, 4, 0, &b), -EINVAL);
    assert_int_equal(floe_quic_encode(px, 1, 1, 4, 0, NULL), -EINVAL);
    assert_int_equal(floe_quic_encode(px, 0, 1, 4, 0, &b), -EINVAL);
    assert_int_equal(floe_quic_encode(px, 2, 1, 4, 0, &b), -EINVAL);
    assert_int_equal(floe_quic_encode(px, 1, 1, 5, 0, &b), -EINVAL);
    assert_int_equal(floe_quic_encode_type(px, 1, 1, 4, 0, &b), -EINVAL);
    assert_int_equal(floe_quic_encode_type(px, 1, 1, 4, 6, &b), -EINVAL);
    assert_int_equal(b.len, 0);
    free(s);
}

/* The registry finds the codec; its functions carry type and alpha. */
static void test_codec_table(void **state)
{
    const struct floe_codec *c = floe_codec_by_type(1);
    uint32_t pix[6] = { 0x11223344, 0x55667788, 0x99aabbcc, 0xddeeff00, 0, 0xffffffff };
    uint32_t back[6];
    struct floe_pic in = { pix, 3, 2, 12, true }, out = { back, 3, 2, 12, false };
    struct floe_coded meta = { 0 };
    struct floe_bytes b = { 0 };

    (void)state;
    assert_ptr_equal(c, &floe_codec_quic);
    assert_ptr_equal(floe_codec_by_name("quic"), &floe_codec_quic);
    assert_false(c->lossy);
    assert_int_equal(c->encode(NULL, &in, &b, &meta), 0);
    assert_int_equal(meta.type, 1);
    meta.data = b.data;
    meta.len = b.len;
    assert_int_equal(c->decode(NULL, &meta, &out), 0);
    assert_true(out.alpha);
    assert_memory_equal(back, pix, sizeof(pix));
    floe_bytes_free(&b);

    in.alpha = false;
    assert_int_equal(c->encode(NULL, &in, &b, &meta), 0);
    meta.data = b.data;
    meta.len = b.len;
    assert_int_equal(c->decode(NULL, &meta, &out), 0);
    assert_false(out.alpha);
    for (int i = 0; i < 6; i++)
        assert_int_equal(back[i], pix[i] & 0x00ffffffu);
    floe_bytes_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capture_seabios_text),
        cmocka_unit_test(test_capture_seabios_splash),
        cmocka_unit_test(test_reference_types),
        cmocka_unit_test(test_roundtrip_rgb32),
        cmocka_unit_test(test_roundtrip_rgba),
        cmocka_unit_test(test_roundtrip_other_types),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_truncated_every_length),
        cmocka_unit_test(test_truncated_capture),
        cmocka_unit_test(test_trailing_bytes),
        cmocka_unit_test(test_corrupted),
        cmocka_unit_test(test_corrupted_capture),
        cmocka_unit_test(test_bad_header),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_codec_table),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
