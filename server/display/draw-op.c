/* Draw operations from a producer (floe_server_draw): rendered into the
 * monitor's surface with floe's renderer, and sent to the clients as the
 * SPICE draw message that says the same when one can (offload: the client
 * renders it as the server did; its images LZ-compressed, one encoding for
 * every client), else as the pixels the operation changed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/raster.h"
#include "common/log.h"
#include "server/internal.h"

/* Whether op can go as a draw message at all: its mask is 1-bit, its glyphs
 * fit the wire, a dashed stroke has its dashes, a surface it reads is one
 * of the monitor's off-screen surfaces (*src_id; the clients have those and
 * the monitors' own, and the primary they show may be lossy). Its images
 * may still be refused (too large): see held. */
static int offloadable(struct floe_server *s, int monitor, const struct floe_raster_op *op,
                       uint32_t *src_id)
{
    *src_id = 0;
    if (op->src && op->src_surface && !(*src_id = fsrv_offscreen_of(s, monitor, op->src)))
        return 0;
    if (op->mask.bits && (pixman_image_get_format(op->mask.bits) != PIXMAN_a1 ||
                          op->kind == FLOE_RASTER_TEXT || op->kind == FLOE_RASTER_STROKE ||
                          op->kind == FLOE_RASTER_COPY_BITS))
        return 0;
    switch (op->kind) {
    case FLOE_RASTER_FILL:
    case FLOE_RASTER_BLACKNESS:
    case FLOE_RASTER_WHITENESS:
    case FLOE_RASTER_INVERS:
    case FLOE_RASTER_COPY_BITS:
        return 1;
    case FLOE_RASTER_OPAQUE:
    case FLOE_RASTER_COPY:
    case FLOE_RASTER_BLEND:
    case FLOE_RASTER_ROP3:
    case FLOE_RASTER_TRANSPARENT:
    case FLOE_RASTER_ALPHA_BLEND:
        return op->src != NULL;
    case FLOE_RASTER_COMPOSITE:
        return op->src && op->src_origin_x >= INT16_MIN &&
               op->src_origin_x <= INT16_MAX && op->src_origin_y >= INT16_MIN &&
               op->src_origin_y <= INT16_MAX && op->mask_origin_x >= INT16_MIN &&
               op->mask_origin_x <= INT16_MAX && op->mask_origin_y >= INT16_MIN &&
               op->mask_origin_y <= INT16_MAX &&
               (!(op->composite_flags & SPICE_COMPOSITE_HAS_MASK) || op->composite_mask);
    case FLOE_RASTER_TEXT:
        for (uint32_t i = 0; i < op->n_glyphs; i++)
            if (op->glyphs[i].w < 0 || op->glyphs[i].w > UINT16_MAX || op->glyphs[i].h < 0 ||
                op->glyphs[i].h > UINT16_MAX)
                return 0;
        /* A8 glyphs go as pixels: the reference client reads each one's
         * rows one off (its first from past the glyph's data) */
        return op->n_glyphs <= UINT16_MAX && (op->glyph_bpp == 1 || op->glyph_bpp == 4);
    case FLOE_RASTER_STROKE:
        return !(op->line_flags & SPICE_LINE_FLAGS_STYLED) || (op->style_nseg && op->styles);
    default:
        return 0;
    }
}

/* What a message's images hold while it is built; an image past
 * max_pixels (or out of memory) refuses the message: the pixels go. */
struct held {
    uint8_t *buf[6];
    int n;
    size_t max_pixels;
    int refused;
};

static struct spice_image image_of(struct held *h, pixman_image_t *img)
{
    struct spice_image out = { 0 };
    uint8_t *data = NULL;

    if (h->refused || h->n == (int)(sizeof(h->buf) / sizeof(h->buf[0])) ||
        fsrv_op_image(img, h->max_pixels, &out, &data) < 0) {
        h->refused = 1;
        return out;
    }
    h->buf[h->n++] = data;
    return out;
}

static void held_free(struct held *h)
{
    for (int i = 0; i < h->n; i++)
        free(h->buf[i]);
}

