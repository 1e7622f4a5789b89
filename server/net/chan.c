/* One client connection: reading and framing its messages, the common
 * messages every channel shares, and a bounded queue of outgoing bodies. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "server/internal.h"

#define INFLIGHT_LIMIT (4u << 20)      /* bytes handed to the socket at once */
#define QUEUE_LIMIT (1u << 20)         /* default queue limit of a channel */
#define LINK_DEADLINE_MS 30000         /* to finish the link handshake */

struct wreq {
    uv_write_t req;
    struct fsrv_chan *c;
    struct fsrv_msg *msg;
    size_t bytes;
    uint8_t hdr[SPICE_SIZE_data_header];
};

uint64_t fsrv_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct fsrv_msg *fsrv_msg_new(uint16_t type, const void *body, size_t len)
{
    struct fsrv_msg *m = malloc(sizeof(*m) + len);

    if (!m)
        return NULL;
    memset(m, 0, sizeof(*m));
    m->refs = 1;
    m->type = type;
    m->len = (uint32_t)len;
    if (len)
        memcpy(m->body, body, len);
    return m;
}

struct fsrv_msg *fsrv_msg_from_wbuf(uint16_t type, struct floe_wbuf *w)
{
    struct fsrv_msg *m = w->failed ? NULL : fsrv_msg_new(type, w->data, w->len);

    floe_wbuf_free(w);
    return m;
}

struct fsrv_msg *fsrv_msg_ref(struct fsrv_msg *m)
{
    m->refs++;
    return m;
}

void fsrv_msg_unref(struct fsrv_msg *m)
{
    if (m && --m->refs == 0) {
        if (m->image)
            m->image_free(m->image);
        if (m->frame)
            m->frame_free(m->frame);
        fsrv_msg_unref(m->cached);
        free(m);
    }
}

