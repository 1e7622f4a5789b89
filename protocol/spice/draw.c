/* Encoders and bounded decoders for SPICE draw commands and cursors, and
 * the parts draw commands share: display base, brush, mask, image pointers. */
#include "protocol/spice/draw.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

void spice_clip_rect(const struct spice_clip *c, uint32_t i, struct spice_rect *out)
{
    struct floe_rbuf r;

    floe_rbuf_init(&r, c->rects + (size_t)i * SPICE_SIZE_rect, SPICE_SIZE_rect);
    spice_rect_get(&r, out);
}

int spice_clip_get(struct floe_rbuf *r, struct spice_clip *c)
{
    c->type = floe_get_u8(r);
    c->num_rects = 0;
    c->rects = NULL;
    if (c->type == SPICE_CLIP_NONE)
        return r->bad ? -EBADMSG : 0;
    if (c->type != SPICE_CLIP_RECTS)
        return -EBADMSG;
    c->num_rects = floe_get_u32(r);
    if (r->bad || c->num_rects > floe_rbuf_left(r) / SPICE_SIZE_rect)
        return -EBADMSG;
    c->rects = floe_get_bytes(r, (size_t)c->num_rects * SPICE_SIZE_rect);
    return 0;
}

int spice_display_base_get(struct floe_rbuf *r, struct spice_display_base *b)
{
    b->surface_id = floe_get_u32(r);
    spice_rect_get(r, &b->box);
    return spice_clip_get(r, &b->clip);
}

/* ---- decoding: the shared parts ---- */

/* A message's start: `whole` over its body, `r` just past its display base. */
static int base_start(const uint8_t *body, size_t len, struct floe_rbuf *whole,
                      struct floe_rbuf *r, struct spice_display_base *b)
{
    floe_rbuf_init(whole, body, len);
    *r = *whole;
    return spice_display_base_get(r, b);
}

/* A pointer to an image that must be there: its offset, then the image. */
static int image_ptr_get(const struct floe_rbuf *whole, struct floe_rbuf *r, uint32_t *offset,
                         struct spice_image *img)
{
    *offset = floe_get_u32(r);
    if (r->bad)
        return -EBADMSG;
    return spice_image_parse(whole->p, whole->len, *offset, img);
}

/* A mask's image is 1 bit deep, or one the client has: canvases refuse
 * anything else. */
static int mask_image_ok(const struct spice_image *img)
{
    switch (img->desc.type) {
    case SPICE_IMAGE_BITMAP:
        return img->bitmap.format == SPICE_BITMAP_1BIT_LE ||
               img->bitmap.format == SPICE_BITMAP_1BIT_BE;
    case SPICE_IMAGE_FROM_CACHE:
    case SPICE_IMAGE_FROM_CACHE_LOSSLESS:
        return 1;
    default:
        return 0;
    }
}

static int mask_get(const struct floe_rbuf *whole, struct floe_rbuf *r, struct spice_mask *m)
{
    m->flags = floe_get_u8(r);
    spice_point_get(r, &m->pos);
    m->bitmap = floe_get_u32(r);
    memset(&m->image, 0, sizeof(m->image));
    if (r->bad)
        return -EBADMSG;
    if (m->bitmap == 0)
        return 0;
    if (spice_image_parse(whole->p, whole->len, m->bitmap, &m->image) || !mask_image_ok(&m->image))
        return -EBADMSG;
    return 0;
}

static int brush_get(const struct floe_rbuf *whole, struct floe_rbuf *r, struct spice_brush *b)
{
    memset(b, 0, sizeof(*b));
    b->type = floe_get_u8(r);
    switch (b->type) {
    case SPICE_BRUSH_NONE:
        break;
    case SPICE_BRUSH_SOLID:
        b->color = floe_get_u32(r);
        break;
    case SPICE_BRUSH_PATTERN:
        if (image_ptr_get(whole, r, &b->pat, &b->image))
            return -EBADMSG;
        spice_point_get(r, &b->pos);
        break;
    default:
        return -EBADMSG;
    }
    return r->bad ? -EBADMSG : 0;
}

/* flags; with STYLED, style_nseg and a pointer to that many fixed 28.4 */
static int line_attr_get(const struct floe_rbuf *whole, struct floe_rbuf *r,
                         struct spice_line_attr *a)
{
    struct floe_rbuf sr;

