/* Unit tests of floe-agent's core over a socketpair: capabilities first,
 * chunks put together per port whatever the cuts, bad input refused with a
 * clear error while the core goes on, monitors configs parsed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>

#include "tests/unit/agent_rig.h"

/* the agent's caps, announced first with request=1, and answered (request=0)
 * when the client asks; the client's are recorded */
static void test_caps_first(void **state)
{
    struct rig *r = rig_new(NULL);
    struct spice_vd_agent_announce_capabilities m;
    struct floe_rbuf rb;
    uint8_t *b;
    unsigned words;

    rig_expect(r, VD_AGENT_ANNOUNCE_CAPABILITIES, &b, &rb);
    spice_vd_agent_announce_capabilities_get(&rb, &m);
    assert_int_equal(m.request, 1);
    assert_int_equal(floe_rbuf_left(&rb), 4);
    uint32_t caps = floe_get_u32(&rb);
    free(b);
    uint32_t want = 1u << VD_AGENT_CAP_MOUSE_STATE | 1u << VD_AGENT_CAP_MONITORS_CONFIG |
        1u << VD_AGENT_CAP_REPLY | 1u << VD_AGENT_CAP_CLIPBOARD_BY_DEMAND |
        1u << VD_AGENT_CAP_CLIPBOARD_SELECTION | 1u << VD_AGENT_CAP_SPARSE_MONITORS_CONFIG |
        1u << VD_AGENT_CAP_GUEST_LINEEND_LF | 1u << VD_AGENT_CAP_MAX_CLIPBOARD |
        1u << VD_AGENT_CAP_MONITORS_CONFIG_POSITION | 1u << VD_AGENT_CAP_FILE_XFER_DETAILED_ERRORS;
    assert_int_equal(caps, want);
    assert_null(floe_agent_peer_caps(r->a, &words));

    /* the client announces (asking for an answer), with two words */
    struct floe_wbuf w;
    floe_wbuf_init(&w, 0);
    spice_vd_agent_announce_capabilities_put(&w, &(struct spice_vd_agent_announce_capabilities){ 1 });
    floe_put_u32(&w, 1u << VD_AGENT_CAP_CLIPBOARD_BY_DEMAND);
    floe_put_u32(&w, 0x80000000u);
    rig_send_w(r, VD_AGENT_ANNOUNCE_CAPABILITIES, &w);
    rig_expect(r, VD_AGENT_ANNOUNCE_CAPABILITIES, &b, &rb);
    spice_vd_agent_announce_capabilities_get(&rb, &m);
    assert_int_equal(m.request, 0);
    assert_int_equal(floe_get_u32(&rb), want);
    free(b);
    const uint32_t *pc = floe_agent_peer_caps(r->a, &words);
    assert_non_null(pc);
    assert_int_equal(words, 2);
    assert_int_equal(pc[0], 1u << VD_AGENT_CAP_CLIPBOARD_BY_DEMAND);
    assert_int_equal(pc[1], 0x80000000u);
    rig_expect_nothing(r);
    assert_int_equal(floe_agent_errors(r->a), 0);
    rig_free(r);
}

static void monitors_body(struct floe_wbuf *w, uint32_t n, uint32_t flags, int with_mm)
{
    struct spice_vd_agent_monitors_config mc = { .num_of_monitors = n, .flags = flags };

    floe_wbuf_init(w, 0);
    spice_vd_agent_monitors_config_put(w, &mc);
    for (uint32_t i = 0; i < n; i++) {
        struct spice_vd_agent_mon_config c = { .height = 600 + i, .width = 800 + i, .depth = 32,
                                               .x = (int32_t)(800 * i), .y = -5 };
        spice_vd_agent_mon_config_put(w, &c);
    }
    for (uint32_t i = 0; with_mm && i < n; i++) {
        struct spice_vd_agent_monitor_mm mm = { .height = (uint16_t)(200 + i),
                                                .width = (uint16_t)(300 + i) };
        spice_vd_agent_monitor_mm_put(w, &mm);
    }
}

