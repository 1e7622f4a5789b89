/* SPICE's draw operations as its software canvas draws them: the region is
 * the bbox within the clip, the mask and the surface; a source is brought
 * into the surface's format first, then combined with the surface's raw
 * pixel values through the operation's ROP. Text is in raster-text.c,
 * ternary ROPs in raster-rop3.c. */
#include "codecs/raster.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/raster-internal.h"

/* SPICE_ALPHA_FLAGS_SRC_SURFACE_HAS_ALPHA and the COMPOSITE flags */
#define ALPHA_SRC_HAS_ALPHA (1u << 1)
#define COMPOSITE_HAS_MASK (1u << 19)
#define COMPOSITE_HAS_SRC_TRANSFORM (1u << 20)
#define COMPOSITE_HAS_MASK_TRANSFORM (1u << 21)
#define COMPOSITE_SOURCE_OPAQUE (1u << 22)
#define SCALE_NEAREST 1

static int area_w(const struct floe_raster_rect *r)
{
    return r->right - r->left;
}

static int area_h(const struct floe_raster_rect *r)
{
    return r->bottom - r->top;
}

static int same_size(const struct floe_raster_op *op)
{
    return area_w(&op->src_area) == area_w(&op->bbox) && area_h(&op->src_area) == area_h(&op->bbox);
}

/* The source's src_area scaled to the bbox's size, as a new image in the
 * source's format: (0,0) is the bbox's top-left. */
static pixman_image_t *scaled_new(struct rjob *j, int nearest)
{
    const struct floe_raster_op *op = j->op;
    int bw = area_w(&op->bbox), bh = area_h(&op->bbox);
    pixman_image_t *out = pixman_image_create_bits(pixman_image_get_format(j->src), bw, bh, NULL, 0);
    pixman_transform_t t;

    if (!out)
        return NULL;
    pixman_transform_init_scale(&t, (pixman_fixed_t)(((int64_t)area_w(&op->src_area) << 16) / bw),
                                (pixman_fixed_t)(((int64_t)area_h(&op->src_area) << 16) / bh));
    pixman_transform_translate(&t, NULL, pixman_int_to_fixed(op->src_area.left),
                               pixman_int_to_fixed(op->src_area.top));
    pixman_image_set_transform(j->src, &t);
    pixman_image_set_filter(j->src, nearest ? PIXMAN_FILTER_NEAREST : PIXMAN_FILTER_GOOD, NULL, 0);
    pixman_image_composite32(PIXMAN_OP_SRC, j->src, NULL, out, 0, 0, 0, 0, 0, 0, bw, bh);
    fraster_untransform(j->src);
    return out;
}

/* The source's src_area placed on the bbox (scaled when their sizes
 * differ) in a new layer in dst's format over the region's extents *ext;
 * *cover (initialised here) is where it has pixels: like the canvas's
 * blit, an unscaled source draws nothing past its own size. NULL on no
 * memory, with nothing to finish. */
static pixman_image_t *src_layer(struct rjob *j, int nearest, pixman_box32_t *ext,
                                 pixman_region32_t *cover)
{
    const struct floe_raster_op *op = j->op;
    pixman_image_t *layer, *scaled;

    *ext = *pixman_region32_extents(&j->region);
    layer = fraster_layer(j, ext);
    if (!layer)
        return NULL;
    if (same_size(op)) {
        int offx = op->bbox.left - op->src_area.left, offy = op->bbox.top - op->src_area.top;

        pixman_image_composite32(PIXMAN_OP_SRC, j->src, NULL, layer, ext->x1 - offx,
                                 ext->y1 - offy, 0, 0, 0, 0, ext->x2 - ext->x1, ext->y2 - ext->y1);
        pixman_region32_init_rect(cover, offx, offy, pixman_image_get_width(j->src),
                                  pixman_image_get_height(j->src));
        pixman_region32_intersect(cover, cover, &j->region);
        return layer;
    }
    scaled = scaled_new(j, nearest);
    if (!scaled) {
        pixman_image_unref(layer);
        return NULL;
    }
    pixman_image_composite32(PIXMAN_OP_SRC, scaled, NULL, layer, ext->x1 - op->bbox.left,
                             ext->y1 - op->bbox.top, 0, 0, 0, 0, ext->x2 - ext->x1,
                             ext->y2 - ext->y1);
    pixman_image_unref(scaled);
    pixman_region32_init(cover);
    pixman_region32_copy(cover, &j->region);
    return layer;
}

