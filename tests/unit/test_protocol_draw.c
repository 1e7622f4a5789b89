/* Unit tests for the SPICE draw commands (protocol/spice/draw.c, image.c,
 * draw-lists.c): every display draw message as bytes laid out by hand from
 * spice.proto, decoded field by field and written back byte for byte;
 * messages built in code through a round trip; malformed input refused. */
#include "tests/unit/protocol_helpers.h"

/* ------------------------------------------------------------------------ */
/* building blocks, as spice.proto lays them out (numbers, not floe's enums) */

/* display base: surface_id, box (top, left, bottom, right), clip NONE: 21 bytes */
#define BASE_NONE(sid) LE32(sid), RECT(1, 2, 3, 4), 0
/* images: descriptor (id u64, type u8, flags u8, width u32, height u32), then
 * what the type carries */
/* FROM_CACHE (103): the descriptor alone, 18 bytes */
#define IMG_CACHE(id) LE64(id), 103, 0, LE32(4), LE32(4)
/* QUIC (1) 2x2: data_size and 3 bytes, 25 bytes */
#define IMG_QUIC(id) LE64(id), 1, 0, LE32(2), LE32(2), LE32(3), 'q', 'u', 'i'
/* BITMAP (0) 2x1 32BIT (8), TOP_DOWN (4), stride 8, palette pointer 0, then
 * the pixels: 44 bytes */
#define IMG_BGRX(id) LE64(id), 0, 0, LE32(2), LE32(1), \
    8, 4, LE32(2), LE32(1), LE32(8), LE32(0), 1, 2, 3, 4, 5, 6, 7, 8
/* BITMAP 3x2 1BIT_BE (2), rows of one byte, no palette: a mask, 38 bytes */
#define IMG_MASK(id) LE64(id), 0, 0, LE32(3), LE32(2), \
    2, 4, LE32(3), LE32(2), LE32(1), LE32(0), 0xa0, 0x40

/* The decoded message written back gives the hand-laid bytes. */
#define EXPECT_WRITTEN_BACK(golden, m, put) do { \
        struct floe_wbuf w_; \
        floe_wbuf_init(&w_, 0); \
        put(&w_, 0, &(m), NULL); \
        expect_wbuf(&w_, golden, sizeof(golden)); \
        floe_wbuf_free(&w_); \
    } while (0)

/* A copy of `g` with the u32 at `at` set to v, in a buffer of exactly n bytes. */
static uint8_t *with_u32(const uint8_t *g, size_t n, size_t at, uint32_t v)
{
    uint8_t *b = dup_exact(g, n);

    b[at] = (uint8_t)v;
    b[at + 1] = (uint8_t)(v >> 8);
    b[at + 2] = (uint8_t)(v >> 16);
    b[at + 3] = (uint8_t)(v >> 24);
    return b;
}

/* The pointer at `at` set to 0 (where `nullable` is false), to the end, one
 * past it, and far past it: refused. */
#define EXPECT_BAD_POINTER(golden, at, nullable, parse, mtype) do { \
        const uint32_t v_[] = { 0, sizeof(golden), sizeof(golden) + 1, 0x80000000u, \
                                0xffffffffu }; \
        mtype m_; \
        for (size_t i_ = (nullable) ? 1 : 0; i_ < sizeof(v_) / sizeof(v_[0]); i_++) { \
            uint8_t *b_ = with_u32(golden, sizeof(golden), at, v_[i_]); \
            assert_int_equal(parse(b_, sizeof(golden), &m_), -EBADMSG); \
            free(b_); \
        } \
    } while (0)

static void expect_base_none(const struct spice_display_base *b, uint32_t sid)
{
    assert_int_equal(b->surface_id, sid);
    expect_rect(&b->box, 1, 2, 3, 4);
    assert_int_equal(b->clip.type, SPICE_CLIP_NONE);
    assert_int_equal(b->clip.num_rects, 0);
}

static void expect_cache_image(const struct spice_image *img, uint64_t id)
{
    assert_true(img->desc.id == id);
    assert_int_equal(img->desc.type, SPICE_IMAGE_FROM_CACHE);
    assert_int_equal(img->desc.width, 4);
    assert_null(img->data);
}

static void expect_quic_image(const struct spice_image *img, uint64_t id, const uint8_t *at)
{
    assert_true(img->desc.id == id);
    assert_int_equal(img->desc.type, SPICE_IMAGE_QUIC);
    assert_int_equal(img->data_len, 3);
    assert_ptr_equal(img->data, at + 22);
    assert_memory_equal(img->data, "qui", 3);
}

static void expect_bgrx_image(const struct spice_image *img, uint64_t id, const uint8_t *at)
{
    assert_true(img->desc.id == id);
    assert_int_equal(img->desc.type, SPICE_IMAGE_BITMAP);
    assert_int_equal(img->bitmap.format, SPICE_BITMAP_32BIT);
    assert_int_equal(img->bitmap.stride, 8);
    assert_int_equal(img->data_len, 8);
    assert_ptr_equal(img->data, at + 36);
}

static void expect_mask_image(const struct spice_image *img, uint64_t id, const uint8_t *at)
{
    assert_true(img->desc.id == id);
    assert_int_equal(img->desc.type, SPICE_IMAGE_BITMAP);
    assert_int_equal(img->bitmap.format, SPICE_BITMAP_1BIT_BE);
    assert_int_equal(img->bitmap.x, 3);
    assert_int_equal(img->bitmap.y, 2);
    assert_int_equal(img->bitmap.stride, 1);
    assert_null(img->palette);
    assert_int_equal(img->palette_len, 0);
    assert_int_equal(img->data_len, 2);
    assert_ptr_equal(img->data, at + 36);
}

/* ------------------------------------------------------------------------ */
/* the numbers floe names, against spice.proto */

static void test_enum_values(void **state)
{
    assert_int_equal(SPICE_MSG_DISPLAY_DRAW_FILL, 302);
    assert_int_equal(SPICE_MSG_DISPLAY_DRAW_OPAQUE, 303);
    assert_int_equal(SPICE_MSG_DISPLAY_DRAW_BLEND, 305);
    assert_int_equal(SPICE_MSG_DISPLAY_DRAW_BLACKNESS, 306);
    assert_int_equal(SPICE_MSG_DISPLAY_DRAW_INVERS, 308);
    assert_int_equal(SPICE_MSG_DISPLAY_DRAW_ROP3, 309);
    assert_int_equal(SPICE_MSG_DISPLAY_DRAW_STROKE, 310);
    assert_int_equal(SPICE_MSG_DISPLAY_DRAW_TEXT, 311);
    assert_int_equal(SPICE_MSG_DISPLAY_DRAW_TRANSPARENT, 312);
    assert_int_equal(SPICE_MSG_DISPLAY_DRAW_ALPHA_BLEND, 313);
    assert_int_equal(SPICE_MSG_DISPLAY_DRAW_COMPOSITE, 318);
    /* flags types number their bits: BEGIN = 0 is 1 << 0, CLOSE = 3 is 1 << 3 */
    assert_int_equal(SPICE_PATH_BEGIN, 1);
    assert_int_equal(SPICE_PATH_END, 2);
    assert_int_equal(SPICE_PATH_CLOSE, 8);
    assert_int_equal(SPICE_PATH_BEZIER, 16);
    assert_int_equal(SPICE_LINE_FLAGS_START_WITH_GAP, 4);
    assert_int_equal(SPICE_LINE_FLAGS_STYLED, 8);
    assert_int_equal(SPICE_STRING_FLAGS_RASTER_A1, 1);
    assert_int_equal(SPICE_STRING_FLAGS_RASTER_A4, 2);
    assert_int_equal(SPICE_STRING_FLAGS_RASTER_A8, 4);
    assert_int_equal(SPICE_STRING_FLAGS_RASTER_TOP_DOWN, 8);
    assert_int_equal(SPICE_MASK_FLAGS_INVERS, 1);
    assert_int_equal(SPICE_ROPD_INVERS_SRC, 1);
    assert_int_equal(SPICE_ROPD_OP_PUT, 8);
    assert_int_equal(SPICE_ROPD_OP_XOR, 64);
    assert_int_equal(SPICE_ROPD_OP_INVERS, 512);
    assert_int_equal(SPICE_ROPD_INVERS_RES, 1024);
    assert_int_equal(SPICE_ALPHA_FLAGS_SRC_SURFACE_HAS_ALPHA, 2);
    /* 8 operator bits, 3 + 3 filter bits, 2 + 2 repeat bits, COMPONENT_ALPHA */
    assert_int_equal(SPICE_COMPOSITE_COMPONENT_ALPHA, 1 << 18);
    assert_int_equal(SPICE_COMPOSITE_HAS_MASK, 1 << 19);
    assert_int_equal(SPICE_COMPOSITE_HAS_SRC_TRANSFORM, 1 << 20);
    assert_int_equal(SPICE_COMPOSITE_HAS_MASK_TRANSFORM, 1 << 21);
    assert_int_equal(SPICE_COMPOSITE_DEST_OPAQUE, 1 << 24);
    assert_int_equal(SPICE_BITMAP_8BIT_A, 10);
    assert_int_equal(SPICE_SIZE_transform, 24);
    assert_int_equal(SPICE_SIZE_point16, 4);
}

