/* Unit tests of the monitors a client asks the guest for (SPICE's
 * VD_AGENT_MONITORS_CONFIG in MAIN AGENT_DATA): libfloe-client's request
 * reaches the host's input sink (monitors_fn) as asked; a raw client's
 * message cut into pieces anywhere is put together, each piece's token
 * given back; other agent messages are skipped; a config out of bounds is
 * dropped and the client kept; an agent protocol that is not 1 closes the
 * connection. And a server's MONITORS_CONFIG with heads makes each head a
 * monitor of libfloe-client, with its rectangle of the surface. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "floe/client.h"
#include "floe/server.h"
#include "tests/unit/raw_session.h"

#define W 320
#define H 200

/* ---- what the host's input sink was handed ---- */

struct seen {
    pthread_mutex_t lock;
    int calls, count;
    struct floe_monitor_request mons[16];
};

static struct seen seen = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void on_monitors(void *opaque, int count, const struct floe_monitor_request *mons)
{
    struct seen *s = opaque;

    pthread_mutex_lock(&s->lock);
    s->calls++;
    s->count = count;
    memcpy(s->mons, mons, (size_t)count * sizeof(*mons));
    pthread_mutex_unlock(&s->lock);
}

/* Waits until the sink was called `calls` times: a copy then. */
static struct seen await(int calls)
{
    struct seen s;

    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&seen.lock);
        s = seen;
        pthread_mutex_unlock(&seen.lock);
        if (s.calls >= calls)
            break;
        usleep(10000);
    }
    assert_int_equal(s.calls, calls);
    return s;
}

/* ---- the server on its own thread ---- */

struct call {
    int port, rc;
    int heads;                    /* > 0: set that many heads side by side */
};

static void on_server(struct floe_server *s, void *opaque)
{
    struct call *c = opaque;
    struct floe_input_sink sink = { .monitors_fn = on_monitors, .opaque = &seen };
    struct floe_rect all = { 0, 0, W, H }, left = { 0, 0, W / 2, H };
    struct floe_rect heads[2] = { { 0, 0, W / 2, H }, { W / 2, 0, W / 2, H / 2 } };

    if (c->heads) {
        c->rc = floe_server_set_heads(s, 0, c->heads, heads);
        floe_server_frame_end(s);
        return;
    }
    c->rc = floe_server_listen(s, "127.0.0.1", 0, &c->port);
    floe_server_set_input_sink(s, &sink);
    floe_server_surface_create(s, 0, W, H);
    floe_server_draw_fill(s, 0, &all, 0x204060);
    floe_server_draw_fill(s, 0, &left, 0xc08020);
    floe_server_frame_end(s);
}

static struct floe_server_thread *start(int *port)
{
    struct floe_server_thread *t =
        floe_server_thread_new(&(struct floe_server_options){ .disable_ticketing = 1 });
    struct call c = { 0 };

    assert_non_null(t);
    pthread_mutex_lock(&seen.lock);
    seen.calls = seen.count = 0;
    pthread_mutex_unlock(&seen.lock);
    assert_int_equal(floe_server_thread_call_wait(t, on_server, &c), 0);
    assert_int_equal(c.rc, 0);
    *port = c.port;
    return t;
}

/* ---- a raw client's agent messages ---- */

/* A VDAgentMessage of `type` around `body`, written into w. */
static void agent_message(struct floe_wbuf *w, uint32_t protocol, uint32_t type,
                          const struct floe_wbuf *body)
{
    spice_vd_agent_header_put(w, &(struct spice_vd_agent_header){ protocol, type, 0,
                                                                   (uint32_t)body->len });
    floe_put_bytes(w, body->data, body->len);
}

static void monitors_body(struct floe_wbuf *w, uint32_t n, uint32_t width)
{
    spice_vd_agent_monitors_config_put(w, &(struct spice_vd_agent_monitors_config){ n, 1 });
    for (uint32_t i = 0; i < n; i++)
        spice_vd_agent_mon_config_put(w, &(struct spice_vd_agent_mon_config){
                                              300 + i, width + i, 32, (int32_t)(1000 * i), 7 });
}

static void send_piece(int fd, const uint8_t *p, size_t n)
{
    RAW_SEND(fd, SPICE_MSGC_MAIN_AGENT_DATA, floe_put_bytes(&w_, p, n));
}

