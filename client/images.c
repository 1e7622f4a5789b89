/* SPICE images turned into aligned 32-bit pixman images: uncompressed
 * BITMAPs (32BIT, RGBA, 24BIT, 16BIT, top-down or not), LZ_RGB and LZ4. */
#include "client/display.h"

#include "codecs/lz.h"
#include "codecs/lz4.h"

#include <errno.h>
#include <string.h>

static void row_32(uint32_t *dst, const uint8_t *src, uint32_t w)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(dst, src, (size_t)w * 4);
#else
    for (uint32_t x = 0; x < w; x++)
        dst[x] = floe_le32(src + 4 * x);
#endif
}

static void row_24(uint32_t *dst, const uint8_t *src, uint32_t w)
{
    for (uint32_t x = 0; x < w; x++, src += 3)
        dst[x] = (uint32_t)src[2] << 16 | (uint32_t)src[1] << 8 | src[0];
}

/* 16BIT is x555; each 5-bit channel is widened by repeating its top bits. */
static void row_16(uint32_t *dst, const uint8_t *src, uint32_t w)
{
    for (uint32_t x = 0; x < w; x++, src += 2) {
        uint32_t v = floe_le16(src);
        uint32_t r = (v >> 10) & 31, g = (v >> 5) & 31, b = v & 31;

        dst[x] = (r << 3 | r >> 2) << 16 | (g << 3 | g >> 2) << 8 | (b << 3 | b >> 2);
    }
}

pixman_image_t *floe_bitmap_decode(const struct spice_image *img, int *err)
{
    const struct spice_bitmap *b = &img->bitmap;
    void (*row)(uint32_t *, const uint8_t *, uint32_t);
    pixman_format_code_t pf = PIXMAN_x8r8g8b8;
    unsigned bpp;
    pixman_image_t *out;
    uint32_t *bits;
    int stride;

    switch (b->format) {
    case SPICE_BITMAP_RGBA: pf = PIXMAN_a8r8g8b8; row = row_32; bpp = 4; break;
    case SPICE_BITMAP_32BIT: row = row_32; bpp = 4; break;
    case SPICE_BITMAP_24BIT: row = row_24; bpp = 3; break;
    case 6 /* 16BIT */: row = row_16; bpp = 2; break;
    default:
        *err = -ENOTSUP;
        return NULL;
    }
    *err = -EBADMSG;
    if (b->x == 0 || b->y == 0 || b->x > FLOE_CLIENT_MAX_SIDE || b->y > FLOE_CLIENT_MAX_SIDE ||
        (uint64_t)b->stride < (uint64_t)b->x * bpp ||
        (uint64_t)b->stride * b->y > img->data_len)
        return NULL;
    *err = -ENOMEM;
    out = pixman_image_create_bits(pf, (int)b->x, (int)b->y, NULL, 0);
    if (!out)
        return NULL;
    bits = pixman_image_get_data(out);
    stride = pixman_image_get_stride(out) / 4;
    for (uint32_t y = 0; y < b->y; y++) {
        uint32_t src_y = (b->flags & SPICE_BITMAP_TOP_DOWN) ? y : b->y - 1 - y;

        row(bits + (size_t)y * stride, img->data + (size_t)src_y * b->stride, b->x);
    }
    *err = 0;
    return out;
}

pixman_image_t *floe_lz_image_decode(const struct spice_image *img, int *err)
{
    struct floe_lz_info info;
    pixman_image_t *out;
    int rc = floe_lz_peek(img->data, img->data_len, &info);

    *err = rc;
    if (rc)
        return NULL;
    *err = -EBADMSG;
    if ((uint32_t)info.width != img->desc.width || (uint32_t)info.height != img->desc.height ||
        info.width > FLOE_CLIENT_MAX_SIDE || info.height > FLOE_CLIENT_MAX_SIDE)
        return NULL;
    *err = -ENOMEM;
    out = pixman_image_create_bits(info.has_alpha ? PIXMAN_a8r8g8b8 : PIXMAN_x8r8g8b8,
                                   (int)info.width, (int)info.height, NULL, 0);
    if (!out)
        return NULL;
    *err = floe_lz_decode(img->data, img->data_len, pixman_image_get_data(out), (int)info.width,
                          (int)info.height, pixman_image_get_stride(out), &info);
    if (*err) {
        pixman_image_unref(out);
        return NULL;
    }
    return out;
}

pixman_image_t *floe_lz4_image_decode(const struct spice_image *img, int *err)
{
    uint32_t w = img->desc.width, h = img->desc.height;
    pixman_image_t *out;
    int alpha;

    *err = -EBADMSG;
    if (img->data_len < 2 || w == 0 || h == 0 || w > FLOE_CLIENT_MAX_SIDE ||
        h > FLOE_CLIENT_MAX_SIDE)
        return NULL;
    *err = -ENOMEM;
    /* the format byte says whether the picture has alpha */
    out = pixman_image_create_bits(img->data[1] == SPICE_BITMAP_RGBA ? PIXMAN_a8r8g8b8
                                                                     : PIXMAN_x8r8g8b8,
                                   (int)w, (int)h, NULL, 0);
    if (!out)
        return NULL;
    *err = floe_lz4_decode(img->data, img->data_len, pixman_image_get_data(out), (int)w, (int)h,
                           pixman_image_get_stride(out), &alpha);
    if (*err) {
        pixman_image_unref(out);
        return NULL;
    }
    return out;
}