static void chan_free(uv_handle_t *h)
{
    struct fsrv_chan *c = h->data;
    struct floe_server *s = c->srv;
    struct fsrv_chan **pp;

    for (pp = &c->srv->chans; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    while (c->head) {
        struct fsrv_qitem *q = c->head;

        c->head = q->next;
        fsrv_msg_unref(q->msg);
        free(q);
    }
    free(c->rbuf);
    free(c);
    s->net->gone(s);
}

static void chan_shutdown(struct fsrv_chan *c)
{
    if (c->closed)
        return;
    c->closed = 1;
    uv_read_stop((uv_stream_t *)&c->tcp);
    if (c->hosted) {
        fsrv_host_reader_end(c->hosted);
        c->hosted = NULL;
    }
    if (c->state == LINK_DONE) {
        if (c->ops && c->ops->closed)
            c->ops->closed(c);
        c->srv->net->detach(c);
    }
    c->srv->net->disconnected(c);
    uv_close((uv_handle_t *)&c->tcp, chan_free);
}

void fsrv_chan_close(struct fsrv_chan *c, const char *why)
{
    if (c->closing)
        return;
    c->closing = 1;
    c->closing_ms = fsrv_now_ms();
    if (why)
        floe_info("%s: closing channel %u:%u: %s", c->peer, c->type, c->id, why);
    uv_read_stop((uv_stream_t *)&c->tcp);
    if (c->hosted)
        fsrv_host_reader_stop_reading(c->hosted);
    fsrv_chan_flush(c);
}

#define CLOSE_GRACE_MS 5000

void fsrv_chan_expire(struct fsrv_chan *c, uint64_t now_ms)
{
    if (!c->closing && c->state != LINK_DONE && now_ms - c->created_ms > LINK_DEADLINE_MS) {
        fsrv_chan_close(c, "link not finished in time");
        return;
    }
    if (c->closing && !c->closed && now_ms - c->closing_ms > CLOSE_GRACE_MS) {
        floe_info("%s: peer did not take its last %zu bytes: cut", c->peer,
                  c->queued_bytes + c->inflight_bytes);
        chan_shutdown(c);
    }
}

void fsrv_chan_disconnect(struct fsrv_chan *c, uint32_t reason, const char *why)
{
    struct floe_wbuf w;
    struct spice_disconnecting d = { fsrv_now_ms(), reason };

    if (c->state == LINK_DONE && !c->closing) {
        floe_wbuf_init(&w, 0);
        spice_disconnecting_put(&w, &d);
        fsrv_chan_send_wbuf(c, SPICE_MSG_DISCONNECTING, &w);
    }
    fsrv_chan_close(c, why);
}

static void write_done(uv_write_t *req, int status)
{
    struct wreq *wr = (struct wreq *)req;
    struct fsrv_chan *c = wr->c;

    c->inflight_bytes -= wr->bytes;
    fsrv_msg_unref(wr->msg);
    free(wr);
    if (status < 0 && !c->closed) {
        if (status != UV_ECANCELED)
            floe_info("%s: write failed: %s", c->peer, uv_strerror(status));
        chan_shutdown(c);
        return;
    }
    if (!c->closed)
        fsrv_chan_flush(c);
}

static size_t header_write(struct fsrv_chan *c, uint8_t *hdr, const struct fsrv_msg *m)
{
    struct floe_wbuf w;
    size_t n;

    floe_wbuf_init(&w, 0);
    if (c->state == LINK_DONE) {
        size_t at = spice_header_put(&w, c->mini, m->type, ++c->serial);

        floe_patch_u32(&w, at, m->len);
    }
    n = w.len;
    if (n)
        memcpy(hdr, w.data, n);
    floe_wbuf_free(&w);
    return n;
}

/* Writes one queued message; returns 0 when nothing could be written. */
static int write_one(struct fsrv_chan *c)
{
    struct fsrv_qitem *q = c->head;
    struct wreq *wr;
    uv_buf_t bufs[2];
    int n = 0;

    if (!q || c->held || c->inflight_bytes > INFLIGHT_LIMIT)
        return 0;
    /* A closing channel no longer reads, so no ACK can ever open the window:
     * holding to it would keep the connection and its queue forever. */
    if (c->uses_ack && c->ack_window && c->unacked > 2 * c->ack_window && !c->closing)
        return 0;
    wr = calloc(1, sizeof(*wr));
    if (!wr)
        return 0;
    c->head = q->next;
    if (!c->head)
        c->tail = NULL;
    c->queued_msgs--;
    wr->c = c;
    wr->msg = q->msg;
    free(q);
    c->queued_bytes -= fsrv_msg_cost(wr->msg);
    if (c->ops && c->ops->prepare && c->state == LINK_DONE) {
        struct fsrv_msg *now = c->ops->prepare(c, wr->msg);

        fsrv_msg_unref(wr->msg);
        wr->msg = now;
        if (!now) {
            free(wr);
            return 1;
        }
    }
    size_t hl = header_write(c, wr->hdr, wr->msg);
    if (hl)
        bufs[n++] = uv_buf_init((char *)wr->hdr, (unsigned)hl);
    if (wr->msg->len)
        bufs[n++] = uv_buf_init((char *)wr->msg->body, wr->msg->len);
    wr->bytes = hl + wr->msg->len;
    c->inflight_bytes += wr->bytes;
    c->srv->stats.bytes_sent += wr->bytes;
    if (c->state == LINK_DONE) {
        c->srv->stats.messages_sent++;
        /* the window counts the messages after SET_ACK, as the client does */
        if (wr->msg->type == SPICE_MSG_SET_ACK)
            c->unacked = 0;
        else
            c->unacked++;
    }
    if (uv_write(&wr->req, (uv_stream_t *)&c->tcp, bufs, (unsigned)n, write_done) < 0) {
        c->inflight_bytes -= wr->bytes;
        fsrv_msg_unref(wr->msg);
        free(wr);
        chan_shutdown(c);
        return 0;
    }
    return 1;
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf);
static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf);

