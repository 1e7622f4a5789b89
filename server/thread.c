/* libfloe-server on a thread of its own: a loop and a server that a host
 * drives from its threads by handing it calls, which run in their order. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "common/log.h"
#include "floe/server.h"

struct call {
    struct call *next;
    floe_server_call_fn *fn;   /* NULL: the stop request */
    void *opaque;
    uv_sem_t *done;            /* posted once fn has run (call_wait) */
};

struct floe_server_thread {
    uv_loop_t loop;
    uv_thread_t thread;
    uv_async_t wake;
    uv_mutex_t lock;
    struct call *head, **tail; /* under lock */
    int stopping;              /* under lock: no call is taken after the stop */
    struct floe_server_options opt;
    struct floe_server *srv;   /* the server's thread's own */
    uv_sem_t started;
    int start_err;
};

/* Runs every call queued so far, in order; the stop request closes the
 * server and the wake-up handle, so that the loop ends. */
static void on_wake(uv_async_t *a)
{
    struct floe_server_thread *t = a->data;
    struct call *list, *c;

    uv_mutex_lock(&t->lock);
    list = t->head;
    t->head = NULL;
    t->tail = &t->head;
    uv_mutex_unlock(&t->lock);
    while ((c = list)) {
        list = c->next;
        if (c->fn) {
            c->fn(t->srv, c->opaque);
        } else {
            floe_server_close(t->srv);
            uv_close((uv_handle_t *)&t->wake, NULL);
        }
        if (c->done)
            uv_sem_post(c->done);
        else
            free(c);
    }
}

static void thread_main(void *arg)
{
    struct floe_server_thread *t = arg;
    sigset_t pipe;

    /* a write to a client that hung up raises SIGPIPE on the writing
     * thread: keep it pending here rather than touch the process's
     * disposition, which is the host's */
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, NULL);
    t->srv = floe_server_new(&t->loop, &t->opt);
    t->start_err = t->srv ? 0 : -(errno ? errno : ENOMEM);
    if (t->srv)
        uv_async_init(&t->loop, &t->wake, on_wake);
    t->wake.data = t;
    uv_sem_post(&t->started);
    if (!t->srv)
        return;
    uv_run(&t->loop, UV_RUN_DEFAULT);
    floe_server_free(t->srv);
    t->srv = NULL;
}

struct floe_server_thread *floe_server_thread_new(const struct floe_server_options *opt)
{
    struct floe_server_thread *t = calloc(1, sizeof(*t));
    int rc;

    if (!t) {
        errno = ENOMEM;
        return NULL;
    }
    t->opt = *opt;
    t->tail = &t->head;
    if ((rc = uv_loop_init(&t->loop)) < 0)
        goto fail_loop;
    uv_mutex_init(&t->lock);
    uv_sem_init(&t->started, 0);
    if ((rc = uv_thread_create(&t->thread, thread_main, t)) < 0)
        goto fail_thread;
    uv_sem_wait(&t->started);
    if (t->start_err < 0) {
        rc = t->start_err;
        uv_thread_join(&t->thread);
        goto fail_thread;
    }
    return t;

fail_thread:
    uv_sem_destroy(&t->started);
    uv_mutex_destroy(&t->lock);
    uv_loop_close(&t->loop);
fail_loop:
    free(t);
    errno = -rc;
    return NULL;
}

/* Queues c; -ESHUTDOWN once the stop was asked. */
static int enqueue(struct floe_server_thread *t, struct call *c)
{
    uv_mutex_lock(&t->lock);
    if (t->stopping) {
        uv_mutex_unlock(&t->lock);
        return -ESHUTDOWN;
    }
    if (!c->fn)
        t->stopping = 1;
    *t->tail = c;
    t->tail = &c->next;
    uv_mutex_unlock(&t->lock);
    uv_async_send(&t->wake);
    return 0;
}

int floe_server_thread_call(struct floe_server_thread *t, floe_server_call_fn *fn, void *opaque)
{
    struct call *c;
    int rc;

    if (!fn)
        return -EINVAL;
    if (!(c = calloc(1, sizeof(*c))))
        return -ENOMEM;
    c->fn = fn;
    c->opaque = opaque;
    if ((rc = enqueue(t, c)) < 0)
        free(c);
    return rc;
}

int floe_server_thread_call_wait(struct floe_server_thread *t, floe_server_call_fn *fn,
                                 void *opaque)
{
    uv_thread_t self = uv_thread_self();
    struct call c = { .fn = fn, .opaque = opaque };
    uv_sem_t done;
    int rc;

    if (!fn)
        return -EINVAL;
    if (uv_thread_equal(&self, &t->thread))
        return -EDEADLK;
    uv_sem_init(&done, 0);
    c.done = &done;
    if ((rc = enqueue(t, &c)) == 0)
        uv_sem_wait(&done);
    uv_sem_destroy(&done);
    return rc;
}

void floe_server_thread_free(struct floe_server_thread *t)
{
    uv_thread_t self = uv_thread_self();
    struct call stop = { 0 };
    uv_sem_t done;

    if (!t)
        return;
    if (uv_thread_equal(&self, &t->thread)) {
        floe_err("floe_server_thread_free called on the server's own thread: ignored");
        return;
    }
    uv_sem_init(&done, 0);
    stop.done = &done;
    if (enqueue(t, &stop) == 0)
        uv_sem_wait(&done);
    uv_sem_destroy(&done);
    uv_thread_join(&t->thread);
    uv_loop_close(&t->loop);
    uv_mutex_destroy(&t->lock);
    uv_sem_destroy(&t->started);
    free(t);
}
