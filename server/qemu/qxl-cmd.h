/* QXL commands read from guest memory: every command the guest puts on its
 * rings is read here, through the memslots' checkpoint, into a copy that
 * owns everything it needs (clip rectangles, pixels converted to 32-bit
 * words, cursor shapes), so nothing after this file touches guest memory.
 * A command that breaks a rule is refused with a reason, never followed. */
#ifndef FLOE_QEMU_QXL_CMD_H
#define FLOE_QEMU_QXL_CMD_H

#include <stddef.h>
#include <stdint.h>

#include <spice.h>

#include "server/qemu/memslots.h"

/* Limits on what one command may ask of the server. */
#define FQXL_MAX_SURFACES 1024           /* ids 0 .. FQXL_MAX_SURFACES-1 */
#define FQXL_MAX_DIM 16384               /* width or height of anything */
#define FQXL_MAX_IMAGE_BYTES (64u << 20) /* a bitmap's data, all chunks */
#define FQXL_MAX_IMAGE_PIXELS (32u << 20) /* w * h of a converted image (an 8K screen) */
#define FQXL_MAX_CHUNKS 65536u
#define FQXL_MAX_CLIP_RECTS 4096u
#define FQXL_MAX_CURSOR_DIM 512
#define FQXL_MAX_HEADS 64                /* in a monitors config */

/* A rectangle as QXL spells it, checked: left <= right, top <= bottom, each
 * within 0..FQXL_MAX_DIM. */
struct fqxl_rect {
    int32_t left, top, right, bottom;
};

/* An image source: pixels (converted from the guest's bitmap format,
 * palette or codec to 32-bit words, top-down, stride w * 4) or another
 * surface of the same device. */
struct fqxl_image {
    enum { FQXL_IMAGE_PIXELS, FQXL_IMAGE_SURFACE } kind;
    uint64_t id;       /* the image descriptor's id */
    uint32_t flags;    /* QXL_IMAGE_* of the descriptor */
    int w, h;
    uint32_t *pixels;  /* FQXL_IMAGE_PIXELS: w * h words, owned */
    int alpha;         /* the words carry alpha (ARGB), else xRGB */
    uint32_t surface_id; /* FQXL_IMAGE_SURFACE */
};

/* A brush: a solid colour (xRGB) or a pattern image placed at pos. */
struct fqxl_brush {
    enum { FQXL_BRUSH_NONE, FQXL_BRUSH_SOLID, FQXL_BRUSH_PATTERN } kind;
    uint32_t color;
    struct fqxl_image pattern;
    int32_t pos_x, pos_y;
};

/* A glyph of a TEXT string: its top-left (render_pos + glyph_origin), its
 * size and its rows (bottom row first) inside the draw's text_data. */
struct fqxl_glyph {
    int32_t x, y;
    int32_t w, h;
    const uint8_t *rows;
};

/* A drawable (QXL_CMD_DRAW), compat or not. Members a type does not use are
 * zero. Types parsed: every QXL_DRAW_*; the renderer says which it draws. */
struct fqxl_draw {
    uint32_t type;           /* QXL_DRAW_* */
    uint32_t surface_id;     /* the destination */
    struct fqxl_rect bbox;
    uint8_t effect;          /* QXL_EFFECT_* */
    uint32_t mm_time;
    int32_t surfaces_dest[3];     /* surfaces this draw depends on, or -1 */
    struct fqxl_rect surfaces_rects[3];
    /* clip: none (the bbox), or clip_n rectangles (clip_n may be 0: draws nothing) */
    int clip_rects;
    uint32_t clip_n;
    struct fqxl_rect *clip;  /* owned */
    uint16_t rop_descriptor; /* SPICE_ROPD_* for FILL, OPAQUE, COPY, BLEND, TRANSPARENT */
    uint8_t scale_mode;
    struct fqxl_image src;   /* COPY, OPAQUE, BLEND, TRANSPARENT, ALPHA_BLEND, ROP3 */
    struct fqxl_rect src_area;
    struct fqxl_brush brush; /* FILL, OPAQUE, ROP3 */
    /* FILL/OPAQUE/COPY/BLEND/ROP3/BLACKNESS/WHITENESS/INVERS mask: parsed so
     * a draw with one is known; a 1-bit bitmap whose mask.pixels hold, per
     * pixel, 1 where its bit is set, else 0 */
    int has_mask;
    struct fqxl_image mask;
    uint8_t mask_flags;
    int32_t mask_x, mask_y;
    int32_t src_x, src_y;    /* COPY_BITS: the source's top-left */
    uint32_t transparent_color; /* TRANSPARENT (true colour) */
    uint8_t alpha;           /* ALPHA_BLEND */
    uint8_t alpha_flags;
    uint8_t rop3;            /* ROP3 */
    /* TEXT: the string's data, copied and owned, its glyphs (owned) pointing
     * into it; the fore brush is `brush` */
    uint8_t *text_data;
    struct fqxl_glyph *glyphs;
    uint32_t n_glyphs;
    int glyph_bits;          /* 1, 4 or 8 */
    struct fqxl_rect back_area;
    struct fqxl_brush back_brush;
    uint16_t fore_mode, back_mode;
    /* COMPOSITE: the source is `src`; HAS_MASK and the transform flags are
     * set from the guest's pointers */
    uint32_t composite_flags;
    struct fqxl_image composite_mask;
    int32_t src_transform[6], mask_transform[6];
    int16_t src_origin_x, src_origin_y, mask_origin_x, mask_origin_y;
    /* STROKE: the path's data (QXLPathSeg after QXLPathSeg, each checked to
     * hold its points), copied and owned; the brush is `brush`, the modes
     * are TEXT's */
    uint8_t *path_data;
    size_t path_len;
    uint8_t line_flags;      /* SPICE_LINE_FLAGS_* */
    /* with SPICE_LINE_FLAGS_STYLED: style_nseg dash lengths (28.4, 4 bytes
     * little-endian each), copied and owned */
    uint8_t style_nseg;
    uint8_t *styles;
};