static uint32_t expect_reply(struct rig *r, uint32_t type)
{
    struct spice_vd_agent_reply m;
    struct floe_rbuf rb;
    uint8_t *b;

    rig_expect(r, VD_AGENT_REPLY, &b, &rb);
    spice_vd_agent_reply_get(&rb, &m);
    assert_false(rb.bad);
    free(b);
    assert_int_equal(m.type, type);
    return m.error;
}

/* A monitors config on port 1 cut in 7-byte chunks, a mouse state on port 2
 * cut in 3-byte chunks, interleaved, written a byte at a time: both arrive */
static void test_chunks_across_ports(void **state)
{
    struct rig *r = rig_new(NULL);
    struct floe_wbuf mon, mouse, a, b, all;
    struct spice_vd_agent_mouse_state ms = { .x = 640, .y = 480, .buttons = 2, .display_id = 0 };

    rig_client_caps(r, rig_full_caps, RIG_FULL_CAPS);
    monitors_body(&mon, 2, VD_AGENT_CONFIG_MONITORS_FLAG_PHYSICAL_SIZE, 1);
    floe_wbuf_init(&mouse, 0);
    spice_vd_agent_mouse_state_put(&mouse, &ms);
    floe_wbuf_init(&a, 0);
    floe_wbuf_init(&b, 0);
    rig_chunks(&a, VDP_CLIENT_PORT, VD_AGENT_MONITORS_CONFIG, mon.data, mon.len, 7);
    rig_chunks(&b, VDP_SERVER_PORT, VD_AGENT_MOUSE_STATE, mouse.data, mouse.len, 3);
    /* interleave whole chunks: 15 bytes (8 + 7) of a, 11 bytes (8 + 3) of b */
    floe_wbuf_init(&all, 0);
    size_t ia = 0, ib = 0;
    while (ia < a.len || ib < b.len) {
        size_t ka = a.len - ia < 15 ? a.len - ia : 15, kb = b.len - ib < 11 ? b.len - ib : 11;
        floe_put_bytes(&all, a.data + ia, ka);
        floe_put_bytes(&all, b.data + ib, kb);
        ia += ka;
        ib += kb;
    }
    rig_raw(r, all.data, all.len, 1);
    assert_int_equal(r->feed_rc, 0);
    assert_int_equal(r->mon_calls, 1);
    assert_int_equal(r->mon_n, 2);
    assert_int_equal(r->mon_flags, VD_AGENT_CONFIG_MONITORS_FLAG_PHYSICAL_SIZE);
    assert_int_equal(r->mons[1].width, 801);
    assert_int_equal(r->mons[1].height, 601);
    assert_int_equal(r->mons[1].x, 800);
    assert_int_equal(r->mons[1].y, -5);
    assert_int_equal(r->mons[0].mm_width, 300);
    assert_int_equal(r->mons[1].mm_height, 201);
    assert_int_equal(r->mouse_calls, 1);
    assert_int_equal(r->mouse_x, 640);
    assert_int_equal(r->mouse_buttons, 2);
    assert_int_equal(expect_reply(r, VD_AGENT_MONITORS_CONFIG), VD_AGENT_SUCCESS);
    assert_int_equal(floe_agent_errors(r->a), 0);
    floe_wbuf_free(&mon);
    floe_wbuf_free(&mouse);
    floe_wbuf_free(&a);
    floe_wbuf_free(&b);
    floe_wbuf_free(&all);
    rig_free(r);
}

/* without the flag there is no trailer; a flagged one cut short is refused;
 * the display refusing the layout gives REPLY ERROR */
