/* One linked SPICE channel: frames incoming bytes into messages, handles the
 * messages every channel shares (ACK, PING, NOTIFY, lists) and queues output. */
#include "client/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "protocol/spice/varmsgs.h"

#define IN_MIN_CAP (64u * 1024)

struct fcli_chan *fcli_chan_new(struct floe_client *c, const struct fcli_chan_owner *owner,
                                const struct fcli_chan_ops *ops, uint8_t type, uint8_t id,
                                const struct fcli_link_reply *rep)
{
    struct fcli_chan *ch = calloc(1, sizeof(*ch));

    if (!ch)
        return NULL;
    ch->in = malloc(IN_MIN_CAP);
    if (!ch->in) {
        free(ch);
        return NULL;
    }
    ch->in_cap = IN_MIN_CAP;
    ch->client = c;
    ch->owner = owner;
    ch->ops = ops;
    ch->type = type;
    ch->id = id;
    ch->fd = rep->fd;
    ch->mini = rep->mini;
    ch->peer_caps = rep->peer_caps;
    floe_wbuf_init(&ch->out, FLOE_CLIENT_MAX_OUT);
    return ch;
}

void fcli_chan_free(struct fcli_chan *ch)
{
    if (!ch)
        return;
    if (ch->ops->closed_fn)
        ch->ops->closed_fn(ch);
    if (ch->fd >= 0)
        close(ch->fd);
    floe_wbuf_free(&ch->out);
    free(ch->in);
    free(ch);
}

int fcli_chan_send_locked(struct fcli_chan *ch, uint16_t type, const void *body, size_t len)
{
    size_t at;

    if (ch->dead)
        return -EPIPE;
    at = spice_header_put(&ch->out, ch->mini, type, ++ch->out_serial);
    floe_put_bytes(&ch->out, body, len);
    spice_header_finish(&ch->out, ch->mini, at);
    if (ch->out.failed) {
        floe_err("%s channel: output queue overflow, closing", ch->ops->name);
        ch->dead = 1;
        return -ENOBUFS;
    }
    return 0;
}

int fcli_chan_send(struct fcli_chan *ch, uint16_t type, const void *body, size_t len)
{
    int rc;

    pthread_mutex_lock(&ch->client->send_lock);
    rc = fcli_chan_send_locked(ch, type, body, len);
    pthread_mutex_unlock(&ch->client->send_lock);
    ch->owner->wake_fn(ch->client);
    return rc;
}

int fcli_chan_send_wbuf(struct fcli_chan *ch, uint16_t type, struct floe_wbuf *w)
{
    int rc = w->failed ? -ENOMEM : fcli_chan_send(ch, type, w->data, w->len);

    floe_wbuf_free(w);
    return rc;
}

int fcli_chan_want_write(struct fcli_chan *ch)
{
    int want;

    pthread_mutex_lock(&ch->client->send_lock);
    want = ch->out.len > ch->out_sent;
    pthread_mutex_unlock(&ch->client->send_lock);
    return want;
}

int fcli_chan_flush(struct fcli_chan *ch)
{
    int rc = 0;

    pthread_mutex_lock(&ch->client->send_lock);
    while (ch->out.len > ch->out_sent) {
        ssize_t n = send(ch->fd, ch->out.data + ch->out_sent, ch->out.len - ch->out_sent,
                         MSG_NOSIGNAL | MSG_DONTWAIT);

        if (n > 0) {
            ch->out_sent += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
                rc = n < 0 ? -errno : -EPIPE;
            break;
        }
    }
    if (ch->out_sent == ch->out.len)
        ch->out.len = ch->out_sent = 0;
    if (ch->dead && !rc)
        rc = -ENOBUFS;
    pthread_mutex_unlock(&ch->client->send_lock);
    return rc;
}


