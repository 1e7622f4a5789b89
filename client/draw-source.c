/* Where a draw message's pixels come from: the surfaces it names, and the
 * images it carries or names (bitmaps, compressed images, the image cache,
 * other surfaces), decoded into pixman images; 1-bit masks as A1 images.
 * What changed is recorded for the viewer. */
#include "client/display.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "protocol/spice/varmsgs.h"


static const char *const image_type_names[] = {
    [SPICE_IMAGE_BITMAP] = "BITMAP", [SPICE_IMAGE_QUIC] = "QUIC",
    [SPICE_IMAGE_LZ_PLT] = "LZ_PLT", [SPICE_IMAGE_LZ_RGB] = "LZ_RGB",
    [SPICE_IMAGE_GLZ_RGB] = "GLZ_RGB", [SPICE_IMAGE_FROM_CACHE] = "FROM_CACHE",
    [SPICE_IMAGE_SURFACE] = "SURFACE", [SPICE_IMAGE_JPEG] = "JPEG",
    [SPICE_IMAGE_FROM_CACHE_LOSSLESS] = "FROM_CACHE_LOSSLESS",
    [SPICE_IMAGE_ZLIB_GLZ_RGB] = "ZLIB_GLZ_RGB", [SPICE_IMAGE_JPEG_ALPHA] = "JPEG_ALPHA",
    [SPICE_IMAGE_LZ4] = "LZ4",
};

static const char *image_type_name(uint8_t t)
{
    if (t < sizeof(image_type_names) / sizeof(image_type_names[0]) && image_type_names[t])
        return image_type_names[t];
    return "unknown";
}

void fcli_display_warn_once(uint8_t *flag, const char *what, unsigned v)
{
    if (*flag)
        return;
    *flag = 1;
    floe_warn("display: %s %u not supported yet, skipped (logged once)", what, v);
}

struct fcli_surface *fcli_display_surface(struct fcli_display *d, uint32_t id)
{
    struct fcli_surface *s = id < FLOE_CLIENT_MAX_SURFACES ? d->surfaces[id] : NULL;

    if (!s)
        floe_err("display: draw on surface %u that does not exist", id);
    return s;
}

void fcli_display_touched(struct fcli_display *d, struct fcli_surface *s, pixman_region32_t *rgn)
{
    d->draws++;
    if (!s->primary)
        return;
    pixman_region32_union(&d->damage, &d->damage, rgn);
    d->dirty = 1;
}

static void cache_placeholder(struct fcli_display *d, const struct spice_image *img)
{
    if (img->desc.flags & SPICE_IMAGE_CACHE_ME)
        fcli_image_cache_put(&d->cache, img->desc.id, NULL,
                             (uint64_t)img->desc.width * img->desc.height);
}

static int image_bitmap(struct fcli_display *d, const struct spice_image *img,
                        pixman_image_t **out)
{
    int err;
    pixman_image_t *px = fcli_bitmap_decode(d, img, &err);

    if (!px && err == -ENOTSUP) {
        fcli_display_warn_once(&d->warned_misc[FCLI_WARN_BITMAP], "bitmap format", img->bitmap.format);
        cache_placeholder(d, img);
        return 1;
    }
    if (!px && err == -ENOENT) {
        fcli_display_warn_once(&d->warned_misc[FCLI_WARN_PALETTE], "bitmap with a palette not kept, id",
                  (unsigned)img->palette_id);
        cache_placeholder(d, img);
        return 1;
    }
    if (!px) {
        if (err == -EBADMSG)
            floe_err("display: bitmap %ux%u stride %u does not fit its data", img->bitmap.x,
                     img->bitmap.y, img->bitmap.stride);
        return err;
    }
    if (img->desc.flags & SPICE_IMAGE_CACHE_ME)
        fcli_image_cache_put(&d->cache, img->desc.id, px,
                             (uint64_t)img->desc.width * img->desc.height);
    *out = px;
    return 0;
}

