/* Video streams of a DISPLAY channel: STREAM_CREATE names an area of a
 * surface, each STREAM_DATA (or STREAM_DATA_SIZED) brings a frame of it,
 * MJPEG, handed to stream-play.c, which draws it at its time (decoded
 * here, scaled to the area, within the stream's clip); STREAM_CLIP,
 * STREAM_ACTIVATE_REPORT, STREAM_DESTROY and STREAM_DESTROY_ALL follow. A
 * stream of another codec is kept so its frames are skipped (logged once). */
#include "client/display.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/jpeg.h"
#include "common/log.h"
#include "protocol/spice/stream.h"


/* Ends stream st; its held frames count as dropped when `count`. */
static void stream_end(struct fcli_display *d, struct fcli_stream *st, int count)
{
    if (!st->used)
        return;
    fcli_stream_release(d, st, count);
    pixman_region32_fini(&st->clip);
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
    if (st->codec != SPICE_VIDEO_CODEC_TYPE_MJPEG)
        fcli_display_warn_once(&d->warned_misc[FCLI_WARN_CODEC], "video codec (frames skipped)",
                               st->codec);
    floe_debug("display: stream %u %ux%u to (%d,%d)-(%d,%d), codec %u", m.id, st->width,
               st->height, m.dest.left, m.dest.top, m.dest.right, m.dest.bottom, st->codec);
    return 0;
}

/* Draws a decoded frame of w x h (rows top first) onto dest within the clip. */
static void frame_draw(struct fcli_display *d, struct fcli_stream *st, pixman_image_t *frame,
                       const struct spice_rect *dest)
{
    struct fcli_surface *s = fcli_display_surface(d, st->surface_id);
    int dw = dest->right - dest->left, dh = dest->bottom - dest->top;
    int fw = pixman_image_get_width(frame), fh = pixman_image_get_height(frame);
    pixman_region32_t where;

    if (!s)
        return;
    pixman_region32_init_rect(&where, dest->left, dest->top, (unsigned)dw, (unsigned)dh);
    pixman_region32_intersect(&where, &where, &st->clip);
    pixman_region32_intersect_rect(&where, &where, 0, 0, (unsigned)s->width, (unsigned)s->height);
    if (fw != dw || fh != dh) {
        pixman_transform_t t;

        /* scaled as the reference's canvas puts a frame: nearest, by the double ratio */
        pixman_transform_init_scale(&t, pixman_double_to_fixed((double)fw / dw),
                                    pixman_double_to_fixed((double)fh / dh));
        pixman_image_set_transform(frame, &t);
        pixman_image_set_filter(frame, PIXMAN_FILTER_NEAREST, NULL, 0);
    }
    pixman_image_set_clip_region32(s->image, &where);
    pixman_image_composite32(PIXMAN_OP_SRC, frame, NULL, s->image, 0, 0, 0, 0, dest->left,
                             dest->top, dw, dh);
    pixman_image_set_clip_region32(s->image, NULL);
    fcli_display_touched(d, s, &where);
    pixman_region32_fini(&where);
}

/* A decoded frame of w x h with its rows bottom first, turned over; NULL
 * (frame freed) on no memory. */
static pixman_image_t *turn_over(pixman_image_t *frame, int w, int h)
{
    pixman_transform_t t;
    pixman_image_t *up = pixman_image_create_bits(PIXMAN_x8r8g8b8, w, h, NULL, 0);

    pixman_transform_init_scale(&t, pixman_int_to_fixed(1), pixman_int_to_fixed(-1));
    pixman_transform_translate(&t, NULL, 0, pixman_int_to_fixed(h));
    pixman_image_set_transform(frame, &t);
    if (up)
        pixman_image_composite32(PIXMAN_OP_SRC, frame, NULL, up, 0, 0, 0, 0, 0, 0, w, h);
    pixman_image_unref(frame);
    return up;
}

int fcli_stream_draw(struct fcli_display *d, struct fcli_stream *st, const struct fcli_frame *f)
{
    pixman_image_t *frame;
    int rc;

    if (!d->stream_jpeg && !(d->stream_jpeg = floe_jpeg_new()))
        return -1;
    frame = pixman_image_create_bits(PIXMAN_x8r8g8b8, (int)f->width, (int)f->height, NULL, 0);
    if (!frame)
        return -1;
    rc = floe_jpeg_decode(d->stream_jpeg, f->data, f->size, pixman_image_get_data(frame),
                          (int)f->width, (int)f->height, pixman_image_get_stride(frame));
    if (rc) {
        floe_debug("display: stream %u frame does not decode (%d)", (unsigned)(st - d->streams),
                   rc);
        pixman_image_unref(frame);
        return -1;
    }
    if (!st->top_down && !(frame = turn_over(frame, (int)f->width, (int)f->height)))
        return -1;
    frame_draw(d, st, frame, &f->dest);
    pixman_image_unref(frame);
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
    if (st->codec != SPICE_VIDEO_CODEC_TYPE_MJPEG)
        return 0;
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
