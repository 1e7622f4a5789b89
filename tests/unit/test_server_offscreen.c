/* Unit tests for off-screen surfaces (floe_server_offscreen_*): a surface
 * the producer makes reaches a synced client as SURFACE_CREATE (not
 * primary, xRGB), a draw on it as the draw message on that surface (or,
 * when it cannot go as one, the pixels the producer then sends), and a
 * draw on the primary that reads it as a DRAW_COPY naming it (a SURFACE
 * image) that a libfloe-client renders to the producer's picture; a client
 * that links later gets the surface whole and renders later copies from it
 * right; destroyed, clients are told and what read it goes as pixels. A
 * client the server renders for has none until it renders draws again.
 * 16-bit and A8 surfaces go in their own formats. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/raw_session.h"

#include "codecs/raster.h"
#include "floe/client.h"
#include "floe/server.h"
#include "protocol/spice/draw.h"

#define W 256
#define H 192
#define BODY_MAX (4u << 20)
#define OW 640
#define OH 400

#include "tests/unit/image_rig.h"

static struct rig g;
static uint32_t off[OW * OH];   /* the producer's pixels of surface 1 */

/* The next display message, which must be of `type`; its body in g.body. */
static uint32_t want(uint16_t type)
{
    uint32_t len = 0;
    uint16_t got = next_msg(&g, 10000, &len);

    if (got != type)
        fail_msg("got display message %u, want %u", got, type);
    return len;
}

/* op drawn into img's pixels, as the producer draws. */
static void render(pixman_image_t *img, const struct floe_raster_op *op)
{
    pixman_region32_t dmg;
    const char *why = "";

    pixman_region32_init(&dmg);
    assert_int_equal(floe_raster_draw(img, op, &dmg, &why), 0);
    pixman_region32_fini(&dmg);
}

/* op on the primary: sent, and drawn into g.exp as the server draws it. */
static void draw_primary(const struct floe_raster_op *op)
{
    pixman_image_t *exp = pixman_image_create_bits(PIXMAN_x8r8g8b8, W, H, g.exp, W * 4);
    struct call c = { .op = OP_DRAW, .draw = op };

    call(&g, &c);
    assert_int_equal(c.rc, 0);
    render(exp, op);
    pixman_image_unref(exp);
}

/* op on surface 1: drawn by the producer, then told; the server's answer. */
static int draw_off(pixman_image_t *surf, const struct floe_raster_op *op)
{
    struct call c = { .op = OP_OFF_DRAW, .id = 1, .draw = op };

    render(surf, op);
    call(&g, &c);
    return c.rc;
}

/* A DRAW_COPY of src's (sx, sy, w, h) to (x, y) of the primary. */
static struct floe_raster_op copy_from(pixman_image_t *src, int sx, int sy, int w, int h, int x,
                                       int y)
{
    return (struct floe_raster_op){ .kind = FLOE_RASTER_COPY,
                                    .bbox = { x, y, x + w, y + h },
                                    .src = src, .src_surface = 1,
                                    .src_area = { sx, sy, sx + w, sy + h },
                                    .rop_descriptor = SPICE_ROPD_OP_PUT };
}

