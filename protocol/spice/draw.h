/* The display and cursor messages with variable parts: clips, brushes,
 * masks, images, paths and glyph strings behind pointers, cursors.
 * Decoders keep pointers into the body they were given and check every
 * length against it; encoders append what pointers point to after the
 * message's fixed part. */
#ifndef FLOE_SPICE_DRAW_H
#define FLOE_SPICE_DRAW_H

#include "protocol/spice/messages.h"

/* the library's interface: exported, unlike everything else in it */
#pragma GCC visibility push(default)

/* Rects of a RECTS clip stay in wire form; spice_clip_rect reads one. */
struct spice_clip {
    uint8_t type;
    uint32_t num_rects;
    const uint8_t *rects;
};
void spice_clip_rect(const struct spice_clip *c, uint32_t i, struct spice_rect *out);

struct spice_display_base {
    uint32_t surface_id;
    struct spice_rect box;
    struct spice_clip clip;
};

/* An image behind a pointer. For BITMAP, `bitmap` is filled and `data`
 * holds stride*height pixel bytes; for compressed types `data` is the
 * payload; FROM_CACHE has none. */
struct spice_image {
    struct spice_image_desc desc;
    struct spice_bitmap bitmap;
    const uint8_t *data;
    size_t data_len;
    uint8_t flags;          /* JPEG_ALPHA and LZ_PLT: their flags byte; BITMAP: its palette flags */
    uint32_t aux;           /* JPEG_ALPHA: jpeg_size; ZLIB_GLZ_RGB: glz_data_size;
                             * SURFACE: surface_id */
    /* LZ_PLT and palette BITMAPs: the palette, by id (flags & PAL_FROM_CACHE) or inline:
     * palette_len little-endian u32 entries at palette (none when a BITMAP's
     * palette pointer is 0) */
    uint64_t palette_id;
    const uint8_t *palette;
    uint16_t palette_len;
};

/* A mask: flags (SPICE_MASK_FLAGS_INVERS), where it starts, and the offset
 * of its image, 0 for no mask. The image, in `image`, is a 1BIT_LE or
 * 1BIT_BE BITMAP or one from the cache. Encoders write `image` when
 * `bitmap` is not 0 (and write the offset it lands at). */
struct spice_mask {
    uint8_t flags;
    struct spice_point pos;
    uint32_t bitmap;
    struct spice_image image;
};

/* A brush: NONE, SOLID (color), or PATTERN: the image at offset `pat`
 * (in `image`; never 0) placed at `pos`. */
struct spice_brush {
    uint8_t type;
    uint32_t color;
    uint32_t pat;
    struct spice_point pos;
    struct spice_image image;
};

struct spice_draw_fill {
    struct spice_display_base base;
    struct spice_brush brush;
    uint16_t rop;                   /* SPICE_ROPD_* */
    struct spice_mask mask;
};

struct spice_draw_opaque {
    struct spice_display_base base;
    uint32_t src_bitmap;
    struct spice_rect src_area;
    struct spice_brush brush;
    uint16_t rop;
    uint8_t scale_mode;
    struct spice_mask mask;
    struct spice_image image;       /* the one at src_bitmap */
};

/* DRAW_COPY and DRAW_BLEND: one layout. */
struct spice_draw_copy {
    struct spice_display_base base;
    uint32_t src_bitmap;
    struct spice_rect src_area;
    uint16_t rop;
    uint8_t scale_mode;
    struct spice_mask mask;
    struct spice_image image;
};

/* DRAW_BLACKNESS, DRAW_WHITENESS and DRAW_INVERS: one layout, a mask. */
struct spice_draw_mask_only {
    struct spice_display_base base;
    struct spice_mask mask;
};

struct spice_draw_rop3 {
    struct spice_display_base base;
    uint32_t src_bitmap;
    struct spice_rect src_area;
    struct spice_brush brush;
    uint8_t rop3;                   /* a ternary raster operation code */
    uint8_t scale_mode;
    struct spice_mask mask;
    struct spice_image image;
};

/* A path: num_segments segments kept in wire form, `len` bytes at `segs`,
 * each its flags (SPICE_PATH_*), count, and count points in fixed 28.4.
 * Segments differ in size: read them in order with spice_path_seg_next. */
