/* qxl_host's ops scenario: a busy background, then one QXL draw operation
 * kind per 128x96 tile, with realistic and edge-case parameters, and
 * off-screen surfaces of 16-bit and A8 pixels drawn on and read. */
#include <stdlib.h>
#include <string.h>

#include "tests/e2e/qxl_host/guest.h"
#include "tests/host/spice-api.h"

/* No picture of qxl_host's own is the reference here: Debian's
 * libspice-server renders every drawable into the surface on update_area
 * (SPICE's software canvas, which its clients share), so the commands must
 * be ones it reads as a guest's driver means them. What it asks of them:
 * - effects: QXL_EFFECT_OPAQUE lets the server drop what a drawable covers
 *   without drawing it, so only draws that read neither the destination
 *   nor a mask say it; every other says QXL_EFFECT_BLEND;
 * - a text with a back_area must have fore_mode OP_PUT (else nothing is
 *   drawn); glyph rows are read bottom-up, A1 bits most significant first;
 * - a ROP3's pattern pos must not lie right of or below its bbox's origin
 *   (the canvas takes the tile offset with C's %);
 * - a mask is a 1-bit bitmap (no palette) and limits the draw to its own
 *   extent, from pos, inverted or not;
 * - palettes carry unique id 0, and images no cache flag, so no draw of a
 *   client depends on an earlier one it may not have understood. */

#define TILE_W 128
#define TILE_H 96
#define INSET 6                   /* each op's bbox: its tile less this much on every side */
#define BOX_W (TILE_W - 2 * INSET)
#define BOX_H (TILE_H - 2 * INSET)

static void die(const char *what)
{
    host_die("qxl_host", what);
}

static QXLRect box(int l, int t, int w, int h)
{
    return (QXLRect){ .top = t, .left = l, .bottom = t + h, .right = l + w };
}

/* A well-mixed hash: the pictures' noise, the same on every run. */
static uint32_t mix(uint32_t a, uint32_t b)
{
    uint32_t h = a * 0x9e3779b1u ^ (b + 0x7f4a7c15u) * 0x85ebca77u;

    h ^= h >> 15;
    h *= 0x2c1b3c6du;
    h ^= h >> 12;
    return h;
}

static void *xmalloc(size_t n)
{
    void *p = calloc(1, n);

    if (!p)
        die("out of memory");
    return p;
}

/* ---- images ---- */

/* A picture: rings over gradients with noise, different per seed. */
static uint32_t picture_px(int x, int y, int w, int h, uint32_t seed)
{
    int dx = x - w / 2, dy = y - h / 2, d2 = dx * dx + dy * dy, r = (w < h ? w : h) / 2;
    uint32_t n = mix((uint32_t)x + seed, (uint32_t)y);
    uint32_t red = (uint32_t)(x * 255 / w) ^ (seed & 0xff), green = (uint32_t)(y * 255 / h);
    uint32_t blue = d2 / (r + 1) % 3 == 0 ? 0xf0 : seed >> 8 & 0xff;

    return ((red << 16 | green << 8 | blue) ^ (n & 0x0f0f0f)) & 0xffffff;
}

static uint64_t image32(int w, int h, uint32_t seed, struct layout lay)
{
    uint32_t *px = xmalloc((size_t)w * h * 4);
    uint64_t a;

    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            px[(size_t)y * w + x] = picture_px(x, y, w, h, seed);
    a = guest_bitmap_image(px, w, h, (size_t)w * 4, SPICE_BITMAP_FMT_32BIT, NULL, 0, 0, lay);
    free(px);
    return a;
}

/* Premultiplied ARGB: alpha ramps left to right, with a fully transparent
 * and a fully opaque block. */
static uint64_t image_argb(int w, int h, uint32_t seed)
{
    uint32_t *px = xmalloc((size_t)w * h * 4);
    uint64_t a;

    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            uint32_t c = picture_px(x, y, w, h, seed), al = (uint32_t)(x * 255 / (w - 1));

            if (x < w / 4 && y < h / 3)
                al = 0;
            else if (x > w / 2 && y > 2 * h / 3)
                al = 255;
            px[(size_t)y * w + x] = al << 24 | (al * (c >> 16 & 0xff) / 255) << 16 |
                                    (al * (c >> 8 & 0xff) / 255) << 8 | al * (c & 0xff) / 255;
        }
    }
    a = guest_bitmap_image(px, w, h, (size_t)w * 4, SPICE_BITMAP_FMT_RGBA, NULL, 0, 0,
                           (struct layout){ 0 });
    free(px);
    return a;
}

static const uint32_t pal16[16] = { 0x000000, 0x800000, 0x008000, 0x808000, 0x000080, 0x800080,
                                    0x008080, 0xc0c0c0, 0x808080, 0xff0000, 0x00ff00, 0xffff00,
                                    0x0000ff, 0xff00ff, 0x00ffff, 0xffffff };

/* 8-bit indices into pal16: diagonal bands with noise. */
static uint64_t image8(int w, int h, uint32_t seed)
{
    uint8_t *idx = xmalloc((size_t)w * h);
    uint64_t a;

    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            idx[(size_t)y * w + x] =
                (uint8_t)(((x + y) / 5 + (mix((uint32_t)x, (uint32_t)y + seed) & 1)) % 16);
    a = guest_bitmap_image(idx, w, h, (size_t)w, SPICE_BITMAP_FMT_8BIT, pal16, 16, 0,
                           (struct layout){ .chunks = 2 });
    free(idx);
    return a;
}

enum shape { DISC, RING, CHECKER, STRIPES };

static int shape_bit(enum shape s, int x, int y, int w, int h)
{
    int dx = 2 * x - w, dy = 2 * y - h, d2 = dx * dx + dy * dy, r = w < h ? w : h;

    switch (s) {
    case DISC:
        return d2 < r * r * 3 / 4;
    case RING:
        return d2 < r * r && d2 > r * r / 3;
    case CHECKER:
        return (x / 7 + y / 5) & 1;
    default:
        return (x + 2 * y) / 6 % 3 != 0;
    }
}

/* A 1-bit bitmap of a shape, most significant bit first: a mask (no
 * palette), or a picture with a 2-entry palette. (The reference's canvas
 * draws no 1BIT_LE or 4BIT_LE picture: it stops the process.) */
