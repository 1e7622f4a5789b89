/* Unit tests for floe_server_draw: an operation goes to a synced client as
 * the draw message that says the same (a raw client sees its type, box,
 * clip, mask and image), and a libfloe-client rendering that message ends
 * with the picture the operation makes (rendered here with floe's
 * renderer, as the server renders it into its surface); operations on
 * other surfaces, with images far larger than what they change or with A8
 * glyphs go as the pixels they changed; a bbox past the surface is refused
 * with nothing sent; a dashed stroke goes with its dashes, one without
 * dashes (no canvas draws it) as its area's pixels; a client reporting (floe's render report) that it
 * falls behind gets pixels until it has time to spare again. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/raw_session.h"

#include "codecs/raster.h"
#include "floe/client.h"
#include "floe/server.h"
#include "protocol/spice/draw.h"

#define W 256
#define H 192
#define BODY_MAX (4u << 20)
#define MAX_MSGS 32

#include "tests/unit/image_rig.h"

static struct rig g;

static void draw(struct rig *r, const struct floe_raster_op *op, int want_rc)
{
    struct call c = { .op = OP_DRAW, .draw = op };

    call(r, &c);
    assert_int_equal(c.rc, want_rc);
}

/* What the picture becomes: op drawn into g.exp as the server draws it. */
static void expect(const struct floe_raster_op *op)
{
    pixman_image_t *img = pixman_image_create_bits(PIXMAN_x8r8g8b8, W, H, g.exp, W * 4);
    pixman_region32_t dmg;
    const char *why = "";

    assert_non_null(img);
    pixman_region32_init(&dmg);
    assert_int_equal(floe_raster_draw(img, op, &dmg, &why), 0);
    pixman_region32_fini(&dmg);
    pixman_image_unref(img);
}

/* The message types the raw client got up to a sentinel fill of pixel
 * (0,0) in its colour; the first draw message's body is kept in *first. */
struct got {
    int n;
    uint16_t type[MAX_MSGS];
    uint8_t *first;
    uint32_t first_len;
};

static void collect(struct got *m)
{
    uint32_t px = g.exp[0] & 0xffffff;
    struct call c = { .op = OP_FILL, .r = { 0, 0, 1, 1 }, .rgb = px };

    memset(m, 0, sizeof(*m));
    call(&g, &c);
    for (;;) {
        uint32_t len;
        uint16_t type = next_msg(&g, 10000, &len);

        if (!type)
            fail_msg("no sentinel DRAW_FILL within 10 s (%d messages before)", m->n);
        if (type == SPICE_MSG_DISPLAY_DRAW_FILL) {
            struct spice_draw_fill f;

            assert_int_equal(spice_draw_fill_parse(g.body, len, &f), 0);
            if (f.base.box.left == 0 && f.base.box.top == 0 && f.base.box.right == 1 &&
                f.base.box.bottom == 1 && f.brush.color == px && f.rop == SPICE_ROPD_OP_PUT)
                return;
        }
        if (m->n == MAX_MSGS)
            fail_msg("more than %d display messages for one draw", MAX_MSGS);
        if (!m->first) {
            m->first = malloc(len);
            assert_non_null(m->first);
            memcpy(m->first, g.body, len);
            m->first_len = len;
        }
        m->type[m->n++] = type;
    }
}

static void got_free(struct got *m)
{
    free(m->first);
}

/* op goes as one message of `type`, and the client ends with its picture;
 * the message is left in *m for more checks. */
static void offloads(const struct floe_raster_op *op, uint16_t type, struct got *m)
{
    uint64_t before = rig_stats(&g).ops_offloaded;

    draw(&g, op, 0);
    expect(op);
    collect(m);
    assert_int_equal(m->n, 1);
    assert_int_equal(m->type[0], type);
    assert_int_equal(rig_stats(&g).ops_offloaded, before + 1);
    assert_picture(&g);
}

/* op goes as DRAW_COPYs of the pixels it changed, and the client ends
 * with its picture. */
