/* JPEG and JPEG_ALPHA: libjpeg compresses straight from the 32-bit rows
 * into the output buffer, with Huffman tables made for each picture;
 * TurboJPEG decompresses, only after the header's size matched. */
#include "codecs/jpeg.h"

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <turbojpeg.h>

#include "codecs/jpeg-huff.h"
#include "codecs/lz.h"

/* A video's frames: Huffman tables optimized for one frame in this many
 * (a second pass over its coefficients, which doubles its coding time at
 * 1280x720 and up), kept for the frames between */
#define LEARN_EVERY 8

struct floe_jpeg {
    tjhandle dec;
    int quality;    /* the codec table's, from its params */
    /* floe_jpeg_encode_frame: the tables learned, completed */
    struct floe_jpeg_huff huff[4];
    int huff_quality;             /* the quality they were learned at; 0: none yet */
    int huff_uses;                /* frames coded with them since */
};

/* The byte order of an xRGB word in memory. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define PIXEL_FORMAT TJPF_XRGB
#define PIXEL_SPACE JCS_EXT_XRGB
#else
#define PIXEL_FORMAT TJPF_BGRX
#define PIXEL_SPACE JCS_EXT_BGRX
#endif

/* libjpeg's defaults, which the reference server keeps: 2x2 chroma. */
#define SUBSAMPLING TJSAMP_420

/* A damaged stream is an error, not a grey-filled picture; a progressive
 * one may not run through an unbounded number of scans. */
#define DECODE_FLAGS (TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS)

struct floe_jpeg *floe_jpeg_new(void)
{
    struct floe_jpeg *j = calloc(1, sizeof(*j));

    if (j)
        j->quality = FLOE_JPEG_DEFAULT_QUALITY;
    return j;
}

void floe_jpeg_free(struct floe_jpeg *j)
{
    if (!j)
        return;
    if (j->dec)
        tjDestroy(j->dec);
    free(j);
}

/* A handle that failed is not trusted again: libjpeg-turbo 2.1 leaves a
 * decompressor stopped by a warning mid-stream, and its next header read
 * then fails on good data. A fresh one is made on next use. */
static void drop_handle(tjhandle *h)
{
    tjDestroy(*h);
    *h = NULL;
}

static int check_picture(const void *pixels, int w, int h, int stride)
{
    if (!pixels || w <= 0 || h <= 0 || w > FLOE_JPEG_MAX_DIM || h > FLOE_JPEG_MAX_DIM ||
        (long)w * h > FLOE_JPEG_MAX_PIXELS || stride <= 0 || stride % 4 || stride / 4 < w)
        return -EINVAL;
    return 0;
}

/* libjpeg's errors end the coding: back to floe_jpeg_encode, silently. */
struct enc_error {
    struct jpeg_error_mgr mgr;
    jmp_buf back;
};

static void enc_error_exit(j_common_ptr c)
{
    longjmp(((struct enc_error *)(void *)c->err)->back, 1);
}

static void enc_message(j_common_ptr c)
{
    (void)c;
}

/* The output: the room reserved in out, the worst case, never grown. */
static void dest_init(j_compress_ptr c)
{
    (void)c;
}

static boolean dest_full(j_compress_ptr c)
{
    c->err->msg_code = JERR_BUFFER_SIZE;   /* past the worst case: cannot happen */
    enc_error_exit((j_common_ptr)c);
    return FALSE;
}

static void dest_term(j_compress_ptr c)
{
    (void)c;
}

/* Huffman tables t (DC and AC of luma, then of chroma) for c's next image. */
static void tables_set(j_compress_ptr c, const struct floe_jpeg_huff *t)
{
    JHUFF_TBL *to[4] = { c->dc_huff_tbl_ptrs[0], c->ac_huff_tbl_ptrs[0], c->dc_huff_tbl_ptrs[1],
                         c->ac_huff_tbl_ptrs[1] };

    for (int i = 0; i < 4; i++) {
        memcpy(to[i]->bits, t[i].bits, sizeof(t[i].bits));
        memcpy(to[i]->huffval, t[i].vals, sizeof(t[i].vals));
        to[i]->sent_table = FALSE;
    }
}

/* The JPEG of the picture appended to out, with the Huffman tables t, or
 * (t NULL) with tables optimized for it. */
