/* Unit tests for the server API a host drives at run time: tickets in
 * memory, a unix socket listener, the monitor count, channel events and
 * exclusive sessions, each seen through real libfloe-client sessions. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "floe/client.h"
#include "floe/server.h"

#define W 80
#define H 48
#define COLOUR0 0x3060c0u
#define COLOUR1 0xc08020u

/* SPICE channel types */
enum { MAIN = 1, DISPLAY = 2, INPUTS = 3, CURSOR = 4 };

/* ---- the channel events a host would get ---- */

#define MAX_EVENTS 256

struct event {
    int event;
    struct floe_channel_info info;
};

/* Each test's recorder is static: a server left running by a failed check
 * must not write into the next test's stack. */
struct recorder {
    pthread_mutex_t lock;
    int n;
    struct event ev[MAX_EVENTS];
};

static void record(void *opaque, int event, const struct floe_channel_info *info)
{
    struct recorder *r = opaque;

    pthread_mutex_lock(&r->lock);
    if (r->n < MAX_EVENTS)
        r->ev[r->n++] = (struct event){ event, *info };
    pthread_mutex_unlock(&r->lock);
}

/* How many events of that kind; for one type of channel when type > 0. */
static int count(struct recorder *r, int event, int type)
{
    int n = 0;

    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < r->n; i++)
        n += r->ev[i].event == event && (type <= 0 || r->ev[i].info.type == type);
    pthread_mutex_unlock(&r->lock);
    return n;
}

/* Each connection's events, in order: "C", "CI", "CD", "CID"... into out
 * (indexed like conns), for the n connections seen. */
static int sequences(struct recorder *r, uint64_t *conns, char (*out)[8], int max)
{
    int n = 0;

    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < r->n; i++) {
        const struct event *e = &r->ev[i];
        int k = 0;
        size_t len;

        while (k < n && conns[k] != e->info.conn)
            k++;
        if (k == n) {
            if (n == max)
                continue;
            conns[n] = e->info.conn;
            out[n++][0] = 0;
        }
        len = strlen(out[k]);
        if (len < 7) {
            out[k][len] = "?CID"[e->event >= 1 && e->event <= 3 ? e->event : 0];
            out[k][len + 1] = 0;
        }
    }
    pthread_mutex_unlock(&r->lock);
    return n;
}

/* ---- calls on the server's thread ---- */

enum op {
    OP_LISTEN, OP_LISTEN_UNIX, OP_TICKET, OP_NO_TICKETING, OP_EXCLUSIVE, OP_MONITORS,
    OP_SINK, OP_PICTURE, OP_STATS,
};

struct call {
    enum op op;
    const char *str;
    long num;
    void *ptr;
    int rc;
    struct floe_server_stats st;
};

/* A picture on monitor k: one colour over the whole surface. */
static void picture(struct floe_server *s, int k, uint32_t rgb)
{
    struct floe_rect all = { 0, 0, W, H };

    floe_server_surface_create(s, (uint32_t)k, W, H);
    floe_server_draw_fill(s, (uint32_t)k, &all, rgb);
    floe_server_frame_end(s);
}

static void on_server(struct floe_server *s, void *opaque)
{
    struct call *c = opaque;

    switch (c->op) {
    case OP_LISTEN: c->rc = floe_server_listen(s, "127.0.0.1", 0, (int *)c->ptr); break;
    case OP_LISTEN_UNIX: c->rc = floe_server_listen_unix(s, c->str); break;
    case OP_TICKET: c->rc = floe_server_set_ticket(s, c->str, (time_t)c->num); break;
    case OP_NO_TICKETING: floe_server_set_disable_ticketing(s, (int)c->num); break;
    case OP_EXCLUSIVE: floe_server_set_exclusive(s, (int)c->num); break;
    case OP_MONITORS:
        c->rc = floe_server_set_monitors(s, (int)c->num);
        if (c->rc == 0)
            c->rc = floe_server_monitors(s);
        break;
    case OP_SINK:
        floe_server_set_event_sink(s, &(struct floe_event_sink){ record, c->ptr });
        break;
    case OP_PICTURE: picture(s, (int)c->num, (uint32_t)(uintptr_t)c->ptr); break;
    case OP_STATS: floe_server_get_stats(s, &c->st); break;
    }
}

