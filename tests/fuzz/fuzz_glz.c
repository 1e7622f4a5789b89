/* libFuzzer target for the SPICE GLZ codec (codecs/glz.c): one decoder window
 * across several images, and encoder round trips.
 * Input: a mode byte, then records of u16 LE width, height and length and
 * that many bytes. Mode bit 7 clear: each record is a GLZ stream decoded
 * into the same window (its low bits pick the window's size). Set: each
 * record's bytes are pixels, encoded with one dictionary and decoded with
 * one window, and must come back exactly. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/glz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Keeps each run fast and small; the decoder's own limits are unit-tested. */
#define FUZZ_MAX_PIXELS (1L << 16)
#define FUZZ_MAX_RECORDS 16

static volatile uint32_t sink;

static const uint32_t windows[] = { 0, 64, 1000, 1 << 14 };

static void decode_one(struct floe_glz_window *w, uint32_t limit, const uint8_t *in, size_t len,
                       int width, int height)
{
    uint8_t *copy = malloc(len ? len : 1);
    uint32_t *out = malloc((size_t)width * height * 4);
    size_t before = floe_glz_window_images(w);
    int ret;

    if (!copy || !out)
        goto out;
    memcpy(copy, in, len);
    ret = floe_glz_decode(w, copy, len, out, width, height, width * 4, NULL);
    if (ret != 0 && ret != -EBADMSG && ret != -ENOMEM)
        abort();
    if (ret != 0 && floe_glz_window_images(w) != before)
        abort();   /* a failed decode leaves the window alone */
    if (floe_glz_window_pixels(w) > limit)
        abort();
    if (ret == 0)
        for (int i = 0; i < width * height; i++)
            sink += out[i];
out:
    free(out);
    free(copy);
}

static void round_trip(struct floe_glz_dict *d, struct floe_glz_window *w, const uint8_t *in,
                       size_t len, int width, int height, bool alpha)
{
    size_t n = (size_t)width * height;
    uint32_t *px = calloc(n, 4), *out = malloc(n * 4);
    struct floe_bytes b = { 0 };
    int ret;

    if (!px || !out)
        goto out;
    /* few distinct bytes make repeats likely: spread them over the picture */
    for (size_t i = 0; i < n && len; i++)
        px[i] = (uint32_t)in[i % len] * 0x01010101u ^ (uint32_t)(i / len) * 0x00100000u;
    ret = floe_glz_encode(d, px, width, height, width * 4, alpha, &b);
    if (ret == -EINVAL)
        goto out;   /* as large as the window */
    if (ret != 0)
        abort();
    if (floe_glz_decode(w, b.data, b.len, out, width, height, width * 4, NULL) != 0)
        abort();
    for (size_t i = 0; i < n; i++)
        if (out[i] != (alpha ? px[i] : px[i] & 0x00ffffffu))
            abort();
out:
    floe_bytes_free(&b);
    free(out);
    free(px);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct floe_glz_window *w;
    struct floe_glz_dict *d = NULL;
    uint32_t limit;
    uint8_t mode;

    if (size < 1)
        return 0;
    mode = data[0];
    limit = windows[mode & 3] ? windows[mode & 3] : FLOE_GLZ_DEFAULT_WINDOW;
    data++;
    size--;
    w = floe_glz_window_new(windows[mode & 3]);
    if (mode & 0x80)
        d = floe_glz_dict_new(windows[mode & 3]);
    for (int r = 0; w && size >= 6 && r < FUZZ_MAX_RECORDS; r++) {
        int width = data[0] | data[1] << 8, height = data[2] | data[3] << 8;
        size_t len = (size_t)(data[4] | data[5] << 8);

        data += 6;
        size -= 6;
        if (len > size)
            len = size;
        if (width > 0 && height > 0 && width <= FLOE_GLZ_MAX_DIM && height <= FLOE_GLZ_MAX_DIM &&
            (long)width * height <= FUZZ_MAX_PIXELS) {
            if (d)
                round_trip(d, w, data, len, width, height, mode & 0x40);
            else
                decode_one(w, limit, data, len, width, height);
        }
        data += len;
        size -= len;
    }
    floe_glz_dict_free(d);
    floe_glz_window_free(w);
    return 0;
}
