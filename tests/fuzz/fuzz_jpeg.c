/* libFuzzer target for the JPEG and JPEG_ALPHA decoders (codecs/jpeg.c).
 * Input: mode u8, flags u8, jpeg_size u32 little-endian, then the payload.
 * mode bit 0: JPEG_ALPHA; bit 1: a descriptor size from the mode's high
 * bits instead of the JPEG header's; bit 2: jpeg_size is where the first
 * EOI marker ends rather than the field. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <turbojpeg.h>

#include "codecs/jpeg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Keeps each run fast; bigger pictures are skipped. */
#define FUZZ_MAX_PIXELS (1L << 18)
#define PREFIX 6

static struct floe_jpeg *jpeg;
static tjhandle peek;

static volatile uint32_t sink;

/* The JPEG's own size, or 0 x 0 when its header does not parse. */
static void header_size(const uint8_t *p, size_t len, int *w, int *h)
{
    int subsamp, colorspace;

    *w = *h = 0;
    if (len == 0 || tjDecompressHeader3(peek, p, (unsigned long)len, w, h, &subsamp,
                                        &colorspace) < 0)
        *w = *h = 0;
}

static uint32_t eoi_end(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++)
        if (p[i] == 0xff && p[i + 1] == 0xd9)
            return (uint32_t)(i + 2);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *payload = data + PREFIX;
    size_t len = size - PREFIX;
    uint32_t jpeg_size, *out;
    uint8_t mode, flags;
    int w, h, ret;

    if (size < PREFIX)
        return 0;
    if (!jpeg && !(jpeg = floe_jpeg_new()))
        abort();
    if (!peek && !(peek = tjInitDecompress()))
        abort();
    mode = data[0];
    flags = data[1];
    jpeg_size = (uint32_t)data[2] | (uint32_t)data[3] << 8 | (uint32_t)data[4] << 16 |
                (uint32_t)data[5] << 24;
    if (mode & 4)
        jpeg_size = eoi_end(payload, len);
    if (mode & 2) {
        w = 1 + (mode >> 3 & 7);
        h = 1 + (mode >> 6);
    } else {
        header_size(payload, mode & 1 ? (jpeg_size < len ? jpeg_size : len) : len, &w, &h);
    }
    if (w <= 0 || h <= 0 || (long)w * h > FUZZ_MAX_PIXELS)
        return 0;
    /* exact size: ASan flags any write past the last row */
    out = malloc((size_t)w * h * 4);
    if (!out)
        return 0;
    if (mode & 1)
        ret = floe_jpeg_alpha_decode(jpeg, payload, len, jpeg_size, flags, out, w, h, w * 4);
    else
        ret = floe_jpeg_decode(jpeg, payload, len, out, w, h, w * 4);
    if (ret != 0 && ret != -EBADMSG && ret != -ENOMEM)
        abort();
    if (ret == 0) {
        uint32_t sum = 0;

        for (size_t i = 0; i < (size_t)w * h; i++) {
            if (!(mode & 1) && out[i] >> 24)  /* plain JPEG: alpha 0 */
                abort();
            sum = sum * 31 + out[i];
        }
        sink += sum;
    }
    free(out);
    return 0;
}