static int srv(struct floe_server_thread *t, enum op op, const char *str, long num, void *ptr)
{
    struct call c = { .op = op, .str = str, .num = num, .ptr = ptr, .rc = -1 };

    assert_int_equal(floe_server_thread_call_wait(t, on_server, &c), 0);
    return c.rc;
}

static int sessions(struct floe_server_thread *t)
{
    struct call c = { .op = OP_STATS };

    assert_int_equal(floe_server_thread_call_wait(t, on_server, &c), 0);
    return c.st.clients;
}

/* A server on its own thread listening on TCP (*port), showing COLOUR0. */
static struct floe_server_thread *start(const struct floe_server_options *o, int *port)
{
    struct floe_server_thread *t = floe_server_thread_new(o);

    assert_non_null(t);
    assert_int_equal(srv(t, OP_LISTEN, NULL, 0, port), 0);
    assert_true(*port > 0);
    srv(t, OP_PICTURE, NULL, 0, (void *)(uintptr_t)COLOUR0);
    return t;
}

/* ---- clients ---- */

/* A client linked to port with password, or NULL with the reason in err. */
static struct floe_client *client(int port, const char *password, char *err, size_t len)
{
    struct floe_client *c = floe_client_new(
        &(struct floe_client_options){ .host = "127.0.0.1", .port = port, .password = password });

    assert_non_null(c);
    err[0] = 0;
    if (floe_client_connect(c, err, len) < 0) {
        floe_client_free(c);
        return NULL;
    }
    return c;
}

/* 1 if a client with that password links (MAIN); the refusal in err. */
static int links(int port, const char *password, char *err, size_t len)
{
    struct floe_client *c = client(port, password, err, len);

    floe_client_free(c);
    return c != NULL;
}

/* Runs the network of every client for about ms milliseconds. */
static void pump(struct floe_client **cs, int n, int ms)
{
    for (int waited = 0; waited < ms; waited += 10)
        for (int i = 0; i < n; i++)
            if (cs[i] && floe_client_is_connected(cs[i]))
                floe_client_poll(cs[i], 10 / n + 1);
            else
                usleep(10000 / (unsigned)n);
}

/* 1 once monitor k of c shows rgb all over a W x H surface. */
static int shows(struct floe_client *c, int k, uint32_t rgb)
{
    struct floe_client_canvas cv;
    int ok = floe_client_canvas_lock_monitor(c, k, &cv) == 0 && cv.width == W &&
             cv.height == H;

    for (int y = 0; ok && y < H; y += 7)
        for (int x = 0; ok && x < W; x += 5) {
            const uint8_t *row = (const uint8_t *)cv.pixels + (size_t)y * cv.stride;

            ok = (((const uint32_t *)row)[x] & 0xffffff) == rgb;
        }
    floe_client_canvas_unlock(c);
    return ok;
}

/* Runs c (and the others in cs) until monitor k shows rgb and its inputs
 * channel is linked (every channel of CHANNELS_LIST is, then): 1, or 0
 * after 10 s. */
static int settle(struct floe_client *c, struct floe_client **cs, int n, int k, uint32_t rgb)
{
    for (int i = 0; i < 500; i++) {
        if (shows(c, k, rgb) && floe_client_inputs_ready(c))
            return 1;
        if (!floe_client_is_connected(c))
            return 0;
        pump(cs, n, 20);
    }
    return 0;
}

