/* ZLIB_GLZ_RGB: zlib around GLZ. Decoding checks glz_data_size against the
 * picture, inflates into a buffer of exactly that size, then GLZ-decodes. */
#include "codecs/zlib_glz.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include <zlib.h>

size_t floe_zlib_glz_max_glz_size(int width, int height)
{
    /* per pass and pixel at most 8 bytes: a one-pixel match with the longest
     * offset and image distance forms; the alpha pass costs no more */
    size_t n = (size_t)width * (size_t)height;

    return FLOE_GLZ_HEADER_SIZE + 16 * n + 64;
}

/* Inflates all of in[0..len) into dst[0..size): exactly, with nothing after. */
static int inflate_exact(const uint8_t *in, size_t len, uint8_t *dst, size_t size)
{
    z_stream z = { 0 };
    int zr;

    if (len > UINT_MAX || size > UINT_MAX)
        return -EBADMSG;
    if (inflateInit(&z) != Z_OK)
        return -ENOMEM;
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    z.next_out = dst;
    z.avail_out = (uInt)size;
    zr = inflate(&z, Z_FINISH);
    inflateEnd(&z);
    if (zr == Z_MEM_ERROR)
        return -ENOMEM;
    if (zr != Z_STREAM_END || z.avail_out != 0 || z.avail_in != 0)
        return -EBADMSG;
    return 0;
}

int floe_zlib_glz_decode(struct floe_glz_window *w, const uint8_t *in, size_t len,
                         uint32_t glz_size, uint32_t *out, int out_w, int out_h,
                         int out_stride_bytes, struct floe_glz_info *info)
{
    uint8_t *glz;
    int ret;

    if (!w || !in || !out || out_w <= 0 || out_h <= 0 || out_w > FLOE_GLZ_MAX_DIM ||
        out_h > FLOE_GLZ_MAX_DIM)
        return -EINVAL;
    if (glz_size < FLOE_GLZ_HEADER_SIZE || glz_size > floe_zlib_glz_max_glz_size(out_w, out_h))
        return -EBADMSG;
    glz = malloc(glz_size);
    if (!glz)
        return -ENOMEM;
    ret = inflate_exact(in, len, glz, glz_size);
    if (ret == 0)
        ret = floe_glz_decode(w, glz, glz_size, out, out_w, out_h, out_stride_bytes, info);
    free(glz);
    return ret;
}

/* Deflates in[0..len) at `level` onto out. */
static int deflate_append(const uint8_t *in, size_t len, int level, struct floe_bytes *out)
{
    z_stream z = { 0 };
    uLong bound;
    int zr;

    if (len > UINT_MAX)
        return -EINVAL;
    if (deflateInit(&z, level) != Z_OK)
        return -ENOMEM;
    bound = deflateBound(&z, (uLong)len);
    if (floe_bytes_reserve(out, bound)) {
        deflateEnd(&z);
        return -ENOMEM;
    }
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    z.next_out = out->data + out->len;
    z.avail_out = (uInt)bound;
    zr = deflate(&z, Z_FINISH);
    if (zr == Z_STREAM_END)
        out->len += z.total_out;
    deflateEnd(&z);
    return zr == Z_STREAM_END ? 0 : -ENOMEM;
}

int floe_zlib_glz_encode(struct floe_glz_dict *d, const uint32_t *pixels, int width, int height,
                         int stride_bytes, bool alpha, int level, struct floe_bytes *out,
                         uint32_t *glz_size)
{
    struct floe_bytes glz = { 0 };
    int ret;

    if (!out || !glz_size || level < 0 || level > 9)
        return -EINVAL;
    ret = floe_glz_encode(d, pixels, width, height, stride_bytes, alpha, &glz);
    if (ret == 0 && glz.len > UINT32_MAX)
        ret = -EINVAL;
    if (ret == 0)
        ret = deflate_append(glz.data, glz.len, level ? level : 6, out);
    if (ret == 0)
        *glz_size = (uint32_t)glz.len;
    floe_bytes_free(&glz);
    return ret;
}

static int codec_encode(void *state, const struct floe_pic *pic, struct floe_bytes *out,
                        struct floe_coded *meta)
{
    struct floe_glz_dict *d = floe_glz_state_dict(state);
    const struct floe_codec_params *p = floe_glz_state_params(state);
    struct floe_bytes glz = { 0 };
    size_t start;
    int level, ret;

    if (!state || !pic || !out || !meta)
        return -EINVAL;
    if (!d)
        return -ENOMEM;
    level = p->zlib_level >= 1 && p->zlib_level <= 9 ? p->zlib_level : 6;
    ret = floe_glz_encode(d, pic->pixels, pic->width, pic->height, pic->stride, pic->alpha,
                          &glz);
    if (ret < 0)
        goto out;
    meta->flags = 0;
    start = out->len;
    if (glz.len >= FLOE_ZLIB_GLZ_MIN_WRAP && glz.len <= UINT32_MAX) {
        /* the dictionary holds the picture now: if deflate fails, the
         * plain stream must still go out */
        ret = deflate_append(glz.data, glz.len, level, out);
        if (ret == 0 && out->len - start < glz.len) {
            meta->type = FLOE_ZLIB_GLZ_IMAGE_TYPE;
            meta->aux = (uint32_t)glz.len;
            goto out;
        }
        out->len = start;   /* deflate failed or did not pay: the plain stream goes */
    }
    meta->type = FLOE_GLZ_IMAGE_TYPE;
    meta->aux = 0;
    ret = floe_bytes_append(out, glz.data, glz.len);
out:
    floe_bytes_free(&glz);
    return ret;
}

/* ZLIB_GLZ_RGB into the shared GLZ state's window; the plain GLZ_RGB
 * images its encoder falls back to go through floe_glz_state_decode. */
static int codec_decode(void *state, const struct floe_coded *in, struct floe_pic *out)
{
    struct floe_glz_window *w = floe_glz_state_window(state);
    struct floe_glz_info info;
    int ret;

    if (in && in->type != FLOE_ZLIB_GLZ_IMAGE_TYPE)
        return floe_glz_state_decode(state, in, out);
    if (!state || !in || !out)
        return -EINVAL;
    if (!w)
        return -ENOMEM;
    ret = floe_zlib_glz_decode(w, in->data, in->len, in->aux, out->pixels, out->width,
                               out->height, out->stride, &info);
    out->alpha = ret == 0 && info.has_alpha;
    return ret;
}

const struct floe_codec floe_codec_zlib_glz = {
    .name = "zlib-glz",
    .type = FLOE_ZLIB_GLZ_IMAGE_TYPE,
    .state_group = "glz",
    .state_new = floe_glz_state_new,
    .state_free = floe_glz_state_free,
    .encode = codec_encode,
    .decode = codec_decode,
};