/* ------------------------------------------------------------------------ */
/* DRAW_FILL */

/* brush PATTERN, rop XOR with the brush inverted, an inverted mask */
static const uint8_t golden_fill[] = {
    BASE_NONE(7),
    2, LE32(49), LE32(5), LE32(-6),     /* 21: brush PATTERN: image @49 at (5, -6) */
    LE16(64 | 2),                       /* 34: rop OP_XOR | INVERS_BRUSH */
    1, LE32(7), LE32(8), LE32(74),      /* 36: mask INVERS at (7, 8), image @74 */
    IMG_QUIC(0x11),                     /* 49 */
    IMG_MASK(0x12),                     /* 74 */
};

static void test_fill_pattern_and_mask(void **state)
{
    uint8_t *body = dup_exact(golden_fill, sizeof(golden_fill));
    struct spice_draw_fill m;

    assert_int_equal(sizeof(golden_fill), 112);
    memset(&m, 0xee, sizeof(m));
    assert_int_equal(spice_draw_fill_parse(body, sizeof(golden_fill), &m), 0);
    expect_base_none(&m.base, 7);
    assert_int_equal(m.brush.type, SPICE_BRUSH_PATTERN);
    assert_int_equal(m.brush.color, 0);
    assert_int_equal(m.brush.pat, 49);
    assert_int_equal(m.brush.pos.x, 5);
    assert_int_equal(m.brush.pos.y, -6);
    expect_quic_image(&m.brush.image, 0x11, body + 49);
    assert_int_equal(m.rop, SPICE_ROPD_OP_XOR | SPICE_ROPD_INVERS_BRUSH);
    assert_int_equal(m.mask.flags, SPICE_MASK_FLAGS_INVERS);
    assert_int_equal(m.mask.pos.x, 7);
    assert_int_equal(m.mask.pos.y, 8);
    assert_int_equal(m.mask.bitmap, 74);
    expect_mask_image(&m.mask.image, 0x12, body + 74);
    EXPECT_WRITTEN_BACK(golden_fill, m, spice_draw_fill_brush_put);
    free(body);
}

static void test_fill_brushes(void **state)
{
    static const uint8_t none[] = { BASE_NONE(0), 0, LE16(8), MASK_NONE };
    static const uint8_t solid[] = { BASE_NONE(0), 1, LE32(0x00abcdef), LE16(8), MASK_NONE };
    struct spice_draw_fill m;
    uint8_t *b;

    assert_int_equal(spice_draw_fill_parse(none, sizeof(none), &m), 0);
    assert_int_equal(m.brush.type, SPICE_BRUSH_NONE);
    expect_mask_none(&m.mask);
    EXPECT_WRITTEN_BACK(none, m, spice_draw_fill_brush_put);
    assert_int_equal(spice_draw_fill_parse(solid, sizeof(solid), &m), 0);
    assert_int_equal(m.brush.type, SPICE_BRUSH_SOLID);
    assert_int_equal(m.brush.color, 0x00abcdef);
    EXPECT_WRITTEN_BACK(solid, m, spice_draw_fill_brush_put);

    EXPECT_CUTS_REFUSED(golden_fill, spice_draw_fill_parse, struct spice_draw_fill);
    EXPECT_CUTS_REFUSED(solid, spice_draw_fill_parse, struct spice_draw_fill);
    EXPECT_BAD_POINTER(golden_fill, 22, 0, spice_draw_fill_parse, struct spice_draw_fill);
    EXPECT_BAD_POINTER(golden_fill, 45, 1, spice_draw_fill_parse, struct spice_draw_fill);
    /* no brush type 3 */
    b = dup_exact(solid, sizeof(solid));
    b[21] = 3;
    assert_int_equal(spice_draw_fill_parse(b, sizeof(solid), &m), -EBADMSG);
    free(b);
}

/* A mask's image is 1 bit deep or from the cache: a 32-bit BITMAP or a
 * QUIC is refused; a mask pointer of 0 is no mask at all. */
static void test_mask_image_kinds(void **state)
{
    static const uint8_t cached[] = {
        BASE_NONE(0), 0, LE32(1), LE32(2), LE32(34), IMG_CACHE(5),
    };
    static const uint8_t bgrx[] = {
        BASE_NONE(0), 0, LE32(1), LE32(2), LE32(34), IMG_BGRX(5),
    };
    static const uint8_t quic[] = {
        BASE_NONE(0), 0, LE32(1), LE32(2), LE32(34), IMG_QUIC(5),
    };
    static const uint8_t one_le[] = {
        BASE_NONE(0), 0, LE32(1), LE32(2), LE32(34), IMG_MASK(5),
    };
    struct spice_draw_mask_only m;
    uint8_t *b;

    assert_int_equal(spice_draw_mask_only_parse(cached, sizeof(cached), &m), 0);
    expect_cache_image(&m.mask.image, 5);
    assert_int_equal(spice_draw_mask_only_parse(bgrx, sizeof(bgrx), &m), -EBADMSG);
    assert_int_equal(spice_draw_mask_only_parse(quic, sizeof(quic), &m), -EBADMSG);
    b = dup_exact(one_le, sizeof(one_le));
    b[34 + 18] = SPICE_BITMAP_1BIT_LE;
    assert_int_equal(spice_draw_mask_only_parse(b, sizeof(one_le), &m), 0);
    assert_int_equal(m.mask.image.bitmap.format, SPICE_BITMAP_1BIT_LE);
    b[34 + 18] = SPICE_BITMAP_8BIT;   /* an 8-bit mask */
    assert_int_equal(spice_draw_mask_only_parse(b, sizeof(one_le), &m), -EBADMSG);
    free(b);
}

/* ------------------------------------------------------------------------ */
/* DRAW_OPAQUE */

