/* floe-agent: the guest agent daemon (the agent port, the clipboard socket,
 * the display through DRM, or an X session's selections and RandR) and its
 * clipboard commands, `clip get|set`. */
#include "guest-agent/agent.h"
#include "guest-agent/drm.h"
#include "guest-agent/mouse.h"
#include "guest-agent/x11.h"
#include "protocol/spice/enums.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define DEF_PORT "/dev/virtio-ports/com.redhat.spice.0"
#define DEF_SOCKET "/run/floe-agent.sock"
#define DEF_XFER "/root/Downloads"
#define DEF_CARD "/dev/dri/card0"
#define MAX_CONNS 16
#define MAX_CLIP (64u << 20)

static const char usage[] =
    "usage: floe-agent [--port PATH] [--socket PATH] [--xfer-dir DIR] [--no-file-transfer]\n"
    "                  [--card PATH] [--x11 DISPLAY | --no-x11]  run the agent\n"
    "       floe-agent clip get|set [--selection clipboard|primary] [--type text|png]\n"
    "                  [--socket PATH] [--timeout SECONDS]  stdout / stdin\n"
    "       floe-agent kms [--card PATH]                    print the display's modes\n";

/* a `clip` command connected to the daemon */
struct conn {
    int fd;
    char *buf;
    size_t len, need;   /* need: the whole request's length once known */
    int waiting;        /* a get waiting for the client's answer */
    unsigned sel;
    uint32_t type;
};

struct daemon {
    struct floe_agent *agent;
    struct agent_drm *drm;
    struct agent_mouse *mouse;
    struct agent_x11 *x11;   /* an X session: its selections, its RandR */
    int mouse_failed;   /* said once */
    const char *port_path;
    int port;
    int listen_fd;
    int peer_seen;      /* the client's caps came on this port connection */
    int down_said;      /* the port's closing was logged: retries stay quiet */
    int host_up;        /* the host side is connected: capabilities sent */
    struct conn conns[MAX_CONNS];
};

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) {
            struct pollfd pfd = { .fd = fd, .events = POLLOUT };
            if (poll(&pfd, 1, 10000) <= 0)
                return -ETIMEDOUT;
            continue;
        }
        if (w < 0)
            return -errno;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int port_write(void *ctx, const uint8_t *p, size_t n)
{
    struct daemon *d = ctx;
    return d->port < 0 ? -ENOTCONN : write_all(d->port, p, n);
}

static void log_line(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "%s\n", line);
}

static int monitors(void *ctx, const struct floe_agent_monitor *m, uint32_t n, uint32_t flags)
{
    struct daemon *d = ctx;
    int rc = d->x11 ? agent_x11_monitors(d->x11, m, n) : agent_drm_apply(d->drm, m, n);

    (void)flags;   /* positions do not matter to outputs shown alone */
    if (rc == 0 && n)
        agent_mouse_set_size(d->mouse, m[0].width, m[0].height);
    fprintf(stderr, "floe-agent: monitors config: %u monitor(s), the first %ux%u: %s%s\n", n,
            n ? m[0].width : 0, n ? m[0].height : 0, rc < 0 ? strerror(-rc) : "set",
            d->x11 ? " (RandR)" : "");
    return rc;
}

static void mouse(void *ctx, uint32_t x, uint32_t y, uint32_t buttons, uint8_t display)
{
    struct daemon *d = ctx;
    int rc;

    (void)display;   /* one display device: its outputs show one picture */
    if ((rc = agent_mouse_state(d->mouse, x, y, buttons)) < 0 && !d->mouse_failed)
        fprintf(stderr, "floe-agent: no pointer device (/dev/uinput): %s\n", strerror(-rc));
    d->mouse_failed = rc < 0;
}

static void conn_close(struct conn *c)
{
    close(c->fd);
    free(c->buf);
    memset(c, 0, sizeof(*c));
    c->fd = -1;
}

