/* What each display client holds lossy (JPEG pictures, video frames, and
 * what it made from them), kept as its messages are written, and sent
 * again losslessly, a bounded amount at a time, once its link is fast. */
#include <stdlib.h>

#include "common/log.h"
#include "protocol/spice/draw.h"
#include "server/internal.h"

/* at most this many pixels sent again per client and second (2 MB raw,
 * less once coded): a link that just came back is not flooded */
#define REFRESH_PIXELS (512u << 10)
/* bytes still on their way that make a link busy: no refresh then */
#define BUSY_BYTES (64u << 10)

struct fsrv_lossy {
    pixman_region32_t rg;   /* on the client's surface 0 */
};

struct fsrv_lossy *fsrv_lossy_new(void)
{
    struct fsrv_lossy *l = calloc(1, sizeof(*l));

    if (l)
        pixman_region32_init(&l->rg);
    return l;
}

void fsrv_lossy_free(struct fsrv_lossy *l)
{
    if (!l)
        return;
    pixman_region32_fini(&l->rg);
    free(l);
}

const pixman_region32_t *fsrv_lossy_region(const struct fsrv_lossy *l)
{
    return &l->rg;
}

uint64_t fsrv_lossy_pixels(const struct fsrv_lossy *l)
{
    int n;
    const pixman_box32_t *b;
    uint64_t px = 0;

    if (!l)
        return 0;
    b = pixman_region32_rectangles((pixman_region32_t *)&l->rg, &n);
    for (int i = 0; i < n; i++)
        px += (uint64_t)(b[i].x2 - b[i].x1) * (uint64_t)(b[i].y2 - b[i].y1);
    return px;
}

void fsrv_lossy_image(struct fsrv_lossy *l, const pixman_box32_t *b, int lossy)
{
    if (!l || b->x1 >= b->x2 || b->y1 >= b->y2)
        return;
    if (lossy)
        pixman_region32_union_rect(&l->rg, &l->rg, b->x1, b->y1, (unsigned)(b->x2 - b->x1),
                                   (unsigned)(b->y2 - b->y1));
    else if (pixman_region32_not_empty(&l->rg))
        pixman_region32_subtract(&l->rg, &l->rg,
                                 &(pixman_region32_t){ .extents = *b, .data = NULL });
}

/* The pixels a draw may change: its box within its clip. */
static void draw_area(const struct spice_display_base *base, pixman_region32_t *out)
{
    const struct spice_rect *r = &base->box;

    pixman_region32_init(out);
    if (r->left >= r->right || r->top >= r->bottom)
        return;
    pixman_region32_union_rect(out, out, r->left, r->top, (unsigned)(r->right - r->left),
                               (unsigned)(r->bottom - r->top));
    if (base->clip.type == SPICE_CLIP_RECTS) {
        pixman_region32_t clip;

        pixman_region32_init(&clip);
        for (uint32_t i = 0; i < base->clip.num_rects; i++) {
            struct spice_rect c;

            spice_clip_rect(&base->clip, i, &c);
            if (c.left < c.right && c.top < c.bottom)
                pixman_region32_union_rect(&clip, &clip, c.left, c.top,
                                           (unsigned)(c.right - c.left),
                                           (unsigned)(c.bottom - c.top));
        }
        pixman_region32_intersect(out, out, &clip);
        pixman_region32_fini(&clip);
    }
}

/* The area becomes lossy (1), exact (0), or stays as it was (-1). */
static void apply(struct fsrv_lossy *l, const struct spice_display_base *base, int lossy)
{
    pixman_region32_t a;

    if (base->surface_id != 0 || lossy < 0 || (!lossy && !pixman_region32_not_empty(&l->rg)))
        return;
    draw_area(base, &a);
    if (lossy)
        pixman_region32_union(&l->rg, &l->rg, &a);
    else
        pixman_region32_subtract(&l->rg, &l->rg, &a);
    pixman_region32_fini(&a);
}

static int lossy_image_type(uint8_t type)
{
    return type == SPICE_IMAGE_JPEG || type == SPICE_IMAGE_JPEG_ALPHA;
}

/* An image whose pixels are exact: decoded as sent, from the client's
 * cache, which holds no lossy picture (display/encode.c), or an off-screen
 * surface, which only ever gets LZ pictures and draw messages
 * (display/offscreen.c); the primary read as a SURFACE may be lossy. */