static void as_pixels(const struct floe_raster_op *op)
{
    struct floe_server_stats st0 = rig_stats(&g);
    struct got m;

    draw(&g, op, 0);
    expect(op);
    collect(&m);
    assert_true(m.n >= 1);
    for (int i = 0; i < m.n; i++)
        assert_int_equal(m.type[i], SPICE_MSG_DISPLAY_DRAW_COPY);
    got_free(&m);
    assert_int_equal(rig_stats(&g).ops_rendered, st0.ops_rendered + 1);
    assert_int_equal(rig_stats(&g).ops_offloaded, st0.ops_offloaded);
    assert_picture(&g);
}

/* A picture of vertical stripes and a gradient, so that every op changes
 * something visible. */
static uint32_t *first_picture(void)
{
    uint32_t *px = malloc((size_t)W * H * 4);

    assert_non_null(px);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            px[y * W + x] = ((x / 8) % 2 ? 0x304050u : 0xd0c0a0u) ^ (uint32_t)(y << 1);
    return px;
}

static void setup_rig(void)
{
    uint32_t *px = first_picture();

    rig_up(&g, px);
    free(px);
}

static const struct floe_raster_brush solid = { .kind = FLOE_RASTER_BRUSH_SOLID,
                                                .color = 0x3080f0 };

/* ---- the tests ---- */

static void test_fill_clip(void **st)
{
    pixman_region32_t clip;
    struct spice_draw_fill f;
    struct got m;

    (void)st;
    setup_rig();
    pixman_region32_init_rect(&clip, 10, 10, 40, 30);
    pixman_region32_union_rect(&clip, &clip, 70, 50, 30, 60);
    offloads(&(struct floe_raster_op){ .kind = FLOE_RASTER_FILL,
                                       .bbox = { 5, 5, 120, 140 },
                                       .clip = &clip,
                                       .brush = solid,
                                       .rop_descriptor = SPICE_ROPD_OP_XOR },
             SPICE_MSG_DISPLAY_DRAW_FILL, &m);
    assert_int_equal(spice_draw_fill_parse(m.first, m.first_len, &f), 0);
    assert_int_equal(f.base.clip.type, SPICE_CLIP_RECTS);
    assert_int_equal(f.base.clip.num_rects, 2);
    assert_int_equal(f.rop, SPICE_ROPD_OP_XOR);
    assert_int_equal(f.brush.color, 0x3080f0);
    got_free(&m);
    pixman_region32_fini(&clip);
    rig_down(&g);
}

/* a 1-bit disc of 40x40, pixman's a1 */
static pixman_image_t *disc(void)
{
    pixman_image_t *m = pixman_image_create_bits(PIXMAN_a1, 40, 40, NULL, 0);
    uint8_t *b = (uint8_t *)pixman_image_get_data(m);
    int stride = pixman_image_get_stride(m);

    for (int y = 0; y < 40; y++)
        for (int x = 0; x < 40; x++)
            if ((x - 20) * (x - 20) + (y - 20) * (y - 20) < 300)
                b[(size_t)y * stride + x / 8] |= (uint8_t)(1u << (x % 8));
    return m;
}

static void test_invers_mask(void **st)
{
    pixman_image_t *mask = disc();
    struct spice_draw_mask_only mo;
    struct got m;

    (void)st;
    setup_rig();
    offloads(&(struct floe_raster_op){ .kind = FLOE_RASTER_INVERS,
                                       .bbox = { 30, 20, 90, 80 },
                                       .mask = { mask, 0, 3, 2 } },
             SPICE_MSG_DISPLAY_DRAW_INVERS, &m);
    assert_int_equal(spice_draw_mask_only_parse(m.first, m.first_len, &mo), 0);
    assert_int_not_equal(mo.mask.bitmap, 0);
    assert_int_equal(mo.mask.image.bitmap.format, SPICE_BITMAP_1BIT_BE);
    got_free(&m);
    /* inverted, and FILL through a mask */
    offloads(&(struct floe_raster_op){ .kind = FLOE_RASTER_FILL,
                                       .bbox = { 100, 60, 150, 110 },
                                       .brush = solid,
                                       .rop_descriptor = SPICE_ROPD_OP_PUT,
                                       .mask = { mask, 1, 0, 0 } },
             SPICE_MSG_DISPLAY_DRAW_FILL, &m);
    got_free(&m);
    offloads(&(struct floe_raster_op){ .kind = FLOE_RASTER_WHITENESS, .bbox = { 0, 150, 40, 190 },
                                       .mask = { mask, 0, 0, 0 } },
             SPICE_MSG_DISPLAY_DRAW_WHITENESS, &m);
    got_free(&m);
    offloads(&(struct floe_raster_op){ .kind = FLOE_RASTER_BLACKNESS,
                                       .bbox = { 200, 150, 256, 192 } },
             SPICE_MSG_DISPLAY_DRAW_BLACKNESS, &m);
    got_free(&m);
    pixman_image_unref(mask);
    rig_down(&g);
}

