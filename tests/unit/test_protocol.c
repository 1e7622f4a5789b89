/* Unit tests for the SPICE wire layer (protocol/spice): the byte readers and
 * writers, and golden bytes written by hand from spice.proto. */
#include "tests/unit/protocol_helpers.h"
#include "tests/unit/protocol_golden.h"
#include "protocol/spice/varmsgs.h"

/* ------------------------------------------------------------------------ */
/* wire.c */

static void test_rbuf_reads_little_endian(void **state)
{
    static const uint8_t b[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                 0xfe, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xaa };
    struct floe_rbuf r;

    floe_rbuf_init(&r, b, sizeof(b));
    assert_int_equal(floe_get_u8(&r), 0x01);
    assert_int_equal(floe_get_u16(&r), 0x0302);
    assert_int_equal(floe_get_u32(&r), 0x07060504u);
    assert_int_equal(floe_get_u8(&r), 0x08);
    assert_int_equal(floe_get_i16(&r), -2);
    assert_int_equal(floe_get_i32(&r), -2);
    assert_int_equal(floe_rbuf_left(&r), 1);
    assert_false(r.bad);
    floe_rbuf_init(&r, b, 8);
    assert_true(floe_get_u64(&r) == 0x0807060504030201ull);
    assert_int_equal(floe_rbuf_left(&r), 0);
    assert_false(r.bad);
}

static void test_rbuf_past_end_sets_bad_and_yields_zeros(void **state)
{
    uint8_t *b = dup_exact((const uint8_t[]){ 0x11, 0x22, 0x33, 0x44, 0x55 }, 5);
    struct floe_rbuf r;

    floe_rbuf_init(&r, b, 5);
    assert_int_equal(floe_get_u32(&r), 0x44332211u);
    assert_int_equal(floe_get_u16(&r), 0); /* one byte left: too short */
    assert_true(r.bad);
    /* once bad, everything reads as zero, even what would fit */
    assert_int_equal(floe_get_u8(&r), 0);
    assert_null(floe_get_bytes(&r, 0));
    assert_true(r.bad);

    floe_rbuf_init(&r, b, 5);
    assert_null(floe_get_bytes(&r, 6));
    assert_true(r.bad);
    floe_rbuf_init(&r, b, 5);
    assert_null(floe_get_bytes(&r, SIZE_MAX));
    assert_true(r.bad);
    floe_rbuf_init(&r, b, 5);
    assert_ptr_equal(floe_get_bytes(&r, 5), b);
    assert_false(r.bad);
    assert_int_equal(floe_get_u8(&r), 0);
    assert_true(r.bad);

    floe_rbuf_init(&r, NULL, 0);
    assert_int_equal(floe_get_u32(&r), 0);
    assert_true(r.bad);
    free(b);
}

/* wire.h promises zeros for a read past the end; a u64 over 4..7 bytes left
 * returns its low half instead (bad is still set). */
static void test_rbuf_u64_partial_yields_zero(void **state)
{
    static const uint8_t b[] = { 0x11, 0x22, 0x33, 0x44, 0x55 };
    struct floe_rbuf r;

    floe_rbuf_init(&r, b, sizeof(b));
    (void)floe_get_u64(&r);
    assert_true(r.bad);
    floe_rbuf_init(&r, b, sizeof(b));
    assert_true(floe_get_u64(&r) == 0);
}

static void test_rbuf_at(void **state)
{
    static const uint8_t b[] = { 1, 2, 3, 4 };
    struct floe_rbuf r, sub;

    floe_rbuf_init(&r, b, sizeof(b));
    floe_get_u8(&r); /* the parent's position does not matter */
    floe_rbuf_at(&sub, &r, 2);
    assert_false(sub.bad);
    assert_int_equal(floe_rbuf_left(&sub), 2);
    assert_int_equal(floe_get_u16(&sub), 0x0403);

    floe_rbuf_at(&sub, &r, 4);
    assert_false(sub.bad);
    assert_int_equal(floe_rbuf_left(&sub), 0);
    assert_int_equal(floe_get_u8(&sub), 0);
    assert_true(sub.bad);

    floe_rbuf_at(&sub, &r, 5);
    assert_true(sub.bad);
    assert_int_equal(floe_rbuf_left(&sub), 0);
    floe_rbuf_at(&sub, &r, SIZE_MAX);
    assert_true(sub.bad);
    assert_int_equal(floe_get_u32(&sub), 0);
}

static void test_wbuf_writes_little_endian(void **state)
{
    static const uint8_t want[] = {
        0xab, LE16(0x1234), LE32(0xdeadbeef), LE64(0x0102030405060708ull),
        0xff, 0xff, 0xfe, 0xff, 0xff, 0xff, 'h', 'i', 0, 0, 0,
    };
    struct floe_wbuf w;

    floe_wbuf_init(&w, 0);
    floe_put_u8(&w, 0xab);
    floe_put_u16(&w, 0x1234);
    floe_put_u32(&w, 0xdeadbeef);
    floe_put_u64(&w, 0x0102030405060708ull);
    floe_put_i16(&w, -1);
    floe_put_i32(&w, -2);
    floe_put_bytes(&w, "hi", 2);
    floe_put_zero(&w, 3);
    expect_wbuf(&w, want, sizeof(want));
    floe_wbuf_free(&w);
    assert_null(w.data);
    assert_int_equal(w.len, 0);
}

static void test_wbuf_patch_and_steal(void **state)
{
    static const uint8_t want[] = { 0xaa, LE32(0x11223344), 0xbb };
    struct floe_wbuf w;
    uint8_t *d;
    size_t n = 0;

    floe_wbuf_init(&w, 0);
    floe_put_u8(&w, 0xaa);
    floe_put_u32(&w, 0);
    floe_put_u8(&w, 0xbb);
    floe_patch_u32(&w, 1, 0x11223344);
    floe_patch_u32(&w, 3, 0x99999999); /* would run past len: ignored */
    expect_wbuf(&w, want, sizeof(want));
    d = floe_wbuf_steal(&w, &n);
    assert_int_equal(n, sizeof(want));
    assert_memory_equal(d, want, n);
    assert_null(w.data);
    assert_int_equal(w.len, 0);
    assert_int_equal(w.cap, 0);
    free(d);
    floe_put_u8(&w, 1); /* still usable after steal */
    assert_int_equal(w.len, 1);
    floe_wbuf_free(&w);
}

/* floe_patch_u32 ignores a patch past len, but `at + 4` wraps for an `at`
 * near SIZE_MAX and the write lands before the buffer. */
static void test_wbuf_patch_far_offset_ignored(void **state)
{
    struct floe_wbuf w;

    floe_wbuf_init(&w, 0);
    floe_put_zero(&w, 8);
    floe_patch_u32(&w, SIZE_MAX - 1, 0xffffffff); /* ASan: heap underflow if written */
    floe_patch_u32(&w, SIZE_MAX, 0xffffffff);
    assert_int_equal(floe_le32(w.data), 0);
    assert_int_equal(floe_le32(w.data + 4), 0);
    floe_wbuf_free(&w);
}

static void test_wbuf_grows_keeping_bytes(void **state)
{
    struct floe_wbuf w;

    floe_wbuf_init(&w, 0);
    for (uint32_t i = 0; i < 10000; i++)
        floe_put_u32(&w, i * 2654435761u);
    assert_false(w.failed);
    assert_int_equal(w.len, 40000);
    for (uint32_t i = 0; i < 10000; i++)
        assert_int_equal(floe_le32(w.data + 4 * i), i * 2654435761u);
    floe_wbuf_free(&w);
}

static void test_wbuf_limit_sets_failed(void **state)
{
    struct floe_wbuf w;

    floe_wbuf_init(&w, 6);
    floe_put_u32(&w, 0x01020304);
    assert_false(w.failed);
    floe_put_u32(&w, 0x05060708); /* 8 > 6 */
    assert_true(w.failed);
    assert_int_equal(w.len, 4);
    floe_put_u8(&w, 9); /* failed is sticky, even for what would fit */
    floe_put_zero(&w, 1);
    assert_int_equal(w.len, 4);
    assert_null(floe_wbuf_grow(&w, 0));
    floe_patch_u32(&w, 0, 0xffffffff);
    assert_int_equal(floe_le32(w.data), 0x01020304);
    floe_wbuf_free(&w);

    floe_wbuf_init(&w, 6);
    floe_put_zero(&w, 6); /* exactly the limit is fine */
    assert_false(w.failed);
    assert_int_equal(w.len, 6);
    floe_put_u8(&w, 0);
    assert_true(w.failed);
    floe_wbuf_free(&w);

    floe_wbuf_init(&w, 16);
    assert_null(floe_wbuf_grow(&w, SIZE_MAX));
    assert_true(w.failed);
    floe_wbuf_free(&w);
}