/* COPY, BLEND and OPAQUE's image, combined through rop. */
static int image_draw(struct rjob *j, unsigned rop)
{
    pixman_region32_t cover;
    pixman_box32_t ext;
    pixman_image_t *layer = src_layer(j, j->op->scale_mode == SCALE_NEAREST, &ext, &cover);

    if (!layer)
        return fraster_no_memory(j);
    fraster_combine(j, &cover, layer, ext.x1, ext.y1, 0, rop);
    pixman_region32_fini(&cover);
    pixman_image_unref(layer);
    return 0;
}

/* COPY_BITS: the source rectangle moves to the bbox, read whole before any
 * of it is written, so overlapping moves (scrolls) come out right. */
static int copy_bits_draw(struct rjob *j)
{
    const struct floe_raster_op *op = j->op;
    int dx = op->bbox.left - op->src_x, dy = op->bbox.top - op->src_y;
    pixman_region32_t inside;
    pixman_box32_t ext;
    pixman_image_t *copy;

    if (dx == 0 && dy == 0)
        return 0;
    /* only where the source lies within the surface */
    pixman_region32_init_rect(&inside, dx, dy, pixman_image_get_width(j->dst),
                              pixman_image_get_height(j->dst));
    pixman_region32_intersect(&j->region, &j->region, &inside);
    pixman_region32_fini(&inside);
    if (!pixman_region32_not_empty(&j->region))
        return 0;
    ext = *pixman_region32_extents(&j->region);
    copy = fraster_layer(j, &ext);
    if (!copy)
        return fraster_no_memory(j);
    for (int y = ext.y1; y < ext.y2; y++)
        memcpy(fraster_row(copy, y - ext.y1),
               fraster_row(j->dst, y - dy) + (size_t)(ext.x1 - dx) * j->bpp,
               (size_t)(ext.x2 - ext.x1) * j->bpp);
    fraster_combine(j, &j->region, copy, ext.x1, ext.y1, 0, ROP_COPY);
    pixman_image_unref(copy);
    return 0;
}

/* TRANSPARENT: the source's pixels but those of the key colour; scaled,
 * always nearest. */
static int transparent_draw(struct rjob *j)
{
    const struct floe_raster_op *op = j->op;
    uint32_t key = op->transparent_color & 0xffffff;
    uint32_t mask = j->bpp == 4 ? 0xffffff : j->bpp == 2 ? 0xffff : 0xff;
    pixman_region32_t cover;
    pixman_box32_t ext, *b;
    pixman_image_t *layer = src_layer(j, 1, &ext, &cover);
    int n;

    if (!layer)
        return fraster_no_memory(j);
    if (j->bpp == 2) /* the key in the surface's 16-bit format */
        key = pixman_image_get_format(j->dst) == PIXMAN_r5g6b5 ?
              ((key >> 8) & 0xf800) | ((key >> 5) & 0x07e0) | ((key >> 3) & 0x001f) :
              ((key >> 9) & 0x7c00) | ((key >> 6) & 0x03e0) | ((key >> 3) & 0x001f);
    else if (j->bpp == 1) /* an A8 surface: the canvas keys on 0 */
        key = 0;
    b = pixman_region32_rectangles(&cover, &n);
    for (int i = 0; i < n; i++) {
        for (int y = b[i].y1; y < b[i].y2; y++) {
            uint8_t *drow = fraster_row(j->dst, y);
            const uint8_t *lrow = fraster_row(layer, y - ext.y1);

            for (int x = b[i].x1; x < b[i].x2; x++) {
                uint32_t s = fraster_px(lrow, x - ext.x1, j->bpp);

                if ((s & mask) != key)
                    fraster_put(drow, x, j->bpp, s);
            }
        }
    }
    pixman_region32_union(&j->changed, &j->changed, &cover);
    pixman_region32_fini(&cover);
    pixman_image_unref(layer);
    return 0;
}

/* The same pixels as `img`, read as `format` (an ARGB view of xRGB words). */
static pixman_image_t *view_as(pixman_image_t *img, pixman_format_code_t format)
{
    return pixman_image_create_bits(format, pixman_image_get_width(img),
                                    pixman_image_get_height(img), pixman_image_get_data(img),
                                    pixman_image_get_stride(img));
}

/* ALPHA_BLEND: the source OVER the surface, times the overall alpha. A
 * source surface counts its alpha only when flagged; a bitmap by its
 * format. Scaling is always nearest. */
