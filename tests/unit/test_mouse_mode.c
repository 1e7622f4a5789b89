/* Unit tests of the server's mouse modes as a host sets them
 * (floe_server_set_mouse_modes) and its input sink sees them: MAIN_INIT and
 * MAIN_MOUSE_MODE carry the modes allowed, a request for a mode not allowed
 * is refused, clients in client mode are switched when it goes, relative
 * motion reaches motion_fn in server mode and absolute positions
 * pointer_fn in client mode only, and a host without motion_fn keeps
 * relative motion moving the absolute position. A raw client (messages
 * from protocol/'s descriptions) asks what a well-behaved one would not;
 * libfloe-client shows a real client following the changes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "floe/client.h"
#include "floe/server.h"
#include "protocol/spice/enums.h"
#include "protocol/spice/messages.h"
#include "protocol/spice/wire.h"
#include "tests/unit/raw_session.h"

#define W 64
#define H 48

/* ---- what the host's input sink was handed ---- */

struct seen {
    pthread_mutex_t lock;
    int motions, positions, modes;
    int dx, dy, x, y;                 /* the last motion's and position's */
    uint32_t motion_buttons, position_buttons, mode;
};

/* static: a server left running by a failed check must not write into the
 * next test's stack */
static struct seen seen = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void on_motion(void *opaque, int dx, int dy, uint32_t buttons)
{
    struct seen *s = opaque;

    pthread_mutex_lock(&s->lock);
    s->motions++;
    s->dx = dx;
    s->dy = dy;
    s->motion_buttons = buttons;
    pthread_mutex_unlock(&s->lock);
}

static void on_pointer(void *opaque, int x, int y, uint32_t buttons)
{
    struct seen *s = opaque;

    pthread_mutex_lock(&s->lock);
    s->positions++;
    s->x = x;
    s->y = y;
    s->position_buttons = buttons;
    pthread_mutex_unlock(&s->lock);
}

static void on_mode(void *opaque, uint32_t mode)
{
    struct seen *s = opaque;

    pthread_mutex_lock(&s->lock);
    s->modes++;
    s->mode = mode;
    pthread_mutex_unlock(&s->lock);
}

static struct seen snap(void)
{
    struct seen copy;

    pthread_mutex_lock(&seen.lock);
    copy = seen;
    pthread_mutex_unlock(&seen.lock);
    return copy;
}

/* ---- the server on its own thread ---- */

enum op { OP_LISTEN, OP_SINK, OP_SINK_NO_MOTION, OP_MODES };

struct call {
    enum op op;
    uint32_t num;
    int port, rc;
};

static void on_server(struct floe_server *s, void *opaque)
{
    struct call *c = opaque;
    struct floe_input_sink sink = { .pointer_fn = on_pointer, .mouse_mode_fn = on_mode,
                                    .opaque = &seen };
    struct floe_rect all = { 0, 0, W, H };

    switch (c->op) {
    case OP_LISTEN:
        c->rc = floe_server_listen(s, "127.0.0.1", 0, &c->port);
        floe_server_surface_create(s, 0, W, H);
        floe_server_draw_fill(s, 0, &all, 0x204060);
        floe_server_frame_end(s);
        break;
    case OP_SINK:
        sink.motion_fn = on_motion;
        floe_server_set_input_sink(s, &sink);
        break;
    case OP_SINK_NO_MOTION: floe_server_set_input_sink(s, &sink); break;
    case OP_MODES: floe_server_set_mouse_modes(s, c->num); break;
    }
}

static void srv(struct floe_server_thread *t, enum op op, uint32_t num)
{
    struct call c = { .op = op, .num = num };

    assert_int_equal(floe_server_thread_call_wait(t, on_server, &c), 0);
}

/* A server allowing `modes`, its sink with or without motion_fn; *port. */
static struct floe_server_thread *start(uint32_t modes, int with_motion, int *port)
{
    struct floe_server_thread *t =
        floe_server_thread_new(&(struct floe_server_options){ .disable_ticketing = 1 });
    struct call c = { .op = OP_LISTEN };