static int handle_set_ack(struct fcli_chan *ch, const uint8_t *body, size_t len)
{
    struct floe_rbuf r;
    struct spice_set_ack m;
    struct spice_ack_sync sync;
    struct floe_wbuf w;

    floe_rbuf_init(&r, body, len);
    spice_set_ack_get(&r, &m);
    if (r.bad)
        return -EBADMSG;
    sync.generation = m.generation;
    ch->ack_window = ch->ack_left = m.window;
    floe_wbuf_init(&w, 64);
    spice_ack_sync_put(&w, &sync);
    fcli_chan_send_wbuf(ch, SPICE_MSGC_ACK_SYNC, &w);
    floe_debug("%s channel: SET_ACK generation %u window %u", ch->ops->name, m.generation,
               m.window);
    return 0;
}

static int handle_ping(struct fcli_chan *ch, const uint8_t *body, size_t len)
{
    struct floe_rbuf r;
    struct spice_ping m;
    struct floe_wbuf w;
    int rc;

    floe_rbuf_init(&r, body, len);
    spice_ping_get(&r, &m);
    if (r.bad)
        return -EBADMSG;
    floe_wbuf_init(&w, 64);
    spice_ping_put(&w, &m);
    rc = fcli_chan_send_wbuf(ch, SPICE_MSGC_PONG, &w);
    return rc == -EPIPE ? 0 : rc;
}

/* Copies peer text into buf with anything unprintable replaced. */
static void printable(char *buf, size_t size, const uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i < n && i + 1 < size && p[i]; i++)
        buf[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
    buf[i] = 0;
}

static int handle_notify(struct fcli_chan *ch, const uint8_t *body, size_t len)
{
    struct spice_notify n;
    char text[256];

    if (spice_notify_parse(body, len, &n))
        return -EBADMSG;
    printable(text, sizeof(text), n.text, n.text_len);
    floe_log(n.severity >= 2 ? FLOE_LOG_WARN : FLOE_LOG_DEBUG,
             "%s channel: server notice (severity %u, code %u): %s", ch->ops->name,
             n.severity, n.what, text);
    return 0;
}

static int handle_disconnecting(struct fcli_chan *ch, const uint8_t *body, size_t len)
{
    struct floe_rbuf r;
    struct spice_disconnecting m;

    floe_rbuf_init(&r, body, len);
    spice_disconnecting_get(&r, &m);
    if (r.bad)
        return -EBADMSG;
    floe_warn("%s channel: server is disconnecting (%s)", ch->ops->name,
              fcli_link_error_name(m.reason));
    return 0;
}

static int chan_handle(struct fcli_chan *ch, uint16_t type, const uint8_t *body, size_t len)
{
    switch (type) {
    case SPICE_MSG_SET_ACK:
        return handle_set_ack(ch, body, len);
    case SPICE_MSG_PING:
        return handle_ping(ch, body, len);
    case SPICE_MSG_NOTIFY:
        return handle_notify(ch, body, len);
    case SPICE_MSG_DISCONNECTING:
        return handle_disconnecting(ch, body, len);
    case SPICE_MSG_WAIT_FOR_CHANNELS:
        /* servers send it to order channels sharing a cache; floe's display
         * channels name caches of their own */
        floe_debug("%s channel: WAIT_FOR_CHANNELS ignored (no shared caches)", ch->ops->name);
        return 0;
    case SPICE_MSG_MIGRATE:
    case SPICE_MSG_MIGRATE_DATA:
        floe_warn("%s channel: migration is not supported", ch->ops->name);
        return 0;
    case SPICE_MSG_LIST:
        floe_warn("%s channel: nested message list ignored", ch->ops->name);
        return 0;
    default:
        if (type < 101) {
            floe_debug("%s channel: unknown common message %u", ch->ops->name, type);
            return 0;
        }
        return ch->ops->message_fn(ch, type, body, len);
    }
}

/* Handles each message of a sub-message list found at `at` in body. */
static int handle_sub_list(struct fcli_chan *ch, const uint8_t *body, size_t len, size_t at)
{
    uint16_t count;
    int rc;

    if (spice_sub_list_count(body, len, at, &count)) {
        floe_err("%s channel: malformed sub-message list", ch->ops->name);
        return -EBADMSG;
    }
    for (uint16_t i = 0; i < count; i++) {
        struct spice_sub_message sub;

        if (spice_sub_list_get(body, len, at, i, &sub)) {
            floe_err("%s channel: malformed sub-message %u", ch->ops->name, i);
            return -EBADMSG;
        }
        rc = chan_handle(ch, sub.type, sub.body, sub.len);
        if (rc)
            return rc;
    }
    return 0;
}