static void test_fixed_sizes(void **state)
{
    assert_int_equal(SPICE_SIZE_link_header, 16);
    assert_int_equal(SPICE_SIZE_link_mess, 18);
    assert_int_equal(SPICE_SIZE_data_header, 18);
    assert_int_equal(SPICE_SIZE_mini_header, 6);
    assert_int_equal(SPICE_SIZE_set_ack, 8);
    assert_int_equal(SPICE_SIZE_ping, 12);
    assert_int_equal(SPICE_SIZE_main_init, 32);
    assert_int_equal(SPICE_SIZE_display_init, 14);
    assert_int_equal(SPICE_SIZE_surface_create, 20);
    assert_int_equal(SPICE_SIZE_monitor_head, 28);
    assert_int_equal(SPICE_SIZE_mouse_position, 11);
    assert_int_equal(SPICE_SIZE_mouse_button, 3);
    assert_int_equal(SPICE_SIZE_mouse_motion, 10);
    assert_int_equal(SPICE_SIZE_rect, 16);
    assert_int_equal(SPICE_SIZE_cursor_header, 17);
    assert_int_equal(SPICE_SIZE_image_desc, 18);
    assert_int_equal(SPICE_SIZE_bitmap, 18);
    assert_int_equal(SPICE_LINK_REPLY_SIZE, 4 + SPICE_TICKET_PUBKEY_BYTES + 12);
}

static void test_caps_bits(void **state)
{
    uint32_t words[SPICE_CAPS_WORDS] = { 0 };

    assert_int_equal(spice_caps_count(words), 0);
    spice_caps_set(words, 3);
    spice_caps_set(words, 0);
    assert_int_equal(words[0], 0x09);
    assert_int_equal(spice_caps_count(words), 1);
    spice_caps_set(words, 33);
    assert_int_equal(words[1], 0x02);
    assert_int_equal(spice_caps_count(words), 2);
    assert_true(spice_caps_has(words, 33));
    assert_false(spice_caps_has(words, 32));
    spice_caps_set(words, SPICE_CAPS_WORDS * 32); /* out of range: ignored */
    assert_false(spice_caps_has(words, SPICE_CAPS_WORDS * 32));
    assert_false(spice_caps_has(words, 100000));
}

/* ------------------------------------------------------------------------ */
/* golden bytes from the spec: link */

static void test_golden_link_header(void **state)
{
    static const uint8_t g[] = { REDQ, 2, 0, 0, 0, 2, 0, 0, 0, 26, 0, 0, 0 };
    struct spice_link_header h = { SPICE_MAGIC, 2, 2, 26 }, d;
    struct floe_wbuf w;
    struct floe_rbuf r;

    floe_wbuf_init(&w, 0);
    spice_link_header_put(&w, &h);
    expect_wbuf(&w, g, sizeof(g));
    floe_wbuf_free(&w);

    floe_rbuf_init(&r, g, sizeof(g));
    spice_link_header_get(&r, &d);
    assert_false(r.bad);
    assert_int_equal(d.magic, 0x51444552u);
    assert_int_equal(d.major, 2);
    assert_int_equal(d.minor, 2);
    assert_int_equal(d.size, 26);
    assert_int_equal(spice_link_header_check(&d), SPICE_LINK_ERR_OK);
}

/* MAIN, connection 0, common caps AUTH_SELECTION|AUTH_SPICE|MINI_HEADER, main
 * cap NAME_AND_UUID. */
static const uint8_t golden_link_mess[] = {
    REDQ, LE32(2), LE32(2), LE32(18 + 8),
    LE32(0), 1, 0, LE32(1), LE32(1), LE32(18),
    LE32(0x0b), LE32(0x02),
};

static void test_golden_link_mess_encode(void **state)
{
    struct spice_link_mess m = { .connection_id = 0, .channel_type = SPICE_CHANNEL_MAIN };
    struct spice_caps caps = { { 0 }, { 0 } };
    struct floe_wbuf w;

    spice_caps_set(caps.common, SPICE_COMMON_CAP_AUTH_SELECTION);
    spice_caps_set(caps.common, SPICE_COMMON_CAP_AUTH_SPICE);
    spice_caps_set(caps.common, SPICE_COMMON_CAP_MINI_HEADER);
    spice_caps_set(caps.channel, SPICE_MAIN_CAP_NAME_AND_UUID);
    /* counts and offset are the writer's business, whatever the caller left */
    m.num_common_caps = 77;
    m.caps_offset = 3;
    floe_wbuf_init(&w, 0);
    spice_link_mess_write(&w, &m, &caps);
    expect_wbuf(&w, golden_link_mess, sizeof(golden_link_mess));
    floe_wbuf_free(&w);
}

static void test_golden_link_mess_decode(void **state)
{
    uint8_t *body = dup_exact(golden_link_mess + 16, sizeof(golden_link_mess) - 16);
    struct spice_link_mess m;
    struct spice_caps caps;

    memset(&caps, 0xee, sizeof(caps));
    assert_int_equal(spice_link_mess_parse(body, sizeof(golden_link_mess) - 16, &m, &caps),
                     SPICE_LINK_ERR_OK);
    assert_int_equal(m.connection_id, 0);
    assert_int_equal(m.channel_type, SPICE_CHANNEL_MAIN);
    assert_int_equal(m.channel_id, 0);
    assert_int_equal(m.num_common_caps, 1);
    assert_int_equal(m.num_channel_caps, 1);
    assert_int_equal(m.caps_offset, 18);
    assert_int_equal(caps.common[0], 0x0b);
    assert_int_equal(caps.channel[0], 0x02);
    for (int i = 1; i < SPICE_CAPS_WORDS; i++) {
        assert_int_equal(caps.common[i], 0);
        assert_int_equal(caps.channel[i], 0);
    }
    free(body);
}

static void test_golden_link_mess_two_cap_words(void **state)
{
    static const uint8_t g[] = {
        REDQ, LE32(2), LE32(2), LE32(18 + 12),
        LE32(0xcafe), SPICE_CHANNEL_DISPLAY, 1, LE32(1), LE32(2), LE32(18),
        LE32(0x08), LE32(0x00000001), LE32(0x00000002),
    };
    struct spice_link_mess m = { .connection_id = 0xcafe, .channel_type = SPICE_CHANNEL_DISPLAY,
                                 .channel_id = 1 };
    struct spice_caps caps = { { 0 }, { 0 } }, back;
    struct floe_wbuf w;

    spice_caps_set(caps.common, SPICE_COMMON_CAP_MINI_HEADER);
    spice_caps_set(caps.channel, 0);
    spice_caps_set(caps.channel, 33);
    floe_wbuf_init(&w, 0);
    spice_link_mess_write(&w, &m, &caps);
    expect_wbuf(&w, g, sizeof(g));
    floe_wbuf_free(&w);

    assert_int_equal(spice_link_mess_parse(g + 16, sizeof(g) - 16, &m, &back), SPICE_LINK_ERR_OK);
    assert_memory_equal(&back, &caps, sizeof(caps));
    assert_int_equal(m.channel_id, 1);
}

static void fill_pubkey(uint8_t *k)
{
    for (int i = 0; i < SPICE_TICKET_PUBKEY_BYTES; i++)
        k[i] = (uint8_t)(i * 7 + 3);
}

static void test_golden_link_reply_ok(void **state)
{
    static const uint8_t head[] = { REDQ, LE32(2), LE32(2), LE32(178 + 8), LE32(0) };
    static const uint8_t tail[] = { LE32(1), LE32(1), LE32(178), LE32(0x0b), LE32(0x0f) };
    uint8_t key[SPICE_TICKET_PUBKEY_BYTES], want[sizeof(head) + sizeof(key) + sizeof(tail)];
    struct spice_caps caps = { { 0x0b }, { 0x0f } }, back;
    const uint8_t *pk = NULL;
    struct floe_wbuf w;

    fill_pubkey(key);
    memcpy(want, head, sizeof(head));
    memcpy(want + sizeof(head), key, sizeof(key));
    memcpy(want + sizeof(head) + sizeof(key), tail, sizeof(tail));
    floe_wbuf_init(&w, 0);
    spice_link_reply_write(&w, SPICE_LINK_ERR_OK, key, &caps);
    expect_wbuf(&w, want, sizeof(want));
    floe_wbuf_free(&w);

    memset(&back, 0xee, sizeof(back));
    assert_int_equal(spice_link_reply_parse(want + 16, sizeof(want) - 16, &pk, &back),
                     SPICE_LINK_ERR_OK);
    assert_ptr_equal(pk, want + 20);
    assert_memory_equal(&back, &caps, sizeof(caps));
}