    assert_non_null(t);
    pthread_mutex_lock(&seen.lock);
    seen.motions = seen.positions = seen.modes = 0;
    seen.dx = seen.dy = seen.x = seen.y = 0;
    seen.motion_buttons = seen.position_buttons = seen.mode = 0;
    pthread_mutex_unlock(&seen.lock);
    assert_int_equal(floe_server_thread_call_wait(t, on_server, &c), 0);
    assert_int_equal(c.rc, 0);
    *port = c.port;
    srv(t, OP_MODES, modes);
    srv(t, with_motion ? OP_SINK : OP_SINK_NO_MOTION, 0);
    return t;
}

static struct spice_mouse_mode read_mouse_mode(int main_fd)
{
    static const uint16_t want[] = { SPICE_MSG_MAIN_MOUSE_MODE, 0 };
    struct spice_mouse_mode m;
    struct floe_rbuf r;
    uint8_t body[4096];

    raw_read(main_fd, want, body, sizeof(body));
    floe_rbuf_init(&r, body, 4);
    spice_mouse_mode_get(&r, &m);
    return m;
}

static void request_mode(int main_fd, uint16_t mode)
{
    RAW_SEND(main_fd, SPICE_MSGC_MAIN_MOUSE_MODE_REQUEST,
             spice_mouse_mode_request_put(&w_, &(struct spice_mouse_mode_request){ mode }));
}

static void send_position(int in, uint32_t x, uint32_t y, uint16_t buttons)
{
    RAW_SEND(in, SPICE_MSGC_INPUTS_MOUSE_POSITION,
             spice_mouse_position_put(&w_, &(struct spice_mouse_position){ x, y, buttons, 0 }));
}

static void send_motion(int in, int32_t dx, int32_t dy, uint16_t buttons)
{
    RAW_SEND(in, SPICE_MSGC_INPUTS_MOUSE_MOTION,
             spice_mouse_motion_put(&w_, &(struct spice_mouse_motion){ dx, dy, buttons }));
}

static void send_button(int in, uint16_t type, uint8_t button, uint16_t buttons)
{
    RAW_SEND(in, type, spice_mouse_button_put(&w_, &(struct spice_mouse_button){ button, buttons }));
}

/* Waits until the sink has seen `motions` motions and `positions`
 * positions: the snapshot then, or a failed check after 10 s. */
static struct seen await(int motions, int positions)
{
    struct seen s = snap();

    for (int i = 0; i < 1000 && (s.motions < motions || s.positions < positions); i++) {
        usleep(10000);
        s = snap();
    }
    assert_int_equal(s.motions, motions);
    assert_int_equal(s.positions, positions);
    return s;
}

/* MAIN and INPUTS of a new raw session; MAIN_INIT's modes in *init. */
static void raw_session(int port, int *main_fd, int *in, struct spice_main_init *init)
{
    static const uint16_t main_init[] = { SPICE_MSG_MAIN_INIT, 0 };
    static const uint16_t inputs_init[] = { SPICE_MSG_INPUTS_INIT, 0 };
    uint8_t body[4096];
    struct floe_rbuf r;

    *main_fd = raw_link(port, 0, SPICE_CHANNEL_MAIN);
    raw_read(*main_fd, main_init, body, sizeof(body));
    floe_rbuf_init(&r, body, sizeof(body));
    spice_main_init_get(&r, init);
    *in = raw_link(port, init->session_id, SPICE_CHANNEL_INPUTS);
    raw_read(*in, inputs_init, body, sizeof(body));
}

/* ---- the tests ---- */

/* Server mode only: INIT says so, client mode is refused, positions are
 * dropped, motion and buttons reach motion_fn. Client mode allowed later:
 * the client is told, takes it, and positions reach pointer_fn while
 * motion is dropped. Client mode gone: the client is put back. */
