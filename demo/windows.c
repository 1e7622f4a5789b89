/* The demo's windows: where they sit for a given screen size, their frames
 * and title bars, and the contents that never change (Files, Photos, About). */
#include <stdio.h>

#include "demo/demo-priv.h"

/* Layout on a 1920x1080 screen, scaled to the real one. */
static const struct {
    int id, x, y, w, h;
} layout[] = {
    { FLOE_DEMO_FILES, 190, 655, 760, 390 },
    { FLOE_DEMO_TERMINAL, 70, 70, 900, 560 },
    { FLOE_DEMO_PHOTOS, 1010, 90, 0, 0 }, /* sized by the photo */
    { FLOE_DEMO_NOTES, 1400, 150, 460, 380 },
    { FLOE_DEMO_ABOUT, 0, 0, 440, 250 },  /* placed by its path */
};

static int S(const struct floe_demo *d, int v)
{
    return floe_demo_scale(v, d->fs);
}

static int title_h(const struct floe_demo *d)
{
    return S(d, 30);
}

/* 320x240 scaled like the text, but at most 40% of the screen. */
static void photo_size(const struct floe_demo *d, int *w, int *h)
{
    *w = S(d, 320) < d->w * 40 / 100 ? S(d, 320) : d->w * 40 / 100;
    *h = *w * 3 / 4;
    if (*h > d->h * 40 / 100) {
        *h = d->h * 40 / 100;
        *w = *h * 4 / 3;
    }
}

struct floe_rect floe_demo_window_chrome(struct floe_demo *d, int id, const char *title)
{
    const struct floe_demo_canvas *c = &d->layers[id].c;
    struct floe_demo_font *f = d->font.bold;
    int th = title_h(d), r = S(d, 6), tw = floe_demo_text_width(f, title, -1);
    static const uint32_t buttons[] = { 0xee5f5b, 0xf5bd4f, 0x61c554 };

    floe_demo_canvas_vgradient(c, 1, 1, c->w - 2, th - 1, 0xf4f4f5, 0xdfe0e4);
    floe_demo_canvas_fill(c, 1, th, c->w - 2, 1, 0xc4c6cc);
    for (int i = 0; i < 3; i++)
        floe_demo_canvas_disc(c, (float)(S(d, 16) + i * S(d, 20)), th / 2.0f + 0.5f, (float)r,
                              buttons[i]);
    floe_demo_text_draw(c, f, (c->w - tw) / 2, (th - f->height) / 2 + f->ascent + 1, title, -1,
                        0x2e3440);
    floe_demo_canvas_frame(c, 0, 0, c->w, c->h, 0x3b404c);
    return (struct floe_rect){ 1, th + 1, c->w - 2, c->h - th - 2 };
}

void floe_demo_about_place(struct floe_demo *d, uint64_t tick, int *x, int *y)
{
    const struct floe_rect *r = &d->layers[FLOE_DEMO_ABOUT].r;
    int top = d->layers[FLOE_DEMO_PANEL].r.h;
    int room_x = d->w - r->w > 0 ? d->w - r->w : 0, room_y = d->h - top - r->h;
    uint64_t turn = (uint64_t)d->fps * 24;
    uint32_t a = (uint32_t)((tick % turn) * 65536 / turn);

    if (room_y < 0)
        room_y = 0;
    *x = room_x / 2 + (int)((int64_t)floe_demo_sin(a) * (room_x * 43 / 100) / 32768);
    *y = top + room_y / 2 +
         (int)((int64_t)floe_demo_sin(2 * a + 16384) * (room_y * 42 / 100) / 32768);
}

