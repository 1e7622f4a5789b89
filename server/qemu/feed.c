/* Batches of producer calls from a QXL worker to floe's server (feed.h). */
#include "server/qemu/feed.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

/* past this many rectangles, a region goes as its bounds */
#define MAX_RECTS 64

enum op_kind { OP_SURFACE, OP_IMAGE, OP_COPY_BITS, OP_CURSOR_SET, OP_CURSOR_MOVE,
               OP_CURSOR_HIDE, OP_HEADS, OP_FRAME_END };

struct op {
    enum op_kind kind;
    struct floe_rect r;     /* SURFACE: w, h; IMAGE, COPY_BITS: the destination */
    int x, y;               /* COPY_BITS: source; CURSOR: position or hot spot;
                             * HEADS: x is their count */
    uint32_t *px;           /* IMAGE, CURSOR_SET: owned */
    struct floe_rect *heads; /* HEADS: owned */
};

struct batch {
    int monitor;
    size_t n, cap;
    struct op *ops;
};

struct fqxl_feed {
    int monitor;
    struct batch *b;
};

static struct batch *batch_new(int monitor)
{
    struct batch *b = calloc(1, sizeof(*b));

    if (b)
        b->monitor = monitor;
    return b;
}

static void batch_free(struct batch *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++) {
        free(b->ops[i].px);
        free(b->ops[i].heads);
    }
    free(b->ops);
    free(b);
}

static struct op *add(struct fqxl_feed *f, enum op_kind kind)
{
    struct batch *b = f->b;

    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 32;
        struct op *ops = realloc(b->ops, cap * sizeof(*ops));
        if (!ops) {
            floe_err("out of memory: a display update is lost");
            return NULL;
        }
        b->ops = ops;
        b->cap = cap;
    }
    memset(&b->ops[b->n], 0, sizeof(b->ops[b->n]));
    b->ops[b->n].kind = kind;
    return &b->ops[b->n++];
}

struct fqxl_feed *fqxl_feed_new(int monitor)
{
    struct fqxl_feed *f = calloc(1, sizeof(*f));

    if (!f)
        return NULL;
    f->monitor = monitor;
    f->b = batch_new(monitor);
    if (!f->b) {
        free(f);
        return NULL;
    }
    return f;
}

void fqxl_feed_free(struct fqxl_feed *f)
{
    if (!f)
        return;
    batch_free(f->b);
    free(f);
}

int fqxl_feed_empty(const struct fqxl_feed *f)
{
    return f->b->n == 0;
}

void fqxl_feed_clear(struct fqxl_feed *f)
{
    for (size_t i = 0; i < f->b->n; i++) {
        free(f->b->ops[i].px);
        free(f->b->ops[i].heads);
    }
    f->b->n = 0;
}

void fqxl_feed_surface(struct fqxl_feed *f, int width, int height)
{
    struct op *o = add(f, OP_SURFACE);

    if (o)
        o->r = (struct floe_rect){ 0, 0, width, height };
}

static void add_rect(struct fqxl_feed *f, pixman_image_t *img, const pixman_box32_t *b)
{
    int w = b->x2 - b->x1, h = b->y2 - b->y1;
    pixman_image_t *dst;
    struct op *o;
    uint32_t *px;

    if (w <= 0 || h <= 0)
        return;
    px = malloc((size_t)w * h * 4);
    if (!px) {
        floe_err("out of memory: %dx%d pixels of an update are lost", w, h);
        return;
    }
    dst = pixman_image_create_bits(PIXMAN_x8r8g8b8, w, h, px, w * 4);
    if (!dst) {
        free(px);
        return;
    }
    pixman_image_composite32(PIXMAN_OP_SRC, img, NULL, dst, b->x1, b->y1, 0, 0, 0, 0, w, h);
    pixman_image_unref(dst);
    o = add(f, OP_IMAGE);
    if (!o) {
        free(px);
        return;
    }
    o->r = (struct floe_rect){ b->x1, b->y1, w, h };
    o->px = px;
}

void fqxl_feed_region(struct fqxl_feed *f, pixman_image_t *img, pixman_region32_t *region)
{
    int n;
    pixman_box32_t *b = pixman_region32_rectangles(region, &n);

    if (n > MAX_RECTS) {
        add_rect(f, img, pixman_region32_extents(region));
        return;
    }
    for (int i = 0; i < n; i++)
        add_rect(f, img, &b[i]);
}