static void test_modes_and_refusal(void **st)
{
    struct floe_server_thread *t;
    struct spice_main_init init;
    struct spice_mouse_mode mm;
    struct seen s;
    int port, m, in;

    (void)st;
    t = start(FLOE_MOUSE_MODE_SERVER, 1, &port);
    s = snap();
    assert_int_equal(s.mode, FLOE_MOUSE_MODE_SERVER);   /* told when the sink was set */
    raw_session(port, &m, &in, &init);
    assert_int_equal(init.supported_mouse_modes, SPICE_MOUSE_MODE_SERVER);
    assert_int_equal(init.current_mouse_mode, SPICE_MOUSE_MODE_SERVER);

    request_mode(m, SPICE_MOUSE_MODE_CLIENT);
    mm = read_mouse_mode(m);
    assert_int_equal(mm.supported_modes, SPICE_MOUSE_MODE_SERVER);
    assert_int_equal(mm.current_mode, SPICE_MOUSE_MODE_SERVER);   /* refused */

    send_position(in, 10, 10, 0);   /* dropped: server mode */
    send_motion(in, 7, -3, SPICE_MOUSE_BUTTON_MASK_LEFT);
    s = await(1, 0);
    assert_int_equal(s.dx, 7);
    assert_int_equal(s.dy, -3);
    assert_int_equal(s.motion_buttons, 1);
    send_button(in, SPICE_MSGC_INPUTS_MOUSE_PRESS, SPICE_MOUSE_BUTTON_RIGHT,
                SPICE_MOUSE_BUTTON_MASK_LEFT | SPICE_MOUSE_BUTTON_MASK_RIGHT);
    s = await(2, 0);
    assert_int_equal(s.dx, 0);
    assert_int_equal(s.dy, 0);
    assert_int_equal(s.motion_buttons, 5);
    assert_int_equal(s.mode, FLOE_MOUSE_MODE_SERVER);

    /* client mode comes: the client is told, still in server mode */
    srv(t, OP_MODES, FLOE_MOUSE_MODE_SERVER | FLOE_MOUSE_MODE_CLIENT);
    mm = read_mouse_mode(m);
    assert_int_equal(mm.supported_modes, SPICE_MOUSE_MODE_SERVER | SPICE_MOUSE_MODE_CLIENT);
    assert_int_equal(mm.current_mode, SPICE_MOUSE_MODE_SERVER);
    request_mode(m, SPICE_MOUSE_MODE_CLIENT);
    mm = read_mouse_mode(m);
    assert_int_equal(mm.current_mode, SPICE_MOUSE_MODE_CLIENT);
    send_motion(in, 1, 1, 0);       /* dropped: client mode */
    send_position(in, 20, 30, SPICE_MOUSE_BUTTON_MASK_MIDDLE);
    s = await(2, 1);
    assert_int_equal(s.x, 20);
    assert_int_equal(s.y, 30);
    assert_int_equal(s.position_buttons, 2);
    assert_int_equal(s.mode, FLOE_MOUSE_MODE_CLIENT);

    /* client mode goes: the client is switched back and told */
    srv(t, OP_MODES, FLOE_MOUSE_MODE_SERVER);
    mm = read_mouse_mode(m);
    assert_int_equal(mm.supported_modes, SPICE_MOUSE_MODE_SERVER);
    assert_int_equal(mm.current_mode, SPICE_MOUSE_MODE_SERVER);
    assert_int_equal(snap().mode, FLOE_MOUSE_MODE_SERVER);
    send_position(in, 40, 40, 0);   /* dropped again */
    send_motion(in, -2, 5, 0);
    s = await(3, 1);
    assert_int_equal(s.dx, -2);
    assert_int_equal(s.dy, 5);
    close(in);
    close(m);
    floe_server_thread_free(t);
}

/* libfloe-client follows the host's changes: client mode taken when
 * allowed, server mode when not, relative motion then to motion_fn. */
