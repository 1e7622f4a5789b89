/* The built-in demo desktop: builds the scene, paints it once, then on a
 * libuv timer sends only what changed each tick and ends the frame. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "demo/demo-priv.h"

static const char *const font_dirs[] = {
    "/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF", "/usr/local/share/fonts/dejavu",
};

/* Opens `name` from $FLOE_FONT_DIR or the usual DejaVu places. */
static int font_find(struct floe_demo *d, const char *name, int px, struct floe_demo_font **out)
{
    const char *env = getenv("FLOE_FONT_DIR");
    char path[512];
    int err = -ENOENT;

    if (env && *env) {
        snprintf(path, sizeof(path), "%s/%s", env, name);
        if (!floe_demo_font_open(d->ft, path, px, out))
            return 0;
    }
    for (unsigned i = 0; i < sizeof(font_dirs) / sizeof(font_dirs[0]) && err; i++) {
        snprintf(path, sizeof(path), "%s/%s", font_dirs[i], name);
        err = floe_demo_font_open(d->ft, path, px, out);
    }
    return err;
}

static int fonts_open(struct floe_demo *d)
{
    struct floe_demo_fonts *f = &d->font;
    int s13 = floe_demo_scale(13, d->fs);

    if (FT_Init_FreeType(&d->ft)) {
        floe_err("demo: FreeType cannot start");
        return -ENOMEM;
    }
    if (font_find(d, "DejaVuSans.ttf", s13, &f->ui) ||
        font_find(d, "DejaVuSansMono.ttf", s13, &f->mono)) {
        floe_err("demo: cannot load DejaVuSans.ttf and DejaVuSansMono.ttf from "
                 "/usr/share/fonts/truetype/dejavu (install fonts-dejavu-core, "
                 "or set FLOE_FONT_DIR)");
        return -ENOENT;
    }
    /* the bold face is optional: the regular one stands in for it */
    if (font_find(d, "DejaVuSans-Bold.ttf", s13, &f->bold) &&
        font_find(d, "DejaVuSans.ttf", s13, &f->bold))
        return -ENOENT;
    if (font_find(d, "DejaVuSans-Bold.ttf", floe_demo_scale(28, d->fs), &f->big) &&
        font_find(d, "DejaVuSans.ttf", floe_demo_scale(28, d->fs), &f->big))
        return -ENOENT;
    if (d->monitors > 1 &&
        font_find(d, "DejaVuSans-Bold.ttf", floe_demo_scale(120, d->fs), &f->label) &&
        font_find(d, "DejaVuSans.ttf", floe_demo_scale(120, d->fs), &f->label))
        return -ENOENT;
    return 0;
}

static int isqrt(int v)
{
    int r = 0;

    while ((r + 1) * (r + 1) <= v)
        r++;
    return r;
}

/* Text grows slower than the screen: the square root of the scale,
 * kept between 0.6 and 1.5 so small screens stay readable. */
static int font_scale(int w, int h)
{
    int s = w * 1000 / 1920 < h * 1000 / 1080 ? w * 1000 / 1920 : h * 1000 / 1080;
    int fs = isqrt(s * 1000);

    return fs < 600 ? 600 : fs > 1500 ? 1500 : fs;
}

/* Everything drawn and what draws it, but the server, the clock and the
 * agent. */
static void scene_free(struct floe_demo *d)
{
    if (d->wall_given)
        floe_server_offscreen_destroy(d->srv, 0, FLOE_DEMO_WALL_SURFACE);
    d->wall_given = 0;
    floe_demo_notes_free(d);
    floe_demo_monitors_free(d);
    floe_demo_photo_free(d->photo);
    floe_demo_video_free(d->video);
    for (int i = 0; i < FLOE_DEMO_LAYERS; i++)
        free(d->layers[i].c.px);
    floe_demo_font_free(d->font.ui);
    floe_demo_font_free(d->font.bold);
    floe_demo_font_free(d->font.mono);
    floe_demo_font_free(d->font.big);
    floe_demo_font_free(d->font.label);
    if (d->ft)
        FT_Done_FreeType(d->ft);
    d->ft = NULL;
}

static void destroy(struct floe_demo *d)
{
    scene_free(d);
    free(d);
}

static void photo_tick(struct floe_demo *d)
{
    uint64_t period = (uint64_t)(d->fps > 30 ? d->fps / 30 : 1);
    struct floe_demo_canvas c;

    if (d->tick % period)
        return;
    c = floe_demo_canvas_view(&d->layers[FLOE_DEMO_PHOTOS].c, &d->photo_area);
    /* the animation loops, as a carousel or a spinner does: the frames repeat */
    floe_demo_photo_render(d->photo, (d->tick / period) % FLOE_DEMO_PHOTO_LOOP, &c);
    floe_demo_layer_show(d, FLOE_DEMO_PHOTOS, &d->photo_area);
}

