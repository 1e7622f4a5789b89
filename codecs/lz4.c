/* SPICE LZ4 decoder: liblz4 inflates the chunks into one packed buffer (the
 * tail of the output, or a scratch copy), then rows are widened and flipped. */
#include "codecs/lz4.h"

#include <errno.h>
#include <stdlib.h>

#include <lz4.h>

/* The picture being decoded; packed holds the inflated stream, rows first to last. */
struct lz4_image {
    uint8_t *out;        /* first byte of the top row */
    size_t stride;       /* bytes from one output row to the next */
    size_t width;
    size_t height;
    size_t bpp;          /* packed bytes per pixel */
    int format;
    const uint8_t *packed;
};

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static size_t format_bytes_per_pixel(int format)
{
    switch (format) {
    case FLOE_LZ4_RGB16: return 2;
    case FLOE_LZ4_RGB24: return 3;
    case FLOE_LZ4_RGB32:
    case FLOE_LZ4_RGBA: return 4;
    default: return 0;
    }
}

/* Inflates every chunk of in[0..end) into dst[0..total): all of it, no more.
 * Each block is bounded by what the picture still needs, so a long stream
 * fails inside liblz4 rather than writing past dst. */
static int inflate_chunks(const uint8_t *in, const uint8_t *end, uint8_t *dst, size_t total)
{
    LZ4_streamDecode_t stream;
    size_t done = 0;

    LZ4_setStreamDecode(&stream, NULL, 0);
    while (in < end) {
        size_t need = total - done;
        uint32_t clen;
        int n;

        if (end - in < 4 || need == 0)
            return -EBADMSG;
        clen = get_be32(in);
        in += 4;
        /* no valid block inflating to at most `need` bytes is longer than its bound */
        if (clen == 0 || clen > (size_t)(end - in) || clen > (size_t)LZ4_COMPRESSBOUND(need))
            return -EBADMSG;
        /* contiguous output: copies may reach back into earlier blocks */
        n = LZ4_decompress_safe_continue(&stream, (const char *)in, (char *)dst + done,
                                         (int)clen, (int)need);
        if (n <= 0)
            return -EBADMSG;
        done += (size_t)n;
        in += clen;
    }
    return done == total ? 0 : -EBADMSG;
}

/* 5-bit channel to 8 bits, replicating the top bits as client/images.c does. */
static inline uint32_t expand5(uint32_t v)
{
    return (v << 3) | (v >> 2);
}

