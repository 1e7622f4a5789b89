/* qxl_host's video scenarios: a still desktop, then one area redrawn as a
 * video player's frames come, for a libspice-server to turn into a stream:
 * video (frames of its own, 320x240) and film (frames read from a file, so
 * a bench can score what each library sent against them). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/e2e/qxl_host/guest.h"
#include "tests/host/spice-api.h"

/* What makes the reference (spice-server's display channel and
 * video-stream code) stream a region, and so what each frame is here:
 * - streaming video on (qxl_host asks for SPICE_STREAM_VIDEO_ALL; FILTER
 *   would also want a source of 96x96 at least and enough frames of
 *   "gradual" content);
 * - a drawable on the primary surface, QXL_DRAW_COPY with rop
 *   SPICE_ROPD_OP_PUT and effect QXL_EFFECT_OPAQUE, of a BITMAP image (not a
 *   surface, not a cached one), without mask, not copy-bits;
 * - each frame exactly on the previous one's bbox, from a source of the
 *   same size, read by the server less than 200 ms after it (1 s once the
 *   stream exists; a stream also keeps its bitmaps' top-down flag);
 * - 20 such frames after the first: the 21st starts the stream, the server
 *   sends STREAM_CREATE, then STREAM_DATA (MJPEG) for each frame it does not
 *   drop;
 * - a stream with no new frame for 1 s is ended: its visible area is sent
 *   again as an ordinary draw, then STREAM_DESTROY.
 * The frames are smooth gradients with soft shapes moving over them, so
 * MJPEG compresses them as it would a film, and each differs from the last. */

#define VIDEO_X 200
#define VIDEO_Y 150
#define VIDEO_W 320
#define VIDEO_H 240
#define FRAMES 75         /* 3 s at 25 frames a second */
#define FRAME_MS 40
#define STILL_MS 2500     /* after the last frame: the stream times out in 1 s */

static void die(const char *what)
{
    host_die("qxl_host", what);
}

static QXLRect box(int l, int t, int w, int h)
{
    return (QXLRect){ .top = t, .left = l, .bottom = t + h, .right = l + w };
}

static uint32_t clamp8(float v)
{
    return v < 0 ? 0 : v > 255 ? 255 : (uint32_t)(v + 0.5f);
}

/* Frame t's pixel (x, y): drifting waves of colour, three soft discs
 * moving on slow curves, blended as light would be. */
static uint32_t frame_px(int x, int y, int t)
{
    static const float disc[3][3] = { { 250, 220, 120 }, { 60, 200, 230 }, { 230, 90, 150 } };
    float fx = (float)x, fy = (float)y, ft = (float)t;
    float c[3] = {
        110 + 70 * sinf(fx * 0.020f + ft * 0.12f) + 50 * fy / VIDEO_H,
        100 + 60 * sinf(fy * 0.030f - ft * 0.08f) + 30 * sinf((fx + fy) * 0.011f + ft * 0.05f),
        140 + 80 * cosf((fx - fy) * 0.016f + ft * 0.10f),
    };

    for (int k = 0; k < 3; k++) {
        float cx = VIDEO_W / 2 + 110 * sinf(ft * 0.07f + 2.1f * k);
        float cy = VIDEO_H / 2 + 80 * cosf(ft * 0.05f + 1.3f * k);
        float s = 28.0f + 8 * k, d2 = (fx - cx) * (fx - cx) + (fy - cy) * (fy - cy);
        float w = 0.85f * expf(-d2 / (2 * s * s));

        for (int i = 0; i < 3; i++)
            c[i] = c[i] * (1 - w) + disc[k][i] * w;
    }
    return clamp8(c[0]) << 16 | clamp8(c[1]) << 8 | clamp8(c[2]);
}

static void frame(uint32_t *px, int t)
{
    for (int y = 0; y < VIDEO_H; y++)
        for (int x = 0; x < VIDEO_W; x++)
            px[(size_t)y * VIDEO_W + x] = frame_px(x, y, t);
}

/* A desktop: a plain background, a picture on it, a player's window
 * (title bar, border) around the video area. */