static void test_text(void **st)
{
    /* three glyphs of each depth: A1 8x10 (2 bytes a row), A4 6x8, A8 5x7 */
    static uint8_t a1[10 * 2], a4[8 * 3], a8[7 * 5];
    struct floe_raster_glyph gl[3];
    struct spice_draw_text t;
    struct got m;

    (void)st;
    for (size_t i = 0; i < sizeof(a1); i++)
        a1[i] = (uint8_t)(0x5a ^ (i * 37));
    for (size_t i = 0; i < sizeof(a4); i++)
        a4[i] = (uint8_t)(i * 29 + 7);
    for (size_t i = 0; i < sizeof(a8); i++)
        a8[i] = (uint8_t)(i * 53);
    setup_rig();
    for (int i = 0; i < 3; i++)
        gl[i] = (struct floe_raster_glyph){ 20 + 10 * i, 30, 8, 10, a1 };
    offloads(&(struct floe_raster_op){ .kind = FLOE_RASTER_TEXT,
                                       .bbox = { 20, 30, 50, 40 },
                                       .brush = solid,
                                       .fore_mode = SPICE_ROPD_OP_PUT,
                                       .glyphs = gl, .n_glyphs = 3, .glyph_bpp = 1,
                                       .back_area = { 18, 28, 52, 42 },
                                       .back_brush = { .kind = FLOE_RASTER_BRUSH_SOLID,
                                                       .color = 0xf0f0e0 } },
             SPICE_MSG_DISPLAY_DRAW_TEXT, &m);
    assert_int_equal(spice_draw_text_parse(m.first, m.first_len, &t), 0);
    assert_int_equal(t.str.length, 3);
    assert_int_equal(t.str.flags, SPICE_STRING_FLAGS_RASTER_A1);
    got_free(&m);
    for (int i = 0; i < 3; i++)
        gl[i] = (struct floe_raster_glyph){ 60 + 7 * i, 80 + i, 6, 8, a4 };
    offloads(&(struct floe_raster_op){ .kind = FLOE_RASTER_TEXT,
                                       .bbox = { 60, 80, 80, 90 },
                                       .brush = solid,
                                       .fore_mode = SPICE_ROPD_OP_XOR,
                                       .glyphs = gl, .n_glyphs = 3, .glyph_bpp = 4 },
             SPICE_MSG_DISPLAY_DRAW_TEXT, &m);
    got_free(&m);
    /* A8 glyphs go as pixels (the reference client misreads their rows) */
    for (int i = 0; i < 3; i++)
        gl[i] = (struct floe_raster_glyph){ 100 + 6 * i, 120, 5, 7, a8 };
    as_pixels(&(struct floe_raster_op){ .kind = FLOE_RASTER_TEXT,
                                        .bbox = { 100, 120, 118, 127 },
                                        .brush = solid,
                                        .fore_mode = SPICE_ROPD_OP_PUT,
                                        .glyphs = gl, .n_glyphs = 3, .glyph_bpp = 8 });
    rig_down(&g);
}

#define FIX(v) ((v) * 16)

