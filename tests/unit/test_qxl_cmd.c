/* QXL commands of floe's library for QEMU (white-box): drawables, images in
 * every bitmap format, clips, surface, cursor and update commands laid out
 * in a buffer as a guest lays them out, parsed into checked copies or
 * refused with a reason; and parsed drawables rendered into pixman images. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/codec.h"
#include "server/qemu/qxl-cmd.h"
#include "server/qemu/qxl-render.h"

#define RAM (1u << 20)
#include "tests/unit/qxl_world.h"

static size_t brk_at;

static void world_up(struct world *w)
{
    world_setup(w);
    brk_at = 64;
}

/* Copies n bytes into the guest's RAM at the next free place; its offset. */
static size_t put(const void *p, size_t n)
{
    size_t off = brk_at;

    assert_true(n <= RAM - off);
    memcpy(ram + off, p, n);
    brk_at = (off + n + 7) & ~(size_t)7;
    return off;
}

/* A QXLDataChunk holding n bytes of p, then `next`. */
static QXLPHYSICAL chunk(const void *p, uint32_t n, QXLPHYSICAL next)
{
    QXLDataChunk c = { .data_size = n, .next_chunk = next };
    size_t off = brk_at;

    assert_true(sizeof(c) + n <= RAM - off);
    memcpy(ram + off, &c, sizeof(c));
    memcpy(ram + off + sizeof(c), p, n);
    brk_at = (off + sizeof(c) + n + 7) & ~(size_t)7;
    return at(off);
}

static QXLPHYSICAL palette(const uint32_t *ents, uint16_t n)
{
    QXLPalette p = { .unique = 9, .num_ents = n };
    size_t off = put(&p, sizeof(p));

    memcpy(ram + off + sizeof(p), ents, 4u * n);
    brk_at = (off + sizeof(p) + 4u * n + 7) & ~(size_t)7;
    return at(off);
}

static QXLPHYSICAL bitmap(uint8_t format, uint8_t flags, uint32_t w, uint32_t h, uint32_t stride,
                          QXLPHYSICAL pal, QXLPHYSICAL data)
{
    QXLImage img;

    memset(&img, 0, sizeof(img));
    img.descriptor.id = 77;
    img.descriptor.type = SPICE_IMAGE_TYPE_BITMAP;
    img.descriptor.width = w;
    img.descriptor.height = h;
    img.bitmap.format = format;
    img.bitmap.flags = flags;
    img.bitmap.x = w;
    img.bitmap.y = h;
    img.bitmap.stride = stride;
    img.bitmap.palette = pal;
    img.bitmap.data = data;
    return at(put(&img, sizeof(img)));
}

/* A direct bitmap over `bytes` (h rows of stride). */
static QXLPHYSICAL direct(uint8_t format, uint8_t flags, uint32_t w, uint32_t h, uint32_t stride,
                          QXLPHYSICAL pal, const void *bytes)
{
    QXLPHYSICAL data = at(put(bytes, (size_t)stride * h));

    return bitmap(format, flags | QXL_BITMAP_DIRECT, w, h, stride, pal, data);
}

static QXLRect qrect(int32_t l, int32_t t, int32_t r, int32_t b)
{
    return (QXLRect){ .top = t, .left = l, .bottom = b, .right = r };
}

static QXLDrawable drawable(uint8_t type)
{
    QXLDrawable q;

    memset(&q, 0, sizeof(q));
    q.type = type;
    q.effect = QXL_EFFECT_OPAQUE;
    q.bbox = qrect(0, 0, 4, 4);
    q.mm_time = 1234;
    for (int i = 0; i < 3; i++)
        q.surfaces_dest[i] = -1;
    return q;
}

static QXLDrawable copy_of(QXLPHYSICAL image, QXLRect area)
{
    QXLDrawable q = drawable(QXL_DRAW_COPY);

    q.bbox = area;
    q.u.copy.src_bitmap = image;
    q.u.copy.src_area = area;
    q.u.copy.rop_descriptor = SPICE_ROPD_OP_PUT;
    return q;
}

static int parse(struct world *w, const QXLDrawable *q, struct fqxl_draw *d)
{
    w->why = NULL;
    return fqxl_draw_parse(&w->m, 1, at(put(q, sizeof(*q))), 0, d, &w->why);
}

/* A draw that must be refused with `rc` and a reason. */
static void refused(struct world *w, const QXLDrawable *q, int rc)
{
    struct fqxl_draw d;

    assert_int_equal(parse(w, q, &d), rc);
    assert_non_null(w->why);
    assert_true(w->why[0] != 0);
    assert_null(d.clip);
    assert_null(d.src.pixels);
}

/* Parses a COPY of `image` (w x h) and checks its words. */
static void image_is(struct world *w, QXLPHYSICAL image, int iw, int ih, const uint32_t *want,
                     int alpha)
{
    QXLDrawable q = copy_of(image, qrect(0, 0, iw, ih));
    struct fqxl_draw d;

    assert_int_equal(parse(w, &q, &d), 0);
    assert_int_equal(d.src.kind, FQXL_IMAGE_PIXELS);
    assert_int_equal(d.src.w, iw);
    assert_int_equal(d.src.h, ih);
    assert_int_equal(d.src.alpha, alpha);
    assert_int_equal(d.src.id, 77);
    assert_memory_equal(d.src.pixels, want, (size_t)iw * ih * 4);
    fqxl_draw_free(&d);
}

static void test_fill_fields(void **st)
{
    struct world w;
    QXLDrawable q;
    struct fqxl_draw d;

    world_up(&w);
    q = drawable(QXL_DRAW_FILL);
    q.surface_id = 3;
    q.bbox = qrect(1, 2, 30, 40);
    q.surfaces_dest[1] = 5;
    q.surfaces_rects[1] = qrect(0, 0, 8, 9);
    q.u.fill.brush.type = SPICE_BRUSH_TYPE_SOLID;
    q.u.fill.brush.u.color = 0x123456;
    q.u.fill.rop_descriptor = SPICE_ROPD_OP_XOR;
    assert_int_equal(parse(&w, &q, &d), 0);
    assert_int_equal(d.type, QXL_DRAW_FILL);
    assert_int_equal(d.surface_id, 3);
    assert_int_equal(d.bbox.left, 1);
    assert_int_equal(d.bbox.top, 2);
    assert_int_equal(d.bbox.right, 30);
    assert_int_equal(d.bbox.bottom, 40);
    assert_int_equal(d.effect, QXL_EFFECT_OPAQUE);
    assert_int_equal(d.mm_time, 1234);
    assert_int_equal(d.surfaces_dest[0], -1);
    assert_int_equal(d.surfaces_dest[1], 5);
    assert_int_equal(d.surfaces_rects[1].bottom, 9);
    assert_int_equal(d.brush.kind, FQXL_BRUSH_SOLID);
    assert_int_equal(d.brush.color, 0x123456);
    assert_int_equal(d.rop_descriptor, SPICE_ROPD_OP_XOR);
    assert_int_equal(d.clip_rects, 0);
    assert_int_equal(d.has_mask, 0);
    fqxl_draw_free(&d);
}

