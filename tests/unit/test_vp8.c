/* Unit tests for the VP8 frames of video streams (codecs/vp8.h) and the
 * I420 conversion under them (codecs/yuv.h): a moving picture with grain
 * coded at a bitrate comes back within a PSNR bound, frame by frame, its
 * first frame a keyframe and the others not, its bytes near the target;
 * a keyframe asked for comes next and a fresh decoder starts from it; a
 * new bitrate changes the frames' size; odd sizes and padded rows work;
 * a frame before a keyframe, a keyframe of another size, truncated and
 * corrupted frames are refused without harm; bad arguments are -EINVAL. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/vp8.h"
#include "codecs/yuv.h"

#define W 320
#define H 240
#define FPS 25
#define FRAMES 50

#include "tests/unit/moving_picture.h"

/* frame t of a w x h picture (rows stride words apart): soft waves
 * drifting by 2 pixels a frame, with a little grain */
static void frame(uint32_t *px, int w, int h, int stride, int t)
{
    moving_frame(px, w, h, stride, t, 2, 2, 0xff000000u);
}

static double psnr(const uint32_t *a, int a_stride, const uint32_t *b, int b_stride, int w, int h)
{
    double se = 0;

    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int s = 0; s < 24; s += 8) {
                double d = (double)(a[y * a_stride + x] >> s & 0xff) -
                           (double)(b[y * b_stride + x] >> s & 0xff);

                se += d * d;
            }
    se /= 3.0 * w * h;
    return se == 0 ? 99 : 10 * log10(255.0 * 255.0 / se);
}

static struct floe_vp8_enc *enc_new(int w, int h, unsigned kbps)
{
    struct floe_vp8_enc_params p = { .width = w, .height = h, .kbps = kbps };
    struct floe_vp8_enc *e = floe_vp8_enc_new(&p);

    assert_non_null(e);
    return e;
}

/* Codes `frames` frames at kbps and decodes each: the PSNR's minimum
 * after the first second, the bytes of all frames after the first. */
static void run(int w, int h, int stride, unsigned kbps, int frames, double *min_psnr,
                size_t *bytes)
{
    uint32_t *px = calloc((size_t)stride * h, 4), *out = calloc((size_t)w * h, 4);
    struct floe_vp8_enc *e = enc_new(w, h, kbps);
    struct floe_vp8_dec *d = floe_vp8_dec_new();

    assert_non_null(px);
    assert_non_null(out);
    assert_non_null(d);
    *min_psnr = 99;
    *bytes = 0;
    for (int t = 0; t < frames; t++) {
        struct floe_bytes b = { 0 };
        bool key = false;
        double q;

        frame(px, w, h, stride, t);
        assert_int_equal(floe_vp8_encode(e, px, stride * 4, 1000 + (uint64_t)t * 1000 / FPS, &b,
                                         &key), 0);
        assert_int_equal(key, t == 0);
        if (t)
            *bytes += b.len;
        assert_int_equal(floe_vp8_decode(d, b.data, b.len, out, w, h, w * 4), 0);
        for (int i = 0; i < w * h; i++)
            assert_int_equal(out[i] >> 24, 0);
        q = psnr(px, stride, out, w, w, h);
        if (t >= FPS && q < *min_psnr)
            *min_psnr = q;
        floe_bytes_free(&b);
    }
    floe_vp8_enc_free(e);
    floe_vp8_dec_free(d);
    free(px);
    free(out);
}

static void test_round_trip(void **state)
{
    double q;
    size_t bytes;
    double kbps;

    (void)state;
    run(W, H, W, 800, FRAMES, &q, &bytes);
    kbps = (double)bytes * 8 / 1000 / ((FRAMES - 1.0) / FPS);
    print_message("320x240 at 800 kbit/s: %.1f kbit/s, PSNR >= %.1f dB\n", kbps, q);
    assert_true(q >= 30);
    assert_true(kbps < 800 * 1.6 && kbps > 800 * 0.3);
}

