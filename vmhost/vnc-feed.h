/* The framebuffer feed: an RFB client on a libuv loop that reads a guest's
 * screen from QEMU's VNC server on a unix socket and injects keys and pointer. */
#ifndef FLOE_VMHOST_VNC_FEED_H
#define FLOE_VMHOST_VNC_FEED_H

#include <stdint.h>

#include <uv.h>

struct floe_vnc_feed;

/* The framebuffer is now w x h (at connect and on every DesktopSize); its
 * pixels are black until the damage that follows. */
typedef void floe_vnc_resize_fn(void *opaque, int w, int h);
/* Rectangle x,y,w,h of the local framebuffer changed; pixels points at its
 * top-left xRGB word, rows stride bytes apart. Owned by the feed, valid
 * during the call. */
typedef void floe_vnc_damage_fn(void *opaque, int x, int y, int w, int h,
                                const uint32_t *pixels, int stride);
/* The w x h pixels at (src_x, src_y) were copied to (x, y); already applied
 * to the local framebuffer. */
typedef void floe_vnc_copy_fn(void *opaque, int src_x, int src_y, int x, int y, int w, int h);
/* One FramebufferUpdate was applied completely. */
typedef void floe_vnc_update_fn(void *opaque);
/* The connection failed or the server sent bad bytes: message is one line,
 * valid during the call. The connection is closed; no callback follows. */
typedef void floe_vnc_error_fn(void *opaque, const char *message);

/* Any callback may be NULL. */
struct floe_vnc_feed_cbs {
    floe_vnc_resize_fn *resize;
    floe_vnc_damage_fn *damage;
    floe_vnc_copy_fn *copy;
    floe_vnc_update_fn *update;
    floe_vnc_error_fn *error;
};

/* Starts connecting to the VNC server listening on the unix socket path;
 * everything else happens on loop. cbs is copied. NULL on allocation failure. */
struct floe_vnc_feed *floe_vnc_feed_new(uv_loop_t *loop, const char *path,
                                        const struct floe_vnc_feed_cbs *cbs, void *opaque);
/* Closes the connection and frees the feed once loop has run its close
 * callback; no callback is called after this. NULL is ignored. */
void floe_vnc_feed_free(struct floe_vnc_feed *feed);

/* Sends a key press (down != 0) or release as an XT scancode (0xNN, or
 * 0xe0NN for extended keys) through QEMU's extended key event. 0, -EAGAIN
 * before the handshake is done, -ENOTSUP when the server did not announce
 * the extension, -EINVAL for a scancode that has no RFB keycode.
 * For a second after each key or pointer event, a server that takes QEMU's
 * key events also gets the release of keycode 0 every 20 ms, which QEMU
 * drops but which keeps it looking for screen changes every 30 ms. */
int floe_vnc_feed_key(struct floe_vnc_feed *feed, uint32_t xt_scancode, int down);
/* Sends the absolute pointer position and button mask (bit 0 = left,
 * 1 = middle, 2 = right, 3/4 = wheel up/down). 0 or -EAGAIN. */
int floe_vnc_feed_pointer(struct floe_vnc_feed *feed, int x, int y, unsigned buttons);
/* Those nudges alone, for a second from now: for a VNC server (another
 * display head of the same QEMU) whose screen input sent elsewhere changes. */
void floe_vnc_feed_nudge(struct floe_vnc_feed *feed);

/* The local framebuffer (xRGB words, rows w * 4 bytes apart), owned by the
 * feed and valid until the next resize; NULL before ServerInit. */
const uint32_t *floe_vnc_feed_pixels(const struct floe_vnc_feed *feed, int *w, int *h);
/* 1 once the server announced QEMU extended key events. */
int floe_vnc_feed_has_ext_keys(const struct floe_vnc_feed *feed);
/* Counts of FramebufferUpdates applied and of rectangles in them. */
void floe_vnc_feed_stats(const struct floe_vnc_feed *feed, unsigned long *updates,
                         unsigned long *rects);

#endif
