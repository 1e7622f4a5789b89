/* When a video stream's frames are shown, as the reference client shows
 * them: each is held until its stamp on the server's multimedia clock (the
 * server stamps frames ahead of that clock by the delay it allows for),
 * drawn then, and dropped when it comes or falls later than a frame's
 * slack, or is stamped before one already shown; and what happened is told
 * to a server that asked (STREAM_ACTIVATE_REPORT) in STREAM_REPORTs. */
#include "client/display.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"

/* held bytes of one display, all streams together: JPEGs, or VP8 frames
 * decoded (a 1080p frame is 8 MB: the reference's 400 ms at 30 frames a
 * second fit) */
#define HELD_BYTES_MAX (128u << 20)
/* a frame's slack: the stream's interval between stamps, within these */
#define SLACK_MIN_MS 10
#define SLACK_MAX_MS 100
#define SLACK_FIRST_MS 40
/* a stamp further ahead than this is not on the clock this client has (the
 * reference's lead is 400 ms): such a frame is drawn as it comes */
#define AHEAD_MAX_MS 5000
/* this many frames dropped in a row send the report at once (as the
 * reference client does), whatever its window */
#define REPORT_DROP_RUN 3

/* How far ahead of the server's clock stamp mm is (negative: late), and
 * whether the clock says anything about it. */
static int clocked(const struct fcli_display *d, uint32_t mm, int64_t now_ms, int32_t *ahead)
{
    *ahead = 0;
    if (!d->mm_clock || !d->mm_clock->set || mm == 0)   /* 0: a server that does not stamp */
        return 0;
    *ahead = (int32_t)(mm - fcli_mm_clock_now(d->mm_clock, now_ms));
    if (*ahead <= AHEAD_MAX_MS)
        return 1;
    *ahead = 0;
    return 0;
}

static int32_t slack_ms(const struct fcli_stream *st)
{
    uint32_t s = st->interval_ms ? st->interval_ms : SLACK_FIRST_MS;

    return (int32_t)(s < SLACK_MIN_MS ? SLACK_MIN_MS : s > SLACK_MAX_MS ? SLACK_MAX_MS : s);
}

static void drop(struct fcli_display *d, struct fcli_stream *st, int late)
{
    st->drops++;
    d->stream_drops++;
    if (late)
        d->stream_late++;
    if (st->report.active)
        st->report.drops++;
}

/* Forgets held frame i (its bytes freed). */
static void held_remove(struct fcli_display *d, struct fcli_stream *st, int i)
{
    d->held_bytes -= st->held[i].size;
    free((void *)st->held[i].data);
    memmove(&st->held[i], &st->held[i + 1], (size_t)(st->n_held - i - 1) * sizeof(st->held[0]));
    st->n_held--;
}

void fcli_stream_release(struct fcli_display *d, struct fcli_stream *st, int count)
{
    while (st->n_held) {
        if (count)
            drop(d, st, 0);
        held_remove(d, st, 0);
    }
}

/* Draws f: 1, or 0 when it does not decode (dropped). */
static int show(struct fcli_display *d, struct fcli_stream *st, const struct fcli_frame *f,
                int64_t now_ms)
{
    int32_t ahead;

    if (fcli_stream_draw(d, st, f)) {
        /* one bad frame is dropped; the next one replaces it */
        drop(d, st, 0);
        return 0;
    }
    /* a stamp off the clock orders nothing: the frames after it still play */
    if (clocked(d, f->mm_time, now_ms, &ahead)) {
        st->shown = 1;
        st->shown_mm_time = f->mm_time;
    }
    st->frames++;
    d->stream_frames++;
    d->stream_last_ms = now_ms;
    if (!d->stream_first_ms)
        d->stream_first_ms = now_ms;
    return 1;
}

/* Keeps a copy of f in stamp order, making room by dropping the oldest
 * held; 0, or -1 when f itself is dropped. */
static int hold(struct fcli_display *d, struct fcli_stream *st, const struct fcli_frame *f)
{
    uint8_t *copy;
    int i;

    while (st->n_held && (st->n_held == FLOE_CLIENT_HELD_FRAMES ||
                          d->held_bytes + f->size > HELD_BYTES_MAX)) {
        drop(d, st, 0);
        held_remove(d, st, 0);
    }
    if (d->held_bytes + f->size > HELD_BYTES_MAX || !(copy = malloc(f->size ? f->size : 1)))
        return -1;
    if (f->size)
        memcpy(copy, f->data, f->size);
    for (i = st->n_held; i > 0 && (int32_t)(f->mm_time - st->held[i - 1].mm_time) < 0; i--)
        ;
    memmove(&st->held[i + 1], &st->held[i], (size_t)(st->n_held - i) * sizeof(st->held[0]));
    st->held[i] = *f;
    st->held[i].data = copy;
    st->n_held++;
    d->held_bytes += f->size;
    return 0;
}

/* Draws st's held frames that are due: the newest of them, unless it is
 * late by more than the slack; the others are late. */
static int stream_play(struct fcli_display *d, struct fcli_stream *st, int64_t now_ms)
{
    int drawn = 0;
    int32_t ahead, next;

    while (st->n_held) {
        if (clocked(d, st->held[0].mm_time, now_ms, &ahead) && ahead > 0)
            break;
        if ((st->n_held > 1 && (!clocked(d, st->held[1].mm_time, now_ms, &next) || next <= 0)) ||
            ahead < -slack_ms(st)) {
            drop(d, st, 1);
        } else {
            drawn += show(d, st, &st->held[0], now_ms);
        }
        held_remove(d, st, 0);
    }
    return drawn;
}

