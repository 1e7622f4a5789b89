/* The control socket (see control.h): snapshot, freeze, thaw, clients, stats,
 * typed, quit, help and the program's own commands. Lines over 4 KiB close it. */
#include "programs/floe-server/control.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codecs/codec.h"
#include "common/log.h"
#include "protocol/spice/enums.h"

#define LINE_MAX_BYTES 4096

struct ctl_conn;

struct floe_control {
    uv_pipe_t pipe;
    struct floe_server *srv;
    struct floe_control_hooks hooks;
    char *path;
    struct ctl_conn *conns;
};

struct ctl_conn {
    uv_pipe_t pipe;
    struct floe_control *ctl;   /* NULL once the control socket is gone */
    struct ctl_conn *next;
    char buf[LINE_MAX_BYTES];
    size_t len;
};

static void conn_free(uv_handle_t *h)
{
    struct ctl_conn *cc = h->data;

    if (cc->ctl)
        for (struct ctl_conn **pp = &cc->ctl->conns; *pp; pp = &(*pp)->next)
            if (*pp == cc) {
                *pp = cc->next;
                break;
            }
    free(cc);
}

static void conn_shut(uv_shutdown_t *req, int status)
{
    uv_handle_t *h = (uv_handle_t *)req->handle;

    free(req);
    if (!uv_is_closing(h))
        uv_close(h, conn_free);
}

/* Closes after the replies already queued are written. */
static void conn_close(struct ctl_conn *cc)
{
    uv_shutdown_t *req;

    if (uv_is_closing((uv_handle_t *)&cc->pipe))
        return;
    req = malloc(sizeof(*req));
    if (!req || uv_shutdown(req, (uv_stream_t *)&cc->pipe, conn_shut) < 0) {
        free(req);
        uv_close((uv_handle_t *)&cc->pipe, conn_free);
    }
}

static void reply_done(uv_write_t *req, int status)
{
    free(req->data);
    free(req);
}

static void reply(struct ctl_conn *cc, const char *text)
{
    uv_write_t *req = malloc(sizeof(*req));
    char *copy = strdup(text);
    uv_buf_t b;

    if (!req || !copy) {
        free(req);
        free(copy);
        return;
    }
    req->data = copy;
    b = uv_buf_init(copy, (unsigned)strlen(copy));
    if (uv_write(req, (uv_stream_t *)&cc->pipe, &b, 1, reply_done) < 0)
        reply_done(req, 0);
}

/* Splits "PATH [MONITOR]": a last word of digits after a space is the
 * monitor (cut off arg); otherwise monitor 0. -1 for a monitor too large. */
static int snapshot_monitor(char *arg)
{
    char *sp = strrchr(arg, ' '), *end;
    long k;

    if (!sp || sp == arg || !sp[1] || strspn(sp + 1, "0123456789") != strlen(sp + 1))
        return 0;
    k = strtol(sp + 1, &end, 10);
    *sp = 0;
    return k > FLOE_SERVER_MAX_MONITORS ? -1 : (int)k;
}

static void cmd_snapshot(struct ctl_conn *cc, char *arg)
{
    char msg[300];
    int rc, monitor = snapshot_monitor(arg);

    if (!*arg) {
        reply(cc, "error: usage: snapshot FILE.png [MONITOR]\n");
        return;
    }
    if (monitor < 0 || monitor >= floe_server_monitors(cc->ctl->srv)) {
        snprintf(msg, sizeof(msg), "error: snapshot: no monitor %s (monitors: 0 to %d)\n",
                 arg + strlen(arg) + 1, floe_server_monitors(cc->ctl->srv) - 1);
        reply(cc, msg);
        return;
    }
    rc = floe_server_snapshot_monitor(cc->ctl->srv, monitor, arg);
    if (rc < 0)
        snprintf(msg, sizeof(msg), "error: snapshot: %s\n", strerror(-rc));
    else
        snprintf(msg, sizeof(msg), "ok\n");
    reply(cc, msg);
}

