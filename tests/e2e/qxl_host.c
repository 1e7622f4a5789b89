/* QEMU's side of the QXL interface, for any libspice-server.so.1: loads the
 * library named on its command line, plays a QXL device drawing a fixed
 * scenario, and writes the picture the scenario must give, so floe's
 * library and the reference can be fed the same commands and compared.
 *
 *   qxl_host LIBRARY PORT SCENARIO [options]
 *
 * SCENARIO: scroll (a console: text lines and copy-bits up by 16 rows),
 * mixed (fills, copies of 1-, 4-, 8-, 16-, 24-, 32-bit and RGBA bitmaps,
 * direct and chunked, top-down and bottom-up, clip rectangles, BLACKNESS,
 * WHITENESS, INVERS, copy-bits, an off-screen surface copied from, the
 * cursor), bad (mixed's start, then crafted bad commands among good
 * ones), ops (a busy background, then one draw operation kind per 128x96
 * tile: every QXL drawable type with its rop descriptors, brushes, masks,
 * scaling, glyphs, paths and operators; tests/e2e/qxl_host/ops.c), video
 * (a still desktop, then a 320x240 area redrawn 25 times a second for 3 s
 * as a video player's frames come, then left still: the server is asked
 * for video streams; tests/e2e/qxl_host/video.c), film (the same with
 * the frames of a film file, centred, at its own size and pace; for the
 * MJPEG bench, bench/mjpeg.sh). Options:
 *   --wait-client       feed the scenario once a display channel is up
 *                       (else at once, before any client)
 *   --negative-stride   the primary surface bottom-up
 *   --bad LIST          the bad commands sent (comma list of slot, gen,
 *                       range, stride, loop, clip, surface, bbox; default
 *                       all)
 *   --ops LIST          ops only: the ops drawn (comma list; default all)
 *   --expect FILE.ppm   write the picture the scenario must give (not for
 *                       ops, whose reference is Debian's library itself)
 *   --surface FILE.ppm  write the primary surface's memory after the last
 *                       update_area
 *   --film FILE         film only: the film (bench/film.c writes them)
 *   --agent TEXT        register a vdagent char device with a small guest
 *                       agent behind it that prints the clipboard text a
 *                       client gives it and grabs and serves TEXT
 *                       (tests/e2e/qxl_host/agent.c)
 *   --no-client-monitors  the device's guest takes no monitor configs
 *                       (client_monitors_config answers 0)
 *
 *   qxl_host --list-ops
 * prints the ops scenario's tile table, a line "NAME X Y W H" per op.
 *
 * It links nothing of floe's: every spice_* function comes from the
 * library through dlsym. Lines on standard output: "listening PORT", the
 * channel events, "fed N commands", "update_area_complete ...",
 * "async_complete cookie=N", "released N of M", then "ready"; it then runs
 * until SIGTERM or SIGINT. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <spice.h>

#include "tests/e2e/qxl_host/agent.h"
#include "tests/e2e/qxl_host/guest.h"
#include "tests/host/spice-api.h"
#include "tests/host/spice-core.h"

/* ---- the library's functions, with spice.h's prototypes ---- */

static struct host_spice_api api;

/* ---- guest memory and addresses, as QEMU's qxl device makes them ---- */

#define GUEST_BASE_SIZE (64u << 20)   /* enough for every scenario but film */
#define GUEST_PHYS 0x10000000ull   /* the guest's address of the memory's first byte */
#define MEM_GROUP 1                /* the guest's group, as in QEMU */
#define MEM_SLOT 1
#define MEM_GEN 3
#define ID_BITS 8
#define GEN_BITS 8
#define NUM_SLOTS 8
#define SCREEN_W 1024
#define SCREEN_H H.screen_h        /* 768, more for the ops scenario's rows of tiles */
#define MAX_SURFACES 4             /* surfaces the scenarios draw on, the primary included */
#define UPDATE_COOKIE 0x5eed

static uint64_t qxl_addr_of(unsigned slot, unsigned gen, uint64_t offset)
{
    return (uint64_t)slot << (64 - ID_BITS) | (uint64_t)gen << (64 - ID_BITS - GEN_BITS) |
           (GUEST_PHYS + offset);
}

/* A command of the scenario on one of the two rings. */
struct ring {
    QXLCommandExt *cmd;
    size_t n, cap;       /* built */
    size_t avail, taken; /* handed to the ring, taken by the server */
    int want_wakeup;     /* the server asked to be told of new commands */
};

/* The picture a surface must hold: xRGB words, top-down. */
struct canvas {
    int w, h;
    uint32_t *px;
};

struct host {
    uint8_t *mem;                   /* guest memory */
    size_t mem_size;
    size_t used;                    /* bump allocator over it */
    size_t primary_off;
    int32_t primary_stride;
    int screen_h;
    struct canvas model[MAX_SURFACES];
    uint32_t surface_off[MAX_SURFACES];
    struct ring disp, curs;
    char *seq;                      /* per command in order: 'd' or 'c' */
    int64_t *seq_at;                /* per command: not handed over before this (ms of feeding) */
    size_t nseq, seqcap, fed;
    int64_t clock_ms;               /* the scenario's clock (guest_wait) */
    int stream_video;               /* SPICE_STREAM_VIDEO_*: OFF but for video */
    unsigned bad_mask;
    uint32_t next_id;
    pthread_mutex_t lock;           /* the rings, counters and flags below */
    size_t released;
    int display_up, async_done, update_done, update_rects;
    SpiceServer *server;
    QXLInstance qxl;
};

static struct host H;

static void die(const char *what)
{
    host_die("qxl_host", what);
}

void *guest_alloc(size_t n, uint64_t *addr)
{
    size_t off = (H.used + 7) & ~(size_t)7;

    if (n > H.mem_size - off)
        die("scenario does not fit in guest memory");
    H.used = off + n;
    if (addr)
        *addr = qxl_addr_of(MEM_SLOT, MEM_GEN, off);
    return H.mem + off;
}

static void push(struct ring *r, char which, uint64_t addr, uint32_t type)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 256;
        r->cmd = realloc(r->cmd, r->cap * sizeof(*r->cmd));
    }
    if (H.nseq == H.seqcap) {
        H.seqcap = H.seqcap ? H.seqcap * 2 : 512;
        H.seq = realloc(H.seq, H.seqcap);
        H.seq_at = realloc(H.seq_at, H.seqcap * sizeof(*H.seq_at));
    }
    if (!r->cmd || !H.seq || !H.seq_at)
        die("out of memory");
    r->cmd[r->n++] = (QXLCommandExt){ .cmd = { .data = addr, .type = type },
                                      .group_id = MEM_GROUP };
    H.seq_at[H.nseq] = H.clock_ms;
    H.seq[H.nseq++] = which;
}

void guest_wait(int ms)
{
    H.clock_ms += ms;
}

