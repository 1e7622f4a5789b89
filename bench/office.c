/* The office bench's client (bench/office.sh): a libfloe-client session on
 * the demo desktop that types into its Notes window and times each key.
 *
 *   office-probe --area X,Y,W [--seconds S] URI
 *
 * X,Y,W: the Notes window's first text row on the canvas (its left end, top
 * and width). Once the picture is up it types a prefix (untimed), then
 * prints "start frames=N bytes=N" and for S seconds (default 24) types: a key
 * (a to h in turn) 0 to 49 ms after the caret shows (so keys fall anywhere
 * in the demo's tick) while no other window lies on the rows, timed from sending it to the first pixel of a strip just right of
 * the caret that is no longer paper (the glyph or the caret after it), then
 * Backspace, untimed, until the strip is paper again, so the caret keeps its
 * place. floe-viewer --measure-latency times any changed pixel, which on the
 * animated desktop is the next frame; here the caret's blink (it only
 * touches its own two columns) and the About window dragged across the
 * desktop (a sample it reaches is dropped) are not taken for the key.
 * Then it prints "end frames=N bytes=N" (the session's display updates and
 * bytes received, as floe-viewer counts them) and
 *   latency_ms min=N q1=N median=N q3=N max=N n=N lost=N
 * lost counting keys whose glyph did not show within 10 s or was not told
 * apart from another window. Exit status 1 when no key was timed. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "floe/client.h"

#define TEXT_RGB 0x1f2328       /* the demo's Notes text and caret */
#define PAPER_RGB 0xffffff
#define PAD 12                  /* paper around the rows (1920x1080) */
#define STRIP_FROM 3            /* the strip: columns caret+3 .. caret+10 */
#define STRIP_W 8
#define CARET_MIN_H 12          /* a glyph's stem is shorter */
#define SAMPLE_TIMEOUT_US 10000000LL
#define CARET_WAIT_US 5000000LL
#define MAX_SAMPLES 4096

/* XT set-1 scancodes (US layout): a to h, and Backspace */
static const uint32_t keys[8] = { 0x1e, 0x30, 0x2e, 0x20, 0x12, 0x21, 0x22, 0x23 };
#define XT_BACKSPACE 0x0e

struct row {
    int x, y, w;                /* the first text row */
    int caret_x, line_h;        /* found on the canvas */
};

static int64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint32_t px(const struct floe_client_canvas *cv, int x, int y)
{
    if (x < 0 || y < 0 || x >= cv->width || y >= cv->height)
        return 0;
    return ((const uint32_t *)((const char *)cv->pixels + (size_t)y * cv->stride))[x] & 0xffffff;
}

/* 1 when every pixel of the box is paper. */
static int paper(const struct floe_client_canvas *cv, int x, int y, int w, int h)
{
    for (int j = y; j < y + h; j++)
        for (int i = x; i < x + w; i++)
            if (px(cv, i, j) != PAPER_RGB)
                return 0;
    return 1;
}

/* Rows of TEXT_RGB in column x from y down. */
static int run(const struct floe_client_canvas *cv, int x, int y)
{
    int n = 0;

    while (px(cv, x, y + n) == TEXT_RGB)
        n++;
    return n;
}

/* The caret (two columns of text colour from the row's top + 2, taller than
 * a stem) with paper right of it to the row's end, and paper above and
 * below the row (no window over it): 1 and r->caret_x, r->line_h set. */
static int caret_find(const struct floe_client_canvas *cv, struct row *r)
{
    for (int x = r->x + r->w - 2; x >= r->x; x--) {
        int h = run(cv, x, r->y + 2);

        if (h < CARET_MIN_H || run(cv, x + 1, r->y + 2) != h)
            continue;
        r->line_h = h + 4;
        r->caret_x = x;
        return paper(cv, x + 2, r->y, r->x + r->w - x - 2, r->line_h) &&
               paper(cv, r->x - PAD, r->y - PAD, r->w + 2 * PAD, PAD) &&
               paper(cv, r->x - PAD, r->y + r->line_h, r->w + 2 * PAD, 2 * r->line_h);
    }
    return 0;
}