static const uint8_t golden_opaque[] = {
    BASE_NONE(2),
    LE32(70),                           /* 21: src_bitmap @70 */
    RECT(0, 0, 1, 2),                   /* 25: src_area */
    2, LE32(114), LE32(1), LE32(1),     /* 41: brush PATTERN @114 at (1, 1) */
    LE16(8),                            /* 54: rop OP_PUT */
    0,                                  /* 56: scale INTERPOLATE */
    0, LE32(0), LE32(0), LE32(0),       /* 57: no mask */
    IMG_BGRX(0x21),                     /* 70 */
    IMG_CACHE(0x22),                    /* 114 */
};

static void test_opaque(void **state)
{
    uint8_t *body = dup_exact(golden_opaque, sizeof(golden_opaque));
    struct spice_draw_opaque m;

    assert_int_equal(sizeof(golden_opaque), 132);
    memset(&m, 0xee, sizeof(m));
    assert_int_equal(spice_draw_opaque_parse(body, sizeof(golden_opaque), &m), 0);
    expect_base_none(&m.base, 2);
    assert_int_equal(m.src_bitmap, 70);
    expect_bgrx_image(&m.image, 0x21, body + 70);
    expect_rect(&m.src_area, 0, 0, 1, 2);
    assert_int_equal(m.brush.type, SPICE_BRUSH_PATTERN);
    assert_int_equal(m.brush.pat, 114);
    expect_cache_image(&m.brush.image, 0x22);
    assert_int_equal(m.brush.pos.x, 1);
    assert_int_equal(m.rop, SPICE_ROPD_OP_PUT);
    assert_int_equal(m.scale_mode, SPICE_SCALE_INTERPOLATE);
    expect_mask_none(&m.mask);
    EXPECT_WRITTEN_BACK(golden_opaque, m, spice_draw_opaque_put);
    free(body);

    EXPECT_CUTS_REFUSED(golden_opaque, spice_draw_opaque_parse, struct spice_draw_opaque);
    EXPECT_BAD_POINTER(golden_opaque, 21, 0, spice_draw_opaque_parse, struct spice_draw_opaque);
    EXPECT_BAD_POINTER(golden_opaque, 42, 0, spice_draw_opaque_parse, struct spice_draw_opaque);
    EXPECT_BAD_POINTER(golden_opaque, 66, 1, spice_draw_opaque_parse, struct spice_draw_opaque);
}

/* ------------------------------------------------------------------------ */
/* DRAW_COPY and DRAW_BLEND */

/* COPY with an inverted mask at (-1, -2) */
static const uint8_t golden_copy_masked[] = {
    BASE_NONE(0),
    LE32(57), RECT(0, 0, 2, 2), LE16(8), 1,     /* 21: src @57, area, OP_PUT, NEAREST */
    1, LE32(-1), LE32(-2), LE32(82),            /* 44: mask INVERS, image @82 */
    IMG_QUIC(0x31),                             /* 57 */
    IMG_MASK(0x32),                             /* 82 */
};

/* BLEND, clip of one rect (inline), rop AND with the source inverted */
static const uint8_t golden_blend[] = {
    LE32(1), RECT(0, 0, 10, 10), 1, LE32(1), RECT(2, 3, 4, 5),
    LE32(77), RECT(0, 0, 4, 4), LE16(32 | 1), 0,    /* 41: src @77 */
    0, LE32(0), LE32(0), LE32(0),                   /* 64: no mask */
    IMG_CACHE(0x33),                                /* 77 */
};

static void test_copy_with_mask(void **state)
{
    uint8_t *body = dup_exact(golden_copy_masked, sizeof(golden_copy_masked));
    struct spice_draw_copy m;

    assert_int_equal(sizeof(golden_copy_masked), 120);
    assert_int_equal(spice_draw_copy_parse(body, sizeof(golden_copy_masked), &m), 0);
    expect_base_none(&m.base, 0);
    assert_int_equal(m.src_bitmap, 57);
    expect_quic_image(&m.image, 0x31, body + 57);
    assert_int_equal(m.scale_mode, SPICE_SCALE_NEAREST);
    assert_int_equal(m.mask.flags, 1);
    assert_int_equal(m.mask.pos.x, -1);
    assert_int_equal(m.mask.pos.y, -2);
    assert_int_equal(m.mask.bitmap, 82);
    expect_mask_image(&m.mask.image, 0x32, body + 82);
    EXPECT_WRITTEN_BACK(golden_copy_masked, m, spice_draw_copy_put);
    free(body);
    EXPECT_CUTS_REFUSED(golden_copy_masked, spice_draw_copy_parse, struct spice_draw_copy);
    EXPECT_BAD_POINTER(golden_copy_masked, 53, 1, spice_draw_copy_parse, struct spice_draw_copy);
}

static void test_blend(void **state)
{
    uint8_t *body = dup_exact(golden_blend, sizeof(golden_blend));
    struct spice_draw_copy m;
    struct spice_rect r;

    assert_int_equal(sizeof(golden_blend), 95);
    assert_int_equal(spice_draw_copy_parse(body, sizeof(golden_blend), &m), 0);
    assert_int_equal(m.base.surface_id, 1);
    assert_int_equal(m.base.clip.type, SPICE_CLIP_RECTS);
    assert_int_equal(m.base.clip.num_rects, 1);
    spice_clip_rect(&m.base.clip, 0, &r);
    expect_rect(&r, 2, 3, 4, 5);
    assert_int_equal(m.src_bitmap, 77);
    expect_cache_image(&m.image, 0x33);
    assert_int_equal(m.rop, SPICE_ROPD_OP_AND | SPICE_ROPD_INVERS_SRC);
    expect_mask_none(&m.mask);
    /* the clip's rects written back from their wire form, and from an array */
    EXPECT_WRITTEN_BACK(golden_blend, m, spice_draw_copy_put);
    {
        struct floe_wbuf w;

        floe_wbuf_init(&w, 0);
        spice_draw_copy_put(&w, 0, &m, &r);
        expect_wbuf(&w, golden_blend, sizeof(golden_blend));
        floe_wbuf_free(&w);
    }
    free(body);
    EXPECT_CUTS_REFUSED(golden_blend, spice_draw_copy_parse, struct spice_draw_copy);
    EXPECT_BAD_POINTER(golden_blend, 41, 0, spice_draw_copy_parse, struct spice_draw_copy);
}

/* ------------------------------------------------------------------------ */
/* DRAW_BLACKNESS, DRAW_WHITENESS, DRAW_INVERS */

static const uint8_t golden_invers[] = {
    LE32(0), RECT(0, 0, 8, 8), 1, LE32(1), RECT(1, 1, 7, 7),
    0, LE32(2), LE32(3), LE32(54),      /* 41: mask at (2, 3), image @54 */
    IMG_MASK(0x41),                     /* 54 */
};

static void test_mask_only(void **state)
{
    static const uint8_t blackness[] = { BASE_NONE(3), MASK_NONE };
    uint8_t *body = dup_exact(golden_invers, sizeof(golden_invers));
    struct spice_draw_mask_only m;

    assert_int_equal(sizeof(blackness), 34);
    assert_int_equal(spice_draw_mask_only_parse(blackness, sizeof(blackness), &m), 0);
    expect_base_none(&m.base, 3);
    expect_mask_none(&m.mask);
    EXPECT_WRITTEN_BACK(blackness, m, spice_draw_mask_only_put);
    EXPECT_CUTS_REFUSED(blackness, spice_draw_mask_only_parse, struct spice_draw_mask_only);

    assert_int_equal(sizeof(golden_invers), 92);
    assert_int_equal(spice_draw_mask_only_parse(body, sizeof(golden_invers), &m), 0);
    assert_int_equal(m.base.clip.num_rects, 1);
    assert_int_equal(m.mask.flags, 0);
    assert_int_equal(m.mask.pos.x, 2);
    assert_int_equal(m.mask.pos.y, 3);
    assert_int_equal(m.mask.bitmap, 54);
    expect_mask_image(&m.mask.image, 0x41, body + 54);
    EXPECT_WRITTEN_BACK(golden_invers, m, spice_draw_mask_only_put);
    free(body);
    EXPECT_CUTS_REFUSED(golden_invers, spice_draw_mask_only_parse, struct spice_draw_mask_only);
    EXPECT_BAD_POINTER(golden_invers, 50, 1, spice_draw_mask_only_parse,
                       struct spice_draw_mask_only);
}