static void test_bitrate_changes_size(void **state)
{
    double q_lo, q_hi;
    size_t lo, hi;

    (void)state;
    run(W, H, W, 150, FRAMES, &q_lo, &lo);
    run(W, H, W, 1500, FRAMES, &q_hi, &hi);
    print_message("150 kbit/s: %zu bytes, %.1f dB; 1500 kbit/s: %zu bytes, %.1f dB\n", lo, q_lo,
                  hi, q_hi);
    assert_true(hi > 3 * lo);
    assert_true(q_hi > q_lo);
}

static void test_odd_size_padded(void **state)
{
    double q;
    size_t bytes;

    (void)state;
    run(161, 97, 200, 600, 30, &q, &bytes);
    assert_true(q >= 28);
}

static void test_set_kbps(void **state)
{
    uint32_t *px = calloc((size_t)W * H, 4);
    struct floe_vp8_enc *e = enc_new(W, H, 300);
    size_t first = 0, second = 0;

    (void)state;
    assert_int_equal(floe_vp8_enc_kbps(e), 300);
    for (int t = 0; t < 80; t++) {
        struct floe_bytes b = { 0 };

        if (t == 40)
            assert_int_equal(floe_vp8_enc_set_kbps(e, 3000), 0);
        frame(px, W, H, W, t);
        assert_int_equal(floe_vp8_encode(e, px, W * 4, (uint64_t)t * 40, &b, NULL), 0);
        if (t >= 10 && t < 40)
            first += b.len;
        else if (t >= 50)
            second += b.len;
        floe_bytes_free(&b);
    }
    assert_int_equal(floe_vp8_enc_kbps(e), 3000);
    assert_true(second > 3 * first);
    floe_vp8_enc_free(e);
    free(px);
}

/* A keyframe asked for comes next; a decoder that joins there plays on. */
static void test_key_on_demand(void **state)
{
    uint32_t *px = calloc((size_t)W * H, 4), *out = calloc((size_t)W * H, 4);
    struct floe_vp8_enc *e = enc_new(W, H, 1000);
    struct floe_vp8_dec *late = floe_vp8_dec_new();

    (void)state;
    for (int t = 0; t < 20; t++) {
        struct floe_bytes b = { 0 };
        bool key = false;
        int kw, kh;

        if (t == 12)
            floe_vp8_enc_force_key(e);
        frame(px, W, H, W, t);
        assert_int_equal(floe_vp8_encode(e, px, W * 4, (uint64_t)t * 40, &b, &key), 0);
        assert_int_equal(key, t == 0 || t == 12);
        assert_int_equal(floe_vp8_is_key(b.data, b.len, &kw, &kh), key);
        if (key) {
            assert_int_equal(kw, W);
            assert_int_equal(kh, H);
        }
        /* the late decoder refuses what comes before its first keyframe */
        if (t > 0 && t < 12)
            assert_int_equal(floe_vp8_decode(late, b.data, b.len, out, W, H, W * 4), -EBADMSG);
        if (t >= 12) {
            assert_int_equal(floe_vp8_decode(late, b.data, b.len, out, W, H, W * 4), 0);
            assert_true(psnr(px, W, out, W, W, H) > 28);
        }
        floe_bytes_free(&b);
    }
    floe_vp8_enc_free(e);
    floe_vp8_dec_free(late);
    free(px);
    free(out);
}