static void test_monitors_refused(void **state)
{
    struct rig *r = rig_new(NULL);
    struct floe_wbuf w;

    rig_client_caps(r, rig_full_caps, RIG_FULL_CAPS);
    monitors_body(&w, 1, 0, 0);
    rig_send_w(r, VD_AGENT_MONITORS_CONFIG, &w);
    assert_int_equal(expect_reply(r, VD_AGENT_MONITORS_CONFIG), VD_AGENT_SUCCESS);
    assert_int_equal(r->mons[0].mm_width, 0);
    assert_int_equal(r->mons[0].width, 800);

    monitors_body(&w, 2, VD_AGENT_CONFIG_MONITORS_FLAG_PHYSICAL_SIZE, 0);
    rig_send_w(r, VD_AGENT_MONITORS_CONFIG, &w);
    assert_int_equal(expect_reply(r, VD_AGENT_MONITORS_CONFIG), VD_AGENT_ERROR);
    assert_non_null(strstr(r->log, "physical sizes are truncated"));

    monitors_body(&w, 3, 0, 0);
    w.len -= 4;   /* the last monitor cut */
    rig_send_w(r, VD_AGENT_MONITORS_CONFIG, &w);
    assert_int_equal(expect_reply(r, VD_AGENT_MONITORS_CONFIG), VD_AGENT_ERROR);
    assert_non_null(strstr(r->log, "monitors are truncated"));

    monitors_body(&w, FLOE_AGENT_MAX_MONITORS + 1, 0, 0);
    rig_send_w(r, VD_AGENT_MONITORS_CONFIG, &w);
    assert_int_equal(expect_reply(r, VD_AGENT_MONITORS_CONFIG), VD_AGENT_ERROR);
    assert_non_null(strstr(r->log, "too many monitors"));

    r->mon_rc = -EINVAL;
    monitors_body(&w, 1, 0, 0);
    rig_send_w(r, VD_AGENT_MONITORS_CONFIG, &w);
    assert_int_equal(expect_reply(r, VD_AGENT_MONITORS_CONFIG), VD_AGENT_ERROR);
    assert_non_null(strstr(r->log, "did not take"));
    assert_int_equal(r->mon_calls, 2);
    assert_int_equal(floe_agent_errors(r->a), 4);
    rig_free(r);
}

/* a message over the limit is dropped with its bytes, one of another
 * protocol and a truncated one too; the next message is taken */
static void test_bad_messages_skipped(void **state)
{
    struct rig *r = rig_new(NULL);
    uint8_t big[5000] = { 0 }, two[2] = { 1, 0 };
    struct floe_wbuf w;

    rig_client_caps(r, rig_full_caps, RIG_FULL_CAPS);
    floe_agent_set_limit(r->a, 4096);
    rig_send(r, VDP_CLIENT_PORT, VD_AGENT_CLIPBOARD, big, sizeof(big));
    assert_non_null(strstr(r->log, "of 5000 bytes is over the limit of 4096"));
    assert_int_equal(floe_agent_errors(r->a), 1);

    /* protocol 2 */
    floe_wbuf_init(&w, 0);
    struct spice_vd_agent_header h = { .protocol = 2, .type = VD_AGENT_MONITORS_CONFIG, .size = 2 };
    struct spice_vdi_chunk_header ch = { .port = 1, .size = SPICE_SIZE_vd_agent_header + 2 };
    spice_vdi_chunk_header_put(&w, &ch);
    spice_vd_agent_header_put(&w, &h);
    floe_put_bytes(&w, two, 2);
    rig_raw(r, w.data, w.len, 5);
    floe_wbuf_free(&w);
    assert_non_null(strstr(r->log, "protocol 2"));

    rig_send(r, VDP_CLIENT_PORT, VD_AGENT_CLIPBOARD_REQUEST, two, 2);
    assert_non_null(strstr(r->log, "truncated"));
    rig_send(r, VDP_CLIENT_PORT, VD_AGENT_MAX_CLIPBOARD, two, 2);
    rig_send(r, VDP_CLIENT_PORT, 99, two, 2);
    assert_non_null(strstr(r->log, "unknown message type 99"));
    assert_int_equal(floe_agent_errors(r->a), 5);
    rig_expect_nothing(r);

    /* and the core goes on */
    monitors_body(&w, 1, 0, 0);
    rig_send_w(r, VD_AGENT_MONITORS_CONFIG, &w);
    assert_int_equal(expect_reply(r, VD_AGENT_MONITORS_CONFIG), VD_AGENT_SUCCESS);
    assert_int_equal(r->feed_rc, 0);
    rig_free(r);
}

/* a chunk for no port or larger than 2048 bytes breaks the stream: the
 * owner reopens the port, and the core starts again */
