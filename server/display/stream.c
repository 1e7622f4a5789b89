/* Video streams: a box of a monitor's surface redrawn at video rate goes to
 * the display clients as video frames (each client's codec: VP8 or MJPEG)
 * instead of DRAW_COPYs until it stands still, then once more as exact
 * pixels before STREAM_DESTROY. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "protocol/spice/stream.h"
#include "server/internal.h"

/* The reference server's rules: a box of 96x96 or more, drawn again less
 * than 200 ms after its last picture, 20 times after the first (the 21st
 * picture starts the stream); a stream with no new picture for 1 s ends. */
#define STREAM_MIN_SIDE 96
#define STREAM_GAP_MS 200
#define STREAM_AFTER 20
#define STREAM_IDLE_MS 1000
/* ids are small: clients keep their streams in an array indexed by id */
#define STREAM_IDS 50
/* Frames are stamped this far ahead of the multimedia clock MAIN_INIT
 * started: a client plays a frame when its clock reaches the stamp and
 * drops one already late, so this is the room for the way over the network
 * and the client's own delays (the reference's MM_TIME_DELTA). */
#define STREAM_PLAYOUT_MS 400

static int box_eq(const pixman_box32_t *a, const pixman_box32_t *b)
{
    return a->x1 == b->x1 && a->y1 == b->y1 && a->x2 == b->x2 && a->y2 == b->y2;
}

static int box_overlap(const pixman_box32_t *a, const pixman_box32_t *b)
{
    return a->x1 < b->x2 && b->x1 < a->x2 && a->y1 < b->y2 && b->y1 < a->y2;
}

static const uint32_t *px_row(const uint32_t *px, int stride, int y)
{
    return (const uint32_t *)((const uint8_t *)px + (ptrdiff_t)y * stride);
}

/* Whether the picture differs from the surface in box b (on 24 bits). */
static int box_changed(const struct fsrv_surface *sf, const pixman_box32_t *b,
                       const uint32_t *px, int stride)
{
    int w = b->x2 - b->x1;

    for (int y = b->y1; y < b->y2; y++) {
        const uint32_t *src = px_row(px, stride, y - b->y1);
        const uint32_t *dst = sf->pixels + (size_t)y * sf->width + b->x1;

        for (int x = 0; x < w; x++)
            if ((src[x] ^ dst[x]) & 0xffffff)
                return 1;
    }
    return 0;
}

static void box_write(struct fsrv_surface *sf, const pixman_box32_t *b, const uint32_t *px,
                      int stride)
{
    int w = b->x2 - b->x1;

    for (int y = b->y1; y < b->y2; y++) {
        const uint32_t *src = px_row(px, stride, y - b->y1);
        uint32_t *dst = sf->pixels + (size_t)y * sf->width + b->x1;

        for (int x = 0; x < w; x++)
            dst[x] = src[x] & 0xffffff;
    }
}

static struct spice_rect rect_of(const pixman_box32_t *b)
{
    return (struct spice_rect){ .left = b->x1, .top = b->y1, .right = b->x2, .bottom = b->y2 };
}

static struct fsrv_msg *create_msg(const struct fsrv_stream *st, int codec)
{
    uint32_t w = (uint32_t)(st->box.x2 - st->box.x1), h = (uint32_t)(st->box.y2 - st->box.y1);
    struct spice_stream_create m = {
        .surface_id = 0, .id = st->id, .flags = SPICE_STREAM_FLAGS_TOP_DOWN,
        .codec_type = (uint8_t)codec, .stream_width = w, .stream_height = h,
        .src_width = w, .src_height = h, .dest = rect_of(&st->box),
        .clip = { .type = SPICE_CLIP_NONE },
    };
    struct floe_wbuf wb;

    floe_wbuf_init(&wb, 0);
    spice_stream_create_put(&wb, &m, NULL);
    return fsrv_msg_from_wbuf(SPICE_MSG_DISPLAY_STREAM_CREATE, &wb);
}

/* The stream's box as the surface has it now, as its next frame: coded
 * for each client when written, stamped now. */
static struct fsrv_msg *frame_msg(struct floe_server *s, const struct fsrv_stream *st)
{
    const struct fsrv_surface *sf = &s->primary[st->monitor];
    const pixman_box32_t *b = &st->box;

    return fsrv_frame_msg_new(st->id, (uint32_t)(fsrv_now_ms() - s->start_ms + 1 +
                                                 STREAM_PLAYOUT_MS), b,
                              sf->pixels + (size_t)b->y1 * sf->width + b->x1, sf->width * 4);
}

struct frame_drop {
    int keep_coded;    /* coded frames refer to each other: only uncoded ones go */
    unsigned dropped;
};

/* A client's frames not yet written are outdated by a newer one. */
static int drop_frames(struct fsrv_chan *c, const struct fsrv_msg *m, void *arg)
{
    struct frame_drop *fd = arg;

    (void)c;
    if (m && m->type == SPICE_MSG_DISPLAY_STREAM_DATA && (m->frame || !fd->keep_coded)) {
        fd->dropped++;
        return 1;
    }
    return 0;
}

