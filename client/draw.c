/* The draw messages of a DISPLAY channel, each decoded and handed to floe's
 * renderer (codecs/raster.h) as one operation on its surface: DRAW_FILL,
 * OPAQUE, COPY, BLEND, BLACKNESS, WHITENESS, INVERS, ROP3, TEXT,
 * TRANSPARENT, ALPHA_BLEND, COMPOSITE, STROKE and COPY_BITS, with their
 * clips, masks, brushes and surface sources, drawn as SPICE's software
 * canvas draws them; a dashed STROKE is not drawn (logged once). */
#include "client/display.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/raster.h"
#include "common/log.h"


/* What one draw holds while it is drawn; released by held_fini. */
struct held {
    pixman_image_t *img[6];
    int n;
    pixman_region32_t clip;
    struct floe_raster_glyph *glyphs;
    struct floe_raster_seg *segs;
    struct floe_raster_pointfix *points;
};

static void held_fini(struct held *h)
{
    for (int i = 0; i < h->n; i++)
        pixman_image_unref(h->img[i]);
    pixman_region32_fini(&h->clip);
    free(h->glyphs);
    free(h->segs);
    free(h->points);
}

static void keep(struct held *h, pixman_image_t *img)
{
    if (img)
        h->img[h->n++] = img;
}

static struct floe_raster_rect rect_of(const struct spice_rect *r)
{
    return (struct floe_raster_rect){ r->left, r->top, r->right, r->bottom };
}

/* The surface drawn on, the bbox and the clip. 0 or -EBADMSG. */
static int base_set(struct fcli_display *d, const struct spice_display_base *b, struct held *h,
                    struct floe_raster_op *op, struct fcli_surface **s)
{
    *s = fcli_display_surface(d, b->surface_id);
    if (!*s)
        return -EBADMSG;
    op->bbox = rect_of(&b->box);
    if (b->clip.type == SPICE_CLIP_RECTS) {
        pixman_box32_t *boxes = calloc(b->clip.num_rects ? b->clip.num_rects : 1, sizeof(*boxes));
        uint32_t n = 0;

        if (!boxes)
            return -ENOMEM;
        for (uint32_t i = 0; i < b->clip.num_rects; i++) {
            struct spice_rect r;

            spice_clip_rect(&b->clip, i, &r);
            /* an empty or inverted clip rectangle adds nothing */
            if (r.right > r.left && r.bottom > r.top)
                boxes[n++] = (pixman_box32_t){ r.left, r.top, r.right, r.bottom };
        }
        pixman_region32_fini(&h->clip);
        pixman_region32_init_rects(&h->clip, boxes, (int)n);
        free(boxes);
        op->clip = &h->clip;
    }
    return 0;
}

/* An image the draw reads (bitmap, compressed, cached or a surface). 0, 1
 * when the draw is to be skipped (logged), or -errno. */
static int image_set(struct fcli_display *d, const uint8_t *body, size_t len, uint32_t offset,
                     const struct spice_image *img, struct held *h, pixman_image_t **out,
                     int *is_surface)
{
    int rc = fcli_draw_image(d, body, len, offset, img, out);

    if (rc == 0) {
        keep(h, *out);
        if (is_surface)
            *is_surface = img->desc.type == SPICE_IMAGE_SURFACE;
    }
    return rc;
}

static int src_set(struct fcli_display *d, const uint8_t *body, size_t len, uint32_t offset,
                   const struct spice_image *img, const struct spice_rect *area, struct held *h,
                   struct floe_raster_op *op)
{
    int rc = image_set(d, body, len, offset, img, h, &op->src, &op->src_surface);

    op->src_area = rect_of(area);
    return rc;
}

static int brush_set(struct fcli_display *d, const uint8_t *body, size_t len,
                     const struct spice_brush *b, struct held *h, struct floe_raster_brush *out)
{
    out->kind = b->type == SPICE_BRUSH_SOLID ? FLOE_RASTER_BRUSH_SOLID :
                b->type == SPICE_BRUSH_PATTERN ? FLOE_RASTER_BRUSH_PATTERN :
                FLOE_RASTER_BRUSH_NONE;
    out->color = b->color;
    out->x0 = b->pos.x;
    out->y0 = b->pos.y;
    if (b->type != SPICE_BRUSH_PATTERN)
        return 0;
    return image_set(d, body, len, b->pat, &b->image, h, &out->pattern, NULL);
}

