/* libFuzzer target for the server's whole read path: the link handshake, the
 * message framing and every channel's handlers, fed over adopted socketpairs.
 *
 * Input: one option byte (OPT_* below), then the bytes the client sends: its
 * messages after a valid link, or with OPT_RAW_LINK the link itself. Each
 * input ends only once the server has closed and freed every connection, so
 * LeakSanitizer sees anything a connection leaves behind. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "floe/server.h"
#include "protocol/spice/messages.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
    OPT_CHANNEL = 0x03,      /* fuzzed channel: MAIN, DISPLAY, INPUTS, CURSOR */
    OPT_FULL_HEADERS = 0x04, /* don't advertise MINI_HEADER */
    OPT_RAW_LINK = 0x08,     /* the bytes are the link itself (no valid link first) */
    OPT_PIECES = 0x30,       /* all at once; in pieces of 7 or 64 bytes; all and hang up */
    OPT_PRODUCER = 0x40,     /* the display producer draws between pieces */
    OPT_MAIN_FIRST = 0x80,   /* the client closes MAIN before the fuzzed channel */
};

/* Loop turns before a step that needs the server is declared stuck; each
 * turn is a non-blocking poll, so this is far below libFuzzer's timeout. */
#define PATIENCE 2000

static uv_loop_t loop;
static struct floe_server *srv;
static volatile uint32_t sink_sum;

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_server: %s\n", what);
    abort();
}

static void on_key(void *opaque, uint32_t scancode, int down)
{
    sink_sum += scancode + (uint32_t)down;
}

static void on_pointer(void *opaque, int x, int y, uint32_t buttons)
{
    sink_sum += (uint32_t)x * 31 + (uint32_t)y + buttons;
}

static void on_wheel(void *opaque, int delta)
{
    sink_sum += (uint32_t)delta;
}

#ifdef FUZZ_INPUT_HOST
/* The input host (floe_input_host) of fuzz_inputs_host: on the same loop,
 * the fuzzer's one thread, so its calls run at a later turn of the loop
 * and its watches are poll handles. */
struct host_call {
    struct host_call *next;
    void (*fn)(void *arg);
    void *arg;
};

struct host_watch {
    uv_poll_t poll;
    void (*ready)(void *arg);
    void *arg;
};

static uv_async_t host_wake;
static struct host_call *host_calls, **host_calls_tail = &host_calls;

static void on_host_wake(uv_async_t *a)
{
    struct host_call *c;

    while ((c = host_calls)) {
        host_calls = c->next;
        if (!host_calls)
            host_calls_tail = &host_calls;
        c->fn(c->arg);
        free(c);
    }
}

static int host_call(void *opaque, void (*fn)(void *arg), void *arg)
{
    struct host_call *c = malloc(sizeof(*c));

    if (!c)
        return -1;
    *c = (struct host_call){ NULL, fn, arg };
    *host_calls_tail = c;
    host_calls_tail = &c->next;
    uv_async_send(&host_wake);
    return 0;
}

static void on_host_poll(uv_poll_t *p, int status, int events)
{
    struct host_watch *w = p->data;

    w->ready(w->arg);
}

static void *host_watch(void *opaque, int fd, void (*ready)(void *arg), void *arg)
{
    struct host_watch *w = malloc(sizeof(*w));

    if (!w)
        return NULL;
    w->ready = ready;
    w->arg = arg;
    if (uv_poll_init(&loop, &w->poll, fd) < 0) {
        free(w);
        return NULL;
    }
    w->poll.data = w;
    uv_poll_start(&w->poll, UV_READABLE | UV_DISCONNECT, on_host_poll);
    return w;
}

static void free_handle(uv_handle_t *h)
{
    free(h->data);
}

static void host_unwatch(void *opaque, void *handle)
{
    struct host_watch *w = handle;

    uv_poll_stop(&w->poll);
    uv_close((uv_handle_t *)&w->poll, free_handle);
}

static void host_key(void *opaque, uint32_t scancode, int down)
{
    sink_sum += scancode * 3 + (uint32_t)down;
}