/* STREAM_CREATE for codec, made once per codec and frame. */
static struct fsrv_msg *create_for(const struct fsrv_stream *st, struct fsrv_msg **made, int codec)
{
    int k = codec == SPICE_VIDEO_CODEC_TYPE_VP8;

    if (!made[k])
        made[k] = create_msg(st, codec);
    return made[k];
}

/* The box's pixels as a picture, made once per frame: for the clients
 * that play none of the codecs. */
static struct fsrv_msg *picture_for(struct floe_server *s, const struct fsrv_stream *st,
                                    struct fsrv_msg **made)
{
    const struct fsrv_surface *sf = &s->primary[st->monitor];

    if (!*made)
        *made = fsrv_image_msg_new(st->monitor, &st->box,
                                   sf->pixels + (size_t)st->box.y1 * sf->width + st->box.x1,
                                   sf->width * 4);
    return *made;
}

/* Sends the surface's box as the stream's next frame to every synced
 * display client of the monitor whose rate lets it; one that has not
 * joined the stream gets STREAM_CREATE first, and one that plays none of
 * the codecs gets the box as a picture, as the reference sends it. */
static void send_frame(struct floe_server *s, struct fsrv_stream *st)
{
    struct fsrv_msg *data = frame_msg(s, st), *create[2] = { NULL, NULL }, *cm, *pic = NULL;

    if (!data)
        return;
    for (struct fsrv_session *ss = s->sessions; ss; ss = ss->next) {
        struct fsrv_chan *c = ss->display[st->monitor];
        struct fsrv_stream_enc *se = fsrv_display_stream_enc(c);
        struct frame_drop fd = { fsrv_stream_enc_inter(se), 0 };
        int codec;

        if (!c || !c->model_synced || c->closing)
            continue;
        if (c->stream_joined != st->id + 1) {
            /* a client joining mid-stream too: its coder starts with a keyframe */
            codec = fsrv_stream_enc_codec(se, (uint64_t)(st->box.x2 - st->box.x1) *
                                                  (uint64_t)(st->box.y2 - st->box.y1));
            if (!codec) {
                if ((cm = picture_for(s, st, &pic)))
                    fsrv_chan_send(c, cm);
                continue;
            }
            if (!(cm = create_for(st, create, codec)))
                continue;
            fsrv_chan_send(c, cm);
            c->stream_joined = st->id + 1;
            if (se)
                fsrv_stream_enc_join(se, st->id, &st->box, codec);
        } else if (!fsrv_stream_enc_offer(se)) {
            continue;
        } else {
            fsrv_chan_edit(c, drop_frames, &fd);
            fsrv_stream_enc_dropped(se, fd.dropped);
        }
        fsrv_chan_send(c, data);
    }
    for (int k = 0; k < 2; k++)
        if (create[k])
            fsrv_msg_unref(create[k]);
    if (pic)
        fsrv_msg_unref(pic);
    fsrv_msg_unref(data);
}

static void on_idle(uv_timer_t *t)
{
    struct fsrv_stream *st = t->data;

    fsrv_stream_end(st->srv, st->monitor, 1);
}

/* Whether picture b (changed) makes the box a video now; counts it. */
static int is_video(struct floe_server *s, struct fsrv_stream *st, const pixman_box32_t *b,
                    const uint32_t *px, int stride)
{
    uint64_t now = fsrv_now_ms();
    int w = b->x2 - b->x1, h = b->y2 - b->y1;

    if (w < STREAM_MIN_SIDE || h < STREAM_MIN_SIDE)
        return 0;
    if (box_eq(b, &st->last_box) && now - st->last_ms < STREAM_GAP_MS) {
        st->run++;
    } else {
        st->last_box = *b;
        st->run = 1;
    }
    st->last_ms = now;
    if (st->run <= STREAM_AFTER || s->closing)
        return 0;
    switch (s->opt.streaming_video) {
    case FLOE_STREAM_VIDEO_ALL: break;
    case FLOE_STREAM_VIDEO_FILTER:
        if (!fsrv_pixels_photographic(px, w, h, stride / 4))
            return 0;
        break;
    default: return 0;
    }
    /* a stream for no client: the run goes on, one may come */
    for (struct fsrv_session *ss = s->sessions; ss; ss = ss->next)
        if (ss->display[st->monitor] && ss->display[st->monitor]->model_synced)
            return 1;
    return 0;
}

