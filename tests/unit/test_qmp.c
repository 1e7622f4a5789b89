/* Unit tests for vmhost's QMP client: the line parser on its own, and the
 * client against a fake QMP server on a unix socket in the same libuv loop. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmhost/qmp-parse.h"
#include "vmhost/qmp.h"

#define GREETING "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, " \
                 "\"package\": \"\"}, \"capabilities\": [\"oob\"]}}\r\n"

/* ---- the parser ---- */

/* Feeds text in pieces of `piece` bytes; stores up to max messages' kinds
 * (and keeps the messages); returns the count, or the error. */
static int feed_all(struct floe_qmp_parser *p, const char *text, size_t len, size_t piece,
                    struct floe_qmp_msg *msgs, int max)
{
    int n = 0;

    for (size_t off = 0; off < len;) {
        size_t chunk = len - off < piece ? len - off : piece, pos = 0;

        while (pos < chunk) {
            struct floe_qmp_msg m = { 0 };
            size_t used;
            int ret = floe_qmp_parser_feed(p, text + off + pos, chunk - pos, &used, &m);

            if (ret < 0)
                return ret;
            assert_true(used > 0 && used <= chunk - pos);
            pos += used;
            if (ret == 1) {
                assert_true(n < max);
                msgs[n++] = m;
            }
        }
        off += chunk;
    }
    return n;
}

static const char STREAM[] =
    GREETING
    "{\"return\": {}, \"id\": 1}\r\n"
    "\r\n   \n"
    "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"STOP\"}\r\n"
    "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"no such\"}, \"id\": 7}\n"
    "{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": false}, \"timestamp\": {}}\r\n";

static void check_stream(struct floe_qmp_msg *m, int n)
{
    assert_int_equal(n, 5);
    assert_int_equal(m[0].kind, FLOE_QMP_GREETING);
    assert_non_null(json_object_object_get(m[0].value, "version"));
    assert_int_equal(m[1].kind, FLOE_QMP_RETURN);
    assert_int_equal(json_object_get_int(m[1].id), 1);
    assert_int_equal(m[2].kind, FLOE_QMP_EVENT);
    assert_string_equal(m[2].name, "STOP");
    assert_null(m[2].value);
    assert_int_equal(m[3].kind, FLOE_QMP_ERROR);
    assert_string_equal(m[3].err_class, "CommandNotFound");
    assert_string_equal(m[3].err_desc, "no such");
    assert_int_equal(json_object_get_int(m[3].id), 7);
    assert_int_equal(m[4].kind, FLOE_QMP_EVENT);
    assert_string_equal(m[4].name, "SHUTDOWN");
    assert_false(json_object_get_boolean(json_object_object_get(m[4].value, "guest")));
    assert_true(json_object_is_type(json_object_object_get(m[4].value, "guest"), json_type_boolean));
    for (int i = 0; i < n; i++)
        floe_qmp_msg_clear(&m[i]);
}

/* Every way of cutting the stream gives the same messages. */
static void test_parse_split_and_joined(void **state)
{
    size_t pieces[] = { 1, 2, 3, 7, 64, sizeof(STREAM) };

    for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
        struct floe_qmp_parser p;
        struct floe_qmp_msg m[8];

        assert_int_equal(floe_qmp_parser_init(&p, 0), 0);
        check_stream(m, feed_all(&p, STREAM, sizeof(STREAM) - 1, pieces[i], m, 8));
        floe_qmp_parser_fini(&p);
    }
}

static int parse_n(const char *text, size_t len, size_t max_line, size_t piece, char *err,
                   size_t errlen)
{
    struct floe_qmp_parser p;
    struct floe_qmp_msg m[4];
    int n;

    assert_int_equal(floe_qmp_parser_init(&p, max_line), 0);
    n = feed_all(&p, text, len, piece, m, 4);
    if (n < 0) {
        snprintf(err, errlen, "%s", p.error);
        /* refuses anything after an error */
        size_t used;
        assert_int_equal(floe_qmp_parser_feed(&p, "{\"return\":1}\n", 13, &used, &m[0]), -EBADMSG);
    }
    for (int i = 0; i < n; i++)
        floe_qmp_msg_clear(&m[i]);
    floe_qmp_parser_fini(&p);
    return n;
}

