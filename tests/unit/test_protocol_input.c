/* Unit tests for the SPICE wire layer (protocol/spice): golden bytes from a real
 * capture of the reference client and server, and malformed input. */
#include "tests/unit/protocol_helpers.h"
#include "tests/unit/protocol_golden.h"

/* ------------------------------------------------------------------------ */
/* golden bytes from the reference capture */

static void check_captured_link_mess(const uint8_t *cap, uint32_t conn, uint8_t type,
                                     uint32_t common, uint32_t channel)
{
    uint8_t *body = dup_exact(cap + 16, 26);
    struct spice_link_header h;
    struct spice_link_mess m;
    struct spice_caps caps;
    struct floe_wbuf w;
    struct floe_rbuf r;

    floe_rbuf_init(&r, cap, 16);
    spice_link_header_get(&r, &h);
    assert_int_equal(spice_link_header_check(&h), SPICE_LINK_ERR_OK);
    assert_int_equal(h.minor, 2);
    assert_int_equal(h.size, 26);
    assert_int_equal(spice_link_mess_parse(body, 26, &m, &caps), SPICE_LINK_ERR_OK);
    assert_int_equal(m.connection_id, conn);
    assert_int_equal(m.channel_type, type);
    assert_int_equal(m.channel_id, 0);
    assert_int_equal(m.num_common_caps, 1);
    assert_int_equal(m.num_channel_caps, 1);
    assert_int_equal(m.caps_offset, 18);
    assert_int_equal(caps.common[0], common);
    assert_int_equal(caps.channel[0], channel);
    assert_true(spice_caps_has(caps.common, SPICE_COMMON_CAP_MINI_HEADER));
    /* floe's client writes what spice-gtk writes, byte for byte */
    floe_wbuf_init(&w, 0);
    spice_link_mess_write(&w, &m, &caps);
    expect_wbuf(&w, cap, 42);
    floe_wbuf_free(&w);
    free(body);
}

static void test_capture_link_mess(void **state)
{
    check_captured_link_mess(cap_main_link_mess, 0, SPICE_CHANNEL_MAIN, 0x0d, 0x0f);
    check_captured_link_mess(cap_display_link_mess, 0x56d6eac1, SPICE_CHANNEL_DISPLAY,
                             0x0d, 0x3bf);
}

static void check_captured_link_reply(const uint8_t *cap, uint32_t channel)
{
    uint8_t *body = dup_exact(cap + 16, 186);
    struct spice_link_header h;
    struct spice_caps caps;
    const uint8_t *pk = NULL;
    struct floe_wbuf w;
    struct floe_rbuf r;

    floe_rbuf_init(&r, cap, 16);
    spice_link_header_get(&r, &h);
    assert_int_equal(spice_link_header_check(&h), SPICE_LINK_ERR_OK);
    assert_int_equal(h.size, 178 + 8);
    assert_int_equal(spice_link_reply_parse(body, 186, &pk, &caps), SPICE_LINK_ERR_OK);
    assert_ptr_equal(pk, body + 4);
    /* DER SubjectPublicKeyInfo of a 1024-bit RSA key, e = 65537 */
    assert_int_equal(pk[0], 0x30);
    assert_int_equal(pk[1], 0x81);
    assert_int_equal(pk[2], 0x9f);
    assert_memory_equal(pk + 157, ((const uint8_t[]){ 0x02, 0x03, 0x01, 0x00, 0x01 }), 5);
    assert_int_equal(caps.common[0], 0x0b);
    assert_int_equal(caps.channel[0], channel);
    assert_int_equal(caps.common[1], 0);
    /* floe's server writes what libspice-server writes */
    floe_wbuf_init(&w, 0);
    spice_link_reply_write(&w, SPICE_LINK_ERR_OK, pk, &caps);
    expect_wbuf(&w, cap, 202);
    floe_wbuf_free(&w);
    free(body);
}

static void test_capture_link_reply(void **state)
{
    check_captured_link_reply(cap_main_link_reply, 0x0f);
    check_captured_link_reply(cap_display_link_reply, 0x1052);
}