static int chan_dispatch(struct fcli_chan *ch, uint16_t type, const uint8_t *body, size_t len,
                         uint32_t sub_list)
{
    int rc = 0;

    atomic_fetch_add(&ch->client->messages_in, 1);
    if (sub_list || type == SPICE_MSG_LIST)
        rc = handle_sub_list(ch, body, len, sub_list);
    if (rc)
        return rc;
    /* the server counts every top-level message against the window */
    if (ch->ack_window && --ch->ack_left == 0) {
        fcli_chan_send(ch, SPICE_MSGC_ACK, NULL, 0);
        ch->ack_left = ch->ack_window;
    }
    if (type == SPICE_MSG_LIST)
        return 0;
    rc = chan_handle(ch, type, body, len);
    if (rc == -EBADMSG)
        floe_err("%s channel: malformed message type %u (%zu bytes)", ch->ops->name, type, len);
    return rc;
}

int fcli_chan_handle_bytes(struct fcli_chan *ch, const uint8_t *buf, size_t len, size_t *used)
{
    struct spice_msg_header h;
    size_t hl = spice_header_parse(buf, len, ch->mini, &h);

    *used = 0;
    if (!hl)
        return 0;
    if (h.size > FLOE_CLIENT_MAX_MSG) {
        floe_err("%s channel: message type %u of %u bytes is too large", ch->ops->name,
                 h.type, h.size);
        return -EMSGSIZE;
    }
    if (len - hl < h.size)
        return 0;
    if (h.sub_list && h.sub_list >= h.size) {
        floe_err("%s channel: sub-message list outside its message", ch->ops->name);
        return -EBADMSG;
    }
    *used = hl + h.size;
    return chan_dispatch(ch, h.type, buf + hl, h.size, h.sub_list);
}

/* Makes room for the message whose header starts the input buffer. */
static int chan_reserve(struct fcli_chan *ch)
{
    struct spice_msg_header h;
    size_t hl = spice_header_parse(ch->in, ch->in_len, ch->mini, &h), need, cap;
    uint8_t *p;

    need = hl ? hl + (size_t)h.size : ch->in_len + 1;
    cap = need < IN_MIN_CAP ? IN_MIN_CAP : need;
    if (cap == ch->in_cap || (need <= ch->in_cap && ch->in_cap <= (1u << 20)))
        return 0;
    if (hl && h.size > FLOE_CLIENT_MAX_MSG)
        return 0; /* refused when handled */
    p = realloc(ch->in, cap);
    if (!p)
        return -ENOMEM;
    ch->in = p;
    ch->in_cap = cap;
    return 0;
}

static int chan_process(struct fcli_chan *ch)
{
    size_t pos = 0;

    while (pos < ch->in_len) {
        size_t used;
        int rc = fcli_chan_handle_bytes(ch, ch->in + pos, ch->in_len - pos, &used);

        if (rc)
            return rc;
        if (!used)
            break;
        pos += used;
    }
    memmove(ch->in, ch->in + pos, ch->in_len - pos);
    ch->in_len -= pos;
    return chan_reserve(ch);
}

int fcli_chan_read(struct fcli_chan *ch)
{
    for (int round = 0; round < 32; round++) {
        ssize_t n = recv(ch->fd, ch->in + ch->in_len, ch->in_cap - ch->in_len, MSG_DONTWAIT);
        int rc;

        if (n == 0)
            return -ECONNRESET;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            return -errno;
        }
        atomic_fetch_add(&ch->client->bytes_in, (uint64_t)n);
        ch->in_len += (size_t)n;
        rc = chan_process(ch);
        if (rc)
            return rc;
    }
    return 0;
}
