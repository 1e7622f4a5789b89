/* QXL drawables, surface and update commands read from guest memory into
 * checked, self-contained structs (images in qxl-image.c, cursors in
 * qxl-cursor.c). Each guest structure is copied once and read from the copy. */
#include "server/qemu/qxl-cmd.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "server/qemu/qxl-image.h"

/* A drawable's type-specific part: the same members in both layouts, but
 * for the compat alpha blend and (native only) composite. */
union body {
    QXLFill fill;
    QXLOpaque opaque;
    QXLCopy copy;
    QXLTransparent transparent;
    QXLAlphaBlend alpha_blend;
    QXLCompatAlphaBlend compat_alpha_blend;
    QXLCopyBits copy_bits;
    QXLRop3 rop3;
    QXLStroke stroke;
    QXLText text;
    QXLBlackness blackness;
    QXLComposite composite;
};

_Static_assert(sizeof(union body) >= sizeof(((QXLDrawable *)0)->u) &&
               sizeof(union body) >= sizeof(((QXLCompatDrawable *)0)->u),
               "every layout's payload fits the union");

struct ctx {
    const struct fqxl_memslots *m;
    uint32_t group;
    const char **why;
};

static int rect_get(const QXLRect *q, struct fqxl_rect *r, const char *what, const char **why)
{
    if (q->left > q->right || q->top > q->bottom || q->left < 0 || q->top < 0 ||
        q->right > FQXL_MAX_DIM || q->bottom > FQXL_MAX_DIM) {
        *why = fqxl_whyf("%s (%d,%d)-(%d,%d) inverted or out of range", what, q->left, q->top,
                         q->right, q->bottom);
        return -EINVAL;
    }
    r->left = q->left;
    r->top = q->top;
    r->right = q->right;
    r->bottom = q->bottom;
    return 0;
}

static int clip_get(const struct ctx *c, const QXLClip *clip, struct fqxl_draw *d)
{
    uint32_t n;
    uint8_t *data;
    size_t len;
    int rc;

    if (clip->type == SPICE_CLIP_TYPE_NONE)
        return 0;
    if (clip->type != SPICE_CLIP_TYPE_RECTS) {
        *c->why = fqxl_whyf("clip type %u unknown", clip->type);
        return -EINVAL;
    }
    rc = fqxl_memslot_read(c->m, c->group, clip->data, &n, sizeof(n), c->why);
    if (rc)
        return rc;
    if (n > FQXL_MAX_CLIP_RECTS) {
        *c->why = fqxl_whyf("clip of %u rectangles past the limit", n);
        return -E2BIG;
    }
    /* QXLClipRects: num_rects, then the first chunk of the rectangles */
    rc = fqxl_chunks_copy(c->m, c->group, clip->data + sizeof(n),
                          FQXL_MAX_CLIP_RECTS * sizeof(QXLRect), FQXL_MAX_CHUNKS, &data, &len,
                          c->why);
    if (rc)
        return rc;
    if (len != (size_t)n * sizeof(QXLRect)) {
        *c->why = fqxl_whyf("clip of %u rectangles with %zu bytes of them", n, len);
        free(data);
        return -EINVAL;
    }
    d->clip_rects = 1;
    d->clip = calloc(n ? n : 1, sizeof(*d->clip));
    if (!d->clip) {
        free(data);
        *c->why = "out of memory";
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < n && !rc; i++) {
        QXLRect q;

        memcpy(&q, data + i * sizeof(q), sizeof(q));
        rc = rect_get(&q, &d->clip[i], "clip rectangle", c->why);
        d->clip_n = i + 1;
    }
    free(data);
    return rc;
}

static int image_get(const struct ctx *c, QXLPHYSICAL addr, int is_mask, struct fqxl_image *img)
{
    if (!addr) {
        *c->why = "drawable without its image";
        return -EINVAL;
    }
    return fqxl_image_parse(c->m, c->group, addr, is_mask, img, c->why);
}

