/* Composition of the demo's layers onto surface 0: every change is sent as
 * fills and images of the visible parts only, or as the draw operation that
 * made it (text), moves and scrolls as copy_bits. */
#include <errno.h>
#include <stdlib.h>

#include "demo/demo-priv.h"
#include "protocol/spice/enums.h"

int floe_demo_layer_alloc(struct floe_demo_layer *l, int x, int y, int w, int h)
{
    if (w < 1)
        w = 1;
    if (h < 1)
        h = 1;
    l->c.px = calloc((size_t)w * h, sizeof(uint32_t));
    if (!l->c.px)
        return -ENOMEM;
    l->c.w = l->c.stride = w;
    l->c.h = h;
    l->r = (struct floe_rect){ x, y, w, h };
    return 0;
}

static void region_init_rect(pixman_region32_t *rg, const struct floe_rect *r)
{
    pixman_region32_init_rect(rg, r->x, r->y, (unsigned)r->w, (unsigned)r->h);
}

/* Removes from rg everything covered by the layers above id. */
static void subtract_above(struct floe_demo *d, pixman_region32_t *rg, int id)
{
    for (int i = id + 1; i < FLOE_DEMO_LAYERS; i++) {
        pixman_region32_t above;

        region_init_rect(&above, &d->layers[i].r);
        pixman_region32_subtract(rg, rg, &above);
        pixman_region32_fini(&above);
    }
}

/* The part of layer id that shows on screen, in screen coordinates. */
static void visible(struct floe_demo *d, int id, pixman_region32_t *rg)
{
    pixman_region32_t screen;

    region_init_rect(rg, &d->layers[id].r);
    pixman_region32_init_rect(&screen, 0, 0, (unsigned)d->w, (unsigned)d->h);
    pixman_region32_intersect(rg, rg, &screen);
    pixman_region32_fini(&screen);
    subtract_above(d, rg, id);
}

/* 1 and the colour in *c if the w pixels of row are all one colour. */
static int row_uniform(const uint32_t *row, int w, uint32_t *c)
{
    for (int x = 1; x < w; x++)
        if ((row[x] ^ row[0]) & 0xffffff)
            return 0;
    *c = row[0];
    return 1;
}

/* Sends a box of layer pixels as bands of rows: runs of rows of a single
 * colour as fills (clients draw those themselves), the others as images. */
static void send_rows(struct floe_demo *d, const struct floe_demo_layer *l, const pixman_box32_t *b)
{
    int w = b->x2 - b->x1;

    for (int y = b->y1; y < b->y2;) {
        const uint32_t *px = l->c.px + (size_t)(y - l->r.y) * l->c.stride + (b->x1 - l->r.x);
        uint32_t c = 0, c2 = 0;
        int uni = row_uniform(px, w, &c), end = y + 1;

        while (end < b->y2) {
            const uint32_t *next = px + (size_t)(end - y) * l->c.stride;
            int u2 = row_uniform(next, w, &c2);

            if (u2 != uni || (uni && ((c2 ^ c) & 0xffffff)))
                break;
            end++;
        }
        struct floe_rect r = { b->x1, y, w, end - y };
        if (uni)
            floe_server_draw_fill(d->srv, 0, &r, c & 0xffffff);
        else
            floe_server_draw_image(d->srv, 0, &r, px, l->c.stride * 4);
        y = end;
    }
}

/* The bounding box of the pixels of b that differ from `bg`; 0 if none.
 * Each row is looked at from both ends up to its ink only, so a picture
 * (a video frame) costs two pixels a row, not all of them. */
static int ink_box(const struct floe_demo_layer *l, const pixman_box32_t *b, uint32_t bg,
                   pixman_box32_t *ink)
{
    *ink = (pixman_box32_t){ b->x2, b->y2, b->x1, b->y1 };
    for (int y = b->y1; y < b->y2; y++) {
        const uint32_t *row = l->c.px + (size_t)(y - l->r.y) * l->c.stride - l->r.x;
        int x1 = b->x1, x2 = b->x2;

        while (x1 < x2 && !((row[x1] ^ bg) & 0xffffff))
            x1++;
        if (x1 == x2)
            continue;
        while (!((row[x2 - 1] ^ bg) & 0xffffff))
            x2--;
        ink->x1 = x1 < ink->x1 ? x1 : ink->x1;
        ink->x2 = x2 > ink->x2 ? x2 : ink->x2;
        ink->y1 = y < ink->y1 ? y : ink->y1;
        ink->y2 = y + 1;
    }
    return ink->x1 < ink->x2;
}

