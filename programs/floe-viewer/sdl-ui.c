/* The SDL2 windows of floe-viewer, one per monitor: the canvas scaled to
 * fit, keyboard and mouse forwarded to the inputs channel, the server's
 * cursor shown (on monitor 0, where the one cursor channel is); the
 * clipboard shared with the guest's agent both ways, files dropped on a
 * window sent to it (progress in the title), and a window resized by the
 * user asking the guest for that size. */
#include <SDL.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "programs/floe-viewer/keymap.h"
#include "programs/floe-viewer/viewer.h"
#include "common/log.h"

#define MAX_WINDOWS 16

/* The window of one monitor. */
struct win {
    int monitor;
    SDL_Window *win;
    SDL_Renderer *ren;
    SDL_Texture *tex;
    int tex_w, tex_h;
    uint64_t serial;
    SDL_Rect dst;                /* where the canvas goes, in renderer pixels */
    SDL_Texture *cur_tex;        /* the cursor, drawn on monitor 0's window */
    int dirty, placed;
};

struct ui {
    struct floe_client *c;
    struct win wins[MAX_WINDOWS];   /* by monitor; win NULL until it has a picture */
    SDL_Cursor *sdl_cursor;
    struct floe_client_cursor cur;
    int grabbed, quit;
    uint8_t pressed[SDL_NUM_SCANCODES];
    const struct viewer_options *o;
    struct viewer_share *sh;
    char *from_guest;            /* the text last put on the clipboard from the guest */
    char *offered;               /* the text last offered to the guest */
    int64_t clip_look_at;        /* when to look at the desktop's clipboard again */
    int64_t resize_at;           /* when to ask the guest for the windows' sizes; 0 never */
    uint32_t xfers[16];          /* files dropped, in order */
    int nxfers;
    char note[160];              /* the latest transfer's progress, in the title */
};

static Uint32 floe_event_type = (Uint32)-1;
static atomic_int display_pending, cursor_pending;

int viewer_sdl_init(void)
{
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        floe_debug("SDL_Init: %s", SDL_GetError());
        return -1;
    }
    floe_event_type = SDL_RegisterEvents(1);
    if (floe_event_type == (Uint32)-1) {
        SDL_Quit();
        return -1;
    }
    return 0;
}

void viewer_sdl_quit(void)
{
    SDL_Quit();
}

void viewer_sdl_event(void *opaque, enum floe_client_event ev)
{
    SDL_Event e;

    atomic_int *pending = ev == FLOE_CLIENT_EVENT_DISPLAY ? &display_pending
                          : ev == FLOE_CLIENT_EVENT_CURSOR ? &cursor_pending : NULL;

    (void)opaque;
    /* one redraw (or cursor update) request in flight is enough */
    if (pending && atomic_exchange(pending, 1))
        return;
    memset(&e, 0, sizeof(e));
    e.type = floe_event_type;
    e.user.code = (Sint32)ev;
    /* a full queue must not leave the flag set: nothing would redraw again */
    if (SDL_PushEvent(&e) <= 0 && pending)
        atomic_store(pending, 0);
}

/* "NAME - floe-viewer", and " (monitor K+1)" when there are several; a
 * window keeps "floe-viewer" until it has a picture (and its size). */
static void set_title(struct ui *u)
{
    char name[256], title[600];
    int several = floe_client_monitors(u->c) > 1;

    floe_client_get_title(u->c, name, sizeof(name));
    for (int k = 0; k < MAX_WINDOWS; k++) {
        char mon[32] = "";

        if (!u->wins[k].win || !u->wins[k].tex)
            continue;
        if (several)
            snprintf(mon, sizeof(mon), " (monitor %d)", k + 1);
        snprintf(title, sizeof(title), "%s%sfloe-viewer%s%s%s", name, name[0] ? " - " : "", mon,
                 u->grabbed ? " (Ctrl+Alt releases the mouse)" : "", k == 0 ? u->note : "");
        SDL_SetWindowTitle(u->wins[k].win, title);
    }
}

/* Letterboxes the canvas into the renderer's output. */
static void layout(struct win *w)
{
    int ow, oh;

    SDL_GetRendererOutputSize(w->ren, &ow, &oh);
    if (!w->tex_w || !w->tex_h || !ow || !oh) {
        w->dst = (SDL_Rect){ 0, 0, ow, oh };
        return;
    }
    if ((int64_t)ow * w->tex_h <= (int64_t)oh * w->tex_w) {
        w->dst.w = ow;
        w->dst.h = (int)((int64_t)ow * w->tex_h / w->tex_w);
    } else {
        w->dst.h = oh;
        w->dst.w = (int)((int64_t)oh * w->tex_w / w->tex_h);
    }
    w->dst.x = (ow - w->dst.w) / 2;
    w->dst.y = (oh - w->dst.h) / 2;
}

