/* libFuzzer target for SPICE ZLIB_GLZ_RGB (codecs/zlib_glz.c): inflate with
 * a stated glz_data_size, then GLZ into one window across several images.
 * Input: records of u16 LE width, height, u32 LE glz_data_size, u16 LE
 * length and that many bytes of zlib data. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/zlib_glz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_PIXELS (1L << 16)
#define FUZZ_MAX_RECORDS 16

static volatile uint32_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct floe_glz_window *w = floe_glz_window_new(1 << 16);

    for (int r = 0; w && size >= 10 && r < FUZZ_MAX_RECORDS; r++) {
        int width = data[0] | data[1] << 8, height = data[2] | data[3] << 8;
        uint32_t glz_size = (uint32_t)data[4] | (uint32_t)data[5] << 8 |
                            (uint32_t)data[6] << 16 | (uint32_t)data[7] << 24;
        size_t len = (size_t)(data[8] | data[9] << 8);
        uint8_t *copy;
        uint32_t *out;
        int ret;

        data += 10;
        size -= 10;
        if (len > size)
            len = size;
        if (width > 0 && height > 0 && width <= FLOE_GLZ_MAX_DIM && height <= FLOE_GLZ_MAX_DIM &&
            (long)width * height <= FUZZ_MAX_PIXELS) {
            copy = malloc(len ? len : 1);
            out = malloc((size_t)width * height * 4);
            if (copy && out) {
                memcpy(copy, data, len);
                ret = floe_zlib_glz_decode(w, copy, len, glz_size, out, width, height,
                                           width * 4, NULL);
                if (ret != 0 && ret != -EBADMSG && ret != -ENOMEM)
                    abort();
                if (ret == 0)
                    sink += out[0];
            }
            free(out);
            free(copy);
        }
        data += len;
        size -= len;
    }
    floe_glz_window_free(w);
    return 0;
}
