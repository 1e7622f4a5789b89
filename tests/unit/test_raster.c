/* Unit tests for floe_raster_draw, each operation on a small xRGB surface
 * of known pixels, checked pixel by pixel against what the test computes
 * by itself from SPICE's rules: ROP descriptors, pattern brushes tiled from
 * their position, 1-bit masks (set and inverted, nothing outside them),
 * TRANSPARENT's key, ALPHA_BLEND's overall alpha, ternary ROPs with a
 * colour and a pattern, TEXT (1-bit glyphs stored bottom row first, their
 * top bit leftmost; 4-bit glyphs taking the larger coverage where they
 * overlap; 8-bit ones; the back area), COMPOSITE's operator and transform, overlapping
 * COPY_BITS, STROKE (X11's zero-width lines without their last point,
 * its octant bias, 28.4 rounding, a start far off the surface, a closed
 * path drawn XOR), dashed STROKEs (against a model of the canvas's dashes
 * as one-pixel-wide rectangles with mitred corners: style lengths rounded
 * and wrapped, odd counts, START_WITH_GAP, the pattern across corners,
 * beziers and polylines, XOR drawing each pixel once, clipping); and
 * operations no canvas could draw refused before anything is drawn. (The same operations against the reference's own rendering
 * are in e2e/qxl-diff.) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/raster.h"

#define W 16
#define H 12

/* SPICE's ROP descriptor bits */
#define INVERS_SRC (1u << 0)
#define INVERS_BRUSH (1u << 1)
#define OP_PUT (1u << 3)
#define OP_AND (1u << 5)
#define OP_XOR (1u << 6)

struct surf {
    uint32_t px[W * H];
    uint32_t was[W * H];
    pixman_image_t *img;
    pixman_region32_t damage;
    const char *why;
};

static uint32_t start_px(int x, int y)
{
    return (uint32_t)(0x10203 * (x + 1) + 0x70401 * (y * 3 + 1)) & 0xffffff;
}

static void surf_up(struct surf *s)
{
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            s->px[y * W + x] = start_px(x, y);
    memcpy(s->was, s->px, sizeof(s->px));
    s->img = pixman_image_create_bits(PIXMAN_x8r8g8b8, W, H, s->px, W * 4);
    pixman_region32_init(&s->damage);
    s->why = NULL;
}

static void surf_down(struct surf *s)
{
    pixman_image_unref(s->img);
    pixman_region32_fini(&s->damage);
}

static uint32_t at(const struct surf *s, int x, int y)
{
    return s->px[y * W + x] & 0xffffff;
}

static int inside(int x, int y, struct floe_raster_rect r)
{
    return x >= r.left && x < r.right && y >= r.top && y < r.bottom;
}

static struct floe_raster_op op_in(enum floe_raster_kind k, int l, int t, int r, int b)
{
    return (struct floe_raster_op){ .kind = k, .bbox = { l, t, r, b } };
}

/* img still reads as its own w x h pixels: no transform left on it */
static void untouched(pixman_image_t *img, const uint32_t *px, int w, int h)
{
    uint32_t out[16] = { 0 };
    pixman_image_t *o = pixman_image_create_bits(pixman_image_get_format(img), w, h, out, w * 4);

    pixman_image_composite32(PIXMAN_OP_SRC, img, NULL, o, 0, 0, 0, 0, 0, 0, w, h);
    assert_memory_equal(out, px, (size_t)w * h * 4);
    pixman_image_unref(o);
}

static void draw_ok(struct surf *s, const struct floe_raster_op *op)
{
    int rc = floe_raster_draw(s->img, op, &s->damage, &s->why);

    if (rc)
        fail_msg("floe_raster_draw: %d (%s)", rc, s->why ? s->why : "?");
}

static void test_fill_rop_and_clip(void **st)
{
    struct surf s;
    struct floe_raster_op op = op_in(FLOE_RASTER_FILL, 2, 2, 10, 8);
    pixman_region32_t clip;

    (void)st;
    surf_up(&s);
    /* XOR with the brush, inside a clip of two boxes */
    pixman_region32_init_rect(&clip, 0, 0, 5, 5);
    pixman_region32_union_rect(&clip, &clip, 7, 6, 9, 9);
    op.clip = &clip;
    op.brush = (struct floe_raster_brush){ .kind = FLOE_RASTER_BRUSH_SOLID, .color = 0x00ff0f };
    op.rop_descriptor = OP_XOR;
    draw_ok(&s, &op);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int in = inside(x, y, op.bbox) && pixman_region32_contains_point(&clip, x, y, NULL);

            assert_int_equal(at(&s, x, y), in ? start_px(x, y) ^ 0x00ff0f : start_px(x, y));
        }
    /* the damage holds what was drawn, nothing past the bbox */
    assert_true(pixman_region32_contains_point(&s.damage, 3, 3, NULL));
    assert_false(pixman_region32_contains_point(&s.damage, 9, 4, NULL));
    /* PUT with the brush inverted */
    op = op_in(FLOE_RASTER_FILL, 0, 0, 1, 1);
    op.brush = (struct floe_raster_brush){ .kind = FLOE_RASTER_BRUSH_SOLID, .color = 0x0000ff };
    op.rop_descriptor = OP_PUT | INVERS_BRUSH;
    draw_ok(&s, &op);
    assert_int_equal(at(&s, 0, 0), 0xffff00);
    pixman_region32_fini(&clip);
    surf_down(&s);
}

/* A solid PUT (the fill the server sends for a one-colour band) writes the
 * colour as it is, every bit, in every box of the clip and nowhere else. */
static void test_fill_put_solid(void **st)
{
    struct surf s;
    struct floe_raster_op op = op_in(FLOE_RASTER_FILL, 1, 1, 12, 9);
    pixman_region32_t clip;

    (void)st;
    surf_up(&s);
    pixman_region32_init_rect(&clip, 0, 0, 6, 4);
    pixman_region32_union_rect(&clip, &clip, 8, 5, 4, 6);
    op.clip = &clip;
    op.brush = (struct floe_raster_brush){ .kind = FLOE_RASTER_BRUSH_SOLID, .color = 0x12345678 };
    op.rop_descriptor = OP_PUT;
    draw_ok(&s, &op);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int in = inside(x, y, op.bbox) && pixman_region32_contains_point(&clip, x, y, NULL);

            if (in)
                assert_int_equal(s.px[y * W + x], 0x12345678);
            else
                assert_int_equal(at(&s, x, y), start_px(x, y));
        }
    assert_true(pixman_region32_contains_point(&s.damage, 9, 6, NULL));
    assert_false(pixman_region32_contains_point(&s.damage, 7, 6, NULL));
    pixman_region32_fini(&clip);
    surf_down(&s);
}