static int compress(const uint32_t *pixels, int width, int height, int stride_bytes, int quality,
                    const struct floe_jpeg_huff *t, struct floe_bytes *out)
{
    struct jpeg_compress_struct c;
    struct enc_error err;
    struct jpeg_destination_mgr dest = { .init_destination = dest_init,
                                         .empty_output_buffer = dest_full,
                                         .term_destination = dest_term };
    unsigned long room;
    JSAMPROW *rows;

    /* the worst case TurboJPEG itself states: other tables only shrink it */
    room = tjBufSize(width, height, SUBSAMPLING);
    if (room == (unsigned long)-1)
        return -EINVAL;
    if (floe_bytes_reserve(out, room) < 0)
        return -ENOMEM;
    rows = malloc((size_t)height * sizeof(*rows));
    if (!rows)
        return -ENOMEM;
    for (int y = 0; y < height; y++)
        rows[y] = (JSAMPROW)((const uint8_t *)pixels + (size_t)y * stride_bytes);
    dest.next_output_byte = out->data + out->len;
    dest.free_in_buffer = room;
    c.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = enc_error_exit;
    err.mgr.output_message = enc_message;
    if (setjmp(err.back)) {
        jpeg_destroy_compress(&c);
        free(rows);
        return -EIO;
    }
    jpeg_create_compress(&c);
    c.dest = &dest;
    c.image_width = (JDIMENSION)width;
    c.image_height = (JDIMENSION)height;
    c.input_components = 4;
    c.in_color_space = PIXEL_SPACE;
    /* YCbCr 4:2:0 with the standard quantization tables, as the
     * reference's libjpeg makes them; Huffman tables made for the picture
     * (a second pass over its coefficients) or for one like it: about 9%
     * fewer bytes for the same pixels, still a baseline JPEG any decoder
     * reads */
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, quality, TRUE);
    c.dct_method = JDCT_ISLOW;
    if (t)
        tables_set(&c, t);
    c.optimize_coding = !t;
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height)
        jpeg_write_scanlines(&c, rows + c.next_scanline, c.image_height - c.next_scanline);
    jpeg_finish_compress(&c);
    out->len += room - dest.free_in_buffer;
    jpeg_destroy_compress(&c);
    free(rows);
    return 0;
}

int floe_jpeg_encode(struct floe_jpeg *j, const uint32_t *pixels, int width, int height,
                     int stride_bytes, int quality, struct floe_bytes *out)
{
    if (!j || !out || quality < 1 || quality > 100 ||
        check_picture(pixels, width, height, stride_bytes) < 0)
        return -EINVAL;
    return compress(pixels, width, height, stride_bytes, quality, NULL, out);
}

int floe_jpeg_encode_frame(struct floe_jpeg *j, const uint32_t *pixels, int width, int height,
                           int stride_bytes, int quality, struct floe_bytes *out)
{
    size_t at = out ? out->len : 0;
    int ret;

    if (!j || !out || quality < 1 || quality > 100 ||
        check_picture(pixels, width, height, stride_bytes) < 0)
        return -EINVAL;
    if (j->huff_quality == quality && j->huff_uses < LEARN_EVERY - 1) {
        ret = compress(pixels, width, height, stride_bytes, quality, j->huff, out);
        if (ret != -EIO) {
            j->huff_uses += ret == 0;
            return ret;
        }
    }
    /* learn: this frame's own tables, kept with a code for every symbol */
    j->huff_quality = 0;
    ret = compress(pixels, width, height, stride_bytes, quality, NULL, out);
    if (ret == 0 && floe_jpeg_huff_read(out->data + at, out->len - at, j->huff) == 0) {
        for (int i = 0; i < 4; i++)
            floe_jpeg_huff_complete(&j->huff[i], i & 1);
        j->huff_quality = quality;
        j->huff_uses = 0;
    }
    return ret;
}

/* The header alone: a JPEG of exactly w x h, or -EBADMSG. */
static int check_header(tjhandle dec, const uint8_t *in, size_t len, int w, int h)
{
    int jw, jh, subsamp, colorspace;

    if (len == 0 || len > ULONG_MAX)
        return -EBADMSG;
    if (tjDecompressHeader3(dec, in, (unsigned long)len, &jw, &jh, &subsamp, &colorspace) < 0)
        return -EBADMSG;
    return jw == w && jh == h ? 0 : -EBADMSG;
}

/* Decodes into out after the header check; the X bytes are left as libjpeg wrote them. */
static int decode_rgb(struct floe_jpeg *j, const uint8_t *in, size_t len, uint32_t *out, int w,
                      int h, int stride)
{
    int ret;

    if (!j->dec && !(j->dec = tjInitDecompress()))
        return -ENOMEM;
    ret = check_header(j->dec, in, len, w, h);
    if (ret == 0 && tjDecompress2(j->dec, in, (unsigned long)len, (unsigned char *)out, w,
                                  stride, h, PIXEL_FORMAT, DECODE_FLAGS) < 0)
        ret = -EBADMSG;
    if (ret < 0)
        drop_handle(&j->dec);
    return ret;
}

static void clear_alpha(uint32_t *out, int w, int h, int stride)
{
    for (int y = 0; y < h; y++) {
        uint32_t *row = (uint32_t *)(void *)((uint8_t *)out + (size_t)y * stride);

        for (int x = 0; x < w; x++)
            row[x] &= 0x00ffffffu;
    }
}

int floe_jpeg_decode(struct floe_jpeg *j, const uint8_t *in, size_t len, uint32_t *out,
                     int out_w, int out_h, int out_stride_bytes)
{
    int ret;

    if (!j || !in || check_picture(out, out_w, out_h, out_stride_bytes) < 0)
        return -EINVAL;
    ret = decode_rgb(j, in, len, out, out_w, out_h, out_stride_bytes);
    if (ret == 0)
        clear_alpha(out, out_w, out_h, out_stride_bytes);
    return ret;
}