/* Sizes the window to the surface (smaller if the screen is), centred the
 * first time (monitor 0's; the others are left to the window manager). */
static void fit_window(struct win *u)
{
    SDL_Rect b;
    int w = u->tex_w, h = u->tex_h;

    if (SDL_GetDisplayUsableBounds(SDL_GetWindowDisplayIndex(u->win), &b) == 0 && b.w > 0 &&
        b.h > 0 && (w > b.w || h > b.h)) {
        if ((int64_t)w * b.h > (int64_t)h * b.w) {
            h = (int)((int64_t)h * b.w / w);
            w = b.w;
        } else {
            w = (int)((int64_t)w * b.h / h);
            h = b.h;
        }
    }
    SDL_SetWindowSize(u->win, w, h);
    if (!u->placed && u->monitor == 0)
        SDL_SetWindowPosition(u->win, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED);
    u->placed = 1;
}

static int win_open(struct win *w)
{
    w->win = SDL_CreateWindow("floe-viewer", w->monitor ? SDL_WINDOWPOS_UNDEFINED
                                                        : SDL_WINDOWPOS_CENTERED,
                              w->monitor ? SDL_WINDOWPOS_UNDEFINED : SDL_WINDOWPOS_CENTERED,
                              640, 480, SDL_WINDOW_RESIZABLE);
    if (!w->win)
        return -1;
    w->ren = SDL_CreateRenderer(w->win, -1, SDL_RENDERER_PRESENTVSYNC);
    if (!w->ren)
        w->ren = SDL_CreateRenderer(w->win, -1, SDL_RENDERER_SOFTWARE);
    return w->ren ? 0 : -1;
}

static void win_close(struct win *w)
{
    if (w->cur_tex)
        SDL_DestroyTexture(w->cur_tex);
    if (w->tex)
        SDL_DestroyTexture(w->tex);
    if (w->ren)
        SDL_DestroyRenderer(w->ren);
    if (w->win)
        SDL_DestroyWindow(w->win);
    memset(w, 0, sizeof(*w));
}

/* Copies the damaged part of the monitor's canvas (or all of it after a
 * resize) into the texture. */
static void update_window(struct win *w, struct floe_client *c)
{
    struct floe_client_canvas cv;
    int resized = 0;

    if (floe_client_canvas_lock_monitor(c, w->monitor, &cv)) {
        floe_client_canvas_unlock(c);
        return;
    }
    if (!w->tex || cv.serial != w->serial || cv.width != w->tex_w || cv.height != w->tex_h) {
        if (w->tex)
            SDL_DestroyTexture(w->tex);
        w->tex = SDL_CreateTexture(w->ren, SDL_PIXELFORMAT_ARGB8888,
                                   SDL_TEXTUREACCESS_STREAMING, cv.width, cv.height);
        if (w->tex) {
            SDL_SetTextureBlendMode(w->tex, SDL_BLENDMODE_NONE);
            SDL_UpdateTexture(w->tex, NULL, cv.pixels, cv.stride);
        }
        resized = cv.width != w->tex_w || cv.height != w->tex_h;
        w->tex_w = cv.width;
        w->tex_h = cv.height;
        w->serial = cv.serial;
    } else if (cv.damage_w > 0) {
        SDL_Rect r = { cv.damage_x, cv.damage_y, cv.damage_w, cv.damage_h };
        const uint8_t *p = (const uint8_t *)cv.pixels + (size_t)r.y * cv.stride + (size_t)r.x * 4;

        SDL_UpdateTexture(w->tex, &r, p, cv.stride);
    }
    floe_client_canvas_unlock(c);
    if (resized)
        fit_window(w);
    layout(w);
    w->dirty = 1;
}

static void update_cursor(struct ui *u);

/* Updates every monitor's window; a monitor with a picture and no window
 * yet gets one (monitor 0's is open from the start). */