static uint64_t image1(int w, int h, enum shape s, const uint32_t *pal2, struct layout lay)
{
    size_t rowbytes = ((size_t)w + 7) / 8;
    uint8_t *rows = xmalloc(rowbytes * h);
    uint64_t a;

    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if (shape_bit(s, x, y, w, h))
                rows[(size_t)y * rowbytes + x / 8] |= (uint8_t)(0x80 >> (x % 8));
    a = guest_bitmap_image(rows, w, h, rowbytes, SPICE_BITMAP_FMT_1BIT_BE, pal2, pal2 ? 2 : 0, 0,
                           lay);
    free(rows);
    return a;
}

static uint64_t mask_image(int w, int h, enum shape s, struct layout lay)
{
    return image1(w, h, s, NULL, lay);
}

/* An 8x8 pattern of four colours, and a 13x7 8-bit one. */
static uint64_t pattern8(void)
{
    uint32_t px[64];

    for (int i = 0; i < 64; i++)
        px[i] = (i / 8 < 4) == (i % 8 < 5) ? (i % 3 ? 0xe03c18 : 0x18c0e0)
                                           : (i % 2 ? 0x2080ff : 0xf8f040);
    return guest_bitmap_image(px, 8, 8, 32, SPICE_BITMAP_FMT_32BIT, NULL, 0, 0,
                              (struct layout){ 0 });
}

/* ---- drawables ---- */

/* The surface the drawables below go to: the primary, but while a tile
 * draws on an off-screen surface of its own. */
static uint32_t target;
static QXLDrawable *last;   /* the drawable queued last */

/* A drawable on the target, queued now; its union is filled in by the
 * caller before anything is fed. */
static QXLDrawable *op(uint8_t type, uint8_t effect, QXLRect bbox, const struct clip *clip)
{
    uint64_t a;
    QXLDrawable *d = guest_drawable_new(target, type, effect, bbox, clip, &a);

    guest_draw_push(a);
    return last = d;
}

static uint8_t effect_of(uint16_t ropd, const QXLQMask *m)
{
    int writes_only = ropd & (SPICE_ROPD_OP_PUT | SPICE_ROPD_OP_BLACKNESS |
                              SPICE_ROPD_OP_WHITENESS);

    return writes_only && !(m && m->bitmap) ? QXL_EFFECT_OPAQUE : QXL_EFFECT_BLEND;
}

static QXLBrush solid(uint32_t color)
{
    return (QXLBrush){ .type = SPICE_BRUSH_TYPE_SOLID, .u.color = color };
}

static QXLBrush pattern(uint64_t image, int x, int y)
{
    return (QXLBrush){ .type = SPICE_BRUSH_TYPE_PATTERN,
                       .u.pattern = { .pat = image, .pos = { .x = x, .y = y } } };
}

static QXLQMask mask(uint64_t image, uint8_t flags, int x, int y)
{
    return (QXLQMask){ .flags = flags, .pos = { .x = x, .y = y }, .bitmap = image };
}

static const QXLQMask no_mask;

static void fill(QXLRect b, const struct clip *clip, QXLBrush brush, uint16_t ropd, QXLQMask m)
{
    QXLDrawable *d = op(QXL_DRAW_FILL, effect_of(ropd, &m), b, clip);

    d->u.fill.brush = brush;
    d->u.fill.rop_descriptor = ropd;
    d->u.fill.mask = m;
}

/* COPY or BLEND of image's src_area onto b */
static void copy(uint8_t type, QXLRect b, uint64_t image, QXLRect src, uint16_t ropd,
                 uint8_t scale_mode, QXLQMask m)
{
    QXLDrawable *d = op(type, type == QXL_DRAW_BLEND ? QXL_EFFECT_BLEND : effect_of(ropd, &m), b,
                        NULL);

    d->u.copy.src_bitmap = image;
    d->u.copy.src_area = src;
    d->u.copy.rop_descriptor = ropd;
    d->u.copy.scale_mode = scale_mode;
    d->u.copy.mask = m;
}

static void opaque(QXLRect b, uint64_t image, QXLBrush brush, uint16_t ropd)
{
    QXLDrawable *d = op(QXL_DRAW_OPAQUE, QXL_EFFECT_OPAQUE, b, NULL);

    d->u.opaque.src_bitmap = image;
    d->u.opaque.src_area = box(0, 0, BOX_W, BOX_H);
    d->u.opaque.brush = brush;
    d->u.opaque.rop_descriptor = ropd;
    d->u.opaque.scale_mode = SPICE_IMAGE_SCALE_MODE_NEAREST;
}

/* BLACKNESS, WHITENESS or INVERS through a mask */
static void masked_solid(QXLRect b, uint8_t type, QXLQMask m)
{
    QXLDrawable *d = op(type, QXL_EFFECT_BLEND, b, NULL);

    d->u.blackness.mask = m;
}

static void transparent(QXLRect b, uint64_t image, uint32_t src_color, uint32_t true_color)
{
    QXLDrawable *d = op(QXL_DRAW_TRANSPARENT, QXL_EFFECT_BLEND, b, NULL);

    d->u.transparent.src_bitmap = image;
    d->u.transparent.src_area = box(0, 0, BOX_W, BOX_H);
    d->u.transparent.src_color = src_color;
    d->u.transparent.true_color = true_color;
}

static void alpha_blend(QXLRect b, uint64_t image, QXLRect src, uint8_t alpha, uint16_t flags)
{
    QXLDrawable *d = op(QXL_DRAW_ALPHA_BLEND, QXL_EFFECT_BLEND, b, NULL);

    d->u.alpha_blend.alpha_flags = flags;
    d->u.alpha_blend.alpha = alpha;
    d->u.alpha_blend.src_bitmap = image;
    d->u.alpha_blend.src_area = src;
}

static void rop3(QXLRect b, uint8_t code, QXLBrush brush, QXLQMask m)
{
    QXLDrawable *d = op(QXL_DRAW_ROP3, QXL_EFFECT_BLEND, b, NULL);

    d->u.rop3.src_bitmap = image32(BOX_W, BOX_H, 0x3300u + code, (struct layout){ 0 });
    d->u.rop3.src_area = box(0, 0, BOX_W, BOX_H);
    d->u.rop3.brush = brush;
    d->u.rop3.rop3 = code;
    d->u.rop3.scale_mode = SPICE_IMAGE_SCALE_MODE_NEAREST;
    d->u.rop3.mask = m;
}

/* ---- text ---- */

/* Coverage of glyph `ch` at (x, y) of a w x h cell, 0..255: a stem, bars
 * and a diagonal chosen by ch, with soft edges. */