static int parse_one(const char *text, size_t max_line, size_t piece, char *err, size_t errlen)
{
    return parse_n(text, strlen(text), max_line, piece, err, errlen);
}

static void test_parse_oversize(void **state)
{
    char line[200], err[160];

    /* a line of exactly 64 bytes passes, 65 does not, gathered or whole */
    snprintf(line, sizeof(line), "{\"return\": \"%050d\"}\n", 0);
    assert_int_equal(strlen(line), 65);
    assert_int_equal(parse_one(line, 64, 1, err, sizeof(err)), 1);
    assert_int_equal(parse_one(line, 64, sizeof(line), err, sizeof(err)), 1);
    snprintf(line, sizeof(line), "{\"return\": \"%051d\"}\n", 0);
    assert_int_equal(parse_one(line, 64, 5, err, sizeof(err)), -EMSGSIZE);
    assert_non_null(strstr(err, "longer than 64"));
    assert_int_equal(parse_one(line, 64, sizeof(line), err, sizeof(err)), -EMSGSIZE);
    /* no newline at all: refused once past the limit, not buffered forever */
    memset(line, ' ', sizeof(line) - 1);
    line[sizeof(line) - 1] = 0;
    assert_int_equal(parse_one(line, 64, 10, err, sizeof(err)), -EMSGSIZE);
}

static void test_parse_invalid(void **state)
{
    static const struct { const char *text, *why; } bad[] = {
        { "hello\n", "not a JSON object" },
        { "{hello}\n", "invalid JSON" },
        { "{\"return\": \n", "invalid JSON" },
        { "{\"return\": {}} x\n", "invalid JSON" },
        { "{\"return\": {}}{\"return\": {}}\n", "invalid JSON" },
        { "{\"return\": \"\xff\"}\n", "invalid JSON" },
        { "[1, 2]\n", "not a JSON object" },
        { "\"QMP\"\n", "not a JSON object" },
        { "42\n", "not a JSON object" },
        { "{\"foo\": 1}\n", "not a QMP message" },
        { "{\"error\": {\"class\": \"X\"}}\n", "without class and desc" },
        { "{\"error\": 3}\n", "without class and desc" },
        { "{\"event\": 5}\n", "event name is not a string" },
        { "{\"event\": \"STOP\", \"data\": [1]}\n", "event data is not an object" },
        { "{\"QMP\": 1}\n", "not an object" },
    };
    char err[160];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (parse_one(bad[i].text, 0, 3, err, sizeof(err)) != -EBADMSG || !strstr(err, bad[i].why))
            fail_msg("%zu: '%s' gave '%s'", i, bad[i].text, err);
    }
    /* a NUL byte inside a line */
    assert_int_equal(parse_n("{\"return\": \"a\0b\"}\n", 18, 0, 4, err, sizeof(err)), -EBADMSG);
    assert_non_null(strstr(err, "invalid JSON"));
}

/* ---- the client against a fake server ---- */

struct fake {
    uv_loop_t loop;
    uv_pipe_t listener, peer;
    uv_timer_t guard;
    int peer_open, timed_out;
    char path[108];
    char in[16384];
    size_t in_len;
    int send_greeting;
    /* the server's answer to each command; NULL: the test's default */
    void (*on_cmd)(struct fake *f, const char *name, int id);
    int cmds_seen, ids[16];
    char names[16][32];
    /* what the client saw */
    struct floe_qmp *q;
    int ready, closed, closed_err, nevents, nresults;
    char why[256], events[8][32];
    struct { int status; char value[256], cls[64]; const char *tag; } results[16];
};

static void fake_send(struct fake *f, const char *text)
{
    uv_buf_t b = uv_buf_init((char *)text, (unsigned)strlen(text));

    assert_true(f->peer_open);
    assert_int_equal(uv_try_write((uv_stream_t *)&f->peer, &b, 1), (int)strlen(text));
}