static struct spice_rect rect_of(const struct floe_raster_rect *r)
{
    return (struct spice_rect){ .left = r->left, .top = r->top, .right = r->right,
                                .bottom = r->bottom };
}

static struct spice_brush brush_of(struct held *h, const struct floe_raster_brush *b)
{
    if (b->kind == FLOE_RASTER_BRUSH_PATTERN)
        return (struct spice_brush){ .type = SPICE_BRUSH_PATTERN, .pat = 1,
                                     .pos = { b->x0, b->y0 },
                                     .image = image_of(h, b->pattern) };
    return (struct spice_brush){ .type = b->kind == FLOE_RASTER_BRUSH_SOLID ? SPICE_BRUSH_SOLID :
                                                                                SPICE_BRUSH_NONE,
                                 .color = b->color };
}

static struct spice_transform transform_of(const int32_t t[6])
{
    return (struct spice_transform){ (uint32_t)t[0], (uint32_t)t[1], (uint32_t)t[2],
                                     (uint32_t)t[3], (uint32_t)t[4], (uint32_t)t[5] };
}

static uint8_t string_flags(int bpp)
{
    return bpp == 1 ? SPICE_STRING_FLAGS_RASTER_A1 :
           bpp == 4 ? SPICE_STRING_FLAGS_RASTER_A4 : SPICE_STRING_FLAGS_RASTER_A8;
}

/* The glyphs of a TEXT in wire form, into g (each placed by its render
 * position, with no origin offset). */
static void glyphs_put(struct floe_wbuf *g, const struct floe_raster_op *op)
{
    for (uint32_t i = 0; i < op->n_glyphs; i++) {
        const struct floe_raster_glyph *gl = &op->glyphs[i];
        size_t row = ((size_t)gl->w * (size_t)op->glyph_bpp + 7) / 8;

        spice_glyph_put(g, &(struct spice_glyph){ .render_pos = { gl->x, gl->y },
                                                  .width = (uint16_t)gl->w,
                                                  .height = (uint16_t)gl->h,
                                                  .data = gl->rows,
                                                  .data_len = row * (size_t)gl->h });
    }
}

/* The path of a STROKE in wire form, into p. */
static void path_put(struct floe_wbuf *p, const struct floe_raster_op *op, uint32_t *count)
{
    struct spice_point pts[64];

    for (uint32_t i = 0; i < op->n_segs; i++) {
        const struct floe_raster_seg *s = &op->segs[i];
        struct spice_point *pt = s->count <= 64 ? pts : calloc(s->count, sizeof(*pt));

        if (!pt) {
            p->failed = 1;
            return;
        }
        for (uint32_t k = 0; k < s->count; k++)
            pt[k] = (struct spice_point){ s->points[k].x, s->points[k].y };
        spice_path_seg_put(p, (uint8_t)s->flags, s->count, pt);
        if (pt != pts)
            free(pt);
    }
    *count = op->n_segs;
}

/* A mask's bits as a top-down 1BIT_BE BITMAP (the layout drivers send and
 * every client reads), its rows held in h. */
static struct spice_mask mask_of(struct held *h, const struct floe_raster_mask *m)
{
    struct spice_mask out = { 0 };
    int w, height, stride;
    size_t row;
    const uint8_t *src;
    uint8_t *rows;

