/* The core interface for host programs that play QEMU to a dlopened
 * libspice-server: timers and fd watches on one poll() loop, which turns on
 * the program's main thread and which the library's threads may wake. */
#include "tests/host/spice-core.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static const char *prog_name = "host";
static int wake_pipe[2] = { -1, -1 };
static host_channel_event_fn *channel_listener;

static void fail(const char *what)
{
    fprintf(stderr, "%s: %s\n", prog_name, what);
    exit(2);
}

void host_core_wake(void)
{
    char c = 1;

    if (write(wake_pipe[1], &c, 1) < 0 && errno != EAGAIN)
        perror("wake");
}

struct SpiceTimer {
    SpiceTimerFunc func;
    void *opaque;
    int64_t due;            /* ms; armed when >= 0 */
    int removed;
    struct SpiceTimer *next;
};

struct SpiceWatch {
    int fd, mask, removed;
    SpiceWatchFunc func;
    void *opaque;
    struct SpiceWatch *next;
};

static pthread_mutex_t loop_lock = PTHREAD_MUTEX_INITIALIZER;
static SpiceTimer *timers;
static SpiceWatch *watches;

int64_t host_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static SpiceTimer *timer_add(SpiceTimerFunc func, void *opaque)
{
    SpiceTimer *t = calloc(1, sizeof(*t));

    if (!t)
        return NULL;
    t->func = func;
    t->opaque = opaque;
    t->due = -1;
    pthread_mutex_lock(&loop_lock);
    t->next = timers;
    timers = t;
    pthread_mutex_unlock(&loop_lock);
    return t;
}

static void timer_start(SpiceTimer *t, uint32_t ms)
{
    pthread_mutex_lock(&loop_lock);
    t->due = host_now_ms() + ms;
    pthread_mutex_unlock(&loop_lock);
    host_core_wake();
}

static void timer_cancel(SpiceTimer *t)
{
    pthread_mutex_lock(&loop_lock);
    t->due = -1;
    pthread_mutex_unlock(&loop_lock);
}

static void timer_remove(SpiceTimer *t)
{
    pthread_mutex_lock(&loop_lock);
    t->due = -1;
    t->removed = 1;     /* freed by the loop, which may be about to call it */
    pthread_mutex_unlock(&loop_lock);
    host_core_wake();
}

static SpiceWatch *watch_add(int fd, int mask, SpiceWatchFunc func, void *opaque)
{
    SpiceWatch *w = calloc(1, sizeof(*w));

    if (!w)
        return NULL;
    w->fd = fd;
    w->mask = mask;
    w->func = func;
    w->opaque = opaque;
    pthread_mutex_lock(&loop_lock);
    w->next = watches;
    watches = w;
    pthread_mutex_unlock(&loop_lock);
    host_core_wake();
    return w;
}

static void watch_update_mask(SpiceWatch *w, int mask)
{
    pthread_mutex_lock(&loop_lock);
    w->mask = mask;
    pthread_mutex_unlock(&loop_lock);
    host_core_wake();
}

static void watch_remove(SpiceWatch *w)
{
    pthread_mutex_lock(&loop_lock);
    w->removed = 1;
    pthread_mutex_unlock(&loop_lock);
    host_core_wake();
}


/* Frees what was removed; only the loop's thread calls it. */
static void sweep(void)
{
    SpiceTimer **tp = &timers;
    SpiceWatch **wp = &watches;

    while (*tp) {
        SpiceTimer *t = *tp;

        if (t->removed) {
            *tp = t->next;
            free(t);
        } else {
            tp = &t->next;
        }
    }
    while (*wp) {
        SpiceWatch *w = *wp;

        if (w->removed) {
            *wp = w->next;
            free(w);
        } else {
            wp = &w->next;
        }
    }
}

/* One turn: poll the watches and the wake-up pipe until the next timer. */
void host_core_turn(int max_ms)
{
    struct pollfd fds[64];
    SpiceWatch *ws[64];
    int n = 1, timeout = max_ms;
    int64_t now;
    char buf[64];

    pthread_mutex_lock(&loop_lock);
    sweep();
    now = host_now_ms();
    for (SpiceTimer *t = timers; t; t = t->next)
        if (t->due >= 0 && t->due - now < timeout)
            timeout = t->due > now ? (int)(t->due - now) : 0;
    fds[0] = (struct pollfd){ .fd = wake_pipe[0], .events = POLLIN };
    for (SpiceWatch *w = watches; w && n < 64; w = w->next) {
        if (w->removed)
            continue;
        ws[n] = w;
        fds[n++] = (struct pollfd){ .fd = w->fd,
                                    .events = (w->mask & SPICE_WATCH_EVENT_READ ? POLLIN : 0) |
                                              (w->mask & SPICE_WATCH_EVENT_WRITE ? POLLOUT : 0) };
    }
    pthread_mutex_unlock(&loop_lock);
    if (poll(fds, n, timeout) < 0 && errno != EINTR)
        fail("poll failed");
    if (fds[0].revents & POLLIN)
        while (read(wake_pipe[0], buf, sizeof(buf)) > 0)
            ;
    for (int i = 1; i < n; i++) {
        int ev = (fds[i].revents & (POLLIN | POLLHUP | POLLERR) ? SPICE_WATCH_EVENT_READ : 0) |
                 (fds[i].revents & (POLLOUT | POLLERR) ? SPICE_WATCH_EVENT_WRITE : 0);
        int live;

        pthread_mutex_lock(&loop_lock);
        live = !ws[i]->removed;
        ev &= ws[i]->mask;
        pthread_mutex_unlock(&loop_lock);
        if (live && ev)
            ws[i]->func(ws[i]->fd, ev, ws[i]->opaque);
    }
    /* due timers, one at a time: a callback may change the list */
    for (;;) {
        SpiceTimer *due = NULL;

        pthread_mutex_lock(&loop_lock);
        now = host_now_ms();
        for (SpiceTimer *t = timers; t && !due; t = t->next)
            if (!t->removed && t->due >= 0 && t->due <= now)
                due = t;
        if (due)
            due->due = -1;
        pthread_mutex_unlock(&loop_lock);
        if (!due)
            break;
        due->func(due->opaque);
    }
}

static void channel_event(int event, SpiceChannelEventInfo *info)
{
    if (channel_listener)
        channel_listener(event, info);
}

static SpiceCoreInterface core = {
    .base = { .type = SPICE_INTERFACE_CORE, .description = "floe test host",
              .major_version = SPICE_INTERFACE_CORE_MAJOR,
              .minor_version = SPICE_INTERFACE_CORE_MINOR },
    .timer_add = timer_add, .timer_start = timer_start, .timer_cancel = timer_cancel,
    .timer_remove = timer_remove, .watch_add = watch_add,
    .watch_update_mask = watch_update_mask, .watch_remove = watch_remove,
    .channel_event = channel_event,
};

SpiceCoreInterface *host_core(void)
{
    return &core;
}

void host_core_init(const char *prog, host_channel_event_fn *on_event)
{
    prog_name = prog;
    channel_listener = on_event;
    if (pipe2(wake_pipe, O_NONBLOCK | O_CLOEXEC) < 0)
        fail("pipe failed");
}
