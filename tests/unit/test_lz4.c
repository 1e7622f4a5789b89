/* Unit tests for the SPICE LZ4 decoder: streams made with liblz4's own streaming
 * compressor for every format, row order and a few sizes, and malformed input. */
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

#include <lz4.h>

#include "codecs/lz4.h"

enum content { CONTENT_RANDOM, CONTENT_SMOOTH, CONTENT_SAME_ROWS };

/* ------------------------------------------------------------------------ */
/* helpers */

static uint32_t rng_state = 0x2545f491u;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static size_t bpp_of(int format)
{
    return format == FLOE_LZ4_RGB16 ? 2 : format == FLOE_LZ4_RGB24 ? 3 : 4;
}


/* The packed rows the server would compress, first stream row first. */
static uint8_t *make_packed(int format, int w, int h, enum content c)
{
    size_t row = (size_t)w * bpp_of(format), n = row * (size_t)h;
    uint8_t *p = malloc(n);

    assert_non_null(p);
    for (size_t i = 0; i < n; i++) {
        size_t y = i / row, x = i % row;

        switch (c) {
        case CONTENT_RANDOM: p[i] = (uint8_t)rng(); break;
        case CONTENT_SMOOTH: p[i] = (uint8_t)(x / 7 + y * 3 + (x % 3) * 40); break;
        case CONTENT_SAME_ROWS: p[i] = y ? p[x] : (uint8_t)rng(); break;
        }
    }
    return p;
}

/* Compresses packed[0..w*h*bpp) as lz4-encoder.c does: one LZ4 stream over
 * chunks of rows_per_chunk rows, each behind its big-endian length. */
static uint8_t *make_stream(const uint8_t *packed, int format, int w, int h, int top_down,
                            int rows_per_chunk, size_t *len)
{
    size_t row = (size_t)w * bpp_of(format), total = row * (size_t)h;
    size_t cap = 2 + (size_t)h * 4 + (size_t)LZ4_compressBound((int)total) + (size_t)h * 16;
    uint8_t *s = malloc(cap);
    LZ4_stream_t *ls = LZ4_createStream();
    size_t n = 2;

    assert_non_null(s);
    assert_non_null(ls);
    s[0] = (uint8_t)top_down;
    s[1] = (uint8_t)format;
    for (int y = 0; y < h; y += rows_per_chunk) {
        int rows = h - y < rows_per_chunk ? h - y : rows_per_chunk;
        int in = (int)(row * (size_t)rows);
        int c = LZ4_compress_fast_continue(ls, (const char *)packed + row * (size_t)y,
                                           (char *)s + n + 4, in, (int)(cap - n - 4), 1);

        assert_true(c > 0);
        s[n] = (uint8_t)(c >> 24);
        s[n + 1] = (uint8_t)(c >> 16);
        s[n + 2] = (uint8_t)(c >> 8);
        s[n + 3] = (uint8_t)c;
        n += 4 + (size_t)c;
    }
    LZ4_freeStream(ls);
    *len = n;
    return s;
}

/* What the picture should look like, top row first, written independently
 * of the decoder from the format descriptions. */
static uint32_t *expected_pixels(const uint8_t *packed, int format, int w, int h, int top_down)
{
    uint32_t *want = malloc((size_t)w * h * 4);
    size_t bpp = bpp_of(format);

    assert_non_null(want);
    for (int y = 0; y < h; y++) {
        int sy = top_down ? y : h - 1 - y;

        for (int x = 0; x < w; x++) {
            const uint8_t *p = packed + ((size_t)sy * w + x) * bpp;
            uint32_t v = 0;

            if (format == FLOE_LZ4_RGB16) {
                unsigned px = p[0] | p[1] << 8;
                unsigned r = (px >> 10) & 31, g = (px >> 5) & 31, b = px & 31;

                v = (r * 8 + r / 4) << 16 | (g * 8 + g / 4) << 8 | (b * 8 + b / 4);
            } else {
                v = (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
                if (format == FLOE_LZ4_RGBA)
                    v |= (uint32_t)p[3] << 24;
            }
            want[(size_t)y * w + x] = v;
        }
    }
    return want;
}

/* Decodes an exact-size copy of in[0..len) into out (out_h rows of stride bytes). */
static int decode_copy(const uint8_t *in, size_t len, uint32_t *out, int w, int h, int stride,
                       int *has_alpha)
{
    uint8_t *copy = dup_exact(in, len);
    int ret = floe_lz4_decode(copy, len, out, w, h, stride, has_alpha);

    free(copy);
    return ret;
}

/* Decodes at stride 4 * w (in place) and at a padded stride (scratch buffer),
 * checks every pixel and that the padding between rows is untouched. */
static void check_decode(const uint8_t *s, size_t len, const uint32_t *want, int w, int h,
                         int alpha)
{
    for (int pad = 0; pad <= 3; pad += 3) {
        int pitch = w + pad, has_alpha = -1;
        uint32_t *out = malloc((size_t)pitch * h * 4);

        assert_non_null(out);
        memset(out, 0xa5, (size_t)pitch * h * 4);
        assert_int_equal(decode_copy(s, len, out, w, h, pitch * 4, &has_alpha), 0);
        assert_int_equal(has_alpha, alpha);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++)
                if (out[(size_t)y * pitch + x] != want[(size_t)y * w + x])
                    fail_msg("%dx%d pad %d: pixel %d,%d is %08x, want %08x", w, h, pad, x, y,
                             out[(size_t)y * pitch + x], want[(size_t)y * w + x]);
            for (int x = w; x < pitch; x++)
                assert_int_equal(out[(size_t)y * pitch + x], 0xa5a5a5a5u);
        }
        free(out);
    }
}