/* Runs the clients until c is disconnected: 1, or 0 after 10 s. */
static int until_gone(struct floe_client *c, struct floe_client **cs, int n)
{
    for (int i = 0; i < 500 && floe_client_is_connected(c); i++)
        pump(cs, n, 20);
    return !floe_client_is_connected(c);
}

/* Waits until the recorder holds `want` events of that kind: 1, or 0 after 10 s. */
static int await(struct recorder *r, int event, int want)
{
    for (int i = 0; i < 1000 && count(r, event, 0) < want; i++)
        usleep(10000);
    return count(r, event, 0) == want;
}

static char *temp_dir(void)
{
    char *d = strdup("/tmp/floe-api.XXXXXX");

    assert_non_null(mkdtemp(d));
    return d;
}

/* ---- tickets ---- */

static void test_ticket(void **st)
{
    struct floe_server_thread *t;
    char err[256], path[256], *dir = temp_dir(), long_pw[62];
    int port;
    FILE *f;

    snprintf(path, sizeof(path), "%s/pw", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("file-pass\n", f);
    fclose(f);
    t = start(&(struct floe_server_options){ .password_file = path }, &port);

    /* the file decides while no ticket is set */
    assert_true(links(port, "file-pass", err, sizeof(err)));
    assert_false(links(port, "mem-pass", err, sizeof(err)));

    /* a ticket wins over the file */
    assert_int_equal(srv(t, OP_TICKET, "mem-pass", 0, NULL), 0);
    assert_true(links(port, "mem-pass", err, sizeof(err)));
    assert_false(links(port, "file-pass", err, sizeof(err)));
    assert_string_equal(err, "link refused: PERMISSION_DENIED");
    assert_false(links(port, "mem-pas", err, sizeof(err)));
    assert_false(links(port, "mem-passs", err, sizeof(err)));
    assert_false(links(port, NULL, err, sizeof(err)));

    /* expiry: the right password is refused once it is past */
    assert_int_equal(srv(t, OP_TICKET, "mem-pass", (long)time(NULL) - 5, NULL), 0);
    assert_false(links(port, "mem-pass", err, sizeof(err)));
    assert_string_equal(err, "link refused: PERMISSION_DENIED");
    assert_int_equal(srv(t, OP_TICKET, "mem-pass", (long)time(NULL) + 3600, NULL), 0);
    assert_true(links(port, "mem-pass", err, sizeof(err)));

    /* 60 characters at most */
    memset(long_pw, 'x', 61);
    long_pw[61] = 0;
    assert_int_equal(srv(t, OP_TICKET, long_pw, 0, NULL), -EINVAL);
    assert_true(links(port, "mem-pass", err, sizeof(err)));   /* unchanged */
    long_pw[60] = 0;
    assert_int_equal(srv(t, OP_TICKET, long_pw, 0, NULL), 0);
    assert_true(links(port, long_pw, err, sizeof(err)));
    long_pw[59] = 0;
    assert_false(links(port, long_pw, err, sizeof(err)));

    /* an empty ticket matches nothing, not even an empty password */
    assert_int_equal(srv(t, OP_TICKET, "", 0, NULL), 0);
    assert_false(links(port, NULL, err, sizeof(err)));
    assert_false(links(port, "file-pass", err, sizeof(err)));

    /* cleared: the file decides again; with no file, nobody links */
    assert_int_equal(srv(t, OP_TICKET, NULL, 0, NULL), 0);
    assert_true(links(port, "file-pass", err, sizeof(err)));
    unlink(path);
    assert_false(links(port, "file-pass", err, sizeof(err)));
    assert_false(links(port, "mem-pass", err, sizeof(err)));

    /* ticketing off at run time: any password; on again: refused again */
    srv(t, OP_NO_TICKETING, NULL, 1, NULL);
    assert_true(links(port, "anything", err, sizeof(err)));
    srv(t, OP_NO_TICKETING, NULL, 0, NULL);
    assert_false(links(port, "anything", err, sizeof(err)));

    floe_server_thread_free(t);
    rmdir(dir);
    free(dir);
}

/* ---- a unix socket, reached by the TCP client through a relay ---- */

#define RELAY_PAIRS 16

/* Forwards each TCP connection to the unix socket, both ways, on a thread. */
struct relay {
    pthread_t thread;
    int listen_fd, port, stop[2];
    char path[108];
    int tcp[RELAY_PAIRS], unx[RELAY_PAIRS];
};

static int unix_connect(const char *path)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static void relay_accept(struct relay *r)
{
    int fd = accept(r->listen_fd, NULL, NULL), k = 0;

    while (k < RELAY_PAIRS && r->tcp[k] >= 0)
        k++;
    if (fd < 0)
        return;
    r->unx[k == RELAY_PAIRS ? 0 : k] = -1;
    if (k == RELAY_PAIRS || (r->unx[k] = unix_connect(r->path)) < 0) {
        close(fd);
        return;
    }
    r->tcp[k] = fd;
}

/* Copies what fd `from` has to `to`; 0, or -1 when the pair is done. */
static int relay_copy(int from, int to)
{
    char buf[65536];
    ssize_t n = read(from, buf, sizeof(buf));

    for (ssize_t off = 0; n > 0 && off < n;) {
        ssize_t w = send(to, buf + off, (size_t)(n - off), MSG_NOSIGNAL);

        if (w <= 0)
            return -1;
        off += w;
    }
    return n > 0 ? 0 : -1;
}

static void *relay_main(void *arg)
{
    struct relay *r = arg;

    for (;;) {
        struct pollfd p[2 + 2 * RELAY_PAIRS];
        int n = 2;

        p[0] = (struct pollfd){ r->stop[0], POLLIN, 0 };
        p[1] = (struct pollfd){ r->listen_fd, POLLIN, 0 };
        for (int k = 0; k < RELAY_PAIRS; k++) {
            p[n++] = (struct pollfd){ r->tcp[k], POLLIN, 0 };   /* -1 is skipped */
            p[n++] = (struct pollfd){ r->unx[k], POLLIN, 0 };
        }
        if (poll(p, (nfds_t)n, -1) < 0)
            continue;
        if (p[0].revents)
            return NULL;
        if (p[1].revents)
            relay_accept(r);
        for (int k = 0; k < RELAY_PAIRS; k++) {
            int bad = (p[2 + 2 * k].revents && relay_copy(r->tcp[k], r->unx[k]) < 0) ||
                      (p[3 + 2 * k].revents && relay_copy(r->unx[k], r->tcp[k]) < 0);

            if (bad && r->tcp[k] >= 0) {
                close(r->tcp[k]);
                close(r->unx[k]);
                r->tcp[k] = r->unx[k] = -1;
            }
        }
    }
}

static void relay_start(struct relay *r, const char *path)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t len = sizeof(a);

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    snprintf(r->path, sizeof(r->path), "%s", path);
    for (int k = 0; k < RELAY_PAIRS; k++)
        r->tcp[k] = r->unx[k] = -1;
    r->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(r->listen_fd >= 0);
    assert_int_equal(bind(r->listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(r->listen_fd, 16), 0);
    assert_int_equal(getsockname(r->listen_fd, (struct sockaddr *)&a, &len), 0);
    r->port = ntohs(a.sin_port);
    assert_int_equal(pipe(r->stop), 0);
    assert_int_equal(pthread_create(&r->thread, NULL, relay_main, r), 0);
}

static void relay_stop(struct relay *r)
{
    assert_int_equal(write(r->stop[1], "x", 1), 1);
    pthread_join(r->thread, NULL);
    for (int k = 0; k < RELAY_PAIRS; k++)
        if (r->tcp[k] >= 0) {
            close(r->tcp[k]);
            close(r->unx[k]);
        }
    close(r->listen_fd);
    close(r->stop[0]);
    close(r->stop[1]);
}

/* A socket file nobody listens on any more. */
static void stale_socket(const char *path)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    close(fd);
}

