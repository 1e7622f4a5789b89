/* The DISPLAY channel of one client, one per monitor: DISPLAY_INIT starts
 * the full picture, then it follows the model; a client too slow to keep up
 * gets its pending draws replaced, where they stood, by the newest pixels of
 * the area they covered. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "protocol/spice/stream.h"
#include "server/internal.h"

#define DISPLAY_QUEUE_LIMIT (24u << 20)

struct display_client {
    int synced;
    struct fsrv_display_enc *enc;   /* codecs, cache and dictionary: from DISPLAY_INIT on */
    struct fsrv_stream_enc *stream; /* video frames' coding and rate: from DISPLAY_INIT on */
    int preferred;                  /* PREFERRED_COMPRESSION before DISPLAY_INIT, or 0 */
    /* PREFERRED_VIDEO_CODEC_TYPE before DISPLAY_INIT, kept for its stream coder */
    uint8_t video_prefs[SPICE_VIDEO_CODEC_TYPE_H265];
    int n_video_prefs;
    uint8_t glz_id;                 /* the client's GLZ dictionary id ... */
    int glz_own;                    /* ... and whether this channel uses it */
    int server_renders;             /* draw operations go to it as pixels */
    int no_occlusion;               /* FLOE_TEST_OCCLUSION=0: queued draws stay, for tests
                                     * of what an overflow does */
    int fast_reports;               /* reports in a row of a client with time to spare */
    unsigned last_busy;             /* the last report's share of time rendering, permille */
    size_t merged_msgs;             /* messages queued after the last merge by count */
};

/* A client that reports rendering draws for more than half of its time
 * gets their pixels instead, and its queue merged sooner; three reports in
 * a row under a fifth take it back to rendering them itself. */
#define SLOW_PERMILLE 500
#define FAST_PERMILLE 200
#define FAST_REPORTS 3

/* A client slow at rendering is slow per message, whatever its size: its
 * queue is merged once it holds about a second of what it renders (as its
 * reports say), and no sooner than twice what the last merge left. */
#define MIN_QUEUED_MSGS 32
#define MAX_QUEUED_MSGS 1024

static size_t msgs_per_second(const struct spice_floe_render_report *rr)
{
    uint64_t n = rr->busy_us ? (uint64_t)rr->draws * 1000000u / rr->busy_us : MAX_QUEUED_MSGS;

    return n < MIN_QUEUED_MSGS ? MIN_QUEUED_MSGS : n > MAX_QUEUED_MSGS ? MAX_QUEUED_MSGS : n;
}

int fsrv_display_server_renders(const struct fsrv_chan *c)
{
    const struct display_client *dc = c->priv;

    return dc && dc->server_renders;
}

int fsrv_display_client_bound(const struct fsrv_chan *c)
{
    const struct display_client *dc = c->priv;

    return dc && (dc->server_renders || dc->last_busy >= SLOW_PERMILLE);
}

/* FLOE_MSGC_DISPLAY_RENDER_REPORT: the client's share of time spent
 * rendering decides who renders draw operations for it. */
static void render_report(struct fsrv_chan *c, const struct spice_floe_render_report *rr)
{
    struct display_client *dc = c->priv;
    uint64_t busy = rr->period_ms ? (uint64_t)rr->busy_us / rr->period_ms : 0;   /* permille */

    const struct fsrv_surface *sf = &c->srv->primary[c->id];

    dc->last_busy = busy > 1000 ? 1000 : (unsigned)busy;
    if (!dc->server_renders && busy >= SLOW_PERMILLE) {
        dc->server_renders = 1;
        dc->fast_reports = 0;
        /* and what waits for it is merged sooner: past two pictures' worth,
         * the newest pixels of an area replace the draws queued for it */
        c->queue_limit = 2 * (size_t)sf->width * sf->height * 4 + (1u << 20);
        if (c->queue_limit > DISPLAY_QUEUE_LIMIT)
            c->queue_limit = DISPLAY_QUEUE_LIMIT;
        c->queue_msg_limit = msgs_per_second(rr);
        c->srv->stats.server_rendered_clients++;
        fsrv_offscreen_client_drop(c);
        floe_info("%s: display %u: the client spends %llu%% of its time rendering %u draws: "
                  "the server renders for it", c->peer, c->id, (unsigned long long)busy / 10,
                  rr->draws);
    } else if (dc->server_renders) {
        dc->fast_reports = busy < FAST_PERMILLE ? dc->fast_reports + 1 : 0;
        c->queue_msg_limit = msgs_per_second(rr);
        if (dc->fast_reports >= FAST_REPORTS) {
            dc->server_renders = 0;
            c->queue_limit = DISPLAY_QUEUE_LIMIT;
            c->queue_msg_limit = 0;
            c->srv->stats.server_rendered_clients--;
            fsrv_offscreen_client_sync(c);
            floe_info("%s: display %u: the client has time to spare (%llu%% rendering): it "
                      "renders draws again", c->peer, c->id, (unsigned long long)busy / 10);
        }
    }
}

