/* The server's send queue, seen from inside libfloe-server (white-box) over
 * a socketpair: messages leave in the order they were queued (those pushed
 * to the front first), the SET_ACK window stops the writes after two
 * windows of unacknowledged messages, and only an ACK of the current
 * generation (after the client's ACK_SYNC) lets the next window out; a
 * cursor client that falls behind gets its queued cursor changes replaced
 * by the current state where the last of them stood. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/internal.h"

#define FIRST_TYPE 1000

struct fixture {
    uv_loop_t loop;
    struct floe_server *srv;
    struct fsrv_chan *c;
    int peer;                 /* the client's end */
    uint8_t in[1 << 16];      /* bytes the client read and has not parsed */
    size_t in_len;
};

static int test_handle(struct fsrv_chan *c, uint16_t type, const uint8_t *body, uint32_t len)
{
    return 0;
}

static const struct fsrv_chan_ops test_ops = { .handle = test_handle };

static void fixture_up(struct fixture *f)
{
    struct floe_server_options o = { .disable_ticketing = 1 };
    int sv[2];

    memset(f, 0, sizeof(*f));
    assert_int_equal(uv_loop_init(&f->loop), 0);
    f->srv = floe_server_new(&f->loop, &o);
    assert_non_null(f->srv);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    f->peer = sv[1];
    fcntl(f->peer, F_SETFL, O_NONBLOCK);
    f->c = fsrv_chan_new(f->srv);
    assert_non_null(f->c);
    assert_int_equal(uv_tcp_open(&f->c->tcp, sv[0]), 0);
    fsrv_chan_start(f->c, "test");
    /* as if linked: a cursor channel with mini headers and no session */
    f->c->state = LINK_DONE;
    f->c->type = SPICE_CHANNEL_CURSOR;
    f->c->mini = 1;
    f->c->ops = &test_ops;
}

static void fixture_down(struct fixture *f)
{
    close(f->peer);
    floe_server_close(f->srv);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    floe_server_free(f->srv);
    assert_int_equal(uv_loop_close(&f->loop), 0);
}

/* Lets the server run until it has nothing more to do for now. */
static void pump(struct fixture *f)
{
    for (int i = 0; i < 50; i++)
        uv_run(&f->loop, UV_RUN_NOWAIT);
}

/* The types of the messages that reached the client so far, in order. */
static int received(struct fixture *f, uint16_t *types, int max)
{
    ssize_t n;
    int count = 0;

    pump(f);
    while ((n = read(f->peer, f->in + f->in_len, sizeof(f->in) - f->in_len)) > 0)
        f->in_len += (size_t)n;
    for (;;) {
        uint32_t size;

        if (f->in_len < 6)
            break;
        size = floe_le32(f->in + 2);
        if (f->in_len < 6 + size)
            break;
        assert_true(count < max);
        types[count++] = floe_le16(f->in);
        memmove(f->in, f->in + 6 + size, f->in_len - 6 - size);
        f->in_len -= 6 + size;
    }
    return count;
}

static void client_send(struct fixture *f, uint16_t type, const void *body, uint32_t len)
{
    uint8_t msg[64];

    assert_true(len + 6 <= sizeof(msg));
    msg[0] = (uint8_t)type;
    msg[1] = (uint8_t)(type >> 8);
    floe_wr_le32(msg + 2, len);
    if (len)
        memcpy(msg + 6, body, len);
    assert_int_equal(write(f->peer, msg, 6 + len), (ssize_t)(6 + len));
    pump(f);
}

static void queue(struct fixture *f, int from, int count)
{
    for (int i = from; i < from + count; i++) {
        struct fsrv_msg *m = fsrv_msg_new((uint16_t)(FIRST_TYPE + i), "x", 1);

        assert_non_null(m);
        fsrv_chan_send(f->c, m);
        fsrv_msg_unref(m);
    }
}

static void test_order_and_front(void **st)
{
    struct fixture f;
    uint16_t types[64];
    struct fsrv_msg *front;
    int n;

    fixture_up(&f);
    /* held, as while its head is encoded: everything stays queued */
    f.c->held = HELD_ENCODING;
    queue(&f, 0, 5);
    front = fsrv_msg_new(FIRST_TYPE + 99, NULL, 0);
    fsrv_chan_push_front(f.c, front);
    fsrv_msg_unref(front);
    assert_int_equal(received(&f, types, 64), 0);
    f.c->held = HELD_NO;
    fsrv_chan_flush(f.c);
    n = received(&f, types, 64);
    assert_int_equal(n, 6);
    assert_int_equal(types[0], FIRST_TYPE + 99);
    for (int i = 0; i < 5; i++)
        assert_int_equal(types[1 + i], FIRST_TYPE + i);
    fixture_down(&f);
}