static void update_canvas(struct ui *u)
{
    int n = floe_client_monitors(u->c);

    atomic_store(&display_pending, 0);
    for (int k = 0; k < n && k < MAX_WINDOWS; k++) {
        struct win *w = &u->wins[k];
        int had;

        if (!w->win) {
            struct floe_client_canvas cv;
            int has = floe_client_canvas_lock_monitor(u->c, k, &cv) == 0;

            floe_client_canvas_unlock(u->c);
            w->monitor = k;
            if (!has)
                continue;
            if (win_open(w)) {
                floe_err("cannot open a window for monitor %d: %s", k, SDL_GetError());
                win_close(w);
                continue;
            }
        }
        had = w->tex != NULL;
        update_window(w, u->c);
        if (!had && w->tex)
            set_title(u);   /* the window has its picture and size now */
    }
    /* a monitor gone (a guest's head switched off): its window goes */
    for (int k = n > 1 ? n : 1; k < MAX_WINDOWS; k++)
        if (u->wins[k].win)
            win_close(&u->wins[k]);
}

static void update_cursor(struct ui *u)
{
    struct floe_client_cursor cur;
    struct win *w0 = &u->wins[0];
    int client_mode = floe_client_mouse_mode(u->c) == 2;

    floe_client_cursor_get(u->c, &cur, u->cur.shape_serial);
    if (cur.argb) {
        SDL_Surface *s = SDL_CreateRGBSurfaceWithFormatFrom(cur.argb, cur.width, cur.height, 32,
                                                            cur.width * 4,
                                                            SDL_PIXELFORMAT_ARGB8888);

        if (w0->cur_tex)
            SDL_DestroyTexture(w0->cur_tex);
        w0->cur_tex = s && w0->ren ? SDL_CreateTextureFromSurface(w0->ren, s) : NULL;
        if (w0->cur_tex)
            SDL_SetTextureBlendMode(w0->cur_tex, SDL_BLENDMODE_BLEND);
        if (s) {
            SDL_Cursor *nc = SDL_CreateColorCursor(s, cur.hot_x, cur.hot_y);

            if (nc) {
                SDL_SetCursor(nc);
                if (u->sdl_cursor)
                    SDL_FreeCursor(u->sdl_cursor);
                u->sdl_cursor = nc;
            }
            SDL_FreeSurface(s);
        }
        free(cur.argb);
        cur.argb = NULL;
    } else if (cur.shape_serial != u->cur.shape_serial && w0->cur_tex) {
        SDL_DestroyTexture(w0->cur_tex); /* the shape went away */
        w0->cur_tex = NULL;
    }
    u->cur = cur;
    if (client_mode)
        SDL_ShowCursor(cur.visible ? SDL_ENABLE : SDL_DISABLE);
    else
        SDL_ShowCursor(u->grabbed ? SDL_DISABLE : SDL_ENABLE);
    w0->dirty = 1;
}

static void set_grab(struct ui *u, int on)
{
    if (u->grabbed == on)
        return;
    u->grabbed = on;
    SDL_SetRelativeMouseMode(on ? SDL_TRUE : SDL_FALSE);
    set_title(u);
    update_cursor(u);
}

static void render(struct ui *u, struct win *w)
{
    SDL_SetRenderDrawColor(w->ren, 0, 0, 0, 255);
    SDL_RenderClear(w->ren);
    if (w->tex)
        SDL_RenderCopy(w->ren, w->tex, NULL, &w->dst);
    /* in server mouse mode the pointer is the server's: draw it ourselves */
    if (w->tex && w->cur_tex && u->cur.visible && floe_client_mouse_mode(u->c) != 2) {
        double sx = (double)w->dst.w / w->tex_w, sy = (double)w->dst.h / w->tex_h;
        SDL_Rect r = { w->dst.x + (int)((u->cur.x - u->cur.hot_x) * sx),
                       w->dst.y + (int)((u->cur.y - u->cur.hot_y) * sy),
                       (int)(u->cur.width * sx + 0.5), (int)(u->cur.height * sy + 0.5) };

        SDL_RenderCopy(w->ren, w->cur_tex, NULL, &r);
    }
    SDL_RenderPresent(w->ren);
    w->dirty = 0;
}

