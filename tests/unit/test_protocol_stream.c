/* Unit tests for SPICE's video stream messages (protocol/spice/stream.c):
 * each laid out by hand from spice.proto, decoded field by field and
 * written back byte for byte; truncations and overlong counts refused. */
#include "tests/unit/protocol_helpers.h"

#include "protocol/spice/stream.h"

/* The golden bytes with the u32 at `at` set to v (an exact-size copy) are refused. */
#define EXPECT_U32_REFUSED(golden, at, v, parse, mtype) do { \
        uint8_t *b_ = dup_exact(golden, sizeof(golden)); \
        mtype m_; \
        b_[(at)] = (uint8_t)(v); \
        b_[(at) + 1] = (uint8_t)((v) >> 8); \
        b_[(at) + 2] = (uint8_t)((v) >> 16); \
        b_[(at) + 3] = (uint8_t)((uint32_t)(v) >> 24); \
        assert_int_equal(parse(b_, sizeof(golden), &m_), -EBADMSG); \
        free(b_); \
    } while (0)

/* A message written by `put` (a statement writing into w_) gives the golden bytes. */
#define EXPECT_WRITTEN(golden, put) do { \
        struct floe_wbuf w_; \
        floe_wbuf_init(&w_, 0); \
        put; \
        expect_wbuf(&w_, golden, sizeof(golden)); \
        floe_wbuf_free(&w_); \
    } while (0)

/* ------------------------------------------------------------------------ */
/* the numbers floe names, against spice.proto */

static void test_enum_values(void **state)
{
    assert_int_equal(SPICE_MSG_DISPLAY_STREAM_CREATE, 122);
    assert_int_equal(SPICE_MSG_DISPLAY_STREAM_DATA, 123);
    assert_int_equal(SPICE_MSG_DISPLAY_STREAM_CLIP, 124);
    assert_int_equal(SPICE_MSG_DISPLAY_STREAM_DESTROY, 125);
    assert_int_equal(SPICE_MSG_DISPLAY_STREAM_DESTROY_ALL, 126);
    assert_int_equal(SPICE_MSG_DISPLAY_STREAM_DATA_SIZED, 316);
    assert_int_equal(SPICE_MSG_DISPLAY_STREAM_ACTIVATE_REPORT, 319);
    assert_int_equal(SPICE_MSGC_DISPLAY_STREAM_REPORT, 102);
    assert_int_equal(SPICE_MSG_MAIN_MULTI_MEDIA_TIME, 106);
    /* flags8 stream_flags { TOP_DOWN = 0 }: bit 0 */
    assert_int_equal(SPICE_STREAM_FLAGS_TOP_DOWN, 1);
    assert_int_equal(SPICE_VIDEO_CODEC_TYPE_MJPEG, 1);
    assert_int_equal(SPICE_VIDEO_CODEC_TYPE_VP8, 2);
    assert_int_equal(SPICE_VIDEO_CODEC_TYPE_H264, 3);
    assert_int_equal(SPICE_VIDEO_CODEC_TYPE_VP9, 4);
    assert_int_equal(SPICE_VIDEO_CODEC_TYPE_H265, 5);
    assert_int_equal(SPICE_SIZE_stream_activate_report, 16);
    assert_int_equal(SPICE_SIZE_stream_report, 32);
}

/* ------------------------------------------------------------------------ */
/* STREAM_CREATE */

/* surface_id, id, flags u8, codec_type u8, stamp u64, stream_width,
 * stream_height, src_width, src_height, dest Rect, clip: 51 bytes with
 * clip NONE */
#define CREATE_HEAD \
    LE32(2), LE32(5), 1, 3, LE64(0x0102030405060708ull),      /* @0 .. @18 */ \
    LE32(640), LE32(360), LE32(1280), LE32(720),              /* @18 sizes */ \
    RECT(10, 20, 730, 1300)                                   /* @34 dest */

static const uint8_t golden_create_none[] = { CREATE_HEAD, 0 };

static const uint8_t golden_create_rects[] = {
    CREATE_HEAD,
    1, LE32(2),                                  /* @50 clip RECTS, @51 num_rects */
    RECT(10, 20, 400, 700), RECT(400, 20, 730, 1300),   /* @55 */
};

static void expect_create_head(const struct spice_stream_create *m)
{
    assert_int_equal(m->surface_id, 2);
    assert_int_equal(m->id, 5);
    assert_int_equal(m->flags, SPICE_STREAM_FLAGS_TOP_DOWN);
    assert_int_equal(m->codec_type, SPICE_VIDEO_CODEC_TYPE_H264);
    assert_true(m->stamp == 0x0102030405060708ull);
    assert_int_equal(m->stream_width, 640);
    assert_int_equal(m->stream_height, 360);
    assert_int_equal(m->src_width, 1280);
    assert_int_equal(m->src_height, 720);
    expect_rect(&m->dest, 10, 20, 730, 1300);
}

