/* Private display helpers of libfloe-client: surfaces and the pixman drawing
 * primitives (canvas.c), the image cache (image-cache.c), BITMAP decoding. */
#ifndef FLOE_CLIENT_DISPLAY_H
#define FLOE_CLIENT_DISPLAY_H

#include "client/internal.h"
#include "protocol/spice/draw.h"

/* ---- canvas.c ---- */

/* A new surface, all pixels zero; NULL on a bad size or format (-EBADMSG)
 * or ENOMEM in *err. */
struct fcli_surface *fcli_surface_new(uint32_t id, uint32_t width, uint32_t height,
                                      uint32_t format, uint32_t flags, int *err);
void fcli_surface_free(struct fcli_surface *s);
/* The surface's pixels as xRGB words: its image, or for another format a
 * copy kept beside it, brought up to date where `changed` says (whole when
 * the copy is new). NULL when out of memory. */
pixman_image_t *fcli_surface_shown(struct fcli_surface *s, pixman_region32_t *changed);

/* Clears every pixel of the surface to black. */
void fcli_canvas_clear(struct fcli_surface *s);

/* ---- draw-source.c ---- */

/* Surface `id`, or NULL (logged) when there is none. */
struct fcli_surface *fcli_display_surface(struct fcli_display *d, uint32_t id);
/* Records that rgn of s changed. */
void fcli_display_touched(struct fcli_display *d, struct fcli_surface *s, pixman_region32_t *rgn);
/* Logs "display: WHAT V not supported yet" once per flag. */
void fcli_display_warn_once(uint8_t *flag, const char *what, unsigned v);
/* The pixels an image names (the image at `offset` of body, parsed into
 * img): 0 with a new reference in *out, 1 when the draw is to be skipped
 * (already logged), or -errno for bad input. */
int fcli_draw_image(struct fcli_display *d, const uint8_t *body, size_t len, uint32_t offset,
                    const struct spice_image *img, pixman_image_t **out);
/* A draw's 1-bit mask as a new A1 image in *out (NULL without a mask): 0,
 * 1 when the draw is to be skipped (a mask not in the cache), or -errno. */
int fcli_draw_mask(struct fcli_display *d, const struct spice_mask *mask, pixman_image_t **out);

/* ---- draw.c ---- */

/* Draws one draw message (DRAW_* or COPY_BITS) on its surface. 0 (also
 * for a draw skipped or not drawable, logged), or -EBADMSG. */
int fcli_draw(struct fcli_display *d, uint16_t type, const uint8_t *body, size_t len);

/* ---- stream.c ---- */

/* Handles a STREAM_* message (STREAM_ACTIVATE_REPORT too) that came at
 * now_ms (CLOCK_MONOTONIC). 0 or -EBADMSG. */
int fcli_stream_message(struct fcli_display *d, uint16_t type, const uint8_t *body, size_t len,
                        int64_t now_ms);
/* Ends every stream and frees the frame decoder. */
void fcli_streams_fini(struct fcli_display *d);
/* ---- stream-draw.c ---- */

/* Decodes frame f of st and draws it on the stream's area, within its clip
 * as it is now. 0, or -1 when it does not decode. */
int fcli_stream_draw(struct fcli_display *d, struct fcli_stream *st, const struct fcli_frame *f);

/* ---- stream-play.c ---- */

/* A frame of st came at now_ms (f->data may point into the message): it
 * is drawn now, held until its time or dropped. */
void fcli_stream_arrive(struct fcli_display *d, struct fcli_stream *st, const struct fcli_frame *f,
                        int64_t now_ms);
/* Draws every held frame whose time has come and drops those late;
 * returns how many were drawn. */
int fcli_streams_play(struct fcli_display *d, int64_t now_ms);
/* When the next held frame is due (CLOCK_MONOTONIC ms), or -1 for none. */
int64_t fcli_streams_next_ms(const struct fcli_display *d, int64_t now_ms);
/* STREAM_ACTIVATE_REPORT for st: STREAM_REPORTs from its next frame on. */
void fcli_stream_activate_report(struct fcli_display *d, struct fcli_stream *st,
                                 const struct spice_stream_activate_report *m);
/* Whether frames of codec (SPICE_VIDEO_CODEC_TYPE_*) are played. */
int fcli_stream_codec_plays(uint8_t codec);
/* Frees st's held frames, counted as dropped when `count` (STREAM_DESTROY). */
void fcli_stream_release(struct fcli_display *d, struct fcli_stream *st, int count);
/* Moves up to max STREAM_REPORTs made into out; returns how many. */
int fcli_stream_reports_take(struct fcli_display *d, struct spice_stream_report *out, int max);

/* ---- image-cache.c ---- */

void fcli_image_cache_init(struct fcli_image_cache *c, uint64_t limit_pixels);
void fcli_image_cache_fini(struct fcli_image_cache *c);
/* Stores a new reference to img under id (img NULL = an image floe could not
 * decode), replacing any entry with that id. `pixels` counts against the
 * limit; the least recently used entries go when it is passed. 0 or -ENOMEM. */
int fcli_image_cache_put(struct fcli_image_cache *c, uint64_t id, pixman_image_t *img,
                         uint64_t pixels);
/* 1 and *img (borrowed, may be NULL) if id is cached, else 0. */
int fcli_image_cache_get(struct fcli_image_cache *c, uint64_t id, pixman_image_t **img);
void fcli_image_cache_remove(struct fcli_image_cache *c, uint64_t id);
void fcli_image_cache_clear(struct fcli_image_cache *c);

/* ---- images.c ---- */

/* Decodes a BITMAP image to a new 32-bit pixman image. NULL with *err:
 * -ENOTSUP (a format floe does not draw), -EBADMSG, -ENOMEM. */
pixman_image_t *fcli_bitmap_decode(struct fcli_display *d, const struct spice_image *img, int *err);
/* Decodes any compressed type a registered codec handles (QUIC, LZ, GLZ,
 * JPEG, ...) through codecs/codec.h, with d's codec memory and palettes.
 * NULL with *err: -ENOTSUP (no decoder for the type), -EBADMSG, -ENOMEM. */
pixman_image_t *fcli_coded_image_decode(struct fcli_display *d, const struct spice_image *img,
                                        int *err);
/* Frees d's codec memory and palettes. */
void fcli_display_codecs_reset(struct fcli_display *d);
void fcli_display_palettes_clear(struct fcli_display *d);
/* Drops the palette `id` (INVAL_PALETTE). */
void fcli_display_palette_remove(struct fcli_display *d, uint64_t id);
/* Keeps a palette of n little-endian entries at ents under id (a BITMAP's or
 * LZ_PLT's with PAL_CACHE_ME); NULL on no memory. */
const struct fcli_palette *fcli_display_palette_keep(struct fcli_display *d, uint64_t id,
                                                     const uint8_t *ents, uint16_t n, int keep);

#endif
