/* Off-screen surfaces: a monitor's surfaces other than its primary (ids 1
 * and up on its display channel, as QXL's), whose pixels are the
 * producer's. The producer draws on them; every client gets each one
 * created, each draw on it as the draw message that says the same (or the
 * pixels it changed), and draws on the primary that read one name it as
 * their source (a SURFACE image) instead of carrying its pixels. A client
 * that links later gets each one whole. A client the server renders for
 * has none: they are destroyed when the server starts rendering for it,
 * and sent whole again when it renders draws again. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/raster.h"
#include "common/log.h"
#include "server/internal.h"

/* what the off-screen surfaces of one monitor may hold, all together: past
 * it a surface stays the producer's alone, and what reads it goes as pixels */
#define OFFSCREEN_BYTES (256ull << 20)

struct fsrv_offscreen {
    int width, height;
    uint32_t spice_format;   /* SPICE_SURFACE_FMT_* */
    pixman_image_t *image;   /* over the producer's pixels */
};

static const struct {
    uint32_t spice;
    pixman_format_code_t pixman;
} formats[] = {
    [FLOE_SURFACE_XRGB] = { SPICE_SURFACE_FMT_32_xRGB, PIXMAN_x8r8g8b8 },
    [FLOE_SURFACE_ARGB] = { SPICE_SURFACE_FMT_32_ARGB, PIXMAN_a8r8g8b8 },
    [FLOE_SURFACE_RGB565] = { SPICE_SURFACE_FMT_16_565, PIXMAN_r5g6b5 },
    [FLOE_SURFACE_XRGB1555] = { SPICE_SURFACE_FMT_16_555, PIXMAN_x1r5g5b5 },
    [FLOE_SURFACE_A8] = { SPICE_SURFACE_FMT_8_A, PIXMAN_a8 },
};

static struct fsrv_offscreen *find(struct floe_server *s, uint32_t monitor, uint32_t id)
{
    if (monitor >= (uint32_t)s->monitors || id == 0 || id >= FLOE_SERVER_MAX_SURFACES ||
        !s->offscreen[monitor])
        return NULL;
    return s->offscreen[monitor][id];
}

uint32_t fsrv_offscreen_of(struct floe_server *s, int monitor, pixman_image_t *img)
{
    struct fsrv_offscreen **t = s->offscreen[monitor];
    uint32_t *px = img ? pixman_image_get_data(img) : NULL;

    if (!t || !px)
        return 0;
    for (uint32_t id = 1; id < FLOE_SERVER_MAX_SURFACES; id++)
        if (t[id] && pixman_image_get_data(t[id]->image) == px &&
            pixman_image_get_stride(t[id]->image) == pixman_image_get_stride(img) &&
            pixman_image_get_width(t[id]->image) == pixman_image_get_width(img) &&
            pixman_image_get_height(t[id]->image) == pixman_image_get_height(img))
            return id;
    return 0;
}

static struct fsrv_msg *create_msg(uint32_t id, const struct fsrv_offscreen *o)
{
    struct floe_wbuf w;
    struct fsrv_msg *m;

    floe_wbuf_init(&w, 0);
    spice_surface_create_put(&w, &(struct spice_surface_create){
                                     id, (uint32_t)o->width, (uint32_t)o->height,
                                     o->spice_format, 0 });
    m = fsrv_msg_from_wbuf(SPICE_MSG_DISPLAY_SURFACE_CREATE, &w);
    if (m)
        m->surface_id = id;
    return m;
}

/* A DRAW_COPY of box b of the surface's current pixels onto it (LZ, the
 * alpha kept on an alpha or A8 surface: its PUT gives back the same
 * pixels, 16-bit ones included, since they come as 32-bit words that
 * reduce to them exactly). */
