/* SPICE JPEG and JPEG_ALPHA image codecs over libjpeg-turbo (libjpeg's API
 * to compress, TurboJPEG's to decompress): baseline 4:2:0 JFIF of the
 * colour with Huffman tables optimized for each picture, and for
 * JPEG_ALPHA an LZ alpha plane after it. */
#ifndef FLOE_CODECS_JPEG_H
#define FLOE_CODECS_JPEG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codecs/codec.h"

/* the library's interface: exported, unlike everything else in it */
#pragma GCC visibility push(default)

/* JPEG_ALPHA's flags byte: the alpha plane's first row is the picture's top. */
#define FLOE_JPEG_ALPHA_TOP_DOWN 1
/* Pictures wider or taller than this, or with more pixels, are refused
 * (the limits of codecs/lz.h). */
#define FLOE_JPEG_MAX_DIM 16384
#define FLOE_JPEG_MAX_PIXELS (1L << 26)
#define FLOE_JPEG_DEFAULT_QUALITY 85

/* A TurboJPEG decompressor, made on first use and kept for later images.
 * One object serves one thread at a time. */
struct floe_jpeg;

/* A new set of handles (none made yet), or NULL without memory. */
struct floe_jpeg *floe_jpeg_new(void);
/* Frees j and its handles; NULL is ignored. */
void floe_jpeg_free(struct floe_jpeg *j);

/* Appends the JPEG of a width x height picture (rows stride_bytes apart,
 * xRGB words; the top byte is ignored) to out: quality 1..100, YCbCr 4:2:0
 * and the standard tables as the reference server's libjpeg defaults make
 * it, rows top first, Huffman tables optimized for the picture.
 * 0, -EINVAL (bad arguments or sizes), -ENOMEM, or -EIO (libjpeg failed);
 * out is unchanged on error. */
int floe_jpeg_encode(struct floe_jpeg *j, const uint32_t *pixels, int width, int height,
                     int stride_bytes, int quality, struct floe_bytes *out);

/* The same for a video's frame, one of a run of alike pictures coded with
 * this j: Huffman tables optimized for one frame in 8 (or at a new
 * quality) are kept, completed, for the frames after it, which are then
 * coded in one pass. Frames of other content, even other sizes, still
 * code right, with tables less fit. */
int floe_jpeg_encode_frame(struct floe_jpeg *j, const uint32_t *pixels, int width, int height,
                           int stride_bytes, int quality, struct floe_bytes *out);

/* Decodes the JPEG in[0..len) into out, a caller-owned buffer of out_h rows
 * of out_stride_bytes (>= 4 * out_w, a multiple of 4), as xRGB words with
 * the top byte 0. The JPEG's own size is read from its header first and
 * must be out_w x out_h, the size the SPICE image descriptor announced;
 * libjpeg's working memory is thus bounded by that picture. Warnings
 * (truncated data, a corrupt segment) count as errors, and progressive
 * files are cut off at libjpeg-turbo's scan limit. Nothing outside
 * in[0..len) or the out_w pixels of the out_h rows is touched.
 * 0, -EINVAL (bad arguments), -EBADMSG (not a JPEG libjpeg decodes to RGB,
 * another size, damaged data) or -ENOMEM; after an error out may hold a
 * partial picture. */
int floe_jpeg_decode(struct floe_jpeg *j, const uint8_t *in, size_t len, uint32_t *out,
                     int out_w, int out_h, int out_stride_bytes);

/* Appends a JPEG_ALPHA payload: the JPEG of the colour as floe_jpeg_encode
 * makes it, then the top-down XXXA LZ stream of the alpha bytes (all 255
 * unless alpha). *jpeg_size is the JPEG's length (the image's jpeg_size),
 * *flags the JPEG_ALPHA flags (FLOE_JPEG_ALPHA_TOP_DOWN). Results as
 * floe_jpeg_encode. */
int floe_jpeg_alpha_encode(struct floe_jpeg *j, const uint32_t *pixels, int width, int height,
                           int stride_bytes, bool alpha, int quality, struct floe_bytes *out,
                           uint32_t *jpeg_size, uint8_t *flags);

/* Decodes a JPEG_ALPHA payload in[0..len): the JPEG in[0..jpeg_size) as
 * floe_jpeg_decode does, then the alpha bytes from the XXXA LZ stream in
 * in[jpeg_size..len), which must have the picture's size and the row order
 * FLOE_JPEG_ALPHA_TOP_DOWN in flags states (the reference client refuses
 * other types and orders too). The LZ header is checked before the JPEG is
 * decoded. Results as floe_jpeg_decode; a jpeg_size of 0 or one that leaves
 * no room for an LZ header is -EBADMSG. */
int floe_jpeg_alpha_decode(struct floe_jpeg *j, const uint8_t *in, size_t len, uint32_t jpeg_size,
                           uint8_t flags, uint32_t *out, int out_w, int out_h,
                           int out_stride_bytes);

/* "jpeg" (JPEG, 105) and "jpeg-alpha" (JPEG_ALPHA, 108), both lossy; the
 * state is a struct floe_jpeg and the quality from params->jpeg_quality
 * (0: FLOE_JPEG_DEFAULT_QUALITY). "jpeg" refuses pictures with alpha. */
extern const struct floe_codec floe_codec_jpeg;
extern const struct floe_codec floe_codec_jpeg_alpha;

#pragma GCC visibility pop

#endif
