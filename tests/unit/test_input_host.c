/* Unit tests of an input host (floe_server_set_input_host): once an INPUTS
 * channel has linked, its socket is read on the host's thread, where keys
 * and keyboard locks reach the host's key_fn and locks_fn; the pointer
 * still goes to the sink on the server's thread, and a key queued behind it
 * goes that way too, so host and sink together see the client's order. A
 * channel closed by its client, by the server (its session's MAIN gone, or
 * the server freed) or for bad input ends its watch on the host; a host
 * that refuses a call or a watch, or none at all, leaves keys to the sink
 * on the server's thread. The host is a thread with a poll() loop, as
 * QEMU's main loop is; a raw client (raw_session.h) sends the messages,
 * built from protocol/'s descriptions. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "floe/server.h"
#include "protocol/spice/enums.h"
#include "protocol/spice/messages.h"
#include "protocol/spice/wire.h"
#include "tests/unit/raw_session.h"

#define MAX_WATCHES 8
#define MAX_EVENTS 256
#define WAIT_MS 10000

/* ---- the host: a thread running calls and watching fds ---- */

struct host_call {
    void (*fn)(void *arg);
    void *arg;
    struct host_call *next;
};

struct watch {              /* a handle is a slot; its id tells reuses apart */
    unsigned id;
    int fd, live, dead;     /* dead: poll said the fd was closed while watched */
    void (*ready)(void *arg);
    void *arg;
};

struct host {
    pthread_mutex_t lock;
    pthread_t thread, self;
    int wake[2];            /* a byte written wakes the thread for calls */
    int stop, refuse_calls, refuse_watches;
    struct host_call *head, *tail;
    struct watch watches[MAX_WATCHES];
    unsigned next_id;
    /* what the server did with it */
    int added, removed, refused, bad_unwatch, wrong_thread, closed_fds;
};

/* static: a server left running by a failed check must not write into the
 * next test's stack */
static struct host host = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int on_host_thread(struct host *h)
{
    int yes;

    pthread_mutex_lock(&h->lock);
    yes = pthread_equal(pthread_self(), h->self);
    pthread_mutex_unlock(&h->lock);
    return yes;
}

static int host_call(void *opaque, void (*fn)(void *arg), void *arg)
{
    struct host *h = opaque;
    struct host_call *c = malloc(sizeof(*c));
    int stopped;
    ssize_t n;

    if (!c)
        return -1;
    *c = (struct host_call){ fn, arg, NULL };
    pthread_mutex_lock(&h->lock);
    stopped = h->stop || h->refuse_calls;
    h->refused += h->refuse_calls;
    if (!stopped) {
        *(h->tail ? &h->tail->next : &h->head) = c;
        h->tail = c;
    }
    pthread_mutex_unlock(&h->lock);
    if (stopped) {
        free(c);
        return -1;
    }
    n = write(h->wake[1], "x", 1);   /* a full pipe wakes it already */
    (void)n;
    return 0;
}

static void *host_watch(void *opaque, int fd, void (*ready)(void *arg), void *arg)
{
    struct host *h = opaque;
    struct watch *w = NULL;
    int ok = on_host_thread(h);

    pthread_mutex_lock(&h->lock);
    h->wrong_thread += !ok;
    h->refused += h->refuse_watches;
    for (int i = 0; i < MAX_WATCHES && !w && !h->refuse_watches; i++)
        if (!h->watches[i].live) {
            w = &h->watches[i];
            *w = (struct watch){ ++h->next_id, fd, 1, 0, ready, arg };
            h->added++;
        }
    pthread_mutex_unlock(&h->lock);
    return w;
}

/* May be called from inside the watch's ready callback: the loop finds
 * a watch by its id again after every callback. */
static void host_unwatch(void *opaque, void *handle)
{
    struct host *h = opaque;
    struct watch *w = handle;
    int ok = on_host_thread(h);

    pthread_mutex_lock(&h->lock);
    h->wrong_thread += !ok;
    if (w >= h->watches && w < h->watches + MAX_WATCHES && w->live) {
        w->live = 0;
        h->removed++;
    } else {
        h->bad_unwatch++;
    }
    pthread_mutex_unlock(&h->lock);
}

