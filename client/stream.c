/* Video streams of a DISPLAY channel: STREAM_CREATE names an area of a
 * surface, each STREAM_DATA (or STREAM_DATA_SIZED) brings a frame of it,
 * MJPEG or VP8 (decoded as it comes, each frame following the one before),
 * handed to stream-play.c, which has stream-draw.c draw it at its time;
 * STREAM_CLIP, STREAM_ACTIVATE_REPORT, STREAM_DESTROY and
 * STREAM_DESTROY_ALL follow. A stream of another codec is kept so its
 * frames are skipped (logged once). */
#include "client/display.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/jpeg.h"
#include "codecs/vp8.h"
#include "common/log.h"
#include "protocol/spice/stream.h"


/* Ends stream st; its held frames count as dropped when `count`. */
static void stream_end(struct fcli_display *d, struct fcli_stream *st, int count)
{
    if (!st->used)
        return;
    fcli_stream_release(d, st, count);
    pixman_region32_fini(&st->clip);
    floe_vp8_dec_free(st->vp8);
    st->vp8 = NULL;
    st->used = 0;
}

void fcli_streams_fini(struct fcli_display *d)
{
    for (int i = 0; i < FLOE_CLIENT_MAX_STREAMS; i++)
        stream_end(d, &d->streams[i], 0);
    floe_jpeg_free(d->stream_jpeg);
    d->stream_jpeg = NULL;
}

static struct fcli_stream *stream_get(struct fcli_display *d, uint32_t id)
{
    if (id >= FLOE_CLIENT_MAX_STREAMS || !d->streams[id].used) {
        floe_err("display: stream %u does not exist", id);
        return NULL;
    }
    return &d->streams[id];
}

static int rect_ok(const struct spice_rect *r)
{
    return r->left < r->right && r->top < r->bottom && r->left >= -FLOE_CLIENT_MAX_SIDE &&
           r->top >= -FLOE_CLIENT_MAX_SIDE && r->right <= 2 * FLOE_CLIENT_MAX_SIDE &&
           r->bottom <= 2 * FLOE_CLIENT_MAX_SIDE;
}

/* The stream's clip: its rects, or its whole area. */
static void clip_set(struct fcli_stream *st, const struct spice_clip *clip)
{
    pixman_region32_fini(&st->clip);
    if (clip->type != SPICE_CLIP_RECTS) {
        pixman_region32_init_rect(&st->clip, st->dest.left, st->dest.top,
                                  (unsigned)(st->dest.right - st->dest.left),
                                  (unsigned)(st->dest.bottom - st->dest.top));
        return;
    }
    pixman_region32_init(&st->clip);
    for (uint32_t i = 0; i < clip->num_rects; i++) {
        struct spice_rect r;

        spice_clip_rect(clip, i, &r);
        if (rect_ok(&r))
            pixman_region32_union_rect(&st->clip, &st->clip, r.left, r.top,
                                       (unsigned)(r.right - r.left), (unsigned)(r.bottom - r.top));
    }
}

static int stream_create(struct fcli_display *d, const uint8_t *body, size_t len)
{
    struct spice_stream_create m;
    struct fcli_stream *st;

    if (spice_stream_create_parse(body, len, &m) || m.id >= FLOE_CLIENT_MAX_STREAMS ||
        !fcli_display_surface(d, m.surface_id) || !rect_ok(&m.dest) || !m.stream_width ||
        !m.stream_height || m.stream_width > FLOE_CLIENT_MAX_SIDE ||
        m.stream_height > FLOE_CLIENT_MAX_SIDE) {
        floe_err("display: bad STREAM_CREATE");
        return -EBADMSG;
    }
    st = &d->streams[m.id];
    stream_end(d, st, 1);
    memset(st, 0, sizeof(*st));
    st->used = 1;
    st->surface_id = m.surface_id;
    st->codec = m.codec_type;
    st->top_down = m.flags & SPICE_STREAM_FLAGS_TOP_DOWN;
    st->width = m.stream_width;
    st->height = m.stream_height;
    st->dest = m.dest;
    pixman_region32_init(&st->clip);
    clip_set(st, &m.clip);
    d->streams_created++;
    if (!fcli_stream_codec_plays(st->codec))
        fcli_display_warn_once(&d->warned_misc[FCLI_WARN_CODEC], "video codec (frames skipped)",
                               st->codec);
    floe_debug("display: stream %u %ux%u to (%d,%d)-(%d,%d), codec %u", m.id, st->width,
               st->height, m.dest.left, m.dest.top, m.dest.right, m.dest.bottom, st->codec);
    return 0;
}

