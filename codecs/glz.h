/* SPICE GLZ image codec (SPICE_IMAGE_TYPE_GLZ_RGB): LZ streams whose matches
 * may also copy pixels out of earlier images, kept in a window both peers hold. */
#ifndef FLOE_CODECS_GLZ_H
#define FLOE_CODECS_GLZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codecs/codec.h"

/* the library's interface: exported, unlike everything else in it */
#pragma GCC visibility push(default)

/* The header's low type bits (the LZ image types of codecs/lz.h). */
enum floe_glz_type {
    FLOE_GLZ_RGB16 = 6,   /* big-endian x1r5g5b5 literals */
    FLOE_GLZ_RGB24 = 7,   /* b, g, r literals */
    FLOE_GLZ_RGB32 = 8,   /* b, g, r literals; the pad byte is not sent */
    FLOE_GLZ_RGBA = 9,    /* RGB32, then a second pass of one alpha byte a pixel */
};

/* Header, big-endian, 33 bytes: magic "LZ  " u32, version u32, type u8 (low
 * four bits the type, bit 4 set when the first row is the top one), width
 * u32, height u32, stride u32 (width * bytes per literal pixel; RGB32 and
 * RGBA count 4), image id u64, win_head_dist u32.
 *
 * The body is one LZ pass over the width * height pixels in stream order
 * (a second one over the alpha bytes for RGBA). A control byte below 32
 * starts ctrl + 1 literal pixels. Otherwise it starts a match: length in its
 * top three bits (7: more bytes are added while they are 255), a length bias
 * of 0 (RGB24/32), 1 (RGB16) or 2 (alpha pass); then a pixel count and an
 * image distance. Image distance 0 copies from `count + 1` pixels back in
 * this image (overlap repeats, as runs); distance d copies from pixel `count`
 * of image `id - d` (its stream order), which the peer must still hold.
 *
 * The window: every image enters it. An image's win_head_dist says that
 * images older than `id - win_head_dist` are no longer referenced by it or
 * by any later image: the decoder frees them. The window's size, in pixels,
 * is what the client stated in DISPLAY_INIT (glz_dictionary_window_size);
 * the encoder keeps the pixels of the images from the head to the newest
 * within it, and refuses pictures of that many pixels or more. */
#define FLOE_GLZ_HEADER_SIZE 33
#define FLOE_GLZ_IMAGE_TYPE 102    /* SPICE_IMAGE_TYPE_GLZ_RGB */
#define FLOE_GLZ_MAGIC 0x20205A4Cu
#define FLOE_GLZ_VERSION 0x00010001u
/* Pictures wider or taller than this, or with more pixels, are refused. */
#define FLOE_GLZ_MAX_DIM 16384
#define FLOE_GLZ_MAX_PIXELS (1L << 26)
/* Window sizes in pixels: the format's largest (pixel counts are 25 bits)
 * and the one used when none is given (remote-viewer's 64 MiB default). */
#define FLOE_GLZ_MAX_WINDOW (1u << 25)
#define FLOE_GLZ_DEFAULT_WINDOW (1u << 24)

/* What a header says; filled by floe_glz_peek and floe_glz_decode. */
struct floe_glz_info {
    enum floe_glz_type type;
    int width;
    int height;
    bool top_down;         /* false: the stream's first row is the bottom one */
    bool has_alpha;        /* RGBA */
    uint64_t id;
    uint32_t win_head_dist;
};

/* Parses and checks the header of in[0..len); reads only those bytes.
 * 0 or -EBADMSG (short, bad magic, version, type, stride or size). */
int floe_glz_peek(const uint8_t *in, size_t len, struct floe_glz_info *info);

/* ---- client side: the decoder window, one per session ---- */

struct floe_glz_window;

/* A window of `pixels` (DISPLAY_INIT's glz_dictionary_window_size; 0 means
 * FLOE_GLZ_DEFAULT_WINDOW, more than FLOE_GLZ_MAX_WINDOW is clamped), empty.
 * NULL on allocation failure. The window owns copies of decoded pictures:
 * at most `pixels` pixels are kept between decodes (and a stream that would
 * keep more, or more than pixels / 8 + 1024 images, is refused). */
struct floe_glz_window *floe_glz_window_new(uint32_t pixels);
void floe_glz_window_free(struct floe_glz_window *w);
/* Forgets every image (a new session, or the server's dictionary reset). */
void floe_glz_window_reset(struct floe_glz_window *w);
/* Images and pixels now held (for tests and statistics). */
size_t floe_glz_window_images(const struct floe_glz_window *w);
uint64_t floe_glz_window_pixels(const struct floe_glz_window *w);