static void host_run_calls(struct host *h)
{
    for (;;) {
        struct host_call *c;

        pthread_mutex_lock(&h->lock);
        if ((c = h->head) && !(h->head = c->next))
            h->tail = NULL;
        pthread_mutex_unlock(&h->lock);
        if (!c)
            return;
        c->fn(c->arg);
        free(c);
    }
}

static void *host_main(void *arg)
{
    struct host *h = arg;

    pthread_mutex_lock(&h->lock);
    h->self = pthread_self();
    while (!h->stop) {
        struct pollfd pfd[1 + MAX_WATCHES] = { { h->wake[0], POLLIN, 0 } };
        unsigned ids[1 + MAX_WATCHES];
        char drain[64];
        int n = 1;

        for (int i = 0; i < MAX_WATCHES; i++)
            if (h->watches[i].live && !h->watches[i].dead) {
                pfd[n] = (struct pollfd){ h->watches[i].fd, POLLIN, 0 };
                ids[n++] = h->watches[i].id;
            }
        pthread_mutex_unlock(&h->lock);
        if (poll(pfd, (nfds_t)n, 1000) > 0 && pfd[0].revents) {
            while (read(h->wake[0], drain, sizeof(drain)) > 0)
                ;
            host_run_calls(h);
        }
        for (int k = 1; k < n; k++) {
            struct watch w = { 0 };

            pthread_mutex_lock(&h->lock);
            for (int i = 0; i < MAX_WATCHES && pfd[k].revents; i++)
                if (h->watches[i].live && h->watches[i].id == ids[k]) {
                    h->watches[i].dead = !!(pfd[k].revents & POLLNVAL);
                    h->closed_fds += h->watches[i].dead;
                    if (!h->watches[i].dead)
                        w = h->watches[i];
                }
            pthread_mutex_unlock(&h->lock);
            if (w.ready)
                w.ready(w.arg);
        }
        pthread_mutex_lock(&h->lock);
    }
    pthread_mutex_unlock(&h->lock);
    host_run_calls(h);
    return NULL;
}

static void host_start(void)
{
    pthread_mutex_lock(&host.lock);
    host.stop = host.refuse_calls = host.refuse_watches = 0;
    host.head = host.tail = NULL;
    memset(host.watches, 0, sizeof(host.watches));
    host.added = host.removed = host.refused = 0;
    host.bad_unwatch = host.wrong_thread = host.closed_fds = 0;
    pthread_mutex_unlock(&host.lock);
    assert_int_equal(pipe2(host.wake, O_NONBLOCK | O_CLOEXEC), 0);
    assert_int_equal(pthread_create(&host.thread, NULL, host_main, &host), 0);
}

/* From now on call_fn or watch_fn fail; how often they did so far. */
static int host_refuse(int calls, int watches)
{
    int refused;

    pthread_mutex_lock(&host.lock);
    host.refuse_calls = calls;
    host.refuse_watches = watches;
    refused = host.refused;
    pthread_mutex_unlock(&host.lock);
    return refused;
}

/* Waits until the host has had `added` watches and `removed` ended (-1:
 * as many as were added, and no call left): 1 when so within WAIT_MS. */
static int host_wait(int added, int removed, int *now_added, int *now_removed)
{
    int done = 0;

    for (int i = 0; i < WAIT_MS / 10 && !done; i++) {
        if (i)
            usleep(10000);
        pthread_mutex_lock(&host.lock);
        *now_added = host.added;
        *now_removed = host.removed;
        done = removed < 0 ? host.removed == host.added && !host.head
                           : host.added >= added && host.removed >= removed;
        pthread_mutex_unlock(&host.lock);
    }
    return done && (removed < 0 || (*now_added == added && *now_removed == removed));
}

static void await_watches(int added, int removed)
{
    int a, r;

    if (!host_wait(added, removed, &a, &r))
        fail_msg("host watches: %d added, %d ended; expected %d and %d within %d ms", a, r,
                 added, removed, WAIT_MS);
}

/* After the server is freed: waits for its last watches to end, stops the
 * host's thread and checks what the server did with the host. */
static void host_stop(void)
{
    int all_ended, a, r;

    all_ended = host_wait(0, -1, &a, &r);
    pthread_mutex_lock(&host.lock);
    host.stop = 1;
    pthread_mutex_unlock(&host.lock);
    assert_int_equal(write(host.wake[1], "x", 1), 1);
    pthread_join(host.thread, NULL);
    close(host.wake[0]);
    close(host.wake[1]);
    if (!all_ended)
        fail_msg("%d of %d watches never ended after the server was freed", a - r, a);
    assert_int_equal(host.bad_unwatch, 0);
    assert_int_equal(host.wrong_thread, 0);
    if (host.closed_fds)
        fail_msg("%d watched fd(s) closed before their watch ended", host.closed_fds);
}