static void test_golden_link_reply_error(void **state)
{
    uint8_t want[16 + 178] = { REDQ, LE32(2), LE32(2), LE32(178), LE32(SPICE_LINK_ERR_INVALID_DATA) };
    struct spice_caps caps = { { 0x0b }, { 0x0f } };
    const uint8_t *pk;
    struct floe_wbuf w;
    uint8_t key[SPICE_TICKET_PUBKEY_BYTES];

    fill_pubkey(key);
    /* a zeroed reply carrying only the error, whatever key and caps were handed in */
    floe_wbuf_init(&w, 0);
    spice_link_reply_write(&w, SPICE_LINK_ERR_INVALID_DATA, key, &caps);
    expect_wbuf(&w, want, sizeof(want));
    floe_wbuf_free(&w);
    floe_wbuf_init(&w, 0);
    spice_link_reply_write(&w, SPICE_LINK_ERR_INVALID_DATA, NULL, NULL);
    expect_wbuf(&w, want, sizeof(want));
    floe_wbuf_free(&w);

    assert_int_equal(spice_link_reply_parse(want + 16, 178, &pk, &caps),
                     SPICE_LINK_ERR_INVALID_DATA);
    want[16] = SPICE_LINK_ERR_PERMISSION_DENIED;
    assert_int_equal(spice_link_reply_parse(want + 16, 178, &pk, &caps),
                     SPICE_LINK_ERR_PERMISSION_DENIED);
}

/* ------------------------------------------------------------------------ */
/* golden bytes from the spec: headers and fixed messages */

static void test_golden_data_header(void **state)
{
    static const uint8_t g[] = {
        LE64(1), LE16(SPICE_MSG_SET_ACK), LE32(8), LE32(0), LE32(1), LE32(20),
    };
    struct spice_set_ack ack = { 1, 20 };
    struct spice_msg_header h;
    struct floe_wbuf w;
    uint8_t *cut;

    floe_wbuf_init(&w, 0);
    WRITE_MSG(&w, 0, SPICE_MSG_SET_ACK, 1, spice_set_ack_put(&w, &ack));
    expect_wbuf(&w, g, sizeof(g));
    floe_wbuf_free(&w);

    memset(&h, 0xee, sizeof(h));
    assert_int_equal(spice_header_parse(g, sizeof(g), 0, &h), 18);
    assert_int_equal(h.type, SPICE_MSG_SET_ACK);
    assert_int_equal(h.size, 8);
    assert_true(h.serial == 1);
    for (size_t n = 0; n < 18; n++) {
        cut = dup_exact(g, n);
        assert_int_equal(spice_header_parse(cut, n, 0, &h), 0);
        free(cut);
    }
}

static void test_golden_mini_header(void **state)
{
    static const uint8_t g[] = { LE16(SPICE_MSG_SET_ACK), LE32(8), LE32(1), LE32(20) };
    static const uint8_t big[] = { LE16(0xffff), LE32(0xfffffffe) };
    struct spice_set_ack ack = { 1, 20 }, back;
    struct spice_msg_header h;
    struct floe_wbuf w;
    struct floe_rbuf r;
    uint8_t *cut;

    floe_wbuf_init(&w, 0);
    WRITE_MSG(&w, 1, SPICE_MSG_SET_ACK, 99, spice_set_ack_put(&w, &ack));
    expect_wbuf(&w, g, sizeof(g));
    floe_wbuf_free(&w);

    assert_int_equal(spice_header_parse(g, sizeof(g), 1, &h), 6);
    assert_int_equal(h.type, SPICE_MSG_SET_ACK);
    assert_int_equal(h.size, 8);
    assert_true(h.serial == 0);
    floe_rbuf_init(&r, g + 6, h.size);
    spice_set_ack_get(&r, &back);
    assert_false(r.bad);
    assert_int_equal(back.generation, 1);
    assert_int_equal(back.window, 20);
    assert_int_equal(spice_header_parse(big, sizeof(big), 1, &h), 6);
    assert_int_equal(h.type, 0xffff);
    assert_int_equal(h.size, 0xfffffffeu);
    for (size_t n = 0; n < 6; n++) {
        cut = dup_exact(g, n);
        assert_int_equal(spice_header_parse(cut, n, 1, &h), 0);
        free(cut);
    }
}

static void test_golden_ping(void **state)
{
    static const uint8_t g[] = {
        LE64(2), LE16(SPICE_MSG_PING), LE32(12), LE32(0),
        LE32(7), LE64(0x1122334455667788ull),
    };
    struct spice_ping p = { 7, 0x1122334455667788ull }, back;
    struct floe_wbuf w;
    struct floe_rbuf r;

    floe_wbuf_init(&w, 0);
    WRITE_MSG(&w, 0, SPICE_MSG_PING, 2, spice_ping_put(&w, &p));
    expect_wbuf(&w, g, sizeof(g));
    floe_wbuf_free(&w);
    floe_rbuf_init(&r, g + 18, 12);
    spice_ping_get(&r, &back);
    assert_false(r.bad);
    assert_int_equal(back.id, 7);
    assert_true(back.timestamp == 0x1122334455667788ull);
}

static void test_golden_main_init(void **state)
{
    static const uint8_t g[] = {
        LE16(SPICE_MSG_MAIN_INIT), LE32(32),
        LE32(0x12345678), LE32(1), LE32(3), LE32(2), LE32(1), LE32(10), LE32(0xabcdef),
        LE32(0x1000000),
    };
    struct spice_main_init m = { 0x12345678, 1, 3, 2, 1, 10, 0xabcdef, 0x1000000 }, b;
    struct floe_wbuf w;
    struct floe_rbuf r;

    floe_wbuf_init(&w, 0);
    WRITE_MSG(&w, 1, SPICE_MSG_MAIN_INIT, 0, spice_main_init_put(&w, &m));
    expect_wbuf(&w, g, sizeof(g));
    floe_wbuf_free(&w);
    floe_rbuf_init(&r, g + 6, 32);
    spice_main_init_get(&r, &b);
    assert_false(r.bad);
    assert_int_equal(b.session_id, 0x12345678);
    assert_int_equal(b.display_channels_hint, 1);
    assert_int_equal(b.supported_mouse_modes, 3);
    assert_int_equal(b.current_mouse_mode, 2);
    assert_int_equal(b.agent_connected, 1);
    assert_int_equal(b.agent_tokens, 10);
    assert_int_equal(b.multi_media_time, 0xabcdef);
    assert_int_equal(b.ram_hint, 0x1000000);
}

static void test_golden_channels_list(void **state)
{
    static const uint8_t g[] = {
        LE16(SPICE_MSG_MAIN_CHANNELS_LIST), LE32(10),
        LE32(3), SPICE_CHANNEL_DISPLAY, 0, SPICE_CHANNEL_CURSOR, 0, SPICE_CHANNEL_INPUTS, 1,
    };
    static const struct spice_channel_id ids[] = {
        { SPICE_CHANNEL_DISPLAY, 0 }, { SPICE_CHANNEL_CURSOR, 0 }, { SPICE_CHANNEL_INPUTS, 1 },
    };
    struct spice_channel_id back[4];
    struct floe_wbuf w;
    struct floe_rbuf r;

    floe_wbuf_init(&w, 0);
    WRITE_MSG(&w, 1, SPICE_MSG_MAIN_CHANNELS_LIST, 0, spice_channels_list_put(&w, ids, 3));
    expect_wbuf(&w, g, sizeof(g));
    floe_wbuf_free(&w);

    floe_rbuf_init(&r, g + 6, 10);
    assert_int_equal(spice_channels_list_get(&r, back, 4), 3);
    assert_memory_equal(back, ids, sizeof(ids));
    assert_int_equal(floe_rbuf_left(&r), 0);
    /* fewer slots than entries: the first ones are kept, all are consumed */
    memset(back, 0, sizeof(back));
    floe_rbuf_init(&r, g + 6, 10);
    assert_int_equal(spice_channels_list_get(&r, back, 2), 2);
    assert_memory_equal(back, ids, 2 * sizeof(ids[0]));
    assert_int_equal(back[2].type, 0);
    assert_int_equal(floe_rbuf_left(&r), 0);
}

