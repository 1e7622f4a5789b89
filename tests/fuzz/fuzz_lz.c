/* libFuzzer target for the SPICE LZ codec (codecs/lz.c).
 * Input: one LZ stream, decoded at its header's size into an exact-size
 * buffer by the decoder its type needs (palette streams with a palette
 * whose length the input's size picks); what decodes is encoded again and
 * must come back exact. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/lz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Keeps each run fast and small; bigger headers still go through peek,
 * and only small pictures are encoded again. */
#define FUZZ_MAX_PIXELS (1L << 20)
#define FUZZ_MAX_REENCODE (1L << 14)

static volatile uint32_t sink;

/* Encodes the decoded picture again, both as a whole and as an alpha
 * plane, and decodes each: the encoder must round-trip anything. */
static void check_reencode(const uint32_t *px, int w, int h, bool alpha)
{
    size_t n = (size_t)w * h;
    uint32_t *out = malloc(n * 4);
    struct floe_bytes b = { 0 };

    if (!out)
        return;
    if (floe_lz_encode(px, w, h, w * 4, alpha, &b) != 0 ||
        floe_lz_decode(b.data, b.len, out, w, h, w * 4, NULL) != 0)
        abort();
    for (size_t i = 0; i < n; i++)
        if (out[i] != (alpha ? px[i] : px[i] & 0x00ffffffu))
            abort();
    b.len = 0;
    memset(out, 0, n * 4);
    if (floe_lz_encode_alpha(px, w, h, w * 4, false, &b) != 0 ||
        floe_lz_decode_alpha(b.data, b.len, out, w, h, w * 4, NULL) != 0)
        abort();
    for (size_t i = 0; i < n; i++)
        if (out[i] != (px[i] & 0xff000000u))
            abort();
    floe_bytes_free(&b);
    free(out);
}

/* Palette streams: a palette of the type's full size, or (odd input sizes)
 * a shorter one so that indices past it are met. */
static void decode_palette(const uint8_t *data, size_t size, const struct floe_lz_info *info,
                           uint32_t *out)
{
    static uint32_t palette[256];
    int full = info->type <= FLOE_LZ_PLT1_BE ? 2 : info->type <= FLOE_LZ_PLT4_BE ? 16 : 256;
    int len = size & 1 ? 1 + (int)(size / 2 % (size_t)full) : full;
    int ret;

    for (int i = 0; i < 256; i++)
        palette[i] = 0xff000000u | (uint32_t)i * 0x010203u;
    ret = floe_lz_decode_plt(data, size, palette, len, out, info->width, info->height,
                             info->width * 4, NULL);
    if (ret != 0 && ret != -EBADMSG && ret != -ENOMEM)
        abort();
    if (ret == 0)  /* palette colours lose their top byte */
        for (size_t i = 0; i < (size_t)info->width * info->height; i++)
            if (out[i] >> 24)
                abort();
}

/* XXXA: only the top bytes change. */
static void decode_alpha(const uint8_t *data, size_t size, const struct floe_lz_info *info,
                         uint32_t *out)
{
    size_t n = (size_t)info->width * info->height;
    int ret;

    for (size_t i = 0; i < n; i++)
        out[i] = (uint32_t)i & 0x00ffffffu;
    ret = floe_lz_decode_alpha(data, size, out, info->width, info->height, info->width * 4, NULL);
    if (ret != 0 && ret != -EBADMSG)
        abort();
    for (size_t i = 0; i < n; i++)
        if ((out[i] & 0x00ffffffu) != ((uint32_t)i & 0x00ffffffu))
            abort();
}

static void decode_pixels(const uint8_t *data, size_t size, const struct floe_lz_info *info,
                          uint32_t *out)
{
    size_t n = (size_t)info->width * info->height;
    uint32_t sum = 0;
    int ret = floe_lz_decode(data, size, out, info->width, info->height, info->width * 4, NULL);

    if (ret != 0 && ret != -EBADMSG)
        abort();
    if (ret != 0)
        return;
    for (size_t i = 0; i < n; i++)
        sum = sum * 31 + out[i];
    sink += sum;
    if (!info->has_alpha)  /* xRGB output keeps alpha 0 */
        for (size_t i = 0; i < n; i++)
            if (out[i] >> 24)
                abort();
    if ((long)n <= FUZZ_MAX_REENCODE)
        check_reencode(out, info->width, info->height, info->has_alpha);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct floe_lz_info info;
    uint32_t *out;
    int ret = floe_lz_peek(data, size, &info);
    bool palette;

    if (ret < 0 && ret != -EOPNOTSUPP)
        return 0;
    if (info.width <= 0 || info.height <= 0 || (long)info.width * info.height > FLOE_LZ_MAX_PIXELS)
        abort();
    palette = info.type >= FLOE_LZ_PLT1_LE && info.type <= FLOE_LZ_PLT8;
    if (ret == -EOPNOTSUPP) {  /* floe_lz_decode refuses what needs another entry point */
        uint32_t px;

        if (!palette && info.type != FLOE_LZ_XXXA)
            abort();
        if (floe_lz_decode(data, size, &px, 1, 1, 4, NULL) >= 0)
            abort();
    }
    if ((long)info.width * info.height > FUZZ_MAX_PIXELS)
        return 0;
    /* exact size: ASan flags any write past the last row */
    out = malloc((size_t)info.width * info.height * 4);
    if (!out)
        return 0;
    if (palette)
        decode_palette(data, size, &info, out);
    else if (info.type == FLOE_LZ_XXXA)
        decode_alpha(data, size, &info, out);
    else
        decode_pixels(data, size, &info, out);
    /* a size other than the header's is always refused */
    if (info.width > 1 && floe_lz_decode(data, size, out, info.width - 1, info.height,
                                         info.width * 4, NULL) != -EBADMSG)
        abort();
    free(out);
    return 0;
}