struct spice_path {
    uint32_t num_segments;
    const uint8_t *segs;
    size_t len;
};
struct spice_path_seg {
    uint8_t flags;
    uint32_t count;
    const uint8_t *points;          /* count points of 8 bytes, wire form */
};
/* A line's attributes: flags (SPICE_LINE_FLAGS_*); with STYLED, style_nseg
 * dash lengths in fixed 28.4 behind the pointer `style` (wire form at
 * `styles`; spice_line_style reads one). */
struct spice_line_attr {
    uint8_t flags;
    uint8_t style_nseg;
    uint32_t style;
    const uint8_t *styles;
};

struct spice_draw_stroke {
    struct spice_display_base base;
    uint32_t path_offset;
    struct spice_path path;
    struct spice_line_attr attr;
    struct spice_brush brush;
    uint16_t fore_mode, back_mode;  /* SPICE_ROPD_* */
};

/* A glyph string: `length` glyphs in wire form, `len` bytes at `glyphs`;
 * flags (SPICE_STRING_FLAGS_*) say their bits per pixel. Glyphs differ in
 * size: read them in order with spice_glyph_next. */
struct spice_glyph_string {
    uint16_t length;
    uint8_t flags;
    const uint8_t *glyphs;
    size_t len;
};
/* One glyph: `height` rows of (width * bpp + 7) / 8 bytes at `data`. */
struct spice_glyph {
    struct spice_point render_pos;
    struct spice_point glyph_origin;
    uint16_t width, height;
    const uint8_t *data;
    size_t data_len;
};

struct spice_draw_text {
    struct spice_display_base base;
    uint32_t str_offset;
    struct spice_glyph_string str;
    struct spice_rect back_area;
    struct spice_brush fore_brush, back_brush;
    uint16_t fore_mode, back_mode;
};

struct spice_draw_transparent {
    struct spice_display_base base;
    uint32_t src_bitmap;
    struct spice_rect src_area;
    uint32_t src_color;
    uint32_t true_color;
    struct spice_image image;
};

struct spice_draw_alpha_blend {
    struct spice_display_base base;
    uint8_t alpha_flags;            /* SPICE_ALPHA_FLAGS_* */
    uint8_t alpha;
    uint32_t src_bitmap;
    struct spice_rect src_area;
    struct spice_image image;
};

/* DRAW_COMPOSITE: mask_bitmap (never 0) only with flags HAS_MASK, each
 * transform only with its HAS_*_TRANSFORM flag; what is absent is zero. */
struct spice_draw_composite {
    struct spice_display_base base;
    uint32_t flags;                 /* SPICE_COMPOSITE_* and the operator */
    uint32_t src_bitmap;
    uint32_t mask_bitmap;
    struct spice_transform src_transform;
    struct spice_transform mask_transform;
    struct spice_point16 src_origin;
    struct spice_point16 mask_origin;
    struct spice_image image;
    struct spice_image mask_image;
};

struct spice_copy_bits {
    struct spice_display_base base;
    struct spice_point src_pos;
};

struct spice_cursor {
    uint16_t flags;
    struct spice_cursor_header header;
    const uint8_t *data;
    size_t data_len;
};

/* Decoders: 0 on success, -EBADMSG on malformed input. Every pointer is
 * checked, and what it points to decoded; source images are required. */
/* A clip: its type, then for RECTS the count and the rects inline (they stay
 * in the reader's bytes). -EBADMSG for another type or rects past the end.
 * Display bases and the video stream messages share it. */
int spice_clip_get(struct floe_rbuf *r, struct spice_clip *c);
int spice_display_base_get(struct floe_rbuf *r, struct spice_display_base *b);
int spice_image_parse(const uint8_t *body, size_t len, uint32_t offset, struct spice_image *img);
/* A palette at `offset` in body: unique id, num_ents, then num_ents
 * little-endian u32 entries (*ents points at them). 0 or -EBADMSG. */
int spice_palette_parse(const uint8_t *body, size_t len, uint32_t offset, uint64_t *id,
                        const uint8_t **ents, uint16_t *n);