/* Decodes the GLZ stream in[0..len) into out, a caller-owned buffer of out_h
 * rows of out_stride_bytes (>= 4 * out_w, a multiple of 4), top row first.
 * out_w x out_h is the image descriptor's size; a header that disagrees is
 * refused. Pixels are xRGB with alpha 0, or ARGB for RGBA streams. On
 * success the image joins w (a copy, in stream order) and images older than
 * its win_head_dist are freed; on failure w is unchanged. Ids and distances
 * are checked: a match naming an image the window does not hold, beyond the
 * image's own win_head_dist, or past an image's end is refused; so is an id
 * the window already holds or one below its released ones. Nothing is
 * allocated before the header's size has been checked against the limits
 * and the window. info may be NULL. 0, -EINVAL (bad arguments), -EBADMSG
 * (bad or truncated stream, bad reference, trailing bytes, over the window)
 * or -ENOMEM; after an error out may hold a partial picture. */
int floe_glz_decode(struct floe_glz_window *w, const uint8_t *in, size_t len, uint32_t *out,
                    int out_w, int out_h, int out_stride_bytes, struct floe_glz_info *info);

/* ---- server side: the encoder dictionary, one per client ---- */

struct floe_glz_dict;

/* A dictionary for a client whose window holds `pixels` (as its
 * DISPLAY_INIT said; 0 means FLOE_GLZ_DEFAULT_WINDOW, more than
 * FLOE_GLZ_MAX_WINDOW is clamped). Image ids start at 0. NULL on allocation
 * failure. It keeps copies of the pictures in the client's window (4 bytes
 * a pixel, at most 1024 pictures: older ones leave early, which only makes
 * the client free them sooner) and a 4 MiB hash table over them. One per
 * client, shared by all its display channels' encoders in turn (it is not
 * locked: callers serialise). */
struct floe_glz_dict *floe_glz_dict_new(uint32_t pixels);
void floe_glz_dict_free(struct floe_glz_dict *d);
/* Forgets every image; ids go on from where they were, so a client that
 * kept its window keeps working (its window just stops being referenced). */
void floe_glz_dict_reset(struct floe_glz_dict *d);

/* Appends the GLZ stream of a width x height picture (rows stride_bytes
 * apart, xRGB words, or ARGB when alpha: RGBA streams) to out, top-down,
 * and adds the picture to d. Matches may copy from any image still in the
 * client's window. 0, -EINVAL (bad arguments, or a picture of the window's
 * size or more: the caller picks another codec, as the reference server
 * does) or -ENOMEM (d is unchanged then). */
int floe_glz_encode(struct floe_glz_dict *d, const uint32_t *pixels, int width, int height,
                    int stride_bytes, bool alpha, struct floe_bytes *out);

/* "glz", SPICE_IMAGE_GLZ_RGB (102). Its state, sized by params->glz_window,
 * stands for one peer for its whole session: the first encode makes its
 * floe_glz_dict, the first decode its floe_glz_window. GLZ_RGB and
 * ZLIB_GLZ_RGB images share the window, so floe_codec_glz and
 * floe_codec_zlib_glz share their state: one state from either state_new
 * serves both. floe_codec_zlib_glz reaches that state through the
 * functions below (GLZ knows nothing of its zlib wrapping). Alpha pictures
 * are carried as RGBA. */
extern const struct floe_codec floe_codec_glz;

/* That state's dictionary and window, made on first use (NULL: no memory). */
struct floe_glz_dict *floe_glz_state_dict(void *state);
struct floe_glz_window *floe_glz_state_window(void *state);
/* The parameters the state was made with (zeroed for NULL ones). */
const struct floe_codec_params *floe_glz_state_params(void *state);
void *floe_glz_state_new(const struct floe_codec_params *p);
void floe_glz_state_free(void *state);
/* floe_codec_glz's decode: a GLZ_RGB payload into the state's window
 * (floe_codec_zlib_glz's decode inflates ZLIB_GLZ_RGB first, then decodes
 * into the same window). 0 or -errno (-EBADMSG for a bad stream). */
int floe_glz_state_decode(void *state, const struct floe_coded *in, struct floe_pic *out);

#pragma GCC visibility pop

#endif