static void test_unix_socket(void **st)
{
    static struct recorder rec = { .lock = PTHREAD_MUTEX_INITIALIZER };
    struct floe_server_options o = { .disable_ticketing = 1 };
    char sock[100], file[100], other[100], *dir = temp_dir(), err[256], buf[16] = { 0 };
    struct floe_server_thread *t;
    struct floe_client *c;
    struct relay r;
    struct stat sb;
    int port, fd, n_init;

    snprintf(sock, sizeof(sock), "%s/spice.sock", dir);
    snprintf(file, sizeof(file), "%s/not-a-socket", dir);
    snprintf(other, sizeof(other), "%s/other.sock", dir);
    fd = open(file, O_WRONLY | O_CREAT, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "keep", 4), 4);
    close(fd);
    stale_socket(sock);

    t = start(&o, &port);
    srv(t, OP_SINK, NULL, 0, &rec);
    /* a file that is not a socket is never removed */
    assert_int_equal(srv(t, OP_LISTEN_UNIX, file, 0, NULL), -EEXIST);
    fd = open(file, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, buf, sizeof(buf)), 4);
    assert_string_equal(buf, "keep");
    close(fd);
    /* a stale socket file is replaced */
    assert_int_equal(srv(t, OP_LISTEN_UNIX, sock, 0, NULL), 0);
    assert_int_equal(stat(sock, &sb), 0);
    assert_true(S_ISSOCK(sb.st_mode));
    assert_int_equal(srv(t, OP_LISTEN_UNIX, other, 0, NULL), -EBUSY);

    /* a whole session over the socket, with its picture */
    relay_start(&r, sock);
    c = client(r.port, NULL, err, sizeof(err));
    assert_non_null(c);
    assert_true(settle(c, &c, 1, 0, COLOUR0));
    n_init = count(&rec, FLOE_CHANNEL_INITIALIZED, 0);
    assert_int_equal(n_init, 4);
    pthread_mutex_lock(&rec.lock);
    for (int i = 0; i < rec.n; i++) {
        const struct floe_channel_info *in = &rec.ev[i].info;

        assert_int_equal(in->laddr.ss_family, AF_UNIX);
        assert_int_equal(in->paddr.ss_family, AF_UNIX);
        assert_string_equal(((const struct sockaddr_un *)&in->laddr)->sun_path, sock);
    }
    pthread_mutex_unlock(&rec.lock);

    /* the socket file goes with the server */
    floe_server_thread_free(t);
    assert_int_equal(stat(sock, &sb), -1);
    assert_int_equal(errno, ENOENT);
    assert_true(until_gone(c, &c, 1));
    floe_client_free(c);
    relay_stop(&r);
    assert_int_equal(count(&rec, FLOE_CHANNEL_DISCONNECTED, 0), 4);
    unlink(file);
    rmdir(dir);
    free(dir);
}

