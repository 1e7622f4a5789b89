/* What qxl_host's scenarios build their commands with: guest memory,
 * drawables and bitmaps in QXL's layouts (qxl_host.c), and the scenarios
 * in files of their own: ops (ops.c, one operation kind per tile), video
 * and film (video.c). */
#ifndef FLOE_TESTS_QXL_HOST_GUEST_H
#define FLOE_TESTS_QXL_HOST_GUEST_H

#include <stdint.h>
#include <stdio.h>

#include <spice.h>

/* A drawable's clip: none (n == 0, the bbox alone) or n rectangles that do
 * not overlap. */
struct clip {
    int n;
    QXLRect r[8];
};

/* How a bitmap lies in guest memory. */
struct layout {
    int bottom_up;
    int chunks;      /* 0: direct (QXL_BITMAP_DIRECT), else this many chunks */
    int pad;         /* extra bytes at the end of each row */
};

/* Guest memory for n bytes, zeroed, 8-aligned; *addr (if not NULL) is its
 * QXL address. Exits when the guest memory is full. */
void *guest_alloc(size_t n, uint64_t *addr);

/* A drawable of `type` on `surface` in guest memory, its clip built beside
 * it; *addr is its QXL address. The caller fills in the union. */
QXLDrawable *guest_drawable_new(uint32_t surface, uint8_t type, uint8_t effect, QXLRect bbox,
                                const struct clip *clip, uint64_t *addr);

/* Queues the drawable at addr on the display ring, after what is queued. */
void guest_draw_push(uint64_t addr);

/* A bitmap image of w x h pixels in format fmt, its rows (rowbytes each,
 * top-down) from `rows`; palette formats take n_ents entries of `palette`
 * (unique id pal_id; 0 for a palette the server must not cache). Returns
 * the image's QXL address. */
uint64_t guest_bitmap_image(const void *rows, int w, int h, size_t rowbytes, uint8_t fmt,
                            const uint32_t *palette, int n_ents, uint64_t pal_id,
                            struct layout lay);

/* A surface command queued now: create surface id (w x h pixels of
 * SPICE_SURFACE_FMT_* format, rows of whole 32-bit words) or destroy it. */
void guest_surface(uint32_t id, int create, uint32_t format, int w, int h);
/* An image that names surface id (w x h) as its pixels; its QXL address. */
uint64_t guest_surface_image(uint32_t id, int w, int h);

/* Commands queued from now on are handed to the rings no sooner than ms
 * after those queued before (the scenario's clock; everything is due at
 * once otherwise). The final update_area waits for the clock too: a wait
 * after the last command leaves the picture still that long. */
void guest_wait(int ms);

/* On the primary, with the picture it must give: a solid fill of bbox, and
 * a DRAW_COPY of a whole w x h 32-bit picture (xRGB, top-down, direct) at
 * (x, y), each queued now. */
void guest_fill(QXLRect bbox, uint32_t color);
void guest_copy32(int x, int y, const uint32_t *px, int w, int h);

/* ---- the video scenario (video.c) ---- */

/* A still desktop on a primary of w x h, a video played in a 320x240 area,
 * its last frame left still. */
void video_scenario(int w, int h);

/* Reads a film file (bench/film.c writes them): a line "floe-film W H N
 * FPS", then N frames of W x H xRGB words, rows top first. Returns the
 * guest memory its frames take; exits on a bad file. */
size_t film_open(const char *path);
/* A still desktop on a primary of w x h, the film played centred at its
 * own pace (a player's window around it when there is room), its last
 * frame left still. */
void film_scenario(int w, int h);

/* ---- the ops scenario (ops.c) ---- */

/* Draws only the ops of the comma list (all when never called); exits on
 * a name the table does not hold. */
void ops_select(const char *list);
/* The tile table, a line per op: "NAME X Y W H". */
void ops_list(FILE *f);
/* The primary's height the tiles need (its width is 1024). */
int ops_height(void);
/* The scenario: a busy background on a primary of w x h, then the ops. */
void ops_scenario(int w, int h);

#endif
