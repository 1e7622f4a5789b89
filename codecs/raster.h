/* SPICE's drawing operations over pixman images, drawn as SPICE's software
 * canvas draws them, so that a picture floe renders equals the one the
 * reference renders from the same operation: floe's libspice-server
 * renders the guest's QXL commands into the guest's memory with it, and
 * floe's client renders the draw messages it receives with it. Pure
 * functions over images the caller owns: nothing here knows QXL memory or
 * the wire. */
#ifndef FLOE_CODECS_RASTER_H
#define FLOE_CODECS_RASTER_H

#include <stdint.h>

#include <pixman.h>

/* the library's interface: exported, unlike everything else in it */
#pragma GCC visibility push(default)

/* Limits on what an operation may name: any coordinate (also a glyph's
 * corners), and a bbox's width or height. */
#define FLOE_RASTER_MAX_COORD 65536
#define FLOE_RASTER_MAX_SIDE 16384

enum floe_raster_kind {
    FLOE_RASTER_NOP,
    FLOE_RASTER_FILL,
    FLOE_RASTER_OPAQUE,
    FLOE_RASTER_COPY,
    FLOE_RASTER_BLEND,
    FLOE_RASTER_BLACKNESS,
    FLOE_RASTER_WHITENESS,
    FLOE_RASTER_INVERS,
    FLOE_RASTER_TRANSPARENT,
    FLOE_RASTER_ALPHA_BLEND,
    FLOE_RASTER_ROP3,
    FLOE_RASTER_TEXT,
    FLOE_RASTER_COMPOSITE,
    FLOE_RASTER_COPY_BITS,
    FLOE_RASTER_STROKE,
};

/* A rectangle as SPICE spells it: right and bottom are exclusive. */
struct floe_raster_rect {
    int32_t left, top, right, bottom;
};

/* A brush. A pattern tiles the surface: pixel (x, y) takes the pattern's
 * ((x - x0) mod w, (y - y0) mod h). */
struct floe_raster_brush {
    enum { FLOE_RASTER_BRUSH_NONE, FLOE_RASTER_BRUSH_SOLID, FLOE_RASTER_BRUSH_PATTERN } kind;
    uint32_t color;              /* SOLID: in the surface's pixel format */
    pixman_image_t *pattern;     /* PATTERN */
    int32_t x0, y0;
};

/* A 1-bit mask: the draw touches only pixels whose mask bit is set (clear,
 * with invert), and none outside the mask. Mask pixel (x, y) lies on the
 * surface's (bbox.left + x - x0, bbox.top + y - y0). */
struct floe_raster_mask {
    pixman_image_t *bits;        /* PIXMAN_a1, or NULL: no mask */
    int invert;
    int32_t x0, y0;
};

/* A glyph of a TEXT string, as SPICE stores it: `h` rows, the bottom one
 * first, each (w * bpp + 7) / 8 bytes; 1-bit glyphs hold their leftmost
 * pixel in a byte's top bit, 4-bit ones in its top nibble. */
struct floe_raster_glyph {
    int32_t x, y;                /* the glyph's top-left on the surface */
    int32_t w, h;
    const uint8_t *rows;
};

/* A point in 28.4 fixed point, as paths carry them. */
struct floe_raster_pointfix {
    int32_t x, y;
};

/* A segment of a STROKE's path: SPICE_PATH_* flags (BEGIN 1, END 2, CLOSE
 * 8, BEZIER 16) and its points. */
struct floe_raster_seg {
    uint32_t flags;
    uint32_t count;
    const struct floe_raster_pointfix *points;
};

/* One operation. Members a kind does not use are ignored. Images are any
 * format pixman reads; the renderer may set an image's transform, filter
 * and repeat while drawing and puts them back. A source may be the
 * destination itself. */
struct floe_raster_op {
    enum floe_raster_kind kind;
    struct floe_raster_rect bbox;
    const pixman_region32_t *clip;   /* NULL: no clip but the bbox */
    struct floe_raster_mask mask;    /* FILL, OPAQUE, COPY, BLEND, BLACKNESS, WHITENESS,
                                      * INVERS, ROP3 */
    uint16_t rop_descriptor;         /* SPICE_ROPD_* bits: FILL, OPAQUE, COPY, BLEND */
    uint8_t scale_mode;              /* SPICE_IMAGE_SCALE_MODE_*: 0 interpolate, 1 nearest */
    pixman_image_t *src;             /* OPAQUE, COPY, BLEND, TRANSPARENT, ALPHA_BLEND,
                                      * ROP3, COMPOSITE */
    struct floe_raster_rect src_area;
    int src_surface;                 /* src is a surface, not an image: ALPHA_BLEND reads an
                                      * xRGB one's alpha only when flagged, COMPOSITE drops
                                      * its alpha when flagged opaque */
    struct floe_raster_brush brush;  /* FILL, OPAQUE, ROP3, STROKE; TEXT: the fore brush */
    uint32_t transparent_color;      /* TRANSPARENT: the key, 0xRRGGBB */
    uint8_t alpha;                   /* ALPHA_BLEND */
    uint8_t alpha_flags;             /* ALPHA_BLEND: SPICE_ALPHA_FLAGS_* */
    uint8_t rop3;                    /* ROP3: the ternary operation's code */
    /* TEXT */
    const struct floe_raster_glyph *glyphs;
    uint32_t n_glyphs;
    int glyph_bpp;                   /* 1, 4 or 8 */
    struct floe_raster_rect back_area;
    struct floe_raster_brush back_brush;
    uint16_t fore_mode;              /* SPICE_ROPD_*: TEXT, STROKE */
    /* COMPOSITE */
    uint32_t composite_flags;        /* SPICE_COMPOSITE_*: operator, filters, repeats, ... */
    pixman_image_t *composite_mask;  /* with SPICE_COMPOSITE_HAS_MASK */
    int32_t src_transform[6];        /* t00 t01 t02 t10 t11 t12, 16.16 fixed */
    int32_t mask_transform[6];
    int32_t src_origin_x, src_origin_y, mask_origin_x, mask_origin_y;
    /* STROKE: the path, drawn as one-pixel lines through the brush and
     * fore_mode; with SPICE_LINE_FLAGS_STYLED in line_flags, dashed by
     * style_nseg dash lengths at `styles` (28.4 fixed, 4 bytes
     * little-endian each, as the wire holds them; not owned). A dashed
     * segment longer than 16383 pixels on an axis is not drawn:
     * -ENOTSUP; no dashes, or all of length 0: -EINVAL */
    const struct floe_raster_seg *segs;
    uint32_t n_segs;
    uint8_t line_flags;
    uint8_t style_nseg;
    const uint8_t *styles;
    /* COPY_BITS: the source rectangle's top-left on the same surface */
    int32_t src_x, src_y;
};

/* Draws `op` into dst (8-bit A8, 16- or 32-bit pixels) and adds what it
 * may have changed to `damage`. 0; -ENOTSUP (an operation or image this renderer
 * does not draw), -EINVAL (an operation no canvas could draw: a source
 * too small for its area, an unknown kind) or -ENOMEM, with *why saying
 * which; on failure dst may be partly drawn. */
int floe_raster_draw(pixman_image_t *dst, const struct floe_raster_op *op,
                     pixman_region32_t *damage, const char **why);

#pragma GCC visibility pop

#endif