int spice_draw_fill_parse(const uint8_t *body, size_t len, struct spice_draw_fill *m);
int spice_draw_opaque_parse(const uint8_t *body, size_t len, struct spice_draw_opaque *m);
/* DRAW_COPY, and DRAW_BLEND */
int spice_draw_copy_parse(const uint8_t *body, size_t len, struct spice_draw_copy *m);
/* DRAW_BLACKNESS, DRAW_WHITENESS and DRAW_INVERS */
int spice_draw_mask_only_parse(const uint8_t *body, size_t len, struct spice_draw_mask_only *m);
int spice_draw_rop3_parse(const uint8_t *body, size_t len, struct spice_draw_rop3 *m);
int spice_draw_stroke_parse(const uint8_t *body, size_t len, struct spice_draw_stroke *m);
int spice_draw_text_parse(const uint8_t *body, size_t len, struct spice_draw_text *m);
int spice_draw_transparent_parse(const uint8_t *body, size_t len,
                                 struct spice_draw_transparent *m);
int spice_draw_alpha_blend_parse(const uint8_t *body, size_t len,
                                 struct spice_draw_alpha_blend *m);
int spice_draw_composite_parse(const uint8_t *body, size_t len, struct spice_draw_composite *m);
int spice_copy_bits_parse(const uint8_t *body, size_t len, struct spice_copy_bits *m);
int spice_cursor_get(struct floe_rbuf *r, struct spice_cursor *c);
/* Bytes per pixel of a bitmap format floe draws, 0 if unsupported. */
unsigned spice_bitmap_bpp(uint8_t format);
/* The bytes one row of `width` pixels of a bitmap format takes (palette
 * formats pack pixels into bytes). */
uint64_t spice_bitmap_row_bytes(uint8_t format, uint32_t width);

/* Paths, line styles and glyph strings, once their message was decoded.
 * A path (at `offset` in body, never 0): 0 or -EBADMSG. */
int spice_path_parse(const uint8_t *body, size_t len, uint32_t offset, struct spice_path *p);
/* Reads the segment starting `*at` bytes into p's segments (start with
 * *at = 0) and moves *at past it: 0, or -EBADMSG when none starts there. */
int spice_path_seg_next(const struct spice_path *p, size_t *at, struct spice_path_seg *s);
/* Point i of a segment (fixed 28.4; zeros past its count). */
void spice_path_point(const struct spice_path_seg *s, uint32_t i, struct spice_point *out);
/* Dash length i of a styled line (fixed 28.4; 0 past style_nseg). */
int32_t spice_line_style(const struct spice_line_attr *a, uint8_t i);
/* The bits per pixel a string's flags give its glyphs (A1 before A4
 * before A8, as the reference reads them): 1, 4, 8, or 0 for none. */
unsigned spice_glyph_bpp(uint8_t string_flags);
/* A glyph string (at `offset` in body, never 0): 0 or -EBADMSG. */
int spice_glyph_string_parse(const uint8_t *body, size_t len, uint32_t offset,
                             struct spice_glyph_string *s);
/* Reads the glyph starting `*at` bytes into s's glyphs (start with *at = 0)
 * and moves *at past it: 0, or -EBADMSG when none starts there. */
int spice_glyph_next(const struct spice_glyph_string *s, size_t *at, struct spice_glyph *g);

/* Encoders. `body_at` is the offset in `w` where the message body starts
 * (pointers inside a body count from there). A clip of RECTS takes its
 * rects from clip_rects or, when that is NULL, from the clip's own rects in
 * wire form (as a decoder left them). */
void spice_clip_put(struct floe_wbuf *w, const struct spice_clip *c,
                    const struct spice_rect *clip_rects);
void spice_display_base_put(struct floe_wbuf *w, const struct spice_display_base *b,
                            const struct spice_rect *clip_rects);
/* An image as spice_image_parse reads it: the descriptor and what its type
 * carries; a palette (BITMAP, LZ_PLT) is appended after the pixels. */
void spice_image_put(struct floe_wbuf *w, size_t body_at, const struct spice_image *img);
/* A DRAW_FILL with a SOLID brush, OP_PUT and no mask. */
void spice_draw_fill_put(struct floe_wbuf *w, const struct spice_display_base *b,
                         const struct spice_rect *clip_rects, uint32_t color);
/* The general encoders: every field of m (offsets inside it are ignored:
 * each image, path or string is appended after the fixed part and pointed
 * at). DRAW_FILL with any brush, rop and mask: */