static unsigned glyph_cover(unsigned ch, int x, int y, int w, int h)
{
    int stem = (int)(ch % 3) * (w - 2) / 2, edge = x - stem;
    unsigned v = 0;

    if (edge >= 0 && edge < 2)
        v = 255;
    else if (edge == -1 || edge == 2)
        v = 96;
    if ((ch & 4) && (y == 1 || y == 2))
        v = 255;
    if ((ch & 8) && y == h / 2)
        v = v > 200 ? v : 200;
    if ((ch & 16) && y == h - 2)
        v = 255;
    if ((ch & 32) && (x * h / w == y || x * h / w == y + 1))
        v = v > 160 ? v : 160;
    return v;
}

/* The size of glyph i. The canvas reads an A8 glyph's rows one off: its
 * top row from the bytes that follow the glyph's data (padding, or the next
 * glyph's header), the first stored row never. So A8 glyphs here are a
 * multiple of 4 bytes (no padding, which the server leaves unset) and the
 * string ends with an empty glyph (the last one's top row is then that
 * header, not whatever lies past the string). */
static void glyph_dims(int i, int bpp, int *w, int *h)
{
    *w = bpp == 8 ? 8 + 4 * (i % 2) : 7 + i * 3 % 5;
    *h = 11 + i % 4;
}

/* A string of n glyphs (bpp 1, 4 or 8) in two lines from the pen at
 * (x, y), each glyph a little different; rows bottom-up, as the canvas
 * reads them. */
static uint64_t string_new(int n, int bpp, int x, int y, uint32_t seed)
{
    int total = bpp == 8 ? n + 1 : n, w, h;
    size_t size = 0;
    uint64_t addr;
    QXLString *s;
    uint8_t *p;

    for (int i = 0; i < n; i++) {
        glyph_dims(i, bpp, &w, &h);
        size += sizeof(QXLRasterGlyph) + (size_t)h * (((size_t)w * bpp + 7) / 8);
    }
    size += (size_t)(total - n) * sizeof(QXLRasterGlyph);
    s = guest_alloc(sizeof(*s) + size, &addr);
    s->data_size = (uint32_t)size;
    s->length = (uint16_t)total;
    s->flags = bpp == 1 ? SPICE_STRING_FLAGS_RASTER_A1 :
               bpp == 4 ? SPICE_STRING_FLAGS_RASTER_A4 : SPICE_STRING_FLAGS_RASTER_A8;
    s->chunk.data_size = (uint32_t)size;
    p = s->chunk.data;
    for (int i = 0, pen = x, line = 0; i < total; i++) {
        unsigned ch = mix((uint32_t)i, seed) & 63;
        QXLRasterGlyph g = { .render_pos = { .x = pen, .y = y + 28 * line } };
        int rowbytes;

        if (i < n) {
            glyph_dims(i, bpp, &w, &h);
            g.glyph_origin.x = i % 2;
            g.glyph_origin.y = -h + (i % 5 == 4 ? 3 : 0);
            g.width = (uint16_t)w;
            g.height = (uint16_t)h;
        } else {
            g.render_pos.x = x;     /* the empty glyph, within the others' bounds */
            g.render_pos.y = y;
            w = h = 0;
        }
        rowbytes = (w * bpp + 7) / 8;
        memcpy(p, &g, sizeof(g));
        p += sizeof(g);
        for (int r = h - 1; r >= 0; r--, p += rowbytes) {
            for (int c = 0; c < w; c++) {
                unsigned v = glyph_cover(ch, c, r, w, h);

                if (bpp == 1 && v >= 128)
                    p[c / 8] |= (uint8_t)(0x80 >> (c % 8));
                else if (bpp == 4)
                    p[c / 2] |= (uint8_t)(c % 2 ? v >> 4 : v & 0xf0);
                else if (bpp == 8)
                    p[c] = (uint8_t)v;
            }
        }
        pen += w + 2;
        if (i == n / 2 - 1) {
            pen = x;
            line = 1;
        }
    }
    return addr;
}

static void text(QXLRect b, int bpp, QXLBrush fore, QXLBrush back, QXLRect back_area,
                 uint16_t fore_mode, uint16_t back_mode)
{
    QXLDrawable *d = op(QXL_DRAW_TEXT, QXL_EFFECT_BLEND, b, NULL);

    d->u.text.str = string_new(16, bpp, b.left + 6, b.top + 30, (uint32_t)b.left * 31 + b.top);
    d->u.text.back_area = back_area;
    d->u.text.fore_brush = fore;
    d->u.text.back_brush = back;
    d->u.text.fore_mode = fore_mode;
    d->u.text.back_mode = back_mode;
}

/* ---- paths ---- */

#define FIX(v) ((int32_t)((v) * 16))     /* 28.4 fixed point */

/* A path being written: QXLPathSeg after QXLPathSeg. */
struct path {
    uint32_t w[256];
    int n;
};

/* A segment of `count` points (x, y in 28.4) from b's origin. */
static void seg(struct path *p, uint32_t flags, int count, const int32_t *xy, QXLRect b)
{
    if (p->n + 2 + 2 * count > (int)(sizeof(p->w) / sizeof(p->w[0])))
        die("path too long");
    p->w[p->n++] = flags;
    p->w[p->n++] = (uint32_t)count;
    for (int i = 0; i < count; i++) {
        p->w[p->n++] = (uint32_t)(xy[2 * i] + FIX(b.left));
        p->w[p->n++] = (uint32_t)(xy[2 * i + 1] + FIX(b.top));
    }
}

static uint64_t path_store(const struct path *p)
{
    uint64_t addr;
    size_t size = (size_t)p->n * 4;
    QXLPath *q = guest_alloc(sizeof(*q) + size, &addr);

    q->data_size = (uint32_t)size;
    q->chunk.data_size = (uint32_t)size;
    memcpy(q->chunk.data, p->w, size);
    return addr;
}

static void stroke(QXLRect b, const struct path *p, uint32_t color, uint16_t mode,
                   const int32_t *style, int nstyle, uint8_t line_flags)
{
    QXLDrawable *d = op(QXL_DRAW_STROKE, QXL_EFFECT_BLEND, b, NULL);

    d->u.stroke.path = path_store(p);
    d->u.stroke.attr.flags = line_flags;
    d->u.stroke.attr.width = 0;     /* thin lines */
    d->u.stroke.attr.miter_limit = FIX(10);
    if (nstyle) {
        uint64_t saddr;
        int32_t *st = guest_alloc((size_t)nstyle * 4, &saddr);

        memcpy(st, style, (size_t)nstyle * 4);
        d->u.stroke.attr.style_nseg = (uint8_t)nstyle;
        d->u.stroke.attr.style = saddr;
    }
    d->u.stroke.brush = solid(color);
    d->u.stroke.fore_mode = mode;
    d->u.stroke.back_mode = SPICE_ROPD_OP_PUT;
}