/* ---- the expected picture ---- */

enum model_op { SET, INVERT, COPY };

/* Applies op over bbox within the clip and the canvas; COPY takes pixel
 * (x + dx, y + dy) of src (sw wide). */
static void model_apply(struct canvas *c, QXLRect bbox, const struct clip *clip, enum model_op op,
                        uint32_t color, const uint32_t *src, int sw, int dx, int dy)
{
    int n = clip && clip->n ? clip->n : 1;

    for (int i = 0; i < n; i++) {
        QXLRect r = clip && clip->n ? clip->r[i] : bbox;
        int l = r.left > bbox.left ? r.left : bbox.left;
        int t = r.top > bbox.top ? r.top : bbox.top;
        int rt = r.right < bbox.right ? r.right : bbox.right;
        int b = r.bottom < bbox.bottom ? r.bottom : bbox.bottom;

        l = l < 0 ? 0 : l;
        t = t < 0 ? 0 : t;
        rt = rt > c->w ? c->w : rt;
        b = b > c->h ? c->h : b;
        for (int y = t; y < b; y++) {
            for (int x = l; x < rt; x++) {
                uint32_t *p = &c->px[(size_t)y * c->w + x];

                *p = op == SET ? color : op == INVERT ? ~*p : src[(size_t)(y + dy) * sw + x + dx];
            }
        }
    }
}

static void ppm_write(const char *path, int w, int h, const uint8_t *row0, ptrdiff_t stride)
{
    FILE *f = fopen(path, "wb");

    if (!f)
        die("cannot write a picture");
    fprintf(f, "P6\n%d %d\n255\n", w, h);
    for (int y = 0; y < h; y++) {
        const uint8_t *row = row0 + y * stride;

        for (int x = 0; x < w; x++) {
            uint32_t v;
            uint8_t rgb[3];

            memcpy(&v, row + 4 * x, 4);
            rgb[0] = v >> 16;
            rgb[1] = v >> 8;
            rgb[2] = v;
            fwrite(rgb, 1, 3, f);
        }
    }
    if (fclose(f) != 0)
        die("cannot write a picture");
}

/* ---- commands in guest memory, in QXL's layouts ---- */

static QXLRect rect(int l, int t, int w, int h)
{
    return (QXLRect){ .top = t, .left = l, .bottom = t + h, .right = l + w };
}

QXLDrawable *guest_drawable_new(uint32_t surface, uint8_t type, uint8_t effect, QXLRect bbox,
                                const struct clip *clip, uint64_t *addr)
{
    QXLDrawable *d = guest_alloc(sizeof(*d), addr);

    d->release_info.id = *addr;
    d->surface_id = surface;
    d->effect = effect;
    d->type = type;
    d->bbox = bbox;
    d->clip.type = SPICE_CLIP_TYPE_NONE;
    for (int i = 0; i < 3; i++)
        d->surfaces_dest[i] = -1;
    if (clip && clip->n) {
        uint64_t caddr;
        QXLClipRects *cr = guest_alloc(sizeof(*cr) + clip->n * sizeof(QXLRect), &caddr);

        cr->num_rects = clip->n;
        cr->chunk.data_size = clip->n * sizeof(QXLRect);
        memcpy(cr->chunk.data, clip->r, clip->n * sizeof(QXLRect));
        d->clip.type = SPICE_CLIP_TYPE_RECTS;
        d->clip.data = caddr;
    }
    return d;
}

void guest_draw_push(uint64_t addr)
{
    push(&H.disp, 'd', addr, QXL_CMD_DRAW);
}

static void fill(uint32_t surface, QXLRect bbox, const struct clip *clip, uint32_t color)
{
    uint64_t a;
    QXLDrawable *d = guest_drawable_new(surface, QXL_DRAW_FILL, QXL_EFFECT_OPAQUE, bbox, clip, &a);

    d->u.fill.brush.type = SPICE_BRUSH_TYPE_SOLID;
    d->u.fill.brush.u.color = color;
    d->u.fill.rop_descriptor = SPICE_ROPD_OP_PUT;
    guest_draw_push(a);
    model_apply(&H.model[surface], bbox, clip, SET, color, NULL, 0, 0, 0);
}

/* BLACKNESS, WHITENESS or INVERS */
static void rop_draw(uint32_t surface, uint8_t type, QXLRect bbox, const struct clip *clip)
{
    uint64_t a;
    uint8_t effect = type == QXL_DRAW_INVERS ? QXL_EFFECT_REVERT_ON_DUP :
                     type == QXL_DRAW_BLACKNESS ? QXL_EFFECT_BLACKNESS_ON_DUP :
                     QXL_EFFECT_WHITENESS_ON_DUP;

    guest_drawable_new(surface, type, effect, bbox, clip, &a);
    guest_draw_push(a);
    model_apply(&H.model[surface], bbox, clip, type == QXL_DRAW_INVERS ? INVERT : SET,
                type == QXL_DRAW_WHITENESS ? 0xffffff : 0, NULL, 0, 0, 0);
}

static void copy_bits(uint32_t surface, int src_x, int src_y, QXLRect bbox, const struct clip *clip)
{
    struct canvas *c = &H.model[surface];
    size_t bytes = (size_t)c->w * c->h * 4;
    uint32_t *before = malloc(bytes);
    uint64_t a;
    QXLDrawable *d = guest_drawable_new(surface, QXL_COPY_BITS, QXL_EFFECT_OPAQUE, bbox, clip, &a);

    if (!before)
        die("out of memory");
    d->u.copy_bits.src_pos.x = src_x;
    d->u.copy_bits.src_pos.y = src_y;
    guest_draw_push(a);
    memcpy(before, c->px, bytes);
    model_apply(c, bbox, clip, COPY, 0, before, c->w, src_x - bbox.left, src_y - bbox.top);
    free(before);
}

uint64_t guest_bitmap_image(const void *rows, int w, int h, size_t rowbytes, uint8_t fmt,
                            const uint32_t *palette, int n_ents, uint64_t pal_id,
                            struct layout lay)
{
    uint32_t stride = (uint32_t)(rowbytes + 3) / 4u * 4u + (uint32_t)lay.pad;
    size_t size = (size_t)stride * h;
    uint64_t iaddr, daddr;
    QXLImage *im = guest_alloc(sizeof(im->descriptor) + sizeof(QXLBitmap), &iaddr);
    uint8_t *data;

