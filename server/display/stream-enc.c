/* A video stream's frames on the way out: each frame keeps its pixels and
 * is coded for a client only when that client's queue reaches it, at the
 * quality (MJPEG) or bitrate (VP8) the client's rate allows (stream-rate.c),
 * on libuv's worker pool like images; MJPEG clients at the same quality
 * share the coding, a VP8 client has a coder of its own. A client's
 * link is watched while it streams: PINGs behind its frames time the queue
 * ahead of them, and its STREAM_REPORTs say whether frames came in time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/jpeg.h"
#include "common/log.h"
#include "protocol/spice/stream.h"
#include "server/display/stream-rate.h"
#include "server/display/stream-vp8.h"
#include "server/internal.h"

#define FRAME_CODINGS 4            /* qualities kept per frame */
#define POOL_MIN_PIXELS 16384      /* smaller frames are coded on the loop thread */
#define PING_EVERY_MS 500          /* a PING behind the frames this often */
#define PINGS 8                    /* PINGs awaiting their PONG, at most */
#define QUEUE_HIGH_MS 150          /* a round trip this much over the least: a queue */
#define QUEUE_LOW_MS 60            /* ... this little over it: none */
/* STREAM_ACTIVATE_REPORT: a report every this many frames or milliseconds */
#define REPORT_WINDOW 10
#define REPORT_TIMEOUT_MS 1000
/* a reported frame with less time than this before it is due came late
 * enough to say the link is full (frames are stamped 400 ms ahead) */
#define REPORT_MARGIN_MS 100

struct frame_coding {
    int quality;
    size_t jpeg_len;
    struct fsrv_msg *msg;          /* the STREAM_DATA */
};

struct fsrv_frame {
    uint32_t stream_id, mm_time;
    int width, height;
    int n;
    struct frame_coding coding[FRAME_CODINGS];
    uint32_t pixels[];             /* width * height, rows packed */
};

struct frame_job;

struct ping {
    uint32_t id;
    uint64_t bytes;                /* frame bytes written before it */
};

struct fsrv_stream_enc {
    struct floe_server *srv;
    struct fsrv_chan *chan;
    struct frame_job *job;         /* the coding on the worker pool, or NULL */
    int orphan;                    /* the channel is gone: the job's end frees this */
    struct floe_jpeg *jpeg;        /* used by one job at a time; learns the stream's Huffman tables */
    struct fsrv_stream_rate rate;
    int reports_cap;               /* the client sends STREAM_REPORTs */
    int streamed;                  /* it joined a stream before: its rate is the link's */
    uint32_t report_id;            /* the last STREAM_ACTIVATE_REPORT's unique id */
    uint64_t bytes;                /* frame bytes written */
    uint64_t last_ping_ms;
    struct ping pings[PINGS];
    int n_pings;
    uint64_t min_rtt_us;
    uint64_t pong_us, pong_bytes;  /* the last PONG of a stream PING: when, bytes before it */
    unsigned reports, drops;
    int fixed_quality;             /* FLOE_TEST_STREAM_QUALITY (benches): 0 when unset */
    /* the codec: the stream joined last's, and what picks the next one's */
    int codec;                     /* SPICE_VIDEO_CODEC_TYPE_* */
    int forced_codec;              /* FLOE_TEST_STREAM_CODEC: 0 when unset */
    int vp8_refused;               /* the client said it cannot play a VP8 stream */
    uint8_t prefs[SPICE_VIDEO_CODEC_TYPE_H265];   /* PREFERRED_VIDEO_CODEC_TYPE, best first */
    int n_prefs;
    /* VP8: the client's coder, used by one job at a time */
    struct fsrv_vp8_coder vp8;
    uint32_t vp8_stream;           /* 1 + the stream whose frames it codes; 0: none */
    int vp8_restart;               /* joined anew: the stream's next frame restarts it */
    unsigned vp8_kbps;             /* the last target */
    unsigned fixed_kbps;           /* FLOE_TEST_STREAM_KBPS (benches): 0 when unset */
};

static void frame_free(struct fsrv_frame *f)
{
    for (int i = 0; i < f->n; i++)
        fsrv_msg_unref(f->coding[i].msg);
    free(f);
}