/* ---- composite ---- */

#define COMP_OP(op) ((uint32_t)(op))
#define COMP_SRC_FILTER(f) ((uint32_t)(f) << 8)
#define COMP_SRC_REPEAT(r) ((uint32_t)(r) << 14)

static void composite(QXLRect b, uint32_t flags, uint64_t src, const QXLTransform *t,
                      uint64_t mask_img, int sx, int sy, int mx, int my)
{
    QXLDrawable *d = op(QXL_DRAW_COMPOSITE, QXL_EFFECT_BLEND, b, NULL);

    /* the destination is the xRGB primary */
    d->u.composite.flags = flags | SPICE_COMPOSITE_DEST_OPAQUE;
    d->u.composite.src = src;
    if (t) {
        uint64_t taddr;

        memcpy(guest_alloc(sizeof(*t), &taddr), t, sizeof(*t));
        d->u.composite.src_transform = taddr;
    }
    d->u.composite.mask = mask_img;
    d->u.composite.src_origin.x = (int16_t)sx;
    d->u.composite.src_origin.y = (int16_t)sy;
    d->u.composite.mask_origin.x = (int16_t)mx;
    d->u.composite.mask_origin.y = (int16_t)my;
}

/* ---- the ops, one per tile; b is the tile less INSET on each side ---- */

/* FILL with a solid brush through each kind of rop descriptor */
static void fill_put(QXLRect b) { fill(b, NULL, solid(0x3366cc), SPICE_ROPD_OP_PUT, no_mask); }
static void fill_xor(QXLRect b) { fill(b, NULL, solid(0x5aa5f0), SPICE_ROPD_OP_XOR, no_mask); }
static void fill_and(QXLRect b) { fill(b, NULL, solid(0xf0c33c), SPICE_ROPD_OP_AND, no_mask); }
static void fill_or(QXLRect b) { fill(b, NULL, solid(0x0c3390), SPICE_ROPD_OP_OR, no_mask); }

static void fill_put_invb(QXLRect b)
{
    fill(b, NULL, solid(0x3366cc), SPICE_ROPD_OP_PUT | SPICE_ROPD_INVERS_BRUSH, no_mask);
}

static void fill_or_invd(QXLRect b)
{
    fill(b, NULL, solid(0x40c020), SPICE_ROPD_OP_OR | SPICE_ROPD_INVERS_DEST, no_mask);
}

static void fill_and_invr(QXLRect b)
{
    fill(b, NULL, solid(0xc0f00f), SPICE_ROPD_OP_AND | SPICE_ROPD_INVERS_RES, no_mask);
}

static void fill_or_invb_invr(QXLRect b)
{
    fill(b, NULL, solid(0x2a5f81),
         SPICE_ROPD_OP_OR | SPICE_ROPD_INVERS_BRUSH | SPICE_ROPD_INVERS_RES, no_mask);
}

/* the descriptor's own INVERS: the destination inverted, the brush unused */
static void fill_invers(QXLRect b)
{
    fill(b, NULL, solid(0x123456), SPICE_ROPD_OP_INVERS, no_mask);
}

/* FILL with pattern brushes: the tile repeats from pos, in the surface's
 * coordinates (here not the bbox's origin, and negative) */
static void fill_pat8(QXLRect b)
{
    fill(b, NULL, pattern(pattern8(), b.left + 3, b.top + 5), SPICE_ROPD_OP_PUT, no_mask);
}

static void fill_pat_npot(QXLRect b)
{
    fill(b, NULL, pattern(image8(13, 7, 5), -4, 10), SPICE_ROPD_OP_PUT, no_mask);
}

static void fill_pat_xor(QXLRect b)
{
    fill(b, NULL, pattern(pattern8(), 0, 0), SPICE_ROPD_OP_XOR, no_mask);
}

/* FILL through a 1-bit mask: the bbox's size; and a smaller one, inverted,
 * from an offset (nothing is drawn outside the mask) */
static void fill_mask(QXLRect b)
{
    fill(b, NULL, solid(0xff8000), SPICE_ROPD_OP_PUT,
         mask(mask_image(BOX_W, BOX_H, CHECKER, (struct layout){ 0 }), 0, 0, 0));
}

static void fill_mask_inv(QXLRect b)
{
    fill(b, NULL, solid(0x8000ff), SPICE_ROPD_OP_XOR,
         mask(mask_image(100, 70, STRIPES, (struct layout){ 0 }), SPICE_MASK_FLAGS_INVERS, 5, 3));
}

/* FILL within clip rectangles, one reaching out of the bbox */
static void fill_clip(QXLRect b)
{
    struct clip c = { 3, { box(b.left + 4, b.top + 4, 40, 30),
                           box(b.left + 50, b.top + 10, 30, 60),
                           box(b.left + 90, b.top + 50, 60, 60) } };

    fill(b, &c, solid(0x00c080), SPICE_ROPD_OP_PUT, no_mask);
}

/* COPY through rop descriptors other than PUT */
static uint64_t box_image(uint32_t seed)
{
    return image32(BOX_W, BOX_H, seed, (struct layout){ .chunks = 2 });
}

static void copy_rop(QXLRect b, uint16_t ropd, uint32_t seed)
{
    copy(QXL_DRAW_COPY, b, box_image(seed), box(0, 0, BOX_W, BOX_H), ropd,
         SPICE_IMAGE_SCALE_MODE_NEAREST, no_mask);
}

static void copy_xor(QXLRect b) { copy_rop(b, SPICE_ROPD_OP_XOR, 0x1101); }

static void copy_and_invs(QXLRect b)
{
    copy_rop(b, SPICE_ROPD_OP_AND | SPICE_ROPD_INVERS_SRC, 0x1102);
}

static void copy_or_invd(QXLRect b)
{
    copy_rop(b, SPICE_ROPD_OP_OR | SPICE_ROPD_INVERS_DEST, 0x1103);
}

static void copy_put_invs(QXLRect b)
{
    copy_rop(b, SPICE_ROPD_OP_PUT | SPICE_ROPD_INVERS_SRC, 0x1104);
}

/* COPY through masks: PUT through a disc; XOR outside a bottom-up ring,
 * the mask smaller than the bbox and from an offset */
