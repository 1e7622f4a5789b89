/* Unit tests for the clients' STREAM_REPORTs: a display client that states
 * SPICE_DISPLAY_CAP_STREAM_REPORT gets STREAM_ACTIVATE_REPORT right after
 * STREAM_CREATE (every 10 frames or 1 s); its report of dropped, late frames
 * cuts its stream's budget, one of an old activation or of a client that
 * cannot play the stream does not; a client that does not state the cap is
 * never asked; a truncated report is bad input (that channel closes, the
 * server goes on). A raw client sees the messages. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/unit/raw_session.h"

#include "floe/server.h"
#include "protocol/spice/stream.h"

#define W 320
#define H 240
#define BX 40
#define BY 60
#define BW 160
#define BH 120
#define FRAME_MS 40
#define BODY_MAX (8u << 20)

#include "tests/unit/image_rig.h"

/* a second session's display channel, which reports */
struct reporter {
    int main_fd, disp;
    uint32_t session, ack_window, since_ack;
    uint8_t *body;
    int created, activated, closed;
    struct spice_stream_activate_report act;
    uint32_t stream_id, last_mm_time;
};

static void video_frame(uint32_t *pic, int t)
{
    for (int y = 0; y < BH; y++)
        for (int x = 0; x < BW; x++) {
            double r = 120 + 80 * sin(x * 0.05 + t * 0.3) + 30.0 * y / BH;
            double gr = 110 + 70 * sin(y * 0.06 - t * 0.2) + 20 * cos((x + y) * 0.03);
            double b = 140 + 90 * cos((x - y) * 0.04 + t * 0.25);

            pic[(size_t)(BY + y) * W + BX + x] = (uint32_t)r << 16 | (uint32_t)gr << 8 |
                                                 (uint32_t)b;
        }
}

static void draw(struct rig *g, uint32_t *pic, int t)
{
    video_frame(pic, t);
    call(g, &(struct call){ .op = OP_IMAGE, .r = { BX, BY, BW, BH }, .px = pic });
}

/* Reads what the reporter's display channel has, waiting up to ms for the
 * first message; notes the stream messages. */
static void drain(struct reporter *rp, int ms)
{
    for (;;) {
        struct pollfd p = { rp->disp, POLLIN, 0 };
        uint32_t len = 0;
        uint16_t type;
        char peek;

        if (poll(&p, 1, ms) <= 0)
            return;
        ms = 0;
        if (recv(rp->disp, &peek, 1, MSG_PEEK | MSG_DONTWAIT) == 0) {
            rp->closed = 1;
            return;
        }
        type = raw_display_read(rp->disp, &rp->ack_window, &rp->since_ack, rp->body, BODY_MAX,
                                &len);
        if (type == SPICE_MSG_DISPLAY_STREAM_CREATE) {
            struct spice_stream_create sc;

            assert_int_equal(spice_stream_create_parse(rp->body, len, &sc), 0);
            assert_false(rp->activated);   /* the activation follows the CREATE */
            rp->created = 1;
            rp->stream_id = sc.id;
        } else if (type == SPICE_MSG_DISPLAY_STREAM_ACTIVATE_REPORT) {
            assert_true(rp->created);
            assert_int_equal(spice_stream_activate_report_parse(rp->body, len, &rp->act), 0);
            rp->activated = 1;
        } else if (type == SPICE_MSG_DISPLAY_STREAM_DATA) {
            struct spice_stream_data sd;

            assert_int_equal(spice_stream_data_parse(rp->body, len, &sd), 0);
            rp->last_mm_time = sd.mm_time;
        }
    }
}

static void reporter_up(struct rig *g, struct reporter *rp, int cap)
{
    static const uint16_t main_init[] = { SPICE_MSG_MAIN_INIT, 0 };
    struct spice_main_init init;
    struct floe_rbuf r;

    memset(rp, 0, sizeof(*rp));
    rp->body = malloc(BODY_MAX);
    assert_non_null(rp->body);
    rp->main_fd = raw_link(g->port, 0, SPICE_CHANNEL_MAIN);
    raw_read(rp->main_fd, main_init, rp->body, BODY_MAX);
    floe_rbuf_init(&r, rp->body, SPICE_SIZE_main_init);
    spice_main_init_get(&r, &init);
    rp->session = init.session_id;
    rp->disp = raw_link_cap(g->port, init.session_id, SPICE_CHANNEL_DISPLAY,
                            cap ? SPICE_DISPLAY_CAP_STREAM_REPORT : -1);
    RAW_SEND(rp->disp, SPICE_MSGC_DISPLAY_INIT,
             spice_display_init_put(&w_, &(struct spice_display_init){ 1, 0, 0, 0 }));
}

static void reporter_down(struct reporter *rp)
{
    close(rp->disp);
    close(rp->main_fd);
    free(rp->body);
}