/* The strip right of the caret, and whether the rows are still clear. */
static int strip_paper(const struct floe_client_canvas *cv, const struct row *r)
{
    return paper(cv, r->caret_x + STRIP_FROM, r->y + 2, STRIP_W, r->line_h - 4);
}

static int rows_clear(const struct floe_client_canvas *cv, const struct row *r)
{
    return paper(cv, r->x - PAD, r->y - PAD, r->w + 2 * PAD, PAD) &&
           paper(cv, r->x - PAD, r->y + r->line_h, r->w + 2 * PAD, 2 * r->line_h);
}

enum look { LOOK_CARET, LOOK_INKED, LOOK_PAPER };

/* Polls the canvas until `what` holds (looking at least once): 1, 0 on
 * timeout or a closed session, -1 when the rows were covered meanwhile
 * (INKED only). */
static int wait_for(struct floe_client *c, struct row *r, enum look what, int64_t timeout_us)
{
    int64_t until = now_us() + timeout_us;

    do {
        struct floe_client_canvas cv;
        int done = 0;

        if (floe_client_canvas_lock(c, &cv) == 0) {
            if (what == LOOK_CARET)
                done = caret_find(&cv, r);
            else if (what == LOOK_PAPER)
                done = strip_paper(&cv, r);
            else if (!strip_paper(&cv, r))
                done = rows_clear(&cv, r) ? 1 : -1;
        }
        floe_client_canvas_unlock(c);
        if (done)
            return done;
        usleep(500);
    } while (floe_client_is_connected(c) && now_us() < until);
    return 0;
}

static void tap(struct floe_client *c, uint32_t sc)
{
    floe_client_key(c, sc, 1);
    floe_client_key(c, sc, 0);
}

