/* The demo's other monitors (1 and up): the wallpaper in another hue with a
 * big "Monitor N" label, and a square sliding under it so updates flow. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "demo/demo-priv.h"

#define BAND_ROWS 64   /* the first picture goes in bands of rows */

/* The wallpaper's colours with the channels turned: a hue per monitor. */
static uint32_t tint(uint32_t p, int k)
{
    uint32_t r = p >> 16 & 255, g = p >> 8 & 255, b = p & 255;

    switch (k % 3) {
    case 1: return g << 16 | b << 8 | r;
    case 2: return b << 16 | r << 8 | g;
    default: return b << 16 | g << 8 | r;
    }
}

static const uint32_t marker_rgb[] = { 0, 0xf0b648, 0x6fd08c, 0xe0607a };

static void label(struct floe_demo *d, const struct floe_demo_canvas *c, int k)
{
    struct floe_demo_font *f = d->font.label;
    char text[32], sub[64];
    int tw, y = d->h * 2 / 5;

    snprintf(text, sizeof(text), "Monitor %d", k + 1);
    snprintf(sub, sizeof(sub), "display channel %d of %d", k, d->monitors);
    tw = floe_demo_text_width(f, text, -1);
    floe_demo_text_draw(c, f, (d->w - tw) / 2 + 3, y + 3, text, -1, 0x0b1020);
    floe_demo_text_draw(c, f, (d->w - tw) / 2, y, text, -1, 0xf2f4f8);
    tw = floe_demo_text_width(d->font.big, sub, -1);
    floe_demo_text_draw(c, d->font.big, (d->w - tw) / 2, y + f->height / 2 + d->font.big->height,
                        sub, -1, 0xdfe4ec);
}

/* The marker's square at `tick`: it goes to and fro along a track under
 * the label, one step a tick. */
static struct floe_rect marker_at(const struct floe_demo *d, uint64_t tick)
{
    int side = floe_demo_scale(48, d->fs), step = floe_demo_scale(6, d->fs);
    int x0 = d->w / 4, span = d->w / 2 - side, y = d->h * 2 / 3;
    uint64_t steps = span > step ? (uint64_t)(span / step) : 1, t = tick % (2 * steps);
    int at = (int)(t < steps ? t : 2 * steps - t) * step;

    return (struct floe_rect){ x0 + at, y, side, side };
}

/* Sends the rows of the monitor's background inside r. */
static void send_background(struct floe_demo *d, int k, const struct floe_rect *r)
{
    const struct floe_demo_canvas *bg = &d->monitor_bg[k];

    for (int y = r->y; y < r->y + r->h; y += BAND_ROWS) {
        struct floe_rect band = { r->x, y, r->w, r->y + r->h - y < BAND_ROWS ? r->y + r->h - y
                                                                             : BAND_ROWS };

        floe_server_draw_image(d->srv, (uint32_t)k, &band, bg->px + (size_t)y * bg->stride + r->x,
                               bg->stride * 4);
    }
}

static int monitor_init(struct floe_demo *d, int k)
{
    const struct floe_demo_canvas *wall = &d->layers[FLOE_DEMO_WALLPAPER].c;
    struct floe_demo_canvas *bg = &d->monitor_bg[k];
    struct floe_rect all = { 0, 0, d->w, d->h }, m = marker_at(d, 0);
    int err;

    bg->px = malloc((size_t)d->w * d->h * 4);
    if (!bg->px)
        return -ENOMEM;
    bg->w = bg->stride = d->w;
    bg->h = d->h;
    for (int y = 0; y < d->h; y++)
        for (int x = 0; x < d->w; x++)
            bg->px[(size_t)y * d->w + x] = tint(wall->px[(size_t)y * wall->stride + x], k);
    label(d, bg, k);
    err = floe_server_surface_create(d->srv, (uint32_t)k, d->w, d->h);
    if (err)
        return err;
    send_background(d, k, &all);
    floe_server_draw_fill(d->srv, (uint32_t)k, &m, marker_rgb[k]);
    return 0;
}

int floe_demo_monitors_init(struct floe_demo *d)
{
    int err = 0;

    for (int k = 1; k < d->monitors && !err; k++)
        err = monitor_init(d, k);
    return err;
}

void floe_demo_monitors_tick(struct floe_demo *d)
{
    struct floe_rect was = marker_at(d, d->tick - 1), now = marker_at(d, d->tick);

    if (was.x == now.x)
        return;
    for (int k = 1; k < d->monitors; k++) {
        send_background(d, k, &was);
        floe_server_draw_fill(d->srv, (uint32_t)k, &now, marker_rgb[k]);
    }
}

void floe_demo_monitors_free(struct floe_demo *d)
{
    for (int k = 0; k < FLOE_SERVER_MAX_MONITORS; k++)
        free(d->monitor_bg[k].px);
}