    im->descriptor.id = (uint64_t)++H.next_id << 32;
    im->descriptor.type = SPICE_IMAGE_TYPE_BITMAP;
    im->descriptor.width = w;
    im->descriptor.height = h;
    im->bitmap.format = fmt;
    im->bitmap.flags = (lay.bottom_up ? 0 : QXL_BITMAP_TOP_DOWN) | (lay.chunks ? 0 : QXL_BITMAP_DIRECT);
    im->bitmap.x = w;
    im->bitmap.y = h;
    im->bitmap.stride = stride;
    if (palette) {
        uint64_t paddr;
        QXLPalette *p = guest_alloc(sizeof(*p) + (size_t)n_ents * 4, &paddr);

        p->unique = pal_id;
        p->num_ents = n_ents;
        memcpy(p->ents, palette, (size_t)n_ents * 4);
        im->bitmap.palette = paddr;
    }
    data = malloc(size);
    if (!data)
        die("out of memory");
    memset(data, 0x5a, size);   /* the padding: never part of the picture */
    for (int y = 0; y < h; y++)
        memcpy(data + (size_t)(lay.bottom_up ? h - 1 - y : y) * stride,
               (const uint8_t *)rows + (size_t)y * rowbytes, rowbytes);
    if (!lay.chunks) {
        memcpy(guest_alloc(size, &daddr), data, size);
        im->bitmap.data = daddr;
    } else {
        /* uneven chunks, cut in the middle of rows */
        QXLDataChunk *prev = NULL;
        uint64_t prev_addr = 0;
        size_t at = 0;

        for (int i = 0; i < lay.chunks; i++) {
            size_t n = i == lay.chunks - 1 ? size - at : (size - at) / 3 + 5;
            uint64_t caddr;
            QXLDataChunk *ch = guest_alloc(sizeof(*ch) + n, &caddr);

            ch->data_size = n;
            ch->prev_chunk = prev_addr;
            memcpy(ch->data, data + at, n);
            at += n;
            if (prev)
                prev->next_chunk = caddr;
            else
                im->bitmap.data = caddr;
            prev = ch;
            prev_addr = caddr;
        }
    }
    free(data);
    return iaddr;
}

/* DRAW_COPY of an image to bbox from its src_area (of the same size). */
static QXLDrawable *copy_image(uint32_t surface, QXLRect bbox, const struct clip *clip,
                               uint64_t image, QXLRect src_area, uint64_t *addr)
{
    QXLDrawable *d = guest_drawable_new(surface, QXL_DRAW_COPY, QXL_EFFECT_OPAQUE, bbox, clip,
                                        addr);

    d->u.copy.src_bitmap = image;
    d->u.copy.src_area = src_area;
    d->u.copy.rop_descriptor = SPICE_ROPD_OP_PUT;
    d->u.copy.scale_mode = SPICE_IMAGE_SCALE_MODE_NEAREST;
    return d;
}

/* A 32-bit picture px (w x h, xRGB) drawn at (x, y), from sub-area src. */
static void copy32(uint32_t surface, int x, int y, const uint32_t *px, int w, int h, QXLRect src,
                   const struct clip *clip, struct layout lay)
{
    uint64_t a, im = guest_bitmap_image(px, w, h, (size_t)w * 4, SPICE_BITMAP_FMT_32BIT, NULL, 0,
                                        0, lay);
    QXLRect bbox = rect(x, y, src.right - src.left, src.bottom - src.top);

    copy_image(surface, bbox, clip, im, src, &a);
    guest_draw_push(a);
    model_apply(&H.model[surface], bbox, clip, COPY, 0, px, w, src.left - x, src.top - y);
}

/* An 8-bit picture (indices into palette) drawn whole at (x, y). */
static void copy8(uint32_t surface, int x, int y, const uint8_t *idx, int w, int h,
                  const uint32_t *palette, uint64_t pal_id, struct layout lay)
{
    uint32_t *px = malloc((size_t)w * h * 4);
    uint64_t a, im = guest_bitmap_image(idx, w, h, (size_t)w, SPICE_BITMAP_FMT_8BIT, palette, 256,
                                        pal_id, lay);
    QXLRect bbox = rect(x, y, w, h);

    if (!px)
        die("out of memory");
    for (size_t i = 0; i < (size_t)w * h; i++)
        px[i] = palette[idx[i]] & 0xffffff;
    copy_image(surface, bbox, NULL, im, rect(0, 0, w, h), &a);
    guest_draw_push(a);
    model_apply(&H.model[surface], bbox, NULL, COPY, 0, px, w, -x, -y);
    free(px);
}

void guest_fill(QXLRect bbox, uint32_t color)
{
    fill(0, bbox, NULL, color);
}

void guest_copy32(int x, int y, const uint32_t *px, int w, int h)
{
    copy32(0, x, y, px, w, h, rect(0, 0, w, h), NULL, (struct layout){ 0 });
}

void guest_surface(uint32_t id, int create, uint32_t format, int w, int h)
{
    uint64_t a;
    QXLSurfaceCmd *c = guest_alloc(sizeof(*c), &a);

    c->release_info.id = a;
    c->surface_id = id;
    c->type = create ? QXL_SURFACE_CMD_CREATE : QXL_SURFACE_CMD_DESTROY;
    if (create) {
        int bits = format == SPICE_SURFACE_FMT_8_A ? 8 :
                   format == SPICE_SURFACE_FMT_16_555 || format == SPICE_SURFACE_FMT_16_565 ? 16 :
                   32;
        int stride = (w * bits / 8 + 3) & ~3;
        uint64_t daddr;

        guest_alloc((size_t)stride * h, &daddr);
        c->u.surface_create.format = format;
        c->u.surface_create.width = w;
        c->u.surface_create.height = h;
        c->u.surface_create.stride = stride;
        c->u.surface_create.data = daddr;
    }
    push(&H.disp, 'd', a, QXL_CMD_SURFACE);
}

uint64_t guest_surface_image(uint32_t id, int w, int h)
{
    uint64_t iaddr;
    QXLImage *im = guest_alloc(sizeof(im->descriptor) + sizeof(QXLSurfaceId), &iaddr);

    im->descriptor.id = (uint64_t)++H.next_id << 32;
    im->descriptor.type = SPICE_IMAGE_TYPE_SURFACE;
    im->descriptor.width = w;
    im->descriptor.height = h;
    im->surface_image.surface_id = id;
    return iaddr;
}

/* An xRGB surface of the model's. */
static void surface_cmd(uint32_t id, int create, int w, int h)
{
    guest_surface(id, create, SPICE_SURFACE_FMT_32_xRGB, w, h);
    if (create) {
        H.model[id].w = w;
        H.model[id].h = h;
        H.model[id].px = calloc((size_t)w * h, 4);
        if (!H.model[id].px)
            die("out of memory");
    }
}

/* DRAW_COPY from surface src's area to the primary at (x, y). */
static void copy_surface(uint32_t src, QXLRect area, int x, int y)
{
    uint64_t a, iaddr = guest_surface_image(src, H.model[src].w, H.model[src].h);
    QXLRect bbox = rect(x, y, area.right - area.left, area.bottom - area.top);
    QXLDrawable *d;

    d = copy_image(0, bbox, NULL, iaddr, area, &a);
    d->surfaces_dest[0] = src;
    d->surfaces_rects[0] = area;
    guest_draw_push(a);
    model_apply(&H.model[0], bbox, NULL, COPY, 0, H.model[src].px, H.model[src].w,
                area.left - x, area.top - y);
}