static void copy_mask(QXLRect b)
{
    copy(QXL_DRAW_COPY, b, box_image(0x1105), box(0, 0, BOX_W, BOX_H), SPICE_ROPD_OP_PUT,
         SPICE_IMAGE_SCALE_MODE_NEAREST, mask(mask_image(BOX_W, BOX_H, DISC, (struct layout){ 0 }),
                                              0, 0, 0));
}

static void copy_mask_inv(QXLRect b)
{
    copy(QXL_DRAW_COPY, b, box_image(0x1106), box(0, 0, BOX_W, BOX_H), SPICE_ROPD_OP_XOR,
         SPICE_IMAGE_SCALE_MODE_NEAREST,
         mask(mask_image(90, 70, RING, (struct layout){ .bottom_up = 1 }), SPICE_MASK_FLAGS_INVERS,
              10, 6));
}

/* COPY scaled: a 29x21 area blown up 4 times; a 200x150 one shrunk by a
 * ratio that is not a whole number; each nearest and interpolated */
static void copy_up(QXLRect b, uint8_t mode)
{
    copy(QXL_DRAW_COPY, b, image32(40, 30, 0x1107, (struct layout){ 0 }), box(5, 4, 29, 21),
         SPICE_ROPD_OP_PUT, mode, no_mask);
}

static void copy_down(QXLRect b, uint8_t mode)
{
    copy(QXL_DRAW_COPY, b, image32(240, 180, 0x1108, (struct layout){ .chunks = 3 }),
         box(10, 7, 200, 150), SPICE_ROPD_OP_PUT, mode, no_mask);
}

static void copy_up_nearest(QXLRect b) { copy_up(b, SPICE_IMAGE_SCALE_MODE_NEAREST); }
static void copy_up_interp(QXLRect b) { copy_up(b, SPICE_IMAGE_SCALE_MODE_INTERPOLATE); }
static void copy_down_nearest(QXLRect b) { copy_down(b, SPICE_IMAGE_SCALE_MODE_NEAREST); }
static void copy_down_interp(QXLRect b) { copy_down(b, SPICE_IMAGE_SCALE_MODE_INTERPOLATE); }

/* COPY of a 1-bit bitmap with a 2-entry palette and padded rows, and of a
 * premultiplied ARGB one (COPY takes its colours, not its alpha) */
static void copy_1bit(QXLRect b)
{
    static const uint32_t two[2] = { 0x1a2b3c, 0xf0e0a0 };

    copy(QXL_DRAW_COPY, b, image1(BOX_W, BOX_H, STRIPES, two, (struct layout){ .pad = 4 }),
         box(0, 0, BOX_W, BOX_H), SPICE_ROPD_OP_PUT, SPICE_IMAGE_SCALE_MODE_NEAREST, no_mask);
}

static void copy_argb(QXLRect b)
{
    copy(QXL_DRAW_COPY, b, image_argb(BOX_W, BOX_H, 0x1109), box(0, 0, BOX_W, BOX_H),
         SPICE_ROPD_OP_PUT, SPICE_IMAGE_SCALE_MODE_NEAREST, no_mask);
}

/* OPAQUE: the image, then the brush combined with it */
static void opaque_xor(QXLRect b)
{
    opaque(b, box_image(0x2201), solid(0x5a3c96), SPICE_ROPD_OP_XOR);
}

static void opaque_and_pat(QXLRect b)
{
    opaque(b, box_image(0x2202), pattern(pattern8(), b.left, b.top),
           SPICE_ROPD_OP_AND | SPICE_ROPD_INVERS_BRUSH);
}

static void opaque_or_invs(QXLRect b)
{
    opaque(b, box_image(0x2203), solid(0x204080), SPICE_ROPD_OP_OR | SPICE_ROPD_INVERS_SRC);
}

/* BLEND: COPY's layout, which a driver sends for draws that read the destination */
static void blend_rop(QXLRect b, uint16_t ropd, uint32_t seed)
{
    copy(QXL_DRAW_BLEND, b, box_image(seed), box(0, 0, BOX_W, BOX_H), ropd,
         SPICE_IMAGE_SCALE_MODE_NEAREST, no_mask);
}

static void blend_and(QXLRect b) { blend_rop(b, SPICE_ROPD_OP_AND, 0x2204); }

static void blend_or_invs(QXLRect b)
{
    blend_rop(b, SPICE_ROPD_OP_OR | SPICE_ROPD_INVERS_SRC, 0x2205);
}

static void blend_xor_invd(QXLRect b)
{
    blend_rop(b, SPICE_ROPD_OP_XOR | SPICE_ROPD_INVERS_DEST, 0x2206);
}

/* BLACKNESS, WHITENESS and INVERS through masks */
static void blackness_mask(QXLRect b)
{
    masked_solid(b, QXL_DRAW_BLACKNESS, mask(mask_image(BOX_W, BOX_H, DISC, (struct layout){ 0 }),
                                             0, 0, 0));
}

static void whiteness_mask_inv(QXLRect b)
{
    masked_solid(b, QXL_DRAW_WHITENESS, mask(mask_image(BOX_W, BOX_H, RING, (struct layout){ 0 }),
                                             SPICE_MASK_FLAGS_INVERS, 0, 0));
}

static void invers_mask(QXLRect b)
{
    masked_solid(b, QXL_DRAW_INVERS,
                 mask(mask_image(BOX_W + 8, BOX_H + 4, CHECKER, (struct layout){ .chunks = 2 }), 0,
                      4, 2));
}

/* TRANSPARENT: a 32-bit picture with holes of the key colour; an 8-bit one
 * whose key is a palette index (src_color) and its colour (true_color) */
static void transparent_32(QXLRect b)
{
    const uint32_t key = 0x00ff00ff;
    uint32_t *px = xmalloc((size_t)BOX_W * BOX_H * 4);
    uint64_t im;

    for (int y = 0; y < BOX_H; y++)
        for (int x = 0; x < BOX_W; x++)
            px[y * BOX_W + x] = shape_bit(RING, x, y, BOX_W, BOX_H) || (x / 9 + y / 9) % 4 == 0 ?
                                key : picture_px(x, y, BOX_W, BOX_H, 0x4401);
    im = guest_bitmap_image(px, BOX_W, BOX_H, BOX_W * 4, SPICE_BITMAP_FMT_32BIT, NULL, 0, 0,
                            (struct layout){ 0 });
    free(px);
    transparent(b, im, key, key);
}