/* ---- one log of what the host and the sink were handed ---- */

enum { EV_KEY = 1, EV_LOCKS, EV_MOTION, EV_WHEEL, EV_POINTER };
enum { BY_HOST = 1, BY_SINK };

struct event {
    int kind, by;
    int thread_ok;             /* on the host's thread BY_HOST, the server's BY_SINK */
    int a, b;                  /* scancode, down; dx, dy; x, y; locks; wheel delta */
    uint32_t buttons;
};

static struct {
    pthread_mutex_t lock;
    pthread_t server;
    int n;
    struct event ev[MAX_EVENTS];
} seen = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void record(int kind, int by, int a, int b, uint32_t buttons)
{
    int ok = by == BY_HOST ? on_host_thread(&host) : 0;

    pthread_mutex_lock(&seen.lock);
    if (by == BY_SINK)
        ok = pthread_equal(pthread_self(), seen.server);
    if (seen.n < MAX_EVENTS)
        seen.ev[seen.n] = (struct event){ kind, by, ok, a, b, buttons };
    seen.n++;
    pthread_mutex_unlock(&seen.lock);
}

static void host_key(void *o, uint32_t sc, int down) { record(EV_KEY, BY_HOST, (int)sc, down, 0); }
static void host_locks(void *o, uint32_t locks) { record(EV_LOCKS, BY_HOST, (int)locks, 0, 0); }
static void sink_key(void *o, uint32_t sc, int down) { record(EV_KEY, BY_SINK, (int)sc, down, 0); }
static void sink_locks(void *o, uint32_t locks) { record(EV_LOCKS, BY_SINK, (int)locks, 0, 0); }
static void sink_wheel(void *o, int delta) { record(EV_WHEEL, BY_SINK, delta, 0, 0); }

static void sink_motion(void *o, int dx, int dy, uint32_t buttons)
{
    record(EV_MOTION, BY_SINK, dx, dy, buttons);
}

static void sink_pointer(void *o, int x, int y, uint32_t buttons)
{
    record(EV_POINTER, BY_SINK, x, y, buttons);
}

static const char *describe(const struct event *e, char *buf, size_t len)
{
    static const char *kinds[] = { "?", "key", "locks", "motion", "wheel", "pointer" };

    snprintf(buf, len, "%s(0x%x, %d, %u)%s", kinds[e->kind <= EV_POINTER ? e->kind : 0],
             (unsigned)e->a, e->b, e->buttons,
             e->by == BY_HOST ? " by host" : e->by == BY_SINK ? " by sink" : "");
    return buf;
}

/* ---- what the client sends, and the events it should cause ---- */

struct script {
    struct floe_wbuf w;       /* messages not sent yet */
    int n;
    struct event want[MAX_EVENTS];
};

static void script_init(struct script *s)
{
    floe_wbuf_init(&s->w, 0);
    s->n = 0;
}

static void expect(struct script *s, int kind, int a, int b, uint32_t buttons)
{
    assert_true(s->n < MAX_EVENTS);
    s->want[s->n++] = (struct event){ .kind = kind, .a = a, .b = b, .buttons = buttons };
}

/* Appends one message: `put` writes its body to w_. */
#define PUT(s, type, put) do {                                     \
        struct floe_wbuf *w_ = &(s)->w;                            \
        size_t at_ = spice_header_put(w_, 1, (type), 0);           \
        put;                                                       \
        spice_header_finish(w_, 1, at_);                           \
    } while (0)

/* SPICE packs a scancode low byte first: 0xE0 then the code for extended
 * keys (0xE0xx here, as the host gets them), 0x80 set for a release. */
static void key(struct script *s, uint32_t sc, int down)
{
    uint32_t code = (sc & 0x7f) | (down ? 0 : 0x80);

    PUT(s, down ? SPICE_MSGC_INPUTS_KEY_DOWN : SPICE_MSGC_INPUTS_KEY_UP,
        spice_key_put(w_, &(struct spice_key){ sc >> 8 == 0xe0 ? 0xe0 | code << 8 : code }));
    expect(s, EV_KEY, (int)sc, down, 0);
}