static void test_create(void **state)
{
    uint8_t *body = dup_exact(golden_create_rects, sizeof(golden_create_rects));
    const struct spice_rect rects[2] = { { 10, 20, 400, 700 }, { 400, 20, 730, 1300 } };
    struct spice_stream_create m;
    struct spice_rect r;

    assert_int_equal(sizeof(golden_create_none), 51);
    memset(&m, 0xee, sizeof(m));
    assert_int_equal(spice_stream_create_parse(golden_create_none, sizeof(golden_create_none),
                                               &m), 0);
    expect_create_head(&m);
    assert_int_equal(m.clip.type, SPICE_CLIP_NONE);
    assert_int_equal(m.clip.num_rects, 0);
    assert_null(m.clip.rects);
    EXPECT_WRITTEN(golden_create_none, spice_stream_create_put(&w_, &m, NULL));

    memset(&m, 0xee, sizeof(m));
    assert_int_equal(spice_stream_create_parse(body, sizeof(golden_create_rects), &m), 0);
    expect_create_head(&m);
    assert_int_equal(m.clip.type, SPICE_CLIP_RECTS);
    assert_int_equal(m.clip.num_rects, 2);
    assert_ptr_equal(m.clip.rects, body + 55);
    spice_clip_rect(&m.clip, 1, &r);
    expect_rect(&r, 400, 20, 730, 1300);
    /* from the clip's own rects, and from rects given apart */
    EXPECT_WRITTEN(golden_create_rects, spice_stream_create_put(&w_, &m, NULL));
    m.clip.rects = NULL;
    EXPECT_WRITTEN(golden_create_rects, spice_stream_create_put(&w_, &m, rects));
    free(body);
}

static void test_create_bad(void **state)
{
    uint8_t *b;
    struct spice_stream_create m;

    EXPECT_CUTS_REFUSED(golden_create_none, spice_stream_create_parse,
                        struct spice_stream_create);
    EXPECT_CUTS_REFUSED(golden_create_rects, spice_stream_create_parse,
                        struct spice_stream_create);
    /* rect counts past the end, also where count * 16 wraps 32 bits */
    EXPECT_U32_REFUSED(golden_create_rects, 51, 3, spice_stream_create_parse,
                       struct spice_stream_create);
    EXPECT_U32_REFUSED(golden_create_rects, 51, 0x10000002u, spice_stream_create_parse,
                       struct spice_stream_create);
    EXPECT_U32_REFUSED(golden_create_rects, 51, 0xffffffffu, spice_stream_create_parse,
                       struct spice_stream_create);
    /* no clip type 2 */
    b = dup_exact(golden_create_none, sizeof(golden_create_none));
    b[50] = 2;
    assert_int_equal(spice_stream_create_parse(b, sizeof(golden_create_none), &m), -EBADMSG);
    free(b);
}

/* ------------------------------------------------------------------------ */
/* STREAM_DATA and STREAM_DATA_SIZED */

/* base (id, multi_media_time), data_size, data */
static const uint8_t golden_data[] = {
    LE32(5), LE32(123456), LE32(5), 'f', 'r', 'a', 'm', 'e',
};

/* base, width, height, dest Rect, data_size, data */
static const uint8_t golden_data_sized[] = {
    LE32(5), LE32(123490), LE32(320), LE32(180),   /* @0 */
    RECT(100, 200, 280, 520),                      /* @16 dest */
    LE32(4), 'v', 'p', '8', '!',                   /* @32 data_size, @36 data */
};

static void test_data(void **state)
{
    static const uint8_t empty[] = { LE32(1), LE32(2), LE32(0) };
    uint8_t *body = dup_exact(golden_data, sizeof(golden_data));
    struct spice_stream_data m;

    assert_int_equal(sizeof(golden_data), 17);
    memset(&m, 0xee, sizeof(m));
    assert_int_equal(spice_stream_data_parse(body, sizeof(golden_data), &m), 0);
    assert_int_equal(m.id, 5);
    assert_int_equal(m.mm_time, 123456);
    assert_int_equal(m.sized, 0);
    assert_int_equal(m.width, 0);
    assert_int_equal(m.height, 0);
    expect_rect(&m.dest, 0, 0, 0, 0);
    assert_int_equal(m.data_size, 5);
    assert_ptr_equal(m.data, body + 12);
    EXPECT_WRITTEN(golden_data, spice_stream_data_put(&w_, &m));
    /* a plain one is written without size and dest, whatever they hold */
    m.width = 9;
    m.dest.right = 9;
    EXPECT_WRITTEN(golden_data, spice_stream_data_put(&w_, &m));
    free(body);

    /* an empty frame */
    assert_int_equal(spice_stream_data_parse(empty, sizeof(empty), &m), 0);
    assert_int_equal(m.data_size, 0);
    EXPECT_WRITTEN(empty, spice_stream_data_put(&w_, &m));
}

