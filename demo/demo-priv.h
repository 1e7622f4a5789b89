/* Internals of the demo desktop shared by its files: pixel canvases, fonts,
 * layers (one per window) and how they are composed onto surface 0. */
#ifndef FLOE_DEMO_PRIV_H
#define FLOE_DEMO_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include <ft2build.h>
#include FT_FREETYPE_H
#include <pixman.h>

#include "codecs/raster.h"
#include "demo/demo.h"

#define FLOE_DEMO_TYPED_MAX 4096

/* ---- canvas.c: a clipped view on opaque xRGB pixels (stride in pixels) ---- */

struct floe_demo_canvas {
    uint32_t *px;
    int w, h, stride;
};

/* A view on the part of c inside r (clipped; may be empty). */
struct floe_demo_canvas floe_demo_canvas_view(const struct floe_demo_canvas *c,
                                              const struct floe_rect *r);
void floe_demo_canvas_fill(const struct floe_demo_canvas *c, int x, int y, int w, int h,
                           uint32_t rgb);
/* A one-pixel outline just inside the rectangle. */
void floe_demo_canvas_frame(const struct floe_demo_canvas *c, int x, int y, int w, int h,
                            uint32_t rgb);
void floe_demo_canvas_vgradient(const struct floe_demo_canvas *c, int x, int y, int w, int h,
                                uint32_t top, uint32_t bottom);
/* Blends rgb over the canvas with 8-bit coverage (pitch in bytes). */
void floe_demo_canvas_blend(const struct floe_demo_canvas *c, int x, int y, int w, int h,
                            const uint8_t *cov, int pitch, uint32_t rgb);
/* Anti-aliased shapes, centres and radii in pixels (float for sub-pixel). */
void floe_demo_canvas_disc(const struct floe_demo_canvas *c, float cx, float cy, float r,
                           uint32_t rgb);
void floe_demo_canvas_round_rect(const struct floe_demo_canvas *c, int x, int y, int w, int h,
                                 float radius, uint32_t rgb);
/* Moves the view's pixels up by dy rows (the bottom dy rows keep theirs). */
void floe_demo_canvas_scroll(const struct floe_demo_canvas *c, int dy);
/* a*(255-t) + b*t per channel, t in 0..255. */
uint32_t floe_demo_rgb_mix(uint32_t a, uint32_t b, unsigned t);

/* ---- text.c: FreeType faces with a coverage cache for ASCII ---- */

struct floe_demo_glyph {
    uint8_t *cov;
    uint8_t *a4;   /* the coverage as a SPICE A4 glyph (rows bottom first), or NULL */
    int w, h, pitch, left, top, adv, loaded;
};

struct floe_demo_font {
    FT_Face face;
    int px, ascent, height;
    struct floe_demo_glyph cache[128];
};

/* Opens a face at px pixels. 0 or -errno. */
int floe_demo_font_open(FT_Library ft, const char *path, int px, struct floe_demo_font **out);
void floe_demo_font_free(struct floe_demo_font *f);
/* Width in pixels of len bytes of UTF-8 (len < 0: up to the NUL). */
int floe_demo_text_width(struct floe_demo_font *f, const char *s, int len);
/* The glyphs of UTF-8 text with its baseline at y, as a TEXT operation's
 * A4 glyph run (at most max, their rows the font's; code points past
 * ASCII as '?'), their number in *n; returns the pen x after it. */
int floe_demo_text_glyphs(struct floe_demo_font *f, int x, int y, const char *s, int len,
                          struct floe_raster_glyph *out, int max, int *n);
/* Draws UTF-8 with its baseline at y; returns the pen x after it. */
int floe_demo_text_draw(const struct floe_demo_canvas *c, struct floe_demo_font *f, int x, int y,
                        const char *s, int len, uint32_t rgb);

/* ---- misc.c: deterministic numbers ---- */

uint64_t floe_demo_splitmix(uint64_t *state);
/* A hash of a few integers, for noise that is a pure function of them. */
uint32_t floe_demo_hash3(uint32_t a, uint32_t b, uint32_t c);
/* sin of a (65536 = full turn) in Q15, from integer arithmetic only. */
int floe_demo_sin(uint32_t a);
int floe_demo_scale(int v, int permille);

/* ---- photo.c: the animated photograph ---- */

