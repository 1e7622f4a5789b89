/* The images of QXL commands, read from guest memory for the command parser:
 * bitmaps of every format into 32-bit words, QUIC through floe's codec,
 * references to other surfaces. Internal to floe's library for QEMU. */
#ifndef FLOE_QEMU_QXL_IMAGE_H
#define FLOE_QEMU_QXL_IMAGE_H

#include <stdint.h>

#include "server/qemu/qxl-cmd.h"

/* Reads the QXLImage at `addr` into `img` (which then owns its pixels). A
 * mask (`is_mask`) must be a 1-bit bitmap; its words are 1 where the bit is
 * set, else 0, and a palette is ignored. 0, or a negative errno with *why
 * set and nothing owned. */
int fqxl_image_parse(const struct fqxl_memslots *m, uint32_t group, QXLPHYSICAL addr,
                     int is_mask, struct fqxl_image *img, const char **why);
void fqxl_image_free(struct fqxl_image *img);

/* A reason with numbers in it: formatted into a buffer of the calling
 * thread, valid until its next call there. */
const char *fqxl_whyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
