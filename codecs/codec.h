/* The common shape of floe's image codecs. Each codec turns a picture of
 * 32-bit pixels into the payload SPICE carries for one image type, and such
 * a payload back into pixels: pure functions over buffers, no I/O. A codec
 * with memory across images (the GLZ dictionary, a reusable JPEG handle)
 * keeps it in a state object made by state_new. */
#ifndef FLOE_CODECS_CODEC_H
#define FLOE_CODECS_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codecs/bytes.h"

/* the library's interface: exported, unlike everything else in it */
#pragma GCC visibility push(default)

/* A picture: rows top first, `stride` bytes apart (>= 4 * width, a multiple
 * of 4); each pixel a native-endian word 0xAARRGGBB. Without alpha the top
 * byte is ignored by encoders and written as 0 by decoders. */
struct floe_pic {
    uint32_t *pixels;
    int width, height;
    int stride;
    bool alpha;   /* encode: keep the top byte; decode: set when the payload carried alpha */
};

/* One encoded image as the SPICE image around it carries it: the payload
 * (the image's data[data_size]) and the few fields some types add. */
struct floe_coded {
    uint8_t type;        /* SPICE image type (SPICE_IMAGE_QUIC, ...) */
    uint8_t flags;       /* JPEG_ALPHA: 1 = the alpha rows are top-down; LZ_PLT: its flags */
    uint32_t aux;        /* JPEG_ALPHA: jpeg_size, the JPEG at the payload's start with the
                          * LZ alpha after it; ZLIB_GLZ_RGB: glz_data_size; otherwise 0 */
    const uint32_t *palette;   /* LZ_PLT: the palette's entries (decode only) */
    int palette_len;
    const uint8_t *data;
    size_t len;
};

struct floe_codec_params {
    int jpeg_quality;        /* 1..100; 0 means the default, 85 */
    int zlib_level;          /* 1..9; 0 means the default, 6 */
    uint32_t glz_window;     /* GLZ dictionary size in pixels, as DISPLAY_INIT states it; 0 = default */
};

struct floe_codec {
    const char *name;        /* as the command lines spell it: "quic", "lz", "glz", ... */
    uint8_t type;            /* the SPICE image type the encoder produces */
    bool lossy;
    /* Codecs naming the same group share one state per peer: GLZ and
     * ZLIB_GLZ images refer into one window. NULL: a state of its own. */
    const char *state_group;
    /* Memory across images; both may be NULL for a stateless codec. */
    void *(*state_new)(const struct floe_codec_params *p);
    void (*state_free)(void *state);
    /* Appends the payload for `pic` to `out` and fills meta's type, flags
     * and aux (meta->data/len are left to the caller). 0, -EINVAL (a picture
     * this codec cannot carry, e.g. alpha for JPEG) or -ENOMEM. */
    int (*encode)(void *state, const struct floe_pic *pic, struct floe_bytes *out,
                  struct floe_coded *meta);
    /* Decodes `in` into `out`, whose pixels, width and height (the image
     * descriptor's) and stride the caller set; sets out->alpha. A payload
     * for another size is refused. Nothing is allocated beyond what the
     * descriptor's size bounds. 0, -EBADMSG (bad or truncated input),
     * -EOPNOTSUPP (a valid variant this decoder does not handle), -EINVAL
     * or -ENOMEM. */
    int (*decode)(void *state, const struct floe_coded *in, struct floe_pic *out);
};

/* Every codec floe has, NULL-terminated. */
extern const struct floe_codec *const floe_codecs[];
const struct floe_codec *floe_codec_by_name(const char *name);
/* The codec that decodes SPICE image type `type`, or NULL. */
const struct floe_codec *floe_codec_by_type(uint8_t type);
/* Where a peer keeps codec's state in an array indexed like floe_codecs[]
 * (shared by its state group), or -1 for a codec not registered. */
int floe_codec_state_slot(const struct floe_codec *codec);
#define FLOE_CODEC_SLOTS 16   /* floe_codecs[] has fewer entries */

#pragma GCC visibility pop

#endif