static void test_data_sized(void **state)
{
    uint8_t *body = dup_exact(golden_data_sized, sizeof(golden_data_sized));
    struct spice_stream_data m;

    assert_int_equal(sizeof(golden_data_sized), 40);
    memset(&m, 0xee, sizeof(m));
    assert_int_equal(spice_stream_data_sized_parse(body, sizeof(golden_data_sized), &m), 0);
    assert_int_equal(m.id, 5);
    assert_int_equal(m.mm_time, 123490);
    assert_int_equal(m.sized, 1);
    assert_int_equal(m.width, 320);
    assert_int_equal(m.height, 180);
    expect_rect(&m.dest, 100, 200, 280, 520);
    assert_int_equal(m.data_size, 4);
    assert_ptr_equal(m.data, body + 36);
    assert_memory_equal(m.data, "vp8!", 4);
    EXPECT_WRITTEN(golden_data_sized, spice_stream_data_put(&w_, &m));
    free(body);
}

static void test_data_bad(void **state)
{
    EXPECT_CUTS_REFUSED(golden_data, spice_stream_data_parse, struct spice_stream_data);
    EXPECT_CUTS_REFUSED(golden_data_sized, spice_stream_data_sized_parse,
                        struct spice_stream_data);
    /* data_size one past the end, and far past it */
    EXPECT_U32_REFUSED(golden_data, 8, 6, spice_stream_data_parse, struct spice_stream_data);
    EXPECT_U32_REFUSED(golden_data, 8, 0xffffffffu, spice_stream_data_parse,
                       struct spice_stream_data);
    EXPECT_U32_REFUSED(golden_data_sized, 32, 5, spice_stream_data_sized_parse,
                       struct spice_stream_data);
    EXPECT_U32_REFUSED(golden_data_sized, 32, 0x80000000u, spice_stream_data_sized_parse,
                       struct spice_stream_data);
}

/* Bytes after a message are not its own: the frame is data_size bytes. */
static void test_data_trailing(void **state)
{
    static const uint8_t longer[] = { LE32(5), LE32(1), LE32(2), 'a', 'b', 'c' };
    struct spice_stream_data m;

    assert_int_equal(spice_stream_data_parse(longer, sizeof(longer), &m), 0);
    assert_int_equal(m.data_size, 2);
    assert_ptr_equal(m.data, longer + 12);
}

/* ------------------------------------------------------------------------ */
/* STREAM_CLIP, STREAM_DESTROY */

/* id, clip */
static const uint8_t golden_clip_rects[] = {
    LE32(5), 1, LE32(1), RECT(0, 0, 16, 32),
};
static const uint8_t golden_clip_none[] = { LE32(6), 0 };

static void test_clip(void **state)
{
    uint8_t *body = dup_exact(golden_clip_rects, sizeof(golden_clip_rects));
    const struct spice_rect rect = { 0, 0, 16, 32 };
    struct spice_stream_clip m;
    struct spice_rect r;

    memset(&m, 0xee, sizeof(m));
    assert_int_equal(spice_stream_clip_parse(body, sizeof(golden_clip_rects), &m), 0);
    assert_int_equal(m.id, 5);
    assert_int_equal(m.clip.type, SPICE_CLIP_RECTS);
    assert_int_equal(m.clip.num_rects, 1);
    assert_ptr_equal(m.clip.rects, body + 9);
    spice_clip_rect(&m.clip, 0, &r);
    expect_rect(&r, 0, 0, 16, 32);
    EXPECT_WRITTEN(golden_clip_rects, spice_stream_clip_put(&w_, &m, NULL));
    m.clip.rects = NULL;
    EXPECT_WRITTEN(golden_clip_rects, spice_stream_clip_put(&w_, &m, &rect));
    free(body);

    assert_int_equal(spice_stream_clip_parse(golden_clip_none, sizeof(golden_clip_none), &m), 0);
    assert_int_equal(m.id, 6);
    assert_int_equal(m.clip.type, SPICE_CLIP_NONE);
    assert_int_equal(m.clip.num_rects, 0);
    EXPECT_WRITTEN(golden_clip_none, spice_stream_clip_put(&w_, &m, NULL));

    EXPECT_CUTS_REFUSED(golden_clip_rects, spice_stream_clip_parse, struct spice_stream_clip);
    EXPECT_CUTS_REFUSED(golden_clip_none, spice_stream_clip_parse, struct spice_stream_clip);
    EXPECT_U32_REFUSED(golden_clip_rects, 5, 2, spice_stream_clip_parse,
                       struct spice_stream_clip);
    EXPECT_U32_REFUSED(golden_clip_rects, 5, 0x10000001u, spice_stream_clip_parse,
                       struct spice_stream_clip);
    EXPECT_U32_REFUSED(golden_clip_rects, 5, 0xffffffffu, spice_stream_clip_parse,
                       struct spice_stream_clip);
}

