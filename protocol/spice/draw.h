/* The display and cursor messages with variable parts: clips, brushes,
 * images behind pointers, cursors. Decoders keep pointers into the body
 * they were given and check every length against it. */
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

struct spice_mask {
    uint8_t flags;
    struct spice_point pos;
    uint32_t bitmap;
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
    uint32_t aux;           /* JPEG_ALPHA: jpeg_size; ZLIB_GLZ_RGB: glz_data_size */
    /* LZ_PLT and palette BITMAPs: the palette, by id (flags & PAL_FROM_CACHE) or inline:
     * palette_len little-endian u32 entries at palette */
    uint64_t palette_id;
    const uint8_t *palette;
    uint16_t palette_len;
};

struct spice_draw_fill {
    struct spice_display_base base;
    uint8_t brush_type;
    uint32_t color;
    uint16_t rop;
    struct spice_mask mask;
};

struct spice_draw_copy {
    struct spice_display_base base;
    uint32_t src_bitmap;
    struct spice_rect src_area;
    uint16_t rop;
    uint8_t scale_mode;
    struct spice_mask mask;
    struct spice_image image;
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

/* Decoders: 0 on success, -EBADMSG on malformed input. */
int spice_display_base_get(struct floe_rbuf *r, struct spice_display_base *b);
int spice_image_parse(const uint8_t *body, size_t len, uint32_t offset, struct spice_image *img);
/* A palette at `offset` in body: unique id, num_ents, then num_ents
 * little-endian u32 entries (*ents points at them). 0 or -EBADMSG. */
int spice_palette_parse(const uint8_t *body, size_t len, uint32_t offset, uint64_t *id,
                        const uint8_t **ents, uint16_t *n);
int spice_draw_fill_parse(const uint8_t *body, size_t len, struct spice_draw_fill *m);
int spice_draw_copy_parse(const uint8_t *body, size_t len, struct spice_draw_copy *m);
int spice_copy_bits_parse(const uint8_t *body, size_t len, struct spice_copy_bits *m);
int spice_cursor_get(struct floe_rbuf *r, struct spice_cursor *c);
/* Bytes per pixel of a bitmap format floe draws, 0 if unsupported. */
unsigned spice_bitmap_bpp(uint8_t format);
/* The bytes one row of `width` pixels of a bitmap format takes (palette
 * formats pack pixels into bytes). */
uint64_t spice_bitmap_row_bytes(uint8_t format, uint32_t width);

/* Encoders. `body_at` is the offset in `w` where the message body starts
 * (pointers inside a body count from there). */
void spice_display_base_put(struct floe_wbuf *w, const struct spice_display_base *b,
                            const struct spice_rect *clip_rects);
void spice_draw_fill_put(struct floe_wbuf *w, const struct spice_display_base *b,
                         const struct spice_rect *clip_rects, uint32_t color);
void spice_copy_bits_put(struct floe_wbuf *w, const struct spice_display_base *b,
                         const struct spice_rect *clip_rects, struct spice_point src);
/* DRAW_COPY of a top-down 32-bit BITMAP of width x height pixels, placed at
 * src_area (0,0)-(width,height) into base->box. */
size_t spice_draw_copy_bitmap_put(struct floe_wbuf *w, size_t body_at,
                                  const struct spice_display_base *b,
                                  const struct spice_rect *clip_rects, uint64_t image_id,
                                  uint32_t width, uint32_t height, const uint8_t *pixels,
                                  uint32_t stride);
/* A cursor; header and data are ignored when flags has NONE. */
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
void spice_cursor_put(struct floe_wbuf *w, uint16_t flags, const struct spice_cursor_header *h,
                      const uint8_t *data, size_t len);

#pragma GCC visibility pop

#endif