/* ------------------------------------------------------------------------ */
/* DRAW_ROP3 */

static const uint8_t golden_rop3[] = {
    BASE_NONE(0),
    LE32(61), RECT(0, 0, 4, 4),         /* 21: src @61, src_area */
    1, LE32(0x00abcdef),                /* 41: brush SOLID */
    0xb8,                               /* 46: rop3 */
    1,                                  /* 47: scale NEAREST */
    0, LE32(0), LE32(0), LE32(79),      /* 48: mask, image @79 */
    IMG_CACHE(0x51),                    /* 61 */
    IMG_MASK(0x52),                     /* 79 */
};

static void test_rop3(void **state)
{
    uint8_t *body = dup_exact(golden_rop3, sizeof(golden_rop3));
    struct spice_draw_rop3 m;

    assert_int_equal(sizeof(golden_rop3), 117);
    assert_int_equal(spice_draw_rop3_parse(body, sizeof(golden_rop3), &m), 0);
    expect_base_none(&m.base, 0);
    assert_int_equal(m.src_bitmap, 61);
    expect_cache_image(&m.image, 0x51);
    expect_rect(&m.src_area, 0, 0, 4, 4);
    assert_int_equal(m.brush.type, SPICE_BRUSH_SOLID);
    assert_int_equal(m.brush.color, 0x00abcdef);
    assert_int_equal(m.rop3, 0xb8);
    assert_int_equal(m.scale_mode, SPICE_SCALE_NEAREST);
    assert_int_equal(m.mask.bitmap, 79);
    expect_mask_image(&m.mask.image, 0x52, body + 79);
    EXPECT_WRITTEN_BACK(golden_rop3, m, spice_draw_rop3_put);
    free(body);
    EXPECT_CUTS_REFUSED(golden_rop3, spice_draw_rop3_parse, struct spice_draw_rop3);
    EXPECT_BAD_POINTER(golden_rop3, 21, 0, spice_draw_rop3_parse, struct spice_draw_rop3);
    EXPECT_BAD_POINTER(golden_rop3, 57, 1, spice_draw_rop3_parse, struct spice_draw_rop3);
}

/* ------------------------------------------------------------------------ */
/* DRAW_STROKE: path, line attributes, brush, modes */

static const uint8_t golden_stroke[] = {
    BASE_NONE(0),
    LE32(40),                           /* 21: path @40 */
    8 | 4, 3, LE32(78),                 /* 25: STYLED | START_WITH_GAP, 3 dashes @78 */
    1, LE32(0x00ff0000),                /* 31: brush SOLID */
    LE16(8), LE16(128),                 /* 36: fore OP_PUT, back OP_BLACKNESS */
    LE32(2),                            /* 40: two segments */
    1, LE32(2), LE32(16), LE32(32), LE32(-8), LE32(0x7fffffff),  /* 44: BEGIN, 2 points */
    2 | 8, LE32(1), LE32(48), LE32(64),                          /* 65: END | CLOSE, 1 point */
    LE32(16), LE32(32), LE32(8),        /* 78: dashes 1.0, 2.0, 0.5 in fixed 28.4 */
};

static void test_stroke(void **state)
{
    uint8_t *body = dup_exact(golden_stroke, sizeof(golden_stroke));
    struct spice_draw_stroke m;
    struct spice_path_seg s;
    struct spice_point p;
    size_t at = 0;

    assert_int_equal(sizeof(golden_stroke), 90);
    assert_int_equal(spice_draw_stroke_parse(body, sizeof(golden_stroke), &m), 0);
    expect_base_none(&m.base, 0);
    assert_int_equal(m.path_offset, 40);
    assert_int_equal(m.path.num_segments, 2);
    assert_ptr_equal(m.path.segs, body + 44);
    assert_int_equal(m.path.len, 34);
    assert_int_equal(spice_path_seg_next(&m.path, &at, &s), 0);
    assert_int_equal(at, 21);
    assert_int_equal(s.flags, SPICE_PATH_BEGIN);
    assert_int_equal(s.count, 2);
    spice_path_point(&s, 0, &p);
    assert_int_equal(p.x, 16);
    assert_int_equal(p.y, 32);
    spice_path_point(&s, 1, &p);
    assert_int_equal(p.x, -8);
    assert_int_equal(p.y, 0x7fffffff);
    spice_path_point(&s, 2, &p);            /* past the count: zeros */
    assert_int_equal(p.x, 0);
    assert_int_equal(p.y, 0);
    assert_int_equal(spice_path_seg_next(&m.path, &at, &s), 0);
    assert_int_equal(s.flags, SPICE_PATH_END | SPICE_PATH_CLOSE);
    assert_int_equal(s.count, 1);
    spice_path_point(&s, 0, &p);
    assert_int_equal(p.x, 48);
    assert_int_equal(at, m.path.len);
    assert_int_equal(spice_path_seg_next(&m.path, &at, &s), -EBADMSG);
    assert_int_equal(m.attr.flags, SPICE_LINE_FLAGS_STYLED | SPICE_LINE_FLAGS_START_WITH_GAP);
    assert_int_equal(m.attr.style_nseg, 3);
    assert_int_equal(m.attr.style, 78);
    assert_int_equal(spice_line_style(&m.attr, 0), 16);
    assert_int_equal(spice_line_style(&m.attr, 2), 8);
    assert_int_equal(spice_line_style(&m.attr, 3), 0);
    assert_int_equal(m.brush.color, 0x00ff0000);
    assert_int_equal(m.fore_mode, SPICE_ROPD_OP_PUT);
    assert_int_equal(m.back_mode, SPICE_ROPD_OP_BLACKNESS);
    EXPECT_WRITTEN_BACK(golden_stroke, m, spice_draw_stroke_put);
    free(body);
}

static void test_stroke_plain(void **state)
{
    /* no style: flags 0 and nothing else; brush NONE; one segment, no points */
    static const uint8_t plain[] = {
        BASE_NONE(0), LE32(31), 0, 0, LE16(8), LE16(8),
        LE32(1), 1, LE32(0),            /* 31 */
    };
    struct spice_draw_stroke m;
    struct spice_path_seg s;
    size_t at = 0;

    assert_int_equal(spice_draw_stroke_parse(plain, sizeof(plain), &m), 0);
    assert_int_equal(m.attr.flags, 0);
    assert_int_equal(m.attr.style_nseg, 0);
    assert_int_equal(m.brush.type, SPICE_BRUSH_NONE);
    assert_int_equal(m.path.num_segments, 1);
    assert_int_equal(spice_path_seg_next(&m.path, &at, &s), 0);
    assert_int_equal(s.count, 0);
    EXPECT_WRITTEN_BACK(plain, m, spice_draw_stroke_put);
    EXPECT_CUTS_REFUSED(plain, spice_draw_stroke_parse, struct spice_draw_stroke);
}

