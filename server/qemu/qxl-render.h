/* Drawing a parsed QXL drawable into a surface's pixels, with the pixel
 * semantics of SPICE's software canvas, so that what floe keeps of a
 * guest's screen is what a SPICE client would show. */
#ifndef FLOE_QEMU_QXL_RENDER_H
#define FLOE_QEMU_QXL_RENDER_H

#include <stdint.h>

#include <pixman.h>

#include "server/qemu/qxl-cmd.h"

/* Another surface of the device, for a draw that reads one: its pixels, or
 * NULL when there is no such surface. The image stays the caller's; the
 * renderer reads it and changes none of its properties. */
typedef pixman_image_t *fqxl_surface_fn(void *opaque, uint32_t id);

/* Draws `d` into `dst`, the pixels of surface d->surface_id (a 16- or 32-bit
 * pixman format), clipped to d's clip (or its bbox), its mask and dst's
 * bounds, and adds every pixel it may have changed to `damage`, with
 * floe_raster_draw (codecs/raster.h): every QXL drawable, as SPICE's
 * software canvas draws it; -ENOTSUP with *why saying so for what that
 * does not draw (a dashed segment past 16383 pixels);
 * -EINVAL for a draw that cannot be drawn (its source surface missing, an
 * empty source area for a non-empty bbox, a ROP3 source smaller than its
 * area, a dashed STROKE without dashes). Nothing is drawn when an error other than -ENOMEM is returned. */
int fqxl_render(pixman_image_t *dst, const struct fqxl_draw *d, fqxl_surface_fn *surface,
                void *opaque, pixman_region32_t *damage, const char **why);

/* The same, and just before d is drawn calls drawn(drawn_opaque, op) with
 * the operation it draws (its images, clip and glyphs valid during the
 * call; its sources, dst among them, not yet drawn on). */
struct floe_raster_op;
typedef void fqxl_drawn_fn(void *drawn_opaque, const struct floe_raster_op *op);
int fqxl_render_then(pixman_image_t *dst, const struct fqxl_draw *d, fqxl_surface_fn *surface,
                     void *opaque, pixman_region32_t *damage, const char **why,
                     fqxl_drawn_fn *drawn, void *drawn_opaque);
/* The same, calling drawn(drawn_opaque, op) just after d is drawn (damage
 * holds what it changed). */
int fqxl_render_after(pixman_image_t *dst, const struct fqxl_draw *d, fqxl_surface_fn *surface,
                      void *opaque, pixman_region32_t *damage, const char **why,
                      fqxl_drawn_fn *drawn, void *drawn_opaque);

#endif