/* A surface command (QXL_CMD_SURFACE). */
struct fqxl_surface_cmd {
    uint32_t type;       /* QXL_SURFACE_CMD_CREATE or _DESTROY */
    uint32_t surface_id;
    uint32_t flags;
    /* CREATE: the surface's memory, checked to hold height rows of stride */
    uint32_t format;     /* SPICE_SURFACE_FMT_* */
    int width, height;
    int32_t stride;      /* bytes; negative for bottom-up */
    uint8_t *mem;        /* host address of row 0 (the top row, whatever the sign of stride) */
};

/* A cursor command (QXL_CMD_CURSOR). */
struct fqxl_cursor_cmd {
    uint32_t type;       /* QXL_CURSOR_SET, MOVE, HIDE, TRAIL */
    int16_t x, y;        /* SET, MOVE */
    int visible;         /* SET */
    /* SET: the shape as premultiplied ARGB words, w * h, owned. ALPHA shapes
     * are read as straight alpha (as QEMU's own cursor code and spice-gtk
     * read them) and premultiplied here. */
    int w, h, hot_x, hot_y;
    uint32_t *argb;
    uint64_t unique;
};

/* An UPDATE command (QXL_CMD_UPDATE). */
struct fqxl_update_cmd {
    struct fqxl_rect area;
    uint32_t update_id;
    uint32_t surface_id;
};

/* Each parse reads the command at `addr` in memslot group `group` (the
 * QXLCommandExt's group_id); `compat` is the QXL_COMMAND_FLAG_COMPAT flag.
 * 0, or -EFAULT (bad address), -EINVAL (a rule broken), -E2BIG (past a
 * limit), -ENOTSUP (valid, but a kind floe does not read: an image codec
 * other than QUIC, a cursor type other than ALPHA, MONO and COLOR32) or
 * -ENOMEM, with *why saying which (a string that stays valid until the next
 * parse on the same thread); on failure nothing is owned.
 * A successful parse is freed with the matching _free. The device gets
 * each command back through fqxl_release_info, whether it parsed or not. */
int fqxl_draw_parse(const struct fqxl_memslots *m, uint32_t group, QXLPHYSICAL addr, int compat,
                    struct fqxl_draw *d, const char **why);
void fqxl_draw_free(struct fqxl_draw *d);

int fqxl_surface_cmd_parse(const struct fqxl_memslots *m, uint32_t group, QXLPHYSICAL addr,
                           struct fqxl_surface_cmd *c, const char **why);

int fqxl_cursor_cmd_parse(const struct fqxl_memslots *m, uint32_t group, QXLPHYSICAL addr,
                          struct fqxl_cursor_cmd *c, const char **why);
void fqxl_cursor_cmd_free(struct fqxl_cursor_cmd *c);

int fqxl_update_cmd_parse(const struct fqxl_memslots *m, uint32_t group, QXLPHYSICAL addr,
                          struct fqxl_update_cmd *c, const char **why);

/* The QXLReleaseInfo every QXL command begins with, where it lies (the
 * device's release_resource reads and links it there), or NULL when the
 * address is bad: then the command cannot be given back. */
QXLReleaseInfo *fqxl_release_info(const struct fqxl_memslots *m, uint32_t group,
                                  QXLPHYSICAL addr);

#endif
