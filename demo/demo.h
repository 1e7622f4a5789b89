/* The built-in demo desktop: a deterministic animated desktop drawn through
 * the display producer API, the default source of floe-server. */
#ifndef FLOE_DEMO_H
#define FLOE_DEMO_H

#include <stdint.h>
#include <uv.h>

#include "floe/server.h"

/* the library's interface: exported, unlike everything else in it */
#pragma GCC visibility push(default)

struct floe_demo;

/* The video workload: a camera moving over a photographic scene at 30
 * frames per second, drawn as whole pictures of its area each frame. */
enum floe_demo_video_mode {
    FLOE_DEMO_VIDEO_OFF,      /* the desktop as it is */
    FLOE_DEMO_VIDEO_FULL,     /* the whole screen */
    FLOE_DEMO_VIDEO_WINDOW,   /* a window above the desktop, half the screen's size */
};

struct floe_demo_options {
    int width, height;   /* default 1920x1080 */
    uint32_t seed;       /* everything but the clock follows from it */
    int fps;             /* animation ticks per second, default 30 */
    /* monitors drawn, 1..FLOE_SERVER_MAX_MONITORS (0 = 1): monitor 0 is the
     * desktop, the others the wallpaper in another hue with "Monitor N";
     * the server must serve as many */
    int monitors;
    enum floe_demo_video_mode video;   /* on monitor 0; default off */
};

/* Creates the monitors' surfaces on `s` and starts animating on `loop`.
 * Returns NULL with errno set (e.g. fonts missing). */
struct floe_demo *floe_demo_new(uv_loop_t *loop, struct floe_server *s,
                                const struct floe_demo_options *opt);
void floe_demo_free(struct floe_demo *d);
/* Stops (1) or resumes (0) every change to the picture and the cursor. */
void floe_demo_freeze(struct floe_demo *d, int frozen);
/* Input from clients: a key typed into the text window; the pointer. */
void floe_demo_key(struct floe_demo *d, uint32_t scancode, int down);
void floe_demo_pointer(struct floe_demo *d, int x, int y, uint32_t buttons);
/* A client's keyboard lock state (FLOE_LOCK_*): the demo adopts Caps Lock
 * and reports its own state back to the server at the next tick. */
void floe_demo_locks(struct floe_demo *d, uint32_t locks);
/* The text typed so far, and pasted from clients' clipboards (for tests
 * and the control socket). */
const char *floe_demo_typed_text(struct floe_demo *d);
/* Puts text on the demo's clipboard (the Notes window's copy): its agent
 * offers it to the clients. 0, -ENOTCONN (no agent), -E2BIG or -ENOMEM. */
int floe_demo_clipboard_set(struct floe_demo *d, const char *text);

#pragma GCC visibility pop

#endif