int floe_jpeg_alpha_encode(struct floe_jpeg *j, const uint32_t *pixels, int width, int height,
                           int stride_bytes, bool alpha, int quality, struct floe_bytes *out,
                           uint32_t *jpeg_size, uint8_t *flags)
{
    size_t start;
    int ret;

    if (!out || !jpeg_size || !flags)
        return -EINVAL;
    start = out->len;
    ret = floe_jpeg_encode(j, pixels, width, height, stride_bytes, quality, out);
    if (ret < 0)
        return ret;
    if (out->len - start > UINT32_MAX) {
        out->len = start;
        return -EINVAL;
    }
    *jpeg_size = (uint32_t)(out->len - start);
    ret = floe_lz_encode_alpha(pixels, width, height, stride_bytes, !alpha, out);
    if (ret < 0) {
        out->len = start;
        return ret;
    }
    *flags = FLOE_JPEG_ALPHA_TOP_DOWN;
    return 0;
}

int floe_jpeg_alpha_decode(struct floe_jpeg *j, const uint8_t *in, size_t len, uint32_t jpeg_size,
                           uint8_t flags, uint32_t *out, int out_w, int out_h,
                           int out_stride_bytes)
{
    struct floe_lz_info info;
    const uint8_t *alpha;
    size_t alpha_len;
    int ret;

    if (!j || !in || check_picture(out, out_w, out_h, out_stride_bytes) < 0)
        return -EINVAL;
    if (jpeg_size == 0 || jpeg_size >= len || len - jpeg_size < FLOE_LZ_HEADER_SIZE)
        return -EBADMSG;
    alpha = in + jpeg_size;
    alpha_len = len - jpeg_size;
    /* the cheap checks first: XXXA (peek says floe_lz_decode cannot take it), size, order */
    if (floe_lz_peek(alpha, alpha_len, &info) != -EOPNOTSUPP || info.type != FLOE_LZ_XXXA ||
        info.width != out_w || info.height != out_h ||
        info.top_down != !!(flags & FLOE_JPEG_ALPHA_TOP_DOWN))
        return -EBADMSG;
    ret = decode_rgb(j, in, jpeg_size, out, out_w, out_h, out_stride_bytes);
    if (ret < 0)
        return ret;
    return floe_lz_decode_alpha(alpha, alpha_len, out, out_w, out_h, out_stride_bytes, NULL);
}

/* ------------------------------------------------------------------------ */
/* codec table entries */

static void *codec_state_new(const struct floe_codec_params *p)
{
    struct floe_jpeg *j = floe_jpeg_new();

    if (j && p && p->jpeg_quality)
        j->quality = p->jpeg_quality < 1 ? 1 : p->jpeg_quality > 100 ? 100 : p->jpeg_quality;
    return j;
}

static void codec_state_free(void *state)
{
    floe_jpeg_free(state);
}

static int jpeg_codec_encode(void *state, const struct floe_pic *pic, struct floe_bytes *out,
                             struct floe_coded *meta)
{
    struct floe_jpeg *j = state;

    if (!j || pic->alpha)
        return -EINVAL;
    meta->type = 105; /* SPICE_IMAGE_TYPE_JPEG */
    meta->flags = 0;
    meta->aux = 0;
    return floe_jpeg_encode(j, pic->pixels, pic->width, pic->height, pic->stride, j->quality,
                            out);
}

static int jpeg_codec_decode(void *state, const struct floe_coded *in, struct floe_pic *out)
{
    out->alpha = false;
    return floe_jpeg_decode(state, in->data, in->len, out->pixels, out->width, out->height,
                            out->stride);
}

static int jpeg_alpha_codec_encode(void *state, const struct floe_pic *pic,
                                   struct floe_bytes *out, struct floe_coded *meta)
{
    struct floe_jpeg *j = state;

    if (!j)
        return -EINVAL;
    meta->type = 108; /* SPICE_IMAGE_TYPE_JPEG_ALPHA */
    return floe_jpeg_alpha_encode(j, pic->pixels, pic->width, pic->height, pic->stride,
                                  pic->alpha, j->quality, out, &meta->aux, &meta->flags);
}

static int jpeg_alpha_codec_decode(void *state, const struct floe_coded *in,
                                   struct floe_pic *out)
{
    int ret = floe_jpeg_alpha_decode(state, in->data, in->len, in->aux, in->flags, out->pixels,
                                     out->width, out->height, out->stride);

    out->alpha = ret == 0;
    return ret;
}

const struct floe_codec floe_codec_jpeg = {
    .name = "jpeg",
    .type = 105,
    .lossy = true,
    .state_new = codec_state_new,
    .state_free = codec_state_free,
    .encode = jpeg_codec_encode,
    .decode = jpeg_codec_decode,
};

const struct floe_codec floe_codec_jpeg_alpha = {
    .name = "jpeg-alpha",
    .type = 108,
    .lossy = true,
    .state_new = codec_state_new,
    .state_free = codec_state_free,
    .encode = jpeg_alpha_codec_encode,
    .decode = jpeg_alpha_codec_decode,
};
