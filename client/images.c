/* SPICE images turned into aligned 32-bit pixman images: uncompressed
 * BITMAPs (32BIT, RGBA, 24BIT, 16BIT, and 1, 4 and 8 bits with a palette,
 * top-down or not), and every compressed
 * type through the codec registry. */
#include "client/display.h"

#include "codecs/codec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* One row of a bitmap into 32-bit words; palette formats look each index
 * up in pal (n entries). */
struct row_ctx {
    uint8_t format;
    const uint32_t *pal;
    unsigned n;
};

static void row_32(uint32_t *dst, const uint8_t *src, uint32_t w, const struct row_ctx *c)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(dst, src, (size_t)w * 4);
#else
    for (uint32_t x = 0; x < w; x++)
        dst[x] = floe_le32(src + 4 * x);
#endif
}

static void row_24(uint32_t *dst, const uint8_t *src, uint32_t w, const struct row_ctx *c)
{
    for (uint32_t x = 0; x < w; x++, src += 3)
        dst[x] = (uint32_t)src[2] << 16 | (uint32_t)src[1] << 8 | src[0];
}

/* 16BIT is x555; each 5-bit channel is widened by repeating its top bits. */
static void row_16(uint32_t *dst, const uint8_t *src, uint32_t w, const struct row_ctx *c)
{
    for (uint32_t x = 0; x < w; x++, src += 2) {
        uint32_t v = floe_le16(src);
        uint32_t r = (v >> 10) & 31, g = (v >> 5) & 31, b = v & 31;

        dst[x] = (r << 3 | r >> 2) << 16 | (g << 3 | g >> 2) << 8 | (b << 3 | b >> 2);
    }
}

/* A palette format's pixel x of a row: its index into the palette. */
static unsigned index_of(uint8_t format, const uint8_t *row, uint32_t x)
{
    switch (format) {
    case SPICE_BITMAP_1BIT_LE: return row[x >> 3] >> (x & 7) & 1;
    case SPICE_BITMAP_1BIT_BE: return row[x >> 3] >> (7 - (x & 7)) & 1;
    case SPICE_BITMAP_4BIT_LE: return x & 1 ? row[x >> 1] >> 4 : row[x >> 1] & 0xf;
    case SPICE_BITMAP_4BIT_BE: return x & 1 ? row[x >> 1] & 0xf : row[x >> 1] >> 4;
    default: return row[x];
    }
}

/* Palette bitmaps (1, 4 and 8 bits): an index past the palette's end is black. */
static void row_palette(uint32_t *dst, const uint8_t *src, uint32_t w, const struct row_ctx *c)
{
    for (uint32_t x = 0; x < w; x++) {
        unsigned i = index_of(c->format, src, x);
        dst[x] = i < c->n ? c->pal[i] : 0;
    }
}

static const struct fcli_palette *palette_for(struct fcli_display *d,
                                              const struct spice_image *img);

pixman_image_t *fcli_bitmap_decode(struct fcli_display *d, const struct spice_image *img, int *err)
{
    const struct spice_bitmap *b = &img->bitmap;
    void (*row)(uint32_t *, const uint8_t *, uint32_t, const struct row_ctx *);
    struct row_ctx ctx = { .format = b->format };
    pixman_format_code_t pf = PIXMAN_x8r8g8b8;
    pixman_image_t *out;
    uint32_t *bits;
    int stride;

    switch (b->format) {
    case SPICE_BITMAP_RGBA: pf = PIXMAN_a8r8g8b8; row = row_32; break;
    case SPICE_BITMAP_32BIT: row = row_32; break;
    case SPICE_BITMAP_24BIT: row = row_24; break;
    case SPICE_BITMAP_16BIT: row = row_16; break;
    case SPICE_BITMAP_1BIT_LE: case SPICE_BITMAP_1BIT_BE:
    case SPICE_BITMAP_4BIT_LE: case SPICE_BITMAP_4BIT_BE: case SPICE_BITMAP_8BIT:
        row = row_palette;
        break;
    default:
        *err = -ENOTSUP;
        return NULL;
    }
    *err = -EBADMSG;
    if (b->x == 0 || b->y == 0 || b->x > FLOE_CLIENT_MAX_SIDE || b->y > FLOE_CLIENT_MAX_SIDE ||
        (uint64_t)b->stride < spice_bitmap_row_bytes(b->format, b->x) ||
        (uint64_t)b->stride * b->y > img->data_len)
        return NULL;
    if (row == row_palette) {
        const struct fcli_palette *p = palette_for(d, img);

        *err = -ENOENT;   /* a palette this client does not have: skip the draw */
        if (!p)
            return NULL;
        ctx.pal = p->ents;
        ctx.n = p->n;
    }
    *err = -ENOMEM;
    out = pixman_image_create_bits(pf, (int)b->x, (int)b->y, NULL, 0);
    if (!out)
        return NULL;
    bits = pixman_image_get_data(out);
    stride = pixman_image_get_stride(out) / 4;
    for (uint32_t y = 0; y < b->y; y++) {
        uint32_t src_y = (b->flags & SPICE_BITMAP_TOP_DOWN) ? y : b->y - 1 - y;

        row(bits + (size_t)y * stride, img->data + (size_t)src_y * b->stride, b->x, &ctx);
    }
    *err = 0;
    return out;
}

/* --- every other compressed type, through the codec registry ----------- */

static void free_bits(pixman_image_t *img, void *data)
{
    free(data);
}

