/* libFuzzer target for the draw command decoders and encoders (draw.c,
 * image.c, draw-lists.c). Input: one selector byte (mod DRAW_KINDS), then a
 * message body. Whatever decodes must lie inside the body, every element
 * must read back through its accessor, and writing it out must decode
 * again and write the same bytes a second time. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/spice/draw.h"
#include "tests/fuzz/body_touch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { DRAW_FILL, DRAW_OPAQUE, DRAW_COPY, DRAW_MASK_ONLY, DRAW_ROP3, DRAW_STROKE, DRAW_TEXT,
       DRAW_TRANSPARENT, DRAW_ALPHA_BLEND, DRAW_COMPOSITE, DRAW_KINDS };


static void touch_base(const struct spice_display_base *b)
{
    struct spice_rect r;

    if (b->clip.type == SPICE_CLIP_NONE && b->clip.num_rects != 0)
        abort();
    touch(b->clip.rects, (size_t)b->clip.num_rects * SPICE_SIZE_rect);
    for (uint32_t i = 0; i < b->clip.num_rects; i++) {
        spice_clip_rect(&b->clip, i, &r);
        sink += (uint32_t)(r.top ^ r.left ^ r.bottom ^ r.right);
    }
}

static void touch_image(const struct spice_image *img)
{
    const struct spice_bitmap *b = &img->bitmap;

    if (img->desc.type == SPICE_IMAGE_BITMAP &&
        (img->data_len != (size_t)b->stride * b->y || b->x != img->desc.width ||
         b->y != img->desc.height || b->stride < spice_bitmap_row_bytes(b->format, b->x)))
        abort();
    if (img->desc.type == SPICE_IMAGE_JPEG_ALPHA && img->aux > img->data_len)
        abort();
    touch(img->data, img->data_len);
    touch(img->palette, (size_t)img->palette_len * 4);
}

static void touch_mask(const struct spice_mask *m)
{
    if (m->bitmap == 0)
        return;
    if (m->image.desc.type == SPICE_IMAGE_BITMAP &&
        m->image.bitmap.format != SPICE_BITMAP_1BIT_LE &&
        m->image.bitmap.format != SPICE_BITMAP_1BIT_BE)
        abort();
    touch_image(&m->image);
}

static void touch_brush(const struct spice_brush *b)
{
    if (b->type == SPICE_BRUSH_PATTERN)
        touch_image(&b->image);
    else if (b->type > SPICE_BRUSH_PATTERN)
        abort();
}

/* Walks a path: every segment and point, ending exactly at its end; then
 * reads one segment from offsets inside others, which must stay inside. */
static void touch_path(const struct spice_path *p)
{
    struct spice_path_seg s;
    struct spice_point pt;
    size_t at = 0;

    touch(p->segs, p->len);
    for (uint32_t i = 0; i < p->num_segments; i++) {
        if (spice_path_seg_next(p, &at, &s) != 0)
            abort();
        touch(s.points, (size_t)s.count * 8);
        for (uint32_t j = 0; j < s.count; j++) {
            spice_path_point(&s, j, &pt);
            sink += (uint32_t)(pt.x ^ pt.y);
        }
    }
    if (at != p->len || spice_path_seg_next(p, &at, &s) == 0)
        abort();
    for (size_t from = 1; from < p->len; from += 7) {
        at = from;
        if (spice_path_seg_next(p, &at, &s) == 0)
            touch(s.points, (size_t)s.count * 8);
    }
}

static void touch_line(const struct spice_line_attr *a)
{
    if (!(a->flags & SPICE_LINE_FLAGS_STYLED) && a->style_nseg)
        abort();
    touch(a->styles, (size_t)a->style_nseg * 4);
    for (unsigned i = 0; i <= a->style_nseg; i++)
        sink += (uint32_t)spice_line_style(a, (uint8_t)i);
}

static void touch_glyphs(const struct spice_glyph_string *s)
{
    unsigned bpp = spice_glyph_bpp(s->flags);
    struct spice_glyph g;
    size_t at = 0;

    touch(s->glyphs, s->len);
    for (uint16_t i = 0; i < s->length; i++) {
        if (spice_glyph_next(s, &at, &g) != 0 ||
            g.data_len != ((size_t)g.width * bpp + 7) / 8 * g.height)
            abort();
        touch(g.data, g.data_len);
    }
    if (at != s->len || spice_glyph_next(s, &at, &g) == 0)
        abort();
    for (size_t from = 1; from < s->len; from += 5) {
        at = from;
        if (spice_glyph_next(s, &at, &g) == 0)
            touch(g.data, g.data_len);
    }
}

