/* VP8 frames over libvpx (codecs/vp8.h): the encoder in realtime mode with
 * constant-bitrate rate control and no lag (each frame comes out as it goes
 * in), the decoder behind a check of each keyframe's stated size. */
#include "codecs/vp8.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vpx_encoder.h>

#include "codecs/yuv.h"

#define KBPS_MIN 32
#define KBPS_MAX 100000
/* a keyframe at most this share of a frame's average bits (percent): the
 * first frame of a stream stays within a few frames' time on the link */
#define MAX_INTRA_PCT 400
/* a keyframe after this many frames even when none is asked for: a bound
 * on how long a damaged picture could last */
#define KEY_EVERY 900

struct floe_vp8_enc {
    vpx_codec_ctx_t ctx;
    vpx_codec_enc_cfg_t cfg;
    vpx_image_t img;
    int force_key;
    int frames;
    uint64_t last_pts;
};

struct floe_vp8_dec {
    vpx_codec_ctx_t ctx;
    int ready;            /* ctx initialised */
    int keyed;            /* a keyframe decoded: inter frames have a reference */
};

static unsigned clamp_kbps(unsigned kbps)
{
    return kbps < KBPS_MIN ? KBPS_MIN : kbps > KBPS_MAX ? KBPS_MAX : kbps;
}

/* libvpx's speed for a frame size: high enough that a 1080p stream keeps
 * up on two cores, lower (better pictures per bit) where there is time. */
static int cpu_used_for(int w, int h)
{
    long px = (long)w * h;

    return px >= 1280L * 720 ? 10 : px >= 640L * 480 ? 8 : 6;
}

/* Two threads where one cannot keep up (720p and up); below that one: the
 * encoder's threads wait for each other spinning, which on a busy machine
 * (other streams, other jobs on the pool) costs more than it gains. */
static int threads_for(int w, int h)
{
    return (long)w * h >= 1280L * 720 ? 2 : 1;
}

static int size_ok(int w, int h)
{
    return w > 0 && h > 0 && w <= FLOE_VP8_MAX_DIM && h <= FLOE_VP8_MAX_DIM &&
           (long)w * h <= FLOE_VP8_MAX_PIXELS;
}

static void enc_config(vpx_codec_enc_cfg_t *cfg, const struct floe_vp8_enc_params *p)
{
    cfg->g_w = (unsigned)p->width;
    cfg->g_h = (unsigned)p->height;
    cfg->g_timebase.num = 1;
    cfg->g_timebase.den = 1000;     /* pts in milliseconds */
    cfg->g_threads = (unsigned)(p->threads > 0 ? p->threads : threads_for(p->width, p->height));
    cfg->g_lag_in_frames = 0;
    cfg->g_error_resilient = 0;     /* TCP loses nothing */
    cfg->g_pass = VPX_RC_ONE_PASS;
    cfg->rc_end_usage = VPX_CBR;
    cfg->rc_target_bitrate = clamp_kbps(p->kbps);
    cfg->rc_dropframe_thresh = 0;   /* every frame offered comes out */
    cfg->rc_resize_allowed = 0;
    cfg->rc_min_quantizer = 2;
    cfg->rc_max_quantizer = 56;
    cfg->rc_undershoot_pct = 50;
    cfg->rc_overshoot_pct = 50;
    cfg->rc_buf_sz = 1000;
    cfg->rc_buf_initial_sz = 600;
    cfg->rc_buf_optimal_sz = 800;
    cfg->kf_mode = VPX_KF_AUTO;
    cfg->kf_min_dist = 0;
    cfg->kf_max_dist = KEY_EVERY;
}

