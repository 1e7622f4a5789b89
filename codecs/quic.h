/* SPICE QUIC image codec (SPICE_IMAGE_TYPE_QUIC): lossless adaptive
 * Golomb-Rice coding of GRAY, RGB16, RGB24, RGB32 and RGBA pictures. */
#ifndef FLOE_CODECS_QUIC_H
#define FLOE_CODECS_QUIC_H

#include <stddef.h>
#include <stdint.h>

#include "codecs/codec.h"

/* the library's interface: exported, unlike everything else in it */
#pragma GCC visibility push(default)

/* The image type word of the stream (values fixed by the wire format). */
enum floe_quic_type {
    FLOE_QUIC_GRAY = 1,    /* one 8-bit channel */
    FLOE_QUIC_RGB16 = 2,   /* three 5-bit channels */
    FLOE_QUIC_RGB24 = 3,   /* three 8-bit channels */
    FLOE_QUIC_RGB32 = 4,   /* the same coding as RGB24; the source had a pad byte */
    FLOE_QUIC_RGBA = 5,    /* RGB24's coding, then an 8-bit alpha channel per row */
};

/* Payload: a stream of 32-bit little-endian words, bits taken from each
 * word's most significant end first. The header is five whole words:
 * magic "QUIC" (0x43495551), version 0, type, width, height; the coded rows
 * follow, top row first, and the encoder pads the last word with zero bits
 * and adds one zero word, which decoders read ahead into. */
#define FLOE_QUIC_MAGIC 0x43495551u
#define FLOE_QUIC_HEADER_SIZE 20
/* Pictures wider or taller than this, or with more pixels, are refused
 * (the limits of codecs/lz4.h). */
#define FLOE_QUIC_MAX_DIM 16384
#define FLOE_QUIC_MAX_PIXELS (1L << 26)

struct floe_quic_info {
    enum floe_quic_type type;
    uint32_t width, height;   /* as the header states them, unchecked */
};

/* Reads the header of in[0..len) into info. 0, or -EBADMSG (short, bad
 * magic, version or type). */
int floe_quic_peek(const uint8_t *in, size_t len, struct floe_quic_info *info);

/* Decodes the QUIC payload in[0..len) (the bytes after the image's data_size)
 * into out, a caller-owned buffer of out_h rows of out_stride_bytes (>= 4 *
 * out_w, a multiple of 4), top row first. The header's size must be out_w x
 * out_h, the size the SPICE image descriptor announced. Pixels are xRGB
 * words with alpha 0 (GRAY repeats its value in R, G and B; RGB16 widens
 * each channel as (v << 3) | (v >> 2)), or ARGB for RGBA streams;
 * *has_alpha (if not NULL) says which once the type is known.
 * Only whole words count: a stream needing a word past in[0..len & ~3) is
 * refused, bytes after the last word the picture needs are ignored (as the
 * reference decoder does). Memory: a few rows of scratch, allocated only
 * after the header has been checked against out_w x out_h. Nothing outside
 * in[0..len) or the out_w pixels of the out_h rows is touched.
 * 0, -EINVAL (bad arguments, or a size over the limits), -EBADMSG (short or
 * bad header, another size, a code or run the stream cannot hold, a
 * truncated stream) or -ENOMEM; after an error out may hold a partial
 * picture. */
int floe_quic_decode(const uint8_t *in, size_t len, uint32_t *out, int out_w, int out_h,
                     int out_stride_bytes, int *has_alpha);

/* Appends the QUIC payload of a width x height picture (rows stride_bytes
 * apart, xRGB words, or ARGB when alpha) to out: type RGB32 without alpha
 * (the top byte is ignored), RGBA with it, as the reference server codes
 * 32-bit and RGBA bitmaps. 0, -EINVAL (bad arguments) or -ENOMEM. */
int floe_quic_encode(const uint32_t *pixels, int width, int height, int stride_bytes,
                     int alpha, struct floe_bytes *out);

/* The same for any stream type, for tests and tools: GRAY codes each pixel's
 * low (blue) byte, RGB16 the top 5 bits of R, G and B, RGB24 and RGB32 the
 * R, G and B bytes, RGBA those and alpha. 0, -EINVAL or -ENOMEM; on error
 * out->len is unchanged. */
int floe_quic_encode_type(const uint32_t *pixels, int width, int height, int stride_bytes,
                          enum floe_quic_type type, struct floe_bytes *out);

extern const struct floe_codec floe_codec_quic;

#pragma GCC visibility pop

#endif