static void tick(struct floe_demo *d)
{
    int x, y;

    if (d->frozen)
        return;
    d->tick++;
    floe_demo_about_place(d, d->tick, &x, &y);
    floe_demo_layer_move(d, FLOE_DEMO_ABOUT, x, y);
    floe_demo_journal_tick(d);
    /* the photograph holds still while the video plays: under a full-screen
     * one it would not show, and beside a window's it would be a second box
     * redrawn at video rate (a monitor streams one) */
    if (d->video_mode == FLOE_DEMO_VIDEO_OFF)
        photo_tick(d);
    floe_demo_video_tick(d);
    floe_demo_notes_tick(d);
    floe_demo_panel_clock(d, 0);
    floe_demo_cursor_tick(d);
    floe_demo_monitors_tick(d);
    /* like a guest's keyboard LEDs: clients follow the demo's Caps Lock */
    floe_server_set_keyboard_locks(d->srv, d->notes.keys.caps ? FLOE_LOCK_CAPS : 0);
    floe_server_frame_end(d->srv);
}

static void on_timer(uv_timer_t *t)
{
    int w, h;

    if (!t->data)
        return;
    if (floe_demo_agent_size_asked(t->data, &w, &h))
        floe_demo_resize(t->data, w, h);
    floe_demo_agent_tick(t->data);
    tick(t->data);
}

static void on_timer_closed(uv_handle_t *h)
{
    free(h);
}

static int scene_init(struct floe_demo *d)
{
    struct floe_demo_canvas c;
    int err = fonts_open(d);

    if (!err)
        err = floe_demo_wallpaper_init(d);
    if (!err)
        err = floe_demo_panel_init(d);
    if (!err)
        err = floe_demo_windows_init(d);
    if (!err)
        err = floe_demo_journal_init(d);
    if (!err)
        err = floe_demo_notes_init(d);
    if (!err && !(d->photo = floe_demo_photo_new(d->seed)))
        err = -ENOMEM;
    if (!err)
        err = floe_demo_video_init(d);
    if (err)
        return err;
    c = floe_demo_canvas_view(&d->layers[FLOE_DEMO_PHOTOS].c, &d->photo_area);
    floe_demo_photo_render(d->photo, 0, &c);
    return 0;
}

static int timer_start(struct floe_demo *d)
{
    uint64_t period = (uint64_t)(1000 / d->fps);
    int err;

    d->timer = malloc(sizeof(*d->timer));
    if (!d->timer)
        return -ENOMEM;
    err = uv_timer_init(d->loop, d->timer);
    if (err) {
        free(d->timer);
        d->timer = NULL;
        return err;
    }
    d->timer->data = d;
    return uv_timer_start(d->timer, on_timer, period, period);
}

/* Checks and fills in the defaults; 0 or -EINVAL. */
static int options(struct floe_demo *d, const struct floe_demo_options *opt)
{
    d->w = opt && opt->width > 0 ? opt->width : 1920;
    d->h = opt && opt->height > 0 ? opt->height : 1080;
    d->fps = opt && opt->fps > 0 ? opt->fps : 30;
    d->seed = opt ? opt->seed : 0;
    d->monitors = opt && opt->monitors > 0 ? opt->monitors : 1;
    d->video_mode = opt ? opt->video : FLOE_DEMO_VIDEO_OFF;
    if (d->video_mode < FLOE_DEMO_VIDEO_OFF || d->video_mode > FLOE_DEMO_VIDEO_WINDOW) {
        floe_err("demo: unknown video mode %d", (int)d->video_mode);
        return -EINVAL;
    }
    if (d->monitors > FLOE_SERVER_MAX_MONITORS) {
        floe_err("demo: %d monitors: at most %d", d->monitors, FLOE_SERVER_MAX_MONITORS);
        return -EINVAL;
    }
    if (d->fps > 240)
        d->fps = 240;
    if (d->w < 64 || d->h < 64 || d->w > 16384 || d->h > 16384) {
        floe_err("demo: size %dx%d is outside 64x64..16384x16384", d->w, d->h);
        return -EINVAL;
    }
    d->fs = font_scale(d->w, d->h);
    return 0;
}