static void test_capture_main_messages(void **state)
{
    struct spice_channel_id ids[8];
    struct spice_msg_header h;
    struct spice_main_init init;
    struct spice_ping ping;
    struct floe_wbuf w;
    struct floe_rbuf r;

    assert_int_equal(spice_header_parse(cap_main_init, sizeof(cap_main_init), 1, &h), 6);
    assert_int_equal(h.type, SPICE_MSG_MAIN_INIT);
    assert_int_equal(h.size, 32);
    floe_rbuf_init(&r, cap_main_init + 6, h.size);
    spice_main_init_get(&r, &init);
    assert_false(r.bad);
    assert_int_equal(init.session_id, 0x56d6eac1); /* DISPLAY's connection_id */
    assert_int_equal(init.display_channels_hint, 1);
    assert_int_equal(init.supported_mouse_modes, SPICE_MOUSE_MODE_SERVER);
    assert_int_equal(init.current_mouse_mode, SPICE_MOUSE_MODE_SERVER);
    assert_int_equal(init.agent_connected, 0);
    assert_int_equal(init.agent_tokens, 10);
    assert_int_equal(init.ram_hint, 0x01000000);
    floe_wbuf_init(&w, 0);
    WRITE_MSG(&w, 1, SPICE_MSG_MAIN_INIT, 0, spice_main_init_put(&w, &init));
    expect_wbuf(&w, cap_main_init, sizeof(cap_main_init));
    floe_wbuf_free(&w);

    assert_int_equal(spice_header_parse(cap_main_ping, sizeof(cap_main_ping), 1, &h), 6);
    assert_int_equal(h.type, SPICE_MSG_PING);
    assert_int_equal(h.size, 12);
    floe_rbuf_init(&r, cap_main_ping + 6, h.size);
    spice_ping_get(&r, &ping);
    assert_false(r.bad);
    assert_int_equal(ping.id, 1);
    assert_true(ping.timestamp == 0x3f9347ccu);

    assert_int_equal(spice_header_parse(cap_channels_list, sizeof(cap_channels_list), 1, &h), 6);
    assert_int_equal(h.type, SPICE_MSG_MAIN_CHANNELS_LIST);
    floe_rbuf_init(&r, cap_channels_list + 6, h.size);
    assert_int_equal(spice_channels_list_get(&r, ids, 8), 3);
    assert_int_equal(ids[0].type, SPICE_CHANNEL_DISPLAY);
    assert_int_equal(ids[1].type, SPICE_CHANNEL_CURSOR);
    assert_int_equal(ids[2].type, SPICE_CHANNEL_INPUTS);
    floe_wbuf_init(&w, 0);
    WRITE_MSG(&w, 1, SPICE_MSG_MAIN_CHANNELS_LIST, 0, spice_channels_list_put(&w, ids, 3));
    expect_wbuf(&w, cap_channels_list, sizeof(cap_channels_list));
    floe_wbuf_free(&w);
}

static void test_capture_display_init(void **state)
{
    struct spice_display_init m;
    struct spice_msg_header h;
    struct floe_wbuf w;
    struct floe_rbuf r;

    assert_int_equal(spice_header_parse(cap_display_init, sizeof(cap_display_init), 1, &h), 6);
    assert_int_equal(h.type, SPICE_MSGC_DISPLAY_INIT);
    assert_int_equal(h.size, 14);
    floe_rbuf_init(&r, cap_display_init + 6, h.size);
    spice_display_init_get(&r, &m);
    assert_false(r.bad);
    assert_int_equal(m.pixmap_cache_id, 1);
    assert_true(m.pixmap_cache_size == 20971520);
    assert_int_equal(m.glz_dictionary_id, 1);
    assert_int_equal(m.glz_dictionary_window_size, 3145728);
    floe_wbuf_init(&w, 0);
    WRITE_MSG(&w, 1, SPICE_MSGC_DISPLAY_INIT, 0, spice_display_init_put(&w, &m));
    expect_wbuf(&w, cap_display_init, sizeof(cap_display_init));
    floe_wbuf_free(&w);
}

