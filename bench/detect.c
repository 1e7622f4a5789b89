/* The detection bench: what the server's thread spends on a whole picture
 * from a picture-only producer, against the budget of 5 ms per 1920x1080 frame.
 *
 *   detect-bench [--frames N] [--only PICTURE] [--csv FILE]
 *
 * Four pictures, each N frames (default 50) at 1920x1080, 32 bits:
 *   scroll     text (16-row lines of glyphs on a light background, lines of
 *              every length) scrolled up by one line, a new line at the bottom;
 *   unchanged  the same text again;
 *   small      the text with a 200x20 area changed (flipped back and forth);
 *   noise      a new picture of noise each frame (no scroll, every row new).
 * Each is timed twice, as CPU time of one thread (CLOCK_THREAD_CPUTIME_ID):
 *   scroll_find  fsrv_scroll_find alone, on the picture before and after;
 *   draw_image   floe_server_draw_image on the server's thread with one
 *                synced client (a raw client reading its socket): detection,
 *                the surface written, the messages built and queued, and
 *                what the call does at once for them (an image under 16384
 *                pixels encoded, what the socket takes written); a bigger
 *                image is encoded on libuv's worker pool, not counted here.
 * Beside them, the page faults the timed thread took in the call (fresh
 * memory for a picture's copy costs as much as the copy, or more), and the
 * server's thread over the whole frame, until the client has read all of it
 * (the call, then writing what the pool encoded, ACKs), kernel work on the
 * loopback socket included. Figures are the median and the 90th percentile
 * over the frames; a picture is within budget when its 90th percentile is.
 * --only times one picture (scroll, unchanged, small or noise), e.g. under
 * a profiler. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#include "common/log.h"
#include "floe/server.h"
#include "protocol/spice/draw.h"
#include "server/internal.h"

/* the raw client the unit tests use, its checks ending the bench */
#define assert_true(x) do { if (!(x)) die("%s:%d: %s", __FILE__, __LINE__, #x); } while (0)
#define assert_int_equal(a, b) assert_true((a) == (b))
static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
#include "tests/unit/raw_session.h"

#define W 1920
#define H 1080
#define BUDGET_MS 5.0
#define BG 0xf4f4f0u
#define INK 0x202830u
#define BODY_MAX (W * H * 4 + (1u << 20))
#define SMALL_X 860
#define SMALL_Y 530
#define SMALL_W 200
#define SMALL_H 20