static void cursor_cmd(uint8_t type, int x, int y)
{
    uint64_t a;
    QXLCursorCmd *c = guest_alloc(sizeof(*c), &a);

    c->release_info.id = a;
    c->type = type;
    if (type == QXL_CURSOR_SET) {
        uint64_t saddr;
        QXLCursor *s = guest_alloc(sizeof(*s) + 32 * 32 * 4, &saddr);
        uint32_t argb[32 * 32];

        s->header.unique = 0;
        s->header.type = SPICE_CURSOR_TYPE_ALPHA;
        s->header.width = s->header.height = 32;
        s->header.hot_spot_x = s->header.hot_spot_y = 1;
        s->data_size = s->chunk.data_size = 32 * 32 * 4;
        /* an arrow: opaque white edged in black, a shadow half transparent */
        for (int j = 0; j < 32; j++)
            for (int i = 0; i < 32; i++)
                argb[j * 32 + i] = i > j ? 0 : i == 0 || i == j || j == 31 ? 0xff000000 :
                                   j > 24 ? 0x80000000 : 0xffffffff;
        memcpy(s->chunk.data, argb, sizeof(argb));
        c->u.set.position.x = x;
        c->u.set.position.y = y;
        c->u.set.visible = 1;
        c->u.set.shape = saddr;
    } else {
        c->u.position.x = x;
        c->u.position.y = y;
    }
    push(&H.curs, 'c', a, QXL_CMD_CURSOR);
}

/* ---- pictures the scenarios draw ---- */

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

/* Something like a photograph: gradients with a ring, a different one per seed. */
static uint32_t *picture(int w, int h, uint32_t seed)
{
    uint32_t *px = malloc((size_t)w * h * 4);

    if (!px)
        die("out of memory");
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int dx = x - w / 2, dy = y - h / 2, d2 = dx * dx + dy * dy;
            uint32_t r = (uint32_t)(x * 255 / w) ^ (seed & 0xff);
            uint32_t g = (uint32_t)(y * 255 / h);
            uint32_t b = d2 < w * h / 8 && d2 > w * h / 16 ? 0xff : (seed >> 8) & 0xff;

            px[(size_t)y * w + x] = (r & 0xff) << 16 | g << 8 | b;
        }
    return px;
}

static uint32_t palette_a[256], palette_b[256];

static void palettes_make(void)
{
    static const uint32_t vga[16] = { 0x000000, 0xaa0000, 0x00aa00, 0xaa5500, 0x0000aa, 0xaa00aa,
                                      0x00aaaa, 0xaaaaaa, 0x555555, 0xff5555, 0x55ff55, 0xffff55,
                                      0x5555ff, 0xff55ff, 0x55ffff, 0xffffff };
    uint32_t s = 7;

    for (int i = 0; i < 256; i++) {
        palette_a[i] = i < 16 ? vga[i] : lcg(&s) & 0xffffff;
        palette_b[i] = (uint32_t)i * 0x010101 ^ 0x203040;
    }
}

/* A w x h picture in bitmap format fmt (1BIT_BE, 4BIT_BE, 16BIT, 24BIT or
 * RGBA) drawn whole at (x, y); what each pixel must become is what SPICE's
 * canvas makes of the format (5-bit channels widened as c << 3 | c >> 2). */
static void copy_fmt(int x, int y, int w, int h, uint8_t fmt, struct layout lay)
{
    static const uint32_t two[2] = { 0x102030, 0xf0e0d0 };
    int bits = fmt == SPICE_BITMAP_FMT_1BIT_BE ? 1 : fmt == SPICE_BITMAP_FMT_4BIT_BE ? 4 :
               fmt == SPICE_BITMAP_FMT_16BIT ? 16 : fmt == SPICE_BITMAP_FMT_24BIT ? 24 : 32;
    size_t rowbytes = ((size_t)w * bits + 7) / 8;
    uint8_t *rows = calloc(rowbytes, h);
    uint32_t *px = malloc((size_t)w * h * 4), s = (uint32_t)fmt * 977;
    const uint32_t *pal = bits == 1 ? two : bits == 4 ? palette_a : NULL;
    uint64_t a, im;
    QXLRect bbox = rect(x, y, w, h);

    if (!rows || !px)
        die("out of memory");
    for (int j = 0; j < h; j++) {
        uint8_t *row = rows + (size_t)j * rowbytes;

        for (int i = 0; i < w; i++) {
            uint32_t v = lcg(&s), *out = &px[(size_t)j * w + i];
            unsigned r5 = v & 31, g5 = v >> 5 & 31, b5 = v >> 10 & 31;

            if (bits == 1) {
                unsigned bit = (i / 3 + j / 3) & 1;
                row[i / 8] |= (uint8_t)(bit << (7 - i % 8));
                *out = two[bit];
            } else if (bits == 4) {
                unsigned n = (unsigned)(i / 4 + j / 4) % 16;
                row[i / 2] |= (uint8_t)(i % 2 ? n : n << 4);
                *out = pal[n];
            } else if (bits == 16) {
                uint16_t w16 = (uint16_t)(r5 << 10 | g5 << 5 | b5);
                memcpy(row + 2 * i, &w16, 2);
                *out = (r5 << 3 | r5 >> 2) << 16 | (g5 << 3 | g5 >> 2) << 8 | (b5 << 3 | b5 >> 2);
            } else if (bits == 24) {
                row[3 * i] = (uint8_t)v;            /* blue first */
                row[3 * i + 1] = (uint8_t)(v >> 8);
                row[3 * i + 2] = (uint8_t)(v >> 16);
                *out = v & 0xffffff;
            } else {
                /* premultiplied: no channel above its alpha */
                uint32_t al = 0x40 + (uint32_t)(i * 3 % 0xc0), c = al * (v & 0xff) / 255;
                uint32_t word = al << 24 | c << 16 | (al * (v >> 8 & 0xff) / 255) << 8 | al / 2;

                memcpy(row + 4 * i, &word, 4);
                *out = word & 0xffffff;
            }
        }
    }
    im = guest_bitmap_image(rows, w, h, rowbytes, fmt, pal, bits == 1 ? 2 : 16, 100 + fmt, lay);
    copy_image(0, bbox, NULL, im, rect(0, 0, w, h), &a);
    guest_draw_push(a);
    model_apply(&H.model[0], bbox, NULL, COPY, 0, px, w, -x, -y);
    free(rows);
    free(px);
}

/* One console line of n text-like cells (8 x 16), colour indices into the
 * VGA half of palette_a: idx is n*8 wide, 16 high. */