/* Window coordinates to surface coordinates, clamped to the surface. */
static void to_surface(struct win *u, int wx, int wy, int *x, int *y)
{
    int ww, wh, ow, oh;
    double px, py;

    SDL_GetWindowSize(u->win, &ww, &wh);
    SDL_GetRendererOutputSize(u->ren, &ow, &oh);
    px = ww ? (double)wx * ow / ww : wx;
    py = wh ? (double)wy * oh / wh : wy;
    *x = u->dst.w ? (int)((px - u->dst.x) * u->tex_w / u->dst.w) : 0;
    *y = u->dst.h ? (int)((py - u->dst.y) * u->tex_h / u->dst.h) : 0;
    *x = *x < 0 ? 0 : *x >= u->tex_w ? u->tex_w - 1 : *x;
    *y = *y < 0 ? 0 : *y >= u->tex_h ? u->tex_h - 1 : *y;
}

/* The window an SDL event names, or NULL. */
static struct win *win_by_id(struct ui *u, Uint32 id)
{
    for (int k = 0; k < MAX_WINDOWS; k++)
        if (u->wins[k].win && SDL_GetWindowID(u->wins[k].win) == id)
            return &u->wins[k];
    return NULL;
}

static void release_keys(struct ui *u)
{
    for (int i = 0; i < SDL_NUM_SCANCODES; i++) {
        if (u->pressed[i]) {
            floe_client_key(u->c, floe_keymap_hid_to_xt(i), 0);
            u->pressed[i] = 0;
        }
    }
}

static void on_key(struct ui *u, const SDL_KeyboardEvent *k)
{
    int down = k->type == SDL_KEYDOWN;
    uint32_t sc = floe_keymap_hid_to_xt(k->keysym.scancode);

    if (sc && k->keysym.scancode < SDL_NUM_SCANCODES) {
        floe_client_key(u->c, sc, down);
        u->pressed[k->keysym.scancode] = (uint8_t)down;
    }
    if (down && u->grabbed && (SDL_GetModState() & KMOD_CTRL) && (SDL_GetModState() & KMOD_ALT)) {
        release_keys(u);
        set_grab(u, 0);
    }
}

static int wheel_button(const SDL_MouseWheelEvent *w)
{
    int y = w->direction == SDL_MOUSEWHEEL_FLIPPED ? -w->y : w->y;

    return y > 0 ? 4 : y < 0 ? 5 : 0;
}

static void on_mouse(struct ui *u, const SDL_Event *e)
{
    int client_mode = floe_client_mouse_mode(u->c) == 2, x, y, b;
    struct win *w;

    switch (e->type) {
    case SDL_MOUSEMOTION:
        if (client_mode && (w = win_by_id(u, e->motion.windowID))) {
            to_surface(w, e->motion.x, e->motion.y, &x, &y);
            floe_client_mouse_position_monitor(u->c, w->monitor, x, y);
        } else if (!client_mode && u->grabbed) {
            floe_client_mouse_motion(u->c, e->motion.xrel, e->motion.yrel);
        }
        break;
    case SDL_MOUSEBUTTONDOWN:
    case SDL_MOUSEBUTTONUP:
        if (!client_mode && !u->grabbed) {
            if (e->type == SDL_MOUSEBUTTONDOWN)
                set_grab(u, 1);
            break;
        }
        b = e->button.button == SDL_BUTTON_LEFT ? 1 : e->button.button == SDL_BUTTON_MIDDLE ? 2
            : e->button.button == SDL_BUTTON_RIGHT ? 3 : 0;
        if (b)
            floe_client_mouse_button(u->c, b, e->type == SDL_MOUSEBUTTONDOWN);
        break;
    case SDL_MOUSEWHEEL:
        b = wheel_button(&e->wheel);
        if (b && (client_mode || u->grabbed)) {
            floe_client_mouse_button(u->c, b, 1);
            floe_client_mouse_button(u->c, b, 0);
        }
        break;
    }
}

/* The guest's clipboard text came: onto the desktop's clipboard. */
static void clipboard_from_guest(struct ui *u)
{
    void *data;
    size_t len;
    int type;

    if (floe_client_clipboard_get(u->c, 0, &type, &data, &len, NULL) < 0)
        return;
    if (type == FLOE_CLIENT_CLIP_TEXT && memchr(data, 0, len) == NULL) {
        free(u->from_guest);
        u->from_guest = strdup(data);
        if (SDL_SetClipboardText(data) != 0)
            floe_warn("cannot set the clipboard: %s", SDL_GetError());
    }
    free(data);
}

/* The desktop's clipboard, when it changed: offered to the guest, unless
 * it is what came from there. SDL tells of a change only when the viewer
 * loses the clipboard, so the loop also looks once a second. */