static void fake_sendf(struct fake *f, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    fake_send(f, buf);
}

static void fake_hang_up(struct fake *f)
{
    if (f->peer_open) {
        f->peer_open = 0;
        uv_close((uv_handle_t *)&f->peer, NULL);
    }
}

static void fake_alloc(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
    struct fake *f = h->data;

    *b = uv_buf_init(f->in + f->in_len, (unsigned)(sizeof(f->in) - f->in_len));
}

static void fake_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    struct fake *f = s->data;
    char *nl;

    if (n < 0) {
        fake_hang_up(f);
        return;
    }
    f->in_len += (size_t)n;
    while ((nl = memchr(f->in, '\n', f->in_len))) {
        struct json_object *cmd, *name, *id;
        size_t len = (size_t)(nl - f->in) + 1;

        *nl = 0;
        cmd = json_tokener_parse(f->in);
        assert_non_null(cmd);
        assert_true(json_object_object_get_ex(cmd, "execute", &name));
        assert_true(json_object_object_get_ex(cmd, "id", &id));
        assert_true(f->cmds_seen < 16);
        snprintf(f->names[f->cmds_seen], 32, "%s", json_object_get_string(name));
        f->ids[f->cmds_seen++] = json_object_get_int(id);
        if (strcmp(json_object_get_string(name), "qmp_capabilities") == 0)
            fake_sendf(f, "{\"return\": {}, \"id\": %d}\r\n", json_object_get_int(id));
        else if (f->on_cmd)
            f->on_cmd(f, json_object_get_string(name), json_object_get_int(id));
        json_object_put(cmd);
        memmove(f->in, f->in + len, f->in_len - len);
        f->in_len -= len;
    }
}

static void fake_accept(uv_stream_t *l, int status)
{
    struct fake *f = l->data;

    assert_int_equal(status, 0);
    assert_false(f->peer_open);
    uv_pipe_init(&f->loop, &f->peer, 0);
    f->peer.data = f;
    assert_int_equal(uv_accept(l, (uv_stream_t *)&f->peer), 0);
    f->peer_open = 1;
    uv_read_start((uv_stream_t *)&f->peer, fake_alloc, fake_read);
    if (f->send_greeting)
        fake_send(f, GREETING);
}

static void on_ready(struct floe_qmp *q, void *opaque)
{
    ((struct fake *)opaque)->ready++;
}

static void on_event(struct floe_qmp *q, const char *name, struct json_object *data, void *opaque)
{
    struct fake *f = opaque;

    assert_true(f->nevents < 8);
    snprintf(f->events[f->nevents++], 32, "%s%s", name,
             data && json_object_object_get(data, "guest") ? "+guest" : "");
}

static void on_closed(struct floe_qmp *q, int err, const char *why, void *opaque)
{
    struct fake *f = opaque;

    f->closed++;
    f->closed_err = err;
    snprintf(f->why, sizeof(f->why), "%s", why);
    assert_string_equal(why, floe_qmp_error(q));
}

static void on_result(struct floe_qmp *q, const struct floe_qmp_result *r, void *opaque)
{
    struct fake *f = (struct fake *)((void **)opaque)[0];
    int i = f->nresults++;

    assert_true(i < 16);
    f->results[i].tag = ((void **)opaque)[1];
    f->results[i].status = r->status;
    if (r->status == 0)
        snprintf(f->results[i].value, 256, "%s",
                 json_object_to_json_string_ext(r->value, JSON_C_TO_STRING_PLAIN));
    else
        assert_non_null(r->err_desc);
    if (r->status == -EREMOTEIO)
        snprintf(f->results[i].cls, 64, "%s", r->err_class);
}

static void guard_fired(uv_timer_t *t)
{
    ((struct fake *)t->data)->timed_out = 1;
}

