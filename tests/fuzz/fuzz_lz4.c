/* libFuzzer target for the SPICE LZ4 decoder (codecs/lz4.c).
 * Input: 4 bytes of picture size (u16 LE width, height), then the LZ4 payload. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/lz4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Keeps each run fast and small; the decoder's own limits are unit-tested. */
#define FUZZ_MAX_PIXELS (1L << 18)

static volatile uint32_t sink;

/* Decodes at one stride into an exact-size buffer: ASan flags any write
 * past the last pixel of the last row. */
static int decode_at(const uint8_t *in, size_t len, int w, int h, int pitch, uint32_t **outp)
{
    size_t words = (size_t)pitch * (h - 1) + w;
    uint32_t *out = malloc(words * 4);
    int has_alpha = -1, ret;

    *outp = out;
    if (!out)
        return -ENOMEM;
    ret = floe_lz4_decode(in, len, out, w, h, pitch * 4, &has_alpha);
    if (ret != 0 && ret != -EBADMSG)
        abort();
    if (ret == 0) {
        uint32_t sum = 0;

        if (has_alpha != (in[1] == FLOE_LZ4_RGBA))
            abort();
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                uint32_t px = out[(size_t)y * pitch + x];

                sum = sum * 31 + px;
                if (!has_alpha && px >> 24)  /* xRGB output keeps alpha 0 */
                    abort();
            }
        sink += sum;
    }
    return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t *a, *b;
    int w, h, ra, rb;

    if (size < 4)
        return 0;
    w = data[0] | data[1] << 8;
    h = data[2] | data[3] << 8;
    data += 4;
    size -= 4;
    if (w == 0 || h == 0 || w > FLOE_LZ4_MAX_DIM || h > FLOE_LZ4_MAX_DIM) {
        uint32_t px;

        /* sizes the decoder must refuse without touching anything */
        if (floe_lz4_decode(data, size, &px, w, h, (w ? w : 1) * 4, NULL) != -EINVAL)
            abort();
        return 0;
    }
    if ((long)w * h > FUZZ_MAX_PIXELS)
        return 0;
    /* the in-place path (stride 4 * w) and the scratch path must agree */
    ra = decode_at(data, size, w, h, w, &a);
    rb = decode_at(data, size, w, h, w + 1, &b);
    if (a && b && ra != -ENOMEM && rb != -ENOMEM) {
        if (ra != rb)
            abort();
        for (int y = 0; ra == 0 && y < h; y++)
            if (memcmp(a + (size_t)y * w, b + (size_t)y * (w + 1), (size_t)w * 4))
                abort();
    }
    free(a);
    free(b);
    return 0;
}