static void test_fill_pattern(void **st)
{
    uint32_t pat[3 * 2] = { 0x100000, 0x200000, 0x300000, 0x000010, 0x000020, 0x000030 };
    pixman_image_t *p = pixman_image_create_bits(PIXMAN_x8r8g8b8, 3, 2, pat, 12);
    struct floe_raster_op op = op_in(FLOE_RASTER_FILL, 1, 1, 12, 9);
    struct surf s;

    (void)st;
    surf_up(&s);
    op.brush = (struct floe_raster_brush){ .kind = FLOE_RASTER_BRUSH_PATTERN, .pattern = p,
                                           .x0 = 5, .y0 = -3 };
    op.rop_descriptor = OP_PUT;
    draw_ok(&s, &op);
    for (int y = 1; y < 9; y++)
        for (int x = 1; x < 12; x++) {
            int px = ((x - 5) % 3 + 3) % 3, py = ((y + 3) % 2 + 2) % 2;

            assert_int_equal(at(&s, x, y), pat[py * 3 + px]);
        }
    assert_int_equal(at(&s, 12, 1), start_px(12, 1));
    /* the pattern's properties are left as they were */
    untouched(p, pat, 3, 2);
    pixman_image_unref(p);
    surf_down(&s);
}

/* A 1-bit mask of mw x mh from a bit per pixel, as PIXMAN_a1. */
static pixman_image_t *mask_new(int mw, int mh, int (*set)(int, int))
{
    pixman_image_t *m = pixman_image_create_bits(PIXMAN_a1, mw, mh, NULL, 0);
    uint32_t *row = pixman_image_get_data(m);
    int stride = pixman_image_get_stride(m) / 4;

    for (int y = 0; y < mh; y++, row += stride)
        for (int x = 0; x < mw; x++)
            if (set(x, y))
                row[x / 32] |= 1u << (x % 32);
    return m;
}

static int checker(int x, int y)
{
    return (x + y) % 2;
}

static void test_masks(void **st)
{
    pixman_image_t *m = mask_new(5, 4, checker);
    struct floe_raster_op op = op_in(FLOE_RASTER_WHITENESS, 2, 3, 10, 10);
    struct surf s;

    (void)st;
    for (int invert = 0; invert < 2; invert++) {
        surf_up(&s);
        /* mask pixel (1, 2) lies on the bbox's top-left */
        op.mask = (struct floe_raster_mask){ .bits = m, .invert = invert, .x0 = 1, .y0 = 2 };
        draw_ok(&s, &op);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                int mx = x - 2 + 1, my = y - 3 + 2;
                int in_mask = mx >= 0 && mx < 5 && my >= 0 && my < 4;
                int on = inside(x, y, op.bbox) && in_mask && (checker(mx, my) != invert);

                assert_int_equal(at(&s, x, y), on ? 0xffffff : start_px(x, y));
            }
        surf_down(&s);
    }
    pixman_image_unref(m);
}

static void test_copy_rop_and_scale(void **st)
{
    uint32_t src[4 * 3];
    pixman_image_t *img;
    struct floe_raster_op op = op_in(FLOE_RASTER_COPY, 5, 4, 8, 6);
    struct surf s;

    (void)st;
    for (int i = 0; i < 12; i++)
        src[i] = 0x0a0b0c * (uint32_t)(i + 1);
    img = pixman_image_create_bits(PIXMAN_x8r8g8b8, 4, 3, src, 16);
    surf_up(&s);
    /* (not src) AND dst, from src_area (1,1)-(4,3) */
    op.src = img;
    op.src_area = (struct floe_raster_rect){ 1, 1, 4, 3 };
    op.rop_descriptor = OP_AND | INVERS_SRC;
    draw_ok(&s, &op);
    for (int y = 4; y < 6; y++)
        for (int x = 5; x < 8; x++)
            assert_int_equal(at(&s, x, y),
                             ~src[(y - 4 + 1) * 4 + x - 5 + 1] & start_px(x, y) & 0xffffff);
    /* doubled, nearest: each source pixel covers 2x2 */
    op = op_in(FLOE_RASTER_COPY, 0, 0, 8, 6);
    op.src = img;
    op.src_area = (struct floe_raster_rect){ 0, 0, 4, 3 };
    op.scale_mode = 1;
    op.rop_descriptor = OP_PUT;
    draw_ok(&s, &op);
    for (int y = 0; y < 6; y++)
        for (int x = 0; x < 8; x++)
            assert_int_equal(at(&s, x, y), src[(y / 2) * 4 + x / 2] & 0xffffff);
    pixman_image_unref(img);
    surf_down(&s);
}

static void test_transparent(void **st)
{
    uint32_t src[3 * 2] = { 0xff00ff, 0x123456, 0xaaff00ff, 0x00ff00, 0xff00ff, 0x010203 };
    pixman_image_t *img = pixman_image_create_bits(PIXMAN_x8r8g8b8, 3, 2, src, 12);
    struct floe_raster_op op = op_in(FLOE_RASTER_TRANSPARENT, 4, 4, 7, 6);
    struct surf s;

    (void)st;
    surf_up(&s);
    op.src = img;
    op.src_area = (struct floe_raster_rect){ 0, 0, 3, 2 };
    op.transparent_color = 0xff00ff;   /* the top byte does not count */
    draw_ok(&s, &op);
    for (int i = 0; i < 6; i++) {
        int x = 4 + i % 3, y = 4 + i / 3;

        assert_int_equal(at(&s, x, y), (src[i] & 0xffffff) == 0xff00ff ? start_px(x, y) :
                                       (src[i] & 0xffffff));
    }
    pixman_image_unref(img);
    surf_down(&s);
}

/* pixman's product of two 8-bit values, rounded */
static unsigned mul8(unsigned a, unsigned b)
{
    unsigned t = a * b + 0x80;

    return ((t >> 8) + t) >> 8;
}