struct fsrv_msg *fsrv_frame_msg_new(uint32_t stream_id, uint32_t mm_time, const pixman_box32_t *b,
                                    const uint32_t *px, int stride)
{
    int w = b->x2 - b->x1, h = b->y2 - b->y1;
    struct fsrv_msg *m = fsrv_msg_new(SPICE_MSG_DISPLAY_STREAM_DATA, NULL, 0);
    struct fsrv_frame *f;

    if (!m)
        return NULL;
    f = malloc(sizeof(*f) + (size_t)w * h * 4);
    if (!f) {
        fsrv_msg_unref(m);
        return NULL;
    }
    memset(f, 0, sizeof(*f));
    f->stream_id = stream_id;
    f->mm_time = mm_time;
    f->width = w;
    f->height = h;
    for (int y = 0; y < h; y++)
        memcpy(f->pixels + (size_t)y * w, (const uint8_t *)px + (size_t)y * stride,
               (size_t)w * 4);
    /* it carries its box: a slow client's overflow replaces it by pixels */
    m->has_box = 1;
    m->box = *b;
    m->frame = f;
    m->frame_free = frame_free;
    m->image_bytes = (size_t)w * h * 4;
    return m;
}

static struct frame_coding *coding_find(struct fsrv_frame *f, int quality)
{
    for (int i = 0; i < f->n; i++)
        if (f->coding[i].quality == quality)
            return &f->coding[i];
    return NULL;
}

static struct fsrv_msg *data_msg(const struct fsrv_frame *f, const struct floe_bytes *coded)
{
    struct floe_wbuf wb;

    floe_wbuf_init(&wb, 0);
    spice_stream_data_put(&wb, &(struct spice_stream_data){
        .id = f->stream_id, .mm_time = f->mm_time,
        .data = coded->data, .data_size = (uint32_t)coded->len });
    return fsrv_msg_from_wbuf(SPICE_MSG_DISPLAY_STREAM_DATA, &wb);
}

/* The STREAM_DATA of a JPEG (a new reference), kept in the frame for other
 * clients when there is room. */
static struct fsrv_msg *coding_add(struct fsrv_frame *f, int quality, const struct floe_bytes *jpeg)
{
    struct frame_coding *fc = coding_find(f, quality);
    struct fsrv_msg *m;

    if (fc)
        return fsrv_msg_ref(fc->msg);   /* another client's job was first */
    m = data_msg(f, jpeg);
    if (m && f->n < FRAME_CODINGS)
        f->coding[f->n++] = (struct frame_coding){ quality, jpeg->len, fsrv_msg_ref(m) };
    return m;
}

/* --- watching the link ------------------------------------------------- */

/* A PING right behind the frame about to be written, now and then: its
 * PONG comes once the client has read everything before it. It goes to the
 * queue's head, as the frame is being written (nothing may be written from
 * inside a channel's prepare, lest it pass the message in hand). */
static void maybe_ping(struct fsrv_stream_enc *se)
{
    struct fsrv_chan *c = se->chan;
    uint64_t now = fsrv_now_ms();
    struct spice_ping p = { (uint32_t)++c->ping_id, fsrv_now_us() };
    struct fsrv_msg *m;
    struct floe_wbuf w;

    if (now - se->last_ping_ms < PING_EVERY_MS || se->n_pings == PINGS) {
        c->ping_id--;
        return;
    }
    floe_wbuf_init(&w, 0);
    spice_ping_put(&w, &p);
    m = fsrv_msg_from_wbuf(SPICE_MSG_PING, &w);
    if (!m || fsrv_chan_push_front(c, m) < 0) {
        fsrv_msg_unref(m);
        return;
    }
    fsrv_msg_unref(m);
    se->last_ping_ms = now;
    se->pings[se->n_pings++] = (struct ping){ p.id, se->bytes };
}

void fsrv_stream_enc_pong(struct fsrv_stream_enc *se, uint32_t id, uint64_t sent_us)
{
    uint64_t now = fsrv_now_us(), rtt = now > sent_us ? now - sent_us : 0, delivered = 0;
    int i;

    if (!se)
        return;
    for (i = 0; i < se->n_pings && se->pings[i].id != id; i++)
        ;
    if (i == se->n_pings)
        return;   /* not a stream's PING (the channel's first one) */
    if (se->pong_us && now > se->pong_us)
        delivered = (se->pings[i].bytes - se->pong_bytes) * 8 * 1000000 / (now - se->pong_us);
    se->pong_us = now;
    se->pong_bytes = se->pings[i].bytes;
    memmove(&se->pings[0], &se->pings[i + 1], (size_t)(se->n_pings - i - 1) * sizeof(se->pings[0]));
    se->n_pings -= i + 1;
    if (!se->min_rtt_us || rtt < se->min_rtt_us)
        se->min_rtt_us = rtt;
    if (rtt > se->min_rtt_us + QUEUE_HIGH_MS * 1000)
        fsrv_stream_rate_congested(&se->rate, now / 1000, delivered);
    else if (rtt < se->min_rtt_us + QUEUE_LOW_MS * 1000)
        fsrv_stream_rate_calm(&se->rate, now / 1000);
}

