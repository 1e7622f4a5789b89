/* Parsed QXL drawables drawn into pixman images as SPICE's software canvas
 * draws them: the region is the bbox within the clip and the surface, a
 * source is brought into the surface's format first, then combined with
 * the surface's raw pixel values through the drawable's ROP. */
#include "server/qemu/qxl-render.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server/qemu/qxl-image.h"

/* A ROP as a truth table: bit (s << 1 | d) holds the result for source bit
 * s and destination bit d. */
#define ROP_CLEAR 0x0
#define ROP_INVERT 0x5   /* not d */
#define ROP_NOOP 0xa     /* d */
#define ROP_COPY 0xc     /* s */
#define ROP_SET 0xf

/* A source placed in the guest's coordinates: pixel (x, y) of the source
 * is pixel (x - ox, y - oy) of img. */
struct src {
    pixman_image_t *img;
    int ox, oy;
};

struct job {
    pixman_image_t *dst;
    const struct fqxl_draw *d;
    int bpp;                    /* bytes per pixel of dst */
    pixman_region32_t region;   /* what the draw may touch */
    pixman_region32_t changed;
    struct src src, pat;        /* the image and the brush's pattern, when used */
    const char **why;
};

static uint32_t rop_apply(unsigned rop, uint32_t s, uint32_t d)
{
    return (rop & 1 ? ~s & ~d : 0) | (rop & 2 ? ~s & d : 0) | (rop & 4 ? s & ~d : 0) |
           (rop & 8 ? s & d : 0);
}

/* The ROP a descriptor names, as the canvas reads it: the inversion bits of
 * the draw's two inputs (source or brush, destination or source) apply to
 * them; PUT, OR, AND and XOR go first, in that order. */
static unsigned rop_of(uint16_t desc, uint16_t inv_s_bit, uint16_t inv_d_bit)
{
    unsigned inv_s = !!(desc & inv_s_bit), inv_d = !!(desc & inv_d_bit);
    unsigned inv_r = !!(desc & SPICE_ROPD_INVERS_RES), rop = 0;
    int op;

    if (desc & (SPICE_ROPD_OP_PUT | SPICE_ROPD_OP_OR | SPICE_ROPD_OP_AND | SPICE_ROPD_OP_XOR))
        op = desc & SPICE_ROPD_OP_PUT ? 0 : desc & SPICE_ROPD_OP_OR ? 1 : desc & SPICE_ROPD_OP_AND ? 2 : 3;
    else if (desc & SPICE_ROPD_OP_BLACKNESS)
        return ROP_CLEAR;
    else if (desc & SPICE_ROPD_OP_WHITENESS)
        return ROP_SET;
    else if (desc & SPICE_ROPD_OP_INVERS)
        return ROP_INVERT;
    else
        return ROP_COPY;
    for (unsigned s = 0; s < 2; s++) {
        for (unsigned d = 0; d < 2; d++) {
            unsigned a = s ^ inv_s, b = d ^ inv_d;
            unsigned r = op == 0 ? a : op == 1 ? (a | b) : op == 2 ? (a & b) : (a ^ b);

            rop |= (r ^ inv_r) << (s << 1 | d);
        }
    }
    return rop;
}

static uint32_t px_get(const uint8_t *row, int x, int bpp)
{
    uint32_t v32;
    uint16_t v16;

    if (bpp == 4) {
        memcpy(&v32, row + 4 * (size_t)x, 4);
        return v32;
    }
    memcpy(&v16, row + 2 * (size_t)x, 2);
    return v16;
}

static void px_put(uint8_t *row, int x, int bpp, uint32_t v)
{
    uint16_t v16 = (uint16_t)v;

    if (bpp == 4)
        memcpy(row + 4 * (size_t)x, &v, 4);
    else
        memcpy(row + 2 * (size_t)x, &v16, 2);
}

static uint8_t *row_of(pixman_image_t *img, int y)
{
    return (uint8_t *)pixman_image_get_data(img) + (size_t)y * pixman_image_get_stride(img);
}

/* Writes rop(source, dst) over `where`; the source is `layer` (in dst's
 * format, its pixel (0,0) at lx, ly) or, without one, the raw `color`. */