static void send_report(struct reporter *rp, uint32_t unique_id, uint32_t frames,
                        uint32_t drops, int32_t delay)
{
    RAW_SEND(rp->disp, SPICE_MSGC_DISPLAY_STREAM_REPORT,
             spice_stream_report_put(&w_, &(struct spice_stream_report){
                 .stream_id = rp->stream_id, .unique_id = unique_id,
                 .start_frame_mm_time = rp->last_mm_time - 400,
                 .end_frame_mm_time = rp->last_mm_time, .num_frames = frames,
                 .num_drops = drops, .last_frame_delay = delay,
                 .audio_delay = UINT32_MAX }));
}

/* ---- the reporter's line of floe_server_describe_clients ---- */

struct describe {
    char buf[4096];
};

static void on_describe(struct floe_server *s, void *opaque)
{
    struct describe *d = opaque;

    floe_server_describe_clients(s, d->buf, sizeof(d->buf));
}

/* A field of the reporter's session line; -1 when it has none. */
static long field(struct rig *g, const struct reporter *rp, const char *name)
{
    struct describe d;
    char head[32], key[64];
    const char *line, *at;

    assert_int_equal(floe_server_thread_call_wait(g->t, on_describe, &d), 0);
    snprintf(head, sizeof(head), "session %u ", rp->session);
    snprintf(key, sizeof(key), " %s=", name);
    line = strstr(d.buf, head);
    if (!line)
        return -1;
    at = strstr(line, key);
    if (!at || (strchr(line, '\n') && at > strchr(line, '\n')))
        return -1;
    return strtol(at + strlen(key), NULL, 10);
}

/* Draws frames until the reporter's stream has started, then for ms more. */
static void play(struct rig *g, struct reporter *rp, uint32_t *pic, int *t, int ms)
{
    int64_t end;

    while (!rp->created) {
        draw(g, pic, (*t)++);
        drain(rp, FRAME_MS);
        assert_true(*t < 200);
    }
    for (end = now_ms() + ms; now_ms() < end;) {
        draw(g, pic, (*t)++);
        drain(rp, FRAME_MS);
    }
}

static void test_reports(void **state)
{
    uint32_t *pic = calloc((size_t)W * H, 4);
    struct rig g;
    struct reporter rp, mute;
    long kbps, cut;
    int t = 0;

    assert_non_null(pic);
    for (int i = 0; i < W * H; i++)
        pic[i] = 0x304050;
    rig_up(&g, pic);
    reporter_up(&g, &rp, 1);
    reporter_up(&g, &mute, 0);
    play(&g, &rp, pic, &t, 700);
    for (int i = 0; i < 30 && !mute.created; i++)
        drain(&mute, 100);
    assert_true(mute.created);
    assert_false(mute.activated);   /* a client that does not report is not asked */
    assert_true(rp.activated);
    assert_int_equal(rp.act.stream_id, rp.stream_id);
    assert_int_equal(rp.act.max_window_size, 10);
    assert_int_equal(rp.act.timeout_ms, 1000);
    kbps = field(&g, &rp, "stream_kbps");
    assert_true(kbps > 0);
    assert_int_equal(field(&g, &rp, "stream_reports"), 0);

    /* frames late and dropped: the budget is cut */
    send_report(&rp, rp.act.unique_id, 10, 3, -50);
    play(&g, &rp, pic, &t, 100);
    assert_int_equal(field(&g, &rp, "stream_reports"), 1);
    cut = field(&g, &rp, "stream_kbps");
    assert_true(cut < kbps);
    assert_true(cut >= kbps / 2);

    /* some time later: a report of an old activation, and one of a client
     * that cannot play the stream, are counted and change nothing */
    play(&g, &rp, pic, &t, 700);
    send_report(&rp, rp.act.unique_id + 7, 10, 9, -500);
    send_report(&rp, rp.act.unique_id, 0, UINT32_MAX, 0);
    play(&g, &rp, pic, &t, 100);
    assert_int_equal(field(&g, &rp, "stream_reports"), 3);
    assert_int_equal(field(&g, &rp, "stream_kbps"), cut);

    /* a truncated report: that display channel is closed, the rest goes on */
    RAW_SEND(rp.disp, SPICE_MSGC_DISPLAY_STREAM_REPORT, floe_put_u32(&w_, rp.stream_id));
    for (int i = 0; i < 50 && !rp.closed; i++) {
        draw(&g, pic, t++);
        drain(&rp, FRAME_MS);
    }
    assert_true(rp.closed);
    draw(&g, pic, t++);
    memcpy(g.exp, pic, (size_t)W * H * 4);
    assert_picture(&g);

    reporter_down(&mute);
    reporter_down(&rp);
    rig_down(&g);
    free(pic);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reports),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