static int alpha_blend_draw(struct rjob *j)
{
    const struct floe_raster_op *op = j->op;
    pixman_image_t *src = j->src, *mask = NULL, *dst = j->dst;
    int bw = area_w(&op->bbox), bh = area_h(&op->bbox);
    pixman_transform_t t;

    if (op->alpha == 0)
        return 0;
    if (op->src_surface && (op->alpha_flags & ALPHA_SRC_HAS_ALPHA) &&
        pixman_image_get_format(src) == PIXMAN_x8r8g8b8) {
        src = view_as(src, PIXMAN_a8r8g8b8);
        if (!src)
            return fraster_no_memory(j);
    } else {
        pixman_image_ref(src);
    }
    if (op->alpha != 0xff) {
        pixman_color_t c = { 0, 0, 0, (uint16_t)(op->alpha * 0x101) };

        mask = pixman_image_create_solid_fill(&c);
        if (!mask) {
            pixman_image_unref(src);
            return fraster_no_memory(j);
        }
    }
    pixman_image_set_clip_region32(dst, &j->region);
    if (same_size(op)) {
        pixman_image_composite32(PIXMAN_OP_OVER, src, mask, dst, op->src_area.left,
                                 op->src_area.top, 0, 0, op->bbox.left, op->bbox.top, bw, bh);
    } else {
        pixman_transform_init_scale(&t, (pixman_fixed_t)(((int64_t)area_w(&op->src_area) << 16) / bw),
                                    (pixman_fixed_t)(((int64_t)area_h(&op->src_area) << 16) / bh));
        pixman_transform_translate(&t, NULL, pixman_int_to_fixed(op->src_area.left),
                                   pixman_int_to_fixed(op->src_area.top));
        pixman_image_set_transform(src, &t);
        pixman_image_set_filter(src, PIXMAN_FILTER_NEAREST, NULL, 0);
        pixman_image_composite32(PIXMAN_OP_OVER, src, mask, dst, 0, 0, 0, 0, op->bbox.left,
                                 op->bbox.top, bw, bh);
        fraster_untransform(src);
    }
    pixman_image_set_clip_region32(dst, NULL);
    pixman_region32_union(&j->changed, &j->changed, &j->region);
    if (mask)
        pixman_image_unref(mask);
    pixman_image_unref(src);
    return 0;
}

static void transform_set(pixman_image_t *img, const int32_t m[6])
{
    pixman_transform_t t = { { { m[0], m[1], m[2] }, { m[3], m[4], m[5] },
                               { 0, 0, pixman_fixed_1 } } };

    pixman_image_set_transform(img, &t);
}

static uint32_t bits_of(uint32_t v, int lo, int hi)
{
    return (v >> lo) & ((1u << (hi - lo)) - 1);
}

/* COMPOSITE: pixman's own operation with the flags' operator, filters,
 * repeats and transforms, over a copy of the bbox, then blitted. */
static int composite_draw(struct rjob *j)
{
    const struct floe_raster_op *op = j->op;
    uint32_t f = op->composite_flags;
    /* only the region's extents are worked, read from where the bbox would read them */
    pixman_box32_t box = *pixman_region32_extents(&j->region);
    int dx = box.x1 - op->bbox.left, dy = box.y1 - op->bbox.top;
    int bw = box.x2 - box.x1, bh = box.y2 - box.y1;
    pixman_image_t *d = fraster_layer(j, &box), *s = j->src, *m = NULL;
    int own_s = 0;

    if (!d)
        return fraster_no_memory(j);
    pixman_image_composite32(PIXMAN_OP_SRC, j->dst, NULL, d, box.x1, box.y1, 0, 0, 0, 0, bw, bh);
    if ((f & COMPOSITE_SOURCE_OPAQUE) && op->src_surface &&
        pixman_image_get_format(s) == PIXMAN_a8r8g8b8) {
        /* a source surface flagged opaque is read without its alpha */
        s = view_as(s, PIXMAN_x8r8g8b8);
        if (!s) {
            pixman_image_unref(d);
            return fraster_no_memory(j);
        }
        own_s = 1;
    }
    if (f & COMPOSITE_HAS_SRC_TRANSFORM)
        transform_set(s, op->src_transform);
    pixman_image_set_filter(s, (pixman_filter_t)bits_of(f, 8, 11), NULL, 0);
    pixman_image_set_repeat(s, (pixman_repeat_t)bits_of(f, 14, 16));
    if (f & COMPOSITE_HAS_MASK) {
        m = op->composite_mask;
        if (f & COMPOSITE_HAS_MASK_TRANSFORM)
            transform_set(m, op->mask_transform);
        pixman_image_set_repeat(m, (pixman_repeat_t)bits_of(f, 16, 18));
        pixman_image_set_filter(m, (pixman_filter_t)bits_of(f, 11, 14), NULL, 0);
        pixman_image_set_component_alpha(m, bits_of(f, 18, 19));
    }
    pixman_image_composite32((pixman_op_t)bits_of(f, 0, 8), s, m, d, op->src_origin_x + dx,
                             op->src_origin_y + dy, op->mask_origin_x + dx,
                             op->mask_origin_y + dy, 0, 0, bw, bh);
    fraster_untransform(s);
    if (m) {
        fraster_untransform(m);
        pixman_image_set_component_alpha(m, 0);
    }
    if (own_s)
        pixman_image_unref(s);
    fraster_combine(j, &j->region, d, box.x1, box.y1, 0, ROP_COPY);
    pixman_image_unref(d);
    return 0;
}