static void display_linked(struct fsrv_chan *c)
{
    const char *occ = getenv("FLOE_TEST_OCCLUSION");
    struct display_client *dc = calloc(1, sizeof(*dc));

    c->priv = dc;
    if (!dc) {
        fsrv_chan_close(c, "out of memory");
        return;
    }
    c->lossy = fsrv_lossy_new();
    if (!c->lossy) {
        fsrv_chan_close(c, "out of memory");
        return;
    }
    dc->no_occlusion = occ && !strcmp(occ, "0");
    c->queue_limit = DISPLAY_QUEUE_LIMIT;
    fsrv_chan_set_ack(c, 20);
    fsrv_chan_ping(c);
}

/* A GLZ dictionary is the client's, named by an id: a client may give every
 * display channel the same one (remote-viewer does) and then keeps one window
 * ordered by one sequence of image ids. Only the first channel to name a
 * dictionary uses it; the others of the session use LZ instead of GLZ. */
static int glz_taken(struct fsrv_chan *c, uint8_t id)
{
    for (int k = 0; c->sess && k < FLOE_SERVER_MAX_MONITORS; k++) {
        struct fsrv_chan *o = c->sess->display[k];
        struct display_client *odc = o && o != c ? o->priv : NULL;

        if (odc && odc->synced && odc->glz_own && odc->glz_id == id)
            return 1;
    }
    return 0;
}

static int display_init(struct fsrv_chan *c, struct spice_display_init *init)
{
    struct display_client *dc = c->priv;

    dc->glz_id = init->glz_dictionary_id;
    dc->glz_own = init->glz_dictionary_window_size > 0 && !glz_taken(c, dc->glz_id);
    if (!dc->glz_own && init->glz_dictionary_window_size > 0) {
        floe_debug("%s: display %u: GLZ dictionary %u is another channel's: LZ instead",
                   c->peer, c->id, dc->glz_id);
        init->glz_dictionary_window_size = 0;
    }
    dc->enc = fsrv_display_enc_new(c, init);
    dc->stream = fsrv_stream_enc_new(c);
    if (!dc->enc || !dc->stream)
        return -ENOMEM;
    if (dc->preferred)
        fsrv_display_enc_prefer(dc->enc, (uint8_t)dc->preferred);
    if (dc->n_video_prefs)
        fsrv_stream_enc_prefer(dc->stream, dc->video_prefs, dc->n_video_prefs);
    dc->synced = 1;
    fsrv_display_client_sync(c);
    return 0;
}

static int display_handle(struct fsrv_chan *c, uint16_t type, const uint8_t *body, uint32_t len)
{
    struct display_client *dc = c->priv;
    struct floe_rbuf r;
    struct spice_display_init init;

    floe_rbuf_init(&r, body, len);
    switch (type) {
    case SPICE_MSGC_DISPLAY_INIT:
        spice_display_init_get(&r, &init);
        if (r.bad)
            return -EBADMSG;
        return dc->synced ? 0 : display_init(c, &init);
    case FLOE_MSGC_DISPLAY_RENDER_REPORT: {
        struct spice_floe_render_report rr;

        /* floe's own message: only from a client that said it sends it */
        if (!spice_caps_has(c->caps.channel, FLOE_DISPLAY_CAP_RENDER_REPORT)) {
            floe_debug("%s: display: ignoring message %u", c->peer, type);
            return 0;
        }
        spice_floe_render_report_get(&r, &rr);
        if (r.bad)
            return -EBADMSG;
        render_report(c, &rr);
        return 0;
    }
    case SPICE_MSGC_DISPLAY_PREFERRED_COMPRESSION: {
        struct spice_preferred_compression pc;

        spice_preferred_compression_get(&r, &pc);
        if (r.bad)
            return -EBADMSG;
        /* an unknown value is ignored, as the reference server does */
        if (pc.image_compression < 1 || pc.image_compression > 7)
            floe_warn("%s: display: unknown preferred compression %u", c->peer,
                      pc.image_compression);
        else if (dc->enc)
            fsrv_display_enc_prefer(dc->enc, pc.image_compression);
        else
            dc->preferred = pc.image_compression;
        return 0;
    }
    case SPICE_MSGC_DISPLAY_PREFERRED_VIDEO_CODEC_TYPE: {
        struct spice_preferred_video_codecs pv;

        if (spice_preferred_video_codecs_parse(body, len, &pv))
            return -EBADMSG;
        /* for the next stream; an empty list is ignored, as the reference does */
        if (!pv.num_codecs)
            return 0;
        if (dc->stream) {
            fsrv_stream_enc_prefer(dc->stream, pv.codecs, pv.num_codecs);
            return 0;
        }
        /* before DISPLAY_INIT: kept until the stream coder is made */
        dc->n_video_prefs = 0;
        for (int i = 0; i < pv.num_codecs && dc->n_video_prefs < (int)sizeof(dc->video_prefs); i++)
            dc->video_prefs[dc->n_video_prefs++] = pv.codecs[i];
        return 0;
    }
    case SPICE_MSGC_DISPLAY_STREAM_REPORT:
        /* a report on a stream this client has left is old news */
        if (!dc->stream || !c->stream_joined)
            return 0;
        return fsrv_stream_enc_report(dc->stream, c->stream_joined - 1, body, len);
    default:
        floe_debug("%s: display: ignoring message %u", c->peer, type);
        return 0;
    }
}

