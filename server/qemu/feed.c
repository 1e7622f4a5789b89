/* A QXL worker's calls to floe's server (feed.h). */
#include "server/qemu/feed.h"

#include <errno.h>
#include <stdlib.h>

#include "common/log.h"

/* past this many rectangles, a region goes as its bounds */
#define MAX_RECTS 64

struct fqxl_feed {
    uint32_t monitor;
    struct floe_server *srv;   /* NULL: calls are dropped */
    int calls;                 /* made since the last frame's end */
};

struct fqxl_feed *fqxl_feed_new(int monitor)
{
    struct fqxl_feed *f = calloc(1, sizeof(*f));

    if (f)
        f->monitor = (uint32_t)monitor;
    return f;
}

void fqxl_feed_free(struct fqxl_feed *f)
{
    free(f);
}

void fqxl_feed_bind(struct fqxl_feed *f, struct floe_server *srv)
{
    f->srv = srv;
}

/* 1 when calls go to a server now (and the frame has one more). */
static int live(struct fqxl_feed *f)
{
    if (!f->srv)
        return 0;
    f->calls++;
    return 1;
}

void fqxl_feed_surface(struct fqxl_feed *f, int width, int height)
{
    if (live(f))
        floe_server_surface_create(f->srv, f->monitor, width, height);
}

/* A 32-bit surface's rows go to the server as they are (it copies them
 * into its own surface); others are converted to xRGB first. */
static void draw_rect(struct fqxl_feed *f, pixman_image_t *img, const pixman_box32_t *b)
{
    struct floe_rect r = { b->x1, b->y1, b->x2 - b->x1, b->y2 - b->y1 };
    pixman_format_code_t fmt = pixman_image_get_format(img);
    pixman_image_t *dst;
    uint32_t *px;

    if (r.w <= 0 || r.h <= 0)
        return;
    if (fmt == PIXMAN_x8r8g8b8 || fmt == PIXMAN_a8r8g8b8) {
        int stride = pixman_image_get_stride(img);
        const uint8_t *row = (const uint8_t *)pixman_image_get_data(img) +
                             (ptrdiff_t)b->y1 * stride + (size_t)b->x1 * 4;

        floe_server_draw_image(f->srv, f->monitor, &r, (const uint32_t *)row, stride);
        return;
    }
    px = malloc((size_t)r.w * r.h * 4);
    if (!px) {
        floe_err("out of memory: %dx%d pixels of an update are lost", r.w, r.h);
        return;
    }
    dst = pixman_image_create_bits(PIXMAN_x8r8g8b8, r.w, r.h, px, r.w * 4);
    if (dst) {
        pixman_image_composite32(PIXMAN_OP_SRC, img, NULL, dst, b->x1, b->y1, 0, 0, 0, 0,
                                 r.w, r.h);
        pixman_image_unref(dst);
        floe_server_draw_image(f->srv, f->monitor, &r, px, r.w * 4);
    }
    free(px);
}

void fqxl_feed_region(struct fqxl_feed *f, pixman_image_t *img, pixman_region32_t *region)
{
    int n;
    pixman_box32_t *b = pixman_region32_rectangles(region, &n);

    if (!n || !live(f))
        return;
    if (n > MAX_RECTS) {
        draw_rect(f, img, pixman_region32_extents(region));
        return;
    }
    for (int i = 0; i < n; i++)
        draw_rect(f, img, &b[i]);
}

void fqxl_feed_copy_bits(struct fqxl_feed *f, int src_x, int src_y, const struct floe_rect *dst)
{
    if (live(f))
        floe_server_copy_bits(f->srv, f->monitor, src_x, src_y, dst);
}

int fqxl_feed_draw(struct fqxl_feed *f, const struct floe_raster_op *op)
{
    return live(f) ? floe_server_draw(f->srv, f->monitor, op) : 0;
}

int fqxl_feed_offscreen_create(struct fqxl_feed *f, uint32_t id, pixman_image_t *img)
{
    enum floe_surface_format format;

    switch (pixman_image_get_format(img)) {
    case PIXMAN_x8r8g8b8: format = FLOE_SURFACE_XRGB; break;
    case PIXMAN_a8r8g8b8: format = FLOE_SURFACE_ARGB; break;
    case PIXMAN_r5g6b5: format = FLOE_SURFACE_RGB565; break;
    case PIXMAN_x1r5g5b5: format = FLOE_SURFACE_XRGB1555; break;
    case PIXMAN_a8: format = FLOE_SURFACE_A8; break;
    default: return -ENOTSUP;
    }
    if (!live(f))
        return -ENOTCONN;
    return floe_server_offscreen_create(f->srv, f->monitor, id, pixman_image_get_width(img),
                                        pixman_image_get_height(img), pixman_image_get_data(img),
                                        pixman_image_get_stride(img), format);
}

void fqxl_feed_offscreen_destroy(struct fqxl_feed *f, uint32_t id)
{
    if (live(f))
        floe_server_offscreen_destroy(f->srv, f->monitor, id);
}

void fqxl_feed_offscreen_all(struct fqxl_feed *f, uint32_t id, int width, int height)
{
    if (live(f))
        floe_server_offscreen_update(f->srv, f->monitor, id,
                                     &(struct floe_rect){ 0, 0, width, height });
}

void fqxl_feed_offscreen_draw(struct fqxl_feed *f, uint32_t id, const struct floe_raster_op *op,
                              pixman_region32_t *changed)
{
    const pixman_box32_t *b;
    int n;

    if (!live(f) || floe_server_offscreen_draw(f->srv, f->monitor, id, op) != 1)
        return;
    b = pixman_region32_rectangles(changed, &n);
    for (int i = 0; i < n; i++)
        floe_server_offscreen_update(f->srv, f->monitor, id,
                                     &(struct floe_rect){ b[i].x1, b[i].y1, b[i].x2 - b[i].x1,
                                                          b[i].y2 - b[i].y1 });
}

void fqxl_feed_cursor(struct fqxl_feed *f, const struct fqxl_cursor_cmd *c)
{
    if (!live(f))
        return;
    switch (c->type) {
    case QXL_CURSOR_SET:
        if (c->argb && c->w > 0 && c->h > 0)
            floe_server_cursor_set(f->srv, c->argb, c->w, c->h, c->hot_x, c->hot_y);
        if (!c->visible) {
            floe_server_cursor_hide(f->srv);
            return;
        }
        /* shown where the command says */
        floe_server_cursor_move(f->srv, c->x, c->y);
        return;
    case QXL_CURSOR_MOVE:
        floe_server_cursor_move(f->srv, c->x, c->y);
        return;
    case QXL_CURSOR_HIDE:
        floe_server_cursor_hide(f->srv);
        return;
    default:
        return;   /* trails are not drawn by SPICE clients either */
    }
}

void fqxl_feed_cursor_hide(struct fqxl_feed *f)
{
    if (live(f))
        floe_server_cursor_hide(f->srv);
}

void fqxl_feed_heads(struct fqxl_feed *f, int count, const struct floe_rect *heads)
{
    if (live(f) && floe_server_set_heads(f->srv, f->monitor, count, heads) < 0)
        floe_warn("monitor %u: the guest's %d heads are not served", f->monitor, count);
}

void fqxl_feed_frame_end(struct fqxl_feed *f)
{
    if (f->srv && f->calls)
        floe_server_frame_end(f->srv);
    f->calls = 0;
}