static void transparent_8(QXLRect b)
{
    transparent(b, image8(BOX_W, BOX_H, 0x4402), 3, pal16[3]);
}

/* ALPHA_BLEND of a premultiplied ARGB bitmap: half and whole overall
 * alpha, with and without the flag that the source has alpha; and blown up
 * twice */
static void alpha(QXLRect b, uint8_t a, uint16_t flags)
{
    alpha_blend(b, image_argb(BOX_W, BOX_H, 0x5501u + a + flags), box(0, 0, BOX_W, BOX_H), a,
                flags);
}

static void alpha_80(QXLRect b) { alpha(b, 0x80, 0); }
static void alpha_ff(QXLRect b) { alpha(b, 0xff, 0); }

static void alpha_80_srca(QXLRect b)
{
    alpha(b, 0x80, SPICE_ALPHA_FLAGS_SRC_SURFACE_HAS_ALPHA);
}

static void alpha_ff_srca(QXLRect b)
{
    alpha(b, 0xff, SPICE_ALPHA_FLAGS_SRC_SURFACE_HAS_ALPHA);
}

static void alpha_scaled(QXLRect b)
{
    alpha_blend(b, image_argb(BOX_W / 2, BOX_H / 2, 0x5502), box(0, 0, BOX_W / 2, BOX_H / 2),
                0xc0, 0);
}

/* ROP3: source, pattern and destination through ternary codes; through a
 * mask; a solid brush through an inverted mask. (Codes of fewer than
 * three operands, 0x5A PATINVERT or 0xF0 PATCOPY among them, have no
 * handler in the reference's canvas, which then stops the process: a
 * driver sends those as FILL, COPY or INVERS with a rop descriptor.) */
static QXLBrush rop3_pattern(QXLRect b)
{
    return pattern(pattern8(), b.left - 2, b.top - 1);
}

static void rop3_96(QXLRect b) { rop3(b, 0x96, rop3_pattern(b), no_mask); }
static void rop3_b8(QXLRect b) { rop3(b, 0xb8, rop3_pattern(b), no_mask); }
static void rop3_e2(QXLRect b) { rop3(b, 0xe2, rop3_pattern(b), no_mask); }
static void rop3_ca(QXLRect b) { rop3(b, 0xca, rop3_pattern(b), no_mask); }
static void rop3_1e(QXLRect b) { rop3(b, 0x1e, rop3_pattern(b), no_mask); }

static void rop3_96_mask(QXLRect b)
{
    rop3(b, 0x96, rop3_pattern(b),
         mask(mask_image(BOX_W, BOX_H, DISC, (struct layout){ 0 }), 0, 0, 0));
}

static void rop3_b8_solid_mask(QXLRect b)
{
    rop3(b, 0xb8, solid(0x7f3fbf),
         mask(mask_image(BOX_W, BOX_H, STRIPES, (struct layout){ 0 }), SPICE_MASK_FLAGS_INVERS, 0,
              0));
}

/* TEXT: 16 glyphs in two lines; A1 with a solid brush; A1 over a solid
 * back_area; A4 over a patterned back_area; A8 with a pattern fore brush;
 * A1 with fore_mode XOR (drawn over all the same) */
static QXLRect back_of(QXLRect b)
{
    return box(b.left + 2, b.top + 8, BOX_W - 10, BOX_H - 20);
}

static void text_a1(QXLRect b)
{
    text(b, 1, solid(0xffff40), solid(0), box(0, 0, 0, 0), SPICE_ROPD_OP_PUT, SPICE_ROPD_OP_PUT);
}

static void text_a1_back(QXLRect b)
{
    text(b, 1, solid(0x102030), solid(0xe0e0d0), back_of(b), SPICE_ROPD_OP_PUT, SPICE_ROPD_OP_PUT);
}

static void text_a4_back(QXLRect b)
{
    text(b, 4, solid(0xffffff), pattern(pattern8(), b.left, b.top), back_of(b), SPICE_ROPD_OP_PUT,
         SPICE_ROPD_OP_PUT);
}

static void text_a8_pat(QXLRect b)
{
    text(b, 8, pattern(image8(13, 7, 8), b.left + 1, b.top), solid(0), box(0, 0, 0, 0),
         SPICE_ROPD_OP_PUT, SPICE_ROPD_OP_PUT);
}

static void text_a1_xor(QXLRect b)
{
    text(b, 1, solid(0x40ffc0), solid(0x800000), box(0, 0, 0, 0), SPICE_ROPD_OP_XOR,
         SPICE_ROPD_OP_XOR);
}

/* STROKE with thin lines: an open polyline in two segments and a closed
 * quadrilateral with a fractional corner; a closed star drawn XOR (its
 * crossings twice); a dashed polyline; Bézier curves */
static void stroke_put(QXLRect b)
{
    static const int32_t open1[] = { FIX(4), FIX(70), FIX(30), FIX(10), FIX(60), FIX(60) };
    static const int32_t open2[] = { FIX(90), FIX(8), FIX(110), FIX(78) };
    static const int32_t quad[] = { FIX(20), FIX(20), FIX(50) + 8, FIX(30), FIX(45), FIX(75),
                                    FIX(10), FIX(60) + 8 };
    struct path p = { .n = 0 };

    seg(&p, SPICE_PATH_BEGIN, 3, open1, b);
    seg(&p, SPICE_PATH_END, 2, open2, b);
    seg(&p, SPICE_PATH_BEGIN | SPICE_PATH_END | SPICE_PATH_CLOSE, 4, quad, b);
    stroke(b, &p, 0xffe020, SPICE_ROPD_OP_PUT, NULL, 0, 0);
}

static void stroke_xor(QXLRect b)
{
    int32_t star[10];
    struct path p = { .n = 0 };

    for (int i = 0; i < 5; i++) {
        static const int32_t cx[5] = { 58, 86, 12, 104, 30 }, cy[5] = { 2, 80, 30, 30, 80 };

        star[2 * i] = FIX(cx[i]);
        star[2 * i + 1] = FIX(cy[i]);
    }
    seg(&p, SPICE_PATH_BEGIN | SPICE_PATH_END | SPICE_PATH_CLOSE, 5, star, b);
    stroke(b, &p, 0xffffff, SPICE_ROPD_OP_XOR, NULL, 0, 0);
}