/* ---- the monitor count at run time ---- */

static void test_set_monitors(void **st)
{
    static struct recorder rec = { .lock = PTHREAD_MUTEX_INITIALIZER };
    struct floe_server_options o = { .disable_ticketing = 1 };
    struct floe_client *cs[3] = { NULL };
    struct floe_server_thread *t;
    char err[256];
    int port;

    t = start(&o, &port);
    srv(t, OP_SINK, NULL, 0, &rec);
    assert_int_equal(srv(t, OP_MONITORS, NULL, 0, NULL), -EINVAL);
    assert_int_equal(srv(t, OP_MONITORS, NULL, FLOE_SERVER_MAX_MONITORS + 1, NULL), -EINVAL);
    /* the first client's session begins (its MAIN is linked) before the
     * call; it asks for its channel list only after */
    cs[0] = client(port, NULL, err, sizeof(err));
    assert_non_null(cs[0]);
    assert_int_equal(srv(t, OP_MONITORS, NULL, 2, NULL), 2);
    srv(t, OP_PICTURE, NULL, 1, (void *)(uintptr_t)COLOUR1);
    assert_true(settle(cs[0], cs, 1, 0, COLOUR0));
    assert_int_equal(floe_client_monitors(cs[0]), 1);

    /* a client linking now gets both monitors, each with its picture */
    cs[1] = client(port, NULL, err, sizeof(err));
    assert_non_null(cs[1]);
    assert_true(settle(cs[1], cs, 2, 1, COLOUR1));
    assert_int_equal(floe_client_monitors(cs[1]), 2);
    assert_true(shows(cs[1], 0, COLOUR0));
    assert_int_equal(count(&rec, FLOE_CHANNEL_INITIALIZED, DISPLAY), 3);
    /* the first one keeps its one monitor */
    pump(cs, 2, 300);
    assert_true(floe_client_is_connected(cs[0]));
    assert_int_equal(floe_client_monitors(cs[0]), 1);

    /* lowered: new sessions get one, the one with two stays connected and
     * draws on monitor 1 go nowhere */
    assert_int_equal(srv(t, OP_MONITORS, NULL, 1, NULL), 1);
    srv(t, OP_PICTURE, NULL, 1, (void *)(uintptr_t)COLOUR0);
    cs[2] = client(port, NULL, err, sizeof(err));
    assert_non_null(cs[2]);
    assert_true(settle(cs[2], cs, 3, 0, COLOUR0));
    assert_int_equal(floe_client_monitors(cs[2]), 1);
    pump(cs, 3, 300);
    assert_true(floe_client_is_connected(cs[1]));
    assert_true(shows(cs[1], 1, COLOUR1));
    /* raised again: what is drawn on monitor 1 reaches its channel again */
    assert_int_equal(srv(t, OP_MONITORS, NULL, 2, NULL), 2);
    srv(t, OP_PICTURE, NULL, 1, (void *)(uintptr_t)COLOUR0);
    assert_true(settle(cs[1], cs, 3, 1, COLOUR0));
    assert_int_equal(sessions(t), 3);

    floe_server_thread_free(t);
    for (int i = 0; i < 3; i++)
        floe_client_free(cs[i]);
}

