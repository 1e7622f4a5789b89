/* PNG read/write of xRGB pixel buffers with libpng's simplified API. */
#include "codecs/png.h"

#include <errno.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>

int floe_png_write(const char *path, const uint32_t *xrgb, int w, int h, int stride)
{
    png_image img;
    uint8_t *rgb;
    int ok;

    if (w <= 0 || h <= 0)
        return -EINVAL;
    rgb = malloc((size_t)w * h * 3);
    if (!rgb)
        return -ENOMEM;
    for (int y = 0; y < h; y++) {
        const uint32_t *row = (const uint32_t *)((const uint8_t *)xrgb + (size_t)y * stride);
        uint8_t *o = rgb + (size_t)y * w * 3;

        for (int x = 0; x < w; x++) {
            o[3 * x] = (uint8_t)(row[x] >> 16);
            o[3 * x + 1] = (uint8_t)(row[x] >> 8);
            o[3 * x + 2] = (uint8_t)row[x];
        }
    }
    memset(&img, 0, sizeof(img));
    img.version = PNG_IMAGE_VERSION;
    img.width = (png_uint_32)w;
    img.height = (png_uint_32)h;
    img.format = PNG_FORMAT_RGB;
    ok = png_image_write_to_file(&img, path, 0, rgb, w * 3, NULL);
    free(rgb);
    return ok ? 0 : -EIO;
}

int floe_png_read(const char *path, uint32_t **xrgb, int *w, int *h, long max_pixels)
{
    png_image img;
    uint32_t *px;

    memset(&img, 0, sizeof(img));
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&img, path))
        return -EIO;
    if ((long)img.width * (long)img.height > max_pixels || img.width == 0) {
        png_image_free(&img);
        return -EFBIG;
    }
    img.format = PNG_FORMAT_BGRA; /* little-endian words 0xAARRGGBB */
    px = malloc((size_t)img.width * img.height * 4);
    if (!px) {
        png_image_free(&img);
        return -ENOMEM;
    }
    if (!png_image_finish_read(&img, NULL, px, 0, NULL)) {
        free(px);
        return -EIO;
    }
    *xrgb = px;
    *w = (int)img.width;
    *h = (int)img.height;
    return 0;
}
