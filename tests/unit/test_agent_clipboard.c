/* Unit tests of floe-agent's clipboard over a socketpair: the guest's copy
 * reaches the client and the client's the guest, larger than one chunk,
 * with and without selections; the client's MAX_CLIPBOARD is kept. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>

#include "tests/unit/agent_rig.h"

#define BIG 5000   /* more than a chunk (2048) */

static void fill(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)('a' + i * 7 % 26);
}

/* the selection the message leads with, when both sides have them */
static unsigned take_selection(struct floe_rbuf *rb)
{
    struct spice_vd_agent_clipboard_selection s;

    spice_vd_agent_clipboard_selection_get(rb, &s);
    assert_false(rb->bad);
    return s.selection;
}

static void client_clip_msg(struct rig *r, uint32_t type, int sel, uint32_t word,
                            const uint8_t *data, size_t len)
{
    struct floe_wbuf w;

    floe_wbuf_init(&w, 0);
    if (sel >= 0)
        spice_vd_agent_clipboard_selection_put(
            &w, &(struct spice_vd_agent_clipboard_selection){ .selection = (uint8_t)sel });
    if (type != VD_AGENT_CLIPBOARD_RELEASE)
        floe_put_u32(&w, word);
    floe_put_bytes(&w, data, len);
    rig_send_w(r, type, &w);
}

/* guest -> client: GRAB with the selection, then the data on REQUEST,
 * whole in one chunk */
static void test_guest_to_client(void **state)
{
    struct rig *r = rig_new(NULL);
    uint8_t data[BIG], *b;
    struct floe_rbuf rb;

    fill(data, sizeof(data));
    rig_client_caps(r, rig_full_caps, RIG_FULL_CAPS);
    for (unsigned sel = 0; sel < 2; sel++) {
        assert_int_equal(floe_agent_clip_set(r->a, sel, VD_AGENT_CLIPBOARD_UTF8_TEXT, data,
                                             sizeof(data) - sel), 0);
        rig_expect(r, VD_AGENT_CLIPBOARD_GRAB, &b, &rb);
        assert_int_equal(take_selection(&rb), sel);
        assert_int_equal(floe_get_u32(&rb), VD_AGENT_CLIPBOARD_UTF8_TEXT);
        assert_int_equal(floe_rbuf_left(&rb), 0);
        free(b);
        client_clip_msg(r, VD_AGENT_CLIPBOARD_REQUEST, (int)sel, VD_AGENT_CLIPBOARD_UTF8_TEXT, NULL, 0);
        rig_expect(r, VD_AGENT_CLIPBOARD, &b, &rb);
        assert_int_equal(take_selection(&rb), sel);
        assert_int_equal(floe_get_u32(&rb), VD_AGENT_CLIPBOARD_UTF8_TEXT);
        assert_int_equal(floe_rbuf_left(&rb), sizeof(data) - sel);
        assert_memory_equal(rb.p + rb.pos, data, sizeof(data) - sel);
        free(b);
    }
    /* the guest reads its own copy back */
    const uint8_t *p;
    size_t len;
    assert_int_equal(floe_agent_clip_get(r->a, 0, VD_AGENT_CLIPBOARD_UTF8_TEXT, &p, &len), 1);
    assert_int_equal(len, sizeof(data));
    /* a type it does not hold gets an empty answer, so the client never waits */
    client_clip_msg(r, VD_AGENT_CLIPBOARD_REQUEST, 0, VD_AGENT_CLIPBOARD_IMAGE_PNG, NULL, 0);
    rig_expect(r, VD_AGENT_CLIPBOARD, &b, &rb);
    take_selection(&rb);
    assert_int_equal(floe_get_u32(&rb), VD_AGENT_CLIPBOARD_NONE);
    assert_int_equal(floe_rbuf_left(&rb), 0);
    free(b);
    rig_free(r);
}

/* client -> guest: GRAB, the guest pastes (REQUEST), the data comes in
 * 2048-byte chunks and reaches clip_fn byte for byte */