static void test_golden_mouse_mode(void **state)
{
    static const uint8_t g[] = { LE16(SPICE_MSG_MAIN_MOUSE_MODE), LE32(4), LE16(3), LE16(2) };
    struct spice_mouse_mode m = { SPICE_MOUSE_MODE_SERVER | SPICE_MOUSE_MODE_CLIENT,
                                  SPICE_MOUSE_MODE_CLIENT }, b;
    struct floe_wbuf w;
    struct floe_rbuf r;

    floe_wbuf_init(&w, 0);
    WRITE_MSG(&w, 1, SPICE_MSG_MAIN_MOUSE_MODE, 0, spice_mouse_mode_put(&w, &m));
    expect_wbuf(&w, g, sizeof(g));
    floe_wbuf_free(&w);
    floe_rbuf_init(&r, g + 6, 4);
    spice_mouse_mode_get(&r, &b);
    assert_false(r.bad);
    assert_int_equal(b.supported_modes, 3);
    assert_int_equal(b.current_mode, 2);
}

static void test_golden_display_init(void **state)
{
    /* pixmap_cache_size is an int64, glz window an int32 */
    static const uint8_t g[] = {
        LE16(SPICE_MSGC_DISPLAY_INIT), LE32(14),
        1, LE64(20971520), 2, LE32(3145728),
    };
    struct spice_display_init m = { 1, 20971520, 2, 3145728 }, b;
    struct floe_wbuf w;
    struct floe_rbuf r;

    floe_wbuf_init(&w, 0);
    WRITE_MSG(&w, 1, SPICE_MSGC_DISPLAY_INIT, 0, spice_display_init_put(&w, &m));
    expect_wbuf(&w, g, sizeof(g));
    floe_wbuf_free(&w);
    floe_rbuf_init(&r, g + 6, 14);
    spice_display_init_get(&r, &b);
    assert_false(r.bad);
    assert_int_equal(b.pixmap_cache_id, 1);
    assert_true(b.pixmap_cache_size == 20971520);
    assert_int_equal(b.glz_dictionary_id, 2);
    assert_int_equal(b.glz_dictionary_window_size, 3145728);
}

static void test_golden_surface_create(void **state)
{
    static const uint8_t g[] = {
        LE16(SPICE_MSG_DISPLAY_SURFACE_CREATE), LE32(20),
        LE32(0), LE32(1920), LE32(1080), LE32(32), LE32(1),
    };
    struct spice_surface_create m = { 0, 1920, 1080, SPICE_SURFACE_FMT_32_xRGB,
                                      SPICE_SURFACE_FLAG_PRIMARY }, b;
    struct floe_wbuf w;
    struct floe_rbuf r;

    assert_int_equal(SPICE_MSG_DISPLAY_SURFACE_CREATE, 314);
    floe_wbuf_init(&w, 0);
    WRITE_MSG(&w, 1, SPICE_MSG_DISPLAY_SURFACE_CREATE, 0, spice_surface_create_put(&w, &m));
    expect_wbuf(&w, g, sizeof(g));
    floe_wbuf_free(&w);
    floe_rbuf_init(&r, g + 6, 20);
    spice_surface_create_get(&r, &b);
    assert_false(r.bad);
    assert_memory_equal(&b, &m, sizeof(m));
}

static void test_golden_monitors_config(void **state)
{
    static const uint8_t g[] = {
        LE16(SPICE_MSG_DISPLAY_MONITORS_CONFIG), LE32(4 + 2 * 28),
        LE16(2), LE16(4),
        LE32(0), LE32(0), LE32(1920), LE32(1080), LE32(0), LE32(0), LE32(0),
        LE32(1), LE32(1), LE32(800), LE32(600), LE32(1920), LE32(0), LE32(0),
    };
    static const struct spice_monitor_head heads[2] = {
        { 0, 0, 1920, 1080, 0, 0, 0 }, { 1, 1, 800, 600, 1920, 0, 0 },
    };
    struct spice_monitor_head b;
    struct floe_wbuf w;
    struct floe_rbuf r;

    assert_int_equal(SPICE_MSG_DISPLAY_MONITORS_CONFIG, 317);
    floe_wbuf_init(&w, 0);
    WRITE_MSG(&w, 1, SPICE_MSG_DISPLAY_MONITORS_CONFIG, 0,
              spice_monitors_config_put(&w, heads, 2, 4));
    expect_wbuf(&w, g, sizeof(g));
    floe_wbuf_free(&w);
    floe_rbuf_init(&r, g + 6 + 4 + 28, 28);
    spice_monitor_head_get(&r, &b);
    assert_false(r.bad);
    assert_memory_equal(&b, &heads[1], sizeof(b));
}

/* ------------------------------------------------------------------------ */
/* golden bytes from the spec: draw commands */



static void test_golden_draw_fill_clip_none(void **state)
{
    struct spice_display_base base = { 0, { 10, 20, 30, 40 }, { SPICE_CLIP_NONE, 0, NULL } };
    struct spice_draw_fill m;
    struct floe_wbuf w;

    assert_int_equal(sizeof(golden_fill_none), 41);
    floe_wbuf_init(&w, 0);
    spice_draw_fill_put(&w, &base, NULL, 0x00ff8000);
    expect_wbuf(&w, golden_fill_none, sizeof(golden_fill_none));
    floe_wbuf_free(&w);

    memset(&m, 0xee, sizeof(m));
    assert_int_equal(spice_draw_fill_parse(golden_fill_none, sizeof(golden_fill_none), &m), 0);
    assert_int_equal(m.base.surface_id, 0);
    expect_rect(&m.base.box, 10, 20, 30, 40);
    assert_int_equal(m.base.clip.type, SPICE_CLIP_NONE);
    assert_int_equal(m.base.clip.num_rects, 0);
    assert_int_equal(m.brush.type, SPICE_BRUSH_SOLID);
    assert_int_equal(m.brush.color, 0x00ff8000);
    assert_int_equal(m.rop, SPICE_ROPD_OP_PUT);
    expect_mask_none(&m.mask);
}

static void test_golden_draw_fill_clip_rects(void **state)
{
    static const struct spice_rect rects[2] = { { 0, 0, 5, 6 }, { 10, 11, 20, 21 } };
    struct spice_display_base base = { 1, { 0, 0, 100, 200 }, { SPICE_CLIP_RECTS, 2, NULL } };
    struct spice_draw_fill m;
    struct spice_rect r;
    struct floe_wbuf w;

    assert_int_equal(sizeof(golden_fill_rects), 41 + 4 + 32);
    floe_wbuf_init(&w, 0);
    spice_draw_fill_put(&w, &base, rects, 0xff123456);
    expect_wbuf(&w, golden_fill_rects, sizeof(golden_fill_rects));
    floe_wbuf_free(&w);

    assert_int_equal(spice_draw_fill_parse(golden_fill_rects, sizeof(golden_fill_rects), &m), 0);
    assert_int_equal(m.base.surface_id, 1);
    expect_rect(&m.base.box, 0, 0, 100, 200);
    assert_int_equal(m.base.clip.type, SPICE_CLIP_RECTS);
    assert_int_equal(m.base.clip.num_rects, 2);
    assert_ptr_equal(m.base.clip.rects, golden_fill_rects + 25);
    spice_clip_rect(&m.base.clip, 0, &r);
    expect_rect(&r, 0, 0, 5, 6);
    spice_clip_rect(&m.base.clip, 1, &r);
    expect_rect(&r, 10, 11, 20, 21);
    assert_int_equal(m.brush.color, 0xff123456);
    assert_int_equal(m.rop, SPICE_ROPD_OP_PUT);
    expect_mask_none(&m.mask);
}