void spice_draw_fill_brush_put(struct floe_wbuf *w, size_t body_at,
                               const struct spice_draw_fill *m,
                               const struct spice_rect *clip_rects);
void spice_draw_opaque_put(struct floe_wbuf *w, size_t body_at, const struct spice_draw_opaque *m,
                           const struct spice_rect *clip_rects);
/* DRAW_COPY, and DRAW_BLEND */
void spice_draw_copy_put(struct floe_wbuf *w, size_t body_at, const struct spice_draw_copy *m,
                         const struct spice_rect *clip_rects);
/* DRAW_BLACKNESS, DRAW_WHITENESS and DRAW_INVERS */
void spice_draw_mask_only_put(struct floe_wbuf *w, size_t body_at,
                              const struct spice_draw_mask_only *m,
                              const struct spice_rect *clip_rects);
void spice_draw_rop3_put(struct floe_wbuf *w, size_t body_at, const struct spice_draw_rop3 *m,
                         const struct spice_rect *clip_rects);
/* The style array is written when attr.flags has STYLED (style_nseg values
 * from attr.styles, wire form); the path from path.segs (wire form, as
 * spice_path_seg_put builds it). */
void spice_draw_stroke_put(struct floe_wbuf *w, size_t body_at, const struct spice_draw_stroke *m,
                           const struct spice_rect *clip_rects);
/* The glyphs from str.glyphs (wire form, as spice_glyph_put builds it). */
void spice_draw_text_put(struct floe_wbuf *w, size_t body_at, const struct spice_draw_text *m,
                         const struct spice_rect *clip_rects);
void spice_draw_transparent_put(struct floe_wbuf *w, size_t body_at,
                                const struct spice_draw_transparent *m,
                                const struct spice_rect *clip_rects);
void spice_draw_alpha_blend_put(struct floe_wbuf *w, size_t body_at,
                                const struct spice_draw_alpha_blend *m,
                                const struct spice_rect *clip_rects);
/* mask_image is written with flags HAS_MASK, each transform with its flag. */
void spice_draw_composite_put(struct floe_wbuf *w, size_t body_at,
                              const struct spice_draw_composite *m,
                              const struct spice_rect *clip_rects);
void spice_copy_bits_put(struct floe_wbuf *w, const struct spice_display_base *b,
                         const struct spice_rect *clip_rects, struct spice_point src);
/* One path segment or one glyph in wire form, to build the bytes a
 * spice_path's segs or a spice_glyph_string's glyphs hold (a glyph's
 * data_len must be what the string's bits per pixel make of its size). */
void spice_path_seg_put(struct floe_wbuf *w, uint8_t flags, uint32_t count,
                        const struct spice_point *points);
void spice_glyph_put(struct floe_wbuf *w, const struct spice_glyph *g);
/* DRAW_COPY of a top-down 32-bit BITMAP of width x height pixels, placed at
 * src_area (0,0)-(width,height) into base->box. */
size_t spice_draw_copy_bitmap_put(struct floe_wbuf *w, size_t body_at,
                                  const struct spice_display_base *b,
                                  const struct spice_rect *clip_rects, uint64_t image_id,
                                  uint32_t width, uint32_t height, const uint8_t *pixels,
                                  uint32_t stride);
/* A DRAW_COPY of a whole compressed (or cached) image at the box of `b`:
 * the descriptor, then data_size and data, with the JPEG_ALPHA flags and
 * jpeg_size or the ZLIB_GLZ_RGB glz_data_size (`aux`) where the type has
 * them; FROM_CACHE carries no data. Returns the image's offset in w, where
 * its descriptor (id u64, type u8, flags u8, ...) starts. */
size_t spice_draw_copy_image_put(struct floe_wbuf *w, size_t body_at,
                                 const struct spice_display_base *b,
                                 const struct spice_rect *clip_rects,
                                 const struct spice_image_desc *desc, uint8_t flags,
                                 uint32_t aux, const uint8_t *data, size_t len);
/* A cursor; header and data are ignored when flags has NONE. */
void spice_cursor_put(struct floe_wbuf *w, uint16_t flags, const struct spice_cursor_header *h,
                      const uint8_t *data, size_t len);

#pragma GCC visibility pop

#endif