static void test_client_to_guest(void **state)
{
    struct rig *r = rig_new(NULL);
    uint8_t data[BIG], *b;
    struct floe_rbuf rb;
    const uint8_t *p;
    size_t len;

    fill(data, sizeof(data));
    rig_client_caps(r, rig_full_caps, RIG_FULL_CAPS);
    assert_int_equal(floe_agent_clip_get(r->a, 1, VD_AGENT_CLIPBOARD_UTF8_TEXT, &p, &len), -ENODATA);
    client_clip_msg(r, VD_AGENT_CLIPBOARD_GRAB, 1, VD_AGENT_CLIPBOARD_IMAGE_PNG, NULL, 0);
    assert_int_equal(floe_agent_clip_get(r->a, 1, VD_AGENT_CLIPBOARD_UTF8_TEXT, &p, &len), -ENODATA);
    assert_int_equal(floe_agent_clip_get(r->a, 1, VD_AGENT_CLIPBOARD_IMAGE_PNG, &p, &len), 0);
    rig_expect(r, VD_AGENT_CLIPBOARD_REQUEST, &b, &rb);
    assert_int_equal(take_selection(&rb), 1);
    assert_int_equal(floe_get_u32(&rb), VD_AGENT_CLIPBOARD_IMAGE_PNG);
    free(b);
    client_clip_msg(r, VD_AGENT_CLIPBOARD, 1, VD_AGENT_CLIPBOARD_IMAGE_PNG, data, sizeof(data));
    assert_int_equal(r->clip_calls, 1);
    assert_int_equal(r->clip_sel, 1);
    assert_int_equal(r->clip_type, VD_AGENT_CLIPBOARD_IMAGE_PNG);
    assert_non_null(r->clip_data);
    assert_int_equal(r->clip_len, sizeof(data));
    assert_memory_equal(r->clip_data, data, sizeof(data));

    /* data nobody asked for is dropped; a RELEASE ends the client's hold */
    client_clip_msg(r, VD_AGENT_CLIPBOARD, 1, VD_AGENT_CLIPBOARD_IMAGE_PNG, data, 10);
    assert_int_equal(r->clip_calls, 1);
    assert_non_null(strstr(r->log, "nobody asked for"));
    client_clip_msg(r, VD_AGENT_CLIPBOARD_RELEASE, 1, 0, NULL, 0);
    assert_int_equal(floe_agent_clip_get(r->a, 1, VD_AGENT_CLIPBOARD_IMAGE_PNG, &p, &len), -ENODATA);
    rig_expect_nothing(r);
    rig_free(r);
}

/* a client without CLIPBOARD_SELECTION: no selection in the messages, and
 * PRIMARY cannot be offered; without CLIPBOARD_BY_DEMAND nothing can */
static void test_without_selections(void **state)
{
    static const unsigned caps[] = { VD_AGENT_CAP_CLIPBOARD_BY_DEMAND };
    struct rig *r = rig_new(NULL);
    uint8_t *b;
    struct floe_rbuf rb;

    assert_int_equal(floe_agent_clip_set(r->a, 0, VD_AGENT_CLIPBOARD_UTF8_TEXT,
                                         (const uint8_t *)"x", 1), -ENOTCONN);
    rig_client_caps(r, caps, 1);
    assert_int_equal(floe_agent_clip_set(r->a, 1, VD_AGENT_CLIPBOARD_UTF8_TEXT,
                                         (const uint8_t *)"x", 1), -ENOTCONN);
    assert_int_equal(floe_agent_clip_set(r->a, 0, VD_AGENT_CLIPBOARD_UTF8_TEXT,
                                         (const uint8_t *)"hello", 5), 0);
    rig_expect(r, VD_AGENT_CLIPBOARD_GRAB, &b, &rb);
    assert_int_equal(floe_rbuf_left(&rb), 4);
    assert_int_equal(floe_get_u32(&rb), VD_AGENT_CLIPBOARD_UTF8_TEXT);
    free(b);
    client_clip_msg(r, VD_AGENT_CLIPBOARD_REQUEST, -1, VD_AGENT_CLIPBOARD_UTF8_TEXT, NULL, 0);
    rig_expect(r, VD_AGENT_CLIPBOARD, &b, &rb);
    assert_int_equal(floe_get_u32(&rb), VD_AGENT_CLIPBOARD_UTF8_TEXT);
    assert_int_equal(floe_rbuf_left(&rb), 5);
    assert_memory_equal(rb.p + rb.pos, "hello", 5);
    free(b);
    assert_int_equal(floe_agent_clip_set(r->a, 0, 77, (const uint8_t *)"x", 1), -EINVAL);
    rig_free(r);
}

/* MAX_CLIPBOARD: a copy over it is refused; lowered after the grab, the
 * request gets an empty answer and a clear error */
