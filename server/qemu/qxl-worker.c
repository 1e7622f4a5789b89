/* A QXL device's worker, run on floe's server thread: takes QEMU's requests
 * in order, reads the command and cursor rings while the VM runs, renders
 * each command into the surface's memory at once (so QEMU's own display
 * and its screendump read the right picture after update_area) and hands
 * floe's server the pixels that changed, copy-bits as copy-bits, in the
 * commands' order, with no hop between threads on the way: a guest's
 * drawing reaches the clients' sockets in the call that read it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <spice/protocol.h>

#include "common/log.h"
#include "server/qemu/feed.h"
#include "server/qemu/qxl-image.h"
#include "server/qemu/qxl-render.h"
#include "server/qemu/record.h"
#include "server/qemu/worker.h"

/* commands read in one go before requests are looked at again */
#define RING_BATCH 64
/* a call also ends once its commands took this long (microseconds), so
 * that a guest drawing without pause (and a slow build) still leaves the
 * thread's sockets their turn */
#define RING_BUDGET_US 4000
/* bad commands logged per device before the log falls silent */
#define MAX_LOGGED 20

static void bad_command(QXLState *w, const char *what, const char *why)
{
    if (w->logged < MAX_LOGGED)
        floe_warn("QXL device %d: %s dropped: %s%s", w->qxl->id, what, why,
                  ++w->logged == MAX_LOGGED ? " (further bad commands are not logged)" : "");
}

/* ---- surfaces ---- */

static pixman_format_code_t pixman_format(uint32_t fmt)
{
    switch (fmt) {
    case SPICE_SURFACE_FMT_32_xRGB: return PIXMAN_x8r8g8b8;
    case SPICE_SURFACE_FMT_32_ARGB: return PIXMAN_a8r8g8b8;
    case SPICE_SURFACE_FMT_16_555: return PIXMAN_x1r5g5b5;
    case SPICE_SURFACE_FMT_16_565: return PIXMAN_r5g6b5;
    case SPICE_SURFACE_FMT_8_A: return PIXMAN_a8;
    default: return 0;
    }
}

static pixman_image_t *surface_of(void *opaque, uint32_t id)
{
    QXLState *w = opaque;

    return id < FQXL_MAX_SURFACES ? w->surf[id].img : NULL;
}

static void release(QXLState *w, QXLPHYSICAL addr, uint32_t group)
{
    QXLReleaseInfoExt ext = { .info = fqxl_release_info(&w->slots, group, addr),
                              .group_id = group };

    if (ext.info)
        w->qif->release_resource(w->qxl, ext);
}

static void surface_drop(QXLState *w, uint32_t id)
{
    struct fqxl_surface *sf = &w->surf[id];

    if (!sf->img)
        return;
    /* the server reads the pixels until told */
    if (sf->given)
        fqxl_feed_offscreen_destroy(w->feed, id);
    sf->given = 0;
    pixman_image_unref(sf->img);
    sf->img = NULL;
    pixman_region32_fini(&sf->qemu_dirty);
    if (sf->have_create)
        w->qif->release_resource(w->qxl, sf->create);
    sf->have_create = 0;
    if (id == 0) {
        pixman_region32_clear(&w->pending);
        w->primary_w = w->primary_h = 0;
    }
}

/* Makes surface id over mem (row 0, the top row) and, unless the guest
 * asked to keep what is there, clears it. */
static int surface_make(QXLState *w, uint32_t id, uint32_t format, int width, int height,
                        int32_t stride, uint8_t *mem, int keep)
{
    pixman_format_code_t pf = pixman_format(format);
    struct fqxl_surface *sf = &w->surf[id];

    if (!pf)
        return -EINVAL;
    surface_drop(w, id);
    sf->img = pixman_image_create_bits(pf, width, height, (uint32_t *)mem, stride);
    if (!sf->img)
        return -ENOMEM;
    pixman_region32_init(&sf->qemu_dirty);
    if (!keep) {
        for (int y = 0; y < height; y++)
            memset(mem + (ptrdiff_t)y * stride, 0,
                   (size_t)width * (PIXMAN_FORMAT_BPP(pf) / 8));
    }
    /* an off-screen surface the clients keep a copy of, made like it (new
     * surfaces are black on both sides) */
    if (id != 0 && fqxl_feed_offscreen_create(w->feed, id, sf->img) == 0) {
        sf->given = 1;
        if (keep)
            fqxl_feed_offscreen_all(w->feed, id, width, height);
    }
    return 0;
}