/* A folder (kind 0) or a document with a coloured band (kind 1..). */
static void icon(const struct floe_demo_canvas *c, int x, int y, int size, int kind)
{
    static const uint32_t bands[] = { 0, 0x5e81ac, 0xbf616a, 0xa3be8c, 0xb48ead };
    int w = size, h = size * 4 / 5;

    if (kind == 0) {
        floe_demo_canvas_round_rect(c, x, y + size / 10, w * 2 / 5, h / 3, size / 12.0f, 0xd9972e);
        floe_demo_canvas_round_rect(c, x, y + size / 5, w, h, size / 12.0f, 0xf0b648);
        floe_demo_canvas_fill(c, x + 1, y + size / 5 + h / 4, w - 2, 1, 0xf7cf74);
        return;
    }
    w = size * 3 / 4;
    x += (size - w) / 2;
    floe_demo_canvas_fill(c, x, y, w, size, 0x8a8f99);
    floe_demo_canvas_fill(c, x + 1, y + 1, w - 2, size - 2, 0xffffff);
    floe_demo_canvas_fill(c, x + 1, y + size * 2 / 3, w - 2, size / 6, bands[kind % 5]);
    for (int i = 0; i < 3 && size >= 20; i++)
        floe_demo_canvas_fill(c, x + w / 5, y + size / 5 + i * size / 8, w * 3 / 5, 1, 0xb0b4bc);
}

static const struct {
    const char *name, *size, *date;
    int kind;
} files[] = {
    { "Desktop", "3 items", "Today 09:12", 0 },
    { "Documents", "41 items", "Yesterday", 0 },
    { "Downloads", "12 items", "Today 08:47", 0 },
    { "Music", "208 items", "2 Mar", 0 },
    { "Pictures", "1,024 items", "11 Mar", 0 },
    { "Projects", "7 items", "Today 09:30", 0 },
    { "floe-0.1.tar.gz", "1.2 MB", "Today 09:31", 2 },
    { "notes.txt", "4.1 kB", "Yesterday", 1 },
    { "screenshot.png", "812 kB", "13 Mar", 4 },
    { "spice-protocol.pdf", "2.3 MB", "28 Feb", 2 },
    { "todo.md", "1.0 kB", "Today 09:05", 1 },
    { "vm-disk.qcow2", "4.0 GB", "10 Mar", 3 },
};

static const char *const places[] = { "Home", "Desktop", "Documents", "Downloads",
                                      "Music", "Pictures", "Videos", "Trash" };

static void files_sidebar(struct floe_demo *d, const struct floe_demo_canvas *c, int row_h)
{
    struct floe_demo_font *f = d->font.ui;
    int base = (row_h - f->height) / 2 + f->ascent;

    floe_demo_canvas_fill(c, 0, 0, c->w, c->h, 0xeef0f3);
    floe_demo_canvas_fill(c, c->w - 1, 0, 1, c->h, 0xd3d6dc);
    floe_demo_text_draw(c, d->font.bold, S(d, 12), S(d, 8) + base, "Places", -1, 0x8a8f99);
    for (int i = 0; i < 8; i++) {
        int y = S(d, 8) + (i + 1) * row_h;

        if (i == 0)
            floe_demo_canvas_round_rect(c, S(d, 6), y, c->w - S(d, 13), row_h, S(d, 4),
                                        0xd3e1f5);
        icon(c, S(d, 14), y + (row_h - S(d, 16)) / 2, S(d, 16), i == 7 ? 1 : 0);
        floe_demo_text_draw(c, f, S(d, 38), y + base, places[i], -1, 0x2e3440);
    }
}

static void files_row(struct floe_demo *d, const struct floe_demo_canvas *c, int i, int y,
                      int row_h)
{
    struct floe_demo_font *f = d->font.ui;
    int base = y + (row_h - f->height) / 2 + f->ascent;

    floe_demo_canvas_fill(c, 0, y, c->w, row_h, i % 2 ? 0xf6f7f9 : 0xffffff);
    icon(c, S(d, 10), y + (row_h - S(d, 18)) / 2, S(d, 18), files[i].kind);
    floe_demo_text_draw(c, f, S(d, 36), base, files[i].name, -1, 0x2e3440);
    floe_demo_text_draw(c, f, c->w * 58 / 100, base, files[i].size, -1, 0x6b7280);
    floe_demo_text_draw(c, f, c->w * 78 / 100, base, files[i].date, -1, 0x6b7280);
}