static void stroke_dash(QXLRect b)
{
    static const int32_t line[] = { FIX(4), FIX(8), FIX(110), FIX(20), FIX(8), FIX(76),
                                    FIX(108), FIX(60) };
    static const int32_t style[] = { FIX(6), FIX(3), FIX(2), FIX(3) };
    struct path p = { .n = 0 };

    seg(&p, SPICE_PATH_BEGIN | SPICE_PATH_END, 4, line, b);
    stroke(b, &p, 0x20ff60, SPICE_ROPD_OP_PUT, style, 4, SPICE_LINE_FLAGS_STYLED);
}

static void stroke_curve(QXLRect b)
{
    /* a start, then two curves of three points each */
    static const int32_t curve[] = { FIX(4), FIX(80), FIX(20), FIX(0), FIX(60), FIX(90),
                                     FIX(60), FIX(40), FIX(60), FIX(0) + 8, FIX(110), FIX(10),
                                     FIX(110), FIX(70) };
    struct path p = { .n = 0 };

    seg(&p, SPICE_PATH_BEGIN | SPICE_PATH_END | SPICE_PATH_BEZIER, 7, curve, b);
    stroke(b, &p, 0xff40ff, SPICE_ROPD_OP_PUT, NULL, 0, 0);
}

/* COMPOSITE with pixman's operators: OVER, SRC (its source smaller than
 * the bbox and offset: transparent beyond it), ADD; OVER through an ARGB
 * mask; a small source tiled through a scaling, translating transform */
static void comp_over(QXLRect b)
{
    composite(b, COMP_OP(QXL_OP_OVER), image_argb(BOX_W, BOX_H, 0x6601), NULL, 0, 0, 0, 0, 0);
}

static void comp_src(QXLRect b)
{
    composite(b, COMP_OP(QXL_OP_SOURCE), image_argb(100, 70, 0x6602), NULL, 0, 10, 5, 0, 0);
}

static void comp_add(QXLRect b)
{
    composite(b, COMP_OP(QXL_OP_ADD) | SPICE_COMPOSITE_SOURCE_OPAQUE, box_image(0x6603), NULL, 0,
              0, 0, 0, 0);
}

static void comp_mask(QXLRect b)
{
    composite(b, COMP_OP(QXL_OP_OVER) | SPICE_COMPOSITE_SOURCE_OPAQUE, box_image(0x6604), NULL,
              image_argb(BOX_W + 4, BOX_H + 4, 0x6605), 0, 0, 2, 1);
}

static void comp_transform(QXLRect b)
{
    /* destination to source: x / 4 + 1.5, y / 3 - 2 (16.16 fixed point) */
    static const QXLTransform t = { .t00 = 0x4000, .t01 = 0, .t02 = 0x18000,
                                    .t10 = 0, .t11 = 0x5555, .t12 = (uint32_t)-0x20000 };

    composite(b, COMP_OP(QXL_OP_OVER) | COMP_SRC_FILTER(1) | COMP_SRC_REPEAT(1) |
                 SPICE_COMPOSITE_SOURCE_OPAQUE,
              image32(24, 18, 0x6606, (struct layout){ 0 }), &t, 0, 0, 0, 0, 0);
}

/* Off-screen surfaces of 16-bit and A8 pixels: drawn on in their own
 * formats (fills in their own colours, copies of 32-bit pictures reduced to
 * them, ROPs on their bits, a copy-bits), then read by a draw on the
 * primary, then destroyed. Each tile has a surface id of its own. */
static void surface_drawn(uint32_t id, uint32_t format, uint32_t color, uint32_t xor)
{
    guest_surface(id, 1, format, BOX_W, BOX_H);
    target = id;
    fill(box(0, 0, BOX_W, BOX_H), NULL, solid(color), SPICE_ROPD_OP_PUT, no_mask);
    copy(QXL_DRAW_COPY, box(6, 6, 70, 50), format == SPICE_SURFACE_FMT_8_A ?
         image_argb(70, 50, 0x7701 + id) : image32(70, 50, 0x7701 + id, (struct layout){ 0 }),
         box(0, 0, 70, 50), SPICE_ROPD_OP_PUT, SPICE_IMAGE_SCALE_MODE_NEAREST, no_mask);
    fill(box(30, 20, 70, 44), NULL, solid(xor), SPICE_ROPD_OP_XOR, no_mask);
    {
        QXLDrawable *d = op(QXL_COPY_BITS, QXL_EFFECT_OPAQUE, box(60, 50, 50, 30), NULL);

        d->u.copy_bits.src_pos.x = 4;
        d->u.copy_bits.src_pos.y = 2;
    }
    target = 0;
}

/* The drawable queued last reads surface id whole (it is fed later). */
static void reading(uint32_t id)
{
    last->surfaces_dest[0] = (int32_t)id;
    last->surfaces_rects[0] = box(0, 0, BOX_W, BOX_H);
}

/* (a COPY between surfaces of different depths is none an X driver sends,
 * and the reference's canvas asserts on it: a composite reads them) */
static void surf_565(QXLRect b)
{
    surface_drawn(1, SPICE_SURFACE_FMT_16_565, 0x2a6b, 0x5555);
    composite(b, COMP_OP(QXL_OP_SOURCE), guest_surface_image(1, BOX_W, BOX_H), NULL, 0, 0, 0,
              0, 0);
    reading(1);
    guest_surface(1, 0, 0, 0, 0);
}

static void surf_555(QXLRect b)
{
    surface_drawn(2, SPICE_SURFACE_FMT_16_555, 0x1ce7, 0x2a5a);
    alpha_blend(b, guest_surface_image(2, BOX_W, BOX_H), box(0, 0, BOX_W, BOX_H), 0xc0, 0);
    reading(2);
    guest_surface(2, 0, 0, 0, 0);
}

static void surf_a8(QXLRect b)
{
    surface_drawn(3, SPICE_SURFACE_FMT_8_A, 0x40, 0xa5);
    composite(b, COMP_OP(QXL_OP_OVER) | SPICE_COMPOSITE_SOURCE_OPAQUE, box_image(0x7704), NULL,
              guest_surface_image(3, BOX_W, BOX_H), 0, 0, 0, 0);
    reading(3);
    guest_surface(3, 0, 0, 0, 0);
}

/* ---- the table: tile i is column i % 8, row i / 8 ---- */

