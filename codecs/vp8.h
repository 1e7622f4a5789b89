/* VP8 video frames over libvpx, for SPICE video streams (codec_type VP8):
 * an encoder of xRGB frames in realtime mode at a target bitrate, and a
 * decoder back to xRGB; frames pass through I420 (BT.601, limited range). */
#ifndef FLOE_CODECS_VP8_H
#define FLOE_CODECS_VP8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codecs/bytes.h"

/* the library's interface: exported, unlike everything else in it */
#pragma GCC visibility push(default)

/* Frames wider or taller than this, or with more pixels, are refused. */
#define FLOE_VP8_MAX_DIM 16383
#define FLOE_VP8_MAX_PIXELS (1L << 24)

struct floe_vp8_enc_params {
    int width, height;         /* every frame's size */
    unsigned kbps;             /* target bitrate, kbit/s (clamped to 32..100000) */
    int threads;               /* encoder threads; 0: 2 from 1280x720 up, else 1 */
    int cpu_used;              /* libvpx's speed, 1..16 (realtime); 0: chosen by size */
};

/* One stream's encoder: frames coded in order, each after the ones before
 * it. One object serves one thread at a time. */
struct floe_vp8_enc;

/* A new encoder, or NULL (bad parameters, no memory, libvpx refused). */
struct floe_vp8_enc *floe_vp8_enc_new(const struct floe_vp8_enc_params *p);
/* Frees e; NULL is ignored. */
void floe_vp8_enc_free(struct floe_vp8_enc *e);
/* A new target bitrate for the frames after this call: 0 or -EIO. */
int floe_vp8_enc_set_kbps(struct floe_vp8_enc *e, unsigned kbps);
unsigned floe_vp8_enc_kbps(const struct floe_vp8_enc *e);
/* The next frame coded is a keyframe (decodable on its own). */
void floe_vp8_enc_force_key(struct floe_vp8_enc *e);

/* Appends the next frame (the encoder's size, rows stride_bytes apart,
 * xRGB words; the top byte is ignored), shown at pts_ms, to out: one VP8
 * frame as SPICE's STREAM_DATA carries it. pts_ms must grow from frame to
 * frame (a stamp not past the last one is taken as the last one + 1).
 * *key (may be NULL) says whether it is a keyframe. 0, -EINVAL, -ENOMEM or
 * -EIO (libvpx failed); out is unchanged on error. */
int floe_vp8_encode(struct floe_vp8_enc *e, const uint32_t *pixels, int stride_bytes,
                    uint64_t pts_ms, struct floe_bytes *out, bool *key);

/* One stream's decoder: frames decoded in the order they were coded. */
struct floe_vp8_dec;

struct floe_vp8_dec *floe_vp8_dec_new(void);
void floe_vp8_dec_free(struct floe_vp8_dec *d);

/* Decodes the VP8 frame in[0..len) into out, a caller-owned buffer of
 * out_h rows of out_stride_bytes (>= 4 * out_w, a multiple of 4), as xRGB
 * words with the top byte 0. A keyframe must state out_w x out_h (checked
 * before libvpx sees it, which bounds what libvpx allocates); a frame
 * before the first keyframe is refused. 0, -EINVAL (bad arguments),
 * -EBADMSG (not a VP8 frame of that size, damaged data) or -ENOMEM. After
 * an error the frames that depend on the lost one may decode damaged
 * until the next keyframe. */
int floe_vp8_decode(struct floe_vp8_dec *d, const uint8_t *in, size_t len, uint32_t *out,
                    int out_w, int out_h, int out_stride_bytes);

/* Whether in[0..len) starts a VP8 keyframe; its size in *w, *h. */
bool floe_vp8_is_key(const uint8_t *in, size_t len, int *w, int *h);

#pragma GCC visibility pop

#endif