static int brush_get(const struct ctx *c, const QXLBrush *q, struct fqxl_brush *b)
{
    switch (q->type) {
    case SPICE_BRUSH_TYPE_NONE:
        b->kind = FQXL_BRUSH_NONE;
        return 0;
    case SPICE_BRUSH_TYPE_SOLID:
        b->kind = FQXL_BRUSH_SOLID;
        b->color = q->u.color;
        return 0;
    case SPICE_BRUSH_TYPE_PATTERN:
        b->kind = FQXL_BRUSH_PATTERN;
        b->pos_x = q->u.pattern.pos.x;
        b->pos_y = q->u.pattern.pos.y;
        return image_get(c, q->u.pattern.pat, 0, &b->pattern);
    }
    *c->why = fqxl_whyf("brush type %u unknown", q->type);
    return -EINVAL;
}

static void brush_free(struct fqxl_brush *b)
{
    fqxl_image_free(&b->pattern);
    memset(b, 0, sizeof(*b));
}

static int mode_check(const struct ctx *c, uint16_t rop)
{
    if (rop & ~SPICE_ROPD_MASK) {
        *c->why = fqxl_whyf("rop descriptor 0x%x unknown", rop);
        return -EINVAL;
    }
    return 0;
}

/* Copies the data of a structure that is a u32 (or two u16 more) followed by
 * a first chunk, as QXLString, QXLPath and QXLClipRects are. */
static int chunked_get(const struct ctx *c, QXLPHYSICAL addr, size_t head, size_t max,
                       uint32_t data_size, uint8_t **data, size_t *len, const char *what)
{
    int rc = fqxl_chunks_copy(c->m, c->group, addr + head, max, FQXL_MAX_CHUNKS, data, len,
                              c->why);

    if (!rc && *len != data_size) {
        *c->why = fqxl_whyf("%s of %zu bytes where %u were announced", what, *len, data_size);
        free(*data);
        *data = NULL;
        rc = -EINVAL;
    }
    return rc;
}

static unsigned glyph_bits(uint16_t flags)
{
    if (flags & SPICE_STRING_FLAGS_RASTER_A1)
        return 1;
    if (flags & SPICE_STRING_FLAGS_RASTER_A4)
        return 4;
    return flags & SPICE_STRING_FLAGS_RASTER_A8 ? 8 : 0;
}

/* The glyphs of a string: exactly `length` of them fill its data; with
 * `out`, each is placed (render_pos + glyph_origin) with its rows. */
static int glyphs_get(const struct ctx *c, const uint8_t *data, size_t len, unsigned bits,
                      unsigned length, struct fqxl_glyph *out)
{
    size_t at = 0;
    unsigned n = 0;

    while (at < len) {
        QXLRasterGlyph g;
        uint64_t size;

        if (len - at < sizeof(g)) {
            *c->why = "string data ends inside a glyph";
            return -EINVAL;
        }
        memcpy(&g, data + at, sizeof(g));
        at += sizeof(g);
        size = (uint64_t)g.height * (((uint64_t)g.width * bits + 7) / 8);
        if (size > len - at) {
            *c->why = fqxl_whyf("glyph of %ux%u past its string's data", g.width, g.height);
            return -EINVAL;
        }
        if (out && n < length) {
            int64_t x = (int64_t)g.render_pos.x + g.glyph_origin.x;
            int64_t y = (int64_t)g.render_pos.y + g.glyph_origin.y;

            if (x < -FQXL_MAX_DIM || x > FQXL_MAX_DIM || y < -FQXL_MAX_DIM || y > FQXL_MAX_DIM) {
                *c->why = fqxl_whyf("glyph at (%lld,%lld), out of range", (long long)x,
                                    (long long)y);
                return -EINVAL;
            }
            out[n] = (struct fqxl_glyph){ (int32_t)x, (int32_t)y, g.width, g.height, data + at };
        }
        at += (size_t)size;
        n++;
    }
    if (n != length) {
        *c->why = fqxl_whyf("string of %u glyphs announced as %u", n, length);
        return -EINVAL;
    }
    return 0;
}