static void modifiers(struct script *s, uint16_t mods)
{
    PUT(s, SPICE_MSGC_INPUTS_KEY_MODIFIERS,
        spice_key_modifiers_put(w_, &(struct spice_key_modifiers){ mods }));
    expect(s, EV_LOCKS, mods & 7, 0, 0);
}

/* relative motion: server mouse mode, the sink has motion_fn */
static void motion(struct script *s, int dx, int dy, uint16_t buttons)
{
    PUT(s, SPICE_MSGC_INPUTS_MOUSE_MOTION,
        spice_mouse_motion_put(w_, &(struct spice_mouse_motion){ dx, dy, buttons }));
    expect(s, EV_MOTION, dx, dy, buttons & 7);
}

/* a button alone reaches motion_fn as (0, 0); a wheel press wheel_fn */
static void button(struct script *s, int press, uint8_t which, uint16_t buttons)
{
    PUT(s, press ? SPICE_MSGC_INPUTS_MOUSE_PRESS : SPICE_MSGC_INPUTS_MOUSE_RELEASE,
        spice_mouse_button_put(w_, &(struct spice_mouse_button){ which, buttons }));
    if (which != SPICE_MOUSE_BUTTON_UP && which != SPICE_MOUSE_BUTTON_DOWN)
        expect(s, EV_MOTION, 0, 0, buttons & 7);
    else if (press)
        expect(s, EV_WHEEL, which == SPICE_MOUSE_BUTTON_UP ? -1 : 1, 0, 0);
}

/* Sends what was put so far in one send(). */
static void script_send(struct script *s, int fd)
{
    assert_false(s->w.failed);
    send_all(fd, s->w.data, s->w.len);
    floe_wbuf_free(&s->w);
    floe_wbuf_init(&s->w, 0);
}

/* Waits for every event the script expects (and checks no more come):
 * the log must be exactly those, in order, each on its right thread.
 * Returns a copy of the log. */
static const struct event *check_log(struct script *s)
{
    static struct event got[MAX_EVENTS];
    char a[96], b[96];
    int n = 0;

    for (int i = 0; i < WAIT_MS / 10; i++) {
        pthread_mutex_lock(&seen.lock);
        n = seen.n;
        pthread_mutex_unlock(&seen.lock);
        if (n >= s->n)
            break;
        usleep(10000);
    }
    usleep(100000);   /* anything more, e.g. a key twice, comes now */
    pthread_mutex_lock(&seen.lock);
    n = seen.n;
    memcpy(got, seen.ev, sizeof(seen.ev));
    pthread_mutex_unlock(&seen.lock);
    for (int i = 0; i < n && i < s->n && i < MAX_EVENTS; i++) {
        if (got[i].kind != s->want[i].kind || got[i].a != s->want[i].a ||
            got[i].b != s->want[i].b || got[i].buttons != s->want[i].buttons)
            fail_msg("event %d of %d: got %s, sent %s", i, s->n, describe(&got[i], a, sizeof(a)),
                     describe(&s->want[i], b, sizeof(b)));
        if (!got[i].thread_ok)
            fail_msg("event %d: %s on the wrong thread", i, describe(&got[i], a, sizeof(a)));
    }
    if (n != s->n)
        fail_msg("%d events seen, %d sent (within %d ms)", n, s->n, WAIT_MS);
    return got;
}

/* ---- the server on its own thread ---- */

enum op { OP_START, OP_HOST };

struct call {
    enum op op;
    int port, rc;
};

static void on_server(struct floe_server *s, void *opaque)
{
    struct call *c = opaque;
    struct floe_input_sink sink = { .key_fn = sink_key, .pointer_fn = sink_pointer,
                                    .wheel_fn = sink_wheel, .locks_fn = sink_locks,
                                    .motion_fn = sink_motion, .opaque = &seen };
    struct floe_input_host h = { host_call, host_watch, host_unwatch, host_key, host_locks, &host };

    switch (c->op) {
    case OP_START:
        pthread_mutex_lock(&seen.lock);
        seen.server = pthread_self();
        pthread_mutex_unlock(&seen.lock);
        c->rc = floe_server_listen(s, "127.0.0.1", 0, &c->port);
        /* relative motion and buttons to motion_fn */
        floe_server_set_mouse_modes(s, FLOE_MOUSE_MODE_SERVER);
        floe_server_set_input_sink(s, &sink);
        break;
    case OP_HOST: floe_server_set_input_host(s, &h); break;
    }
}