static int image_coded(struct fcli_display *d, const struct spice_image *img,
                       pixman_image_t **out)
{
    int err;
    pixman_image_t *px = fcli_coded_image_decode(d, img, &err);

    if (!px && (err == -EOPNOTSUPP || err == -ENOTSUP)) {
        fcli_display_warn_once(&d->warned_image[img->desc.type], "image type (no decoder, skipped)",
                  img->desc.type);
        cache_placeholder(d, img);
        return 1;
    }
    if (!px && err == -ENOENT) {
        fcli_display_warn_once(&d->warned_misc[FCLI_WARN_PALETTE], "LZ_PLT image with a palette not kept, id",
                  (unsigned)img->palette_id);
        cache_placeholder(d, img);
        return 1;
    }
    if (!px) {
        floe_err("display: %s image %ux%u does not decode", image_type_name(img->desc.type),
                 img->desc.width, img->desc.height);
        return err;
    }
    if (img->desc.flags & SPICE_IMAGE_CACHE_ME)
        fcli_image_cache_put(&d->cache, img->desc.id, px,
                             (uint64_t)img->desc.width * img->desc.height);
    *out = px;
    return 0;
}

static int image_from_cache(struct fcli_display *d, const struct spice_image *img,
                            pixman_image_t **out)
{
    pixman_image_t *px;

    if (!fcli_image_cache_get(&d->cache, img->desc.id, &px)) {
        if (!d->warned_misc[FCLI_WARN_CACHE_MISS] && (d->warned_misc[FCLI_WARN_CACHE_MISS] = 1))
            floe_warn("display: image %llu is not in the cache, draw skipped",
                      (unsigned long long)img->desc.id);
        return 1;
    }
    if (!px)
        return 1; /* an image floe could not decode when it arrived */
    *out = pixman_image_ref(px);
    return 0;
}

/* FLOE_DUMP_IMAGES=DIR writes each compressed image's payload to
 * DIR/img-SEQ-tTYPE-WxH-fFLAGS-aAUX.bin: test data from real encoders. */
static void dump_image(const struct spice_image *img)
{
    static unsigned seq;
    const char *dir = getenv("FLOE_DUMP_IMAGES");
    char path[4096];
    FILE *f;

    if (!dir || !*dir || !img->data || img->desc.type == SPICE_IMAGE_BITMAP)
        return;
    snprintf(path, sizeof(path), "%s/img-%05u-t%u-%ux%u-f%u-a%u.bin", dir, seq++, img->desc.type,
             img->desc.width, img->desc.height, img->flags, img->aux);
    f = fopen(path, "wb");
    if (!f)
        return;
    if (fwrite(img->data, 1, img->data_len, f) != img->data_len)
        floe_warn("display: could not write %s", path);
    fclose(f);
}

int fcli_draw_image(struct fcli_display *d, const uint8_t *body, size_t len, uint32_t offset,
                     const struct spice_image *img, pixman_image_t **out)
{
    uint32_t sid;

    *out = NULL;
    dump_image(img);
    switch (img->desc.type) {
    case SPICE_IMAGE_BITMAP:
        /* a palette sent with a bitmap may be named by later LZ_PLT images */
        if ((img->bitmap.flags & SPICE_BITMAP_PAL_CACHE_ME) &&
            !(img->bitmap.flags & SPICE_BITMAP_PAL_FROM_CACHE) && img->bitmap.palette) {
            const uint8_t *ents;
            uint64_t pid;
            uint16_t n;

            if (spice_palette_parse(body, len, img->bitmap.palette, &pid, &ents, &n))
                return -EBADMSG;
            fcli_display_palette_keep(d, pid, ents, n, 1);
        }
        return image_bitmap(d, img, out);
    case SPICE_IMAGE_FROM_CACHE:
    case SPICE_IMAGE_FROM_CACHE_LOSSLESS:
        return image_from_cache(d, img, out);
    case SPICE_IMAGE_SURFACE:
        if (spice_image_surface_parse(body, len, offset, &sid) || !fcli_display_surface(d, sid))
            return -EBADMSG;
        *out = pixman_image_ref(d->surfaces[sid]->image);
        return 0;
    case SPICE_IMAGE_QUIC: case SPICE_IMAGE_LZ_PLT: case SPICE_IMAGE_LZ_RGB:
    case SPICE_IMAGE_GLZ_RGB: case SPICE_IMAGE_JPEG: case SPICE_IMAGE_ZLIB_GLZ_RGB:
    case SPICE_IMAGE_JPEG_ALPHA: case SPICE_IMAGE_LZ4:
        return image_coded(d, img, out);
    default:
        if (!d->warned_image[img->desc.type]) {
            d->warned_image[img->desc.type] = 1;
            floe_warn("display: %s images (type %u) not supported yet, skipped (logged once)",
                      image_type_name(img->desc.type), img->desc.type);
        }
        cache_placeholder(d, img);
        return 1;
    }
}