/* ---- channel events ---- */

static int is_loopback(const struct sockaddr_storage *a, socklen_t len)
{
    const struct sockaddr_in *in = (const struct sockaddr_in *)a;

    return len == sizeof(*in) && a->ss_family == AF_INET &&
           in->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
}

static int port_of(const struct sockaddr_storage *a)
{
    return ntohs(((const struct sockaddr_in *)a)->sin_port);
}

/* The events of one full session: each of its 4 connections CONNECTED,
 * INITIALIZED, DISCONNECTED in that order, with its own conn. */
static void check_session_events(struct recorder *r, int port)
{
    uint64_t conns[16];
    char seq[16][8];
    int n = sequences(r, conns, seq, 16), types = 0;
    uint32_t session = 0;

    assert_int_equal(n, 4);
    for (int k = 0; k < n; k++) {
        assert_int_not_equal(conns[k], 0);
        assert_string_equal(seq[k], "CID");
        for (int j = 0; j < k; j++)
            assert_int_not_equal(conns[j], conns[k]);
    }
    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < r->n; i++) {
        const struct event *e = &r->ev[i];

        assert_true(is_loopback(&e->info.laddr, e->info.llen));
        assert_true(is_loopback(&e->info.paddr, e->info.plen));
        assert_int_equal(port_of(&e->info.laddr), port);
        assert_int_not_equal(port_of(&e->info.paddr), port);
        assert_int_equal(e->info.tls, 0);
        if (e->event == FLOE_CHANNEL_CONNECTED) {
            assert_int_equal(e->info.type, 0);
            assert_int_equal(e->info.session_id, 0);
            continue;
        }
        assert_true(e->info.type >= MAIN && e->info.type <= CURSOR);
        assert_int_equal(e->info.id, 0);
        assert_int_not_equal(e->info.session_id, 0);
        if (!session)
            session = e->info.session_id;
        assert_int_equal(e->info.session_id, session);
        if (e->event == FLOE_CHANNEL_INITIALIZED)
            types |= 1 << e->info.type;
    }
    pthread_mutex_unlock(&r->lock);
    assert_int_equal(types, 1 << MAIN | 1 << DISPLAY | 1 << INPUTS | 1 << CURSOR);
}