/* The client syncs to the server's current ACK generation and acknowledges
 * one window: the next three queued messages (from `next` on) must come. */
static void sync_and_ack(struct fixture *f, int next)
{
    uint16_t types[64];
    uint8_t gen[4];
    int n;

    floe_wr_le32(gen, f->c->ack_generation);
    client_send(f, SPICE_MSGC_ACK_SYNC, gen, 4);
    client_send(f, SPICE_MSGC_ACK, NULL, 0);
    n = received(f, types, 64);
    assert_int_equal(n, 3);
    for (int i = 0; i < n; i++)
        assert_int_equal(types[i], FIRST_TYPE + next + i);
}

static void test_ack_window(void **st)
{
    struct fixture f;
    uint16_t types[64];
    int n;

    fixture_up(&f);
    fsrv_chan_set_ack(f.c, 3);
    queue(&f, 0, 20);
    /* SET_ACK, then the messages until more than two windows are unacked */
    n = received(&f, types, 64);
    assert_int_equal(types[0], SPICE_MSG_SET_ACK);
    assert_int_equal(n, 1 + 7);
    for (int i = 1; i < n; i++)
        assert_int_equal(types[i], FIRST_TYPE + i - 1);

    /* an ACK before the client has synced to this generation counts nothing */
    client_send(&f, SPICE_MSGC_ACK, NULL, 0);
    assert_int_equal(received(&f, types, 64), 0);

    /* ACK_SYNC of the generation SET_ACK gave, then an ACK: one window more */
    sync_and_ack(&f, 7);

    /* a new SET_ACK is queued behind what waits, but its generation starts
     * at once: ACKs of the old one no longer count */
    fsrv_chan_set_ack(f.c, 3);
    client_send(&f, SPICE_MSGC_ACK, NULL, 0);
    assert_int_equal(received(&f, types, 64), 0);
    sync_and_ack(&f, 10);
    fixture_down(&f);
}

/* The types queued on c, head first. */
static int queued(struct fsrv_chan *c, uint16_t *types, int max)
{
    int n = 0;

    for (struct fsrv_qitem *q = c->head; q && n < max; q = q->next)
        types[n++] = q->msg->type;
    return n;
}

static void send_type(struct fsrv_chan *c, uint16_t type)
{
    struct fsrv_msg *m = fsrv_msg_new(type, "x", 1);

    assert_non_null(m);
    fsrv_chan_send(c, m);
    fsrv_msg_unref(m);
}

static int drop_all(struct fsrv_chan *c, const struct fsrv_msg *m, void *arg)
{
    return m != NULL;
}

static void test_cursor_overflow_in_place(void **st)
{
    static const uint16_t want[] = { FIRST_TYPE, SPICE_MSG_CURSOR_SET, FIRST_TYPE + 1 };
    struct fixture f;
    uint16_t types[64];
    int n;

    fixture_up(&f);
    f.c->ops = &fsrv_cursor_ops;
    f.c->held = HELD_ENCODING;   /* nothing is written: the queue can be read */
    send_type(f.c, FIRST_TYPE);
    for (int i = 0; i < 20; i++)
        send_type(f.c, i % 5 ? SPICE_MSG_CURSOR_MOVE : SPICE_MSG_CURSOR_SET);
    send_type(f.c, SPICE_MSG_CURSOR_HIDE);
    send_type(f.c, FIRST_TYPE + 1);
    f.c->ops->overflow(f.c);
    n = queued(f.c, types, 64);
    assert_int_equal(n, 3);
    assert_memory_equal(types, want, sizeof(want));
    /* again: the state it queued is the one change, replaced in place */
    f.c->ops->overflow(f.c);
    n = queued(f.c, types, 64);
    assert_int_equal(n, 3);
    assert_memory_equal(types, want, sizeof(want));
    /* with no change queued the state goes last */
    fsrv_chan_edit(f.c, drop_all, NULL);
    f.c->ops->overflow(f.c);
    assert_int_equal(queued(f.c, types, 64), 1);
    assert_int_equal(types[0], SPICE_MSG_CURSOR_SET);
    f.c->held = HELD_NO;
    fixture_down(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_front),
        cmocka_unit_test(test_ack_window),
        cmocka_unit_test(test_cursor_overflow_in_place),
    };

    signal(SIGPIPE, SIG_IGN);   /* as a host does: the library leaves it to us */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