static int exact_image(const struct spice_image *img)
{
    switch (img->desc.type) {
    case SPICE_IMAGE_SURFACE:
        return img->aux != 0;
    case SPICE_IMAGE_BITMAP:
    case SPICE_IMAGE_QUIC:
    case SPICE_IMAGE_LZ_PLT:
    case SPICE_IMAGE_LZ_RGB:
    case SPICE_IMAGE_GLZ_RGB:
    case SPICE_IMAGE_FROM_CACHE:
    case SPICE_IMAGE_FROM_CACHE_LOSSLESS:
    case SPICE_IMAGE_ZLIB_GLZ_RGB:
    case SPICE_IMAGE_LZ4:
        return 1;
    default:
        return 0;
    }
}

/* A DRAW_COPY: a picture from the encoder (its box in its body) or a
 * producer's COPY. A lossy image makes its area lossy; an exact one put
 * in place (no mask, no raster operation reading the destination) makes it
 * exact; otherwise the result is as lossy as the destination was. */
static void draw_copy(struct fsrv_lossy *l, const struct fsrv_msg *m)
{
    struct spice_draw_copy dc;

    if (spice_draw_copy_parse(m->body, m->len, &dc) < 0)
        return;
    if (lossy_image_type(dc.image.desc.type))
        apply(l, &dc.base, 1);
    else if (dc.rop == SPICE_ROPD_OP_PUT && !dc.mask.bitmap &&
             exact_image(&dc.image))
        apply(l, &dc.base, 0);
}

/* A DRAW_FILL that puts a brush (a colour, or a pattern: draw operations'
 * images are LZ, display/op-image.c) without a mask reads nothing lossy. */
static void draw_fill(struct fsrv_lossy *l, const struct fsrv_msg *m)
{
    struct spice_draw_fill f;

    if (spice_draw_fill_parse(m->body, m->len, &f) < 0)
        return;
    if (f.rop == SPICE_ROPD_OP_PUT && !f.mask.bitmap &&
        (f.brush.type == SPICE_BRUSH_SOLID ||
         (f.brush.type == SPICE_BRUSH_PATTERN && exact_image(&f.brush.image))))
        apply(l, &f.base, 0);
}

static void draw_mask_only(struct fsrv_lossy *l, const struct fsrv_msg *m)
{
    struct spice_draw_mask_only mo;

    if (spice_draw_mask_only_parse(m->body, m->len, &mo) < 0)
        return;
    apply(l, &mo.base, mo.mask.bitmap ? -1 : 0);
}

/* COPY_BITS: each pixel of the area is now as lossy as its source was. */
static void copy_bits(struct fsrv_lossy *l, const struct fsrv_msg *m)
{
    struct spice_copy_bits cb;
    pixman_region32_t a, moved;

    if (spice_copy_bits_parse(m->body, m->len, &cb) < 0 || cb.base.surface_id != 0)
        return;
    draw_area(&cb.base, &a);
    pixman_region32_init(&moved);
    pixman_region32_copy(&moved, &l->rg);
    pixman_region32_translate(&moved, cb.base.box.left - cb.src_pos.x,
                              cb.base.box.top - cb.src_pos.y);
    pixman_region32_intersect(&moved, &moved, &a);
    pixman_region32_subtract(&l->rg, &l->rg, &a);
    pixman_region32_union(&l->rg, &l->rg, &moved);
    pixman_region32_fini(&moved);
    pixman_region32_fini(&a);
}

static void surface_changed(struct fsrv_lossy *l, const struct fsrv_msg *m)
{
    struct floe_rbuf r;
    struct spice_surface_destroy sd;

    /* SURFACE_CREATE begins with the surface's id as SURFACE_DESTROY does */
    floe_rbuf_init(&r, m->body, m->len);
    spice_surface_destroy_get(&r, &sd);
    if (!r.bad && sd.surface_id == 0)
        pixman_region32_clear(&l->rg);
}

void fsrv_lossy_written(struct fsrv_lossy *l, const struct fsrv_msg *m)
{
    if (!l || !m)
        return;
    if (m->frame) {
        /* a video frame: lossy wherever it lands (its stream's box) */
        if (m->has_box)
            fsrv_lossy_image(l, &m->box, 1);
        return;
    }
    switch (m->type) {
    case SPICE_MSG_DISPLAY_SURFACE_CREATE:
    case SPICE_MSG_DISPLAY_SURFACE_DESTROY:
        surface_changed(l, m);
        return;
    case SPICE_MSG_DISPLAY_DRAW_COPY:
        draw_copy(l, m);
        return;
    default:
        break;
    }
    /* the rest only ever makes lossy pixels exact or moves them */
    if (!pixman_region32_not_empty(&l->rg))
        return;
    switch (m->type) {
    case SPICE_MSG_DISPLAY_COPY_BITS:
        copy_bits(l, m);
        break;
    case SPICE_MSG_DISPLAY_DRAW_FILL:
        draw_fill(l, m);
        break;
    case SPICE_MSG_DISPLAY_DRAW_BLACKNESS:
    case SPICE_MSG_DISPLAY_DRAW_WHITENESS:
        draw_mask_only(l, m);
        break;
    default:
        /* INVERS, BLEND, ROP3, OPAQUE, TEXT, STROKE, ...: they read the
         * destination (or may leave parts of it): lossy where it was */
        break;
    }
}

