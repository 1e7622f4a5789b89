/* A display client's video codec and its VP8 coder (stream-vp8.c), for
 * stream-enc.c: the choice is made on the loop thread, the coding on the
 * worker pool, one frame of a client at a time. */
#ifndef FLOE_SERVER_STREAM_VP8_H
#define FLOE_SERVER_STREAM_VP8_H

#include <stdint.h>

#include "codecs/bytes.h"
#include "protocol/spice/messages.h"

/* The largest stream (pixels a frame) that goes as VP8: a VP8 coder takes
 * about 15 ms of one core for a frame of 1024x576 and 30 ms of two for
 * 1920x1080, so larger streams go as MJPEG (some 9 ms a 1080p frame), which
 * keeps 30 frames a second on two cores; FLOE_TEST_STREAM_CODEC overrides. */
#define FSRV_VP8_MAX_PIXELS (1024u * 576u)

/* FLOE_TEST_STREAM_CODEC (tests and benches): SPICE_VIDEO_CODEC_TYPE_MJPEG
 * for "mjpeg", _VP8 for "vp8", 0 when unset. */
int fsrv_stream_codec_env(void);
/* The codec of the client's next stream: `forced` when not 0, else the
 * first of its PREFERRED_VIDEO_CODEC_TYPE list (prefs) it plays, else VP8
 * when it plays it (and no_vp8 is 0: it said it cannot), else MJPEG when
 * it plays it, else 0: no stream, the area goes to it as pictures. */
int fsrv_stream_codec_pick(const struct spice_caps *caps, const uint8_t *prefs, int n_prefs,
                           int forced, int no_vp8);
/* The bytes per second past which a VP8 stream of frames of `pixels`
 * pixels, one every interval_ms, gains nothing. */
uint64_t fsrv_vp8_want_bytes(double pixels, double interval_ms);

struct floe_vp8_enc;
struct fsrv_vp8_coder {
    struct floe_vp8_enc *enc;
    int width, height;
};

/* One frame to code: the coder is made anew (a keyframe first) on restart
 * or a new size; `key` asks for a keyframe. */
struct fsrv_vp8_job {
    const uint32_t *pixels;    /* width * height, rows packed */
    int width, height;
    unsigned kbps;
    uint64_t pts_ms;
    int restart, key;
};

/* Appends the frame's VP8 to out: 0, or a negative errno (the coder starts
 * anew with the next frame). */
int fsrv_vp8_code(struct fsrv_vp8_coder *v, const struct fsrv_vp8_job *j, struct floe_bytes *out);
void fsrv_vp8_coder_fini(struct fsrv_vp8_coder *v);

#endif
