/* Encoders and bounded decoders for SPICE's video stream messages and the
 * multimedia clock (see stream.h), laid out as spice.proto lays them out. */
#include "protocol/spice/stream.h"

#include <errno.h>
#include <string.h>

int spice_stream_create_parse(const uint8_t *body, size_t len, struct spice_stream_create *m)
{
    struct floe_rbuf r;

    floe_rbuf_init(&r, body, len);
    m->surface_id = floe_get_u32(&r);
    m->id = floe_get_u32(&r);
    m->flags = floe_get_u8(&r);
    m->codec_type = floe_get_u8(&r);
    m->stamp = floe_get_u64(&r);
    m->stream_width = floe_get_u32(&r);
    m->stream_height = floe_get_u32(&r);
    m->src_width = floe_get_u32(&r);
    m->src_height = floe_get_u32(&r);
    spice_rect_get(&r, &m->dest);
    if (spice_clip_get(&r, &m->clip) || r.bad)
        return -EBADMSG;
    return 0;
}

void spice_stream_create_put(struct floe_wbuf *w, const struct spice_stream_create *m,
                             const struct spice_rect *clip_rects)
{
    floe_put_u32(w, m->surface_id);
    floe_put_u32(w, m->id);
    floe_put_u8(w, m->flags);
    floe_put_u8(w, m->codec_type);
    floe_put_u64(w, m->stamp);
    floe_put_u32(w, m->stream_width);
    floe_put_u32(w, m->stream_height);
    floe_put_u32(w, m->src_width);
    floe_put_u32(w, m->src_height);
    spice_rect_put(w, &m->dest);
    spice_clip_put(w, &m->clip, clip_rects);
}

/* The frame that ends both data messages: data_size, then that many bytes. */
static int stream_frame_get(struct floe_rbuf *r, struct spice_stream_data *m)
{
    m->data_size = floe_get_u32(r);
    m->data = floe_get_bytes(r, m->data_size);
    if (r->bad) {
        m->data = NULL;
        return -EBADMSG;
    }
    return 0;
}

int spice_stream_data_parse(const uint8_t *body, size_t len, struct spice_stream_data *m)
{
    struct floe_rbuf r;

    memset(m, 0, sizeof(*m));
    floe_rbuf_init(&r, body, len);
    m->id = floe_get_u32(&r);
    m->mm_time = floe_get_u32(&r);
    return stream_frame_get(&r, m);
}

int spice_stream_data_sized_parse(const uint8_t *body, size_t len, struct spice_stream_data *m)
{
    struct floe_rbuf r;

    floe_rbuf_init(&r, body, len);
    m->id = floe_get_u32(&r);
    m->mm_time = floe_get_u32(&r);
    m->sized = 1;
    m->width = floe_get_u32(&r);
    m->height = floe_get_u32(&r);
    spice_rect_get(&r, &m->dest);
    return stream_frame_get(&r, m);
}

void spice_stream_data_put(struct floe_wbuf *w, const struct spice_stream_data *m)
{
    floe_put_u32(w, m->id);
    floe_put_u32(w, m->mm_time);
    if (m->sized) {
        floe_put_u32(w, m->width);
        floe_put_u32(w, m->height);
        spice_rect_put(w, &m->dest);
    }
    floe_put_u32(w, m->data_size);
    floe_put_bytes(w, m->data, m->data_size);
}

int spice_stream_clip_parse(const uint8_t *body, size_t len, struct spice_stream_clip *m)
{
    struct floe_rbuf r;

    floe_rbuf_init(&r, body, len);
    m->id = floe_get_u32(&r);
    if (spice_clip_get(&r, &m->clip) || r.bad)
        return -EBADMSG;
    return 0;
}

void spice_stream_clip_put(struct floe_wbuf *w, const struct spice_stream_clip *m,
                           const struct spice_rect *clip_rects)
{
    floe_put_u32(w, m->id);
    spice_clip_put(w, &m->clip, clip_rects);
}

/* A body that is one u32 (STREAM_DESTROY, MULTI_MEDIA_TIME). */
static int u32_body_parse(const uint8_t *body, size_t len, uint32_t *v)
{
    struct floe_rbuf r;

    floe_rbuf_init(&r, body, len);
    *v = floe_get_u32(&r);
    return r.bad ? -EBADMSG : 0;
}

int spice_stream_destroy_parse(const uint8_t *body, size_t len, uint32_t *id)
{
    return u32_body_parse(body, len, id);
}

void spice_stream_destroy_put(struct floe_wbuf *w, uint32_t id)
{
    floe_put_u32(w, id);
}

int spice_stream_activate_report_parse(const uint8_t *body, size_t len,
                                       struct spice_stream_activate_report *m)
{
    struct floe_rbuf r;

    floe_rbuf_init(&r, body, len);
    spice_stream_activate_report_get(&r, m);
    return r.bad ? -EBADMSG : 0;
}

int spice_stream_report_parse(const uint8_t *body, size_t len, struct spice_stream_report *m)
{
    struct floe_rbuf r;

    floe_rbuf_init(&r, body, len);
    spice_stream_report_get(&r, m);
    return r.bad ? -EBADMSG : 0;
}

int spice_preferred_video_codecs_parse(const uint8_t *body, size_t len,
                                       struct spice_preferred_video_codecs *m)
{
    struct floe_rbuf r;

    floe_rbuf_init(&r, body, len);
    m->num_codecs = floe_get_u8(&r);
    m->codecs = floe_get_bytes(&r, m->num_codecs);
    if (r.bad) {
        m->codecs = NULL;
        return -EBADMSG;
    }
    return 0;
}

void spice_preferred_video_codecs_put(struct floe_wbuf *w,
                                      const struct spice_preferred_video_codecs *m)
{
    floe_put_u8(w, m->num_codecs);
    floe_put_bytes(w, m->codecs, m->num_codecs);
}

int spice_multi_media_time_parse(const uint8_t *body, size_t len, uint32_t *time)
{
    return u32_body_parse(body, len, time);
}

void spice_multi_media_time_put(struct floe_wbuf *w, uint32_t time)
{
    floe_put_u32(w, time);
}