static void test_max_clipboard(void **state)
{
    struct rig *r = rig_new(NULL);
    uint8_t data[3000], *b;
    struct floe_rbuf rb;
    struct floe_wbuf w;

    fill(data, sizeof(data));
    rig_client_caps(r, rig_full_caps, RIG_FULL_CAPS);
    floe_wbuf_init(&w, 0);
    spice_vd_agent_max_clipboard_put(&w, &(struct spice_vd_agent_max_clipboard){ 2500 });
    rig_send_w(r, VD_AGENT_MAX_CLIPBOARD, &w);
    assert_int_equal(floe_agent_max_clipboard(r->a), 2500);
    assert_int_equal(floe_agent_clip_set(r->a, 0, VD_AGENT_CLIPBOARD_UTF8_TEXT, data, 2501), -EFBIG);
    rig_expect_nothing(r);
    assert_int_equal(floe_agent_clip_set(r->a, 0, VD_AGENT_CLIPBOARD_UTF8_TEXT, data, 2500), 0);
    rig_expect(r, VD_AGENT_CLIPBOARD_GRAB, &b, &rb);
    free(b);
    floe_wbuf_init(&w, 0);
    spice_vd_agent_max_clipboard_put(&w, &(struct spice_vd_agent_max_clipboard){ 100 });
    rig_send_w(r, VD_AGENT_MAX_CLIPBOARD, &w);
    client_clip_msg(r, VD_AGENT_CLIPBOARD_REQUEST, 0, VD_AGENT_CLIPBOARD_UTF8_TEXT, NULL, 0);
    rig_expect(r, VD_AGENT_CLIPBOARD, &b, &rb);
    take_selection(&rb);
    assert_int_equal(floe_get_u32(&rb), VD_AGENT_CLIPBOARD_NONE);
    free(b);
    assert_non_null(strstr(r->log, "over the client's limit of 100"));
    /* -1: no limit */
    floe_wbuf_init(&w, 0);
    spice_vd_agent_max_clipboard_put(&w, &(struct spice_vd_agent_max_clipboard){ -1 });
    rig_send_w(r, VD_AGENT_MAX_CLIPBOARD, &w);
    assert_int_equal(floe_agent_clip_set(r->a, 0, VD_AGENT_CLIPBOARD_UTF8_TEXT, data, sizeof(data)), 0);
    rig_expect(r, VD_AGENT_CLIPBOARD_GRAB, &b, &rb);
    free(b);
    rig_free(r);
}

/* a client that comes after another left learns what the guest holds */
static void test_regrab_for_new_client(void **state)
{
    struct rig *r = rig_new(NULL);
    struct floe_wbuf w;
    uint8_t *b;
    struct floe_rbuf rb;

    rig_client_caps(r, rig_full_caps, RIG_FULL_CAPS);
    assert_int_equal(floe_agent_clip_set(r->a, 0, VD_AGENT_CLIPBOARD_UTF8_TEXT,
                                         (const uint8_t *)"kept", 4), 0);
    rig_expect(r, VD_AGENT_CLIPBOARD_GRAB, &b, &rb);
    free(b);
    rig_send(r, VDP_SERVER_PORT, VD_AGENT_CLIENT_DISCONNECTED, NULL, 0);
    rig_expect_nothing(r);
    floe_wbuf_init(&w, 0);
    spice_vd_agent_announce_capabilities_put(&w, &(struct spice_vd_agent_announce_capabilities){ 1 });
    floe_put_u32(&w, 1u << VD_AGENT_CAP_CLIPBOARD_BY_DEMAND | 1u << VD_AGENT_CAP_CLIPBOARD_SELECTION);
    rig_send_w(r, VD_AGENT_ANNOUNCE_CAPABILITIES, &w);
    rig_expect(r, VD_AGENT_ANNOUNCE_CAPABILITIES, &b, &rb);
    free(b);
    rig_expect(r, VD_AGENT_CLIPBOARD_GRAB, &b, &rb);
    assert_int_equal(take_selection(&rb), 0);
    assert_int_equal(floe_get_u32(&rb), VD_AGENT_CLIPBOARD_UTF8_TEXT);
    free(b);
    rig_free(r);
}

/* an owner that keeps the data (X11): the offer's types in the GRAB, the
 * client's REQUEST handed to clip_request_fn and answered later, the
 * limit kept, a RELEASE when the owner lets go; the client's grabs and
 * releases reach clip_grab_fn */