static int mask_set(struct fcli_display *d, const struct spice_mask *m, struct held *h,
                    struct floe_raster_op *op)
{
    int rc = fcli_draw_mask(d, m, &op->mask.bits);

    keep(h, op->mask.bits);
    op->mask.invert = m->flags & SPICE_MASK_FLAGS_INVERS;
    op->mask.x0 = m->pos.x;
    op->mask.y0 = m->pos.y;
    return rc;
}

/* The glyphs of a string, placed (render_pos + glyph_origin). */
static int glyphs_set(const struct spice_draw_text *m, struct held *h, struct floe_raster_op *op)
{
    struct spice_glyph g;
    size_t at = 0;
    uint32_t n = 0;

    h->glyphs = calloc(m->str.length ? m->str.length : 1, sizeof(*h->glyphs));
    if (!h->glyphs)
        return -ENOMEM;
    while (n < m->str.length && spice_glyph_next(&m->str, &at, &g) == 0) {
        int64_t x = (int64_t)g.render_pos.x + g.glyph_origin.x;
        int64_t y = (int64_t)g.render_pos.y + g.glyph_origin.y;

        if (x < -FLOE_RASTER_MAX_COORD || x > FLOE_RASTER_MAX_COORD ||
            y < -FLOE_RASTER_MAX_COORD || y > FLOE_RASTER_MAX_COORD) {
            floe_err("display: DRAW_TEXT glyph at (%lld,%lld), out of range", (long long)x,
                     (long long)y);
            return -EBADMSG;
        }
        h->glyphs[n++] = (struct floe_raster_glyph){ (int32_t)x, (int32_t)y, g.width, g.height,
                                                     g.data };
    }
    if (n != m->str.length)
        return -EBADMSG;
    op->glyphs = h->glyphs;
    op->n_glyphs = n;
    op->glyph_bpp = (int)spice_glyph_bpp(m->str.flags);
    return 0;
}

/* A path's segments and their 28.4 points, in the renderer's form. */
static int path_set(const struct spice_draw_stroke *m, struct held *h, struct floe_raster_op *op)
{
    struct spice_path_seg seg;
    size_t at = 0, npts = 0, k = 0;
    uint32_t n = 0;

    /* every point takes 8 bytes of the path: the path's length bounds them */
    h->segs = calloc(m->path.num_segments ? m->path.num_segments : 1, sizeof(*h->segs));
    h->points = calloc(m->path.len / 8 + 1, sizeof(*h->points));
    if (!h->segs || !h->points)
        return -ENOMEM;
    while (n < m->path.num_segments && spice_path_seg_next(&m->path, &at, &seg) == 0) {
        if (seg.count > m->path.len / 8 + 1 - npts)
            return -EBADMSG;
        h->segs[n] = (struct floe_raster_seg){ seg.flags, seg.count, h->points + npts };
        for (uint32_t i = 0; i < seg.count; i++, k++) {
            struct spice_point p;

            spice_path_point(&seg, i, &p);
            h->points[k] = (struct floe_raster_pointfix){ p.x, p.y };
        }
        npts += seg.count;
        n++;
    }
    if (n != m->path.num_segments)
        return -EBADMSG;
    op->segs = h->segs;
    op->n_segs = n;
    op->line_flags = m->attr.flags;
    if (m->attr.flags & SPICE_LINE_FLAGS_STYLED) {
        op->style_nseg = m->attr.style_nseg;
        op->styles = m->attr.styles;
    }
    op->fore_mode = m->fore_mode;
    return 0;
}

static void transform_of(const struct spice_transform *t, int32_t out[6])
{
    out[0] = (int32_t)t->t00;
    out[1] = (int32_t)t->t01;
    out[2] = (int32_t)t->t02;
    out[3] = (int32_t)t->t10;
    out[4] = (int32_t)t->t11;
    out[5] = (int32_t)t->t12;
}

/* Decodes the message into op, its images and clip kept in h. */
static int op_make(struct fcli_display *d, uint16_t type, const uint8_t *body, size_t len,
                   struct held *h, struct floe_raster_op *op, struct fcli_surface **s)
{
    union {
        struct spice_draw_fill fill;
        struct spice_draw_opaque opaque;
        struct spice_draw_copy copy;
        struct spice_draw_mask_only mask;
        struct spice_draw_rop3 rop3;
        struct spice_draw_text text;
        struct spice_draw_transparent tr;
        struct spice_draw_alpha_blend ab;
        struct spice_draw_composite comp;
        struct spice_copy_bits bits;
        struct spice_draw_stroke stroke;
    } m;
    int rc;