static void test_capture_display_first_messages(void **state)
{
    struct spice_surface_create sc;
    struct spice_monitor_head head;
    struct spice_set_ack ack;
    struct spice_msg_header h;
    struct floe_wbuf w;
    struct floe_rbuf r;

    assert_int_equal(spice_header_parse(cap_display_set_ack, 14, 1, &h), 6);
    assert_int_equal(h.type, SPICE_MSG_SET_ACK);
    assert_int_equal(h.size, 8);
    floe_rbuf_init(&r, cap_display_set_ack + 6, 8);
    spice_set_ack_get(&r, &ack);
    assert_int_equal(ack.generation, 1);
    assert_int_equal(ack.window, 20);
    floe_wbuf_init(&w, 0);
    WRITE_MSG(&w, 1, SPICE_MSG_SET_ACK, 0, spice_set_ack_put(&w, &ack));
    expect_wbuf(&w, cap_display_set_ack, sizeof(cap_display_set_ack));
    floe_wbuf_free(&w);

    assert_int_equal(spice_header_parse(cap_display_inval_all_palettes, 6, 1, &h), 6);
    assert_int_equal(h.type, SPICE_MSG_DISPLAY_INVAL_ALL_PALETTES);
    assert_int_equal(h.size, 0);
    assert_int_equal(spice_header_parse(cap_display_mark, 6, 1, &h), 6);
    assert_int_equal(h.type, SPICE_MSG_DISPLAY_MARK);
    assert_int_equal(h.size, 0);

    assert_int_equal(spice_header_parse(cap_surface_create, sizeof(cap_surface_create), 1, &h), 6);
    assert_int_equal(h.type, SPICE_MSG_DISPLAY_SURFACE_CREATE);
    assert_int_equal(h.size, 20);
    floe_rbuf_init(&r, cap_surface_create + 6, 20);
    spice_surface_create_get(&r, &sc);
    assert_false(r.bad);
    assert_int_equal(sc.surface_id, 0);
    assert_int_equal(sc.width, 720);
    assert_int_equal(sc.height, 400);
    assert_int_equal(sc.format, SPICE_SURFACE_FMT_32_xRGB);
    assert_int_equal(sc.flags, SPICE_SURFACE_FLAG_PRIMARY);
    floe_wbuf_init(&w, 0);
    WRITE_MSG(&w, 1, SPICE_MSG_DISPLAY_SURFACE_CREATE, 0, spice_surface_create_put(&w, &sc));
    expect_wbuf(&w, cap_surface_create, sizeof(cap_surface_create));
    floe_wbuf_free(&w);

    assert_int_equal(spice_header_parse(cap_monitors_config, sizeof(cap_monitors_config), 1, &h), 6);
    assert_int_equal(h.type, SPICE_MSG_DISPLAY_MONITORS_CONFIG);
    assert_int_equal(h.size, 4 + 28);
    assert_int_equal(floe_le16(cap_monitors_config + 6), 1); /* count */
    assert_int_equal(floe_le16(cap_monitors_config + 8), 1); /* max_allowed */
    floe_rbuf_init(&r, cap_monitors_config + 10, 28);
    spice_monitor_head_get(&r, &head);
    assert_false(r.bad);
    assert_int_equal(head.monitor_id, 0);
    assert_int_equal(head.surface_id, 0);
    assert_int_equal(head.width, 720);
    assert_int_equal(head.height, 400);
    assert_int_equal(head.x, 0);
    assert_int_equal(head.y, 0);
    floe_wbuf_init(&w, 0);
    WRITE_MSG(&w, 1, SPICE_MSG_DISPLAY_MONITORS_CONFIG, 0,
              spice_monitors_config_put(&w, &head, 1, 1));
    expect_wbuf(&w, cap_monitors_config, sizeof(cap_monitors_config));
    floe_wbuf_free(&w);
}

/* The captured DRAW_COPY: its real first 107 body bytes, then a synthetic LZ
 * payload (a counter) up to the real size. */
static uint8_t *capture_draw_copy_body(void)
{
    const size_t head = sizeof(cap_draw_copy_head) - 6;
    uint8_t *body = malloc(CAP_DRAW_COPY_BODY_SIZE);

    assert_non_null(body);
    memcpy(body, cap_draw_copy_head + 6, head);
    for (size_t i = head; i < CAP_DRAW_COPY_BODY_SIZE; i++)
        body[i] = (uint8_t)i;
    return body;
}

