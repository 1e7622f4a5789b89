/* Unit tests for libfloe-server on a thread of its own: calls from several
 * host threads run in order, a frame handed over reaches a real client
 * (libfloe-client) pixel for pixel, the library leaves SIGPIPE's
 * disposition alone, and freeing joins cleanly (ASan checks for leaks). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "floe/client.h"
#include "floe/server.h"

#define W 96
#define H 64

static struct floe_server_thread *start(void)
{
    struct floe_server_options o = { .disable_ticketing = 1, .name = "thread test" };
    struct floe_server_thread *t = floe_server_thread_new(&o);

    assert_non_null(t);
    return t;
}

/* ---- order of calls from several threads ---- */

struct order {
    int next[2];     /* the next number expected from each host thread */
    int bad;         /* calls that ran out of order */
    int ran;
};

struct numbered {
    struct order *o;
    int from, n;
};

static void check_order(struct floe_server *s, void *opaque)
{
    struct numbered *c = opaque;

    if (c->n != c->o->next[c->from])
        c->o->bad++;
    c->o->next[c->from] = c->n + 1;
    c->o->ran++;
    free(c);
}

struct host {
    struct floe_server_thread *t;
    struct order *o;
    int from;
};

static void *host_thread(void *arg)
{
    struct host *h = arg;

    for (int i = 0; i < 2000; i++) {
        struct numbered *c = malloc(sizeof(*c));

        *c = (struct numbered){ h->o, h->from, i };
        if (floe_server_thread_call(h->t, check_order, c) < 0)
            free(c);
    }
    return NULL;
}

static void test_calls_in_order(void **st)
{
    struct floe_server_thread *t = start();
    struct order o = { { 0, 0 }, 0, 0 };
    struct host h[2] = { { t, &o, 0 }, { t, &o, 1 } };
    pthread_t th[2];

    for (int k = 0; k < 2; k++)
        assert_int_equal(pthread_create(&th[k], NULL, host_thread, &h[k]), 0);
    for (int k = 0; k < 2; k++)
        pthread_join(th[k], NULL);
    /* free runs every call already made before it stops */
    floe_server_thread_free(t);
    assert_int_equal(o.ran, 4000);
    assert_int_equal(o.bad, 0);
}

/* ---- what the server's thread is like ---- */

struct probe {
    int pipe_blocked;
    int nested_rc;
    struct floe_server_thread *t;
    struct floe_server *srv;
};

static void probe_thread(struct floe_server *s, void *opaque)
{
    struct probe *p = opaque;
    sigset_t now;

    pthread_sigmask(SIG_BLOCK, NULL, &now);
    p->pipe_blocked = sigismember(&now, SIGPIPE);
    p->nested_rc = floe_server_thread_call_wait(p->t, probe_thread, p);
    p->srv = s;
}

static void test_thread_and_signals(void **st)
{
    struct sigaction before, after;
    struct floe_server_thread *t;
    struct probe p = { .nested_rc = 1 };

    assert_int_equal(sigaction(SIGPIPE, NULL, &before), 0);
    t = start();
    p.t = t;
    assert_int_equal(floe_server_thread_call_wait(t, probe_thread, &p), 0);
    assert_non_null(p.srv);
    assert_int_equal(p.pipe_blocked, 1);
    /* waiting for itself would never end */
    assert_int_equal(p.nested_rc, -EDEADLK);
    assert_int_equal(floe_server_thread_call(t, NULL, NULL), -EINVAL);
    floe_server_thread_free(t);
    assert_int_equal(sigaction(SIGPIPE, NULL, &after), 0);
    assert_ptr_equal(before.sa_handler, after.sa_handler);
}

/* ---- a frame handed over from the host's thread, seen by a client ---- */

struct listen_args {
    int port, rc;
};

static void do_listen(struct floe_server *s, void *opaque)
{
    struct listen_args *a = opaque;

    a->rc = floe_server_listen(s, "127.0.0.1", 0, &a->port);
}

struct frame {
    uint32_t *pixels;
};

/* The host's picture: four quadrants of different colours. */
static uint32_t expected(int x, int y)
{
    static const uint32_t quad[4] = { 0xd02020, 0x20b040, 0x2040e0, 0xf0f0f0 };

    return quad[(y >= H / 2) * 2 + (x >= W / 2)];
}

static void draw_frame(struct floe_server *s, void *opaque)
{
    struct frame *f = opaque;
    struct floe_rect all = { 0, 0, W, H };

    floe_server_surface_create(s, 0, W, H);
    floe_server_draw_image(s, 0, &all, f->pixels, W * 4);
    floe_server_frame_end(s);
    free(f->pixels);
    free(f);
}

/* 1 once the client's canvas holds the whole picture. */
static int client_has_picture(struct floe_client *c)
{
    struct floe_client_canvas cv;
    int ok = 1;

    /* the lock is held even when there is no surface yet */
    if (floe_client_canvas_lock(c, &cv) < 0)
        ok = 0;
    else if (cv.width != W || cv.height != H)
        ok = 0;
    for (int y = 0; ok && y < H; y++)
        for (int x = 0; ok && x < W; x++) {
            uint32_t px = *(const uint32_t *)((const uint8_t *)cv.pixels + (size_t)y * cv.stride +
                                              (size_t)x * 4);
            ok = (px & 0xffffff) == expected(x, y);
        }
    floe_client_canvas_unlock(c);
    return ok;
}

static void test_frame_reaches_client(void **st)
{
    struct floe_server_thread *t = start();
    struct listen_args la = { 0, -1 };
    struct frame *f = malloc(sizeof(*f));
    struct floe_client *c;
    char err[256];
    int seen = 0;

    assert_int_equal(floe_server_thread_call_wait(t, do_listen, &la), 0);
    assert_int_equal(la.rc, 0);
    assert_true(la.port > 0);
    f->pixels = malloc(W * H * 4);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            f->pixels[y * W + x] = expected(x, y);
    assert_int_equal(floe_server_thread_call(t, draw_frame, f), 0);

    c = floe_client_new(&(struct floe_client_options){ .host = "127.0.0.1", .port = la.port });
    assert_non_null(c);
    assert_int_equal(floe_client_connect(c, err, sizeof(err)), 0);
    for (int i = 0; i < 500 && !seen; i++) {
        if (floe_client_poll(c, 20) < 0)
            break;
        seen = client_has_picture(c);
    }
    assert_true(seen);
    /* the server disconnects its client as it is freed */
    floe_server_thread_free(t);
    for (int i = 0; i < 500 && floe_client_poll(c, 20) == 0; i++)
        ;
    assert_false(floe_client_is_connected(c));
    floe_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calls_in_order),
        cmocka_unit_test(test_thread_and_signals),
        cmocka_unit_test(test_frame_reaches_client),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
