/* Which video codec a display client's streams use, and a client's VP8
 * coder: VP8 for a client that states MULTI_CODEC and CODEC_VP8 (unless it
 * prefers MJPEG, or FLOE_TEST_STREAM_CODEC forces a codec), MJPEG for one
 * without MULTI_CODEC or stating CODEC_MJPEG, none (its area goes as
 * pictures) for one that states MULTI_CODEC and neither; a stream larger
 * than FSRV_VP8_MAX_PIXELS goes as MJPEG, which keeps up; each client has
 * a VP8 encoder of its own, since every frame refers to the ones it was
 * sent before. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/vp8.h"
#include "common/log.h"
#include "protocol/spice/stream.h"
#include "server/display/stream-vp8.h"

/* The bits per pixel past which VP8 frames of a photographic video look no
 * better to the eye: the budget a fast link gives a stream stops there. */
#define VP8_MAX_BITS_PER_PIXEL 0.30
#define VP8_MIN_KBPS 64

int fsrv_stream_codec_env(void)
{
    const char *e = getenv("FLOE_TEST_STREAM_CODEC");

    if (!e || !*e)
        return 0;
    if (!strcmp(e, "mjpeg"))
        return SPICE_VIDEO_CODEC_TYPE_MJPEG;
    if (!strcmp(e, "vp8"))
        return SPICE_VIDEO_CODEC_TYPE_VP8;
    floe_warn("FLOE_TEST_STREAM_CODEC=%s: not mjpeg or vp8, ignored", e);
    return 0;
}

/* Whether the client plays codec, by its caps (the reference's rule: one
 * without MULTI_CODEC plays MJPEG alone). */
static int client_plays(const struct spice_caps *caps, int codec)
{
    int multi = spice_caps_has(caps->channel, SPICE_DISPLAY_CAP_MULTI_CODEC);

    switch (codec) {
    case SPICE_VIDEO_CODEC_TYPE_MJPEG:
        return !multi || spice_caps_has(caps->channel, SPICE_DISPLAY_CAP_CODEC_MJPEG);
    case SPICE_VIDEO_CODEC_TYPE_VP8:
        return multi && spice_caps_has(caps->channel, SPICE_DISPLAY_CAP_CODEC_VP8);
    }
    return 0;
}

int fsrv_stream_codec_pick(const struct spice_caps *caps, const uint8_t *prefs, int n_prefs,
                           int forced, int no_vp8)
{
    /* the server's own order: VP8 first, its frames are far smaller */
    static const int own[] = { SPICE_VIDEO_CODEC_TYPE_VP8, SPICE_VIDEO_CODEC_TYPE_MJPEG };

    if (forced)
        return forced;
    /* the client's order first, where it names codecs floe has */
    for (int i = 0; i < n_prefs; i++)
        if ((prefs[i] == SPICE_VIDEO_CODEC_TYPE_VP8 || prefs[i] == SPICE_VIDEO_CODEC_TYPE_MJPEG) &&
            !(no_vp8 && prefs[i] == SPICE_VIDEO_CODEC_TYPE_VP8) && client_plays(caps, prefs[i]))
            return prefs[i];
    for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
        if (!(no_vp8 && own[i] == SPICE_VIDEO_CODEC_TYPE_VP8) && client_plays(caps, own[i]))
            return own[i];
    /* it plays none of floe's codecs: no stream, pictures (as the reference) */
    return 0;
}

uint64_t fsrv_vp8_want_bytes(double pixels, double interval_ms)
{
    double fps = interval_ms > 0 ? 1000.0 / interval_ms : 30;
    double bits = pixels * fps * VP8_MAX_BITS_PER_PIXEL;

    if (bits < VP8_MIN_KBPS * 1000.0)
        bits = VP8_MIN_KBPS * 1000.0;
    return (uint64_t)(bits / 8);
}

void fsrv_vp8_coder_fini(struct fsrv_vp8_coder *v)
{
    floe_vp8_enc_free(v->enc);
    v->enc = NULL;
}

int fsrv_vp8_code(struct fsrv_vp8_coder *v, const struct fsrv_vp8_job *j, struct floe_bytes *out)
{
    struct floe_vp8_enc_params p = { .width = j->width, .height = j->height, .kbps = j->kbps };
    int rc;

    if (!v->enc || j->restart || v->width != j->width || v->height != j->height) {
        floe_vp8_enc_free(v->enc);
        v->enc = floe_vp8_enc_new(&p);
        if (!v->enc)
            return -ENOMEM;
        v->width = j->width;
        v->height = j->height;
    }
    if (floe_vp8_enc_set_kbps(v->enc, j->kbps) < 0)
        floe_debug("VP8: the bitrate %u kbit/s was refused", j->kbps);
    if (j->key)
        floe_vp8_enc_force_key(v->enc);
    rc = floe_vp8_encode(v->enc, j->pixels, j->width * 4, j->pts_ms, out, NULL);
    if (rc < 0) {
        /* what the client decodes next cannot follow a frame never sent:
         * the next one starts anew */
        floe_vp8_enc_free(v->enc);
        v->enc = NULL;
    }
    return rc;
}