/* Runs the loop until *flag >= want (or 5 s pass: a failure, not a hang). */
static void run_until(struct fake *f, int *flag, int want)
{
    f->timed_out = 0;
    uv_timer_start(&f->guard, guard_fired, 5000, 0);
    while (*flag < want && !f->timed_out)
        uv_run(&f->loop, UV_RUN_ONCE);
    uv_timer_stop(&f->guard);
    assert_true(*flag >= want);
}

static const struct floe_qmp_ops fake_ops = { on_ready, on_event, on_closed };

static struct fake *fake_start(int greet, unsigned timeout_ms, int wait_ready)
{
    struct fake *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    f->send_greeting = greet;
    snprintf(f->path, sizeof(f->path), "/tmp/floe-qmp-test.%d.sock", (int)getpid());
    unlink(f->path);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    uv_timer_init(&f->loop, &f->guard);
    f->guard.data = f;
    uv_pipe_init(&f->loop, &f->listener, 0);
    f->listener.data = f;
    assert_int_equal(uv_pipe_bind(&f->listener, f->path), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&f->listener, 4, fake_accept), 0);
    f->q = floe_qmp_new(&f->loop, &fake_ops, f);
    assert_non_null(f->q);
    assert_int_equal(floe_qmp_connect(f->q, f->path, timeout_ms), 0);
    assert_int_equal(floe_qmp_connect(f->q, f->path, timeout_ms), -EALREADY);
    if (wait_ready)
        run_until(f, &f->ready, 1);
    return f;
}

/* Frees the client and the fake; the loop must close with nothing left. */
static void fake_stop(struct fake *f)
{
    floe_qmp_free(f->q);
    fake_hang_up(f);
    uv_close((uv_handle_t *)&f->listener, NULL);
    uv_close((uv_handle_t *)&f->guard, NULL);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    unlink(f->path);
    free(f);
}

static void *tags[16][2];

static int run(struct fake *f, const char *cmd, struct json_object *args, unsigned timeout_ms,
               const char *tag)
{
    static int n;
    void **t = tags[n++ % 16];

    t[0] = f;
    t[1] = (void *)tag;
    return floe_qmp_execute(f->q, cmd, args, timeout_ms, on_result, t);
}

static void test_client_handshake(void **state)
{
    struct fake *f = fake_start(1, 2000, 1);
    int major, minor, micro;

    assert_int_equal(f->ready, 1);
    assert_int_equal(f->cmds_seen, 1);
    assert_string_equal(f->names[0], "qmp_capabilities");
    assert_int_equal(floe_qmp_version(f->q, &major, &minor, &micro), 0);
    assert_int_equal(major * 10000 + minor * 100 + micro, 70222);
    assert_null(floe_qmp_error(f->q));
    fake_stop(f);
}

/* Replies to a, b and c only once all three are in flight, in reverse
 * order, one split across two writes and two joined in one. */
static void reply_reversed(struct fake *f, const char *name, int id)
{
    if (f->cmds_seen < 4)
        return;
    fake_sendf(f, "{\"return\": {\"for\": \"%s\"}, \"id\": %d}\r\n{\"return\": {\"for\": \"%s\"}, ",
               f->names[3], f->ids[3], f->names[2]);
    fake_sendf(f, "\"id\": %d}\r\n", f->ids[2]);
    fake_sendf(f, "{\"return\": [\"%s\"], \"id\": %d}\r\n", f->names[1], f->ids[1]);
}

static void test_client_in_flight(void **state)
{
    struct fake *f = fake_start(1, 2000, 1);
    struct json_object *args = json_object_new_object();

    f->on_cmd = reply_reversed;
    json_object_object_add(args, "x", json_object_new_int(1));
    assert_int_equal(run(f, "a", NULL, 0, "a"), 0);
    assert_int_equal(run(f, "b", args, 0, "b"), 0);
    assert_int_equal(run(f, "c", NULL, 0, "c"), 0);
    run_until(f, &f->nresults, 3);
    assert_string_equal(f->results[0].tag, "c");
    assert_string_equal(f->results[0].value, "{\"for\":\"c\"}");
    assert_string_equal(f->results[1].tag, "b");
    assert_string_equal(f->results[1].value, "{\"for\":\"b\"}");
    assert_string_equal(f->results[2].tag, "a");
    assert_string_equal(f->results[2].value, "[\"a\"]");
    for (int i = 0; i < 3; i++)
        assert_int_equal(f->results[i].status, 0);
    /* ids are distinct */
    assert_true(f->ids[1] != f->ids[2] && f->ids[2] != f->ids[3] && f->ids[1] != f->ids[3]);
    assert_int_equal(f->closed, 0);
    /* bad uses */
    assert_int_equal(run(f, "", NULL, 0, "x"), -EINVAL);
    assert_int_equal(run(f, "x", json_object_new_array(), 0, "x"), -EINVAL);
    fake_stop(f);
}

