/* PNG files for snapshots and test pictures, through libpng.
 * Pixels are 32-bit xRGB words (the SPICE 32_xRGB surface format). */
#ifndef FLOE_CODECS_PNG_H
#define FLOE_CODECS_PNG_H

#include <stdint.h>

/* the library's interface: exported, unlike everything else in it */
#pragma GCC visibility push(default)

/* Writes w x h pixels (stride in bytes) as an 8-bit RGB PNG. 0 or -errno. */
int floe_png_write(const char *path, const uint32_t *xrgb, int w, int h, int stride);
/* Reads a PNG into a new xRGB buffer (free() it); 0 or -errno. Pictures
 * larger than max_pixels are refused before any pixel buffer is allocated. */
int floe_png_read(const char *path, uint32_t **xrgb, int *w, int *h, long max_pixels);

#pragma GCC visibility pop

#endif
