/* STROKE as SPICE's software canvas draws it: the path's points rounded to
 * whole pixels (beziers cut into lines until flat within half a pixel),
 * each polyline drawn with one-pixel Bresenham lines that leave out their
 * last point (the Windows cosmetic line), biased as X11's zero-width lines
 * are, clipped to the surface and the region, the brush combined with
 * the surface through the fore mode. Every segment is drawn on its own, so
 * a pixel two segments cross is combined twice, as the reference does. */
#include <errno.h>
#include <stdlib.h>

#include "codecs/raster-internal.h"

#define PATH_BEGIN 1u
#define PATH_END 2u
#define PATH_CLOSE 8u
#define PATH_BEZIER 16u
#define LINE_STYLED 8u

/* octants: which of x decreasing, y decreasing, y major */
#define XDEC 4
#define YDEC 2
#define YMAJ 1
/* octants where a tie steps along the major axis only (X11's default bias:
 * octants 2, 3, 4 and 5 of its diagram) */
#define BIAS ((1u << (YDEC | YMAJ)) | (1u << (XDEC | YDEC | YMAJ)) | (1u << (XDEC | YDEC)) | \
              (1u << XDEC))
/* how many pixels one stroke may visit: past it, the rest is not drawn */
#define PIXEL_BUDGET (64u << 20)
#define MAX_BEZIER_DEPTH 24

struct pt {
    int32_t x, y;
};

struct stroke {
    struct rjob *j;
    unsigned rop;
    uint32_t color;
    pixman_image_t *pat;     /* the pattern in dst's format, or NULL */
    int pat_x0, pat_y0;
    struct pt *pts;
    uint32_t n, cap;
    uint64_t budget;
    int failed;              /* out of memory or past the budget */
};

/* 28.4 to whole pixels as the canvas rounds: up from past the half */
static int32_t fix_to_int(int32_t f)
{
    return (f >> 4) + ((f & 0x0f) > 8);
}

static void append(struct stroke *st, int32_t x, int32_t y)
{
    if (st->n == st->cap) {
        uint32_t cap = st->cap ? st->cap * 2 : 16;
        struct pt *p = cap > st->cap ? realloc(st->pts, (size_t)cap * sizeof(*p)) : NULL;

        if (!p) {
            st->failed = 1;
            return;
        }
        st->pts = p;
        st->cap = cap;
    }
    st->pts[st->n++] = (struct pt){ x, y };
}

static int64_t dot(int64_t x1, int64_t y1, int64_t x2, int64_t y2)
{
    return (x1 * x2 + y1 * y2) >> 4;
}

/* Cuts a cubic bezier (28.4 points) until each piece deviates from its
 * chord by less than half a pixel, appending each piece's end. */
static void bezier(struct stroke *st, const int32_t p[8], int depth)
{
    int64_t a2 = dot(p[2] - p[0], p[3] - p[1], p[2] - p[0], p[3] - p[1]);
    int64_t b2 = dot(p[6] - p[0], p[7] - p[1], p[6] - p[0], p[7] - p[1]);
    int64_t c2 = dot(p[4] - p[6], p[5] - p[7], p[4] - p[6], p[5] - p[7]);
    int64_t ab = dot(p[2] - p[0], p[3] - p[1], p[6] - p[0], p[7] - p[1]);
    int64_t cb = dot(p[4] - p[6], p[5] - p[7], p[0] - p[6], p[1] - p[7]);
    int64_t h1 = (a2 * b2 - ab * ab) >> 3, h2 = (c2 * b2 - cb * cb) >> 3;
    int32_t q01[2], q12[2], q23[2], q012[2], q123[2], q0123[2];

    if ((h1 < b2 && h2 < b2) || depth >= MAX_BEZIER_DEPTH) {
        append(st, fix_to_int(p[6]), fix_to_int(p[7]));
        return;
    }
    for (int k = 0; k < 2; k++) {
        q01[k] = (p[0 + k] + p[2 + k]) / 2;
        q12[k] = (p[2 + k] + p[4 + k]) / 2;
        q23[k] = (p[4 + k] + p[6 + k]) / 2;
        q012[k] = (q01[k] + q12[k]) / 2;
        q123[k] = (q12[k] + q23[k]) / 2;
        q0123[k] = (q012[k] + q123[k]) / 2;
    }
    bezier(st, (int32_t[8]){ p[0], p[1], q01[0], q01[1], q012[0], q012[1], q0123[0], q0123[1] },
           depth + 1);
    bezier(st, (int32_t[8]){ q0123[0], q0123[1], q123[0], q123[1], q23[0], q23[1], p[6], p[7] },
           depth + 1);
}