static void test_capture_draw_copy(void **state)
{
    uint8_t *body = capture_draw_copy_body();
    struct spice_msg_header h;
    struct spice_draw_copy m;

    assert_int_equal(spice_header_parse(cap_draw_copy_head, sizeof(cap_draw_copy_head), 1, &h), 6);
    assert_int_equal(h.type, SPICE_MSG_DISPLAY_DRAW_COPY);
    assert_int_equal(h.size, CAP_DRAW_COPY_BODY_SIZE);
    assert_int_equal(spice_draw_copy_parse(body, CAP_DRAW_COPY_BODY_SIZE, &m), 0);
    assert_int_equal(m.base.surface_id, 0);
    expect_rect(&m.base.box, 0, 0, 400, 720);
    assert_int_equal(m.base.clip.type, SPICE_CLIP_NONE);
    assert_int_equal(m.src_bitmap, 57);
    expect_rect(&m.src_area, 0, 0, 400, 720);
    assert_int_equal(m.rop, SPICE_ROPD_OP_PUT);
    assert_int_equal(m.scale_mode, SPICE_SCALE_INTERPOLATE);
    expect_mask_none(&m.mask);
    assert_true(m.image.desc.id == 0x0000000100000002ull);
    assert_int_equal(m.image.desc.type, SPICE_IMAGE_LZ_RGB);
    assert_int_equal(m.image.desc.type, 101);
    assert_int_equal(m.image.desc.flags, 0);
    assert_int_equal(m.image.desc.width, 720);
    assert_int_equal(m.image.desc.height, 400);
    assert_int_equal(m.image.data_len, CAP_DRAW_COPY_LZ_SIZE);
    assert_ptr_equal(m.image.data, body + 57 + 18 + 4);
    assert_int_equal(57 + 18 + 4 + CAP_DRAW_COPY_LZ_SIZE, CAP_DRAW_COPY_BODY_SIZE);
    /* the LZ header's big-endian magic "  ZL" starts the payload */
    assert_memory_equal(m.image.data, "  ZL", 4);

    /* one byte short anywhere in the payload is malformed */
    assert_int_equal(spice_draw_copy_parse(body, CAP_DRAW_COPY_BODY_SIZE - 1, &m), -EBADMSG);
    free(body);
}

/* ------------------------------------------------------------------------ */
/* malformed input: link */

static void test_bad_link_header(void **state)
{
    struct spice_link_header h = { SPICE_MAGIC, 2, 2, 26 };

    h.magic = 0x51444553; /* "REDS" */
    assert_int_equal(spice_link_header_check(&h), SPICE_LINK_ERR_INVALID_MAGIC);
    h.magic = 0x52454451; /* "REDQ" read big-endian */
    assert_int_equal(spice_link_header_check(&h), SPICE_LINK_ERR_INVALID_MAGIC);
    h.magic = SPICE_MAGIC;
    h.major = 1;
    assert_int_equal(spice_link_header_check(&h), SPICE_LINK_ERR_VERSION_MISMATCH);
    h.major = 3;
    assert_int_equal(spice_link_header_check(&h), SPICE_LINK_ERR_VERSION_MISMATCH);
    h.major = 2;
    h.minor = 1; /* the minor version is not checked */
    assert_int_equal(spice_link_header_check(&h), SPICE_LINK_ERR_OK);
    h.size = 4096;
    assert_int_equal(spice_link_header_check(&h), SPICE_LINK_ERR_OK);
    h.size = 4097;
    assert_int_equal(spice_link_header_check(&h), SPICE_LINK_ERR_INVALID_DATA);
    h.size = 0xffffffff;
    assert_int_equal(spice_link_header_check(&h), SPICE_LINK_ERR_INVALID_DATA);
    /* magic is checked first, then the version */
    h.magic = 0;
    h.major = 9;
    assert_int_equal(spice_link_header_check(&h), SPICE_LINK_ERR_INVALID_MAGIC);
}

static int parse_link_mess_copy(const uint8_t *p, size_t n)
{
    uint8_t *body = dup_exact(p, n);
    struct spice_link_mess m;
    struct spice_caps caps;
    int ret = spice_link_mess_parse(body, n, &m, &caps);

    free(body);
    return ret;
}

