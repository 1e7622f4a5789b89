/* What a QXL worker hands floe's server: a batch of producer calls (a
 * surface, pixels, a copy-bits, the cursor, the frame's end) built on the
 * worker thread with their pixels copied, then run in order on the
 * server's thread by one floe_server_thread_call. */
#ifndef FLOE_QEMU_FEED_H
#define FLOE_QEMU_FEED_H

#include <pixman.h>

#include "floe/server.h"
#include "server/qemu/qxl-cmd.h"

struct fqxl_feed;

struct fqxl_feed *fqxl_feed_new(int monitor);
void fqxl_feed_free(struct fqxl_feed *f);
int fqxl_feed_empty(const struct fqxl_feed *f);
/* Drops what was queued. */
void fqxl_feed_clear(struct fqxl_feed *f);

void fqxl_feed_surface(struct fqxl_feed *f, int width, int height);
/* The pixels of `region` of img (any 16- or 32-bit format), converted to
 * xRGB and copied now. */
void fqxl_feed_region(struct fqxl_feed *f, pixman_image_t *img, pixman_region32_t *region);
void fqxl_feed_copy_bits(struct fqxl_feed *f, int src_x, int src_y, const struct floe_rect *dst);
void fqxl_feed_cursor(struct fqxl_feed *f, const struct fqxl_cursor_cmd *c);
void fqxl_feed_cursor_hide(struct fqxl_feed *f);
/* The heads the primary surface shows (floe_server_set_heads). */
void fqxl_feed_heads(struct fqxl_feed *f, int count, const struct floe_rect *heads);
void fqxl_feed_frame_end(struct fqxl_feed *f);

/* Hands what was queued to the server's thread and starts an empty batch:
 * 0, or -errno (then the batch is still here). */
int fqxl_feed_send(struct fqxl_feed *f, struct floe_server_thread *t);

#endif