    if (!m->bits || h->refused)
        return out;
    w = pixman_image_get_width(m->bits);
    height = pixman_image_get_height(m->bits);
    /* a mask far larger than what the draw changes goes as pixels too */
    if ((size_t)w * (size_t)height > h->max_pixels) {
        h->refused = 1;
        return out;
    }
    stride = pixman_image_get_stride(m->bits);
    src = (const uint8_t *)pixman_image_get_data(m->bits);
    row = ((size_t)w + 7) / 8;
    rows = calloc(row * (size_t)height + 1, 1);
    if (!rows || h->n == (int)(sizeof(h->buf) / sizeof(h->buf[0]))) {
        free(rows);
        h->refused = 1;
        return out;
    }
    h->buf[h->n++] = rows;
    /* pixman's a1 holds pixel x in bit x % 8 of byte x / 8 (little-endian words) */
    for (int y = 0; y < height; y++)
        for (int x = 0; x < w; x++)
            if (src[(size_t)y * stride + x / 8] & (1u << (x % 8)))
                rows[(size_t)y * row + x / 8] |= (uint8_t)(0x80u >> (x % 8));
    out.flags = m->invert ? SPICE_MASK_FLAGS_INVERS : 0;
    out.pos = (struct spice_point){ m->x0, m->y0 };
    out.bitmap = 1;   /* any non-zero: the encoder writes the image */
    out.image = (struct spice_image){
        .desc = { .type = SPICE_IMAGE_BITMAP, .width = (uint32_t)w, .height = (uint32_t)height },
        .bitmap = { .format = SPICE_BITMAP_1BIT_BE, .flags = SPICE_BITMAP_TOP_DOWN,
                    .x = (uint32_t)w, .y = (uint32_t)height, .stride = (uint32_t)row },
        .data = rows,
        .data_len = row * (size_t)height,
    };
    return out;
}

/* The draw message for an offloadable op on surface `surface` of a
 * channel, its clip `rects` (n of them; NULL: none), its images each at
 * most max_pixels; its source `src_as` when given (a surface, or an image
 * from the cache), else op's image, named src_desc_id. NULL when an image
 * is refused or memory runs out. */
