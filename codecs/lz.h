/* SPICE LZ image decoder (SPICE_IMAGE_TYPE_LZ_RGB): FastLZ-style streams of
 * RGB16/24/32 and RGBA pictures, decoded into 32-bit xRGB pixel buffers. */
#ifndef FLOE_CODECS_LZ_H
#define FLOE_CODECS_LZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
 * reads only the caller's bytes. 0, -EBADMSG (short, bad magic, version,
 * type, stride or a size over the limits) or -EOPNOTSUPP (a valid type this
 * decoder does not handle: palette, XXXA and A8 streams). */
int floe_lz_peek(const uint8_t *in, size_t len, struct floe_lz_info *info);

/* Decodes the whole LZ stream in[0..len) into out, a caller-owned buffer of
 * out_h rows of out_stride_bytes (>= 4 * out_w, a multiple of 4), written top
 * row first whatever the stream's row order. out_w x out_h is the size the
 * SPICE image descriptor announced; a header that disagrees is refused.
 * Pixels are xRGB words with alpha 0, or ARGB for RGBA streams. Nothing is
 * allocated; nothing outside in[0..len) or the out_h rows is touched. info
 * may be NULL. 0, -EINVAL (bad arguments), -EBADMSG (bad or truncated stream,
 * bad back-reference, trailing bytes) or -EOPNOTSUPP; after an error out may
 * hold a partial picture. */
int floe_lz_decode(const uint8_t *in, size_t len, uint32_t *out, int out_w, int out_h,
                   int out_stride_bytes, struct floe_lz_info *info);

#endif