/* ---- output to floe's server ---- */

/* Hands floe's server the primary's pixels drawn since the last time. */
static void flush_pending(QXLState *w)
{
    if (!w->surf[0].img || !pixman_region32_not_empty(&w->pending))
        return;
    fqxl_feed_region(w->feed, w->surf[0].img, &w->pending);
    pixman_region32_clear(&w->pending);
}

static void send_feed(QXLState *w)
{
    flush_pending(w);
    fqxl_feed_frame_end(w->feed);
}

/* ---- commands ---- */

static void damage(QXLState *w, uint32_t id, pixman_region32_t *changed)
{
    pixman_region32_union(&w->surf[id].qemu_dirty, &w->surf[id].qemu_dirty, changed);
    if (id == 0)
        pixman_region32_union(&w->pending, &w->pending, changed);
}

/* As the reference: a draw whose surface, or a surface it depends on, does
 * not exist, or whose bbox leaves its surface, is dropped whole. */
static int draw_fits(QXLState *w, const struct fqxl_draw *d, const char **why)
{
    pixman_image_t *img = w->surf[d->surface_id].img;

    if (!img) {
        *why = "its surface does not exist";
        return 0;
    }
    if (d->bbox.left < 0 || d->bbox.top < 0 || d->bbox.right > pixman_image_get_width(img) ||
        d->bbox.bottom > pixman_image_get_height(img)) {
        *why = "its bbox leaves its surface";
        return 0;
    }
    for (int i = 0; i < 3; i++) {
        int32_t id = d->surfaces_dest[i];
        if (id >= 0 && (id >= FQXL_MAX_SURFACES || !w->surf[id].img)) {
            *why = "a surface it depends on does not exist";
            return 0;
        }
    }
    return 1;
}

static int is_pixels(const struct fqxl_image *im)
{
    return im->kind == FQXL_IMAGE_PIXELS;
}

static int brush_ok(const struct fqxl_brush *b)
{
    return b->kind != FQXL_BRUSH_PATTERN || is_pixels(&b->pattern);
}

/* A source the clients have too: pixels, or an off-screen surface the
 * server has. */
static int src_ok(QXLState *w, const struct fqxl_image *im)
{
    return is_pixels(im) || (im->kind == FQXL_IMAGE_SURFACE && im->surface_id > 0 &&
                             im->surface_id < FQXL_MAX_SURFACES && w->surf[im->surface_id].given);
}

/* Whether d goes to floe's server as a draw operation (floe_server_draw),
 * which the server sends clients as a draw message, rather than as the
 * pixels it changed: one on the 32-bit primary that reads pixels or an
 * off-screen surface the server has, and is not a plain copy of a picture.
 * A plain copy of a picture stays a picture: the server sends only what
 * differs from the screen, finds scrolls in it (a Linux console draws each
 * scrolled line as one full-screen copy), caches it per client and streams
 * it when it is video. */
static int offloadable(QXLState *w, const struct fqxl_draw *d)
{
    pixman_format_code_t fmt;

    if (d->surface_id != 0)
        return 0;
    fmt = pixman_image_get_format(w->surf[0].img);
    if (fmt != PIXMAN_x8r8g8b8 && fmt != PIXMAN_a8r8g8b8)
        return 0;
    switch (d->type) {
    case QXL_DRAW_FILL:
    case QXL_DRAW_TEXT:
        return brush_ok(&d->brush) && brush_ok(&d->back_brush);
    case QXL_DRAW_BLACKNESS:
    case QXL_DRAW_WHITENESS:
    case QXL_DRAW_INVERS:
        return 1;
    case QXL_DRAW_STROKE:
        return brush_ok(&d->brush);
    case QXL_DRAW_COPY:
        if (d->rop_descriptor == SPICE_ROPD_OP_PUT && !d->has_mask && is_pixels(&d->src))
            return 0;
        return src_ok(w, &d->src);
    case QXL_DRAW_OPAQUE:
    case QXL_DRAW_BLEND:
    case QXL_DRAW_ROP3:
    case QXL_DRAW_TRANSPARENT:
    case QXL_DRAW_ALPHA_BLEND:
        return src_ok(w, &d->src) && brush_ok(&d->brush);
    case QXL_DRAW_COMPOSITE:
        return src_ok(w, &d->src) && (!(d->composite_flags & SPICE_COMPOSITE_HAS_MASK) ||
                                      is_pixels(&d->composite_mask));
    default:
        return 0;
    }
}