static void files_list(struct floe_demo *d, const struct floe_demo_canvas *c, int row_h)
{
    static const char *const heads[] = { "Name", "Size", "Modified" };
    struct floe_demo_font *b = d->font.bold;
    int xs[] = { S(d, 36), c->w * 58 / 100, c->w * 78 / 100 };

    floe_demo_canvas_fill(c, 0, 0, c->w, c->h, 0xffffff);
    for (int i = 0; i < 3; i++)
        floe_demo_text_draw(c, b, xs[i], (row_h - b->height) / 2 + b->ascent, heads[i], -1,
                            0x6b7280);
    floe_demo_canvas_fill(c, 0, row_h - 1, c->w, 1, 0xe1e3e8);
    for (int i = 0; i < (int)(sizeof(files) / sizeof(files[0])); i++)
        files_row(d, c, i, (i + 1) * row_h, row_h);
}

/* A bar across c: breadcrumb (top) or item count (bottom). */
static void files_bar(struct floe_demo *d, const struct floe_demo_canvas *c, int top, int side)
{
    struct floe_demo_font *f = d->font.ui;
    int base = (c->h - f->height) / 2 + f->ascent;

    floe_demo_canvas_fill(c, 0, 0, c->w, c->h, 0xf6f6f7);
    floe_demo_canvas_fill(c, 0, top ? c->h - 1 : 0, c->w, 1, 0xd3d6dc);
    if (!top) {
        floe_demo_text_draw(c, f, side + S(d, 12), base + 1, "12 items, 38.2 GB free", -1,
                            0x6b7280);
        return;
    }
    floe_demo_canvas_round_rect(c, side + S(d, 8), S(d, 6), S(d, 220), c->h - S(d, 12), S(d, 5),
                                0xe4e6ea);
    floe_demo_text_draw(c, f, side + S(d, 18), base, "Home  ›  demo", -1, 0x2e3440);
}

static void files_draw(struct floe_demo *d)
{
    struct floe_rect in = floe_demo_window_chrome(d, FLOE_DEMO_FILES, "Files — /home/demo");
    const struct floe_demo_canvas *lc = &d->layers[FLOE_DEMO_FILES].c;
    int row_h = S(d, 26), side = S(d, 160), tb = S(d, 36), sb = S(d, 24);
    struct floe_rect bar = { in.x, in.y, in.w, tb }, foot = { in.x, in.y + in.h - sb, in.w, sb };
    struct floe_rect nav = { in.x, in.y + tb, side, in.h - tb - sb };
    struct floe_rect list = { in.x + side, in.y + tb, in.w - side, in.h - tb - sb };
    struct floe_demo_canvas c;

    c = floe_demo_canvas_view(lc, &bar);
    files_bar(d, &c, 1, side);
    c = floe_demo_canvas_view(lc, &foot);
    files_bar(d, &c, 0, 0);
    c = floe_demo_canvas_view(lc, &nav);
    files_sidebar(d, &c, row_h);
    c = floe_demo_canvas_view(lc, &list);
    files_list(d, &c, row_h);
}

/* A dark viewer frame around the live photo, whose place is recorded. */
static void photos_draw(struct floe_demo *d)
{
    struct floe_rect in = floe_demo_window_chrome(d, FLOE_DEMO_PHOTOS, "Photos — lake.raw");
    struct floe_demo_canvas *c = &d->layers[FLOE_DEMO_PHOTOS].c;
    int tb = S(d, 32), pad = S(d, 14), sb = S(d, 24);
    struct floe_demo_font *f = d->font.ui;
    char status[64];

    floe_demo_canvas_fill(c, in.x, in.y, in.w, in.h, 0x2b2d31);
    floe_demo_canvas_fill(c, in.x, in.y, in.w, tb, 0x37393e);
    floe_demo_canvas_fill(c, in.x, in.y + in.h - sb, in.w, sb, 0x37393e);
    floe_demo_text_draw(c, f, in.x + S(d, 10), in.y + (tb - f->height) / 2 + f->ascent,
                        "‹  ›    lake.raw", -1, 0xd8dee9);
    floe_demo_text_draw(c, f, in.x + in.w - S(d, 10) - floe_demo_text_width(f, "100%", -1),
                        in.y + (tb - f->height) / 2 + f->ascent, "100%", -1, 0xd8dee9);
    d->photo_area = (struct floe_rect){ in.x + pad, in.y + tb + pad, 0, 0 };
    photo_size(d, &d->photo_area.w, &d->photo_area.h);
    snprintf(status, sizeof(status), "%d × %d  ·  live camera  ·  sRGB", d->photo_area.w,
             d->photo_area.h);
    floe_demo_text_draw(c, f, in.x + S(d, 10), in.y + in.h - sb + (sb - f->height) / 2 +
                        f->ascent, status, -1, 0xa0a6b0);
}