static void near(uint32_t got, uint32_t want)
{
    for (int sh = 0; sh < 24; sh += 8) {
        int g = (int)(got >> sh & 0xff), w = (int)(want >> sh & 0xff);

        if (g - w > 1 || w - g > 1)
            fail_msg("0x%06x is not 0x%06x within 1 per channel", got, want);
    }
}

static void test_alpha_blend(void **st)
{
    uint32_t src[2] = { 0xff804020, 0x80400000 };   /* opaque; half alpha, premultiplied */
    pixman_image_t *img = pixman_image_create_bits(PIXMAN_a8r8g8b8, 2, 1, src, 8);
    struct floe_raster_op op = op_in(FLOE_RASTER_ALPHA_BLEND, 3, 3, 5, 4);
    struct surf s;

    (void)st;
    surf_up(&s);
    op.src = img;
    op.src_area = (struct floe_raster_rect){ 0, 0, 2, 1 };
    op.alpha = 0x80;
    draw_ok(&s, &op);
    for (int i = 0; i < 2; i++) {
        uint32_t d = start_px(3 + i, 3), want = 0;
        unsigned sa = mul8(src[i] >> 24, 0x80);

        for (int sh = 0; sh < 24; sh += 8) {
            unsigned sc = mul8(src[i] >> sh & 0xff, 0x80);

            want |= (sc + mul8(d >> sh & 0xff, 255 - sa)) << sh;
        }
        near(at(&s, 3 + i, 3), want);
    }
    /* alpha 0 draws nothing */
    memcpy(s.was, s.px, sizeof(s.px));
    op.alpha = 0;
    draw_ok(&s, &op);
    assert_memory_equal(s.px, s.was, sizeof(s.px));
    pixman_image_unref(img);
    surf_down(&s);
}

static uint32_t rop3_ref(uint8_t code, uint32_t p, uint32_t sv, uint32_t d)
{
    uint32_t r = 0;

    for (int bit = 0; bit < 24; bit++) {
        unsigned i = (p >> bit & 1) << 2 | (sv >> bit & 1) << 1 | (d >> bit & 1);

        r |= (uint32_t)(code >> i & 1) << bit;
    }
    return r;
}

static void test_rop3(void **st)
{
    uint32_t src[4 * 4], pat[2 * 2] = { 0xf0f0f0, 0x0f0f0f, 0x333333, 0xcccccc };
    pixman_image_t *img, *p = pixman_image_create_bits(PIXMAN_x8r8g8b8, 2, 2, pat, 8);
    static const uint8_t codes[] = { 0x96, 0xb8, 0xe2, 0x5a, 0xf0, 0xcc };
    struct surf s;

    (void)st;
    for (int i = 0; i < 16; i++)
        src[i] = 0x135799u * (uint32_t)(i + 3) & 0xffffff;
    img = pixman_image_create_bits(PIXMAN_x8r8g8b8, 4, 4, src, 16);
    for (size_t c = 0; c < sizeof(codes); c++) {
        for (int with_pat = 0; with_pat < 2; with_pat++) {
            struct floe_raster_op op = op_in(FLOE_RASTER_ROP3, 6, 5, 9, 8);

            surf_up(&s);
            op.src = img;
            op.src_area = (struct floe_raster_rect){ 1, 0, 4, 3 };
            op.rop3 = codes[c];
            op.brush = with_pat ?
                (struct floe_raster_brush){ .kind = FLOE_RASTER_BRUSH_PATTERN, .pattern = p,
                                            .x0 = 1, .y0 = 0 } :
                (struct floe_raster_brush){ .kind = FLOE_RASTER_BRUSH_SOLID, .color = 0x5a3c0f };
            draw_ok(&s, &op);
            for (int y = 5; y < 8; y++)
                for (int x = 6; x < 9; x++) {
                    uint32_t pv = with_pat ? pat[(y % 2) * 2 + (x - 1) % 2] : 0x5a3c0f;
                    uint32_t sv = src[(y - 5) * 4 + x - 6 + 1];

                    assert_int_equal(at(&s, x, y), rop3_ref(codes[c], pv, sv, start_px(x, y)));
                }
            assert_int_equal(at(&s, 9, 5), start_px(9, 5));
            surf_down(&s);
        }
    }
    pixman_image_unref(img);
    pixman_image_unref(p);
}

static void test_text(void **st)
{
    /* a 3x2 1-bit glyph, bottom row first: top row X.X, bottom row .X. */
    static const uint8_t g1[2] = { 0x40, 0xa0 };
    /* two 2x1 4-bit glyphs overlapping on one pixel */
    static const uint8_t ga[1] = { 0x3c }, gb[1] = { 0x80 };
    struct floe_raster_glyph glyphs[1] = { { 4, 5, 3, 2, g1 } };
    struct floe_raster_glyph glyphs4[2] = { { 2, 2, 2, 1, ga }, { 3, 2, 2, 1, gb } };
    static const uint8_t g8[4] = { 0x11, 0x22, 0x33, 0x44 };
    struct floe_raster_glyph glyphs8[1] = { { 5, 6, 2, 2, g8 } };
    struct floe_raster_op op = op_in(FLOE_RASTER_TEXT, 0, 0, W, H);
    struct surf s;

    (void)st;
    surf_up(&s);
    op.glyphs = glyphs;
    op.n_glyphs = 1;
    op.glyph_bpp = 1;
    op.brush = (struct floe_raster_brush){ .kind = FLOE_RASTER_BRUSH_SOLID, .color = 0x112233 };
    op.back_area = (struct floe_raster_rect){ 3, 4, 8, 8 };
    op.back_brush = (struct floe_raster_brush){ .kind = FLOE_RASTER_BRUSH_SOLID, .color = 0xeeeeee };
    op.fore_mode = OP_PUT;
    draw_ok(&s, &op);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int gx = x - 4, gy = y - 5;
            int ink = gx >= 0 && gx < 3 && gy >= 0 && gy < 2 &&
                      (gy == 0 ? gx != 1 : gx == 1);
            uint32_t want = ink ? 0x112233 : inside(x, y, op.back_area) ? 0xeeeeee : start_px(x, y);

            assert_int_equal(at(&s, x, y), want);
        }
    surf_down(&s);

    /* with a back area, a mode other than PUT draws nothing */
    surf_up(&s);
    op.fore_mode = OP_XOR;
    draw_ok(&s, &op);
    assert_memory_equal(s.px, s.was, sizeof(s.px));
    surf_down(&s);

    /* 4-bit coverage: white over black shows the coverage, the larger one where glyphs meet */
    surf_up(&s);
    memset(s.px, 0, sizeof(s.px));
    op = op_in(FLOE_RASTER_TEXT, 0, 0, W, H);
    op.glyphs = glyphs4;
    op.n_glyphs = 2;
    op.glyph_bpp = 4;
    op.brush = (struct floe_raster_brush){ .kind = FLOE_RASTER_BRUSH_SOLID, .color = 0xffffff };
    op.fore_mode = OP_PUT;
    draw_ok(&s, &op);
    assert_int_equal(at(&s, 2, 2), 0x303030);
    assert_int_equal(at(&s, 3, 2), 0xc0c0c0);   /* max(0xc0, 0x80) */
    assert_int_equal(at(&s, 4, 2), 0);
    assert_int_equal(at(&s, 1, 2), 0);
    surf_down(&s);

    /* 8-bit coverage, read as stored: bottom row first (the reference's
     * canvas reads these rows one off, from past the glyph's data) */
    surf_up(&s);
    memset(s.px, 0, sizeof(s.px));
    op.glyphs = glyphs8;
    op.n_glyphs = 1;
    op.glyph_bpp = 8;
    draw_ok(&s, &op);
    assert_int_equal(at(&s, 5, 6), 0x333333);
    assert_int_equal(at(&s, 6, 6), 0x444444);
    assert_int_equal(at(&s, 5, 7), 0x111111);
    assert_int_equal(at(&s, 6, 7), 0x222222);
    assert_int_equal(at(&s, 5, 8), 0);
    surf_down(&s);
}