struct handed {
    QXLState *w;
    int rc;
};

static void hand(void *opaque, const struct floe_raster_op *op)
{
    struct handed *h = opaque;

    h->rc = fqxl_feed_draw(h->w->feed, op);
}

/* A draw on an off-screen surface the server has, once drawn. */
struct drawn_off {
    QXLState *w;
    uint32_t id;
    pixman_region32_t *changed;
};

static void hand_off(void *opaque, const struct floe_raster_op *op)
{
    struct drawn_off *o = opaque;

    fqxl_feed_offscreen_draw(o->w->feed, o->id, op, o->changed);
}

static void do_draw(QXLState *w, const QXLCommandExt *ext)
{
    struct fqxl_draw d;
    pixman_region32_t changed;
    const char *why = "";
    int compat = (ext->flags & QXL_COMMAND_FLAG_COMPAT) != 0;

    if (fqxl_draw_parse(&w->slots, ext->group_id, ext->cmd.data, compat, &d, &why) < 0) {
        bad_command(w, "a draw", why);
        return;
    }
    if (!draw_fits(w, &d, &why)) {
        bad_command(w, "a draw", why);
        fqxl_draw_free(&d);
        return;
    }
    /* a scroll of the whole of its area moves on as a scroll */
    if (d.type == QXL_COPY_BITS && d.surface_id == 0 && !d.clip_rects) {
        flush_pending(w);
        pixman_region32_init(&changed);
        if (fqxl_render(w->surf[0].img, &d, surface_of, w, &changed, &why) == 0) {
            struct floe_rect r = { d.bbox.left, d.bbox.top, d.bbox.right - d.bbox.left,
                                   d.bbox.bottom - d.bbox.top };
            pixman_region32_union(&w->surf[0].qemu_dirty, &w->surf[0].qemu_dirty, &changed);
            fqxl_feed_copy_bits(w->feed, d.src_x, d.src_y, &r);
        } else {
            bad_command(w, "a copy-bits", why);
        }
        pixman_region32_fini(&changed);
        fqxl_draw_free(&d);
        return;
    }
    /* a draw the clients can render themselves goes to them as a draw */
    if (offloadable(w, &d)) {
        struct handed h = { w, 0 };

        flush_pending(w);
        pixman_region32_init(&changed);
        if (fqxl_render_then(w->surf[0].img, &d, surface_of, w, &changed, &why, hand, &h) == 0) {
            pixman_region32_union(&w->surf[0].qemu_dirty, &w->surf[0].qemu_dirty, &changed);
            /* the server's surface is not the primary's: the pixels go instead */
            if (h.rc == -EINVAL)
                damage(w, 0, &changed);
        } else {
            bad_command(w, "a draw", why);
        }
        pixman_region32_fini(&changed);
        fqxl_draw_free(&d);
        return;
    }
    pixman_region32_init(&changed);
    if (d.surface_id != 0 && w->surf[d.surface_id].given) {
        struct drawn_off o = { w, d.surface_id, &changed };

        if (fqxl_render_after(w->surf[d.surface_id].img, &d, surface_of, w, &changed, &why,
                              hand_off, &o) == 0)
            damage(w, d.surface_id, &changed);
        else
            bad_command(w, "a draw", why);
    } else if (fqxl_render(w->surf[d.surface_id].img, &d, surface_of, w, &changed, &why) == 0) {
        damage(w, d.surface_id, &changed);
    } else {
        bad_command(w, "a draw", why);
    }
    pixman_region32_fini(&changed);
    fqxl_draw_free(&d);
}