    memset(a, 0, sizeof(*a));
    a->flags = floe_get_u8(r);
    if (!(a->flags & SPICE_LINE_FLAGS_STYLED))
        return r->bad ? -EBADMSG : 0;
    a->style_nseg = floe_get_u8(r);
    a->style = floe_get_u32(r);
    if (r->bad || (a->style == 0 && a->style_nseg != 0))
        return -EBADMSG;
    floe_rbuf_at(&sr, whole, a->style);
    a->styles = floe_get_bytes(&sr, (size_t)a->style_nseg * 4);
    return sr.bad ? -EBADMSG : 0;
}

int32_t spice_line_style(const struct spice_line_attr *a, uint8_t i)
{
    struct floe_rbuf r;

    if (i >= a->style_nseg)
        return 0;
    floe_rbuf_init(&r, a->styles + (size_t)i * 4, 4);
    return floe_get_i32(&r);
}

/* ---- decoding: the messages ---- */

int spice_draw_fill_parse(const uint8_t *body, size_t len, struct spice_draw_fill *m)
{
    struct floe_rbuf whole, r;

    if (base_start(body, len, &whole, &r, &m->base) || brush_get(&whole, &r, &m->brush))
        return -EBADMSG;
    m->rop = floe_get_u16(&r);
    return mask_get(&whole, &r, &m->mask);
}

int spice_draw_opaque_parse(const uint8_t *body, size_t len, struct spice_draw_opaque *m)
{
    struct floe_rbuf whole, r;

    if (base_start(body, len, &whole, &r, &m->base) ||
        image_ptr_get(&whole, &r, &m->src_bitmap, &m->image))
        return -EBADMSG;
    spice_rect_get(&r, &m->src_area);
    if (brush_get(&whole, &r, &m->brush))
        return -EBADMSG;
    m->rop = floe_get_u16(&r);
    m->scale_mode = floe_get_u8(&r);
    return mask_get(&whole, &r, &m->mask);
}

int spice_draw_copy_parse(const uint8_t *body, size_t len, struct spice_draw_copy *m)
{
    struct floe_rbuf whole, r;

    if (base_start(body, len, &whole, &r, &m->base) ||
        image_ptr_get(&whole, &r, &m->src_bitmap, &m->image))
        return -EBADMSG;
    spice_rect_get(&r, &m->src_area);
    m->rop = floe_get_u16(&r);
    m->scale_mode = floe_get_u8(&r);
    return mask_get(&whole, &r, &m->mask);
}

int spice_draw_mask_only_parse(const uint8_t *body, size_t len, struct spice_draw_mask_only *m)
{
    struct floe_rbuf whole, r;

    if (base_start(body, len, &whole, &r, &m->base))
        return -EBADMSG;
    return mask_get(&whole, &r, &m->mask);
}

int spice_draw_rop3_parse(const uint8_t *body, size_t len, struct spice_draw_rop3 *m)
{
    struct floe_rbuf whole, r;

    if (base_start(body, len, &whole, &r, &m->base) ||
        image_ptr_get(&whole, &r, &m->src_bitmap, &m->image))
        return -EBADMSG;
    spice_rect_get(&r, &m->src_area);
    if (brush_get(&whole, &r, &m->brush))
        return -EBADMSG;
    m->rop3 = floe_get_u8(&r);
    m->scale_mode = floe_get_u8(&r);
    return mask_get(&whole, &r, &m->mask);
}

int spice_draw_stroke_parse(const uint8_t *body, size_t len, struct spice_draw_stroke *m)
{
    struct floe_rbuf whole, r;

    if (base_start(body, len, &whole, &r, &m->base))
        return -EBADMSG;
    m->path_offset = floe_get_u32(&r);
    if (r.bad || spice_path_parse(body, len, m->path_offset, &m->path) ||
        line_attr_get(&whole, &r, &m->attr) || brush_get(&whole, &r, &m->brush))
        return -EBADMSG;
    m->fore_mode = floe_get_u16(&r);
    m->back_mode = floe_get_u16(&r);
    return r.bad ? -EBADMSG : 0;
}