static void test_offer_on_demand(void **state)
{
    static const uint32_t types[] = { VD_AGENT_CLIPBOARD_UTF8_TEXT, 77,
                                      VD_AGENT_CLIPBOARD_IMAGE_PNG };
    struct rig *r = rig_new(NULL);
    uint8_t data[BIG], *b;
    struct floe_rbuf rb;
    struct floe_wbuf w;
    const uint8_t *p;
    size_t len;

    fill(data, sizeof(data));
    assert_int_equal(floe_agent_clip_offer(r->a, 1, types, 3), 0);   /* kept: no client yet */
    assert_int_equal(floe_agent_clip_offer(r->a, 0, types + 1, 1), -EINVAL);
    rig_client_caps(r, rig_full_caps, RIG_FULL_CAPS);
    rig_expect(r, VD_AGENT_CLIPBOARD_GRAB, &b, &rb);
    assert_int_equal(take_selection(&rb), 1);
    assert_int_equal(floe_rbuf_left(&rb), 8);
    assert_int_equal(floe_get_u32(&rb), VD_AGENT_CLIPBOARD_UTF8_TEXT);
    assert_int_equal(floe_get_u32(&rb), VD_AGENT_CLIPBOARD_IMAGE_PNG);
    free(b);
    assert_int_equal(floe_agent_clip_get(r->a, 1, VD_AGENT_CLIPBOARD_UTF8_TEXT, &p, &len), -ENODATA);
    client_clip_msg(r, VD_AGENT_CLIPBOARD_REQUEST, 1, VD_AGENT_CLIPBOARD_IMAGE_PNG, NULL, 0);
    assert_int_equal(r->req_calls, 1);
    assert_int_equal(r->req_sel, 1);
    assert_int_equal(r->req_type, VD_AGENT_CLIPBOARD_IMAGE_PNG);
    rig_expect_nothing(r);
    assert_int_equal(floe_agent_clip_reply(r->a, 1, VD_AGENT_CLIPBOARD_IMAGE_PNG, data, BIG), 0);
    rig_expect(r, VD_AGENT_CLIPBOARD, &b, &rb);
    assert_int_equal(take_selection(&rb), 1);
    assert_int_equal(floe_get_u32(&rb), VD_AGENT_CLIPBOARD_IMAGE_PNG);
    assert_int_equal(floe_rbuf_left(&rb), BIG);
    assert_memory_equal(rb.p + rb.pos, data, BIG);
    free(b);
    /* over the client's limit: an empty answer */
    floe_wbuf_init(&w, 0);
    spice_vd_agent_max_clipboard_put(&w, &(struct spice_vd_agent_max_clipboard){ 100 });
    rig_send_w(r, VD_AGENT_MAX_CLIPBOARD, &w);
    assert_int_equal(floe_agent_clip_reply(r->a, 1, VD_AGENT_CLIPBOARD_UTF8_TEXT, data, 101), -EFBIG);
    rig_expect(r, VD_AGENT_CLIPBOARD, &b, &rb);
    take_selection(&rb);
    assert_int_equal(floe_get_u32(&rb), VD_AGENT_CLIPBOARD_NONE);
    free(b);
    /* a type not offered is answered by the core, empty */
    client_clip_msg(r, VD_AGENT_CLIPBOARD_REQUEST, 1, VD_AGENT_CLIPBOARD_IMAGE_JPG, NULL, 0);
    assert_int_equal(r->req_calls, 1);
    rig_expect(r, VD_AGENT_CLIPBOARD, &b, &rb);
    free(b);
    assert_int_equal(floe_agent_clip_release(r->a, 1), 0);
    rig_expect(r, VD_AGENT_CLIPBOARD_RELEASE, &b, &rb);
    assert_int_equal(take_selection(&rb), 1);
    free(b);
    assert_int_equal(floe_agent_clip_release(r->a, 1), 0);   /* nothing held: nothing sent */
    rig_expect_nothing(r);
    /* the client's hold, as its owner sees it */
    client_clip_msg(r, VD_AGENT_CLIPBOARD_GRAB, 0, VD_AGENT_CLIPBOARD_UTF8_TEXT, NULL, 0);
    assert_int_equal(r->grab_calls, 1);
    assert_int_equal(r->grab_sel, 0);
    assert_int_equal(r->grab_n, 1);
    assert_int_equal(r->grab_types[0], VD_AGENT_CLIPBOARD_UTF8_TEXT);
    client_clip_msg(r, VD_AGENT_CLIPBOARD_RELEASE, 0, 0, NULL, 0);
    assert_int_equal(r->grab_calls, 2);
    assert_int_equal(r->grab_n, 0);
    client_clip_msg(r, VD_AGENT_CLIPBOARD_GRAB, 0, VD_AGENT_CLIPBOARD_UTF8_TEXT, NULL, 0);
    assert_int_equal(floe_agent_clip_offer(r->a, 0, types, 1), 0);   /* the guest takes it back */
    assert_int_equal(r->grab_calls, 4);
    assert_int_equal(r->grab_n, 0);
    rig_expect(r, VD_AGENT_CLIPBOARD_GRAB, &b, &rb);
    free(b);
    rig_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guest_to_client),
        cmocka_unit_test(test_client_to_guest),
        cmocka_unit_test(test_without_selections),
        cmocka_unit_test(test_max_clipboard),
        cmocka_unit_test(test_regrab_for_new_client),
        cmocka_unit_test(test_offer_on_demand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