static void combine(struct job *j, pixman_region32_t *where, pixman_image_t *layer, int lx, int ly,
                    uint32_t color, unsigned rop)
{
    int n, bpp = j->bpp;
    pixman_box32_t *b = pixman_region32_rectangles(where, &n);

    for (int i = 0; i < n; i++) {
        for (int y = b[i].y1; y < b[i].y2; y++) {
            uint8_t *drow = row_of(j->dst, y);
            const uint8_t *lrow = layer ? row_of(layer, y - ly) : NULL;

            if (lrow && rop == ROP_COPY) {
                memcpy(drow + (size_t)b[i].x1 * bpp, lrow + (size_t)(b[i].x1 - lx) * bpp,
                       (size_t)(b[i].x2 - b[i].x1) * bpp);
                continue;
            }
            for (int x = b[i].x1; x < b[i].x2; x++) {
                uint32_t s = lrow ? px_get(lrow, x - lx, bpp) : color;

                px_put(drow, x, bpp, rop_apply(rop, s, px_get(drow, x, bpp)));
            }
        }
    }
    pixman_region32_union(&j->changed, &j->changed, where);
}

/* A scratch image in dst's format over the extents of the job's region. */
static pixman_image_t *layer_new(struct job *j, pixman_box32_t *ext)
{
    *ext = *pixman_region32_extents(&j->region);
    return pixman_image_create_bits(pixman_image_get_format(j->dst), ext->x2 - ext->x1,
                                    ext->y2 - ext->y1, NULL, 0);
}

static int no_memory(struct job *j)
{
    *j->why = "out of memory";
    return -ENOMEM;
}

/* The image source placed from src_area onto the bbox, scaled when their
 * sizes differ, combined through rop. */
static int image_draw(struct job *j, unsigned rop)
{
    const struct fqxl_draw *d = j->d;
    int bw = d->bbox.right - d->bbox.left, bh = d->bbox.bottom - d->bbox.top;
    int sw = d->src_area.right - d->src_area.left, sh = d->src_area.bottom - d->src_area.top;
    pixman_region32_t cover;
    pixman_box32_t ext;
    pixman_image_t *layer = layer_new(j, &ext);

    if (!layer)
        return no_memory(j);
    if (sw == bw && sh == bh) {
        int offx = d->bbox.left - d->src_area.left, offy = d->bbox.top - d->src_area.top;

        pixman_image_composite32(PIXMAN_OP_SRC, j->src.img, NULL, layer, ext.x1 - offx - j->src.ox,
                                 ext.y1 - offy - j->src.oy, 0, 0, 0, 0, ext.x2 - ext.x1,
                                 ext.y2 - ext.y1);
        /* like the canvas's blit, nothing is drawn where the source has no pixels */
        pixman_region32_init_rect(&cover, j->src.ox + offx, j->src.oy + offy,
                                  pixman_image_get_width(j->src.img),
                                  pixman_image_get_height(j->src.img));
        pixman_region32_intersect(&cover, &cover, &j->region);
    } else {
        pixman_transform_t t;

        pixman_transform_init_scale(&t, (pixman_fixed_t)(((int64_t)sw << 16) / bw),
                                    (pixman_fixed_t)(((int64_t)sh << 16) / bh));
        pixman_transform_translate(&t, NULL, pixman_int_to_fixed(d->src_area.left - j->src.ox),
                                   pixman_int_to_fixed(d->src_area.top - j->src.oy));
        pixman_image_set_transform(j->src.img, &t);
        pixman_image_set_filter(j->src.img, d->scale_mode == SPICE_IMAGE_SCALE_MODE_NEAREST ?
                                PIXMAN_FILTER_NEAREST : PIXMAN_FILTER_GOOD, NULL, 0);
        pixman_image_composite32(PIXMAN_OP_SRC, j->src.img, NULL, layer, 0, 0, 0, 0,
                                 d->bbox.left - ext.x1, d->bbox.top - ext.y1, bw, bh);
        pixman_region32_init(&cover);
        pixman_region32_copy(&cover, &j->region);
    }
    combine(j, &cover, layer, ext.x1, ext.y1, 0, rop);
    pixman_region32_fini(&cover);
    pixman_image_unref(layer);
    return 0;
}

/* The brush over the region through rop; no brush draws as the colour 0. */
static int brush_draw(struct job *j, const struct fqxl_brush *b, unsigned rop)
{
    pixman_box32_t ext;
    pixman_image_t *layer;

    if (b->kind != FQXL_BRUSH_PATTERN) {
        combine(j, &j->region, NULL, 0, 0, b->kind == FQXL_BRUSH_SOLID ? b->color : 0, rop);
        return 0;
    }
    layer = layer_new(j, &ext);
    if (!layer)
        return no_memory(j);
    /* the tile repeats from pos: pixel (x, y) takes its (x - pos_x, y - pos_y) */
    pixman_image_set_repeat(j->pat.img, PIXMAN_REPEAT_NORMAL);
    pixman_image_composite32(PIXMAN_OP_SRC, j->pat.img, NULL, layer,
                             ext.x1 - b->pos_x - j->pat.ox, ext.y1 - b->pos_y - j->pat.oy, 0, 0,
                             0, 0, ext.x2 - ext.x1, ext.y2 - ext.y1);
    combine(j, &j->region, layer, ext.x1, ext.y1, 0, rop);
    pixman_image_unref(layer);
    return 0;
}