static void palette_free(struct fcli_palette *p)
{
    free(p->ents);
    memset(p, 0, sizeof(*p));
}

void fcli_display_palettes_clear(struct fcli_display *d)
{
    for (unsigned i = 0; i < sizeof(d->palettes) / sizeof(d->palettes[0]); i++)
        palette_free(&d->palettes[i]);
    palette_free(&d->palette_tmp);
}

void fcli_display_palette_remove(struct fcli_display *d, uint64_t id)
{
    for (unsigned i = 0; i < sizeof(d->palettes) / sizeof(d->palettes[0]); i++)
        if (d->palettes[i].ents && d->palettes[i].id == id)
            palette_free(&d->palettes[i]);
}

void fcli_display_codecs_reset(struct fcli_display *d)
{
    for (int i = 0; i < FLOE_CODEC_SLOTS && floe_codecs[i]; i++) {
        if (d->codec_states[i])
            floe_codecs[i]->state_free(d->codec_states[i]);
        d->codec_states[i] = NULL;
    }
    fcli_display_palettes_clear(d);
}

static struct fcli_palette *palette_find(struct fcli_display *d, uint64_t id)
{
    for (unsigned i = 0; i < sizeof(d->palettes) / sizeof(d->palettes[0]); i++)
        if (d->palettes[i].ents && d->palettes[i].id == id)
            return &d->palettes[i];
    return NULL;
}

const struct fcli_palette *fcli_display_palette_keep(struct fcli_display *d, uint64_t id,
                                                     const uint8_t *ents, uint16_t n, int keep)
{
    unsigned slots = sizeof(d->palettes) / sizeof(d->palettes[0]);
    struct fcli_palette *p = keep ? palette_find(d, id) : NULL;

    if (keep && !p) {
        /* an empty slot, else the oldest kept (twice what servers keep) */
        for (unsigned i = 0; i < slots && !p; i++)
            if (!d->palettes[i].ents)
                p = &d->palettes[i];
        if (!p) {
            p = &d->palettes[d->palette_next];
            d->palette_next = (d->palette_next + 1) % slots;
        }
    } else if (!keep) {
        p = &d->palette_tmp;
    }
    palette_free(p);
    p->ents = malloc((size_t)(n ? n : 1) * 4);
    if (!p->ents)
        return NULL;
    p->id = id;
    p->n = n;
    for (unsigned i = 0; i < n; i++)
        p->ents[i] = floe_le32(ents + 4 * i);
    return p;
}

/* The palette an LZ_PLT image uses: its own (kept when it says CACHE_ME) or
 * one kept before. NULL when it names one not kept. */
static const struct fcli_palette *palette_for(struct fcli_display *d,
                                              const struct spice_image *img)
{
    if (img->flags & SPICE_BITMAP_PAL_FROM_CACHE)
        return palette_find(d, img->palette_id);
    return fcli_display_palette_keep(d, img->palette_id, img->palette, img->palette_len,
                                     img->flags & SPICE_BITMAP_PAL_CACHE_ME);
}

pixman_image_t *fcli_coded_image_decode(struct fcli_display *d, const struct spice_image *img,
                                        int *err)
{
    const struct floe_codec *codec = floe_codec_by_type(img->desc.type);
    uint32_t w = img->desc.width, h = img->desc.height;
    struct floe_coded in = { img->desc.type, img->flags, img->aux, NULL, 0, img->data,
                             img->data_len };
    struct floe_pic pic = { 0 };
    void *state = NULL;
    pixman_image_t *out;
    int idx = -1;

    *err = -ENOTSUP;
    if (!codec || !codec->decode)
        return NULL;
    *err = -EBADMSG;
    if (w == 0 || h == 0 || w > FLOE_CLIENT_MAX_SIDE || h > FLOE_CLIENT_MAX_SIDE ||
        (uint64_t)w * h > (1ull << 26))
        return NULL;
    pic.width = (int)w;
    pic.height = (int)h;
    pic.stride = (int)w * 4;
    if (img->desc.type == SPICE_IMAGE_LZ_PLT) {
        const struct fcli_palette *p = palette_for(d, img);

        *err = -ENOENT;   /* a palette this client does not have: skip the draw */
        if (!p)
            return NULL;
        in.palette = p->ents;
        in.palette_len = p->n;
    }
    idx = floe_codec_state_slot(codec);
    if (codec->state_new && idx >= 0 && idx < FLOE_CODEC_SLOTS) {
        struct floe_codec_params params = { .glz_window = d->glz_window };

        if (!d->codec_states[idx])
            d->codec_states[idx] = codec->state_new(&params);
        state = d->codec_states[idx];
        *err = -ENOMEM;
        if (!state)
            return NULL;
    }
    *err = -ENOMEM;
    pic.pixels = malloc((size_t)w * h * 4);
    if (!pic.pixels)
        return NULL;
    *err = codec->decode(state, &in, &pic);
    if (*err) {
        free(pic.pixels);
        return NULL;
    }
    out = pixman_image_create_bits(pic.alpha ? PIXMAN_a8r8g8b8 : PIXMAN_x8r8g8b8, (int)w, (int)h,
                                   pic.pixels, (int)w * 4);
    if (!out) {
        free(pic.pixels);
        *err = -ENOMEM;
        return NULL;
    }
    pixman_image_set_destroy_function(out, free_bits, pic.pixels);
    return out;
}
