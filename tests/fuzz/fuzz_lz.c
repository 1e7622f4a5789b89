/* libFuzzer target for the SPICE LZ decoder (codecs/lz.c).
 * Input: one LZ stream, decoded at its header's size into an exact-size buffer. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/lz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Keeps each run fast and small; bigger headers still go through peek. */
#define FUZZ_MAX_PIXELS (1L << 20)

static volatile uint32_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct floe_lz_info info;
    uint32_t *out;
    int ret = floe_lz_peek(data, size, &info);

    if (ret == -EOPNOTSUPP) {
        uint32_t px;

        if (floe_lz_decode(data, size, &px, 1, 1, 4, NULL) >= 0)
            abort();
        return 0;
    }
    if (ret < 0)
        return 0;
    if (info.width <= 0 || info.height <= 0 || (long)info.width * info.height > FLOE_LZ_MAX_PIXELS)
        abort();
    if ((long)info.width * info.height > FUZZ_MAX_PIXELS)
        return 0;
    /* exact size: ASan flags any write past the last row */
    out = malloc((size_t)info.width * info.height * 4);
    if (!out)
        return 0;
    ret = floe_lz_decode(data, size, out, info.width, info.height, info.width * 4, NULL);
    if (ret != 0 && ret != -EBADMSG)
        abort();
    if (ret == 0) {
        uint32_t sum = 0;

        for (size_t i = 0; i < (size_t)info.width * info.height; i++)
            sum = sum * 31 + out[i];
        sink += sum;
        if (!info.has_alpha)  /* xRGB output keeps alpha 0 */
            for (size_t i = 0; i < (size_t)info.width * info.height; i++)
                if (out[i] >> 24)
                    abort();
    }
    /* a size other than the header's is always refused */
    if (info.width > 1 && floe_lz_decode(data, size, out, info.width - 1, info.height,
                                         info.width * 4, NULL) != -EBADMSG)
        abort();
    free(out);
    return 0;
}
