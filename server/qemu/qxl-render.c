/* A parsed QXL drawable handed to floe's renderer (codecs/raster.h): its
 * images and the other surfaces it reads become pixman images over their
 * words, its clip a region, its 1-bit mask an A1 image. */
#include "server/qemu/qxl-render.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/raster.h"
#include "server/qemu/qxl-image.h"

/* What one draw holds while the renderer runs; all released by draw_end. */
struct held {
    pixman_image_t *img[5];
    int n;
    pixman_region32_t clip;
    struct floe_raster_glyph *glyphs;
    struct floe_raster_seg *segs;
};

static pixman_image_t *hold(struct held *h, pixman_image_t *img)
{
    if (img)
        h->img[h->n++] = img;
    return img;
}

/* An image source as a pixman image: a new one over the bitmap's words, or
 * over another surface's pixels. NULL with *why set when it cannot be. */
static int image_of(struct held *h, const struct fqxl_image *im, fqxl_surface_fn *surface,
                    void *opaque, pixman_image_t **out, int *is_surface, const char **why)
{
    pixman_image_t *sf;

    if (im->kind == FQXL_IMAGE_PIXELS) {
        *out = hold(h, pixman_image_create_bits(im->alpha ? PIXMAN_a8r8g8b8 : PIXMAN_x8r8g8b8,
                                                im->w, im->h, im->pixels, im->w * 4));
    } else {
        sf = surface ? surface(opaque, im->surface_id) : NULL;
        if (!sf) {
            *why = fqxl_whyf("source surface %u not there", im->surface_id);
            return -EINVAL;
        }
        /* an image of its own, so that the renderer's settings stay off the caller's */
        *out = hold(h, pixman_image_create_bits(pixman_image_get_format(sf),
                                                pixman_image_get_width(sf),
                                                pixman_image_get_height(sf),
                                                pixman_image_get_data(sf),
                                                pixman_image_get_stride(sf)));
        if (is_surface)
            *is_surface = 1;
    }
    if (!*out) {
        *why = "out of memory";
        return -ENOMEM;
    }
    return 0;
}

/* The mask's per-pixel words (1 where the bit is set) as an A1 image. */
static int mask_of(struct held *h, const struct fqxl_image *m, pixman_image_t **out,
                   const char **why)
{
    uint32_t *row;
    int stride;

    if (m->kind != FQXL_IMAGE_PIXELS) {
        *why = "a mask read from a surface not rendered";
        return -ENOTSUP;
    }
    *out = hold(h, pixman_image_create_bits(PIXMAN_a1, m->w, m->h, NULL, 0));
    if (!*out) {
        *why = "out of memory";
        return -ENOMEM;
    }
    stride = pixman_image_get_stride(*out) / 4;
    row = pixman_image_get_data(*out);
    for (int y = 0; y < m->h; y++, row += stride) {
        for (int x = 0; x < m->w; x++) {
            if (m->pixels[(size_t)y * m->w + x])
                row[x / 32] |= 1u << (x % 32);
        }
    }
    return 0;
}

static int brush_of(struct held *h, const struct fqxl_brush *b, fqxl_surface_fn *surface,
                    void *opaque, struct floe_raster_brush *out, const char **why)
{
    out->kind = b->kind == FQXL_BRUSH_SOLID ? FLOE_RASTER_BRUSH_SOLID :
                b->kind == FQXL_BRUSH_PATTERN ? FLOE_RASTER_BRUSH_PATTERN :
                FLOE_RASTER_BRUSH_NONE;
    out->color = b->color;
    out->x0 = b->pos_x;
    out->y0 = b->pos_y;
    return b->kind == FQXL_BRUSH_PATTERN ?
           image_of(h, &b->pattern, surface, opaque, &out->pattern, NULL, why) : 0;
}

static struct floe_raster_rect rect_of(const struct fqxl_rect *r)
{
    return (struct floe_raster_rect){ r->left, r->top, r->right, r->bottom };
}

