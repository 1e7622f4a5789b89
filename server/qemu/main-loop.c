/* Calls run on QEMU's main loop: any thread queues them, an eventfd that
 * the main loop watches (through the core interface) has them run there,
 * in the order they were queued. Input and channel events reach QEMU this
 * way, since its input devices and channel_event belong to that loop (and
 * its big lock, which floe's threads never wait for). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/log.h"
#include "server/qemu/lib.h"

struct call {
    struct call *next;
    fqxl_main_fn *fn;
    void *arg;
};

struct fqxl_main {
    SpiceCoreInterface *core;
    int efd;
    SpiceWatch *watch;
    pthread_mutex_t lock;
    struct call *head, **tail;   /* under lock */
};

void fqxl_main_run(struct fqxl_main *m)
{
    struct call *list, *c;

    pthread_mutex_lock(&m->lock);
    list = m->head;
    m->head = NULL;
    m->tail = &m->head;
    pthread_mutex_unlock(&m->lock);
    while ((c = list)) {
        list = c->next;
        c->fn(c->arg, 1);
        free(c);
    }
}

static void on_wake(int fd, int event, void *opaque)
{
    uint64_t n;

    if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
        return;
    fqxl_main_run(opaque);
}

struct fqxl_main *fqxl_main_new(SpiceCoreInterface *core)
{
    struct fqxl_main *m = calloc(1, sizeof(*m));

    if (!m)
        return NULL;
    m->core = core;
    m->tail = &m->head;
    pthread_mutex_init(&m->lock, NULL);
    m->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (m->efd < 0) {
        pthread_mutex_destroy(&m->lock);
        free(m);
        return NULL;
    }
    m->watch = core->watch_add(m->efd, SPICE_WATCH_EVENT_READ, on_wake, m);
    if (!m->watch) {
        close(m->efd);
        pthread_mutex_destroy(&m->lock);
        free(m);
        return NULL;
    }
    return m;
}

int fqxl_main_call(struct fqxl_main *m, fqxl_main_fn *fn, void *arg)
{
    struct call *c = malloc(sizeof(*c));
    uint64_t one = 1;

    if (!c)
        return -ENOMEM;
    c->next = NULL;
    c->fn = fn;
    c->arg = arg;
    pthread_mutex_lock(&m->lock);
    *m->tail = c;
    m->tail = &c->next;
    pthread_mutex_unlock(&m->lock);
    /* a full counter still wakes the loop */
    if (write(m->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        floe_warn("main loop wake-up: %s", strerror(errno));
    return 0;
}

void fqxl_main_free(struct fqxl_main *m)
{
    struct call *c;

    if (!m)
        return;
    m->core->watch_remove(m->watch);
    close(m->efd);
    while ((c = m->head)) {
        m->head = c->next;
        c->fn(c->arg, 0);
        free(c);
    }
    pthread_mutex_destroy(&m->lock);
    free(m);
}
