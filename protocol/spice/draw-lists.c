/* The lists of variable-size elements behind DRAW_STROKE's and DRAW_TEXT's
 * pointers: paths of segments and strings of glyphs. Each list is walked
 * once and checked whole when its message is decoded; readers of one
 * element then stay inside what was checked. */
#include "protocol/spice/draw.h"

#include <errno.h>

/* the smallest a segment and a glyph can be on the wire */
#define SEG_HEAD_SIZE   5u   /* flags u8, count u32 */
#define POINT_FIX_SIZE  8u   /* x, y fixed 28.4 */
#define GLYPH_HEAD_SIZE 20u  /* render_pos, glyph_origin, width u16, height u16 */

/* One segment from r: 0, or -EBADMSG when it does not fit. */
static int seg_get(struct floe_rbuf *r, struct spice_path_seg *s)
{
    s->flags = floe_get_u8(r);
    s->count = floe_get_u32(r);
    s->points = NULL;
    if (r->bad || s->count > floe_rbuf_left(r) / POINT_FIX_SIZE)
        return -EBADMSG;
    s->points = floe_get_bytes(r, (size_t)s->count * POINT_FIX_SIZE);
    return 0;
}

int spice_path_parse(const uint8_t *body, size_t len, uint32_t offset, struct spice_path *p)
{
    struct floe_rbuf whole, r;
    struct spice_path_seg s;
    size_t start;

    floe_rbuf_init(&whole, body, len);
    floe_rbuf_at(&r, &whole, offset);
    p->num_segments = floe_get_u32(&r);
    p->segs = NULL;
    p->len = 0;
    /* the count is checked before the walk, so the walk is bounded by the body */
    if (r.bad || offset == 0 || p->num_segments > floe_rbuf_left(&r) / SEG_HEAD_SIZE)
        return -EBADMSG;
    start = r.pos;
    for (uint32_t i = 0; i < p->num_segments; i++)
        if (seg_get(&r, &s))
            return -EBADMSG;
    p->segs = r.p + start;
    p->len = r.pos - start;
    return 0;
}

int spice_path_seg_next(const struct spice_path *p, size_t *at, struct spice_path_seg *s)
{
    struct floe_rbuf whole, r;

    if (*at >= p->len)
        return -EBADMSG;
    floe_rbuf_init(&whole, p->segs, p->len);
    floe_rbuf_at(&r, &whole, *at);
    if (seg_get(&r, s))
        return -EBADMSG;
    *at += r.pos;
    return 0;
}

void spice_path_point(const struct spice_path_seg *s, uint32_t i, struct spice_point *out)
{
    struct floe_rbuf r;

    if (i >= s->count) {
        out->x = out->y = 0;
        return;
    }
    floe_rbuf_init(&r, s->points + (size_t)i * POINT_FIX_SIZE, POINT_FIX_SIZE);
    spice_point_get(&r, out);
}

void spice_path_seg_put(struct floe_wbuf *w, uint8_t flags, uint32_t count,
                        const struct spice_point *points)
{
    floe_put_u8(w, flags);
    floe_put_u32(w, count);
    for (uint32_t i = 0; i < count; i++)
        spice_point_put(w, &points[i]);
}

unsigned spice_glyph_bpp(uint8_t string_flags)
{
    if (string_flags & SPICE_STRING_FLAGS_RASTER_A1)
        return 1;
    if (string_flags & SPICE_STRING_FLAGS_RASTER_A4)
        return 4;
    if (string_flags & SPICE_STRING_FLAGS_RASTER_A8)
        return 8;
    return 0;
}

/* One glyph of `bpp` bits per pixel from r: 0, or -EBADMSG when it does
 * not fit (its size is at most 65535 rows of 65535 bytes: no overflow). */
static int glyph_get(struct floe_rbuf *r, unsigned bpp, struct spice_glyph *g)
{
    uint64_t n;

    spice_point_get(r, &g->render_pos);
    spice_point_get(r, &g->glyph_origin);
    g->width = floe_get_u16(r);
    g->height = floe_get_u16(r);
    g->data = NULL;
    g->data_len = 0;
    n = ((uint64_t)g->width * bpp + 7) / 8 * g->height;
    if (r->bad || n > floe_rbuf_left(r))
        return -EBADMSG;
    g->data_len = (size_t)n;
    g->data = floe_get_bytes(r, g->data_len);
    return 0;
}

int spice_glyph_string_parse(const uint8_t *body, size_t len, uint32_t offset,
                             struct spice_glyph_string *s)
{
    unsigned bpp;
    struct floe_rbuf whole, r;
    struct spice_glyph g;
    size_t start;

    floe_rbuf_init(&whole, body, len);
    floe_rbuf_at(&r, &whole, offset);
    s->length = floe_get_u16(&r);
    s->flags = floe_get_u8(&r);
    s->glyphs = NULL;
    s->len = 0;
    bpp = spice_glyph_bpp(s->flags);
    /* glyphs with no depth to read them by cannot be walked */
    if (r.bad || offset == 0 || (s->length && !bpp) ||
        s->length > floe_rbuf_left(&r) / GLYPH_HEAD_SIZE)
        return -EBADMSG;
    start = r.pos;
    for (uint16_t i = 0; i < s->length; i++)
        if (glyph_get(&r, bpp, &g))
            return -EBADMSG;
    s->glyphs = r.p + start;
    s->len = r.pos - start;
    return 0;
}

int spice_glyph_next(const struct spice_glyph_string *s, size_t *at, struct spice_glyph *g)
{
    struct floe_rbuf whole, r;

    if (*at >= s->len)
        return -EBADMSG;
    floe_rbuf_init(&whole, s->glyphs, s->len);
    floe_rbuf_at(&r, &whole, *at);
    if (glyph_get(&r, spice_glyph_bpp(s->flags), g))
        return -EBADMSG;
    *at += r.pos;
    return 0;
}

void spice_glyph_put(struct floe_wbuf *w, const struct spice_glyph *g)
{
    spice_point_put(w, &g->render_pos);
    spice_point_put(w, &g->glyph_origin);
    floe_put_u16(w, g->width);
    floe_put_u16(w, g->height);
    floe_put_bytes(w, g->data, g->data_len);
}