static void test_stroke_and_copy_bits(void **st)
{
    static const struct floe_raster_pointfix line[] = { { FIX(10), FIX(10) },
                                                        { FIX(120), FIX(40) },
                                                        { FIX(60) + 8, FIX(150) } };
    /* a bezier segment's points go by three, from the path's last point */
    static const struct floe_raster_pointfix curve[] = { { FIX(200), FIX(180) },
                                                         { FIX(240), FIX(20) },
                                                         { FIX(150), FIX(12) } };
    struct floe_raster_seg segs[] = { { SPICE_PATH_BEGIN, 3, line },
                                      { SPICE_PATH_BEZIER | SPICE_PATH_END | SPICE_PATH_CLOSE, 3,
                                        curve } };
    /* 6, 1.5 and 3.5625 pixels, 28.4 little-endian */
    static const uint8_t dashes[] = { 0x60, 0, 0, 0, 0x18, 0, 0, 0, 0x39, 0, 0, 0 };
    struct spice_draw_stroke sk;
    pixman_region32_t clip;
    struct got m;

    (void)st;
    setup_rig();
    offloads(&(struct floe_raster_op){ .kind = FLOE_RASTER_STROKE,
                                       .bbox = { 0, 0, W, H },
                                       .brush = solid,
                                       .fore_mode = SPICE_ROPD_OP_XOR,
                                       .segs = segs, .n_segs = 2 },
             SPICE_MSG_DISPLAY_DRAW_STROKE, &m);
    got_free(&m);
    /* dashed, the message carries the dashes as they came */
    offloads(&(struct floe_raster_op){ .kind = FLOE_RASTER_STROKE,
                                       .bbox = { 0, 0, W, H },
                                       .brush = solid,
                                       .fore_mode = SPICE_ROPD_OP_XOR,
                                       .segs = segs, .n_segs = 2,
                                       .line_flags = SPICE_LINE_FLAGS_STYLED |
                                                     SPICE_LINE_FLAGS_START_WITH_GAP,
                                       .style_nseg = 3, .styles = dashes },
             SPICE_MSG_DISPLAY_DRAW_STROKE, &m);
    assert_int_equal(spice_draw_stroke_parse(m.first, m.first_len, &sk), 0);
    assert_int_equal(sk.attr.flags, SPICE_LINE_FLAGS_STYLED | SPICE_LINE_FLAGS_START_WITH_GAP);
    assert_int_equal(sk.attr.style_nseg, 3);
    assert_memory_equal(sk.attr.styles, dashes, sizeof(dashes));
    got_free(&m);
    /* a copy-bits through a clip, overlapping itself */
    pixman_region32_init_rect(&clip, 30, 40, 100, 20);
    offloads(&(struct floe_raster_op){ .kind = FLOE_RASTER_COPY_BITS,
                                       .bbox = { 20, 30, 180, 120 },
                                       .clip = &clip,
                                       .src_x = 24, .src_y = 20 },
             SPICE_MSG_DISPLAY_COPY_BITS, &m);
    got_free(&m);
    pixman_region32_fini(&clip);
    rig_down(&g);
}

/* w x h pixels of noise (alpha too, when asked), an image over them */
static pixman_image_t *noise(int w, int h, int alpha, uint32_t seed, uint32_t **px)
{
    pixman_image_t *img;

    *px = malloc((size_t)w * h * 4);
    assert_non_null(*px);
    for (int i = 0; i < w * h; i++) {
        uint32_t v = (uint32_t)(i + 1) * 2654435761u ^ seed;

        (*px)[i] = alpha ? v : (v | 0xff000000u);
        /* a premultiplied ARGB picture: no colour above its alpha */
        if (alpha) {
            uint32_t a = v >> 24, r = (v >> 16) & 0xff, gr = (v >> 8) & 0xff, b = v & 0xff;

            (*px)[i] = a << 24 | (r * a / 255) << 16 | (gr * a / 255) << 8 | (b * a / 255);
        }
    }
    img = pixman_image_create_bits(alpha ? PIXMAN_a8r8g8b8 : PIXMAN_x8r8g8b8, w, h, *px, w * 4);
    assert_non_null(img);
    return img;
}

