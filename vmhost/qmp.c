/* The QMP client: a unix socket to QEMU's monitor on a libuv loop, the
 * greeting and capabilities handshake, commands matched to replies by id. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "vmhost/qmp-parse.h"
#include "vmhost/qmp.h"

#define READ_CHUNK (64u << 10)

enum qmp_state { ST_NEW, ST_CONNECTING, ST_GREETING, ST_NEGOTIATING, ST_READY, ST_CLOSED };

struct qmp_cmd {
    struct qmp_cmd *next;
    uint64_t id;
    uint64_t deadline;          /* loop time in ms, 0 for none */
    floe_qmp_result_fn cb;      /* NULL once it has timed out: the reply is dropped */
    void *opaque;
};

struct qmp_write {
    uv_write_t req;
    struct floe_qmp *q;
    char data[];
};

struct floe_qmp {
    uv_loop_t *loop;
    struct floe_qmp_ops ops;
    void *opaque;
    uv_pipe_t pipe;
    uv_timer_t timer;
    uv_connect_t connect_req;
    int handles;                /* libuv handles not yet closed */
    int freed;                  /* floe_qmp_free() was called */
    enum qmp_state state;
    uint64_t ready_deadline;    /* for greeting and negotiation, 0 for none */
    unsigned ready_timeout;
    struct floe_qmp_parser parser;
    struct qmp_cmd *cmds;       /* in flight, oldest first */
    uint64_t next_id;
    int version[3];
    int have_version;
    char error[256];
    char rbuf[READ_CHUNK];
};

static void qmp_fail(struct floe_qmp *q, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

struct floe_qmp *floe_qmp_new(uv_loop_t *loop, const struct floe_qmp_ops *ops, void *opaque)
{
    struct floe_qmp *q = calloc(1, sizeof(*q));

    if (!q)
        return NULL;
    if (floe_qmp_parser_init(&q->parser, 0) < 0) {
        free(q);
        return NULL;
    }
    q->loop = loop;
    if (ops)
        q->ops = *ops;
    q->opaque = opaque;
    q->next_id = 1;
    return q;
}

static void release(struct floe_qmp *q)
{
    floe_qmp_parser_fini(&q->parser);
    free(q);
}

static void handle_closed(uv_handle_t *h)
{
    struct floe_qmp *q = h->data;

    if (--q->handles == 0 && q->freed)
        release(q);
}

/* Stops all I/O; memory stays until the handles are closed and q is freed. */
static void shut(struct floe_qmp *q)
{
    q->state = ST_CLOSED;
    if (q->handles == 2) {
        uv_read_stop((uv_stream_t *)&q->pipe);
        uv_timer_stop(&q->timer);
        uv_close((uv_handle_t *)&q->pipe, handle_closed);
        uv_close((uv_handle_t *)&q->timer, handle_closed);
    }
}

static void complete(struct floe_qmp *q, struct qmp_cmd *c, const struct floe_qmp_result *r)
{
    if (c->cb)
        c->cb(q, r, c->opaque);
    free(c);
}

/* Fails every command in flight; callbacks may free q (memory stays). */
static void fail_cmds(struct floe_qmp *q, int status, const char *why)
{
    struct floe_qmp_result r = { .status = status, .err_desc = why };

    while (q->cmds) {
        struct qmp_cmd *c = q->cmds;

        q->cmds = c->next;
        complete(q, c, &r);
    }
}

static void qmp_fail(struct floe_qmp *q, int err, const char *fmt, ...)
{
    va_list ap;

    if (q->state == ST_CLOSED)
        return;
    va_start(ap, fmt);
    vsnprintf(q->error, sizeof(q->error), fmt, ap);
    va_end(ap);
    shut(q);
    fail_cmds(q, -ECONNRESET, q->error);
    if (!q->freed && q->ops.closed_fn)
        q->ops.closed_fn(q, err, q->error, q->opaque);
}

void floe_qmp_free(struct floe_qmp *q)
{
    if (!q || q->freed)
        return;
    q->freed = 1;
    if (q->state != ST_CLOSED) {
        snprintf(q->error, sizeof(q->error), "closed by its owner");
        shut(q);
        fail_cmds(q, -ECANCELED, q->error);
    }
    if (q->handles == 0)
        release(q);
}

int floe_qmp_version(const struct floe_qmp *q, int *major, int *minor, int *micro)
{
    if (!q->have_version)
        return -ENOENT;
    *major = q->version[0];
    *minor = q->version[1];
    *micro = q->version[2];
    return 0;
}

const char *floe_qmp_error(const struct floe_qmp *q)
{
    return q->error[0] ? q->error : NULL;
}

/* Arms the timer for the nearest deadline: the handshake's or a command's. */
static void timer_cb(uv_timer_t *t);

static void rearm(struct floe_qmp *q)
{
    uint64_t next = q->state == ST_READY ? 0 : q->ready_deadline;
    uint64_t now = uv_now(q->loop);
    struct qmp_cmd *c;

    if (q->state == ST_CLOSED)
        return;
    for (c = q->cmds; c; c = c->next)
        if (c->cb && c->deadline && (!next || c->deadline < next))
            next = c->deadline;
    if (next)
        uv_timer_start(&q->timer, timer_cb, next > now ? next - now : 0, 0);
    else
        uv_timer_stop(&q->timer);
}

static void timer_cb(uv_timer_t *t)
{
    struct floe_qmp *q = t->data;
    uint64_t now = uv_now(q->loop);
    struct qmp_cmd *c;

    if (q->state != ST_READY && q->ready_deadline && now >= q->ready_deadline) {
        qmp_fail(q, -ETIMEDOUT, "no QMP greeting and negotiation within %u ms", q->ready_timeout);
        return;
    }
    /* one at a time from the start: a callback may send commands or free q */
    while (q->state != ST_CLOSED) {
        struct floe_qmp_result r = { .status = -ETIMEDOUT, .err_desc = "no reply in time" };
        floe_qmp_result_fn cb;

        for (c = q->cmds; c; c = c->next)
            if (c->cb && c->deadline && now >= c->deadline)
                break;
        if (!c)
            break;
        cb = c->cb;
        c->cb = NULL;   /* stays in the list until its reply, which is dropped */
        cb(q, &r, c->opaque);
    }
    rearm(q);
}

static void write_done(uv_write_t *req, int status)
{
    struct qmp_write *w = (struct qmp_write *)req;

    if (status < 0 && status != UV_ECANCELED)
        qmp_fail(w->q, -EPIPE, "writing to QMP socket: %s", uv_strerror(status));
    free(w);
}

/* Sends obj as one line; obj stays the caller's. */
static int send_obj(struct floe_qmp *q, struct json_object *obj)
{
    size_t len;
    const char *s = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN, &len);
    struct qmp_write *w;
    uv_buf_t buf;
    int ret;

    if (!s || !(w = malloc(sizeof(*w) + len + 1)))
        return -ENOMEM;
    memcpy(w->data, s, len);
    w->data[len] = '\n';
    w->q = q;
    buf = uv_buf_init(w->data, (unsigned)len + 1);
    ret = uv_write(&w->req, (uv_stream_t *)&q->pipe, &buf, 1, write_done);
    if (ret < 0)
        free(w);
    return ret;
}