static void test_stroke_bad(void **state)
{
    struct spice_draw_stroke m;
    uint8_t *b;

    EXPECT_CUTS_REFUSED(golden_stroke, spice_draw_stroke_parse, struct spice_draw_stroke);
    EXPECT_BAD_POINTER(golden_stroke, 21, 0, spice_draw_stroke_parse, struct spice_draw_stroke);
    EXPECT_BAD_POINTER(golden_stroke, 27, 0, spice_draw_stroke_parse, struct spice_draw_stroke);
    /* segment counts the body cannot hold, and ones that overflow 32 bits */
    b = with_u32(golden_stroke, sizeof(golden_stroke), 40, 3);
    assert_int_equal(spice_draw_stroke_parse(b, sizeof(golden_stroke), &m), -EBADMSG);
    free(b);
    b = with_u32(golden_stroke, sizeof(golden_stroke), 40, 0xffffffffu);
    assert_int_equal(spice_draw_stroke_parse(b, sizeof(golden_stroke), &m), -EBADMSG);
    free(b);
    /* point counts: one too many, 2^29 (2^32 bytes), and the most */
    b = with_u32(golden_stroke, sizeof(golden_stroke), 45, 3);
    assert_int_equal(spice_draw_stroke_parse(b, sizeof(golden_stroke), &m), -EBADMSG);
    free(b);
    b = with_u32(golden_stroke, sizeof(golden_stroke), 45, 0x20000000u);
    assert_int_equal(spice_draw_stroke_parse(b, sizeof(golden_stroke), &m), -EBADMSG);
    free(b);
    b = with_u32(golden_stroke, sizeof(golden_stroke), 66, 0xffffffffu);
    assert_int_equal(spice_draw_stroke_parse(b, sizeof(golden_stroke), &m), -EBADMSG);
    free(b);
    /* more dashes than the body holds after their pointer */
    b = dup_exact(golden_stroke, sizeof(golden_stroke));
    b[26] = 4;
    assert_int_equal(spice_draw_stroke_parse(b, sizeof(golden_stroke), &m), -EBADMSG);
    b[26] = 255;
    assert_int_equal(spice_draw_stroke_parse(b, sizeof(golden_stroke), &m), -EBADMSG);
    /* no dashes: the pointer may be anything inside the body, even 0 */
    b[26] = 0;
    assert_int_equal(spice_draw_stroke_parse(b, sizeof(golden_stroke), &m), 0);
    assert_int_equal(spice_line_style(&m.attr, 0), 0);
    free(b);
    /* without STYLED, the bytes after the flags are the brush: type 3 is none */
    b = dup_exact(golden_stroke, sizeof(golden_stroke));
    b[25] = 4;
    assert_int_equal(spice_draw_stroke_parse(b, sizeof(golden_stroke), &m), -EBADMSG);
    free(b);
}

/* A path built in code with spice_path_seg_put, a brush PATTERN, written
 * behind a mini header and read back. */
static void test_stroke_built(void **state)
{
    static const struct spice_point pts[3] = { { 0, 0 }, { 160, -16 }, { -1, 1 } };
    static const uint8_t dashes[] = { LE32(24), LE32(40) };
    struct spice_draw_stroke m, d;
    struct spice_path_seg s;
    struct spice_point p;
    struct floe_wbuf segs, w;
    size_t at = 0;

    floe_wbuf_init(&segs, 0);
    spice_path_seg_put(&segs, SPICE_PATH_BEGIN | SPICE_PATH_BEZIER, 3, pts);
    spice_path_seg_put(&segs, SPICE_PATH_END, 1, pts + 1);
    assert_false(segs.failed);
    assert_int_equal(segs.len, 5 + 24 + 5 + 8);
    memset(&m, 0, sizeof(m));
    m.base = (struct spice_display_base){ 4, { 0, 0, 20, 20 }, { SPICE_CLIP_NONE, 0, NULL } };
    m.path = (struct spice_path){ 2, segs.data, segs.len };
    m.attr = (struct spice_line_attr){ SPICE_LINE_FLAGS_STYLED, 2, 0, dashes };
    m.brush.type = SPICE_BRUSH_PATTERN;
    m.brush.pos = (struct spice_point){ 3, 4 };
    m.brush.image.desc = (struct spice_image_desc){ 99, SPICE_IMAGE_FROM_CACHE, 0, 4, 4 };
    m.fore_mode = SPICE_ROPD_OP_OR;
    m.back_mode = SPICE_ROPD_OP_PUT;
    floe_wbuf_init(&w, 0);
    WRITE_MSG(&w, 1, SPICE_MSG_DISPLAY_DRAW_STROKE, 0, spice_draw_stroke_put(&w, 6, &m, NULL));
    assert_false(w.failed);
    assert_int_equal(floe_le16(w.data), 310);
    assert_int_equal(spice_draw_stroke_parse(w.data + 6, w.len - 6, &d), 0);
    assert_int_equal(d.base.surface_id, 4);
    assert_int_equal(d.path.num_segments, 2);
    assert_int_equal(d.path.len, segs.len);
    assert_memory_equal(d.path.segs, segs.data, segs.len);
    assert_int_equal(spice_path_seg_next(&d.path, &at, &s), 0);
    assert_int_equal(s.flags, SPICE_PATH_BEGIN | SPICE_PATH_BEZIER);
    assert_int_equal(s.count, 3);
    spice_path_point(&s, 2, &p);
    assert_int_equal(p.x, -1);
    assert_int_equal(p.y, 1);
    assert_int_equal(spice_path_seg_next(&d.path, &at, &s), 0);
    spice_path_point(&s, 0, &p);
    assert_int_equal(p.x, 160);
    assert_int_equal(p.y, -16);
    assert_int_equal(d.attr.style_nseg, 2);
    assert_int_equal(spice_line_style(&d.attr, 1), 40);
    assert_int_equal(d.brush.type, SPICE_BRUSH_PATTERN);
    assert_int_equal(d.brush.pos.y, 4);
    expect_cache_image(&d.brush.image, 99);
    assert_int_equal(d.fore_mode, SPICE_ROPD_OP_OR);
    floe_wbuf_free(&w);
    floe_wbuf_free(&segs);
}

/* ------------------------------------------------------------------------ */
/* DRAW_TEXT: a glyph string, back area, two brushes, modes */

static const uint8_t golden_text[] = {
    BASE_NONE(0),
    LE32(51),                           /* 21: string @51 */
    RECT(0, 0, 16, 32),                 /* 25: back_area */
    1, LE32(0x00ffffff),                /* 41: fore_brush SOLID */
    0,                                  /* 46: back_brush NONE */
    LE16(8), LE16(8),                   /* 47: fore_mode, back_mode */
    LE16(2), 2,                         /* 51: two glyphs, RASTER_A4 */
    /* 54: at (10, 20), origin (0, -2), 3x2: rows of (3 * 4 + 7) / 8 = 2 bytes */
    LE32(10), LE32(20), LE32(0), LE32(-2), LE16(3), LE16(2), 0x12, 0x30, 0x45, 0x60,
    /* 78: at (13, 20), origin (1, 0), 1x1: one byte */
    LE32(13), LE32(20), LE32(1), LE32(0), LE16(1), LE16(1), 0xf0,
};