static void test_events(void **st)
{
    static struct recorder rec = { .lock = PTHREAD_MUTEX_INITIALIZER };
    struct floe_server_options o = { .disable_ticketing = 1 };
    struct floe_server_thread *t;
    struct floe_client *c;
    uint64_t conns[16];
    char err[256], seq[16][8];
    int port, fd;

    t = start(&o, &port);
    srv(t, OP_SINK, NULL, 0, &rec);

    /* a whole session, then the client leaves */
    c = client(port, NULL, err, sizeof(err));
    assert_non_null(c);
    assert_true(settle(c, &c, 1, 0, COLOUR0));
    assert_true(await(&rec, FLOE_CHANNEL_INITIALIZED, 4));
    assert_int_equal(count(&rec, FLOE_CHANNEL_CONNECTED, 0), 4);
    assert_int_equal(count(&rec, FLOE_CHANNEL_DISCONNECTED, 0), 0);
    floe_client_free(c);
    assert_true(await(&rec, FLOE_CHANNEL_DISCONNECTED, 4));
    check_session_events(&rec, port);

    /* a failed link and a connection that never links: connected, then
     * disconnected, never initialized */
    pthread_mutex_lock(&rec.lock);
    rec.n = 0;
    pthread_mutex_unlock(&rec.lock);
    srv(t, OP_NO_TICKETING, NULL, 0, NULL);
    assert_int_equal(srv(t, OP_TICKET, "right", 0, NULL), 0);
    assert_false(links(port, "wrong", err, sizeof(err)));
    fd = socket(AF_INET, SOCK_STREAM, 0);
    {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    }
    assert_true(await(&rec, FLOE_CHANNEL_CONNECTED, 2));
    close(fd);
    assert_true(await(&rec, FLOE_CHANNEL_DISCONNECTED, 2));
    assert_int_equal(sequences(&rec, conns, seq, 16), 2);
    assert_string_equal(seq[0], "CD");
    assert_string_equal(seq[1], "CD");
    pthread_mutex_lock(&rec.lock);
    for (int i = 0; i < rec.n; i++)
        assert_int_equal(rec.ev[i].info.type, 0);
    pthread_mutex_unlock(&rec.lock);

    /* the server closes under a linked session: every channel is told */
    pthread_mutex_lock(&rec.lock);
    rec.n = 0;
    pthread_mutex_unlock(&rec.lock);
    c = client(port, "right", err, sizeof(err));
    assert_non_null(c);
    assert_true(settle(c, &c, 1, 0, COLOUR0));
    assert_true(await(&rec, FLOE_CHANNEL_INITIALIZED, 4));
    floe_server_thread_free(t);
    assert_int_equal(count(&rec, FLOE_CHANNEL_DISCONNECTED, 0), 4);
    check_session_events(&rec, port);
    assert_true(until_gone(c, &c, 1));
    floe_client_free(c);
}

/* ---- one session or several ---- */

/* How many connections of session `session` were disconnected. */
static int disconnected_of(struct recorder *r, uint32_t session)
{
    int n = 0;

    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < r->n; i++)
        n += r->ev[i].event == FLOE_CHANNEL_DISCONNECTED && r->ev[i].info.session_id == session;
    pthread_mutex_unlock(&r->lock);
    return n;
}

