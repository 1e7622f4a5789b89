/* Unit tests for libfloe-client's canvas and image cache (white-box: they
 * call the library's internals): surfaces refuse bad sizes and formats,
 * draw regions are clipped to the surface and the clip rects, fills and
 * blits touch exactly their region, overlapping COPY_BITS moves like
 * memmove in every direction, and the image cache evicts the least
 * recently used entries at its limit. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client/display.h"

#define W 40
#define H 30

static struct fcli_surface *surface(void)
{
    int err = 1;
    struct fcli_surface *s = fcli_surface_new(0, W, H, SPICE_SURFACE_FMT_32_xRGB,
                                              SPICE_SURFACE_FLAG_PRIMARY, &err);

    assert_non_null(s);
    assert_int_equal(err, 0);
    return s;
}

static uint32_t px(struct fcli_surface *s, int x, int y)
{
    const uint32_t *bits = pixman_image_get_data(s->image);
    int stride = pixman_image_get_stride(s->image) / 4;

    return bits[y * stride + x];
}

/* Every pixel gets a value naming its position. */
static void number_pixels(struct fcli_surface *s)
{
    uint32_t *bits = pixman_image_get_data(s->image);
    int stride = pixman_image_get_stride(s->image) / 4;

    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            bits[y * stride + x] = (uint32_t)(y << 8 | x);
}

static struct spice_display_base base_of(int left, int top, int right, int bottom)
{
    struct spice_display_base b = { 0 };

    b.box = (struct spice_rect){ .top = top, .left = left, .bottom = bottom, .right = right };
    b.clip.type = SPICE_CLIP_NONE;
    return b;
}

static void test_surface_limits(void **st)
{
    int err = 0;

    assert_null(fcli_surface_new(0, 0, 10, SPICE_SURFACE_FMT_32_xRGB, 0, &err));
    assert_int_equal(err, -EBADMSG);
    assert_null(fcli_surface_new(0, 10, 0, SPICE_SURFACE_FMT_32_xRGB, 0, &err));
    assert_null(fcli_surface_new(0, FLOE_CLIENT_MAX_SIDE + 1, 10, SPICE_SURFACE_FMT_32_xRGB, 0,
                                 &err));
    assert_int_equal(err, -EBADMSG);
    assert_null(fcli_surface_new(0, 10, 10, 12345, 0, &err));
    assert_int_equal(err, -EBADMSG);
}

static void test_region_clipped_to_surface(void **st)
{
    struct fcli_surface *s = surface();
    struct spice_display_base b = base_of(-10, -5, 20, 10);
    pixman_region32_t r;
    pixman_box32_t *e;

    assert_int_equal(fcli_canvas_region(s, &b, &r), 0);
    e = pixman_region32_extents(&r);
    assert_int_equal(e->x1, 0);
    assert_int_equal(e->y1, 0);
    assert_int_equal(e->x2, 20);
    assert_int_equal(e->y2, 10);
    pixman_region32_fini(&r);

    /* wholly off the surface: empty, not an error */
    b = base_of(W + 5, 0, W + 10, 5);
    assert_int_equal(fcli_canvas_region(s, &b, &r), 0);
    assert_false(pixman_region32_not_empty(&r));
    pixman_region32_fini(&r);

    /* inverted and absurd boxes are bad input */
    b = base_of(10, 10, 5, 20);
    assert_int_equal(fcli_canvas_region(s, &b, &r), -EBADMSG);
    pixman_region32_fini(&r);
    b = base_of(0, 0, 1 << 30, 10);
    assert_int_equal(fcli_canvas_region(s, &b, &r), -EBADMSG);
    pixman_region32_fini(&r);
    fcli_surface_free(s);
}

/* A fill touches its region and nothing else. */
static void test_fill_exact(void **st)
{
    struct fcli_surface *s = surface();
    struct spice_display_base b = base_of(5, 3, 45, 8);   /* runs off the right edge */
    pixman_region32_t r;

    number_pixels(s);
    assert_int_equal(fcli_canvas_region(s, &b, &r), 0);
    fcli_canvas_fill(s, &r, 0xff00ff);
    pixman_region32_fini(&r);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int in = x >= 5 && y >= 3 && y < 8;

            assert_int_equal(px(s, x, y), in ? 0xff00ff : (uint32_t)(y << 8 | x));
        }
    fcli_surface_free(s);
}

