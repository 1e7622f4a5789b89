/* QXL images into self-contained pixels: every bitmap format (palettes,
 * direct or chunked data, either row order) becomes top-down 32-bit words. */
#include "server/qemu/qxl-image.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/codec.h"
#include "server/qemu/memslots.h"

/* QXL structures are little-endian and read through packed copies */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "QXL is read on little-endian hosts");

/* where the union after a QXLImageDescriptor starts */
#define IMAGE_BODY sizeof(QXLImageDescriptor)

/* A bitmap's palette, read once; ents past n are never used. */
struct palette {
    uint32_t n;
    uint32_t ents[256];
};

const char *fqxl_whyf(const char *fmt, ...)
{
    static _Thread_local char buf[160];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return buf;
}

void fqxl_image_free(struct fqxl_image *img)
{
    free(img->pixels);
    memset(img, 0, sizeof(*img));
}

static unsigned format_bits(uint8_t format)
{
    switch (format) {
    case SPICE_BITMAP_FMT_1BIT_LE:
    case SPICE_BITMAP_FMT_1BIT_BE:
        return 1;
    case SPICE_BITMAP_FMT_4BIT_LE:
    case SPICE_BITMAP_FMT_4BIT_BE:
        return 4;
    case SPICE_BITMAP_FMT_8BIT:
    case SPICE_BITMAP_FMT_8BIT_A:
        return 8;
    case SPICE_BITMAP_FMT_16BIT:
        return 16;
    case SPICE_BITMAP_FMT_24BIT:
        return 24;
    case SPICE_BITMAP_FMT_32BIT:
    case SPICE_BITMAP_FMT_RGBA:
        return 32;
    }
    return 0;
}

static int has_palette(uint8_t format)
{
    return format_bits(format) <= 8 && format != SPICE_BITMAP_FMT_8BIT_A;
}

/* The palette index of pixel x of a row in an indexed format. */
static unsigned index_at(uint8_t format, const uint8_t *row, int x)
{
    switch (format) {
    case SPICE_BITMAP_FMT_1BIT_LE:
        return row[x >> 3] >> (x & 7) & 1;
    case SPICE_BITMAP_FMT_1BIT_BE:
        return row[x >> 3] >> (7 - (x & 7)) & 1;
    case SPICE_BITMAP_FMT_4BIT_LE:
        return x & 1 ? row[x >> 1] >> 4 : row[x >> 1] & 0xf;
    case SPICE_BITMAP_FMT_4BIT_BE:
        return x & 1 ? row[x >> 1] & 0xf : row[x >> 1] >> 4;
    default:
        return row[x];
    }
}

static uint32_t expand5(uint32_t c)
{
    return c << 3 | c >> 2;
}