static void test_offscreen(void **st)
{
    static uint8_t a8_bits[16 * 16];
    pixman_image_t *surf = pixman_image_create_bits(PIXMAN_x8r8g8b8, OW, OH, off, OW * 4);
    struct floe_raster_glyph glyph = { 40, 30, 16, 16, a8_bits };
    uint32_t *first = malloc((size_t)W * H * 4);
    struct spice_surface_create sc;
    struct spice_surface_destroy sd;
    struct spice_draw_fill df;
    struct spice_draw_copy dc;
    struct floe_client *late;
    struct floe_raster_op op;
    struct floe_rbuf r;
    char err[256];
    uint32_t len;

    (void)st;
    assert_true(surf && first);
    for (int i = 0; i < W * H; i++)
        first[i] = (uint32_t)(i * 2654435761u) & 0xffffff;
    rig_up(&g, first);
    memset(off, 0, sizeof(off));

    /* made: SURFACE_CREATE 1, not primary */
    call(&g, &(struct call){ .op = OP_OFF_CREATE, .id = 1, .r = { 0, 0, OW, OH }, .px = off });
    len = want(SPICE_MSG_DISPLAY_SURFACE_CREATE);
    floe_rbuf_init(&r, g.body, len);
    spice_surface_create_get(&r, &sc);
    assert_false(r.bad);
    assert_int_equal(sc.surface_id, 1);
    assert_int_equal(sc.width, OW);
    assert_int_equal(sc.height, OH);
    assert_int_equal(sc.format, SPICE_SURFACE_FMT_32_xRGB);
    assert_int_equal(sc.flags, 0);
    assert_int_equal(rig_stats(&g).offscreen_surfaces, 1);

    /* a fill on it goes as a DRAW_FILL on surface 1 */
    op = (struct floe_raster_op){ .kind = FLOE_RASTER_FILL, .bbox = { 0, 0, OW, OH },
                                  .brush = { .kind = FLOE_RASTER_BRUSH_SOLID,
                                             .color = 0x2060a0 },
                                  .rop_descriptor = SPICE_ROPD_OP_PUT };
    assert_int_equal(draw_off(surf, &op), 0);
    len = want(SPICE_MSG_DISPLAY_DRAW_FILL);
    assert_int_equal(spice_draw_fill_parse(g.body, len, &df), 0);
    assert_int_equal(df.base.surface_id, 1);
    op = (struct floe_raster_op){ .kind = FLOE_RASTER_INVERS, .bbox = { 10, 20, 70, 40 } };
    assert_int_equal(draw_off(surf, &op), 0);
    assert_int_equal(want(SPICE_MSG_DISPLAY_DRAW_INVERS) > 0, 1);

    /* one that cannot go as a message (A8 glyphs): the producer sends the
     * pixels it changed, a DRAW_COPY on surface 1 */
    for (int i = 0; i < 16 * 16; i++)
        a8_bits[i] = (uint8_t)(i * 7);
    op = (struct floe_raster_op){ .kind = FLOE_RASTER_TEXT, .bbox = { 40, 30, 56, 46 },
                                  .brush = { .kind = FLOE_RASTER_BRUSH_SOLID,
                                             .color = 0xf0e010 },
                                  .fore_mode = SPICE_ROPD_OP_PUT,
                                  .glyphs = &glyph, .n_glyphs = 1, .glyph_bpp = 8 };
    assert_int_equal(draw_off(surf, &op), 1);
    call(&g, &(struct call){ .op = OP_OFF_UPDATE, .id = 1, .r = { 40, 30, 16, 16 } });
    len = want(SPICE_MSG_DISPLAY_DRAW_COPY);
    assert_int_equal(spice_draw_copy_parse(g.body, len, &dc), 0);
    assert_int_equal(dc.base.surface_id, 1);
    assert_int_equal(dc.image.desc.type, SPICE_IMAGE_LZ_RGB);

    /* copied to the primary: a DRAW_COPY naming surface 1, and the picture */
    op = copy_from(surf, 0, 0, 200, 150, 20, 30);
    draw_primary(&op);
    len = want(SPICE_MSG_DISPLAY_DRAW_COPY);
    assert_int_equal(spice_draw_copy_parse(g.body, len, &dc), 0);
    assert_int_equal(dc.base.surface_id, 0);
    assert_int_equal(dc.image.desc.type, SPICE_IMAGE_SURFACE);
    assert_int_equal(dc.image.aux, 1);
    assert_picture(&g);

    /* through a clip of two rectangles, the source where the draw lands */
    {
        pixman_region32_t clip;

        pixman_region32_init_rect(&clip, 30, 40, 20, 10);
        pixman_region32_union_rect(&clip, &clip, 60, 45, 25, 12);
        op = copy_from(surf, 30, 40, 55, 17, 30, 40);
        op.clip = &clip;
        draw_primary(&op);
        want(SPICE_MSG_DISPLAY_DRAW_COPY);
        assert_picture(&g);
        pixman_region32_fini(&clip);
    }

    /* a client that links now gets surface 1 whole: its later copies are right */
    late = floe_client_new(&(struct floe_client_options){ .host = "127.0.0.1", .port = g.port });
    assert_non_null(late);
    if (floe_client_connect(late, err, sizeof(err)) < 0)
        fail_msg("libfloe-client: %s", err);
    assert_int_equal(floe_client_start(late), 0);
    {
        struct floe_client *first_client = g.fc;

        /* synced first (its first picture has everything so far), then a copy */
        g.fc = late;
        assert_picture(&g);
        op = copy_from(surf, 8, 4, 160, 120, 90, 60);
        draw_primary(&op);
        want(SPICE_MSG_DISPLAY_DRAW_COPY);
        assert_picture(&g);
        g.fc = first_client;
        assert_picture(&g);
    }

    /* destroyed: SURFACE_DESTROY 1, and a copy from its pixels goes as pixels */
    call(&g, &(struct call){ .op = OP_OFF_DESTROY, .id = 1 });
    len = want(SPICE_MSG_DISPLAY_SURFACE_DESTROY);
    floe_rbuf_init(&r, g.body, len);
    spice_surface_destroy_get(&r, &sd);
    assert_false(r.bad);
    assert_int_equal(sd.surface_id, 1);
    assert_int_equal(rig_stats(&g).offscreen_surfaces, 0);
    op = copy_from(surf, 0, 0, 30, 30, 200, 10);
    draw_primary(&op);
    len = want(SPICE_MSG_DISPLAY_DRAW_COPY);
    assert_int_equal(spice_draw_copy_parse(g.body, len, &dc), 0);
    assert_int_not_equal(dc.image.desc.type, SPICE_IMAGE_SURFACE);
    assert_picture(&g);
    {
        struct call c = { .op = OP_OFF_DRAW, .id = 1, .draw = &op };

        call(&g, &c);
        assert_int_equal(c.rc, -ENOENT);
    }

    floe_client_free(late);
    pixman_image_unref(surf);
    free(first);
    rig_down(&g);
}