static int draw(struct rjob *j)
{
    const struct floe_raster_op *op = j->op;
    unsigned rop;
    int rc;

    switch (op->kind) {
    case FLOE_RASTER_FILL:
        rop = fraster_rop_of(op->rop_descriptor, RD_INVERS_BRUSH, RD_INVERS_DEST);
        return rop == ROP_NOOP ? 0 : fraster_brush(j, &j->region, &op->brush, rop);
    case FLOE_RASTER_COPY:
    case FLOE_RASTER_BLEND:
        rop = fraster_rop_of(op->rop_descriptor, RD_INVERS_SRC, RD_INVERS_DEST);
        return rop == ROP_NOOP ? 0 : image_draw(j, rop);
    case FLOE_RASTER_OPAQUE:
        /* the image, then the brush combined with it */
        rop = fraster_rop_of(op->rop_descriptor, RD_INVERS_BRUSH, RD_INVERS_SRC);
        if (rop == ROP_NOOP)
            return 0;
        rc = image_draw(j, ROP_COPY);
        return rc ? rc : fraster_brush(j, &j->region, &op->brush, rop);
    case FLOE_RASTER_COPY_BITS:
        return copy_bits_draw(j);
    case FLOE_RASTER_BLACKNESS:
        fraster_combine(j, &j->region, NULL, 0, 0, 0, ROP_COPY);
        return 0;
    case FLOE_RASTER_WHITENESS:
        fraster_combine(j, &j->region, NULL, 0, 0, 0xffffffffu, ROP_COPY);
        return 0;
    case FLOE_RASTER_INVERS:
        fraster_combine(j, &j->region, NULL, 0, 0, 0, ROP_INVERT);
        return 0;
    case FLOE_RASTER_TRANSPARENT:
        return transparent_draw(j);
    case FLOE_RASTER_ALPHA_BLEND:
        return alpha_blend_draw(j);
    case FLOE_RASTER_ROP3:
        return fraster_rop3(j);
    case FLOE_RASTER_TEXT:
        return fraster_text(j);
    case FLOE_RASTER_COMPOSITE:
        return composite_draw(j);
    case FLOE_RASTER_STROKE:
        return fraster_stroke(j);
    default:
        return 0;
    }
}

static int uses_src(enum floe_raster_kind k)
{
    return k == FLOE_RASTER_OPAQUE || k == FLOE_RASTER_COPY || k == FLOE_RASTER_BLEND ||
           k == FLOE_RASTER_TRANSPARENT || k == FLOE_RASTER_ALPHA_BLEND ||
           k == FLOE_RASTER_ROP3 || k == FLOE_RASTER_COMPOSITE;
}

static int uses_mask(enum floe_raster_kind k)
{
    return k == FLOE_RASTER_FILL || k == FLOE_RASTER_OPAQUE || k == FLOE_RASTER_COPY ||
           k == FLOE_RASTER_BLEND || k == FLOE_RASTER_BLACKNESS || k == FLOE_RASTER_WHITENESS ||
           k == FLOE_RASTER_INVERS || k == FLOE_RASTER_ROP3;
}

static int coord_ok(int32_t v)
{
    return v >= -FLOE_RASTER_MAX_COORD && v <= FLOE_RASTER_MAX_COORD;
}