static void do_surface_cmd(QXLState *w, const QXLCommandExt *ext)
{
    struct fqxl_surface_cmd c;
    const char *why = "";

    if (fqxl_surface_cmd_parse(&w->slots, ext->group_id, ext->cmd.data, &c, &why) < 0) {
        bad_command(w, "a surface command", why);
        release(w, ext->cmd.data, ext->group_id);
        return;
    }
    if (c.surface_id == 0) {
        bad_command(w, "a surface command", "surface 0 is the primary surface");
        release(w, ext->cmd.data, ext->group_id);
        return;
    }
    if (c.type == QXL_SURFACE_CMD_DESTROY) {
        surface_drop(w, c.surface_id);
        release(w, ext->cmd.data, ext->group_id);
        return;
    }
    if (surface_make(w, c.surface_id, c.format, c.width, c.height, c.stride, c.mem,
                     c.flags & QXL_SURF_FLAG_KEEP_DATA) < 0) {
        bad_command(w, "a surface", "its format is not one floe renders");
        release(w, ext->cmd.data, ext->group_id);
        return;
    }
    /* the surface's memory is the guest's until it is destroyed */
    w->surf[c.surface_id].create.info = fqxl_release_info(&w->slots, ext->group_id, ext->cmd.data);
    w->surf[c.surface_id].create.group_id = ext->group_id;
    w->surf[c.surface_id].have_create = w->surf[c.surface_id].create.info != NULL;
}

static void do_update_cmd(QXLState *w, const QXLCommandExt *ext)
{
    struct fqxl_update_cmd u;
    const char *why = "";

    if (fqxl_update_cmd_parse(&w->slots, ext->group_id, ext->cmd.data, &u, &why) < 0) {
        bad_command(w, "an update command", why);
        return;
    }
    /* everything is rendered already: the guest may look now */
    w->qif->notify_update(w->qxl, u.update_id);
}

static void do_cursor(QXLState *w, const QXLCommandExt *ext)
{
    struct fqxl_cursor_cmd c;
    const char *why = "";

    if (fqxl_cursor_cmd_parse(&w->slots, ext->group_id, ext->cmd.data, &c, &why) < 0) {
        bad_command(w, "a cursor command", why);
        return;
    }
    if (w->monitor == 0)
        fqxl_feed_cursor(w->feed, &c);
    fqxl_cursor_cmd_free(&c);
}

static void do_command(QXLState *w, const QXLCommandExt *ext)
{
    fqxl_record_cmd(w->rec, ext);
    switch (ext->cmd.type) {
    case QXL_CMD_DRAW:
        do_draw(w, ext);
        break;
    case QXL_CMD_SURFACE:
        do_surface_cmd(w, ext);
        return;   /* released there: a CREATE is kept */
    case QXL_CMD_UPDATE:
        do_update_cmd(w, ext);
        break;
    case QXL_CMD_CURSOR:
        do_cursor(w, ext);
        break;
    case QXL_CMD_NOP:
        break;
    default:
        bad_command(w, "a command", "its type is unknown");
        break;
    }
    /* everything needed was copied: the guest gets its memory back */
    release(w, ext->cmd.data, ext->group_id);
}

static uint64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Reads up to RING_BATCH commands from both rings, for at most
 * RING_BUDGET_US; 1 if more may wait. */
static int read_rings(QXLState *w)
{
    QXLCommandExt ext;
    int n = 0, cursor_done = 0, display_done = 0;
    uint64_t end = now_us() + RING_BUDGET_US;

    while (n < RING_BATCH && !(cursor_done && display_done) && (n == 0 || now_us() < end)) {
        if (!cursor_done) {
            if (w->qif->get_cursor_command(w->qxl, &ext)) {
                do_command(w, &ext);
                n++;
            } else if (w->qif->req_cursor_notification(w->qxl)) {
                cursor_done = 1;
            }
        }
        if (!display_done) {
            if (w->qif->get_command(w->qxl, &ext)) {
                do_command(w, &ext);
                n++;
            } else if (w->qif->req_cmd_notification(w->qxl)) {
                display_done = 1;
            }
        }
    }
    send_feed(w);
    return !(cursor_done && display_done);
}

/* ---- requests ---- */

