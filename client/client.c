/* The floe_client object: options, the MAIN link, the poll() network loop
 * (on a thread of its own or driven by the caller) and the canvas accessors. */
#include "client/display.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "codecs/png.h"
#include "common/log.h"

#define DEFAULT_CACHE_BYTES (20ull << 20)
#define FRAME_GAP_MS 8

static __thread int in_net_loop;

struct floe_client *floe_client_new(const struct floe_client_options *opt)
{
    struct floe_client *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->host = strdup(opt->host ? opt->host : "");
    c->password = opt->password ? strdup(opt->password) : NULL;
    c->unix_path = opt->unix_path ? strdup(opt->unix_path) : NULL;
    if (!c->host || (opt->password && !c->password) || (opt->unix_path && !c->unix_path) ||
        pipe2(c->wake, O_CLOEXEC | O_NONBLOCK)) {
        free(c->host);
        free(c->password);
        free(c->unix_path);
        free(c);
        return NULL;
    }
    c->port = opt->port;
    c->timeout_ms = opt->timeout_ms > 0 ? opt->timeout_ms : 10000;
    c->preferred_compression = opt->preferred_compression;
    c->pixmap_cache_bytes = opt->pixmap_cache_bytes ? opt->pixmap_cache_bytes : DEFAULT_CACHE_BYTES;
    c->event_fn = opt->event_fn;
    c->opaque = opt->opaque;
    c->agent.no_clipboard = opt->no_clipboard;
    c->agent.no_xfer = opt->no_file_transfer;
    pthread_mutex_init(&c->lock, NULL);
    pthread_mutex_init(&c->send_lock, NULL);
    atomic_init(&c->mouse_mode, SPICE_MOUSE_MODE_SERVER);
    for (int k = 0; k < FLOE_CLIENT_MAX_DISPLAYS; k++) {
        fcli_display_init(&c->displays[k], c->pixmap_cache_bytes / 4);
        c->displays[k].mm_clock = &c->mm_clock;
    }
    return c;
}

static void close_all(struct floe_client *c)
{
    for (int i = FLOE_CHAN_COUNT - 1; i >= 0; i--) {
        struct fcli_chan *ch;

        pthread_mutex_lock(&c->send_lock);
        ch = c->chans[i];
        c->chans[i] = NULL;
        pthread_mutex_unlock(&c->send_lock);
        fcli_chan_free(ch);
    }
    atomic_store(&c->connected, 0);
    atomic_store(&c->inputs_ready, 0);
}

void floe_client_free(struct floe_client *c)
{
    if (!c)
        return;
    floe_client_stop(c);
    close_all(c);
    for (int k = 0; k < FLOE_CLIENT_MAX_DISPLAYS; k++)
        fcli_display_fini(&c->displays[k]);
    fcli_cursor_state_fini(&c->cursor);
    fcli_agent_fini(c);
    pthread_mutex_destroy(&c->lock);
    pthread_mutex_destroy(&c->send_lock);
    close(c->wake[0]);
    close(c->wake[1]);
    free(c->host);
    free(c->password);
    free(c->unix_path);
    free(c);
}

/* Wakes the network loop (no-op when called from it). */
static void wake(struct floe_client *c)
{
    if (!in_net_loop) {
        char b = 1;
        ssize_t n = write(c->wake[1], &b, 1);

        (void)n; /* a full pipe already wakes the loop */
    }
}

static void emit(struct floe_client *c, enum floe_client_event ev)
{
    if (c->event_fn)
        c->event_fn(c->opaque, ev);
}