int fsrv_stream_enc_report(struct fsrv_stream_enc *se, uint32_t stream_id,
                           const uint8_t *body, uint32_t len)
{
    struct spice_stream_report r;
    uint64_t now = fsrv_now_ms();

    if (spice_stream_report_parse(body, len, &r))
        return -EBADMSG;
    se->reports++;
    /* a report of another stream, or from before the last activation, is old */
    if (r.stream_id != stream_id || r.unique_id != se->report_id)
        return 0;
    if (r.num_frames == 0 && r.num_drops == UINT32_MAX) {
        floe_info("%s: display %u: the client cannot play stream %u", se->chan->peer,
                  se->chan->id, stream_id);
        /* it stated VP8 but has no decoder: its next streams go as MJPEG
         * (or as pictures, when it does not play MJPEG either) */
        if (se->codec == SPICE_VIDEO_CODEC_TYPE_VP8)
            se->vp8_refused = 1;
        return 0;
    }
    if (r.num_drops > 0 || r.last_frame_delay < REPORT_MARGIN_MS)
        fsrv_stream_rate_congested(&se->rate, now, 0);
    else
        fsrv_stream_rate_calm(&se->rate, now);
    return 0;
}

/* --- coding ------------------------------------------------------------ */

struct frame_job {
    uv_work_t req;
    struct fsrv_stream_enc *se;
    struct fsrv_msg *m;            /* the frame's message, a reference */
    int quality;                   /* MJPEG; 0 for VP8 */
    struct fsrv_vp8_job vp8;       /* VP8 (quality 0) */
    int rc;
    struct floe_bytes jpeg;        /* the coded frame, either codec */
};

static void job_work(uv_work_t *req)
{
    struct frame_job *j = (struct frame_job *)req;
    const struct fsrv_frame *f = j->m->frame;

    if (!j->quality)
        j->rc = fsrv_vp8_code(&j->se->vp8, &j->vp8, &j->jpeg);
    else
        j->rc = floe_jpeg_encode_frame(j->se->jpeg, f->pixels, f->width, f->height,
                                       f->width * 4, j->quality, &j->jpeg);
}

/* The frame's STREAM_DATA as the job coded it (a new reference). */
static struct fsrv_msg *job_msg(struct frame_job *j)
{
    if (j->rc != 0)
        return NULL;
    return j->quality ? coding_add(j->m->frame, j->quality, &j->jpeg)
                      : data_msg(j->m->frame, &j->jpeg);
}

static void job_free(struct frame_job *j)
{
    fsrv_msg_unref(j->m);
    floe_bytes_free(&j->jpeg);
    free(j);
}

/* The coding goes out: counted, and the link looked at now and then. */
static struct fsrv_msg *written(struct fsrv_stream_enc *se, struct fsrv_msg *out, int quality,
                                size_t coded_len)
{
    fsrv_stream_rate_coded(&se->rate, quality, coded_len);
    se->bytes += out->len;
    se->srv->stats.stream_frames++;
    return out;
}

static void enc_destroy(struct fsrv_stream_enc *se)
{
    fsrv_vp8_coder_fini(&se->vp8);
    floe_jpeg_free(se->jpeg);
    free(se);
}

static void job_after(uv_work_t *req, int status)
{
    struct frame_job *j = (struct frame_job *)req;
    struct fsrv_stream_enc *se = j->se;
    struct fsrv_chan *c = se->chan;
    struct fsrv_msg *out = NULL;

    se->job = NULL;
    if (se->orphan) {
        job_free(j);
        enc_destroy(se);
        return;
    }
    c->held = HELD_NO;
    if (status == 0)
        out = job_msg(j);
    if (!out)
        floe_warn("stream %u: coding a frame failed (%d)", j->m->frame->stream_id, j->rc);
    /* a newer frame queued meanwhile does not waste this one: coded, it
     * goes; a slow link shows as frames replaced while still queued */
    if (out) {
        written(se, out, j->quality, j->jpeg.len);
        maybe_ping(se);   /* at the head first: the frame goes before it */
        if (fsrv_chan_push_front(c, out) < 0)
            fsrv_chan_close(c, "out of memory");
        fsrv_msg_unref(out);
    }
    job_free(j);
    fsrv_chan_flush(c);
}