static void test_destroy(void **state)
{
    static const uint8_t golden[] = { LE32(0x2a) };
    uint32_t id = 0;

    assert_int_equal(spice_stream_destroy_parse(golden, sizeof(golden), &id), 0);
    assert_int_equal(id, 0x2a);
    EXPECT_WRITTEN(golden, spice_stream_destroy_put(&w_, id));
    EXPECT_CUTS_REFUSED(golden, spice_stream_destroy_parse, uint32_t);
}

/* ------------------------------------------------------------------------ */
/* reports and the multimedia clock */

/* stream_id, unique_id, max_window_size, timeout_ms */
static const uint8_t golden_activate[] = {
    LE32(5), LE32(0xdeadbeef), LE32(30), LE32(1000),
};

/* stream_id, unique_id, start_frame_mm_time, end_frame_mm_time,
 * num_frames, num_drops, last_frame_delay i32, audio_delay */
static const uint8_t golden_report[] = {
    LE32(5), LE32(0xdeadbeef), LE32(120000), LE32(121000),
    LE32(30), LE32(2), LE32(-15), LE32(0xffffffffu),
};

static void test_activate_report(void **state)
{
    struct spice_stream_activate_report m;

    memset(&m, 0xee, sizeof(m));
    assert_int_equal(spice_stream_activate_report_parse(golden_activate,
                                                        sizeof(golden_activate), &m), 0);
    assert_int_equal(m.stream_id, 5);
    assert_int_equal(m.unique_id, 0xdeadbeef);
    assert_int_equal(m.max_window_size, 30);
    assert_int_equal(m.timeout_ms, 1000);
    EXPECT_WRITTEN(golden_activate, spice_stream_activate_report_put(&w_, &m));
    EXPECT_CUTS_REFUSED(golden_activate, spice_stream_activate_report_parse,
                        struct spice_stream_activate_report);
}

static void test_report(void **state)
{
    struct spice_stream_report m;

    assert_int_equal(sizeof(golden_report), 32);
    memset(&m, 0xee, sizeof(m));
    assert_int_equal(spice_stream_report_parse(golden_report, sizeof(golden_report), &m), 0);
    assert_int_equal(m.stream_id, 5);
    assert_int_equal(m.unique_id, 0xdeadbeef);
    assert_int_equal(m.start_frame_mm_time, 120000);
    assert_int_equal(m.end_frame_mm_time, 121000);
    assert_int_equal(m.num_frames, 30);
    assert_int_equal(m.num_drops, 2);
    assert_int_equal(m.last_frame_delay, -15);
    assert_int_equal(m.audio_delay, 0xffffffffu);
    EXPECT_WRITTEN(golden_report, spice_stream_report_put(&w_, &m));
    EXPECT_CUTS_REFUSED(golden_report, spice_stream_report_parse, struct spice_stream_report);
}

static void test_multi_media_time(void **state)
{
    static const uint8_t golden[] = { LE32(0x01020304) };
    uint32_t t = 0;

    assert_int_equal(spice_multi_media_time_parse(golden, sizeof(golden), &t), 0);
    assert_int_equal(t, 0x01020304);
    EXPECT_WRITTEN(golden, spice_multi_media_time_put(&w_, t));
    EXPECT_CUTS_REFUSED(golden, spice_multi_media_time_parse, uint32_t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enum_values),
        cmocka_unit_test(test_create),
        cmocka_unit_test(test_create_bad),
        cmocka_unit_test(test_data),
        cmocka_unit_test(test_data_sized),
        cmocka_unit_test(test_data_bad),
        cmocka_unit_test(test_data_trailing),
        cmocka_unit_test(test_clip),
        cmocka_unit_test(test_destroy),
        cmocka_unit_test(test_activate_report),
        cmocka_unit_test(test_report),
        cmocka_unit_test(test_multi_media_time),
    };

    return cmocka_run_group_tests_name("protocol-stream", tests, NULL, NULL);
}
