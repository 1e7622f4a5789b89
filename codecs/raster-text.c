/* TEXT: the back area filled with the back brush, then the glyphs, put
 * together into one coverage mask (1-bit glyphs into an A1 mask, 4- and
 * 8-bit ones into an A8 mask, overlaps taking the larger coverage), the
 * fore brush composited OVER the surface through it, as SPICE's software
 * canvas draws a string. */
#include <errno.h>
#include <string.h>

#include "codecs/raster-internal.h"

/* The union of the glyphs' boxes, within `lim`. 0 when it is empty. */
static int bounds_of(const struct floe_raster_op *op, const pixman_box32_t *lim, pixman_box32_t *b)
{
    for (uint32_t i = 0; i < op->n_glyphs; i++) {
        const struct floe_raster_glyph *g = &op->glyphs[i];
        pixman_box32_t gb = { g->x, g->y, g->x + g->w, g->y + g->h };

        if (i == 0) {
            *b = gb;
            continue;
        }
        b->x1 = gb.x1 < b->x1 ? gb.x1 : b->x1;
        b->y1 = gb.y1 < b->y1 ? gb.y1 : b->y1;
        b->x2 = gb.x2 > b->x2 ? gb.x2 : b->x2;
        b->y2 = gb.y2 > b->y2 ? gb.y2 : b->y2;
    }
    b->x1 = b->x1 > lim->x1 ? b->x1 : lim->x1;
    b->y1 = b->y1 > lim->y1 ? b->y1 : lim->y1;
    b->x2 = b->x2 < lim->x2 ? b->x2 : lim->x2;
    b->y2 = b->y2 < lim->y2 ? b->y2 : lim->y2;
    return b->x2 > b->x1 && b->y2 > b->y1;
}

/* Glyph pixel (x, y) (top row 0) as 0..255 coverage. */
static unsigned glyph_px(const struct floe_raster_glyph *g, int bpp, int x, int y)
{
    size_t row_bytes = ((size_t)g->w * bpp + 7) / 8;
    const uint8_t *row = g->rows + (size_t)(g->h - 1 - y) * row_bytes;

    switch (bpp) {
    case 1:
        return row[x / 8] & (0x80 >> (x % 8)) ? 0xff : 0;
    case 4:
        return x % 2 ? (uint8_t)(row[x / 2] << 4) : row[x / 2] & 0xf0;
    default:
        return row[x];
    }
}

/* Every glyph's pixels within the mask's box `b`, into the mask. */
static void glyphs_put(const struct floe_raster_op *op, pixman_image_t *mask, const pixman_box32_t *b)
{
    int bpp = op->glyph_bpp;

    for (uint32_t i = 0; i < op->n_glyphs; i++) {
        const struct floe_raster_glyph *g = &op->glyphs[i];
        int x1 = g->x > b->x1 ? g->x : b->x1, x2 = g->x + g->w < b->x2 ? g->x + g->w : b->x2;
        int y1 = g->y > b->y1 ? g->y : b->y1, y2 = g->y + g->h < b->y2 ? g->y + g->h : b->y2;

        for (int y = y1; y < y2; y++) {
            uint8_t *mrow = fraster_row(mask, y - b->y1);

            for (int x = x1; x < x2; x++) {
                unsigned v = glyph_px(g, bpp, x - g->x, y - g->y);
                int mx = x - b->x1;

                if (bpp == 1) {
                    /* pixman's A1 holds the leftmost pixel in a word's low bit */
                    uint32_t word;

                    if (!v)
                        continue;
                    memcpy(&word, mrow + 4 * (size_t)(mx / 32), 4);
                    word |= 1u << (mx % 32);
                    memcpy(mrow + 4 * (size_t)(mx / 32), &word, 4);
                } else if (v > mrow[mx]) {
                    mrow[mx] = (uint8_t)v;
                }
            }
        }
    }
}

/* The fore brush as an image to composite from, its (0,0) on the mask's
 * origin as the canvas places it: a solid colour, or the pattern shifted
 * by its position and repeated. */