int spice_draw_text_parse(const uint8_t *body, size_t len, struct spice_draw_text *m)
{
    struct floe_rbuf whole, r;

    if (base_start(body, len, &whole, &r, &m->base))
        return -EBADMSG;
    m->str_offset = floe_get_u32(&r);
    if (r.bad || spice_glyph_string_parse(body, len, m->str_offset, &m->str))
        return -EBADMSG;
    spice_rect_get(&r, &m->back_area);
    if (brush_get(&whole, &r, &m->fore_brush) || brush_get(&whole, &r, &m->back_brush))
        return -EBADMSG;
    m->fore_mode = floe_get_u16(&r);
    m->back_mode = floe_get_u16(&r);
    return r.bad ? -EBADMSG : 0;
}

int spice_draw_transparent_parse(const uint8_t *body, size_t len,
                                 struct spice_draw_transparent *m)
{
    struct floe_rbuf whole, r;

    if (base_start(body, len, &whole, &r, &m->base) ||
        image_ptr_get(&whole, &r, &m->src_bitmap, &m->image))
        return -EBADMSG;
    spice_rect_get(&r, &m->src_area);
    m->src_color = floe_get_u32(&r);
    m->true_color = floe_get_u32(&r);
    return r.bad ? -EBADMSG : 0;
}

int spice_draw_alpha_blend_parse(const uint8_t *body, size_t len,
                                 struct spice_draw_alpha_blend *m)
{
    struct floe_rbuf whole, r;

    if (base_start(body, len, &whole, &r, &m->base))
        return -EBADMSG;
    m->alpha_flags = floe_get_u8(&r);
    m->alpha = floe_get_u8(&r);
    if (image_ptr_get(&whole, &r, &m->src_bitmap, &m->image))
        return -EBADMSG;
    spice_rect_get(&r, &m->src_area);
    return r.bad ? -EBADMSG : 0;
}

int spice_draw_composite_parse(const uint8_t *body, size_t len, struct spice_draw_composite *m)
{
    struct floe_rbuf whole, r;

    if (base_start(body, len, &whole, &r, &m->base))
        return -EBADMSG;
    m->flags = floe_get_u32(&r);
    m->mask_bitmap = 0;
    memset(&m->mask_image, 0, sizeof(m->mask_image));
    memset(&m->src_transform, 0, sizeof(m->src_transform));
    memset(&m->mask_transform, 0, sizeof(m->mask_transform));
    if (image_ptr_get(&whole, &r, &m->src_bitmap, &m->image))
        return -EBADMSG;
    if ((m->flags & SPICE_COMPOSITE_HAS_MASK) &&
        image_ptr_get(&whole, &r, &m->mask_bitmap, &m->mask_image))
        return -EBADMSG;
    if (m->flags & SPICE_COMPOSITE_HAS_SRC_TRANSFORM)
        spice_transform_get(&r, &m->src_transform);
    if (m->flags & SPICE_COMPOSITE_HAS_MASK_TRANSFORM)
        spice_transform_get(&r, &m->mask_transform);
    spice_point16_get(&r, &m->src_origin);
    spice_point16_get(&r, &m->mask_origin);
    return r.bad ? -EBADMSG : 0;
}

int spice_copy_bits_parse(const uint8_t *body, size_t len, struct spice_copy_bits *m)
{
    struct floe_rbuf r;

    floe_rbuf_init(&r, body, len);
    if (spice_display_base_get(&r, &m->base))
        return -EBADMSG;
    spice_point_get(&r, &m->src_pos);
    return r.bad ? -EBADMSG : 0;
}

int spice_cursor_get(struct floe_rbuf *r, struct spice_cursor *c)
{
    c->flags = floe_get_u16(r);
    c->data = NULL;
    c->data_len = 0;
    if (c->flags & SPICE_CURSOR_FLAG_NONE)
        return r->bad ? -EBADMSG : 0;
    spice_cursor_header_get(r, &c->header);
    if (r->bad)
        return -EBADMSG;
    c->data_len = floe_rbuf_left(r);
    c->data = floe_get_bytes(r, c->data_len);
    /* a cursor from the client's cache carries its header but no pixels */
    if (!(c->flags & SPICE_CURSOR_FLAG_FROM_CACHE) && c->header.type == SPICE_CURSOR_TYPE_ALPHA &&
        c->data_len < (size_t)c->header.width * c->header.height * 4)
        return -EBADMSG;
    return 0;
}

