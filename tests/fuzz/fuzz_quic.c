/* libFuzzer target for the SPICE QUIC codec (codecs/quic.c).
 * Input: a QUIC payload; the picture size is the one its header states. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/quic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Keeps each run fast and small; the decoder's own limits are unit-tested. */
#define FUZZ_MAX_PIXELS (1L << 14)
/* Decoded pictures up to this size are also coded again (the encoder's share
 * of the fuzzing; larger ones would slow every run down). */
#define FUZZ_RECODE_PIXELS (1L << 12)

/* Decodes at one stride into an exact-size buffer: ASan flags any write
 * past the last pixel of the last row. */
static int decode_at(const uint8_t *in, size_t len, int w, int h, int pitch, uint32_t **outp,
                     int *alpha)
{
    size_t words = (size_t)pitch * (h - 1) + w;
    uint32_t *out = malloc(words * 4);
    int ret;

    *outp = out;
    if (!out)
        return -ENOMEM;
    *alpha = -1;
    ret = floe_quic_decode(in, len, out, w, h, pitch * 4, alpha);
    if (ret != 0 && ret != -EBADMSG)
        abort();
    return ret;
}

/* A decoded picture, coded again as the same type, decodes to itself. */
static void recode(const uint32_t *pic, int w, int h, enum floe_quic_type type)
{
    struct floe_bytes b = { 0 };
    uint32_t *again = malloc((size_t)w * h * 4);
    int alpha = -1;

    if (!again)
        return;
    if (floe_quic_encode_type(pic, w, h, w * 4, type, &b) == 0) {
        if (floe_quic_decode(b.data, b.len, again, w, h, w * 4, &alpha) != 0 ||
            alpha != (type == FLOE_QUIC_RGBA) || memcmp(again, pic, (size_t)w * h * 4))
            abort();
    }
    floe_bytes_free(&b);
    free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct floe_quic_info info;
    uint32_t *a, *b, px;
    int w, h, ow, ra, rb, alpha_a, alpha_b;

    if (floe_quic_peek(data, size, &info) != 0) {
        if (floe_quic_decode(data, size, &px, 1, 1, 4, NULL) != -EBADMSG)
            abort();
        return 0;
    }
    if (info.width == 0 || info.height == 0 || info.width > FLOE_QUIC_MAX_DIM ||
        info.height > FLOE_QUIC_MAX_DIM || (long)info.width * info.height > FUZZ_MAX_PIXELS) {
        /* a caller expecting a 1x1 picture refuses it before allocating */
        if (floe_quic_decode(data, size, &px, 1, 1, 4, NULL) != -EBADMSG)
            abort();
        return 0;
    }
    w = (int)info.width;
    h = (int)info.height;
    /* a packed and a padded output agree */
    ra = decode_at(data, size, w, h, w, &a, &alpha_a);
    rb = decode_at(data, size, w, h, w + 1, &b, &alpha_b);
    if (a && b && ra != -ENOMEM && rb != -ENOMEM) {
        if (ra != rb || alpha_a != alpha_b || alpha_a != (info.type == FLOE_QUIC_RGBA))
            abort();
        for (int y = 0; ra == 0 && y < h; y++)
            if (memcmp(a + (size_t)y * w, b + (size_t)y * (w + 1), (size_t)w * 4))
                abort();
        if (ra == 0) {
            for (size_t i = 0; !alpha_a && i < (size_t)w * h; i++)
                if (a[i] >> 24)  /* xRGB output keeps alpha 0 */
                    abort();
            if ((long)w * h <= FUZZ_RECODE_PIXELS)
                recode(a, w, h, info.type);
        }
    }
    free(a);
    free(b);
    /* another size than the header's is refused before a pixel is written
     * (ASan watches the one-pixel buffer) */
    ow = w > 1 ? w - 1 : 2;
    if (floe_quic_decode(data, size, &px, ow, 1, ow * 4, NULL) != -EBADMSG ||
        (h > 1 && floe_quic_decode(data, size, &px, w, 1, w * 4, NULL) != -EBADMSG))
        abort();
    return 0;
}
