/* SPICE's video stream messages: the display channel's STREAM_* from the
 * server, the client's STREAM_REPORT, and MAIN's MULTI_MEDIA_TIME clock. */
#ifndef FLOE_SPICE_STREAM_H
#define FLOE_SPICE_STREAM_H

#include "protocol/spice/draw.h"

/* the library's interface: exported, unlike everything else in it */
#pragma GCC visibility push(default)

/* Decoders read a message body of `len` bytes and return 0 or -EBADMSG when
 * a field, a count or the data it announces lies past the end; bytes after
 * the message are ignored. They allocate nothing: clip rects and frame data
 * point into the body. Values (ids, flags, codecs) are given as they came.
 * The fixed-layout STREAM_ACTIVATE_REPORT and STREAM_REPORT are rows of
 * messages.h, which declares their structs and _put/_get. */

/* STREAM_CREATE: the frames are stream_width x stream_height, show the
 * src_width x src_height area of the surface and are drawn at dest under
 * clip (as in a display base). */
struct spice_stream_create {
    uint32_t surface_id;
    uint32_t id;
    uint8_t flags;            /* SPICE_STREAM_FLAGS_TOP_DOWN */
    uint8_t codec_type;       /* SPICE_VIDEO_CODEC_TYPE_* */
    uint64_t stamp;
    uint32_t stream_width, stream_height;
    uint32_t src_width, src_height;
    struct spice_rect dest;
    struct spice_clip clip;
};
int spice_stream_create_parse(const uint8_t *body, size_t len, struct spice_stream_create *m);
/* A clip of RECTS takes its rects from clip_rects or, when that is NULL,
 * from m->clip's own rects in wire form (as the decoder left them). */
void spice_stream_create_put(struct floe_wbuf *w, const struct spice_stream_create *m,
                             const struct spice_rect *clip_rects);

/* STREAM_DATA and STREAM_DATA_SIZED: one frame, shown at mm_time on the
 * multimedia clock. Only a sized one carries the frame's width, height and
 * dest (a plain one decodes them as zeros). */
struct spice_stream_data {
    uint32_t id;
    uint32_t mm_time;
    int sized;                /* 1 for STREAM_DATA_SIZED */
    uint32_t width, height;
    struct spice_rect dest;
    const uint8_t *data;      /* data_size bytes inside the body */
    uint32_t data_size;
};
int spice_stream_data_parse(const uint8_t *body, size_t len, struct spice_stream_data *m);
int spice_stream_data_sized_parse(const uint8_t *body, size_t len, struct spice_stream_data *m);
/* Writes STREAM_DATA_SIZED when m->sized, else STREAM_DATA. */
void spice_stream_data_put(struct floe_wbuf *w, const struct spice_stream_data *m);

/* STREAM_CLIP: a new clip for a stream. */
struct spice_stream_clip {
    uint32_t id;
    struct spice_clip clip;
};
int spice_stream_clip_parse(const uint8_t *body, size_t len, struct spice_stream_clip *m);
/* clip_rects as for spice_stream_create_put */
void spice_stream_clip_put(struct floe_wbuf *w, const struct spice_stream_clip *m,
                           const struct spice_rect *clip_rects);

/* STREAM_DESTROY: the stream's id. (STREAM_DESTROY_ALL has no body.) */
int spice_stream_destroy_parse(const uint8_t *body, size_t len, uint32_t *id);
void spice_stream_destroy_put(struct floe_wbuf *w, uint32_t id);

/* STREAM_ACTIVATE_REPORT: the server asks for STREAM_REPORTs on a stream,
 * of at most max_window_size frames or timeout_ms each, tagged unique_id. */
int spice_stream_activate_report_parse(const uint8_t *body, size_t len,
                                       struct spice_stream_activate_report *m);

/* The client's STREAM_REPORT. num_frames 0 with num_drops 0xffffffff says
 * the client cannot decode the stream; audio_delay 0xffffffff, that there
 * is no audio playback. */
int spice_stream_report_parse(const uint8_t *body, size_t len, struct spice_stream_report *m);

/* The client's PREFERRED_VIDEO_CODEC_TYPE: the video codecs it would
 * rather get, best first (SPICE_VIDEO_CODEC_TYPE_*, as they came: unknown
 * values included). */
#define SPICE_PREFERRED_CODECS_MAX 255
struct spice_preferred_video_codecs {
    uint8_t num_codecs;
    const uint8_t *codecs;    /* num_codecs bytes inside the body */
};
int spice_preferred_video_codecs_parse(const uint8_t *body, size_t len,
                                       struct spice_preferred_video_codecs *m);
void spice_preferred_video_codecs_put(struct floe_wbuf *w,
                                      const struct spice_preferred_video_codecs *m);

/* MAIN MULTI_MEDIA_TIME: the server's multimedia clock, in milliseconds. */
int spice_multi_media_time_parse(const uint8_t *body, size_t len, uint32_t *time);
void spice_multi_media_time_put(struct floe_wbuf *w, uint32_t time);

#pragma GCC visibility pop

#endif