static int enc_controls(struct floe_vp8_enc *e, const struct floe_vp8_enc_params *p)
{
    int cpu = p->cpu_used > 0 && p->cpu_used <= 16 ? p->cpu_used : cpu_used_for(p->width,
                                                                               p->height);

    if (vpx_codec_control(&e->ctx, VP8E_SET_CPUUSED, cpu) ||
        vpx_codec_control(&e->ctx, VP8E_SET_NOISE_SENSITIVITY, 0) ||
        vpx_codec_control(&e->ctx, VP8E_SET_MAX_INTRA_BITRATE_PCT, MAX_INTRA_PCT) ||
        /* partitions let the threads (and a threaded decoder) share a frame */
        vpx_codec_control(&e->ctx, VP8E_SET_TOKEN_PARTITIONS,
                          e->cfg.g_threads > 1 ? VP8_TWO_TOKENPARTITION : VP8_ONE_TOKENPARTITION))
        return -1;
    return 0;
}

struct floe_vp8_enc *floe_vp8_enc_new(const struct floe_vp8_enc_params *p)
{
    struct floe_vp8_enc *e;

    if (!p || !size_ok(p->width, p->height))
        return NULL;
    e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    if (vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &e->cfg, 0))
        goto fail;
    enc_config(&e->cfg, p);
    if (!vpx_img_alloc(&e->img, VPX_IMG_FMT_I420, (unsigned)p->width, (unsigned)p->height, 32))
        goto fail;
    if (vpx_codec_enc_init(&e->ctx, vpx_codec_vp8_cx(), &e->cfg, 0)) {
        vpx_img_free(&e->img);
        goto fail;
    }
    if (enc_controls(e, p)) {
        floe_vp8_enc_free(e);
        return NULL;
    }
    return e;
fail:
    free(e);
    return NULL;
}

void floe_vp8_enc_free(struct floe_vp8_enc *e)
{
    if (!e)
        return;
    vpx_codec_destroy(&e->ctx);
    vpx_img_free(&e->img);
    free(e);
}

int floe_vp8_enc_set_kbps(struct floe_vp8_enc *e, unsigned kbps)
{
    kbps = clamp_kbps(kbps);
    if (kbps == e->cfg.rc_target_bitrate)
        return 0;
    e->cfg.rc_target_bitrate = kbps;
    return vpx_codec_enc_config_set(&e->ctx, &e->cfg) ? -EIO : 0;
}

unsigned floe_vp8_enc_kbps(const struct floe_vp8_enc *e)
{
    return e->cfg.rc_target_bitrate;
}

void floe_vp8_enc_force_key(struct floe_vp8_enc *e)
{
    e->force_key = 1;
}

/* Appends the frame packets libvpx has ready: 0, -ENOMEM, or -EIO when
 * there were none. */
static int take_packets(struct floe_vp8_enc *e, struct floe_bytes *out, bool *key)
{
    const vpx_codec_cx_pkt_t *pkt;
    vpx_codec_iter_t it = NULL;
    size_t at = out->len;
    int got = 0;

    while ((pkt = vpx_codec_get_cx_data(&e->ctx, &it))) {
        if (pkt->kind != VPX_CODEC_CX_FRAME_PKT)
            continue;
        if (floe_bytes_append(out, pkt->data.frame.buf, pkt->data.frame.sz)) {
            out->len = at;
            return -ENOMEM;
        }
        got = 1;
        if (key)
            *key = (pkt->data.frame.flags & VPX_FRAME_IS_KEY) != 0;
    }
    return got ? 0 : -EIO;
}

