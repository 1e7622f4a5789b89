/* Encoders and bounded decoders for SPICE draw commands, images and cursors. */
#include "protocol/spice/draw.h"

#include <errno.h>
#include <string.h>

void spice_clip_rect(const struct spice_clip *c, uint32_t i, struct spice_rect *out)
{
    struct floe_rbuf r;

    floe_rbuf_init(&r, c->rects + (size_t)i * SPICE_SIZE_rect, SPICE_SIZE_rect);
    spice_rect_get(&r, out);
}

static int clip_get(struct floe_rbuf *r, struct spice_clip *c)
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
    return clip_get(r, &b->clip);
}

static void mask_get(struct floe_rbuf *r, struct spice_mask *m)
{
    m->flags = floe_get_u8(r);
    spice_point_get(r, &m->pos);
    m->bitmap = floe_get_u32(r);
}

unsigned spice_bitmap_bpp(uint8_t format)
{
    switch (format) {
    case SPICE_BITMAP_24BIT: return 3;
    case SPICE_BITMAP_32BIT: return 4;
    case SPICE_BITMAP_RGBA: return 4;
    default: return 0;
    }
}

uint64_t spice_bitmap_row_bytes(uint8_t format, uint32_t width)
{
    switch (format) {
    case SPICE_BITMAP_1BIT_LE: case SPICE_BITMAP_1BIT_BE: return ((uint64_t)width + 7) / 8;
    case SPICE_BITMAP_4BIT_LE: case SPICE_BITMAP_4BIT_BE: return ((uint64_t)width + 1) / 2;
    case SPICE_BITMAP_8BIT: return width;
    case SPICE_BITMAP_16BIT: return (uint64_t)width * 2;
    default: return (uint64_t)width * spice_bitmap_bpp(format);
    }
}

/* A bitmap: format, flags, size, stride, its palette (an id, a pointer, or
 * none), then the pixels. A palette format's palette is kept in the image
 * as LZ_PLT's is: by id (flags PAL_FROM_CACHE) or inline. */
static int bitmap_get(const struct floe_rbuf *whole, struct floe_rbuf *r, struct spice_image *img)
{
    struct spice_bitmap *b = &img->bitmap;
    uint32_t at = 0;

    b->format = floe_get_u8(r);
    b->flags = floe_get_u8(r);
    b->x = floe_get_u32(r);
    b->y = floe_get_u32(r);
    b->stride = floe_get_u32(r);
    if (b->flags & SPICE_BITMAP_PAL_FROM_CACHE)
        img->palette_id = floe_get_u64(r);
    else
        at = b->palette = floe_get_u32(r);
    if (r->bad || b->x != img->desc.width || b->y != img->desc.height)
        return -EBADMSG;
    if ((uint64_t)b->stride < spice_bitmap_row_bytes(b->format, b->x))
        return -EBADMSG;
    if ((uint64_t)b->stride * b->y > floe_rbuf_left(r))
        return -EBADMSG;
    img->data_len = (size_t)b->stride * b->y;
    img->data = floe_get_bytes(r, img->data_len);
    img->flags = b->flags & (SPICE_BITMAP_PAL_CACHE_ME | SPICE_BITMAP_PAL_FROM_CACHE);
    if (b->format < SPICE_BITMAP_1BIT_LE || b->format > SPICE_BITMAP_8BIT ||
        (b->flags & SPICE_BITMAP_PAL_FROM_CACHE))
        return 0;
    return spice_palette_parse(whole->p, whole->len, at, &img->palette_id, &img->palette,
                               &img->palette_len);
}

/* LZ_PLT: flags, data_size, the palette (an id, or a pointer to unique,
 * num_ents and the entries), then the data. */
static int lz_plt_get(const struct floe_rbuf *whole, struct floe_rbuf *r, struct spice_image *img)
{
    uint32_t at = 0;

    img->flags = floe_get_u8(r);
    img->data_len = floe_get_u32(r);
    if (img->flags & SPICE_BITMAP_PAL_FROM_CACHE)
        img->palette_id = floe_get_u64(r);
    else
        at = floe_get_u32(r);
    img->data = floe_get_bytes(r, img->data_len);
    if (r->bad)
        return -EBADMSG;
    if (img->flags & SPICE_BITMAP_PAL_FROM_CACHE)
        return 0;
    return spice_palette_parse(whole->p, whole->len, at, &img->palette_id, &img->palette,
                               &img->palette_len);
}

int spice_palette_parse(const uint8_t *body, size_t len, uint32_t offset, uint64_t *id,
                        const uint8_t **ents, uint16_t *n)
{
    struct floe_rbuf whole, pr;

    if (offset == 0)
        return -EBADMSG;
    floe_rbuf_init(&whole, body, len);
    floe_rbuf_at(&pr, &whole, offset);
    *id = floe_get_u64(&pr);
    *n = floe_get_u16(&pr);
    *ents = floe_get_bytes(&pr, (size_t)*n * 4);
    return pr.bad || *n == 0 ? -EBADMSG : 0;
}