/* COPY_BITS: the source rectangle moves to the bbox, read whole before any
 * of it is written, so overlapping moves (scrolls) come out right. */
static int copy_bits_draw(struct job *j)
{
    const struct fqxl_draw *d = j->d;
    int dx = d->bbox.left - d->src_x, dy = d->bbox.top - d->src_y;
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
    copy = layer_new(j, &ext);
    if (!copy)
        return no_memory(j);
    for (int y = ext.y1; y < ext.y2; y++)
        memcpy(row_of(copy, y - ext.y1), row_of(j->dst, y - dy) + (size_t)(ext.x1 - dx) * j->bpp,
               (size_t)(ext.x2 - ext.x1) * j->bpp);
    combine(j, &j->region, copy, ext.x1, ext.y1, 0, ROP_COPY);
    pixman_image_unref(copy);
    return 0;
}

static int draw(struct job *j)
{
    const struct fqxl_draw *d = j->d;
    unsigned rop;
    int rc;

    switch (d->type) {
    case QXL_DRAW_FILL:
        rop = rop_of(d->rop_descriptor, SPICE_ROPD_INVERS_BRUSH, SPICE_ROPD_INVERS_DEST);
        return rop == ROP_NOOP ? 0 : brush_draw(j, &d->brush, rop);
    case QXL_DRAW_COPY:
    case QXL_DRAW_BLEND:
        rop = rop_of(d->rop_descriptor, SPICE_ROPD_INVERS_SRC, SPICE_ROPD_INVERS_DEST);
        return rop == ROP_NOOP ? 0 : image_draw(j, rop);
    case QXL_DRAW_OPAQUE:
        /* the image, then the brush combined with it */
        rop = rop_of(d->rop_descriptor, SPICE_ROPD_INVERS_BRUSH, SPICE_ROPD_INVERS_SRC);
        if (rop == ROP_NOOP)
            return 0;
        rc = image_draw(j, ROP_COPY);
        return rc ? rc : brush_draw(j, &d->brush, rop);
    case QXL_COPY_BITS:
        return copy_bits_draw(j);
    case QXL_DRAW_BLACKNESS:
        combine(j, &j->region, NULL, 0, 0, 0, ROP_COPY);
        return 0;
    case QXL_DRAW_WHITENESS:
        combine(j, &j->region, NULL, 0, 0, 0xffffffffu, ROP_COPY);
        return 0;
    case QXL_DRAW_INVERS:
        combine(j, &j->region, NULL, 0, 0, 0, ROP_INVERT);
        return 0;
    }
    return 0;
}

/* What the renderer draws, decided before anything is read or written. */
static int drawable_check(pixman_image_t *dst, const struct fqxl_draw *d, const char **why)
{
    int bits = PIXMAN_FORMAT_BPP(pixman_image_get_format(dst));

    if (bits != 16 && bits != 32) {
        *why = fqxl_whyf("surface of %d bits per pixel not rendered", bits);
        return -ENOTSUP;
    }
    switch (d->type) {
    case QXL_DRAW_NOP:
    case QXL_DRAW_FILL:
    case QXL_DRAW_COPY:
    case QXL_DRAW_BLEND:
    case QXL_DRAW_OPAQUE:
    case QXL_COPY_BITS:
    case QXL_DRAW_BLACKNESS:
    case QXL_DRAW_WHITENESS:
    case QXL_DRAW_INVERS:
        break;
    default:
        *why = fqxl_whyf("drawable type %u not rendered", d->type);
        return -ENOTSUP;
    }
    if (d->has_mask) {
        *why = "drawable with a mask not rendered";
        return -ENOTSUP;
    }
    return 0;
}

static int uses_image(uint32_t type)
{
    return type == QXL_DRAW_COPY || type == QXL_DRAW_BLEND || type == QXL_DRAW_OPAQUE;
}

/* The image `im` as a source the renderer may transform: a new image over
 * the bitmap's words, over another surface's pixels, or, when the surface
 * is dst itself, over a copy of them. */