/* Operations with images go as draw messages carrying them (LZ, lossless):
 * a copy (its image checked), OPAQUE with a pattern brush through a mask,
 * BLEND scaled, ROP3 with a pattern, TRANSPARENT, ALPHA_BLEND of an ARGB
 * picture, COMPOSITE with a mask and a transform. */
static void test_image_ops(void **st)
{
    uint32_t *px[5];
    pixman_image_t *a = noise(32, 24, 0, 1, &px[0]), *b = noise(16, 16, 0, 7, &px[1]);
    pixman_image_t *argb = noise(40, 30, 1, 3, &px[2]), *pat = noise(8, 8, 0, 9, &px[3]);
    pixman_image_t *cmask = noise(20, 20, 1, 13, &px[4]), *mask = disc();
    struct floe_raster_brush pattern = { .kind = FLOE_RASTER_BRUSH_PATTERN, .pattern = pat,
                                         .x0 = 3, .y0 = 5 };
    struct spice_draw_copy dc;
    struct got m;

    (void)st;
    setup_rig();
    offloads(&(struct floe_raster_op){ .kind = FLOE_RASTER_COPY, .bbox = { 10, 10, 42, 34 },
                                       .src = a, .src_area = { 0, 0, 32, 24 },
                                       .rop_descriptor = SPICE_ROPD_OP_PUT },
             SPICE_MSG_DISPLAY_DRAW_COPY, &m);
    assert_int_equal(spice_draw_copy_parse(m.first, m.first_len, &dc), 0);
    assert_int_equal(dc.image.desc.type, SPICE_IMAGE_LZ_RGB);
    assert_int_equal(dc.image.desc.width, 32);
    got_free(&m);
    offloads(&(struct floe_raster_op){ .kind = FLOE_RASTER_OPAQUE, .bbox = { 50, 10, 90, 50 },
                                       .src = a, .src_area = { 2, 2, 30, 22 },
                                       .brush = pattern,
                                       .rop_descriptor = SPICE_ROPD_OP_XOR,
                                       .mask = { mask, 0, 0, 0 } },
             SPICE_MSG_DISPLAY_DRAW_OPAQUE, &m);
    got_free(&m);
    offloads(&(struct floe_raster_op){ .kind = FLOE_RASTER_BLEND, .bbox = { 100, 10, 164, 58 },
                                       .src = b, .src_area = { 0, 0, 16, 16 },
                                       .rop_descriptor = SPICE_ROPD_OP_AND,
                                       .scale_mode = 1 },
             SPICE_MSG_DISPLAY_DRAW_BLEND, &m);
    got_free(&m);
    offloads(&(struct floe_raster_op){ .kind = FLOE_RASTER_ROP3, .bbox = { 170, 10, 202, 34 },
                                       .src = a, .src_area = { 0, 0, 32, 24 },
                                       .brush = pattern, .rop3 = 0xb8 },
             SPICE_MSG_DISPLAY_DRAW_ROP3, &m);
    got_free(&m);
    offloads(&(struct floe_raster_op){ .kind = FLOE_RASTER_TRANSPARENT,
                                       .bbox = { 10, 60, 26, 76 },
                                       .src = b, .src_area = { 0, 0, 16, 16 },
                                       .transparent_color = px[1][5] & 0xffffff },
             SPICE_MSG_DISPLAY_DRAW_TRANSPARENT, &m);
    got_free(&m);
    offloads(&(struct floe_raster_op){ .kind = FLOE_RASTER_ALPHA_BLEND,
                                       .bbox = { 40, 60, 80, 90 },
                                       .src = argb, .src_area = { 0, 0, 40, 30 },
                                       .alpha = 0xc0 },
             SPICE_MSG_DISPLAY_DRAW_ALPHA_BLEND, &m);
    got_free(&m);
    offloads(&(struct floe_raster_op){
                 .kind = FLOE_RASTER_COMPOSITE, .bbox = { 100, 70, 160, 130 },
                 .src = argb, .composite_mask = cmask,
                 .composite_flags = SPICE_COMPOSITE_HAS_MASK |
                                    SPICE_COMPOSITE_HAS_SRC_TRANSFORM |
                                    3 /* the operator OVER */,
                 .src_transform = { 0x8000, 0, 0, 0, 0x8000, 0 },
                 .src_origin_x = 2, .src_origin_y = 1, .mask_origin_x = 5 },
             SPICE_MSG_DISPLAY_DRAW_COMPOSITE, &m);
    got_free(&m);
    pixman_image_unref(mask);
    pixman_image_unref(a);
    pixman_image_unref(b);
    pixman_image_unref(argb);
    pixman_image_unref(pat);
    pixman_image_unref(cmask);
    for (int i = 0; i < 5; i++)
        free(px[i]);
    rig_down(&g);
}

