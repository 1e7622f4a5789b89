/* libfloe-server's top object: options, the TCP and unix listeners, the
 * periodic PING, the host's channel events, client listing and statistics. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "server/internal.h"

/* The channels served: one DISPLAY per monitor (ids 0..monitors-1), one
 * of each other type (id 0). */
static const struct fsrv_chan_ops *channel_ops(struct floe_server *s, uint8_t type, uint8_t id)
{
    if (type == SPICE_CHANNEL_DISPLAY)
        return id < s->monitors ? &fsrv_display_ops : NULL;
    if (id != 0)
        return NULL;
    switch (type) {
    case SPICE_CHANNEL_MAIN: return &fsrv_main_ops;
    case SPICE_CHANNEL_INPUTS: return &fsrv_inputs_ops;
    case SPICE_CHANNEL_CURSOR: return &fsrv_cursor_ops;
    default: return NULL;
    }
}

static void chan_gone(struct floe_server *s);

/* Tells the host's sink about c. A connection is reported only if its
 * start was: then the host hears of all of it. */
static void report(struct fsrv_chan *c, int event)
{
    struct floe_server *s = c->srv;
    struct floe_channel_info info;

    if (event == FLOE_CHANNEL_CONNECTED)
        c->reported = s->events.channel_fn != NULL;
    if (!c->reported || !s->events.channel_fn)
        return;
    memset(&info, 0, sizeof(info));
    info.conn = c->conn;
    if (c->state == LINK_DONE) {
        info.type = c->type;
        info.id = c->id;
        info.session_id = c->session_id;
    }
    info.laddr = c->laddr;
    info.llen = c->llen;
    info.paddr = c->paddr;
    info.plen = c->plen;
    s->events.channel_fn(s->events.opaque, event, &info);
}

static void chan_connected(struct fsrv_chan *c)
{
    report(c, FLOE_CHANNEL_CONNECTED);
}

static void chan_initialized(struct fsrv_chan *c)
{
    report(c, FLOE_CHANNEL_INITIALIZED);
}

static void chan_disconnected(struct fsrv_chan *c)
{
    report(c, FLOE_CHANNEL_DISCONNECTED);
}

static const struct fsrv_net_owner net_owner = {
    .channel_ops = channel_ops,
    .attach = fsrv_session_attach,
    .detach = fsrv_session_detach,
    .gone = chan_gone,
    .connected = chan_connected,
    .initialized = chan_initialized,
    .disconnected = chan_disconnected,
};

void floe_server_set_event_sink(struct floe_server *s, const struct floe_event_sink *sink)
{
    if (sink)
        s->events = *sink;
    else
        memset(&s->events, 0, sizeof(s->events));
}

static void on_connection(uv_stream_t *listener, int status)
{
    struct floe_server *s = listener->data;

    if (status < 0) {
        floe_warn("accept failed: %s", uv_strerror(status));
        return;
    }
    fsrv_chan_accept(s, listener);
}

/* Once a second: cut channels that take too long to close, watch each
 * link, send lossy areas again to clients whose link is fast; every ten
 * seconds a PING on each main channel. */
static void on_ping_timer(uv_timer_t *t)
{
    struct floe_server *s = t->data;
    uint64_t now = fsrv_now_ms();

    for (struct fsrv_chan *c = s->chans, *next; c; c = next) {
        next = c->next;
        fsrv_chan_expire(c, now);
    }
    fsrv_link_watch(s);
    fsrv_lossy_tick(s);
    if (++s->ticks % 10)
        return;
    for (struct fsrv_session *ss = s->sessions; ss; ss = ss->next)
        if (ss->main)
            fsrv_chan_ping(ss->main);
}

struct floe_server *floe_server_new(uv_loop_t *loop, const struct floe_server_options *opt)
{
    struct floe_server *s = calloc(1, sizeof(*s));

    if (opt->monitors < 0 || opt->monitors > FLOE_SERVER_MAX_MONITORS) {
        floe_err("%d monitors asked: a server serves 1 to %d", opt->monitors,
                 FLOE_SERVER_MAX_MONITORS);
        free(s);
        errno = EINVAL;
        return NULL;
    }
    if (!s) {
        errno = ENOMEM;
        return NULL;
    }
    s->net = &net_owner;
    s->loop = loop;
    s->opt = *opt;
    s->name = strdup(opt->name ? opt->name : "floe");
    s->password_file = opt->password_file ? strdup(opt->password_file) : NULL;
    s->opt.name = s->name;
    s->opt.password_file = s->password_file;
    s->monitors = opt->monitors > 0 ? opt->monitors : 1;
    s->opt.monitors = s->monitors;
    s->start_ms = fsrv_now_ms();
    s->mouse_modes = FLOE_MOUSE_MODE_SERVER | FLOE_MOUSE_MODE_CLIENT;
    s->mouse_mode_now = FLOE_MOUSE_MODE_CLIENT;
    if (fsrv_auth_init(s) < 0) {
        floe_err("could not create the RSA key for tickets");
        free(s->name);
        free(s->password_file);
        free(s);
        errno = EIO;
        return NULL;
    }
    uv_timer_init(loop, &s->ping_timer);
    s->ping_timer.data = s;
    uv_timer_start(&s->ping_timer, on_ping_timer, 1000, 1000);
    uv_unref((uv_handle_t *)&s->ping_timer);
    return s;
}

