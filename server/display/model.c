/* The display model: each monitor's primary surface rendered on the server
 * with the same pixel semantics clients use, and each producer call turned
 * into one shared SPICE draw message for the clients' display channel of
 * that monitor, where the surface is surface 0. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/png.h"
#include "common/log.h"
#include "server/internal.h"

/* A rectangle of pixels goes as one DRAW_COPY, as the reference server sends
 * a client's first picture: a client may keep the picture it has after its
 * first draw (spice-gtk signals every draw, the first ones before MARK too).
 * Only a bitmap past this many bytes is cut into strips. */
#define STRIP_BYTES (48u << 20)

void fsrv_surface_free(struct fsrv_surface *sf)
{
    if (sf->image)
        pixman_image_unref(sf->image);
    memset(sf, 0, sizeof(*sf));
}

/* Clips r to the surface; 0 if nothing is left. */
static int clip_to_surface(const struct fsrv_surface *sf, const struct floe_rect *r,
                           pixman_box32_t *b)
{
    b->x1 = r->x < 0 ? 0 : r->x;
    b->y1 = r->y < 0 ? 0 : r->y;
    b->x2 = r->x + r->w > sf->width ? sf->width : r->x + r->w;
    b->y2 = r->y + r->h > sf->height ? sf->height : r->y + r->h;
    return sf->image && r->w > 0 && r->h > 0 && b->x1 < b->x2 && b->y1 < b->y2;
}

static void base_init(struct spice_display_base *b, const pixman_box32_t *box)
{
    memset(b, 0, sizeof(*b));
    b->box.left = box->x1;
    b->box.top = box->y1;
    b->box.right = box->x2;
    b->box.bottom = box->y2;
    b->clip.type = SPICE_CLIP_NONE;
}

static struct fsrv_msg *finish_draw(uint16_t type, struct floe_wbuf *w, const pixman_box32_t *b)
{
    struct fsrv_msg *m = fsrv_msg_from_wbuf(type, w);

    if (m) {
        m->has_box = 1;
        m->box = *b;
    }
    return m;
}

/* A DRAW_COPY of the monitor's current pixels inside `b`. */
static struct fsrv_msg *copy_msg(struct floe_server *s, int monitor, const pixman_box32_t *b)
{
    struct fsrv_surface *sf = &s->primary[monitor];

    return fsrv_image_msg_new(monitor, b, sf->pixels + (size_t)b->y1 * sf->width + b->x1,
                              sf->width * 4);
}

/* Monitor `surface_id`'s surface, or NULL (logged) for an id out of range. */
static struct fsrv_surface *monitor_surface(struct floe_server *s, uint32_t surface_id,
                                            const char *what)
{
    if (surface_id < (uint32_t)s->monitors)
        return &s->primary[surface_id];
    floe_debug("%s on surface %u ignored: %d monitor%s", what, surface_id, s->monitors,
               s->monitors == 1 ? "" : "s");
    return NULL;
}

/* Sends the current pixels of every rectangle of `rg`, one DRAW_COPY each. */
void fsrv_display_send_region(struct fsrv_chan *c, pixman_region32_t *rg)
{
    const struct fsrv_surface *sf = &c->srv->primary[c->id];
    int n;
    pixman_box32_t *boxes;

    /* the surface may have shrunk since the area was drawn */
    pixman_region32_intersect_rect(rg, rg, 0, 0, (unsigned)sf->width, (unsigned)sf->height);
    boxes = pixman_region32_rectangles(rg, &n);

    for (int i = 0; i < n; i++) {
        int width = boxes[i].x2 - boxes[i].x1;
        int rows = (int)(STRIP_BYTES / ((unsigned)width * 4));

        if (rows < 1)
            rows = 1;
        for (int y = boxes[i].y1; y < boxes[i].y2; y += rows) {
            pixman_box32_t b = { boxes[i].x1, y, boxes[i].x2,
                                 y + rows < boxes[i].y2 ? y + rows : boxes[i].y2 };
            struct fsrv_msg *m = copy_msg(c->srv, c->id, &b);

            fsrv_chan_send(c, m);
            fsrv_msg_unref(m);
        }
    }
}

void fsrv_display_broadcast_pixels(struct floe_server *s, int monitor, pixman_region32_t *rg)
{
    int n;
    const pixman_box32_t *b = pixman_region32_rectangles(rg, &n);

    for (int i = 0; i < n; i++)
        fsrv_display_broadcast(s, monitor, copy_msg(s, monitor, &b[i]));
}

static void send_empty(struct fsrv_chan *c, uint16_t type)
{
    struct fsrv_msg *m = fsrv_msg_new(type, NULL, 0);

    fsrv_chan_send(c, m);
    fsrv_msg_unref(m);
}