static void fill_dirty(QXLState *w, struct fqxl_req *r, QXLRect *out, uint32_t max, uint32_t *n,
                       int clear)
{
    struct fqxl_surface *sf = &w->surf[r->surface_id];
    pixman_region32_t want;
    pixman_box32_t *b;
    int nb;

    *n = 0;
    if (!sf->img || (max == 0 && !clear))
        return;
    pixman_region32_init_rect(&want, r->area.left, r->area.top,
                              (unsigned)(r->area.right - r->area.left),
                              (unsigned)(r->area.bottom - r->area.top));
    pixman_region32_intersect(&want, &want, &sf->qemu_dirty);
    b = pixman_region32_rectangles(&want, &nb);
    if (max == 0) {
        /* nothing to report */
    } else if ((uint32_t)nb > max) {
        /* more than the caller has room for: their bounds, once */
        pixman_box32_t *e = pixman_region32_extents(&want);
        out[0] = (QXLRect){ .top = e->y1, .left = e->x1, .bottom = e->y2, .right = e->x2 };
        *n = 1;
    } else {
        for (int i = 0; i < nb; i++)
            out[i] = (QXLRect){ .top = b[i].y1, .left = b[i].x1, .bottom = b[i].y2,
                                .right = b[i].x2 };
        *n = (uint32_t)nb;
    }
    if (clear)
        pixman_region32_subtract(&sf->qemu_dirty, &sf->qemu_dirty, &want);
    pixman_region32_fini(&want);
}

static void do_update_area(QXLState *w, struct fqxl_req *r)
{
    QXLRect rects[32];
    uint32_t n = 0;

    if (r->surface_id >= FQXL_MAX_SURFACES || r->area.left > r->area.right ||
        r->area.top > r->area.bottom) {
        bad_command(w, "an update_area", "its surface or area is out of range");
        if (r->async)
            w->qif->update_area_complete(w->qxl, r->surface_id, rects, 0);
        return;
    }
    if (!r->async) {
        /* the guest's own update: report, clear only if asked; what QEMU's
         * display has not seen stays for its own update_area */
        if (r->dirty && r->num_dirty) {
            memset(r->dirty, 0, r->num_dirty * sizeof(*r->dirty));
            fill_dirty(w, r, r->dirty, r->num_dirty, &n, 0);
        }
        return;
    }
    /* QEMU's display asks (its screen refresh and screendump): what changed
     * since it last asked, then it is taken as seen */
    fill_dirty(w, r, rects, 32, &n, 1);
    w->qif->update_area_complete(w->qxl, r->surface_id, rects, n);
}

static void do_create_primary(QXLState *w, struct fqxl_req *r)
{
    const QXLDevSurfaceCreate *c = &r->create;
    uint64_t rowbytes = (uint64_t)(c->stride < 0 ? -(int64_t)c->stride : c->stride);
    uint64_t size = rowbytes * c->height;
    const char *why = "";
    uint8_t *mem;
    int bpp;

    if (r->surface_id != 0) {
        bad_command(w, "a primary surface", "its id is not 0");
        return;
    }
    bpp = PIXMAN_FORMAT_BPP(pixman_format(c->format)) / 8;
    if (!pixman_format(c->format) || c->width == 0 || c->height == 0 ||
        c->width > FQXL_MAX_DIM || c->height > FQXL_MAX_DIM || rowbytes < (uint64_t)c->width * bpp) {
        floe_warn("QXL device %d: primary surface %ux%u stride %d format %u refused",
                  w->qxl->id, c->width, c->height, c->stride, c->format);
        return;
    }
    mem = (uint8_t *)fqxl_memslot_get(&w->slots, c->group_id, c->mem, size, &why);
    if (!mem) {
        floe_warn("QXL device %d: primary surface refused: %s", w->qxl->id, why);
        return;
    }
    if (c->stride < 0)
        mem += (size_t)rowbytes * (c->height - 1);
    if (surface_make(w, 0, c->format, (int)c->width, (int)c->height, c->stride, mem,
                     c->flags & QXL_SURF_FLAG_KEEP_DATA) < 0) {
        floe_warn("QXL device %d: no memory for the primary surface", w->qxl->id);
        return;
    }
    w->primary_w = (int)c->width;
    w->primary_h = (int)c->height;
    if (w->monitor == 0) {
        __atomic_store_n(&w->server->display_w, w->primary_w, __ATOMIC_SEQ_CST);
        __atomic_store_n(&w->server->display_h, w->primary_h, __ATOMIC_SEQ_CST);
    }
    fqxl_feed_surface(w->feed, w->primary_w, w->primary_h);
    if (c->flags & QXL_SURF_FLAG_KEEP_DATA) {
        pixman_region32_t all;
        pixman_region32_init_rect(&all, 0, 0, c->width, c->height);
        damage(w, 0, &all);
        pixman_region32_fini(&all);
    }
    send_feed(w);
}

static void destroy_all(QXLState *w)
{
    send_feed(w);
    for (uint32_t id = 0; id < FQXL_MAX_SURFACES; id++)
        surface_drop(w, id);
}