void fsrv_chan_flush(struct fsrv_chan *c)
{
    if (c->closed)
        return;
    while (write_one(c))
        ;
    if (c->throttled && !c->closing && !c->hosted && c->queued_bytes < c->queue_limit / 2) {
        c->throttled = 0;
        uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    }
    if (c->closing && !c->head && c->inflight_bytes == 0 && !c->held)
        chan_shutdown(c);
}

static void queue_append(struct fsrv_chan *c, struct fsrv_qitem *q)
{
    q->next = NULL;
    c->queued_msgs++;
    if (c->tail)
        c->tail->next = q;
    else
        c->head = q;
    c->tail = q;
}

void fsrv_chan_send(struct fsrv_chan *c, struct fsrv_msg *m)
{
    struct fsrv_qitem *q;

    if (!m || c->closing || c->closed)
        return;
    q = malloc(sizeof(*q));
    if (!q)
        return;
    q->msg = fsrv_msg_ref(m);
    queue_append(c, q);
    c->queued_bytes += fsrv_msg_cost(m);
    if (c->queued_bytes > c->queue_limit ||
        (c->queue_msg_limit && c->queued_msgs > c->queue_msg_limit && c->ops && c->ops->overflow)) {
        if (c->ops && c->ops->overflow) {
            if (!c->overflowing) { /* overflow() queues messages itself */
                c->overflowing = 1;
                c->ops->overflow(c);
                c->overflowing = 0;
            }
        } else if (!c->throttled && !c->closing) {
            /* the peer asks faster than it reads the answers */
            c->throttled = 1;
            uv_read_stop((uv_stream_t *)&c->tcp);
        }
    }
    fsrv_chan_flush(c);
}

int fsrv_chan_push_front(struct fsrv_chan *c, struct fsrv_msg *m)
{
    struct fsrv_qitem *q;

    if (!m || c->closed)
        return -EINVAL;
    q = malloc(sizeof(*q));
    if (!q)
        return -ENOMEM;
    q->msg = fsrv_msg_ref(m);
    q->next = c->head;
    c->head = q;
    if (!c->tail)
        c->tail = q;
    c->queued_msgs++;
    c->queued_bytes += fsrv_msg_cost(m);
    return 0;
}

void fsrv_chan_edit(struct fsrv_chan *c, fsrv_chan_edit_fn edit_fn, void *arg)
{
    struct fsrv_qitem *rest = c->head;
    int was = c->overflowing;

    /* the queue is rebuilt from the front: what edit_fn sends meanwhile is
     * appended to the part walked so far, so it lands where the walk is */
    c->head = c->tail = NULL;
    c->queued_msgs = 0;
    c->overflowing = 1;
    while (rest) {
        struct fsrv_qitem *q = rest;

        rest = q->next;
        if (edit_fn(c, q->msg, arg)) {
            c->queued_bytes -= fsrv_msg_cost(q->msg);
            fsrv_msg_unref(q->msg);
            free(q);
        } else {
            queue_append(c, q);
        }
    }
    edit_fn(c, NULL, arg);
    c->overflowing = was;
}

void fsrv_chan_send_wbuf(struct fsrv_chan *c, uint16_t type, struct floe_wbuf *w)
{
    struct fsrv_msg *m = fsrv_msg_from_wbuf(type, w);

    fsrv_chan_send(c, m);
    fsrv_msg_unref(m);
}

void fsrv_chan_send_raw(struct fsrv_chan *c, const void *bytes, size_t len)
{
    struct fsrv_msg *m = fsrv_msg_new(0, bytes, len);

    fsrv_chan_send(c, m);
    fsrv_msg_unref(m);
}

void fsrv_chan_set_ack(struct fsrv_chan *c, uint32_t window)
{
    struct floe_wbuf w;
    struct spice_set_ack a = { ++c->ack_generation, window };

    c->uses_ack = 1;
    floe_wbuf_init(&w, 0);
    spice_set_ack_put(&w, &a);
    fsrv_chan_send_wbuf(c, SPICE_MSG_SET_ACK, &w);
    /* until the client's ACK_SYNC, nothing beyond the first window is held */
    c->ack_window = window;
}