static struct fsrv_msg *surface_create_msg(const struct fsrv_surface *sf)
{
    struct floe_wbuf w;
    struct spice_surface_create sc = { 0, (uint32_t)sf->width, (uint32_t)sf->height,
                                       SPICE_SURFACE_FMT_32_xRGB, SPICE_SURFACE_FLAG_PRIMARY };

    floe_wbuf_init(&w, 0);
    spice_surface_create_put(&w, &sc);
    return fsrv_msg_from_wbuf(SPICE_MSG_DISPLAY_SURFACE_CREATE, &w);
}

/* The heads of a monitor's surface (each channel's surface 0), clipped to
 * it; without heads, or with none left, the whole surface is head 0. */
static struct fsrv_msg *monitors_msg(const struct fsrv_surface *sf, const struct fsrv_heads *hs)
{
    struct spice_monitor_head head[FLOE_SERVER_MAX_HEADS];
    struct floe_wbuf w;
    uint16_t n = 0;

    for (int i = 0; i < hs->count; i++) {
        pixman_box32_t b;
        if (!clip_to_surface(sf, &hs->r[i], &b))
            continue;
        head[n] = (struct spice_monitor_head){ n, 0, (uint32_t)(b.x2 - b.x1),
                                               (uint32_t)(b.y2 - b.y1), (uint32_t)b.x1,
                                               (uint32_t)b.y1, 0 };
        n++;
    }
    if (n == 0)
        head[n++] = (struct spice_monitor_head){ 0, 0, (uint32_t)sf->width,
                                                 (uint32_t)sf->height, 0, 0, 0 };
    floe_wbuf_init(&w, 0);
    spice_monitors_config_put(&w, head, n, n);
    return fsrv_msg_from_wbuf(SPICE_MSG_DISPLAY_MONITORS_CONFIG, &w);
}

static void send_built(struct fsrv_chan *c, struct fsrv_msg *m)
{
    fsrv_chan_send(c, m);
    fsrv_msg_unref(m);
}

/* Brings a display client that just sent DISPLAY_INIT up to date. */
void fsrv_display_client_sync(struct fsrv_chan *c)
{
    const struct fsrv_surface *sf = &c->srv->primary[c->id];
    pixman_region32_t all;

    c->model_synced = 1;
    if (!sf->image)
        return;
    send_empty(c, SPICE_MSG_DISPLAY_INVAL_ALL_PALETTES);
    send_built(c, surface_create_msg(sf));
    pixman_region32_init_rect(&all, 0, 0, (unsigned)sf->width, (unsigned)sf->height);
    fsrv_display_send_region(c, &all);
    pixman_region32_fini(&all);
    if (spice_caps_has(c->caps.channel, SPICE_DISPLAY_CAP_MONITORS_CONFIG))
        send_built(c, monitors_msg(sf, &c->srv->heads[c->id]));
    fsrv_offscreen_client_sync(c);
    send_empty(c, SPICE_MSG_DISPLAY_MARK);
}


int floe_server_surface_create(struct floe_server *s, uint32_t surface_id, int width, int height)
{
    struct fsrv_surface *sf = monitor_surface(s, surface_id, "surface_create");
    int k = (int)surface_id;
    pixman_image_t *img;

    if (!sf)
        return -ENOTSUP;
    if (width <= 0 || height <= 0 || width > 8192 || height > 8192)
        return -EINVAL;
    img = pixman_image_create_bits(PIXMAN_x8r8g8b8, width, height, NULL, width * 4);
    if (!img)
        return -ENOMEM;
    if (sf->image) {
        struct floe_wbuf w;

        floe_wbuf_init(&w, 0);
        /* each monitor's primary surface is its channel's surface 0 */
        fsrv_stream_end(s, k, 0);
        spice_surface_destroy_put(&w, &(struct spice_surface_destroy){ .surface_id = 0 });
        fsrv_display_broadcast(s, k, fsrv_msg_from_wbuf(SPICE_MSG_DISPLAY_SURFACE_DESTROY, &w));
        fsrv_surface_free(sf);
    }
    sf->image = img;
    sf->pixels = pixman_image_get_data(img);
    sf->width = width;
    sf->height = height;
    fsrv_display_broadcast(s, k, surface_create_msg(sf));
    fsrv_display_broadcast(s, k, monitors_msg(sf, &s->heads[k]));
    fsrv_display_broadcast(s, k, fsrv_msg_new(SPICE_MSG_DISPLAY_MARK, NULL, 0));
    return 0;
}