/* Sends one box. Text on a plain background (a new log line, the clock)
 * goes as a fill of the background plus an image of the ink only. */
static void send_box(struct floe_demo *d, const struct floe_demo_layer *l, const pixman_box32_t *b)
{
    uint32_t bg = l->c.px[(size_t)(b->y1 - l->r.y) * l->c.stride + (b->x1 - l->r.x)];
    long area = (long)(b->x2 - b->x1) * (b->y2 - b->y1);
    pixman_box32_t ink;
    struct floe_rect r = { b->x1, b->y1, b->x2 - b->x1, b->y2 - b->y1 };

    if (!ink_box(l, b, bg, &ink)) {
        floe_server_draw_fill(d->srv, 0, &r, bg & 0xffffff);
        return;
    }
    if ((long)(ink.x2 - ink.x1) * (ink.y2 - ink.y1) * 4 < area * 3) {
        floe_server_draw_fill(d->srv, 0, &r, bg & 0xffffff);
        send_rows(d, l, &ink);
        return;
    }
    send_rows(d, l, b);
}

/* Sends the boxes of rg (screen coordinates, inside layer id). */
static void send_boxes(struct floe_demo *d, int id, pixman_region32_t *rg)
{
    const struct floe_demo_layer *l = &d->layers[id];
    int n;
    const pixman_box32_t *b = pixman_region32_rectangles(rg, &n);

    for (int i = 0; i < n; i++)
        send_box(d, l, &b[i]);
}

/* Paints rg (screen coordinates) from the wallpaper the server has as an
 * off-screen surface: one copy from it, clipped to rg. */
static void wall_copy(struct floe_demo *d, pixman_region32_t *rg)
{
    const struct floe_demo_layer *l = &d->layers[FLOE_DEMO_WALLPAPER];
    const pixman_box32_t *e = pixman_region32_extents(rg);
    pixman_image_t *img;

    if (!pixman_region32_not_empty(rg))
        return;
    img = pixman_image_create_bits(PIXMAN_x8r8g8b8, l->c.w, l->c.h, l->c.px, l->c.stride * 4);
    if (!img) {
        send_boxes(d, FLOE_DEMO_WALLPAPER, rg);
        return;
    }
    /* the wallpaper lies at (0, 0): the source area is the box itself */
    floe_server_draw(d->srv, 0, &(struct floe_raster_op){
                                    .kind = FLOE_RASTER_COPY,
                                    .bbox = { e->x1, e->y1, e->x2, e->y2 },
                                    .clip = rg,
                                    .src = img, .src_surface = 1,
                                    .src_area = { e->x1, e->y1, e->x2, e->y2 },
                                    .rop_descriptor = SPICE_ROPD_OP_PUT });
    pixman_image_unref(img);
}

/* Paints rg from whichever layer is on top at each point. */
static void paint_region(struct floe_demo *d, pixman_region32_t *rg)
{
    for (int id = FLOE_DEMO_LAYERS - 1; id >= 0 && pixman_region32_not_empty(rg); id--) {
        pixman_region32_t part, lr;

        region_init_rect(&lr, &d->layers[id].r);
        pixman_region32_init(&part);
        pixman_region32_intersect(&part, rg, &lr);
        if (id == FLOE_DEMO_WALLPAPER && d->wall_given)
            wall_copy(d, &part);
        else
            send_boxes(d, id, &part);
        pixman_region32_subtract(rg, rg, &lr);
        pixman_region32_fini(&part);
        pixman_region32_fini(&lr);
    }
}

void floe_demo_paint_all(struct floe_demo *d)
{
    pixman_region32_t rg;

    pixman_region32_init_rect(&rg, 0, 0, (unsigned)d->w, (unsigned)d->h);
    paint_region(d, &rg);
    pixman_region32_fini(&rg);
}