static void test_draw_fill_other_brushes(void **state)
{
    static const uint8_t none[] = {
        LE32(0), RECT(0, 0, 1, 1), SPICE_CLIP_NONE, SPICE_BRUSH_NONE, LE16(8), MASK_NONE,
    };
    /* PATTERN: image pointer + Point; the mask here has INVERS and a position */
    static const uint8_t pattern[] = {
        LE32(0), RECT(0, 0, 1, 1), SPICE_CLIP_NONE,
        SPICE_BRUSH_PATTERN, LE32(49), LE32(3), LE32(4), LE16(8),
        1, LE32(-5), LE32(6), LE32(0),
        LE64(1), SPICE_IMAGE_FROM_CACHE, 0, LE32(1), LE32(1),
    };
    uint8_t bad[sizeof(none)];
    struct spice_draw_fill m;

    assert_int_equal(spice_draw_fill_parse(none, sizeof(none), &m), 0);
    assert_int_equal(m.brush.type, SPICE_BRUSH_NONE);
    assert_int_equal(m.brush.color, 0);
    assert_int_equal(m.rop, 8);
    assert_int_equal(spice_draw_fill_parse(pattern, sizeof(pattern), &m), 0);
    assert_int_equal(m.brush.type, SPICE_BRUSH_PATTERN);
    assert_int_equal(m.rop, 8);
    assert_int_equal(m.mask.flags, 1);
    assert_int_equal(m.mask.pos.x, -5);
    assert_int_equal(m.mask.pos.y, 6);
    memcpy(bad, none, sizeof(none));
    bad[21] = 3; /* no such brush */
    assert_int_equal(spice_draw_fill_parse(bad, sizeof(bad), &m), -EBADMSG);
}


static void test_golden_copy_bits(void **state)
{
    struct spice_display_base base = { 0, { 100, 0, 200, 300 }, { SPICE_CLIP_NONE, 0, NULL } };
    struct spice_point src = { 0, 90 };
    struct spice_copy_bits m;
    struct floe_wbuf w;

    assert_int_equal(SPICE_MSG_DISPLAY_COPY_BITS, 104);
    floe_wbuf_init(&w, 0);
    spice_copy_bits_put(&w, &base, NULL, src);
    expect_wbuf(&w, golden_copy_bits, sizeof(golden_copy_bits));
    floe_wbuf_free(&w);

    assert_int_equal(spice_copy_bits_parse(golden_copy_bits, sizeof(golden_copy_bits), &m), 0);
    assert_int_equal(m.base.surface_id, 0);
    expect_rect(&m.base.box, 100, 0, 200, 300);
    assert_int_equal(m.base.clip.type, SPICE_CLIP_NONE);
    assert_int_equal(m.src_pos.x, 0);
    assert_int_equal(m.src_pos.y, 90);
}

/* DRAW_COPY of a 3x2 top-down 32-bit BITMAP, clip NONE: the image follows the
 * 57 fixed bytes, so src_bitmap = 57; descriptor 18, bitmap header 18, 24 bytes. */

static void make_pixels(uint8_t *px, uint32_t stride)
{
    static const uint8_t rows[2][12] = { { PX(0, 0), PX(0, 1), PX(0, 2) },
                                         { PX(1, 0), PX(1, 1), PX(1, 2) } };

    memset(px, 0xee, 2 * stride); /* padding that must not reach the wire */
    memcpy(px, rows[0], 12);
    memcpy(px + stride, rows[1], 12);
}

static void test_golden_draw_copy_bitmap_encode(void **state)
{
    struct spice_display_base base = { 0, { 4, 8, 6, 11 }, { SPICE_CLIP_NONE, 0, NULL } };
    uint8_t px[2 * 20];
    struct floe_wbuf w;

    assert_int_equal(sizeof(golden_copy), 57 + 18 + 18 + 24);
    make_pixels(px, 20);
    floe_wbuf_init(&w, 0);
    spice_draw_copy_bitmap_put(&w, 0, &base, NULL, 0x4242, 3, 2, px, 20);
    expect_wbuf(&w, golden_copy, sizeof(golden_copy));
    floe_wbuf_free(&w);

    /* behind a header, the pointer still counts from the body's start */
    floe_wbuf_init(&w, 0);
    WRITE_MSG(&w, 1, SPICE_MSG_DISPLAY_DRAW_COPY, 0,
              spice_draw_copy_bitmap_put(&w, 6, &base, NULL, 0x4242, 3, 2, px, 20));
    assert_int_equal(w.len, 6 + sizeof(golden_copy));
    assert_int_equal(floe_le16(w.data), 304);
    assert_int_equal(floe_le32(w.data + 2), sizeof(golden_copy));
    assert_memory_equal(w.data + 6, golden_copy, sizeof(golden_copy));
    floe_wbuf_free(&w);
}

static void test_golden_draw_copy_bitmap_decode(void **state)
{
    uint8_t *body = dup_exact(golden_copy, sizeof(golden_copy));
    struct spice_draw_copy m;

    memset(&m, 0xee, sizeof(m));
    assert_int_equal(spice_draw_copy_parse(body, sizeof(golden_copy), &m), 0);
    assert_int_equal(m.base.surface_id, 0);
    expect_rect(&m.base.box, 4, 8, 6, 11);
    assert_int_equal(m.base.clip.type, SPICE_CLIP_NONE);
    assert_int_equal(m.src_bitmap, 57);
    expect_rect(&m.src_area, 0, 0, 2, 3);
    assert_int_equal(m.rop, SPICE_ROPD_OP_PUT);
    assert_int_equal(m.scale_mode, SPICE_SCALE_NEAREST);
    expect_mask_none(&m.mask);
    assert_true(m.image.desc.id == 0x4242);
    assert_int_equal(m.image.desc.type, SPICE_IMAGE_BITMAP);
    assert_int_equal(m.image.desc.flags, 0);
    assert_int_equal(m.image.desc.width, 3);
    assert_int_equal(m.image.desc.height, 2);
    assert_int_equal(m.image.bitmap.format, SPICE_BITMAP_32BIT);
    assert_int_equal(m.image.bitmap.flags, SPICE_BITMAP_TOP_DOWN);
    assert_int_equal(m.image.bitmap.x, 3);
    assert_int_equal(m.image.bitmap.y, 2);
    assert_int_equal(m.image.bitmap.stride, 12);
    assert_int_equal(m.image.bitmap.palette, 0);
    assert_ptr_equal(m.image.data, body + 93);
    assert_int_equal(m.image.data_len, 24);
    assert_int_equal(spice_bitmap_bpp(m.image.bitmap.format), 4);
    free(body);
}

/* The same DRAW_COPY with an 8-bit palette bitmap: 4-byte rows of 3
 * indices, then the palette (unique 0x77, two entries) after the pixels.
 * The palette is found, its size checked, and a row shorter than the
 * format needs is refused. */
static void test_draw_copy_palette_bitmap(void **state)
{
    uint8_t buf[93 + 8 + 10 + 8];
    struct spice_draw_copy m;
    uint8_t *body;

    memcpy(buf, golden_copy, 93);
    buf[75] = SPICE_BITMAP_8BIT;
    floe_wr_le32(buf + 85, 4);            /* stride */
    floe_wr_le32(buf + 89, 101);          /* the palette's offset */
    memcpy(buf + 93, "\x00\x01\x01\xee\x01\x00\x00\xee", 8);
    floe_wr_le32(buf + 101, 0x77);
    floe_wr_le32(buf + 105, 0);
    buf[109] = 2;
    buf[110] = 0;
    floe_wr_le32(buf + 111, 0x00102030);
    floe_wr_le32(buf + 115, 0x00405060);
    body = dup_exact(buf, sizeof(buf));
    assert_int_equal(spice_draw_copy_parse(body, sizeof(buf), &m), 0);
    assert_int_equal(m.image.bitmap.format, SPICE_BITMAP_8BIT);
    assert_int_equal(m.image.data_len, 8);
    assert_ptr_equal(m.image.data, body + 93);
    assert_true(m.image.palette_id == 0x77);
    assert_int_equal(m.image.palette_len, 2);
    assert_ptr_equal(m.image.palette, body + 111);
    assert_int_equal(spice_bitmap_row_bytes(SPICE_BITMAP_1BIT_BE, 9), 2);
    assert_int_equal(spice_bitmap_row_bytes(SPICE_BITMAP_4BIT_LE, 3), 2);
    free(body);

    /* the palette's entries run past the message */
    body = dup_exact(buf, sizeof(buf) - 1);
    assert_int_equal(spice_draw_copy_parse(body, sizeof(buf) - 1, &m), -EBADMSG);
    free(body);
    /* rows of 2 bytes cannot hold 3 8-bit pixels */
    floe_wr_le32(buf + 85, 2);
    body = dup_exact(buf, sizeof(buf));
    assert_int_equal(spice_draw_copy_parse(body, sizeof(buf), &m), -EBADMSG);
    free(body);
}

