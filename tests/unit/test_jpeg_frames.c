/* Unit tests for a video's JPEG frames (floe_jpeg_encode_frame): each
 * frame of a moving picture decodes to exactly the pixels of the same
 * picture coded alone with its own optimized Huffman tables (the tables
 * are lossless), the run takes at most 3% more bytes than coding each
 * frame alone that way and fewer than the standard tables take; a frame
 * unlike those the tables were learned from (noise, every symbol) is
 * coded with the learned tables and still decodes exactly; a new quality
 * or bad arguments are handled. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <turbojpeg.h>

#include "codecs/jpeg.h"

#define W 640
#define H 480
#define FRAMES 20
#define QUALITY 80

#include "tests/unit/moving_picture.h"

/* frame t: soft waves drifting by 3 pixels a frame, with grain */
static void frame(uint32_t *px, int t)
{
    moving_frame(px, W, H, W, t, 3, 3, 0);
}

static void noise(uint32_t *px)
{
    for (int i = 0; i < W * H; i++)
        px[i] = rnd() & 0xffffff;
}

static void decoded(const struct floe_bytes *b, uint32_t *out)
{
    struct floe_jpeg *j = floe_jpeg_new();

    assert_non_null(j);
    assert_int_equal(floe_jpeg_decode(j, b->data, b->len, out, W, H, W * 4), 0);
    floe_jpeg_free(j);
}

/* the bytes of the JPEG's DHT segments, one after the other */
static size_t dht(const struct floe_bytes *b, uint8_t *out)
{
    size_t n = 0, i = 2;

    while (i + 4 <= b->len && b->data[i] == 0xff && b->data[i + 1] != 0xda) {
        size_t seg = (size_t)b->data[i + 2] << 8 | b->data[i + 3];

        if (b->data[i + 1] == 0xc4) {
            memcpy(out + n, b->data + i, seg + 2);
            n += seg + 2;
        }
        i += seg + 2;
    }
    return n;
}

/* the same picture with the standard Huffman tables (TurboJPEG's default) */
static size_t standard_bytes(const uint32_t *px, int q)
{
    tjhandle t = tjInitCompress();
    unsigned char *out = NULL;
    unsigned long len = 0;

    assert_non_null(t);
    assert_int_equal(tjCompress2(t, (const unsigned char *)px, W, W * 4, H, TJPF_BGRX, &out, &len,
                                 TJSAMP_420, q, 0), 0);
    tjFree(out);
    tjDestroy(t);
    return len;
}

static void test_frames_exact_and_small(void **state)
{
    struct floe_jpeg *video = floe_jpeg_new(), *alone = floe_jpeg_new();
    uint32_t *px = malloc(W * H * 4), *a = malloc(W * H * 4), *b = malloc(W * H * 4);
    size_t learned = 0, optimized = 0, standard = 0;

    assert_non_null(video);
    assert_non_null(alone);
    for (int t = 0; t < FRAMES; t++) {
        struct floe_bytes f = { 0 }, o = { 0 };

        frame(px, t);
        assert_int_equal(floe_jpeg_encode_frame(video, px, W, H, W * 4, QUALITY, &f), 0);
        assert_int_equal(floe_jpeg_encode(alone, px, W, H, W * 4, QUALITY, &o), 0);
        decoded(&f, a);
        decoded(&o, b);
        assert_memory_equal(a, b, W * H * 4);
        learned += f.len;
        optimized += o.len;
        standard += standard_bytes(px, QUALITY);
        floe_bytes_free(&f);
        floe_bytes_free(&o);
    }
    print_message("%d frames of %dx%d at quality %d: %zu bytes with learned tables, %zu with "
                  "each frame's own, %zu with the standard ones\n",
                  FRAMES, W, H, QUALITY, learned, optimized, standard);
    assert_true(learned * 100 <= optimized * 103);
    assert_true(learned < standard);
    floe_jpeg_free(video);
    floe_jpeg_free(alone);
    free(px);
    free(a);
    free(b);
}

static void test_unlike_frame(void **state)
{
    struct floe_jpeg *video = floe_jpeg_new(), *alone = floe_jpeg_new();
    uint32_t *px = malloc(W * H * 4), *a = malloc(W * H * 4), *b = malloc(W * H * 4);
    struct floe_bytes f[3] = { { 0 } }, o = { 0 };
    uint8_t *d1 = malloc(65536), *d2 = malloc(65536);
    size_t n1, n2;

    /* frame 0 teaches the tables, frame 1 is coded with them, then noise */
    for (int t = 0; t < 2; t++) {
        frame(px, t);
        assert_int_equal(floe_jpeg_encode_frame(video, px, W, H, W * 4, QUALITY, &f[t]), 0);
    }
    noise(px);
    assert_int_equal(floe_jpeg_encode_frame(video, px, W, H, W * 4, QUALITY, &f[2]), 0);
    n1 = dht(&f[1], d1);
    n2 = dht(&f[2], d2);
    assert_true(n1 > 0);
    assert_int_equal(n1, n2);
    assert_memory_equal(d1, d2, n1);   /* the learned tables, completed */
    assert_int_equal(floe_jpeg_encode(alone, px, W, H, W * 4, QUALITY, &o), 0);
    decoded(&f[2], a);
    decoded(&o, b);
    assert_memory_equal(a, b, W * H * 4);
    /* a new quality: tables learned anew from that frame */
    frame(px, 3);
    floe_bytes_free(&o);
    assert_int_equal(floe_jpeg_encode_frame(video, px, W, H, W * 4, 50, &o), 0);
    n2 = dht(&o, d2);
    assert_false(n1 == n2 && memcmp(d1, d2, n1) == 0);
    for (int i = 0; i < 3; i++)
        floe_bytes_free(&f[i]);
    floe_bytes_free(&o);
    floe_jpeg_free(video);
    floe_jpeg_free(alone);
    free(px);
    free(a);
    free(b);
    free(d1);
    free(d2);
}

static void test_bad_arguments(void **state)
{
    struct floe_jpeg *j = floe_jpeg_new();
    uint32_t px[16 * 16] = { 0 };
    struct floe_bytes out = { 0 };

    assert_int_equal(floe_jpeg_encode_frame(j, px, 16, 16, 64, 0, &out), -EINVAL);
    assert_int_equal(floe_jpeg_encode_frame(j, px, 16, 16, 60, 80, &out), -EINVAL);
    assert_int_equal(floe_jpeg_encode_frame(NULL, px, 16, 16, 64, 80, &out), -EINVAL);
    assert_int_equal(out.len, 0);
    assert_int_equal(floe_jpeg_encode_frame(j, px, 16, 16, 64, 80, &out), 0);
    assert_true(out.len > 0);
    floe_bytes_free(&out);
    floe_jpeg_free(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames_exact_and_small),
        cmocka_unit_test(test_unlike_frame),
        cmocka_unit_test(test_bad_arguments),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