static struct fsrv_msg *op_msg(const struct floe_raster_op *op, uint32_t surface,
                               const struct spice_image *src_as, uint64_t src_desc_id,
                               const struct spice_rect *rects, uint32_t n, size_t max_pixels)
{
    struct spice_display_base base = {
        .surface_id = surface,
        .box = rect_of(&op->bbox),
        .clip = { .type = rects ? SPICE_CLIP_RECTS : SPICE_CLIP_NONE, .num_rects = n },
    };
    struct held h = { .max_pixels = max_pixels };
    struct spice_rect area = rect_of(&op->src_area);
    struct spice_image src = { 0 };
    struct spice_mask mask = mask_of(&h, &op->mask);
    struct floe_wbuf w, aux;
    uint16_t type = 0;

    if (src_as) {
        src = *src_as;
    } else if (op->src && op->kind != FLOE_RASTER_COPY_BITS) {
        src = image_of(&h, op->src);
        src.desc.id = src_desc_id;
    }
    floe_wbuf_init(&w, 0);
    floe_wbuf_init(&aux, 0);
    switch (op->kind) {
    case FLOE_RASTER_FILL:
        type = SPICE_MSG_DISPLAY_DRAW_FILL;
        spice_draw_fill_brush_put(&w, 0,
                                  &(struct spice_draw_fill){ .base = base,
                                                             .brush = brush_of(&h, &op->brush),
                                                             .rop = op->rop_descriptor,
                                                             .mask = mask },
                                  rects);
        break;
    case FLOE_RASTER_BLACKNESS:
    case FLOE_RASTER_WHITENESS:
    case FLOE_RASTER_INVERS:
        type = op->kind == FLOE_RASTER_BLACKNESS ? SPICE_MSG_DISPLAY_DRAW_BLACKNESS :
               op->kind == FLOE_RASTER_WHITENESS ? SPICE_MSG_DISPLAY_DRAW_WHITENESS :
                                                   SPICE_MSG_DISPLAY_DRAW_INVERS;
        spice_draw_mask_only_put(&w, 0,
                                 &(struct spice_draw_mask_only){ .base = base, .mask = mask },
                                 rects);
        break;
    case FLOE_RASTER_COPY_BITS:
        type = SPICE_MSG_DISPLAY_COPY_BITS;
        spice_copy_bits_put(&w, &base, rects, (struct spice_point){ op->src_x, op->src_y });
        break;
    case FLOE_RASTER_OPAQUE:
        type = SPICE_MSG_DISPLAY_DRAW_OPAQUE;
        spice_draw_opaque_put(&w, 0,
                              &(struct spice_draw_opaque){ .base = base, .src_bitmap = 1,
                                                           .src_area = area,
                                                           .brush = brush_of(&h, &op->brush),
                                                           .rop = op->rop_descriptor,
                                                           .scale_mode = op->scale_mode,
                                                           .mask = mask, .image = src },
                              rects);
        break;
    case FLOE_RASTER_COPY:
    case FLOE_RASTER_BLEND:
        type = op->kind == FLOE_RASTER_COPY ? SPICE_MSG_DISPLAY_DRAW_COPY :
                                              SPICE_MSG_DISPLAY_DRAW_BLEND;
        spice_draw_copy_put(&w, 0,
                            &(struct spice_draw_copy){ .base = base, .src_bitmap = 1,
                                                       .src_area = area,
                                                       .rop = op->rop_descriptor,
                                                       .scale_mode = op->scale_mode,
                                                       .mask = mask, .image = src },
                            rects);
        break;
    case FLOE_RASTER_ROP3:
        type = SPICE_MSG_DISPLAY_DRAW_ROP3;
        spice_draw_rop3_put(&w, 0,
                            &(struct spice_draw_rop3){ .base = base, .src_bitmap = 1,
                                                       .src_area = area,
                                                       .brush = brush_of(&h, &op->brush),
                                                       .rop3 = op->rop3,
                                                       .scale_mode = op->scale_mode,
                                                       .mask = mask, .image = src },
                            rects);
        break;
    case FLOE_RASTER_TRANSPARENT:
        type = SPICE_MSG_DISPLAY_DRAW_TRANSPARENT;
        spice_draw_transparent_put(&w, 0,
                                   &(struct spice_draw_transparent){
                                       .base = base, .src_bitmap = 1, .src_area = area,
                                       .src_color = op->transparent_color,
                                       .true_color = op->transparent_color, .image = src },
                                   rects);
        break;
    case FLOE_RASTER_ALPHA_BLEND:
        type = SPICE_MSG_DISPLAY_DRAW_ALPHA_BLEND;
        spice_draw_alpha_blend_put(&w, 0,
                                   &(struct spice_draw_alpha_blend){
                                       .base = base, .alpha_flags = op->alpha_flags,
                                       .alpha = op->alpha, .src_bitmap = 1, .src_area = area,
                                       .image = src },
                                   rects);
        break;
    case FLOE_RASTER_COMPOSITE: {
        int has_mask = (op->composite_flags & SPICE_COMPOSITE_HAS_MASK) != 0;

        type = SPICE_MSG_DISPLAY_DRAW_COMPOSITE;
        spice_draw_composite_put(
            &w, 0,
            &(struct spice_draw_composite){
                .base = base, .flags = op->composite_flags, .src_bitmap = 1,
                .mask_bitmap = has_mask ? 1 : 0,
                .src_transform = transform_of(op->src_transform),
                .mask_transform = transform_of(op->mask_transform),
                .src_origin = { (int16_t)op->src_origin_x, (int16_t)op->src_origin_y },
                .mask_origin = { (int16_t)op->mask_origin_x, (int16_t)op->mask_origin_y },
                .image = src,
                .mask_image = has_mask ? image_of(&h, op->composite_mask) :
                                         (struct spice_image){ .data = NULL } },
            rects);
        break;
    }
    case FLOE_RASTER_TEXT:
        type = SPICE_MSG_DISPLAY_DRAW_TEXT;
        glyphs_put(&aux, op);
        spice_draw_text_put(
            &w, 0,
            &(struct spice_draw_text){
                .base = base,
                .str = { (uint16_t)op->n_glyphs, string_flags(op->glyph_bpp), aux.data, aux.len },
                .back_area = rect_of(&op->back_area),
                .fore_brush = brush_of(&h, &op->brush),
                .back_brush = brush_of(&h, &op->back_brush),
                .fore_mode = op->fore_mode,
                .back_mode = SPICE_ROPD_OP_PUT },
            rects);
        break;
    case FLOE_RASTER_STROKE: {
        uint32_t segs = 0;

        type = SPICE_MSG_DISPLAY_DRAW_STROKE;
        path_put(&aux, op, &segs);
        spice_draw_stroke_put(&w, 0,
                              &(struct spice_draw_stroke){
                                  .base = base,
                                  .path = { segs, aux.data, aux.len },
                                  .attr = { .flags = op->line_flags,
                                            .style_nseg = op->style_nseg,
                                            .styles = op->styles },
                                  .brush = brush_of(&h, &op->brush),
                                  .fore_mode = op->fore_mode,
                                  .back_mode = SPICE_ROPD_OP_PUT },
                              rects);
        break;
    }
    default:
        w.failed = 1;
        break;
    }
    if (aux.failed || h.refused)
        w.failed = 1;
    floe_wbuf_free(&aux);
    held_free(&h);
    return fsrv_msg_from_wbuf(type, &w);
}