uint64_t fsrv_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint32_t fsrv_chan_ping_pad(struct fsrv_chan *c, size_t pad)
{
    struct floe_wbuf w;
    struct spice_ping p = { (uint32_t)++c->ping_id, fsrv_now_us() };

    floe_wbuf_init(&w, 0);
    spice_ping_put(&w, &p);
    for (size_t i = 0; i < pad; i++)
        floe_put_u8(&w, 0);
    fsrv_chan_send_wbuf(c, SPICE_MSG_PING, &w);
    return p.id;
}

void fsrv_chan_ping(struct fsrv_chan *c)
{
    fsrv_chan_ping_pad(c, 0);
}

int fsrv_chan_tcp_info(struct fsrv_chan *c, uint64_t *acked, uint32_t *unsent)
{
    uv_os_fd_t fd;

    if (c->closed || c->tcp.type != UV_TCP || uv_fileno((uv_handle_t *)&c->tcp, &fd) != 0)
        return -ENOTSUP;
    return fsrv_tcp_info(fd, acked, unsent);
}

/* The MAIN channel's network test: the big PING's answer comes after the
 * small one's by the time its payload took to cross. */
static void net_test_pong(struct fsrv_chan *c, uint32_t id)
{
    struct fsrv_session *ss = c->sess;
    uint64_t now = fsrv_now_us(), dt;

    if (!ss || c->type != SPICE_CHANNEL_MAIN)
        return;
    if (id == ss->net_ping_small) {
        ss->net_small_us = now;
    } else if (id == ss->net_ping_big && ss->net_small_us) {
        /* both answers in one read says only that the link is faster than
         * the clock can tell: rate it at the shortest interval we trust */
        dt = now > ss->net_small_us ? now - ss->net_small_us : 0;
        int too_fast = dt < FLOE_NET_TEST_MIN_US;
        if (too_fast)
            dt = FLOE_NET_TEST_MIN_US;
        ss->bandwidth_bps = (uint64_t)FLOE_NET_TEST_BYTES * 8 * 1000000 / dt;
        ss->slow_link = ss->bandwidth_bps < FLOE_SLOW_LINK_BPS;
        floe_info("%s: network test: %s%.1f Mbit/s, %s link", c->peer, too_fast ? "over " : "",
                  (double)ss->bandwidth_bps / 1e6, ss->slow_link ? "slow" : "fast");
    }
}

/* Messages every channel understands; 1 if handled, <0 on bad input. */
static int common_handle(struct fsrv_chan *c, uint16_t type, const uint8_t *body, uint32_t len)
{
    struct floe_rbuf r;
    struct spice_ack_sync sync;

    floe_rbuf_init(&r, body, len);
    switch (type) {
    case SPICE_MSGC_ACK_SYNC:
        spice_ack_sync_get(&r, &sync);
        c->client_generation = sync.generation;
        fsrv_chan_flush(c);
        break;
    case SPICE_MSGC_ACK:
        /* ACKs of an older window (before the last SET_ACK) do not count */
        if (c->client_generation == c->ack_generation)
            c->unacked = c->unacked > c->ack_window ? c->unacked - c->ack_window : 0;
        fsrv_chan_flush(c);
        break;
    case SPICE_MSGC_PONG: {
        struct spice_ping p;

        spice_ping_get(&r, &p);
        if (!r.bad) {
            floe_debug("%s: channel %u rtt %llu us", c->peer, c->type,
                       (unsigned long long)(fsrv_now_us() - p.timestamp));
            net_test_pong(c, p.id);
            if (c->ops && c->ops->pong && c->state == LINK_DONE)
                c->ops->pong(c, p.id, p.timestamp);
        }
        break;
    }
    case SPICE_MSGC_DISCONNECTING:
        fsrv_chan_close(c, "client is disconnecting");
        break;
    case SPICE_MSGC_MIGRATE_FLUSH_MARK:
    case SPICE_MSGC_MIGRATE_DATA:
        break;
    default:
        return 0;
    }
    return r.bad ? -EBADMSG : 1;
}

