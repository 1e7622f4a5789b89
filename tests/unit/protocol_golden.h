/* Hand-written golden draw messages shared by the protocol unit tests. */
#ifndef FLOE_TEST_PROTOCOL_GOLDEN_H
#define FLOE_TEST_PROTOCOL_GOLDEN_H

#include "tests/unit/protocol_helpers.h"

/* one pixel of the 3x2 DRAW_COPY test bitmap, as B, G, R, x bytes */
#define PX(r, c) 0x10 + (r) * 4 + (c), 0x20 + (r), 0x30 + (c), 0xff

/* DRAW_FILL, solid 0x00ff8000, clip NONE: base 21 + brush 5 + rop 2 + mask 13 */
static const uint8_t __attribute__((unused)) golden_fill_none[] = {
    LE32(0), RECT(10, 20, 30, 40), SPICE_CLIP_NONE,
    SPICE_BRUSH_SOLID, LE32(0x00ff8000), LE16(SPICE_ROPD_OP_PUT), MASK_NONE,
};

/* DRAW_FILL with a clip of two rects, inline after the clip type */
static const uint8_t __attribute__((unused)) golden_fill_rects[] = {
    LE32(1), RECT(0, 0, 100, 200), SPICE_CLIP_RECTS,
    LE32(2), RECT(0, 0, 5, 6), RECT(10, 11, 20, 21),
    SPICE_BRUSH_SOLID, LE32(0xff123456), LE16(SPICE_ROPD_OP_PUT), MASK_NONE,
};

static const uint8_t __attribute__((unused)) golden_copy_bits[] = {
    LE32(0), RECT(100, 0, 200, 300), SPICE_CLIP_NONE, LE32(0), LE32(90),
};

static const uint8_t __attribute__((unused)) golden_copy[] = {
    LE32(0), RECT(4, 8, 6, 11), SPICE_CLIP_NONE,       /* @0  base */
    LE32(57),                                          /* @21 src_bitmap */
    RECT(0, 0, 2, 3),                                  /* @25 src_area */
    LE16(SPICE_ROPD_OP_PUT), SPICE_SCALE_NEAREST,      /* @41 rop, @43 scale */
    MASK_NONE,                                         /* @44 mask */
    LE64(0x4242), SPICE_IMAGE_BITMAP, 0, LE32(3), LE32(2),          /* @57 descriptor */
    SPICE_BITMAP_32BIT, SPICE_BITMAP_TOP_DOWN, LE32(3), LE32(2), LE32(12), LE32(0), /* @75 */
    PX(0, 0), PX(0, 1), PX(0, 2), PX(1, 0), PX(1, 1), PX(1, 2),       /* @93 pixels */
};

static const uint8_t __attribute__((unused)) golden_cursor_alpha[] = {
    LE16(0), LE64(7), SPICE_CURSOR_TYPE_ALPHA, LE16(2), LE16(1), LE16(1), LE16(0),
    0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x80,
};

#endif