static enum floe_raster_kind kind_of(uint32_t type)
{
    switch (type) {
    case QXL_DRAW_FILL: return FLOE_RASTER_FILL;
    case QXL_DRAW_OPAQUE: return FLOE_RASTER_OPAQUE;
    case QXL_DRAW_COPY: return FLOE_RASTER_COPY;
    case QXL_DRAW_BLEND: return FLOE_RASTER_BLEND;
    case QXL_DRAW_BLACKNESS: return FLOE_RASTER_BLACKNESS;
    case QXL_DRAW_WHITENESS: return FLOE_RASTER_WHITENESS;
    case QXL_DRAW_INVERS: return FLOE_RASTER_INVERS;
    case QXL_DRAW_TRANSPARENT: return FLOE_RASTER_TRANSPARENT;
    case QXL_DRAW_ALPHA_BLEND: return FLOE_RASTER_ALPHA_BLEND;
    case QXL_DRAW_ROP3: return FLOE_RASTER_ROP3;
    case QXL_DRAW_TEXT: return FLOE_RASTER_TEXT;
    case QXL_DRAW_COMPOSITE: return FLOE_RASTER_COMPOSITE;
    case QXL_COPY_BITS: return FLOE_RASTER_COPY_BITS;
    case QXL_DRAW_STROKE: return FLOE_RASTER_STROKE;
    default: return FLOE_RASTER_NOP;
    }
}

static int uses_image(uint32_t type)
{
    return type == QXL_DRAW_COPY || type == QXL_DRAW_BLEND || type == QXL_DRAW_OPAQUE ||
           type == QXL_DRAW_TRANSPARENT || type == QXL_DRAW_ALPHA_BLEND ||
           type == QXL_DRAW_ROP3 || type == QXL_DRAW_COMPOSITE;
}

static int uses_brush(uint32_t type)
{
    return type == QXL_DRAW_FILL || type == QXL_DRAW_OPAQUE || type == QXL_DRAW_ROP3 ||
           type == QXL_DRAW_TEXT || type == QXL_DRAW_STROKE;
}

/* A STROKE's path as segments pointing into its data (checked by the
 * parser: every segment holds its points). */
static int path_of(struct held *h, const struct fqxl_draw *d, struct floe_raster_op *op,
                   const char **why)
{
    size_t at = 0, n = 0;

    h->segs = calloc(d->path_len / sizeof(QXLPathSeg) + 1, sizeof(*h->segs));
    if (!h->segs) {
        *why = "out of memory";
        return -ENOMEM;
    }
    while (d->path_len - at >= sizeof(QXLPathSeg)) {
        QXLPathSeg seg;

        memcpy(&seg, d->path_data + at, sizeof(seg));
        at += sizeof(seg);
        h->segs[n++] = (struct floe_raster_seg){
            seg.flags, seg.count, (const struct floe_raster_pointfix *)(d->path_data + at) };
        at += (size_t)seg.count * sizeof(QXLPointFix);
    }
    op->segs = h->segs;
    op->n_segs = (uint32_t)n;
    op->line_flags = d->line_flags;
    op->style_nseg = d->style_nseg;
    op->styles = d->styles;
    op->fore_mode = d->fore_mode;
    return 0;
}