/* ---- occlusion: a draw painted over before it was sent goes ---- */

/* past this many queued messages a client is far behind: its overflow,
 * not this walk, merges what it has queued */
#define OCCLUDE_MAX_QUEUE 1024

struct occlude_walk {
    pixman_box32_t box;
    int n, barrier, at, dropped, n_reads;
    struct {
        int at;                /* its place in the queue */
        pixman_box32_t src;    /* the pixels it reads */
    } reads[OCCLUDE_MAX_QUEUE];
};

/* A message that is not a draw (MARK among them: a first picture stays
 * whole before it; a surface made or destroyed; stream frames) ends what
 * an occlusion may reach behind it. */
static int barrier(const struct fsrv_msg *m)
{
    return !m->has_box && m->type != SPICE_MSG_DISPLAY_MONITORS_CONFIG;
}

/* Pass 1: the last barrier, and what each COPY_BITS reads. */
static int scan_queue(struct fsrv_chan *c, const struct fsrv_msg *m, void *arg)
{
    struct occlude_walk *w = arg;
    struct spice_copy_bits cb;

    (void)c;
    if (!m)
        return 0;
    if (barrier(m))
        w->barrier = w->n;
    if (m->type == SPICE_MSG_DISPLAY_COPY_BITS) {
        if (w->n_reads == OCCLUDE_MAX_QUEUE || spice_copy_bits_parse(m->body, m->len, &cb)) {
            w->barrier = w->n;
        } else {
            int32_t wd = cb.base.box.right - cb.base.box.left;
            int32_t ht = cb.base.box.bottom - cb.base.box.top;

            w->reads[w->n_reads].at = w->n;
            w->reads[w->n_reads++].src = (pixman_box32_t){ cb.src_pos.x, cb.src_pos.y,
                                                           cb.src_pos.x + wd,
                                                           cb.src_pos.y + ht };
        }
    }
    w->n++;
    return 0;
}

/* Whether a COPY_BITS after place `at` reads pixels of box b. */
static int read_later(const struct occlude_walk *w, int at, const pixman_box32_t *b)
{
    for (int i = w->n_reads - 1; i >= 0 && w->reads[i].at > at; i--) {
        const pixman_box32_t *r = &w->reads[i].src;

        if (r->x1 < b->x2 && b->x1 < r->x2 && r->y1 < b->y2 && b->y1 < r->y2)
            return 1;
    }
    return 0;
}

/* Pass 2: draws after the last barrier that box covers whole and no later
 * COPY_BITS reads go. */
static int drop_covered(struct fsrv_chan *c, const struct fsrv_msg *m, void *arg)
{
    struct occlude_walk *w = arg;
    int at = w->at++;

    (void)c;
    if (!m || at <= w->barrier || !m->has_box)
        return 0;
    if (m->box.x1 < w->box.x1 || m->box.y1 < w->box.y1 || m->box.x2 > w->box.x2 ||
        m->box.y2 > w->box.y2 || read_later(w, at, &m->box))
        return 0;
    w->dropped++;
    return 1;
}

/* An opaque draw of box is about to be queued for c: draws still queued
 * for it that box covers whole go (nothing after them reads their pixels
 * before box is painted over), counted in stats.occluded. */
