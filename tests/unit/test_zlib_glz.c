/* Unit tests for SPICE ZLIB_GLZ_RGB: QEMU's mix of GLZ_RGB and ZLIB_GLZ_RGB
 * tiles against its screendump, round trips, the fallback, and bad sizes. */
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

#include <zlib.h>

#include "codecs/lz.h"
#include "codecs/zlib_glz.h"

/* Captured from QEMU's SPICE server as tests/unit/test_glz.c's sequence,
 * with zlib-glz-wan-compression=always: the larger tiles come as
 * ZLIB_GLZ_RGB, the rest as GLZ_RGB, all in one window. Same screen, same
 * record layout (aux: glz_data_size). */
#define GOLDEN_BASE "tests/unit/data/glz-seabios-menu-base.lz"
#define GOLDEN_SEQ "tests/unit/data/glz-seabios-menu-zlib.seq"
#define GOLDEN_PNG "tests/unit/data/glz-seabios-menu.png"
#define SCREEN_W 720
#define SCREEN_H 400

/* Decodes tile t through the codec table, from an exact-size copy: GLZ_RGB
 * through either entry (they share the state), ZLIB_GLZ_RGB through its own. */
static int decode_tile(void *state, const struct tile *t, uint32_t *px, int which)
{
    const struct floe_codec *c = which || t->type == FLOE_ZLIB_GLZ_IMAGE_TYPE
                                     ? &floe_codec_zlib_glz : &floe_codec_glz;
    uint8_t *copy = dup_exact(t->data, t->len);
    struct floe_coded in = { .type = (uint8_t)t->type, .aux = t->aux, .data = copy,
                             .len = t->len };
    struct floe_pic out = { px, t->w, t->h, t->w * 4, false };
    int ret = c->decode(state, &in, &out);

    free(copy);
    return ret;
}

static void test_golden_screen(void **state)
{
    size_t base_len, seq_len;
    uint8_t *base = read_file(GOLDEN_BASE, &base_len);
    uint8_t *seq = read_file(GOLDEN_SEQ, &seq_len);
    uint32_t *screen = malloc(SCREEN_W * SCREEN_H * 4);
    void *st = floe_codec_zlib_glz.state_new(&(struct floe_codec_params){ 0 });
    struct tile t[64];
    int n, wrapped = 0;

    (void)state;
    n = read_tiles(seq, seq_len, t, 64);
    assert_int_equal(n, 34);
    assert_int_equal(floe_lz_decode(base, base_len, screen, SCREEN_W, SCREEN_H, SCREEN_W * 4,
                                    NULL), 0);
    for (int i = 0; i < n; i++) {
        uint32_t *px = malloc((size_t)t[i].w * t[i].h * 4);

        assert_true(t[i].type == 102 || t[i].type == 107);
        wrapped += t[i].type == 107;
        assert_int_equal(decode_tile(st, &t[i], px, i % 2), 0);
        put_tile(screen, SCREEN_W, &t[i], px);
        free(px);
    }
    assert_int_equal(wrapped, 11);
    expect_screen(screen, GOLDEN_PNG, SCREEN_W, SCREEN_H);
    floe_codec_zlib_glz.state_free(st);
    free(screen);
    free(seq);
    free(base);
}

/* Every prefix, every flipped byte and every wrong glz_data_size of the
 * wrapped tiles is refused or decodes, without a crash; the window keeps
 * only what decoded. */
static void test_golden_damaged(void **state)
{
    size_t seq_len;
    uint8_t *seq = read_file(GOLDEN_SEQ, &seq_len);
    struct tile t[64];
    int n = read_tiles(seq, seq_len, t, 64);
    struct floe_glz_window *w = floe_glz_window_new(0);

    (void)state;
    for (int i = 0; i < n; i++) {
        uint32_t *px = malloc((size_t)t[i].w * t[i].h * 4);

        if (t[i].type == 107) {
            uint8_t *copy = dup_exact(t[i].data, t[i].len);

            for (size_t k = 0; k < t[i].len; k++) {
                uint8_t *cut = dup_exact(t[i].data, k);

                assert_int_equal(floe_zlib_glz_decode(w, cut, k, t[i].aux, px, t[i].w, t[i].h,
                                                      t[i].w * 4, NULL), -EBADMSG);
                free(cut);
                copy[k] ^= 0x55;
                /* zlib's checksum catches what the GLZ decoder would not */
                assert_int_equal(floe_zlib_glz_decode(w, copy, t[i].len, t[i].aux, px, t[i].w,
                                                      t[i].h, t[i].w * 4, NULL), -EBADMSG);
                copy[k] = t[i].data[k];
            }
            for (uint32_t sz = 0; sz < t[i].aux + 40; sz++) {
                if (sz == t[i].aux)
                    continue;
                assert_int_equal(floe_zlib_glz_decode(w, copy, t[i].len, sz, px, t[i].w, t[i].h,
                                                      t[i].w * 4, NULL), -EBADMSG);
            }
            assert_int_equal(floe_zlib_glz_decode(w, copy, t[i].len, UINT32_MAX, px, t[i].w,
                                                  t[i].h, t[i].w * 4, NULL), -EBADMSG);
            assert_int_equal(floe_glz_window_images(w), (size_t)i);
            assert_int_equal(floe_zlib_glz_decode(w, copy, t[i].len, t[i].aux, px, t[i].w,
                                                  t[i].h, t[i].w * 4, NULL), 0);
            free(copy);
        } else {
            assert_int_equal(floe_glz_decode(w, t[i].data, t[i].len, px, t[i].w, t[i].h,
                                             t[i].w * 4, NULL), 0);
        }
        free(px);
    }
    floe_glz_window_free(w);
    free(seq);
}