/* ---- encoding: the shared parts ---- */

void spice_clip_put(struct floe_wbuf *w, const struct spice_clip *c,
                    const struct spice_rect *clip_rects)
{
    floe_put_u8(w, c->type);
    if (c->type != SPICE_CLIP_RECTS)
        return;
    floe_put_u32(w, c->num_rects);
    if (!clip_rects) {
        floe_put_bytes(w, c->rects, (size_t)c->num_rects * SPICE_SIZE_rect);
        return;
    }
    for (uint32_t i = 0; i < c->num_rects; i++)
        spice_rect_put(w, &clip_rects[i]);
}

void spice_display_base_put(struct floe_wbuf *w, const struct spice_display_base *b,
                            const struct spice_rect *clip_rects)
{
    floe_put_u32(w, b->surface_id);
    spice_rect_put(w, &b->box);
    spice_clip_put(w, &b->clip, clip_rects);
}

/* The image pointers of a body being written: each is written as 0 and
 * noted, and images_put appends the images after the fixed part and points
 * the pointers at them. No message has more than three. */
struct images {
    size_t body_at;
    unsigned n;
    size_t at[3];
    const struct spice_image *img[3];
};

static size_t ptr_put(struct floe_wbuf *w)
{
    size_t at = w->len;

    floe_put_u32(w, 0);
    return at;
}

/* Points the pointer written at `at` to what is written next. */
static void ptr_here(struct floe_wbuf *w, size_t body_at, size_t at)
{
    floe_patch_u32(w, at, (uint32_t)(w->len - body_at));
}

static void image_ptr_put(struct floe_wbuf *w, struct images *t, const struct spice_image *img)
{
    assert(t->n < sizeof(t->at) / sizeof(t->at[0]));
    t->at[t->n] = ptr_put(w);
    t->img[t->n++] = img;
}

static void images_put(struct floe_wbuf *w, const struct images *t)
{
    for (unsigned i = 0; i < t->n; i++) {
        ptr_here(w, t->body_at, t->at[i]);
        spice_image_put(w, t->body_at, t->img[i]);
    }
}

static void mask_put(struct floe_wbuf *w, struct images *t, const struct spice_mask *m)
{
    floe_put_u8(w, m->flags);
    spice_point_put(w, &m->pos);
    if (m->bitmap)
        image_ptr_put(w, t, &m->image);
    else
        floe_put_u32(w, 0);
}

static void mask_put_none(struct floe_wbuf *w)
{
    floe_put_zero(w, 13);
}

static void brush_put(struct floe_wbuf *w, struct images *t, const struct spice_brush *b)
{
    floe_put_u8(w, b->type);
    if (b->type == SPICE_BRUSH_SOLID) {
        floe_put_u32(w, b->color);
    } else if (b->type == SPICE_BRUSH_PATTERN) {
        image_ptr_put(w, t, &b->image);
        spice_point_put(w, &b->pos);
    }
}

/* ---- encoding: the messages ---- */

void spice_draw_fill_brush_put(struct floe_wbuf *w, size_t body_at,
                               const struct spice_draw_fill *m,
                               const struct spice_rect *clip_rects)
{
    struct images t = { .body_at = body_at };

    spice_display_base_put(w, &m->base, clip_rects);
    brush_put(w, &t, &m->brush);
    floe_put_u16(w, m->rop);
    mask_put(w, &t, &m->mask);
    images_put(w, &t);
}

void spice_draw_opaque_put(struct floe_wbuf *w, size_t body_at, const struct spice_draw_opaque *m,
                           const struct spice_rect *clip_rects)
{
    struct images t = { .body_at = body_at };

    spice_display_base_put(w, &m->base, clip_rects);
    image_ptr_put(w, &t, &m->image);
    spice_rect_put(w, &m->src_area);
    brush_put(w, &t, &m->brush);
    floe_put_u16(w, m->rop);
    floe_put_u8(w, m->scale_mode);
    mask_put(w, &t, &m->mask);
    images_put(w, &t);
}

void spice_draw_copy_put(struct floe_wbuf *w, size_t body_at, const struct spice_draw_copy *m,
                         const struct spice_rect *clip_rects)
{
    struct images t = { .body_at = body_at };

    spice_display_base_put(w, &m->base, clip_rects);
    image_ptr_put(w, &t, &m->image);
    spice_rect_put(w, &m->src_area);
    floe_put_u16(w, m->rop);
    floe_put_u8(w, m->scale_mode);
    mask_put(w, &t, &m->mask);
    images_put(w, &t);
}