int fcli_streams_play(struct fcli_display *d, int64_t now_ms)
{
    int drawn = 0;

    for (int i = 0; i < FLOE_CLIENT_MAX_STREAMS; i++)
        if (d->streams[i].used && d->streams[i].n_held)
            drawn += stream_play(d, &d->streams[i], now_ms);
    return drawn;
}

int64_t fcli_streams_next_ms(const struct fcli_display *d, int64_t now_ms)
{
    int64_t next = -1;
    int32_t ahead;

    for (int i = 0; i < FLOE_CLIENT_MAX_STREAMS; i++) {
        const struct fcli_stream *st = &d->streams[i];
        int64_t at;

        if (!st->used || !st->n_held)
            continue;
        at = clocked(d, st->held[0].mm_time, now_ms, &ahead) && ahead > 0 ? now_ms + ahead
                                                                           : now_ms;
        if (next < 0 || at < next)
            next = at;
    }
    return next;
}

/* Queues a STREAM_REPORT; when the display channel has not taken the
 * earlier ones, the newest replaces the last. */
static void report_out(struct fcli_display *d, const struct spice_stream_report *r)
{
    if (d->n_reports_out == FLOE_CLIENT_REPORTS_OUT)
        d->n_reports_out--;
    d->reports_out[d->n_reports_out++] = *r;
}

/* A frame stamped mm came, ahead of the clock by `ahead` ms, and was
 * dropped or not: counted in the report window, which is sent when it
 * holds max_window frames, spans timeout_ms or ends a run of drops. */
static void report_frame(struct fcli_display *d, struct fcli_stream *st, uint32_t mm,
                         int32_t ahead, int dropped, int64_t now_ms)
{
    struct fcli_stream_report_state *r = &st->report;
    uint32_t drops;

    if (!r->active)
        return;
    if (!r->frames) {
        r->start_mm_time = mm;
        r->start_ms = now_ms;
    }
    r->frames++;
    r->drop_run = dropped ? r->drop_run + 1 : 0;
    if (r->frames < r->max_window && now_ms - r->start_ms < (int64_t)r->timeout_ms &&
        r->drop_run < REPORT_DROP_RUN)
        return;
    /* a drop of a frame that came in an earlier window counts in this one,
     * but no window reports more drops than frames */
    drops = r->drops < r->frames ? r->drops : r->frames;
    floe_debug("display: stream %u report: %u frames, %u dropped, the last %d ms ahead",
               (unsigned)(st - d->streams), r->frames, drops, ahead);
    report_out(d, &(struct spice_stream_report){
        .stream_id = (uint32_t)(st - d->streams), .unique_id = r->unique_id,
        .start_frame_mm_time = r->start_mm_time, .end_frame_mm_time = mm,
        .num_frames = r->frames, .num_drops = drops, .last_frame_delay = ahead,
        .audio_delay = UINT32_MAX });
    r->drops -= drops;
    r->frames = 0;
    r->drop_run = 0;
}

void fcli_stream_arrive(struct fcli_display *d, struct fcli_stream *st, const struct fcli_frame *f,
                        int64_t now_ms)
{
    int32_t ahead;
    int on_clock = clocked(d, f->mm_time, now_ms, &ahead), dropped = 1;

    if (st->arrived) {
        int32_t gap = (int32_t)(f->mm_time - st->last_mm_time);

        /* frames come in their order: a stamp that goes back says otherwise */
        if (gap <= 0)
            d->stream_reordered++;
        else
            st->interval_ms = (uint32_t)gap;
    }
    st->arrived++;
    st->last_mm_time = f->mm_time;
    if (on_clock && st->shown && (int32_t)(f->mm_time - st->shown_mm_time) < 0) {
        drop(d, st, 0);                 /* older than a frame shown */
    } else if (on_clock && ahead < -slack_ms(st)) {
        drop(d, st, 1);
    } else if ((!on_clock || ahead <= 0) && !st->n_held) {
        dropped = !show(d, st, f, now_ms);   /* due now: no copy */
    } else if (hold(d, st, f) == 0) {
        dropped = 0;
        stream_play(d, st, now_ms);
    } else {
        drop(d, st, 0);
    }
    report_frame(d, st, f->mm_time, on_clock ? ahead : 0, dropped, now_ms);
}

int fcli_stream_codec_plays(uint8_t codec)
{
    return codec == SPICE_VIDEO_CODEC_TYPE_MJPEG || codec == SPICE_VIDEO_CODEC_TYPE_VP8;
}

void fcli_stream_activate_report(struct fcli_display *d, struct fcli_stream *st,
                                 const struct spice_stream_activate_report *m)
{
    memset(&st->report, 0, sizeof(st->report));
    if (!fcli_stream_codec_plays(st->codec)) {
        /* a stream this client cannot play: said once, in the reference's words */
        report_out(d, &(struct spice_stream_report){ .stream_id = m->stream_id,
                                                     .unique_id = m->unique_id,
                                                     .num_drops = UINT32_MAX,
                                                     .audio_delay = UINT32_MAX });
        return;
    }
    st->report.active = 1;
    st->report.unique_id = m->unique_id;
    st->report.max_window = m->max_window_size;
    st->report.timeout_ms = m->timeout_ms;
    floe_debug("display: stream %u reports every %u frames or %u ms", m->stream_id,
               m->max_window_size, m->timeout_ms);
}

int fcli_stream_reports_take(struct fcli_display *d, struct spice_stream_report *out, int max)
{
    int n = d->n_reports_out < max ? d->n_reports_out : max;

    memcpy(out, d->reports_out, (size_t)n * sizeof(*out));
    memmove(d->reports_out, d->reports_out + n, (size_t)(d->n_reports_out - n) * sizeof(*out));
    d->n_reports_out -= n;
    return n;
}