/* Pixel x of a row in a direct-colour format, as a word. */
static uint32_t color_at(uint8_t format, const uint8_t *row, int x)
{
    const uint8_t *p;
    uint32_t v;

    switch (format) {
    case SPICE_BITMAP_FMT_16BIT:
        v = (uint32_t)row[2 * x] | (uint32_t)row[2 * x + 1] << 8;
        return expand5(v >> 10 & 31) << 16 | expand5(v >> 5 & 31) << 8 | expand5(v & 31);
    case SPICE_BITMAP_FMT_24BIT:
        p = row + 3 * x;
        return (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
    case SPICE_BITMAP_FMT_8BIT_A:
        return (uint32_t)row[x] << 24;
    default:
        p = row + 4 * x;
        v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        return format == SPICE_BITMAP_FMT_RGBA ? v : v & 0xffffff;
    }
}

/* Converts one row of w pixels; -EINVAL (why set) for an index past the palette. */
static int convert_row(uint8_t format, const uint8_t *row, int w, const struct palette *pal,
                       int is_mask, uint32_t *out, const char **why)
{
    for (int x = 0; x < w; x++) {
        if (is_mask) {
            out[x] = index_at(format, row, x);
        } else if (has_palette(format)) {
            unsigned i = index_at(format, row, x);

            if (i >= pal->n) {
                *why = fqxl_whyf("bitmap pixel %u indexes past the palette's %u entries", i,
                                 pal->n);
                return -EINVAL;
            }
            out[x] = pal->ents[i];
        } else {
            out[x] = color_at(format, row, x);
        }
    }
    return 0;
}

static int read_palette(const struct fqxl_memslots *m, uint32_t group, QXLPHYSICAL addr,
                        unsigned bits, struct palette *pal, const char **why)
{
    QXLPalette head;
    int rc;

    if (!addr) {
        *why = "indexed bitmap without a palette";
        return -EINVAL;
    }
    rc = fqxl_memslot_read(m, group, addr, &head, sizeof(head), why);
    if (rc)
        return rc;
    if (head.num_ents > 1u << bits) {
        *why = fqxl_whyf("palette of %u entries for a bitmap of %u bits", head.num_ents, bits);
        return -EINVAL;
    }
    pal->n = head.num_ents;
    rc = fqxl_memslot_read(m, group, addr + sizeof(head), pal->ents, 4u * pal->n, why);
    if (rc)
        return rc;
    for (uint32_t i = 0; i < pal->n; i++)
        pal->ents[i] &= 0xffffff;
    return 0;
}

/* The bitmap's rows: a checked span of guest memory (direct) or a copy of
 * its chunks. */
struct rows {
    const uint8_t *guest;   /* direct: read a row at a time into `line` */
    uint8_t *copy;          /* chunked: owned */
    uint8_t *line;
    size_t stride, row_bytes;
};

static int rows_get(const struct fqxl_memslots *m, uint32_t group, const QXLBitmap *bm,
                    size_t size, struct rows *r, const char **why)
{
    size_t len;
    int rc;

    if (bm->flags & QXL_BITMAP_DIRECT) {
        r->guest = fqxl_memslot_get(m, group, bm->data, size, why);
        if (!r->guest)
            return -EFAULT;
    } else {
        rc = fqxl_chunks_copy(m, group, bm->data, FQXL_MAX_IMAGE_BYTES, FQXL_MAX_CHUNKS,
                              &r->copy, &len, why);
        if (rc)
            return rc;
        if (len < size) {
            *why = fqxl_whyf("bitmap data of %zu bytes for %zu rows of %zu", len,
                             size / r->stride, r->stride);
            return -EINVAL;
        }
    }
    r->line = malloc(r->row_bytes);
    if (!r->line) {
        *why = "out of memory";
        return -ENOMEM;
    }
    return 0;
}

/* Row y as stored; guest rows are copied first so each byte is read once. */
static const uint8_t *rows_at(struct rows *r, size_t y)
{
    if (r->copy)
        return r->copy + y * r->stride;
    memcpy(r->line, r->guest + y * r->stride, r->row_bytes);
    return r->line;
}

static int check_bitmap(const QXLBitmap *bm, int is_mask, const char **why)
{
    unsigned bits = format_bits(bm->format);

    if (!bits) {
        *why = fqxl_whyf("bitmap format %u unknown", bm->format);
        return -EINVAL;
    }
    if (is_mask && bits != 1) {
        *why = fqxl_whyf("mask of bitmap format %u, not 1 bit", bm->format);
        return -ENOTSUP;
    }
    if (bm->x == 0 || bm->y == 0) {
        *why = "bitmap of zero width or height";
        return -EINVAL;
    }
    if (bm->x > FQXL_MAX_DIM || bm->y > FQXL_MAX_DIM ||
        (uint64_t)bm->x * bm->y > FQXL_MAX_IMAGE_PIXELS) {
        *why = fqxl_whyf("bitmap of %ux%u past the limits", bm->x, bm->y);
        return -E2BIG;
    }
    if (bm->stride < ((uint64_t)bm->x * bits + 7) / 8) {
        *why = fqxl_whyf("bitmap stride %u too small for %u pixels of %u bits", bm->stride,
                         bm->x, bits);
        return -EINVAL;
    }
    if ((uint64_t)bm->stride * bm->y > FQXL_MAX_IMAGE_BYTES) {
        *why = fqxl_whyf("bitmap of %u rows of %u bytes past the limit", bm->y, bm->stride);
        return -E2BIG;
    }
    return 0;
}

static int convert_bitmap(const QXLBitmap *bm, struct rows *r, const struct palette *pal,
                          int is_mask, uint32_t *out, const char **why)
{
    int w = (int)bm->x, h = (int)bm->y, rc;

    for (int y = 0; y < h; y++) {
        size_t from = bm->flags & QXL_BITMAP_TOP_DOWN ? (size_t)y : (size_t)(h - 1 - y);

        rc = convert_row(bm->format, rows_at(r, from), w, pal, is_mask, out + (size_t)y * w,
                         why);
        if (rc)
            return rc;
    }
    return 0;
}

static int parse_bitmap(const struct fqxl_memslots *m, uint32_t group, QXLPHYSICAL addr,
                        int is_mask, struct fqxl_image *img, const char **why)
{
    struct palette pal = { 0 };
    struct rows r = { 0 };
    QXLBitmap bm;
    uint32_t *px = NULL;
    int rc;

    rc = fqxl_memslot_read(m, group, addr, &bm, sizeof(bm), why);
    if (!rc)
        rc = check_bitmap(&bm, is_mask, why);
    if (!rc && has_palette(bm.format) && !is_mask)
        rc = read_palette(m, group, bm.palette, format_bits(bm.format), &pal, why);
    if (rc)
        return rc;
    r.stride = bm.stride;
    r.row_bytes = ((size_t)bm.x * format_bits(bm.format) + 7) / 8;
    rc = rows_get(m, group, &bm, (size_t)bm.stride * bm.y, &r, why);
    if (!rc) {
        px = malloc((size_t)bm.x * bm.y * 4);
        rc = px ? convert_bitmap(&bm, &r, &pal, is_mask, px, why) : -ENOMEM;
        if (rc == -ENOMEM)
            *why = "out of memory";
    }
    free(r.copy);
    free(r.line);
    if (rc) {
        free(px);
        return rc;
    }
    img->kind = FQXL_IMAGE_PIXELS;
    img->w = (int)bm.x;
    img->h = (int)bm.y;
    img->pixels = px;
    img->alpha = bm.format == SPICE_BITMAP_FMT_RGBA || bm.format == SPICE_BITMAP_FMT_8BIT_A;
    return 0;
}

static int decode_quic(const uint8_t *data, size_t len, struct fqxl_image *img, const char **why)
{
    const struct floe_codec *c = floe_codec_by_type(SPICE_IMAGE_TYPE_QUIC);
    struct floe_coded in = { .type = SPICE_IMAGE_TYPE_QUIC, .data = data, .len = len };
    struct floe_pic pic = { .width = img->w, .height = img->h, .stride = img->w * 4 };
    int rc;

    if (!c || !c->decode || c->state_new) {
        *why = "no QUIC decoder";
        return -ENOTSUP;
    }
    pic.pixels = malloc((size_t)img->w * img->h * 4);
    if (!pic.pixels) {
        *why = "out of memory";
        return -ENOMEM;
    }
    rc = c->decode(NULL, &in, &pic);
    if (rc) {
        free(pic.pixels);
        *why = fqxl_whyf("QUIC image of %dx%d does not decode (%d)", img->w, img->h, rc);
        return rc == -ENOMEM ? -ENOMEM : -EINVAL;
    }
    img->pixels = pic.pixels;
    img->alpha = pic.alpha;
    return 0;
}

static int parse_quic(const struct fqxl_memslots *m, uint32_t group, QXLPHYSICAL addr,
                      const QXLImageDescriptor *desc, struct fqxl_image *img, const char **why)
{
    uint32_t data_size;
    uint8_t *data;
    size_t len;
    int rc;

    if (desc->width == 0 || desc->height == 0 || desc->width > FQXL_MAX_DIM ||
        desc->height > FQXL_MAX_DIM || (uint64_t)desc->width * desc->height > FQXL_MAX_IMAGE_PIXELS) {
        *why = fqxl_whyf("QUIC image of %ux%u out of range", desc->width, desc->height);
        return -E2BIG;
    }
    rc = fqxl_memslot_read(m, group, addr, &data_size, sizeof(data_size), why);
    if (rc)
        return rc;
    /* the data is a chunk chain whose first chunk lies right after data_size */
    rc = fqxl_chunks_copy(m, group, addr + sizeof(data_size), FQXL_MAX_IMAGE_BYTES,
                          FQXL_MAX_CHUNKS, &data, &len, why);
    if (rc)
        return rc;
    if (len != data_size) {
        free(data);
        *why = fqxl_whyf("QUIC data of %zu bytes where %u were announced", len, data_size);
        return -EINVAL;
    }
    img->kind = FQXL_IMAGE_PIXELS;
    img->w = (int)desc->width;
    img->h = (int)desc->height;
    rc = decode_quic(data, len, img, why);
    free(data);
    return rc;
}

static int parse_surface_image(const struct fqxl_memslots *m, uint32_t group, QXLPHYSICAL addr,
                               struct fqxl_image *img, const char **why)
{
    QXLSurfaceId sid;
    int rc = fqxl_memslot_read(m, group, addr, &sid, sizeof(sid), why);

    if (rc)
        return rc;
    if (sid.surface_id >= FQXL_MAX_SURFACES) {
        *why = fqxl_whyf("image of surface %u out of range", sid.surface_id);
        return -EINVAL;
    }
    img->kind = FQXL_IMAGE_SURFACE;
    img->surface_id = sid.surface_id;
    return 0;
}

int fqxl_image_parse(const struct fqxl_memslots *m, uint32_t group, QXLPHYSICAL addr,
                     int is_mask, struct fqxl_image *img, const char **why)
{
    QXLImageDescriptor desc;
    int rc;

    memset(img, 0, sizeof(*img));
    rc = fqxl_memslot_read(m, group, addr, &desc, sizeof(desc), why);
    if (rc)
        return rc;
    switch (desc.type) {
    case SPICE_IMAGE_TYPE_BITMAP:
        rc = parse_bitmap(m, group, addr + IMAGE_BODY, is_mask, img, why);
        break;
    case SPICE_IMAGE_TYPE_SURFACE:
        rc = is_mask ? -ENOTSUP : parse_surface_image(m, group, addr + IMAGE_BODY, img, why);
        if (is_mask)
            *why = "mask of another surface";
        break;
    case SPICE_IMAGE_TYPE_QUIC:
        rc = is_mask ? -ENOTSUP : parse_quic(m, group, addr + IMAGE_BODY, &desc, img, why);
        if (is_mask)
            *why = "mask in QUIC";
        break;
    default:
        *why = fqxl_whyf("image type %u not read", desc.type);
        rc = -ENOTSUP;
    }
    if (rc) {
        fqxl_image_free(img);
        return rc;
    }
    img->id = desc.id;
    img->flags = desc.flags;
    return 0;
}
