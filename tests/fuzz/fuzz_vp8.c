/* libFuzzer target for the VP8 frame decoder (codecs/vp8.c), as a client
 * plays a stream: one decoder takes a run of frames in order.
 * Input: mode u8, then frames, each a u16 little-endian length and its
 * bytes. mode bits 0-2 and 3-5: the stream's size in 16-pixel steps (1 +
 * the value), or, when mode bit 6 is set, the first keyframe's own size. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "codecs/vp8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Keeps each run fast; bigger pictures are skipped. */
#define FUZZ_MAX_PIXELS (1L << 18)
#define FUZZ_MAX_FRAMES 16

static volatile uint32_t sink;

/* The next frame of the input: 0, or -1 at its end. */
static int next_frame(const uint8_t **p, size_t *left, const uint8_t **f, size_t *len)
{
    if (*left < 2)
        return -1;
    *len = (size_t)(*p)[0] | (size_t)(*p)[1] << 8;
    *p += 2;
    *left -= 2;
    if (*len > *left)
        *len = *left;
    *f = *p;
    *p += *len;
    *left -= *len;
    return 0;
}

static void stream_size(uint8_t mode, const uint8_t *p, size_t left, int *w, int *h)
{
    const uint8_t *f;
    size_t len;

    *w = 16 * (1 + (mode & 7));
    *h = 16 * (1 + (mode >> 3 & 7));
    if ((mode & 0x40) && next_frame(&p, &left, &f, &len) == 0 && !floe_vp8_is_key(f, len, w, h))
        *w = *h = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data + 1, *f;
    size_t left = size ? size - 1 : 0, len;
    struct floe_vp8_dec *d;
    uint32_t *out;
    int w, h;

    if (size < 1)
        return 0;
    stream_size(data[0], p, left, &w, &h);
    if (w <= 0 || h <= 0 || (long)w * h > FUZZ_MAX_PIXELS)
        return 0;
    /* exact size: ASan flags any write past the last row */
    out = malloc((size_t)w * h * 4);
    d = floe_vp8_dec_new();
    if (!out || !d)
        abort();
    for (int n = 0; n < FUZZ_MAX_FRAMES && next_frame(&p, &left, &f, &len) == 0; n++) {
        int ret = floe_vp8_decode(d, f, len, out, w, h, w * 4);

        if (ret != 0 && ret != -EBADMSG && ret != -ENOMEM)
            abort();
        if (ret == 0) {
            uint32_t sum = 0;

            for (size_t i = 0; i < (size_t)w * h; i++) {
                if (out[i] >> 24)
                    abort();
                sum = sum * 31 + out[i];
            }
            sink += sum;
        }
    }
    floe_vp8_dec_free(d);
    free(out);
    return 0;
}