static void test_composite(void **st)
{
    uint32_t src[2 * 2] = { 0x80400000, 0xff00ff00, 0x00000000, 0xff0000ff };
    pixman_image_t *img = pixman_image_create_bits(PIXMAN_a8r8g8b8, 2, 2, src, 8);
    struct floe_raster_op op = op_in(FLOE_RASTER_COMPOSITE, 8, 8, 10, 10);
    struct surf s;

    (void)st;
    surf_up(&s);
    op.src = img;
    op.composite_flags = PIXMAN_OP_OVER;
    draw_ok(&s, &op);
    for (int i = 0; i < 4; i++) {
        int x = 8 + i % 2, y = 8 + i / 2;
        uint32_t d = start_px(x, y), want = 0;

        for (int sh = 0; sh < 24; sh += 8)
            want |= ((src[i] >> sh & 0xff) + mul8(d >> sh & 0xff, 255 - (src[i] >> 24))) << sh;
        near(at(&s, x, y), want);
    }
    /* SRC with a transform that reads the source one pixel to the right,
     * repeating (flags: src_repeat NORMAL in bits 14-15) */
    op.composite_flags = PIXMAN_OP_SRC | (PIXMAN_REPEAT_NORMAL << 14) | (1u << 20);
    op.src_transform[0] = pixman_fixed_1;
    op.src_transform[2] = pixman_fixed_1;
    op.src_transform[4] = pixman_fixed_1;
    draw_ok(&s, &op);
    assert_int_equal(at(&s, 8, 8), 0x00ff00);
    assert_int_equal(at(&s, 9, 8), 0x400000);
    assert_int_equal(at(&s, 8, 9), 0x0000ff);
    untouched(img, src, 2, 2);
    pixman_image_unref(img);
    surf_down(&s);
}

static void test_copy_bits_overlap(void **st)
{
    struct floe_raster_op op = op_in(FLOE_RASTER_COPY_BITS, 0, 0, W, H - 3);
    struct surf s;

    (void)st;
    surf_up(&s);
    op.src_x = 0;
    op.src_y = 3;   /* up by 3 rows */
    draw_ok(&s, &op);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            assert_int_equal(at(&s, x, y), y < H - 3 ? start_px(x, y + 3) : start_px(x, y));
    surf_down(&s);
}

/* pixels of the surface equal to `v` are exactly those listed */
static void only_these(const struct surf *s, const int (*xy)[2], int n, uint32_t v)
{
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int listed = 0;

            for (int i = 0; i < n; i++)
                listed |= xy[i][0] == x && xy[i][1] == y;
            if (listed != (at(s, x, y) == v))
                fail_msg("pixel (%d,%d) is 0x%06x", x, y, at(s, x, y));
        }
}

static void stroke(struct surf *s, const struct floe_raster_pointfix *pts, uint32_t n,
                   uint32_t flags, uint16_t mode)
{
    struct floe_raster_seg seg = { flags, n, pts };
    struct floe_raster_op op = op_in(FLOE_RASTER_STROKE, 0, 0, W, H);

    op.segs = &seg;
    op.n_segs = 1;
    op.brush = (struct floe_raster_brush){ .kind = FLOE_RASTER_BRUSH_SOLID, .color = 0xffffff };
    op.fore_mode = mode;
    draw_ok(s, &op);
}

#define FX(v) ((v) * 16)