static void clipboard_to_guest(struct ui *u)
{
    char *text;

    if (u->o->no_clipboard || !SDL_HasClipboardText() || !(text = SDL_GetClipboardText()))
        return;
    if ((!u->from_guest || strcmp(text, u->from_guest) != 0) &&
        (!u->offered || strcmp(text, u->offered) != 0)) {
        int rc = floe_client_clipboard_offer(u->c, 0, FLOE_CLIENT_CLIP_TEXT, text, strlen(text));

        if (rc < 0) {
            floe_warn("the clipboard was not offered to the guest: %s", strerror(-rc));
        } else {
            free(u->offered);
            u->offered = strdup(text);
        }
    }
    SDL_free(text);
}

static void file_dropped(struct ui *u, const char *path)
{
    int rc;

    if (u->o->no_file_transfer) {
        floe_info("%s not sent: file transfer is off (--no-file-transfer)", path);
        return;
    }
    rc = floe_client_file_send(u->c, path);
    if (rc < 0) {
        snprintf(u->note, sizeof(u->note), " - %s not sent: %s", path, strerror(-rc));
        floe_err("%s not sent: %s", path, strerror(-rc));
    } else if (u->nxfers < (int)(sizeof(u->xfers) / sizeof(u->xfers[0]))) {
        u->xfers[u->nxfers++] = (uint32_t)rc;
    } else {
        memmove(u->xfers, u->xfers + 1, sizeof(u->xfers) - sizeof(u->xfers[0]));
        u->xfers[u->nxfers - 1] = (uint32_t)rc;
    }
    set_title(u);
}

/* The latest dropped file's progress, into the title. */
static void xfer_note(struct ui *u)
{
    static const char *const what[] = { "waiting for the guest", "sending", "sent", "failed" };
    struct floe_client_file_xfer st;
    char note[sizeof(u->note)];

    if (!u->nxfers || floe_client_file_status(u->c, u->xfers[u->nxfers - 1], &st) < 0)
        return;
    if (st.state == FLOE_CLIENT_XFER_SENDING && st.size)
        snprintf(note, sizeof(note), " - %.60s: %d%%", st.name, (int)(st.sent * 100 / st.size));
    else
        snprintf(note, sizeof(note), " - %.60s: %s%s%.60s", st.name, what[st.state],
                 st.state == FLOE_CLIENT_XFER_FAILED ? ": " : "",
                 st.state == FLOE_CLIENT_XFER_FAILED ? st.error : "");
    if (strcmp(note, u->note) != 0) {
        snprintf(u->note, sizeof(u->note), "%s", note);
        set_title(u);
    }
}

/* Asks the guest for the windows' sizes, placed left to right, unless they
 * are the pictures' already. */
static void ask_guest_size(struct ui *u)
{
    struct floe_client_monitor mons[FLOE_CLIENT_MAX_ASKED];
    int n = 0, x = 0, same = 1;

    for (int k = 0; k < MAX_WINDOWS && n < FLOE_CLIENT_MAX_ASKED; k++) {
        int w, h;

        if (!u->wins[k].win || !u->wins[k].tex)
            break;
        SDL_GetWindowSize(u->wins[k].win, &w, &h);
        if (w < 64 || h < 64)
            return;
        same &= w == u->wins[k].tex_w && h == u->wins[k].tex_h;
        mons[n++] = (struct floe_client_monitor){ x, 0, w & ~7, h };
        x += w & ~7;
    }
    if (n && !same)
        floe_client_ask_monitors(u->c, n, mons);
}

static void on_floe_event(struct ui *u, int ev)
{
    switch (ev) {
    case FLOE_CLIENT_EVENT_DISPLAY:
    case FLOE_CLIENT_EVENT_RESIZE:
    case FLOE_CLIENT_EVENT_MARK:
        update_canvas(u);
        break;
    case FLOE_CLIENT_EVENT_CURSOR:
        atomic_store(&cursor_pending, 0);
        update_cursor(u);
        break;
    case FLOE_CLIENT_EVENT_TITLE:
        set_title(u);
        break;
    case FLOE_CLIENT_EVENT_MOUSE_MODE:
        if (floe_client_mouse_mode(u->c) == 2)
            set_grab(u, 0);
        update_cursor(u);
        break;
    case FLOE_CLIENT_EVENT_CLIPBOARD:
        clipboard_from_guest(u);
        break;
    case FLOE_CLIENT_EVENT_AGENT:   /* what was copied before it came */
        free(u->offered);
        u->offered = NULL;
        clipboard_to_guest(u);
        break;
    case FLOE_CLIENT_EVENT_FILE_XFER:
        xfer_note(u);
        break;
    default:
        break;
    }
}