/* The session id of the last MAIN initialized. */
static uint32_t last_session(struct recorder *r)
{
    uint32_t id = 0;

    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < r->n; i++)
        if (r->ev[i].event == FLOE_CHANNEL_INITIALIZED && r->ev[i].info.type == MAIN)
            id = r->ev[i].info.session_id;
    pthread_mutex_unlock(&r->lock);
    return id;
}

static void test_exclusive(void **st)
{
    static struct recorder rec = { .lock = PTHREAD_MUTEX_INITIALIZER };
    struct floe_server_options o = { .disable_ticketing = 1, .exclusive = 1 };
    struct floe_client *cs[2];
    struct floe_server_thread *t;
    uint32_t first, second;
    char err[256];
    int port;

    t = start(&o, &port);
    srv(t, OP_SINK, NULL, 0, &rec);
    cs[0] = client(port, NULL, err, sizeof(err));
    assert_non_null(cs[0]);
    assert_true(settle(cs[0], cs, 1, 0, COLOUR0));
    first = last_session(&rec);
    assert_int_not_equal(first, 0);

    /* the second client replaces the first */
    cs[1] = client(port, NULL, err, sizeof(err));
    assert_non_null(cs[1]);
    assert_true(settle(cs[1], cs, 2, 0, COLOUR0));
    second = last_session(&rec);
    assert_int_not_equal(second, first);
    assert_true(until_gone(cs[0], cs, 2));
    assert_true(floe_client_is_connected(cs[1]));
    assert_true(await(&rec, FLOE_CHANNEL_DISCONNECTED, 4));
    assert_int_equal(disconnected_of(&rec, first), 4);
    assert_int_equal(disconnected_of(&rec, second), 0);
    assert_int_equal(sessions(t), 1);

    floe_server_thread_free(t);
    for (int i = 0; i < 2; i++)
        floe_client_free(cs[i]);
}

static void test_shared(void **st)
{
    struct floe_server_options o = { .disable_ticketing = 1 };
    struct floe_client *cs[3];
    struct floe_server_thread *t;
    char err[256];
    int port;

    t = start(&o, &port);
    for (int i = 0; i < 2; i++) {
        cs[i] = client(port, NULL, err, sizeof(err));
        assert_non_null(cs[i]);
        assert_true(settle(cs[i], cs, i + 1, 0, COLOUR0));
    }
    /* both stay, both are served */
    pump(cs, 2, 1000);
    assert_true(floe_client_is_connected(cs[0]));
    assert_true(floe_client_is_connected(cs[1]));
    assert_int_equal(sessions(t), 2);
    srv(t, OP_PICTURE, NULL, 0, (void *)(uintptr_t)COLOUR1);
    assert_true(settle(cs[0], cs, 2, 0, COLOUR1));
    assert_true(settle(cs[1], cs, 2, 0, COLOUR1));

    /* exclusive from now on: the next client replaces both */
    srv(t, OP_EXCLUSIVE, NULL, 1, NULL);
    cs[2] = client(port, NULL, err, sizeof(err));
    assert_non_null(cs[2]);
    assert_true(settle(cs[2], cs, 3, 0, COLOUR1));
    assert_true(until_gone(cs[0], cs, 3));
    assert_true(until_gone(cs[1], cs, 3));
    assert_true(floe_client_is_connected(cs[2]));
    for (int i = 0; i < 500 && sessions(t) != 1; i++)
        usleep(10000);
    assert_int_equal(sessions(t), 1);

    floe_server_thread_free(t);
    for (int i = 0; i < 3; i++)
        floe_client_free(cs[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ticket),     cmocka_unit_test(test_unix_socket),
        cmocka_unit_test(test_set_monitors), cmocka_unit_test(test_events),
        cmocka_unit_test(test_exclusive),  cmocka_unit_test(test_shared),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
