/* SPICE LZ4 image decoder (SPICE_IMAGE_TYPE_LZ4): chunked, streaming liblz4
 * blocks of RGB16/24/32 and RGBA rows, decoded into 32-bit xRGB pixel buffers. */
#ifndef FLOE_CODECS_LZ4_H
#define FLOE_CODECS_LZ4_H

#include <stddef.h>
#include <stdint.h>

#include "codecs/codec.h"

/* the library's interface: exported, unlike everything else in it */
#pragma GCC visibility push(default)

/* The SPICE bitmap format byte of the payload (values fixed by the wire format). */
enum floe_lz4_format {
    FLOE_LZ4_RGB16 = 6,   /* x1r5g5b5, little-endian */
    FLOE_LZ4_RGB24 = 7,   /* b, g, r bytes */
    FLOE_LZ4_RGB32 = 8,   /* b, g, r, x bytes */
    FLOE_LZ4_RGBA = 9,    /* b, g, r, a bytes */
};

/* Payload: top_down u8 (0 or 1), format u8, then chunks of a big-endian u32
 * compressed length (1 or more) and that many bytes of one LZ4 block. The
 * blocks form one LZ4 stream (a block may copy from earlier blocks' output)
 * whose output is the picture's rows of width * bytes-per-pixel, packed,
 * first row first: the top one if top_down, else the bottom one. */
#define FLOE_LZ4_HEADER_SIZE 2
/* Pictures wider or taller than this, or with more pixels, are refused
 * (the limits of codecs/lz.h). */
#define FLOE_LZ4_MAX_DIM 16384
#define FLOE_LZ4_MAX_PIXELS (1L << 26)

/* Decodes the whole LZ4 payload in[0..len) (the bytes after the image's
 * data_size) into out, a caller-owned buffer of out_h rows of out_stride_bytes
 * (>= 4 * out_w, a multiple of 4), written top row first whatever the stream's
 * row order. The payload carries no size: out_w x out_h is the one the SPICE
 * image descriptor announced, and a stream that inflates to more or fewer
 * bytes than that picture's rows is refused. Pixels are xRGB words with
 * alpha 0, or ARGB for RGBA streams; *has_alpha (if has_alpha is not NULL)
 * says which once the format byte is known.
 * Memory: when out_stride_bytes == 4 * out_w the stream is inflated into the
 * tail of out and widened in place, so nothing is allocated; otherwise one
 * scratch buffer of exactly out_w * out_h * bytes-per-pixel is allocated and
 * freed before returning (LZ4 needs all earlier output to resolve copies).
 * Nothing outside in[0..len) or the out_w pixels of the out_h rows is touched.
 * 0, -EINVAL (bad arguments, or a size over the limits), -EBADMSG (short
 * header, unknown format, top_down not 0/1, a zero or oversized chunk length,
 * a bad LZ4 block, a wrong inflated size, trailing bytes) or -ENOMEM; after an
 * error out may hold a partial picture. */
int floe_lz4_decode(const uint8_t *in, size_t len, uint32_t *out, int out_w, int out_h,
                    int out_stride_bytes, int *has_alpha);

/* Appends the LZ4 payload of a width x height picture (rows stride_bytes
 * apart, xRGB words, or ARGB when alpha) to out: top-down, RGB24 without
 * alpha, RGBA with it. 0, -EINVAL (bad arguments) or -ENOMEM. */
int floe_lz4_encode(const uint32_t *pixels, int width, int height, int stride_bytes,
                    int alpha, struct floe_bytes *out);

extern const struct floe_codec floe_codec_lz4;

#pragma GCC visibility pop

#endif