static int coords_ok(const struct floe_raster_rect *r)
{
    return coord_ok(r->left) && coord_ok(r->top) && coord_ok(r->right) && coord_ok(r->bottom);
}

/* Operators pixman defines (not the gaps between its groups); filters
 * that need no parameters. */
static int composite_flags_ok(uint32_t f)
{
    uint32_t o = bits_of(f, 0, 8);

    return (o <= PIXMAN_OP_SATURATE || (o >= PIXMAN_OP_DISJOINT_CLEAR &&
                                        o <= PIXMAN_OP_DISJOINT_XOR) ||
            (o >= PIXMAN_OP_CONJOINT_CLEAR && o <= PIXMAN_OP_CONJOINT_XOR) ||
            (o >= PIXMAN_OP_MULTIPLY && o <= PIXMAN_OP_HSL_LUMINOSITY)) &&
           bits_of(f, 8, 11) <= PIXMAN_FILTER_BILINEAR && bits_of(f, 11, 14) <= PIXMAN_FILTER_BILINEAR;
}

static int fail(struct rjob *j, int rc, const char *why)
{
    *j->why = why;
    return rc;
}

/* What the operation needs, checked before anything is drawn. */
static int check(struct rjob *j)
{
    const struct floe_raster_op *op = j->op;
    int bits = PIXMAN_FORMAT_BPP(pixman_image_get_format(j->dst));

    if (bits != 8 && bits != 16 && bits != 32)
        return fail(j, -ENOTSUP, "a surface of other than 8, 16 or 32 bits per pixel");
    if (op->kind < FLOE_RASTER_NOP || op->kind > FLOE_RASTER_STROKE)
        return fail(j, -EINVAL, "an unknown draw operation");
    if (op->bbox.right < op->bbox.left || op->bbox.bottom < op->bbox.top)
        return fail(j, -EINVAL, "a bbox whose right or bottom comes before its left or top");
    if (!coords_ok(&op->bbox) || area_w(&op->bbox) > FLOE_RASTER_MAX_SIDE ||
        area_h(&op->bbox) > FLOE_RASTER_MAX_SIDE || !coords_ok(&op->src_area) ||
        !coords_ok(&op->back_area) || op->src_x < -FLOE_RASTER_MAX_COORD ||
        op->src_x > FLOE_RASTER_MAX_COORD || op->src_y < -FLOE_RASTER_MAX_COORD ||
        op->src_y > FLOE_RASTER_MAX_COORD)
        return fail(j, -EINVAL, "coordinates out of range");
    if (uses_src(op->kind)) {
        if (!op->src)
            return fail(j, -EINVAL, "a draw without its source image");
        if (op->src_area.right < op->src_area.left || op->src_area.bottom < op->src_area.top)
            return fail(j, -EINVAL, "a source area whose right or bottom comes first");
        if (op->kind != FLOE_RASTER_COMPOSITE && area_w(&op->bbox) && area_h(&op->bbox) &&
            (!area_w(&op->src_area) || !area_h(&op->src_area)))
            return fail(j, -EINVAL, "an empty source area for a non-empty bbox");
    }
    if ((op->kind == FLOE_RASTER_FILL || op->kind == FLOE_RASTER_OPAQUE ||
         op->kind == FLOE_RASTER_ROP3 || op->kind == FLOE_RASTER_TEXT ||
         op->kind == FLOE_RASTER_STROKE) &&
        op->brush.kind == FLOE_RASTER_BRUSH_PATTERN &&
        (!op->brush.pattern || !pixman_image_get_width(op->brush.pattern) ||
         !pixman_image_get_height(op->brush.pattern)))
        return fail(j, -EINVAL, "a pattern brush without a pattern");
    if (op->kind == FLOE_RASTER_TEXT && op->back_brush.kind == FLOE_RASTER_BRUSH_PATTERN &&
        (!op->back_brush.pattern || !pixman_image_get_width(op->back_brush.pattern)))
        return fail(j, -EINVAL, "a pattern back brush without a pattern");
    if (uses_mask(op->kind) && op->mask.bits &&
        pixman_image_get_format(op->mask.bits) != PIXMAN_a1)
        return fail(j, -EINVAL, "a mask of other than 1 bit per pixel");
    if (op->kind == FLOE_RASTER_COMPOSITE && (op->composite_flags & COMPOSITE_HAS_MASK) &&
        !op->composite_mask)
        return fail(j, -EINVAL, "a composite flagged with a mask but without one");
    if (op->kind == FLOE_RASTER_COMPOSITE && !composite_flags_ok(op->composite_flags))
        return fail(j, -ENOTSUP, "a composite operator or filter pixman does not take");
    if (op->kind == FLOE_RASTER_TEXT && op->glyph_bpp != 1 && op->glyph_bpp != 4 &&
        op->glyph_bpp != 8)
        return fail(j, -ENOTSUP, "glyphs of other than 1, 4 or 8 bits per pixel");
    for (uint32_t i = 0; op->kind == FLOE_RASTER_STROKE && i < op->n_segs; i++) {
        if (op->segs[i].count && !op->segs[i].points)
            return fail(j, -EINVAL, "a path segment without its points");
    }
    for (uint32_t i = 0; op->kind == FLOE_RASTER_TEXT && i < op->n_glyphs; i++) {
        const struct floe_raster_glyph *g = &op->glyphs[i];

        if (!coord_ok(g->x) || !coord_ok(g->y) || g->w < 0 || g->h < 0 ||
            g->w > FLOE_RASTER_MAX_SIDE || g->h > FLOE_RASTER_MAX_SIDE || (!g->rows && g->w && g->h))
            return fail(j, -EINVAL, "a glyph out of range");
    }
    return 0;
}