static int execute(struct floe_qmp *q, const char *command, struct json_object *args,
                   unsigned timeout_ms, floe_qmp_result_fn cb, void *opaque)
{
    struct json_object *obj = json_object_new_object();
    struct qmp_cmd *c = calloc(1, sizeof(*c)), **pp;
    int ret = -ENOMEM;

    if (!obj || !c)
        goto out;
    c->id = q->next_id++;
    c->cb = cb;
    c->opaque = opaque;
    c->deadline = timeout_ms ? uv_now(q->loop) + timeout_ms : 0;
    if (json_object_object_add(obj, "execute", json_object_new_string(command)) < 0 ||
        json_object_object_add(obj, "id", json_object_new_uint64(c->id)) < 0)
        goto out;
    if (args) {
        ret = json_object_object_add(obj, "arguments", args) < 0 ? -ENOMEM : 0;
        args = NULL;
        if (ret < 0)
            goto out;
    }
    ret = send_obj(q, obj);
    if (ret < 0)
        goto out;
    for (pp = &q->cmds; *pp; pp = &(*pp)->next)
        ;
    *pp = c;
    c = NULL;
    rearm(q);
out:
    json_object_put(args);
    json_object_put(obj);
    free(c);
    return ret;
}

int floe_qmp_execute(struct floe_qmp *q, const char *command, struct json_object *arguments,
                     unsigned timeout_ms, floe_qmp_result_fn cb, void *opaque)
{
    if (q->state != ST_READY || q->freed) {
        json_object_put(arguments);
        return -ENOTCONN;
    }
    if (!command || !command[0] || !cb ||
        (arguments && !json_object_is_type(arguments, json_type_object))) {
        json_object_put(arguments);
        return -EINVAL;
    }
    return execute(q, command, arguments, timeout_ms, cb, opaque);
}

static void capabilities_done(struct floe_qmp *q, const struct floe_qmp_result *r, void *opaque)
{
    if (r->status == -ECONNRESET || r->status == -ECANCELED)
        return;     /* the connection is already going */
    if (r->status < 0) {
        qmp_fail(q, -EPROTO, "qmp_capabilities failed: %s", r->err_desc);
        return;
    }
    q->state = ST_READY;
    rearm(q);
    if (q->ops.ready_fn)
        q->ops.ready_fn(q, q->opaque);
}

static int version_part(struct json_object *qemu, const char *key)
{
    struct json_object *v;

    if (!json_object_object_get_ex(qemu, key, &v) || !json_object_is_type(v, json_type_int))
        return -1;
    return json_object_get_int(v);
}

