/* Unit tests for the demo's video workload (white-box: demo/video.c): a
 * frame is a function of the seed and its number only, consecutive frames
 * differ nearly everywhere (the camera moves), another seed gives another
 * scene, and a canvas bigger than the video is drawn only as far as it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "demo/demo-priv.h"

#define W 320
#define H 180

static uint32_t *frame(uint32_t seed, uint64_t n)
{
    struct floe_demo_video *v = floe_demo_video_new(seed, W, H);
    uint32_t *px = calloc((size_t)W * H, 4);

    assert_non_null(v);
    assert_non_null(px);
    floe_demo_video_render(v, n, &(struct floe_demo_canvas){ px, W, H, W });
    floe_demo_video_free(v);
    return px;
}

static size_t differing(const uint32_t *a, const uint32_t *b)
{
    size_t n = 0;

    for (size_t i = 0; i < (size_t)W * H; i++)
        n += a[i] != b[i];
    return n;
}

static void test_deterministic(void **state)
{
    uint32_t *a = frame(7, 42), *b = frame(7, 42), *other = frame(8, 42);

    assert_memory_equal(a, b, (size_t)W * H * 4);
    assert_true(differing(a, other) > (size_t)W * H / 2);
    free(a);
    free(b);
    free(other);
}

static void test_moving(void **state)
{
    uint32_t *f[4];

    for (int i = 0; i < 4; i++)
        f[i] = frame(1, (uint64_t)(100 + i));
    for (int i = 0; i + 1 < 4; i++)
        assert_true(differing(f[i], f[i + 1]) > (size_t)W * H * 9 / 10);
    for (int i = 0; i < 4; i++)
        free(f[i]);
}

static void test_bigger_canvas(void **state)
{
    struct floe_demo_video *v = floe_demo_video_new(3, W, H);
    int cw = W + 16, ch = H + 8;
    uint32_t *px = malloc((size_t)cw * ch * 4);

    assert_non_null(v);
    assert_non_null(px);
    memset(px, 0xab, (size_t)cw * ch * 4);
    floe_demo_video_render(v, 5, &(struct floe_demo_canvas){ px, cw, ch, cw });
    for (int y = 0; y < ch; y++)
        for (int x = 0; x < cw; x++)
            if (x >= W || y >= H)
                assert_int_equal(px[(size_t)y * cw + x], 0xabababab);
    floe_demo_video_free(v);
    free(px);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_moving),
        cmocka_unit_test(test_bigger_canvas),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