static void test_text(void **state)
{
    uint8_t *body = dup_exact(golden_text, sizeof(golden_text));
    struct spice_draw_text m;
    struct spice_glyph g;
    size_t at = 0;

    assert_int_equal(sizeof(golden_text), 99);
    assert_int_equal(spice_draw_text_parse(body, sizeof(golden_text), &m), 0);
    expect_base_none(&m.base, 0);
    assert_int_equal(m.str_offset, 51);
    assert_int_equal(m.str.length, 2);
    assert_int_equal(m.str.flags, SPICE_STRING_FLAGS_RASTER_A4);
    assert_ptr_equal(m.str.glyphs, body + 54);
    assert_int_equal(m.str.len, 45);
    expect_rect(&m.back_area, 0, 0, 16, 32);
    assert_int_equal(m.fore_brush.type, SPICE_BRUSH_SOLID);
    assert_int_equal(m.fore_brush.color, 0x00ffffff);
    assert_int_equal(m.back_brush.type, SPICE_BRUSH_NONE);
    assert_int_equal(m.fore_mode, 8);
    assert_int_equal(m.back_mode, 8);
    assert_int_equal(spice_glyph_next(&m.str, &at, &g), 0);
    assert_int_equal(g.render_pos.x, 10);
    assert_int_equal(g.render_pos.y, 20);
    assert_int_equal(g.glyph_origin.x, 0);
    assert_int_equal(g.glyph_origin.y, -2);
    assert_int_equal(g.width, 3);
    assert_int_equal(g.height, 2);
    assert_int_equal(g.data_len, 4);
    assert_ptr_equal(g.data, body + 74);
    assert_int_equal(spice_glyph_next(&m.str, &at, &g), 0);
    assert_int_equal(g.render_pos.x, 13);
    assert_int_equal(g.glyph_origin.x, 1);
    assert_int_equal(g.data_len, 1);
    assert_int_equal(g.data[0], 0xf0);
    assert_int_equal(at, m.str.len);
    assert_int_equal(spice_glyph_next(&m.str, &at, &g), -EBADMSG);
    EXPECT_WRITTEN_BACK(golden_text, m, spice_draw_text_put);
    free(body);
}

/* Row bytes by depth: A1 (w + 7) / 8, A4 (w + 1) / 2, A8 w; A1 is read
 * first when a string names several depths, as the reference does. */
static void test_glyph_depths(void **state)
{
    static const uint8_t a1[] = {      /* a string at offset 4, one 9x2 glyph */
        0, 0, 0, 0, LE16(1), 1, LE32(0), LE32(0), LE32(0), LE32(0), LE16(9), LE16(2),
        0xff, 0x80, 0x01, 0x00,
    };
    static const uint8_t a8[] = {      /* one 3x1 glyph */
        0, 0, 0, 0, LE16(1), 4, LE32(0), LE32(0), LE32(0), LE32(0), LE16(3), LE16(1),
        0x00, 0x80, 0xff,
    };
    struct spice_glyph_string s;
    struct spice_glyph g;
    size_t at = 0;
    uint8_t *b;

    assert_int_equal(spice_glyph_bpp(1), 1);
    assert_int_equal(spice_glyph_bpp(2), 4);
    assert_int_equal(spice_glyph_bpp(4), 8);
    assert_int_equal(spice_glyph_bpp(1 | 4 | 8), 1);
    assert_int_equal(spice_glyph_bpp(2 | 4), 4);
    assert_int_equal(spice_glyph_bpp(8), 0);
    assert_int_equal(spice_glyph_string_parse(a1, sizeof(a1), 4, &s), 0);
    assert_int_equal(spice_glyph_next(&s, &at, &g), 0);
    assert_int_equal(g.data_len, 4);
    at = 0;
    assert_int_equal(spice_glyph_string_parse(a8, sizeof(a8), 4, &s), 0);
    assert_int_equal(spice_glyph_next(&s, &at, &g), 0);
    assert_int_equal(g.data_len, 3);
    /* the same bytes read as A4 leave a byte over: the string is still good,
     * as the glyph list need not fill the body */
    b = dup_exact(a8, sizeof(a8));
    b[6] = 2;
    assert_int_equal(spice_glyph_string_parse(b, sizeof(a8), 4, &s), 0);
    assert_int_equal(s.len, 22);
    /* no depth named: glyphs cannot be walked */
    b[6] = 8;
    assert_int_equal(spice_glyph_string_parse(b, sizeof(a8), 4, &s), -EBADMSG);
    /* ... but an empty string needs none */
    b[4] = 0;
    assert_int_equal(spice_glyph_string_parse(b, sizeof(a8), 4, &s), 0);
    assert_int_equal(s.length, 0);
    assert_int_equal(s.len, 0);
    free(b);
    assert_int_equal(spice_glyph_string_parse(a8, sizeof(a8), 0, &s), -EBADMSG);
}

static void test_text_bad(void **state)
{
    struct spice_draw_text m;
    uint8_t *b;

    EXPECT_CUTS_REFUSED(golden_text, spice_draw_text_parse, struct spice_draw_text);
    EXPECT_BAD_POINTER(golden_text, 21, 0, spice_draw_text_parse, struct spice_draw_text);
    b = dup_exact(golden_text, sizeof(golden_text));
    /* a third glyph, and the most a u16 says */
    b[51] = 3;
    assert_int_equal(spice_draw_text_parse(b, sizeof(golden_text), &m), -EBADMSG);
    b[51] = 0xff;
    b[52] = 0xff;
    assert_int_equal(spice_draw_text_parse(b, sizeof(golden_text), &m), -EBADMSG);
    b[51] = 2;
    b[52] = 0;
    /* glyph sizes past the end: one row more, and 65535 x 65535 */
    b[72] = 3;
    assert_int_equal(spice_draw_text_parse(b, sizeof(golden_text), &m), -EBADMSG);
    b[70] = b[71] = b[72] = b[73] = 0xff;
    assert_int_equal(spice_draw_text_parse(b, sizeof(golden_text), &m), -EBADMSG);
    memcpy(b, golden_text, sizeof(golden_text));
    /* the last glyph one pixel wider: still one byte per row at A4, two at A8 */
    b[94] = 2;
    assert_int_equal(spice_draw_text_parse(b, sizeof(golden_text), &m), 0);
    b[53] = 4;
    assert_int_equal(spice_draw_text_parse(b, sizeof(golden_text), &m), -EBADMSG);
    /* no depth at all */
    b[53] = 8;
    assert_int_equal(spice_draw_text_parse(b, sizeof(golden_text), &m), -EBADMSG);
    free(b);
}