    switch (type) {
    case SPICE_MSG_DISPLAY_DRAW_FILL:
        if (spice_draw_fill_parse(body, len, &m.fill) ||
            (rc = base_set(d, &m.fill.base, h, op, s)))
            return -EBADMSG;
        op->kind = FLOE_RASTER_FILL;
        op->rop_descriptor = m.fill.rop;
        rc = brush_set(d, body, len, &m.fill.brush, h, &op->brush);
        return rc ? rc : mask_set(d, &m.fill.mask, h, op);
    case SPICE_MSG_DISPLAY_DRAW_OPAQUE:
        if (spice_draw_opaque_parse(body, len, &m.opaque) ||
            (rc = base_set(d, &m.opaque.base, h, op, s)))
            return -EBADMSG;
        op->kind = FLOE_RASTER_OPAQUE;
        op->rop_descriptor = m.opaque.rop;
        op->scale_mode = m.opaque.scale_mode;
        rc = src_set(d, body, len, m.opaque.src_bitmap, &m.opaque.image, &m.opaque.src_area, h, op);
        if (!rc)
            rc = brush_set(d, body, len, &m.opaque.brush, h, &op->brush);
        return rc ? rc : mask_set(d, &m.opaque.mask, h, op);
    case SPICE_MSG_DISPLAY_DRAW_COPY:
    case SPICE_MSG_DISPLAY_DRAW_BLEND:
        if (spice_draw_copy_parse(body, len, &m.copy) || (rc = base_set(d, &m.copy.base, h, op, s)))
            return -EBADMSG;
        op->kind = type == SPICE_MSG_DISPLAY_DRAW_COPY ? FLOE_RASTER_COPY : FLOE_RASTER_BLEND;
        op->rop_descriptor = m.copy.rop;
        op->scale_mode = m.copy.scale_mode;
        rc = src_set(d, body, len, m.copy.src_bitmap, &m.copy.image, &m.copy.src_area, h, op);
        return rc ? rc : mask_set(d, &m.copy.mask, h, op);
    case SPICE_MSG_DISPLAY_DRAW_BLACKNESS:
    case SPICE_MSG_DISPLAY_DRAW_WHITENESS:
    case SPICE_MSG_DISPLAY_DRAW_INVERS:
        if (spice_draw_mask_only_parse(body, len, &m.mask) ||
            (rc = base_set(d, &m.mask.base, h, op, s)))
            return -EBADMSG;
        op->kind = type == SPICE_MSG_DISPLAY_DRAW_BLACKNESS ? FLOE_RASTER_BLACKNESS :
                   type == SPICE_MSG_DISPLAY_DRAW_WHITENESS ? FLOE_RASTER_WHITENESS :
                   FLOE_RASTER_INVERS;
        return mask_set(d, &m.mask.mask, h, op);
    case SPICE_MSG_DISPLAY_DRAW_ROP3:
        if (spice_draw_rop3_parse(body, len, &m.rop3) || (rc = base_set(d, &m.rop3.base, h, op, s)))
            return -EBADMSG;
        op->kind = FLOE_RASTER_ROP3;
        op->rop3 = m.rop3.rop3;
        op->scale_mode = m.rop3.scale_mode;
        rc = src_set(d, body, len, m.rop3.src_bitmap, &m.rop3.image, &m.rop3.src_area, h, op);
        if (!rc)
            rc = brush_set(d, body, len, &m.rop3.brush, h, &op->brush);
        return rc ? rc : mask_set(d, &m.rop3.mask, h, op);
    case SPICE_MSG_DISPLAY_DRAW_TEXT:
        if (spice_draw_text_parse(body, len, &m.text) || (rc = base_set(d, &m.text.base, h, op, s)))
            return -EBADMSG;
        op->kind = FLOE_RASTER_TEXT;
        op->back_area = rect_of(&m.text.back_area);
        op->fore_mode = m.text.fore_mode;
        rc = glyphs_set(&m.text, h, op);
        if (!rc)
            rc = brush_set(d, body, len, &m.text.fore_brush, h, &op->brush);
        return rc ? rc : brush_set(d, body, len, &m.text.back_brush, h, &op->back_brush);
    case SPICE_MSG_DISPLAY_DRAW_TRANSPARENT:
        if (spice_draw_transparent_parse(body, len, &m.tr) || (rc = base_set(d, &m.tr.base, h, op, s)))
            return -EBADMSG;
        op->kind = FLOE_RASTER_TRANSPARENT;
        op->transparent_color = m.tr.true_color;
        return src_set(d, body, len, m.tr.src_bitmap, &m.tr.image, &m.tr.src_area, h, op);
    case SPICE_MSG_DISPLAY_DRAW_ALPHA_BLEND:
        if (spice_draw_alpha_blend_parse(body, len, &m.ab) || (rc = base_set(d, &m.ab.base, h, op, s)))
            return -EBADMSG;
        op->kind = FLOE_RASTER_ALPHA_BLEND;
        op->alpha = m.ab.alpha;
        op->alpha_flags = m.ab.alpha_flags;
        return src_set(d, body, len, m.ab.src_bitmap, &m.ab.image, &m.ab.src_area, h, op);
    case SPICE_MSG_DISPLAY_DRAW_COMPOSITE:
        if (spice_draw_composite_parse(body, len, &m.comp) ||
            (rc = base_set(d, &m.comp.base, h, op, s)))
            return -EBADMSG;
        op->kind = FLOE_RASTER_COMPOSITE;
        op->composite_flags = m.comp.flags;
        transform_of(&m.comp.src_transform, op->src_transform);
        transform_of(&m.comp.mask_transform, op->mask_transform);
        op->src_origin_x = m.comp.src_origin.x;
        op->src_origin_y = m.comp.src_origin.y;
        op->mask_origin_x = m.comp.mask_origin.x;
        op->mask_origin_y = m.comp.mask_origin.y;
        rc = image_set(d, body, len, m.comp.src_bitmap, &m.comp.image, h, &op->src,
                       &op->src_surface);
        if (!rc && (m.comp.flags & SPICE_COMPOSITE_HAS_MASK))
            rc = image_set(d, body, len, m.comp.mask_bitmap, &m.comp.mask_image, h,
                           &op->composite_mask, NULL);
        return rc;
    case SPICE_MSG_DISPLAY_DRAW_STROKE:
        if (spice_draw_stroke_parse(body, len, &m.stroke) ||
            (rc = base_set(d, &m.stroke.base, h, op, s)))
            return -EBADMSG;
        op->kind = FLOE_RASTER_STROKE;
        rc = path_set(&m.stroke, h, op);
        return rc ? rc : brush_set(d, body, len, &m.stroke.brush, h, &op->brush);
    case SPICE_MSG_DISPLAY_COPY_BITS:
        if (spice_copy_bits_parse(body, len, &m.bits) || (rc = base_set(d, &m.bits.base, h, op, s)))
            return -EBADMSG;
        op->kind = FLOE_RASTER_COPY_BITS;
        op->src_x = m.bits.src_pos.x;
        op->src_y = m.bits.src_pos.y;
        return 0;
    }
    return -EBADMSG;
}

int fcli_draw(struct fcli_display *d, uint16_t type, const uint8_t *body, size_t len)
{
    struct held h = { .n = 0 };
    struct floe_raster_op op = { 0 };
    struct fcli_surface *s = NULL;
    pixman_region32_t damage;
    const char *why = NULL;
    int rc;

    pixman_region32_init(&h.clip);
    pixman_region32_init(&damage);
    rc = op_make(d, type, body, len, &h, &op, &s);
    if (rc == 0) {
        rc = floe_raster_draw(s->image, &op, &damage, &why);
        if (rc) {
            /* a message no canvas could draw is dropped, the channel goes on */
            if (!d->warned_misc[FCLI_WARN_RASTER]) {
                d->warned_misc[FCLI_WARN_RASTER] = 1;
                floe_warn("display: draw message %u not drawn: %s (logged once)", type,
                          why ? why : "?");
            }
            rc = 0;
        } else {
            fcli_display_touched(d, s, &damage);
        }
    } else if (rc == -EBADMSG) {
        floe_err("display: bad draw message %u", type);
    }
    held_fini(&h);
    pixman_region32_fini(&damage);
    return rc == 1 || rc == -ENOMEM ? 0 : rc;
}