static int dispatch(struct fsrv_chan *c, uint16_t type, const uint8_t *body, uint32_t len)
{
    int rc = common_handle(c, type, body, len);

    if (rc != 0)
        return rc < 0 ? rc : 0;
    if (c->ops && c->ops->handle)
        return c->ops->handle(c, type, body, len);
    return 0;
}

/* Splits the read buffer into messages; returns bytes consumed or -1. */
static long parse_messages(struct fsrv_chan *c)
{
    size_t off = 0;

    while (!c->closing) {
        struct spice_msg_header h;
        size_t hl = spice_header_parse(c->rbuf + off, c->rlen - off, c->mini, &h);

        if (hl == 0)
            break;
        if (h.size > FSRV_READ_LIMIT) {
            floe_warn("%s: message %u of %u bytes is too large", c->peer, h.type, h.size);
            return -1;
        }
        if (c->rlen - off - hl < h.size)
            break;
        if (dispatch(c, h.type, c->rbuf + off + hl, h.size) < 0) {
            floe_warn("%s: bad message %u (%u bytes) on channel %u", c->peer, h.type, h.size,
                      c->type);
            return -1;
        }
        off += hl + h.size;
    }
    return (long)off;
}

static void consume(struct fsrv_chan *c, size_t n)
{
    memmove(c->rbuf, c->rbuf + n, c->rlen - n);
    c->rlen -= n;
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    struct fsrv_chan *c = h->data;
    /* small buffers until a peer has linked: idle connections cost little */
    size_t want = c->rlen + (c->state == LINK_DONE ? 65536 : 4096);

    if (want > c->rcap) {
        uint8_t *p = realloc(c->rbuf, want);

        if (!p) {
            *buf = uv_buf_init(NULL, 0);
            return;
        }
        c->rbuf = p;
        c->rcap = want;
    }
    *buf = uv_buf_init((char *)c->rbuf + c->rlen, (unsigned)(c->rcap - c->rlen));
}

static void peer_closed(struct fsrv_chan *c)
{
    floe_debug("%s: channel %u closed by peer", c->peer, c->type);
    chan_shutdown(c);
}

/* ---- a channel read on the host's thread (host-reader.c) ---- */

static int hosted_message(void *owner, uint16_t type, const uint8_t *body, uint32_t len)
{
    struct fsrv_chan *c = owner;

    if (c->closing)
        return 1;
    if (dispatch(c, type, body, len) < 0) {
        floe_warn("%s: bad message %u (%u bytes) on channel %u", c->peer, type, len, c->type);
        fsrv_chan_close(c, "bad input");
    }
    return c->closing || c->closed;
}

static void hosted_ended(void *owner, int bad)
{
    struct fsrv_chan *c = owner;

    if (c->closing || c->closed)
        return;
    if (bad)
        fsrv_chan_close(c, "bad input");
    else
        peer_closed(c);
}

/* A linked INPUTS channel goes to the host's thread, if the host has one
 * (its bytes are the socket's as they are: a channel that needs its own
 * transport state to read them, such as TLS, must stay). */
