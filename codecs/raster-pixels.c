/* The pixel work every operation shares: raw pixel access, the two-input
 * ROP over a region, scratch layers, brushes. */
#include <errno.h>
#include <string.h>

#include "codecs/raster-internal.h"

uint32_t fraster_rop_apply(unsigned rop, uint32_t s, uint32_t d)
{
    return (rop & 1 ? ~s & ~d : 0) | (rop & 2 ? ~s & d : 0) | (rop & 4 ? s & ~d : 0) |
           (rop & 8 ? s & d : 0);
}

/* The ROP a descriptor names, as the canvas reads it: the inversion bits of
 * the draw's two inputs (source or brush, destination or source) apply to
 * them; PUT, OR, AND and XOR go first, in that order. */
unsigned fraster_rop_of(uint16_t desc, unsigned inv_s_bit, unsigned inv_d_bit)
{
    unsigned inv_s = !!(desc & inv_s_bit), inv_d = !!(desc & inv_d_bit);
    unsigned inv_r = !!(desc & RD_INVERS_RES), rop = 0;
    int op;

    if (desc & (RD_OP_PUT | RD_OP_OR | RD_OP_AND | RD_OP_XOR))
        op = desc & RD_OP_PUT ? 0 : desc & RD_OP_OR ? 1 : desc & RD_OP_AND ? 2 : 3;
    else if (desc & RD_OP_BLACKNESS)
        return ROP_CLEAR;
    else if (desc & RD_OP_WHITENESS)
        return ROP_SET;
    else if (desc & RD_OP_INVERS)
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

uint32_t fraster_px(const uint8_t *row, int x, int bpp)
{
    uint32_t v32;
    uint16_t v16;

    if (bpp == 4) {
        memcpy(&v32, row + 4 * (size_t)x, 4);
        return v32;
    }
    if (bpp == 1)
        return row[x];
    memcpy(&v16, row + 2 * (size_t)x, 2);
    return v16;
}

void fraster_put(uint8_t *row, int x, int bpp, uint32_t v)
{
    uint16_t v16 = (uint16_t)v;

    if (bpp == 4)
        memcpy(row + 4 * (size_t)x, &v, 4);
    else if (bpp == 1)
        row[x] = (uint8_t)v;
    else
        memcpy(row + 2 * (size_t)x, &v16, 2);
}

uint8_t *fraster_row(pixman_image_t *img, int y)
{
    return (uint8_t *)pixman_image_get_data(img) + (size_t)y * pixman_image_get_stride(img);
}

int fraster_no_memory(struct rjob *j)
{
    *j->why = "out of memory";
    return -ENOMEM;
}

void fraster_combine(struct rjob *j, pixman_region32_t *where, pixman_image_t *layer, int lx,
                     int ly, uint32_t color, unsigned rop)
{
    int n, bpp = j->bpp;
    pixman_box32_t *b = pixman_region32_rectangles(where, &n);

    for (int i = 0; i < n; i++) {
        /* a colour put as it is (a solid fill, the commonest draw) goes
         * through pixman's fill, many times faster than a ROP per pixel */
        if (!layer && rop == ROP_COPY && bpp == 4 &&
            pixman_fill(pixman_image_get_data(j->dst), pixman_image_get_stride(j->dst) / 4, 32,
                        b[i].x1, b[i].y1, b[i].x2 - b[i].x1, b[i].y2 - b[i].y1, color))
            continue;
        for (int y = b[i].y1; y < b[i].y2; y++) {
            uint8_t *drow = fraster_row(j->dst, y);
            const uint8_t *lrow = layer ? fraster_row(layer, y - ly) : NULL;

            if (lrow && rop == ROP_COPY) {
                memcpy(drow + (size_t)b[i].x1 * bpp, lrow + (size_t)(b[i].x1 - lx) * bpp,
                       (size_t)(b[i].x2 - b[i].x1) * bpp);
                continue;
            }
            for (int x = b[i].x1; x < b[i].x2; x++) {
                uint32_t s = lrow ? fraster_px(lrow, x - lx, bpp) : color;

                fraster_put(drow, x, bpp, fraster_rop_apply(rop, s, fraster_px(drow, x, bpp)));
            }
        }
    }
    pixman_region32_union(&j->changed, &j->changed, where);
}

pixman_image_t *fraster_layer(struct rjob *j, const pixman_box32_t *box)
{
    return pixman_image_create_bits(pixman_image_get_format(j->dst), box->x2 - box->x1,
                                    box->y2 - box->y1, NULL, 0);
}

void fraster_untransform(pixman_image_t *img)
{
    pixman_image_set_transform(img, NULL);
    pixman_image_set_filter(img, PIXMAN_FILTER_NEAREST, NULL, 0);
    pixman_image_set_repeat(img, PIXMAN_REPEAT_NONE);
}

int fraster_brush(struct rjob *j, pixman_region32_t *where, const struct floe_raster_brush *b,
                  unsigned rop)
{
    pixman_box32_t ext;
    pixman_image_t *layer;

    if (b->kind != FLOE_RASTER_BRUSH_PATTERN) {
        fraster_combine(j, where, NULL, 0, 0, b->kind == FLOE_RASTER_BRUSH_SOLID ? b->color : 0,
                        rop);
        return 0;
    }
    ext = *pixman_region32_extents(where);
    layer = fraster_layer(j, &ext);
    if (!layer)
        return fraster_no_memory(j);
    pixman_image_set_repeat(b->pattern, PIXMAN_REPEAT_NORMAL);
    pixman_image_composite32(PIXMAN_OP_SRC, b->pattern, NULL, layer, ext.x1 - b->x0,
                             ext.y1 - b->y0, 0, 0, 0, 0, ext.x2 - ext.x1, ext.y2 - ext.y1);
    fraster_untransform(b->pattern);
    fraster_combine(j, where, layer, ext.x1, ext.y1, 0, rop);
    pixman_image_unref(layer);
    return 0;
}