/* A client the server renders for has no off-screen surfaces: they are
 * destroyed when the server starts rendering for it, draws on them do not
 * reach it and copies from them reach it as pixels; when it renders draws
 * again it gets each surface created and whole, and copies name it again.
 * The libfloe-client, which renders quickly, keeps the right picture. */
static void test_offscreen_withheld(void **st)
{
    pixman_image_t *surf = pixman_image_create_bits(PIXMAN_x8r8g8b8, OW, OH, off, OW * 4);
    uint32_t *first = calloc((size_t)W * H, 4);
    struct spice_surface_destroy sd;
    struct spice_draw_copy dc;
    struct floe_raster_op op;
    struct floe_rbuf r;
    uint32_t len;
    uint16_t type;
    int pixels = 0;

    (void)st;
    assert_true(surf && first);
    rig_up_cap(&g, first, FLOE_DISPLAY_CAP_RENDER_REPORT);
    for (int i = 0; i < OW * OH; i++)
        off[i] = (uint32_t)(i * 2246822519u) & 0xffffff;
    call(&g, &(struct call){ .op = OP_OFF_CREATE, .id = 1, .r = { 0, 0, OW, OH }, .px = off });
    want(SPICE_MSG_DISPLAY_SURFACE_CREATE);
    /* the producer's first pixels of it */
    call(&g, &(struct call){ .op = OP_OFF_UPDATE, .id = 1, .r = { 0, 0, OW, OH } });
    while ((type = next_msg(&g, 300, &len)) != 0)
        assert_int_equal(type, SPICE_MSG_DISPLAY_DRAW_COPY);

    /* the server renders for it: surface 1 goes */
    rig_report(&g, 800, 1);
    len = want(SPICE_MSG_DISPLAY_SURFACE_DESTROY);
    floe_rbuf_init(&r, g.body, len);
    spice_surface_destroy_get(&r, &sd);
    assert_false(r.bad);
    assert_int_equal(sd.surface_id, 1);

    /* a draw on it: nothing; a copy from it: the pixels, on the primary */
    op = (struct floe_raster_op){ .kind = FLOE_RASTER_INVERS, .bbox = { 0, 0, 100, 80 } };
    assert_int_equal(draw_off(surf, &op), 0);
    op = copy_from(surf, 0, 0, 120, 90, 10, 10);
    draw_primary(&op);
    while ((type = next_msg(&g, 300, &len)) != 0) {
        assert_int_equal(type, SPICE_MSG_DISPLAY_DRAW_COPY);
        assert_int_equal(spice_draw_copy_parse(g.body, len, &dc), 0);
        assert_int_equal(dc.base.surface_id, 0);
        assert_int_not_equal(dc.image.desc.type, SPICE_IMAGE_SURFACE);
        pixels++;
    }
    assert_true(pixels >= 1);
    assert_picture(&g);

    /* it renders draws again: surface 1 created, then its pixels whole */
    rig_report(&g, 100, 1);
    rig_report(&g, 100, 1);
    rig_report(&g, 100, 0);
    want(SPICE_MSG_DISPLAY_SURFACE_CREATE);
    len = want(SPICE_MSG_DISPLAY_DRAW_COPY);
    assert_int_equal(spice_draw_copy_parse(g.body, len, &dc), 0);
    assert_int_equal(dc.base.surface_id, 1);
    while ((type = next_msg(&g, 300, &len)) != 0) {
        assert_int_equal(type, SPICE_MSG_DISPLAY_DRAW_COPY);
        assert_int_equal(spice_draw_copy_parse(g.body, len, &dc), 0);
        assert_int_equal(dc.base.surface_id, 1);
    }
    op = copy_from(surf, 30, 20, 100, 70, 100, 90);
    draw_primary(&op);
    len = want(SPICE_MSG_DISPLAY_DRAW_COPY);
    assert_int_equal(spice_draw_copy_parse(g.body, len, &dc), 0);
    assert_int_equal(dc.image.desc.type, SPICE_IMAGE_SURFACE);
    assert_int_equal(dc.image.aux, 1);
    assert_picture(&g);

    call(&g, &(struct call){ .op = OP_OFF_DESTROY, .id = 1 });
    want(SPICE_MSG_DISPLAY_SURFACE_DESTROY);
    pixman_image_unref(surf);
    free(first);
    rig_down(&g);
}

