/* What the renderer's files share: one draw in progress. */
#ifndef FLOE_CODECS_RASTER_INTERNAL_H
#define FLOE_CODECS_RASTER_INTERNAL_H

#include "codecs/raster.h"

/* SPICE's ROP descriptor bits, as the wire and QXL spell them */
#define RD_INVERS_SRC (1u << 0)
#define RD_INVERS_BRUSH (1u << 1)
#define RD_INVERS_DEST (1u << 2)
#define RD_OP_PUT (1u << 3)
#define RD_OP_OR (1u << 4)
#define RD_OP_AND (1u << 5)
#define RD_OP_XOR (1u << 6)
#define RD_OP_BLACKNESS (1u << 7)
#define RD_OP_WHITENESS (1u << 8)
#define RD_OP_INVERS (1u << 9)
#define RD_INVERS_RES (1u << 10)

/* A two-input ROP as a truth table: bit (s << 1 | d) holds the result for
 * source bit s and destination bit d. */
#define ROP_CLEAR 0x0
#define ROP_INVERT 0x5   /* not d */
#define ROP_NOOP 0xa     /* d */
#define ROP_COPY 0xc     /* s */
#define ROP_SET 0xf

struct rjob {
    pixman_image_t *dst;
    const struct floe_raster_op *op;
    int bpp;                    /* bytes per pixel of dst */
    pixman_region32_t region;   /* what the draw may touch */
    pixman_region32_t changed;
    pixman_image_t *src;        /* op->src, or a copy when it is dst */
    const char **why;
};

/* The two-input ROP a descriptor names, for the inputs whose inversion
 * bits are inv_s_bit and inv_d_bit; and that ROP on two raw pixels. */
unsigned fraster_rop_of(uint16_t desc, unsigned inv_s_bit, unsigned inv_d_bit);
uint32_t fraster_rop_apply(unsigned rop, uint32_t s, uint32_t d);
uint8_t *fraster_row(pixman_image_t *img, int y);
/* Pixel x of a row of bpp (1, 2 or 4) bytes per pixel, raw. */
uint32_t fraster_px(const uint8_t *row, int x, int bpp);
void fraster_put(uint8_t *row, int x, int bpp, uint32_t v);
int fraster_no_memory(struct rjob *j);
/* Writes rop(source, dst) over `where`; the source is `layer` (in dst's
 * format, its pixel (0,0) on the surface's (lx, ly)) or, without one, the
 * raw `color`. */
void fraster_combine(struct rjob *j, pixman_region32_t *where, pixman_image_t *layer, int lx,
                     int ly, uint32_t color, unsigned rop);
/* The brush over `where` through rop; no brush draws as the colour 0. */
int fraster_brush(struct rjob *j, pixman_region32_t *where, const struct floe_raster_brush *b,
                  unsigned rop);
/* Takes off what the renderer set on an image: transform, filter, repeat. */
void fraster_untransform(pixman_image_t *img);
/* A scratch image in dst's format over `box`. */
pixman_image_t *fraster_layer(struct rjob *j, const pixman_box32_t *box);

int fraster_text(struct rjob *j);
int fraster_rop3(struct rjob *j);
int fraster_stroke(struct rjob *j);

#endif