void floe_demo_layer_show(struct floe_demo *d, int id, const struct floe_rect *local)
{
    const struct floe_demo_layer *l = &d->layers[id];
    struct floe_rect r = { l->r.x + local->x, l->r.y + local->y, local->w, local->h };
    pixman_region32_t vis, rg;

    if (r.w <= 0 || r.h <= 0)
        return;
    visible(d, id, &vis);
    region_init_rect(&rg, &r);
    pixman_region32_intersect(&rg, &rg, &vis);
    send_boxes(d, id, &rg);
    pixman_region32_fini(&rg);
    pixman_region32_fini(&vis);
}

void floe_demo_layer_draw(struct floe_demo *d, int id, const struct floe_raster_op *op, int submit)
{
    const struct floe_demo_layer *l = &d->layers[id];
    pixman_image_t *img = pixman_image_create_bits(PIXMAN_x8r8g8b8, l->c.w, l->c.h, l->c.px,
                                                   l->c.stride * 4);
    struct floe_raster_glyph *gl = NULL;
    struct floe_raster_op s = *op;
    pixman_region32_t dmg, vis;
    const char *why = "";
    int dx = l->r.x, dy = l->r.y;

    if (!img)
        return;
    pixman_region32_init(&dmg);
    floe_raster_draw(img, op, &dmg, &why);
    pixman_region32_fini(&dmg);
    pixman_image_unref(img);
    if (!submit)
        return;
    /* the same operation in screen coordinates, inside the screen */
    s.bbox = (struct floe_raster_rect){ op->bbox.left + dx, op->bbox.top + dy,
                                        op->bbox.right + dx, op->bbox.bottom + dy };
    s.bbox.left = s.bbox.left < 0 ? 0 : s.bbox.left;
    s.bbox.top = s.bbox.top < 0 ? 0 : s.bbox.top;
    s.bbox.right = s.bbox.right > d->w ? d->w : s.bbox.right;
    s.bbox.bottom = s.bbox.bottom > d->h ? d->h : s.bbox.bottom;
    if (s.bbox.left >= s.bbox.right || s.bbox.top >= s.bbox.bottom)
        return;
    s.back_area = (struct floe_raster_rect){ op->back_area.left + dx, op->back_area.top + dy,
                                             op->back_area.right + dx, op->back_area.bottom + dy };
    if (op->n_glyphs) {
        gl = malloc(op->n_glyphs * sizeof(*gl));
        if (!gl) {
            /* the clients get the pixels instead */
            floe_demo_layer_show(d, id, &(struct floe_rect){ op->bbox.left, op->bbox.top,
                                                              op->bbox.right - op->bbox.left,
                                                              op->bbox.bottom - op->bbox.top });
            return;
        }
        for (uint32_t i = 0; i < op->n_glyphs; i++) {
            gl[i] = op->glyphs[i];
            gl[i].x += dx;
            gl[i].y += dy;
        }
        s.glyphs = gl;
    }
    visible(d, id, &vis);
    if (op->clip) {
        pixman_region32_t c;

        pixman_region32_init(&c);
        pixman_region32_copy(&c, (pixman_region32_t *)op->clip);
        pixman_region32_translate(&c, dx, dy);
        pixman_region32_intersect(&vis, &vis, &c);
        pixman_region32_fini(&c);
    }
    s.clip = &vis;
    floe_server_draw(d->srv, 0, &s);
    pixman_region32_fini(&vis);
    free(gl);
}

void floe_demo_layer_fill(struct floe_demo *d, int id, const struct floe_rect *r, uint32_t rgb,
                          int submit)
{
    struct floe_raster_op op = {
        .kind = FLOE_RASTER_FILL,
        .bbox = { r->x, r->y, r->x + r->w, r->y + r->h },
        .brush = { .kind = FLOE_RASTER_BRUSH_SOLID, .color = rgb },
        .rop_descriptor = SPICE_ROPD_OP_PUT,
    };

    if (r->w > 0 && r->h > 0)
        floe_demo_layer_draw(d, id, &op, submit);
}