/* answers a command and closes it: "ok LEN\n" and the bytes, or "error TEXT\n" */
static void conn_answer(struct conn *c, const uint8_t *data, size_t len, const char *err)
{
    char head[160];
    int fl = fcntl(c->fd, F_GETFL);

    fcntl(c->fd, F_SETFL, fl & ~O_NONBLOCK);
    if (err)
        snprintf(head, sizeof(head), "error %s\n", err);
    else
        snprintf(head, sizeof(head), "ok %zu\n", len);
    if (write_all(c->fd, (const uint8_t *)head, strlen(head)) == 0 && !err)
        write_all(c->fd, data, len);
    conn_close(c);
}

static void clip_answer(void *ctx, unsigned sel, uint32_t type, const uint8_t *data, size_t len)
{
    struct daemon *d = ctx;

    if (d->x11)
        agent_x11_client_data(d->x11, sel, type, data, len);

    for (int i = 0; i < MAX_CONNS; i++) {
        struct conn *c = &d->conns[i];
        if (c->fd >= 0 && c->waiting && c->sel == sel && c->type == type)
            conn_answer(c, data, len, data ? NULL : "the client gave no data");
    }
}

static void clip_grab(void *ctx, unsigned sel, const uint32_t *types, unsigned n)
{
    struct daemon *d = ctx;

    if (d->x11)
        agent_x11_client_grab(d->x11, sel, types, n);
}

/* only an X session makes offers (floe_agent_clip_offer) */
static void clip_request(void *ctx, unsigned sel, uint32_t type)
{
    struct daemon *d = ctx;

    if (d->x11)
        agent_x11_client_request(d->x11, sel, type);
    else
        floe_agent_clip_reply(d->agent, sel, type, NULL, 0);
}

static const char *clip_error(int rc)
{
    switch (rc) {
    case -ENOTCONN: return "no client takes this selection (none connected, or it lacks the capability)";
    case -EFBIG: return "the data is over the client's clipboard limit";
    case -ENODATA: return "nobody holds this selection with this type";
    case -EINVAL: return "bad selection or type";
    default: return strerror(-rc);
    }
}

/* a whole request: "get SEL TYPE\n" or "set SEL TYPE LEN\n" and LEN bytes */
static void conn_request(struct daemon *d, struct conn *c, const char *line, const uint8_t *data)
{
    char verb[8];
    unsigned sel, type;
    size_t len;
    const uint8_t *p;
    int rc;

    if (sscanf(line, "%7s %u %u", verb, &sel, &type) != 3) {
        conn_answer(c, NULL, 0, "bad request");
    } else if (!strcmp(verb, "set")) {
        sscanf(line, "%*s %*u %*u %zu", &len);
        rc = floe_agent_clip_set(d->agent, sel, type, data, len);
        conn_answer(c, NULL, 0, rc < 0 ? clip_error(rc) : NULL);
    } else if ((rc = floe_agent_clip_get(d->agent, sel, type, &p, &len)) == 1) {
        conn_answer(c, p, len, NULL);
    } else if (rc < 0) {
        conn_answer(c, NULL, 0, clip_error(rc));
    } else {
        c->waiting = 1;
        c->sel = sel;
        c->type = type;
    }
}

static void conn_read(struct daemon *d, struct conn *c)
{
    char *nl;
    size_t want = c->need ? c->need - c->len : 4096;
    char *nb = realloc(c->buf, c->len + want + 1);

    if (!nb)
        return conn_answer(c, NULL, 0, "no memory");
    c->buf = nb;
    ssize_t n = read(c->fd, c->buf + c->len, want);
    if (n <= 0) {
        if (n == 0 || (errno != EAGAIN && errno != EINTR))
            conn_close(c);
        return;
    }
    c->len += (size_t)n;
    c->buf[c->len] = 0;
    if (c->waiting || !(nl = memchr(c->buf, '\n', c->len)))
        return;
    if (!c->need) {
        size_t len = 0;
        if (!strncmp(c->buf, "set ", 4) && (sscanf(c->buf, "%*s %*u %*u %zu", &len) != 1 || len > MAX_CLIP))
            return conn_answer(c, NULL, 0, "bad or too large set request");
        c->need = (size_t)(nl + 1 - c->buf) + len;
    }
    if (c->len >= c->need) {
        *nl = 0;
        conn_request(d, c, c->buf, (const uint8_t *)nl + 1);
    }
}