/* An operation's source image goes to a client with an image cache once:
 * drawn again (a ROP3 elsewhere, a COPY), the libfloe-client gets it
 * FROM_CACHE (`stats.cache_hits`) while the raw client, which has no cache,
 * gets the image each time; both pictures stay right. */
static void test_cached_sources(void **st)
{
    uint32_t *px;
    pixman_image_t *icon = noise(48, 32, 0, 21, &px);
    struct spice_draw_rop3 r3;
    uint64_t hits;
    struct got m;

    (void)st;
    setup_rig();
    hits = rig_stats(&g).cache_hits;
    offloads(&(struct floe_raster_op){ .kind = FLOE_RASTER_ROP3, .bbox = { 10, 10, 58, 42 },
                                       .src = icon, .src_area = { 0, 0, 48, 32 },
                                       .brush = solid, .rop3 = 0xb8 },
             SPICE_MSG_DISPLAY_DRAW_ROP3, &m);
    got_free(&m);
    assert_int_equal(rig_stats(&g).cache_hits, hits);
    offloads(&(struct floe_raster_op){ .kind = FLOE_RASTER_ROP3, .bbox = { 100, 60, 148, 92 },
                                       .src = icon, .src_area = { 0, 0, 48, 32 },
                                       .brush = solid, .rop3 = 0x66 },
             SPICE_MSG_DISPLAY_DRAW_ROP3, &m);
    /* the raw client has no cache: the image itself */
    assert_int_equal(spice_draw_rop3_parse(m.first, m.first_len, &r3), 0);
    assert_int_equal(r3.image.desc.type, SPICE_IMAGE_LZ_RGB);
    got_free(&m);
    assert_int_equal(rig_stats(&g).cache_hits, hits + 1);
    offloads(&(struct floe_raster_op){ .kind = FLOE_RASTER_COPY, .bbox = { 180, 120, 204, 136 },
                                       .src = icon, .src_area = { 8, 8, 32, 24 },
                                       .rop_descriptor = SPICE_ROPD_OP_XOR },
             SPICE_MSG_DISPLAY_DRAW_COPY, &m);
    got_free(&m);
    assert_int_equal(rig_stats(&g).cache_hits, hits + 2);
    pixman_image_unref(icon);
    free(px);
    rig_down(&g);
}

/* Operations that go as the pixels they changed: one reading another
 * surface, one whose image is far larger than what it changes; a bbox past
 * the surface is refused with nothing sent; a dashed stroke without
 * dashes, which no canvas draws, sends its area's pixels. */