int floe_server_listen(struct floe_server *s, const char *host, int port, int *bound)
{
    struct sockaddr_storage addr;
    int rc, len = sizeof(addr);

    if (uv_ip4_addr(host, port, (struct sockaddr_in *)&addr) != 0 &&
        uv_ip6_addr(host, port, (struct sockaddr_in6 *)&addr) != 0)
        return -EINVAL;
    uv_tcp_init(s->loop, &s->listener);
    s->listener.data = s;
    s->listening = 1;
    rc = uv_tcp_bind(&s->listener, (struct sockaddr *)&addr, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&s->listener, 64, on_connection);
    if (rc < 0)
        return rc;
    if (bound && uv_tcp_getsockname(&s->listener, (struct sockaddr *)&addr, &len) == 0)
        *bound = ntohs(addr.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&addr)->sin6_port
                                                  : ((struct sockaddr_in *)&addr)->sin_port);
    return 0;
}

static void free_handle(uv_handle_t *h)
{
    free(h);
}

int floe_server_listen_unix(struct floe_server *s, const char *path)
{
    uv_pipe_t *p;
    int rc, bound, stale;

    if (s->unix_listener)
        return -EBUSY;
    if (!path || !*path)
        return -EINVAL;
    if ((rc = floe_server_unix_path_claim(path, &stale)) < 0)
        return rc;
    if (stale)
        floe_info("replaced the stale socket %s (nothing listened on it)", path);
    if (!(p = calloc(1, sizeof(*p))) || !(s->unix_path = strdup(path))) {
        free(p);
        return -ENOMEM;
    }
    uv_pipe_init(s->loop, p, 0);
    p->data = s;
    rc = uv_pipe_bind(p, path);
    bound = rc == 0;
    if (bound)
        rc = uv_listen((uv_stream_t *)p, 64, on_connection);
    if (rc < 0) {
        if (bound)
            unlink(path);
        uv_close((uv_handle_t *)p, free_handle);
        free(s->unix_path);
        s->unix_path = NULL;
        return rc;
    }
    s->unix_listener = p;
    return 0;
}

static void unix_listener_close(struct floe_server *s)
{
    if (!s->unix_listener)
        return;
    /* libuv also unlinks the path it bound as the handle closes; removing
     * it here keeps the promise without resting on that */
    unlink(s->unix_path);
    uv_close((uv_handle_t *)s->unix_listener, free_handle);
    s->unix_listener = NULL;
    free(s->unix_path);
    s->unix_path = NULL;
}

static void chan_gone(struct floe_server *s)
{
    /* the timer cuts clients that do not take their last bytes: it stays
     * until the last connection is gone */
    if (s->closing && !s->chans && !uv_is_closing((uv_handle_t *)&s->ping_timer))
        uv_close((uv_handle_t *)&s->ping_timer, NULL);
}

void floe_server_close(struct floe_server *s)
{
    if (s->listening) {
        uv_close((uv_handle_t *)&s->listener, NULL);
        s->listening = 0;
    }
    unix_listener_close(s);
    s->closing = 1;
    fsrv_stream_close(s);
    uv_ref((uv_handle_t *)&s->ping_timer);
    for (struct fsrv_chan *c = s->chans; c; c = c->next)
        fsrv_chan_disconnect(c, SPICE_LINK_ERR_OK, "server shutting down");
    chan_gone(s);
}

int floe_server_disconnect_clients(struct floe_server *s, uint32_t reason, const char *why)
{
    int n = 0;

    for (struct fsrv_session *ss = s->sessions; ss; ss = ss->next)
        n++;
    if (n)
        floe_info("disconnecting %d client session%s: %s", n, n == 1 ? "" : "s", why);
    for (struct fsrv_chan *c = s->chans; c; c = c->next)
        fsrv_chan_disconnect(c, reason, why);
    return n;
}