/* The mask's set pixels (clear ones with invert), within the mask, placed
 * on the surface. */
static void mask_apply(struct rjob *j)
{
    const struct floe_raster_mask *m = &j->op->mask;
    pixman_region32_t set;
    pixman_box32_t all = { 0, 0, pixman_image_get_width(m->bits),
                           pixman_image_get_height(m->bits) };

    pixman_region32_init_from_image(&set, m->bits);
    if (m->invert)
        pixman_region32_inverse(&set, &set, &all);
    pixman_region32_translate(&set, j->op->bbox.left - m->x0, j->op->bbox.top - m->y0);
    pixman_region32_intersect(&j->region, &j->region, &set);
    pixman_region32_fini(&set);
}

/* The bbox within the clip, the mask and dst. */
static void region_make(struct rjob *j)
{
    const struct floe_raster_op *op = j->op;

    pixman_region32_init_rect(&j->region, op->bbox.left, op->bbox.top,
                              (unsigned)area_w(&op->bbox), (unsigned)area_h(&op->bbox));
    if (op->clip)
        pixman_region32_intersect(&j->region, &j->region, (pixman_region32_t *)op->clip);
    if (uses_mask(op->kind) && op->mask.bits)
        mask_apply(j);
    pixman_region32_intersect_rect(&j->region, &j->region, 0, 0,
                                   (unsigned)pixman_image_get_width(j->dst),
                                   (unsigned)pixman_image_get_height(j->dst));
}

/* A source that is dst itself is read from a copy, as the draw writes. */
static int src_take(struct rjob *j)
{
    pixman_image_t *s = j->op->src;
    int w, h;

    if (!s || pixman_image_get_data(s) != pixman_image_get_data(j->dst)) {
        j->src = s;
        if (s)
            pixman_image_ref(s);
        return 0;
    }
    w = pixman_image_get_width(s);
    h = pixman_image_get_height(s);
    j->src = pixman_image_create_bits(pixman_image_get_format(s), w, h, NULL, 0);
    if (!j->src)
        return fraster_no_memory(j);
    pixman_image_composite32(PIXMAN_OP_SRC, s, NULL, j->src, 0, 0, 0, 0, 0, 0, w, h);
    return 0;
}

int floe_raster_draw(pixman_image_t *dst, const struct floe_raster_op *op,
                     pixman_region32_t *damage, const char **why)
{
    struct rjob j = { .dst = dst, .op = op, .why = why };
    int rc = check(&j);

    if (rc || op->kind == FLOE_RASTER_NOP)
        return rc;
    j.bpp = PIXMAN_FORMAT_BPP(pixman_image_get_format(dst)) / 8;
    pixman_region32_init(&j.changed);
    region_make(&j);
    if (pixman_region32_not_empty(&j.region)) {
        rc = src_take(&j);
        if (!rc)
            rc = draw(&j);
    }
    if (!rc)
        pixman_region32_union(damage, damage, &j.changed);
    if (j.src)
        pixman_image_unref(j.src);
    pixman_region32_fini(&j.region);
    pixman_region32_fini(&j.changed);
    return rc;
}