static int text_get(const struct ctx *c, const QXLText *t, struct fqxl_draw *d)
{
    QXLString s;
    size_t len;
    int rc = fqxl_memslot_read(c->m, c->group, t->str, &s, offsetof(QXLString, chunk), c->why);

    if (!rc && !glyph_bits(s.flags)) {
        *c->why = fqxl_whyf("string flags 0x%x name no glyph depth", s.flags);
        rc = -EINVAL;
    }
    if (!rc)
        rc = chunked_get(c, t->str, offsetof(QXLString, chunk), FQXL_MAX_IMAGE_BYTES,
                         s.data_size, &d->text_data, &len, "string");
    if (!rc && s.length) {
        d->glyphs = calloc(s.length, sizeof(*d->glyphs));
        if (!d->glyphs) {
            *c->why = "out of memory";
            rc = -ENOMEM;
        }
    }
    if (!rc)
        rc = glyphs_get(c, d->text_data, len, glyph_bits(s.flags), s.length, d->glyphs);
    d->n_glyphs = s.length;
    d->glyph_bits = (int)glyph_bits(s.flags);
    if (!rc)
        rc = mode_check(c, t->fore_mode);
    if (!rc)
        rc = mode_check(c, t->back_mode);
    d->fore_mode = t->fore_mode;
    d->back_mode = t->back_mode;
    if (!rc)
        rc = rect_get(&t->back_area, &d->back_area, "text background", c->why);
    if (!rc)
        rc = brush_get(c, &t->fore_brush, &d->brush);
    return rc ? rc : brush_get(c, &t->back_brush, &d->back_brush);
}

/* A path's segments: each a flags word, a count and count fixed points. */
static int segments_check(const struct ctx *c, const uint8_t *data, size_t len)
{
    size_t at = 0;

    while (at < len) {
        QXLPathSeg seg;

        if (len - at < sizeof(seg)) {
            *c->why = "path data ends inside a segment";
            return -EINVAL;
        }
        memcpy(&seg, data + at, sizeof(seg));
        at += sizeof(seg);
        if ((uint64_t)seg.count * sizeof(QXLPointFix) > len - at) {
            *c->why = fqxl_whyf("path segment of %u points past its data", seg.count);
            return -EINVAL;
        }
        at += (size_t)seg.count * sizeof(QXLPointFix);
    }
    return 0;
}

/* A dashed stroke's dash lengths, copied as the guest wrote them (28.4,
 * little-endian). */
static int styles_get(const struct ctx *c, const QXLStroke *s, struct fqxl_draw *d)
{
    size_t size = (size_t)s->attr.style_nseg * sizeof(QXLFIXED);
    const uint8_t *p = fqxl_memslot_get(c->m, c->group, s->attr.style, size, c->why);

    if (!p)
        return -EFAULT;
    if (size == 0)
        return 0;
    d->styles = malloc(size);
    if (!d->styles)
        return -ENOMEM;
    memcpy(d->styles, p, size);
    d->style_nseg = s->attr.style_nseg;
    return 0;
}

static int stroke_get(const struct ctx *c, const QXLStroke *s, struct fqxl_draw *d)
{
    uint32_t data_size;
    size_t len = 0;
    int rc = fqxl_memslot_read(c->m, c->group, s->path, &data_size, sizeof(data_size), c->why);

    if (!rc)
        rc = chunked_get(c, s->path, offsetof(QXLPath, chunk), FQXL_MAX_IMAGE_BYTES, data_size,
                         &d->path_data, &len, "path");
    d->path_len = len;
    if (!rc)
        rc = segments_check(c, d->path_data, d->path_len);
    if (!rc && (s->attr.flags & SPICE_LINE_FLAGS_STYLED))
        rc = styles_get(c, s, d);
    d->line_flags = s->attr.flags;
    if (!rc)
        rc = mode_check(c, s->fore_mode);
    if (!rc)
        rc = mode_check(c, s->back_mode);
    d->fore_mode = s->fore_mode;
    d->back_mode = s->back_mode;
    return rc ? rc : brush_get(c, &s->brush, &d->brush);
}

static int composite_op_check(const struct ctx *c, uint32_t flags)
{
    unsigned op = flags & 0xff;

    if (flags & ~SPICE_COMPOSITE_FLAGS_MASK || (op > QXL_OP_SATURATE && op < QXL_OP_MULTIPLY) ||
        op > QXL_OP_HSL_LUMINOSITY) {
        *c->why = fqxl_whyf("composite flags 0x%x unknown", flags);
        return -EINVAL;
    }
    return 0;
}

