/* STROKE as SPICE's software canvas draws it: the path's points rounded to
 * whole pixels (beziers cut into lines until flat within half a pixel),
 * each polyline drawn with one-pixel Bresenham lines that leave out their
 * last point (the Windows cosmetic line), biased as X11's zero-width lines
 * are, clipped to the surface and the region, the brush combined with
 * the surface through the fore mode. Every segment is drawn on its own, so
 * a pixel two segments cross is combined twice, as the reference does.
 *
 * A styled (dashed) line is not drawn that way: the canvas hands it to
 * X11's wide dashed line code with a width of one, so each dash is a
 * one-pixel-wide rectangle along the line, filled as a polygon (rows whose
 * centre lies in it, a span from its left edge inclusive to its right edge
 * exclusive), with mitred joins where a dash turns a corner. Its vertices
 * are sums of doubles that later rectangles inherit, so they are computed
 * in the reference's order, operation by operation. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "codecs/raster-internal.h"

#define PATH_BEGIN 1u
#define PATH_END 2u
#define PATH_CLOSE 8u
#define PATH_BEZIER 16u
#define LINE_START_WITH_GAP 4u
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
/* how many spans a polyline drawn each pixel once may keep */
#define MAX_SPANS (1u << 22)
/* a dashed segment longer than this on either axis is not drawn: past it
 * the reference's int arithmetic overflows */
#define DASH_MAX_DELTA 16383
/* 1/sin^2(11/2 degrees): a mitre longer than this bevels, as in X11 */
#define MITRE_LIMIT 108.856472512142

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
    int refused;             /* a dashed segment too long to draw */
    int checking;            /* a first walk, only looking for one */
    /* dashed lines: the dash lengths (on, off, on, ...), the offset into
     * them where each polyline starts, and whether this polyline's spans
     * are merged so each pixel is drawn once (a ROP that two draws undo
     * or change, on a polyline of three points or more) */
    uint8_t dash[256];
    int ndash, dash_offset;
    int nonidempotent, merge;
    struct span *spans;
    size_t nspans, spans_cap;
    /* what the dashes may have changed, bounded (pixel by pixel, a region
     * of many dashes grows too slowly) */
    pixman_box32_t dashed;
};

struct span {
    int32_t y, x, w;
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

/* The canvas's bezier arithmetic overflows for points far apart; it wraps
 * there (two's complement, as x86 does), and so does this. */
static int32_t wsub(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a - (uint32_t)b);
}

static int32_t wmid(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b) / 2;
}

static int64_t wmul_sub(int64_t a, int64_t b, int64_t c, int64_t d)
{
    return (int64_t)((uint64_t)a * (uint64_t)b - (uint64_t)c * (uint64_t)d);
}

static int64_t dot(int32_t x1, int32_t y1, int32_t x2, int32_t y2)
{
    return (int64_t)((uint64_t)(int64_t)x1 * (uint64_t)(int64_t)x2 +
                     (uint64_t)(int64_t)y1 * (uint64_t)(int64_t)y2) >> 4;
}

/* Cuts a cubic bezier (28.4 points) until each piece deviates from its
 * chord by less than half a pixel, appending each piece's end. */