static void test_pixels_and_refusals(void **st)
{
    static const struct floe_raster_pointfix pts[] = { { FIX(5), FIX(100) },
                                                       { FIX(200), FIX(110) } };
    struct floe_raster_seg seg = { SPICE_PATH_BEGIN | SPICE_PATH_END, 2, pts };
    uint32_t *px, *big_px;
    pixman_image_t *img = noise(32, 32, 0, 5, &px), *big = noise(300, 300, 0, 11, &big_px);
    struct floe_server_stats st0;
    struct got m;

    (void)st;
    setup_rig();
    as_pixels(&(struct floe_raster_op){ .kind = FLOE_RASTER_COPY, .bbox = { 40, 40, 72, 72 },
                                        .src = img, .src_area = { 0, 0, 32, 32 },
                                        .src_surface = 1,
                                        .rop_descriptor = SPICE_ROPD_OP_PUT });
    as_pixels(&(struct floe_raster_op){ .kind = FLOE_RASTER_COPY, .bbox = { 80, 40, 88, 48 },
                                        .src = big, .src_area = { 0, 0, 300, 300 },
                                        .scale_mode = 1,
                                        .rop_descriptor = SPICE_ROPD_OP_PUT });
    st0 = rig_stats(&g);
    draw(&g, &(struct floe_raster_op){ .kind = FLOE_RASTER_FILL, .bbox = { 200, 100, 260, 120 },
                                       .brush = solid, .rop_descriptor = SPICE_ROPD_OP_PUT },
         -EINVAL);
    collect(&m);
    assert_int_equal(m.n, 0);
    got_free(&m);

    draw(&g, &(struct floe_raster_op){ .kind = FLOE_RASTER_STROKE, .bbox = { 0, 90, 210, 120 },
                                       .brush = solid, .fore_mode = SPICE_ROPD_OP_PUT,
                                       .segs = &seg, .n_segs = 1,
                                       .line_flags = SPICE_LINE_FLAGS_STYLED },
         -EINVAL);
    collect(&m);
    for (int i = 0; i < m.n; i++)
        assert_int_equal(m.type[i], SPICE_MSG_DISPLAY_DRAW_COPY);
    got_free(&m);
    assert_int_equal(rig_stats(&g).ops_offloaded, st0.ops_offloaded);
    assert_picture(&g);
    pixman_image_unref(img);
    pixman_image_unref(big);
    free(px);
    free(big_px);
    rig_down(&g);
}

/* A client that reports spending most of its time rendering gets the
 * pixels of draw operations (the other client still the draws); three
 * reports with time to spare in a row bring the draws back. A client
 * without the capability is not heard. */
static void test_render_policy(void **st)
{
    uint32_t *px = first_picture();
    struct floe_raster_op fill = { .kind = FLOE_RASTER_FILL, .bbox = { 20, 20, 120, 90 },
                                   .brush = solid, .rop_descriptor = SPICE_ROPD_OP_XOR };
    struct got m;

    (void)st;
    rig_up_cap(&g, px, FLOE_DISPLAY_CAP_RENDER_REPORT);
    free(px);
    rig_report(&g, 800, 1);
    draw(&g, &fill, 0);
    expect(&fill);
    collect(&m);
    assert_true(m.n >= 1);
    for (int i = 0; i < m.n; i++)
        assert_int_equal(m.type[i], SPICE_MSG_DISPLAY_DRAW_COPY);
    got_free(&m);
    /* the libfloe-client, which renders quickly, still got the draw */
    assert_picture(&g);
    rig_report(&g, 100, 1);
    rig_report(&g, 100, 1);
    rig_report(&g, 100, 0);
    offloads(&fill, SPICE_MSG_DISPLAY_DRAW_FILL, &m);
    got_free(&m);
    rig_down(&g);

    /* without the capability, reports are ignored */
    px = first_picture();
    rig_up(&g, px);
    free(px);
    RAW_SEND(g.disp, FLOE_MSGC_DISPLAY_RENDER_REPORT,
             spice_floe_render_report_put(&w_, &(struct spice_floe_render_report){
                 1000, 40, 900000 }));
    offloads(&fill, SPICE_MSG_DISPLAY_DRAW_FILL, &m);
    got_free(&m);
    assert_int_equal(rig_stats(&g).server_rendered_clients, 0);
    rig_down(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fill_clip),
        cmocka_unit_test(test_invers_mask),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_stroke_and_copy_bits),
        cmocka_unit_test(test_image_ops),
        cmocka_unit_test(test_cached_sources),
        cmocka_unit_test(test_pixels_and_refusals),
        cmocka_unit_test(test_render_policy),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