static void test_client_follows(void **st)
{
    struct floe_server_thread *t;
    struct floe_client *c;
    char err[128];
    struct seen s;
    int port, mode = 0;

    (void)st;
    t = start(FLOE_MOUSE_MODE_SERVER | FLOE_MOUSE_MODE_CLIENT, 1, &port);
    assert_int_equal(snap().mode, FLOE_MOUSE_MODE_CLIENT);   /* what a new client gets */
    c = floe_client_new(&(struct floe_client_options){ .host = "127.0.0.1", .port = port });
    assert_non_null(c);
    assert_int_equal(floe_client_connect(c, err, sizeof(err)), 0);
    for (int i = 0; i < 500 && !(floe_client_inputs_ready(c) && floe_client_mouse_mode(c) == 2); i++)
        floe_client_poll(c, 20);
    assert_int_equal(floe_client_mouse_mode(c), 2);

    srv(t, OP_MODES, FLOE_MOUSE_MODE_SERVER);
    for (int i = 0; i < 500 && (mode = floe_client_mouse_mode(c)) != 1; i++)
        floe_client_poll(c, 20);
    assert_int_equal(mode, 1);
    assert_int_equal(snap().mode, FLOE_MOUSE_MODE_SERVER);
    floe_client_mouse_motion(c, 4, 6);
    for (int i = 0; i < 500 && snap().motions < 1; i++)
        floe_client_poll(c, 20);
    s = snap();
    assert_int_equal(s.motions, 1);
    assert_int_equal(s.dx, 4);
    assert_int_equal(s.dy, 6);

    /* client mode back: the client asks for it and gets it */
    srv(t, OP_MODES, FLOE_MOUSE_MODE_SERVER | FLOE_MOUSE_MODE_CLIENT);
    for (int i = 0; i < 500 && (mode = floe_client_mouse_mode(c)) != 2; i++)
        floe_client_poll(c, 20);
    assert_int_equal(mode, 2);
    floe_client_mouse_position(c, 11, 12);
    for (int i = 0; i < 500 && snap().positions < 1; i++)
        floe_client_poll(c, 20);
    s = snap();
    assert_int_equal(s.x, 11);
    assert_int_equal(s.y, 12);
    assert_int_equal(s.mode, FLOE_MOUSE_MODE_CLIENT);

    /* the client gone, server mode only: a new client would start in it */
    floe_client_free(c);
    srv(t, OP_MODES, FLOE_MOUSE_MODE_SERVER);
    for (int i = 0; i < 500 && snap().mode != FLOE_MOUSE_MODE_SERVER; i++)
        usleep(10000);
    assert_int_equal(snap().mode, FLOE_MOUSE_MODE_SERVER);
    floe_server_thread_free(t);
}

/* A host without motion_fn: relative motion moves the absolute position
 * handed to pointer_fn, in either mode, as before mouse modes were the
 * host's to set. */
static void test_without_motion_fn(void **st)
{
    struct floe_server_thread *t;
    struct spice_main_init init;
    struct seen s;
    int port, m, in;

    (void)st;
    t = start(FLOE_MOUSE_MODE_SERVER | FLOE_MOUSE_MODE_CLIENT, 0, &port);
    raw_session(port, &m, &in, &init);
    assert_int_equal(init.supported_mouse_modes, SPICE_MOUSE_MODE_SERVER | SPICE_MOUSE_MODE_CLIENT);
    assert_int_equal(init.current_mouse_mode, SPICE_MOUSE_MODE_CLIENT);
    send_position(in, 10, 10, 0);
    send_motion(in, 5, 7, SPICE_MOUSE_BUTTON_MASK_LEFT);
    s = await(0, 2);
    assert_int_equal(s.x, 15);
    assert_int_equal(s.y, 17);
    assert_int_equal(s.position_buttons, 1);
    request_mode(m, SPICE_MOUSE_MODE_SERVER);
    assert_int_equal(read_mouse_mode(m).current_mode, SPICE_MOUSE_MODE_SERVER);
    send_motion(in, -100, 1000, 0);  /* clamped to the surface */
    s = await(0, 3);
    assert_int_equal(s.x, 0);
    assert_int_equal(s.y, H - 1);
    close(in);
    close(m);
    floe_server_thread_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_modes_and_refusal),
        cmocka_unit_test(test_client_follows),
        cmocka_unit_test(test_without_motion_fn),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