int floe_server_set_heads(struct floe_server *s, uint32_t surface_id, int count,
                          const struct floe_rect *heads)
{
    struct fsrv_surface *sf = monitor_surface(s, surface_id, "set_heads");
    struct fsrv_heads *hs;

    if (!sf)
        return -ENOTSUP;
    if (count < 0 || count > FLOE_SERVER_MAX_HEADS)
        return -EINVAL;
    for (int i = 0; i < count; i++)
        if (heads[i].x < 0 || heads[i].y < 0 || heads[i].w <= 0 || heads[i].h <= 0 ||
            heads[i].w > 8192 || heads[i].h > 8192 || heads[i].x > 8192 || heads[i].y > 8192)
            return -EINVAL;
    hs = &s->heads[surface_id];
    if (hs->count == count && !memcmp(hs->r, heads, (size_t)count * sizeof(*heads)))
        return 0;
    hs->count = count;
    memcpy(hs->r, heads, (size_t)count * sizeof(*heads));
    if (sf->image)
        fsrv_display_broadcast(s, (int)surface_id, monitors_msg(sf, hs));
    return 0;
}

static struct fsrv_msg *fill_msg(const pixman_box32_t *b, uint32_t rgb)
{
    struct spice_display_base base;
    struct floe_wbuf w;

    base_init(&base, b);
    floe_wbuf_init(&w, 0);
    struct fsrv_msg *m;

    spice_draw_fill_put(&w, &base, NULL, rgb & 0xffffff);
    m = finish_draw(SPICE_MSG_DISPLAY_DRAW_FILL, &w, b);
    if (m)
        m->opaque = 1;
    return m;
}

void floe_server_draw_fill(struct floe_server *s, uint32_t surface_id, const struct floe_rect *r,
                           uint32_t rgb)
{
    struct fsrv_surface *sf = monitor_surface(s, surface_id, "draw_fill");
    pixman_box32_t b;

    if (!sf || !clip_to_surface(sf, r, &b))
        return;
    fsrv_stream_touch(s, (int)surface_id, &b);
    for (int y = b.y1; y < b.y2; y++) {
        uint32_t *row = sf->pixels + (size_t)y * sf->width;

        for (int x = b.x1; x < b.x2; x++)
            row[x] = rgb & 0xffffff;
    }
    fsrv_display_broadcast(s, (int)surface_id, fill_msg(&b, rgb));
}

/* Whether every pixel of box b of the surface is one colour (*rgb). */
static int one_colour(const struct fsrv_surface *sf, const pixman_box32_t *b, uint32_t *rgb)
{
    uint32_t c = sf->pixels[(size_t)b->y1 * sf->width + b->x1] & 0xffffff;

    for (int y = b->y1; y < b->y2; y++) {
        const uint32_t *row = sf->pixels + (size_t)y * sf->width;

        for (int x = b->x1; x < b->x2; x++)
            if ((row[x] & 0xffffff) != c)
                return 0;
    }
    *rgb = c;
    return 1;
}

/* rows alike between two changed bands of a picture before they go as two
 * DRAW_COPYs rather than one */
#define BAND_GAP 16

/* Sends a band of changed rows: a DRAW_FILL when it is one colour, else a
 * DRAW_COPY of its pixels. */
static void band_send(struct floe_server *s, int monitor, struct fsrv_surface *sf,
                      const pixman_box32_t *band)
{
    uint32_t rgb;

    if (one_colour(sf, band, &rgb)) {
        fsrv_display_broadcast(s, monitor, fill_msg(band, rgb));
        s->stats.fills++;
        return;
    }
    fsrv_display_broadcast(s, monitor, copy_msg(s, monitor, band));
}

/* Writes the rows of box b from px (at b's corner) into the surface where
 * they differ, and sends the clients what changed: per band of changed
 * rows, as narrow as its changed columns, a DRAW_FILL when it is one
 * colour, else a DRAW_COPY. */
static void update_rows(struct floe_server *s, int monitor, struct fsrv_surface *sf,
                        const pixman_box32_t *b, const uint32_t *px, int stride)
{
    pixman_box32_t band = { 0, 0, 0, 0 };
    int open = 0, last = 0;

    for (int y = b->y1; y <= b->y2; y++) {
        int x1 = b->x2, x2 = b->x1;

        if (y < b->y2) {
            /* src[0] and dst[0] are the box's first column */
            const uint32_t *src = (const uint32_t *)((const uint8_t *)px +
                                                     (ptrdiff_t)(y - b->y1) * stride);
            uint32_t *dst = sf->pixels + (size_t)y * sf->width + b->x1;
            int w = b->x2 - b->x1, first = w, end = 0;

            for (int x = 0; x < w; x++)
                if ((src[x] ^ dst[x]) & 0xffffff) {
                    first = x;
                    break;
                }
            for (int x = w - 1; x >= first; x--)
                if ((src[x] ^ dst[x]) & 0xffffff) {
                    end = x + 1;
                    break;
                }
            for (int x = first; x < end; x++)
                dst[x] = src[x] & 0xffffff;
            if (first < end) {
                x1 = b->x1 + first;
                x2 = b->x1 + end;
            }
        }
        if (x1 < x2) {
            if (!open) {
                band = (pixman_box32_t){ x1, y, x2, y + 1 };
                open = 1;
            }
            band.x1 = x1 < band.x1 ? x1 : band.x1;
            band.x2 = x2 > band.x2 ? x2 : band.x2;
            last = y;
            continue;
        }
        if (open && (y == b->y2 || y - last >= BAND_GAP)) {
            band.y2 = last + 1;
            band_send(s, monitor, sf, &band);
            open = 0;
        }
    }
}