static uint32_t read_token(int fd)
{
    static const uint16_t want[] = { SPICE_MSG_MAIN_AGENT_TOKEN, 0 };
    struct spice_agent_token t;
    struct floe_rbuf r;
    uint8_t body[4096];

    raw_read(fd, want, body, sizeof(body));
    floe_rbuf_init(&r, body, 4);
    spice_agent_token_get(&r, &t);
    return t.num_tokens;
}

static int raw_main(int port, struct spice_main_init *init)
{
    static const uint16_t want[] = { SPICE_MSG_MAIN_INIT, 0 };
    uint8_t body[4096];
    struct floe_rbuf r;
    int fd = raw_link(port, 0, SPICE_CHANNEL_MAIN);

    raw_read(fd, want, body, sizeof(body));
    floe_rbuf_init(&r, body, sizeof(body));
    spice_main_init_get(&r, init);
    return fd;
}

/* ---- the tests ---- */

static void test_client_asks(void **st)
{
    struct floe_client_monitor want[2] = { { 0, 0, 800, 600 }, { 800, 0, 640, 480 } };
    struct floe_client *c;
    struct floe_server_thread *t;
    char err[256], host[] = "127.0.0.1";
    struct seen s;
    int port;

    (void)st;
    t = start(&port);
    c = floe_client_new(&(struct floe_client_options){ .host = host, .port = port });
    assert_non_null(c);
    assert_int_equal(floe_client_ask_monitors(c, 0, want), -EINVAL);
    assert_int_equal(floe_client_ask_monitors(c, 2, want), 0);   /* before the session */
    assert_int_equal(floe_client_connect(c, err, sizeof(err)), 0);
    assert_int_equal(floe_client_start(c), 0);
    s = await(1);
    assert_int_equal(s.count, 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(s.mons[i].x, want[i].x);
        assert_int_equal(s.mons[i].y, want[i].y);
        assert_int_equal(s.mons[i].width, want[i].width);
        assert_int_equal(s.mons[i].height, want[i].height);
    }
    want[0].width = 1024;                                        /* during it */
    assert_int_equal(floe_client_ask_monitors(c, 1, want), 0);
    s = await(2);
    assert_int_equal(s.count, 1);
    assert_int_equal(s.mons[0].width, 1024);
    floe_client_free(c);
    floe_server_thread_free(t);
}

static void test_pieces_tokens_and_bounds(void **st)
{
    struct spice_main_init init;
    struct floe_server_thread *t;
    struct floe_wbuf body, msg;
    struct seen s;
    int port, fd;

    (void)st;
    t = start(&port);
    fd = raw_main(port, &init);
    assert_true(init.agent_tokens > 0);

    /* one message in three pieces: cut in its header and in its body */
    floe_wbuf_init(&body, 0);
    monitors_body(&body, 3, 1280);
    floe_wbuf_init(&msg, 0);
    agent_message(&msg, VD_AGENT_PROTOCOL, VD_AGENT_MONITORS_CONFIG, &body);
    send_piece(fd, msg.data, 9);
    send_piece(fd, msg.data + 9, 20);
    send_piece(fd, msg.data + 29, msg.len - 29);
    for (int i = 0; i < 3; i++)
        assert_int_equal(read_token(fd), 1);
    s = await(1);
    assert_int_equal(s.count, 3);
    assert_int_equal(s.mons[2].width, 1282);
    assert_int_equal(s.mons[2].height, 302);
    assert_int_equal(s.mons[2].x, 2000);
    assert_int_equal(s.mons[2].y, 7);

    /* skipped: a clipboard message; dropped: no monitor, 17 monitors, a
     * side past 16384; the client stays and is heard after */
    floe_wbuf_free(&msg);
    floe_wbuf_init(&msg, 0);
    agent_message(&msg, VD_AGENT_PROTOCOL, VD_AGENT_CLIPBOARD, &body);
    send_piece(fd, msg.data, msg.len);
    for (uint32_t n = 0; n < 3; n++) {
        floe_wbuf_free(&body);
        floe_wbuf_free(&msg);
        floe_wbuf_init(&body, 0);
        monitors_body(&body, n == 0 ? 0 : n == 1 ? 17 : 1, n == 2 ? 20000 : 640);
        floe_wbuf_init(&msg, 0);
        agent_message(&msg, VD_AGENT_PROTOCOL, VD_AGENT_MONITORS_CONFIG, &body);
        send_piece(fd, msg.data, msg.len);
    }
    floe_wbuf_free(&body);
    floe_wbuf_free(&msg);
    floe_wbuf_init(&body, 0);
    monitors_body(&body, 1, 720);
    floe_wbuf_init(&msg, 0);
    agent_message(&msg, VD_AGENT_PROTOCOL, VD_AGENT_MONITORS_CONFIG, &body);
    send_piece(fd, msg.data, msg.len);
    s = await(2);
    assert_int_equal(s.count, 1);
    assert_int_equal(s.mons[0].width, 720);

    /* an agent protocol not 1: the connection is closed */
    floe_wbuf_free(&msg);
    floe_wbuf_init(&msg, 0);
    agent_message(&msg, 2, VD_AGENT_MONITORS_CONFIG, &body);
    send_piece(fd, msg.data, msg.len);
    {
        struct pollfd p = { fd, POLLIN, 0 };
        uint8_t b[4096];
        ssize_t r = 1;
        for (int i = 0; i < 100 && r > 0; i++) {
            assert_true(poll(&p, 1, 10000) > 0);
            r = recv(fd, b, sizeof(b), 0);
        }
        assert_true(r <= 0);
    }
    floe_wbuf_free(&body);
    floe_wbuf_free(&msg);
    close(fd);
    floe_server_thread_free(t);
}