int floe_demo_layer_text(struct floe_demo *d, int id, const struct floe_rect *r,
                         struct floe_demo_font *f, int x, int y, const char *s, int len,
                         uint32_t rgb, int submit)
{
    struct floe_raster_glyph gl[256];
    int n, end = floe_demo_text_glyphs(f, x, y, s, len, gl, 256, &n);

    if (n)
        floe_demo_layer_draw(d, id,
                             &(struct floe_raster_op){
                                 .kind = FLOE_RASTER_TEXT,
                                 .bbox = { r->x, r->y, r->x + r->w, r->y + r->h },
                                 .brush = { .kind = FLOE_RASTER_BRUSH_SOLID, .color = rgb },
                                 .fore_mode = SPICE_ROPD_OP_PUT,
                                 .glyphs = gl, .n_glyphs = (uint32_t)n, .glyph_bpp = 4 },
                             submit);
    return end;
}

/* copy_bits for each box of dst, from box - (dx, dy), in an order where no
 * box overwrites pixels a later box still has to read: bands against the
 * vertical motion, boxes within a band against the horizontal one. */
static void copy_boxes(struct floe_demo *d, pixman_region32_t *dst, int dx, int dy)
{
    int n;
    const pixman_box32_t *b = pixman_region32_rectangles(dst, &n);

    for (int k = 0; k < n;) {
        int band = dy > 0 ? n - 1 - k : k, first = band, last = band;

        while (first > 0 && b[first - 1].y1 == b[band].y1)
            first--;
        while (last < n - 1 && b[last + 1].y1 == b[band].y1)
            last++;
        for (int j = 0; j <= last - first; j++) {
            const pixman_box32_t *e = &b[dx > 0 ? last - j : first + j];
            struct floe_rect r = { e->x1, e->y1, e->x2 - e->x1, e->y2 - e->y1 };

            floe_server_copy_bits(d->srv, 0, r.x - dx, r.y - dy, &r);
        }
        k += last - first + 1;
    }
}

void floe_demo_layer_scroll(struct floe_demo *d, int id, const struct floe_rect *local, int dy)
{
    const struct floe_demo_layer *l = &d->layers[id];
    struct floe_rect r = { l->r.x + local->x, l->r.y + local->y, local->w, local->h };
    pixman_region32_t vis, src, rest;

    if (r.w <= 0 || r.h <= 0)
        return;
    visible(d, id, &vis);
    region_init_rect(&src, &r);
    pixman_region32_intersect(&vis, &vis, &src);
    /* a pixel can be copied when the pixel dy below it shows too */
    pixman_region32_copy(&src, &vis);
    pixman_region32_translate(&src, 0, -dy);
    pixman_region32_intersect(&src, &src, &vis);
    copy_boxes(d, &src, 0, -dy);
    pixman_region32_init(&rest);
    pixman_region32_subtract(&rest, &vis, &src);
    send_boxes(d, id, &rest);
    pixman_region32_fini(&rest);
    pixman_region32_fini(&src);
    pixman_region32_fini(&vis);
}

void floe_demo_layer_move(struct floe_demo *d, int id, int x, int y)
{
    struct floe_demo_layer *l = &d->layers[id];
    int dx = x - l->r.x, dy = y - l->r.y;
    pixman_region32_t before, after, copied, rest;

    if (!dx && !dy)
        return;
    visible(d, id, &before);
    l->r.x = x;
    l->r.y = y;
    visible(d, id, &after);
    pixman_region32_init(&copied);
    pixman_region32_copy(&copied, &before);
    pixman_region32_translate(&copied, dx, dy);
    pixman_region32_intersect(&copied, &copied, &after);
    copy_boxes(d, &copied, dx, dy);
    pixman_region32_init(&rest);
    pixman_region32_subtract(&rest, &after, &copied);
    send_boxes(d, id, &rest);
    /* what the layer left shows whatever lies below it now */
    pixman_region32_subtract(&before, &before, &after);
    paint_region(d, &before);
    pixman_region32_fini(&rest);
    pixman_region32_fini(&copied);
    pixman_region32_fini(&after);
    pixman_region32_fini(&before);
}