static uint8_t *text_line(int n, uint32_t seed)
{
    uint8_t *idx = calloc((size_t)n * 8 * 16, 1);
    uint32_t s = seed * 2654435761u + 1;

    if (!idx)
        die("out of memory");
    for (int c = 0; c < n; c++) {
        uint32_t ch = lcg(&s) % 96, fg = 7 + (lcg(&s) % 9);

        if (ch < 12)
            continue;   /* a space */
        for (int y = 3; y < 14; y++) {
            uint32_t bits = (ch * 73 + (uint32_t)y * 31) * 2246822519u >> 26;

            for (int x = 1; x < 7; x++)
                if (bits >> (x - 1) & 1)
                    idx[(size_t)y * n * 8 + c * 8 + x] = (uint8_t)fg;
        }
    }
    return idx;
}

static void text_draw(int line, int y, uint32_t seed)
{
    int n = 10 + (int)(seed * 37 % 117);
    uint8_t *idx = text_line(n, seed);
    int w = n * 8;

    if (line % 3 == 0) {
        copy8(0, 0, y, idx, w, 16, palette_a, 1, (struct layout){ 0 });
    } else {
        uint32_t *px = malloc((size_t)w * 16 * 4);

        if (!px)
            die("out of memory");
        for (int i = 0; i < w * 16; i++)
            px[i] = palette_a[idx[i]];
        copy32(0, 0, y, px, w, 16, rect(0, 0, w, 16), NULL,
               line % 5 == 1 ? (struct layout){ .bottom_up = 1, .chunks = 2 } : (struct layout){ 0 });
        free(px);
    }
    free(idx);
}

static void scenario_scroll(void)
{
    const int rows = SCREEN_H / 16;

    fill(0, rect(0, 0, SCREEN_W, SCREEN_H), NULL, 0x000000);
    cursor_cmd(QXL_CURSOR_SET, 4, 4);
    for (int line = 0; line < 120; line++) {
        int row = line < rows ? line : rows - 1;

        if (line >= rows) {
            /* the console scrolls up one text row */
            copy_bits(0, 0, 16, rect(0, 0, SCREEN_W, SCREEN_H - 16), NULL);
            fill(0, rect(0, SCREEN_H - 16, SCREEN_W, 16), NULL, 0x000000);
        }
        text_draw(line, row * 16, (uint32_t)line + 1);
        if (line % 10 == 0)
            cursor_cmd(QXL_CURSOR_MOVE, 8 * (line % 60), row * 16);
    }
}

/* What every scenario but scroll starts with: a background, pictures in
 * each bitmap layout and 8-bit ones with two palettes. */
static void scenario_base(void)
{
    uint32_t *a = picture(200, 150, 0x1234), *b = picture(180, 120, 0x8899);
    uint8_t *idx = malloc(160 * 100);

    if (!idx)
        die("out of memory");
    fill(0, rect(0, 0, SCREEN_W, SCREEN_H), NULL, 0x203040);
    fill(0, rect(0, 600, SCREEN_W, 168), NULL, 0x406080);
    copy32(0, 20, 20, a, 200, 150, rect(0, 0, 200, 150), NULL, (struct layout){ 0 });
    copy32(0, 240, 20, a, 200, 150, rect(0, 0, 200, 150), NULL,
           (struct layout){ .bottom_up = 1, .chunks = 3, .pad = 12 });
    copy32(0, 460, 20, b, 180, 120, rect(0, 0, 180, 120), NULL,
           (struct layout){ .chunks = 4, .pad = 4 });
    copy32(0, 660, 20, b, 180, 120, rect(0, 0, 180, 120), NULL,
           (struct layout){ .bottom_up = 1, .pad = 8 });
    for (int y = 0; y < 100; y++)
        for (int x = 0; x < 160; x++)
            idx[y * 160 + x] = (uint8_t)((x / 10 + y / 10) % 16 + (x > 80 ? 16 * (y % 8) : 0));
    copy8(0, 20, 200, idx, 160, 100, palette_a, 1, (struct layout){ 0 });
    copy8(0, 200, 200, idx, 160, 100, palette_b, 2, (struct layout){ .bottom_up = 1, .chunks = 2 });
    copy8(0, 380, 200, idx, 157, 100, palette_a, 1, (struct layout){ .pad = 4 });
    free(idx);
    free(a);
    free(b);
}

static void scenario_mixed(void)
{
    uint32_t *a = picture(200, 150, 0x5511), *s1 = picture(96, 64, 0x77);
    struct clip three = { 3, { rect(560, 200, 40, 100), rect(620, 220, 60, 30), rect(620, 260, 90, 50) } };
    struct clip bars = { 4, { rect(20, 340, 200, 10), rect(20, 360, 200, 10), rect(20, 380, 200, 10),
                              rect(20, 400, 200, 10) } };
    struct clip holes = { 2, { rect(300, 350, 50, 80), rect(380, 350, 50, 80) } };

    scenario_base();
    cursor_cmd(QXL_CURSOR_SET, 100, 100);
    /* a sub-area of a picture, and clipped copies and fills */
    copy32(0, 860, 20, a, 200, 150, rect(30, 40, 140, 90), NULL, (struct layout){ 0 });
    fill(0, rect(550, 190, 200, 130), &three, 0xff8000);
    copy32(0, 20, 330, a, 200, 150, rect(0, 0, 200, 90), &bars, (struct layout){ .chunks = 2 });
    copy32(0, 560, 340, a, 200, 150, rect(50, 20, 90, 100), NULL,
           (struct layout){ .bottom_up = 1, .chunks = 3 });
    copy_fmt(600, 470, 61, 40, SPICE_BITMAP_FMT_1BIT_BE, (struct layout){ 0 });
    copy_fmt(670, 470, 61, 40, SPICE_BITMAP_FMT_4BIT_BE, (struct layout){ .bottom_up = 1 });
    copy_fmt(740, 470, 61, 40, SPICE_BITMAP_FMT_16BIT, (struct layout){ .chunks = 2 });
    copy_fmt(810, 470, 61, 40, SPICE_BITMAP_FMT_24BIT, (struct layout){ .pad = 4 });
    copy_fmt(880, 470, 61, 40, SPICE_BITMAP_FMT_RGBA, (struct layout){ 0 });
    /* BLACKNESS, WHITENESS, INVERS, the last one clipped over pictures */
    rop_draw(0, QXL_DRAW_BLACKNESS, rect(780, 200, 60, 60), NULL);
    rop_draw(0, QXL_DRAW_WHITENESS, rect(850, 200, 60, 60), NULL);
    rop_draw(0, QXL_DRAW_INVERS, rect(100, 60, 500, 100), NULL);
    rop_draw(0, QXL_DRAW_INVERS, rect(280, 330, 200, 120), &holes);
    /* copy-bits: a move, an overlapping move right, a clipped move down */
    copy_bits(0, 20, 20, rect(500, 460, 200, 130), NULL);
    copy_bits(0, 20, 200, rect(27, 203, 300, 100), NULL);
    copy_bits(0, 460, 20, rect(760, 300, 180, 120), &(struct clip){ 2, { rect(760, 300, 60, 120),
                                                                       rect(880, 300, 60, 120) } });
    /* an off-screen surface drawn on, copied to the primary, destroyed */
    surface_cmd(1, 1, 128, 96);
    fill(1, rect(0, 0, 128, 96), NULL, 0x00c0c0);
    copy32(1, 16, 16, s1, 96, 64, rect(0, 0, 96, 64), NULL, (struct layout){ 0 });
    rop_draw(1, QXL_DRAW_INVERS, rect(0, 40, 128, 16), NULL);
    copy_surface(1, rect(0, 0, 128, 96), 740, 620);
    copy_surface(1, rect(16, 16, 64, 32), 880, 640);
    surface_cmd(1, 0, 0, 0);
    cursor_cmd(QXL_CURSOR_MOVE, 300, 200);
    /* text on the bottom band, scrolled once */
    for (int line = 0; line < 6; line++)
        text_draw(line, 640 + 16 * line, (uint32_t)line + 50);
    copy_bits(0, 0, 656, rect(0, 640, 700, 80), NULL);
    fill(0, rect(0, 720, 700, 16), NULL, 0x000000);
    free(a);
    free(s1);
}

