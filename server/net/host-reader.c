/* A channel's socket read on the host's thread (floe_input_host), through
 * a second descriptor of it that the host watches: key and keyboard-lock
 * messages go to the host's key_fn and locks_fn in the call that read
 * them; every other message is handed to the server's thread (an async
 * handle on its loop) and to the owner there. A key read while a message
 * before it is still on that way follows it, so the order holds.
 *
 * The reader is shared by two threads: the server's (the owner, the async
 * handle) and the host's (the descriptor, the watch, the read buffer); the
 * lock guards the queue between them, each side's end, and the two
 * references. The owner ends the server's side when it closes: the socket
 * is shut down, so the host's next read sees the end and ends the watch.
 * The host ends its side at the end of the socket or bad input, which the
 * owner learns through the same queue. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "server/internal.h"

/* messages waiting for the server's thread: past this a client floods */
#define FORWARD_LIMIT (1u << 20)
/* reads per ready call: the host's loop has other work */
#define READS_PER_CALL 16

struct fwd {
    struct fwd *next;
    uint16_t type;
    uint32_t len;
    uint8_t body[];
};

enum host_end { HOST_READING, HOST_EOF, HOST_BAD };

struct fsrv_host_reader {
    uv_mutex_t lock;
    int refs;                  /* under lock: the server's side and the host's */
    int server_gone;           /* under lock: the channel closed, the async handle too */
    struct fwd *head, **tail;  /* under lock: for the server's thread */
    size_t queued;             /* under lock: their bytes */
    enum host_end end;         /* under lock: how the host's side ended */
    int pending;               /* atomic: handed on, not yet dispatched */

    /* the server's thread's own */
    struct fsrv_host_reader_owner owner;   /* owner.owner NULL: gone */
    int server_fd;             /* the owner's descriptor of the socket */
    uv_async_t async;

    /* the host's thread's own */
    struct floe_input_host host;
    int fd;
    int mini;
    void *watch;
    uint8_t *buf;
    size_t len, cap;
};

static void unref(struct fsrv_host_reader *r)
{
    int last;

    uv_mutex_lock(&r->lock);
    last = --r->refs == 0;
    uv_mutex_unlock(&r->lock);
    if (!last)
        return;
    while (r->head) {
        struct fwd *f = r->head;
        r->head = f->next;
        free(f);
    }
    uv_mutex_destroy(&r->lock);
    free(r->buf);
    free(r);
}

/* ---- the host's thread ---- */

/* The host's side ends: its watch and descriptor go, the server's thread
 * learns why (unless its side is gone already). */
static void host_end(struct fsrv_host_reader *r, enum host_end how, const char *why)
{
    if (why)
        floe_info("inputs read on the host's thread: %s", why);
    if (r->watch)
        r->host.unwatch_fn(r->host.opaque, r->watch);
    r->watch = NULL;
    close(r->fd);
    r->fd = -1;
    uv_mutex_lock(&r->lock);
    if (!r->server_gone) {
        r->end = how;
        uv_async_send(&r->async);
    }
    uv_mutex_unlock(&r->lock);
    unref(r);
}

/* Hands a message to the server's thread; -1 when the client floods. */
static int forward(struct fsrv_host_reader *r, uint16_t type, const uint8_t *body, uint32_t len)
{
    struct fwd *f = malloc(sizeof(*f) + len);
    int rc = 0;

    if (!f)
        return -1;
    f->next = NULL;
    f->type = type;
    f->len = len;
    memcpy(f->body, body, len);
    uv_mutex_lock(&r->lock);
    if (r->server_gone) {
        free(f);
    } else if (r->queued + len > FORWARD_LIMIT) {
        free(f);
        rc = -1;
    } else {
        *r->tail = f;
        r->tail = &f->next;
        r->queued += len;
        __atomic_add_fetch(&r->pending, 1, __ATOMIC_SEQ_CST);
        uv_async_send(&r->async);
    }
    uv_mutex_unlock(&r->lock);
    return rc;
}

/* One message: a key or the locks to the host now, unless something read
 * before it is still on its way to the server's thread; the rest on. 0,
 * or -1 on bad input. */
static int host_message(struct fsrv_host_reader *r, uint16_t type, const uint8_t *body,
                        uint32_t len)
{
    int direct = __atomic_load_n(&r->pending, __ATOMIC_SEQ_CST) == 0;
    struct floe_rbuf rb;

    floe_rbuf_init(&rb, body, len);
    if (direct && r->host.key_fn &&
        (type == SPICE_MSGC_INPUTS_KEY_DOWN || type == SPICE_MSGC_INPUTS_KEY_UP)) {
        struct spice_key k;

        spice_key_get(&rb, &k);
        if (rb.bad)
            return -1;
        r->host.key_fn(r->host.opaque, spice_key_scancode(k.code),
                       type == SPICE_MSGC_INPUTS_KEY_DOWN);
        return 0;
    }
    if (direct && r->host.locks_fn && type == SPICE_MSGC_INPUTS_KEY_MODIFIERS) {
        struct spice_key_modifiers km;

        spice_key_modifiers_get(&rb, &km);
        if (rb.bad)
            return -1;
        r->host.locks_fn(r->host.opaque, km.modifiers & 7);
        return 0;
    }
    return forward(r, type, body, len);
}