static void bezier(struct stroke *st, const int32_t p[8], int depth)
{
    int32_t ax = wsub(p[2], p[0]), ay = wsub(p[3], p[1]), bx = wsub(p[6], p[0]);
    int32_t by = wsub(p[7], p[1]), cx = wsub(p[4], p[6]), cy = wsub(p[5], p[7]);
    int64_t a2 = dot(ax, ay, ax, ay), b2 = dot(bx, by, bx, by), c2 = dot(cx, cy, cx, cy);
    int64_t ab = dot(ax, ay, bx, by), cb = dot(cx, cy, wsub(p[0], p[6]), wsub(p[1], p[7]));
    int64_t h1 = wmul_sub(a2, b2, ab, ab) >> 3, h2 = wmul_sub(c2, b2, cb, cb) >> 3;
    int32_t q01[2], q12[2], q23[2], q012[2], q123[2], q0123[2];

    if ((h1 < b2 && h2 < b2) || depth >= MAX_BEZIER_DEPTH) {
        append(st, fix_to_int(p[6]), fix_to_int(p[7]));
        return;
    }
    for (int k = 0; k < 2; k++) {
        q01[k] = wmid(p[0 + k], p[2 + k]);
        q12[k] = wmid(p[2 + k], p[4 + k]);
        q23[k] = wmid(p[4 + k], p[6 + k]);
        q012[k] = wmid(q01[k], q12[k]);
        q123[k] = wmid(q12[k], q23[k]);
        q0123[k] = wmid(q012[k], q123[k]);
    }
    bezier(st, (int32_t[8]){ p[0], p[1], q01[0], q01[1], q012[0], q012[1], q0123[0], q0123[1] },
           depth + 1);
    bezier(st, (int32_t[8]){ q0123[0], q0123[1], q123[0], q123[1], q23[0], q23[1], p[6], p[7] },
           depth + 1);
}

/* Combines the brush with pixel (x, y) when the draw may touch it; 1 if
 * it did. */
static int put_px(struct stroke *st, int64_t x, int64_t y)
{
    struct rjob *j = st->j;
    uint8_t *row;
    uint32_t s;

    if (x < 0 || y < 0 || x >= pixman_image_get_width(j->dst) ||
        y >= pixman_image_get_height(j->dst) ||
        !pixman_region32_contains_point(&j->region, (int)x, (int)y, NULL))
        return 0;
    row = fraster_row(j->dst, (int)y);
    if (st->pat) {
        int pw = pixman_image_get_width(st->pat), ph = pixman_image_get_height(st->pat);
        int px = (int)(((x - st->pat_x0) % pw + pw) % pw), py = (int)(((y - st->pat_y0) % ph + ph) % ph);

        s = fraster_px(fraster_row(st->pat, py), px, j->bpp);
    } else {
        s = st->color;
    }
    fraster_put(row, (int)x, j->bpp, fraster_rop_apply(st->rop, s, fraster_px(row, (int)x, j->bpp)));
    return 1;
}