static void test_bad_link_mess(void **state)
{
    uint8_t b[26] = { LE32(0), 1, 0, LE32(1), LE32(1), LE32(18), LE32(0x0d), LE32(0x0f) };

    assert_int_equal(parse_link_mess_copy(b, 26), SPICE_LINK_ERR_OK);
    /* shorter than SpiceLinkMess, and every cut of the caps */
    for (size_t n = 0; n < 26; n++)
        assert_int_equal(parse_link_mess_copy(b, n), SPICE_LINK_ERR_INVALID_DATA);

    /* caps_offset past the end, or inside SpiceLinkMess */
    for (uint32_t off = 0; off < 18; off++) {
        memcpy(b + 14, (uint8_t[]){ LE32(off) }, 4);
        assert_int_equal(parse_link_mess_copy(b, 26), SPICE_LINK_ERR_INVALID_DATA);
    }
    memcpy(b + 14, (uint8_t[]){ LE32(19) }, 4);
    assert_int_equal(parse_link_mess_copy(b, 26), SPICE_LINK_ERR_INVALID_DATA);
    memcpy(b + 14, (uint8_t[]){ LE32(27) }, 4);
    assert_int_equal(parse_link_mess_copy(b, 26), SPICE_LINK_ERR_INVALID_DATA);
    memcpy(b + 14, (uint8_t[]){ LE32(0xfffffffc) }, 4);
    assert_int_equal(parse_link_mess_copy(b, 26), SPICE_LINK_ERR_INVALID_DATA);
    /* no caps at all, offset at the very end: fine */
    memcpy(b + 6, (uint8_t[]){ LE32(0), LE32(0), LE32(26) }, 12);
    assert_int_equal(parse_link_mess_copy(b, 26), SPICE_LINK_ERR_OK);
    memcpy(b + 14, (uint8_t[]){ LE32(18) }, 4);

    /* caps overflowing the body */
    memcpy(b + 6, (uint8_t[]){ LE32(2), LE32(1) }, 8);
    assert_int_equal(parse_link_mess_copy(b, 26), SPICE_LINK_ERR_INVALID_DATA);
    memcpy(b + 6, (uint8_t[]){ LE32(0), LE32(3) }, 8);
    assert_int_equal(parse_link_mess_copy(b, 26), SPICE_LINK_ERR_INVALID_DATA);
    /* more than 1024 cap words, and counts built to overflow a u32 sum */
    memcpy(b + 6, (uint8_t[]){ LE32(1025), LE32(0) }, 8);
    assert_int_equal(parse_link_mess_copy(b, 26), SPICE_LINK_ERR_INVALID_DATA);
    memcpy(b + 6, (uint8_t[]){ LE32(0), LE32(1025) }, 8);
    assert_int_equal(parse_link_mess_copy(b, 26), SPICE_LINK_ERR_INVALID_DATA);
    memcpy(b + 6, (uint8_t[]){ LE32(0xffffffff), LE32(1) }, 8);
    assert_int_equal(parse_link_mess_copy(b, 26), SPICE_LINK_ERR_INVALID_DATA);
    memcpy(b + 6, (uint8_t[]){ LE32(0x40000000), LE32(0x40000000) }, 8);
    assert_int_equal(parse_link_mess_copy(b, 26), SPICE_LINK_ERR_INVALID_DATA);
}

static void test_link_mess_many_caps(void **state)
{
    /* 1024 + 1024 words is the most allowed; only the first words are kept */
    const size_t n = 18 + 4 * 2048;
    uint8_t *b = calloc(1, n);
    struct spice_link_mess m;
    struct spice_caps caps;

    assert_non_null(b);
    memcpy(b, (uint8_t[]){ LE32(0), 2, 0, LE32(1024), LE32(1024), LE32(18) }, 18);
    for (size_t i = 0; i < 2048; i++)
        memcpy(b + 18 + 4 * i, (uint8_t[]){ LE32(i + 1) }, 4);
    assert_int_equal(spice_link_mess_parse(b, n, &m, &caps), SPICE_LINK_ERR_OK);
    assert_int_equal(caps.common[0], 1);
    assert_int_equal(caps.common[SPICE_CAPS_WORDS - 1], SPICE_CAPS_WORDS);
    assert_int_equal(caps.channel[0], 1025);
    assert_int_equal(spice_link_mess_parse(b, n - 1, &m, &caps), SPICE_LINK_ERR_INVALID_DATA);
    free(b);
}