/* Decodes a VP8 frame now, whatever becomes of it: the frames after it
 * refer to it. One that does not decode goes on as a frame to drop. */
static int vp8_arrive(struct fcli_display *d, struct fcli_stream *st, struct fcli_frame *f,
                      int64_t now_ms)
{
    size_t bytes = (size_t)f->width * f->height * 4;
    uint8_t *px = NULL;
    int kw, kh, rc = -EBADMSG;

    if (floe_vp8_is_key(f->data, f->size, &kw, &kh))
        st->vp8_keyed = (uint32_t)kw == f->width && (uint32_t)kh == f->height;
    if (st->vp8_keyed && bytes <= UINT32_MAX && (px = malloc(bytes)) &&
        (st->vp8 || (st->vp8 = floe_vp8_dec_new())))
        rc = floe_vp8_decode(st->vp8, f->data, f->size, (uint32_t *)px, (int)f->width,
                             (int)f->height, (int)f->width * 4);
    if (rc) {
        floe_debug("display: stream %u VP8 frame does not decode (%d)",
                   (unsigned)(st - d->streams), rc);
        free(px);
        px = NULL;
    }
    f->decoded = rc ? -1 : 1;
    f->data = px;
    f->size = rc ? 0 : (uint32_t)bytes;
    fcli_stream_arrive(d, st, f, now_ms);
    free(px);
    return 0;
}

static int stream_data(struct fcli_display *d, int sized, const uint8_t *body, size_t len,
                       int64_t now_ms)
{
    struct spice_stream_data m;
    struct fcli_stream *st;
    struct fcli_frame f;

    if ((sized ? spice_stream_data_sized_parse(body, len, &m) :
                 spice_stream_data_parse(body, len, &m)) || !(st = stream_get(d, m.id)))
        return -EBADMSG;
    f = (struct fcli_frame){ .mm_time = m.mm_time, .width = sized ? m.width : st->width,
                             .height = sized ? m.height : st->height,
                             .dest = sized ? m.dest : st->dest, .data = m.data,
                             .size = m.data_size };
    if (!f.width || !f.height || f.width > FLOE_CLIENT_MAX_SIDE ||
        f.height > FLOE_CLIENT_MAX_SIDE || !rect_ok(&f.dest)) {
        floe_err("display: stream %u frame of %ux%u to a bad area", m.id, f.width, f.height);
        return -EBADMSG;
    }
    if (!fcli_stream_codec_plays(st->codec))
        return 0;
    if (st->codec == SPICE_VIDEO_CODEC_TYPE_VP8)
        return vp8_arrive(d, st, &f, now_ms);
    fcli_stream_arrive(d, st, &f, now_ms);
    return 0;
}

int fcli_stream_message(struct fcli_display *d, uint16_t type, const uint8_t *body, size_t len,
                        int64_t now_ms)
{
    struct spice_stream_activate_report a;
    struct spice_stream_clip c;
    struct fcli_stream *st;
    uint32_t id;

    switch (type) {
    case SPICE_MSG_DISPLAY_STREAM_CREATE:
        return stream_create(d, body, len);
    case SPICE_MSG_DISPLAY_STREAM_DATA:
        return stream_data(d, 0, body, len, now_ms);
    case SPICE_MSG_DISPLAY_STREAM_DATA_SIZED:
        return stream_data(d, 1, body, len, now_ms);
    case SPICE_MSG_DISPLAY_STREAM_CLIP:
        if (spice_stream_clip_parse(body, len, &c) || !(st = stream_get(d, c.id)))
            return -EBADMSG;
        clip_set(st, &c.clip);
        return 0;
    case SPICE_MSG_DISPLAY_STREAM_ACTIVATE_REPORT:
        if (spice_stream_activate_report_parse(body, len, &a) || !(st = stream_get(d, a.stream_id)))
            return -EBADMSG;
        fcli_stream_activate_report(d, st, &a);
        return 0;
    case SPICE_MSG_DISPLAY_STREAM_DESTROY:
        if (spice_stream_destroy_parse(body, len, &id) || !(st = stream_get(d, id)))
            return -EBADMSG;
        stream_end(d, st, 1);
        return 0;
    case SPICE_MSG_DISPLAY_STREAM_DESTROY_ALL:
        for (int i = 0; i < FLOE_CLIENT_MAX_STREAMS; i++)
            stream_end(d, &d->streams[i], 1);
        return 0;
    }
    return -EBADMSG;
}