void floe_server_draw_image(struct floe_server *s, uint32_t surface_id, const struct floe_rect *r,
                            const uint32_t *pixels, int stride)
{
    struct fsrv_surface *sf = monitor_surface(s, surface_id, "draw_image");
    struct fsrv_scroll sc;
    const uint32_t *px;
    pixman_box32_t b;

    if (!sf || !clip_to_surface(sf, r, &b))
        return;
    px = (const uint32_t *)((const uint8_t *)pixels + (ptrdiff_t)(b.y1 - r->y) * stride) +
         (b.x1 - r->x);
    /* a box redrawn at video rate goes as a video stream's frames */
    if (fsrv_stream_picture(s, (int)surface_id, &b, px, stride))
        return;
    /* a picture that is the surface scrolled: the clients move what they
     * have (COPY_BITS), and only what is new goes as pixels */
    if (fsrv_scroll_find(sf, &b, px, stride, &sc)) {
        floe_server_copy_bits(s, surface_id, b.x1, sc.y1 + sc.dy,
                              &(struct floe_rect){ b.x1, sc.y1, b.x2 - b.x1, sc.y2 - sc.y1 });
        s->stats.scrolls++;
    }
    update_rows(s, (int)surface_id, sf, &b, px, stride);
}

static void move_pixels(struct fsrv_surface *sf, int sx, int sy, const pixman_box32_t *d)
{
    int w = d->x2 - d->x1, h = d->y2 - d->y1;
    int down = d->y1 > sy;

    for (int i = 0; i < h; i++) {
        int row = down ? h - 1 - i : i;

        memmove(sf->pixels + (size_t)(d->y1 + row) * sf->width + d->x1,
                sf->pixels + (size_t)(sy + row) * sf->width + sx, (size_t)w * 4);
    }
}

void floe_server_copy_bits(struct floe_server *s, uint32_t surface_id, int src_x, int src_y,
                           const struct floe_rect *dst)
{
    struct fsrv_surface *sf = monitor_surface(s, surface_id, "copy_bits");
    struct spice_display_base base;
    struct floe_wbuf w;
    struct floe_rect src = { src_x, src_y, dst->w, dst->h }, d = *dst;
    pixman_box32_t sb, b;

    if (!sf || !clip_to_surface(sf, &src, &sb))
        return;
    /* keep only the part whose source and destination are both on the surface */
    d.x += sb.x1 - src_x;
    d.y += sb.y1 - src_y;
    d.w = sb.x2 - sb.x1;
    d.h = sb.y2 - sb.y1;
    if (!clip_to_surface(sf, &d, &b))
        return;
    src_x = sb.x1 + (b.x1 - d.x);
    src_y = sb.y1 + (b.y1 - d.y);
    /* the clients copy what they show: a stream's area must be exact first */
    fsrv_stream_touch(s, (int)surface_id,
                      &(pixman_box32_t){ src_x, src_y, src_x + b.x2 - b.x1, src_y + b.y2 - b.y1 });
    fsrv_stream_touch(s, (int)surface_id, &b);
    move_pixels(sf, src_x, src_y, &b);
    base_init(&base, &b);
    floe_wbuf_init(&w, 0);
    spice_copy_bits_put(&w, &base, NULL, (struct spice_point){ src_x, src_y });
    fsrv_display_broadcast(s, (int)surface_id, finish_draw(SPICE_MSG_DISPLAY_COPY_BITS, &w, &b));
}

void floe_server_frame_end(struct floe_server *s)
{
    s->stats.frames++;
}

int floe_server_snapshot_monitor(struct floe_server *s, int monitor, const char *path)
{
    const struct fsrv_surface *sf;

    if (monitor < 0 || monitor >= s->monitors)
        return -EINVAL;
    sf = &s->primary[monitor];
    if (!sf->image)
        return -ENODATA;
    return floe_png_write(path, sf->pixels, sf->width, sf->height, sf->width * 4);
}

int floe_server_snapshot(struct floe_server *s, const char *path)
{
    return floe_server_snapshot_monitor(s, 0, path);
}
