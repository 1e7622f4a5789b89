/* SPICE LZ image codec (SPICE_IMAGE_TYPE_LZ_RGB and LZ_PLT): FastLZ-style
 * streams of RGB, RGBA, alpha-only and palette pictures, to and from 32-bit pixels. */
#ifndef FLOE_CODECS_LZ_H
#define FLOE_CODECS_LZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codecs/codec.h"

/* the library's interface: exported, unlike everything else in it */
#pragma GCC visibility push(default)

/* The type word of the LZ header (values fixed by the wire format). */
enum floe_lz_type {
    FLOE_LZ_PLT1_LE = 1,
    FLOE_LZ_PLT1_BE = 2,
    FLOE_LZ_PLT4_LE = 3,
    FLOE_LZ_PLT4_BE = 4,
    FLOE_LZ_PLT8 = 5,
    FLOE_LZ_RGB16 = 6,
    FLOE_LZ_RGB24 = 7,
    FLOE_LZ_RGB32 = 8,
    FLOE_LZ_RGBA = 9,
    FLOE_LZ_XXXA = 10,
    FLOE_LZ_A8 = 11,
};

/* Seven big-endian u32 words: magic "LZ  ", version, type, width, height,
 * stride (bytes per encoded row), top_down (0 or 1). */
#define FLOE_LZ_HEADER_SIZE 28
#define FLOE_LZ_MAGIC 0x20205A4Cu
#define FLOE_LZ_VERSION 0x00010001u
/* Pictures wider or taller than this, or with more pixels, are refused. */
#define FLOE_LZ_MAX_DIM 16384
#define FLOE_LZ_MAX_PIXELS (1L << 26)

/* What the header says; filled by floe_lz_peek and floe_lz_decode. */
struct floe_lz_info {
    enum floe_lz_type type;
    int width;
    int height;
    int stride;       /* encoded bytes per row, as the header says */
    bool top_down;    /* false: the stream's first row is the picture's bottom */
    bool has_alpha;   /* RGBA: decoded pixels carry alpha in the top byte */
};

/* Parses and checks the header of the LZ stream in[0..len) without decoding;
 * reads only the caller's bytes. Palette streams must have the stride
 * ceil(width / pixels-per-byte), others width * bytes-per-pixel. 0, -EBADMSG
 * (short, bad magic, version, type, stride or a size over the limits) or
 * -EOPNOTSUPP (a valid type floe_lz_decode does not handle: palette streams
 * need floe_lz_decode_plt, XXXA ones floe_lz_decode_alpha); info is filled
 * unless the result is -EBADMSG. */
int floe_lz_peek(const uint8_t *in, size_t len, struct floe_lz_info *info);

/* Decodes the whole LZ stream in[0..len) into out, a caller-owned buffer of
 * out_h rows of out_stride_bytes (>= 4 * out_w, a multiple of 4), written top
 * row first whatever the stream's row order. out_w x out_h is the size the
 * SPICE image descriptor announced; a header that disagrees is refused.
 * Pixels are xRGB words with alpha 0, ARGB for RGBA streams, or alpha alone
 * (colour 0) for A8 streams. Nothing is
 * allocated; nothing outside in[0..len) or the out_h rows is touched. info
 * may be NULL. 0, -EINVAL (bad arguments), -EBADMSG (bad or truncated stream,
 * bad back-reference, trailing bytes) or -EOPNOTSUPP; after an error out may
 * hold a partial picture. */
int floe_lz_decode(const uint8_t *in, size_t len, uint32_t *out, int out_w, int out_h,
                   int out_stride_bytes, struct floe_lz_info *info);

/* Like floe_lz_decode for an XXXA stream (the alpha plane of JPEG_ALPHA):
 * writes only the top byte of each pixel, keeping the colour already there.
 * Any other type is refused with -EBADMSG. */
int floe_lz_decode_alpha(const uint8_t *in, size_t len, uint32_t *out, int out_w, int out_h,
                         int out_stride_bytes, struct floe_lz_info *info);

/* Like floe_lz_decode for a palette stream (PLT1/PLT4 in either bit order,
 * PLT8): each index becomes palette[index] with its top byte cleared. The
 * palette (1 to 256 entries, read only) comes with the SPICE image; an index
 * at or beyond palette_len in a pixel of the picture is -EBADMSG (padding
 * bits after a row's last pixel are not looked at). One scratch buffer of
 * the stream's stride * height bytes (no more than width * height) is
 * allocated and freed. Non-palette types are refused with -EBADMSG, a
 * palette_len outside 1..256 too; -ENOMEM when the scratch is not there. */
int floe_lz_decode_plt(const uint8_t *in, size_t len, const uint32_t *palette, int palette_len,
                       uint32_t *out, int out_w, int out_h, int out_stride_bytes,
                       struct floe_lz_info *info);

/* Appends the LZ stream of a width x height picture (rows stride_bytes
 * apart, xRGB words, ARGB when alpha) to out: top-down, LZ_RGB32 (an RGB
 * plane) without alpha, LZ_RGBA (that plane, then an alpha plane) with it,
 * as the reference server sends 32-bit and RGBA bitmaps. 0, -EINVAL (bad
 * arguments, a size over the limits) or -ENOMEM; out is unchanged on error. */
int floe_lz_encode(const uint32_t *pixels, int width, int height, int stride_bytes, bool alpha,
                   struct floe_bytes *out);

/* Appends the top-down XXXA stream of the picture's alpha bytes, as
 * JPEG_ALPHA carries them after the JPEG; with opaque every alpha is
 * written as 255 whatever the top bytes hold. Results as floe_lz_encode. */
int floe_lz_encode_alpha(const uint32_t *pixels, int width, int height, int stride_bytes,
                         bool opaque, struct floe_bytes *out);

/* "lz": LZ_RGB (101) both ways. "lz-plt": LZ_PLT (100), decode only; the
 * palette comes in floe_coded.palette. */
extern const struct floe_codec floe_codec_lz;
extern const struct floe_codec floe_codec_lz_plt;

#pragma GCC visibility pop

#endif
