/* The images a draw operation reads (its source, a pattern, a composite
 * mask), made into SPICE images every client reads the same: 32 bits, the
 * alpha kept when the image has one, compressed with LZ (lossless and
 * stateless, so one encoding serves every client). */
#include <errno.h>
#include <stdlib.h>

#include "codecs/lz.h"
#include "server/internal.h"

int fsrv_op_image(pixman_image_t *src, size_t max_pixels, struct spice_image *out,
                  uint8_t **data)
{
    pixman_format_code_t fmt = pixman_image_get_format(src);
    int w = pixman_image_get_width(src), h = pixman_image_get_height(src);
    int alpha = PIXMAN_FORMAT_A(fmt) > 0;
    struct floe_bytes lz = { 0 };
    pixman_image_t *px;
    int rc;

    *data = NULL;
    if (w <= 0 || h <= 0 || (size_t)w * (size_t)h > max_pixels)
        return -E2BIG;
    /* every format as the 32-bit words a renderer reads it as */
    px = pixman_image_create_bits(alpha ? PIXMAN_a8r8g8b8 : PIXMAN_x8r8g8b8, w, h, NULL, 0);
    if (!px)
        return -ENOMEM;
    pixman_image_composite32(PIXMAN_OP_SRC, src, NULL, px, 0, 0, 0, 0, 0, 0, w, h);
    rc = floe_lz_encode(pixman_image_get_data(px), w, h, pixman_image_get_stride(px), alpha, &lz);
    pixman_image_unref(px);
    if (rc < 0) {
        floe_bytes_free(&lz);
        return rc;
    }
    *out = (struct spice_image){
        .desc = { .type = SPICE_IMAGE_LZ_RGB, .width = (uint32_t)w, .height = (uint32_t)h },
        .data = lz.data,
        .data_len = lz.len,
    };
    *data = lz.data;
    return 0;
}

uint64_t fsrv_op_image_id(pixman_image_t *src, int monitor)
{
    int w = pixman_image_get_width(src), h = pixman_image_get_height(src);
    int stride = pixman_image_get_stride(src);
    pixman_format_code_t fmt = pixman_image_get_format(src);
    uint32_t keep = PIXMAN_FORMAT_A(fmt) > 0 ? 0xffffffffu : 0xffffffu;
    const uint8_t *rows = (const uint8_t *)pixman_image_get_data(src);
    uint64_t x = 0xcbf29ce484222325ull ^ ((uint64_t)(uint32_t)w << 32 | (uint32_t)h);

    /* 64-bit FNV-1a over the pixels as the clients will hold them; the
     * format's tag keeps an op's image apart from a picture of the same
     * pixels (those are sent differently) */
    for (int y = 0; y < h; y++) {
        const uint32_t *row = (const uint32_t *)(rows + (ptrdiff_t)y * stride);

        for (int i = 0; i < w; i++) {
            x ^= row[i] & keep;
            x *= 0x100000001b3ull;
        }
    }
    x ^= (uint64_t)fmt * 0x9e3779b97f4a7c15ull;
    return x ^ ((uint64_t)monitor << 56) ^ (1ull << 55);
}