/* Glyphs built with spice_glyph_put, brushes of every kind, a clip. */
static void test_text_built(void **state)
{
    static const uint8_t rows[] = { 0x80, 0x40, 0x20 };
    static const struct spice_rect clip = { 0, 0, 5, 5 };
    struct spice_glyph g1 = { { 1, 2 }, { 0, 0 }, 3, 3, rows, 3 };
    struct spice_glyph g2 = { { 4, 2 }, { -1, -1 }, 8, 1, rows, 1 };
    struct spice_draw_text m, d;
    struct spice_glyph g;
    struct floe_wbuf glyphs, w;
    size_t at = 0;

    floe_wbuf_init(&glyphs, 0);
    spice_glyph_put(&glyphs, &g1);
    spice_glyph_put(&glyphs, &g2);
    memset(&m, 0, sizeof(m));
    m.base = (struct spice_display_base){ 0, { 0, 0, 9, 9 }, { SPICE_CLIP_RECTS, 1, NULL } };
    m.str = (struct spice_glyph_string){ 2, SPICE_STRING_FLAGS_RASTER_A1, glyphs.data,
                                          glyphs.len };
    m.back_area = (struct spice_rect){ 0, 0, 4, 12 };
    m.fore_brush.type = SPICE_BRUSH_PATTERN;
    m.fore_brush.image.desc = (struct spice_image_desc){ 1, SPICE_IMAGE_FROM_CACHE, 0, 4, 4 };
    m.back_brush.type = SPICE_BRUSH_PATTERN;
    m.back_brush.pos = (struct spice_point){ -3, 0 };
    m.back_brush.image.desc = (struct spice_image_desc){ 2, SPICE_IMAGE_QUIC, 0, 2, 2 };
    m.back_brush.image.data = (const uint8_t *)"QQ";
    m.back_brush.image.data_len = 2;
    m.fore_mode = SPICE_ROPD_OP_PUT;
    floe_wbuf_init(&w, 0);
    spice_draw_text_put(&w, 0, &m, &clip);
    assert_false(w.failed);
    assert_int_equal(spice_draw_text_parse(w.data, w.len, &d), 0);
    assert_int_equal(d.base.clip.num_rects, 1);
    assert_int_equal(d.str.length, 2);
    assert_memory_equal(d.str.glyphs, glyphs.data, glyphs.len);
    assert_int_equal(spice_glyph_next(&d.str, &at, &g), 0);
    assert_int_equal(g.width, 3);
    assert_int_equal(g.data_len, 3);
    assert_int_equal(spice_glyph_next(&d.str, &at, &g), 0);
    assert_int_equal(g.glyph_origin.x, -1);
    assert_int_equal(g.data_len, 1);
    assert_int_equal(d.fore_brush.type, SPICE_BRUSH_PATTERN);
    expect_cache_image(&d.fore_brush.image, 1);
    assert_int_equal(d.back_brush.pos.x, -3);
    assert_int_equal(d.back_brush.image.desc.type, SPICE_IMAGE_QUIC);
    assert_memory_equal(d.back_brush.image.data, "QQ", 2);
    floe_wbuf_free(&w);
    floe_wbuf_free(&glyphs);
}

/* ------------------------------------------------------------------------ */
/* DRAW_TRANSPARENT, DRAW_ALPHA_BLEND */

static const uint8_t golden_transparent[] = {
    BASE_NONE(0),
    LE32(49), RECT(0, 0, 1, 2),         /* 21: src @49, src_area */
    LE32(0x00ff00ff), LE32(0x0000ff00), /* 41: src_color, true_color */
    IMG_BGRX(0x61),                     /* 49 */
};

static const uint8_t golden_alpha_blend[] = {
    BASE_NONE(0),
    1 | 2, 0x80,                        /* 21: DEST_HAS_ALPHA | SRC_SURFACE_HAS_ALPHA, alpha */
    LE32(43), RECT(0, 0, 2, 2),         /* 23: src @43, src_area */
    IMG_QUIC(0x71),                     /* 43 */
};

static void test_transparent(void **state)
{
    uint8_t *body = dup_exact(golden_transparent, sizeof(golden_transparent));
    struct spice_draw_transparent m;

    assert_int_equal(sizeof(golden_transparent), 93);
    assert_int_equal(spice_draw_transparent_parse(body, sizeof(golden_transparent), &m), 0);
    expect_base_none(&m.base, 0);
    assert_int_equal(m.src_bitmap, 49);
    expect_bgrx_image(&m.image, 0x61, body + 49);
    expect_rect(&m.src_area, 0, 0, 1, 2);
    assert_int_equal(m.src_color, 0x00ff00ff);
    assert_int_equal(m.true_color, 0x0000ff00);
    EXPECT_WRITTEN_BACK(golden_transparent, m, spice_draw_transparent_put);
    free(body);
    EXPECT_CUTS_REFUSED(golden_transparent, spice_draw_transparent_parse,
                        struct spice_draw_transparent);
    EXPECT_BAD_POINTER(golden_transparent, 21, 0, spice_draw_transparent_parse,
                       struct spice_draw_transparent);
}

static void test_alpha_blend(void **state)
{
    uint8_t *body = dup_exact(golden_alpha_blend, sizeof(golden_alpha_blend));
    struct spice_draw_alpha_blend m;

    assert_int_equal(sizeof(golden_alpha_blend), 68);
    assert_int_equal(spice_draw_alpha_blend_parse(body, sizeof(golden_alpha_blend), &m), 0);
    expect_base_none(&m.base, 0);
    assert_int_equal(m.alpha_flags, SPICE_ALPHA_FLAGS_DEST_HAS_ALPHA |
                                    SPICE_ALPHA_FLAGS_SRC_SURFACE_HAS_ALPHA);
    assert_int_equal(m.alpha, 0x80);
    assert_int_equal(m.src_bitmap, 43);
    expect_quic_image(&m.image, 0x71, body + 43);
    expect_rect(&m.src_area, 0, 0, 2, 2);
    EXPECT_WRITTEN_BACK(golden_alpha_blend, m, spice_draw_alpha_blend_put);
    free(body);
    EXPECT_CUTS_REFUSED(golden_alpha_blend, spice_draw_alpha_blend_parse,
                        struct spice_draw_alpha_blend);
    EXPECT_BAD_POINTER(golden_alpha_blend, 23, 0, spice_draw_alpha_blend_parse,
                       struct spice_draw_alpha_blend);
}

/* ------------------------------------------------------------------------ */
/* DRAW_COMPOSITE */

static const uint8_t golden_composite[] = {
    BASE_NONE(0),
    LE32(3 | 1u << 19 | 1u << 20),      /* 21: operator 3, HAS_MASK, HAS_SRC_TRANSFORM */
    LE32(65), LE32(83),                 /* 25: src @65, mask @83 */
    LE32(0x10000), LE32(0), LE32(5), LE32(0), LE32(0x10000), LE32(7),  /* 33: src_transform */
    LE16(-1), LE16(2), LE16(3), LE16(-4),                               /* 57: origins */
    IMG_CACHE(0x81),                    /* 65 */
    IMG_QUIC(0x82),                     /* 83 */
};

/* only HAS_MASK_TRANSFORM: no mask pointer, one transform */
static const uint8_t golden_composite_mt[] = {
    BASE_NONE(0),
    LE32(1u << 21), LE32(61),                                   /* 21: flags, src @61 */
    LE32(1), LE32(2), LE32(3), LE32(4), LE32(5), LE32(6),       /* 29: mask_transform */
    LE16(0), LE16(0), LE16(9), LE16(8),                         /* 53: origins */
    IMG_CACHE(0x83),                                            /* 61 */
};

static void test_composite(void **state)
{
    uint8_t *body = dup_exact(golden_composite, sizeof(golden_composite));
    struct spice_draw_composite m;

    assert_int_equal(sizeof(golden_composite), 108);
    assert_int_equal(spice_draw_composite_parse(body, sizeof(golden_composite), &m), 0);
    expect_base_none(&m.base, 0);
    assert_int_equal(m.flags & 0xff, 3);
    assert_true(m.flags & SPICE_COMPOSITE_HAS_MASK);
    assert_true(m.flags & SPICE_COMPOSITE_HAS_SRC_TRANSFORM);
    assert_int_equal(m.src_bitmap, 65);
    expect_cache_image(&m.image, 0x81);
    assert_int_equal(m.mask_bitmap, 83);
    expect_quic_image(&m.mask_image, 0x82, body + 83);
    assert_int_equal(m.src_transform.t00, 0x10000);
    assert_int_equal(m.src_transform.t02, 5);
    assert_int_equal(m.src_transform.t11, 0x10000);
    assert_int_equal(m.src_transform.t12, 7);
    assert_int_equal(m.mask_transform.t00, 0);
    assert_int_equal(m.src_origin.x, -1);
    assert_int_equal(m.src_origin.y, 2);
    assert_int_equal(m.mask_origin.x, 3);
    assert_int_equal(m.mask_origin.y, -4);
    EXPECT_WRITTEN_BACK(golden_composite, m, spice_draw_composite_put);
    free(body);

    body = dup_exact(golden_composite_mt, sizeof(golden_composite_mt));
    assert_int_equal(sizeof(golden_composite_mt), 79);
    assert_int_equal(spice_draw_composite_parse(body, sizeof(golden_composite_mt), &m), 0);
    assert_int_equal(m.src_bitmap, 61);
    assert_int_equal(m.mask_bitmap, 0);
    assert_int_equal(m.mask_image.desc.type, 0);
    assert_int_equal(m.src_transform.t00, 0);
    assert_int_equal(m.mask_transform.t00, 1);
    assert_int_equal(m.mask_transform.t12, 6);
    assert_int_equal(m.mask_origin.x, 9);
    EXPECT_WRITTEN_BACK(golden_composite_mt, m, spice_draw_composite_put);
    free(body);
}