static void test_stroke(void **st)
{
    struct surf s;
    /* X11's zero-width lines leave out their last point; a tie steps the
     * major axis only in the octants of its bias (here: going left and up) */
    static const int fwd[][2] = { { 0, 0 }, { 1, 1 }, { 2, 1 }, { 3, 2 } };
    static const int back[][2] = { { 4, 2 }, { 3, 2 }, { 2, 1 }, { 1, 1 } };
    static const int far[][2] = { { 0, 0 }, { 1, 1 }, { 2, 2 }, { 3, 3 }, { 4, 4 }, { 5, 5 },
                                  { 6, 6 }, { 7, 7 } };
    static const int closed[][2] = { { 2, 2 }, { 3, 2 }, { 4, 2 }, { 5, 2 }, { 5, 3 }, { 5, 4 },
                                     { 4, 4 }, { 3, 4 }, { 2, 4 }, { 2, 3 } };

    (void)st;
    surf_up(&s);
    memset(s.px, 0, sizeof(s.px));
    stroke(&s, (struct floe_raster_pointfix[]){ { FX(0), FX(0) }, { FX(4), FX(2) } }, 2,
           1 | 2, OP_PUT);
    only_these(&s, fwd, 4, 0xffffff);
    memset(s.px, 0, sizeof(s.px));
    stroke(&s, (struct floe_raster_pointfix[]){ { FX(4), FX(2) }, { FX(0), FX(0) } }, 2,
           1 | 2, OP_PUT);
    only_these(&s, back, 4, 0xffffff);
    /* 28.4 points round up from past the half: 0.5 is 0, 0.5625 is 1 */
    memset(s.px, 0, sizeof(s.px));
    stroke(&s, (struct floe_raster_pointfix[]){ { 8, 9 }, { FX(4) + 8, FX(2) + 9 } }, 2, 1 | 2,
           OP_PUT);
    {
        static const int up[][2] = { { 0, 1 }, { 1, 2 }, { 2, 2 }, { 3, 3 } };

        only_these(&s, up, 4, 0xffffff);
    }
    /* from far off the surface: the same pixels the whole walk would give */
    memset(s.px, 0, sizeof(s.px));
    stroke(&s, (struct floe_raster_pointfix[]){ { FX(-100000), FX(-100000) }, { FX(8), FX(8) } },
           2, 1 | 2, OP_PUT);
    only_these(&s, far, 8, 0xffffff);
    /* a closed rectangle drawn XOR: every pixel once, the corners too */
    memset(s.px, 0, sizeof(s.px));
    stroke(&s, (struct floe_raster_pointfix[]){ { FX(2), FX(2) }, { FX(5), FX(2) },
                                                { FX(5), FX(4) }, { FX(2), FX(4) } },
           4, 1 | 2 | 8, OP_XOR);
    only_these(&s, closed, 10, 0xffffff);
    surf_down(&s);
}

/* ---- dashed strokes ----
 * The canvas draws a dashed zero-width line as X11's dashed line of width
 * one: each "on" dash a rectangle one pixel wide along the line, holding
 * the pixels whose centres it holds (rows from its top, not its bottom;
 * from its left boundary, not its right); dashes run on across a
 * polyline's corners with what is left of a dash cut to whole pixels, and
 * where an "on" dash turns a corner a mitre (a bevel when too long) fills
 * the outside. The model below states that geometry directly and finds
 * each pixel by testing its centre against every polygon. */

#define DW 64
#define DH 48

struct dpoly {
    double x[4], y[4];
    int n;
};

struct dmodel {
    int len[16], n;         /* dash lengths in pixels */
    int idx;                /* the dash the walk is in */
    double at;              /* where along the segment that dash ends */
    int merge;              /* the polyline's pixels drawn once each */
    uint8_t cover[DH][DW];  /* how many polygons hold each pixel */
};

static int dpoly_holds(const struct dpoly *p, int x, int y)
{
    double ymin = p->y[0], ymax = p->y[0], xl = 1e30, xr = -1e30;

    for (int i = 1; i < p->n; i++) {
        ymin = p->y[i] < ymin ? p->y[i] : ymin;
        ymax = p->y[i] > ymax ? p->y[i] : ymax;
    }
    if (y < ymin || y >= ymax)
        return 0;
    for (int i = 0; i < p->n; i++) {
        double x0 = p->x[i], y0 = p->y[i], x1 = p->x[(i + 1) % p->n], y1 = p->y[(i + 1) % p->n];

        if ((y < y0 && y < y1) || (y > y0 && y > y1))
            continue;
        if (y0 == y1) {
            xl = fmin(xl, fmin(x0, x1));
            xr = fmax(xr, fmax(x0, x1));
        } else {
            double xx = x0 + (y - y0) * (x1 - x0) / (y1 - y0);

            xl = fmin(xl, xx);
            xr = fmax(xr, xx);
        }
    }
    return x >= xl && x < xr;
}

static void dmodel_cover(struct dmodel *m, const struct dpoly *p)
{
    for (int y = 0; y < DH; y++)
        for (int x = 0; x < DW; x++)
            m->cover[y][x] += (uint8_t)dpoly_holds(p, x, y);
}

/* The "on" dash from a to b along the line from (x1,y1) by (ux,uy). */
static void dmodel_dash(struct dmodel *m, int x1, int y1, double ux, double uy, double a, double b)
{
    double nx = -uy / 2, ny = ux / 2;
    struct dpoly r = { { x1 + ux * a + nx, x1 + ux * b + nx, x1 + ux * b - nx, x1 + ux * a - nx },
                       { y1 + uy * a + ny, y1 + uy * b + ny, y1 + uy * b - ny, y1 + uy * a - ny },
                       4 };

    dmodel_cover(m, &r);
}

/* One segment; the walk goes on from where the last one left it. */
static void dmodel_segment(struct dmodel *m, int x1, int y1, int x2, int y2)
{
    double dx = x2 - x1, dy = y2 - y1, L = sqrt(dx * dx + dy * dy), a = 0;
    int left;

    for (;;) {
        if (!(m->idx & 1))
            dmodel_dash(m, x1, y1, dx / L, dy / L, a, m->at < L ? m->at : L);
        if (m->at >= L)
            break;
        a = m->at;
        m->idx = (m->idx + 1) % m->n;
        m->at += m->len[m->idx];
    }
    /* the next segment starts this much short of the dash's end */
    left = (int)(m->at - L);
    if (left == 0) {
        m->idx = (m->idx + 1) % m->n;
        left = m->len[m->idx];
    }
    m->at = left;
}

/* Whether the walk is in an "on" dash at a segment's end, as the canvas
 * reckons it: past a dash's end it looks at the dash before. */
static int dmodel_end_on(const struct dmodel *m)
{
    return (m->idx & 1) ^ (m->at != m->len[m->idx]);
}