static void roundtrip(int format, int w, int h, int top_down, enum content c, int rows_per_chunk)
{
    uint8_t *packed = make_packed(format, w, h, c);
    uint32_t *want = expected_pixels(packed, format, w, h, top_down);
    size_t len;
    uint8_t *s = make_stream(packed, format, w, h, top_down, rows_per_chunk, &len);

    check_decode(s, len, want, w, h, format == FLOE_LZ4_RGBA);
    free(s);
    free(want);
    free(packed);
}

/* ------------------------------------------------------------------------ */
/* good streams */

static const int formats[] = { FLOE_LZ4_RGB32, FLOE_LZ4_RGBA, FLOE_LZ4_RGB24, FLOE_LZ4_RGB16 };

static void test_roundtrip_all(void **state)
{
    static const int sizes[][2] = { { 1, 1 }, { 3, 5 }, { 17, 9 }, { 1, 7 }, { 33, 1 },
                                    { 300, 200 } };

    (void)state;
    for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++)
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
            for (int td = 0; td <= 1; td++)
                for (int c = CONTENT_RANDOM; c <= CONTENT_SAME_ROWS; c++) {
                    int w = sizes[i][0], h = sizes[i][1];

                    roundtrip(formats[f], w, h, td, (enum content)c, 1);
                    roundtrip(formats[f], w, h, td, (enum content)c, (h + 3) / 4);
                    roundtrip(formats[f], w, h, td, (enum content)c, h);
                }
}

/* Identical random rows, one chunk per row: every chunk after the first can
 * only be small by copying from an earlier chunk's output. */
static void test_cross_chunk_references(void **state)
{
    enum { W = 64, H = 8 };

    (void)state;
    for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
        uint8_t *packed = make_packed(formats[f], W, H, CONTENT_SAME_ROWS);
        size_t len, row = W * bpp_of(formats[f]);
        uint8_t *s = make_stream(packed, formats[f], W, H, 1, 1, &len);
        uint32_t *want = expected_pixels(packed, formats[f], W, H, 1);
        size_t first = (size_t)s[2] << 24 | (size_t)s[3] << 16 | (size_t)s[4] << 8 | s[5];

        assert_true(first >= row);
        assert_true(len - 2 - 4 - first < (H - 1) * row / 4);
        check_decode(s, len, want, W, H, formats[f] == FLOE_LZ4_RGBA);
        free(want);
        free(s);
        free(packed);
    }
}

/* Each format's pixel layout, pinned by hand (2x1, one chunk, top-down). */
static void expect_two_pixels(int format, const uint8_t *packed, uint32_t a, uint32_t b)
{
    size_t len;
    uint8_t *s = make_stream(packed, format, 2, 1, 1, 1, &len);
    const uint32_t want[] = { a, b };

    check_decode(s, len, want, 2, 1, format == FLOE_LZ4_RGBA);
    free(s);
}

static void test_pixel_layouts(void **state)
{
    static const uint8_t p32[] = { 0x33, 0x22, 0x11, 0xff, 0xc0, 0xb0, 0xa0, 0x01 };
    static const uint8_t p24[] = { 0x33, 0x22, 0x11, 0xc0, 0xb0, 0xa0 };
    static const uint8_t p16[] = { 0x00, 0x7c, 0x21, 0x84 };  /* r 31; top bit, r g b 1 */

    (void)state;
    expect_two_pixels(FLOE_LZ4_RGB32, p32, 0x00112233u, 0x00a0b0c0u);
    expect_two_pixels(FLOE_LZ4_RGBA, p32, 0xff112233u, 0x01a0b0c0u);
    expect_two_pixels(FLOE_LZ4_RGB24, p24, 0x00112233u, 0x00a0b0c0u);
    expect_two_pixels(FLOE_LZ4_RGB16, p16, 0x00ff0000u, 0x00080808u);
}