static void reply_error_and_events(struct fake *f, const char *name, int id)
{
    fake_send(f, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 0}, \"event\": \"STOP\"}\r\n");
    fake_sendf(f, "{\"id\": %d, \"error\": {\"class\": \"CommandNotFound\", "
               "\"desc\": \"The command %s has not been found\"}}\r\n", id, name);
    fake_send(f, "{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": false, \"reason\": \"host-qmp-quit\"}, "
              "\"timestamp\": {\"seconds\": 1, \"microseconds\": 0}}\r\n");
}

static void test_client_error_and_events(void **state)
{
    struct fake *f = fake_start(1, 2000, 1);

    f->on_cmd = reply_error_and_events;
    assert_int_equal(run(f, "nope", NULL, 1000, "nope"), 0);
    run_until(f, &f->nevents, 2);
    assert_int_equal(f->nresults, 1);
    assert_int_equal(f->results[0].status, -EREMOTEIO);
    assert_string_equal(f->results[0].cls, "CommandNotFound");
    assert_string_equal(f->events[0], "STOP");
    assert_string_equal(f->events[1], "SHUTDOWN+guest");
    assert_int_equal(f->closed, 0);
    fake_stop(f);
}

static void hang_up_on_second(struct fake *f, const char *name, int id)
{
    if (strcmp(name, "second") == 0)
        fake_hang_up(f);
}

static void test_client_peer_closes(void **state)
{
    struct fake *f = fake_start(1, 2000, 1);

    f->on_cmd = hang_up_on_second;
    assert_int_equal(run(f, "first", NULL, 0, "1"), 0);
    assert_int_equal(run(f, "second", NULL, 0, "2"), 0);
    run_until(f, &f->closed, 1);
    assert_int_equal(f->closed_err, -ECONNRESET);
    assert_non_null(strstr(f->why, "closed"));
    assert_int_equal(f->nresults, 2);
    assert_int_equal(f->results[0].status, -ECONNRESET);
    assert_int_equal(f->results[1].status, -ECONNRESET);
    assert_int_equal(run(f, "third", NULL, 0, "3"), -ENOTCONN);
    uv_run(&f->loop, UV_RUN_NOWAIT);
    assert_int_equal(f->closed, 1);
    fake_stop(f);
}

static void reply_garbage(struct fake *f, const char *name, int id)
{
    fake_send(f, "{\"return\": {}, \"id\": 1} trailing\r\n");
}

static void test_client_garbage(void **state)
{
    struct fake *f = fake_start(1, 2000, 1);

    f->on_cmd = reply_garbage;
    assert_int_equal(run(f, "x", NULL, 0, "x"), 0);
    run_until(f, &f->closed, 1);
    assert_int_equal(f->closed_err, -EBADMSG);
    assert_non_null(strstr(f->why, "invalid JSON"));
    assert_int_equal(f->nresults, 1);
    assert_int_equal(f->results[0].status, -ECONNRESET);
    fake_stop(f);
}

static void reply_unknown_id(struct fake *f, const char *name, int id)
{
    fake_sendf(f, "{\"return\": {}, \"id\": %d}\r\n", id + 100);
}

