/* ROP3: a ternary raster operation of pattern (or colour), source and
 * destination, bit by bit, over the whole bbox, blitted through the
 * region, as SPICE's software canvas does it. Bit (p << 2 | s << 1 | d) of
 * the code is the result for pattern bit p, source bit s, destination d. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "codecs/raster-internal.h"

#define SCALE_NEAREST 1

static uint32_t rop3_apply(uint8_t code, uint32_t p, uint32_t s, uint32_t d)
{
    uint32_t r = 0;

    for (unsigned i = 0; i < 8; i++) {
        if (code & (1u << i))
            r |= (i & 4 ? p : ~p) & (i & 2 ? s : ~s) & (i & 1 ? d : ~d);
    }
    return r;
}

/* `img` in dst's format, at its size; a new reference either way. */
static pixman_image_t *in_dst_format(struct rjob *j, pixman_image_t *img)
{
    int w = pixman_image_get_width(img), h = pixman_image_get_height(img);
    pixman_image_t *out;

    if (pixman_image_get_format(img) == pixman_image_get_format(j->dst))
        return pixman_image_ref(img);
    out = pixman_image_create_bits(pixman_image_get_format(j->dst), w, h, NULL, 0);
    if (out)
        pixman_image_composite32(PIXMAN_OP_SRC, img, NULL, out, 0, 0, 0, 0, 0, 0, w, h);
    return out;
}

/* The source's area scaled to w x h the way the canvas scales a ROP3's
 * source: the factor as a double, the origin rounded in scaled pixels. */
static pixman_image_t *scaled(struct rjob *j, pixman_image_t *s, int w, int h)
{
    const struct floe_raster_rect *a = &j->op->src_area;
    double sx = (double)(a->right - a->left) / w, sy = (double)(a->bottom - a->top) / h;
    pixman_image_t *out = pixman_image_create_bits(pixman_image_get_format(s), w, h, NULL, 0);
    pixman_transform_t t;

    if (!out)
        return NULL;
    pixman_transform_init_scale(&t, pixman_double_to_fixed(sx), pixman_double_to_fixed(sy));
    pixman_image_set_transform(s, &t);
    pixman_image_set_repeat(s, PIXMAN_REPEAT_NONE);
    pixman_image_set_filter(s, j->op->scale_mode == SCALE_NEAREST ? PIXMAN_FILTER_NEAREST :
                               PIXMAN_FILTER_GOOD, NULL, 0);
    pixman_image_composite32(PIXMAN_OP_SRC, s, NULL, out, (int)floor(a->left / sx + 0.5),
                             (int)floor(a->top / sy + 0.5), 0, 0, 0, 0, w, h);
    fraster_untransform(s);
    return out;
}

static int mod(int a, int m)
{
    int r = a % m;

    return r < 0 ? r + m : r;
}

/* d = rop3(pattern or colour, s, d) over all of d; s is read from (sx, sy),
 * the pattern from (px0, py0), both for d's top-left. */
static void apply(struct rjob *j, pixman_image_t *d, pixman_image_t *s, int sx, int sy,
                  pixman_image_t *p, int px0, int py0)
{
    const struct floe_raster_op *op = j->op;
    int w = pixman_image_get_width(d), h = pixman_image_get_height(d), bpp = j->bpp;
    int pw = p ? pixman_image_get_width(p) : 1, ph = p ? pixman_image_get_height(p) : 1;
    uint32_t color = op->brush.kind == FLOE_RASTER_BRUSH_SOLID ? op->brush.color : 0;

    for (int y = 0; y < h; y++) {
        uint8_t *drow = fraster_row(d, y);
        const uint8_t *srow = fraster_row(s, sy + y);
        const uint8_t *prow = p ? fraster_row(p, (py0 + y) % ph) : NULL;

        for (int x = 0; x < w; x++) {
            uint32_t pv = prow ? fraster_px(prow, (px0 + x) % pw, bpp) : color;

            fraster_put(drow, x, bpp,
                        rop3_apply(op->rop3, pv, fraster_px(srow, sx + x, bpp), fraster_px(drow, x, bpp)));
        }
    }
}

int fraster_rop3(struct rjob *j)
{
    const struct floe_raster_op *op = j->op;
    int w = op->bbox.right - op->bbox.left, h = op->bbox.bottom - op->bbox.top, sx = 0, sy = 0;
    /* the result at a pixel depends on that pixel alone: only the region's extents are worked */
    pixman_box32_t box = *pixman_region32_extents(&j->region);
    int dx = box.x1 - op->bbox.left, dy = box.y1 - op->bbox.top;
    pixman_image_t *d, *s, *p = NULL;
    int rc = 0;

    if (op->src_area.right - op->src_area.left == w && op->src_area.bottom - op->src_area.top == h) {
        s = in_dst_format(j, j->src);
        sx = op->src_area.left;
        sy = op->src_area.top;
    } else {
        pixman_image_t *conv = in_dst_format(j, j->src);

        s = conv ? scaled(j, conv, w, h) : NULL;
        if (conv)
            pixman_image_unref(conv);
    }
    if (!s)
        return fraster_no_memory(j);
    if (sx < 0 || sy < 0 || pixman_image_get_width(s) - sx < w ||
        pixman_image_get_height(s) - sy < h) {
        pixman_image_unref(s);
        *j->why = "a ROP3 source smaller than its area";
        return -EINVAL;
    }
    d = fraster_layer(j, &box);
    if (op->brush.kind == FLOE_RASTER_BRUSH_PATTERN)
        p = in_dst_format(j, op->brush.pattern);
    if (!d || (op->brush.kind == FLOE_RASTER_BRUSH_PATTERN && !p)) {
        rc = fraster_no_memory(j);
    } else {
        /* the bbox's current pixels; the region is within dst, the bbox may not be */
        pixman_image_composite32(PIXMAN_OP_SRC, j->dst, NULL, d, box.x1, box.y1, 0, 0, 0, 0,
                                 box.x2 - box.x1, box.y2 - box.y1);
        apply(j, d, s, sx + dx, sy + dy, p,
              p ? mod(op->bbox.left - op->brush.x0 + dx, pixman_image_get_width(p)) : 0,
              p ? mod(op->bbox.top - op->brush.y0 + dy, pixman_image_get_height(p)) : 0);
        fraster_combine(j, &j->region, d, box.x1, box.y1, 0, ROP_COPY);
    }
    if (d)
        pixman_image_unref(d);
    if (p)
        pixman_image_unref(p);
    pixman_image_unref(s);
    return rc;
}