void spice_draw_mask_only_put(struct floe_wbuf *w, size_t body_at,
                              const struct spice_draw_mask_only *m,
                              const struct spice_rect *clip_rects)
{
    struct images t = { .body_at = body_at };

    spice_display_base_put(w, &m->base, clip_rects);
    mask_put(w, &t, &m->mask);
    images_put(w, &t);
}

void spice_draw_rop3_put(struct floe_wbuf *w, size_t body_at, const struct spice_draw_rop3 *m,
                         const struct spice_rect *clip_rects)
{
    struct images t = { .body_at = body_at };

    spice_display_base_put(w, &m->base, clip_rects);
    image_ptr_put(w, &t, &m->image);
    spice_rect_put(w, &m->src_area);
    brush_put(w, &t, &m->brush);
    floe_put_u8(w, m->rop3);
    floe_put_u8(w, m->scale_mode);
    mask_put(w, &t, &m->mask);
    images_put(w, &t);
}

void spice_draw_stroke_put(struct floe_wbuf *w, size_t body_at, const struct spice_draw_stroke *m,
                           const struct spice_rect *clip_rects)
{
    const struct spice_line_attr *a = &m->attr;
    struct images t = { .body_at = body_at };
    size_t path_at, style_at = 0;

    spice_display_base_put(w, &m->base, clip_rects);
    path_at = ptr_put(w);
    floe_put_u8(w, a->flags);
    if (a->flags & SPICE_LINE_FLAGS_STYLED) {
        floe_put_u8(w, a->style_nseg);
        style_at = ptr_put(w);
    }
    brush_put(w, &t, &m->brush);
    floe_put_u16(w, m->fore_mode);
    floe_put_u16(w, m->back_mode);
    ptr_here(w, body_at, path_at);
    floe_put_u32(w, m->path.num_segments);
    floe_put_bytes(w, m->path.segs, m->path.len);
    if (style_at) {
        ptr_here(w, body_at, style_at);
        floe_put_bytes(w, a->styles, (size_t)a->style_nseg * 4);
    }
    images_put(w, &t);
}

void spice_draw_text_put(struct floe_wbuf *w, size_t body_at, const struct spice_draw_text *m,
                         const struct spice_rect *clip_rects)
{
    struct images t = { .body_at = body_at };
    size_t str_at;

    spice_display_base_put(w, &m->base, clip_rects);
    str_at = ptr_put(w);
    spice_rect_put(w, &m->back_area);
    brush_put(w, &t, &m->fore_brush);
    brush_put(w, &t, &m->back_brush);
    floe_put_u16(w, m->fore_mode);
    floe_put_u16(w, m->back_mode);
    ptr_here(w, body_at, str_at);
    floe_put_u16(w, m->str.length);
    floe_put_u8(w, m->str.flags);
    floe_put_bytes(w, m->str.glyphs, m->str.len);
    images_put(w, &t);
}

void spice_draw_transparent_put(struct floe_wbuf *w, size_t body_at,
                                const struct spice_draw_transparent *m,
                                const struct spice_rect *clip_rects)
{
    struct images t = { .body_at = body_at };

    spice_display_base_put(w, &m->base, clip_rects);
    image_ptr_put(w, &t, &m->image);
    spice_rect_put(w, &m->src_area);
    floe_put_u32(w, m->src_color);
    floe_put_u32(w, m->true_color);
    images_put(w, &t);
}

void spice_draw_alpha_blend_put(struct floe_wbuf *w, size_t body_at,
                                const struct spice_draw_alpha_blend *m,
                                const struct spice_rect *clip_rects)
{
    struct images t = { .body_at = body_at };

    spice_display_base_put(w, &m->base, clip_rects);
    floe_put_u8(w, m->alpha_flags);
    floe_put_u8(w, m->alpha);
    image_ptr_put(w, &t, &m->image);
    spice_rect_put(w, &m->src_area);
    images_put(w, &t);
}

