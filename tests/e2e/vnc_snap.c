/* Reads a VNC server's picture through vmhost's framebuffer feed for a while
 * and writes it as a PNG: the feed's end-to-end check against QEMU.
 * Usage: vnc_snap SOCKET OUT.png [--duration S] [--key SCANCODE] [--key-delay S] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "codecs/png.h"
#include "vmhost/vnc-feed.h"

struct snap {
    uv_loop_t *loop;
    uv_timer_t tick;
    struct floe_vnc_feed *feed;
    const char *out;
    double duration, key_delay;
    long key;                     /* -1: none */
    int key_state;                /* 0 not sent, 1 pressed, 2 released */
    uint64_t start, first_update;
    int failed;
};

static void usage(FILE *f)
{
    fprintf(f, "usage: vnc_snap SOCKET OUT.png [--duration SECONDS] [--key SCANCODE]"
               " [--key-delay SECONDS]\n"
               "Connects to a VNC server on a unix socket, keeps its picture for\n"
               "SECONDS (default 3), writes it as OUT.png and prints\n"
               "updates=N rects=N size=WxH. --key sends an XT scancode (press,\n"
               "then release) --key-delay seconds (default 1) after the first update.\n");
}

static void on_error(void *opaque, const char *message)
{
    struct snap *s = opaque;

    fprintf(stderr, "vnc_snap: %s\n", message);
    s->failed = 1;
    uv_stop(s->loop);
}

static void on_update(void *opaque)
{
    struct snap *s = opaque;

    if (!s->first_update)
        s->first_update = uv_now(s->loop);
}

static void finish(struct snap *s)
{
    unsigned long updates, rects;
    const uint32_t *px;
    int w, h, ret;

    px = floe_vnc_feed_pixels(s->feed, &w, &h);
    floe_vnc_feed_stats(s->feed, &updates, &rects);
    if (!px || !updates) {
        fprintf(stderr, "vnc_snap: no picture from the VNC server in %.1f s\n", s->duration);
        s->failed = 1;
    } else if ((ret = floe_png_write(s->out, px, w, h, w * 4)) < 0) {
        fprintf(stderr, "vnc_snap: cannot write %s: %s\n", s->out, strerror(-ret));
        s->failed = 1;
    } else {
        printf("updates=%lu rects=%lu size=%dx%d\n", updates, rects, w, h);
    }
    uv_stop(s->loop);
}

static void send_key(struct snap *s, int down)
{
    int ret = floe_vnc_feed_key(s->feed, (uint32_t)s->key, down);

    if (ret < 0) {
        fprintf(stderr, "vnc_snap: cannot send key 0x%lx: %s\n", s->key,
                ret == -ENOTSUP ? "the server does not take QEMU key events" : strerror(-ret));
        s->failed = 1;
        uv_stop(s->loop);
        return;
    }
    s->key_state++;
}

static void on_tick(uv_timer_t *t)
{
    struct snap *s = t->data;
    uint64_t now = uv_now(s->loop);

    if (now - s->start >= (uint64_t)(s->duration * 1000)) {
        finish(s);
        return;
    }
    if (s->key < 0 || !s->first_update || s->key_state >= 2)
        return;
    if (s->key_state == 0 && now - s->first_update >= (uint64_t)(s->key_delay * 1000))
        send_key(s, 1);
    else if (s->key_state == 1)
        send_key(s, 0);
}

static int parse_args(struct snap *s, int argc, char **argv, const char **sock)
{
    int i, pos = 0;
    char *end;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(argv[i], "--duration") && i + 1 < argc) {
            s->duration = strtod(argv[++i], &end);
            if (*end || s->duration <= 0)
                return -1;
        } else if (!strcmp(argv[i], "--key-delay") && i + 1 < argc) {
            s->key_delay = strtod(argv[++i], &end);
            if (*end || s->key_delay < 0)
                return -1;
        } else if (!strcmp(argv[i], "--key") && i + 1 < argc) {
            s->key = strtol(argv[++i], &end, 0);
            if (*end || s->key <= 0)
                return -1;
        } else if (argv[i][0] != '-' && pos < 2) {
            if (pos++ == 0)
                *sock = argv[i];
            else
                s->out = argv[i];
        } else {
            return -1;
        }
    }
    return pos == 2 ? 0 : -1;
}

int main(int argc, char **argv)
{
    struct floe_vnc_feed_cbs cbs = { .update = on_update, .error = on_error };
    struct snap s = { .duration = 3, .key_delay = 1, .key = -1 };
    const char *sock = NULL;

    if (parse_args(&s, argc, argv, &sock) < 0) {
        fprintf(stderr, "vnc_snap: bad arguments (see --help)\n");
        return 2;
    }
    s.loop = uv_default_loop();
    s.start = uv_now(s.loop);
    s.feed = floe_vnc_feed_new(s.loop, sock, &cbs, &s);
    if (!s.feed) {
        fprintf(stderr, "vnc_snap: out of memory\n");
        return 1;
    }
    uv_timer_init(s.loop, &s.tick);
    s.tick.data = &s;
    uv_timer_start(&s.tick, on_tick, 50, 50);
    uv_run(s.loop, UV_RUN_DEFAULT);
    floe_vnc_feed_free(s.feed);
    uv_close((uv_handle_t *)&s.tick, NULL);
    uv_run(s.loop, UV_RUN_DEFAULT);
    uv_loop_close(s.loop);
    return s.failed ? 1 : 0;
}