/* ------------------------------------------------------------------------ */
/* malformed streams */

/* A 37x23 RGB24 smooth picture in 5 chunks: small enough to decode n times. */
#define SMALL_W 37
#define SMALL_H 23

static uint8_t *small_stream(size_t *len, uint8_t **packed)
{
    *packed = make_packed(FLOE_LZ4_RGB24, SMALL_W, SMALL_H, CONTENT_SMOOTH);
    return make_stream(*packed, FLOE_LZ4_RGB24, SMALL_W, SMALL_H, 0, 5, len);
}

/* Every prefix is refused; ASan watches the exact-size copies and output. */
static void test_truncated(void **state)
{
    uint32_t *out = malloc(SMALL_W * SMALL_H * 4);
    uint8_t *packed;
    size_t len;
    uint8_t *s = small_stream(&len, &packed);

    (void)state;
    assert_non_null(out);
    for (size_t n = 0; n < len; n++) {
        int ret = decode_copy(s, n, out, SMALL_W, SMALL_H, SMALL_W * 4, NULL);

        if (ret != -EBADMSG)
            fail_msg("prefix of %zu of %zu bytes: %d", n, len, ret);
    }
    assert_int_equal(decode_copy(s, len, out, SMALL_W, SMALL_H, SMALL_W * 4, NULL), 0);
    free(out);
    free(s);
    free(packed);
}

/* Any one byte changed (three ways) never crashes or leaves the buffers. */
static void test_corrupted(void **state)
{
    static const uint8_t masks[] = { 0xff, 0x01, 0x80 };
    uint32_t *out = malloc(SMALL_W * SMALL_H * 4);
    uint8_t *packed;
    size_t len;
    uint8_t *s = small_stream(&len, &packed);
    uint8_t *copy = dup_exact(s, len);
    /* a padded stride: the scratch-buffer path (the last row ends at 4 * W) */
    uint32_t *wide = malloc(((SMALL_W + 2) * (SMALL_H - 1) + SMALL_W) * 4);
    int refused = 0;

    (void)state;
    assert_non_null(out);
    assert_non_null(wide);
    for (size_t m = 0; m < sizeof(masks); m++)
        for (size_t i = 0; i < len; i++) {
            int ret;

            copy[i] ^= masks[m];
            ret = floe_lz4_decode(copy, len, out, SMALL_W, SMALL_H, SMALL_W * 4, NULL);
            assert_true(ret == 0 || ret == -EBADMSG);
            ret = floe_lz4_decode(copy, len, wide, SMALL_W, SMALL_H, (SMALL_W + 2) * 4, NULL);
            assert_true(ret == 0 || ret == -EBADMSG);
            refused += ret != 0;
            copy[i] = s[i];
        }
    assert_true(refused > 0);
    free(wide);
    free(copy);
    free(out);
    free(s);
    free(packed);
}

/* A picture of another byte count than the stream's is refused (a size with
 * the same count, 37x23 as 23x37, cannot be told apart: no size on the wire). */