static void host_locks(void *opaque, uint32_t locks)
{
    sink_sum += locks;
}

static void set_input_host(void)
{
    static const struct floe_input_host host = { host_call, host_watch, host_unwatch,
                                                 host_key, host_locks, NULL };

    if (uv_async_init(&loop, &host_wake, on_host_wake) < 0)
        fail("no host wake-up");
    uv_unref((uv_handle_t *)&host_wake);
    floe_server_set_input_host(srv, &host);
}
#endif

#ifdef FUZZ_AGENT
/* A guest agent's port that takes bytes, but refuses every third offer
 * until woken (the relay keeps the chunks and the clients' tokens). */
static unsigned agent_offers;

static int agent_write(void *opaque, const uint8_t *p, size_t n)
{
    sink_sum += (uint32_t)n + (n ? p[n - 1] : 0);
    return ++agent_offers % 3 == 0 ? -EAGAIN : 0;
}

static void agent_reattach(void)
{
    floe_server_agent_detach(srv);
    if (floe_server_agent_attach(srv, &(struct floe_agent_port){ agent_write, NULL }) < 0)
        fail("no agent");
}
#endif

static void setup(void)
{
    static const struct floe_input_sink sink = { .key_fn = on_key, .pointer_fn = on_pointer,
                                                 .wheel_fn = on_wheel };
    struct floe_server_options opt = { .name = "fuzz", .disable_ticketing = 1 };
    uint32_t px[16 * 16], cur[8 * 8];

    if (uv_loop_init(&loop) < 0 || !(srv = floe_server_new(&loop, &opt)))
        fail("no server");
    floe_server_set_input_sink(srv, &sink);
#ifdef FUZZ_INPUT_HOST
    set_input_host();
#endif
    if (floe_server_surface_create(srv, 0, 64, 48) < 0)
        fail("no surface");
    for (int i = 0; i < 16 * 16; i++)
        px[i] = (uint32_t)i * 0x010203;
    for (int i = 0; i < 8 * 8; i++)
        cur[i] = i % 3 ? 0xff000000 | (uint32_t)i : 0;
    floe_server_draw_fill(srv, 0, &(struct floe_rect){ 0, 0, 64, 48 }, 0x336699);
    floe_server_draw_fill(srv, 0, &(struct floe_rect){ 8, 8, 20, 10 }, 0xffcc00);
    floe_server_draw_image(srv, 0, &(struct floe_rect){ 30, 20, 16, 16 }, px, 16 * 4);
    floe_server_cursor_set(srv, cur, 8, 8, 1, 1);
    floe_server_frame_end(srv);
}

/* One loop turn, then everything the server wrote to the client ends is discarded. */
static void turn(const int *fds, int n)
{
    uint8_t buf[65536];

    uv_run(&loop, UV_RUN_NOWAIT);
    for (int i = 0; i < n; i++)
        if (fds[i] >= 0)
            while (recv(fds[i], buf, sizeof(buf), MSG_DONTWAIT) > 0)
                ;
}

/* A new server connection; returns the client's end (non-blocking). */
static int connect_client(void)
{
    int sv[2];

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
        fail("socketpair");
    if (floe_server_adopt_fd(srv, sv[0]) < 0)
        fail("floe_server_adopt_fd");
    return sv[1];
}

/* Reads exactly n bytes the server sends on fd. */
static void recv_exact(int fd, uint8_t *buf, size_t n)
{
    size_t got = 0;

    for (int i = 0; got < n; i++) {
        ssize_t r = recv(fd, buf + got, n - got, MSG_DONTWAIT);

        if (r > 0) {
            got += (size_t)r;
            continue;
        }
        if (r == 0 || (errno != EAGAIN && errno != EINTR) || i > PATIENCE)
            fail("the server did not answer a valid link");
        uv_run(&loop, UV_RUN_NOWAIT);
    }
}

