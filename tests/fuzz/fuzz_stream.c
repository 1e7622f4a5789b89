/* libFuzzer target for the video stream message decoders and encoders
 * (stream.c). Input: one selector byte (mod STREAM_KINDS), then a message
 * body. Whatever decodes must lie inside the body, and writing it back must
 * give the body's first bytes (decoders ignore what follows a message). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/spice/stream.h"
#include "tests/fuzz/body_touch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { STREAM_CREATE, STREAM_DATA, STREAM_DATA_SIZED, STREAM_CLIP, STREAM_DESTROY,
       STREAM_ACTIVATE_REPORT, STREAM_REPORT, MULTI_MEDIA_TIME, STREAM_KINDS };


/* The clip's rects, touched and decoded one by one (caller frees). */
static struct spice_rect *clip_rects(const struct spice_clip *c)
{
    struct spice_rect *rects;

    if (c->type == SPICE_CLIP_NONE && (c->num_rects != 0 || c->rects))
        abort();
    if (c->type != SPICE_CLIP_NONE && c->type != SPICE_CLIP_RECTS)
        abort();
    touch(c->rects, (size_t)c->num_rects * SPICE_SIZE_rect);
    rects = calloc(c->num_rects ? c->num_rects : 1, sizeof(*rects));
    if (!rects)
        abort();
    for (uint32_t i = 0; i < c->num_rects; i++)
        spice_clip_rect(c, i, &rects[i]);
    return rects;
}

/* What `put` wrote (a statement writing into w_) must be the body's start;
 * decoded again with `parse` into a fresh message, it must succeed. */
#define EXPECT_WRITTEN_BACK(put, parse, mtype) do { \
        struct floe_wbuf w_; \
        mtype m2_; \
        floe_wbuf_init(&w_, 0); \
        put; \
        if (w_.failed || w_.len > body_len || memcmp(w_.data, body, w_.len) != 0) \
            abort(); \
        if (parse(w_.data, w_.len, &m2_) != 0) \
            abort(); \
        floe_wbuf_free(&w_); \
    } while (0)

static void fuzz_create(void)
{
    struct spice_stream_create m;
    struct spice_rect *rects;

    if (spice_stream_create_parse(body, body_len, &m) != 0)
        return;
    rects = clip_rects(&m.clip);
    EXPECT_WRITTEN_BACK(spice_stream_create_put(&w_, &m, NULL), spice_stream_create_parse,
                        struct spice_stream_create);
    EXPECT_WRITTEN_BACK(spice_stream_create_put(&w_, &m, rects), spice_stream_create_parse,
                        struct spice_stream_create);
    free(rects);
}

static void fuzz_data(int sized)
{
    struct spice_stream_data m;
    int rc = sized ? spice_stream_data_sized_parse(body, body_len, &m)
                   : spice_stream_data_parse(body, body_len, &m);

    if (rc != 0)
        return;
    if (m.sized != sized || (!sized && (m.width || m.height)))
        abort();
    touch(m.data, m.data_size);
    if (sized)
        EXPECT_WRITTEN_BACK(spice_stream_data_put(&w_, &m), spice_stream_data_sized_parse,
                            struct spice_stream_data);
    else
        EXPECT_WRITTEN_BACK(spice_stream_data_put(&w_, &m), spice_stream_data_parse,
                            struct spice_stream_data);
}

static void fuzz_clip(void)
{
    struct spice_stream_clip m;
    struct spice_rect *rects;

    if (spice_stream_clip_parse(body, body_len, &m) != 0)
        return;
    rects = clip_rects(&m.clip);
    EXPECT_WRITTEN_BACK(spice_stream_clip_put(&w_, &m, NULL), spice_stream_clip_parse,
                        struct spice_stream_clip);
    EXPECT_WRITTEN_BACK(spice_stream_clip_put(&w_, &m, rects), spice_stream_clip_parse,
                        struct spice_stream_clip);
    free(rects);
}

static void fuzz_destroy(void)
{
    uint32_t id;

    if (spice_stream_destroy_parse(body, body_len, &id) != 0)
        return;
    EXPECT_WRITTEN_BACK(spice_stream_destroy_put(&w_, id), spice_stream_destroy_parse, uint32_t);
}

static void fuzz_activate_report(void)
{
    struct spice_stream_activate_report m;

    if (spice_stream_activate_report_parse(body, body_len, &m) != 0)
        return;
    EXPECT_WRITTEN_BACK(spice_stream_activate_report_put(&w_, &m),
                        spice_stream_activate_report_parse,
                        struct spice_stream_activate_report);
}

static void fuzz_report(void)
{
    struct spice_stream_report m;

    if (spice_stream_report_parse(body, body_len, &m) != 0)
        return;
    EXPECT_WRITTEN_BACK(spice_stream_report_put(&w_, &m), spice_stream_report_parse,
                        struct spice_stream_report);
}

static void fuzz_multi_media_time(void)
{
    uint32_t t;

    if (spice_multi_media_time_parse(body, body_len, &t) != 0)
        return;
    EXPECT_WRITTEN_BACK(spice_multi_media_time_put(&w_, t), spice_multi_media_time_parse,
                        uint32_t);
}

static void fuzz_data_plain(void) { fuzz_data(0); }
static void fuzz_data_sized(void) { fuzz_data(1); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static void (*const kinds[STREAM_KINDS])(void) = {
        fuzz_create, fuzz_data_plain, fuzz_data_sized, fuzz_clip, fuzz_destroy,
        fuzz_activate_report, fuzz_report, fuzz_multi_media_time,
    };

    if (size < 1)
        return 0;
    body = data + 1;
    body_len = size - 1;
    kinds[data[0] % STREAM_KINDS]();
    return 0;
}