/* Damage of every kind is refused or decodes to something; nothing breaks. */
static void test_bad_input(void **state)
{
    uint32_t *px = calloc((size_t)W * H, 4), *out = calloc((size_t)W * H, 4);
    struct floe_vp8_enc *e = enc_new(W, H, 500);
    struct floe_vp8_dec *d = floe_vp8_dec_new();
    struct floe_bytes key = { 0 }, next = { 0 };
    uint8_t *bad;

    (void)state;
    frame(px, W, H, W, 0);
    assert_int_equal(floe_vp8_encode(e, px, W * 4, 0, &key, NULL), 0);
    frame(px, W, H, W, 1);
    assert_int_equal(floe_vp8_encode(e, px, W * 4, 40, &next, NULL), 0);
    /* another size than the stream's, before any keyframe, empty */
    assert_int_equal(floe_vp8_decode(d, key.data, key.len, out, W / 2, H, W * 4), -EBADMSG);
    assert_int_equal(floe_vp8_decode(d, next.data, next.len, out, W, H, W * 4), -EBADMSG);
    assert_int_equal(floe_vp8_decode(d, key.data, 0, out, W, H, W * 4), -EBADMSG);
    /* every truncation of the keyframe */
    for (size_t n = 1; n < key.len; n += 1 + n / 8) {
        int rc = floe_vp8_decode(d, key.data, n, out, W, H, W * 4);

        assert_true(rc == 0 || rc == -EBADMSG);
    }
    /* corrupted bytes */
    bad = malloc(key.len);
    for (int k = 0; k < 200; k++) {
        int rc;

        memcpy(bad, key.data, key.len);
        for (int i = 0; i < 4; i++)
            bad[10 + rnd() % (key.len - 10)] ^= (uint8_t)(1 + rnd() % 255);
        rc = floe_vp8_decode(d, bad, key.len, out, W, H, W * 4);
        assert_true(rc == 0 || rc == -EBADMSG);
    }
    /* the stream still decodes from its keyframe */
    assert_int_equal(floe_vp8_decode(d, key.data, key.len, out, W, H, W * 4), 0);
    assert_int_equal(floe_vp8_decode(d, next.data, next.len, out, W, H, W * 4), 0);
    /* bad arguments */
    assert_int_equal(floe_vp8_decode(d, key.data, key.len, out, W, H, W * 4 - 4), -EINVAL);
    assert_int_equal(floe_vp8_decode(d, key.data, key.len, out, 0, H, W * 4), -EINVAL);
    assert_int_equal(floe_vp8_decode(NULL, key.data, key.len, out, W, H, W * 4), -EINVAL);
    assert_int_equal(floe_vp8_encode(e, px, W * 4 - 4, 80, &next, NULL), -EINVAL);
    assert_int_equal(floe_vp8_encode(NULL, px, W * 4, 80, &next, NULL), -EINVAL);
    assert_null(floe_vp8_enc_new(&(struct floe_vp8_enc_params){ .width = 0, .height = H }));
    assert_null(floe_vp8_enc_new(&(struct floe_vp8_enc_params){ .width = 20000, .height = 2 }));
    free(bad);
    floe_bytes_free(&key);
    floe_bytes_free(&next);
    floe_vp8_enc_free(e);
    floe_vp8_dec_free(d);
    free(px);
    free(out);
}

/* The conversion alone: flat colours come back within a step or two. */
static void test_yuv(void **state)
{
    enum { w = 5, h = 3 };
    uint32_t px[w * h], back[w * h];
    uint8_t yp[w * h], up[9], vp[9];
    struct floe_yuv yuv = { yp, up, vp, w, 3, 3 };
    const uint32_t colours[] = { 0x000000, 0xffffff, 0xff0000, 0x00ff00, 0x0000ff, 0x808080,
                                 0x123456 };

    (void)state;
    for (size_t c = 0; c < sizeof(colours) / sizeof(colours[0]); c++) {
        for (int i = 0; i < w * h; i++)
            px[i] = 0xaa000000u | colours[c];
        floe_yuv_from_xrgb(px, w, h, w * 4, &yuv);
        floe_yuv_to_xrgb(&yuv, w, h, back, w * 4);
        for (int i = 0; i < w * h; i++)
            for (int s = 0; s < 24; s += 8) {
                int a = (int)(colours[c] >> s & 0xff), b = (int)(back[i] >> s & 0xff);

                assert_true(abs(a - b) <= 3);
                assert_int_equal(back[i] >> 24, 0);
            }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_bitrate_changes_size),
        cmocka_unit_test(test_odd_size_padded),
        cmocka_unit_test(test_set_kbps),
        cmocka_unit_test(test_key_on_demand),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_yuv),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