/* Sends everything unless the server has gone; both ends are drained meanwhile. */
static void send_all(int fd, const uint8_t *p, size_t n, const int *fds, int nfds)
{
    for (int i = 0; n > 0 && i < PATIENCE; i++) {
        ssize_t r = send(fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);

        if (r > 0) {
            p += r;
            n -= (size_t)r;
        } else if (r < 0 && errno != EAGAIN && errno != EINTR) {
            return; /* EPIPE, ECONNRESET: the server closed on us */
        } else {
            turn(fds, nfds);
        }
    }
}

/* Sends a client's link for one channel: header, SpiceLinkMess, auth
 * mechanism and ticket (disable_ticketing takes any). */
static void send_link(int fd, uint8_t type, uint32_t session, int mini, const int *fds, int nfds)
{
    struct spice_link_mess m = { .connection_id = session, .channel_type = type };
    struct spice_caps caps = { { 0 }, { 0 } };
    struct floe_wbuf w;

    spice_caps_set(caps.common, SPICE_COMMON_CAP_AUTH_SELECTION);
    spice_caps_set(caps.common, SPICE_COMMON_CAP_AUTH_SPICE);
    if (mini)
        spice_caps_set(caps.common, SPICE_COMMON_CAP_MINI_HEADER);
    if (type == SPICE_CHANNEL_MAIN)
        spice_caps_set(caps.channel, SPICE_MAIN_CAP_NAME_AND_UUID);
    if (type == SPICE_CHANNEL_DISPLAY)
        spice_caps_set(caps.channel, SPICE_DISPLAY_CAP_MONITORS_CONFIG);
    /* floe's render reports are read only from a client that announced them */
    if (type == SPICE_CHANNEL_DISPLAY)
        spice_caps_set(caps.channel, FLOE_DISPLAY_CAP_RENDER_REPORT);
    floe_wbuf_init(&w, 0);
    spice_link_mess_write(&w, &m, &caps);
    floe_put_u32(&w, SPICE_AUTH_SPICE);
    floe_put_zero(&w, SPICE_TICKET_BYTES);
    if (w.failed)
        fail("out of memory");
    send_all(fd, w.data, w.len, fds, nfds);
    floe_wbuf_free(&w);
}

/* Links a MAIN channel and returns the session id its MAIN_INIT gives. */
static uint32_t link_main(int fd)
{
    struct spice_link_header h;
    struct floe_rbuf r;
    uint8_t buf[SPICE_LINK_MAX_SIZE];
    uint16_t type;
    uint32_t len;

    send_link(fd, SPICE_CHANNEL_MAIN, 0, 1, &fd, 0); /* nothing drained: we read it */
    recv_exact(fd, buf, SPICE_SIZE_link_header);
    floe_rbuf_init(&r, buf, SPICE_SIZE_link_header);
    spice_link_header_get(&r, &h);
    if (spice_link_header_check(&h) != SPICE_LINK_ERR_OK || h.size < 4)
        fail("bad link reply");
    recv_exact(fd, buf, h.size);
    if (floe_le32(buf) != SPICE_LINK_ERR_OK)
        fail("MAIN link refused");
    recv_exact(fd, buf, 4 + SPICE_SIZE_mini_header);
    type = floe_le16(buf + 4);
    len = floe_le32(buf + 6);
    if (floe_le32(buf) != SPICE_LINK_ERR_OK || type != SPICE_MSG_MAIN_INIT ||
        len < SPICE_SIZE_main_init || len > sizeof(buf))
        fail("no MAIN_INIT");
    recv_exact(fd, buf, len);
    return floe_le32(buf);
}

/* What the display producer does while a client talks. */
static void produce(unsigned step)
{
    int x = (int)(step * 7 % 60), y = (int)(step * 5 % 44);

    floe_server_draw_fill(srv, 0, &(struct floe_rect){ x, y, 9, 7 }, step * 0x9e3779u);
    floe_server_copy_bits(srv, 0, x, y, &(struct floe_rect){ y, x % 40, 12, 6 });
    floe_server_cursor_move(srv, x, y);
    floe_server_frame_end(srv);
}

/* Sends the client's bytes in the pieces the options ask for; with the
 * last choice the client hangs up before the server has read them. */