static void plot(struct stroke *st, int64_t x, int64_t y)
{
    struct rjob *j = st->j;
    uint8_t *row;
    uint32_t s;

    if (x < 0 || y < 0 || x >= pixman_image_get_width(j->dst) ||
        y >= pixman_image_get_height(j->dst) ||
        !pixman_region32_contains_point(&j->region, (int)x, (int)y, NULL))
        return;
    row = fraster_row(j->dst, (int)y);
    if (st->pat) {
        int pw = pixman_image_get_width(st->pat), ph = pixman_image_get_height(st->pat);
        int px = (int)(((x - st->pat_x0) % pw + pw) % pw), py = (int)(((y - st->pat_y0) % ph + ph) % ph);

        s = fraster_px(fraster_row(st->pat, py), px, j->bpp);
    } else {
        s = st->color;
    }
    fraster_put(row, (int)x, j->bpp, fraster_rop_apply(st->rop, s, fraster_px(row, (int)x, j->bpp)));
    pixman_region32_union_rect(&j->changed, &j->changed, (int)x, (int)y, 1, 1);
}

/* The first step k >= 0 at which v0 + k * sign lies in [lo, hi), or -1. */
static int64_t first_in(int64_t v0, int sign, int64_t lo, int64_t hi)
{
    if (v0 >= lo && v0 < hi)
        return 0;
    if (sign > 0)
        return v0 < lo ? lo - v0 : -1;
    return v0 >= hi ? v0 - (hi - 1) : -1;
}

/* One line from (x1,y1) to (x2,y2), its last point left out. The major
 * axis steps every time; the minor one when the error term turns >= 0.
 * Steps before the major coordinate enters the surface are skipped by
 * arithmetic; the loop ends when it leaves. */
static void line(struct stroke *st, int64_t x1, int64_t y1, int64_t x2, int64_t y2)
{
    int64_t adx = x2 - x1, ady = y2 - y1, e1, e3, e, len, k0;
    int sx = 1, sy = 1, oct = 0, ymajor;
    int64_t W = pixman_image_get_width(st->j->dst), H = pixman_image_get_height(st->j->dst);

    if (adx < 0) {
        adx = -adx;
        sx = -1;
        oct |= XDEC;
    }
    if (ady < 0) {
        ady = -ady;
        sy = -1;
        oct |= YDEC;
    }
    ymajor = !(adx > ady);
    if (ymajor) {
        /* the same walk with the axes swapped */
        int64_t t = adx;

        adx = ady;
        ady = t;
        oct |= YMAJ;
    }
    /* adx is now the major length, ady the minor */
    e1 = ady * 2;
    e3 = -adx * 2;
    e = e1 - adx - ((BIAS >> oct) & 1) - e1;
    len = adx;
    if (len == 0)
        return;
    k0 = ymajor ? first_in(y1, sy, 0, H) : first_in(x1, sx, 0, W);
    if (k0 < 0 || k0 >= len)
        return;
    {
        /* after k steps: e + k*e1, less 2*adx for each minor step taken */
        int64_t E = e + k0 * e1, m = E >= 0 ? E / (2 * adx) + 1 : -((-E - 1) / (2 * adx));

        /* m: minor steps so far, the error back in [-2*adx, 0) */
        if (E - m * 2 * adx >= 0)
            m++;
        e = E - m * 2 * adx;
        if (ymajor) {
            y1 += sy * k0;
            x1 += sx * m;
        } else {
            x1 += sx * k0;
            y1 += sy * m;
        }
    }
    for (int64_t k = k0; k < len; k++) {
        if (ymajor ? (y1 < 0 || y1 >= H) : (x1 < 0 || x1 >= W))
            break;
        if (st->budget == 0) {
            st->failed = 1;
            return;
        }
        st->budget--;
        plot(st, x1, y1);
        e += e1;
        if (e >= 0) {
            if (ymajor)
                x1 += sx;
            else
                y1 += sy;
            e += e3;
        }
        if (ymajor)
            y1 += sy;
        else
            x1 += sx;
    }
}