void fqxl_feed_copy_bits(struct fqxl_feed *f, int src_x, int src_y, const struct floe_rect *dst)
{
    struct op *o = add(f, OP_COPY_BITS);

    if (o) {
        o->r = *dst;
        o->x = src_x;
        o->y = src_y;
    }
}

void fqxl_feed_cursor(struct fqxl_feed *f, const struct fqxl_cursor_cmd *c)
{
    struct op *o;

    switch (c->type) {
    case QXL_CURSOR_SET:
        if (c->argb && c->w > 0 && c->h > 0) {
            uint32_t *px = malloc((size_t)c->w * c->h * 4);
            if (!px)
                return;
            memcpy(px, c->argb, (size_t)c->w * c->h * 4);
            o = add(f, OP_CURSOR_SET);
            if (!o) {
                free(px);
                return;
            }
            o->px = px;
            o->r = (struct floe_rect){ 0, 0, c->w, c->h };
            o->x = c->hot_x;
            o->y = c->hot_y;
        }
        if (!c->visible) {
            add(f, OP_CURSOR_HIDE);
            return;
        }
        /* shown where the command says */
        __attribute__((fallthrough));
    case QXL_CURSOR_MOVE:
        o = add(f, OP_CURSOR_MOVE);
        if (o) {
            o->x = c->x;
            o->y = c->y;
        }
        return;
    case QXL_CURSOR_HIDE:
        add(f, OP_CURSOR_HIDE);
        return;
    default:
        return;   /* trails are not drawn by SPICE clients either */
    }
}

void fqxl_feed_cursor_hide(struct fqxl_feed *f)
{
    add(f, OP_CURSOR_HIDE);
}

void fqxl_feed_heads(struct fqxl_feed *f, int count, const struct floe_rect *heads)
{
    struct floe_rect *copy = malloc((size_t)(count > 0 ? count : 1) * sizeof(*copy));
    struct op *o;

    if (!copy)
        return;
    memcpy(copy, heads, (size_t)count * sizeof(*copy));
    o = add(f, OP_HEADS);
    if (!o) {
        free(copy);
        return;
    }
    o->x = count;
    o->heads = copy;
}

void fqxl_feed_frame_end(struct fqxl_feed *f)
{
    add(f, OP_FRAME_END);
}

/* On the server's thread: the batch's calls in order. */
static void run_batch(struct floe_server *s, void *opaque)
{
    struct batch *b = opaque;
    uint32_t m = (uint32_t)b->monitor;

    for (size_t i = 0; i < b->n; i++) {
        struct op *o = &b->ops[i];
        switch (o->kind) {
        case OP_SURFACE:
            floe_server_surface_create(s, m, o->r.w, o->r.h);
            break;
        case OP_IMAGE:
            floe_server_draw_image(s, m, &o->r, o->px, o->r.w * 4);
            break;
        case OP_COPY_BITS:
            floe_server_copy_bits(s, m, o->x, o->y, &o->r);
            break;
        case OP_CURSOR_SET:
            floe_server_cursor_set(s, o->px, o->r.w, o->r.h, o->x, o->y);
            break;
        case OP_CURSOR_MOVE:
            floe_server_cursor_move(s, o->x, o->y);
            break;
        case OP_CURSOR_HIDE:
            floe_server_cursor_hide(s);
            break;
        case OP_HEADS:
            if (floe_server_set_heads(s, m, o->x, o->heads) < 0)
                floe_warn("monitor %u: the guest's %d heads are not served", m, o->x);
            break;
        case OP_FRAME_END:
            floe_server_frame_end(s);
            break;
        }
    }
    batch_free(b);
}

int fqxl_feed_send(struct fqxl_feed *f, struct floe_server_thread *t)
{
    struct batch *next = batch_new(f->monitor);
    int err;

    if (!next)
        return -ENOMEM;
    err = floe_server_thread_call(t, run_batch, f->b);
    if (err < 0) {
        batch_free(next);
        return err;
    }
    f->b = next;
    return 0;
}