static void test_bad_link_reply(void **state)
{
    uint8_t b[186] = { LE32(0) };
    const uint8_t *pk;
    struct spice_caps caps;
    uint8_t *cut;

    memcpy(b + 166, (uint8_t[]){ LE32(1), LE32(1), LE32(178), LE32(0x0b), LE32(0x0f) }, 20);
    assert_int_equal(spice_link_reply_parse(b, 186, &pk, &caps), SPICE_LINK_ERR_OK);
    for (size_t n = 0; n < 186; n++) {
        cut = dup_exact(b, n);
        assert_int_equal(spice_link_reply_parse(cut, n, &pk, &caps), SPICE_LINK_ERR_INVALID_DATA);
        free(cut);
    }
    memcpy(b + 174, (uint8_t[]){ LE32(177) }, 4);
    assert_int_equal(spice_link_reply_parse(b, 186, &pk, &caps), SPICE_LINK_ERR_INVALID_DATA);
    memcpy(b + 174, (uint8_t[]){ LE32(187) }, 4);
    assert_int_equal(spice_link_reply_parse(b, 186, &pk, &caps), SPICE_LINK_ERR_INVALID_DATA);
    memcpy(b + 174, (uint8_t[]){ LE32(178) }, 4);
    memcpy(b + 166, (uint8_t[]){ LE32(1025), LE32(0) }, 8);
    assert_int_equal(spice_link_reply_parse(b, 186, &pk, &caps), SPICE_LINK_ERR_INVALID_DATA);
    memcpy(b + 166, (uint8_t[]){ LE32(2), LE32(1) }, 8);
    assert_int_equal(spice_link_reply_parse(b, 186, &pk, &caps), SPICE_LINK_ERR_INVALID_DATA);
}

/* ------------------------------------------------------------------------ */
/* malformed input: draw commands */

typedef int (*body_parse_fn)(const uint8_t *body, size_t len);

static int parse_fill(const uint8_t *b, size_t n)
{
    struct spice_draw_fill m;

    return spice_draw_fill_parse(b, n, &m);
}

static int parse_copy(const uint8_t *b, size_t n)
{
    struct spice_draw_copy m;

    return spice_draw_copy_parse(b, n, &m);
}

static int parse_copy_bits(const uint8_t *b, size_t n)
{
    struct spice_copy_bits m;

    return spice_copy_bits_parse(b, n, &m);
}

static int parse_cursor(const uint8_t *b, size_t n)
{
    struct spice_cursor c;
    struct floe_rbuf r;

    floe_rbuf_init(&r, b, n);
    return spice_cursor_get(&r, &c);
}

/* The whole message parses; every strict prefix, in an exact-size heap copy,
 * is -EBADMSG without a read past its end. */
static void check_every_truncation(const uint8_t *msg, size_t len, body_parse_fn parse)
{
    uint8_t *cut;

    cut = dup_exact(msg, len);
    assert_int_equal(parse(cut, len), 0);
    free(cut);
    for (size_t n = 0; n < len; n++) {
        cut = dup_exact(msg, n);
        if (parse(cut, n) != -EBADMSG)
            fail_msg("a %zu-byte prefix of a %zu-byte message was accepted", n, len);
        free(cut);
    }
}

static void test_truncated_draw_fill(void **state)
{
    check_every_truncation(golden_fill_none, sizeof(golden_fill_none), parse_fill);
    check_every_truncation(golden_fill_rects, sizeof(golden_fill_rects), parse_fill);
}

static void test_truncated_draw_copy(void **state)
{
    check_every_truncation(golden_copy, sizeof(golden_copy), parse_copy);
}

static void test_truncated_copy_bits(void **state)
{
    static const uint8_t rects[] = {
        LE32(0), RECT(0, 0, 8, 8), SPICE_CLIP_RECTS, LE32(1), RECT(1, 2, 3, 4), LE32(5), LE32(6),
    };

    check_every_truncation(golden_copy_bits, sizeof(golden_copy_bits), parse_copy_bits);
    check_every_truncation(rects, sizeof(rects), parse_copy_bits);
}