/* The raster operation for d, its images and clip held in h. */
static int op_make(struct held *h, const struct fqxl_draw *d, fqxl_surface_fn *surface,
                   void *opaque, struct floe_raster_op *op, const char **why)
{
    int rc = 0;

    op->kind = kind_of(d->type);
    op->bbox = rect_of(&d->bbox);
    op->rop_descriptor = d->rop_descriptor;
    op->scale_mode = d->scale_mode;
    op->src_area = rect_of(&d->src_area);
    op->transparent_color = d->transparent_color;
    op->alpha = d->alpha;
    op->alpha_flags = d->alpha_flags;
    op->rop3 = d->rop3;
    op->src_x = d->src_x;
    op->src_y = d->src_y;
    if (d->clip_rects) {
        pixman_box32_t *boxes = calloc(d->clip_n ? d->clip_n : 1, sizeof(*boxes));

        if (!boxes) {
            *why = "out of memory";
            return -ENOMEM;
        }
        for (uint32_t i = 0; i < d->clip_n; i++)
            boxes[i] = (pixman_box32_t){ d->clip[i].left, d->clip[i].top, d->clip[i].right,
                                         d->clip[i].bottom };
        pixman_region32_fini(&h->clip);
        pixman_region32_init_rects(&h->clip, boxes, (int)d->clip_n);
        free(boxes);
        op->clip = &h->clip;
    }
    if (uses_image(d->type))
        rc = image_of(h, &d->src, surface, opaque, &op->src, &op->src_surface, why);
    if (!rc && uses_brush(d->type))
        rc = brush_of(h, &d->brush, surface, opaque, &op->brush, why);
    if (!rc && d->has_mask) {
        op->mask.invert = d->mask_flags & SPICE_MASK_FLAGS_INVERS;
        op->mask.x0 = d->mask_x;
        op->mask.y0 = d->mask_y;
        rc = mask_of(h, &d->mask, &op->mask.bits, why);
    }
    if (!rc && d->type == QXL_DRAW_TEXT) {
        h->glyphs = calloc(d->n_glyphs ? d->n_glyphs : 1, sizeof(*h->glyphs));
        if (!h->glyphs) {
            *why = "out of memory";
            return -ENOMEM;
        }
        for (uint32_t i = 0; i < d->n_glyphs; i++)
            h->glyphs[i] = (struct floe_raster_glyph){ d->glyphs[i].x, d->glyphs[i].y,
                                                       d->glyphs[i].w, d->glyphs[i].h,
                                                       d->glyphs[i].rows };
        op->glyphs = h->glyphs;
        op->n_glyphs = d->n_glyphs;
        op->glyph_bpp = d->glyph_bits;
        op->back_area = rect_of(&d->back_area);
        op->fore_mode = d->fore_mode;
        rc = brush_of(h, &d->back_brush, surface, opaque, &op->back_brush, why);
    }
    if (!rc && d->type == QXL_DRAW_STROKE)
        rc = path_of(h, d, op, why);
    if (!rc && d->type == QXL_DRAW_COMPOSITE) {
        op->composite_flags = d->composite_flags;
        memcpy(op->src_transform, d->src_transform, sizeof(op->src_transform));
        memcpy(op->mask_transform, d->mask_transform, sizeof(op->mask_transform));
        op->src_origin_x = d->src_origin_x;
        op->src_origin_y = d->src_origin_y;
        op->mask_origin_x = d->mask_origin_x;
        op->mask_origin_y = d->mask_origin_y;
        if (d->composite_flags & SPICE_COMPOSITE_HAS_MASK)
            rc = image_of(h, &d->composite_mask, surface, opaque, &op->composite_mask, NULL, why);
    }
    return rc;
}

static int render(pixman_image_t *dst, const struct fqxl_draw *d, fqxl_surface_fn *surface,
                  void *opaque, pixman_region32_t *damage, const char **why, fqxl_drawn_fn *before,
                  fqxl_drawn_fn *after, void *drawn_opaque)
{
    struct held h = { .n = 0 };
    struct floe_raster_op op = { 0 };
    int rc;

    if (d->type == QXL_DRAW_NOP)
        return 0;
    pixman_region32_init(&h.clip);
    rc = op_make(&h, d, surface, opaque, &op, why);
    /* the other side first: the op's sources may be dst itself, unchanged yet */
    if (!rc && before)
        before(drawn_opaque, &op);
    if (!rc)
        rc = floe_raster_draw(dst, &op, damage, why);
    if (!rc && after)
        after(drawn_opaque, &op);
    for (int i = 0; i < h.n; i++)
        pixman_image_unref(h.img[i]);
    pixman_region32_fini(&h.clip);
    free(h.glyphs);
    free(h.segs);
    return rc;
}

int fqxl_render(pixman_image_t *dst, const struct fqxl_draw *d, fqxl_surface_fn *surface,
                void *opaque, pixman_region32_t *damage, const char **why)
{
    return render(dst, d, surface, opaque, damage, why, NULL, NULL, NULL);
}

int fqxl_render_then(pixman_image_t *dst, const struct fqxl_draw *d, fqxl_surface_fn *surface,
                     void *opaque, pixman_region32_t *damage, const char **why,
                     fqxl_drawn_fn *drawn, void *drawn_opaque)
{
    return render(dst, d, surface, opaque, damage, why, drawn, NULL, drawn_opaque);
}

int fqxl_render_after(pixman_image_t *dst, const struct fqxl_draw *d, fqxl_surface_fn *surface,
                      void *opaque, pixman_region32_t *damage, const char **why,
                      fqxl_drawn_fn *drawn, void *drawn_opaque)
{
    return render(dst, d, surface, opaque, damage, why, NULL, drawn, drawn_opaque);
}