/* COPY_BITS with overlapping source and destination, in four directions. */
static void test_copy_bits_overlap(void **st)
{
    static const int moves[][2] = { { 0, -7 }, { 0, 7 }, { -3, 0 }, { 5, 2 } };

    for (size_t m = 0; m < sizeof(moves) / sizeof(moves[0]); m++) {
        struct fcli_surface *s = surface();
        int dx = moves[m][0], dy = moves[m][1];
        pixman_region32_t r;

        number_pixels(s);
        pixman_region32_init_rect(&r, 0, 0, W, H);
        fcli_canvas_copy_bits(s, &r, dx, dy);
        pixman_region32_fini(&r);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                int sx = x - dx, sy = y - dy;
                int moved = sx >= 0 && sx < W && sy >= 0 && sy < H;
                /* a destination whose source is off the surface keeps its pixel */
                uint32_t want = moved ? (uint32_t)(sy << 8 | sx) : (uint32_t)(y << 8 | x);

                if (px(s, x, y) != want)
                    fail_msg("move (%d,%d): pixel (%d,%d) is %#x, want %#x", dx, dy, x, y,
                             px(s, x, y), want);
            }
        fcli_surface_free(s);
    }
}

/* A blit of a source image limited to a clip rect inside its box. */
static void test_blit_clipped(void **st)
{
    struct fcli_surface *s = surface();
    pixman_image_t *src = pixman_image_create_bits(PIXMAN_x8r8g8b8, 8, 8, NULL, 0);
    uint32_t *sp = pixman_image_get_data(src);
    struct spice_rect area = { .top = 0, .left = 0, .bottom = 8, .right = 8 };
    struct spice_rect box = { .top = 10, .left = 10, .bottom = 18, .right = 18 };
    pixman_region32_t r;

    for (int i = 0; i < 64; i++)
        sp[i] = 0x100000u + (uint32_t)i;
    number_pixels(s);
    pixman_region32_init_rect(&r, 12, 12, 4, 4);   /* the clip: the box's middle */
    assert_int_equal(fcli_canvas_blit(s, &r, src, &area, &box, SPICE_SCALE_NEAREST), 0);
    pixman_region32_fini(&r);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int in = x >= 12 && x < 16 && y >= 12 && y < 16;
            uint32_t want = in ? 0x100000u + (uint32_t)((y - 10) * 8 + (x - 10))
                               : (uint32_t)(y << 8 | x);

            assert_int_equal(px(s, x, y), want);
        }
    pixman_image_unref(src);
    fcli_surface_free(s);
}

static pixman_image_t *image(void)
{
    return pixman_image_create_bits(PIXMAN_x8r8g8b8, 2, 2, NULL, 0);
}

static void test_image_cache_lru(void **st)
{
    struct fcli_image_cache c;
    pixman_image_t *img, *got;

    fcli_image_cache_init(&c, 300);
    for (uint64_t id = 1; id <= 3; id++) {
        img = image();
        assert_int_equal(fcli_image_cache_put(&c, id, img, 100), 0);
        pixman_image_unref(img);   /* the cache keeps its own reference */
    }
    /* id 1 used: id 2 is now the least recently used */
    assert_int_equal(fcli_image_cache_get(&c, 1, &got), 1);
    assert_non_null(got);
    img = image();
    assert_int_equal(fcli_image_cache_put(&c, 4, img, 100), 0);
    pixman_image_unref(img);
    assert_int_equal(fcli_image_cache_get(&c, 2, &got), 0);
    assert_int_equal(fcli_image_cache_get(&c, 1, &got), 1);
    assert_int_equal(fcli_image_cache_get(&c, 3, &got), 1);
    assert_int_equal(fcli_image_cache_get(&c, 4, &got), 1);
    /* an image that could not be decoded is remembered as NULL */
    assert_int_equal(fcli_image_cache_put(&c, 5, NULL, 1), 0);
    assert_int_equal(fcli_image_cache_get(&c, 5, &got), 1);
    assert_null(got);
    fcli_image_cache_remove(&c, 4);
    assert_int_equal(fcli_image_cache_get(&c, 4, &got), 0);
    /* larger than the whole cache: not kept */
    img = image();
    fcli_image_cache_put(&c, 6, img, 1000);
    pixman_image_unref(img);
    assert_int_equal(fcli_image_cache_get(&c, 6, &got), 0);
    fcli_image_cache_fini(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_surface_limits),
        cmocka_unit_test(test_region_clipped_to_surface),
        cmocka_unit_test(test_fill_exact),
        cmocka_unit_test(test_copy_bits_overlap),
        cmocka_unit_test(test_blit_clipped),
        cmocka_unit_test(test_image_cache_lru),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