struct floe_demo_photo;

struct floe_demo_photo *floe_demo_photo_new(uint32_t seed);
void floe_demo_photo_free(struct floe_demo_photo *p);
/* Renders frame n into the whole canvas. */
#define FLOE_DEMO_PHOTO_LOOP 90   /* frames of the photo's animation before it repeats */
void floe_demo_photo_render(struct floe_demo_photo *p, uint64_t n,
                            const struct floe_demo_canvas *c);

/* ---- video.c: the video workload's frames ---- */

struct floe_demo_video;

/* The scene for frames of up to w x h pixels. NULL when out of memory. */
struct floe_demo_video *floe_demo_video_new(uint32_t seed, int w, int h);
void floe_demo_video_free(struct floe_demo_video *v);
/* Renders frame n into the canvas (at most the size given to _new). */
void floe_demo_video_render(const struct floe_demo_video *v, uint64_t n,
                            const struct floe_demo_canvas *c);

/* ---- keymap.c: PC XT set-1 scancodes to US-layout characters ---- */

struct floe_demo_keys {
    unsigned shift_l : 1, shift_r : 1, ctrl_l : 1, ctrl_r : 1, alt_l : 1, alt_r : 1, caps : 1;
};

/* Updates modifiers; returns the character typed (printable ASCII, '\n',
 * '\b' for backspace) or 0. */
int floe_demo_keymap_char(struct floe_demo_keys *k, uint32_t scancode, int down);

/* ---- the desktop ---- */

enum floe_demo_layer_id {
    FLOE_DEMO_WALLPAPER,
    FLOE_DEMO_FILES,
    FLOE_DEMO_TERMINAL,
    FLOE_DEMO_PHOTOS,
    FLOE_DEMO_NOTES,
    FLOE_DEMO_ABOUT,
    FLOE_DEMO_PANEL,
    FLOE_DEMO_VIDEO,       /* above everything; empty unless the video plays */
    FLOE_DEMO_LAYERS
};

/* An opaque picture at r (screen coordinates), stacked by its id. */
struct floe_demo_layer {
    struct floe_rect r;
    struct floe_demo_canvas c;
};

struct floe_demo_fonts {
    struct floe_demo_font *ui, *bold, *mono, *big;
    struct floe_demo_font *label;   /* the other monitors' label; only with several */
};

struct floe_demo_journal {
    struct floe_rect area; /* text area, layer coordinates */
    int line_h, rows;
    uint64_t next;         /* index of the next line to appear */
};

struct floe_demo_notes {
    struct floe_rect area;
    int line_h, rows, caret_on, dirty;
    uint64_t *shown;       /* a hash of each visible row as drawn */
    uint64_t *want;        /* ... and as it should be */
    int *ring;             /* the last `rows` wrapped rows: start, length */
    struct floe_demo_keys keys;
    size_t len;
    char text[FLOE_DEMO_TYPED_MAX + 1];
};

struct floe_demo {
    uv_loop_t *loop;
    struct floe_server *srv;
    uv_timer_t *timer;
    int w, h, fps, fs;     /* fs: font scale in permille */
    uint32_t seed;
    uint64_t tick;
    int frozen;
    FT_Library ft;
    struct floe_demo_fonts font;
    struct floe_demo_layer layers[FLOE_DEMO_LAYERS];
    struct floe_demo_journal journal;
    struct floe_demo_photo *photo;
    struct floe_rect photo_area;
    struct floe_demo_notes notes;
    struct floe_rect clock_area;
    long clock_shown;
    int pointer_x, pointer_y, pointer_new;
    uint64_t follow_until;
    int monitors;
    enum floe_demo_video_mode video_mode;
    struct floe_demo_video *video;
    struct floe_rect video_area;   /* the frames' place in the video layer */
    struct floe_demo_canvas monitor_bg[FLOE_SERVER_MAX_MONITORS];   /* 1 and up */
    int wall_given;   /* the wallpaper is monitor 0's off-screen surface FLOE_DEMO_WALL_SURFACE */
    struct floe_demo_agent *agent;   /* the built-in guest agent (agent.c), or NULL */
};

/* The wallpaper, given to the server as an off-screen surface: what a moved
 * window uncovers goes as a copy from it. */
#define FLOE_DEMO_WALL_SURFACE 1