static int transform_get(const struct ctx *c, QXLPHYSICAL addr, int32_t m[6])
{
    QXLTransform t;
    int rc = fqxl_memslot_read(c->m, c->group, addr, &t, sizeof(t), c->why);

    if (!rc) {
        m[0] = (int32_t)t.t00;
        m[1] = (int32_t)t.t01;
        m[2] = (int32_t)t.t02;
        m[3] = (int32_t)t.t10;
        m[4] = (int32_t)t.t11;
        m[5] = (int32_t)t.t12;
    }
    return rc;
}

/* The guest's operator, filters and repeats; what it has (mask,
 * transforms) is told by its pointers, as the reference reads it. */
static int composite_get(const struct ctx *c, const QXLComposite *q, struct fqxl_draw *d)
{
    int rc = composite_op_check(c, q->flags);

    d->composite_flags = q->flags & ~(uint32_t)(SPICE_COMPOSITE_HAS_MASK |
                                                SPICE_COMPOSITE_HAS_SRC_TRANSFORM |
                                                SPICE_COMPOSITE_HAS_MASK_TRANSFORM);
    if (!rc)
        rc = image_get(c, q->src, 0, &d->src);
    if (!rc && q->src_transform) {
        d->composite_flags |= SPICE_COMPOSITE_HAS_SRC_TRANSFORM;
        rc = transform_get(c, q->src_transform, d->src_transform);
    }
    if (!rc && q->mask) {
        d->composite_flags |= SPICE_COMPOSITE_HAS_MASK;
        rc = image_get(c, q->mask, 0, &d->composite_mask);
    }
    if (!rc && q->mask && q->mask_transform) {
        d->composite_flags |= SPICE_COMPOSITE_HAS_MASK_TRANSFORM;
        rc = transform_get(c, q->mask_transform, d->mask_transform);
    }
    d->src_origin_x = q->src_origin.x;
    d->src_origin_y = q->src_origin.y;
    d->mask_origin_x = q->mask_origin.x;
    d->mask_origin_y = q->mask_origin.y;
    return rc;
}

static int mask_get(const struct ctx *c, const QXLQMask *q, struct fqxl_draw *d)
{
    if (!q->bitmap)
        return 0;
    if (q->flags & ~SPICE_MASK_FLAGS_MASK) {
        *c->why = fqxl_whyf("mask flags 0x%x unknown", q->flags);
        return -EINVAL;
    }
    d->has_mask = 1;
    d->mask_flags = q->flags;
    d->mask_x = q->pos.x;
    d->mask_y = q->pos.y;
    return image_get(c, q->bitmap, 1, &d->mask);
}

static int rop_get(const struct ctx *c, uint16_t rop, struct fqxl_draw *d)
{
    d->rop_descriptor = rop;
    return mode_check(c, rop);
}

static int scale_get(const struct ctx *c, uint8_t mode, struct fqxl_draw *d)
{
    if (mode > SPICE_IMAGE_SCALE_MODE_NEAREST) {
        *c->why = fqxl_whyf("scale mode %u unknown", mode);
        return -EINVAL;
    }
    d->scale_mode = mode;
    return 0;
}

/* The source image and the area of it the draw reads. */
static int src_get(const struct ctx *c, QXLPHYSICAL addr, const QXLRect *area, struct fqxl_draw *d)
{
    int rc = image_get(c, addr, 0, &d->src);

    if (!rc)
        rc = rect_get(area, &d->src_area, "source area", c->why);
    if (!rc && d->src.kind == FQXL_IMAGE_PIXELS &&
        (d->src_area.right > d->src.w || d->src_area.bottom > d->src.h)) {
        *c->why = fqxl_whyf("source area (%d,%d)-(%d,%d) outside its %dx%d image",
                            d->src_area.left, d->src_area.top, d->src_area.right,
                            d->src_area.bottom, d->src.w, d->src.h);
        rc = -EINVAL;
    }
    return rc;
}

static int fill_get(const struct ctx *c, const QXLFill *q, struct fqxl_draw *d)
{
    int rc = brush_get(c, &q->brush, &d->brush);

    if (!rc)
        rc = rop_get(c, q->rop_descriptor, d);
    return rc ? rc : mask_get(c, &q->mask, d);
}

static int opaque_get(const struct ctx *c, const QXLOpaque *q, struct fqxl_draw *d)
{
    int rc = src_get(c, q->src_bitmap, &q->src_area, d);

    if (!rc)
        rc = brush_get(c, &q->brush, &d->brush);
    if (!rc)
        rc = rop_get(c, q->rop_descriptor, d);
    if (!rc)
        rc = scale_get(c, q->scale_mode, d);
    return rc ? rc : mask_get(c, &q->mask, d);
}