static void plot(struct stroke *st, int64_t x, int64_t y)
{
    if (put_px(st, x, y))
        pixman_region32_union_rect(&st->j->changed, &st->j->changed, (int)x, (int)y, 1, 1);
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

/* Dashed lines. Coordinates of a polygon are relative to an integer
 * point (xi, yi); an edge's k is x * dy - y * dx for any (x, y) on it. */

struct vtx {
    double x, y;
};

struct slope {
    int dx, dy;
    double k;
};

/* an edge of a polygon being filled, stepped one row at a time */
struct edge {
    int height, x, stepx, signdx, e, dy, dx;
};

/* the end of a line, as joins need it: its direction, its centre point
 * and the offset of one of its corners from there */
struct face {
    double xa, ya;
    int dx, dy;
    int x, y;
    double k;
};

enum { V_TOP, V_RIGHT, V_BOTTOM, V_LEFT };

/* The reference's ceiling: a truncation, one up for positive fractions. */
static int iceil(double v)
{
    int t = (int)v;

    return (v == t || v < 0.0) ? t : t + 1;
}

static int take_budget(struct stroke *st)
{
    if (st->budget == 0) {
        st->failed = 1;
        return 0;
    }
    st->budget--;
    return 1;
}

/* A span of w pixels from (x, y), clipped to the surface: drawn now, or
 * kept to be merged when the polyline is done. */
static void span(struct stroke *st, int y, int x, int w)
{
    int64_t W = pixman_image_get_width(st->j->dst), H = pixman_image_get_height(st->j->dst);
    int64_t x0 = x < 0 ? 0 : x, x1 = (int64_t)x + w > W ? W : (int64_t)x + w;

    if (y < 0 || y >= H || x0 >= x1)
        return;
    if (st->dashed.x1 >= st->dashed.x2) {
        st->dashed = (pixman_box32_t){ (int32_t)x0, y, (int32_t)x1, y + 1 };
    } else {
        st->dashed.x1 = x0 < st->dashed.x1 ? (int32_t)x0 : st->dashed.x1;
        st->dashed.y1 = y < st->dashed.y1 ? y : st->dashed.y1;
        st->dashed.x2 = x1 > st->dashed.x2 ? (int32_t)x1 : st->dashed.x2;
        st->dashed.y2 = y + 1 > st->dashed.y2 ? y + 1 : st->dashed.y2;
    }
    if (st->merge) {
        if (st->nspans == MAX_SPANS) {
            st->budget = 0;
            st->failed = 1;
            return;
        }
        if (st->nspans == st->spans_cap) {
            size_t cap = st->spans_cap ? st->spans_cap * 2 : 64;
            struct span *p = realloc(st->spans, cap * sizeof(*p));

            if (!p) {
                st->failed = 1;
                return;
            }
            st->spans = p;
            st->spans_cap = cap;
        }
        st->spans[st->nspans++] = (struct span){ y, (int32_t)x0, (int32_t)(x1 - x0) };
        return;
    }
    for (int64_t i = x0; i < x1 && take_budget(st); i++)
        put_px(st, i, y);
}

static int span_order(const void *a, const void *b)
{
    const struct span *p = a, *q = b;

    if (p->y != q->y)
        return p->y < q->y ? -1 : 1;
    return (p->x > q->x) - (p->x < q->x);
}

/* Draws the kept spans' union, each pixel once. */
static void spans_flush(struct stroke *st)
{
    size_t i = 0;

    if (st->nspans)
        qsort(st->spans, st->nspans, sizeof(*st->spans), span_order);
    while (i < st->nspans && !st->failed) {
        int32_t y = st->spans[i].y, a = st->spans[i].x;
        int64_t b = (int64_t)a + st->spans[i].w;

        for (i++; i < st->nspans && st->spans[i].y == y && st->spans[i].x <= b; i++) {
            if ((int64_t)st->spans[i].x + st->spans[i].w > b)
                b = (int64_t)st->spans[i].x + st->spans[i].w;
        }
        for (int64_t x = a; x < b && take_budget(st); x++)
            put_px(st, x, y);
    }
    st->nspans = 0;
}

/* One edge from the vertex (x0, y0): its first row, and where it crosses
 * it, the smallest x whose k is >= the edge's (left) or the largest below
 * it (right), with the error term that steps it on exactly. */
static int edge_make(double y0, double k, int dx, int dy, int xi, int yi, int left,
                     struct edge *ed)
{
    int y, xady, x, e;

    if (dy < 0) {
        dy = -dy;
        dx = -dx;
        k = -k;
    }
    y = iceil(y0);
    xady = iceil(k) + y * dx;
    x = xady <= 0 ? -(-xady / dy) - 1 : (xady - 1) / dy;
    e = xady - x * dy;
    if (dx >= 0) {
        ed->signdx = 1;
        ed->stepx = dx / dy;
        ed->dx = dx % dy;
    } else {
        ed->signdx = -1;
        ed->stepx = -(-dx / dy);
        ed->dx = -dx % dy;
        e = dy - e + 1;
    }
    ed->dy = dy;
    ed->x = x + left + xi;
    ed->e = e - dy;
    return y + yi;
}

static int around(int v, int step, int n)
{
    return v + step < 0 ? n - 1 : v + step == n ? 0 : v + step;
}

/* The left and right edges of a convex polygon, top to bottom (edge i
 * runs from vertex i with slope i); its first row and height. */
static int poly_edges(const struct vtx *v, const struct slope *s, int n, int xi, int yi,
                      struct edge *l, struct edge *r, int *nl, int *nr, int *h)
{
    int top = 0, bottom = 0, cw = 1, off = 0, lasty = 0, topy = 0, bottomy;
    double miny = v[0].y, maxy = v[0].y;

    for (int i = 1; i < n; i++) {
        if (v[i].y < miny) {
            top = i;
            miny = v[i].y;
        }
        if (v[i].y >= maxy) {
            bottom = i;
            maxy = v[i].y;
        }
    }
    if (s[around(top, -1, n)].dy * s[top].dx > s[top].dy * s[around(top, -1, n)].dx) {
        cw = -1;
        off = -1;
    }
    bottomy = iceil(maxy) + yi;
    *nr = 0;
    for (int i = top, k = around(top, off, n); i != bottom;
         i = around(i, cw, n), k = around(k, cw, n)) {
        if (s[k].dy == 0)
            continue;
        int y = edge_make(v[i].y, s[k].k, s[k].dx, s[k].dy, xi, yi, 0, &r[*nr]);

        if (*nr)
            r[*nr - 1].height = y - lasty;
        else
            topy = y;
        (*nr)++;
        lasty = y;
    }
    if (*nr)
        r[*nr - 1].height = bottomy - lasty;
    *nl = 0;
    for (int i = top, k = around(top, off ? 0 : -1, n); i != bottom;
         i = around(i, -cw, n), k = around(k, -cw, n)) {
        if (s[k].dy == 0)
            continue;
        int y = edge_make(v[i].y, s[k].k, s[k].dx, s[k].dy, xi, yi, 1, &l[*nl]);

        if (*nl)
            l[*nl - 1].height = y - lasty;
        (*nl)++;
        lasty = y;
    }
    if (*nl)
        l[*nl - 1].height = bottomy - lasty;
    *h = bottomy - topy;
    return topy;
}

static void edge_step(struct edge *ed)
{
    ed->x += ed->stepx;
    ed->e += ed->dx;
    if (ed->e > 0) {
        ed->x += ed->signdx;
        ed->e -= ed->dy;
    }
}

/* Fills a convex polygon row by row, [left, right] on each. */
static void poly(struct stroke *st, const struct vtx *v, const struct slope *s, int n, int xi,
                 int yi)
{
    struct edge l[4], r[4], L = { 0 }, R = { 0 };
    int nl, nr, h, y, il = 0, ir = 0;
    double x0 = v[0].x, x1 = v[0].x, y0 = v[0].y, y1 = v[0].y;

    /* a polygon wholly off the surface draws nothing: its spans lie
     * within a pixel of its vertices */
    for (int i = 1; i < n; i++) {
        x0 = fmin(x0, v[i].x);
        x1 = fmax(x1, v[i].x);
        y0 = fmin(y0, v[i].y);
        y1 = fmax(y1, v[i].y);
    }
    if (x1 + xi < -2 || y1 + yi < -2 || x0 + xi > pixman_image_get_width(st->j->dst) + 2 ||
        y0 + yi > pixman_image_get_height(st->j->dst) + 2)
        return;
    y = poly_edges(v, s, n, xi, yi, l, r, &nl, &nr, &h);
    while ((il < nl || L.height) && (ir < nr || R.height) && !st->failed) {
        if (!L.height && il < nl)
            L = l[il++];
        if (!R.height && ir < nr)
            R = r[ir++];
        h = L.height < R.height ? L.height : R.height;
        L.height -= h;
        R.height -= h;
        while (--h >= 0 && take_budget(st)) {
            if (R.x >= L.x)
                span(st, y, L.x, R.x - L.x + 1);
            y++;
            edge_step(&L);
            edge_step(&R);
        }
    }
}

/* Moves `dist` along the dash list from dash *idx, *off into it. */
static void dash_step(const struct stroke *st, int dist, int *idx, int *off)
{
    const uint8_t *d = st->dash;
    int i = *idx, total = 0;

    if (dist < d[i] - *off) {
        *off += dist;
        return;
    }
    dist -= d[i] - *off;
    if (++i == st->ndash)
        i = 0;
    for (int k = 0; k < st->ndash; k++)
        total += d[k];
    if (total > 0 && total <= dist)
        dist %= total;
    while (dist >= d[i]) {
        dist -= d[i];
        if (++i == st->ndash)
            i = 0;
    }
    *idx = i;
    *off = dist;
}

/* The join of two dashes meeting at a corner (pl leaves it, pr arrives):
 * the mitre, or a bevel past the mitre limit. Drawn straight to the
 * surface, the canvas leaves out joins whose corner pixel one of the two
 * lines draws. */
static void join(struct stroke *st, struct face *pl, struct face *pr)
{
    struct vtx v[4];
    struct slope s[4];
    double denom, mx, my;
    int swap = 0, n = 4;

    if (!st->merge && (pl->dx > 0 || (pl->dx == 0 && pl->dy > 0) || pr->dx > 0 ||
                       (pr->dx == 0 && pr->dy > 0)))
        return;
    denom = -pl->dx * (double)pr->dy + pr->dx * (double)pl->dy;
    if (denom == 0)
        return;
    if (denom > 0) {
        *pl = (struct face){ -pl->xa, -pl->ya, -pl->dx, -pl->dy, pl->x, pl->y, pl->k };
    } else {
        swap = 1;
        *pr = (struct face){ -pr->xa, -pr->ya, -pr->dx, -pr->dy, pr->x, pr->y, pr->k };
    }
    v[0] = (struct vtx){ pr->xa, pr->ya };
    s[0] = (struct slope){ -pr->dy, pr->dx, 0 };
    v[1] = (struct vtx){ 0, 0 };
    s[1] = (struct slope){ pl->dy, -pl->dx, 0 };
    v[2] = (struct vtx){ pl->xa, pl->ya };
    my = (pl->dy * (pr->xa * pr->dy - pr->ya * pr->dx) -
          pr->dy * (pl->xa * pl->dy - pl->ya * pl->dx)) / denom;
    if (pl->dy != 0)
        mx = pl->xa + (my - pl->ya) * (double)pl->dx / (double)pl->dy;
    else
        mx = pr->xa + (my - pr->ya) * (double)pr->dx / (double)pr->dy;
    if ((mx * mx + my * my) * 4 > MITRE_LIMIT) {
        double dx = pr->xa - pl->xa, dy = pr->ya - pl->ya;
        double scale = fabs(dx) > fabs(dy) ? fabs(dx) : fabs(dy);

        s[2].dx = (int)((dx * 65536) / scale);
        s[2].dy = (int)((dy * 65536) / scale);
        s[2].k = ((pl->xa + pr->xa) * s[2].dy - (pl->ya + pr->ya) * s[2].dx) / 2.0;
        n = 3;
    } else {
        int sg = swap ? -1 : 1;

        s[2] = (struct slope){ sg * pl->dx, sg * pl->dy, sg * pl->k };
        v[3] = (struct vtx){ mx, my };
        s[3] = (struct slope){ sg * pr->dx, sg * pr->dy, sg * pr->k };
    }
    poly(st, v, s, n, pl->x, pl->y);
}

/* One segment of a dashed polyline from dash *idx, *off into it: a
 * rectangle for each "on" dash it crosses (the even ones), cut where the
 * dashes end; it leaves *idx, *off where the next segment starts and the
 * faces at both ends. */
static void dash_segment(struct stroke *st, int *off, int *idx, int x1, int y1, int x2, int y2,
                         struct face *lf, struct face *rf)
{
    struct vtx v[4];
    struct slope s[4];
    int dx = x2 - x1, dy = y2 - y1, i = *idx, remain = st->dash[i] - *off;
    double l = 0.5, L, rdx, rdy, k, left;

    if (dx == 0) {
        L = dy < 0 ? -dy : dy;
        rdx = 0;
        rdy = dy < 0 ? -l : l;
    } else if (dy == 0) {
        L = dx < 0 ? -dx : dx;
        rdx = dx < 0 ? -l : l;
        rdy = 0;
    } else {
        double r;

        L = hypot((double)dx, (double)dy);
        r = l / L;
        rdx = r * dx;
        rdy = r * dy;
    }
    k = l * L;
    left = L;
    s[V_TOP] = (struct slope){ dx, dy, k };
    s[V_RIGHT] = (struct slope){ -dy, dx, 0 };
    s[V_BOTTOM] = (struct slope){ -dx, -dy, k };
    s[V_LEFT] = (struct slope){ dy, -dx, 0 };
    v[V_RIGHT] = v[V_TOP] = (struct vtx){ rdy, -rdx };
    v[V_BOTTOM] = v[V_LEFT] = (struct vtx){ -rdy, rdx };
    while (left > remain && take_budget(st)) {
        double ddx = (remain * dx) / L, ddy = (remain * dy) / L;

        v[V_RIGHT].x += ddx;
        v[V_RIGHT].y += ddy;
        v[V_BOTTOM].x += ddx;
        v[V_BOTTOM].y += ddy;
        s[V_RIGHT].k = v[V_RIGHT].x * dx + v[V_RIGHT].y * dy;
        if (!(i & 1))
            poly(st, v, s, 4, x1, y1);
        left -= remain;
        if (++i == st->ndash)
            i = 0;
        remain = st->dash[i];
        v[V_TOP] = v[V_RIGHT];
        v[V_LEFT] = v[V_BOTTOM];
        s[V_LEFT].k = -s[V_RIGHT].k;
    }
    if (!(i & 1)) {
        /* the last piece, now relative to the segment's end */
        v[V_TOP].x -= dx;
        v[V_TOP].y -= dy;
        v[V_LEFT].x -= dx;
        v[V_LEFT].y -= dy;
        v[V_RIGHT] = (struct vtx){ rdy, -rdx };
        v[V_BOTTOM] = (struct vtx){ -rdy, rdx };
        s[V_RIGHT].k = 0;
        s[V_LEFT].k += dx * dx + dy * dy;
        poly(st, v, s, 4, x2, y2);
    }
    /* what is left of the dash goes on whole pixels */
    remain = (int)((double)remain - left);
    if (remain == 0) {
        if (++i == st->ndash)
            i = 0;
        remain = st->dash[i];
    }
    *lf = (struct face){ rdy, -rdx, dx, dy, x1, y1, k };
    *rf = (struct face){ -rdy, rdx, -dx, -dy, x2, y2, k };
    *idx = i;
    *off = st->dash[i] - remain;
}

/* A dashed polyline: the dashes start afresh on each, run on across its
 * corners, and are joined where an "on" dash turns one (where the
 * polyline closes on its start too). A point alone draws nothing. */
static void dash_polyline(struct stroke *st, const struct pt *p, uint32_t n)
{
    struct face lf, rf, prev_rf, first_f;
    int idx = 0, off = 0, first = 1, drawn = 0, self = 0;
    int end_fg = 0, first_fg = 0, prev_fg = 0;

    for (uint32_t i = 1; i < n; i++) {
        int64_t dx = (int64_t)p[i].x - p[i - 1].x, dy = (int64_t)p[i].y - p[i - 1].y;

        if (dx < -DASH_MAX_DELTA || dx > DASH_MAX_DELTA || dy < -DASH_MAX_DELTA ||
            dy > DASH_MAX_DELTA) {
            st->refused = 1;
            return;
        }
    }
    if (st->checking)
        return;
    st->merge = n >= 3 && st->nonidempotent;
    self = n > 0 && p[0].x == p[n - 1].x && p[0].y == p[n - 1].y;
    dash_step(st, st->dash_offset, &idx, &off);
    for (uint32_t i = 1; i < n && !st->failed; i++) {
        if (p[i].x != p[i - 1].x || p[i].y != p[i - 1].y) {
            int start_idx = idx, start_fg;

            drawn = 1;
            dash_segment(st, &off, &idx, p[i - 1].x, p[i - 1].y, p[i].x, p[i].y, &lf, &rf);
            start_fg = !(start_idx & 1);
            end_fg = (idx & 1) ^ (off != 0);
            if (start_fg) {
                if (first || !prev_fg) {
                    if (first && self) {
                        first_f = lf;
                        first_fg = 1;
                    }
                } else {
                    join(st, &lf, &prev_rf);
                }
            }
            prev_rf = rf;
            prev_fg = end_fg;
            first = 0;
        }
        if (i == n - 1 && drawn && end_fg && self && first_fg)
            join(st, &first_f, &rf);
    }
    if (st->merge)
        spans_flush(st);
    st->nspans = 0;
}

/* The dash list as the canvas builds it: each length rounded to whole
 * pixels and kept modulo 256; with START_WITH_GAP the first length moves
 * to the end and the dashes start past the (new) first one. 0, or
 * -EINVAL for a list the canvas would never finish walking. */
static int dash_setup(struct stroke *st)
{
    const struct floe_raster_op *op = st->j->op;
    int n = op->style_nseg, total = 0;
    uint8_t v[256];

    if (n == 0 || !op->styles)
        return -EINVAL;
    for (int i = 0; i < n; i++) {
        const uint8_t *b = op->styles + 4 * i;
        uint32_t f = b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;

        v[i] = (uint8_t)fix_to_int((int32_t)f);
        total += v[i];
    }
    if (total == 0)
        return -EINVAL;
    for (int i = 0; i < n; i++)
        st->dash[i] = op->line_flags & LINE_START_WITH_GAP ? v[(i + 1) % n] : v[i];
    st->ndash = n;
    st->dash_offset = op->line_flags & LINE_START_WITH_GAP ? st->dash[0] : 0;
    /* the canvas merges spans for exactly the ROPs where drawing a pixel
     * twice differs from drawing it once */
    for (unsigned sd = 0; sd < 4; sd++) {
        unsigned s = sd >> 1, once = (st->rop >> sd) & 1, twice = (st->rop >> (s << 1 | once)) & 1;

        st->nonidempotent |= once != twice;
    }
    return 0;
}

/* Draws the polyline gathered so far and starts a new one. */
static void flush(struct stroke *st)
{
    if (st->ndash) {
        if (st->n && !st->failed && !st->refused)
            dash_polyline(st, st->pts, st->n);
        st->n = 0;
        return;
    }
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
    int rc = 0;

    st.rop = fraster_rop_of(op->fore_mode, RD_INVERS_BRUSH, RD_INVERS_DEST);
    if ((op->line_flags & LINE_STYLED) && dash_setup(&st)) {
        *j->why = "a styled STROKE without dashes";
        return -EINVAL;
    }
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
    if (st.ndash) {
        /* a segment too long is refused before anything is drawn */
        st.checking = 1;
        rc = walk(&st);
        st.checking = 0;
        st.n = 0;
    }
    if (!st.refused && !st.failed)
        rc = walk(&st);
    if (st.dashed.x1 < st.dashed.x2) {
        pixman_region32_t d;

        pixman_region32_init_rects(&d, &st.dashed, 1);
        pixman_region32_intersect(&d, &d, &j->region);
        pixman_region32_union(&j->changed, &j->changed, &d);
        pixman_region32_fini(&d);
    }
    if (!rc && st.refused) {
        *j->why = "a dashed STROKE segment too long";
        rc = -ENOTSUP;
    } else if (!rc && st.failed) {
        *j->why = st.budget ? "out of memory" : "a STROKE past its pixel budget";
        rc = st.budget ? -ENOMEM : -E2BIG;
    } else if (rc) {
        *j->why = "a bezier segment whose points do not come in threes";
    }
    free(st.pts);
    free(st.spans);
    if (st.pat)
        pixman_image_unref(st.pat);
    return rc;
}