static void test_client_unexpected_reply(void **state)
{
    struct fake *f = fake_start(1, 2000, 1);

    f->on_cmd = reply_unknown_id;
    assert_int_equal(run(f, "x", NULL, 0, "x"), 0);
    run_until(f, &f->closed, 1);
    assert_int_equal(f->closed_err, -EBADMSG);
    assert_non_null(strstr(f->why, "no command in flight"));
    assert_int_equal(f->results[0].status, -ECONNRESET);
    fake_stop(f);
}

static void test_client_bad_greeting(void **state)
{
    struct fake *f = fake_start(0, 2000, 0);

    run_until(f, &f->peer_open, 1);
    fake_send(f, "{\"return\": {}}\r\n");
    run_until(f, &f->closed, 1);
    assert_int_equal(f->closed_err, -EBADMSG);
    assert_non_null(strstr(f->why, "greeting"));
    assert_int_equal(f->ready, 0);
    fake_stop(f);
}

static void test_client_greeting_timeout(void **state)
{
    struct fake *f = fake_start(0, 200, 0);

    run_until(f, &f->closed, 1);
    assert_int_equal(f->closed_err, -ETIMEDOUT);
    assert_int_equal(f->ready, 0);
    fake_stop(f);
}

static void reply_late(struct fake *f, const char *name, int id)
{
    if (strcmp(name, "slow") != 0)
        fake_sendf(f, "{\"return\": {}, \"id\": %d}\r\n{\"return\": 1, \"id\": %d}\r\n",
                   f->ids[1], id);
}

static void test_client_command_timeout(void **state)
{
    struct fake *f = fake_start(1, 2000, 1);

    f->on_cmd = reply_late;
    assert_int_equal(run(f, "slow", NULL, 100, "slow"), 0);
    run_until(f, &f->nresults, 1);
    assert_int_equal(f->results[0].status, -ETIMEDOUT);
    /* the late reply to "slow" is dropped; the connection goes on */
    assert_int_equal(run(f, "fast", NULL, 1000, "fast"), 0);
    run_until(f, &f->nresults, 2);
    assert_string_equal(f->results[1].tag, "fast");
    assert_int_equal(f->results[1].status, 0);
    assert_string_equal(f->results[1].value, "1");
    assert_int_equal(f->closed, 0);
    fake_stop(f);
}

static void test_client_free_pending(void **state)
{
    struct fake *f = fake_start(1, 2000, 1);
    struct floe_qmp *q = f->q;

    assert_int_equal(run(f, "x", NULL, 0, "x"), 0);
    floe_qmp_free(q);
    assert_int_equal(f->nresults, 1);
    assert_int_equal(f->results[0].status, -ECANCELED);
    f->q = NULL;
    fake_stop(f);
}

static void test_client_no_socket(void **state)
{
    struct fake *f = fake_start(1, 2000, 0);
    struct floe_qmp *q = floe_qmp_new(&f->loop, &fake_ops, f);
    char longpath[200];

    memset(longpath, 'a', sizeof(longpath) - 1);
    longpath[sizeof(longpath) - 1] = 0;
    assert_int_equal(floe_qmp_connect(q, longpath, 0), -ENAMETOOLONG);
    assert_int_equal(floe_qmp_connect(q, "/nonexistent/qmp.sock", 0), 0);
    run_until(f, &f->closed, 1);
    assert_non_null(strstr(f->why, "connecting"));
    floe_qmp_free(q);
    fake_stop(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_split_and_joined),
        cmocka_unit_test(test_parse_oversize),
        cmocka_unit_test(test_parse_invalid),
        cmocka_unit_test(test_client_handshake),
        cmocka_unit_test(test_client_in_flight),
        cmocka_unit_test(test_client_error_and_events),
        cmocka_unit_test(test_client_peer_closes),
        cmocka_unit_test(test_client_garbage),
        cmocka_unit_test(test_client_unexpected_reply),
        cmocka_unit_test(test_client_bad_greeting),
        cmocka_unit_test(test_client_greeting_timeout),
        cmocka_unit_test(test_client_command_timeout),
        cmocka_unit_test(test_client_free_pending),
        cmocka_unit_test(test_client_no_socket),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