static void test_composite_bad(void **state)
{
    struct spice_draw_composite m;
    uint8_t *b;

    EXPECT_CUTS_REFUSED(golden_composite, spice_draw_composite_parse,
                        struct spice_draw_composite);
    EXPECT_CUTS_REFUSED(golden_composite_mt, spice_draw_composite_parse,
                        struct spice_draw_composite);
    EXPECT_BAD_POINTER(golden_composite, 25, 0, spice_draw_composite_parse,
                       struct spice_draw_composite);
    /* with HAS_MASK the mask is required */
    EXPECT_BAD_POINTER(golden_composite, 29, 0, spice_draw_composite_parse,
                       struct spice_draw_composite);
    /* a flag for a transform the body has no room for: the origins move past the end */
    b = with_u32(golden_composite_mt, sizeof(golden_composite_mt), 21, 1u << 21 | 1u << 20);
    assert_int_equal(spice_draw_composite_parse(b, sizeof(golden_composite_mt), &m), -EBADMSG);
    free(b);
}

/* Every image kind a source can be, built in code, read back: a palette
 * BITMAP (palette after the pixels), LZ_PLT with its palette and from the
 * cache, JPEG_ALPHA, ZLIB_GLZ_RGB, SURFACE. */
static void test_images_built(void **state)
{
    static const uint8_t px[] = { 0, 1, 1, 0xee, 1, 0, 0, 0xee };
    static const uint8_t pal[] = { LE32(0x102030), LE32(0x405060) };
    struct spice_image imgs[6];
    struct spice_draw_composite m, d;
    struct spice_image got;
    struct floe_wbuf w;

    memset(imgs, 0, sizeof(imgs));
    imgs[0].desc = (struct spice_image_desc){ 1, SPICE_IMAGE_BITMAP, 0, 3, 2 };
    imgs[0].bitmap = (struct spice_bitmap){ SPICE_BITMAP_8BIT, SPICE_BITMAP_PAL_CACHE_ME, 3, 2,
                                            4, 0 };
    imgs[0].data = px;
    imgs[0].data_len = sizeof(px);
    imgs[0].palette_id = 0x77;
    imgs[0].palette = pal;
    imgs[0].palette_len = 2;
    imgs[0].flags = SPICE_BITMAP_PAL_CACHE_ME;   /* a BITMAP's palette flags, as decoded */
    imgs[1] = imgs[0];
    imgs[1].desc.type = SPICE_IMAGE_LZ_PLT;
    imgs[1].flags = SPICE_BITMAP_PAL_CACHE_ME;
    imgs[2] = imgs[1];
    imgs[2].flags = SPICE_BITMAP_PAL_FROM_CACHE;
    imgs[2].palette = NULL;
    imgs[3].desc = (struct spice_image_desc){ 4, SPICE_IMAGE_JPEG_ALPHA, 0, 3, 2 };
    imgs[3].flags = 1;
    imgs[3].aux = 5;
    imgs[3].data = px;
    imgs[3].data_len = sizeof(px);
    imgs[4] = imgs[3];
    imgs[4].desc.type = SPICE_IMAGE_ZLIB_GLZ_RGB;
    imgs[4].flags = 0;
    imgs[4].aux = 1000;
    imgs[5].desc = (struct spice_image_desc){ 6, SPICE_IMAGE_SURFACE, 0, 3, 2 };
    imgs[5].aux = 12;
    for (unsigned i = 0; i < 6; i++) {
        memset(&m, 0, sizeof(m));
        m.base.clip.type = SPICE_CLIP_NONE;
        m.flags = SPICE_COMPOSITE_HAS_MASK;
        m.image = imgs[i];
        m.mask_image = imgs[(i + 1) % 6];
        floe_wbuf_init(&w, 0);
        spice_draw_composite_put(&w, 0, &m, NULL);
        assert_false(w.failed);
        assert_int_equal(spice_draw_composite_parse(w.data, w.len, &d), 0);
        got = d.image;
        assert_true(got.desc.id == imgs[i].desc.id);
        assert_int_equal(got.desc.type, imgs[i].desc.type);
        assert_int_equal(got.desc.width, 3);
        assert_int_equal(got.desc.height, 2);
        assert_int_equal(got.flags, imgs[i].flags);
        assert_int_equal(got.data_len, imgs[i].data_len);
        if (got.data_len)
            assert_memory_equal(got.data, imgs[i].data, got.data_len);
        assert_int_equal(got.aux, imgs[i].aux);
        assert_true(got.palette_id == imgs[i].palette_id);
        assert_int_equal(got.palette_len, imgs[i].palette ? 2 : 0);
        if (imgs[i].palette)
            assert_memory_equal(got.palette, pal, sizeof(pal));
        assert_true(d.mask_image.desc.id == imgs[(i + 1) % 6].desc.id);
        floe_wbuf_free(&w);
    }
}

/* A palette BITMAP may have no palette (its pointer 0), as masks do. */
static void test_bitmap_without_palette(void **state)
{
    static const uint8_t img[] = {
        0, 0, 0, 0, LE64(1), 0, 0, LE32(3), LE32(1), 5, 0, LE32(3), LE32(1), LE32(3), LE32(0),
        1, 2, 3,
    };
    struct spice_image got;

    assert_int_equal(spice_image_parse(img, sizeof(img), 4, &got), 0);
    assert_int_equal(got.bitmap.format, SPICE_BITMAP_8BIT);
    assert_null(got.palette);
    assert_int_equal(got.palette_len, 0);
    assert_int_equal(got.data_len, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enum_values),
        cmocka_unit_test(test_fill_pattern_and_mask),
        cmocka_unit_test(test_fill_brushes),
        cmocka_unit_test(test_mask_image_kinds),
        cmocka_unit_test(test_opaque),
        cmocka_unit_test(test_copy_with_mask),
        cmocka_unit_test(test_blend),
        cmocka_unit_test(test_mask_only),
        cmocka_unit_test(test_rop3),
        cmocka_unit_test(test_stroke),
        cmocka_unit_test(test_stroke_plain),
        cmocka_unit_test(test_stroke_bad),
        cmocka_unit_test(test_stroke_built),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_glyph_depths),
        cmocka_unit_test(test_text_bad),
        cmocka_unit_test(test_text_built),
        cmocka_unit_test(test_transparent),
        cmocka_unit_test(test_alpha_blend),
        cmocka_unit_test(test_composite),
        cmocka_unit_test(test_composite_bad),
        cmocka_unit_test(test_images_built),
        cmocka_unit_test(test_bitmap_without_palette),
    };

    return cmocka_run_group_tests_name("protocol-draw", tests, NULL, NULL);
}