/* A VP8 frame's job: the bitrate the client's rate allows, up to what the
 * stream can use; a frame of another stream than the coder's, or the
 * first since the client joined, restarts the coder (a keyframe). */
static void vp8_job(struct fsrv_stream_enc *se, const struct fsrv_frame *f, struct fsrv_vp8_job *vj)
{
    uint64_t want = fsrv_vp8_want_bytes((double)f->width * f->height, se->rate.interval_ms);
    uint64_t bytes = se->rate.byte_rate < want ? se->rate.byte_rate : want;

    fsrv_stream_rate_want(&se->rate, want);
    se->vp8_kbps = se->fixed_kbps ? se->fixed_kbps : (unsigned)(bytes * 8 / 1000);
    *vj = (struct fsrv_vp8_job){ .pixels = f->pixels, .width = f->width, .height = f->height,
                                 .kbps = se->vp8_kbps, .pts_ms = f->mm_time };
    if (se->vp8_stream != f->stream_id + 1 || se->vp8_restart) {
        vj->restart = 1;
        se->vp8_stream = f->stream_id + 1;
        se->vp8_restart = 0;
    }
}

struct fsrv_msg *fsrv_stream_enc_prepare(struct fsrv_chan *c, struct fsrv_stream_enc *se,
                                         struct fsrv_msg *m)
{
    struct fsrv_frame *f = m->frame;
    struct frame_coding *fc;
    struct frame_job *j;
    struct fsrv_msg *out;
    int quality;

    if (!se)
        return NULL;   /* frames go to synced clients only */
    if (se->codec == SPICE_VIDEO_CODEC_TYPE_VP8) {
        quality = 0;
    } else {
        quality = fsrv_stream_rate_quality(&se->rate);
        if ((fc = coding_find(f, quality))) {
            out = written(se, fsrv_msg_ref(fc->msg), quality, fc->jpeg_len);
            maybe_ping(se);
            return out;
        }
        if (!se->jpeg && !(se->jpeg = floe_jpeg_new()))
            return NULL;
    }
    j = calloc(1, sizeof(*j));
    if (!j)
        return NULL;
    j->se = se;
    j->m = fsrv_msg_ref(m);
    j->quality = quality;
    if (!quality)
        vp8_job(se, f, &j->vp8);
    if ((size_t)f->width * f->height >= POOL_MIN_PIXELS &&
        uv_queue_work(se->srv->loop, &j->req, job_work, job_after) == 0) {
        se->job = j;
        c->held = HELD_ENCODING;
        return NULL;
    }
    job_work(&j->req);
    out = job_msg(j);
    if (out) {
        written(se, out, quality, j->jpeg.len);
        maybe_ping(se);
    }
    job_free(j);
    return out;
}

/* --- joining and leaving ----------------------------------------------- */

int fsrv_stream_enc_offer(struct fsrv_stream_enc *se)
{
    return !se || fsrv_stream_rate_offer(&se->rate, fsrv_now_ms());
}

void fsrv_stream_enc_dropped(struct fsrv_stream_enc *se, unsigned frames)
{
    if (!se || !frames)
        return;
    se->drops += frames;
    /* a frame that waited while the one before it was being coded says the
     * server is slow, not the link */
    if (se->chan->held != HELD_ENCODING)
        fsrv_stream_rate_congested(&se->rate, fsrv_now_ms(), 0);
}

int fsrv_stream_enc_codec(const struct fsrv_stream_enc *se, uint64_t pixels)
{
    if (!se)
        return SPICE_VIDEO_CODEC_TYPE_MJPEG;
    return fsrv_stream_codec_pick(&se->chan->caps, se->prefs, se->n_prefs, se->forced_codec,
                                  se->vp8_refused || pixels > FSRV_VP8_MAX_PIXELS);
}

int fsrv_stream_enc_inter(const struct fsrv_stream_enc *se)
{
    return se && se->codec == SPICE_VIDEO_CODEC_TYPE_VP8;
}