/* Splits the buffer into messages: bytes used, or -1 (*why says). */
static long host_parse(struct fsrv_host_reader *r, const char **why)
{
    size_t off = 0;

    for (;;) {
        struct spice_msg_header h;
        size_t hl = spice_header_parse(r->buf + off, r->len - off, r->mini, &h);

        if (hl == 0)
            break;
        if (h.size > FSRV_READ_LIMIT) {
            *why = "a message too large";
            return -1;
        }
        if (r->len - off - hl < h.size)
            break;
        if (host_message(r, h.type, r->buf + off + hl, h.size) < 0) {
            *why = "bad input";
            return -1;
        }
        off += hl + h.size;
    }
    return (long)off;
}

static void host_ready(void *arg)
{
    struct fsrv_host_reader *r = arg;
    const char *why = NULL;

    for (int i = 0; i < READS_PER_CALL; i++) {
        long used;
        ssize_t n;

        if (r->cap - r->len < 4096) {
            size_t cap = r->cap ? r->cap * 2 : 16384;
            uint8_t *p;

            if (cap > 2 * FSRV_READ_LIMIT + 65536 || !(p = realloc(r->buf, cap))) {
                host_end(r, HOST_BAD, "out of memory");
                return;
            }
            r->buf = p;
            r->cap = cap;
        }
        n = recv(r->fd, r->buf + r->len, r->cap - r->len, MSG_DONTWAIT);
        if (n == 0) {
            host_end(r, HOST_EOF, NULL);
            return;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            host_end(r, HOST_EOF, strerror(errno));
            return;
        }
        r->len += (size_t)n;
        used = host_parse(r, &why);
        if (used < 0) {
            host_end(r, HOST_BAD, why);
            return;
        }
        memmove(r->buf, r->buf + used, r->len - (size_t)used);
        r->len -= (size_t)used;
    }
}

static void host_start(void *arg)
{
    struct fsrv_host_reader *r = arg;

    r->watch = r->host.watch_fn(r->host.opaque, r->fd, host_ready, r);
    if (!r->watch)
        host_end(r, HOST_BAD, "the host cannot watch the socket");
}

/* ---- the server's thread ---- */

static void server_closed(uv_handle_t *h)
{
    unref(h->data);
}

/* The messages the host handed on, in order; then how its side ended. */
static void on_forwarded(uv_async_t *a)
{
    struct fsrv_host_reader *r = a->data;
    struct fwd *list, *f;
    enum host_end end;
    int done = 0;

    if (!r->owner.owner)
        return;   /* the owner is gone (the handle is closing) */
    uv_mutex_lock(&r->lock);
    list = r->head;
    r->head = NULL;
    r->tail = &r->head;
    r->queued = 0;
    end = r->end;
    uv_mutex_unlock(&r->lock);
    while ((f = list)) {
        list = f->next;
        if (!done)
            done = r->owner.message(r->owner.owner, f->type, f->body, f->len);
        free(f);
        __atomic_sub_fetch(&r->pending, 1, __ATOMIC_SEQ_CST);
    }
    /* (the owner may have ended the reader: r stays until the handle's close) */
    if (end != HOST_READING && r->owner.owner)
        r->owner.ended(r->owner.owner, end == HOST_BAD);
}

struct fsrv_host_reader *fsrv_host_reader_start(uv_loop_t *loop, int fd, int mini,
                                                const uint8_t *pending, size_t pending_len,
                                                const struct floe_input_host *host,
                                                const struct fsrv_host_reader_owner *owner)
{
    struct fsrv_host_reader *r = calloc(1, sizeof(*r));

    if (!r)
        return NULL;
    r->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (r->fd < 0) {
        free(r);
        return NULL;
    }
    /* a message begun before the hand-over goes with it */
    if (pending_len) {
        r->buf = malloc(pending_len);
        if (!r->buf) {
            close(r->fd);
            free(r);
            return NULL;
        }
        memcpy(r->buf, pending, pending_len);
        r->len = r->cap = pending_len;
    }
    uv_mutex_init(&r->lock);
    r->refs = 2;
    r->tail = &r->head;
    r->owner = *owner;
    r->server_fd = fd;
    r->host = *host;
    r->mini = mini;
    uv_async_init(loop, &r->async, on_forwarded);
    r->async.data = r;
    if (host->call_fn(host->opaque, host_start, r) < 0) {
        /* the host never saw it */
        close(r->fd);
        r->refs = 1;
        r->owner.owner = NULL;
        uv_close((uv_handle_t *)&r->async, server_closed);
        return NULL;
    }
    return r;
}

void fsrv_host_reader_stop_reading(struct fsrv_host_reader *r)
{
    shutdown(r->server_fd, SHUT_RD);
}

void fsrv_host_reader_end(struct fsrv_host_reader *r)
{
    uv_mutex_lock(&r->lock);
    r->server_gone = 1;
    uv_mutex_unlock(&r->lock);
    /* the host's next read sees the end; the peer sees it once both
     * descriptors are closed, or now for the writing side */
    shutdown(r->server_fd, SHUT_RDWR);
    r->owner.owner = NULL;
    uv_close((uv_handle_t *)&r->async, server_closed);
}