static void greeting(struct floe_qmp *q, struct json_object *qmp)
{
    struct json_object *version, *qemu;
    int ret;

    if (json_object_object_get_ex(qmp, "version", &version) &&
        json_object_object_get_ex(version, "qemu", &qemu)) {
        q->version[0] = version_part(qemu, "major");
        q->version[1] = version_part(qemu, "minor");
        q->version[2] = version_part(qemu, "micro");
        q->have_version = q->version[0] >= 0 && q->version[1] >= 0 && q->version[2] >= 0;
    }
    q->state = ST_NEGOTIATING;
    ret = execute(q, "qmp_capabilities", NULL, 0, capabilities_done, NULL);
    if (ret < 0)
        qmp_fail(q, ret, "sending qmp_capabilities: %s", strerror(-ret));
}

static void reply(struct floe_qmp *q, const struct floe_qmp_msg *m)
{
    struct floe_qmp_result r = { 0 };
    struct qmp_cmd **pp, *c;
    uint64_t id;

    if (!m->id || !json_object_is_type(m->id, json_type_int)) {
        qmp_fail(q, -EBADMSG, "QMP reply without a command id%s%s",
                 m->err_desc ? ": " : "", m->err_desc ? m->err_desc : "");
        return;
    }
    id = json_object_get_uint64(m->id);
    for (pp = &q->cmds; *pp && (*pp)->id != id; pp = &(*pp)->next)
        ;
    if (!*pp) {
        qmp_fail(q, -EBADMSG, "QMP reply to no command in flight (id %llu)",
                 (unsigned long long)id);
        return;
    }
    c = *pp;
    *pp = c->next;
    if (m->kind == FLOE_QMP_RETURN) {
        r.value = m->value;
    } else {
        r.status = -EREMOTEIO;
        r.err_class = m->err_class;
        r.err_desc = m->err_desc;
    }
    complete(q, c, &r);
    rearm(q);
}

static void dispatch(struct floe_qmp *q, const struct floe_qmp_msg *m)
{
    if (q->state == ST_GREETING) {
        if (m->kind == FLOE_QMP_GREETING)
            greeting(q, m->value);
        else
            qmp_fail(q, -EBADMSG, "expected the QMP greeting, got another message");
        return;
    }
    switch (m->kind) {
    case FLOE_QMP_GREETING:
        qmp_fail(q, -EBADMSG, "unexpected second QMP greeting");
        break;
    case FLOE_QMP_RETURN:
    case FLOE_QMP_ERROR:
        reply(q, m);
        break;
    case FLOE_QMP_EVENT:
        if (q->ops.event_fn)
            q->ops.event_fn(q, m->name, m->value, q->opaque);
        break;
    }
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct floe_qmp *q = h->data;

    *buf = uv_buf_init(q->rbuf, sizeof(q->rbuf));
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct floe_qmp *q = s->data;
    size_t off = 0, used;

    if (nread == UV_EOF) {
        qmp_fail(q, -ECONNRESET, "QEMU closed the QMP connection");
        return;
    }
    if (nread < 0) {
        qmp_fail(q, -ECONNRESET, "reading the QMP socket: %s", uv_strerror((int)nread));
        return;
    }
    while (off < (size_t)nread && q->state != ST_CLOSED) {
        struct floe_qmp_msg m = { 0 };
        int ret = floe_qmp_parser_feed(&q->parser, buf->base + off, (size_t)nread - off, &used, &m);

        off += used;
        if (ret < 0) {
            qmp_fail(q, ret, "bad QMP input: %s", q->parser.error);
            return;
        }
        if (ret == 1) {
            dispatch(q, &m);
            floe_qmp_msg_clear(&m);
        }
    }
}

static void connected(uv_connect_t *req, int status)
{
    struct floe_qmp *q = req->data;

    if (q->state == ST_CLOSED)
        return;
    if (status < 0) {
        qmp_fail(q, -ECONNREFUSED, "connecting to the QMP socket: %s", uv_strerror(status));
        return;
    }
    q->state = ST_GREETING;
    status = uv_read_start((uv_stream_t *)&q->pipe, alloc_cb, read_cb);
    if (status < 0)
        qmp_fail(q, status, "reading the QMP socket: %s", uv_strerror(status));
}

int floe_qmp_connect(struct floe_qmp *q, const char *path, unsigned timeout_ms)
{
    struct sockaddr_un sun;
    int ret;

    if (q->state != ST_NEW || q->freed)
        return -EALREADY;
    if (strlen(path) >= sizeof(sun.sun_path))
        return -ENAMETOOLONG;
    ret = uv_pipe_init(q->loop, &q->pipe, 0);
    if (ret < 0)
        return ret;
    q->pipe.data = q;
    ret = uv_timer_init(q->loop, &q->timer);
    if (ret < 0) {
        q->handles = 1;
        uv_close((uv_handle_t *)&q->pipe, handle_closed);
        q->state = ST_CLOSED;
        return ret;
    }
    q->timer.data = q;
    q->handles = 2;
    q->connect_req.data = q;
    q->state = ST_CONNECTING;
    q->ready_timeout = timeout_ms;
    q->ready_deadline = timeout_ms ? uv_now(q->loop) + timeout_ms : 0;
    uv_pipe_connect(&q->connect_req, &q->pipe, path, connected);
    rearm(q);
    return 0;
}
