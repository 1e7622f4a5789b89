/* The demo's top panel: menu, task buttons, status icons and the clock,
 * the one thing that follows wall-clock time (redrawn once a second). */
#include <stdio.h>
#include <time.h>

#include "demo/demo-priv.h"

#define PANEL_TOP 0x2b303b
#define PANEL_BOTTOM 0x1e2129

static const char *const tasks[] = { "Terminal", "Files", "Photos", "Notes", "About floe" };

static int S(const struct floe_demo *d, int v)
{
    return floe_demo_scale(v, d->fs);
}

static int baseline(const struct floe_demo_font *f, int h)
{
    return (h - f->height) / 2 + f->ascent;
}

static void tasks_draw(struct floe_demo *d, const struct floe_demo_canvas *c, int x, int end)
{
    struct floe_demo_font *f = d->font.ui;
    int bh = c->h - S(d, 8);

    for (int i = 0; i < 5; i++) {
        int w = floe_demo_text_width(f, tasks[i], -1) + S(d, 24);

        if (x + w > end)
            break;
        floe_demo_canvas_round_rect(c, x, S(d, 4), w, bh, S(d, 4), i == 3 ? 0x4c566a : 0x363c48);
        floe_demo_text_draw(c, f, x + S(d, 12), S(d, 4) + baseline(f, bh), tasks[i], -1,
                            i == 3 ? 0xffffff : 0xc8d0dc);
        x += w + S(d, 6);
    }
}

/* Wi-Fi-like bars and a speaker, left of x; returns where they start. */
static int tray_draw(struct floe_demo *d, const struct floe_demo_canvas *c, int x)
{
    int u = S(d, 3), mid = c->h / 2;

    x -= S(d, 18);
    for (int i = 0; i < 4; i++)
        floe_demo_canvas_fill(c, x + i * (u + 1), mid + S(d, 6) - (i + 1) * u, u, (i + 1) * u,
                              i < 3 ? 0xd8dee9 : 0x6b7280);
    x -= S(d, 26);
    floe_demo_canvas_fill(c, x, mid - u, u + 1, 2 * u, 0xd8dee9);
    for (int i = 0; i < u * 2; i++)
        floe_demo_canvas_fill(c, x + u + 1 + i / 2, mid - u - i / 2 - 1, 1, 2 * u + i + 2,
                              0xd8dee9);
    return x - S(d, 10);
}

int floe_demo_panel_init(struct floe_demo *d)
{
    struct floe_demo_layer *l = &d->layers[FLOE_DEMO_PANEL];
    struct floe_demo_canvas *c = &l->c;
    struct floe_demo_font *b = d->font.bold;
    int h = S(d, 30), cw = floe_demo_text_width(b, "00:00:00", -1) + S(d, 8);
    int err = floe_demo_layer_alloc(l, 0, 0, d->w, h);

    if (err)
        return err;
    floe_demo_canvas_vgradient(c, 0, 0, c->w, c->h, PANEL_TOP, PANEL_BOTTOM);
    floe_demo_canvas_fill(c, 0, c->h - 1, c->w, 1, 0x101216);
    floe_demo_canvas_disc(c, (float)S(d, 18), h / 2.0f, (float)S(d, 8), 0x88c0d0);
    floe_demo_canvas_disc(c, (float)S(d, 20), h / 2.0f - S(d, 2), (float)S(d, 4), 0xe5f3f8);
    floe_demo_text_draw(c, b, S(d, 34), baseline(b, h), "floe", -1, 0xeceff4);
    d->clock_area = (struct floe_rect){ d->w - cw - S(d, 10), 0, cw, h - 1 };
    tasks_draw(d, c, S(d, 90), tray_draw(d, c, d->clock_area.x));
    floe_demo_panel_clock(d, 1);
    return 0;
}

void floe_demo_panel_clock(struct floe_demo *d, int force)
{
    const struct floe_rect *a = &d->clock_area;
    struct floe_demo_canvas *c = &d->layers[FLOE_DEMO_PANEL].c;
    struct floe_demo_font *b = d->font.bold;
    time_t now = time(NULL);
    struct tm tm;
    char text[40];

    if (!force && (long)now == d->clock_shown)
        return;
    d->clock_shown = (long)now;
    localtime_r(&now, &tm);
    snprintf(text, sizeof(text), "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
    for (int y = 0; y < a->h; y++)
        floe_demo_canvas_fill(c, a->x, y, a->w, 1,
                              floe_demo_rgb_mix(PANEL_TOP, PANEL_BOTTOM,
                                                (unsigned)(y * 255 / (c->h - 1))));
    floe_demo_text_draw(c, b, a->x + (a->w - floe_demo_text_width(b, text, -1)) / 2,
                        baseline(b, c->h), text, -1, 0xffffff);
    if (!force)
        floe_demo_layer_show(d, FLOE_DEMO_PANEL, a);
}