static void test_truncated_cursor(void **state)
{
    check_every_truncation(golden_cursor_alpha, sizeof(golden_cursor_alpha), parse_cursor);
}

static void test_bad_clip(void **state)
{
    uint8_t b[sizeof(golden_fill_rects)];
    static const uint32_t huge[] = { 3, 0x10000000, 0x10000001, 0x80000000, 0xffffffff };

    for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
        memcpy(b, golden_fill_rects, sizeof(b));
        memcpy(b + 21, (uint8_t[]){ LE32(huge[i]) }, 4);
        assert_int_equal(parse_fill(b, sizeof(b)), -EBADMSG);
        assert_int_equal(parse_copy_bits(b, sizeof(b)), -EBADMSG);
    }
    memcpy(b, golden_fill_rects, sizeof(b));
    b[20] = 2; /* no such clip type */
    assert_int_equal(parse_fill(b, sizeof(b)), -EBADMSG);
    b[20] = 0xff;
    assert_int_equal(parse_copy_bits(b, sizeof(b)), -EBADMSG);
}

static void copy_with_u32(uint8_t *b, size_t at, uint32_t v)
{
    memcpy(b, golden_copy, sizeof(golden_copy));
    memcpy(b + at, (uint8_t[]){ LE32(v) }, 4);
}

static void test_bad_image_pointer(void **state)
{
    static const uint32_t bad[] = { 0, sizeof(golden_copy), sizeof(golden_copy) + 1,
                                    sizeof(golden_copy) - 17, 0x80000000, 0xffffffff };
    uint8_t b[sizeof(golden_copy)];
    struct spice_image img;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        copy_with_u32(b, 21, bad[i]);
        assert_int_equal(parse_copy(b, sizeof(b)), -EBADMSG);
    }
    assert_int_equal(spice_image_parse(golden_copy, sizeof(golden_copy), 0, &img), -EBADMSG);
    assert_int_equal(spice_image_parse(golden_copy, 10, 57, &img), -EBADMSG);
    assert_int_equal(spice_image_parse(golden_copy, sizeof(golden_copy), 57, &img), 0);
}

static void test_bad_bitmap(void **state)
{
    uint8_t b[sizeof(golden_copy)];

    /* stride * height past the body: a little, a lot, and past 2^32 */
    copy_with_u32(b, 85, 13);
    assert_int_equal(parse_copy(b, sizeof(b)), -EBADMSG);
    copy_with_u32(b, 85, 0x80000000);
    assert_int_equal(parse_copy(b, sizeof(b)), -EBADMSG);
    copy_with_u32(b, 85, 0xffffffff);
    assert_int_equal(parse_copy(b, sizeof(b)), -EBADMSG);
    /* stride < width * 4 */
    copy_with_u32(b, 85, 11);
    assert_int_equal(parse_copy(b, sizeof(b)), -EBADMSG);
    copy_with_u32(b, 85, 0);
    assert_int_equal(parse_copy(b, sizeof(b)), -EBADMSG);
    /* height 0x80000000 (descriptor and bitmap agree) with width 3 */
    copy_with_u32(b, 71, 0x80000000);
    memcpy(b + 81, (uint8_t[]){ LE32(0x80000000) }, 4);
    assert_int_equal(parse_copy(b, sizeof(b)), -EBADMSG);
    /* width * 4 wrapping in 32 bits: 0x40000001 * 4 = 4, and 4 * 1 row fits */
    copy_with_u32(b, 67, 0x40000001);
    memcpy(b + 71, (uint8_t[]){ LE32(1) }, 4);
    memcpy(b + 77, (uint8_t[]){ LE32(0x40000001), LE32(1), LE32(4) }, 12);
    assert_int_equal(parse_copy(b, sizeof(b)), -EBADMSG);
    /* the bitmap's size disagreeing with the descriptor */
    copy_with_u32(b, 77, 2);
    assert_int_equal(parse_copy(b, sizeof(b)), -EBADMSG);
    copy_with_u32(b, 81, 1);
    assert_int_equal(parse_copy(b, sizeof(b)), -EBADMSG);
    /* 24-bit rows need width * 3 */
    copy_with_u32(b, 85, 8);
    b[75] = SPICE_BITMAP_24BIT;
    assert_int_equal(parse_copy(b, sizeof(b)), -EBADMSG);
    copy_with_u32(b, 85, 9);
    b[75] = SPICE_BITMAP_24BIT;
    assert_int_equal(parse_copy(b, sizeof(b)), 0);
}

