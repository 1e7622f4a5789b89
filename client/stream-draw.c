/* Draws a video stream's frame: its MJPEG decoded (TurboJPEG) or its VP8
 * pixels (decoded as it came), rows turned over for a stream not flagged
 * top-down, scaled nearest by the double ratio as the reference's canvas
 * puts a frame, within the stream's clip. */
#include "client/display.h"

#include "codecs/jpeg.h"
#include "common/log.h"

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

/* A decoded frame (the reference is taken over) drawn where f goes, turned
 * over first when its rows come bottom first. */
static int show(struct fcli_display *d, struct fcli_stream *st, pixman_image_t *frame,
                const struct fcli_frame *f)
{
    if (!st->top_down && !(frame = turn_over(frame, (int)f->width, (int)f->height)))
        return -1;
    frame_draw(d, st, frame, &f->dest);
    pixman_image_unref(frame);
    return 0;
}

/* A frame decoded as it came: its pixels drawn as they are held. */
static int pixels_draw(struct fcli_display *d, struct fcli_stream *st, const struct fcli_frame *f)
{
    pixman_image_t *frame;

    if (!f->data || f->size != f->width * f->height * 4)
        return -1;
    frame = pixman_image_create_bits(PIXMAN_x8r8g8b8, (int)f->width, (int)f->height,
                                     (uint32_t *)f->data, (int)f->width * 4);
    if (!frame)
        return -1;
    return show(d, st, frame, f);
}

int fcli_stream_draw(struct fcli_display *d, struct fcli_stream *st, const struct fcli_frame *f)
{
    pixman_image_t *frame;
    int rc;

    if (f->decoded < 0)
        return -1;
    if (f->decoded)
        return pixels_draw(d, st, f);
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
    return show(d, st, frame, f);
}