static struct fsrv_msg *pixels_msg(uint32_t id, const struct fsrv_offscreen *o,
                                   const pixman_box32_t *b)
{
    pixman_image_t *part = pixman_image_create_bits(pixman_image_get_format(o->image),
                                                    b->x2 - b->x1, b->y2 - b->y1, NULL, 0);
    struct spice_image img;
    struct floe_wbuf w;
    struct fsrv_msg *m;
    uint8_t *data = NULL;

    if (!part)
        return NULL;
    pixman_image_composite32(PIXMAN_OP_SRC, o->image, NULL, part, b->x1, b->y1, 0, 0, 0, 0,
                             b->x2 - b->x1, b->y2 - b->y1);
    if (fsrv_op_image(part, SIZE_MAX, &img, &data) < 0) {
        pixman_image_unref(part);
        return NULL;
    }
    pixman_image_unref(part);
    floe_wbuf_init(&w, 0);
    spice_draw_copy_put(&w, 0,
                        &(struct spice_draw_copy){
                            .base = { .surface_id = id,
                                      .box = { .left = b->x1, .top = b->y1, .right = b->x2,
                                               .bottom = b->y2 },
                                      .clip = { .type = SPICE_CLIP_NONE } },
                            .src_bitmap = 1,
                            .src_area = { .right = b->x2 - b->x1, .bottom = b->y2 - b->y1 },
                            .rop = SPICE_ROPD_OP_PUT,
                            .image = img },
                        NULL);
    free(data);
    m = fsrv_msg_from_wbuf(SPICE_MSG_DISPLAY_DRAW_COPY, &w);
    fsrv_offscreen_mark(m, id, b);
    return m;
}

void fsrv_offscreen_mark(struct fsrv_msg *m, uint32_t id, const pixman_box32_t *b)
{
    if (!m)
        return;
    m->surface_id = id;
    m->offscreen_draw = 1;
    m->box = *b;
}

void fsrv_offscreen_send_region(struct fsrv_chan *c, uint32_t id, pixman_region32_t *rg)
{
    const struct fsrv_offscreen *o = find(c->srv, c->id, id);
    const pixman_box32_t *b;
    int n;

    if (!o)
        return;
    pixman_region32_intersect_rect(rg, rg, 0, 0, (unsigned)o->width, (unsigned)o->height);
    b = pixman_region32_rectangles(rg, &n);
    for (int i = 0; i < n; i++) {
        struct fsrv_msg *m = pixels_msg(id, o, &b[i]);

        if (!m) {
            fsrv_chan_close(c, "out of memory");
            return;
        }
        fsrv_chan_send(c, m);
        fsrv_msg_unref(m);
    }
}

void fsrv_offscreen_client_sync(struct fsrv_chan *c)
{
    struct fsrv_offscreen **t = c->srv->offscreen[c->id];

    for (uint32_t id = 1; t && id < FLOE_SERVER_MAX_SURFACES; id++) {
        struct fsrv_msg *m;
        pixman_region32_t all;

        if (!t[id])
            continue;
        if (!(m = create_msg(id, t[id]))) {
            fsrv_chan_close(c, "out of memory");
            return;
        }
        fsrv_chan_send(c, m);
        fsrv_msg_unref(m);
        pixman_region32_init_rect(&all, 0, 0, (unsigned)t[id]->width, (unsigned)t[id]->height);
        fsrv_offscreen_send_region(c, id, &all);
        pixman_region32_fini(&all);
    }
}

static struct fsrv_msg *destroy_msg(uint32_t id)
{
    struct floe_wbuf w;
    struct fsrv_msg *m;

    floe_wbuf_init(&w, 0);
    spice_surface_destroy_put(&w, &(struct spice_surface_destroy){ .surface_id = id });
    m = fsrv_msg_from_wbuf(SPICE_MSG_DISPLAY_SURFACE_DESTROY, &w);
    if (m)
        m->surface_id = id;
    return m;
}

void fsrv_offscreen_client_drop(struct fsrv_chan *c)
{
    struct fsrv_offscreen **t = c->srv->offscreen[c->id];

    for (uint32_t id = 1; t && id < FLOE_SERVER_MAX_SURFACES; id++) {
        struct fsrv_msg *m;

        if (!t[id])
            continue;
        if (!(m = destroy_msg(id))) {
            fsrv_chan_close(c, "out of memory");
            return;
        }
        fsrv_chan_send(c, m);
        fsrv_msg_unref(m);
    }
}

