/* The demo's video workload: a camera moving over the photograph's scene
 * at 30 frames per second, full screen or in a window above the desktop. */
#include <errno.h>
#include <stdlib.h>

#include "demo/demo-priv.h"

/* The scene is rendered once, this much wider and taller than the view, and
 * the camera travels over it: a frame costs a copy, not a rendering (the
 * photograph takes about 35 ms of one core at 1920x1080). */
#define PANO_W_PERMILLE 2000
#define PANO_H_PERMILLE 1250
#define CAMERA_PERIOD 600        /* frames of one loop of the camera's path */
#define GRAIN_N 65536            /* a power of two */

struct floe_demo_video {
    uint32_t *pano;
    int pw, ph;
    int w, h;                    /* the biggest frame */
    /* low bits flipped per channel: film grain; GRAIN_N values and a row's
     * more, so a row's grain is one run from anywhere in the first GRAIN_N */
    uint32_t *grain;
};

struct floe_demo_video *floe_demo_video_new(uint32_t seed, int w, int h)
{
    struct floe_demo_video *v = calloc(1, sizeof(*v));
    struct floe_demo_photo *photo = floe_demo_photo_new(seed ^ 0x5eed);
    uint64_t rng = seed * 0x9e3779b97f4a7c15ull + 7;

    if (!v || !photo)
        goto fail;
    v->w = w;
    v->h = h;
    v->pw = floe_demo_scale(w, PANO_W_PERMILLE);
    v->ph = floe_demo_scale(h, PANO_H_PERMILLE);
    v->pano = malloc((size_t)v->pw * v->ph * 4);
    v->grain = malloc(((size_t)GRAIN_N + (size_t)w) * 4);
    if (!v->pano || !v->grain)
        goto fail;
    floe_demo_photo_render(photo, 0,
                           &(struct floe_demo_canvas){ v->pano, v->pw, v->ph, v->pw });
    floe_demo_photo_free(photo);
    for (size_t i = 0; i < (size_t)GRAIN_N + (size_t)w; i++)
        v->grain[i] = (uint32_t)floe_demo_splitmix(&rng) & 0x030303;
    return v;
fail:
    floe_demo_photo_free(photo);
    floe_demo_video_free(v);
    return NULL;
}

void floe_demo_video_free(struct floe_demo_video *v)
{
    if (!v)
        return;
    free(v->pano);
    free(v->grain);
    free(v);
}

/* Where frame n's view starts on the panorama: a loop across and back, up
 * and down twice as fast, so no frame is the last one moved in one axis. */
static void camera(const struct floe_demo_video *v, uint64_t n, int w, int h, int *x, int *y)
{
    uint32_t a = (uint32_t)((n % CAMERA_PERIOD) * 65536 / CAMERA_PERIOD);
    int rx = (v->pw - w) / 2, ry = (v->ph - h) / 2;

    *x = rx + (int)((int64_t)floe_demo_sin(a) * rx / 32768);
    *y = ry + (int)((int64_t)floe_demo_sin(2 * a + 16384) * ry / 32768);
    *x = *x < 0 ? 0 : *x > v->pw - w ? v->pw - w : *x;
    *y = *y < 0 ? 0 : *y > v->ph - h ? v->ph - h : *y;
}

void floe_demo_video_render(const struct floe_demo_video *v, uint64_t n,
                            const struct floe_demo_canvas *c)
{
    int w = c->w < v->w ? c->w : v->w, h = c->h < v->h ? c->h : v->h, x0, y0;
    uint32_t off = floe_demo_hash3((uint32_t)n, 0x9a17, 3);

    camera(v, n, w, h, &x0, &y0);
    for (int y = 0; y < h; y++) {
        const uint32_t *restrict src = v->pano + (size_t)(y0 + y) * v->pw + x0;
        const uint32_t *restrict g = v->grain + ((off + (uint32_t)y * 1031u) & (GRAIN_N - 1));
        uint32_t *restrict dst = c->px + (size_t)y * c->stride;

        for (int x = 0; x < w; x++)
            dst[x] = src[x] ^ g[x];
    }
}

/* The window's frame and title bar around a video area of half the screen. */
static int window_init(struct floe_demo *d)
{
    struct floe_demo_layer *l = &d->layers[FLOE_DEMO_VIDEO];
    int vw = d->w / 2 & ~1, vh = d->h / 2 & ~1, th = floe_demo_scale(30, d->fs);
    int ww = vw + 2, wh = vh + th + 3;
    int err = floe_demo_layer_alloc(l, d->w - ww - d->w * 3 / 100,
                                    d->h - wh - d->h * 4 / 100, ww, wh);
    struct floe_rect in;

    if (err)
        return err;
    in = floe_demo_window_chrome(d, FLOE_DEMO_VIDEO, "Video — lake.mjpeg");
    d->video_area = (struct floe_rect){ in.x, in.y, vw, vh };
    return 0;
}

int floe_demo_video_init(struct floe_demo *d)
{
    struct floe_demo_canvas c;
    int err;

    if (d->video_mode == FLOE_DEMO_VIDEO_OFF)
        return 0;
    if (d->video_mode == FLOE_DEMO_VIDEO_FULL) {
        err = floe_demo_layer_alloc(&d->layers[FLOE_DEMO_VIDEO], 0, 0, d->w, d->h);
        d->video_area = (struct floe_rect){ 0, 0, d->w, d->h };
    } else {
        err = window_init(d);
    }
    if (err)
        return err;
    d->video = floe_demo_video_new(d->seed, d->video_area.w, d->video_area.h);
    if (!d->video)
        return -ENOMEM;
    c = floe_demo_canvas_view(&d->layers[FLOE_DEMO_VIDEO].c, &d->video_area);
    floe_demo_video_render(d->video, 0, &c);
    return 0;
}

void floe_demo_video_tick(struct floe_demo *d)
{
    uint64_t period = (uint64_t)(d->fps > 30 ? d->fps / 30 : 1);
    struct floe_demo_canvas c;

    if (!d->video || d->tick % period)
        return;
    c = floe_demo_canvas_view(&d->layers[FLOE_DEMO_VIDEO].c, &d->video_area);
    floe_demo_video_render(d->video, d->tick / period, &c);
    floe_demo_layer_show(d, FLOE_DEMO_VIDEO, &d->video_area);
}