static void about_draw(struct floe_demo *d)
{
    struct floe_rect in = floe_demo_window_chrome(d, FLOE_DEMO_ABOUT, "About floe");
    struct floe_demo_canvas c = floe_demo_canvas_view(&d->layers[FLOE_DEMO_ABOUT].c, &in);
    struct floe_demo_font *big = d->font.big, *f = d->font.ui;
    static const char *const lines[] = { "A remote desktop stack in C: a SPICE 2.2",
                                         "server and viewer. This window is dragged",
                                         "around to show copy_bits and exposures." };
    int bw = S(d, 84), bh = S(d, 28), lh = f->height + S(d, 3);
    int bx = c.w - bw - S(d, 16), by = c.h - bh - S(d, 14);

    floe_demo_canvas_fill(&c, 0, 0, c.w, c.h, 0xfafafa);
    floe_demo_canvas_disc(&c, (float)S(d, 50), (float)S(d, 50), (float)S(d, 30), 0x2f6bd0);
    floe_demo_canvas_disc(&c, (float)S(d, 47), (float)S(d, 46), (float)S(d, 25), 0x4c8df0);
    floe_demo_text_draw(&c, big, S(d, 50) - floe_demo_text_width(big, "f", -1) / 2,
                        S(d, 50) + big->ascent / 3, "f", -1, 0xffffff);
    floe_demo_text_draw(&c, big, S(d, 100), S(d, 46), "floe", -1, 0x2e3440);
    floe_demo_text_draw(&c, f, S(d, 101), S(d, 70), "Version 0.1  ·  SPICE 2.2", -1, 0x6b7280);
    for (int i = 0; i < 3; i++)
        floe_demo_text_draw(&c, f, S(d, 24), S(d, 110) + i * lh, lines[i], -1, 0x3b4252);
    floe_demo_canvas_round_rect(&c, bx, by, bw, bh, S(d, 5), 0x3d7be0);
    bx += (bw - floe_demo_text_width(d->font.bold, "Close", -1)) / 2;
    by += (bh - d->font.bold->height) / 2 + d->font.bold->ascent;
    floe_demo_text_draw(&c, d->font.bold, bx, by, "Close", -1, 0xffffff);
}

/* Where window `i` of the layout goes on this screen. */
static struct floe_rect place(const struct floe_demo *d, int i)
{
    int sx = d->w * 1000 / 1920, sy = d->h * 1000 / 1080, th = title_h(d);
    struct floe_rect r = { floe_demo_scale(layout[i].x, sx), floe_demo_scale(layout[i].y, sy),
                           floe_demo_scale(layout[i].w, sx), floe_demo_scale(layout[i].h, sy) };

    if (layout[i].id == FLOE_DEMO_PHOTOS) {
        photo_size(d, &r.w, &r.h);
        r.w += 2 * S(d, 14) + 2;
        r.h += th + 2 + S(d, 32) + 2 * S(d, 14) + S(d, 24);
    } else if (layout[i].id == FLOE_DEMO_ABOUT) {
        r.w = S(d, layout[i].w) < d->w * 6 / 10 ? S(d, layout[i].w) : d->w * 6 / 10;
        r.h = S(d, layout[i].h) < d->h * 6 / 10 ? S(d, layout[i].h) : d->h * 6 / 10;
    }
    if (r.w < 3 * th)
        r.w = 3 * th;
    if (r.h < 2 * th)
        r.h = 2 * th;
    return r;
}

int floe_demo_windows_init(struct floe_demo *d)
{
    for (unsigned i = 0; i < sizeof(layout) / sizeof(layout[0]); i++) {
        struct floe_rect r = place(d, (int)i);
        int err = floe_demo_layer_alloc(&d->layers[layout[i].id], r.x, r.y, r.w, r.h);

        if (err)
            return err;
    }
    floe_demo_about_place(d, 0, &d->layers[FLOE_DEMO_ABOUT].r.x, &d->layers[FLOE_DEMO_ABOUT].r.y);
    files_draw(d);
    photos_draw(d);
    about_draw(d);
    return 0;
}