static void test_bad_compressed_image(void **state)
{
    uint8_t b[] = {
        0, 0, 0, 0, LE64(9), SPICE_IMAGE_QUIC, 0, LE32(4), LE32(4), LE32(5), 1, 2, 3, 4, 5,
    };
    struct spice_image img;
    uint8_t *cut;

    for (size_t n = 0; n < sizeof(b); n++) {
        cut = dup_exact(b, n);
        assert_int_equal(spice_image_parse(cut, n, 4, &img), -EBADMSG);
        free(cut);
    }
    memcpy(b + 22, (uint8_t[]){ LE32(6) }, 4);
    assert_int_equal(spice_image_parse(b, sizeof(b), 4, &img), -EBADMSG);
    memcpy(b + 22, (uint8_t[]){ LE32(0xffffffff) }, 4);
    assert_int_equal(spice_image_parse(b, sizeof(b), 4, &img), -EBADMSG);
}

static void test_bad_cursor(void **state)
{
    uint8_t b[sizeof(golden_cursor_alpha)];

    /* ALPHA needs w * h * 4 bytes: 2x2 with the data of 2x1 */
    memcpy(b, golden_cursor_alpha, sizeof(b));
    memcpy(b + 13, (uint8_t[]){ LE16(2) }, 2);
    assert_int_equal(parse_cursor(b, sizeof(b)), -EBADMSG);
    memcpy(b + 11, (uint8_t[]){ LE16(0xffff), LE16(0xffff) }, 4);
    assert_int_equal(parse_cursor(b, sizeof(b)), -EBADMSG);
    /* an empty ALPHA cursor is fine */
    memcpy(b + 11, (uint8_t[]){ LE16(0), LE16(0) }, 4);
    assert_int_equal(parse_cursor(b, 19), 0);
    /* NONE needs its flags, nothing else */
    assert_int_equal(parse_cursor((const uint8_t[]){ 1 }, 1), -EBADMSG);
}

static void test_bad_channels_list(void **state)
{
    static const uint8_t b[] = { LE32(3), 2, 0, 4, 0, 3 };
    static const uint8_t huge[] = { LE32(0x80000000), 2, 0 };
    struct spice_channel_id ids[4];
    struct floe_rbuf r;
    uint8_t *cut;

    for (size_t n = 0; n <= sizeof(b); n++) {
        cut = dup_exact(b, n);
        floe_rbuf_init(&r, cut, n);
        assert_int_equal(spice_channels_list_get(&r, ids, 4), -1);
        free(cut);
    }
    floe_rbuf_init(&r, huge, sizeof(huge));
    assert_int_equal(spice_channels_list_get(&r, ids, 4), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capture_link_mess),
        cmocka_unit_test(test_capture_link_reply),
        cmocka_unit_test(test_capture_main_messages),
        cmocka_unit_test(test_capture_display_init),
        cmocka_unit_test(test_capture_display_first_messages),
        cmocka_unit_test(test_capture_draw_copy),
        cmocka_unit_test(test_bad_link_header),
        cmocka_unit_test(test_bad_link_mess),
        cmocka_unit_test(test_link_mess_many_caps),
        cmocka_unit_test(test_bad_link_reply),
        cmocka_unit_test(test_truncated_draw_fill),
        cmocka_unit_test(test_truncated_draw_copy),
        cmocka_unit_test(test_truncated_copy_bits),
        cmocka_unit_test(test_truncated_cursor),
        cmocka_unit_test(test_bad_clip),
        cmocka_unit_test(test_bad_image_pointer),
        cmocka_unit_test(test_bad_bitmap),
        cmocka_unit_test(test_bad_compressed_image),
        cmocka_unit_test(test_bad_cursor),
        cmocka_unit_test(test_bad_channels_list),
    };

    return cmocka_run_group_tests_name("protocol-input", tests, NULL, NULL);
}