static void feed(int fd, const uint8_t *p, size_t n, uint8_t opt, const int *fds, int nfds)
{
    static const size_t piece_sizes[] = { SIZE_MAX, 7, 64, SIZE_MAX };
    size_t piece = piece_sizes[(opt & OPT_PIECES) >> 4];

    for (unsigned step = 0; n > 0; step++) {
        size_t k = n < piece ? n : piece;

        send_all(fd, p, k, fds, nfds);
        p += k;
        n -= k;
        if ((opt & OPT_PIECES) == OPT_PIECES)
            return;
        turn(fds, nfds);
        if (opt & OPT_PRODUCER)
            produce(step);
    }
    for (int i = 0; i < 4; i++)
        turn(fds, nfds);
}

static void count_stream(uv_handle_t *h, void *arg)
{
    if (h->type == UV_TCP || h->type == UV_POLL)
        ++*(int *)arg;
}

/* Connections the server has not freed yet (and the input host's watches
 * of them): a connection that stopped reading and writing leaves the loop
 * without keeping it alive, so uv_loop_alive() alone would miss it. */
static int open_connections(void)
{
    int n = 0;

    uv_walk(&loop, count_stream, &n);
    return n;
}

/* Closes the client ends in order; returns once the server freed every connection. */
static void hang_up(int *fds, int nfds)
{
    for (int i = 0; i < nfds; i++) {
        close(fds[i]);
        fds[i] = -1;
        for (int k = 0; k < 4; k++)
            turn(fds, nfds);
    }
    for (int i = 0; open_connections() > 0; i++) {
        if (i > PATIENCE)
            fail("the server kept a connection open after its client left");
        uv_run(&loop, UV_RUN_NOWAIT);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    setenv("FLOE_LOG", "error", 0); /* the server logs every link at info */
    signal(SIGPIPE, SIG_IGN);       /* as a host does: the library leaves it to us */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t types[] = { SPICE_CHANNEL_MAIN, SPICE_CHANNEL_DISPLAY,
                                     SPICE_CHANNEL_INPUTS, SPICE_CHANNEL_CURSOR };
    int fds[2] = { -1, -1 }, nfds = 1;
    uint32_t session = 0;
    uint8_t opt, type;

    if (size < 1)
        return 0;
    if (!srv)
        setup();
    opt = data[0];
    data++;
    size--;
    type = types[opt & OPT_CHANNEL];
    floe_server_cursor_move(srv, 0, 0); /* inputs move it: start each run alike */
#ifdef FUZZ_AGENT
    /* two bytes: how many of the rest the guest writes (then the client's) */
    {
        size_t g;

        if (size < 2)
            return 0;
        g = (size_t)(data[0] | data[1] << 8);
        data += 2;
        size -= 2;
        if (g > size)
            g = size;
        agent_reattach();
        type = SPICE_CHANNEL_MAIN;
        opt &= (uint8_t)~OPT_RAW_LINK;
        fds[0] = connect_client();
        send_link(fds[0], type, 0, !(opt & OPT_FULL_HEADERS), fds, nfds);
        for (size_t at = 0; at < g; at += 61) {
            floe_server_agent_from_guest(srv, data + at, g - at < 61 ? g - at : 61);
            floe_server_agent_wake(srv);
            turn(fds, nfds);
        }
        feed(fds[0], data + g, size - g, opt, fds, nfds);
        floe_server_agent_wake(srv);
        hang_up(fds, nfds);
        return 0;
    }
#endif
    if (!(opt & OPT_RAW_LINK) && type != SPICE_CHANNEL_MAIN) {
        fds[1] = connect_client();
        session = link_main(fds[1]);
        nfds = 2;
    }
    fds[0] = connect_client();
    if (!(opt & OPT_RAW_LINK))
        send_link(fds[0], type, session, !(opt & OPT_FULL_HEADERS), fds, nfds);
    feed(fds[0], data, size, opt, fds, nfds);
    if ((opt & OPT_MAIN_FIRST) && nfds == 2) {
        int t = fds[0];

        fds[0] = fds[1];
        fds[1] = t;
    }
    hang_up(fds, nfds);
    return 0;
}