/* compose.c: keeps surface 0 equal to the layers stacked in id order. */
int floe_demo_layer_alloc(struct floe_demo_layer *l, int x, int y, int w, int h);
void floe_demo_paint_all(struct floe_demo *d);
/* Sends the part of layer id inside local (layer coordinates) that shows. */
void floe_demo_layer_show(struct floe_demo *d, int id, const struct floe_rect *local);
/* Draws op (layer coordinates, no mask) into layer id's pixels and, with submit,
 * hands it to the server as a draw operation on the part of the layer that
 * shows, for clients to draw themselves. */
void floe_demo_layer_draw(struct floe_demo *d, int id, const struct floe_raster_op *op, int submit);
/* The same for a solid fill of r, and for UTF-8 text with its baseline at
 * y clipped to r (one glyph run of A4 glyphs); the text returns the pen x
 * after it. */
void floe_demo_layer_fill(struct floe_demo *d, int id, const struct floe_rect *r, uint32_t rgb,
                          int submit);
int floe_demo_layer_text(struct floe_demo *d, int id, const struct floe_rect *r,
                         struct floe_demo_font *f, int x, int y, const char *s, int len,
                         uint32_t rgb, int submit);
/* The layer's pixels in local were moved up by dy: copy_bits what shows. */
void floe_demo_layer_scroll(struct floe_demo *d, int id, const struct floe_rect *local, int dy);
/* Moves layer id to (x, y), copying what it can and exposing what it left. */
void floe_demo_layer_move(struct floe_demo *d, int id, int x, int y);

/* windows.c: chrome and the static windows. */
int floe_demo_windows_init(struct floe_demo *d);
/* Draws frame, title bar and buttons; returns the client area (local). */
struct floe_rect floe_demo_window_chrome(struct floe_demo *d, int id, const char *title);
/* The About window's place at the current tick. */
void floe_demo_about_place(struct floe_demo *d, uint64_t tick, int *x, int *y);

/* wallpaper.c / panel.c */
int floe_demo_wallpaper_init(struct floe_demo *d);
int floe_demo_panel_init(struct floe_demo *d);
/* Redraws the clock if the wall-clock second changed (or force). */
void floe_demo_panel_clock(struct floe_demo *d, int force);

/* journal.c: the scrolling log window. */
int floe_demo_journal_init(struct floe_demo *d);
void floe_demo_journal_tick(struct floe_demo *d);

/* notes.c: the typed-text window. */
int floe_demo_notes_init(struct floe_demo *d);
void floe_demo_notes_free(struct floe_demo *d);
void floe_demo_notes_key(struct floe_demo *d, uint32_t scancode, int down);
void floe_demo_notes_tick(struct floe_demo *d);
/* Text pasted into the notes (a client's clipboard). */
void floe_demo_notes_paste(struct floe_demo *d, const char *text, size_t len);

/* demo.c: the desktop made again at w x h (monitor 0's; one monitor only,
 * clamped to 320x240..4096x4096), keeping the notes' text. 0 or -errno
 * (then it stays as it was when it could, else it stops drawing). */
int floe_demo_resize(struct floe_demo *d, int w, int h);

/* agent.c: the built-in guest agent (clipboard of the notes, monitors) */
struct floe_demo_agent;
int floe_demo_agent_init(struct floe_demo *d);
/* sends what the agent has to say (never from inside the server's calls) */
void floe_demo_agent_tick(struct floe_demo *d);
/* 1 with the size a client asked for since the last call, else 0 */
int floe_demo_agent_size_asked(struct floe_demo *d, int *w, int *h);
void floe_demo_agent_free(struct floe_demo *d);

/* monitors.c: monitors 1 and up, each on its own surface. */
int floe_demo_monitors_init(struct floe_demo *d);
void floe_demo_monitors_tick(struct floe_demo *d);
void floe_demo_monitors_free(struct floe_demo *d);

/* video.c: the video layer (none when the video is off) and its frames. */
int floe_demo_video_init(struct floe_demo *d);
void floe_demo_video_tick(struct floe_demo *d);

/* cursor.c: the arrow shape and the pointer's path. */
void floe_demo_cursor_init(struct floe_demo *d);
void floe_demo_cursor_tick(struct floe_demo *d);

#endif