/* Whether op's source image may go through the clients' image caches: a
 * 32-bit image, the only one the message carries. */
static int cacheable(const struct floe_raster_op *op)
{
    pixman_format_code_t fmt;

    if (!op->src || op->src_surface || op->brush.kind == FLOE_RASTER_BRUSH_PATTERN)
        return 0;
    switch (op->kind) {
    case FLOE_RASTER_COMPOSITE:
        if (op->composite_flags & SPICE_COMPOSITE_HAS_MASK)
            return 0;
        break;
    case FLOE_RASTER_OPAQUE:
    case FLOE_RASTER_COPY:
    case FLOE_RASTER_BLEND:
    case FLOE_RASTER_ROP3:
    case FLOE_RASTER_TRANSPARENT:
    case FLOE_RASTER_ALPHA_BLEND:
        break;
    default:
        return 0;
    }
    fmt = pixman_image_get_format(op->src);
    return fmt == PIXMAN_x8r8g8b8 || fmt == PIXMAN_a8r8g8b8;
}

/* Where the source image of draw message m lies in its body, or 0. */
static uint32_t src_image_at(const struct fsrv_msg *m)
{
    union {
        struct spice_draw_copy copy;
        struct spice_draw_opaque opaque;
        struct spice_draw_rop3 rop3;
        struct spice_draw_transparent transparent;
        struct spice_draw_alpha_blend alpha_blend;
        struct spice_draw_composite composite;
    } u;

    switch (m->type) {
    case SPICE_MSG_DISPLAY_DRAW_COPY:
    case SPICE_MSG_DISPLAY_DRAW_BLEND:
        return spice_draw_copy_parse(m->body, m->len, &u.copy) ? 0 : u.copy.src_bitmap;
    case SPICE_MSG_DISPLAY_DRAW_OPAQUE:
        return spice_draw_opaque_parse(m->body, m->len, &u.opaque) ? 0 : u.opaque.src_bitmap;
    case SPICE_MSG_DISPLAY_DRAW_ROP3:
        return spice_draw_rop3_parse(m->body, m->len, &u.rop3) ? 0 : u.rop3.src_bitmap;
    case SPICE_MSG_DISPLAY_DRAW_TRANSPARENT:
        return spice_draw_transparent_parse(m->body, m->len, &u.transparent) ? 0 :
                                                                    u.transparent.src_bitmap;
    case SPICE_MSG_DISPLAY_DRAW_ALPHA_BLEND:
        return spice_draw_alpha_blend_parse(m->body, m->len, &u.alpha_blend) ? 0 :
                                                                    u.alpha_blend.src_bitmap;
    case SPICE_MSG_DISPLAY_DRAW_COMPOSITE:
        return spice_draw_composite_parse(m->body, m->len, &u.composite) ? 0 :
                                                                    u.composite.src_bitmap;
    default:
        return 0;
    }
}

/* The draw message for offloadable op on surface `surface` of monitor k:
 * its source named as the off-screen surface it is (src_id), or its image
 * LZ-compressed, with the same message naming that image FROM_CACHE for
 * the clients that have it cached (m->cached). */