static void desktop(int w, int h)
{
    enum { PIC_W = 256, PIC_H = 192 };
    uint32_t *pic = malloc((size_t)PIC_W * PIC_H * 4);

    if (!pic)
        die("out of memory");
    guest_fill(box(0, 0, w, h), 0x2e5070);
    guest_fill(box(0, h - 32, w, 32), 0x202428);
    for (int y = 0; y < PIC_H; y++)
        for (int x = 0; x < PIC_W; x++)
            pic[(size_t)y * PIC_W + x] = (uint32_t)(x * 255 / PIC_W) << 16 |
                                         (uint32_t)(y * 255 / PIC_H) << 8 | 0x60;
    guest_copy32(w - PIC_W - 40, 60, pic, PIC_W, PIC_H);
    guest_fill(box(VIDEO_X - 4, VIDEO_Y - 28, VIDEO_W + 8, VIDEO_H + 32), 0xd8d8d8);
    guest_fill(box(VIDEO_X, VIDEO_Y - 24, VIDEO_W, 20), 0x3070c0);
    guest_fill(box(VIDEO_X, VIDEO_Y, VIDEO_W, VIDEO_H), 0x000000);
    free(pic);
}

void video_scenario(int w, int h)
{
    uint32_t *px = malloc((size_t)VIDEO_W * VIDEO_H * 4);

    if (!px)
        die("out of memory");
    if (w < VIDEO_X + VIDEO_W + 300 || h < VIDEO_Y + VIDEO_H + 60)
        die("the video scenario needs a primary of 1024x768 at least");
    desktop(w, h);
    guest_wait(500);
    /* the video, then one last frame: the stream's last, left still */
    for (int t = 0; t <= FRAMES; t++) {
        frame(px, t);
        guest_copy32(VIDEO_X, VIDEO_Y, px, VIDEO_W, VIDEO_H);
        guest_wait(t < FRAMES ? FRAME_MS : STILL_MS);
    }
    free(px);
}

/* ---- the film scenario: frames from a file ---- */

/* A film as bench/film.c writes it: a line "floe-film W H N FPS", then N
 * frames of W x H xRGB words, rows top first. */
static struct {
    const uint32_t *px;
    int w, h, n, fps;
} film;

size_t film_open(const char *path)
{
    FILE *f = fopen(path, "rb");
    size_t frame;

    if (!f)
        die("cannot open the film");
    if (fscanf(f, "floe-film %d %d %d %d", &film.w, &film.h, &film.n, &film.fps) != 4 ||
        fgetc(f) != '\n' || film.w < 96 || film.h < 96 || film.w > 4096 || film.h > 4096 ||
        film.n < 1 || film.n > 100000 || film.fps < 1 || film.fps > 120)
        die("the film's first line is not \"floe-film W H N FPS\"");
    frame = (size_t)film.w * film.h * 4;
    film.px = malloc(frame * film.n);
    if (!film.px || fread((void *)film.px, frame, film.n, f) != (size_t)film.n)
        die("the film is shorter than its first line says");
    fclose(f);
    /* each frame goes into guest memory once, with room for its command */
    return (frame + 4096) * film.n;
}

void film_scenario(int w, int h)
{
    int x = (w - film.w) / 2 & ~1, y = (h - film.h) / 2 & ~1;

    if (!film.px)
        die("the film scenario needs --film FILE");
    if (film.w > w || film.h > h)
        die("the film is larger than the primary");
    guest_fill(box(0, 0, w, h), 0x2e5070);
    if (y >= 28 && x >= 4) {   /* a player's window, when there is room */
        guest_fill(box(x - 4, y - 28, film.w + 8, film.h + 32), 0xd8d8d8);
        guest_fill(box(x, y - 24, film.w, 20), 0x3070c0);
    }
    guest_fill(box(x, y, film.w, film.h), 0x000000);
    guest_wait(500);
    for (int t = 0; t < film.n; t++) {
        guest_copy32(x, y, film.px + (size_t)t * film.w * film.h, film.w, film.h);
        /* frame t is due at t * 1000 / fps ms: no drift at 30 a second */
        guest_wait(t < film.n - 1 ? (t + 1) * 1000 / film.fps - t * 1000 / film.fps : STILL_MS);
    }
    host_say("film %dx%d at %d,%d: %d frames at %d a second", film.w, film.h, x, y, film.n,
             film.fps);
}