/* The join where a line arriving along (ax,ay) leaves along (bx,by). */
static void dmodel_join(struct dmodel *m, int px, int py, int ax, int ay, int bx, int by)
{
    double la = sqrt((double)ax * ax + (double)ay * ay), lb = sqrt((double)bx * bx + (double)by * by);
    double uax = ax / la, uay = ay / la, ubx = bx / lb, uby = by / lb;
    double nax = -uay / 2, nay = uax / 2, nbx = -uby / 2, nby = ubx / 2, s, mx, my;

    /* drawn straight to the surface, only where neither line draws the
     * corner's own pixel: arriving rightwards (or down), leaving leftwards
     * (or up) */
    if (!m->merge && !((ax > 0 || (ax == 0 && ay > 0)) && (bx < 0 || (bx == 0 && by < 0))))
        return;
    if ((double)ax * by - (double)ay * bx == 0)
        return;
    /* the outside: away from where the other line goes */
    if (nax * ubx + nay * uby > 0) {
        nax = -nax;
        nay = -nay;
    }
    if (nbx * uax + nby * uay < 0) {
        nbx = -nbx;
        nby = -nby;
    }
    s = ((nbx - nax) * uby - (nby - nay) * ubx) / (uax * uby - uay * ubx);
    mx = nax + s * uax;
    my = nay + s * uay;
    if ((mx * mx + my * my) * 4 > 108.856472512142) {
        struct dpoly t = { { px, px + nax, px + nbx }, { py, py + nay, py + nby }, 3 };

        dmodel_cover(m, &t);
    } else {
        struct dpoly q = { { px, px + nax, px + mx, px + nbx }, { py, py + nay, py + my, py + nby },
                           4 };

        dmodel_cover(m, &q);
    }
}

/* A polyline: the dashes start afresh, from `offset` into the list. */
static void dmodel_polyline(struct dmodel *m, const int (*p)[2], int n, int offset)
{
    int first = 1, first_on = 0, prev_on = 0, self = p[0][0] == p[n - 1][0] &&
                                                     p[0][1] == p[n - 1][1];
    int fx = 0, fy = 0, lx = 0, ly = 0;

    m->idx = 0;
    while (offset >= m->len[m->idx]) {
        offset -= m->len[m->idx];
        m->idx = (m->idx + 1) % m->n;
    }
    m->at = m->len[m->idx] - offset;
    for (int i = 1; i < n; i++) {
        int dx = p[i][0] - p[i - 1][0], dy = p[i][1] - p[i - 1][1], on = !(m->idx & 1);

        if (!dx && !dy)
            continue;
        dmodel_segment(m, p[i - 1][0], p[i - 1][1], p[i][0], p[i][1]);
        if (on && !first && prev_on)
            dmodel_join(m, p[i - 1][0], p[i - 1][1], lx, ly, dx, dy);
        if (first) {
            first_on = on;
            fx = dx;
            fy = dy;
        }
        first = 0;
        prev_on = dmodel_end_on(m);
        lx = dx;
        ly = dy;
    }
    if (!first && self && first_on && prev_on)
        dmodel_join(m, p[0][0], p[0][1], lx, ly, fx, fy);
}

struct dline {
    const int (*p)[2];
    int n;
    int closed;
};

/* Draws the polylines dashed by `style` through the renderer and checks
 * every pixel against the model: PUT or XOR of `color`, inside `clip`. */
static void dash_check(const int32_t *style, int nstyle, uint8_t flags, uint16_t mode,
                       const struct dline *lines, int nlines, const struct floe_raster_rect *clip)
{
    static uint32_t px[DW * DH], want[DW * DH];
    struct floe_raster_seg segs[8];
    struct floe_raster_pointfix pts[8][16];
    uint8_t wire[64];
    struct dmodel *m = calloc(1, sizeof(*m));
    struct floe_raster_op op = op_in(FLOE_RASTER_STROKE, 0, 0, DW, DH);
    pixman_image_t *img = pixman_image_create_bits(PIXMAN_x8r8g8b8, DW, DH, px, DW * 4);
    pixman_region32_t damage, cl;
    const char *why = NULL;
    uint32_t color = 0x30c0ff;
    int offset = 0, rc;

    assert_non_null(m);
    for (int i = 0; i < DW * DH; i++)
        px[i] = want[i] = start_px(i % DW, i / DW);
    /* the dash list as the canvas makes it: whole pixels, modulo 256;
     * starting with a gap, the first length goes last and the walk starts
     * past the new first one */
    for (int i = 0; i < nstyle; i++) {
        int32_t v = style[(flags & 4) ? (i + 1) % nstyle : i];

        m->len[i] = ((v >> 4) + ((v & 15) > 8)) & 0xff;
        for (int b = 0; b < 4; b++)
            wire[4 * i + b] = (uint8_t)((uint32_t)style[i] >> (8 * b));
    }
    m->n = nstyle;
    if (flags & 4)
        offset = m->len[0];
    for (int l = 0; l < nlines; l++) {
        int np = lines[l].n;
        int (*q)[2] = calloc((size_t)np + 1, sizeof(*q));

        assert_non_null(q);
        for (int i = 0; i < np; i++) {
            pts[l][i] = (struct floe_raster_pointfix){ FX(lines[l].p[i][0]), FX(lines[l].p[i][1]) };
            q[i][0] = lines[l].p[i][0];
            q[i][1] = lines[l].p[i][1];
        }
        segs[l] = (struct floe_raster_seg){ 1 | 2 | (lines[l].closed ? 8 : 0), (uint32_t)np,
                                            pts[l] };
        if (lines[l].closed) {
            q[np][0] = q[0][0];
            q[np][1] = q[0][1];
            np++;
        }
        memset(m->cover, 0, sizeof(m->cover));
        /* ROPs that two draws undo (XOR) merge a polyline of three points */
        m->merge = mode == OP_XOR && np >= 3;
        dmodel_polyline(m, (const int(*)[2])q, np, offset);
        for (int y = 0; y < DH; y++)
            for (int x = 0; x < DW; x++) {
                int c = m->cover[y][x];

                if (clip && !inside(x, y, *clip))
                    continue;
                if (mode == OP_XOR)
                    want[y * DW + x] ^= (m->merge ? c > 0 : c & 1) ? color : 0;
                else if (c)
                    want[y * DW + x] = color;
            }
        free(q);
    }
    op.segs = segs;
    op.n_segs = (uint32_t)nlines;
    op.line_flags = 8 | flags;
    op.style_nseg = (uint8_t)nstyle;
    op.styles = wire;
    op.brush = (struct floe_raster_brush){ .kind = FLOE_RASTER_BRUSH_SOLID, .color = color };
    op.fore_mode = mode;
    if (clip) {
        pixman_region32_init_rect(&cl, clip->left, clip->top, clip->right - clip->left,
                                  clip->bottom - clip->top);
        op.clip = &cl;
    }
    pixman_region32_init(&damage);
    rc = floe_raster_draw(img, &op, &damage, &why);
    if (rc)
        fail_msg("floe_raster_draw: %d (%s)", rc, why ? why : "?");
    for (int y = 0; y < DH; y++)
        for (int x = 0; x < DW; x++) {
            if ((px[y * DW + x] & 0xffffff) != want[y * DW + x])
                fail_msg("pixel (%d,%d) is 0x%06x, the model says 0x%06x", x, y,
                         px[y * DW + x] & 0xffffff, want[y * DW + x]);
            if (want[y * DW + x] != start_px(x, y) &&
                !pixman_region32_contains_point(&damage, x, y, NULL))
                fail_msg("pixel (%d,%d) changed outside the damage", x, y);
        }
    pixman_region32_fini(&damage);
    if (clip)
        pixman_region32_fini(&cl);
    pixman_image_unref(img);
    free(m);
}