/* "office: ": the text must not be empty (the row then shows a hint) */
static void type_prefix(struct floe_client *c)
{
    static const uint32_t sc[] = { 0x18, 0x21, 0x21, 0x17, 0x2e, 0x12 }; /* office */

    for (unsigned i = 0; i < sizeof(sc) / sizeof(sc[0]); i++)
        tap(c, sc[i]);
    floe_client_key(c, 0x2a, 1); /* Shift ; is a colon */
    tap(c, 0x27);
    floe_client_key(c, 0x2a, 0);
    tap(c, 0x39);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double quantile(const double *v, int n, int num, int den)
{
    double at = (double)(n - 1) * num / den;
    int i = (int)at;

    return i + 1 < n ? v[i] + (v[i + 1] - v[i]) * (at - i) : v[i];
}

static void print_stats(struct floe_client *c, const char *what)
{
    struct floe_client_stats st;

    floe_client_get_stats(c, &st);
    printf("%s frames=%llu bytes=%llu\n", what, (unsigned long long)st.frames,
           (unsigned long long)st.bytes_in);
    fflush(stdout);
}

/* Times keys for `seconds`; the samples into ms, their count returned. */
static int measure(struct floe_client *c, struct row *r, double seconds, double *ms, int *lost)
{
    int64_t end = now_us() + (int64_t)(seconds * 1e6);
    int n = 0;

    while (n < MAX_SAMPLES && now_us() < end && floe_client_is_connected(c)) {
        int64_t t0;
        int got;

        if (wait_for(c, r, LOOK_CARET, CARET_WAIT_US) != 1)
            continue;
        /* the caret shows right after a frame: a key sent at once would
         * always wait a whole tick of the demo; a typist's keys fall anywhere */
        usleep((useconds_t)(((n + *lost) * 7919 % 50) * 1000));
        if (wait_for(c, r, LOOK_CARET, 0) != 1)
            continue;
        t0 = now_us();
        tap(c, keys[(n + *lost) % 8]);
        got = wait_for(c, r, LOOK_INKED, SAMPLE_TIMEOUT_US);
        if (got == 1)
            ms[n++] = (now_us() - t0) / 1000.0;
        else
            (*lost)++;
        tap(c, XT_BACKSPACE);
        wait_for(c, r, LOOK_PAPER, SAMPLE_TIMEOUT_US);
    }
    return n;
}

static int parse_args(int argc, char **argv, struct row *r, double *seconds, const char **uri)
{
    static const struct option longs[] = {
        { "area", required_argument, NULL, 'a' },
        { "seconds", required_argument, NULL, 's' },
        { 0 },
    };
    int opt;

    *seconds = 24;
    while ((opt = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        if (opt == 'a' && sscanf(optarg, "%d,%d,%d", &r->x, &r->y, &r->w) == 3 && r->w > 16)
            continue;
        if (opt == 's' && (*seconds = atof(optarg)) > 0)
            continue;
        return -1;
    }
    if (optind != argc - 1 || r->w <= 16)
        return -1;
    *uri = argv[optind];
    return 0;
}

static struct floe_client *connect_to(const char *uri_text)
{
    struct floe_client_options co = { 0 };
    struct floe_client_uri uri;
    struct floe_client *c;
    char err[256];

    if (floe_client_parse_uri(uri_text, &uri, err, sizeof(err))) {
        fprintf(stderr, "office-probe: bad URI: %s\n", err);
        return NULL;
    }
    co.host = uri.host;
    co.port = uri.port;
    co.timeout_ms = 30000;
    c = floe_client_new(&co);
    if (c && floe_client_connect(c, err, sizeof(err))) {
        fprintf(stderr, "office-probe: %s\n", err);
        floe_client_free(c);
        return NULL;
    }
    if (c && floe_client_start(c)) {
        floe_client_free(c);
        return NULL;
    }
    return c;
}

/* The picture up and the prefix's caret found: 0, else -1. */
static int warm_up(struct floe_client *c, struct row *r)
{
    int64_t until = now_us() + 120 * 1000000LL;
    struct floe_client_stats st;

    for (;;) {
        floe_client_get_stats(c, &st);
        if (floe_client_inputs_ready(c) && st.marks > 0)
            break;
        if (!floe_client_is_connected(c) || now_us() > until)
            return -1;
        usleep(10000);
    }
    type_prefix(c);
    while (now_us() < until && floe_client_is_connected(c))
        if (wait_for(c, r, LOOK_CARET, CARET_WAIT_US) == 1)
            return 0;
    return -1;
}

int main(int argc, char **argv)
{
    static double ms[MAX_SAMPLES];
    struct row r = { 0 };
    struct floe_client *c;
    const char *uri;
    double seconds;
    int n, lost = 0;

    if (parse_args(argc, argv, &r, &seconds, &uri)) {
        fprintf(stderr, "usage: office-probe --area X,Y,W [--seconds S] spice://HOST:PORT\n");
        return 2;
    }
    if (!(c = connect_to(uri)))
        return 1;
    if (warm_up(c, &r)) {
        fprintf(stderr, "office-probe: no picture, or no caret in the row at %d,%d\n", r.x, r.y);
        floe_client_stop(c);
        floe_client_free(c);
        return 1;
    }
    print_stats(c, "start");
    n = measure(c, &r, seconds, ms, &lost);
    print_stats(c, "end");
    qsort(ms, (size_t)n, sizeof(*ms), cmp_double);
    if (n)
        printf("latency_ms min=%.1f q1=%.1f median=%.1f q3=%.1f max=%.1f n=%d lost=%d\n", ms[0],
               quantile(ms, n, 1, 4), quantile(ms, n, 1, 2), quantile(ms, n, 3, 4), ms[n - 1], n,
               lost);
    else
        printf("latency_ms min=0 q1=0 median=0 q3=0 max=0 n=0 lost=%d\n", lost);
    floe_client_stop(c);
    floe_client_free(c);
    return n ? 0 : 1;
}
