/* A video stream's frames on the way out: each frame keeps its pixels and
 * is coded for a client only when that client's queue reaches it, at the
 * quality the client's rate allows (stream-rate.c), on libuv's worker pool
 * like images; clients at the same quality share the coding. A client's
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

/* The STREAM_DATA of a JPEG (a new reference), kept in the frame for other
 * clients when there is room. */
static struct fsrv_msg *coding_add(struct fsrv_frame *f, int quality, const struct floe_bytes *jpeg)
{
    struct frame_coding *fc = coding_find(f, quality);
    struct floe_wbuf wb;
    struct fsrv_msg *m;

    if (fc)
        return fsrv_msg_ref(fc->msg);   /* another client's job was first */
    floe_wbuf_init(&wb, 0);
    spice_stream_data_put(&wb, &(struct spice_stream_data){
        .id = f->stream_id, .mm_time = f->mm_time,
        .data = jpeg->data, .data_size = (uint32_t)jpeg->len });
    m = fsrv_msg_from_wbuf(SPICE_MSG_DISPLAY_STREAM_DATA, &wb);
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
    int quality;
    int rc;
    struct floe_bytes jpeg;
};

static void job_work(uv_work_t *req)
{
    struct frame_job *j = (struct frame_job *)req;
    const struct fsrv_frame *f = j->m->frame;

    j->rc = floe_jpeg_encode_frame(j->se->jpeg, f->pixels, f->width, f->height, f->width * 4,
                             j->quality, &j->jpeg);
}

static void job_free(struct frame_job *j)
{
    fsrv_msg_unref(j->m);
    floe_bytes_free(&j->jpeg);
    free(j);
}

/* The coding goes out: counted, and the link looked at now and then. */
static struct fsrv_msg *written(struct fsrv_stream_enc *se, struct fsrv_msg *out, int quality,
                                size_t jpeg_len)
{
    fsrv_stream_rate_coded(&se->rate, quality, jpeg_len);
    se->bytes += out->len;
    se->srv->stats.stream_frames++;
    return out;
}

static void enc_destroy(struct fsrv_stream_enc *se)
{
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
    if (status == 0 && j->rc == 0)
        out = coding_add(j->m->frame, j->quality, &j->jpeg);
    else
        floe_warn("stream %u: JPEG of a frame failed (%d)", j->m->frame->stream_id, j->rc);
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
    quality = fsrv_stream_rate_quality(&se->rate);
    if ((fc = coding_find(f, quality))) {
        out = written(se, fsrv_msg_ref(fc->msg), quality, fc->jpeg_len);
        maybe_ping(se);
        return out;
    }
    if (!se->jpeg && !(se->jpeg = floe_jpeg_new()))
        return NULL;
    j = calloc(1, sizeof(*j));
    if (!j)
        return NULL;
    j->se = se;
    j->m = fsrv_msg_ref(m);
    j->quality = quality;
    if ((size_t)f->width * f->height >= POOL_MIN_PIXELS &&
        uv_queue_work(se->srv->loop, &j->req, job_work, job_after) == 0) {
        se->job = j;
        c->held = HELD_ENCODING;
        return NULL;
    }
    job_work(&j->req);
    out = j->rc == 0 ? coding_add(f, quality, &j->jpeg) : NULL;
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

void fsrv_stream_enc_join(struct fsrv_stream_enc *se, uint32_t stream_id, const pixman_box32_t *b)
{
    struct fsrv_session *ss = se->chan->sess;
    double pixels = (double)(b->x2 - b->x1) * (b->y2 - b->y1);
    struct floe_wbuf wb;

    if (se->streamed)
        fsrv_stream_rate_restart(&se->rate, pixels, fsrv_now_ms());
    else
        fsrv_stream_rate_init(&se->rate, ss ? ss->bandwidth_bps : 0, pixels, fsrv_now_ms());
    fsrv_stream_rate_fix(&se->rate, se->fixed_quality);
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
    snprintf(out, len, " stream_quality=%d stream_kbps=%llu stream_reports=%u stream_drops=%u",
             fsrv_stream_rate_quality(&se->rate),
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