struct floe_demo *floe_demo_new(uv_loop_t *loop, struct floe_server *s,
                                const struct floe_demo_options *opt)
{
    struct floe_demo *d = calloc(1, sizeof(*d));
    int err;

    if (!d) {
        errno = ENOMEM;
        return NULL;
    }
    d->loop = loop;
    d->srv = s;
    d->clock_shown = -1;
    err = !loop || !s ? -EINVAL : options(d, opt);
    if (!err)
        err = scene_init(d);
    if (!err)
        err = floe_server_surface_create(s, 0, d->w, d->h);
    if (err)
        goto out;
    /* without it the wallpaper goes as pixels */
    d->wall_given = floe_server_offscreen_create(s, 0, FLOE_DEMO_WALL_SURFACE, d->w, d->h,
                                                 d->layers[FLOE_DEMO_WALLPAPER].c.px,
                                                 d->layers[FLOE_DEMO_WALLPAPER].c.stride * 4,
                                                 0) == 0;
    floe_demo_paint_all(d);
    err = floe_demo_monitors_init(d);
    if (err)
        goto out;
    floe_demo_cursor_init(d);
    floe_demo_cursor_tick(d);
    floe_server_frame_end(s);
    err = timer_start(d);
    if (!err)
        err = floe_demo_agent_init(d);
out:
    if (err) {
        if (d->timer)
            uv_close((uv_handle_t *)d->timer, on_timer_closed);
        destroy(d);
        errno = -err;
        return NULL;
    }
    return d;
}

int floe_demo_resize(struct floe_demo *d, int w, int h)
{
    struct floe_demo_keys keys = d->notes.keys;
    char *text = strdup(d->notes.text);
    int err;

    if (d->monitors != 1) {
        floe_warn("demo: not resized to %dx%d: it has %d monitors", w, h, d->monitors);
        free(text);
        return -ENOTSUP;
    }
    w = w < 320 ? 320 : w > 4096 ? 4096 : w & ~1;
    h = h < 240 ? 240 : h > 4096 ? 4096 : h & ~1;
    if ((w == d->w && h == d->h) || !text) {
        free(text);
        return text ? 0 : -ENOMEM;
    }
    scene_free(d);
    /* the scene's state starts again as floe_demo_new leaves it */
    memset(&d->font, 0, sizeof(d->font));
    memset(d->layers, 0, sizeof(d->layers));
    memset(&d->journal, 0, sizeof(d->journal));
    memset(&d->notes, 0, sizeof(d->notes));
    memset(d->monitor_bg, 0, sizeof(d->monitor_bg));
    d->photo = NULL;
    d->video = NULL;
    d->clock_shown = -1;
    d->w = w;
    d->h = h;
    d->fs = font_scale(w, h);
    err = scene_init(d);
    if (!err)
        err = floe_server_surface_create(d->srv, 0, w, h);
    if (err) {
        floe_err("demo: cannot make the desktop at %dx%d: %s", w, h, strerror(-err));
        d->frozen = 1;
        free(text);
        return err;
    }
    d->notes.keys = keys;
    floe_demo_notes_paste(d, text, strlen(text));
    free(text);
    d->wall_given = floe_server_offscreen_create(d->srv, 0, FLOE_DEMO_WALL_SURFACE, d->w, d->h,
                                                 d->layers[FLOE_DEMO_WALLPAPER].c.px,
                                                 d->layers[FLOE_DEMO_WALLPAPER].c.stride * 4,
                                                 0) == 0;
    floe_demo_paint_all(d);
    floe_demo_cursor_init(d);
    floe_server_frame_end(d->srv);
    floe_info("demo: the desktop is now %dx%d", w, h);
    return 0;
}

void floe_demo_free(struct floe_demo *d)
{
    if (!d)
        return;
    /* the handle outlives us until the loop has closed it */
    uv_timer_stop(d->timer);
    d->timer->data = NULL;
    floe_demo_agent_free(d);
    uv_close((uv_handle_t *)d->timer, on_timer_closed);
    destroy(d);
}

void floe_demo_freeze(struct floe_demo *d, int frozen)
{
    d->frozen = frozen != 0;
}

void floe_demo_key(struct floe_demo *d, uint32_t scancode, int down)
{
    floe_demo_notes_key(d, scancode, down);
}

void floe_demo_pointer(struct floe_demo *d, int x, int y, uint32_t buttons)
{
    (void)buttons; /* the demo only follows the pointer */
    if (d->frozen)
        return;
    d->pointer_x = x < 0 ? 0 : x >= d->w ? d->w - 1 : x;
    d->pointer_y = y < 0 ? 0 : y >= d->h ? d->h - 1 : y;
    d->pointer_new = 1;
}

void floe_demo_locks(struct floe_demo *d, uint32_t locks)
{
    d->notes.keys.caps = (locks & FLOE_LOCK_CAPS) ? 1 : 0;
}

const char *floe_demo_typed_text(struct floe_demo *d)
{
    return d->notes.text;
}