/* 16-bit and A8 off-screen surfaces: each is created in its own format,
 * draws on it go as draw messages in that format's colours, pixels sent
 * for it come back exactly, and a libfloe-client renders copies from it to
 * the primary as the server does, losing what the format loses. */
static void offscreen_format(enum floe_surface_format format, uint32_t spice_format,
                             pixman_format_code_t pf)
{
    enum { SW = 99, SH = 70 };   /* an odd width: rows padded to whole words */
    int bpp = PIXMAN_FORMAT_BPP(pf) / 8, stride = (SW * bpp + 3) & ~3;
    uint8_t *px = calloc((size_t)stride, SH);
    pixman_image_t *surf = pixman_image_create_bits(pf, SW, SH, (uint32_t *)px, stride);
    uint32_t *first = calloc((size_t)W * H, 4), picture[40 * 30];
    pixman_image_t *pic = pixman_image_create_bits(PIXMAN_a8r8g8b8, 40, 30, picture, 40 * 4);
    uint32_t red = spice_format == SPICE_SURFACE_FMT_8_A ? 0x90 :
                   spice_format == SPICE_SURFACE_FMT_16_565 ? 0xf800 : 0x7c00;
    struct spice_surface_create sc;
    struct spice_draw_fill df;
    struct floe_raster_op op;
    struct floe_rbuf r;
    uint32_t len;
    uint16_t type;

    assert_true(px && surf && first && pic);
    for (int i = 0; i < W * H; i++)
        first[i] = (uint32_t)(i * 2654435761u) & 0xffffff;
    for (int i = 0; i < 40 * 30; i++)   /* every channel's low bits busy */
        picture[i] = (uint32_t)(i * 2246822519u) | 0x40000000u;
    rig_up(&g, first);
    call(&g, &(struct call){ .op = OP_OFF_CREATE, .id = 2, .r = { 0, 0, SW, SH },
                             .px = (uint32_t *)px, .format = format });
    len = want(SPICE_MSG_DISPLAY_SURFACE_CREATE);
    floe_rbuf_init(&r, g.body, len);
    spice_surface_create_get(&r, &sc);
    assert_false(r.bad);
    assert_int_equal(sc.surface_id, 2);
    assert_int_equal(sc.format, spice_format);

    /* a fill in the surface's own colour, a XOR and a copy of a picture */
    op = (struct floe_raster_op){ .kind = FLOE_RASTER_FILL, .bbox = { 0, 0, SW, SH },
                                  .brush = { .kind = FLOE_RASTER_BRUSH_SOLID, .color = red },
                                  .rop_descriptor = SPICE_ROPD_OP_PUT };
    render(surf, &op);
    call(&g, &(struct call){ .op = OP_OFF_DRAW, .id = 2, .draw = &op });
    len = want(SPICE_MSG_DISPLAY_DRAW_FILL);
    assert_int_equal(spice_draw_fill_parse(g.body, len, &df), 0);
    assert_int_equal(df.base.surface_id, 2);
    assert_int_equal(df.brush.color, red);
    op = (struct floe_raster_op){ .kind = FLOE_RASTER_FILL, .bbox = { 10, 5, 60, 50 },
                                  .brush = { .kind = FLOE_RASTER_BRUSH_SOLID, .color = 0x5a5a },
                                  .rop_descriptor = SPICE_ROPD_OP_XOR };
    render(surf, &op);
    call(&g, &(struct call){ .op = OP_OFF_DRAW, .id = 2, .draw = &op });
    want(SPICE_MSG_DISPLAY_DRAW_FILL);
    op = (struct floe_raster_op){ .kind = FLOE_RASTER_COPY, .bbox = { 50, 30, 90, 60 },
                                  .src = pic, .src_area = { 0, 0, 40, 30 },
                                  .rop_descriptor = SPICE_ROPD_OP_PUT };
    render(surf, &op);
    call(&g, &(struct call){ .op = OP_OFF_DRAW, .id = 2, .draw = &op });
    while ((type = next_msg(&g, 300, &len)) != 0)
        assert_int_equal(type, SPICE_MSG_DISPLAY_DRAW_COPY);

    /* pixels the producer changed itself, sent as pixels */
    for (int y = 40; y < 60; y++)
        for (int x = 0; x < 20 * bpp; x++)
            px[(size_t)y * stride + x] = (uint8_t)(x * 37 + y * 11);
    call(&g, &(struct call){ .op = OP_OFF_UPDATE, .id = 2, .r = { 0, 40, 20, 20 } });
    want(SPICE_MSG_DISPLAY_DRAW_COPY);

    /* read by draws on the primary: a copy, and an alpha blend */
    op = (struct floe_raster_op){ .kind = FLOE_RASTER_COPY, .bbox = { 5, 7, 5 + SW, 7 + SH },
                                  .src = surf, .src_surface = 1,
                                  .src_area = { 0, 0, SW, SH },
                                  .rop_descriptor = SPICE_ROPD_OP_PUT };
    draw_primary(&op);
    len = want(SPICE_MSG_DISPLAY_DRAW_COPY);
    {
        struct spice_draw_copy dc;

        assert_int_equal(spice_draw_copy_parse(g.body, len, &dc), 0);
        assert_int_equal(dc.image.desc.type, SPICE_IMAGE_SURFACE);
        assert_int_equal(dc.image.aux, 2);
    }
    assert_picture(&g);
    op = (struct floe_raster_op){ .kind = FLOE_RASTER_ALPHA_BLEND,
                                  .bbox = { 120, 60, 120 + SW, 60 + SH },
                                  .src = surf, .src_surface = 1, .src_area = { 0, 0, SW, SH },
                                  .alpha = 0xa0 };
    draw_primary(&op);
    while ((type = next_msg(&g, 300, &len)) != 0)
        ;
    assert_picture(&g);

    call(&g, &(struct call){ .op = OP_OFF_DESTROY, .id = 2 });
    want(SPICE_MSG_DISPLAY_SURFACE_DESTROY);
    pixman_image_unref(pic);
    pixman_image_unref(surf);
    free(px);
    free(first);
    rig_down(&g);
}

