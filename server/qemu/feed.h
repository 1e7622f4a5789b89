/* What a QXL worker hands floe's server: the producer calls (a surface,
 * pixels, a copy-bits, the cursor, the frame's end) made at once, on the
 * server's thread, where the worker runs. Before the worker has a server
 * (the feed unbound) they are dropped: a client that comes later gets the
 * whole picture when it links. */
#ifndef FLOE_QEMU_FEED_H
#define FLOE_QEMU_FEED_H

#include <pixman.h>

#include "floe/server.h"
#include "server/qemu/qxl-cmd.h"

struct fqxl_feed;

struct fqxl_feed *fqxl_feed_new(int monitor);
void fqxl_feed_free(struct fqxl_feed *f);
/* The server the calls go to from now on (on its thread), or NULL. */
void fqxl_feed_bind(struct fqxl_feed *f, struct floe_server *srv);

void fqxl_feed_surface(struct fqxl_feed *f, int width, int height);
/* The pixels of `region` of img (any 16- or 32-bit format), taken now. */
void fqxl_feed_region(struct fqxl_feed *f, pixman_image_t *img, pixman_region32_t *region);
void fqxl_feed_copy_bits(struct fqxl_feed *f, int src_x, int src_y, const struct floe_rect *dst);
/* A draw operation the server renders and sends as it sees fit
 * (floe_server_draw); its result, or 0 when the feed is unbound. */
struct floe_raster_op;
int fqxl_feed_draw(struct fqxl_feed *f, const struct floe_raster_op *op);
/* Off-screen surface id over img's pixels (32-, 16-bit or A8), for the clients to keep
 * a copy of: 0 when the server took it; else it stays the worker's alone. */
int fqxl_feed_offscreen_create(struct fqxl_feed *f, uint32_t id, pixman_image_t *img);
void fqxl_feed_offscreen_destroy(struct fqxl_feed *f, uint32_t id);
/* The whole of it as its pixels are now (a surface made over kept data). */
void fqxl_feed_offscreen_all(struct fqxl_feed *f, uint32_t id, int width, int height);
/* op was drawn on off-screen surface id, changing `changed`: the clients
 * get it as a draw message, or those pixels. */
void fqxl_feed_offscreen_draw(struct fqxl_feed *f, uint32_t id, const struct floe_raster_op *op,
                              pixman_region32_t *changed);
void fqxl_feed_cursor(struct fqxl_feed *f, const struct fqxl_cursor_cmd *c);
void fqxl_feed_cursor_hide(struct fqxl_feed *f);
/* The heads the primary surface shows (floe_server_set_heads). */
void fqxl_feed_heads(struct fqxl_feed *f, int count, const struct floe_rect *heads);
/* Ends the frame, when a call was made since the last end. */
void fqxl_feed_frame_end(struct fqxl_feed *f);

#endif
