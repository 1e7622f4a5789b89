/* SPICE images behind pointers (SpiceImage): a bounded decoder that keeps
 * pointers into the body, and the encoder that writes one back. */
#include "protocol/spice/draw.h"

#include <errno.h>
#include <string.h>

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
    case SPICE_BITMAP_8BIT: case SPICE_BITMAP_8BIT_A: return width;
    case SPICE_BITMAP_16BIT: return (uint64_t)width * 2;
    default: return (uint64_t)width * spice_bitmap_bpp(format);
    }
}

static int is_palette_format(uint8_t format)
{
    return format >= SPICE_BITMAP_1BIT_LE && format <= SPICE_BITMAP_8BIT;
}

/* A bitmap: format, flags, size, stride, its palette (an id, a pointer, or
 * none), then the pixels. A palette format's palette is kept in the image
 * as LZ_PLT's is: by id (flags PAL_FROM_CACHE) or inline. The palette
 * pointer may be 0 (masks, 1-bit bitmaps, have none): no palette then. */
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
    if (!is_palette_format(b->format) || (b->flags & SPICE_BITMAP_PAL_FROM_CACHE) || at == 0)
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

/* data_size then the data, as most compressed types end */
static int sized_data_get(struct floe_rbuf *r, struct spice_image *img)
{
    img->data_len = floe_get_u32(r);
    img->data = floe_get_bytes(r, img->data_len);
    return r->bad ? -EBADMSG : 0;
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
    case SPICE_IMAGE_SURFACE:
        img->aux = floe_get_u32(&r);
        return r.bad ? -EBADMSG : 0;
    case SPICE_IMAGE_QUIC: case SPICE_IMAGE_LZ_RGB: case SPICE_IMAGE_GLZ_RGB:
    case SPICE_IMAGE_JPEG: case SPICE_IMAGE_LZ4:
        return sized_data_get(&r, img);
    case SPICE_IMAGE_JPEG_ALPHA:
        img->flags = floe_get_u8(&r);
        img->aux = floe_get_u32(&r);
        return sized_data_get(&r, img) || img->aux > img->data_len ? -EBADMSG : 0;
    case SPICE_IMAGE_ZLIB_GLZ_RGB:
        img->aux = floe_get_u32(&r);
        return sized_data_get(&r, img);
    case SPICE_IMAGE_LZ_PLT:
        return lz_plt_get(&whole, &r, img);
    default:
        return 0; /* known to the caller as unsupported by its type */
    }
}

/* ---- encoding ---- */

/* The palette a pointer written at `ptr_at` names: appended here. */
static void palette_put(struct floe_wbuf *w, size_t body_at, size_t ptr_at,
                        const struct spice_image *img)
{
    floe_patch_u32(w, ptr_at, (uint32_t)(w->len - body_at));
    floe_put_u64(w, img->palette_id);
    floe_put_u16(w, img->palette_len);
    floe_put_bytes(w, img->palette, (size_t)img->palette_len * 4);
}

/* The palette field of a BITMAP or LZ_PLT: the id, or a pointer (0 when
 * the image has no palette); returns where the pointer is, 0 if none. */
static size_t palette_field_put(struct floe_wbuf *w, uint8_t flags, const struct spice_image *img)
{
    size_t at = w->len;

    if (flags & SPICE_BITMAP_PAL_FROM_CACHE) {
        floe_put_u64(w, img->palette_id);
        return 0;
    }
    floe_put_u32(w, 0);
    return img->palette ? at : 0;
}

static void bitmap_put(struct floe_wbuf *w, size_t body_at, const struct spice_image *img)
{
    const struct spice_bitmap *b = &img->bitmap;
    size_t pal_at;

    floe_put_u8(w, b->format);
    floe_put_u8(w, b->flags);
    floe_put_u32(w, b->x);
    floe_put_u32(w, b->y);
    floe_put_u32(w, b->stride);
    pal_at = palette_field_put(w, b->flags, img);
    floe_put_bytes(w, img->data, img->data_len);
    if (pal_at)
        palette_put(w, body_at, pal_at, img);
}

static void lz_plt_put(struct floe_wbuf *w, size_t body_at, const struct spice_image *img)
{
    size_t pal_at;

    floe_put_u8(w, img->flags);
    floe_put_u32(w, (uint32_t)img->data_len);
    pal_at = palette_field_put(w, img->flags, img);
    floe_put_bytes(w, img->data, img->data_len);
    if (pal_at)
        palette_put(w, body_at, pal_at, img);
}

static void sized_data_put(struct floe_wbuf *w, const struct spice_image *img)
{
    floe_put_u32(w, (uint32_t)img->data_len);
    floe_put_bytes(w, img->data, img->data_len);
}

void spice_image_put(struct floe_wbuf *w, size_t body_at, const struct spice_image *img)
{
    spice_image_desc_put(w, &img->desc);
    switch (img->desc.type) {
    case SPICE_IMAGE_BITMAP:
        bitmap_put(w, body_at, img);
        break;
    case SPICE_IMAGE_SURFACE:
        floe_put_u32(w, img->aux);
        break;
    case SPICE_IMAGE_QUIC: case SPICE_IMAGE_LZ_RGB: case SPICE_IMAGE_GLZ_RGB:
    case SPICE_IMAGE_JPEG: case SPICE_IMAGE_LZ4:
        sized_data_put(w, img);
        break;
    case SPICE_IMAGE_JPEG_ALPHA:
        floe_put_u8(w, img->flags);
        floe_put_u32(w, img->aux);
        sized_data_put(w, img);
        break;
    case SPICE_IMAGE_ZLIB_GLZ_RGB:
        floe_put_u32(w, img->aux);
        sized_data_put(w, img);
        break;
    case SPICE_IMAGE_LZ_PLT:
        lz_plt_put(w, body_at, img);
        break;
    default:
        break; /* FROM_CACHE and FROM_CACHE_LOSSLESS carry nothing more */
    }
}