static void test_golden_draw_copy_with_clip_rects(void **state)
{
    static const struct spice_rect clip = { 4, 8, 5, 9 };
    struct spice_display_base base = { 0, { 4, 8, 6, 11 }, { SPICE_CLIP_RECTS, 1, NULL } };
    uint8_t px[2 * 12];
    struct spice_draw_copy m;
    struct spice_rect r;
    struct floe_wbuf w;

    make_pixels(px, 12);
    floe_wbuf_init(&w, 0);
    spice_draw_copy_bitmap_put(&w, 0, &base, &clip, 1, 3, 2, px, 12);
    assert_false(w.failed);
    assert_int_equal(w.len, sizeof(golden_copy) + 4 + 16);
    /* clip type, count, rect inline; the pointer moves past them: 57 + 20 */
    assert_int_equal(w.data[20], SPICE_CLIP_RECTS);
    assert_int_equal(floe_le32(w.data + 21), 1);
    assert_int_equal(floe_le32(w.data + 41), 77);
    assert_memory_equal(w.data + 77 + 36, golden_copy + 93, 24);
    assert_int_equal(spice_draw_copy_parse(w.data, w.len, &m), 0);
    assert_int_equal(m.base.clip.num_rects, 1);
    spice_clip_rect(&m.base.clip, 0, &r);
    expect_rect(&r, 4, 8, 5, 9);
    assert_int_equal(m.src_bitmap, 77);
    assert_ptr_equal(m.image.data, w.data + 77 + 36);
    floe_wbuf_free(&w);
}

static void test_image_other_kinds(void **state)
{
    /* images placed right at offset 4 of a small body; bytes 0-3 are filler */
    static const uint8_t lz[] = {
        0, 0, 0, 0, LE64(9), SPICE_IMAGE_LZ_RGB, SPICE_IMAGE_CACHE_ME, LE32(4), LE32(4),
        LE32(5), 'a', 'b', 'c', 'd', 'e',
    };
    static const uint8_t cache[] = {
        0, 0, 0, 0, LE64(9), SPICE_IMAGE_FROM_CACHE, 0, LE32(4), LE32(4),
    };
    /* 24-bit, bottom-up, palette from cache (a u64 id instead of a pointer) */
    static const uint8_t bgr[] = {
        0, 0, 0, 0, LE64(3), SPICE_IMAGE_BITMAP, 0, LE32(2), LE32(2),
        SPICE_BITMAP_24BIT, SPICE_BITMAP_PAL_FROM_CACHE, LE32(2), LE32(2), LE32(6), LE64(77),
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
    };
    struct spice_image img;

    assert_int_equal(spice_image_parse(lz, sizeof(lz), 4, &img), 0);
    assert_int_equal(img.desc.type, SPICE_IMAGE_LZ_RGB);
    assert_int_equal(img.desc.flags, SPICE_IMAGE_CACHE_ME);
    assert_int_equal(img.data_len, 5);
    assert_ptr_equal(img.data, lz + 26);
    assert_int_equal(spice_image_parse(cache, sizeof(cache), 4, &img), 0);
    assert_int_equal(img.desc.type, SPICE_IMAGE_FROM_CACHE);
    assert_null(img.data);
    assert_int_equal(img.data_len, 0);
    assert_int_equal(spice_image_parse(bgr, sizeof(bgr), 4, &img), 0);
    assert_int_equal(img.bitmap.format, SPICE_BITMAP_24BIT);
    assert_int_equal(img.bitmap.stride, 6);
    assert_int_equal(img.data_len, 12);
    assert_ptr_equal(img.data, bgr + sizeof(bgr) - 12);
    assert_int_equal(spice_bitmap_bpp(SPICE_BITMAP_24BIT), 3);
    assert_int_equal(spice_bitmap_bpp(5 /* 8BIT, palette */), 0);
}

/* The image kinds with fields besides data_size, as spice.proto lays them
 * out: LZ_PLT (flags, data_size, palette pointer or id, data), JPEG_ALPHA
 * (flags, jpeg_size, data_size, data), ZLIB_GLZ_RGB (glz_data_size,
 * data_size, data); and DRAW_COPY of a compressed image written by floe. */
static void test_golden_image_extras(void **state)
{
    static const uint8_t plt[] = {
        0, 0, 0, 0, LE64(5), SPICE_IMAGE_LZ_PLT, 0, LE32(2), LE32(1),
        SPICE_BITMAP_PAL_CACHE_ME, LE32(3), LE32(34), 'x', 'y', 'z',
        /* the palette at 34: unique, num_ents, entries */
        LE64(0xabc), LE16(2), LE32(0x112233), LE32(0x445566),
    };
    static const uint8_t plt_cached[] = {
        0, 0, 0, 0, LE64(5), SPICE_IMAGE_LZ_PLT, 0, LE32(2), LE32(1),
        SPICE_BITMAP_PAL_FROM_CACHE, LE32(2), LE64(0xabc), 'x', 'y',
    };
    static const uint8_t plt_bad[] = {   /* the palette pointer is past the end */
        0, 0, 0, 0, LE64(5), SPICE_IMAGE_LZ_PLT, 0, LE32(2), LE32(1),
        0, LE32(1), LE32(200), 'x',
    };
    static const uint8_t jpeg_alpha[] = {
        0, 0, 0, 0, LE64(6), SPICE_IMAGE_JPEG_ALPHA, 0, LE32(2), LE32(2),
        1, LE32(3), LE32(5), 'j', 'j', 'j', 'a', 'a',
    };
    static const uint8_t jpeg_alpha_bad[] = {   /* jpeg_size beyond data_size */
        0, 0, 0, 0, LE64(6), SPICE_IMAGE_JPEG_ALPHA, 0, LE32(2), LE32(2),
        1, LE32(6), LE32(5), 'j', 'j', 'j', 'a', 'a',
    };
    static const uint8_t zlib_glz[] = {
        0, 0, 0, 0, LE64(7), SPICE_IMAGE_ZLIB_GLZ_RGB, 0, LE32(2), LE32(2),
        LE32(900), LE32(4), 'z', 'z', 'z', 'z',
    };
    struct spice_display_base base = { 0, { 1, 2, 3, 4 }, { SPICE_CLIP_NONE, 0, NULL } };
    struct spice_image_desc desc = { 42, SPICE_IMAGE_ZLIB_GLZ_RGB, 0, 2, 1 };
    struct spice_draw_copy dc;
    struct spice_image img;
    struct floe_wbuf w;
    size_t at;

    assert_int_equal(spice_image_parse(plt, sizeof(plt), 4, &img), 0);
    assert_int_equal(img.flags, SPICE_BITMAP_PAL_CACHE_ME);
    assert_int_equal(img.data_len, 3);
    assert_ptr_equal(img.data, plt + 31);
    assert_int_equal(img.palette_id, 0xabc);
    assert_int_equal(img.palette_len, 2);
    assert_ptr_equal(img.palette, plt + 44);
    assert_int_equal(spice_image_parse(plt_cached, sizeof(plt_cached), 4, &img), 0);
    assert_int_equal(img.palette_id, 0xabc);
    assert_null(img.palette);
    assert_int_equal(img.data_len, 2);
    assert_int_equal(spice_image_parse(plt_bad, sizeof(plt_bad), 4, &img), -EBADMSG);
    assert_int_equal(spice_image_parse(jpeg_alpha, sizeof(jpeg_alpha), 4, &img), 0);
    assert_int_equal(img.flags, 1);
    assert_int_equal(img.aux, 3);
    assert_int_equal(img.data_len, 5);
    assert_int_equal(spice_image_parse(jpeg_alpha_bad, sizeof(jpeg_alpha_bad), 4, &img),
                     -EBADMSG);
    assert_int_equal(spice_image_parse(zlib_glz, sizeof(zlib_glz), 4, &img), 0);
    assert_int_equal(img.aux, 900);
    assert_int_equal(img.data_len, 4);

    /* what floe writes reads back the same, and `at` names the descriptor */
    floe_wbuf_init(&w, 0);
    at = spice_draw_copy_image_put(&w, 0, &base, NULL, &desc, 0, 1234,
                                   (const uint8_t *)"abcde", 5);
    assert_false(w.failed);
    assert_int_equal(spice_draw_copy_parse(w.data, w.len, &dc), 0);
    assert_int_equal(dc.image.desc.id, 42);
    assert_int_equal(dc.image.desc.type, SPICE_IMAGE_ZLIB_GLZ_RGB);
    assert_int_equal(dc.image.aux, 1234);
    assert_int_equal(dc.image.data_len, 5);
    assert_memory_equal(dc.image.data, "abcde", 5);
    assert_int_equal(floe_le64(w.data + at), 42);
    assert_int_equal(w.data[at + 8], SPICE_IMAGE_ZLIB_GLZ_RGB);
    floe_wbuf_free(&w);
}