static void test_offscreen_565(void **st)
{
    (void)st;
    offscreen_format(FLOE_SURFACE_RGB565, SPICE_SURFACE_FMT_16_565, PIXMAN_r5g6b5);
}

static void test_offscreen_555(void **st)
{
    (void)st;
    offscreen_format(FLOE_SURFACE_XRGB1555, SPICE_SURFACE_FMT_16_555, PIXMAN_x1r5g5b5);
}

static void test_offscreen_a8(void **st)
{
    (void)st;
    offscreen_format(FLOE_SURFACE_A8, SPICE_SURFACE_FMT_8_A, PIXMAN_a8);
}

/* Refusals: ids and sizes out of range, pixels rows shorter than the width. */
static void test_offscreen_refusals(void **st)
{
    uint32_t *first = calloc((size_t)W * H, 4);
    struct call c = { .op = OP_OFF_CREATE, .id = 0, .r = { 0, 0, OW, OH }, .px = off };

    (void)st;
    assert_non_null(first);
    rig_up(&g, first);
    call(&g, &c);
    assert_int_equal(c.rc, -EINVAL);
    c.id = FLOE_SERVER_MAX_SURFACES;
    call(&g, &c);
    assert_int_equal(c.rc, -EINVAL);
    c.id = 3;
    c.r.w = 0;
    call(&g, &c);
    assert_int_equal(c.rc, -EINVAL);
    assert_int_equal(rig_stats(&g).offscreen_surfaces, 0);
    free(first);
    rig_down(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offscreen),
        cmocka_unit_test(test_offscreen_withheld),
        cmocka_unit_test(test_offscreen_565),
        cmocka_unit_test(test_offscreen_555),
        cmocka_unit_test(test_offscreen_a8),
        cmocka_unit_test(test_offscreen_refusals),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