static void maybe_hand_over(struct fsrv_chan *c)
{
    struct fsrv_host_reader_owner owner = { hosted_message, hosted_ended, c };
    uv_os_fd_t fd;

    if (c->type != SPICE_CHANNEL_INPUTS || !c->srv->input_host.call_fn || c->hosted ||
        c->closing || c->throttled || !c->sess || uv_fileno((uv_handle_t *)&c->tcp, &fd) < 0)
        return;
    c->hosted = fsrv_host_reader_start(c->srv->loop, fd, c->mini, c->rbuf, c->rlen,
                                       &c->srv->input_host, &owner);
    if (c->hosted) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->rlen = 0;
    }
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    struct fsrv_chan *c = st->data;
    long used;

    if (n < 0) {
        if (n != UV_EOF) {
            floe_info("%s: read error: %s", c->peer, uv_strerror((int)n));
            chan_shutdown(c);
        } else {
            peer_closed(c);
        }
        return;
    }
    c->rlen += (size_t)n;
    if (c->state != LINK_DONE) {
        fsrv_link_read(c);
        if (c->state != LINK_DONE || c->closing)
            return;
    }
    used = parse_messages(c);
    if (used < 0) {
        fsrv_chan_close(c, "bad input");
        return;
    }
    consume(c, (size_t)used);
    maybe_hand_over(c);
}

static void free_unlinked(uv_handle_t *h)
{
    free(h->data);
}

struct fsrv_chan *fsrv_chan_new(struct floe_server *s)
{
    struct fsrv_chan *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->srv = s;
    c->created_ms = fsrv_now_ms();
    c->queue_limit = QUEUE_LIMIT;
    uv_tcp_init(s->loop, &c->tcp);
    c->tcp.data = c;
    return c;
}

void fsrv_chan_discard(struct fsrv_chan *c)
{
    uv_close((uv_handle_t *)&c->tcp, free_unlinked);
}

/* Both ends of c's socket, kept for its events: a closed socket has none. */
static void take_addresses(struct fsrv_chan *c)
{
    uv_os_fd_t fd;

    c->llen = sizeof(c->laddr);
    c->plen = sizeof(c->paddr);
    if (uv_fileno((uv_handle_t *)&c->tcp, &fd) < 0 ||
        getsockname(fd, (struct sockaddr *)&c->laddr, &c->llen) < 0)
        c->llen = 0;
    if (uv_fileno((uv_handle_t *)&c->tcp, &fd) < 0 ||
        getpeername(fd, (struct sockaddr *)&c->paddr, &c->plen) < 0)
        c->plen = 0;
}

/* "ip:port" for a TCP peer; 0, or -1 for any other kind of socket. */
static int peer_name(const struct fsrv_chan *c, char *out, size_t len)
{
    char ip[48] = "?";
    int port;

    if (c->plen && c->paddr.ss_family == AF_INET) {
        uv_ip4_name((const struct sockaddr_in *)&c->paddr, ip, sizeof(ip));
        port = ntohs(((const struct sockaddr_in *)&c->paddr)->sin_port);
    } else if (c->plen && c->paddr.ss_family == AF_INET6) {
        uv_ip6_name((const struct sockaddr_in6 *)&c->paddr, ip, sizeof(ip));
        port = ntohs(((const struct sockaddr_in6 *)&c->paddr)->sin6_port);
    } else {
        return -1;
    }
    snprintf(out, len, "%s:%d", ip, port);
    return 0;
}

void fsrv_chan_start(struct fsrv_chan *c, const char *fallback_peer)
{
    struct floe_server *s = c->srv;

    c->next = s->chans;
    s->chans = c;
    c->conn = ++s->conns;
    uv_tcp_nodelay(&c->tcp, 1); /* fails harmlessly on a unix socket */
    take_addresses(c);
    if (peer_name(c, c->peer, sizeof(c->peer)) < 0)
        snprintf(c->peer, sizeof(c->peer), "%s", fallback_peer);
    s->net->connected(c);
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

void fsrv_chan_accept(struct floe_server *s, uv_stream_t *listener)
{
    struct fsrv_chan *c = fsrv_chan_new(s);

    if (!c)
        return;
    /* on unix, libuv accepts a unix listener's connection into a TCP
     * handle as well: both are plain stream sockets */
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) < 0) {
        fsrv_chan_discard(c);
        return;
    }
    fsrv_chan_start(c, listener->type == UV_NAMED_PIPE ? "unix client" : "client");
}