/* ------------------------------------------------------------------------ */
/* golden bytes from the spec: cursor and inputs */


static void test_golden_cursor_alpha(void **state)
{
    static const uint8_t set[] = {
        LE16(100), LE16(-50), 1, /* position (i16, i16), visible */
    };
    struct spice_cursor_header h = { 7, SPICE_CURSOR_TYPE_ALPHA, 2, 1, 1, 0 };
    struct spice_point16 pos = { 100, -50 };
    struct spice_cursor c;
    struct floe_wbuf w;
    struct floe_rbuf r;

    floe_wbuf_init(&w, 0);
    spice_cursor_put(&w, 0, &h, golden_cursor_alpha + 19, 8);
    expect_wbuf(&w, golden_cursor_alpha, sizeof(golden_cursor_alpha));
    floe_wbuf_free(&w);

    floe_wbuf_init(&w, 0);
    spice_point16_put(&w, &pos);
    floe_put_u8(&w, 1);
    spice_cursor_put(&w, 0, &h, golden_cursor_alpha + 19, 8);
    assert_int_equal(w.len, sizeof(set) + sizeof(golden_cursor_alpha));
    assert_memory_equal(w.data, set, sizeof(set));
    floe_wbuf_free(&w);

    floe_rbuf_init(&r, golden_cursor_alpha, sizeof(golden_cursor_alpha));
    assert_int_equal(spice_cursor_get(&r, &c), 0);
    assert_int_equal(c.flags, 0);
    assert_true(c.header.unique == 7);
    assert_int_equal(c.header.type, SPICE_CURSOR_TYPE_ALPHA);
    assert_int_equal(c.header.width, 2);
    assert_int_equal(c.header.height, 1);
    assert_int_equal(c.header.hot_x, 1);
    assert_int_equal(c.header.hot_y, 0);
    assert_ptr_equal(c.data, golden_cursor_alpha + 19);
    assert_int_equal(c.data_len, 8);
    assert_int_equal(floe_rbuf_left(&r), 0);
}

static void test_golden_cursor_none(void **state)
{
    static const uint8_t g[] = { LE16(SPICE_CURSOR_FLAG_NONE) };
    struct spice_cursor_header h = { 7, SPICE_CURSOR_TYPE_ALPHA, 2, 1, 1, 0 };
    struct spice_cursor c;
    struct floe_wbuf w;
    struct floe_rbuf r;

    floe_wbuf_init(&w, 0);
    spice_cursor_put(&w, SPICE_CURSOR_FLAG_NONE, &h, golden_cursor_alpha + 19, 8);
    expect_wbuf(&w, g, sizeof(g));
    floe_wbuf_free(&w);
    floe_rbuf_init(&r, g, sizeof(g));
    assert_int_equal(spice_cursor_get(&r, &c), 0);
    assert_int_equal(c.flags, SPICE_CURSOR_FLAG_NONE);
    assert_null(c.data);
    assert_int_equal(c.data_len, 0);
}

/* The reference server sends a cached cursor as flags FROM_CACHE + the full
 * header (type ALPHA, real width/height) and no pixel data (spice-server
 * cursor_fill returns before adding data); spice-gtk looks it up by unique. */
static void test_cursor_from_cache_has_no_data(void **state)
{
    static const uint8_t g[] = {
        LE16(SPICE_CURSOR_FLAG_FROM_CACHE), LE64(7), SPICE_CURSOR_TYPE_ALPHA,
        LE16(32), LE16(32), LE16(0), LE16(0),
    };
    struct spice_cursor c;
    struct floe_rbuf r;

    floe_rbuf_init(&r, g, sizeof(g));
    assert_int_equal(spice_cursor_get(&r, &c), 0);
    assert_int_equal(c.flags, SPICE_CURSOR_FLAG_FROM_CACHE);
    assert_true(c.header.unique == 7);
    assert_int_equal(c.data_len, 0);
}

/* CURSOR INIT and SET written whole, then read back by the parsers */
static void test_golden_cursor_init_set(void **state)
{
    static const uint8_t init_head[] = {
        LE16(100), LE16(-50), LE16(0), LE16(0), 1, /* position, trail length, frequency, visible */
    };
    struct spice_cursor_msg m = {
        .position = { 100, -50 }, .visible = 1,
        .cursor = { 0, { 7, SPICE_CURSOR_TYPE_ALPHA, 2, 1, 1, 0 }, golden_cursor_alpha + 19, 8 },
    }, back;
    struct floe_wbuf w;

    floe_wbuf_init(&w, 0);
    spice_cursor_init_put(&w, &m);
    assert_int_equal(w.len, sizeof(init_head) + sizeof(golden_cursor_alpha));
    assert_memory_equal(w.data, init_head, sizeof(init_head));
    assert_memory_equal(w.data + sizeof(init_head), golden_cursor_alpha, sizeof(golden_cursor_alpha));
    assert_int_equal(spice_cursor_init_parse(w.data, w.len, &back), 0);
    assert_int_equal(back.position.x, 100);
    assert_int_equal(back.position.y, -50);
    assert_int_equal(back.visible, 1);
    assert_true(back.cursor.header.unique == 7);
    assert_int_equal(back.cursor.data_len, 8);
    floe_wbuf_free(&w);

    /* SET has no trail fields; a hidden cursor with no shape is flags NONE */
    m.visible = 0;
    m.cursor = (struct spice_cursor){ .flags = SPICE_CURSOR_FLAG_NONE };
    floe_wbuf_init(&w, 0);
    spice_cursor_set_put(&w, &m);
    static const uint8_t set_none[] = { LE16(100), LE16(-50), 0, LE16(SPICE_CURSOR_FLAG_NONE) };
    expect_wbuf(&w, set_none, sizeof(set_none));
    assert_int_equal(spice_cursor_set_parse(w.data, w.len, &back), 0);
    assert_int_equal(back.cursor.flags, SPICE_CURSOR_FLAG_NONE);
    floe_wbuf_free(&w);
}

/* INVAL_LIST: count u16, then {type u8, id u64} per resource */
static void test_golden_inval_list(void **state)
{
    static const uint8_t g[] = {
        LE16(2), SPICE_RES_TYPE_PIXMAP, LE64(0x1122334455667788ull),
        SPICE_RES_TYPE_PIXMAP, LE64(5),
    };
    const uint64_t ids[] = { 0x1122334455667788ull, 5 };
    const uint8_t *items;
    uint16_t count;
    uint8_t type;
    uint64_t id;
    struct floe_wbuf w;

    assert_int_equal(SPICE_RES_TYPE_PIXMAP, 1);
    floe_wbuf_init(&w, 0);
    spice_inval_list_put(&w, SPICE_RES_TYPE_PIXMAP, ids, 2);
    expect_wbuf(&w, g, sizeof(g));
    floe_wbuf_free(&w);
    assert_int_equal(spice_inval_list_parse(g, sizeof(g), &count, &items), 0);
    assert_int_equal(count, 2);
    spice_resource_at(items, 1, &type, &id);
    assert_int_equal(type, SPICE_RES_TYPE_PIXMAP);
    assert_true(id == 5);
    assert_int_equal(spice_inval_list_parse(g, sizeof(g) - 1, &count, &items), -EBADMSG);
}

/* small fixed messages: PREFERRED_COMPRESSION (u8), KEY_MODIFIERS (u16),
 * CURSOR INVAL_ONE (u64) and SURFACE_DESTROY (u32) */