void fsrv_stream_enc_prefer(struct fsrv_stream_enc *se, const uint8_t *codecs, int n)
{
    se->n_prefs = 0;
    for (int i = 0; i < n && se->n_prefs < (int)sizeof(se->prefs); i++)
        se->prefs[se->n_prefs++] = codecs[i];
    floe_debug("%s: display %u: %d preferred video codecs, the first %d; next stream: %d",
               se->chan->peer, se->chan->id, n, n ? codecs[0] : 0, fsrv_stream_enc_codec(se, 0));
}

void fsrv_stream_enc_join(struct fsrv_stream_enc *se, uint32_t stream_id, const pixman_box32_t *b,
                          int codec)
{
    struct fsrv_session *ss = se->chan->sess;
    double pixels = (double)(b->x2 - b->x1) * (b->y2 - b->y1);
    struct floe_wbuf wb;

    if (se->streamed)
        fsrv_stream_rate_restart(&se->rate, pixels, fsrv_now_ms());
    else
        fsrv_stream_rate_init(&se->rate, ss ? ss->bandwidth_bps : 0, pixels, fsrv_now_ms());
    se->codec = codec;
    se->vp8_restart = 1;
    /* a bench's fixed bitrate, like its fixed quality, sends every frame */
    fsrv_stream_rate_fix(&se->rate, codec == SPICE_VIDEO_CODEC_TYPE_VP8 && se->fixed_kbps
                                        ? 100 : se->fixed_quality);
    se->streamed = 1;
    se->n_pings = 0;
    se->pong_us = 0;
    if (!se->reports_cap)
        return;
    floe_wbuf_init(&wb, 0);
    spice_stream_activate_report_put(&wb, &(struct spice_stream_activate_report){
        .stream_id = stream_id, .unique_id = ++se->report_id,
        .max_window_size = REPORT_WINDOW, .timeout_ms = REPORT_TIMEOUT_MS });
    fsrv_chan_send_wbuf(se->chan, SPICE_MSG_DISPLAY_STREAM_ACTIVATE_REPORT, &wb);
}

void fsrv_stream_enc_describe(const struct fsrv_stream_enc *se, char *out, size_t len)
{
    if (se->codec == SPICE_VIDEO_CODEC_TYPE_VP8) {
        /* the bitrate the frames are coded at, and the budget behind it */
        snprintf(out, len, " stream_codec=vp8 stream_vp8_kbps=%u stream_kbps=%llu "
                 "stream_reports=%u stream_drops=%u", se->vp8_kbps,
                 (unsigned long long)(se->rate.byte_rate * 8 / 1000), se->reports,
                 se->drops + se->rate.skips);
        return;
    }
    snprintf(out, len, " stream_codec=mjpeg stream_quality=%d stream_kbps=%llu stream_reports=%u "
             "stream_drops=%u", fsrv_stream_rate_quality(&se->rate),
             (unsigned long long)(se->rate.byte_rate * 8 / 1000), se->reports,
             se->drops + se->rate.skips);
}

struct fsrv_stream_enc *fsrv_stream_enc_new(struct fsrv_chan *c)
{
    struct fsrv_stream_enc *se = calloc(1, sizeof(*se));
    const char *q;

    if (!se)
        return NULL;
    se->srv = c->srv;
    se->chan = c;
    se->reports_cap = spice_caps_has(c->caps.channel, SPICE_DISPLAY_CAP_STREAM_REPORT);
    /* a bench sweeps the quality: every frame at it, none skipped */
    if ((q = getenv("FLOE_TEST_STREAM_QUALITY")))
        se->fixed_quality = atoi(q);
    if ((q = getenv("FLOE_TEST_STREAM_KBPS")) && atoi(q) > 0)
        se->fixed_kbps = (unsigned)atoi(q);
    se->forced_codec = fsrv_stream_codec_env();
    se->codec = SPICE_VIDEO_CODEC_TYPE_MJPEG;
    fsrv_stream_rate_init(&se->rate, 0, 1, fsrv_now_ms());
    fsrv_stream_rate_fix(&se->rate, se->fixed_quality);
    return se;
}

void fsrv_stream_enc_free(struct fsrv_stream_enc *se)
{
    if (!se)
        return;
    /* the worker may be using the JPEG handles: the job's end frees them */
    if (se->job) {
        se->orphan = 1;
        se->chan = NULL;
        return;
    }
    enc_destroy(se);
}