/* COPY and BLEND share a layout */
static int copy_get(const struct ctx *c, const QXLCopy *q, struct fqxl_draw *d)
{
    int rc = src_get(c, q->src_bitmap, &q->src_area, d);

    if (!rc)
        rc = rop_get(c, q->rop_descriptor, d);
    if (!rc)
        rc = scale_get(c, q->scale_mode, d);
    return rc ? rc : mask_get(c, &q->mask, d);
}

static int rop3_get(const struct ctx *c, const QXLRop3 *q, struct fqxl_draw *d)
{
    int rc = src_get(c, q->src_bitmap, &q->src_area, d);

    if (!rc)
        rc = brush_get(c, &q->brush, &d->brush);
    if (!rc)
        rc = scale_get(c, q->scale_mode, d);
    d->rop3 = q->rop3;
    return rc ? rc : mask_get(c, &q->mask, d);
}

static int alpha_blend_get(const struct ctx *c, const union body *b, int compat,
                           struct fqxl_draw *d)
{
    if (compat) {
        d->alpha = b->compat_alpha_blend.alpha;
        return src_get(c, b->compat_alpha_blend.src_bitmap, &b->compat_alpha_blend.src_area, d);
    }
    if (b->alpha_blend.alpha_flags & ~(SPICE_ALPHA_FLAGS_DEST_HAS_ALPHA |
                                       SPICE_ALPHA_FLAGS_SRC_SURFACE_HAS_ALPHA)) {
        *c->why = fqxl_whyf("alpha flags 0x%x unknown", b->alpha_blend.alpha_flags);
        return -EINVAL;
    }
    d->alpha_flags = (uint8_t)b->alpha_blend.alpha_flags;
    d->alpha = b->alpha_blend.alpha;
    return src_get(c, b->alpha_blend.src_bitmap, &b->alpha_blend.src_area, d);
}

static int copy_bits_get(const struct ctx *c, const QXLCopyBits *q, int compat,
                         struct fqxl_draw *d)
{
    if (q->src_pos.x < 0 || q->src_pos.y < 0 || q->src_pos.x > FQXL_MAX_DIM ||
        q->src_pos.y > FQXL_MAX_DIM) {
        *c->why = fqxl_whyf("copy-bits source (%d,%d) out of range", q->src_pos.x, q->src_pos.y);
        return -EINVAL;
    }
    d->src_x = q->src_pos.x;
    d->src_y = q->src_pos.y;
    if (compat) {
        /* the old layout names no dependency: the source is its own surface */
        d->surfaces_dest[0] = 0;
        d->surfaces_rects[0] = (struct fqxl_rect){ d->src_x, d->src_y,
            d->src_x + d->bbox.right - d->bbox.left, d->src_y + d->bbox.bottom - d->bbox.top };
    }
    return 0;
}

/* Reads the type-specific part of a drawable. */
static int body_get(const struct ctx *c, uint8_t type, const union body *b, int compat,
                    struct fqxl_draw *d)
{
    switch (type) {
    case QXL_DRAW_NOP:
        return 0;
    case QXL_DRAW_FILL:
        return fill_get(c, &b->fill, d);
    case QXL_DRAW_OPAQUE:
        return opaque_get(c, &b->opaque, d);
    case QXL_DRAW_COPY:
    case QXL_DRAW_BLEND:
        return copy_get(c, &b->copy, d);
    case QXL_DRAW_TRANSPARENT:
        d->transparent_color = b->transparent.true_color;
        return src_get(c, b->transparent.src_bitmap, &b->transparent.src_area, d);
    case QXL_DRAW_ALPHA_BLEND:
        return alpha_blend_get(c, b, compat, d);
    case QXL_COPY_BITS:
        return copy_bits_get(c, &b->copy_bits, compat, d);
    case QXL_DRAW_ROP3:
        return rop3_get(c, &b->rop3, d);
    case QXL_DRAW_BLACKNESS:
    case QXL_DRAW_WHITENESS:
    case QXL_DRAW_INVERS:
        return mask_get(c, &b->blackness.mask, d);
    case QXL_DRAW_TEXT:
        return text_get(c, &b->text, d);
    case QXL_DRAW_STROKE:
        return stroke_get(c, &b->stroke, d);
    case QXL_DRAW_COMPOSITE:
        if (!compat)
            return composite_get(c, &b->composite, d);
        break;
    }
    *c->why = fqxl_whyf("drawable type %u unknown%s", type, compat ? " in the compat layout" : "");
    return -EINVAL;
}