static const struct op_def {
    const char *name;
    void (*draw)(QXLRect b);
} ops[] = {
    { "fill_put", fill_put },
    { "fill_xor", fill_xor },
    { "fill_and", fill_and },
    { "fill_or", fill_or },
    { "fill_put_invb", fill_put_invb },
    { "fill_or_invd", fill_or_invd },
    { "fill_and_invr", fill_and_invr },
    { "fill_or_invb_invr", fill_or_invb_invr },
    { "fill_invers", fill_invers },
    { "fill_pat8", fill_pat8 },
    { "fill_pat_npot", fill_pat_npot },
    { "fill_pat_xor", fill_pat_xor },
    { "fill_mask", fill_mask },
    { "fill_mask_inv", fill_mask_inv },
    { "fill_clip", fill_clip },
    { "copy_xor", copy_xor },
    { "copy_and_invs", copy_and_invs },
    { "copy_or_invd", copy_or_invd },
    { "copy_put_invs", copy_put_invs },
    { "copy_mask", copy_mask },
    { "copy_mask_inv", copy_mask_inv },
    { "copy_up_nearest", copy_up_nearest },
    { "copy_up_interp", copy_up_interp },
    { "copy_down_nearest", copy_down_nearest },
    { "copy_down_interp", copy_down_interp },
    { "copy_1bit", copy_1bit },
    { "copy_argb", copy_argb },
    { "opaque_xor", opaque_xor },
    { "opaque_and_pat", opaque_and_pat },
    { "opaque_or_invs", opaque_or_invs },
    { "blend_and", blend_and },
    { "blend_or_invs", blend_or_invs },
    { "blend_xor_invd", blend_xor_invd },
    { "blackness_mask", blackness_mask },
    { "whiteness_mask_inv", whiteness_mask_inv },
    { "invers_mask", invers_mask },
    { "transparent_32", transparent_32 },
    { "transparent_8", transparent_8 },
    { "alpha_80", alpha_80 },
    { "alpha_ff", alpha_ff },
    { "alpha_80_srca", alpha_80_srca },
    { "alpha_ff_srca", alpha_ff_srca },
    { "alpha_scaled", alpha_scaled },
    { "rop3_96", rop3_96 },
    { "rop3_b8", rop3_b8 },
    { "rop3_e2", rop3_e2 },
    { "rop3_ca", rop3_ca },
    { "rop3_1e", rop3_1e },
    { "rop3_96_mask", rop3_96_mask },
    { "rop3_b8_solid_mask", rop3_b8_solid_mask },
    { "text_a1", text_a1 },
    { "text_a1_back", text_a1_back },
    { "text_a4_back", text_a4_back },
    { "text_a8_pat", text_a8_pat },
    { "text_a1_xor", text_a1_xor },
    { "stroke_put", stroke_put },
    { "stroke_xor", stroke_xor },
    { "stroke_dash", stroke_dash },
    { "stroke_curve", stroke_curve },
    { "comp_over", comp_over },
    { "comp_src", comp_src },
    { "comp_add", comp_add },
    { "comp_mask", comp_mask },
    { "comp_transform", comp_transform },
    { "surf_565", surf_565 },
    { "surf_555", surf_555 },
    { "surf_a8", surf_a8 },
};

#define N_OPS ((int)(sizeof(ops) / sizeof(ops[0])))
#define COLUMNS 8

static unsigned char wanted[N_OPS];
static int selected;

static QXLRect tile_of(int i)
{
    return box(i % COLUMNS * TILE_W, i / COLUMNS * TILE_H, TILE_W, TILE_H);
}

void ops_select(const char *list)
{
    char *copy_of = strdup(list), *save = NULL;

    if (!copy_of)
        die("out of memory");
    for (char *w = strtok_r(copy_of, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        int i;

        for (i = 0; i < N_OPS && strcmp(w, ops[i].name) != 0; i++)
            ;
        if (i == N_OPS)
            die("unknown op (qxl_host --list-ops lists them)");
        wanted[i] = 1;
    }
    selected = 1;
    free(copy_of);
}

void ops_list(FILE *f)
{
    for (int i = 0; i < N_OPS; i++) {
        QXLRect t = tile_of(i);

        fprintf(f, "%s %d %d %d %d\n", ops[i].name, t.left, t.top, TILE_W, TILE_H);
    }
}

/* The background: a noisy picture copied over the whole primary, then two
 * solid fills per tile, so that an op reading the destination meets many
 * different values. */
static void background(int w, int h)
{
    uint32_t *px = xmalloc((size_t)w * h * 4);
    QXLDrawable *d;
    uint32_t s = 1;

    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            uint32_t grad = (uint32_t)(x * 2 & 0xff) << 16 | (uint32_t)(y * 3 & 0xff) << 8 |
                            (uint32_t)((x ^ y) & 0xff);

            px[(size_t)y * w + x] = grad ^ (mix((uint32_t)x >> 1, (uint32_t)y >> 1) & 0x3f3f3f);
        }
    }
    d = op(QXL_DRAW_COPY, QXL_EFFECT_OPAQUE, box(0, 0, w, h), NULL);
    d->u.copy.src_bitmap = guest_bitmap_image(px, w, h, (size_t)w * 4, SPICE_BITMAP_FMT_32BIT,
                                              NULL, 0, 0, (struct layout){ .chunks = 3 });
    d->u.copy.src_area = box(0, 0, w, h);
    d->u.copy.rop_descriptor = SPICE_ROPD_OP_PUT;
    d->u.copy.scale_mode = SPICE_IMAGE_SCALE_MODE_NEAREST;
    free(px);
    for (int ty = 0; ty + TILE_H <= h; ty += TILE_H) {
        for (int tx = 0; tx + TILE_W <= w; tx += TILE_W) {
            s = mix(s, (uint32_t)(tx + ty));
            fill(box(tx + 14 + (int)(s % 40), ty, 18, TILE_H), NULL, solid(s >> 8 & 0xffffff),
                 SPICE_ROPD_OP_PUT, no_mask);
            s = mix(s, 7);
            fill(box(tx + 64, ty + 44 + (int)(s % 16), 52, 22), NULL, solid(s >> 8 & 0xffffff),
                 SPICE_ROPD_OP_PUT, no_mask);
        }
    }
}

int ops_height(void)
{
    return (N_OPS + COLUMNS - 1) / COLUMNS * TILE_H;
}

void ops_scenario(int w, int h)
{
    if (w < COLUMNS * TILE_W || h < (N_OPS + COLUMNS - 1) / COLUMNS * TILE_H)
        die("the ops scenario needs a primary of 1024x768 at least");
    background(w, h);
    for (int i = 0; i < N_OPS; i++) {
        QXLRect t = tile_of(i);

        if (!selected || wanted[i])
            ops[i].draw(box(t.left + INSET, t.top + INSET, BOX_W, BOX_H));
    }
}