/* One packed pixel as xRGB (ARGB for RGBA). */
static inline uint32_t read_pixel(int format, const uint8_t *p)
{
    uint32_t v;

    switch (format) {
    case FLOE_LZ4_RGB16:
        v = (uint32_t)p[1] << 8 | p[0];
        return expand5((v >> 10) & 31) << 16 | expand5((v >> 5) & 31) << 8 | expand5(v & 31);
    case FLOE_LZ4_RGB24:
    case FLOE_LZ4_RGB32:
        return (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
    default:
        return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
    }
}

/* Widens packed row y into output row y, reading each pixel before writing it.
 * In place (packed at the tail of out, stride 4 * width) a write never reaches
 * unread bytes: pixel x of row y ends at 4 * (y * width + x + 1), and the
 * next unread byte is at 4 * width * height - bpp * (width * height - (y * width + x + 1)),
 * which is no smaller as bpp <= 4. */
static void widen_rows(const struct lz4_image *im)
{
    for (size_t y = 0; y < im->height; y++) {
        const uint8_t *src = im->packed + y * im->width * im->bpp;
        uint32_t *dst = (uint32_t *)(void *)(im->out + y * im->stride);

        for (size_t x = 0; x < im->width; x++, src += im->bpp) {
            uint32_t v = read_pixel(im->format, src);

            dst[x] = v;
        }
    }
}

/* Turns a bottom-up picture top row first, swapping rows in place. */
static void flip_rows(const struct lz4_image *im)
{
    for (size_t y = 0; y < im->height / 2; y++) {
        uint32_t *a = (uint32_t *)(void *)(im->out + y * im->stride);
        uint32_t *b = (uint32_t *)(void *)(im->out + (im->height - 1 - y) * im->stride);

        for (size_t x = 0; x < im->width; x++) {
            uint32_t t = a[x];

            a[x] = b[x];
            b[x] = t;
        }
    }
}

static int check_args(const uint8_t *in, uint32_t *out, int out_w, int out_h, int out_stride)
{
    if (!in || !out || out_w <= 0 || out_h <= 0 || out_stride <= 0 || out_stride % 4)
        return -EINVAL;
    if (out_w > FLOE_LZ4_MAX_DIM || out_h > FLOE_LZ4_MAX_DIM || out_stride / 4 < out_w)
        return -EINVAL;
    if ((long)out_w * out_h > FLOE_LZ4_MAX_PIXELS)
        return -EINVAL;
    return 0;
}

int floe_lz4_decode(const uint8_t *in, size_t len, uint32_t *out, int out_w, int out_h,
                    int out_stride_bytes, int *has_alpha)
{
    struct lz4_image im;
    uint8_t *scratch = NULL, *packed;
    size_t total;
    int ret;

    ret = check_args(in, out, out_w, out_h, out_stride_bytes);
    if (ret < 0)
        return ret;
    if (len < FLOE_LZ4_HEADER_SIZE || in[0] > 1)
        return -EBADMSG;
    im.format = in[1];
    im.bpp = format_bytes_per_pixel(im.format);
    if (im.bpp == 0)
        return -EBADMSG;
    if (has_alpha)
        *has_alpha = im.format == FLOE_LZ4_RGBA;
    im.out = (uint8_t *)out;
    im.stride = (size_t)out_stride_bytes;
    im.width = (size_t)out_w;
    im.height = (size_t)out_h;
    total = im.width * im.height * im.bpp;
    if (im.stride == 4 * im.width) {
        packed = im.out + 4 * im.width * im.height - total;
    } else {
        packed = scratch = malloc(total);
        if (!scratch)
            return -ENOMEM;
    }
    im.packed = packed;
    ret = inflate_chunks(in + FLOE_LZ4_HEADER_SIZE, in + len, packed, total);
    if (ret < 0)
        goto out;
    widen_rows(&im);
    if (!in[0])
        flip_rows(&im);
out:
    free(scratch);
    return ret;
}

/* Rows go out top-down; a picture without alpha is packed as RGB24 (three
 * bytes a pixel), one with alpha as RGBA. Chunks hold whole rows, about
 * ENCODE_CHUNK input bytes each, as one LZ4 stream over the packed rows. */
#define ENCODE_CHUNK (64u << 10)

int floe_lz4_encode(const uint32_t *pixels, int width, int height, int stride_bytes,
                    int alpha, struct floe_bytes *out)
{
    size_t bpp = alpha ? 4 : 3, row_bytes, total, rows_per_chunk, done = 0;
    LZ4_stream_t *stream;
    uint8_t *packed, *p;
    int ret = -ENOMEM;

    if (!pixels || width <= 0 || height <= 0 || width > FLOE_LZ4_MAX_DIM ||
        height > FLOE_LZ4_MAX_DIM || (long)width * height > FLOE_LZ4_MAX_PIXELS ||
        stride_bytes % 4 || stride_bytes / 4 < width)
        return -EINVAL;
    row_bytes = (size_t)width * bpp;
    total = row_bytes * (size_t)height;
    packed = malloc(total);
    stream = LZ4_createStream();
    if (!packed || !stream)
        goto out;
    p = packed;
    for (int y = 0; y < height; y++) {
        const uint32_t *row = (const uint32_t *)(const void *)((const uint8_t *)pixels +
                                                               (size_t)y * stride_bytes);

        for (int x = 0; x < width; x++) {
            uint32_t v = row[x];

            *p++ = (uint8_t)v;
            *p++ = (uint8_t)(v >> 8);
            *p++ = (uint8_t)(v >> 16);
            if (alpha)
                *p++ = (uint8_t)(v >> 24);
        }
    }
    if (floe_bytes_append(out, (const uint8_t[]){ 1, alpha ? FLOE_LZ4_RGBA : FLOE_LZ4_RGB24 }, 2))
        goto out;
    rows_per_chunk = ENCODE_CHUNK / row_bytes ? ENCODE_CHUNK / row_bytes : 1;
    while (done < total) {
        size_t n = rows_per_chunk * row_bytes < total - done ? rows_per_chunk * row_bytes
                                                             : total - done;
        int bound = LZ4_compressBound((int)n), c;
        uint8_t *dst;

        if (floe_bytes_reserve(out, 4 + (size_t)bound))
            goto out;
        dst = out->data + out->len;
        c = LZ4_compress_fast_continue(stream, (const char *)packed + done, (char *)dst + 4,
                                       (int)n, bound, 1);
        if (c <= 0) {
            ret = -EINVAL;
            goto out;
        }
        dst[0] = (uint8_t)(c >> 24);
        dst[1] = (uint8_t)(c >> 16);
        dst[2] = (uint8_t)(c >> 8);
        dst[3] = (uint8_t)c;
        out->len += 4 + (size_t)c;
        done += n;
    }
    ret = 0;
out:
    LZ4_freeStream(stream);
    free(packed);
    return ret;
}

static int codec_encode(void *state, const struct floe_pic *pic, struct floe_bytes *out,
                        struct floe_coded *meta)
{
    meta->type = 109; /* SPICE_IMAGE_TYPE_LZ4 */
    meta->flags = 0;
    meta->aux = 0;
    return floe_lz4_encode(pic->pixels, pic->width, pic->height, pic->stride, pic->alpha, out);
}

static int codec_decode(void *state, const struct floe_coded *in, struct floe_pic *out)
{
    int alpha = 0, ret;

    ret = floe_lz4_decode(in->data, in->len, out->pixels, out->width, out->height, out->stride,
                          &alpha);
    out->alpha = alpha;
    return ret;
}

const struct floe_codec floe_codec_lz4 = {
    .name = "lz4",
    .type = 109,
    .encode = codec_encode,
    .decode = codec_decode,
};