/* A 1-bit BITMAP as an A1 image, top row first, leftmost pixel in a word's
 * low bit as pixman keeps it. NULL on no memory or a bitmap of another
 * format or too short (-EBADMSG in *err). */
static pixman_image_t *mask_bits(const struct spice_image *img, int *err)
{
    const struct spice_bitmap *b = &img->bitmap;
    size_t row_bytes = ((size_t)b->x + 7) / 8;
    pixman_image_t *m;
    uint8_t *out;
    int stride, be = b->format == SPICE_BITMAP_1BIT_BE;

    *err = -EBADMSG;
    if ((b->format != SPICE_BITMAP_1BIT_LE && !be) || !b->x || !b->y ||
        b->x > FLOE_CLIENT_MAX_SIDE || b->y > FLOE_CLIENT_MAX_SIDE || b->stride < row_bytes ||
        (uint64_t)b->stride * (b->y - 1) + row_bytes > img->data_len)
        return NULL;
    *err = -ENOMEM;
    m = pixman_image_create_bits(PIXMAN_a1, (int)b->x, (int)b->y, NULL, 0);
    if (!m)
        return NULL;
    out = (uint8_t *)pixman_image_get_data(m);
    stride = pixman_image_get_stride(m);
    for (uint32_t y = 0; y < b->y; y++) {
        const uint8_t *row = img->data + (size_t)b->stride *
                             (b->flags & SPICE_BITMAP_TOP_DOWN ? y : b->y - 1 - y);

        for (uint32_t x = 0; x < b->x; x++) {
            int on = be ? row[x / 8] & (0x80 >> (x % 8)) : row[x / 8] & (1 << (x % 8));

            if (on)
                out[(size_t)y * stride + 4 * (x / 32) + (x % 32) / 8] |=
                    (uint8_t)(1u << (x % 8));
        }
    }
    *err = 0;
    return m;
}

int fcli_draw_mask(struct fcli_display *d, const struct spice_mask *mask, pixman_image_t **out)
{
    const struct spice_image *img = &mask->image;
    pixman_image_t *m;
    int err;

    *out = NULL;
    if (!mask->bitmap)
        return 0;
    if (img->desc.type == SPICE_IMAGE_FROM_CACHE ||
        img->desc.type == SPICE_IMAGE_FROM_CACHE_LOSSLESS) {
        if (!fcli_image_cache_get(&d->cache, img->desc.id, &m) || !m ||
            pixman_image_get_format(m) != PIXMAN_a1) {
            floe_warn("display: mask %llu is not in the cache, draw skipped",
                      (unsigned long long)img->desc.id);
            return 1;
        }
        *out = pixman_image_ref(m);
        return 0;
    }
    m = mask_bits(img, &err);
    if (!m) {
        if (err == -EBADMSG)
            floe_err("display: a mask that is not a 1-bit bitmap of its size");
        return err;
    }
    if (img->desc.flags & SPICE_IMAGE_CACHE_ME)
        fcli_image_cache_put(&d->cache, img->desc.id, m, (uint64_t)img->desc.width * img->desc.height);
    *out = m;
    return 0;
}