static pixman_image_t *fore_image(struct rjob *j, int *pattern)
{
    const struct floe_raster_brush *b = &j->op->brush;
    pixman_transform_t t;

    *pattern = 0;
    if (b->kind == FLOE_RASTER_BRUSH_SOLID) {
        pixman_color_t c;
        uint32_t v = b->color;

        if (j->bpp != 2) { /* 8 bits a channel (an A8 surface takes only the alpha) */
            c.blue = (uint16_t)((v & 0xff) * 0x101);
            c.green = (uint16_t)(((v >> 8) & 0xff) * 0x101);
            c.red = (uint16_t)(((v >> 16) & 0xff) * 0x101);
        } else {
            c.blue = (uint16_t)(((v & 0x1f) * 0xffff) / 0x1f);
            c.green = (uint16_t)((((v >> 5) & 0x1f) * 0xffff) / 0x1f);
            c.red = (uint16_t)((((v >> 10) & 0x1f) * 0xffff) / 0x1f);
        }
        c.alpha = 0xffff;
        return pixman_image_create_solid_fill(&c);
    }
    if (b->kind != FLOE_RASTER_BRUSH_PATTERN)
        return NULL;
    *pattern = 1;
    pixman_transform_init_translate(&t, pixman_int_to_fixed(-b->x0), pixman_int_to_fixed(-b->y0));
    pixman_image_set_transform(b->pattern, &t);
    pixman_image_set_repeat(b->pattern, PIXMAN_REPEAT_NORMAL);
    return pixman_image_ref(b->pattern);
}

static int fore_draw(struct rjob *j)
{
    const struct floe_raster_op *op = j->op;
    pixman_box32_t b, str;
    pixman_image_t *mask, *brush;
    int pattern, w, h;

    if (!op->n_glyphs || !bounds_of(op, pixman_region32_extents(&j->region), &b))
        return 0;
    /* where the whole string's mask would start: the pattern is placed from there */
    bounds_of(op, &(pixman_box32_t){ INT32_MIN, INT32_MIN, INT32_MAX, INT32_MAX }, &str);
    w = b.x2 - b.x1;
    h = b.y2 - b.y1;
    mask = pixman_image_create_bits(op->glyph_bpp == 1 ? PIXMAN_a1 : PIXMAN_a8, w, h, NULL, 0);
    if (!mask)
        return fraster_no_memory(j);
    glyphs_put(op, mask, &b);
    brush = fore_image(j, &pattern);
    if (brush) {
        pixman_image_set_clip_region32(j->dst, &j->region);
        pixman_image_composite32(PIXMAN_OP_OVER, brush, mask, j->dst, b.x1 - str.x1,
                                 b.y1 - str.y1, 0, 0, b.x1, b.y1, w, h);
        pixman_image_set_clip_region32(j->dst, NULL);
        if (pattern)
            fraster_untransform(brush);
        pixman_image_unref(brush);
        pixman_region32_t drawn;

        pixman_region32_init_rect(&drawn, b.x1, b.y1, (unsigned)w, (unsigned)h);
        pixman_region32_intersect(&drawn, &drawn, &j->region);
        pixman_region32_union(&j->changed, &j->changed, &drawn);
        pixman_region32_fini(&drawn);
    }
    pixman_image_unref(mask);
    return 0;
}

int fraster_text(struct rjob *j)
{
    const struct floe_raster_op *op = j->op;
    const struct floe_raster_rect *ba = &op->back_area;
    int rc = 0;

    /* a back area counts unless it has no width or height */
    if (ba->right != ba->left && ba->bottom != ba->top) {
        pixman_region32_t back;

        /* with a back area the canvas draws only a PUT string */
        if (op->fore_mode != RD_OP_PUT)
            return 0;
        pixman_region32_init(&back);
        if (ba->right > ba->left && ba->bottom > ba->top)
            pixman_region32_init_rect(&back, ba->left, ba->top, (unsigned)(ba->right - ba->left),
                                      (unsigned)(ba->bottom - ba->top));
        pixman_region32_intersect(&back, &back, &j->region);
        if (pixman_region32_not_empty(&back))
            rc = fraster_brush(j, &back, &op->back_brush, ROP_COPY);
        pixman_region32_fini(&back);
    }
    return rc ? rc : fore_draw(j);
}