static void conn_accept(struct daemon *d)
{
    int fd = accept4(d->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (fd < 0)
        return;
    for (int i = 0; i < MAX_CONNS; i++) {
        if (d->conns[i].fd < 0) {
            d->conns[i].fd = fd;
            return;
        }
    }
    close(fd);
}

static int listen_unix(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    unlink(path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0) {
        fprintf(stderr, "floe-agent: cannot listen on %s: %s\n", path, strerror(errno));
        exit(1);
    }
    return fd;
}

/* The port itself stays open while the host side comes and goes (a server
 * that restarts, a socket nobody has connected to yet): closing it would
 * tell the host the agent left. Only an error on it (the device gone, a
 * broken chunk stream) closes it; it is opened again each second. */
static void fail_waiters(struct daemon *d, const char *why)
{
    for (int i = 0; i < MAX_CONNS; i++)
        if (d->conns[i].fd >= 0 && d->conns[i].waiting)
            conn_answer(&d->conns[i], NULL, 0, why);
}

static void port_close(struct daemon *d, const char *why)
{
    if (!d->down_said)
        fprintf(stderr, "floe-agent: port closed (%s); opening it again each second\n", why);
    d->down_said = 1;
    close(d->port);
    d->port = -1;
    d->host_up = 0;
    fail_waiters(d, "the agent port closed");
}

static void host_gone(struct daemon *d)
{
    fprintf(stderr, "floe-agent: the host side of the port is gone; waiting for it\n");
    d->host_up = 0;
    fail_waiters(d, "the host side of the agent port is gone");
}

/* the host side is there (again): a new session, capabilities first */
static void host_check(struct daemon *d)
{
    struct pollfd q = { .fd = d->port, .events = POLLIN };
    int rc;

    if (poll(&q, 1, 0) < 0 || (q.revents & POLLHUP))
        return;
    if (q.revents & (POLLERR | POLLNVAL))
        return port_close(d, "error");
    if ((rc = floe_agent_start(d->agent)) < 0)
        return port_close(d, strerror(-rc));
    d->host_up = 1;
    d->down_said = 0;
    fprintf(stderr, "floe-agent: port %s open, capabilities announced\n", d->port_path);
}

static void port_open(struct daemon *d)
{
    if ((d->port = open(d->port_path, O_RDWR | O_NONBLOCK | O_CLOEXEC)) >= 0)
        d->host_up = 0;
}

static void port_read(struct daemon *d)
{
    uint8_t buf[16384];
    ssize_t n = read(d->port, buf, sizeof(buf));
    int rc;

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n == 0)   /* virtio-serial's end of file: the host side left */
        return host_gone(d);
    if (n < 0)
        return port_close(d, strerror(errno));
    if ((rc = floe_agent_feed(d->agent, buf, (size_t)n)) < 0)
        return port_close(d, strerror(-rc));
    unsigned words;
    const uint32_t *caps = floe_agent_peer_caps(d->agent, &words);
    if (caps && !d->peer_seen)
        fprintf(stderr, "floe-agent: the client announced its capabilities (0x%08x)\n", caps[0]);
    d->peer_seen = caps != NULL;
}

/* An X session's display: `--x11 DISPLAY` (which must open), else $DISPLAY
 * when set (the agent goes on without it when it does not open). */