/* ---- bad commands ---- */

enum bad_kind { BAD_SLOT, BAD_GEN, BAD_RANGE, BAD_STRIDE, BAD_LOOP, BAD_CLIP, BAD_SURFACE, BAD_BBOX,
                BAD_KINDS };
static const char *const bad_names[BAD_KINDS] = { "slot", "gen", "range", "stride", "loop", "clip",
                                                  "surface", "bbox" };

/* A red square meant for (x, y): if it shows, a bad command was drawn. */
static QXLDrawable *bad_copy(int x, int y, uint64_t *addr, QXLImage **im, const struct clip *clip)
{
    static uint32_t red[32 * 32];
    uint64_t iaddr;

    for (int i = 0; i < 32 * 32; i++)
        red[i] = 0xff0000;
    iaddr = guest_bitmap_image(red, 32, 32, 32 * 4, SPICE_BITMAP_FMT_32BIT, NULL, 0, 0,
                               (struct layout){ .chunks = 1 });
    *im = (QXLImage *)(H.mem + (iaddr & 0xffffffffffffull) - GUEST_PHYS);
    return copy_image(0, rect(x, y, 32, 32), clip, iaddr, rect(0, 0, 32, 32), addr);
}

static void bad_command(enum bad_kind k, int x, int y)
{
    struct clip clip = { 1, { rect(x, y, 32, 32) } };
    uint64_t a;
    QXLImage *im;
    QXLDrawable *d = bad_copy(x, y, &a, &im, k == BAD_CLIP ? &clip : NULL);
    uint64_t offset = a & 0xffffffffffffull;

    if (!(H.bad_mask & 1u << k))
        return;
    switch (k) {
    case BAD_SLOT:      /* a slot that was never added */
        a = qxl_addr_of(MEM_SLOT + 4, MEM_GEN, offset - GUEST_PHYS);
        break;
    case BAD_GEN:       /* the slot's previous generation */
        a = qxl_addr_of(MEM_SLOT, MEM_GEN - 1, offset - GUEST_PHYS);
        break;
    case BAD_RANGE:     /* the bitmap's data past the end of the slot */
        im->bitmap.flags |= QXL_BITMAP_DIRECT;
        im->bitmap.data = qxl_addr_of(MEM_SLOT, MEM_GEN, H.mem_size - 64);
        break;
    case BAD_STRIDE:    /* rows shorter than the width */
        im->bitmap.stride = 31 * 4;
        break;
    case BAD_LOOP: {    /* two chunks pointing at each other, for ever */
        uint64_t c2;
        QXLDataChunk *first = (QXLDataChunk *)(H.mem + (im->bitmap.data & 0xffffffffffffull) -
                                               GUEST_PHYS);
        QXLDataChunk *second = guest_alloc(sizeof(*second) + 512, &c2);

        first->data_size = 512;
        second->data_size = 512;
        second->next_chunk = im->bitmap.data;
        first->next_chunk = c2;
        break;
    }
    case BAD_CLIP: {    /* the clip's rectangles chunk loops onto itself */
        QXLClipRects *cr = (QXLClipRects *)(H.mem + (d->clip.data & 0xffffffffffffull) -
                                            GUEST_PHYS);

        cr->chunk.next_chunk = d->clip.data + offsetof(QXLClipRects, chunk);
        cr->num_rects = 2;
        break;
    }
    case BAD_SURFACE:   /* a surface that does not exist */
        d->surface_id = 7;
        break;
    case BAD_BBOX: {    /* a bbox reaching past the surface's right edge */
        QXLRect r = rect(SCREEN_W - 16, y, 32, 32);

        d->bbox = r;
        d->u.copy.src_area = rect(0, 0, 32, 32);
        break;
    }
    default:
        break;
    }
    host_say("bad command: %s", bad_names[k]);
    guest_draw_push(a);
}

static void scenario_bad(void)
{
    scenario_base();
    for (int k = 0; k < BAD_KINDS; k++) {
        bad_command((enum bad_kind)k, 40 + 50 * k, 400);
        /* and a good one after each */
        fill(0, rect(40 + 50 * k, 450, 32, 32), NULL, 0x00ff00 + (uint32_t)k * 0x20);
    }
}

static void channel_event(int event, SpiceChannelEventInfo *info)
{
    static const char *const names[] = { "?", "connected", "initialized", "disconnected" };

    host_say("channel %s type=%d id=%d", names[event >= 1 && event <= 3 ? event : 0], info->type,
        info->id);
    if (event == SPICE_CHANNEL_EVENT_INITIALIZED && info->type == SPICE_CHANNEL_DISPLAY) {
        pthread_mutex_lock(&H.lock);
        H.display_up = 1;
        pthread_mutex_unlock(&H.lock);
        host_core_wake();
    }
}


static volatile sig_atomic_t quitting;

static void on_signal(int sig)
{
    quitting = 1;
}

/* ---- the QXL device ---- */

static void attached_worker(QXLInstance *qin)
{
    host_say("attached_worker");
}

static void set_compression_level(QXLInstance *qin, int level)
{
}

static void set_mm_time(QXLInstance *qin, uint32_t mm_time)
{
}

static void get_init_info(QXLInstance *qin, QXLDevInitInfo *info)
{
    memset(info, 0, sizeof(*info));
    info->num_memslots_groups = 2;
    info->num_memslots = NUM_SLOTS;
    info->memslot_gen_bits = GEN_BITS;
    info->memslot_id_bits = ID_BITS;
    info->qxl_ram_size = H.mem_size;
    info->internal_groupslot_id = 0;
    info->n_surfaces = 1024;
}

