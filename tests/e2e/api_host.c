/* A host of libfloe-server through its public API only, as an embedding
 * program is: serves a fixed picture on a unix socket and prints each
 * channel event as a line, until SIGTERM or SIGINT.
 *
 *   api_host --unix PATH [--size WxH] [--snapshot PNG] [--password PW] [--exclusive]
 *
 * Lines: "listening PATH", then "connected|initialized|disconnected conn=N
 * type=T id=I session=S local=FAMILY peer=FAMILY". Without --password any
 * ticket is accepted. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "floe/server.h"

struct host {
    struct floe_server *srv;
    uv_signal_t term, intr;
};

static const char *family(const struct sockaddr_storage *a, socklen_t len)
{
    if (len == 0)
        return "none";
    switch (a->ss_family) {
    case AF_UNIX: return "unix";
    case AF_INET: return "inet";
    case AF_INET6: return "inet6";
    default: return "other";
    }
}

static void on_channel(void *opaque, int event, const struct floe_channel_info *in)
{
    static const char *names[] = { "?", "connected", "initialized", "disconnected" };

    printf("%s conn=%llu type=%d id=%d session=%u local=%s peer=%s\n",
           names[event >= 1 && event <= 3 ? event : 0], (unsigned long long)in->conn, in->type,
           in->id, in->session_id, family(&in->laddr, in->llen), family(&in->paddr, in->plen));
    fflush(stdout);
}

/* Four quadrants of different colours with a gradient band across: a
 * picture no viewer shows right by chance. */
static void draw(struct floe_server *s, int w, int h)
{
    uint32_t *px = malloc((size_t)w * h * 4);
    struct floe_rect all = { 0, 0, w, h };

    if (!px)
        return;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            static const uint32_t quad[4] = { 0xc02030, 0x30a050, 0x2850d0, 0xe0e0d0 };
            uint32_t c = quad[(y >= h / 2) * 2 + (x >= w / 2)];

            if (y >= h / 3 && y < h / 3 + 40)
                c = (uint32_t)(x * 255 / w) << 16 | (uint32_t)(y * 7 % 256) << 8 | 0x40;
            px[(size_t)y * w + x] = c;
        }
    floe_server_surface_create(s, 0, w, h);
    floe_server_draw_image(s, 0, &all, px, w * 4);
    floe_server_frame_end(s);
    free(px);
}

static void on_signal(uv_signal_t *sig, int signum)
{
    struct host *h = sig->data;

    floe_server_close(h->srv);
    uv_close((uv_handle_t *)&h->term, NULL);
    uv_close((uv_handle_t *)&h->intr, NULL);
}

int main(int argc, char **argv)
{
    static const struct option longs[] = {
        { "unix", 1, 0, 'u' },     { "size", 1, 0, 's' },      { "snapshot", 1, 0, 'p' },
        { "password", 1, 0, 'w' }, { "exclusive", 0, 0, 'x' }, { 0, 0, 0, 0 },
    };
    struct floe_server_options o = { .name = "api host" };
    const char *path = NULL, *snapshot = NULL, *password = NULL;
    struct host h;
    int w = 640, ht = 480, opt, rc;
    uv_loop_t loop;

    while ((opt = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (opt) {
        case 'u': path = optarg; break;
        case 's':
            if (sscanf(optarg, "%dx%d", &w, &ht) != 2 || w < 16 || ht < 16 || w > 4096 || ht > 4096)
                return 2;
            break;
        case 'p': snapshot = optarg; break;
        case 'w': password = optarg; break;
        case 'x': o.exclusive = 1; break;
        default: return 2;
        }
    }
    if (!path) {
        fprintf(stderr, "usage: api_host --unix PATH [--size WxH] [--snapshot PNG] "
                        "[--password PW] [--exclusive]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    o.disable_ticketing = password == NULL;
    uv_loop_init(&loop);
    h.srv = floe_server_new(&loop, &o);
    if (!h.srv)
        return 1;
    floe_server_set_event_sink(h.srv, &(struct floe_event_sink){ on_channel, NULL });
    if (password && floe_server_set_ticket(h.srv, password, 0) < 0)
        return 1;
    draw(h.srv, w, ht);
    if (snapshot && floe_server_snapshot(h.srv, snapshot) < 0)
        return 1;
    if ((rc = floe_server_listen_unix(h.srv, path)) < 0) {
        fprintf(stderr, "api_host: %s: %s\n", path, uv_strerror(rc));
        return 1;
    }
    printf("listening %s\n", path);
    fflush(stdout);
    uv_signal_init(&loop, &h.term);
    uv_signal_init(&loop, &h.intr);
    h.term.data = h.intr.data = &h;
    uv_signal_start(&h.term, on_signal, SIGTERM);
    uv_signal_start(&h.intr, on_signal, SIGINT);
    uv_run(&loop, UV_RUN_DEFAULT);
    floe_server_free(h.srv);
    uv_loop_close(&loop);
    return 0;
}