static void test_golden_small_messages(void **state)
{
    static const uint8_t pc[] = { 7 }, km[] = { LE16(4) }, inval[] = { LE64(9) },
                         destroy[] = { LE32(0) };
    struct floe_wbuf w;
    struct floe_rbuf r;
    struct spice_key_modifiers k;

    floe_wbuf_init(&w, 0);
    spice_preferred_compression_put(&w, &(struct spice_preferred_compression){ 7 });
    expect_wbuf(&w, pc, sizeof(pc));
    floe_wbuf_free(&w);
    floe_wbuf_init(&w, 0);
    spice_key_modifiers_put(&w, &(struct spice_key_modifiers){ 4 });
    expect_wbuf(&w, km, sizeof(km));
    floe_wbuf_free(&w);
    floe_wbuf_init(&w, 0);
    spice_cursor_inval_one_put(&w, &(struct spice_cursor_inval_one){ 9 });
    expect_wbuf(&w, inval, sizeof(inval));
    floe_wbuf_free(&w);
    floe_wbuf_init(&w, 0);
    spice_surface_destroy_put(&w, &(struct spice_surface_destroy){ 0 });
    expect_wbuf(&w, destroy, sizeof(destroy));
    floe_wbuf_free(&w);
    floe_rbuf_init(&r, km, 1);   /* truncated */
    spice_key_modifiers_get(&r, &k);
    assert_true(r.bad);

    /* the link's result after the ticket, and the auth mechanism chosen */
    static const uint8_t denied[] = { LE32(SPICE_LINK_ERR_PERMISSION_DENIED) },
                         mech[] = { LE32(SPICE_AUTH_SPICE) };
    floe_wbuf_init(&w, 0);
    spice_link_result_put(&w, &(struct spice_link_result){ SPICE_LINK_ERR_PERMISSION_DENIED });
    expect_wbuf(&w, denied, sizeof(denied));
    floe_wbuf_free(&w);
    floe_wbuf_init(&w, 0);
    spice_auth_mechanism_put(&w, &(struct spice_auth_mechanism){ SPICE_AUTH_SPICE });
    expect_wbuf(&w, mech, sizeof(mech));
    floe_wbuf_free(&w);

    /* MAIN UUID: 16 bytes as they are; fewer is bad input */
    uint8_t uuid[SPICE_UUID_BYTES], back[SPICE_UUID_BYTES];
    for (int i = 0; i < SPICE_UUID_BYTES; i++)
        uuid[i] = (uint8_t)(0xa0 + i);
    floe_wbuf_init(&w, 0);
    spice_uuid_put(&w, uuid);
    expect_wbuf(&w, uuid, sizeof(uuid));
    floe_rbuf_init(&r, w.data, w.len);
    assert_int_equal(spice_uuid_get(&r, back), 0);
    assert_memory_equal(back, uuid, sizeof(uuid));
    floe_rbuf_init(&r, w.data, w.len - 1);
    assert_int_equal(spice_uuid_get(&r, back), -EBADMSG);
    floe_wbuf_free(&w);
}

static void test_golden_key_down(void **state)
{
    static const uint8_t enter[] = { LE16(SPICE_MSGC_INPUTS_KEY_DOWN), LE32(4), 0x1c, 0, 0, 0 };
    /* extended key: 0xE0 then the code, packed low byte first; release adds 0x80 */
    static const uint8_t up_arrow_up[] = { LE16(SPICE_MSGC_INPUTS_KEY_UP), LE32(4), 0xe0, 0xc8, 0, 0 };
    struct spice_key k = { 0x1c }, b;
    struct floe_wbuf w;
    struct floe_rbuf r;

    floe_wbuf_init(&w, 0);
    WRITE_MSG(&w, 1, SPICE_MSGC_INPUTS_KEY_DOWN, 0, spice_key_put(&w, &k));
    expect_wbuf(&w, enter, sizeof(enter));
    floe_wbuf_free(&w);
    k.code = 0xc8e0;
    floe_wbuf_init(&w, 0);
    WRITE_MSG(&w, 1, SPICE_MSGC_INPUTS_KEY_UP, 0, spice_key_put(&w, &k));
    expect_wbuf(&w, up_arrow_up, sizeof(up_arrow_up));
    floe_wbuf_free(&w);
    floe_rbuf_init(&r, up_arrow_up + 6, 4);
    spice_key_get(&r, &b);
    assert_int_equal(b.code, 0xc8e0);
}

static void test_golden_mouse_position(void **state)
{
    static const uint8_t g[] = {
        LE16(SPICE_MSGC_INPUTS_MOUSE_POSITION), LE32(11),
        LE32(640), LE32(480), LE16(SPICE_MOUSE_BUTTON_MASK_LEFT | SPICE_MOUSE_BUTTON_MASK_RIGHT), 0,
    };
    struct spice_mouse_position m = { 640, 480, 5, 0 }, b;
    struct floe_wbuf w;
    struct floe_rbuf r;

    assert_int_equal(SPICE_MSGC_INPUTS_MOUSE_POSITION, 112);
    floe_wbuf_init(&w, 0);
    WRITE_MSG(&w, 1, SPICE_MSGC_INPUTS_MOUSE_POSITION, 0, spice_mouse_position_put(&w, &m));
    expect_wbuf(&w, g, sizeof(g));
    floe_wbuf_free(&w);
    floe_rbuf_init(&r, g + 6, 11);
    spice_mouse_position_get(&r, &b);
    assert_false(r.bad);
    assert_int_equal(b.x, 640);
    assert_int_equal(b.y, 480);
    assert_int_equal(b.buttons, 5);
    assert_int_equal(b.display_id, 0);
}

static void test_golden_mouse_press(void **state)
{
    static const uint8_t g[] = {
        LE16(SPICE_MSGC_INPUTS_MOUSE_PRESS), LE32(3), SPICE_MOUSE_BUTTON_LEFT, LE16(1),
    };
    struct spice_mouse_button m = { SPICE_MOUSE_BUTTON_LEFT, SPICE_MOUSE_BUTTON_MASK_LEFT }, b;
    struct floe_wbuf w;
    struct floe_rbuf r;

    assert_int_equal(SPICE_MSGC_INPUTS_MOUSE_PRESS, 113);
    floe_wbuf_init(&w, 0);
    WRITE_MSG(&w, 1, SPICE_MSGC_INPUTS_MOUSE_PRESS, 0, spice_mouse_button_put(&w, &m));
    expect_wbuf(&w, g, sizeof(g));
    floe_wbuf_free(&w);
    floe_rbuf_init(&r, g + 6, 3);
    spice_mouse_button_get(&r, &b);
    assert_false(r.bad);
    assert_int_equal(b.button, 1);
    assert_int_equal(b.buttons, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rbuf_reads_little_endian),
        cmocka_unit_test(test_rbuf_past_end_sets_bad_and_yields_zeros),
        cmocka_unit_test(test_rbuf_u64_partial_yields_zero),
        cmocka_unit_test(test_rbuf_at),
        cmocka_unit_test(test_wbuf_writes_little_endian),
        cmocka_unit_test(test_wbuf_patch_and_steal),
        cmocka_unit_test(test_wbuf_patch_far_offset_ignored),
        cmocka_unit_test(test_wbuf_grows_keeping_bytes),
        cmocka_unit_test(test_wbuf_limit_sets_failed),
        cmocka_unit_test(test_fixed_sizes),
        cmocka_unit_test(test_caps_bits),
        cmocka_unit_test(test_golden_link_header),
        cmocka_unit_test(test_golden_link_mess_encode),
        cmocka_unit_test(test_golden_link_mess_decode),
        cmocka_unit_test(test_golden_link_mess_two_cap_words),
        cmocka_unit_test(test_golden_link_reply_ok),
        cmocka_unit_test(test_golden_link_reply_error),
        cmocka_unit_test(test_golden_data_header),
        cmocka_unit_test(test_golden_mini_header),
        cmocka_unit_test(test_golden_ping),
        cmocka_unit_test(test_golden_main_init),
        cmocka_unit_test(test_golden_channels_list),
        cmocka_unit_test(test_golden_mouse_mode),
        cmocka_unit_test(test_golden_display_init),
        cmocka_unit_test(test_golden_surface_create),
        cmocka_unit_test(test_golden_monitors_config),
        cmocka_unit_test(test_golden_draw_fill_clip_none),
        cmocka_unit_test(test_golden_draw_fill_clip_rects),
        cmocka_unit_test(test_draw_fill_other_brushes),
        cmocka_unit_test(test_golden_copy_bits),
        cmocka_unit_test(test_golden_draw_copy_bitmap_encode),
        cmocka_unit_test(test_golden_draw_copy_bitmap_decode),
        cmocka_unit_test(test_draw_copy_palette_bitmap),
        cmocka_unit_test(test_golden_draw_copy_with_clip_rects),
        cmocka_unit_test(test_image_other_kinds),
        cmocka_unit_test(test_golden_cursor_alpha),
        cmocka_unit_test(test_golden_cursor_none),
        cmocka_unit_test(test_cursor_from_cache_has_no_data),
        cmocka_unit_test(test_golden_cursor_init_set),
        cmocka_unit_test(test_golden_inval_list),
        cmocka_unit_test(test_golden_small_messages),
        cmocka_unit_test(test_golden_key_down),
        cmocka_unit_test(test_golden_mouse_position),
        cmocka_unit_test(test_golden_mouse_press),
        cmocka_unit_test(test_golden_image_extras),
    };

    return cmocka_run_group_tests_name("protocol-golden", tests, NULL, NULL);
}