static void cmd_stats(struct ctl_conn *cc)
{
    struct floe_server_stats st;
    char msg[1536];

    floe_server_get_stats(cc->ctl->srv, &st);
    snprintf(msg, sizeof(msg),
             "frames=%llu bytes=%llu messages=%llu clients=%d images=%llu image_raw=%llu "
             "image_coded=%llu cache_hits=%llu scrolls=%llu fills=%llu streams=%llu "
             "stream_frames=%llu ops_offloaded=%llu ops_rendered=%llu "
             "occluded=%llu server_rendered_clients=%d offscreen_surfaces=%d "
             "lossless_refresh=%llu lossless_refresh_px=%llu agent=%d agent_to_guest=%llu "
             "agent_from_guest=%llu agent_dropped=%llu\nok\n",
             (unsigned long long)st.frames, (unsigned long long)st.bytes_sent,
             (unsigned long long)st.messages_sent, st.clients, (unsigned long long)st.images,
             (unsigned long long)st.image_bytes_raw, (unsigned long long)st.image_bytes_coded,
             (unsigned long long)st.cache_hits, (unsigned long long)st.scrolls,
             (unsigned long long)st.fills, (unsigned long long)st.streams,
             (unsigned long long)st.stream_frames, (unsigned long long)st.ops_offloaded,
             (unsigned long long)st.ops_rendered, (unsigned long long)st.occluded,
             st.server_rendered_clients, st.offscreen_surfaces,
             (unsigned long long)st.lossless_refresh,
             (unsigned long long)st.lossless_refresh_pixels, st.agent,
             (unsigned long long)st.agent_to_guest, (unsigned long long)st.agent_from_guest,
             (unsigned long long)st.agent_dropped);
    /* the images by the name their codec goes by */
    for (int t = 0; t < 128; t++) {
        const struct floe_codec *codec = floe_codec_by_type((uint8_t)t);
        const char *name = t == 0 ? "raw" : t == SPICE_IMAGE_FROM_CACHE ? "from_cache"
                                          : codec ? codec->name : NULL;
        size_t at = strlen(msg) - 4;   /* at the newline before "ok\n" */

        if (st.images_by_type[t] && name && at < sizeof(msg) - 64)
            snprintf(msg + at, sizeof(msg) - at, "%s%s=%llu\nok\n",
                     msg[at - 1] == '\n' ? "" : " ", name,
                     (unsigned long long)st.images_by_type[t]);
    }
    reply(cc, msg);
}

static void cmd_hook(struct ctl_conn *cc, const char *cmd)
{
    const struct floe_control_hooks *h = &cc->ctl->hooks;

    if (strcmp(cmd, "freeze") == 0 || strcmp(cmd, "thaw") == 0) {
        if (!h->freeze_fn) {
            reply(cc, "error: this source cannot freeze\n");
            return;
        }
        h->freeze_fn(h->opaque, cmd[0] == 'f');
        reply(cc, "ok\n");
    } else if (strcmp(cmd, "typed") == 0) {
        const char *t = h->typed_fn ? h->typed_fn(h->opaque) : NULL;
        size_t n = t ? strlen(t) : 0;
        char *msg = malloc(n + 8);

        if (!msg)
            return;
        /* one line: newlines typed are shown as \n */
        size_t o = 0;
        for (size_t i = 0; i < n; i++)
            msg[o++] = t[i] == '\n' ? '|' : t[i];
        strcpy(msg + o, "\nok\n");
        reply(cc, msg);
        free(msg);
    }
}

/* A command of the program's; 0 when it took it. */
static int run_program_command(struct ctl_conn *cc, const char *cmd, const char *arg)
{
    const struct floe_control_hooks *h = &cc->ctl->hooks;
    char out[2048], msg[2100];
    int rc;

    if (!h->command_fn)
        return -1;
    out[0] = 0;
    rc = h->command_fn(h->opaque, cmd, arg, out, sizeof(out));
    if (rc > 0)
        return -1;
    if (rc < 0)
        snprintf(msg, sizeof(msg), "error: %s\n", out);
    else
        snprintf(msg, sizeof(msg), "%s%sok\n", out, out[0] ? "\n" : "");
    reply(cc, msg);
    return 0;
}

/* The commands that read this server's clients and pictures. */
static int reads_display(const char *cmd)
{
    return !strcmp(cmd, "snapshot") || !strcmp(cmd, "clients") || !strcmp(cmd, "stats") ||
           !strcmp(cmd, "disconnect");
}