#define DLINE(a, closed) { a, (int)(sizeof(a) / sizeof(a[0])), closed }

/* A horizontal line both ways (the rectangles' left edges hold pixels,
 * their right ones do not: leftwards, a dash starts a pixel on), a
 * vertical one both ways, and steep and shallow diagonals. */
static void test_dash_lines(void **st)
{
    static const int right[][2] = { { 2, 3 }, { 40, 3 } }, left[][2] = { { 40, 6 }, { 2, 6 } };
    static const int down[][2] = { { 50, 2 }, { 50, 40 } }, up[][2] = { { 54, 40 }, { 54, 2 } };
    static const int d1[][2] = { { 1, 10 }, { 45, 44 } }, d2[][2] = { { 40, 12 }, { 3, 46 } };
    static const int d3[][2] = { { 60, 45 }, { 20, 30 } }, d4[][2] = { { 30, 46 }, { 36, 9 } };
    static const struct dline lines[] = { DLINE(right, 0), DLINE(left, 0), DLINE(down, 0),
                                          DLINE(up, 0), DLINE(d1, 0), DLINE(d2, 0),
                                          DLINE(d3, 0), DLINE(d4, 0) };
    static const int32_t two[] = { FX(3), FX(2) };
    /* odd counts: the dash after the last is the first again, so the
     * last "on" dash and the first run together */
    static const int32_t three[] = { FX(4), FX(1), FX(2) };
    static const int32_t five[] = { FX(5), FX(2), FX(1), FX(3), FX(2) };

    (void)st;
    dash_check(two, 2, 0, OP_PUT, lines, 8, NULL);
    dash_check(three, 3, 0, OP_PUT, lines, 8, NULL);
    dash_check(five, 5, 0, OP_XOR, lines, 8, NULL);
    dash_check((const int32_t[]){ FX(7) }, 1, 0, OP_PUT, lines, 8, NULL);
}

/* Lengths rounded as points are (up from past the half) and kept modulo
 * 256; START_WITH_GAP moves the first length last and starts past the new
 * first one. */
static void test_dash_lengths(void **st)
{
    static const int zig[][2] = { { 2, 2 }, { 60, 2 }, { 60, 20 }, { 4, 24 }, { 30, 44 } };
    static const struct dline lines[] = { DLINE(zig, 0) };
    static const int32_t frac[] = { FX(2) + 8, FX(1) + 9, FX(3) + 15, FX(2) + 1 };
    static const int32_t wrap[] = { FX(259), FX(2), FX(1), -FX(253) };

    (void)st;
    dash_check(frac, 4, 0, OP_PUT, lines, 1, NULL);
    dash_check(wrap, 4, 0, OP_PUT, lines, 1, NULL);
    dash_check(frac, 4, 4, OP_PUT, lines, 1, NULL);
    dash_check((const int32_t[]){ FX(3), FX(1), FX(4) }, 3, 4, OP_XOR, lines, 1, NULL);
    dash_check((const int32_t[]){ FX(5) }, 1, 4, OP_PUT, lines, 1, NULL);
}

/* The pattern runs on across corners and restarts with each polyline;
 * corners where an "on" dash turns get mitres (bevels past the limit), on
 * the surface only where the two lines leave the corner pixel undrawn,
 * everywhere when XOR merges the polyline's pixels; a closed polyline
 * joins its end to its start. */
static void test_dash_corners(void **st)
{
    static const int back[][2] = { { 4, 4 }, { 40, 8 }, { 4, 10 }, { 58, 20 }, { 10, 24 },
                                   { 40, 44 }, { 44, 6 }, { 50, 44 } };
    static const int sq[][2] = { { 10, 10 }, { 10, 30 }, { 30, 30 }, { 30, 10 } };
    static const int tri[][2] = { { 60, 40 }, { 45, 12 }, { 34, 44 } };
    static const struct dline open[] = { DLINE(back, 0) };
    static const struct dline closed[] = { DLINE(sq, 1), DLINE(tri, 1) };
    static const int32_t long_dash[] = { FX(11), FX(1) };
    static const int32_t short_dash[] = { FX(3), FX(1) };

    (void)st;
    dash_check(long_dash, 2, 0, OP_PUT, open, 1, NULL);
    dash_check(long_dash, 2, 0, OP_XOR, open, 1, NULL);
    dash_check(short_dash, 2, 0, OP_PUT, closed, 2, NULL);
    dash_check(short_dash, 2, 0, OP_XOR, closed, 2, NULL);
    dash_check(short_dash, 2, 4, OP_XOR, closed, 2, NULL);
}

/* Clipped, the pixels outside the clip stay, and the pattern goes on as
 * if they had been drawn. */
static void test_dash_clip(void **st)
{
    static const int star[][2] = { { 2, 2 }, { 60, 40 }, { 2, 40 }, { 60, 2 } };
    static const struct dline lines[] = { DLINE(star, 1) };
    static const struct floe_raster_rect clip = { 12, 8, 50, 30 };

    (void)st;
    dash_check((const int32_t[]){ FX(5), FX(2) }, 2, 0, OP_XOR, lines, 1, &clip);
    dash_check((const int32_t[]){ FX(5), FX(2), FX(3) }, 3, 4, OP_PUT, lines, 1, &clip);
}

/* A bezier continues the pattern of the line before it in the same
 * polyline (here one flat enough to be drawn as its chord). */