/* Whether nothing waits to go to c: its queue, the writes under way and
 * what its socket has not sent yet. */
static int quiet(struct fsrv_chan *c)
{
    uint64_t acked;
    uint32_t unsent = 0;

    if (c->head || c->held != HELD_NO || c->inflight_bytes >= BUSY_BYTES || c->closing)
        return 0;
    return fsrv_chan_tcp_info(c, &acked, &unsent) < 0 || unsent < BUSY_BYTES;
}

/* Takes up to max_pixels of l's area outside `keep` into out: whole
 * rectangles, and the first rows of the one that does not fit. */
static void take(struct fsrv_lossy *l, const pixman_box32_t *keep, uint64_t max_pixels,
                 pixman_region32_t *out)
{
    pixman_region32_t avail;
    const pixman_box32_t *b;
    uint64_t left = max_pixels;
    int n;

    pixman_region32_init(&avail);
    pixman_region32_copy(&avail, &l->rg);
    if (keep && keep->x1 < keep->x2 && keep->y1 < keep->y2)
        pixman_region32_subtract(&avail, &avail,
                                 &(pixman_region32_t){ .extents = *keep, .data = NULL });
    b = pixman_region32_rectangles(&avail, &n);
    for (int i = 0; i < n && left > 0; i++) {
        uint64_t w = (uint64_t)(b[i].x2 - b[i].x1);
        uint64_t rows = left / w;

        if (rows > (uint64_t)(b[i].y2 - b[i].y1))
            rows = (uint64_t)(b[i].y2 - b[i].y1);
        if (rows == 0)
            break;
        pixman_region32_union_rect(out, out, b[i].x1, b[i].y1, (unsigned)w, (unsigned)rows);
        left -= rows * w;
    }
    pixman_region32_fini(&avail);
    pixman_region32_subtract(&l->rg, &l->rg, out);
}

int fsrv_lossy_refresh(struct fsrv_chan *c, uint64_t max_pixels)
{
    struct floe_server *s = c->srv;
    const struct fsrv_surface *sf = &s->primary[c->id];
    const struct fsrv_stream *st = &s->stream[c->id];
    pixman_region32_t out;
    const pixman_box32_t *b;
    int n;

    if (!c->lossy || !sf->image)
        return 0;
    /* the surface may have shrunk since */
    pixman_region32_intersect_rect(&c->lossy->rg, &c->lossy->rg, 0, 0, (unsigned)sf->width,
                                   (unsigned)sf->height);
    pixman_region32_init(&out);
    /* a running stream's area is the stream's: it ends with exact pixels */
    take(c->lossy, st->active ? &st->box : NULL, max_pixels, &out);
    b = pixman_region32_rectangles(&out, &n);
    for (int i = 0; i < n; i++) {
        struct fsrv_msg *m = fsrv_image_msg_new(c->id, &b[i],
                                                sf->pixels + (size_t)b[i].y1 * sf->width + b[i].x1,
                                                sf->width * 4);

        fsrv_image_msg_lossless(m);
        fsrv_chan_send(c, m);
        fsrv_msg_unref(m);
        s->stats.lossless_refresh++;
        s->stats.lossless_refresh_pixels += (uint64_t)(b[i].x2 - b[i].x1) * (b[i].y2 - b[i].y1);
    }
    pixman_region32_fini(&out);
    if (n)
        floe_debug("%s: display %u: %d lossy rectangles sent again losslessly", c->peer, c->id, n);
    return n;
}

void fsrv_lossy_tick(struct floe_server *s)
{
    for (struct fsrv_session *ss = s->sessions; ss; ss = ss->next)
        for (int k = 0; k < FLOE_SERVER_MAX_MONITORS; k++) {
            struct fsrv_chan *c = ss->display[k];

            /* only once pictures no longer go lossy to it, and while its
             * link has nothing else to carry */
            if (!c || !c->model_synced || !c->lossy || !pixman_region32_not_empty(&c->lossy->rg) ||
                fsrv_display_enc_lossy(c) || !quiet(c))
                continue;
            fsrv_lossy_refresh(c, REFRESH_PIXELS);
        }
}