static void run_line(struct ctl_conn *cc, char *line)
{
    static char clients[16384];
    char *arg = strchr(line, ' ');

    if (arg)
        *arg++ = 0;
    else
        arg = line + strlen(line);
    if (cc->ctl->hooks.display_elsewhere && reads_display(line)) {
        char msg[512];

        snprintf(msg, sizeof(msg), "error: %s: %s\n", line, cc->ctl->hooks.display_elsewhere);
        reply(cc, msg);
    } else if (strcmp(line, "snapshot") == 0) {
        cmd_snapshot(cc, arg);
    } else if (!strcmp(line, "freeze") || !strcmp(line, "thaw") || !strcmp(line, "typed")) {
        cmd_hook(cc, line);
    } else if (strcmp(line, "clients") == 0) {
        floe_server_describe_clients(cc->ctl->srv, clients, sizeof(clients) - 4);
        strcat(clients, "ok\n");
        reply(cc, clients);
    } else if (strcmp(line, "stats") == 0) {
        cmd_stats(cc);
    } else if (strcmp(line, "disconnect") == 0) {
        char msg[64];
        int n = floe_server_disconnect_clients(cc->ctl->srv, 0, "asked on the control socket");

        snprintf(msg, sizeof(msg), "sessions=%d\nok\n", n);
        reply(cc, msg);
    } else if (strcmp(line, "quit") == 0) {
        reply(cc, "ok\n");
        if (cc->ctl->hooks.quit_fn)
            cc->ctl->hooks.quit_fn(cc->ctl->hooks.opaque);
    } else if (strcmp(line, "help") == 0 || *line == 0) {
        char msg[512];

        snprintf(msg, sizeof(msg), "commands: snapshot FILE.png [MONITOR] | freeze | thaw | "
                 "clients | stats | disconnect | typed | quit | help%s%s\nok\n",
                 cc->ctl->hooks.command_help ? " | " : "",
                 cc->ctl->hooks.command_help ? cc->ctl->hooks.command_help : "");
        reply(cc, msg);
    } else if (run_program_command(cc, line, arg) == 0) {
        /* answered */
    } else {
        reply(cc, "error: unknown command (try 'help')\n");
    }
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    struct ctl_conn *cc = h->data;

    *buf = uv_buf_init(cc->buf + cc->len, (unsigned)(sizeof(cc->buf) - cc->len));
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    struct ctl_conn *cc = st->data;
    char *nl;

    if (n < 0) {
        if (!uv_is_closing((uv_handle_t *)st))
            uv_close((uv_handle_t *)st, conn_free);
        return;
    }
    cc->len += (size_t)n;
    while (cc->ctl && (nl = memchr(cc->buf, '\n', cc->len))) {
        size_t used = (size_t)(nl - cc->buf) + 1;

        *nl = 0;
        if (nl > cc->buf && nl[-1] == '\r')
            nl[-1] = 0;
        run_line(cc, cc->buf);
        memmove(cc->buf, cc->buf + used, cc->len - used);
        cc->len -= used;
    }
    if (cc->len == sizeof(cc->buf)) {
        reply(cc, "error: line too long\n");
        uv_read_stop(st);
        conn_close(cc);
    }
}

static void on_connection(uv_stream_t *server, int status)
{
    struct floe_control *ctl = server->data;
    struct ctl_conn *cc;

    if (status < 0 || !(cc = calloc(1, sizeof(*cc))))
        return;
    cc->ctl = ctl;
    cc->next = ctl->conns;
    ctl->conns = cc;
    uv_pipe_init(server->loop, &cc->pipe, 0);
    cc->pipe.data = cc;
    if (uv_accept(server, (uv_stream_t *)&cc->pipe) < 0) {
        conn_close(cc);
        return;
    }
    uv_read_start((uv_stream_t *)&cc->pipe, on_alloc, on_read);
}

struct floe_control *floe_control_new(uv_loop_t *loop, struct floe_server *s, const char *path,
                                      const struct floe_control_hooks *hooks)
{
    struct floe_control *ctl = calloc(1, sizeof(*ctl));
    int rc;

    if (!ctl)
        return NULL;
    ctl->srv = s;
    ctl->hooks = *hooks;
    ctl->path = strdup(path);
    uv_pipe_init(loop, &ctl->pipe, 0);
    ctl->pipe.data = ctl;
    /* a mistyped path must not delete a file, nor a second server take
     * over a live socket */
    rc = floe_server_unix_path_claim(path, NULL);
    if (rc < 0) {
        floe_err("control socket %s: %s", path, floe_server_unix_path_error(rc));
    } else {
        /* the socket takes its mode from the umask as it is bound: the
         * owner's only, whatever the umask (it can stop the server) */
        mode_t old = umask(0177);
        rc = uv_pipe_bind(&ctl->pipe, path);
        umask(old);
        if (rc == 0)
            rc = uv_listen((uv_stream_t *)&ctl->pipe, 8, on_connection);
        if (rc < 0)
            floe_err("control socket %s: %s", path, uv_strerror(rc));
    }
    if (rc < 0) {
        uv_close((uv_handle_t *)&ctl->pipe, NULL);
        uv_run(loop, UV_RUN_NOWAIT);
        free(ctl->path);
        free(ctl);
        errno = -rc;
        return NULL;
    }
    return ctl;
}

static void control_freed(uv_handle_t *h)
{
    struct floe_control *ctl = h->data;

    free(ctl->path);
    free(ctl);
}

void floe_control_free(struct floe_control *ctl)
{
    if (!ctl)
        return;
    /* open connections get their last reply, then close */
    for (struct ctl_conn *cc = ctl->conns; cc; cc = cc->next) {
        cc->ctl = NULL;
        uv_read_stop((uv_stream_t *)&cc->pipe);
        conn_close(cc);
    }
    ctl->conns = NULL;
    unlink(ctl->path);
    uv_close((uv_handle_t *)&ctl->pipe, control_freed);
}