/* The guest's outputs on this device (its monitors config): the heads of
 * the primary surface that clients show, read through the checkpoint and
 * copied. Heads of other surfaces and switched-off heads are left out. */
static void do_monitors_config(QXLState *w, struct fqxl_req *r)
{
    struct floe_rect heads[FLOE_SERVER_MAX_HEADS];
    const QXLMonitorsConfig *mc;
    const QXLHead *h;
    const char *why = "";
    int n = 0;

    mc = (const void *)fqxl_memslot_get(&w->slots, r->group, r->monitors_config,
                                        sizeof(*mc), &why);
    if (!mc) {
        bad_command(w, "a monitors config", why);
        return;
    }
    uint16_t count = mc->count;
    if (count > FQXL_MAX_HEADS) {
        bad_command(w, "a monitors config", fqxl_whyf("%u heads", count));
        return;
    }
    h = (const void *)fqxl_memslot_get(&w->slots, r->group, r->monitors_config + sizeof(*mc),
                                       (uint64_t)count * sizeof(*h), &why);
    if (!h && count) {
        bad_command(w, "a monitors config", why);
        return;
    }
    for (uint16_t i = 0; i < count && n < FLOE_SERVER_MAX_HEADS; i++) {
        QXLHead hd = h[i];   /* once: the guest may change it meanwhile */
        if (hd.surface_id != 0 || hd.width == 0 || hd.height == 0)
            continue;
        if (hd.width > FQXL_MAX_DIM || hd.height > FQXL_MAX_DIM || hd.x > FQXL_MAX_DIM ||
            hd.y > FQXL_MAX_DIM) {
            bad_command(w, "a monitors config", "a head beyond floe's limits");
            return;
        }
        heads[n++] = (struct floe_rect){ (int)hd.x, (int)hd.y, (int)hd.width, (int)hd.height };
    }
    fqxl_feed_heads(w->feed, n, heads);
    send_feed(w);
}

/* Tells the guest whether a client is there and what it can be sent: the
 * commands floe's server can serve to every client. floe renders on the
 * server and serves each head as a monitor of its own, so that is the
 * monitors config; COMPOSITE and A8 surfaces are not rendered yet, and no
 * command goes to a client as it is (SIZED_STREAM). */
static void tell_client_caps(QXLState *w)
{
    uint8_t caps[SPICE_CAPABILITIES_SIZE] = { 0 };

    if (!w->running || w->qif->base.minor_version < 2 || !w->qif->set_client_capabilities)
        return;
    if (w->clients)
        caps[SPICE_DISPLAY_CAP_MONITORS_CONFIG / 8] |= 1u << (SPICE_DISPLAY_CAP_MONITORS_CONFIG % 8);
    w->qif->set_client_capabilities(w->qxl, (uint8_t)(w->clients != 0), caps);
}