/* A server listening on *port, with the sink, and the host if with_host
 * (its thread runs either way). */
static struct floe_server_thread *start(int with_host, int *port)
{
    struct floe_server_thread *t =
        floe_server_thread_new(&(struct floe_server_options){ .disable_ticketing = 1 });
    struct call c = { .op = OP_START };

    assert_non_null(t);
    pthread_mutex_lock(&seen.lock);
    seen.n = 0;
    pthread_mutex_unlock(&seen.lock);
    host_start();
    assert_int_equal(floe_server_thread_call_wait(t, on_server, &c), 0);
    assert_int_equal(c.rc, 0);
    *port = c.port;
    if (with_host) {
        c.op = OP_HOST;
        assert_int_equal(floe_server_thread_call_wait(t, on_server, &c), 0);
    }
    return t;
}

/* MAIN and INPUTS of a new raw session. */
static void raw_session(int port, int *main_fd, int *in)
{
    static const uint16_t main_init[] = { SPICE_MSG_MAIN_INIT, 0 };
    static const uint16_t inputs_init[] = { SPICE_MSG_INPUTS_INIT, 0 };
    struct spice_main_init init;
    uint8_t body[4096];
    struct floe_rbuf r;

    *main_fd = raw_link(port, 0, SPICE_CHANNEL_MAIN);
    raw_read(*main_fd, main_init, body, sizeof(body));
    floe_rbuf_init(&r, body, sizeof(body));
    spice_main_init_get(&r, &init);
    assert_int_equal(init.current_mouse_mode, SPICE_MOUSE_MODE_SERVER);
    *in = raw_link(port, init.session_id, SPICE_CHANNEL_INPUTS);
    raw_read(*in, inputs_init, body, sizeof(body));
}

/* Reads fd until the server has closed it (data before is skipped). */
static void await_eof(int fd, const char *what)
{
    uint8_t buf[4096];

    for (int i = 0; i < 1000; i++) {
        struct pollfd p = { fd, POLLIN, 0 };
        ssize_t r;

        if (poll(&p, 1, WAIT_MS) <= 0)
            fail_msg("%s: not closed by the server within %d ms", what, WAIT_MS);
        r = recv(fd, buf, sizeof(buf), 0);
        if (r == 0 || (r < 0 && errno == ECONNRESET))
            return;
        assert_true(r > 0);
    }
    fail_msg("%s: the server sends on and on", what);
}

static void stop(struct floe_server_thread *t)
{
    floe_server_thread_free(t);
    host_stop();
}

/* ---- the tests ---- */

/* Keys (an extended one among them) and keyboard locks reach the host on
 * its thread, converted as for the sink; the sink sees none of them. */
static void test_keys_on_host_thread(void **st)
{
    static const uint32_t codes[] = { 0x1e, 0xe01d, 0xe048, 0x39, 0x2a };
    const struct event *got;
    struct floe_server_thread *t;
    struct script s;
    int port, m, in;

    (void)st;
    t = start(1, &port);
    raw_session(port, &m, &in);
    await_watches(1, 0);
    script_init(&s);
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        key(&s, codes[i], 1);
        script_send(&s, in);
        key(&s, codes[i], 0);
        script_send(&s, in);
    }
    modifiers(&s, 0x0d);   /* bit 3 is not a lock: 5 */
    script_send(&s, in);
    /* a key a byte at a time: the host waits for the whole message */
    key(&s, 0xe05d, 1);
    for (size_t i = 0; i < s.w.len; i++) {
        send_all(in, s.w.data + i, 1);
        usleep(5000);
    }
    floe_wbuf_free(&s.w);
    floe_wbuf_init(&s.w, 0);
    got = check_log(&s);
    for (int i = 0; i < s.n; i++)
        assert_int_equal(got[i].by, BY_HOST);
    close(in);
    close(m);
    stop(t);
}

/* One burst of keys, motion, buttons, a wheel turn and locks: host and
 * sink together see it in the order sent; the first key, sent with nothing
 * ahead of it, and a key sent once all is quiet, go through the host. */
