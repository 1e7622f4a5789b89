/* Runs one QMP command against a socket with libfloe-vmhost's client and
 * prints the greeting's version, the events seen and the result as JSON.
 *
 * qmp_tool [-t MS] [-e EVENT] [-w] SOCKET COMMAND [ARGUMENTS-JSON]
 *   -t MS     time limit for connecting and for the command (default 10000)
 *   -e EVENT  also wait for this event (before or after the reply)
 *   -w        also wait for the peer to close the connection
 * Output: "version X.Y.Z", "event NAME DATA", then "return JSON" or
 * "error CLASS DESC". Exit status: 0 on a return, 2 on a QMP error reply,
 * 1 on any other failure (with the reason on stderr). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmhost/qmp.h"

struct tool {
    const char *command, *want_event;
    struct json_object *args;
    unsigned timeout_ms;
    int wait_close;
    int replied, got_event, closed;
    int status;                 /* exit status once all waited for is here */
    struct floe_qmp *q;
    uv_timer_t timer;           /* the overall limit while waiting */
};

static void finish(struct tool *t, int status)
{
    t->status = status;
    uv_close((uv_handle_t *)&t->timer, NULL);
    floe_qmp_free(t->q);
    t->q = NULL;
}

static void maybe_finish(struct tool *t)
{
    if (t->q && t->replied && (!t->want_event || t->got_event) && (!t->wait_close || t->closed))
        finish(t, t->status);
}

static void result(struct floe_qmp *q, const struct floe_qmp_result *r, void *opaque)
{
    struct tool *t = opaque;

    if (r->status == 0) {
        printf("return %s\n", json_object_to_json_string_ext(r->value, JSON_C_TO_STRING_PLAIN));
    } else if (r->status == -EREMOTEIO) {
        printf("error %s %s\n", r->err_class, r->err_desc);
        t->status = 2;
    } else {
        fprintf(stderr, "qmp_tool: %s: %s\n", t->command, r->err_desc);
        finish(t, 1);
        return;
    }
    fflush(stdout);
    t->replied = 1;
    maybe_finish(t);
}

static void ready(struct floe_qmp *q, void *opaque)
{
    struct tool *t = opaque;
    int major, minor, micro, ret;

    if (floe_qmp_version(q, &major, &minor, &micro) == 0)
        printf("version %d.%d.%d\n", major, minor, micro);
    ret = floe_qmp_execute(q, t->command, t->args, t->timeout_ms, result, t);
    t->args = NULL;
    if (ret < 0) {
        fprintf(stderr, "qmp_tool: %s: %s\n", t->command, strerror(-ret));
        finish(t, 1);
    }
}

static void event(struct floe_qmp *q, const char *name, struct json_object *data, void *opaque)
{
    struct tool *t = opaque;

    printf("event %s %s\n", name, data ? json_object_to_json_string_ext(data, JSON_C_TO_STRING_PLAIN) : "{}");
    fflush(stdout);
    if (t->want_event && strcmp(name, t->want_event) == 0)
        t->got_event = 1;
    maybe_finish(t);
}

static void closed(struct floe_qmp *q, int err, const char *why, void *opaque)
{
    struct tool *t = opaque;

    t->closed = 1;
    if (t->q && (!t->replied || !t->wait_close || (t->want_event && !t->got_event))) {
        fprintf(stderr, "qmp_tool: %s\n", why);
        finish(t, 1);
        return;
    }
    printf("closed\n");
    fflush(stdout);
    maybe_finish(t);
}

static void too_long(uv_timer_t *timer)
{
    struct tool *t = timer->data;

    fprintf(stderr, "qmp_tool: gave up waiting after %u ms\n", 2 * t->timeout_ms);
    finish(t, 1);
}

int main(int argc, char **argv)
{
    static const struct floe_qmp_ops ops = { ready, event, closed };
    struct tool t = { .timeout_ms = 10000 };
    uv_loop_t loop;
    int opt, ret;

    while ((opt = getopt(argc, argv, "t:e:w")) != -1) {
        if (opt == 't')
            t.timeout_ms = (unsigned)atoi(optarg);
        else if (opt == 'e')
            t.want_event = optarg;
        else if (opt == 'w')
            t.wait_close = 1;
        else
            return 1;
    }
    if (argc - optind < 2 || argc - optind > 3) {
        fprintf(stderr, "usage: qmp_tool [-t MS] [-e EVENT] [-w] SOCKET COMMAND [ARGUMENTS-JSON]\n");
        return 1;
    }
    t.command = argv[optind + 1];
    if (argc - optind == 3 && !(t.args = json_tokener_parse(argv[optind + 2]))) {
        fprintf(stderr, "qmp_tool: arguments are not JSON\n");
        return 1;
    }
    uv_loop_init(&loop);
    uv_timer_init(&loop, &t.timer);
    t.timer.data = &t;
    uv_timer_start(&t.timer, too_long, 2 * (uint64_t)t.timeout_ms, 0);
    t.q = floe_qmp_new(&loop, &ops, &t);
    ret = t.q ? floe_qmp_connect(t.q, argv[optind], t.timeout_ms) : -ENOMEM;
    if (ret < 0) {
        fprintf(stderr, "qmp_tool: %s: %s\n", argv[optind], strerror(-ret));
        finish(&t, 1);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    json_object_put(t.args);
    return uv_loop_close(&loop) == 0 ? t.status : 1;
}