static void test_types_fields(void **st)
{
    uint32_t px[4] = { 1, 2, 3, 4 };
    struct world w;
    QXLDrawable q;
    QXLPHYSICAL img;
    struct fqxl_draw d;

    world_up(&w);
    img = direct(SPICE_BITMAP_FMT_32BIT, 0, 2, 2, 8, 0, px);
    q = drawable(QXL_COPY_BITS);
    q.u.copy_bits.src_pos.x = 7;
    q.u.copy_bits.src_pos.y = 9;
    assert_int_equal(parse(&w, &q, &d), 0);
    assert_int_equal(d.src_x, 7);
    assert_int_equal(d.src_y, 9);
    fqxl_draw_free(&d);

    q = drawable(QXL_DRAW_OPAQUE);
    q.u.opaque.src_bitmap = img;
    q.u.opaque.src_area = qrect(0, 0, 2, 1);
    q.u.opaque.brush.type = SPICE_BRUSH_TYPE_PATTERN;
    q.u.opaque.brush.u.pattern.pat = img;
    q.u.opaque.brush.u.pattern.pos.x = -3;
    q.u.opaque.rop_descriptor = SPICE_ROPD_OP_AND;
    q.u.opaque.scale_mode = SPICE_IMAGE_SCALE_MODE_NEAREST;
    assert_int_equal(parse(&w, &q, &d), 0);
    /* bottom-up: the rows come out swapped */
    assert_int_equal(d.src.pixels[3], 2);
    assert_int_equal(d.src_area.right, 2);
    assert_int_equal(d.brush.kind, FQXL_BRUSH_PATTERN);
    assert_int_equal(d.brush.pattern.pixels[2], 1);
    assert_int_equal(d.brush.pos_x, -3);
    assert_int_equal(d.rop_descriptor, SPICE_ROPD_OP_AND);
    assert_int_equal(d.scale_mode, SPICE_IMAGE_SCALE_MODE_NEAREST);
    fqxl_draw_free(&d);

    q = drawable(QXL_DRAW_TRANSPARENT);
    q.u.transparent.src_bitmap = img;
    q.u.transparent.src_area = qrect(0, 0, 1, 1);
    q.u.transparent.true_color = 0xff00ff;
    assert_int_equal(parse(&w, &q, &d), 0);
    assert_int_equal(d.transparent_color, 0xff00ff);
    fqxl_draw_free(&d);

    q = drawable(QXL_DRAW_ALPHA_BLEND);
    q.u.alpha_blend.alpha = 128;
    q.u.alpha_blend.alpha_flags = SPICE_ALPHA_FLAGS_DEST_HAS_ALPHA;
    q.u.alpha_blend.src_bitmap = img;
    q.u.alpha_blend.src_area = qrect(1, 1, 2, 2);
    assert_int_equal(parse(&w, &q, &d), 0);
    assert_int_equal(d.alpha, 128);
    assert_int_equal(d.alpha_flags, SPICE_ALPHA_FLAGS_DEST_HAS_ALPHA);
    assert_int_equal(d.src_area.left, 1);
    fqxl_draw_free(&d);

    q = drawable(QXL_DRAW_ROP3);
    q.u.rop3.src_bitmap = img;
    q.u.rop3.src_area = qrect(0, 0, 2, 2);
    q.u.rop3.rop3 = 0xb8;
    q.u.rop3.brush.type = SPICE_BRUSH_TYPE_SOLID;
    q.u.rop3.brush.u.color = 0xabcdef;
    assert_int_equal(parse(&w, &q, &d), 0);
    assert_int_equal(d.rop3, 0xb8);
    assert_int_equal(d.brush.color, 0xabcdef);
    fqxl_draw_free(&d);

    q = copy_of(img, qrect(0, 0, 2, 2));
    q.type = QXL_DRAW_BLEND;
    q.u.blend.rop_descriptor = SPICE_ROPD_OP_OR | SPICE_ROPD_INVERS_SRC;
    assert_int_equal(parse(&w, &q, &d), 0);
    assert_int_equal(d.type, QXL_DRAW_BLEND);
    assert_int_equal(d.rop_descriptor, SPICE_ROPD_OP_OR | SPICE_ROPD_INVERS_SRC);
    fqxl_draw_free(&d);

    const uint8_t types[] = { QXL_DRAW_NOP, QXL_DRAW_BLACKNESS, QXL_DRAW_WHITENESS,
                              QXL_DRAW_INVERS };
    for (size_t i = 0; i < sizeof(types); i++) {
        q = drawable(types[i]);
        assert_int_equal(parse(&w, &q, &d), 0);
        assert_int_equal(d.type, types[i]);
        fqxl_draw_free(&d);
    }
}

static void test_mask(void **st)
{
    uint8_t bits[2] = { 0x80, 0x40 };   /* 1-bit BE, 2x2: (0,0) and (1,1) set */
    struct world w;
    QXLDrawable q;
    struct fqxl_draw d;
    const uint32_t want[4] = { 1, 0, 0, 1 };

    world_up(&w);
    q = drawable(QXL_DRAW_BLACKNESS);
    q.u.blackness.mask.flags = SPICE_MASK_FLAGS_INVERS;
    q.u.blackness.mask.pos.x = 1;
    q.u.blackness.mask.pos.y = 2;
    q.u.blackness.mask.bitmap = direct(SPICE_BITMAP_FMT_1BIT_BE, QXL_BITMAP_TOP_DOWN, 2, 2, 1, 0,
                                       bits);
    assert_int_equal(parse(&w, &q, &d), 0);
    assert_int_equal(d.has_mask, 1);
    assert_int_equal(d.mask_flags, SPICE_MASK_FLAGS_INVERS);
    assert_int_equal(d.mask_x, 1);
    assert_int_equal(d.mask_y, 2);
    assert_memory_equal(d.mask.pixels, want, sizeof(want));
    fqxl_draw_free(&d);

    /* a mask must be one bit deep */
    q.u.blackness.mask.bitmap = direct(SPICE_BITMAP_FMT_8BIT, 0, 2, 1, 2, 0, bits);
    refused(&w, &q, -ENOTSUP);
}