static void test_order_kept(void **st)
{
    const struct event *got;
    struct floe_server_thread *t;
    struct script s;
    int port, m, in, by_host = 0;

    (void)st;
    t = start(1, &port);
    raw_session(port, &m, &in);
    await_watches(1, 0);
    script_init(&s);
    for (int i = 0; i < 8; i++) {
        uint32_t sc = i & 1 ? 0xe047 + (uint32_t)i : 0x10 + (uint32_t)i;

        key(&s, sc, 1);
        motion(&s, i + 1, -(i + 2), i & 1 ? SPICE_MOUSE_BUTTON_MASK_LEFT : 0);
        key(&s, sc, 0);
        button(&s, !(i & 1), SPICE_MOUSE_BUTTON_RIGHT, i & 1 ? 0 : SPICE_MOUSE_BUTTON_MASK_RIGHT);
        if (i == 3)
            modifiers(&s, FLOE_LOCK_NUM);
        if (i == 5)
            button(&s, 1, SPICE_MOUSE_BUTTON_DOWN, 0);
        key(&s, 0x2c + (uint32_t)i, 1);
        key(&s, 0x2c + (uint32_t)i, 0);
    }
    script_send(&s, in);
    got = check_log(&s);
    assert_int_equal(got[0].by, BY_HOST);
    for (int i = 0; i < s.n; i++) {
        if (got[i].kind != EV_KEY && got[i].kind != EV_LOCKS)
            assert_int_equal(got[i].by, BY_SINK);
        by_host += got[i].by == BY_HOST;
    }
    assert_true(by_host >= 1);

    /* nothing in flight any more: the host's again */
    usleep(200000);
    key(&s, 0xe05b, 1);
    key(&s, 0xe05b, 0);
    script_send(&s, in);
    got = check_log(&s);
    assert_int_equal(got[s.n - 2].by, BY_HOST);
    assert_int_equal(got[s.n - 1].by, BY_HOST);

    /* small bursts a few ms apart: the path changes back and forth */
    for (int i = 0; i < 12; i++) {
        key(&s, 0x02 + (uint32_t)i, 1);
        motion(&s, -i, i, 0);
        key(&s, 0x02 + (uint32_t)i, 0);
        script_send(&s, in);
        usleep(i % 3 * 2000);
    }
    check_log(&s);
    close(in);
    close(m);
    stop(t);
}

/* The client closes its INPUTS channel: the host's watch ends; a new
 * session's INPUTS is hosted and its keys arrive; that session's MAIN
 * closed, the server closes its INPUTS and the watch ends too. */
static void test_closed_by_client(void **st)
{
    const struct event *got;
    struct floe_server_thread *t;
    struct script s;
    int port, m, in, m2, in2;

    (void)st;
    t = start(1, &port);
    raw_session(port, &m, &in);
    await_watches(1, 0);
    script_init(&s);
    key(&s, 0x1e, 1);
    script_send(&s, in);
    check_log(&s);
    close(in);
    await_watches(1, 1);

    raw_session(port, &m2, &in2);
    await_watches(2, 1);
    key(&s, 0x1e, 0);
    key(&s, 0xe038, 1);
    script_send(&s, in2);
    got = check_log(&s);
    for (int i = 0; i < s.n; i++)
        assert_int_equal(got[i].by, BY_HOST);
    /* its MAIN gone, the server closes the session's INPUTS */
    close(m2);
    await_eof(in2, "INPUTS of a session without MAIN");
    await_watches(2, 2);
    close(in2);
    close(m);
    stop(t);
}

/* The server is freed while it hosts an INPUTS channel, messages still on
 * their way to its thread: the host sees the socket shut down and the
 * watch ends, the client sees EOF. */
static void test_closed_by_server(void **st)
{
    const struct event *got;
    struct floe_server_thread *t;
    struct script s;
    int port, m, in;

    (void)st;
    t = start(1, &port);
    raw_session(port, &m, &in);
    await_watches(1, 0);
    script_init(&s);
    key(&s, 0x1c, 1);
    script_send(&s, in);
    got = check_log(&s);
    assert_int_equal(got[0].by, BY_HOST);

    for (int i = 0; i < 100; i++) {
        motion(&s, i, 1, 0);
        key(&s, 0x1c, i & 1);
    }
    script_send(&s, in);   /* not waited for */
    floe_server_thread_free(t);
    await_watches(1, 1);
    await_eof(in, "INPUTS");
    await_eof(m, "MAIN");
    close(in);
    close(m);
    host_stop();
}