/* Records why the session ended (first reason wins). */
static __attribute__((format(printf, 2, 3))) void set_error(struct floe_client *c,
                                                            const char *fmt, ...)
{
    va_list ap;

    pthread_mutex_lock(&c->lock);
    if (!c->error[0]) {
        va_start(ap, fmt);
        vsnprintf(c->error, sizeof(c->error), fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&c->lock);
}

static void owner_error(struct floe_client *c, const char *reason)
{
    set_error(c, "%s", reason);
}

static int owner_open(struct floe_client *c, uint8_t type, uint8_t id);

/* What every channel of this client is handed to reach it. */
static const struct fcli_chan_owner client_owner = {
    .emit_fn = emit,
    .wake_fn = wake,
    .error_fn = owner_error,
    .open_fn = owner_open,
};

static void caps_for(uint8_t type, struct spice_caps *caps)
{
    memset(caps, 0, sizeof(*caps));
    spice_caps_set(caps->common, SPICE_COMMON_CAP_AUTH_SELECTION);
    spice_caps_set(caps->common, SPICE_COMMON_CAP_AUTH_SPICE);
    spice_caps_set(caps->common, SPICE_COMMON_CAP_MINI_HEADER);
    if (type == SPICE_CHANNEL_MAIN)
        spice_caps_set(caps->channel, SPICE_MAIN_CAP_NAME_AND_UUID);
    if (type == SPICE_CHANNEL_MAIN)
        spice_caps_set(caps->channel, SPICE_MAIN_CAP_AGENT_CONNECTED_TOKENS);
    if (type == SPICE_CHANNEL_DISPLAY) {
        spice_caps_set(caps->channel, SPICE_DISPLAY_CAP_MONITORS_CONFIG);
        spice_caps_set(caps->channel, SPICE_DISPLAY_CAP_PREF_COMPRESSION);
        spice_caps_set(caps->channel, SPICE_DISPLAY_CAP_LZ4_COMPRESSION);
        spice_caps_set(caps->channel, SPICE_DISPLAY_CAP_STREAM_REPORT);
        /* video streams of either codec it plays */
        spice_caps_set(caps->channel, SPICE_DISPLAY_CAP_MULTI_CODEC);
        spice_caps_set(caps->channel, SPICE_DISPLAY_CAP_CODEC_MJPEG);
        spice_caps_set(caps->channel, SPICE_DISPLAY_CAP_CODEC_VP8);
        spice_caps_set(caps->channel, FLOE_DISPLAY_CAP_RENDER_REPORT);
    }
}

static int slot_for(uint8_t type, uint8_t id, const struct fcli_chan_ops **ops)
{
    switch (type) {
    case SPICE_CHANNEL_MAIN: *ops = &fcli_main_ops; return FLOE_CHAN_MAIN;
    case SPICE_CHANNEL_DISPLAY:
        *ops = &fcli_display_ops;
        return id < FLOE_CLIENT_MAX_DISPLAYS ? fcli_display_slot(id) : -1;
    case SPICE_CHANNEL_INPUTS: *ops = &fcli_inputs_ops; return FLOE_CHAN_INPUTS;
    case SPICE_CHANNEL_CURSOR: *ops = &fcli_cursor_ops; return FLOE_CHAN_CURSOR;
    default: return -1;
    }
}

/* Links one channel and installs it in its slot. */
static int open_channel(struct floe_client *c, uint8_t type, uint8_t id, char *err, size_t errlen)
{
    const struct fcli_chan_ops *ops = NULL;
    int slot = slot_for(type, id, &ops);
    struct spice_caps caps;
    struct fcli_link_request req = {
        .host = c->host, .port = c->port, .unix_path = c->unix_path,
        .timeout_ms = c->timeout_ms,
        .connection_id = type == SPICE_CHANNEL_MAIN ? 0 : c->session_id,
        .channel_type = type, .channel_id = id, .caps = &caps, .password = c->password,
        .cancel = &c->stop,
    };
    struct fcli_link_reply rep;
    struct fcli_chan *ch;
    int rc;

    if (slot < 0 || c->chans[slot])
        return -EEXIST;
    caps_for(type, &caps);
    rc = fcli_link_open(&req, &rep, err, errlen);
    if (rc)
        return rc;
    ch = fcli_chan_new(c, &client_owner, ops, type, id, &rep);
    if (!ch) {
        close(rep.fd);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    pthread_mutex_lock(&c->send_lock);
    c->chans[slot] = ch;
    pthread_mutex_unlock(&c->send_lock);
    if (type == SPICE_CHANNEL_DISPLAY && id >= atomic_load(&c->n_displays))
        atomic_store(&c->n_displays, id + 1);
    if (ops->linked_fn)
        ops->linked_fn(ch);
    return 0;
}

/* Links channel (type, id) with the session id and installs it (MAIN's
 * CHANNELS_LIST asks through client_owner). 0 or -errno. */
static int owner_open(struct floe_client *c, uint8_t type, uint8_t id)
{
    char err[256];
    int rc = open_channel(c, type, id, err, sizeof(err));

    if (rc == -EEXIST)
        return 0;
    if (rc)
        floe_err("channel %u:%u: %s", type, id, err);
    else
        floe_debug("channel %u:%u linked", type, id);
    return rc;
}

int floe_client_connect(struct floe_client *c, char *err, size_t errlen)
{
    int rc;

    if (atomic_load(&c->connected)) {
        snprintf(err, errlen, "already connected");
        return -EISCONN;
    }
    rc = open_channel(c, SPICE_CHANNEL_MAIN, 0, err, errlen);
    if (rc)
        return rc;
    atomic_store(&c->connected, 1);
    if (c->unix_path)
        floe_debug("connected to %s", c->unix_path);
    else
        floe_debug("connected to %s:%d", c->host, c->port);
    return 0;
}

/* Closes the channel in `slot` after a read/write failure. */
static void channel_failed(struct floe_client *c, int slot, int rc)
{
    struct fcli_chan *ch;

    pthread_mutex_lock(&c->send_lock);
    ch = c->chans[slot];
    c->chans[slot] = NULL;
    pthread_mutex_unlock(&c->send_lock);
    if (!ch)
        return;
    if (rc == -ECONNRESET)
        floe_info("%s channel: closed by the server", ch->ops->name);
    else
        floe_err("%s channel: closed: %s", ch->ops->name, strerror(-rc));
    if (slot == FLOE_CHAN_MAIN || fcli_slot_display(slot) >= 0) {
        if (rc == -ECONNRESET)
            set_error(c, "%s channel closed by the server", ch->ops->name);
        else
            set_error(c, "%s channel: %s", ch->ops->name, strerror(-rc));
        atomic_store(&c->connected, 0);
    }
    fcli_chan_free(ch);
    if (!atomic_load(&c->connected))
        emit(c, FLOE_CLIENT_EVENT_DISCONNECTED);
}


/* A frame is a burst of drawing on a display's primary surface: it ends
 * when that display channel has been quiet for FRAME_GAP_MS. */
static void frame_check(struct floe_client *c, int64_t now)
{
    pthread_mutex_lock(&c->lock);
    for (int k = 0; k < atomic_load(&c->n_displays); k++) {
        struct fcli_display *d = &c->displays[k];

        if (d->dirty && now - d->last_ms >= FRAME_GAP_MS) {
            d->frames++;
            d->dirty = 0;
        }
    }
    pthread_mutex_unlock(&c->lock);
}

/* Tells the embedder that pixels of display k changed. */
static void display_notify(struct floe_client *c, int k)
{
    int notify;

    pthread_mutex_lock(&c->lock);
    notify = pixman_region32_not_empty(&c->displays[k].damage);
    pthread_mutex_unlock(&c->lock);
    if (notify)
        emit(c, FLOE_CLIENT_EVENT_DISPLAY);
}

/* Draws the video frames whose time has come, on every display. */
static void streams_play(struct floe_client *c, int64_t now)
{
    for (int k = 0; k < atomic_load(&c->n_displays); k++) {
        struct fcli_display *d = &c->displays[k];
        int drawn;

        pthread_mutex_lock(&c->lock);
        drawn = fcli_streams_play(d, now);
        if (drawn)
            d->last_ms = now;
        pthread_mutex_unlock(&c->lock);
        if (drawn)
            display_notify(c, k);
    }
}

/* The poll timeout, shortened so a burst in progress is counted on time
 * and a held video frame is drawn at its time. */
static int frame_timeout(struct floe_client *c, int timeout_ms, int64_t now)
{
    int64_t left = INT64_MAX;

    pthread_mutex_lock(&c->lock);
    for (int k = 0; k < atomic_load(&c->n_displays); k++) {
        const struct fcli_display *d = &c->displays[k];
        int64_t due = fcli_streams_next_ms(d, now);

        if (d->dirty && d->last_ms + FRAME_GAP_MS - now < left)
            left = d->last_ms + FRAME_GAP_MS - now;
        if (due >= 0 && due - now < left)
            left = due - now;
    }
    pthread_mutex_unlock(&c->lock);
    if (left == INT64_MAX)
        return timeout_ms;
    left = left < 1 ? 1 : left;
    return timeout_ms < 0 || left < timeout_ms ? (int)left : timeout_ms;
}

static void drain_wake(struct floe_client *c)
{
    char buf[64];

    while (read(c->wake[0], buf, sizeof(buf)) > 0)
        ;
}

static int poll_once(struct floe_client *c, int timeout_ms)
{
    struct pollfd pfd[FLOE_CHAN_COUNT + 1];
    int slots[FLOE_CHAN_COUNT + 1], n = 1, rc;

    pfd[0] = (struct pollfd){ .fd = c->wake[0], .events = POLLIN };
    for (int i = 0; i < FLOE_CHAN_COUNT; i++) {
        struct fcli_chan *ch = c->chans[i];

        if (!ch)
            continue;
        if (i == FLOE_CHAN_MAIN)   /* the agent's messages, before and after a write */
            fcli_agent_pump(c);
        rc = fcli_chan_flush(ch);
        if (rc) {
            channel_failed(c, i, rc);
            continue;
        }
        if (i == FLOE_CHAN_MAIN)
            fcli_agent_pump(c);
        pfd[n] = (struct pollfd){ .fd = ch->fd, .events = POLLIN };
        if (fcli_chan_want_write(ch))
            pfd[n].events |= POLLOUT;
        slots[n++] = i;
    }
    if (!atomic_load(&c->connected))
        return -ENOTCONN;
    rc = poll(pfd, (nfds_t)n, frame_timeout(c, timeout_ms, fcli_now_ms()));
    if (rc < 0)
        return errno == EINTR ? 0 : -errno;
    if (pfd[0].revents)
        drain_wake(c);
    for (int k = 1; k < n; k++) {
        struct fcli_chan *ch = c->chans[slots[k]];

        if (!ch || !(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        rc = fcli_chan_read(ch);
        if (!rc && c->chans[slots[k]] == ch)
            rc = fcli_chan_flush(ch);
        if (rc) {
            channel_failed(c, slots[k], rc);
        } else if (fcli_slot_display(slots[k]) >= 0) {
            int id = fcli_slot_display(slots[k]);

            c->displays[id].last_ms = fcli_now_ms();
            display_notify(c, id);
        }
    }
    streams_play(c, fcli_now_ms());
    frame_check(c, fcli_now_ms());
    return 0;
}

int floe_client_poll(struct floe_client *c, int timeout_ms)
{
    int rc;

    if (!atomic_load(&c->connected))
        return -ENOTCONN;
    in_net_loop = 1;
    rc = poll_once(c, timeout_ms);
    for (int i = 0; i < FLOE_CHAN_COUNT && !rc; i++) {
        if (c->chans[i]) {
            int frc = fcli_chan_flush(c->chans[i]);

            if (frc)
                channel_failed(c, i, frc);
        }
    }
    in_net_loop = 0;
    if (!rc && !atomic_load(&c->connected))
        rc = -ENOTCONN;
    return rc;
}

static void *net_thread(void *arg)
{
    struct floe_client *c = arg;

    while (!atomic_load(&c->stop)) {
        int rc = floe_client_poll(c, 1000);

        if (rc == -ENOTCONN)
            break;
        if (rc) {
            set_error(c, "network loop: %s", strerror(-rc));
            atomic_store(&c->connected, 0);
            emit(c, FLOE_CLIENT_EVENT_DISCONNECTED);
            break;
        }
    }
    return NULL;
}

int floe_client_start(struct floe_client *c)
{
    int rc;

    if (c->thread_started)
        return -EALREADY;
    atomic_store(&c->stop, 0);
    rc = pthread_create(&c->thread, NULL, net_thread, c);
    if (rc)
        return -rc;
    c->thread_started = 1;
    return 0;
}

void floe_client_stop(struct floe_client *c)
{
    if (c->thread_started) {
        atomic_store(&c->stop, 1);
        wake(c);
        pthread_join(c->thread, NULL);
        c->thread_started = 0;
    }
    close_all(c);
}

int floe_client_is_connected(struct floe_client *c)
{
    return atomic_load(&c->connected);
}

void floe_client_get_error(struct floe_client *c, char *buf, size_t len)
{
    pthread_mutex_lock(&c->lock);
    snprintf(buf, len, "%s", c->error);
    pthread_mutex_unlock(&c->lock);
}

void floe_client_get_title(struct floe_client *c, char *buf, size_t len)
{
    pthread_mutex_lock(&c->lock);
    snprintf(buf, len, "%s", c->title);
    pthread_mutex_unlock(&c->lock);
}

int floe_client_monitors(struct floe_client *c)
{
    int n;

    pthread_mutex_lock(&c->lock);
    n = fcli_views_count(c);
    pthread_mutex_unlock(&c->lock);
    return n;
}

void floe_client_get_monitor_stats(struct floe_client *c, int monitor,
                                   struct floe_client_stats *st)
{
    struct fcli_view v;

    memset(st, 0, sizeof(*st));
    pthread_mutex_lock(&c->lock);
    if (fcli_view_find(c, monitor, &v) == 0) {
        const struct fcli_display *d = &c->displays[v.display];
        st->frames = d->frames + (d->dirty ? 1 : 0); /* a burst in progress counts */
        st->marks = d->marks;
        st->draws = d->draws;
        st->streams = d->streams_created;
        st->stream_frames = d->stream_frames;
        st->stream_reordered = d->stream_reordered;
        st->stream_drops = d->stream_drops;
        st->stream_late = d->stream_late;
        st->stream_span_ms = (uint64_t)(d->stream_last_ms - d->stream_first_ms);
        st->width = v.w;
        st->height = v.h;
    }
    pthread_mutex_unlock(&c->lock);
    st->bytes_in = atomic_load(&c->bytes_in);
    st->messages_in = atomic_load(&c->messages_in);
}

void floe_client_get_stats(struct floe_client *c, struct floe_client_stats *st)
{
    floe_client_get_monitor_stats(c, 0, st);
}

/* Describes a monitor: its display's primary surface, or the head of it
 * that the monitor is; the caller holds c->lock. */
static int canvas_describe(struct floe_client *c, int monitor, struct floe_client_canvas *out,
                           int take_damage)
{
    struct fcli_display *d;
    struct fcli_view v;
    pixman_image_t *shown;
    int stride;

    memset(out, 0, sizeof(*out));
    if (fcli_view_find(c, monitor, &v))
        return -ENOENT;
    d = &c->displays[v.display];
    /* (every pixel that changed is in d->damage until a view takes it) */
    if (!(shown = fcli_surface_shown(d->primary, &d->damage)))
        return -ENOMEM;
    stride = pixman_image_get_stride(shown);
    out->pixels = (const uint32_t *)((const uint8_t *)pixman_image_get_data(shown) +
                                     (ptrdiff_t)v.y * stride) + v.x;
    out->width = v.w;
    out->height = v.h;
    out->stride = stride;
    out->serial = d->primary_serial;
    if (take_damage)
        fcli_view_take_damage(d, &v, &out->damage_x, &out->damage_y, &out->damage_w,
                              &out->damage_h);
    return 0;
}

int floe_client_canvas_lock_monitor(struct floe_client *c, int monitor,
                                    struct floe_client_canvas *out)
{
    pthread_mutex_lock(&c->lock);
    return canvas_describe(c, monitor, out, 1);
}

int floe_client_canvas_lock(struct floe_client *c, struct floe_client_canvas *out)
{
    return floe_client_canvas_lock_monitor(c, 0, out);
}

void floe_client_canvas_unlock(struct floe_client *c)
{
    pthread_mutex_unlock(&c->lock);
}

int floe_client_save_png_monitor(struct floe_client *c, int monitor, const char *path)
{
    struct floe_client_canvas cv;
    int rc;

    pthread_mutex_lock(&c->lock);
    rc = canvas_describe(c, monitor, &cv, 0);
    if (!rc)
        rc = floe_png_write(path, cv.pixels, cv.width, cv.height, cv.stride);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

int floe_client_save_png(struct floe_client *c, const char *path)
{
    return floe_client_save_png_monitor(c, 0, path);
}