/* A GLZ stream inside zlib needs no more bytes than its picture allows. */
static void test_size_bound(void **state)
{
    static uint8_t zeros[64];
    struct floe_glz_window *w = floe_glz_window_new(0);
    uint8_t z[128];
    uLongf zlen = sizeof(z);
    uint32_t px[4];

    (void)state;
    assert_int_equal(compress(z, &zlen, zeros, sizeof(zeros)), Z_OK);
    /* 64 bytes of zeros: no GLZ header, refused after inflating */
    assert_int_equal(floe_zlib_glz_decode(w, z, zlen, 64, px, 2, 2, 8, NULL), -EBADMSG);
    /* a header's worth is the least, a 1x1 picture's bound the most */
    assert_int_equal(floe_zlib_glz_decode(w, z, zlen, 32, px, 1, 1, 4, NULL), -EBADMSG);
    assert_true(floe_zlib_glz_max_glz_size(1, 1) < 200);
    assert_int_equal(floe_zlib_glz_decode(w, z, zlen, (uint32_t)floe_zlib_glz_max_glz_size(1, 1) + 1,
                                          px, 1, 1, 4, NULL), -EBADMSG);
    assert_int_equal(floe_zlib_glz_decode(w, z, zlen, 64, px, 0, 1, 4, NULL), -EINVAL);
    assert_int_equal(floe_zlib_glz_decode(NULL, z, zlen, 64, px, 1, 1, 4, NULL), -EINVAL);
    floe_glz_window_free(w);
}

static uint32_t *screen_like(int w, int h)
{
    uint32_t *p = malloc((size_t)w * h * 4);

    assert_non_null(p);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            p[(size_t)y * w + x] = ((x / 9 + y / 16) % 7 == 0 && (x ^ y) % 3 == 0) ? 0x00ffffff
                                   : y < 24 ? 0x00304050u : 0x00e0e0e0u + (uint32_t)(x / 64);
    return p;
}

/* The plain API always wraps; each decode matches, also in a shared window. */
static void test_round_trip(void **state)
{
    struct floe_glz_dict *d = floe_glz_dict_new(0);
    struct floe_glz_window *w = floe_glz_window_new(0);
    uint32_t *p = screen_like(300, 200), *out = malloc(300 * 200 * 4);

    (void)state;
    for (int level = 1; level <= 9; level += 4) {
        struct floe_bytes b = { 0 };
        uint32_t glz_size = 0;

        assert_int_equal(floe_zlib_glz_encode(d, p, 300, 200, 1200, false, level, &b, &glz_size),
                         0);
        assert_true(glz_size > b.len);
        assert_int_equal(floe_zlib_glz_decode(w, b.data, b.len, glz_size, out, 300, 200, 1200,
                                              NULL), 0);
        assert_memory_equal(out, p, 300 * 200 * 4);
        floe_bytes_free(&b);
    }
    free(out);
    free(p);
    floe_glz_window_free(w);
    floe_glz_dict_free(d);
}

/* The table entry wraps only when it pays, as the reference server does. */
static void test_codec_fallback(void **state)
{
    const struct floe_codec *c = floe_codec_by_name("zlib-glz");
    struct floe_codec_params prm = { .zlib_level = 3 };
    void *enc = c->state_new(&prm), *dec = c->state_new(&prm);
    uint32_t *big = screen_like(200, 100), tiny[4] = { 1, 2, 3, 4 }, out[200 * 100];
    uint32_t *noise = malloc(64 * 64 * 4), seed = 99;
    struct floe_pic pics[] = { { big, 200, 100, 800, false }, { tiny, 2, 2, 8, false },
                               { noise, 64, 64, 256, false } };
    uint8_t types[3];

    (void)state;
    for (int i = 0; i < 64 * 64; i++) {
        seed = seed * 1103515245u + 12345u;
        noise[i] = seed >> 8;
    }
    assert_ptr_equal(floe_codec_by_type(107), c);
    for (int i = 0; i < 3; i++) {
        struct floe_bytes b = { 0 };
        struct floe_coded meta = { 0 };
        struct floe_pic res = { out, pics[i].width, pics[i].height, pics[i].width * 4, false };

        assert_int_equal(c->encode(enc, &pics[i], &b, &meta), 0);
        types[i] = meta.type;
        if (meta.type == 107)
            assert_true(meta.aux > b.len);
        else
            assert_int_equal(meta.aux, 0);
        meta.data = b.data;
        meta.len = b.len;
        assert_int_equal(c->decode(dec, &meta, &res), 0);
        for (int y = 0; y < res.height; y++)
            assert_memory_equal(out + y * res.width,
                                (const uint8_t *)pics[i].pixels + (size_t)y * pics[i].stride,
                                (size_t)res.width * 4);
        floe_bytes_free(&b);
    }
    assert_int_equal(types[0], 107);
    assert_int_equal(types[1], 102);   /* too small to wrap */
    assert_int_equal(types[2], 102);   /* noise: deflate does not pay */
    c->state_free(enc);
    c->state_free(dec);
    free(noise);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_screen),
        cmocka_unit_test(test_golden_damaged),
        cmocka_unit_test(test_size_bound),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_codec_fallback),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
