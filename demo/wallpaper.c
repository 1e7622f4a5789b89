/* The demo's desktop background: a diagonal gradient with soft translucent
 * waves and a few desktop icons, drawn once; exposures copy from it. */
#include <errno.h>
#include <stdlib.h>

#include "demo/demo-priv.h"

#define WAVES 3

static const uint32_t wave_rgb[WAVES] = { 0x6fa3c8, 0x8cc7d0, 0xbde3df };
static const int wave_alpha[WAVES] = { 26, 30, 36 };

/* The bottom edge of wave k at column x, in 1/256 pixel. */
static int64_t wave_y(const struct floe_demo *d, int k, int x)
{
    uint32_t a1 = (uint32_t)((int64_t)x * 65536 * (8 + 3 * k) / (10 * (int64_t)d->w));
    uint32_t a2 = (uint32_t)((int64_t)x * 65536 * 21 / (10 * (int64_t)d->w));
    uint32_t p1 = floe_demo_hash3(d->seed, (uint32_t)k, 1);
    uint32_t p2 = floe_demo_hash3(d->seed, (uint32_t)k, 2);
    int64_t base = (int64_t)d->h * 256 * (520 + 110 * k) / 1000;

    return base + (int64_t)floe_demo_sin(a1 + p1) * d->h * 256 * 7 / 100 / 32768 +
           (int64_t)floe_demo_sin(a2 + p2) * d->h * 256 * 3 / 100 / 32768;
}

static void row(const struct floe_demo_canvas *c, const int64_t *edges, int y)
{
    uint32_t *px = c->px + (size_t)y * c->stride;

    for (int x = 0; x < c->w; x++) {
        unsigned t = (unsigned)(((int64_t)x * 90 / c->w + (int64_t)y * 165 / c->h));
        uint32_t rgb = floe_demo_rgb_mix(0x141d38, 0x2d6a8a, t);

        for (int k = 0; k < WAVES; k++) {
            int64_t cov = (int64_t)(y + 1) * 256 - edges[(size_t)x * WAVES + k];

            cov = cov < 0 ? 0 : cov > 256 ? 256 : cov;
            if (cov)
                rgb = floe_demo_rgb_mix(rgb, wave_rgb[k], (unsigned)(wave_alpha[k] * cov / 256));
        }
        px[x] = rgb;
    }
}

static const char *const icon_names[] = { "Home", "Trash", "README.txt" };

static void desktop_icon(struct floe_demo *d, const struct floe_demo_canvas *c, int i)
{
    struct floe_demo_font *f = d->font.ui;
    int size = floe_demo_scale(44, d->fs), cx = floe_demo_scale(1830, d->w * 1000 / 1920);
    int y = floe_demo_scale(600 + 110 * i, d->h * 1000 / 1080), x = cx - size / 2;
    int tw = floe_demo_text_width(f, icon_names[i], -1), base = y + size + f->ascent + 4;

    if (i == 0) {
        floe_demo_canvas_round_rect(c, x, y + size / 10, size * 2 / 5, size / 3, size / 12.0f,
                                    0xd9972e);
        floe_demo_canvas_round_rect(c, x, y + size / 5, size, size * 4 / 5, size / 12.0f, 0xf0b648);
    } else if (i == 1) {
        floe_demo_canvas_round_rect(c, x + size / 8, y + size / 6, size * 3 / 4, size * 5 / 6,
                                    size / 10.0f, 0xb7bcc6);
        floe_demo_canvas_fill(c, x + size / 16, y + size / 12, size * 7 / 8, size / 12, 0xd8dce3);
    } else {
        floe_demo_canvas_fill(c, x + size / 8, y, size * 3 / 4, size, 0xf4f5f7);
        for (int l = 0; l < 5; l++)
            floe_demo_canvas_fill(c, x + size / 4, y + size / 5 + l * size / 8, size / 2, 1,
                                  0x9aa0aa);
    }
    floe_demo_text_draw(c, f, cx - tw / 2 + 1, base + 1, icon_names[i], -1, 0x0b1020);
    floe_demo_text_draw(c, f, cx - tw / 2, base, icon_names[i], -1, 0xf2f4f8);
}

int floe_demo_wallpaper_init(struct floe_demo *d)
{
    struct floe_demo_layer *l = &d->layers[FLOE_DEMO_WALLPAPER];
    int err = floe_demo_layer_alloc(l, 0, 0, d->w, d->h);
    int64_t *edges;

    if (err)
        return err;
    edges = malloc((size_t)d->w * WAVES * sizeof(*edges));
    if (!edges)
        return -ENOMEM;
    for (int x = 0; x < d->w; x++)
        for (int k = 0; k < WAVES; k++)
            edges[(size_t)x * WAVES + k] = wave_y(d, k, x);
    for (int y = 0; y < d->h; y++)
        row(&l->c, edges, y);
    free(edges);
    for (int i = 0; i < 3; i++)
        desktop_icon(d, &l->c, i);
    return 0;
}
