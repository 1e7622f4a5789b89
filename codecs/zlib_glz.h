/* SPICE ZLIB_GLZ_RGB images: a GLZ stream (codecs/glz.h) deflated by zlib,
 * sharing the GLZ window and dictionary of the peer. */
#ifndef FLOE_CODECS_ZLIB_GLZ_H
#define FLOE_CODECS_ZLIB_GLZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codecs/codec.h"
#include "codecs/glz.h"

/* the library's interface: exported, unlike everything else in it */
#pragma GCC visibility push(default)

#define FLOE_ZLIB_GLZ_IMAGE_TYPE 107   /* SPICE_IMAGE_TYPE_ZLIB_GLZ_RGB */
/* The reference server wraps GLZ streams of at least this many bytes, and
 * only when deflate makes them smaller. */
#define FLOE_ZLIB_GLZ_MIN_WRAP 100

/* The largest GLZ stream a valid width x height picture can need: a larger
 * glz_data_size is refused before anything is allocated. */
size_t floe_zlib_glz_max_glz_size(int width, int height);

/* Inflates the zlib stream in[0..len) (the image's data[data_size]) to
 * exactly glz_size bytes (the image's glz_data_size) and decodes that GLZ
 * stream as floe_glz_decode does, into w and out. glz_size is checked against
 * the picture's size before the inflate buffer is allocated. 0, -EINVAL,
 * -EBADMSG (bad zlib data, a size that disagrees, bad GLZ) or -ENOMEM. */
int floe_zlib_glz_decode(struct floe_glz_window *w, const uint8_t *in, size_t len,
                         uint32_t glz_size, uint32_t *out, int out_w, int out_h,
                         int out_stride_bytes, struct floe_glz_info *info);

/* GLZ-encodes the picture into d (as floe_glz_encode) and appends the
 * deflated stream (zlib level 1..9, 0 for 6) to out; *glz_size gets the
 * stream's size before deflate. Always wraps: the choice the reference
 * makes (plain GLZ when deflate does not pay) is the codec table's.
 * 0, -EINVAL or -ENOMEM. */
int floe_zlib_glz_encode(struct floe_glz_dict *d, const uint32_t *pixels, int width, int height,
                         int stride_bytes, bool alpha, int level, struct floe_bytes *out,
                         uint32_t *glz_size);

/* "zlib-glz", ZLIB_GLZ_RGB (107): meta->aux is glz_data_size. Like the
 * reference server, encode falls back to a plain GLZ_RGB image (meta->type
 * 102, aux 0) when the GLZ stream is under FLOE_ZLIB_GLZ_MIN_WRAP bytes or
 * deflate does not shrink it, and decode takes both types. Its state is
 * floe_codec_glz's (see glz.h); params->zlib_level sets the level. */
extern const struct floe_codec floe_codec_zlib_glz;

#pragma GCC visibility pop

#endif