static void handle(QXLState *w, struct fqxl_req *r)
{
    const char *why = "";

    fqxl_record_req(w->rec, r);
    switch (r->kind) {
    case FQXL_REQ_UPDATE_AREA:
        do_update_area(w, r);
        break;
    case FQXL_REQ_ADD_MEMSLOT:
        if (fqxl_memslot_add(&w->slots, &r->slot, &why) < 0)
            floe_warn("QXL device %d: memslot refused: %s", w->qxl->id, why);
        break;
    case FQXL_REQ_DEL_MEMSLOT:
        fqxl_memslot_del(&w->slots, r->group, r->slot_id);
        break;
    case FQXL_REQ_RESET_MEMSLOTS:
        fqxl_memslots_reset(&w->slots);
        break;
    case FQXL_REQ_DESTROY_SURFACES:
    case FQXL_REQ_DRIVER_UNLOAD:
        destroy_all(w);
        break;
    case FQXL_REQ_DESTROY_PRIMARY:
        send_feed(w);
        surface_drop(w, 0);
        break;
    case FQXL_REQ_CREATE_PRIMARY:
        do_create_primary(w, r);
        break;
    case FQXL_REQ_DESTROY_SURFACE:
        if (r->surface_id < FQXL_MAX_SURFACES)
            surface_drop(w, r->surface_id);
        break;
    case FQXL_REQ_LOADVM:
        for (uint32_t i = 0; i < r->ncmds; i++)
            do_command(w, &r->cmds[i]);
        send_feed(w);
        break;
    case FQXL_REQ_FLUSH_SURFACES:
    case FQXL_REQ_RESET_IMAGE_CACHE:
        send_feed(w);
        break;
    case FQXL_REQ_RESET_CURSOR:
        if (w->monitor == 0)
            fqxl_feed_cursor_hide(w->feed);
        send_feed(w);
        break;
    case FQXL_REQ_MONITORS_CONFIG:
        do_monitors_config(w, r);
        break;
    case FQXL_REQ_OOM:
        /* every command read is released at once: read what waits, then
         * let the device hand the guest its releases */
        if (w->running)
            while (read_rings(w))
                ;
        w->qif->flush_resources(w->qxl);
        break;
    case FQXL_REQ_RUN:
        if (!r->running)
            send_feed(w);
        w->running = r->running;
        tell_client_caps(w);
        if (r->running) {
            /* the rings may have filled while the VM was stopped */
            pthread_mutex_lock(&w->lock);
            w->woken = 1;
            pthread_mutex_unlock(&w->lock);
        }
        break;
    case FQXL_REQ_CLIENTS:
        if (w->clients != r->clients) {
            w->clients = r->clients;
            tell_client_caps(w);
        }
        break;
    case FQXL_REQ_QUIT:
        /* the server reads no surface of the guest's once the worker goes */
        for (uint32_t id = 1; id < FQXL_MAX_SURFACES; id++)
            if (w->surf[id].given) {
                fqxl_feed_offscreen_destroy(w->feed, id);
                w->surf[id].given = 0;
            }
        break;
    }
    /* (an update_area's update_area_complete went first, then its cookie) */
    if (r->async && r->kind != FQXL_REQ_CLIENTS)
        w->qif->async_complete(w->qxl, r->cookie);
}

/* Ends request r: an asynchronous one is freed, the caller of a
 * synchronous one goes on (and may free w at once after QUIT). */
static void finish(QXLState *w, struct fqxl_req *r)
{
    if (r->async) {
        free(r);
        return;
    }
    pthread_mutex_lock(&w->lock);
    r->done = 1;
    pthread_cond_broadcast(&w->done);
    pthread_mutex_unlock(&w->lock);
}

static void service(struct floe_server *srv, void *opaque);

/* Under w->lock: 0 when the worker's call must be queued now (then the
 * caller does), -1 when it is queued or running already, or there is no
 * floe thread yet. */
static int needs_call(QXLState *w)
{
    if (!w->out || w->scheduled)
        return -1;
    w->scheduled = 1;
    return 0;
}

/* Queues the worker's call (scheduled is set). Should floe's thread take
 * no call (out of memory), the worker runs here and now instead, its
 * output to clients dropped unless this is floe's thread (srv): QEMU's
 * requests still end. */
static void queue_call(QXLState *w, struct floe_server *srv)
{
    if (floe_server_thread_call(w->out, service, w) == 0)
        return;
    floe_err("QXL device %d: its worker runs on QEMU's thread: out of memory", w->qxl->id);
    service(srv, w);
}

/* On floe's thread: the requests in order, and one batch of the rings;
 * when more may wait (the rings held more, or the guest notified again
 * meanwhile) the call queues itself again behind what else the thread has
 * to do, so that a guest that never stops drawing never starves the
 * clients' sockets. */
static void service(struct floe_server *srv, void *opaque)
{
    QXLState *w = opaque;
    struct fqxl_req *r;
    int read = 0, again = 0;

    fqxl_feed_bind(w->feed, srv);
    for (;;) {
        pthread_mutex_lock(&w->lock);
        r = w->head;
        if (r) {
            w->head = r->next;
            if (!w->head)
                w->tail = &w->head;
        } else if (w->running && (w->woken || w->more) && !read) {
            w->woken = 0;
        } else {
            /* nothing waits, or the next batch goes behind the rest */
            again = w->running && (w->woken || w->more);
            w->scheduled = again;
            pthread_mutex_unlock(&w->lock);
            break;
        }
        pthread_mutex_unlock(&w->lock);
        if (r) {
            int quit = r->kind == FQXL_REQ_QUIT;

            handle(w, r);
            if (quit) {
                /* no call of the worker's is queued now, nor will be:
                 * its owner frees it once told */
                fqxl_feed_bind(w->feed, NULL);
                finish(w, r);
                return;
            }
            finish(w, r);
            continue;
        }
        w->more = read_rings(w);
        read = 1;
    }
    fqxl_feed_bind(w->feed, NULL);
    if (again)
        queue_call(w, srv);
}