static int ring_get(struct ring *r, QXLCommandExt *cmd)
{
    int got = 0, last = 0;

    pthread_mutex_lock(&H.lock);
    if (r->taken < r->avail) {
        *cmd = r->cmd[r->taken++];
        got = 1;
        last = r == &H.disp && r->taken == r->n;
    }
    pthread_mutex_unlock(&H.lock);
    if (last)
        host_core_wake();    /* the last one: time for the final update_area */
    return got;
}

static int ring_req_notification(struct ring *r)
{
    int empty;

    pthread_mutex_lock(&H.lock);
    empty = r->taken == r->avail;
    r->want_wakeup = empty;
    pthread_mutex_unlock(&H.lock);
    if (empty && r == &H.disp)
        host_core_wake();
    return empty;
}

static int get_command(QXLInstance *qin, QXLCommandExt *cmd)
{
    return ring_get(&H.disp, cmd);
}

static int req_cmd_notification(QXLInstance *qin)
{
    return ring_req_notification(&H.disp);
}

static int get_cursor_command(QXLInstance *qin, QXLCommandExt *cmd)
{
    return ring_get(&H.curs, cmd);
}

static int req_cursor_notification(QXLInstance *qin)
{
    return ring_req_notification(&H.curs);
}

static void release_resource(QXLInstance *qin, QXLReleaseInfoExt ext)
{
    /* the guest takes its memory back; here it stays as it is, so a
     * server that reads a command after releasing it would still see it */
    pthread_mutex_lock(&H.lock);
    H.released++;
    pthread_mutex_unlock(&H.lock);
}

static void notify_update(QXLInstance *qin, uint32_t update_id)
{
    host_say("notify_update %u", update_id);
}

static int flush_resources(QXLInstance *qin)
{
    return 0;
}

static void async_complete(QXLInstance *qin, uint64_t cookie)
{
    host_say("async_complete cookie=%llu", (unsigned long long)cookie);
    if (cookie == UPDATE_COOKIE) {
        pthread_mutex_lock(&H.lock);
        H.async_done = 1;
        pthread_mutex_unlock(&H.lock);
        host_core_wake();
    }
}

static void update_area_complete(QXLInstance *qin, uint32_t surface_id, QXLRect *rects,
                                 uint32_t n)
{
    int late;

    pthread_mutex_lock(&H.lock);
    H.update_done = 1;
    H.update_rects = (int)n;
    late = H.async_done;
    pthread_mutex_unlock(&H.lock);
    host_say("update_area_complete surface=%u rects=%u%s", surface_id, n,
        late ? " (after its async_complete)" : "");
}

static void set_client_capabilities(QXLInstance *qin, uint8_t client_present,
                                    uint8_t caps[SPICE_CAPABILITIES_SIZE])
{
    host_say("client_capabilities present=%u", client_present);
}

/* --no-client-monitors: a guest whose driver takes no monitor configs
 * (QEMU's qxl answers 0 then, and the server gives them to the agent) */
static int no_client_monitors;

static int client_monitors_config(QXLInstance *qin, VDAgentMonitorsConfig *mc)
{
    if (no_client_monitors)
        return 0;
    if (mc)
        host_say("client_monitors_config monitors=%u", mc->num_of_monitors);
    return 1;
}

static const QXLInterface qxl_interface = {
    .base = { .type = SPICE_INTERFACE_QXL, .description = "qxl_host",
              .major_version = SPICE_INTERFACE_QXL_MAJOR,
              .minor_version = SPICE_INTERFACE_QXL_MINOR },
    .attached_worker = attached_worker,
    .set_compression_level = set_compression_level,
    .set_mm_time = set_mm_time,
    .get_init_info = get_init_info,
    .get_command = get_command,
    .req_cmd_notification = req_cmd_notification,
    .release_resource = release_resource,
    .get_cursor_command = get_cursor_command,
    .req_cursor_notification = req_cursor_notification,
    .notify_update = notify_update,
    .flush_resources = flush_resources,
    .async_complete = async_complete,
    .update_area_complete = update_area_complete,
    .set_client_capabilities = set_client_capabilities,
    .client_monitors_config = client_monitors_config,
};

/* ---- feeding ---- */

/* Hands the next `batch` commands of the scenario to their rings, those
 * due `elapsed` ms after feeding began. */
static void feed(size_t batch, int64_t elapsed)
{
    int wake = 0;

    pthread_mutex_lock(&H.lock);
    for (size_t i = 0; i < batch && H.fed < H.nseq && H.seq_at[H.fed] <= elapsed; i++, H.fed++) {
        struct ring *r = H.seq[H.fed] == 'd' ? &H.disp : &H.curs;

        r->avail++;
        wake |= r->want_wakeup;
        r->want_wakeup = 0;
    }
    pthread_mutex_unlock(&H.lock);
    if (wake)
        api.spice_qxl_wakeup(&H.qxl);
}

static void device_start(void)
{
    QXLDevMemSlot slot = {
        .slot_group_id = MEM_GROUP, .slot_id = MEM_SLOT, .generation = MEM_GEN,
        .virt_start = (uintptr_t)H.mem, .virt_end = (uintptr_t)H.mem + H.mem_size,
        .addr_delta = (uint64_t)(uintptr_t)H.mem - GUEST_PHYS, .qxl_ram_size = H.mem_size,
    };
    QXLDevSurfaceCreate primary = {
        .width = SCREEN_W, .height = SCREEN_H, .stride = H.primary_stride,
        .format = SPICE_SURFACE_FMT_32_xRGB, .type = QXL_SURF_TYPE_PRIMARY,
        .mem = GUEST_PHYS + H.primary_off, .group_id = MEM_GROUP,
    };

    H.qxl.base.sif = &qxl_interface.base;
    H.qxl.id = 0;
    if (api.spice_server_add_interface(H.server, &H.qxl.base) != 0)
        die("spice_server_add_interface refused the QXL device");
    api.spice_qxl_add_memslot(&H.qxl, &slot);
    /* the address carries the slot's id and generation, as QEMU's does */
    primary.mem = qxl_addr_of(MEM_SLOT, MEM_GEN, H.primary_off);
    api.spice_qxl_create_primary_surface(&H.qxl, 0, &primary);
}

static unsigned bad_parse(const char *list)
{
    unsigned mask = 0;
    char *copy = strdup(list), *save = NULL;

    for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        int k;

        for (k = 0; k < BAD_KINDS && strcmp(w, bad_names[k]) != 0; k++)
            ;
        if (k == BAD_KINDS)
            die("unknown bad command kind (slot, gen, range, stride, loop, clip, surface, bbox)");
        mask |= 1u << k;
    }
    free(copy);
    return mask;
}