static void display_occlude(struct fsrv_chan *c, const pixman_box32_t *box)
{
    struct display_client *dc = c->priv;
    struct occlude_walk *w;

    if (!c->head || c->overflowing || !dc || dc->no_occlusion)
        return;
    w = malloc(sizeof(*w));
    if (!w)
        return;
    w->box = *box;
    w->n = w->at = w->dropped = w->n_reads = 0;
    w->barrier = -1;
    fsrv_chan_edit(c, scan_queue, w);
    if (w->n <= OCCLUDE_MAX_QUEUE && w->barrier < w->n - 1) {
        fsrv_chan_edit(c, drop_covered, w);
        c->srv->stats.occluded += (uint64_t)w->dropped;
    }
    free(w);
}

/* An overflow's walk over the queue, with what it does per surface (0, the
 * monitor's primary, and the off-screen ones, by id). */
struct overflow_run {
    int used;
    int doomed;               /* SURFACE_DESTROYs still ahead: the surface drawn on goes */
    pixman_region32_t run;    /* the area of the draws taken out since the last message kept */
    pixman_region32_t sent;   /* what this walk has sent of the current surface */
};

struct overflow_walk {
    struct overflow_run *by_id;   /* FLOE_SERVER_MAX_SURFACES of them */
    int dropped;
    int few;                      /* merging for a client slow per message: few rectangles */
};

/* A merge for a client slow per message sends an area in few rectangles:
 * its boxes grown to 64-pixel tiles, or its extents if that is still too
 * many. Whatever is sent is the current picture, so more area is only more
 * bytes. */
#define FEW_RECTS 16

static void coarsen(pixman_region32_t *rg)
{
    pixman_region32_t t;
    pixman_box32_t e = *pixman_region32_extents(rg);
    int n;
    const pixman_box32_t *b = pixman_region32_rectangles(rg, &n);

    if (n <= FEW_RECTS)
        return;
    pixman_region32_init(&t);
    for (int i = 0; i < n; i++) {
        int x1 = b[i].x1 & ~63, y1 = b[i].y1 & ~63;

        pixman_region32_union_rect(&t, &t, x1, y1, (unsigned)(((b[i].x2 + 63) & ~63) - x1),
                                   (unsigned)(((b[i].y2 + 63) & ~63) - y1));
    }
    pixman_region32_intersect_rect(&t, &t, e.x1, e.y1, (unsigned)(e.x2 - e.x1),
                                   (unsigned)(e.y2 - e.y1));
    if (pixman_region32_n_rects(&t) > FEW_RECTS)
        pixman_region32_reset(&t, &e);
    pixman_region32_copy(rg, &t);
    pixman_region32_fini(&t);
}

static struct overflow_run *run_of(struct overflow_walk *w, uint32_t id)
{
    struct overflow_run *r = &w->by_id[id < FLOE_SERVER_MAX_SURFACES ? id : 0];

    if (!r->used) {
        r->used = 1;
        pixman_region32_init(&r->run);
        pixman_region32_init(&r->sent);
    }
    return r;
}

static int count_destroys(struct fsrv_chan *c, const struct fsrv_msg *m, void *arg)
{
    struct overflow_walk *w = arg;

    (void)c;
    if (m && m->type == SPICE_MSG_DISPLAY_SURFACE_DESTROY)
        run_of(w, m->surface_id)->doomed++;
    return 0;
}

/* Sends what the draws taken out since the last message kept covered, on
 * each surface, as its current pixels. */
static void flush_runs(struct fsrv_chan *c, struct overflow_walk *w)
{
    for (uint32_t id = 0; id < FLOE_SERVER_MAX_SURFACES; id++) {
        struct overflow_run *r = &w->by_id[id];

        if (!r->used || !pixman_region32_not_empty(&r->run))
            continue;
        if (w->few)
            coarsen(&r->run);
        pixman_region32_subtract(&r->run, &r->run, &r->sent);
        pixman_region32_union(&r->sent, &r->sent, &r->run);
        if (id == 0)
            fsrv_display_send_region(c, &r->run);
        else
            fsrv_offscreen_send_region(c, id, &r->run);
        pixman_region32_clear(&r->run);
    }
}

/* Takes every draw out; before each message kept (and at the end) sends the
 * current pixels of the area the draws taken out just before it covered, on
 * their surface, so the replacement stands where they stood: a first
 * picture stays before its MARK, an off-screen surface's pixels after it is
 * created. Pixels this walk sent already are still true where they are,
 * since every draw in between was taken out. Draws on a surface destroyed
 * further on are taken out with nothing in their place: the server's pixels
 * are another surface's now. */