static uint64_t bytes_of(struct fsrv_offscreen **t)
{
    uint64_t n = 0;

    for (uint32_t id = 1; t && id < FLOE_SERVER_MAX_SURFACES; id++)
        if (t[id])
            n += (uint64_t)t[id]->width * (uint64_t)t[id]->height * 4;
    return n;
}

int floe_server_offscreen_create(struct floe_server *s, uint32_t monitor, uint32_t id, int width,
                                 int height, void *pixels, int stride,
                                 enum floe_surface_format format)
{
    struct fsrv_offscreen *o;
    int bpp;

    if (monitor >= (uint32_t)s->monitors || id == 0 || id >= FLOE_SERVER_MAX_SURFACES ||
        (unsigned)format >= sizeof(formats) / sizeof(formats[0]))
        return -EINVAL;
    bpp = PIXMAN_FORMAT_BPP(formats[format].pixman) / 8;
    if (width <= 0 || height <= 0 || width > 8192 || height > 8192 || !pixels ||
        stride % 4 || (stride < 0 ? -stride : stride) < width * bpp)
        return -EINVAL;
    floe_server_offscreen_destroy(s, monitor, id);
    if (bytes_of(s->offscreen[monitor]) + (uint64_t)width * (uint64_t)height * 4 >
        OFFSCREEN_BYTES)
        return -ENOSPC;
    if (!s->offscreen[monitor] &&
        !(s->offscreen[monitor] = calloc(FLOE_SERVER_MAX_SURFACES, sizeof(*s->offscreen[0]))))
        return -ENOMEM;
    o = calloc(1, sizeof(*o));
    if (!o)
        return -ENOMEM;
    o->width = width;
    o->height = height;
    o->spice_format = formats[format].spice;
    o->image = pixman_image_create_bits(formats[format].pixman, width, height, pixels, stride);
    if (!o->image) {
        free(o);
        return -ENOMEM;
    }
    s->offscreen[monitor][id] = o;
    s->stats.offscreen_surfaces++;
    fsrv_display_broadcast(s, (int)monitor, create_msg(id, o));
    return 0;
}

void floe_server_offscreen_destroy(struct floe_server *s, uint32_t monitor, uint32_t id)
{
    struct fsrv_offscreen *o = find(s, monitor, id);

    if (!o)
        return;
    fsrv_display_broadcast(s, (int)monitor, destroy_msg(id));
    pixman_image_unref(o->image);
    free(o);
    s->offscreen[monitor][id] = NULL;
    s->stats.offscreen_surfaces--;
}

void floe_server_offscreen_update(struct floe_server *s, uint32_t monitor, uint32_t id,
                                  const struct floe_rect *r)
{
    struct fsrv_offscreen *o = find(s, monitor, id);
    pixman_box32_t b;

    if (!o)
        return;
    b.x1 = r->x < 0 ? 0 : r->x;
    b.y1 = r->y < 0 ? 0 : r->y;
    b.x2 = r->x + r->w > o->width ? o->width : r->x + r->w;
    b.y2 = r->y + r->h > o->height ? o->height : r->y + r->h;
    if (r->w <= 0 || r->h <= 0 || b.x1 >= b.x2 || b.y1 >= b.y2)
        return;
    fsrv_display_broadcast(s, (int)monitor, pixels_msg(id, o, &b));
}

int fsrv_offscreen_size(struct floe_server *s, uint32_t monitor, uint32_t id, int *w, int *h)
{
    const struct fsrv_offscreen *o = find(s, monitor, id);

    if (!o)
        return -ENOENT;
    *w = o->width;
    *h = o->height;
    return 0;
}

void fsrv_offscreen_free_all(struct floe_server *s)
{
    for (int k = 0; k < FLOE_SERVER_MAX_MONITORS; k++) {
        struct fsrv_offscreen **t = s->offscreen[k];

        for (uint32_t id = 1; t && id < FLOE_SERVER_MAX_SURFACES; id++)
            if (t[id]) {
                pixman_image_unref(t[id]->image);
                free(t[id]);
            }
        free(t);
        s->offscreen[k] = NULL;
    }
}