static int x11_open(struct daemon *d, const char *x11)
{
    const char *env = getenv("DISPLAY");

    if (!x11 && (!env || !*env))
        return 0;
    d->x11 = agent_x11_new(x11 ? x11 : env, d->agent);
    if (!d->x11 && x11)
        return -1;
    if (!d->x11)
        fprintf(stderr, "floe-agent: going on without X: the agent keeps the clipboard\n");
    return 0;
}

static int run_daemon(const char *port, const char *sock, const char *xfer, const char *card,
                      const char *x11)
{
    static struct daemon d;
    struct floe_agent_ops ops = { .write_fn = port_write, .monitors_fn = monitors,
                                  .clip_fn = clip_answer, .clip_grab_fn = clip_grab,
                                  .clip_request_fn = clip_request, .mouse_fn = mouse,
                                  .log_fn = log_line };
    struct pollfd pfd[MAX_CONNS + 3];

    signal(SIGPIPE, SIG_IGN);
    d.port_path = port;
    d.port = -1;
    for (int i = 0; i < MAX_CONNS; i++)
        d.conns[i].fd = -1;
    if (!(d.agent = floe_agent_new(&ops, &d, xfer)) || !(d.drm = agent_drm_new(card)) ||
        !(d.mouse = agent_mouse_new()) || x11_open(&d, x11) < 0)
        return 1;
    d.listen_fd = listen_unix(sock);
    fprintf(stderr, "floe-agent: clipboard commands on %s, files into %s\n", sock,
            xfer ? xfer : "(file transfer off)");
    for (;;) {
        if (d.port < 0)
            port_open(&d);
        if (d.port >= 0 && !d.host_up)
            host_check(&d);
        if (d.x11)
            agent_x11_dispatch(d.x11);
        int n = 0, watch_port = d.port >= 0 && d.host_up;
        pfd[n++] = (struct pollfd){ .fd = d.listen_fd, .events = POLLIN };
        pfd[n++] = (struct pollfd){ .fd = watch_port ? d.port : -1, .events = POLLIN };
        for (int i = 0; i < MAX_CONNS; i++)
            pfd[n++] = (struct pollfd){ .fd = d.conns[i].fd, .events = POLLIN };
        pfd[n++] = (struct pollfd){ .fd = d.x11 ? agent_x11_fd(d.x11) : -1, .events = POLLIN };
        /* without a host side, look again each second */
        if (poll(pfd, (nfds_t)n, watch_port ? -1 : 1000) < 0 && errno != EINTR)
            return 1;
        if (pfd[0].revents)
            conn_accept(&d);
        if (watch_port && pfd[1].revents & (POLLIN | POLLERR))
            port_read(&d);
        else if (watch_port && pfd[1].revents & POLLHUP)
            host_gone(&d);
        for (int i = 0; i < MAX_CONNS; i++)
            if (d.conns[i].fd >= 0 && pfd[2 + i].revents)
                conn_read(&d, &d.conns[i]);
    }
}

/* ---- floe-agent clip get|set: one request to the daemon ---- */

static uint8_t *read_stdin(size_t *len)
{
    size_t cap = 65536, n = 0;
    uint8_t *buf = malloc(cap);
    ssize_t r;

    while (buf && (r = read(0, buf + n, cap - n)) > 0) {
        n += (size_t)r;
        if (n == cap && !(buf = n < MAX_CLIP ? realloc(buf, cap *= 2) : NULL))
            break;
    }
    *len = n;
    return buf;
}