int floe_vp8_encode(struct floe_vp8_enc *e, const uint32_t *pixels, int stride_bytes,
                    uint64_t pts_ms, struct floe_bytes *out, bool *key)
{
    unsigned long duration;
    struct floe_yuv yuv;
    int w, h, ret;

    if (!e || !pixels || !out)
        return -EINVAL;
    w = (int)e->cfg.g_w;
    h = (int)e->cfg.g_h;
    if (stride_bytes <= 0 || stride_bytes % 4 || stride_bytes / 4 < w)
        return -EINVAL;
    if (e->frames && pts_ms <= e->last_pts)
        pts_ms = e->last_pts + 1;
    duration = e->frames ? (unsigned long)(pts_ms - e->last_pts) : 33;
    yuv = (struct floe_yuv){ e->img.planes[VPX_PLANE_Y], e->img.planes[VPX_PLANE_U],
                             e->img.planes[VPX_PLANE_V], e->img.stride[VPX_PLANE_Y],
                             e->img.stride[VPX_PLANE_U], e->img.stride[VPX_PLANE_V] };
    floe_yuv_from_xrgb(pixels, w, h, stride_bytes, &yuv);
    if (vpx_codec_encode(&e->ctx, &e->img, (vpx_codec_pts_t)pts_ms, duration,
                         e->force_key ? VPX_EFLAG_FORCE_KF : 0, VPX_DL_REALTIME))
        return -EIO;
    ret = take_packets(e, out, key);
    if (ret == 0) {
        e->force_key = 0;
        e->frames++;
        e->last_pts = pts_ms;
    }
    return ret;
}

/* --- decoding ---------------------------------------------------------- */

bool floe_vp8_is_key(const uint8_t *in, size_t len, int *w, int *h)
{
    /* RFC 6386 9.1: a 3-byte frame tag whose bit 0 is 0 on a keyframe, then
     * the start code 9d 01 2a and 14-bit width and height (2 scale bits) */
    if (!in || len < 10 || (in[0] & 1) || in[3] != 0x9d || in[4] != 0x01 || in[5] != 0x2a)
        return false;
    *w = (in[6] | in[7] << 8) & 0x3fff;
    *h = (in[8] | in[9] << 8) & 0x3fff;
    return true;
}

struct floe_vp8_dec *floe_vp8_dec_new(void)
{
    return calloc(1, sizeof(struct floe_vp8_dec));
}

void floe_vp8_dec_free(struct floe_vp8_dec *d)
{
    if (!d)
        return;
    if (d->ready)
        vpx_codec_destroy(&d->ctx);
    free(d);
}

static int dec_ready(struct floe_vp8_dec *d)
{
    vpx_codec_dec_cfg_t cfg = { .threads = 1 };

    if (d->ready)
        return 0;
    if (vpx_codec_dec_init(&d->ctx, vpx_codec_vp8_dx(), &cfg, 0))
        return -ENOMEM;
    d->ready = 1;
    return 0;
}

int floe_vp8_decode(struct floe_vp8_dec *d, const uint8_t *in, size_t len, uint32_t *out,
                    int out_w, int out_h, int out_stride_bytes)
{
    vpx_codec_iter_t it = NULL;
    vpx_image_t *img;
    struct floe_yuv yuv;
    int kw, kh, ret;

    if (!d || !in || !out || !size_ok(out_w, out_h) || out_stride_bytes <= 0 ||
        out_stride_bytes % 4 || out_stride_bytes / 4 < out_w)
        return -EINVAL;
    if (len == 0 || len > UINT_MAX)
        return -EBADMSG;
    if (floe_vp8_is_key(in, len, &kw, &kh)) {
        if (kw != out_w || kh != out_h)
            return -EBADMSG;
    } else if (!d->keyed) {
        return -EBADMSG;
    }
    if ((ret = dec_ready(d)))
        return ret;
    if (vpx_codec_decode(&d->ctx, in, (unsigned)len, NULL, 0))
        return -EBADMSG;
    img = vpx_codec_get_frame(&d->ctx, &it);
    if (!img || img->fmt != VPX_IMG_FMT_I420 || (int)img->d_w != out_w || (int)img->d_h != out_h)
        return -EBADMSG;
    d->keyed = 1;
    yuv = (struct floe_yuv){ img->planes[VPX_PLANE_Y], img->planes[VPX_PLANE_U],
                             img->planes[VPX_PLANE_V], img->stride[VPX_PLANE_Y],
                             img->stride[VPX_PLANE_U], img->stride[VPX_PLANE_V] };
    floe_yuv_to_xrgb(&yuv, out_w, out_h, out, out_stride_bytes);
    return 0;
}