void floe_server_free(struct floe_server *s)
{
    if (!s)
        return;
    for (int k = 0; k < FLOE_SERVER_MAX_MONITORS; k++)
        fsrv_surface_free(&s->primary[k]);
    fsrv_offscreen_free_all(s);
    fsrv_agent_port_reset(s);
    fsrv_agent_in_reset(&s->agent.in);
    free(s->cursor.argb);
    EVP_PKEY_free(s->key);
    free(s->name);
    free(s->password_file);
    free(s->unix_path);
    OPENSSL_cleanse(s->ticket, sizeof(s->ticket));
    free(s);
}

void floe_server_set_input_sink(struct floe_server *s, const struct floe_input_sink *sink)
{
    s->sink = *sink;
    if (s->sink.mouse_mode_fn)
        s->sink.mouse_mode_fn(s->sink.opaque, s->mouse_mode_now);
}

void floe_server_set_input_host(struct floe_server *s, const struct floe_input_host *h)
{
    if (h && h->call_fn && h->watch_fn && h->unwatch_fn)
        s->input_host = *h;
    else
        memset(&s->input_host, 0, sizeof(s->input_host));
}

int floe_server_monitors(const struct floe_server *s)
{
    return s->monitors;
}

/* The model and every session hold state for FLOE_SERVER_MAX_MONITORS, so
 * the count only says what is offered and drawn: a lowered monitor's
 * surface stays until the server is freed. */
int floe_server_set_monitors(struct floe_server *s, int monitors)
{
    if (monitors < 1 || monitors > FLOE_SERVER_MAX_MONITORS)
        return -EINVAL;
    if (monitors != s->monitors)
        floe_info("monitors: %d, for the sessions linking from now on", monitors);
    s->monitors = monitors;
    s->opt.monitors = monitors;
    return 0;
}

void floe_server_set_exclusive(struct floe_server *s, int on)
{
    s->opt.exclusive = on != 0;
}

void floe_server_get_stats(struct floe_server *s, struct floe_server_stats *st)
{
    *st = s->stats;
}

/* " display" for monitor 0's channel, " display:K" for the others'; the
 * bytes pending on all of them into *pending, the messages queued into
 * *queued. */
static void describe_displays(const struct fsrv_session *ss, char *out, size_t len,
                              size_t *pending, size_t *queued)
{
    size_t used = 0;

    out[0] = 0;
    *pending = *queued = 0;
    for (int k = 0; k < FLOE_SERVER_MAX_MONITORS; k++) {
        const struct fsrv_chan *d = ss->display[k];

        if (!d)
            continue;
        *pending += d->queued_bytes + d->inflight_bytes;
        *queued += d->queued_msgs;
        if (k == 0)
            used += (size_t)snprintf(out + used, len - used, " display");
        else
            used += (size_t)snprintf(out + used, len - used, " display:%d", k);
        /* the server renders draw operations for this one */
        if (fsrv_display_server_renders(d) && used < len)
            used += (size_t)snprintf(out + used, len - used, "(server-rendered)");
    }
}

void floe_server_describe_clients(struct floe_server *s, char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = 0;
    for (struct fsrv_session *ss = s->sessions; ss && used < len; ss = ss->next) {
        const char *peer = ss->main ? ss->main->peer : "?";
        char displays[40 * FLOE_SERVER_MAX_MONITORS], stream[128] = "";
        size_t pending, queued;
        uint64_t lossy = 0;
        int n;

        describe_displays(ss, displays, sizeof(displays), &pending, &queued);
        /* what its displays hold lossy, to be sent again once the link is fast */
        for (int k = 0; k < FLOE_SERVER_MAX_MONITORS; k++)
            if (ss->display[k])
                lossy += fsrv_lossy_pixels(ss->display[k]->lossy);
        /* the video stream of monitor 0, while the client has one */
        if (ss->display[0] && ss->display[0]->stream_joined &&
            fsrv_display_stream_enc(ss->display[0]))
            fsrv_stream_enc_describe(fsrv_display_stream_enc(ss->display[0]), stream,
                                     sizeof(stream));
        n = snprintf(buf + used, len - used,
                     "session %u %s channels:%s%s%s%s mouse=%s display_pending=%zu "
                     "display_queued=%zu link=%s bandwidth_kbps=%llu lossy_px=%llu%s\n",
                     ss->id, peer, ss->main ? " main" : "", displays,
                     ss->inputs ? " inputs" : "", ss->cursor ? " cursor" : "",
                     ss->mouse_mode == SPICE_MOUSE_MODE_CLIENT ? "client" : "server", pending, queued,
                     !ss->bandwidth_bps ? "unmeasured" : ss->slow_link ? "slow" : "fast",
                     (unsigned long long)(ss->bandwidth_bps / 1000),
                     (unsigned long long)lossy, stream);

        if (n < 0)
            break;
        used += (size_t)n;
    }
}