static int src_load(struct job *j, const struct fqxl_image *im, fqxl_surface_fn *surface,
                    void *opaque, struct src *s)
{
    pixman_image_t *sf;
    int w, h;

    if (im->kind == FQXL_IMAGE_PIXELS) {
        s->img = pixman_image_create_bits(im->alpha ? PIXMAN_a8r8g8b8 : PIXMAN_x8r8g8b8, im->w,
                                          im->h, im->pixels, im->w * 4);
        return s->img ? 0 : no_memory(j);
    }
    sf = surface ? surface(opaque, im->surface_id) : NULL;
    if (!sf) {
        *j->why = fqxl_whyf("source surface %u not there", im->surface_id);
        return -EINVAL;
    }
    w = pixman_image_get_width(sf);
    h = pixman_image_get_height(sf);
    if (pixman_image_get_data(sf) != pixman_image_get_data(j->dst)) {
        s->img = pixman_image_create_bits(pixman_image_get_format(sf), w, h,
                                          pixman_image_get_data(sf), pixman_image_get_stride(sf));
        return s->img ? 0 : no_memory(j);
    }
    s->img = pixman_image_create_bits(pixman_image_get_format(sf), w, h, NULL, 0);
    if (!s->img)
        return no_memory(j);
    pixman_image_composite32(PIXMAN_OP_SRC, sf, NULL, s->img, 0, 0, 0, 0, 0, 0, w, h);
    return 0;
}

static int sources_load(struct job *j, fqxl_surface_fn *surface, void *opaque)
{
    const struct fqxl_draw *d = j->d;
    int rc = 0;

    if (uses_image(d->type)) {
        if ((d->src_area.right == d->src_area.left || d->src_area.bottom == d->src_area.top) &&
            d->bbox.right > d->bbox.left && d->bbox.bottom > d->bbox.top) {
            *j->why = "empty source area for a non-empty bbox";
            return -EINVAL;
        }
        rc = src_load(j, &d->src, surface, opaque, &j->src);
    }
    if (!rc && (d->type == QXL_DRAW_FILL || d->type == QXL_DRAW_OPAQUE) &&
        d->brush.kind == FQXL_BRUSH_PATTERN)
        rc = src_load(j, &d->brush.pattern, surface, opaque, &j->pat);
    return rc;
}

/* The bbox, within the clip rectangles if any and within dst. */
static int region_make(struct job *j)
{
    const struct fqxl_draw *d = j->d;
    const struct fqxl_rect *b = &d->bbox;
    pixman_region32_t clip;
    pixman_box32_t *boxes;

    pixman_region32_init_rect(&j->region, b->left, b->top, (unsigned)(b->right - b->left),
                              (unsigned)(b->bottom - b->top));
    if (d->clip_rects) {
        boxes = calloc(d->clip_n ? d->clip_n : 1, sizeof(*boxes));
        if (!boxes)
            return no_memory(j);
        for (uint32_t i = 0; i < d->clip_n; i++)
            boxes[i] = (pixman_box32_t){ d->clip[i].left, d->clip[i].top, d->clip[i].right,
                                         d->clip[i].bottom };
        pixman_region32_init_rects(&clip, boxes, (int)d->clip_n);
        free(boxes);
        pixman_region32_intersect(&j->region, &j->region, &clip);
        pixman_region32_fini(&clip);
    }
    pixman_region32_init_rect(&clip, 0, 0, pixman_image_get_width(j->dst),
                              pixman_image_get_height(j->dst));
    pixman_region32_intersect(&j->region, &j->region, &clip);
    pixman_region32_fini(&clip);
    return 0;
}

int fqxl_render(pixman_image_t *dst, const struct fqxl_draw *d, fqxl_surface_fn *surface,
                void *opaque, pixman_region32_t *damage, const char **why)
{
    struct job j = { .dst = dst, .d = d, .why = why };
    int rc = drawable_check(dst, d, why);

    if (rc || d->type == QXL_DRAW_NOP)
        return rc;
    j.bpp = PIXMAN_FORMAT_BPP(pixman_image_get_format(dst)) / 8;
    pixman_region32_init(&j.changed);
    rc = region_make(&j);
    if (!rc && pixman_region32_not_empty(&j.region))
        rc = sources_load(&j, surface, opaque);
    if (!rc && pixman_region32_not_empty(&j.region))
        rc = draw(&j);
    if (!rc)
        pixman_region32_union(damage, damage, &j.changed);
    if (j.src.img)
        pixman_image_unref(j.src.img);
    if (j.pat.img)
        pixman_image_unref(j.pat.img);
    pixman_region32_fini(&j.region);
    pixman_region32_fini(&j.changed);
    return rc;
}