static int deps_get(const struct ctx *c, const QXLDrawable *q, struct fqxl_draw *d)
{
    for (int i = 0; i < 3; i++) {
        int32_t id = q->surfaces_dest[i];
        int rc;

        if (id == -1)
            continue;
        if (id < 0 || id >= FQXL_MAX_SURFACES) {
            *c->why = fqxl_whyf("drawable depends on surface %d, out of range", id);
            return -EINVAL;
        }
        d->surfaces_dest[i] = id;
        rc = rect_get(&q->surfaces_rects[i], &d->surfaces_rects[i], "dependency area", c->why);
        if (rc)
            return rc;
    }
    return 0;
}

/* The fields both layouts share, checked. */
static int head_get(const struct ctx *c, uint8_t type, uint8_t effect, const QXLRect *bbox,
                    const QXLClip *clip, uint32_t mm_time, struct fqxl_draw *d)
{
    int rc;

    d->type = type;
    d->mm_time = mm_time;
    if (effect > QXL_EFFECT_OPAQUE_BRUSH) {
        *c->why = fqxl_whyf("drawable effect %u unknown", effect);
        return -EINVAL;
    }
    d->effect = effect;
    rc = rect_get(bbox, &d->bbox, "drawable bbox", c->why);
    return rc ? rc : clip_get(c, clip, d);
}

static int native_get(const struct ctx *c, QXLPHYSICAL addr, struct fqxl_draw *d)
{
    QXLDrawable q;
    union body b;
    int rc = fqxl_memslot_read(c->m, c->group, addr, &q, sizeof(q), c->why);

    if (rc)
        return rc;
    if (q.surface_id >= FQXL_MAX_SURFACES) {
        *c->why = fqxl_whyf("drawable on surface %u, out of range", q.surface_id);
        return -EINVAL;
    }
    d->surface_id = q.surface_id;
    rc = head_get(c, q.type, q.effect, &q.bbox, &q.clip, q.mm_time, d);
    if (!rc)
        rc = deps_get(c, &q, d);
    if (rc)
        return rc;
    memset(&b, 0, sizeof(b));
    memcpy(&b, &q.u, sizeof(q.u));
    return body_get(c, q.type, &b, 0, d);
}

static int compat_get(const struct ctx *c, QXLPHYSICAL addr, struct fqxl_draw *d)
{
    QXLCompatDrawable q;
    union body b;
    int rc = fqxl_memslot_read(c->m, c->group, addr, &q, sizeof(q), c->why);

    if (rc)
        return rc;
    rc = head_get(c, q.type, q.effect, &q.bbox, &q.clip, q.mm_time, d);
    if (rc)
        return rc;
    memset(&b, 0, sizeof(b));
    memcpy(&b, &q.u, sizeof(q.u));
    return body_get(c, q.type, &b, 1, d);
}

int fqxl_draw_parse(const struct fqxl_memslots *m, uint32_t group, QXLPHYSICAL addr, int compat,
                    struct fqxl_draw *d, const char **why)
{
    struct ctx c = { m, group, why };
    int rc;

    memset(d, 0, sizeof(*d));
    for (int i = 0; i < 3; i++)
        d->surfaces_dest[i] = -1;
    rc = compat ? compat_get(&c, addr, d) : native_get(&c, addr, d);
    if (rc)
        fqxl_draw_free(d);
    return rc;
}

void fqxl_draw_free(struct fqxl_draw *d)
{
    free(d->clip);
    fqxl_image_free(&d->src);
    fqxl_image_free(&d->mask);
    fqxl_image_free(&d->composite_mask);
    brush_free(&d->brush);
    brush_free(&d->back_brush);
    free(d->text_data);
    free(d->glyphs);
    free(d->path_data);
    free(d->styles);
    memset(d, 0, sizeof(*d));
}

