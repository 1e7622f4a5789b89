/* Scroll detection for pictures that arrive whole (a guest's console that
 * redraws the screen for each line, a VNC feed): the rows of a new picture
 * that equal the surface's rows a fixed distance away. Rows are compared
 * by hash, candidates taken from a sample of rows, and the best run is
 * checked pixel by pixel, so what is found is exact for the pixels read. */
#include <stdlib.h>
#include <string.h>

#include "server/internal.h"

#define MIN_ROWS 32          /* a picture shorter than this is not looked at */
#define MIN_WIDTH 64
#define MIN_RUN 16           /* rows a scroll must move */
#define SAMPLES 24           /* rows of the new picture whose match is looked for */
#define CANDIDATES 4

/* FNV-1a over a row's 24 colour bits */
/* A row's hash over its 24 colour bits: four lanes of FNV-1a, each taking
 * two pixels at a time, so that their multiplies overlap instead of each
 * waiting for the one before (the scan hashes every row of two pictures). */
static uint64_t row_hash(const uint32_t *p, int w)
{
    const uint64_t prime = 0x100000001b3ull, rgb2 = 0x00ffffff00ffffffull;
    uint64_t h0 = 0xcbf29ce484222325ull, h1 = 0x9e3779b97f4a7c15ull;
    uint64_t h2 = 0xbf58476d1ce4e5b9ull, h3 = 0x94d049bb133111ebull, v;
    int x = 0;

    for (; x + 8 <= w; x += 8) {
        memcpy(&v, p + x, 8);
        h0 = (h0 ^ (v & rgb2)) * prime;
        memcpy(&v, p + x + 2, 8);
        h1 = (h1 ^ (v & rgb2)) * prime;
        memcpy(&v, p + x + 4, 8);
        h2 = (h2 ^ (v & rgb2)) * prime;
        memcpy(&v, p + x + 6, 8);
        h3 = (h3 ^ (v & rgb2)) * prime;
    }
    for (; x < w; x++)
        h0 = (h0 ^ (p[x] & 0xffffff)) * prime;
    return h0 ^ (h1 << 17 | h1 >> 47) ^ (h2 << 31 | h2 >> 33) ^ (h3 << 45 | h3 >> 19);
}

static int rows_equal(const uint32_t *a, const uint32_t *b, int w)
{
    for (int x = 0; x < w; x++)
        if ((a[x] ^ b[x]) & 0xffffff)
            return 0;
    return 1;
}

struct cand {
    int dy, votes;
};

static void vote(struct cand *c, int *n, int dy)
{
    for (int i = 0; i < *n; i++)
        if (c[i].dy == dy) {
            c[i].votes++;
            return;
        }
    if (*n < SAMPLES * 4)
        c[(*n)++] = (struct cand){ dy, 1 };
}

static int by_votes(const void *a, const void *b)
{
    return ((const struct cand *)b)->votes - ((const struct cand *)a)->votes;
}

int fsrv_scroll_find(const struct fsrv_surface *sf, const pixman_box32_t *b, const uint32_t *px,
                     int stride, struct fsrv_scroll *out)
{
    int w = b->x2 - b->x1, h = b->y2 - b->y1, stride_px = stride / 4;
    struct cand cand[SAMPLES * 4];
    uint64_t *ho, *hn;
    int ncand = 0, best_len = 0, best_dy = 0, best_y = 0;

    if (w < MIN_WIDTH || h < MIN_ROWS || stride % 4)
        return 0;
    ho = malloc((size_t)h * 2 * sizeof(*ho));
    if (!ho)
        return 0;
    hn = ho + h;
    for (int i = 0; i < h; i++) {
        ho[i] = row_hash(sf->pixels + (size_t)(b->y1 + i) * sf->width + b->x1, w);
        hn[i] = row_hash(px + (ptrdiff_t)i * stride_px, w);
    }
    /* each sample row that changed and is unlike its neighbour (a blank
     * row matches every blank row) votes for the shifts that bring an old
     * row of the same hash there; the rows looked at are 7 apart, which no
     * text's line height is a multiple of, so a sample does not fall on
     * the blank top row of every line */
    for (int i = 3, used = 0; i < h && used < SAMPLES; i += 7) {
        if (hn[i] == ho[i] || hn[i] == hn[i - 1])
            continue;
        used++;
        for (int j = 0; j < h; j++)
            if (ho[j] == hn[i] && j != i)
                vote(cand, &ncand, j - i);
    }
    qsort(cand, (size_t)ncand, sizeof(cand[0]), by_votes);
    for (int k = 0; k < ncand && k < CANDIDATES; k++) {
        int dy = cand[k].dy, run = 0, moved = 0;
        int lo = dy < 0 ? -dy : 0, hi = dy > 0 ? h - dy : h;

        /* the longest run of new rows i equal to old rows i + dy, counting
         * the rows it changes (a run of rows that did not change gains
         * nothing from a copy) */
        for (int i = lo; i <= hi; i++) {
            if (i < hi && hn[i] == ho[i + dy]) {
                run++;
                moved += hn[i] != ho[i];
                continue;
            }
            if (run > best_len && moved >= MIN_RUN / 2) {
                best_len = run;
                best_dy = dy;
                best_y = i - run;
            }
            run = moved = 0;
        }
    }
    free(ho);
    if (best_len < MIN_RUN)
        return 0;
    /* hashes can collide: the run is checked pixel by pixel, and cut to
     * its longest part that holds */
    {
        int run = 0, start = best_y, top = 0, len = 0;

        for (int i = best_y; i <= best_y + best_len; i++) {
            if (i < best_y + best_len &&
                rows_equal(px + (ptrdiff_t)i * stride_px,
                           sf->pixels + (size_t)(b->y1 + i + best_dy) * sf->width + b->x1, w)) {
                if (!run)
                    start = i;
                run++;
                continue;
            }
            if (run > len) {
                len = run;
                top = start;
            }
            run = 0;
        }
        if (len < MIN_RUN)
            return 0;
        out->dy = best_dy;
        out->y1 = b->y1 + top;
        out->y2 = b->y1 + top + len;
    }
    return 1;
}