static void test_broken_stream(void **state)
{
    static const struct spice_vdi_chunk_header bad[] = { { .port = 3, .size = 4 },
                                                         { .port = 1, .size = 2049 } };

    for (size_t i = 0; i < 2; i++) {
        struct rig *r = rig_new(NULL);
        struct floe_wbuf w;
        struct floe_rbuf rb;
        uint8_t *b;

        rig_client_caps(r, rig_full_caps, RIG_FULL_CAPS);
        floe_wbuf_init(&w, 0);
        spice_vdi_chunk_header_put(&w, &bad[i]);
        floe_put_zero(&w, 8);
        rig_raw(r, w.data, w.len, 0);
        floe_wbuf_free(&w);
        assert_int_equal(r->feed_rc, -EPROTO);
        assert_non_null(strstr(r->log, "stream is broken"));

        /* reopened: caps again, and messages are taken */
        r->feed_rc = 0;
        assert_int_equal(floe_agent_start(r->a), 0);
        rig_expect(r, VD_AGENT_ANNOUNCE_CAPABILITIES, &b, &rb);
        free(b);
        monitors_body(&w, 1, 0, 0);
        rig_send_w(r, VD_AGENT_MONITORS_CONFIG, &w);
        assert_int_equal(expect_reply(r, VD_AGENT_MONITORS_CONFIG), VD_AGENT_SUCCESS);
        assert_int_equal(r->feed_rc, 0);
        rig_free(r);
    }
}

/* the server's messages on port 2: CLIENT_DISCONNECTED drops the client's
 * grab (and fails a request out), GRAPHICS_DEVICE_INFO is checked */
static void test_server_port(void **state)
{
    struct rig *r = rig_new(NULL);
    struct floe_wbuf w;
    const uint8_t *p;
    size_t len;
    uint8_t *b;
    struct floe_rbuf rb;

    rig_client_caps(r, rig_full_caps, RIG_FULL_CAPS);
    floe_wbuf_init(&w, 0);
    spice_vd_agent_clipboard_selection_put(&w, &(struct spice_vd_agent_clipboard_selection){ 0 });
    floe_put_u32(&w, VD_AGENT_CLIPBOARD_UTF8_TEXT);
    rig_send_w(r, VD_AGENT_CLIPBOARD_GRAB, &w);
    assert_int_equal(floe_agent_clip_get(r->a, 0, VD_AGENT_CLIPBOARD_UTF8_TEXT, &p, &len), 0);
    rig_expect(r, VD_AGENT_CLIPBOARD_REQUEST, &b, &rb);
    free(b);
    rig_send(r, VDP_SERVER_PORT, VD_AGENT_CLIENT_DISCONNECTED, NULL, 0);
    assert_int_equal(r->clip_calls, 1);
    assert_null(r->clip_data);
    assert_int_equal(floe_agent_clip_get(r->a, 0, VD_AGENT_CLIPBOARD_UTF8_TEXT, &p, &len), -ENODATA);

    floe_wbuf_init(&w, 0);
    floe_put_u32(&w, 1);
    struct spice_vd_agent_device_display_info di = { .device_address_len = 10 };
    spice_vd_agent_device_display_info_put(&w, &di);
    floe_put_bytes(&w, "pci/0000/2", 10);
    rig_send(r, VDP_SERVER_PORT, VD_AGENT_GRAPHICS_DEVICE_INFO, w.data, w.len);
    assert_int_equal(floe_agent_errors(r->a), 0);
    rig_send(r, VDP_SERVER_PORT, VD_AGENT_GRAPHICS_DEVICE_INFO, w.data, w.len - 1);
    assert_non_null(strstr(r->log, "GRAPHICS_DEVICE_INFO is truncated"));
    floe_wbuf_free(&w);
    rig_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_caps_first),
        cmocka_unit_test(test_chunks_across_ports),
        cmocka_unit_test(test_monitors_refused),
        cmocka_unit_test(test_bad_messages_skipped),
        cmocka_unit_test(test_broken_stream),
        cmocka_unit_test(test_server_port),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