static void scenario_build(const char *name, int negative_stride)
{
    size_t bytes;

    H.screen_h = strcmp(name, "ops") == 0 ? ops_height() : 768;
    bytes = (size_t)SCREEN_W * SCREEN_H * 4;
    /* the primary first, then commands behind it */
    H.primary_off = 0;
    H.primary_stride = negative_stride ? -SCREEN_W * 4 : SCREEN_W * 4;
    guest_alloc(bytes, NULL);
    H.model[0] = (struct canvas){ SCREEN_W, SCREEN_H, calloc(bytes, 1) };
    if (!H.model[0].px)
        die("out of memory");
    palettes_make();
    if (strcmp(name, "scroll") == 0)
        scenario_scroll();
    else if (strcmp(name, "mixed") == 0)
        scenario_mixed();
    else if (strcmp(name, "bad") == 0)
        scenario_bad();
    else if (strcmp(name, "ops") == 0)
        ops_scenario(SCREEN_W, SCREEN_H);
    else if (strcmp(name, "video") == 0)
        video_scenario(SCREEN_W, SCREEN_H);
    else if (strcmp(name, "film") == 0)
        film_scenario(SCREEN_W, SCREEN_H);
    else
        die("unknown scenario (scroll, mixed, bad, ops, video, film)");
    H.stream_video = strcmp(name, "video") == 0 || strcmp(name, "film") == 0
                         ? SPICE_STREAM_VIDEO_ALL : SPICE_STREAM_VIDEO_OFF;
}

static void surface_dump(const char *path)
{
    const uint8_t *row0 = H.mem + H.primary_off;
    ptrdiff_t stride = H.primary_stride;

    if (stride < 0)
        row0 += (size_t)-stride * (SCREEN_H - 1);
    ppm_write(path, SCREEN_W, SCREEN_H, row0, stride);
}

/* The main loop's steps: feed when allowed and due, ask for the whole
 * primary once everything was taken and the scenario's clock ran out,
 * report when it came back. */
static int agent_on;

static void run(int wait_client, const char *surface_ppm)
{
    int64_t feed_from = wait_client ? -1 : host_now_ms(), next_feed = 0;
    int asked = 0, reported = 0;

    while (!quitting) {
        int display_up, drained, async_done;

        host_core_turn(asked && reported && !agent_on ? 1000 : 5);
        if (agent_on)
            agent_turn();
        pthread_mutex_lock(&H.lock);
        display_up = H.display_up;
        drained = H.fed == H.nseq && H.disp.taken == H.disp.n && H.disp.want_wakeup;
        async_done = H.async_done;
        pthread_mutex_unlock(&H.lock);
        if (feed_from < 0 && display_up)
            feed_from = host_now_ms() + 1000;    /* let the client see the empty screen first */
        if (feed_from >= 0 && host_now_ms() >= feed_from && H.fed < H.nseq && host_now_ms() >= next_feed) {
            feed(16, host_now_ms() - feed_from);
            next_feed = host_now_ms() + 5;
            if (H.fed == H.nseq)
                host_say("fed %zu commands", H.nseq);
        }
        if (!asked && drained && host_now_ms() - feed_from >= H.clock_ms) {
            QXLRect all = rect(0, 0, SCREEN_W, SCREEN_H);

            asked = 1;
            api.spice_qxl_update_area_async(&H.qxl, 0, &all, 1, UPDATE_COOKIE);
        }
        if (asked && async_done && !reported) {
            reported = 1;
            pthread_mutex_lock(&H.lock);
            host_say("released %zu of %zu", H.released, H.disp.n + H.curs.n);
            host_say("update_area %s", H.update_done ? "complete" : "never completed");
            pthread_mutex_unlock(&H.lock);
            if (surface_ppm)
                surface_dump(surface_ppm);
            host_say("ready");
        }
    }
}

int main(int argc, char **argv)
{
    const char *expect = NULL, *surface_ppm = NULL, *agent_text = NULL;
    int wait_client = 0, negative_stride = 0;
    struct sigaction sa = { .sa_handler = on_signal };

    if (argc == 2 && strcmp(argv[1], "--list-ops") == 0) {
        ops_list(stdout);
        return 0;
    }
    if (argc < 4)
        die("usage: qxl_host LIBRARY PORT SCENARIO [--wait-client] [--negative-stride] "
            "[--bad LIST] [--ops LIST] [--expect FILE.ppm] [--surface FILE.ppm] [--film FILE] "
            "[--agent TEXT] [--no-client-monitors]; "
            "qxl_host --list-ops");
    H.bad_mask = (1u << BAD_KINDS) - 1;
    H.mem_size = GUEST_BASE_SIZE;
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--wait-client") == 0)
            wait_client = 1;
        else if (strcmp(argv[i], "--negative-stride") == 0)
            negative_stride = 1;
        else if (strcmp(argv[i], "--bad") == 0 && i + 1 < argc)
            H.bad_mask = bad_parse(argv[++i]);
        else if (strcmp(argv[i], "--ops") == 0 && i + 1 < argc)
            ops_select(argv[++i]);
        else if (strcmp(argv[i], "--expect") == 0 && i + 1 < argc)
            expect = argv[++i];
        else if (strcmp(argv[i], "--surface") == 0 && i + 1 < argc)
            surface_ppm = argv[++i];
        else if (strcmp(argv[i], "--film") == 0 && i + 1 < argc)
            H.mem_size += film_open(argv[++i]);
        else if (strcmp(argv[i], "--agent") == 0 && i + 1 < argc)
            agent_text = argv[++i];
        else if (strcmp(argv[i], "--no-client-monitors") == 0)
            no_client_monitors = 1;
        else
            die("unknown option (see the top of qxl_host.c)");
    }
    if (expect && strcmp(argv[3], "ops") == 0)
        die("the ops scenario has no expected picture: Debian's library renders its reference");
    setvbuf(stdout, NULL, _IOLBF, 0);
    host_core_init("qxl_host", channel_event);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    pthread_mutex_init(&H.lock, NULL);
    H.mem_size = (H.mem_size + 4095) & ~(size_t)4095;
    H.mem = aligned_alloc(4096, H.mem_size);
    if (!H.mem)
        die("out of memory");
    memset(H.mem, 0, H.mem_size);
    scenario_build(argv[3], negative_stride);
    if (expect)
        ppm_write(expect, SCREEN_W, SCREEN_H, (const uint8_t *)H.model[0].px, SCREEN_W * 4);
    host_spice_load(&api, "qxl_host", argv[1]);
    H.server = host_spice_server_start(&api, "qxl_host", atoi(argv[2]), H.stream_video);
    device_start();
    api.spice_server_vm_start(H.server);
    if (agent_text) {
        agent_start(&api, H.server, agent_text);
        agent_on = 1;
    }
    host_say("listening %s", argv[2]);
    run(wait_client, surface_ppm);
    api.spice_server_vm_stop(H.server);
    host_say("stopped");
    return 0;
}