static int surface_format_bits(uint32_t format)
{
    switch (format) {
    case SPICE_SURFACE_FMT_1_A:
        return 1;
    case SPICE_SURFACE_FMT_8_A:
        return 8;
    case SPICE_SURFACE_FMT_16_555:
    case SPICE_SURFACE_FMT_16_565:
        return 16;
    case SPICE_SURFACE_FMT_32_xRGB:
    case SPICE_SURFACE_FMT_32_ARGB:
        return 32;
    }
    return 0;
}

static int surface_create_get(const struct fqxl_memslots *m, uint32_t group, const QXLSurface *s,
                              struct fqxl_surface_cmd *c, const char **why)
{
    int bits = surface_format_bits(s->format);
    uint64_t abs_stride = s->stride < 0 ? -(int64_t)s->stride : s->stride;
    const uint8_t *mem;

    if (!bits) {
        *why = fqxl_whyf("surface format %u unknown", s->format);
        return -EINVAL;
    }
    if (s->width == 0 || s->height == 0 || s->width > FQXL_MAX_DIM || s->height > FQXL_MAX_DIM) {
        *why = fqxl_whyf("surface of %ux%u out of range", s->width, s->height);
        return -EINVAL;
    }
    if (abs_stride < ((uint64_t)s->width * bits + 7) / 8) {
        *why = fqxl_whyf("surface stride %d too small for %u pixels of %d bits", s->stride,
                         s->width, bits);
        return -EINVAL;
    }
    /* |stride| * height may pass 32 bits: the memslot check says if it fits */
    mem = fqxl_memslot_get(m, group, s->data, (size_t)(abs_stride * s->height), why);
    if (!mem)
        return -EFAULT;
    c->format = s->format;
    c->width = (int)s->width;
    c->height = (int)s->height;
    c->stride = s->stride;
    /* a negative stride keeps the bottom row first in memory */
    c->mem = (uint8_t *)mem + (s->stride < 0 ? (size_t)(abs_stride * (s->height - 1)) : 0);
    return 0;
}

int fqxl_surface_cmd_parse(const struct fqxl_memslots *m, uint32_t group, QXLPHYSICAL addr,
                           struct fqxl_surface_cmd *c, const char **why)
{
    QXLSurfaceCmd q;
    int rc;

    memset(c, 0, sizeof(*c));
    rc = fqxl_memslot_read(m, group, addr, &q, sizeof(q), why);
    if (rc)
        return rc;
    if (q.surface_id >= FQXL_MAX_SURFACES) {
        *why = fqxl_whyf("surface %u out of range", q.surface_id);
        return -EINVAL;
    }
    c->type = q.type;
    c->surface_id = q.surface_id;
    c->flags = q.flags;
    if (q.type == QXL_SURFACE_CMD_DESTROY)
        return 0;
    if (q.type != QXL_SURFACE_CMD_CREATE) {
        *why = fqxl_whyf("surface command %u unknown", q.type);
        return -EINVAL;
    }
    rc = surface_create_get(m, group, &q.u.surface_create, c, why);
    if (rc)
        memset(c, 0, sizeof(*c));
    return rc;
}

int fqxl_update_cmd_parse(const struct fqxl_memslots *m, uint32_t group, QXLPHYSICAL addr,
                          struct fqxl_update_cmd *c, const char **why)
{
    QXLUpdateCmd q;
    int rc;

    memset(c, 0, sizeof(*c));
    rc = fqxl_memslot_read(m, group, addr, &q, sizeof(q), why);
    if (rc)
        return rc;
    if (q.surface_id >= FQXL_MAX_SURFACES) {
        *why = fqxl_whyf("update of surface %u, out of range", q.surface_id);
        return -EINVAL;
    }
    rc = rect_get(&q.area, &c->area, "update area", why);
    if (rc)
        return rc;
    c->update_id = q.update_id;
    c->surface_id = q.surface_id;
    return 0;
}

QXLReleaseInfo *fqxl_release_info(const struct fqxl_memslots *m, uint32_t group,
                                  QXLPHYSICAL addr)
{
    const char *why;

    /* the device writes the release list through it: guest memory, not a copy */
    return (QXLReleaseInfo *)fqxl_memslot_get(m, group, addr, sizeof(QXLReleaseInfo), &why);
}