static void test_dash_bezier(void **st)
{
    static uint32_t a[DW * DH], b[DW * DH];
    static const struct floe_raster_pointfix line[] = { { FX(3), FX(5) }, { FX(21), FX(9) },
                                                        { FX(50), FX(9) } };
    static const struct floe_raster_pointfix start[] = { { FX(3), FX(5) }, { FX(21), FX(9) } };
    static const struct floe_raster_pointfix curve[] = { { FX(30), FX(9) }, { FX(40), FX(9) },
                                                         { FX(50), FX(9) } };
    static const uint8_t style[] = { 0x30, 0, 0, 0, 0x20, 0, 0, 0 };
    struct floe_raster_seg as[] = { { 1 | 2, 3, line } };
    struct floe_raster_seg bs[] = { { 1, 2, start }, { 2 | 16, 3, curve } };
    uint32_t *px[2] = { a, b };
    struct floe_raster_seg *segs[2] = { as, bs };

    (void)st;
    for (int k = 0; k < 2; k++) {
        pixman_image_t *img = pixman_image_create_bits(PIXMAN_x8r8g8b8, DW, DH, px[k], DW * 4);
        struct floe_raster_op op = op_in(FLOE_RASTER_STROKE, 0, 0, DW, DH);
        pixman_region32_t damage;
        const char *why;

        op.segs = segs[k];
        op.n_segs = k ? 2 : 1;
        op.line_flags = 8;
        op.style_nseg = 2;
        op.styles = style;
        op.brush = (struct floe_raster_brush){ .kind = FLOE_RASTER_BRUSH_SOLID, .color = 0xffffff };
        op.fore_mode = OP_XOR;
        pixman_region32_init(&damage);
        assert_int_equal(floe_raster_draw(img, &op, &damage, &why), 0);
        pixman_region32_fini(&damage);
        pixman_image_unref(img);
    }
    assert_memory_equal(a, b, sizeof(a));
    {
        static const int pts[][2] = { { 3, 5 }, { 21, 9 }, { 50, 9 } };
        static const struct dline lines[] = { DLINE(pts, 0) };

        dash_check((const int32_t[]){ FX(3), FX(2) }, 2, 0, OP_XOR, lines, 1, NULL);
    }
}

/* No dashes, or none of any length: the canvas would never finish; a
 * dashed segment too long for its arithmetic: the stroke is not drawn. */
static void test_dash_refused(void **st)
{
    static const uint8_t zeros[] = { 0, 0, 0, 0, 4, 0, 0, 0 };   /* 0 and 0.25: both 0 */
    static const uint8_t one[] = { 0x30, 0, 0, 0 };
    struct floe_raster_pointfix near[] = { { FX(0), FX(1) }, { FX(10), FX(1) } };
    struct floe_raster_pointfix far[] = { { FX(0), FX(0) }, { FX(20000), FX(5) } };
    struct floe_raster_seg seg[] = { { 1 | 2, 2, near }, { 1 | 2, 2, far } };
    struct floe_raster_op op = op_in(FLOE_RASTER_STROKE, 0, 0, W, H);
    struct surf s;

    (void)st;
    op.segs = seg;
    op.n_segs = 2;
    op.line_flags = 8;
    op.fore_mode = OP_PUT;
    surf_up(&s);
    assert_int_equal(floe_raster_draw(s.img, &op, &s.damage, &s.why), -EINVAL);
    op.style_nseg = 2;
    op.styles = zeros;
    assert_int_equal(floe_raster_draw(s.img, &op, &s.damage, &s.why), -EINVAL);
    assert_memory_equal(s.px, s.was, sizeof(s.px));
    op.style_nseg = 1;
    op.styles = one;
    assert_int_equal(floe_raster_draw(s.img, &op, &s.damage, &s.why), -ENOTSUP);
    assert_non_null(s.why);
    assert_memory_equal(s.px, s.was, sizeof(s.px)); /* not even the line before it */
    surf_down(&s);
}

static void test_refused(void **st)
{
    uint32_t one = 0xffffff;
    pixman_image_t *img = pixman_image_create_bits(PIXMAN_x8r8g8b8, 1, 1, &one, 4);
    pixman_image_t *a8 = pixman_image_create_bits(PIXMAN_a8, 4, 4, NULL, 0);
    struct floe_raster_op ops[5];
    struct surf s;

    (void)st;
    ops[0] = op_in(FLOE_RASTER_COPY, 0, 0, 4, 4);                 /* no source */
    ops[1] = op_in(FLOE_RASTER_STROKE + 1, 0, 0, 4, 4);           /* no such kind */
    ops[2] = op_in(FLOE_RASTER_WHITENESS, 0, 0, 4, 4);            /* an 8-bit mask */
    ops[2].mask.bits = a8;
    ops[3] = op_in(FLOE_RASTER_ROP3, 0, 0, 4, 4);                 /* a source too small */
    ops[3].src = img;
    ops[3].src_area = (struct floe_raster_rect){ 0, 0, 4, 4 };
    ops[4] = op_in(FLOE_RASTER_COPY, 0, 0, 4, 4);                 /* an empty source area */
    ops[4].src = img;
    for (int i = 0; i < 5; i++) {
        surf_up(&s);
        assert_int_equal(floe_raster_draw(s.img, &ops[i], &s.damage, &s.why), -EINVAL);
        assert_non_null(s.why);
        assert_memory_equal(s.px, s.was, sizeof(s.px));
        assert_false(pixman_region32_not_empty(&s.damage));
        surf_down(&s);
    }
    pixman_image_unref(img);
    pixman_image_unref(a8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fill_rop_and_clip),
        cmocka_unit_test(test_fill_put_solid),
        cmocka_unit_test(test_fill_pattern),
        cmocka_unit_test(test_masks),
        cmocka_unit_test(test_copy_rop_and_scale),
        cmocka_unit_test(test_transparent),
        cmocka_unit_test(test_alpha_blend),
        cmocka_unit_test(test_rop3),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_composite),
        cmocka_unit_test(test_copy_bits_overlap),
        cmocka_unit_test(test_stroke),
        cmocka_unit_test(test_dash_lines),
        cmocka_unit_test(test_dash_lengths),
        cmocka_unit_test(test_dash_corners),
        cmocka_unit_test(test_dash_clip),
        cmocka_unit_test(test_dash_bezier),
        cmocka_unit_test(test_dash_refused),
        cmocka_unit_test(test_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
