/* Unit tests for libfloe-client's surfaces, draw messages and image cache
 * (white-box: they call the library's internals): surfaces refuse bad
 * sizes and formats, and keep 16-bit pixels as their own (shown as xRGB);
 * DRAW_FILL, DRAW_COPY and COPY_BITS messages, decoded
 * and drawn, touch exactly their box within the surface and the clip
 * rects, overlapping COPY_BITS moving like memmove in every direction, a
 * draw on a missing surface being bad input; and the image cache evicts
 * the least recently used entries at its limit. */
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

/* A 16-bit surface keeps its own pixels (a fill in a 5-6-5 colour is that
 * colour's bits); shown as xRGB they expand as pixman expands them, and
 * only where asked once the copy exists. A 32-bit surface is its own copy. */
static void test_surface_16bit_shown(void **st)
{
    int err = 1;
    struct fcli_surface *s = fcli_surface_new(0, W, H, SPICE_SURFACE_FMT_16_565,
                                              SPICE_SURFACE_FLAG_PRIMARY, &err);
    struct fcli_surface *x = surface();
    pixman_region32_t box;
    pixman_image_t *shown;
    uint16_t *bits;
    int stride;

    (void)st;
    assert_non_null(s);
    assert_int_equal(pixman_image_get_format(s->image), PIXMAN_r5g6b5);
    assert_ptr_equal(fcli_surface_shown(x, NULL), x->image);
    bits = (uint16_t *)pixman_image_get_data(s->image);
    stride = pixman_image_get_stride(s->image) / 2;
    for (int y = 0; y < H; y++)
        for (int i = 0; i < W; i++)
            bits[y * stride + i] = 0xf81f;   /* magenta: 31, 0, 31 */
    shown = fcli_surface_shown(s, NULL);
    assert_non_null(shown);
    assert_int_equal(pixman_image_get_format(shown), PIXMAN_x8r8g8b8);
    assert_int_equal(pixman_image_get_data(shown)[5] & 0xffffff, 0xff00ff);
    /* a change, and the region it is in */
    bits[3 * stride + 4] = 0x07e0;   /* green: 0, 63, 0 */
    bits[20 * stride + 30] = 0x001f;
    pixman_region32_init_rect(&box, 4, 3, 1, 1);
    assert_ptr_equal(fcli_surface_shown(s, &box), shown);
    assert_int_equal(pixman_image_get_data(shown)[3 * W + 4] & 0xffffff, 0x00ff00);
    assert_int_equal(pixman_image_get_data(shown)[20 * W + 30] & 0xffffff, 0xff00ff);
    pixman_region32_fini(&box);
    fcli_surface_free(s);
    fcli_surface_free(x);
}

/* A display holding `s` as its surface 0. */
static void display_with(struct fcli_display *d, struct fcli_surface *s)
{
    fcli_display_init(d, 1u << 20);
    d->surfaces[0] = s;
    d->primary = s;
}

static void display_done(struct fcli_display *d)
{
    fcli_display_fini(d);
}

/* Draws the message in w (its body from offset 0) and frees w. */
static int draw_msg(struct fcli_display *d, uint16_t type, struct floe_wbuf *w)
{
    int rc = fcli_draw(d, type, w->data, w->len);

    floe_wbuf_free(w);
    return rc;
}

/* A DRAW_FILL whose box runs off the surface touches its part on the
 * surface and nothing else; wholly off the surface it draws nothing; an
 * inverted or absurd box is bad input. */