static void test_wrong_size(void **state)
{
    uint32_t *out = malloc((SMALL_W + 1) * (SMALL_H + 1) * 4);
    uint8_t *packed;
    size_t len;
    uint8_t *s = small_stream(&len, &packed);

    (void)state;
    assert_non_null(out);
    assert_int_equal(decode_copy(s, len, out, SMALL_W - 1, SMALL_H, SMALL_W * 4, NULL), -EBADMSG);
    assert_int_equal(decode_copy(s, len, out, SMALL_W + 1, SMALL_H, (SMALL_W + 1) * 4, NULL),
                     -EBADMSG);
    assert_int_equal(decode_copy(s, len, out, SMALL_W, SMALL_H - 1, SMALL_W * 4, NULL), -EBADMSG);
    assert_int_equal(decode_copy(s, len, out, SMALL_W, SMALL_H + 1, SMALL_W * 4, NULL), -EBADMSG);
    assert_int_equal(decode_copy(s, len, out, 1, 1, 4, NULL), -EBADMSG);
    /* the same stream under another format's pixel size */
    s[1] = FLOE_LZ4_RGB32;
    assert_int_equal(decode_copy(s, len, out, SMALL_W, SMALL_H, SMALL_W * 4, NULL), -EBADMSG);
    s[1] = FLOE_LZ4_RGB16;
    assert_int_equal(decode_copy(s, len, out, SMALL_W, SMALL_H, SMALL_W * 4, NULL), -EBADMSG);
    free(out);
    free(s);
    free(packed);
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void test_bad_chunks(void **state)
{
    uint32_t out[64];
    uint8_t packed[64 * 4], buf[1024];
    size_t len, n;
    uint8_t *s;

    (void)state;
    for (size_t i = 0; i < sizeof(packed); i++)
        packed[i] = (uint8_t)(i * 7);
    s = make_stream(packed, FLOE_LZ4_RGB32, 8, 8, 1, 4, &len);
    assert_true(len + 16 < sizeof(buf));
    assert_int_equal(decode_copy(s, len, out, 8, 8, 32, NULL), 0);

    /* header only, and no header at all */
    assert_int_equal(decode_copy(s, 2, out, 8, 8, 32, NULL), -EBADMSG);
    assert_int_equal(decode_copy(s, 1, out, 8, 8, 32, NULL), -EBADMSG);
    assert_int_equal(decode_copy(s, 0, out, 8, 8, 32, NULL), -EBADMSG);
    /* a zero-length chunk in front */
    memcpy(buf, s, 2);
    put_be32(buf + 2, 0);
    memcpy(buf + 6, s + 2, len - 2);
    assert_int_equal(decode_copy(buf, len + 4, out, 8, 8, 32, NULL), -EBADMSG);
    /* a zero-length chunk at the end, and stray bytes after a whole picture */
    memcpy(buf, s, len);
    put_be32(buf + len, 0);
    assert_int_equal(decode_copy(buf, len + 4, out, 8, 8, 32, NULL), -EBADMSG);
    for (n = 1; n <= 4; n++)
        assert_int_equal(decode_copy(buf, len + n, out, 8, 8, 32, NULL), -EBADMSG);
    /* a further valid-looking chunk after a whole picture: an empty LZ4 block */
    put_be32(buf + len, 1);
    buf[len + 4] = 0;
    assert_int_equal(decode_copy(buf, len + 5, out, 8, 8, 32, NULL), -EBADMSG);
    /* a first chunk claiming more bytes than there are, or than any block can need */
    memcpy(buf, s, len);
    put_be32(buf + 2, (uint32_t)(len - 6 + 1));
    assert_int_equal(decode_copy(buf, len, out, 8, 8, 32, NULL), -EBADMSG);
    put_be32(buf + 2, 0xffffffffu);
    assert_int_equal(decode_copy(buf, len, out, 8, 8, 32, NULL), -EBADMSG);
    put_be32(buf + 2, 0x80000000u);
    assert_int_equal(decode_copy(buf, len, out, 8, 8, 32, NULL), -EBADMSG);
    free(s);

    /* a stream of more rows than the picture: liblz4 stops at the picture's end */
    s = make_stream(packed, FLOE_LZ4_RGB32, 8, 8, 1, 8, &len);
    assert_int_equal(decode_copy(s, len, out, 8, 7, 32, NULL), -EBADMSG);
    assert_int_equal(decode_copy(s, len, out, 7, 8, 28, NULL), -EBADMSG);
    free(s);
    /* an oversized chunk length when little is left: 1 pixel needs at most 16 + 4 bytes */
    n = 2;
    buf[0] = 1;
    buf[1] = FLOE_LZ4_RGB32;
    put_be32(buf + n, 200);
    memset(buf + n + 4, 0, 200);
    assert_int_equal(decode_copy(buf, n + 204, out, 1, 1, 4, NULL), -EBADMSG);
}

/* Any format byte but the four RGB ones, and top_down past 1, are refused. */
static void test_bad_header(void **state)
{
    uint8_t packed[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
    uint32_t out[4];
    size_t len;
    uint8_t *s = make_stream(packed, FLOE_LZ4_RGB32, 2, 2, 1, 1, &len);
    int has_alpha = -1;

    (void)state;
    assert_int_equal(decode_copy(s, len, out, 2, 2, 8, &has_alpha), 0);
    assert_int_equal(has_alpha, 0);
    for (int f = 0; f < 256; f++) {
        s[1] = (uint8_t)f;
        if (f >= FLOE_LZ4_RGB16 && f <= FLOE_LZ4_RGBA)
            continue;
        if (decode_copy(s, len, out, 2, 2, 8, NULL) != -EBADMSG)
            fail_msg("format %d accepted", f);
    }
    s[1] = FLOE_LZ4_RGB32;
    for (int td = 2; td < 256; td += 17) {
        s[0] = (uint8_t)td;
        assert_int_equal(decode_copy(s, len, out, 2, 2, 8, NULL), -EBADMSG);
    }
    free(s);
}

static void test_bad_arguments(void **state)
{
    uint8_t packed[16] = { 0 };
    uint32_t out[16];
    size_t len;
    uint8_t *s = make_stream(packed, FLOE_LZ4_RGB32, 2, 2, 1, 1, &len);

    (void)state;
    assert_int_equal(floe_lz4_decode(s, len, out, 2, 2, 4, NULL), -EINVAL);    /* stride < 4w */
    assert_int_equal(floe_lz4_decode(s, len, out, 2, 2, 10, NULL), -EINVAL);   /* stride % 4 */
    assert_int_equal(floe_lz4_decode(s, len, out, 2, 2, 0, NULL), -EINVAL);
    assert_int_equal(floe_lz4_decode(s, len, out, 2, 2, -8, NULL), -EINVAL);
    assert_int_equal(floe_lz4_decode(s, len, NULL, 2, 2, 8, NULL), -EINVAL);
    assert_int_equal(floe_lz4_decode(NULL, 0, out, 2, 2, 8, NULL), -EINVAL);
    assert_int_equal(floe_lz4_decode(s, len, out, 0, 2, 8, NULL), -EINVAL);
    assert_int_equal(floe_lz4_decode(s, len, out, 2, -2, 8, NULL), -EINVAL);
    assert_int_equal(floe_lz4_decode(s, len, out, FLOE_LZ4_MAX_DIM + 1, 1,
                                     (FLOE_LZ4_MAX_DIM + 1) * 4, NULL), -EINVAL);
    assert_int_equal(floe_lz4_decode(s, len, out, 1, FLOE_LZ4_MAX_DIM + 1, 4, NULL), -EINVAL);
    /* each side within the limit, the area past it: refused before anything is touched */
    assert_int_equal(floe_lz4_decode(s, len, out, FLOE_LZ4_MAX_DIM, FLOE_LZ4_MAX_DIM,
                                     FLOE_LZ4_MAX_DIM * 4, NULL), -EINVAL);
    assert_int_equal(floe_lz4_decode(s, len, out, 2, 2, 8, NULL), 0);
    free(s);
}

/* floe's encoder: every size and row padding comes back exactly through
 * the decoder and the codec table, with and without alpha. */
static void test_encoder_roundtrip(void **state)
{
    static const int sizes[][2] = { { 1, 1 }, { 3, 7 }, { 641, 97 }, { 1920, 40 }, { 17, 300 } };
    uint32_t seed = 12345;

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        for (int alpha = 0; alpha < 2; alpha++) {
            int w = sizes[i][0], h = sizes[i][1], stride = (w + 3) * 4;
            uint32_t *px = malloc((size_t)stride * h), *out = calloc((size_t)w * h, 4);
            struct floe_bytes b = { 0 };
            struct floe_coded meta = { 0 };
            struct floe_pic pic = { px, w, h, stride, alpha };
            struct floe_pic got = { out, w, h, w * 4, 0 };

            assert_non_null(px);
            assert_non_null(out);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w + 3; x++) {
                    seed = seed * 1103515245u + 12345u;
                    /* half flat runs, half noise: both paths of the compressor */
                    px[y * (w + 3) + x] = (x & 32) ? (uint32_t)y * 0x010203u : seed >> 1;
                }
            assert_int_equal(floe_codec_lz4.encode(NULL, &pic, &b, &meta), 0);
            assert_int_equal(meta.type, 109);
            meta.data = b.data;
            meta.len = b.len;
            assert_int_equal(floe_codec_lz4.decode(NULL, &meta, &got), 0);
            assert_int_equal(got.alpha, alpha);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    uint32_t want = px[y * (w + 3) + x];

                    if (!alpha)
                        want &= 0xffffff;
                    assert_int_equal(out[y * w + x], want);
                }
            floe_bytes_free(&b);
            free(px);
            free(out);
        }
    }
    assert_int_equal(floe_lz4_encode(NULL, 1, 1, 4, 0, &(struct floe_bytes){ 0 }), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_all),
        cmocka_unit_test(test_cross_chunk_references),
        cmocka_unit_test(test_pixel_layouts),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_corrupted),
        cmocka_unit_test(test_wrong_size),
        cmocka_unit_test(test_bad_chunks),
        cmocka_unit_test(test_bad_header),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_encoder_roundtrip),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