static int replace_draws(struct fsrv_chan *c, const struct fsrv_msg *m, void *arg)
{
    struct overflow_walk *w = arg;

    if (m && m->type == SPICE_MSG_DISPLAY_SURFACE_DESTROY) {
        run_of(w, m->surface_id)->doomed--;
        return 0;
    }
    if (m && (m->has_box || m->offscreen_draw)) {
        struct overflow_run *r = run_of(w, m->offscreen_draw ? m->surface_id : 0);

        if (!r->doomed)
            pixman_region32_union_rect(&r->run, &r->run, m->box.x1, m->box.y1,
                                       (unsigned)(m->box.x2 - m->box.x1),
                                       (unsigned)(m->box.y2 - m->box.y1));
        w->dropped++;
        return 1;
    }
    flush_runs(c, w);
    return 0;
}

/* Replaces every queued draw by the current pixels of its area. */
static void display_overflow(struct fsrv_chan *c)
{
    struct display_client *dc = c->priv;
    const struct fsrv_surface *sf = &c->srv->primary[c->id];
    struct overflow_walk w = { .dropped = 0 };
    int rects = 0, by_count;

    if (!dc)
        return;
    by_count = c->queue_msg_limit && c->queued_msgs > c->queue_msg_limit &&
               c->queued_msgs > 2 * dc->merged_msgs;
    /* what replaces the dropped draws is at most a surface of pixels (so is
     * the first picture): wait for twice that, so one overflow is not
     * followed by another at once; chan.c keeps this from recursing */
    if (!by_count && c->queued_bytes < 2 * (size_t)sf->width * sf->height * 4)
        return;
    w.few = by_count;
    w.by_id = calloc(FLOE_SERVER_MAX_SURFACES, sizeof(*w.by_id));
    if (!w.by_id)
        return;
    fsrv_chan_edit(c, count_destroys, &w);
    fsrv_chan_edit(c, replace_draws, &w);
    for (uint32_t id = 0; id < FLOE_SERVER_MAX_SURFACES; id++)
        if (w.by_id[id].used) {
            rects += pixman_region32_n_rects(&w.by_id[id].sent);
            pixman_region32_fini(&w.by_id[id].run);
            pixman_region32_fini(&w.by_id[id].sent);
        }
    dc->merged_msgs = by_count ? c->queued_msgs : 0;
    floe_debug("%s: slow client: %d pending draws replaced by pixels (%d rectangles)", c->peer,
               w.dropped, rects);
    free(w.by_id);
}

/* Each message is made for the client as it is written; what it does to
 * the client's pixels, lossy or exact, is noted then, in the order the
 * client draws them. */
static struct fsrv_msg *display_prepare(struct fsrv_chan *c, struct fsrv_msg *m)
{
    struct display_client *dc = c->priv;
    struct fsrv_msg *out;

    if (dc && !c->queued_msgs)
        dc->merged_msgs = 0;
    if (m->frame) {
        fsrv_lossy_written(c->lossy, m);
        return fsrv_stream_enc_prepare(c, dc ? dc->stream : NULL, m);
    }
    /* a picture is noted as encoded for this client: its own message
     * comes back here once encoded, if that happens on the worker pool */
    out = fsrv_display_enc_prepare(c, dc ? dc->enc : NULL, m);
    if (out)
        fsrv_lossy_written(c->lossy, out);
    return out;
}

static void display_pong(struct fsrv_chan *c, uint32_t id, uint64_t sent_us)
{
    struct display_client *dc = c->priv;

    if (dc)
        fsrv_stream_enc_pong(dc->stream, id, sent_us);
}

struct fsrv_stream_enc *fsrv_display_stream_enc(struct fsrv_chan *c)
{
    struct display_client *dc = c ? c->priv : NULL;

    return dc ? dc->stream : NULL;
}

static void display_closed(struct fsrv_chan *c)
{
    struct display_client *dc = c->priv;

    if (dc && dc->server_renders)
        c->srv->stats.server_rendered_clients--;
    if (dc) {
        fsrv_display_enc_free(dc->enc);
        fsrv_stream_enc_free(dc->stream);
    }
    free(c->priv);
    c->priv = NULL;
    fsrv_lossy_free(c->lossy);
    c->lossy = NULL;
}

const struct fsrv_chan_ops fsrv_display_ops = {
    .linked = display_linked,
    .handle = display_handle,
    .overflow = display_overflow,
    .occlude = display_occlude,
    .prepare = display_prepare,
    .closed = display_closed,
    .pong = display_pong,
};