static int stream_start(struct floe_server *s, struct fsrv_stream *st, const pixman_box32_t *b)
{
    /* tests hold a still video's last frame on the clients for a while */
    const char *idle = getenv("FLOE_TEST_STREAM_IDLE_MS");

    if (!st->timer_on) {
        uv_timer_init(s->loop, &st->timer);
        uv_unref((uv_handle_t *)&st->timer);
        st->timer.data = st;
        st->timer_on = 1;
    }
    st->idle_ms = idle && atoi(idle) > 0 ? (uint64_t)atoi(idle) : STREAM_IDLE_MS;
    st->srv = s;
    st->active = 1;
    st->id = s->stream_ids++ % STREAM_IDS;
    st->box = *b;
    s->stats.streams++;
    floe_debug("display %d: stream %u: %dx%d at (%d,%d)", st->monitor, st->id, b->x2 - b->x1,
               b->y2 - b->y1, b->x1, b->y1);
    return 0;
}

int fsrv_stream_picture(struct floe_server *s, int monitor, const pixman_box32_t *b,
                        const uint32_t *px, int stride)
{
    struct fsrv_stream *st = &s->stream[monitor];
    struct fsrv_surface *sf = &s->primary[monitor];

    st->monitor = monitor;
    if (st->active && !box_eq(b, &st->box)) {
        fsrv_stream_touch(s, monitor, b);
        if (st->active)
            return 0;   /* a picture beside the stream goes as usual */
    }
    if (!st->active) {
        if (!box_changed(sf, b, px, stride) || !is_video(s, st, b, px, stride) ||
            stream_start(s, st, b) < 0)
            return 0;
    } else if (!box_changed(sf, b, px, stride)) {
        return 1;   /* the same picture again: nothing new, the stream may end */
    }
    box_write(sf, b, px, stride);
    send_frame(s, st);
    uv_timer_start(&st->timer, on_idle, st->idle_ms, 0);
    return 1;
}

void fsrv_stream_touch(struct floe_server *s, int monitor, const pixman_box32_t *b)
{
    struct fsrv_stream *st = &s->stream[monitor];

    if (st->active && box_overlap(b, &st->box))
        fsrv_stream_end(s, monitor, 1);
}

static struct fsrv_msg *clip_empty_msg(uint32_t id)
{
    struct floe_wbuf wb;

    floe_wbuf_init(&wb, 0);
    spice_stream_clip_put(&wb, &(struct spice_stream_clip){ id, { SPICE_CLIP_RECTS, 0, NULL } },
                          NULL);
    return fsrv_msg_from_wbuf(SPICE_MSG_DISPLAY_STREAM_CLIP, &wb);
}

static struct fsrv_msg *destroy_msg(uint32_t id)
{
    struct floe_wbuf wb;

    floe_wbuf_init(&wb, 0);
    spice_stream_destroy_put(&wb, id);
    return fsrv_msg_from_wbuf(SPICE_MSG_DISPLAY_STREAM_DESTROY, &wb);
}

/* With a redraw, as the reference ends a stream: the clip emptied (a frame
 * the client still holds back is not shown over what follows), the box's
 * exact pixels, then STREAM_DESTROY. */
void fsrv_stream_end(struct floe_server *s, int monitor, int redraw)
{
    struct fsrv_stream *st = &s->stream[monitor];
    const struct fsrv_surface *sf = &s->primary[monitor];
    struct fsrv_msg *clip = NULL, *copy = NULL, *destroy;

    if (!st->active)
        return;
    st->active = 0;
    st->run = 0;
    uv_timer_stop(&st->timer);
    if (redraw && sf->image) {
        clip = clip_empty_msg(st->id);
        copy = fsrv_image_msg_new(monitor, &st->box,
                                  sf->pixels + (size_t)st->box.y1 * sf->width + st->box.x1,
                                  sf->width * 4);
        fsrv_image_msg_lossless(copy);
    }
    destroy = destroy_msg(st->id);
    for (struct fsrv_session *ss = s->sessions; ss; ss = ss->next) {
        struct fsrv_chan *c = ss->display[monitor];

        if (!c || c->stream_joined != st->id + 1)
            continue;
        fsrv_chan_send(c, clip);
        fsrv_chan_send(c, copy);
        fsrv_chan_send(c, destroy);
        c->stream_joined = 0;
    }
    floe_debug("display %d: stream %u ended%s", monitor, st->id, redraw ? ", redrawn" : "");
    if (clip)
        fsrv_msg_unref(clip);
    if (copy)
        fsrv_msg_unref(copy);
    if (destroy)
        fsrv_msg_unref(destroy);
}

void fsrv_stream_close(struct floe_server *s)
{
    for (int k = 0; k < FLOE_SERVER_MAX_MONITORS; k++) {
        struct fsrv_stream *st = &s->stream[k];

        fsrv_stream_end(s, k, 0);
        if (st->timer_on && !uv_is_closing((uv_handle_t *)&st->timer))
            uv_close((uv_handle_t *)&st->timer, NULL);
    }
}

void floe_server_set_streaming_video(struct floe_server *s, enum floe_stream_video mode)
{
    s->opt.streaming_video = mode;
    if (mode == FLOE_STREAM_VIDEO_OFF)
        for (int k = 0; k < FLOE_SERVER_MAX_MONITORS; k++)
            fsrv_stream_end(s, k, 1);
}