/* A KEY_DOWN of 2 bytes whose header says `size` bytes. */
static void send_bad_key(int fd, uint32_t size)
{
    struct floe_wbuf w;
    size_t at;

    floe_wbuf_init(&w, 0);
    at = spice_header_put(&w, 1, SPICE_MSGC_INPUTS_KEY_DOWN, 0);
    floe_put_u16(&w, 0x1e);
    floe_patch_u32(&w, at, size);
    send_all(fd, w.data, w.len);
    floe_wbuf_free(&w);
}

/* Bad input read on the host's thread closes the channel and ends its
 * watch: a KEY_DOWN of 2 bytes, a message larger than the server takes.
 * The server serves on: a new session's keys reach the host. */
static void test_bad_input_on_host_path(void **st)
{
    const struct event *got;
    struct floe_server_thread *t;
    struct script s;
    int port, m, in, m2, in2, m3, in3;

    (void)st;
    t = start(1, &port);
    raw_session(port, &m, &in);
    await_watches(1, 0);
    send_bad_key(in, 2);   /* KEY_DOWN's code takes 4 bytes */
    await_eof(in, "INPUTS after a truncated KEY_DOWN");
    await_watches(1, 1);

    raw_session(port, &m2, &in2);
    await_watches(2, 1);
    send_bad_key(in2, (1u << 20) + 1);   /* more than the server takes */
    await_eof(in2, "INPUTS after a message of 1 MiB + 1");
    await_watches(2, 2);

    raw_session(port, &m3, &in3);
    await_watches(3, 2);
    script_init(&s);
    key(&s, 0x10, 1);
    key(&s, 0x10, 0);
    script_send(&s, in3);
    got = check_log(&s);   /* nothing from the bad messages */
    assert_int_equal(got[0].by, BY_HOST);
    assert_int_equal(got[1].by, BY_HOST);
    close(in3);
    close(m3);
    close(in2);
    close(m2);
    close(in);
    close(m);
    stop(t);
}

/* Without a host keys and locks reach the sink on the server's thread,
 * and the host is never asked for anything. */
static void test_no_host(void **st)
{
    const struct event *got;
    struct floe_server_thread *t;
    struct script s;
    int port, m, in;

    (void)st;
    t = start(0, &port);
    raw_session(port, &m, &in);
    script_init(&s);
    key(&s, 0x1e, 1);
    key(&s, 0xe01d, 1);
    motion(&s, 3, 4, 0);
    key(&s, 0xe01d, 0);
    key(&s, 0x1e, 0);
    modifiers(&s, FLOE_LOCK_CAPS | FLOE_LOCK_SCROLL);
    script_send(&s, in);
    got = check_log(&s);
    for (int i = 0; i < s.n; i++)
        assert_int_equal(got[i].by, BY_SINK);
    await_watches(0, 0);
    close(in);
    close(m);
    stop(t);
}

/* A host that cannot take a channel: while call_fn fails the channel is
 * read on the server's thread, keys to the sink; when watch_fn fails the
 * channel is closed. */
static void test_host_refuses(void **st)
{
    const struct event *got;
    struct floe_server_thread *t;
    struct script s;
    int port, m, in, m2, in2, refused;

    (void)st;
    t = start(1, &port);
    host_refuse(1, 0);
    raw_session(port, &m, &in);
    script_init(&s);
    key(&s, 0x1e, 1);
    motion(&s, 1, 2, 0);
    key(&s, 0xe01d, 1);
    script_send(&s, in);
    got = check_log(&s);
    for (int i = 0; i < s.n; i++)
        assert_int_equal(got[i].by, BY_SINK);
    refused = host_refuse(0, 1);
    assert_true(refused >= 1);   /* the server asked */

    raw_session(port, &m2, &in2);
    await_eof(in2, "INPUTS the host could not watch");
    assert_int_equal(host_refuse(0, 0), refused + 1);
    await_watches(0, 0);
    close(in2);
    close(m2);
    close(in);
    close(m);
    stop(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_on_host_thread),
        cmocka_unit_test(test_order_kept),
        cmocka_unit_test(test_closed_by_client),
        cmocka_unit_test(test_closed_by_server),
        cmocka_unit_test(test_bad_input_on_host_path),
        cmocka_unit_test(test_no_host),
        cmocka_unit_test(test_host_refuses),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