/* Draws the polyline gathered so far and starts a new one. */
static void flush(struct stroke *st)
{
    for (uint32_t i = 1; i < st->n && !st->failed; i++)
        line(st, st->pts[i - 1].x, st->pts[i - 1].y, st->pts[i].x, st->pts[i].y);
    st->n = 0;
}

/* Walks the path as the canvas does; 0, or -EINVAL when a bezier segment's
 * points do not come in threes (the canvas stops there too). */
static int walk(struct stroke *st)
{
    const struct floe_raster_op *op = st->j->op;

    for (uint32_t i = 0; i < op->n_segs && !st->failed; i++) {
        const struct floe_raster_seg *sg = &op->segs[i];
        const struct floe_raster_pointfix *p = sg->points, *end = p + sg->count;

        if ((sg->flags & PATH_BEGIN) && p < end) {
            flush(st);
            append(st, fix_to_int(p->x), fix_to_int(p->y));
            p++;
        }
        if (sg->flags & PATH_BEZIER) {
            if ((end - p) % 3)
                return -EINVAL;
            for (; p + 2 < end && st->n && !st->failed; p += 3) {
                const struct pt *last = &st->pts[st->n - 1];

                bezier(st, (int32_t[8]){ last->x * 16, last->y * 16, p[0].x, p[0].y, p[1].x,
                                         p[1].y, p[2].x, p[2].y }, 0);
            }
        } else {
            for (; p < end; p++)
                append(st, fix_to_int(p->x), fix_to_int(p->y));
        }
        if (sg->flags & PATH_END) {
            if ((sg->flags & PATH_CLOSE) && st->n)
                append(st, st->pts[0].x, st->pts[0].y);
            flush(st);
        }
    }
    flush(st);
    return 0;
}

int fraster_stroke(struct rjob *j)
{
    const struct floe_raster_op *op = j->op;
    struct stroke st = { .j = j, .budget = PIXEL_BUDGET };
    int rc;

    if (op->line_flags & LINE_STYLED) {
        *j->why = "a styled (dashed) STROKE not rendered";
        return -ENOTSUP;
    }
    st.rop = fraster_rop_of(op->fore_mode, RD_INVERS_BRUSH, RD_INVERS_DEST);
    st.color = op->brush.kind == FLOE_RASTER_BRUSH_SOLID ? op->brush.color : 0;
    if (op->brush.kind == FLOE_RASTER_BRUSH_PATTERN) {
        int w = pixman_image_get_width(op->brush.pattern), h = pixman_image_get_height(op->brush.pattern);

        st.pat = pixman_image_create_bits(pixman_image_get_format(j->dst), w, h, NULL, 0);
        if (!st.pat)
            return fraster_no_memory(j);
        pixman_image_composite32(PIXMAN_OP_SRC, op->brush.pattern, NULL, st.pat, 0, 0, 0, 0, 0,
                                 0, w, h);
        st.pat_x0 = op->brush.x0;
        st.pat_y0 = op->brush.y0;
    }
    rc = walk(&st);
    if (!rc && st.failed) {
        *j->why = st.budget ? "out of memory" : "a STROKE past its pixel budget";
        rc = st.budget ? -ENOMEM : -E2BIG;
    } else if (rc) {
        *j->why = "a bezier segment whose points do not come in threes";
    }
    free(st.pts);
    if (st.pat)
        pixman_image_unref(st.pat);
    return rc;
}