/* ---- what the other files call ---- */

void fqxl_worker_request(QXLState *w, struct fqxl_req *r)
{
    int call;

    r->next = NULL;
    r->done = 0;
    pthread_mutex_lock(&w->lock);
    if (!w->out) {
        /* before floe's thread: QEMU's calls come one at a time (under
         * its big lock), nothing else runs the worker */
        pthread_mutex_unlock(&w->lock);
        handle(w, r);
        if (r->async)
            free(r);
        return;
    }
    *w->tail = r;
    w->tail = &r->next;
    call = needs_call(w) == 0;
    pthread_mutex_unlock(&w->lock);
    if (call)
        queue_call(w, NULL);
    if (!r->async) {
        pthread_mutex_lock(&w->lock);
        while (!r->done)
            pthread_cond_wait(&w->done, &w->lock);
        pthread_mutex_unlock(&w->lock);
    }
}

void fqxl_worker_wake(QXLState *w)
{
    int call;

    pthread_mutex_lock(&w->lock);
    w->woken = 1;
    call = needs_call(w) == 0;
    pthread_mutex_unlock(&w->lock);
    if (call)
        queue_call(w, NULL);
}

SpiceServer *fqxl_worker_server(QXLState *w)
{
    return w->server;
}

void fqxl_worker_set_running(QXLState *w, int running)
{
    struct fqxl_req r = { .kind = FQXL_REQ_RUN, .running = running };

    fqxl_worker_request(w, &r);
}

void fqxl_worker_clients(QXLState *w, int clients)
{
    struct fqxl_req *r = calloc(1, sizeof(*r));

    if (!r) {
        floe_err("QXL device %d: out of memory: the guest is not told of clients", w->qxl->id);
        return;
    }
    r->kind = FQXL_REQ_CLIENTS;
    r->async = 1;
    r->clients = clients != 0;
    fqxl_worker_request(w, r);
}

void fqxl_workers_clients(SpiceServer *s, int clients)
{
    for (int k = 0; k < FLOE_SERVER_MAX_MONITORS; k++)
        if (s->qxl[k])
            fqxl_worker_clients(s->qxl[k]->st, clients);
}

/* From now on the worker runs on floe's thread t; what woke it meanwhile
 * is read there. */
void fqxl_worker_attach(QXLState *w, struct floe_server_thread *t)
{
    int call;

    pthread_mutex_lock(&w->lock);
    w->out = t;
    call = w->woken && needs_call(w) == 0;
    pthread_mutex_unlock(&w->lock);
    if (call)
        queue_call(w, NULL);
}

QXLState *fqxl_worker_new(SpiceServer *s, QXLInstance *qxl, int monitor)
{
    QXLState *w = calloc(1, sizeof(*w));

    if (!w)
        return NULL;
    w->server = s;
    w->qxl = qxl;
    w->qif = (const QXLInterface *)qxl->base.sif;
    w->monitor = monitor;
    w->tail = &w->head;
    w->qif->get_init_info(qxl, &w->init);
    if (fqxl_memslots_init(&w->slots, &w->init) < 0) {
        floe_err("QXL device %d: its memslots (%u groups of %u, %u id bits, %u generation "
                 "bits) are beyond floe's limits", qxl->id, w->init.num_memslots_groups,
                 w->init.num_memslots, w->init.memslot_id_bits, w->init.memslot_gen_bits);
        free(w);
        return NULL;
    }
    w->feed = fqxl_feed_new(monitor);
    if (!w->feed) {
        free(w);
        return NULL;
    }
    w->rec = fqxl_recorder_new(&w->slots, &w->init, qxl->id);
    pixman_region32_init(&w->pending);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->done, NULL);
    qxl->st = w;
    w->qif->attached_worker(qxl);
    w->qif->set_compression_level(qxl, 0);
    return w;
}

void fqxl_worker_free(QXLState *w)
{
    struct fqxl_req r = { .kind = FQXL_REQ_QUIT };

    if (!w)
        return;
    fqxl_worker_request(w, &r);
    fqxl_recorder_free(w->rec);
    pixman_region32_fini(&w->pending);
    fqxl_feed_free(w->feed);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->done);
    free(w);
}
