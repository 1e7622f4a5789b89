/* A traffic-shaping TCP proxy for loopback tests and benches (there is no
 * netem here): one-way delay, a bandwidth cap per direction, and stalls.
 *
 * shape_proxy --listen [HOST:]PORT --to HOST:PORT [--delay MS] [--rate KBIT]
 *             [--rate-up KBIT] [--stall-every MS --stall-for MS]
 *             [--queue KIB] [--control PATH]
 *
 * Every accepted connection gets its own connection to --to, and bytes go
 * both ways. Down (from --to to the client) is capped by --rate, up by
 * --rate-up (kbit/s, 1000 bits; 0 or absent: unlimited); each cap is one
 * token bucket (burst 10 ms of the rate) shared by all connections, like
 * one link. --delay holds every byte that long in each direction (a round
 * trip gains twice the delay). With --stall-every, nothing moves down for
 * --stall-for ms every --stall-every ms. Each direction of a connection
 * queues at most --queue KiB (default 1024) before it stops reading its
 * source, so TCP flow control slows the sender. An end read on one side
 * reaches the other (as a shutdown) once what came before it has gone; an
 * error writing to either side closes both.
 *
 * --control PATH: a unix socket taking one command per line, each answered
 * by `ok` or `error: ...` (stats first prints its line):
 *   rate KBIT | rate-up KBIT | delay MS | stall MS (nothing moves down for
 *   MS from now; 0 ends it) | stall-every MS FOR_MS (0 0: off) | stats
 * Output: `listening on HOST:PORT` once ready, `set ...` per change, and
 * `stats down=N up=N connections=N max_queued_down=N max_queued_up=N`
 * (bytes delivered each way) for `stats` and at exit (SIGTERM, SIGINT).
 * Exit status 2 for a bad argument, 1 when it cannot listen. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_MS 1000000LL
#define READ_MAX (64 * 1024)
#define MAX_CONNS 256                /* two descriptors each, under the usual 1024 */
#define MAX_CTLS 8
#define CTL_LINE_MAX 256
#define RATE_MAX 10000000L          /* kbit/s: 10 Gbit/s */
#define TIME_MAX 3600000L           /* ms */

static const char usage[] =
    "usage: shape_proxy --listen [HOST:]PORT --to HOST:PORT [--delay MS] [--rate KBIT]\n"
    "                   [--rate-up KBIT] [--stall-every MS --stall-for MS] [--queue KIB]\n"
    "                   [--control PATH]\n"
    "  --listen      where clients connect (HOST defaults to 127.0.0.1; PORT 0: a free one,\n"
    "                printed as \"listening on HOST:PORT\")\n"
    "  --to          where each connection is relayed to\n"
    "  --delay       one-way delay added in each direction, ms (default 0)\n"
    "  --rate        cap from --to to the clients, kbit/s, all connections together (0: none)\n"
    "  --rate-up     cap from the clients to --to, kbit/s (default: none)\n"
    "  --stall-every with --stall-for: nothing moves to the clients for --stall-for ms\n"
    "                every --stall-every ms\n"
    "  --queue       bytes held per connection and direction before reading stops, KiB\n"
    "                (default 1024)\n"
    "  --control     unix socket for commands: rate KBIT, rate-up KBIT, delay MS, stall MS,\n"
    "                stall-every MS FOR_MS, stats\n";

/* One piece read from a source, held until its delay has passed. */
struct chunk {
    struct chunk *next;
    int64_t at;                 /* when it was read */
    size_t len, off;            /* len 0: the source's end */
    unsigned char data[];
};

/* A token bucket in bytes; rate 0 is unlimited. */
struct bucket {
    int64_t rate;               /* bytes per second */
    double tokens;
    int64_t last;
};

/* One direction of one connection. */
struct pipe {
    int src, dst;
    int down;                   /* to the client: stalls apply */
    struct chunk *head, *tail;
    size_t queued;
    int src_done;               /* its end (or an error) was read */
    int dst_done;               /* the end was passed on: nothing more goes */
    int blocked;                /* the last write would have blocked */
    struct bucket *bucket;
};