static void test_fill_clipped_to_surface(void **st)
{
    struct fcli_surface *s = surface();
    struct fcli_display d;
    struct floe_wbuf w;
    struct spice_display_base b = base_of(-10, 3, 45, 8);

    display_with(&d, s);
    number_pixels(s);
    floe_wbuf_init(&w, 1 << 20);
    spice_draw_fill_put(&w, &b, NULL, 0xff00ff);
    assert_int_equal(draw_msg(&d, SPICE_MSG_DISPLAY_DRAW_FILL, &w), 0);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int in = y >= 3 && y < 8;

            assert_int_equal(px(s, x, y) & 0xffffff, in ? 0xff00ff : (uint32_t)(y << 8 | x));
        }
    assert_true(pixman_region32_contains_point(&d.damage, 0, 3, NULL));
    assert_false(pixman_region32_contains_point(&d.damage, 0, 8, NULL));

    number_pixels(s);
    b = base_of(W + 5, 0, W + 10, 5);
    floe_wbuf_init(&w, 1 << 20);
    spice_draw_fill_put(&w, &b, NULL, 0xff00ff);
    assert_int_equal(draw_msg(&d, SPICE_MSG_DISPLAY_DRAW_FILL, &w), 0);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            assert_int_equal(px(s, x, y), (uint32_t)(y << 8 | x));

    /* inverted and absurd boxes draw nothing */
    b = base_of(10, 10, 5, 20);
    floe_wbuf_init(&w, 1 << 20);
    spice_draw_fill_put(&w, &b, NULL, 0xff00ff);
    draw_msg(&d, SPICE_MSG_DISPLAY_DRAW_FILL, &w);
    b = base_of(0, 0, 1 << 30, 10);
    floe_wbuf_init(&w, 1 << 20);
    spice_draw_fill_put(&w, &b, NULL, 0xff00ff);
    draw_msg(&d, SPICE_MSG_DISPLAY_DRAW_FILL, &w);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            assert_int_equal(px(s, x, y), (uint32_t)(y << 8 | x));
    /* a message on a surface that does not exist is bad input */
    b = base_of(0, 0, 4, 4);
    b.surface_id = 7;
    floe_wbuf_init(&w, 1 << 20);
    spice_draw_fill_put(&w, &b, NULL, 0xff00ff);
    assert_int_equal(draw_msg(&d, SPICE_MSG_DISPLAY_DRAW_FILL, &w), -EBADMSG);
    display_done(&d);
}

/* COPY_BITS with overlapping source and destination, in four directions. */
static void test_copy_bits_overlap(void **st)
{
    static const int moves[][2] = { { 0, -7 }, { 0, 7 }, { -3, 0 }, { 5, 2 } };

    for (size_t m = 0; m < sizeof(moves) / sizeof(moves[0]); m++) {
        struct fcli_surface *s = surface();
        struct fcli_display d;
        struct floe_wbuf w;
        int dx = moves[m][0], dy = moves[m][1];
        /* the box the move may fill from the surface: the whole surface */
        struct spice_display_base b = base_of(0, 0, W, H);

        display_with(&d, s);
        number_pixels(s);
        floe_wbuf_init(&w, 1 << 20);
        spice_copy_bits_put(&w, &b, NULL, (struct spice_point){ -dx, -dy });
        assert_int_equal(draw_msg(&d, SPICE_MSG_DISPLAY_COPY_BITS, &w), 0);
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
        display_done(&d);
    }
}

/* A DRAW_COPY of a bitmap limited to a clip rect inside its box. */
static void test_blit_clipped(void **st)
{
    struct fcli_surface *s = surface();
    struct fcli_display d;
    struct floe_wbuf w;
    uint32_t sp[64];
    struct spice_display_base b = base_of(10, 10, 18, 18);
    struct spice_rect clip = { .top = 12, .left = 12, .bottom = 16, .right = 16 };

    for (int i = 0; i < 64; i++)
        sp[i] = 0x100000u + (uint32_t)i;
    display_with(&d, s);
    number_pixels(s);
    b.clip.type = SPICE_CLIP_RECTS;
    b.clip.num_rects = 1;
    floe_wbuf_init(&w, 1 << 20);
    spice_draw_copy_bitmap_put(&w, 0, &b, &clip, 0x77, 8, 8, (const uint8_t *)sp, 32);
    assert_int_equal(draw_msg(&d, SPICE_MSG_DISPLAY_DRAW_COPY, &w), 0);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int in = x >= 12 && x < 16 && y >= 12 && y < 16;
            uint32_t want = in ? 0x100000u + (uint32_t)((y - 10) * 8 + (x - 10))
                               : (uint32_t)(y << 8 | x);

            assert_int_equal(px(s, x, y) & 0xffffff, want);
        }
    display_done(&d);
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
        cmocka_unit_test(test_surface_16bit_shown),
        cmocka_unit_test(test_fill_clipped_to_surface),
        cmocka_unit_test(test_copy_bits_overlap),
        cmocka_unit_test(test_blit_clipped),
        cmocka_unit_test(test_image_cache_lru),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