static void die(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fprintf(stderr, "detect-bench: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

/* minor page faults of the calling thread so far */
static long thread_faults(void)
{
    struct rusage ru;

    return getrusage(RUSAGE_THREAD, &ru) ? 0 : ru.ru_minflt;
}

static double thread_ms(clockid_t clk)
{
    struct timespec ts;

    clock_gettime(clk, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- pictures ---- */

enum picture { PIC_SCROLL, PIC_UNCHANGED, PIC_SMALL, PIC_NOISE, PIC_COUNT };

static const char *const PIC_NAME[PIC_COUNT] = { "scroll", "unchanged", "small", "noise" };

static uint32_t mix(uint32_t v)
{
    v ^= v >> 16;
    v *= 0x7feb352du;
    v ^= v >> 15;
    v *= 0x846ca68bu;
    return v ^ (v >> 16);
}

/* Row `row` (0..15) of line `line` at column x: an 8x16 cell per character,
 * its glyph (one of 64, ink on rows 3..12, a blank column at its right)
 * chosen by a hash of line and column; spaces between words; the line ends
 * somewhere between 20 and 240 characters. */
static uint32_t text_px(int line, int row, int x)
{
    uint32_t cell = (uint32_t)x / 8, glyph;

    if (row < 3 || row > 12 || x % 8 == 7 || cell >= 20 + mix((uint32_t)line) % 221)
        return BG;
    glyph = mix((uint32_t)line * 7919u + cell) % 80;
    if (glyph < 16)
        return BG;
    return mix(glyph * 104729u + (uint32_t)row * 8 + (uint32_t)x % 8) % 3 ? BG : INK;
}

static void text_screen(uint32_t *px, int first)
{
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            px[(size_t)y * W + x] = text_px(first + y / 16, y % 16, x);
}

/* The picture `p` shows at frame f (frame 0: before the first timed one). */
static void picture(enum picture p, int f, uint32_t *px)
{
    switch (p) {
    case PIC_SCROLL: text_screen(px, f); break;
    case PIC_UNCHANGED: text_screen(px, 0); break;
    case PIC_SMALL:
        text_screen(px, 0);
        for (int y = SMALL_Y; f % 2 && y < SMALL_Y + SMALL_H; y++)
            for (int x = SMALL_X; x < SMALL_X + SMALL_W; x++)
                px[(size_t)y * W + x] ^= 0x808080;
        break;
    case PIC_NOISE:
        for (size_t i = 0; i < (size_t)W * H; i++)
            px[i] = mix((uint32_t)((size_t)f * W * H + i)) & 0xffffff;
        break;
    default: break;
    }
}

static int picture_named(const char *name)
{
    for (int p = 0; p < PIC_COUNT; p++)
        if (!strcmp(name, PIC_NAME[p]))
            return p;
    return -1;
}

/* ---- figures ---- */

struct figures {
    double median, p90, max;
    long faults;                    /* median page faults per frame, -1: not counted */
};

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* median, 90th percentile (nearest rank) and maximum of ms[0..n), and the
 * median of faults[0..n) (NULL: not counted); both arrays are sorted */
static struct figures figures_of(double *ms, double *faults, int n)
{
    qsort(ms, (size_t)n, sizeof(*ms), by_value);
    if (faults)
        qsort(faults, (size_t)n, sizeof(*faults), by_value);
    return (struct figures){ median(ms, n), ms[(9 * n + 9) / 10 - 1], ms[n - 1],
                             faults ? (long)median(faults, n) : -1 };
}

/* ---- fsrv_scroll_find alone ---- */

static struct figures time_find(enum picture p, int frames, uint32_t *old, uint32_t *now)
{
    struct fsrv_surface sf = { .width = W, .height = H, .pixels = old };
    pixman_box32_t box = { 0, 0, W, H };
    double *ms = calloc((size_t)frames * 2, sizeof(*ms)), *faults = ms + frames;
    struct figures fg;

    if (!ms)
        die("out of memory");
    for (int f = 0; f < frames; f++) {
        struct fsrv_scroll sc;
        double t0;
        long f0;
        int found;

        picture(p, f, old);
        picture(p, f + 1, now);
        f0 = thread_faults();
        t0 = thread_ms(CLOCK_THREAD_CPUTIME_ID);
        found = fsrv_scroll_find(&sf, &box, now, W * 4, &sc);
        ms[f] = thread_ms(CLOCK_THREAD_CPUTIME_ID) - t0;
        faults[f] = (double)(thread_faults() - f0);
        /* the figures are of the work meant: a scroll found where there is one */
        if (found != (p == PIC_SCROLL) || (found && sc.dy != 16))
            die("%s: scroll %sfound (dy %d)", PIC_NAME[p], found ? "" : "not ", found ? sc.dy : 0);
    }
    fg = figures_of(ms, faults, frames);
    free(ms);
    return fg;
}

/* ---- the whole path: a server on its thread, a raw client ---- */

enum op { OP_LISTEN, OP_IMAGE, OP_SENTINEL, OP_STATS };

struct call {
    enum op op;
    const uint32_t *px;
    int rc, port;
    double ms;                      /* OP_IMAGE: the thread's CPU in the call */
    long faults;                    /* and its page faults */
    pthread_t thread;               /* OP_LISTEN: the server's thread */
    struct floe_server_stats st;
};

static void on_server(struct floe_server *s, void *opaque)
{
    struct call *c = opaque;
    double t0;
    long f0;

    switch (c->op) {
    case OP_LISTEN:
        c->thread = pthread_self();
        c->rc = floe_server_listen(s, "127.0.0.1", 0, &c->port);
        if (c->rc == 0)
            c->rc = floe_server_surface_create(s, 0, W, H);
        break;
    case OP_IMAGE:
        f0 = thread_faults();
        t0 = thread_ms(CLOCK_THREAD_CPUTIME_ID);
        floe_server_draw_image(s, 0, &(struct floe_rect){ 0, 0, W, H }, c->px, W * 4);
        c->ms = thread_ms(CLOCK_THREAD_CPUTIME_ID) - t0;
        c->faults = thread_faults() - f0;
        floe_server_frame_end(s);
        break;
    case OP_SENTINEL:
        /* pixel (0,0) as the picture has it: nothing changes, and the
         * client knows the frame before it has arrived when this does */
        floe_server_draw_fill(s, 0, &(struct floe_rect){ 0, 0, 1, 1 }, c->px[0] & 0xffffff);
        break;
    case OP_STATS: floe_server_get_stats(s, &c->st); break;
    }
}

struct rig {
    struct floe_server_thread *t;
    clockid_t server_clock;
    int main_fd, disp;
    uint32_t ack_window, since_ack;
    uint8_t *body;
};

static void call(struct rig *g, struct call *c)
{
    if (floe_server_thread_call_wait(g->t, on_server, c) < 0)
        die("the server's thread is gone");
}

/* The next display message but SET_ACK and PING (acknowledged as a client
 * does); its body in g->body, its size in *len. */
static uint16_t next_msg(struct rig *g, uint32_t *len)
{
    for (;;) {
        uint16_t type = raw_display_read(g->disp, &g->ack_window, &g->since_ack, g->body, BODY_MAX, len);
        if (type)
            return type;
    }
}

/* Sends the sentinel behind the frame just drawn (`now`) and reads up to
 * it; returns how many COPY_BITS came before it. */
static int drain(struct rig *g, const uint32_t *now)
{
    struct call c = { .op = OP_SENTINEL, .px = now };
    int copies = 0;

    call(g, &c);
    for (;;) {
        uint32_t len;
        uint16_t type = next_msg(g, &len);
        struct spice_draw_fill f;

        copies += type == SPICE_MSG_DISPLAY_COPY_BITS;
        if (type == SPICE_MSG_DISPLAY_DRAW_FILL && spice_draw_fill_parse(g->body, len, &f) == 0 &&
            f.base.box.left == 0 && f.base.box.top == 0 && f.base.box.right == 1 &&
            f.base.box.bottom == 1)
            return copies;
    }
}

/* A server showing `first` and a raw client that has it (MARK read). */
static void rig_up(struct rig *g, const uint32_t *first)
{
    static const uint16_t main_init[] = { SPICE_MSG_MAIN_INIT, 0 };
    struct call c = { .op = OP_LISTEN };
    struct spice_main_init init;
    struct floe_rbuf r;
    uint32_t len;

    memset(g, 0, sizeof(*g));
    if (!(g->body = malloc(BODY_MAX)))
        die("out of memory");
    g->t = floe_server_thread_new(&(struct floe_server_options){
        .disable_ticketing = 1, .jpeg_wan = FLOE_WAN_NEVER, .zlib_glz_wan = FLOE_WAN_NEVER });
    if (!g->t)
        die("server thread: %s", strerror(errno));
    call(g, &c);
    if (c.rc < 0 || pthread_getcpuclockid(c.thread, &g->server_clock))
        die("server: %s", strerror(c.rc < 0 ? -c.rc : errno));
    call(g, &(struct call){ .op = OP_IMAGE, .px = first });
    g->main_fd = raw_link(c.port, 0, SPICE_CHANNEL_MAIN);
    raw_read(g->main_fd, main_init, g->body, BODY_MAX);
    floe_rbuf_init(&r, g->body, SPICE_SIZE_main_init);
    spice_main_init_get(&r, &init);
    g->disp = raw_link(c.port, init.session_id, SPICE_CHANNEL_DISPLAY);
    /* no image cache, no GLZ dictionary: every picture is encoded */
    RAW_SEND(g->disp, SPICE_MSGC_DISPLAY_INIT,
             spice_display_init_put(&w_, &(struct spice_display_init){ 1, 0, 0, 0 }));
    while (next_msg(g, &len) != SPICE_MSG_DISPLAY_MARK)
        ;
}

static void rig_down(struct rig *g)
{
    close(g->disp);
    close(g->main_fd);
    floe_server_thread_free(g->t);
    free(g->body);
}

static uint64_t scrolls(struct rig *g)
{
    struct call c = { .op = OP_STATS };

    call(g, &c);
    return c.st.scrolls;
}

/* floe_server_draw_image's figures in *call_fg, the server's thread over
 * whole frames in *frame_fg. */
static void time_draw(struct rig *g, enum picture p, int frames, uint32_t *now,
                      struct figures *call_fg, struct figures *frame_fg)
{
    double *ms = calloc((size_t)frames * 3, sizeof(*ms)), *frame_ms = ms + frames;
    double *faults = frame_ms + frames;
    uint64_t before;

    if (!ms)
        die("out of memory");
    picture(p, 0, now);
    call(g, &(struct call){ .op = OP_IMAGE, .px = now });
    drain(g, now);
    before = scrolls(g);
    for (int f = 0; f < frames; f++) {
        struct call c = { .op = OP_IMAGE, .px = now };
        double t0;
        int copies;

        picture(p, f + 1, now);
        t0 = thread_ms(g->server_clock);
        call(g, &c);
        copies = drain(g, now);
        frame_ms[f] = thread_ms(g->server_clock) - t0;
        ms[f] = c.ms;
        faults[f] = (double)c.faults;
        if (copies != (p == PIC_SCROLL))
            die("%s: %d COPY_BITS for one frame", PIC_NAME[p], copies);
    }
    if (scrolls(g) - before != (p == PIC_SCROLL ? (uint64_t)frames : 0))
        die("%s: the server counted %llu scrolls in %d frames", PIC_NAME[p],
            (unsigned long long)(scrolls(g) - before), frames);
    *call_fg = figures_of(ms, faults, frames);
    *frame_fg = figures_of(frame_ms, NULL, frames);
    free(ms);
}

/* ---- the run ---- */

static int usage(void)
{
    fprintf(stderr, "usage: detect-bench [--frames N] [--only PICTURE] [--csv FILE]\n");
    return 2;
}

static const char *verdict(const struct figures *fg)
{
    return fg->p90 <= BUDGET_MS ? "within" : "OVER";
}

/* one CSV line; the budget is judged for the stages it is set for */
static void csv_line(FILE *csv, enum picture p, const char *stage, int frames,
                     const struct figures *fg, int budgeted)
{
    char faults[24] = "";

    if (fg->faults >= 0)
        snprintf(faults, sizeof(faults), "%ld", fg->faults);
    if (csv)
        fprintf(csv, "%s,%s,%d,%.3f,%.3f,%.3f,%s,%s,%s\n", PIC_NAME[p], stage, frames, fg->median,
                fg->p90, fg->max, faults, budgeted ? "5" : "",
                !budgeted ? "" : fg->p90 <= BUDGET_MS ? "yes" : "no");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "frames", required_argument, NULL, 'n' },
        { "only", required_argument, NULL, 'o' },
        { "csv", required_argument, NULL, 'c' },
        { NULL, 0, NULL, 0 },
    };
    uint32_t *old = malloc((size_t)W * H * 4), *now = malloc((size_t)W * H * 4);
    struct figures find[PIC_COUNT], draw[PIC_COUNT], frame[PIC_COUNT];
    const char *csv_path = NULL;
    FILE *csv = NULL;
    struct rig g;
    int frames = 50, only = -1, o;

    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o == 'n' && atoi(optarg) > 0)
            frames = atoi(optarg);
        else if (o == 'c')
            csv_path = optarg;
        else if (o == 'o' && (only = picture_named(optarg)) >= 0)
            continue;
        else
            return usage();
    }
    if (optind != argc)
        return usage();
    floe_log_set_prefix("detect-bench");
    if (!old || !now)
        die("out of memory");
    if (csv_path && !(csv = fopen(csv_path, "w")))
        die("%s: %s", csv_path, strerror(errno));
    for (int p = 0; p < PIC_COUNT; p++)
        if (only < 0 || p == only)
            find[p] = time_find(p, frames, old, now);
    picture(PIC_SCROLL, 0, old);
    rig_up(&g, old);
    for (int p = 0; p < PIC_COUNT; p++)
        if (only < 0 || p == only)
            time_draw(&g, p, frames, now, &draw[p], &frame[p]);
    rig_down(&g);

    printf("picture-only change detection, %dx%d, %d frames each: CPU ms of one thread,\n"
           "median / 90th percentile; budget %.0f ms per frame (90th percentile)\n", W, H,
           frames, BUDGET_MS);
    printf("  %-10s %25s %32s %20s\n", "picture", "fsrv_scroll_find", "floe_server_draw_image",
           "server thread/frame");
    if (csv)
        fprintf(csv, "picture,stage,frames,median_ms,p90_ms,max_ms,faults_median,budget_ms,"
                     "within_budget\n");
    for (int p = 0; p < PIC_COUNT; p++) {
        if (only >= 0 && p != only)
            continue;
        printf("  %-10s %7.3f / %7.3f %-6s %7.3f / %7.3f %-6s %5ld flt %8.3f / %7.3f\n",
               PIC_NAME[p], find[p].median, find[p].p90, verdict(&find[p]), draw[p].median,
               draw[p].p90, verdict(&draw[p]), draw[p].faults, frame[p].median, frame[p].p90);
        csv_line(csv, p, "scroll_find", frames, &find[p], 1);
        csv_line(csv, p, "draw_image", frames, &draw[p], 1);
        csv_line(csv, p, "server_frame", frames, &frame[p], 0);
    }
    if (csv && fclose(csv))
        die("%s: %s", csv_path, strerror(errno));
    free(old);
    free(now);
    return 0;
}