/* The server's heads are monitors of the client: sizes, pixels, count. */
static void test_heads_are_monitors(void **st)
{
    struct floe_server_thread *t;
    struct floe_client *c;
    struct floe_client_stats cs;
    struct floe_client_canvas cv;
    struct call heads = { .heads = 2 };
    char err[256], host[] = "127.0.0.1";
    int port, n = 0;

    (void)st;
    t = start(&port);
    c = floe_client_new(&(struct floe_client_options){ .host = host, .port = port });
    assert_non_null(c);
    assert_int_equal(floe_client_connect(c, err, sizeof(err)), 0);
    assert_int_equal(floe_client_start(c), 0);
    for (int i = 0; i < 500 && floe_client_monitors(c) < 1; i++)
        usleep(10000);
    assert_int_equal(floe_client_monitors(c), 1);
    assert_int_equal(floe_server_thread_call_wait(t, on_server, &heads), 0);
    assert_int_equal(heads.rc, 0);
    for (int i = 0; i < 500 && (n = floe_client_monitors(c)) < 2; i++)
        usleep(10000);
    assert_int_equal(n, 2);
    floe_client_get_monitor_stats(c, 1, &cs);
    assert_int_equal(cs.width, W / 2);
    assert_int_equal(cs.height, H / 2);
    /* head 0 is the left half (0xc08020), head 1 the right (0x204060) */
    for (int i = 0; i < 500; i++) {
        uint32_t a = 0, b = 0;
        if (floe_client_canvas_lock_monitor(c, 0, &cv) == 0)
            a = cv.pixels[0] & 0xffffff;
        floe_client_canvas_unlock(c);
        if (floe_client_canvas_lock_monitor(c, 1, &cv) == 0)
            b = cv.pixels[0] & 0xffffff;
        floe_client_canvas_unlock(c);
        if (a == 0xc08020 && b == 0x204060)
            break;
        usleep(10000);
    }
    assert_int_equal(floe_client_canvas_lock_monitor(c, 1, &cv), 0);
    assert_int_equal(cv.width, W / 2);
    assert_int_equal(cv.pixels[0] & 0xffffff, 0x204060);
    floe_client_canvas_unlock(c);
    assert_int_equal(floe_client_canvas_lock_monitor(c, 0, &cv), 0);
    assert_int_equal(cv.width, W / 2);
    assert_int_equal(cv.height, H);
    assert_int_equal(cv.pixels[0] & 0xffffff, 0xc08020);
    floe_client_canvas_unlock(c);
    assert_int_equal(floe_client_canvas_lock_monitor(c, 2, &cv), -ENOENT);
    floe_client_canvas_unlock(c);
    floe_client_free(c);
    floe_server_thread_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_asks),
        cmocka_unit_test(test_pieces_tokens_and_bounds),
        cmocka_unit_test(test_heads_are_monitors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