static int run_clip(const char *verb, unsigned sel, uint32_t type, const char *sock, int timeout)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct timeval tv = { .tv_sec = timeout };
    char head[64];
    uint8_t *data = NULL;
    size_t len = 0;

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        fprintf(stderr, "floe-agent: no agent on %s: %s\n", sock, strerror(errno));
        return 1;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (!strcmp(verb, "set")) {
        if (!(data = read_stdin(&len))) {
            fprintf(stderr, "floe-agent: the clipboard is over %u bytes\n", MAX_CLIP);
            return 1;
        }
    }
    snprintf(head, sizeof(head), "%s %u %u %zu\n", verb, sel, type, len);
    if (write_all(fd, (const uint8_t *)head, strlen(head)) < 0 || write_all(fd, data, len) < 0) {
        fprintf(stderr, "floe-agent: the agent went away\n");
        return 1;
    }
    free(data);
    FILE *in = fdopen(fd, "r");
    char line[256];
    if (!fgets(line, sizeof(line), in)) {
        fprintf(stderr, "floe-agent: no answer from the agent within %d s\n", timeout);
        return 1;
    }
    line[strcspn(line, "\n")] = 0;
    if (strncmp(line, "ok ", 3)) {
        fprintf(stderr, "floe-agent: clip %s: %s\n", verb, line[0] ? line + 6 : "no answer");
        return 1;
    }
    len = strtoul(line + 3, NULL, 10);
    char buf[65536];
    for (size_t got = 0, n; got < len; got += n) {
        size_t want = len - got < sizeof(buf) ? len - got : sizeof(buf);
        if (!(n = fread(buf, 1, want, in))) {
            fprintf(stderr, "floe-agent: the answer is cut short\n");
            return 1;
        }
        fwrite(buf, 1, n, stdout);
    }
    fclose(in);
    return 0;
}

static int bad_arg(const char *what)
{
    fprintf(stderr, "floe-agent: %s (floe-agent --help)\n", what);
    return 2;
}

int main(int argc, char **argv)
{
    const char *port = DEF_PORT, *sock = DEF_SOCKET, *xfer = DEF_XFER, *card = DEF_CARD;
    const char *x11 = NULL;
    const char *cmd = NULL, *verb = NULL;
    unsigned sel = VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD;
    uint32_t type = VD_AGENT_CLIPBOARD_UTF8_TEXT;
    int timeout = 10;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(a, "--port") && v) port = v;
        else if (!strcmp(a, "--socket") && v) sock = v;
        else if (!strcmp(a, "--xfer-dir") && v) xfer = v;
        else if (!strcmp(a, "--card") && v) card = v;
        else if (!strcmp(a, "--x11") && v) x11 = v;
        else if (!strcmp(a, "--timeout") && v && atoi(v) > 0) timeout = atoi(v);
        else if (!strcmp(a, "--selection") && v && (!strcmp(v, "clipboard") || !strcmp(v, "primary")))
            sel = !strcmp(v, "primary");
        else if (!strcmp(a, "--type") && v && (!strcmp(v, "text") || !strcmp(v, "png")))
            type = !strcmp(v, "png") ? VD_AGENT_CLIPBOARD_IMAGE_PNG : VD_AGENT_CLIPBOARD_UTF8_TEXT;
        else {
            takes = 0;
            if (!strcmp(a, "--no-file-transfer")) xfer = NULL;
            else if (!strcmp(a, "--no-x11")) unsetenv("DISPLAY"), x11 = NULL;
            else if (!cmd && (!strcmp(a, "clip") || !strcmp(a, "kms"))) cmd = a;
            else if (cmd && !strcmp(cmd, "clip") && !verb && (!strcmp(a, "get") || !strcmp(a, "set")))
                verb = a;
            else
                return bad_arg(a[0] == '-' ? "unknown option or missing value" : "unknown command");
        }
        i += takes;
    }
    if (cmd && !strcmp(cmd, "kms")) {
        int rc = agent_drm_print(card, stdout);
        if (rc < 0)
            fprintf(stderr, "floe-agent: %s: %s\n", card, strerror(-rc));
        return rc < 0;
    }
    if (cmd)
        return verb ? run_clip(verb, sel, type, sock, timeout) : bad_arg("clip needs get or set");
    return run_daemon(port, sock, xfer, card, x11);
}