int spice_image_parse(const uint8_t *body, size_t len, uint32_t offset, struct spice_image *img)
{
    struct floe_rbuf whole, r;

    floe_rbuf_init(&whole, body, len);
    floe_rbuf_at(&r, &whole, offset);
    memset(img, 0, sizeof(*img));
    spice_image_desc_get(&r, &img->desc);
    if (r.bad || offset == 0)
        return -EBADMSG;
    switch (img->desc.type) {
    case SPICE_IMAGE_BITMAP:
        return bitmap_get(&whole, &r, img);
    case SPICE_IMAGE_FROM_CACHE:
    case SPICE_IMAGE_FROM_CACHE_LOSSLESS:
        return 0;
    case SPICE_IMAGE_QUIC: case SPICE_IMAGE_LZ_RGB: case SPICE_IMAGE_GLZ_RGB:
    case SPICE_IMAGE_JPEG: case SPICE_IMAGE_LZ4:
        img->data_len = floe_get_u32(&r);
        img->data = floe_get_bytes(&r, img->data_len);
        return r.bad ? -EBADMSG : 0;
    case SPICE_IMAGE_JPEG_ALPHA:
        img->flags = floe_get_u8(&r);
        img->aux = floe_get_u32(&r);
        img->data_len = floe_get_u32(&r);
        img->data = floe_get_bytes(&r, img->data_len);
        return r.bad || img->aux > img->data_len ? -EBADMSG : 0;
    case SPICE_IMAGE_ZLIB_GLZ_RGB:
        img->aux = floe_get_u32(&r);
        img->data_len = floe_get_u32(&r);
        img->data = floe_get_bytes(&r, img->data_len);
        return r.bad ? -EBADMSG : 0;
    case SPICE_IMAGE_LZ_PLT:
        return lz_plt_get(&whole, &r, img);
    default:
        return 0; /* known to the caller as unsupported by its type */
    }
}

int spice_draw_fill_parse(const uint8_t *body, size_t len, struct spice_draw_fill *m)
{
    struct floe_rbuf r;

    floe_rbuf_init(&r, body, len);
    if (spice_display_base_get(&r, &m->base))
        return -EBADMSG;
    m->brush_type = floe_get_u8(&r);
    m->color = 0;
    if (m->brush_type == SPICE_BRUSH_SOLID) {
        m->color = floe_get_u32(&r);
    } else if (m->brush_type == SPICE_BRUSH_PATTERN) {
        (void)floe_get_u32(&r);
        (void)floe_get_u64(&r);
    } else if (m->brush_type != SPICE_BRUSH_NONE) {
        return -EBADMSG;
    }
    m->rop = floe_get_u16(&r);
    mask_get(&r, &m->mask);
    return r.bad ? -EBADMSG : 0;
}

int spice_draw_copy_parse(const uint8_t *body, size_t len, struct spice_draw_copy *m)
{
    struct floe_rbuf r;

    floe_rbuf_init(&r, body, len);
    if (spice_display_base_get(&r, &m->base))
        return -EBADMSG;
    m->src_bitmap = floe_get_u32(&r);
    spice_rect_get(&r, &m->src_area);
    m->rop = floe_get_u16(&r);
    m->scale_mode = floe_get_u8(&r);
    mask_get(&r, &m->mask);
    if (r.bad)
        return -EBADMSG;
    return spice_image_parse(body, len, m->src_bitmap, &m->image);
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

void spice_display_base_put(struct floe_wbuf *w, const struct spice_display_base *b,
                            const struct spice_rect *clip_rects)
{
    floe_put_u32(w, b->surface_id);
    spice_rect_put(w, &b->box);
    floe_put_u8(w, b->clip.type);
    if (b->clip.type == SPICE_CLIP_RECTS) {
        floe_put_u32(w, b->clip.num_rects);
        for (uint32_t i = 0; i < b->clip.num_rects; i++)
            spice_rect_put(w, &clip_rects[i]);
    }
}

static void mask_put_none(struct floe_wbuf *w)
{
    floe_put_zero(w, 13);
}

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
    ptr_at = w->len;
    floe_put_u32(w, 0);
    spice_rect_put(w, &src);
    floe_put_u16(w, SPICE_ROPD_OP_PUT);
    floe_put_u8(w, SPICE_SCALE_NEAREST);
    mask_put_none(w);
    floe_patch_u32(w, ptr_at, (uint32_t)(w->len - body_at));
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
    size_t at = draw_copy_head_put(w, body_at, b, clip_rects, desc->width, desc->height);

    spice_image_desc_put(w, desc);
    switch (desc->type) {
    case SPICE_IMAGE_FROM_CACHE:
    case SPICE_IMAGE_FROM_CACHE_LOSSLESS:
        return at;
    case SPICE_IMAGE_JPEG_ALPHA:
        floe_put_u8(w, flags);
        floe_put_u32(w, aux);
        break;
    case SPICE_IMAGE_ZLIB_GLZ_RGB:
        floe_put_u32(w, aux);
        break;
    default:
        break;
    }
    floe_put_u32(w, (uint32_t)len);
    floe_put_bytes(w, data, len);
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