static struct fsrv_msg *offload_msg(struct floe_server *s, int k, const struct floe_raster_op *op,
                                    uint32_t surface, uint32_t src_id,
                                    const struct spice_rect *rects, uint32_t n, size_t max_pixels)
{
    struct spice_image as = { .desc = { .width = 0 } };
    struct fsrv_msg *m;
    uint64_t id;

    if (src_id) {
        as.desc = (struct spice_image_desc){ .type = SPICE_IMAGE_SURFACE,
                                             .width = (uint32_t)pixman_image_get_width(op->src),
                                             .height = (uint32_t)pixman_image_get_height(op->src) };
        as.aux = src_id;
        return op_msg(op, surface, &as, 0, rects, n, max_pixels);
    }
    if (!cacheable(op))
        return op_msg(op, surface, NULL, 0, rects, n, max_pixels);
    id = fsrv_op_image_id(op->src, k);
    m = op_msg(op, surface, NULL, id, rects, n, max_pixels);
    if (!m || !(m->cache_img_at = src_image_at(m)))
        return m;
    as.desc = (struct spice_image_desc){ .id = id, .type = SPICE_IMAGE_FROM_CACHE,
                                         .width = (uint32_t)pixman_image_get_width(op->src),
                                         .height = (uint32_t)pixman_image_get_height(op->src) };
    m->cached = op_msg(op, surface, &as, 0, rects, n, max_pixels);
    m->cache_id = id;
    m->cache_pixels = (uint64_t)as.desc.width * as.desc.height;
    return m;
}

/* The clip's rectangles in wire form (*rects NULL when there is no clip). */
static int clip_rects(const struct floe_raster_op *op, struct spice_rect **rects, uint32_t *n)
{
    const pixman_box32_t *b;
    int k;

    *rects = NULL;
    *n = 0;
    if (!op->clip)
        return 0;
    b = pixman_region32_rectangles((pixman_region32_t *)op->clip, &k);
    *rects = calloc(k > 0 ? (size_t)k : 1, sizeof(**rects));
    if (!*rects)
        return -ENOMEM;
    for (int i = 0; i < k; i++)
        (*rects)[i] = (struct spice_rect){ .left = b[i].x1, .top = b[i].y1, .right = b[i].x2,
                                           .bottom = b[i].y2 };
    *n = (uint32_t)k;
    return 0;
}

/* What op may change on a w x h surface: its bbox, clipped to its clip and
 * the surface. */
static void reach(const struct floe_raster_op *op, int w, int h, pixman_region32_t *out)
{
    pixman_region32_init_rect(out, op->bbox.left, op->bbox.top,
                              (unsigned)(op->bbox.right - op->bbox.left),
                              (unsigned)(op->bbox.bottom - op->bbox.top));
    if (op->clip)
        pixman_region32_intersect(out, out, (pixman_region32_t *)op->clip);
    pixman_region32_intersect_rect(out, out, 0, 0, (unsigned)w, (unsigned)h);
}

/* Queues the draw message m (the reference is taken over) for each synced
 * client of the monitor that renders draws, and the pixels of `damage`
 * for those the server renders for. */
static void send_each(struct floe_server *s, int monitor, struct fsrv_msg *m,
                      pixman_region32_t *damage)
{
    for (struct fsrv_session *ss = s->sessions; ss; ss = ss->next) {
        struct fsrv_chan *c = ss->display[monitor];

        if (!c || !c->model_synced)
            continue;
        if (fsrv_display_server_renders(c))
            fsrv_display_send_region(c, damage);
        else
            fsrv_chan_send(c, m);
    }
    fsrv_msg_unref(m);
}

/* The clients draw over what they show: a stream under the area (each of
 * its rectangles: a draw around a window does not touch a video inside
 * it), or under what a COPY_BITS reads, ends first. */
static void touch_streams(struct floe_server *s, int monitor, const struct floe_raster_op *op,
                          pixman_region32_t *area)
{
    int n;
    const pixman_box32_t *b = pixman_region32_rectangles(area, &n);

    for (int i = 0; i < n; i++) {
        fsrv_stream_touch(s, monitor, &b[i]);
        if (op->kind == FLOE_RASTER_COPY_BITS) {
            int dx = op->src_x - op->bbox.left, dy = op->src_y - op->bbox.top;

            fsrv_stream_touch(s, monitor, &(pixman_box32_t){ b[i].x1 + dx, b[i].y1 + dy,
                                                             b[i].x2 + dx, b[i].y2 + dy });
        }
    }
}