/* What was decoded, written out, must decode, and write the same bytes. */
#define ROUND_TRIP(mtype, parse, put, m) do { \
        struct floe_wbuf w1_, w2_; \
        mtype m2_; \
        floe_wbuf_init(&w1_, 0); \
        floe_wbuf_init(&w2_, 0); \
        put(&w1_, 0, &(m), NULL); \
        if (w1_.failed || parse(w1_.data, w1_.len, &m2_) != 0) \
            abort(); \
        put(&w2_, 0, &m2_, NULL); \
        if (w2_.failed || w2_.len != w1_.len || memcmp(w1_.data, w2_.data, w1_.len) != 0) \
            abort(); \
        floe_wbuf_free(&w1_); \
        floe_wbuf_free(&w2_); \
    } while (0)

static void fuzz_fill(void)
{
    struct spice_draw_fill m;

    if (spice_draw_fill_parse(body, body_len, &m) != 0)
        return;
    touch_base(&m.base);
    touch_brush(&m.brush);
    touch_mask(&m.mask);
    ROUND_TRIP(struct spice_draw_fill, spice_draw_fill_parse, spice_draw_fill_brush_put, m);
}

static void fuzz_opaque(void)
{
    struct spice_draw_opaque m;

    if (spice_draw_opaque_parse(body, body_len, &m) != 0)
        return;
    touch_base(&m.base);
    touch_image(&m.image);
    touch_brush(&m.brush);
    touch_mask(&m.mask);
    ROUND_TRIP(struct spice_draw_opaque, spice_draw_opaque_parse, spice_draw_opaque_put, m);
}

static void fuzz_copy(void)
{
    struct spice_draw_copy m;

    if (spice_draw_copy_parse(body, body_len, &m) != 0)
        return;
    touch_base(&m.base);
    touch_image(&m.image);
    touch_mask(&m.mask);
    ROUND_TRIP(struct spice_draw_copy, spice_draw_copy_parse, spice_draw_copy_put, m);
}

static void fuzz_mask_only(void)
{
    struct spice_draw_mask_only m;

    if (spice_draw_mask_only_parse(body, body_len, &m) != 0)
        return;
    touch_base(&m.base);
    touch_mask(&m.mask);
    ROUND_TRIP(struct spice_draw_mask_only, spice_draw_mask_only_parse,
               spice_draw_mask_only_put, m);
}

static void fuzz_rop3(void)
{
    struct spice_draw_rop3 m;

    if (spice_draw_rop3_parse(body, body_len, &m) != 0)
        return;
    touch_base(&m.base);
    touch_image(&m.image);
    touch_brush(&m.brush);
    touch_mask(&m.mask);
    ROUND_TRIP(struct spice_draw_rop3, spice_draw_rop3_parse, spice_draw_rop3_put, m);
}

static void fuzz_stroke(void)
{
    struct spice_draw_stroke m;

    if (spice_draw_stroke_parse(body, body_len, &m) != 0)
        return;
    touch_base(&m.base);
    touch_path(&m.path);
    touch_line(&m.attr);
    touch_brush(&m.brush);
    ROUND_TRIP(struct spice_draw_stroke, spice_draw_stroke_parse, spice_draw_stroke_put, m);
}

static void fuzz_text(void)
{
    struct spice_draw_text m;

    if (spice_draw_text_parse(body, body_len, &m) != 0)
        return;
    touch_base(&m.base);
    touch_glyphs(&m.str);
    touch_brush(&m.fore_brush);
    touch_brush(&m.back_brush);
    ROUND_TRIP(struct spice_draw_text, spice_draw_text_parse, spice_draw_text_put, m);
}

static void fuzz_transparent(void)
{
    struct spice_draw_transparent m;

    if (spice_draw_transparent_parse(body, body_len, &m) != 0)
        return;
    touch_base(&m.base);
    touch_image(&m.image);
    ROUND_TRIP(struct spice_draw_transparent, spice_draw_transparent_parse,
               spice_draw_transparent_put, m);
}

static void fuzz_alpha_blend(void)
{
    struct spice_draw_alpha_blend m;

    if (spice_draw_alpha_blend_parse(body, body_len, &m) != 0)
        return;
    touch_base(&m.base);
    touch_image(&m.image);
    ROUND_TRIP(struct spice_draw_alpha_blend, spice_draw_alpha_blend_parse,
               spice_draw_alpha_blend_put, m);
}

static void fuzz_composite(void)
{
    struct spice_draw_composite m;

    if (spice_draw_composite_parse(body, body_len, &m) != 0)
        return;
    touch_base(&m.base);
    touch_image(&m.image);
    if (!(m.flags & SPICE_COMPOSITE_HAS_MASK) != !m.mask_bitmap)
        abort();
    touch_image(&m.mask_image);
    ROUND_TRIP(struct spice_draw_composite, spice_draw_composite_parse,
               spice_draw_composite_put, m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static void (*const kinds[DRAW_KINDS])(void) = {
        fuzz_fill, fuzz_opaque, fuzz_copy, fuzz_mask_only, fuzz_rop3, fuzz_stroke, fuzz_text,
        fuzz_transparent, fuzz_alpha_blend, fuzz_composite,
    };

    if (size < 1)
        return 0;
    body = data + 1;
    body_len = size - 1;
    kinds[data[0] % DRAW_KINDS]();
    return 0;
}