struct conn {
    int client, server;
    int connecting;
    struct pipe up, down;
};

struct ctl_client {
    int fd;
    size_t len;
    char line[CTL_LINE_MAX];
};

struct proxy {
    int listen_fd, ctl_fd;
    const char *ctl_path, *to_name;
    struct addrinfo *to;
    struct bucket down_bucket, up_bucket;
    int64_t delay, stall_every, stall_for, stall_origin, stall_until;
    size_t queue_limit;
    struct conn *conns[MAX_CONNS];
    size_t nconns, turn;
    struct ctl_client ctls[MAX_CTLS];
    uint64_t bytes_down, bytes_up, connections;
    size_t max_queued_down, max_queued_up;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    stop_requested = sig;
}

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void say(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

/* ---- settings ---- */

static int parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

static double bucket_burst(const struct bucket *b)
{
    double burst = (double)b->rate / 100.0;        /* 10 ms */

    return burst < 1.0 ? 1.0 : burst;
}

static void bucket_refill(struct bucket *b, int64_t now)
{
    double burst = bucket_burst(b);

    if (b->rate) {
        b->tokens += (double)b->rate * (double)(now - b->last) / 1e9;
        if (b->tokens > burst)
            b->tokens = burst;
    }
    b->last = now;
}

static void bucket_set(struct bucket *b, long kbit, int64_t now)
{
    bucket_refill(b, now);
    b->rate = (int64_t)kbit * 125;
    b->tokens = bucket_burst(b);
}

/* How many of want bytes may go now. */
static size_t bucket_allow(const struct bucket *b, size_t want)
{
    if (!b->rate)
        return want;
    return b->tokens < (double)want ? (size_t)b->tokens : want;
}

static void set_stalls(struct proxy *p, long every, long stall_for, int64_t now)
{
    p->stall_every = every * NS_PER_MS;
    p->stall_for = stall_for * NS_PER_MS;
    p->stall_origin = now;
}

/* When the stall going on at now ends; 0 when nothing stalls. Periodic
 * stalls start every stall_every after stall_origin. */
static int64_t stall_end(const struct proxy *p, int64_t now)
{
    int64_t end = now < p->stall_until ? p->stall_until : 0, since, start;

    if (p->stall_every && p->stall_for) {
        since = now - p->stall_origin;
        start = now - since % p->stall_every;
        if (since >= p->stall_every && now < start + p->stall_for && start + p->stall_for > end)
            end = start + p->stall_for;
    }
    return end;
}

/* ---- relaying ---- */

static void pipe_init(struct pipe *pp, int src, int dst, int down, struct bucket *b)
{
    memset(pp, 0, sizeof(*pp));
    pp->src = src;
    pp->dst = dst;
    pp->down = down;
    pp->bucket = b;
}

static void pipe_pop(struct pipe *pp)
{
    struct chunk *c = pp->head;

    pp->head = c->next;
    if (!pp->head)
        pp->tail = NULL;
    pp->queued -= c->len - c->off;
    free(c);
}

static void pipe_free(struct pipe *pp)
{
    while (pp->head)
        pipe_pop(pp);
}

static void pipe_push(struct proxy *p, struct pipe *pp, struct chunk *c)
{
    size_t *max = pp->down ? &p->max_queued_down : &p->max_queued_up;

    if (pp->tail)
        pp->tail->next = c;
    else
        pp->head = c;
    pp->tail = c;
    pp->queued += c->len;
    if (pp->queued > *max)
        *max = pp->queued;
}

static int pipe_wants_read(const struct proxy *p, const struct pipe *pp)
{
    return !pp->src_done && pp->queued < p->queue_limit;
}

/* Reads once from the source; the end or an error queues the end. */
static int pipe_read(struct proxy *p, struct pipe *pp, int64_t now)
{
    static unsigned char buf[READ_MAX];
    ssize_t n = recv(pp->src, buf, sizeof(buf), 0);
    struct chunk *c;

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    if (n < 0)
        n = 0;
    c = malloc(sizeof(*c) + (size_t)n);
    if (!c)
        return -ENOMEM;
    c->next = NULL;
    c->at = now;
    c->len = (size_t)n;
    c->off = 0;
    memcpy(c->data, buf, (size_t)n);
    pipe_push(p, pp, c);
    if (n == 0)
        pp->src_done = 1;
    return 0;
}

/* Passes the end on once everything before it went. */
static void pipe_end(struct pipe *pp)
{
    shutdown(pp->dst, SHUT_WR);
    pp->dst_done = 1;
    pipe_pop(pp);
}

/* Writes what its delay, the stall and the bucket let go now; a negative
 * errno when the destination failed. */
static int pipe_flush(struct proxy *p, struct pipe *pp, int64_t now)
{
    uint64_t *count = pp->down ? &p->bytes_down : &p->bytes_up;

    while (pp->head && !pp->blocked && !pp->dst_done) {
        struct chunk *c = pp->head;
        size_t allow;
        ssize_t n;

        if (c->at + p->delay > now || (pp->down && stall_end(p, now)))
            break;
        if (c->len == 0) {
            pipe_end(pp);
            break;
        }
        allow = bucket_allow(pp->bucket, c->len - c->off);
        if (allow == 0)
            break;
        n = send(pp->dst, c->data + c->off, allow, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            pp->blocked = 1;
            break;
        }
        if (n < 0)
            return -errno;
        if (pp->bucket->rate)
            pp->bucket->tokens -= (double)n;
        *count += (uint64_t)n;
        c->off += (size_t)n;
        pp->queued -= (size_t)n;
        if (c->off == c->len)
            pipe_pop(pp);
    }
    return 0;
}

/* When the pipe can next write without a poll event; INT64_MAX: not by
 * time alone. */
static int64_t pipe_wake(const struct proxy *p, const struct pipe *pp, int64_t now)
{
    const struct bucket *b = pp->bucket;
    const struct chunk *c = pp->head;
    int64_t release, stalled;
    double need;

    if (!c || pp->blocked || pp->dst_done)
        return INT64_MAX;
    release = c->at + p->delay;
    if (release > now)
        return release;
    if (pp->down && (stalled = stall_end(p, now)))
        return stalled;
    if (c->len == 0 || !b->rate)
        return now;
    /* half a burst (or the rest of the chunk): a late wake loses nothing */
    need = bucket_burst(b) / 2;
    if (need > (double)(c->len - c->off))
        need = (double)(c->len - c->off);
    if (need < 1.0)
        need = 1.0;
    if (b->tokens >= need)
        return now;
    return now + (int64_t)((need - b->tokens) * 1e9 / (double)b->rate) + 1;
}

static void conn_free(struct conn *c)
{
    pipe_free(&c->up);
    pipe_free(&c->down);
    close(c->client);
    close(c->server);
    free(c);
}

static void conn_remove(struct proxy *p, size_t i)
{
    conn_free(p->conns[i]);
    p->conns[i] = p->conns[--p->nconns];
}

static int conn_done(const struct conn *c)
{
    return c->up.dst_done && c->down.dst_done;
}

static void set_socket_options(int fd)
{
    int one = 1;

    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int connect_to(struct proxy *p, int *connecting)
{
    const struct addrinfo *a = p->to;
    int fd = socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -errno;
    set_socket_options(fd);
    *connecting = 0;
    if (connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
        if (errno != EINPROGRESS) {
            int err = -errno;

            close(fd);
            return err;
        }
        *connecting = 1;
    }
    return fd;
}

static void accept_one(struct proxy *p, int client)
{
    struct conn *c;
    int server, connecting;

    c = p->nconns < MAX_CONNS ? calloc(1, sizeof(*c)) : NULL;
    if (!c) {
        fprintf(stderr, "shape_proxy: %s\n",
                p->nconns < MAX_CONNS ? strerror(ENOMEM) : "too many connections");
        close(client);
        return;
    }
    set_socket_options(client);
    server = connect_to(p, &connecting);
    if (server < 0) {
        fprintf(stderr, "shape_proxy: connecting to %s: %s\n", p->to_name, strerror(-server));
        free(c);
        close(client);
        return;
    }
    c->client = client;
    c->server = server;
    c->connecting = connecting;
    pipe_init(&c->up, client, server, 0, &p->up_bucket);
    pipe_init(&c->down, server, client, 1, &p->down_bucket);
    p->conns[p->nconns++] = c;
    p->connections++;
}

static void accept_all(struct proxy *p)
{
    int fd;

    while ((fd = accept4(p->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0)
        accept_one(p, fd);
}

static void connect_done(struct proxy *p, struct conn *c)
{
    int err = 0;
    socklen_t len = sizeof(err);

    if (getsockopt(c->server, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err) {
        fprintf(stderr, "shape_proxy: connecting to %s: %s\n", p->to_name, strerror(err));
        /* the client sees its connection closed, as a refused one would be */
        c->up.dst_done = c->down.dst_done = 1;
        return;
    }
    c->connecting = 0;
}

/* Writes what may go on every connection, each starting in turn, as they
 * share the buckets; closes those done or failed. */
static void flush_all(struct proxy *p, int64_t now)
{
    size_t k, n = p->nconns;

    for (k = 0; k < n; k++) {
        struct conn *c = p->conns[(p->turn + k) % n];

        if (c->connecting)
            continue;
        if (pipe_flush(p, &c->down, now) < 0 || pipe_flush(p, &c->up, now) < 0)
            c->up.dst_done = c->down.dst_done = 1;
    }
    if (n)
        p->turn = (p->turn + 1) % n;
    for (k = p->nconns; k-- > 0;)
        if (conn_done(p->conns[k]))
            conn_remove(p, k);
}

/* ---- the control socket ---- */

static void print_stats(const struct proxy *p, int fd)
{
    char line[256];

    snprintf(line, sizeof(line),
             "stats down=%llu up=%llu connections=%llu max_queued_down=%zu max_queued_up=%zu\n",
             (unsigned long long)p->bytes_down, (unsigned long long)p->bytes_up,
             (unsigned long long)p->connections, p->max_queued_down, p->max_queued_up);
    if (fd >= 0)
        send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);
    fputs(line, stdout);
    fflush(stdout);
}

/* Runs one command; returns NULL for ok, else the error. */
static const char *ctl_command(struct proxy *p, char *line, int fd, int64_t now)
{
    char *cmd = strtok(line, " \t"), *a1 = strtok(NULL, " \t"), *a2 = strtok(NULL, " \t");
    long v, w;

    if (!cmd)
        return "empty command";
    if (!strcmp(cmd, "stats")) {
        if (a1)
            return "stats takes no argument";
        print_stats(p, fd);
        return NULL;
    }
    if (!a1 || (a2 && strcmp(cmd, "stall-every")) || strtok(NULL, " \t"))
        return "wrong number of arguments";
    if (!strcmp(cmd, "rate") || !strcmp(cmd, "rate-up")) {
        if (parse_long(a1, 0, RATE_MAX, &v) < 0)
            return "expected kbit/s from 0 (unlimited) to 10000000";
        bucket_set(cmd[4] ? &p->up_bucket : &p->down_bucket, v, now);
    } else if (!strcmp(cmd, "delay")) {
        if (parse_long(a1, 0, TIME_MAX, &v) < 0)
            return "expected ms from 0 to 3600000";
        p->delay = v * NS_PER_MS;
    } else if (!strcmp(cmd, "stall")) {
        if (parse_long(a1, 0, TIME_MAX, &v) < 0)
            return "expected ms from 0 to 3600000";
        p->stall_until = now + v * NS_PER_MS;
    } else if (!strcmp(cmd, "stall-every")) {
        if (!a2 || parse_long(a1, 0, TIME_MAX, &v) < 0 || parse_long(a2, 0, TIME_MAX, &w) < 0 ||
            (v && (w <= 0 || w >= v)) || (!v && w))
            return "expected stall-every MS FOR_MS, 0 < FOR_MS < MS (0 0: off)";
        set_stalls(p, v, w, now);
        say("set stall-every %ld %ld", v, w);
        return NULL;
    } else {
        return "unknown command (rate, rate-up, delay, stall, stall-every, stats)";
    }
    say("set %s %ld", cmd, v);
    return NULL;
}

static void ctl_close(struct ctl_client *cc)
{
    close(cc->fd);
    cc->fd = -1;
    cc->len = 0;
}

static void ctl_reply(struct ctl_client *cc, const char *err)
{
    char line[CTL_LINE_MAX + 16];

    if (err)
        snprintf(line, sizeof(line), "error: %s\n", err);
    else
        snprintf(line, sizeof(line), "ok\n");
    send(cc->fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* Reads what a control client sent and runs each whole line. */
static void ctl_read(struct proxy *p, struct ctl_client *cc, int64_t now)
{
    ssize_t n = recv(cc->fd, cc->line + cc->len, sizeof(cc->line) - 1 - cc->len, 0);
    char *nl;

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        ctl_close(cc);
        return;
    }
    cc->len += (size_t)n;
    cc->line[cc->len] = '\0';
    while ((nl = strchr(cc->line, '\n'))) {
        *nl = '\0';
        if (nl > cc->line && nl[-1] == '\r')
            nl[-1] = '\0';
        ctl_reply(cc, ctl_command(p, cc->line, cc->fd, now));
        cc->len -= (size_t)(nl + 1 - cc->line);
        memmove(cc->line, nl + 1, cc->len + 1);
    }
    if (cc->len == sizeof(cc->line) - 1) {
        ctl_reply(cc, "line too long");
        ctl_close(cc);
    }
}

static void ctl_accept(struct proxy *p)
{
    int fd, i;

    while ((fd = accept4(p->ctl_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
        for (i = 0; i < MAX_CTLS && p->ctls[i].fd >= 0; i++)
            ;
        if (i == MAX_CTLS) {
            close(fd);
            continue;
        }
        p->ctls[i].fd = fd;
        p->ctls[i].len = 0;
    }
}

/* ---- the loop ---- */

/* pollfd slots: the listener, the control listener, the control clients,
 * then the client's and the server's socket of each connection. */
#define SLOT_CONNS (2 + MAX_CTLS)

static short conn_events(const struct proxy *p, const struct conn *c, int client_side)
{
    const struct pipe *in = client_side ? &c->up : &c->down;
    const struct pipe *out = client_side ? &c->down : &c->up;
    short ev = 0;

    /* nothing moves until the server's side is connected */
    if (c->connecting)
        return client_side ? 0 : POLLOUT;
    if (pipe_wants_read(p, in))
        ev |= POLLIN;
    if (out->blocked)
        ev |= POLLOUT;
    return ev;
}

/* Fills the poll set; returns its size and the earliest timed wake. */
static nfds_t fill_poll(const struct proxy *p, struct pollfd *fds, int64_t now, int64_t *wake)
{
    size_t i;

    fds[0] = (struct pollfd){ p->listen_fd, POLLIN, 0 };
    fds[1] = (struct pollfd){ p->ctl_fd, POLLIN, 0 };
    for (i = 0; i < MAX_CTLS; i++)
        fds[2 + i] = (struct pollfd){ p->ctls[i].fd, POLLIN, 0 };
    *wake = INT64_MAX;
    for (i = 0; i < p->nconns; i++) {
        const struct conn *c = p->conns[i];
        struct pollfd *f = &fds[SLOT_CONNS + 2 * i];
        int64_t w;

        f[0] = (struct pollfd){ c->client, conn_events(p, c, 1), 0 };
        f[1] = (struct pollfd){ c->server, conn_events(p, c, 0), 0 };
        /* a socket with nothing asked is left out: its hang-up would
         * otherwise wake the loop while nothing can be done about it */
        if (!f[0].events)
            f[0].fd = -1;
        if (!f[1].events)
            f[1].fd = -1;
        if (c->connecting)
            continue;
        if ((w = pipe_wake(p, &c->down, now)) < *wake)
            *wake = w;
        if ((w = pipe_wake(p, &c->up, now)) < *wake)
            *wake = w;
    }
    return SLOT_CONNS + 2 * p->nconns;
}

static int conn_events_done(struct proxy *p, struct conn *c, const struct pollfd *f, int64_t now)
{
    const short any = POLLIN | POLLOUT | POLLHUP | POLLERR;

    if (c->connecting) {
        if (f[1].revents & any)
            connect_done(p, c);
        return 0;
    }
    if ((f[0].events & POLLIN) && (f[0].revents & (POLLIN | POLLHUP | POLLERR)) &&
        pipe_read(p, &c->up, now) < 0)
        return -ENOMEM;
    if ((f[1].events & POLLIN) && (f[1].revents & (POLLIN | POLLHUP | POLLERR)) &&
        pipe_read(p, &c->down, now) < 0)
        return -ENOMEM;
    if ((f[0].events & POLLOUT) && (f[0].revents & any))
        c->down.blocked = 0;
    if ((f[1].events & POLLOUT) && (f[1].revents & any))
        c->up.blocked = 0;
    return 0;
}

static void handle_events(struct proxy *p, const struct pollfd *fds, size_t nconns, int64_t now)
{
    size_t i;

    for (i = 0; i < nconns; i++)
        if (conn_events_done(p, p->conns[i], &fds[SLOT_CONNS + 2 * i], now) < 0) {
            fprintf(stderr, "shape_proxy: out of memory, closing a connection\n");
            p->conns[i]->up.dst_done = p->conns[i]->down.dst_done = 1;
        }
    for (i = 0; i < MAX_CTLS; i++)
        if (fds[2 + i].revents)
            ctl_read(p, &p->ctls[i], now);
    if (fds[1].revents)
        ctl_accept(p);
    if (fds[0].revents)
        accept_all(p);
}

static int run(struct proxy *p, const sigset_t *wait_mask)
{
    static struct pollfd fds[SLOT_CONNS + 2 * MAX_CONNS];

    while (!stop_requested) {
        int64_t now = now_ns(), wake;
        struct timespec ts, *timeout = NULL;
        size_t nconns;
        nfds_t n;

        bucket_refill(&p->down_bucket, now);
        bucket_refill(&p->up_bucket, now);
        flush_all(p, now);
        n = fill_poll(p, fds, now, &wake);
        nconns = p->nconns;
        if (wake != INT64_MAX) {
            int64_t d = wake > now ? wake - now : 0;

            ts.tv_sec = d / 1000000000LL;
            ts.tv_nsec = d % 1000000000LL;
            timeout = &ts;
        }
        if (ppoll(fds, n, timeout, wait_mask) < 0) {
            if (errno == EINTR)
                continue;
            perror("shape_proxy: poll");
            return 1;
        }
        handle_events(p, fds, nconns, now_ns());
    }
    return 0;
}

/* ---- start and end ---- */

struct args {
    const char *listen, *to, *control;
    long delay, rate, rate_up, stall_every, stall_for, queue_kib;
    struct sockaddr_in listen_addr;
    struct addrinfo *to_addr;
};

static int fail_arg(const char *opt, const char *what, const char *got)
{
    fprintf(stderr, "shape_proxy: %s: %s, got \"%s\" (see --help)\n", opt, what, got);
    return -EINVAL;
}

/* HOST:PORT, or PORT alone when default_host is given. */
static int split_host_port(const char *s, const char *default_host, char *host, size_t host_size,
                           long *port)
{
    const char *colon = strrchr(s, ':'), *ps = colon ? colon + 1 : s;
    size_t hl = colon ? (size_t)(colon - s) : 0;

    if ((!colon && !default_host) || hl >= host_size || parse_long(ps, 0, 65535, port) < 0)
        return -EINVAL;
    if (colon) {
        memcpy(host, s, hl);
        host[hl] = '\0';
    } else {
        snprintf(host, host_size, "%s", default_host);
    }
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    return host[0] ? 0 : -EINVAL;
}

static int parse_listen(struct args *a)
{
    char host[64];
    long port;

    a->listen_addr.sin_family = AF_INET;
    if (split_host_port(a->listen, "127.0.0.1", host, sizeof(host), &port) < 0 ||
        inet_pton(AF_INET, host, &a->listen_addr.sin_addr) != 1)
        return fail_arg("--listen", "expected [IPV4:]PORT", a->listen);
    a->listen_addr.sin_port = htons((uint16_t)port);
    return 0;
}

static int resolve_to(struct args *a)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
    char host[256], port_s[8];
    long port;
    int rc;

    if (split_host_port(a->to, NULL, host, sizeof(host), &port) < 0 || port == 0)
        return fail_arg("--to", "expected HOST:PORT", a->to);
    snprintf(port_s, sizeof(port_s), "%ld", port);
    if ((rc = getaddrinfo(host, port_s, &hints, &a->to_addr)) != 0) {
        fprintf(stderr, "shape_proxy: --to: %s: %s\n", host, gai_strerror(rc));
        return -EINVAL;
    }
    return 0;
}

static int option_number(const char *opt, const char *s, long max, long *out)
{
    char what[64];

    if (parse_long(s, 0, max, out) == 0)
        return 0;
    snprintf(what, sizeof(what), "expected a number from 0 to %ld", max);
    return fail_arg(opt, what, s);
}

static int check_args(struct args *a)
{
    if (!a->listen || !a->to) {
        fprintf(stderr, "shape_proxy: --listen and --to are needed (see --help)\n");
        return -EINVAL;
    }
    if (!a->stall_every != !a->stall_for || (a->stall_every && a->stall_for >= a->stall_every)) {
        fprintf(stderr, "shape_proxy: --stall-every and --stall-for go together, "
                        "--stall-for the shorter\n");
        return -EINVAL;
    }
    if (a->queue_kib == 0) {
        fprintf(stderr, "shape_proxy: --queue: at least 1 KiB (see --help)\n");
        return -EINVAL;
    }
    if (parse_listen(a) < 0)
        return -EINVAL;
    return resolve_to(a);
}

static int parse_args(int argc, char **argv, struct args *a)
{
    static const struct option longs[] = {
        { "listen", 1, 0, 'l' },    { "to", 1, 0, 't' },      { "delay", 1, 0, 'd' },
        { "rate", 1, 0, 'r' },      { "rate-up", 1, 0, 'u' }, { "stall-every", 1, 0, 'e' },
        { "stall-for", 1, 0, 'f' }, { "queue", 1, 0, 'q' },   { "control", 1, 0, 'c' },
        { "help", 0, 0, 'h' },      { 0, 0, 0, 0 },
    };
    int opt, rc = 0;

    opterr = 0;
    while (rc == 0 && (opt = getopt_long(argc, argv, ":", longs, NULL)) != -1) {
        switch (opt) {
        case 'l': a->listen = optarg; break;
        case 't': a->to = optarg; break;
        case 'c': a->control = optarg; break;
        case 'd': rc = option_number("--delay", optarg, TIME_MAX, &a->delay); break;
        case 'r': rc = option_number("--rate", optarg, RATE_MAX, &a->rate); break;
        case 'u': rc = option_number("--rate-up", optarg, RATE_MAX, &a->rate_up); break;
        case 'e': rc = option_number("--stall-every", optarg, TIME_MAX, &a->stall_every); break;
        case 'f': rc = option_number("--stall-for", optarg, TIME_MAX, &a->stall_for); break;
        case 'q': rc = option_number("--queue", optarg, 1024 * 1024, &a->queue_kib); break;
        case 'h': fputs(usage, stdout); exit(0);
        case ':':
            fprintf(stderr, "shape_proxy: %s needs a value (see --help)\n", argv[optind - 1]);
            return -EINVAL;
        default:
            fprintf(stderr, "shape_proxy: unknown option %s (see --help)\n", argv[optind - 1]);
            return -EINVAL;
        }
    }
    if (rc < 0)
        return rc;
    if (optind < argc) {
        fprintf(stderr, "shape_proxy: unexpected argument \"%s\" (see --help)\n", argv[optind]);
        return -EINVAL;
    }
    return check_args(a);
}

static int listen_tcp(struct proxy *p, struct sockaddr_in *a)
{
    socklen_t len = sizeof(*a);
    char shown[INET_ADDRSTRLEN];
    int one = 1;

    p->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (p->listen_fd < 0)
        return -errno;
    setsockopt(p->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(p->listen_fd, (struct sockaddr *)a, sizeof(*a)) < 0 || listen(p->listen_fd, 128) < 0 ||
        getsockname(p->listen_fd, (struct sockaddr *)a, &len) < 0)
        return -errno;
    inet_ntop(AF_INET, &a->sin_addr, shown, sizeof(shown));
    say("listening on %s:%u", shown, ntohs(a->sin_port));
    return 0;
}

static int listen_control(struct proxy *p)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    struct stat st;

    if (strlen(p->ctl_path) >= sizeof(a.sun_path))
        return -ENAMETOOLONG;
    strcpy(a.sun_path, p->ctl_path);
    /* a socket left at the path by an earlier run is replaced; a file is not */
    if (lstat(p->ctl_path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(p->ctl_path);
    p->ctl_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (p->ctl_fd < 0 || bind(p->ctl_fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        listen(p->ctl_fd, 8) < 0)
        return -errno;
    return 0;
}

static void proxy_free(struct proxy *p)
{
    size_t i;

    while (p->nconns)
        conn_remove(p, p->nconns - 1);
    for (i = 0; i < MAX_CTLS; i++)
        if (p->ctls[i].fd >= 0)
            close(p->ctls[i].fd);
    if (p->ctl_fd >= 0)
        close(p->ctl_fd);
    if (p->ctl_path)
        unlink(p->ctl_path);
    if (p->listen_fd >= 0)
        close(p->listen_fd);
    if (p->to)
        freeaddrinfo(p->to);
}

/* Takes the resolved --to from a; 0, or -errno when it cannot listen. */
static int proxy_init(struct proxy *p, struct args *a, int64_t now)
{
    int i, rc;

    p->listen_fd = p->ctl_fd = -1;
    for (i = 0; i < MAX_CTLS; i++)
        p->ctls[i].fd = -1;
    p->to = a->to_addr;
    p->to_name = a->to;
    a->to_addr = NULL;
    p->delay = a->delay * NS_PER_MS;
    p->queue_limit = (size_t)a->queue_kib * 1024;
    bucket_set(&p->down_bucket, a->rate, now);
    bucket_set(&p->up_bucket, a->rate_up, now);
    set_stalls(p, a->stall_every, a->stall_for, now);
    if (a->control) {
        p->ctl_path = a->control;
        if ((rc = listen_control(p)) < 0) {
            fprintf(stderr, "shape_proxy: --control %s: %s\n", p->ctl_path, strerror(-rc));
            p->ctl_path = NULL;     /* not ours to remove */
            return rc;
        }
    }
    if ((rc = listen_tcp(p, &a->listen_addr)) < 0)
        fprintf(stderr, "shape_proxy: listening on %s: %s\n", a->listen, strerror(-rc));
    return rc;
}

int main(int argc, char **argv)
{
    struct args a = { .queue_kib = 1024 };
    struct proxy p = { 0 };
    struct sigaction sa = { .sa_handler = on_signal };
    sigset_t block, wait_mask;
    int rc;

    if (parse_args(argc, argv, &a) < 0) {
        if (a.to_addr)
            freeaddrinfo(a.to_addr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    /* the signals arrive only inside ppoll, so none is missed between
     * the check of stop_requested and the wait */
    sigprocmask(SIG_BLOCK, &block, &wait_mask);
    sigdelset(&wait_mask, SIGTERM);
    sigdelset(&wait_mask, SIGINT);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    rc = proxy_init(&p, &a, now_ns()) < 0 ? 1 : run(&p, &wait_mask);
    if (rc == 0)
        print_stats(&p, -1);
    proxy_free(&p);
    return rc;
}