static size_t max_image_pixels(pixman_region32_t *damage)
{
    const pixman_box32_t *e = pixman_region32_extents(damage);
    size_t area = (size_t)(e->x2 - e->x1) * (size_t)(e->y2 - e->y1);

    return 4 * (area > 4096 ? area : 4096);
}

int floe_server_draw(struct floe_server *s, uint32_t surface_id, const struct floe_raster_op *op)
{
    struct fsrv_surface *sf;
    pixman_region32_t area, damage;
    const pixman_box32_t *ext;
    struct spice_rect *rects = NULL;
    uint32_t n = 0;
    const char *why = "";
    struct fsrv_msg *m = NULL;
    int k = (int)surface_id, rc;
    uint32_t src_id;

    if (surface_id >= (uint32_t)s->monitors || !s->primary[k].image)
        return -ENOTSUP;
    sf = &s->primary[k];
    if (op->kind == FLOE_RASTER_NOP)
        return 0;
    if (op->bbox.left < 0 || op->bbox.top < 0 || op->bbox.right > sf->width ||
        op->bbox.bottom > sf->height || op->bbox.left > op->bbox.right ||
        op->bbox.top > op->bbox.bottom)
        return -EINVAL;
    reach(op, sf->width, sf->height, &area);
    if (!pixman_region32_not_empty(&area)) {
        pixman_region32_fini(&area);
        return 0;
    }
    touch_streams(s, k, op, &area);
    pixman_region32_init(&damage);
    rc = floe_raster_draw(sf->image, op, &damage, &why);
    if (rc < 0) {
        /* it may be partly drawn: the clients get every pixel it could reach */
        floe_debug("display: a draw not rendered (%s): its area goes as pixels", why);
        pixman_region32_union(&damage, &damage, &area);
    }
    pixman_region32_intersect(&damage, &damage, &area);
    pixman_region32_fini(&area);
    if (!pixman_region32_not_empty(&damage)) {
        pixman_region32_fini(&damage);
        return rc;
    }
    /* an operation's images may hold a few times the pixels it changes
     * (a scaled or tiled source), not a whole screen for a few pixels */
    if (rc == 0 && offloadable(s, k, op, &src_id) && clip_rects(op, &rects, &n) == 0)
        m = offload_msg(s, k, op, 0, src_id, rects, n, max_image_pixels(&damage));
    free(rects);
    if (m) {
        ext = pixman_region32_extents(&damage);
        m->has_box = 1;
        m->box = *ext;
        send_each(s, k, m, &damage);
        s->stats.ops_offloaded++;
    } else {
        fsrv_display_broadcast_pixels(s, k, &damage);
        s->stats.ops_rendered++;
    }
    pixman_region32_fini(&damage);
    return rc;
}

int floe_server_offscreen_draw(struct floe_server *s, uint32_t monitor, uint32_t id,
                               const struct floe_raster_op *op)
{
    pixman_region32_t area;
    struct spice_rect *rects = NULL;
    struct fsrv_msg *m = NULL;
    uint32_t n = 0, src_id;
    int w, h;

    if (fsrv_offscreen_size(s, monitor, id, &w, &h) < 0)
        return -ENOENT;
    if (op->kind == FLOE_RASTER_NOP)
        return 0;
    if (op->bbox.left < 0 || op->bbox.top < 0 || op->bbox.right > w || op->bbox.bottom > h ||
        op->bbox.left > op->bbox.right || op->bbox.top > op->bbox.bottom)
        return -EINVAL;
    reach(op, w, h, &area);
    if (!pixman_region32_not_empty(&area)) {
        pixman_region32_fini(&area);
        return 0;
    }
    if (offloadable(s, (int)monitor, op, &src_id) && clip_rects(op, &rects, &n) == 0)
        m = offload_msg(s, (int)monitor, op, id, src_id, rects, n, max_image_pixels(&area));
    free(rects);
    if (!m) {
        pixman_region32_fini(&area);
        s->stats.ops_rendered++;
        return 1;
    }
    fsrv_offscreen_mark(m, id, pixman_region32_extents(&area));
    pixman_region32_fini(&area);
    fsrv_display_broadcast(s, (int)monitor, m);
    s->stats.ops_offloaded++;
    return 0;
}