static void on_window(struct ui *u, const SDL_WindowEvent *e)
{
    struct win *w = win_by_id(u, e->windowID);

    /* closing any window ends the viewer, as closing the only one does */
    if (e->event == SDL_WINDOWEVENT_CLOSE)
        u->quit = 1;
    if (e->event == SDL_WINDOWEVENT_FOCUS_LOST) {
        release_keys(u);
        set_grab(u, 0);
    }
    if (w) {
        layout(w);
        w->dirty = 1;
    }
    /* a size the user gave: asked of the guest once it has stayed a moment */
    if (e->event == SDL_WINDOWEVENT_RESIZED && !u->o->no_guest_resize)
        u->resize_at = viewer_now_ms() + 300;
}

static void on_event(struct ui *u, const SDL_Event *e)
{
    if (e->type == floe_event_type) {
        on_floe_event(u, e->user.code);
        return;
    }
    switch (e->type) {
    case SDL_QUIT:
        u->quit = 1;
        break;
    case SDL_WINDOWEVENT:
        on_window(u, &e->window);
        break;
    case SDL_CLIPBOARDUPDATE:
        clipboard_to_guest(u);
        break;
    case SDL_DROPFILE:
        file_dropped(u, e->drop.file);
        SDL_free(e->drop.file);
        break;
    case SDL_KEYDOWN:
    case SDL_KEYUP:
        on_key(u, &e->key);
        break;
    case SDL_MOUSEMOTION:
    case SDL_MOUSEBUTTONDOWN:
    case SDL_MOUSEBUTTONUP:
    case SDL_MOUSEWHEEL:
        on_mouse(u, e);
        break;
    }
}

static int ui_open(struct ui *u)
{
    if (win_open(&u->wins[0]))
        return -1;
    update_canvas(u);
    update_cursor(u);
    return 0;
}

static void ui_close(struct ui *u)
{
    if (u->sdl_cursor)
        SDL_FreeCursor(u->sdl_cursor);
    for (int k = MAX_WINDOWS - 1; k >= 0; k--)
        win_close(&u->wins[k]);
}

int viewer_sdl_run(struct floe_client *c, const struct viewer_options *o,
                   struct viewer_typer *t, struct viewer_share *sh)
{
    struct ui *u = calloc(1, sizeof(*u));
    int64_t end = o->duration >= 0 ? viewer_now_ms() + (int64_t)(o->duration * 1000) : INT64_MAX;
    int status = 0;
    SDL_Event e;

    if (!u)
        return -1;
    u->c = c;
    u->o = o;
    u->sh = sh;
    if (ui_open(u)) {
        floe_err("cannot open a window: %s", SDL_GetError());
        ui_close(u);
        free(u);
        return -1;
    }
    while (!u->quit && viewer_now_ms() < end) {
        int64_t now = viewer_now_ms();
        int wait = viewer_typer_step(t, c, now), sw = viewer_share_step(sh, c, now);

        if (sw >= 0 && (wait < 0 || sw < wait))
            wait = sw;
        if (wait < 0 || wait > 100)
            wait = 100;
        if (u->resize_at && now >= u->resize_at) {
            u->resize_at = 0;
            ask_guest_size(u);
        }
        if (u->nxfers)
            xfer_note(u);
        if (now >= u->clip_look_at && floe_client_agent_ready(c)) {
            u->clip_look_at = now + 1000;
            clipboard_to_guest(u);
        }
        if (SDL_WaitEventTimeout(&e, wait)) {
            do
                on_event(u, &e);
            while (SDL_PollEvent(&e));
        }
        if (!floe_client_is_connected(c)) {
            status = -1;
            break;
        }
        for (int k = 0; k < MAX_WINDOWS; k++)
            if (u->wins[k].win && u->wins[k].dirty)
                render(u, &u->wins[k]);
    }
    release_keys(u);
    ui_close(u);
    free(u->from_guest);
    free(u->offered);
    free(u);
    return status;
}

/* LeakSanitizer reads this in sanitizer builds: SDL's D-Bus and X11 helpers
 * keep allocations past SDL_Quit that are not ours to free. (Mesa's DRI
 * driver leaks too, but it is unloaded before the check and cannot be named.) */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libdbus-1.so\nleak:libX11.so\nleak:libSDL2\n";
}