static void test_formats(void **st)
{
    struct world w;
    const uint32_t pal2[2] = { 0x111111, 0x00ff00 };
    const uint32_t pal16[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
    const uint32_t pal4[4] = { 0xaa0000, 0x00bb00, 0x0000cc, 0xffffffff };

    world_up(&w);
    {   /* 32-bit, bottom-up: the first row in memory is the bottom one */
        const uint32_t px[4] = { 0xff010203, 0x00040506, 0x11070809, 0x220a0b0c };
        const uint32_t want[4] = { 0x070809, 0x0a0b0c, 0x010203, 0x040506 };

        image_is(&w, direct(SPICE_BITMAP_FMT_32BIT, 0, 2, 2, 8, 0, px), 2, 2, want, 0);
    }
    {   /* RGBA keeps its alpha; a wider stride is skipped over */
        const uint32_t px[6] = { 0x80010203, 0x40040506, 0xdead, 0x11070809, 0x220a0b0c, 0xbeef };
        const uint32_t want[4] = { 0x80010203, 0x40040506, 0x11070809, 0x220a0b0c };

        image_is(&w, direct(SPICE_BITMAP_FMT_RGBA, QXL_BITMAP_TOP_DOWN, 2, 2, 12, 0, px), 2, 2,
                 want, 1);
    }
    {   /* 24-bit: B, G, R bytes */
        const uint8_t px[8] = { 0x03, 0x02, 0x01, 0x06, 0x05, 0x04, 0, 0 };
        const uint32_t want[2] = { 0x010203, 0x040506 };

        image_is(&w, direct(SPICE_BITMAP_FMT_24BIT, QXL_BITMAP_TOP_DOWN, 2, 1, 8, 0, px), 2, 1,
                 want, 0);
    }
    {   /* 16-bit 555, each channel widened by repeating its top bits */
        const uint8_t px[4] = { 0x1f, 0x7c, 0xe0, 0x03 };   /* 0x7c1f: r 31, b 31; 0x03e0: g 31 */
        const uint32_t want[2] = { 0xff00ff, 0x00ff00 };

        image_is(&w, direct(SPICE_BITMAP_FMT_16BIT, QXL_BITMAP_TOP_DOWN, 2, 1, 4, 0, px), 2, 1,
                 want, 0);
    }
    {   /* 8-bit through a palette; its entries' top byte is dropped */
        const uint8_t px[4] = { 3, 0, 2, 1 };
        const uint32_t want[4] = { 0xffffff, 0xaa0000, 0x0000cc, 0x00bb00 };

        image_is(&w, direct(SPICE_BITMAP_FMT_8BIT, QXL_BITMAP_TOP_DOWN, 4, 1, 4,
                            palette(pal4, 4), px), 4, 1, want, 0);
    }
    {   /* 4-bit: BE takes the high nibble first, LE the low one */
        const uint8_t px[2] = { 0x12, 0x34 };
        const uint32_t be[3] = { 1, 2, 3 }, le[3] = { 2, 1, 4 };

        image_is(&w, direct(SPICE_BITMAP_FMT_4BIT_BE, QXL_BITMAP_TOP_DOWN, 3, 1, 2,
                            palette(pal16, 16), px), 3, 1, be, 0);
        image_is(&w, direct(SPICE_BITMAP_FMT_4BIT_LE, QXL_BITMAP_TOP_DOWN, 3, 1, 2,
                            palette(pal16, 16), px), 3, 1, le, 0);
    }
    {   /* 1-bit: BE takes the top bit first, LE the bottom one; 10 pixels span 2 bytes */
        const uint8_t px[2] = { 0xa0, 0x80 };
        const uint32_t a = 0x111111, b = 0x00ff00;
        const uint32_t be[10] = { b, a, b, a, a, a, a, a, b, a };
        const uint32_t le[10] = { a, a, a, a, a, b, a, b, a, a };

        image_is(&w, direct(SPICE_BITMAP_FMT_1BIT_BE, QXL_BITMAP_TOP_DOWN, 10, 1, 2,
                            palette(pal2, 2), px), 10, 1, be, 0);
        image_is(&w, direct(SPICE_BITMAP_FMT_1BIT_LE, QXL_BITMAP_TOP_DOWN, 10, 1, 2,
                            palette(pal2, 2), px), 10, 1, le, 0);
    }
}

static void test_chunked(void **st)
{
    /* a 3x2 32-bit bitmap bottom-up, its 24 bytes split 10 + 14 across chunks */
    const uint32_t px[6] = { 0x000004, 0x000005, 0x000006, 0x000001, 0x000002, 0x000003 };
    const uint32_t want[6] = { 1, 2, 3, 4, 5, 6 };
    struct world w;
    QXLPHYSICAL second, first;

    world_up(&w);
    second = chunk((const uint8_t *)px + 10, 14, 0);
    first = chunk(px, 10, second);
    image_is(&w, bitmap(SPICE_BITMAP_FMT_32BIT, 0, 3, 2, 12, 0, first), 3, 2, want, 0);

    /* the chunks hold less than stride * height */
    first = chunk(px, 10, 0);
    {
        QXLDrawable q = copy_of(bitmap(SPICE_BITMAP_FMT_32BIT, 0, 3, 2, 12, 0, first),
                                qrect(0, 0, 3, 2));

        refused(&w, &q, -EINVAL);
    }
}

static void test_quic(void **st)
{
    const struct floe_codec *quic = floe_codec_by_name("quic");
    uint32_t px[16 * 8];
    struct floe_pic pic = { .pixels = px, .width = 16, .height = 8, .stride = 64 };
    struct floe_bytes out = { 0 };
    struct floe_coded meta = { 0 };
    struct world w;
    QXLImage img;
    struct fqxl_draw d;
    size_t off;
    QXLDrawable q;

    for (int i = 0; i < 16 * 8; i++)
        px[i] = (uint32_t)(i * 0x010307) & 0xffffff;
    assert_non_null(quic);
    assert_int_equal(quic->encode(NULL, &pic, &out, &meta), 0);
    world_up(&w);
    memset(&img, 0, sizeof(img));
    img.descriptor.type = SPICE_IMAGE_TYPE_QUIC;
    img.descriptor.width = 16;
    img.descriptor.height = 8;
    img.quic.data_size = (uint32_t)out.len;
    /* the first chunk lies in the image, right after data_size */
    off = put(&img, offsetof(QXLImage, quic.data));
    brk_at = off + offsetof(QXLImage, quic.data);
    {
        QXLDataChunk c = { .data_size = (uint32_t)out.len };

        memcpy(ram + brk_at, &c, sizeof(c));
        memcpy(ram + brk_at + sizeof(c), out.data, out.len);
        brk_at = (brk_at + sizeof(c) + out.len + 7) & ~(size_t)7;
    }
    q = copy_of(at(off), qrect(0, 0, 16, 8));
    assert_int_equal(parse(&w, &q, &d), 0);
    assert_memory_equal(d.src.pixels, px, sizeof(px));
    fqxl_draw_free(&d);

    /* a size the payload does not announce */
    ram[off + offsetof(QXLImage, quic.data_size)] ^= 1;
    q = copy_of(at(off), qrect(0, 0, 16, 8));
    refused(&w, &q, -EINVAL);
    floe_bytes_free(&out);
}

static void test_surface_and_other_images(void **st)
{
    struct world w;
    QXLImage img;
    QXLDrawable q;
    struct fqxl_draw d;

    world_up(&w);
    memset(&img, 0, sizeof(img));
    img.descriptor.type = SPICE_IMAGE_TYPE_SURFACE;
    img.surface_image.surface_id = 6;
    q = copy_of(at(put(&img, sizeof(img))), qrect(0, 0, 100, 100));
    assert_int_equal(parse(&w, &q, &d), 0);
    assert_int_equal(d.src.kind, FQXL_IMAGE_SURFACE);
    assert_int_equal(d.src.surface_id, 6);
    assert_null(d.src.pixels);
    fqxl_draw_free(&d);

    img.surface_image.surface_id = FQXL_MAX_SURFACES;
    q = copy_of(at(put(&img, sizeof(img))), qrect(0, 0, 100, 100));
    refused(&w, &q, -EINVAL);

    img.descriptor.type = SPICE_IMAGE_TYPE_LZ_RGB;
    q = copy_of(at(put(&img, sizeof(img))), qrect(0, 0, 1, 1));
    refused(&w, &q, -ENOTSUP);
}

static void test_clip(void **st)
{
    QXLRect rects[3] = { qrect(0, 0, 2, 2), qrect(5, 6, 7, 8), qrect(1, 1, 3, 3) };
    struct world w;
    QXLDrawable q;
    struct fqxl_draw d;
    size_t off;
    uint32_t n = 3;

    world_up(&w);
    /* QXLClipRects: the count, then a chunk of 2 rectangles and one of 1 */
    {
        QXLPHYSICAL next = chunk(&rects[2], sizeof(QXLRect), 0);
        QXLDataChunk c = { .data_size = 2 * sizeof(QXLRect), .next_chunk = next };

        off = brk_at;
        memcpy(ram + off, &n, 4);
        memcpy(ram + off + 4, &c, sizeof(c));
        memcpy(ram + off + 4 + sizeof(c), rects, 2 * sizeof(QXLRect));
        brk_at = (off + 4 + sizeof(c) + 2 * sizeof(QXLRect) + 7) & ~(size_t)7;
    }
    q = drawable(QXL_DRAW_BLACKNESS);
    q.clip.type = SPICE_CLIP_TYPE_RECTS;
    q.clip.data = at(off);
    assert_int_equal(parse(&w, &q, &d), 0);
    assert_int_equal(d.clip_rects, 1);
    assert_int_equal(d.clip_n, 3);
    assert_int_equal(d.clip[1].left, 5);
    assert_int_equal(d.clip[1].top, 6);
    assert_int_equal(d.clip[2].right, 3);
    fqxl_draw_free(&d);

    /* the count must match the rectangles */
    ram[off] = 2;
    refused(&w, &q, -EINVAL);
    /* past the limit */
    memcpy(ram + off, &(uint32_t){ FQXL_MAX_CLIP_RECTS + 1 }, 4);
    refused(&w, &q, -E2BIG);
    assert_string_equal(w.why, "clip of 4097 rectangles past the limit");
    /* an inverted rectangle */
    ram[off] = 3;
    memset(ram + off + 1, 0, 3);
    rects[0] = qrect(4, 0, 2, 2);
    memcpy(ram + off + 4 + sizeof(QXLDataChunk), rects, sizeof(QXLRect));
    refused(&w, &q, -EINVAL);
    /* a clip type that is not there */
    q.clip.type = 7;
    refused(&w, &q, -EINVAL);
}

static void test_draw_rules(void **st)
{
    uint32_t px[4] = { 0 };
    struct world w;
    QXLDrawable q;
    struct fqxl_draw d;
    QXLPHYSICAL img;

    world_up(&w);
    img = direct(SPICE_BITMAP_FMT_32BIT, 0, 2, 2, 8, 0, px);
    /* the drawable itself: bad slot, older generation, out of the slot */
    assert_int_equal(fqxl_draw_parse(&w.m, 1, qxl_addr(0, 3, GUEST_BASE), 0, &d, &w.why), -EFAULT);
    assert_int_equal(fqxl_draw_parse(&w.m, 1, qxl_addr(1, 2, GUEST_BASE + 64), 0, &d, &w.why),
                     -EFAULT);
    assert_string_equal(w.why, "address of an older generation of its memslot");
    assert_int_equal(fqxl_draw_parse(&w.m, 1, at(RAM - 10), 0, &d, &w.why), -EFAULT);

    q = drawable(QXL_DRAW_BLACKNESS);
    q.bbox = qrect(5, 0, 4, 4);
    refused(&w, &q, -EINVAL);
    q.bbox = qrect(0, 0, 4, FQXL_MAX_DIM + 1);
    refused(&w, &q, -EINVAL);
    q.bbox = qrect(-1, 0, 4, 4);
    refused(&w, &q, -EINVAL);
    q = drawable(QXL_DRAW_BLACKNESS);
    q.surface_id = FQXL_MAX_SURFACES;
    refused(&w, &q, -EINVAL);
    q = drawable(QXL_DRAW_BLACKNESS);
    q.surfaces_dest[2] = FQXL_MAX_SURFACES;
    refused(&w, &q, -EINVAL);
    q = drawable(QXL_DRAW_BLACKNESS);
    q.effect = 8;
    refused(&w, &q, -EINVAL);
    q = drawable(QXL_DRAW_COMPOSITE + 1);
    refused(&w, &q, -EINVAL);

    q = copy_of(img, qrect(0, 0, 2, 2));
    q.u.copy.rop_descriptor = 0x800;
    refused(&w, &q, -EINVAL);
    q = copy_of(img, qrect(0, 0, 2, 2));
    q.u.copy.scale_mode = 2;
    refused(&w, &q, -EINVAL);
    q = copy_of(img, qrect(0, 0, 3, 2));   /* wider than the image */
    refused(&w, &q, -EINVAL);
    assert_string_equal(w.why, "source area (0,0)-(3,2) outside its 2x2 image");
    q = copy_of(0, qrect(0, 0, 2, 2));
    refused(&w, &q, -EINVAL);
    q = drawable(QXL_DRAW_FILL);
    q.u.fill.brush.type = 3;
    refused(&w, &q, -EINVAL);
    q = drawable(QXL_COPY_BITS);
    q.u.copy_bits.src_pos.x = -1;
    refused(&w, &q, -EINVAL);
}

static void test_bitmap_rules(void **st)
{
    static uint8_t zeros[64];
    const uint32_t pal2[2] = { 1, 2 };
    struct world w;
    QXLDrawable q;
    QXLPHYSICAL loop;

    world_up(&w);
    q = copy_of(direct(SPICE_BITMAP_FMT_32BIT, 0, 4, 1, 12, 0, zeros), qrect(0, 0, 4, 1));
    refused(&w, &q, -EINVAL);
    assert_string_equal(w.why, "bitmap stride 12 too small for 4 pixels of 32 bits");
    /* stride * height past 4 GiB: refused before any address is followed */
    q = copy_of(bitmap(SPICE_BITMAP_FMT_32BIT, QXL_BITMAP_DIRECT, 4, 16384, 0xffffffffu, 0,
                       at(0)), qrect(0, 0, 4, 1));
    refused(&w, &q, -E2BIG);
    /* direct data running past the slot */
    q = copy_of(bitmap(SPICE_BITMAP_FMT_32BIT, QXL_BITMAP_DIRECT, 4, 4, 16, 0, at(RAM - 60)),
                qrect(0, 0, 4, 1));
    refused(&w, &q, -EFAULT);
    q = copy_of(bitmap(SPICE_BITMAP_FMT_32BIT, 0, 0, 4, 16, 0, at(0)), qrect(0, 0, 0, 0));
    refused(&w, &q, -EINVAL);
    q = copy_of(bitmap(12, QXL_BITMAP_DIRECT, 4, 4, 16, 0, at(0)), qrect(0, 0, 1, 1));
    refused(&w, &q, -EINVAL);
    q = copy_of(direct(SPICE_BITMAP_FMT_8BIT, 0, 4, 1, 4, 0, zeros), qrect(0, 0, 4, 1));
    refused(&w, &q, -EINVAL);
    assert_string_equal(w.why, "indexed bitmap without a palette");
    /* a pixel past a palette too short, and a palette too long for 1 bit */
    {
        const uint8_t idx[4] = { 0, 1, 2, 0 };

        q = copy_of(direct(SPICE_BITMAP_FMT_8BIT, 0, 4, 1, 4, palette(pal2, 2), idx),
                    qrect(0, 0, 4, 1));
        refused(&w, &q, -EINVAL);
        assert_string_equal(w.why, "bitmap pixel 2 indexes past the palette's 2 entries");
    }
    {
        uint32_t pal3[3] = { 1, 2, 3 };

        q = copy_of(direct(SPICE_BITMAP_FMT_1BIT_BE, 0, 4, 1, 1, palette(pal3, 3), zeros),
                    qrect(0, 0, 4, 1));
        refused(&w, &q, -EINVAL);
    }
    /* a palette running out of the slot */
    {
        QXLPalette p = { .num_ents = 200 };

        memcpy(ram + RAM - 400, &p, sizeof(p));
        q = copy_of(direct(SPICE_BITMAP_FMT_8BIT, 0, 4, 1, 4, at(RAM - 400), zeros),
                    qrect(0, 0, 4, 1));
        refused(&w, &q, -EFAULT);
    }
    /* a chunk chain that loops */
    {
        size_t off = put(&(QXLDataChunk){ .data_size = 0 }, sizeof(QXLDataChunk));

        loop = at(off);
        memcpy(ram + off + offsetof(QXLDataChunk, next_chunk), &loop, 8);
        q = copy_of(bitmap(SPICE_BITMAP_FMT_32BIT, 0, 4, 1, 16, 0, loop), qrect(0, 0, 4, 1));
        refused(&w, &q, -E2BIG);
    }
}

static size_t string_at(uint16_t length, uint16_t flags, const uint8_t *glyphs, uint32_t n)
{
    QXLString s = { .data_size = n, .length = length, .flags = flags };
    size_t off = brk_at;

    s.chunk.data_size = n;
    memcpy(ram + off, &s, sizeof(s));
    memcpy(ram + off + sizeof(s), glyphs, n);
    brk_at = (off + sizeof(s) + n + 7) & ~(size_t)7;
    return off;
}

static void test_text_stroke_composite(void **st)
{
    uint8_t glyphs[2 * sizeof(QXLRasterGlyph) + 6] = { 0 };
    QXLRasterGlyph g = { .width = 9, .height = 2 };   /* A1: 2 bytes a row, 4 bytes */
    QXLRasterGlyph g2 = { .width = 3, .height = 2 };  /* A1: 1 byte a row */
    struct world w;
    QXLDrawable q;
    struct fqxl_draw d;
    size_t s;

    world_up(&w);
    memcpy(glyphs, &g, sizeof(g));
    memcpy(glyphs + sizeof(g) + 4, &g2, sizeof(g2));
    s = string_at(2, SPICE_STRING_FLAGS_RASTER_A1, glyphs, sizeof(glyphs));
    q = drawable(QXL_DRAW_TEXT);
    q.u.text.str = at(s);
    q.u.text.fore_brush.type = SPICE_BRUSH_TYPE_SOLID;
    q.u.text.fore_mode = SPICE_ROPD_OP_PUT;
    assert_int_equal(parse(&w, &q, &d), 0);
    assert_int_equal(d.type, QXL_DRAW_TEXT);
    fqxl_draw_free(&d);
    ram[s + offsetof(QXLString, length)] = 3;   /* announces a glyph that is not there */
    refused(&w, &q, -EINVAL);
    s = string_at(2, SPICE_STRING_FLAGS_RASTER_A8, glyphs, sizeof(glyphs));   /* 18 bytes a glyph */
    q.u.text.str = at(s);
    refused(&w, &q, -EINVAL);

    /* a path of one segment of 2 points, then one claiming more than is left */
    {
        uint8_t path[4 + sizeof(QXLDataChunk) + 8 + 16] = { 0 };
        QXLPathSeg seg = { .flags = QXL_PATH_BEGIN, .count = 2 };
        QXLDataChunk c = { .data_size = 24 };
        uint32_t size = 24;
        size_t off;

        memcpy(path, &size, 4);
        memcpy(path + 4, &c, sizeof(c));
        memcpy(path + 4 + sizeof(c), &seg, sizeof(seg));
        off = put(path, sizeof(path));
        q = drawable(QXL_DRAW_STROKE);
        q.u.stroke.path = at(off);
        q.u.stroke.fore_mode = SPICE_ROPD_OP_PUT;
        assert_int_equal(parse(&w, &q, &d), 0);
        fqxl_draw_free(&d);
        /* dashed: the dash lengths are copied; past the memory, refused */
        {
            static const uint8_t dashes[] = { 0x30, 0, 0, 0, 0x28, 0, 0, 0 };

            q.u.stroke.attr.flags = SPICE_LINE_FLAGS_STYLED;
            q.u.stroke.attr.style_nseg = 2;
            q.u.stroke.attr.style = at(put(dashes, sizeof(dashes)));
            assert_int_equal(parse(&w, &q, &d), 0);
            assert_int_equal(d.style_nseg, 2);
            assert_memory_equal(d.styles, dashes, sizeof(dashes));
            fqxl_draw_free(&d);
            q.u.stroke.attr.style = at(RAM - 4);
            refused(&w, &q, -EFAULT);
            q.u.stroke.attr.flags = 0;
        }
        ram[off + 4 + sizeof(c) + 4] = 3;
        refused(&w, &q, -EINVAL);
        assert_string_equal(w.why, "path segment of 3 points past its data");
    }

    {
        uint32_t px[1] = { 5 };

        q = drawable(QXL_DRAW_COMPOSITE);
        q.u.composite.flags = QXL_OP_OVER;
        q.u.composite.src = direct(SPICE_BITMAP_FMT_32BIT, 0, 1, 1, 4, 0, px);
        assert_int_equal(parse(&w, &q, &d), 0);
        fqxl_draw_free(&d);
        q.u.composite.src_transform = at(RAM - 8);   /* 24 bytes do not fit */
        refused(&w, &q, -EFAULT);
        q.u.composite.src_transform = 0;
        q.u.composite.flags = 0x20;   /* no such operator */
        refused(&w, &q, -EINVAL);
    }
}

static void test_compat(void **st)
{
    uint32_t px[4] = { 1, 2, 3, 4 };
    struct world w;
    QXLCompatDrawable q;
    struct fqxl_draw d;
    QXLPHYSICAL img;

    world_up(&w);
    img = direct(SPICE_BITMAP_FMT_32BIT, QXL_BITMAP_TOP_DOWN, 2, 2, 8, 0, px);
    memset(&q, 0, sizeof(q));
    q.type = QXL_DRAW_ALPHA_BLEND;
    q.bbox = qrect(0, 0, 2, 2);
    q.mm_time = 99;
    q.u.alpha_blend.alpha = 77;
    q.u.alpha_blend.src_bitmap = img;
    q.u.alpha_blend.src_area = qrect(0, 0, 2, 2);
    assert_int_equal(fqxl_draw_parse(&w.m, 1, at(put(&q, sizeof(q))), 1, &d, &w.why), 0);
    assert_int_equal(d.surface_id, 0);
    assert_int_equal(d.mm_time, 99);
    assert_int_equal(d.alpha, 77);
    assert_int_equal(d.src.pixels[1], 2);
    assert_int_equal(d.surfaces_dest[0], -1);
    fqxl_draw_free(&d);

    q.type = QXL_COPY_BITS;
    q.bbox = qrect(10, 20, 14, 22);
    q.u.copy_bits.src_pos.x = 3;
    q.u.copy_bits.src_pos.y = 4;
    assert_int_equal(fqxl_draw_parse(&w.m, 1, at(put(&q, sizeof(q))), 1, &d, &w.why), 0);
    assert_int_equal(d.src_x, 3);
    assert_int_equal(d.surfaces_dest[0], 0);
    assert_int_equal(d.surfaces_rects[0].right, 7);
    assert_int_equal(d.surfaces_rects[0].bottom, 6);
    fqxl_draw_free(&d);

    q.type = QXL_DRAW_COMPOSITE;   /* not in the old layout */
    assert_int_equal(fqxl_draw_parse(&w.m, 1, at(put(&q, sizeof(q))), 1, &d, &w.why), -EINVAL);
}

static int surface_parse(struct world *w, uint32_t id, uint8_t type, const QXLSurface *s,
                         struct fqxl_surface_cmd *c)
{
    QXLSurfaceCmd q;

    memset(&q, 0, sizeof(q));
    q.surface_id = id;
    q.type = type;
    q.flags = 1;
    q.u.surface_create = *s;
    w->why = NULL;
    return fqxl_surface_cmd_parse(&w->m, 1, at(put(&q, sizeof(q))), c, &w->why);
}

static void test_surface_cmd(void **st)
{
    struct world w;
    struct fqxl_surface_cmd c;
    QXLSurface s = { .format = SPICE_SURFACE_FMT_32_xRGB, .width = 100, .height = 50,
                     .stride = 400, .data = at(4096) };

    world_up(&w);
    assert_int_equal(surface_parse(&w, 2, QXL_SURFACE_CMD_CREATE, &s, &c), 0);
    assert_int_equal(c.type, QXL_SURFACE_CMD_CREATE);
    assert_int_equal(c.surface_id, 2);
    assert_int_equal(c.flags, 1);
    assert_int_equal(c.width, 100);
    assert_int_equal(c.height, 50);
    assert_int_equal(c.stride, 400);
    assert_ptr_equal(c.mem, ram + 4096);
    /* bottom-up: the top row is the last in memory */
    s.stride = -400;
    assert_int_equal(surface_parse(&w, 2, QXL_SURFACE_CMD_CREATE, &s, &c), 0);
    assert_ptr_equal(c.mem, ram + 4096 + 49 * 400);
    assert_int_equal(c.stride, -400);
    s.format = SPICE_SURFACE_FMT_16_565;
    s.stride = 200;
    assert_int_equal(surface_parse(&w, 2, QXL_SURFACE_CMD_CREATE, &s, &c), 0);
    assert_int_equal(surface_parse(&w, 7, QXL_SURFACE_CMD_DESTROY, &s, &c), 0);
    assert_int_equal(c.type, QXL_SURFACE_CMD_DESTROY);
    assert_int_equal(c.surface_id, 7);

    s.stride = 199;
    assert_int_equal(surface_parse(&w, 2, QXL_SURFACE_CMD_CREATE, &s, &c), -EINVAL);
    assert_non_null(w.why);
    s.stride = INT32_MIN;   /* |stride| * height far past the slot */
    assert_int_equal(surface_parse(&w, 2, QXL_SURFACE_CMD_CREATE, &s, &c), -EFAULT);
    s.stride = 400;
    s.format = 33;
    assert_int_equal(surface_parse(&w, 2, QXL_SURFACE_CMD_CREATE, &s, &c), -EINVAL);
    s.format = SPICE_SURFACE_FMT_32_ARGB;
    s.height = RAM / 400;   /* the last rows outside the slot */
    assert_int_equal(surface_parse(&w, 2, QXL_SURFACE_CMD_CREATE, &s, &c), -EFAULT);
    assert_null(c.mem);
    s.height = 0;
    assert_int_equal(surface_parse(&w, 2, QXL_SURFACE_CMD_CREATE, &s, &c), -EINVAL);
    s.height = 50;
    assert_int_equal(surface_parse(&w, FQXL_MAX_SURFACES, QXL_SURFACE_CMD_CREATE, &s, &c),
                     -EINVAL);
    assert_int_equal(surface_parse(&w, 1, 2, &s, &c), -EINVAL);
}

static int cursor_parse(struct world *w, const QXLCursorHeader *h, const void *data, uint32_t n,
                        struct fqxl_cursor_cmd *c)
{
    QXLCursorCmd q;
    QXLCursor cur;
    size_t off = brk_at;

    memset(&cur, 0, sizeof(cur));
    cur.header = *h;
    cur.data_size = n;
    cur.chunk.data_size = n;
    memcpy(ram + off, &cur, sizeof(cur));
    memcpy(ram + off + sizeof(cur), data, n);
    brk_at = (off + sizeof(cur) + n + 7) & ~(size_t)7;
    memset(&q, 0, sizeof(q));
    q.type = QXL_CURSOR_SET;
    q.u.set.position.x = -5;
    q.u.set.position.y = 6;
    q.u.set.visible = 1;
    q.u.set.shape = at(off);
    w->why = NULL;
    return fqxl_cursor_cmd_parse(&w->m, 1, at(put(&q, sizeof(q))), c, &w->why);
}

static void test_cursor(void **st)
{
    struct world w;
    struct fqxl_cursor_cmd c;
    QXLCursorHeader h = { .unique = 42, .type = SPICE_CURSOR_TYPE_ALPHA, .width = 2,
                          .height = 1, .hot_spot_x = 1, .hot_spot_y = 0 };

    world_up(&w);
    {   /* straight alpha, premultiplied */
        const uint32_t px[2] = { 0x80ff8000, 0xff102030 };

        assert_int_equal(cursor_parse(&w, &h, px, sizeof(px), &c), 0);
        assert_int_equal(c.type, QXL_CURSOR_SET);
        assert_int_equal(c.x, -5);
        assert_int_equal(c.y, 6);
        assert_int_equal(c.visible, 1);
        assert_int_equal(c.w, 2);
        assert_int_equal(c.h, 1);
        assert_int_equal(c.hot_x, 1);
        assert_int_equal(c.unique, 42);
        assert_int_equal(c.argb[0], 0x80804000);
        assert_int_equal(c.argb[1], 0xff102030);
        fqxl_cursor_cmd_free(&c);
        assert_int_equal(cursor_parse(&w, &h, px, 7, &c), -EINVAL);   /* data short */
        assert_null(c.argb);
    }
    {   /* MONO 4x1: AND 0011, XOR 0101 -> black, white, transparent, inverting */
        const uint8_t masks[2] = { 0x30, 0x50 };
        const uint32_t want[4] = { 0xff000000, 0xffffffff, 0, 0xff000000 };

        h.type = SPICE_CURSOR_TYPE_MONO;
        h.width = 4;
        assert_int_equal(cursor_parse(&w, &h, masks, 2, &c), 0);
        assert_memory_equal(c.argb, want, sizeof(want));
        fqxl_cursor_cmd_free(&c);
    }
    {   /* COLOR32 2x1: pixels, then the AND mask 01 */
        uint8_t data[9] = { 0x30, 0x20, 0x10, 0, 0, 0, 0, 0, 0x40 };
        const uint32_t want[2] = { 0xff102030, 0 };

        h.type = SPICE_CURSOR_TYPE_COLOR32;
        h.width = 2;
        assert_int_equal(cursor_parse(&w, &h, data, sizeof(data), &c), 0);
        assert_memory_equal(c.argb, want, sizeof(want));
        fqxl_cursor_cmd_free(&c);
    }
    h.width = FQXL_MAX_CURSOR_DIM + 1;
    assert_int_equal(cursor_parse(&w, &h, "", 0, &c), -E2BIG);
    assert_string_equal(w.why, "cursor of 513x1 out of range");
    h.width = 2;
    h.type = SPICE_CURSOR_TYPE_COLOR8;
    assert_int_equal(cursor_parse(&w, &h, "", 0, &c), -ENOTSUP);
    h.type = 99;
    assert_int_equal(cursor_parse(&w, &h, "", 0, &c), -EINVAL);

    {
        QXLCursorCmd q;

        memset(&q, 0, sizeof(q));
        q.type = QXL_CURSOR_MOVE;
        q.u.position.x = 300;
        q.u.position.y = -2;
        assert_int_equal(fqxl_cursor_cmd_parse(&w.m, 1, at(put(&q, sizeof(q))), &c, &w.why), 0);
        assert_int_equal(c.type, QXL_CURSOR_MOVE);
        assert_int_equal(c.x, 300);
        assert_int_equal(c.y, -2);
        q.type = QXL_CURSOR_HIDE;
        assert_int_equal(fqxl_cursor_cmd_parse(&w.m, 1, at(put(&q, sizeof(q))), &c, &w.why), 0);
        assert_int_equal(c.type, QXL_CURSOR_HIDE);
        q.type = 9;
        assert_int_equal(fqxl_cursor_cmd_parse(&w.m, 1, at(put(&q, sizeof(q))), &c, &w.why),
                         -EINVAL);
        q.type = QXL_CURSOR_SET;
        q.u.set.shape = at(RAM - 4);
        assert_int_equal(fqxl_cursor_cmd_parse(&w.m, 1, at(put(&q, sizeof(q))), &c, &w.why),
                         -EFAULT);
    }
}

static void test_update_and_release(void **st)
{
    struct world w;
    struct fqxl_update_cmd c;
    QXLUpdateCmd q = { .area = qrect(1, 2, 3, 4), .update_id = 8, .surface_id = 3 };
    size_t off;

    world_up(&w);
    off = put(&q, sizeof(q));
    assert_int_equal(fqxl_update_cmd_parse(&w.m, 1, at(off), &c, &w.why), 0);
    assert_int_equal(c.area.left, 1);
    assert_int_equal(c.area.bottom, 4);
    assert_int_equal(c.update_id, 8);
    assert_int_equal(c.surface_id, 3);
    assert_ptr_equal(fqxl_release_info(&w.m, 1, at(off)), ram + off);
    assert_null(fqxl_release_info(&w.m, 1, at(RAM - 4)));
    q.surface_id = FQXL_MAX_SURFACES;
    assert_int_equal(fqxl_update_cmd_parse(&w.m, 1, at(put(&q, sizeof(q))), &c, &w.why),
                     -EINVAL);
    q.surface_id = 0;
    q.area = qrect(3, 0, 1, 1);
    assert_int_equal(fqxl_update_cmd_parse(&w.m, 1, at(put(&q, sizeof(q))), &c, &w.why),
                     -EINVAL);
}

/* Rendering: a W x H x8r8g8b8 surface whose pixel (x, y) starts as y * 16 + x. */
#define W 8
#define H 6

struct canvas {
    uint32_t px[W * H];
    pixman_image_t *img;
    pixman_region32_t damage;
    const char *why;
};

static void canvas_up(struct canvas *c)
{
    for (int i = 0; i < W * H; i++)
        c->px[i] = (uint32_t)((i / W) * 16 + i % W);
    c->img = pixman_image_create_bits(PIXMAN_x8r8g8b8, W, H, c->px, W * 4);
    pixman_region32_init(&c->damage);
    c->why = NULL;
}

static void canvas_down(struct canvas *c)
{
    pixman_image_unref(c->img);
    pixman_region32_fini(&c->damage);
}

static uint32_t start_px(int x, int y)
{
    return (uint32_t)(y * 16 + x);
}

/* The damage is exactly the rectangle (x1, y1)-(x2, y2). */
static void damage_is(struct canvas *c, int x1, int y1, int x2, int y2)
{
    pixman_box32_t *e = pixman_region32_extents(&c->damage);
    int n;

    pixman_region32_rectangles(&c->damage, &n);
    assert_int_equal(n, 1);
    assert_int_equal(e->x1, x1);
    assert_int_equal(e->y1, y1);
    assert_int_equal(e->x2, x2);
    assert_int_equal(e->y2, y2);
}

static struct fqxl_draw draw_in(uint32_t type, int l, int t, int r, int b)
{
    struct fqxl_draw d;

    memset(&d, 0, sizeof(d));
    d.type = type;
    d.bbox = (struct fqxl_rect){ l, t, r, b };
    d.rop_descriptor = SPICE_ROPD_OP_PUT;
    return d;
}

static pixman_image_t *no_surface(void *opaque, uint32_t id)
{
    return NULL;
}

static void test_render_fill(void **st)
{
    struct canvas c;
    struct fqxl_draw d = draw_in(QXL_DRAW_FILL, 2, 1, 5, 3);
    struct fqxl_rect clip[2] = { { 0, 0, 3, 8 }, { 4, 2, 8, 3 } };

    canvas_up(&c);
    d.brush.kind = FQXL_BRUSH_SOLID;
    d.brush.color = 0xabcdef;
    assert_int_equal(fqxl_render(c.img, &d, no_surface, NULL, &c.damage, &c.why), 0);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            assert_int_equal(c.px[y * W + x], x >= 2 && x < 5 && y >= 1 && y < 3 ? 0xabcdef
                                                                           : start_px(x, y));
    damage_is(&c, 2, 1, 5, 3);
    canvas_down(&c);

    /* XOR through two clip rectangles: (2,1)-(3,3) and (4,2)-(5,3) */
    canvas_up(&c);
    d.rop_descriptor = SPICE_ROPD_OP_XOR;
    d.brush.color = 0xff;
    d.clip_rects = 1;
    d.clip_n = 2;
    d.clip = clip;
    assert_int_equal(fqxl_render(c.img, &d, no_surface, NULL, &c.damage, &c.why), 0);
    for (int y = 0; y < H; y++) {
        for (int x = 0; x < W; x++) {
            int in = (x == 2 && y >= 1 && y < 3) || (x == 4 && y == 2);

            assert_int_equal(c.px[y * W + x], in ? start_px(x, y) ^ 0xff : start_px(x, y));
        }
    }
    /* bands: (2,1)-(3,2), then (2,2)-(3,3) and (4,2)-(5,3) */
    assert_int_equal(pixman_region32_n_rects(&c.damage), 3);
    assert_true(pixman_region32_contains_point(&c.damage, 4, 2, NULL));
    assert_false(pixman_region32_contains_point(&c.damage, 3, 2, NULL));
    assert_false(pixman_region32_contains_point(&c.damage, 4, 1, NULL));
    canvas_down(&c);

    /* OR with the brush inverted, AND, and a clip of no rectangles */
    canvas_up(&c);
    d.clip_rects = 0;
    d.rop_descriptor = SPICE_ROPD_OP_OR | SPICE_ROPD_INVERS_BRUSH;
    d.brush.color = 0xffffff0f;   /* inverted: 0xf0 */
    assert_int_equal(fqxl_render(c.img, &d, no_surface, NULL, &c.damage, &c.why), 0);
    assert_int_equal(c.px[1 * W + 2], start_px(2, 1) | 0xf0);
    d.rop_descriptor = SPICE_ROPD_OP_AND;
    d.brush.color = 0x0f;
    assert_int_equal(fqxl_render(c.img, &d, no_surface, NULL, &c.damage, &c.why), 0);
    assert_int_equal(c.px[1 * W + 2], (start_px(2, 1) | 0xf0) & 0x0f);
    d.clip_rects = 1;
    d.clip_n = 0;
    d.brush.color = 0;
    assert_int_equal(fqxl_render(c.img, &d, no_surface, NULL, &c.damage, &c.why), 0);
    assert_int_equal(c.px[1 * W + 2], (start_px(2, 1) | 0xf0) & 0x0f);
    canvas_down(&c);
}

static void test_render_blackness_invers(void **st)
{
    struct canvas c;
    struct fqxl_draw d = draw_in(QXL_DRAW_BLACKNESS, 6, 4, 12, 9);   /* past the surface */

    canvas_up(&c);
    assert_int_equal(fqxl_render(c.img, &d, no_surface, NULL, &c.damage, &c.why), 0);
    assert_int_equal(c.px[4 * W + 6], 0);
    assert_int_equal(c.px[5 * W + 7], 0);
    assert_int_equal(c.px[3 * W + 6], start_px(6, 3));
    assert_int_equal(c.px[4 * W + 5], start_px(5, 4));
    damage_is(&c, 6, 4, 8, 6);
    d = draw_in(QXL_DRAW_INVERS, 0, 0, 2, 1);
    assert_int_equal(fqxl_render(c.img, &d, no_surface, NULL, &c.damage, &c.why), 0);
    assert_int_equal(c.px[1], ~start_px(1, 0));
    assert_int_equal(c.px[2], start_px(2, 0));
    d = draw_in(QXL_DRAW_WHITENESS, 0, 5, 1, 6);
    assert_int_equal(fqxl_render(c.img, &d, no_surface, NULL, &c.damage, &c.why), 0);
    assert_int_equal(c.px[5 * W], 0xffffffff);
    /* (0,0)-(2,1), (6,4)-(8,5), then (0,5)-(1,6) beside (6,5)-(8,6) */
    assert_int_equal(pixman_region32_n_rects(&c.damage), 4);
    assert_true(pixman_region32_contains_point(&c.damage, 0, 5, NULL));
    assert_false(pixman_region32_contains_point(&c.damage, 1, 5, NULL));
    canvas_down(&c);
}

static void test_render_copy(void **st)
{
    uint32_t src[6] = { 0x10, 0x11, 0x12, 0x20, 0x21, 0x22 };   /* 3x2 */
    struct canvas c;
    struct fqxl_draw d = draw_in(QXL_DRAW_COPY, 4, 2, 6, 4);

    canvas_up(&c);
    d.src = (struct fqxl_image){ .kind = FQXL_IMAGE_PIXELS, .w = 3, .h = 2, .pixels = src };
    d.src_area = (struct fqxl_rect){ 1, 0, 3, 2 };
    assert_int_equal(fqxl_render(c.img, &d, no_surface, NULL, &c.damage, &c.why), 0);
    assert_int_equal(c.px[2 * W + 4] & 0xffffff, 0x11);
    assert_int_equal(c.px[2 * W + 5] & 0xffffff, 0x12);
    assert_int_equal(c.px[3 * W + 4] & 0xffffff, 0x21);
    assert_int_equal(c.px[3 * W + 5] & 0xffffff, 0x22);
    assert_int_equal(c.px[2 * W + 3], start_px(3, 2));
    assert_int_equal(c.px[2 * W + 6], start_px(6, 2));
    damage_is(&c, 4, 2, 6, 4);
    canvas_down(&c);

    /* scaled: a 1x1 source area onto 2x2 takes its one pixel everywhere */
    canvas_up(&c);
    d.src_area = (struct fqxl_rect){ 2, 1, 3, 2 };
    d.scale_mode = SPICE_IMAGE_SCALE_MODE_NEAREST;
    assert_int_equal(fqxl_render(c.img, &d, no_surface, NULL, &c.damage, &c.why), 0);
    for (int y = 2; y < 4; y++)
        for (int x = 4; x < 6; x++)
            assert_int_equal(c.px[y * W + x] & 0xffffff, 0x22);
    canvas_down(&c);

    /* BLEND with XOR, and a COPY whose descriptor inverts the source */
    canvas_up(&c);
    d.src_area = (struct fqxl_rect){ 0, 0, 2, 2 };
    d.type = QXL_DRAW_BLEND;
    d.rop_descriptor = SPICE_ROPD_OP_XOR;
    assert_int_equal(fqxl_render(c.img, &d, no_surface, NULL, &c.damage, &c.why), 0);
    assert_int_equal(c.px[2 * W + 4], start_px(4, 2) ^ 0x10);
    assert_int_equal(c.px[3 * W + 5], start_px(5, 3) ^ 0x21);
    d.type = QXL_DRAW_COPY;
    d.rop_descriptor = SPICE_ROPD_OP_PUT | SPICE_ROPD_INVERS_SRC;
    assert_int_equal(fqxl_render(c.img, &d, no_surface, NULL, &c.damage, &c.why), 0);
    assert_int_equal(c.px[2 * W + 4], ~0x10u);
    canvas_down(&c);
}

struct surfaces {
    pixman_image_t *one;
};

static pixman_image_t *lookup(void *opaque, uint32_t id)
{
    struct surfaces *s = opaque;

    return id == 1 ? s->one : NULL;
}

static void test_render_copy_surface(void **st)
{
    uint32_t other[4] = { 0xa, 0xb, 0xc, 0xd };   /* 2x2 */
    struct surfaces s;
    struct canvas c;
    struct fqxl_draw d = draw_in(QXL_DRAW_COPY, 0, 0, 3, 2);

    canvas_up(&c);
    s.one = pixman_image_create_bits(PIXMAN_x8r8g8b8, 2, 2, other, 8);
    d.src = (struct fqxl_image){ .kind = FQXL_IMAGE_SURFACE, .surface_id = 1 };
    d.src_area = (struct fqxl_rect){ 0, 0, 3, 2 };   /* one column wider than the surface */
    assert_int_equal(fqxl_render(c.img, &d, lookup, &s, &c.damage, &c.why), 0);
    assert_int_equal(c.px[0] & 0xffffff, 0xa);
    assert_int_equal(c.px[W + 1] & 0xffffff, 0xd);
    assert_int_equal(c.px[2], start_px(2, 0));   /* no source there: left alone */
    damage_is(&c, 0, 0, 2, 2);

    d.src.surface_id = 2;
    assert_int_equal(fqxl_render(c.img, &d, lookup, &s, &c.damage, &c.why), -EINVAL);
    assert_string_equal(c.why, "source surface 2 not there");
    pixman_image_unref(s.one);
    canvas_down(&c);

    /* from the surface itself, overlapping: read before written */
    canvas_up(&c);
    s.one = c.img;
    d.src.surface_id = 1;
    d.bbox = (struct fqxl_rect){ 1, 0, 4, 1 };
    d.src_area = (struct fqxl_rect){ 0, 0, 3, 1 };
    assert_int_equal(fqxl_render(c.img, &d, lookup, &s, &c.damage, &c.why), 0);
    assert_int_equal(c.px[1], start_px(0, 0));
    assert_int_equal(c.px[2], start_px(1, 0));
    assert_int_equal(c.px[3], start_px(2, 0));
    canvas_down(&c);
}

static void copy_bits(struct canvas *c, int sx, int sy, int l, int t, int r, int b)
{
    struct fqxl_draw d = draw_in(QXL_COPY_BITS, l, t, r, b);

    d.src_x = sx;
    d.src_y = sy;
    assert_int_equal(fqxl_render(c->img, &d, no_surface, NULL, &c->damage, &c->why), 0);
}

static void test_render_copy_bits(void **st)
{
    struct canvas c;

    /* scroll up by 2: rows 2..5 to 0..3 */
    canvas_up(&c);
    copy_bits(&c, 0, 2, 0, 0, W, H - 2);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            assert_int_equal(c.px[y * W + x], start_px(x, y < H - 2 ? y + 2 : y));
    damage_is(&c, 0, 0, W, H - 2);
    canvas_down(&c);

    /* scroll down by 1 */
    canvas_up(&c);
    copy_bits(&c, 0, 0, 0, 1, W, H);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            assert_int_equal(c.px[y * W + x], start_px(x, y ? y - 1 : 0));
    canvas_down(&c);

    /* right by 3 within a row, and left by 2 */
    canvas_up(&c);
    copy_bits(&c, 0, 0, 3, 0, W, 1);
    for (int x = 0; x < W; x++)
        assert_int_equal(c.px[x], start_px(x < 3 ? x : x - 3, 0));
    copy_bits(&c, 2, 1, 0, 1, W - 2, 2);
    for (int x = 0; x < W; x++)
        assert_int_equal(c.px[W + x], start_px(x < W - 2 ? x + 2 : x, 1));
    canvas_down(&c);

    /* a source partly below the surface: only rows with a source move */
    canvas_up(&c);
    copy_bits(&c, 0, 4, 0, 0, 2, 4);
    assert_int_equal(c.px[0], start_px(0, 4));
    assert_int_equal(c.px[W], start_px(0, 5));
    assert_int_equal(c.px[2 * W], start_px(0, 2));
    damage_is(&c, 0, 0, 2, 2);
    canvas_down(&c);
}

static void test_render_opaque_stroke_and_mask(void **st)
{
    uint32_t src[4] = { 0x0f, 0x0f, 0x0f, 0x0f };
    uint32_t m[1] = { 1 };
    struct canvas c;
    struct fqxl_draw d = draw_in(QXL_DRAW_OPAQUE, 0, 0, 2, 2);

    canvas_up(&c);
    d.src = (struct fqxl_image){ .kind = FQXL_IMAGE_PIXELS, .w = 2, .h = 2, .pixels = src };
    d.src_area = (struct fqxl_rect){ 0, 0, 2, 2 };
    d.brush.kind = FQXL_BRUSH_SOLID;
    d.brush.color = 0xf3;
    d.rop_descriptor = SPICE_ROPD_OP_AND;   /* brush AND the image */
    assert_int_equal(fqxl_render(c.img, &d, no_surface, NULL, &c.damage, &c.why), 0);
    assert_int_equal(c.px[0] & 0xffffff, 0x03);
    assert_int_equal(c.px[W + 1] & 0xffffff, 0x03);
    canvas_down(&c);

    canvas_up(&c);
    d = draw_in(QXL_DRAW_STROKE, 0, 0, 2, 2);
    d.line_flags = SPICE_LINE_FLAGS_STYLED;   /* a dashed line without dashes is not drawn */
    assert_int_equal(fqxl_render(c.img, &d, no_surface, NULL, &c.damage, &c.why), -EINVAL);
    assert_non_null(c.why);
    assert_int_equal(c.px[0], start_px(0, 0));
    assert_false(pixman_region32_not_empty(&c.damage));
    /* a mask of one set pixel at (0,0): only that pixel goes black */
    d = draw_in(QXL_DRAW_BLACKNESS, 0, 0, 2, 2);
    d.has_mask = 1;
    d.mask = (struct fqxl_image){ .kind = FQXL_IMAGE_PIXELS, .w = 1, .h = 1, .pixels = m };
    assert_int_equal(fqxl_render(c.img, &d, no_surface, NULL, &c.damage, &c.why), 0);
    assert_int_equal(c.px[0], 0);
    assert_int_equal(c.px[1], start_px(1, 0));
    assert_int_equal(c.px[W], start_px(0, 1));
    assert_int_equal(pixman_region32_n_rects(&c.damage), 1);
    assert_int_equal(pixman_region32_extents(&c.damage)->x2, 1);
    assert_int_equal(pixman_region32_extents(&c.damage)->y2, 1);
    canvas_down(&c);
}

static void test_render_16bit(void **st)
{
    uint16_t px[4 * 2] = { 0 };
    uint32_t src[1] = { 0xff0000 };
    pixman_image_t *img = pixman_image_create_bits(PIXMAN_r5g6b5, 4, 2, (uint32_t *)px, 8);
    pixman_region32_t damage;
    const char *why;
    struct fqxl_draw d = draw_in(QXL_DRAW_FILL, 0, 0, 2, 1);

    pixman_region32_init(&damage);
    d.brush.kind = FQXL_BRUSH_SOLID;
    d.brush.color = 0x12345;   /* written raw: its low 16 bits */
    assert_int_equal(fqxl_render(img, &d, no_surface, NULL, &damage, &why), 0);
    assert_int_equal(px[0], 0x2345);
    assert_int_equal(px[2], 0);
    d = draw_in(QXL_DRAW_COPY, 3, 1, 4, 2);
    d.src = (struct fqxl_image){ .kind = FQXL_IMAGE_PIXELS, .w = 1, .h = 1, .pixels = src };
    d.src_area = (struct fqxl_rect){ 0, 0, 1, 1 };
    assert_int_equal(fqxl_render(img, &d, no_surface, NULL, &damage, &why), 0);
    assert_int_equal(px[7], 0xf800);
    pixman_image_unref(img);
    pixman_region32_fini(&damage);
}

static void test_parse_then_render(void **st)
{
    const uint8_t idx[4] = { 1, 0, 0, 1 };
    const uint32_t pal[2] = { 0x000000, 0xffffff };
    struct world w;
    struct canvas c;
    QXLDrawable q;
    struct fqxl_draw d;

    world_up(&w);
    canvas_up(&c);
    q = copy_of(direct(SPICE_BITMAP_FMT_8BIT, 0, 2, 2, 2, palette(pal, 2), idx),
                qrect(0, 0, 2, 2));
    q.bbox = qrect(5, 3, 7, 5);
    assert_int_equal(parse(&w, &q, &d), 0);
    assert_int_equal(fqxl_render(c.img, &d, no_surface, NULL, &c.damage, &c.why), 0);
    /* bottom-up rows: the first in memory, 1 0, is the bottom one */
    assert_int_equal(c.px[3 * W + 5] & 0xffffff, 0x000000);
    assert_int_equal(c.px[3 * W + 6] & 0xffffff, 0xffffff);
    assert_int_equal(c.px[4 * W + 5] & 0xffffff, 0xffffff);
    assert_int_equal(c.px[4 * W + 6] & 0xffffff, 0x000000);
    damage_is(&c, 5, 3, 7, 5);
    fqxl_draw_free(&d);
    canvas_down(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fill_fields),
        cmocka_unit_test(test_types_fields),
        cmocka_unit_test(test_mask),
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_chunked),
        cmocka_unit_test(test_quic),
        cmocka_unit_test(test_surface_and_other_images),
        cmocka_unit_test(test_clip),
        cmocka_unit_test(test_draw_rules),
        cmocka_unit_test(test_bitmap_rules),
        cmocka_unit_test(test_text_stroke_composite),
        cmocka_unit_test(test_compat),
        cmocka_unit_test(test_surface_cmd),
        cmocka_unit_test(test_cursor),
        cmocka_unit_test(test_update_and_release),
        cmocka_unit_test(test_render_fill),
        cmocka_unit_test(test_render_blackness_invers),
        cmocka_unit_test(test_render_copy),
        cmocka_unit_test(test_render_copy_surface),
        cmocka_unit_test(test_render_copy_bits),
        cmocka_unit_test(test_render_opaque_stroke_and_mask),
        cmocka_unit_test(test_render_16bit),
        cmocka_unit_test(test_parse_then_render),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