void spice_draw_composite_put(struct floe_wbuf *w, size_t body_at,
                              const struct spice_draw_composite *m,
                              const struct spice_rect *clip_rects)
{
    struct images t = { .body_at = body_at };

    spice_display_base_put(w, &m->base, clip_rects);
    floe_put_u32(w, m->flags);
    image_ptr_put(w, &t, &m->image);
    if (m->flags & SPICE_COMPOSITE_HAS_MASK)
        image_ptr_put(w, &t, &m->mask_image);
    if (m->flags & SPICE_COMPOSITE_HAS_SRC_TRANSFORM)
        spice_transform_put(w, &m->src_transform);
    if (m->flags & SPICE_COMPOSITE_HAS_MASK_TRANSFORM)
        spice_transform_put(w, &m->mask_transform);
    spice_point16_put(w, &m->src_origin);
    spice_point16_put(w, &m->mask_origin);
    images_put(w, &t);
}

/* ---- encoding: the short forms the server sends today ---- */

void spice_draw_fill_put(struct floe_wbuf *w, const struct spice_display_base *b,
                         const struct spice_rect *clip_rects, uint32_t color)
{
    spice_display_base_put(w, b, clip_rects);
    floe_put_u8(w, SPICE_BRUSH_SOLID);
    floe_put_u32(w, color);
    floe_put_u16(w, SPICE_ROPD_OP_PUT);
    mask_put_none(w);
}

void spice_copy_bits_put(struct floe_wbuf *w, const struct spice_display_base *b,
                         const struct spice_rect *clip_rects, struct spice_point src)
{
    spice_display_base_put(w, b, clip_rects);
    spice_point_put(w, &src);
}

/* The DRAW_COPY fields before the image, whose pointer is patched to point
 * just after them; returns where the image starts. */
static size_t draw_copy_head_put(struct floe_wbuf *w, size_t body_at,
                                 const struct spice_display_base *b,
                                 const struct spice_rect *clip_rects, uint32_t width,
                                 uint32_t height)
{
    size_t ptr_at;
    struct spice_rect src = { 0, 0, (int32_t)height, (int32_t)width };

    spice_display_base_put(w, b, clip_rects);
    ptr_at = ptr_put(w);
    spice_rect_put(w, &src);
    floe_put_u16(w, SPICE_ROPD_OP_PUT);
    floe_put_u8(w, SPICE_SCALE_NEAREST);
    mask_put_none(w);
    ptr_here(w, body_at, ptr_at);
    return w->len;
}

size_t spice_draw_copy_bitmap_put(struct floe_wbuf *w, size_t body_at,
                                  const struct spice_display_base *b,
                                  const struct spice_rect *clip_rects, uint64_t image_id,
                                  uint32_t width, uint32_t height, const uint8_t *pixels,
                                  uint32_t stride)
{
    struct spice_image_desc desc = { image_id, SPICE_IMAGE_BITMAP, 0, width, height };
    struct spice_bitmap bmp = { SPICE_BITMAP_32BIT, SPICE_BITMAP_TOP_DOWN, width, height,
                                width * 4, 0 };

    size_t at = draw_copy_head_put(w, body_at, b, clip_rects, width, height);

    spice_image_desc_put(w, &desc);
    spice_bitmap_put(w, &bmp);
    for (uint32_t y = 0; y < height; y++)
        floe_put_bytes(w, pixels + (size_t)y * stride, (size_t)width * 4);
    return at;
}

size_t spice_draw_copy_image_put(struct floe_wbuf *w, size_t body_at,
                                 const struct spice_display_base *b,
                                 const struct spice_rect *clip_rects,
                                 const struct spice_image_desc *desc, uint8_t flags,
                                 uint32_t aux, const uint8_t *data, size_t len)
{
    struct spice_image img = { .desc = *desc, .flags = flags, .aux = aux, .data = data,
                               .data_len = len };
    size_t at = draw_copy_head_put(w, body_at, b, clip_rects, desc->width, desc->height);

    spice_image_put(w, body_at, &img);
    return at;
}

void spice_cursor_put(struct floe_wbuf *w, uint16_t flags, const struct spice_cursor_header *h,
                      const uint8_t *data, size_t len)
{
    floe_put_u16(w, flags);
    if (flags & SPICE_CURSOR_FLAG_NONE)
        return;
    spice_cursor_header_put(w, h);
    floe_put_bytes(w, data, len);
}
