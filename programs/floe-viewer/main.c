/* floe-viewer: a SPICE client program on libfloe-client; an SDL2 window, or
 * headless for tests (run for a while, type text, save a PNG, print stats). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "programs/floe-viewer/viewer.h"
#include "common/log.h"

#define PROG "floe-viewer"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: " PROG " [options] spice://HOST:PORT[?password=PASS]\n"
            "       " PROG " [options] spice://HOST?port=PORT[&password=PASS]\n"
            "       " PROG " [options] spice+unix:///PATH/TO/SOCKET\n"
            "Connects to a SPICE server and shows its display. A spice+unix:// URI\n"
            "names a unix socket (everything after the scheme is its path, as\n"
            "remote-viewer reads it); give its password with --password-file.\n"
            "\n"
            "  --headless            no window: run for --duration, then stop\n"
            "  --duration SECONDS    how long to run (default 5 headless; forever with a window)\n"
            "  --settle SECONDS      headless: after --duration, go on until no pixel has\n"
            "                        changed for SECONDS (at most 60 s more), so that a\n"
            "                        snapshot of a still server holds all it sent\n"
            "  --snapshot FILE.png   at the end, save the display (no cursor) as PNG; with\n"
            "                        several monitors, monitor 0 goes to FILE.png and\n"
            "                        monitor K to FILE-K.png\n"
            "  --type TEXT           once the display is up, type TEXT on a US keyboard\n"
            "                        (\\n = Enter; an ESC character = Escape)\n"
            "  --type-delay SECONDS  wait this long after the display is up before typing\n"
            "                        (default 0.5)\n"
            "  --measure-latency N   headless: once the display is up, N times wait for a\n"
            "                        still picture, press a key (a to h in turn) and time\n"
            "                        until a pixel changes; then print the times and stop\n"
            "  --guest-size WxH[,WxH...]\n"
            "                        ask the guest for monitors of these sizes, placed\n"
            "                        left to right (its display driver or agent takes\n"
            "                        them as the preferred modes)\n"
            "  --pointer STEPS       headless: once the display is up (after --type-delay),\n"
            "                        send the pointer steps, separated by commas: rel DX DY\n"
            "                        (a relative move, sent in server mouse mode), abs X Y\n"
            "                        (a position, sent in client mode), press N, release N\n"
            "                        (1 left, 2 middle, 3 right, 4/5 wheel up/down); a move\n"
            "                        waits for its mode; each step sent is printed on stderr\n"
            "  --no-clipboard        share no clipboard with the guest's agent\n"
            "  --no-file-transfer    send the guest no files (dropping one on the window\n"
            "                        does nothing)\n"
            "  --no-guest-resize     with a window: do not ask the guest for the window's\n"
            "                        size when it is resized (by default the guest's\n"
            "                        display follows the window, through its agent or\n"
            "                        display driver)\n"
            "  --clipboard-set TEXT  put TEXT on the guest's clipboard (as if copied here)\n"
            "  --clipboard-out FILE  write the guest's clipboard text to FILE each time new\n"
            "                        text comes (written whole, through FILE.part)\n"
            "  --send-file FILE      send FILE to the guest's agent once it is ready (files\n"
            "                        dropped on a window are sent too); progress lines\n"
            "                        \"file_xfer name= sent= size= state=\" go to stdout;\n"
            "                        headless, the viewer stops when it is done (exit 0)\n"
            "                        or failed (exit 1)\n"
            "  --password-file FILE  read the password from the first line of FILE\n"
            "  --preferred-compression MODE\n"
            "                        image compression to ask of the server: off, auto_glz,\n"
            "                        auto_lz, quic, glz, lz, lz4, or server (the default:\n"
            "                        ask nothing, the server's own setting)\n"
            "  --help                this text\n"
            "\n"
            "Headless runs print one line at the end:\n"
            "  frames=N bytes=N fps=N size=WxH [streams=N stream_draws=N stream_fps=N\n"
            "  stream_reordered=N stream_drops=N stream_late=N]\n"
            "and with several monitors one line for each, starting monitor=K (from 0).\n"
            "frames counts canvas updates: bursts of drawing on the primary surface,\n"
            "a burst ending when no display data came for 8 ms; bytes counts every byte\n"
            "received on every channel; fps is frames per second of the run; size is\n"
            "the primary surface; stream_draws counts video frames drawn (each at its\n"
            "time on the server's clock), stream_fps is their rate from the first to the\n"
            "last, stream_reordered the frames stamped no later than the one before\n"
            "them, stream_drops the frames not drawn and stream_late those of them that\n"
            "came or fell late. With a window, each monitor (display\n"
            "channel) gets a window of its own. --measure-latency first prints\n"
            "  latency_ms min=N median=N max=N n=N\n"
            "(milliseconds from sending a key to the first changed pixel on the canvas,\n"
            "n the samples taken); it exits with 1 if fewer than N were taken (the key\n"
            "changed nothing within 10 s, the session ended or --duration passed).\n"
            "Set FLOE_LOG=debug for protocol logs. Without DISPLAY or WAYLAND_DISPLAY,\n"
            "or when SDL cannot open a window, the viewer runs headless.\n");
}

static int die(int code, const char *fmt, const char *arg)
{
    fprintf(stderr, PROG ": ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    return code;
}

static int read_password_file(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");

    if (!f)
        return -errno;
    if (!fgets(buf, (int)len, f))
        buf[0] = 0;
    fclose(f);
    buf[strcspn(buf, "\r\n")] = 0;
    return 0;
}

static int parse_seconds(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);

    if (end == s || *end || !(v >= 0 && v <= 1e7)) /* NaN fails too */
        return -1;
    *out = v;
    return 0;
}

/* --guest-size: monitors side by side, left to right. */
static int parse_sizes(const char *s, struct viewer_options *o)
{
    int n = 0, x = 0;

    while (*s) {
        char *end;
        long w = strtol(s, &end, 10), h;
        if (end == s || *end != 'x' || w < 1 || w > 16384 || n == FLOE_CLIENT_MAX_ASKED)
            return -1;
        s = end + 1;
        h = strtol(s, &end, 10);
        if (end == s || (*end && *end != ',') || h < 1 || h > 16384)
            return -1;
        o->guest_size[n++] = (struct floe_client_monitor){ x, 0, (int)w, (int)h };
        x += (int)w;
        s = *end ? end + 1 : end;
        if (*end && !*s)
            return -1;
    }
    o->guest_monitors = n;
    return n > 0 ? 0 : -1;
}

/* SPICE image_compression value of a mode name; -1 for "server", 0 if unknown. */
static int parse_compression(const char *s)
{
    static const char *names[] = { "off", "auto_glz", "auto_lz", "quic", "glz", "lz", "lz4" };

    if (strcmp(s, "server") == 0)
        return -1;
    for (int i = 0; i < 7; i++)
        if (strcmp(s, names[i]) == 0)
            return i + 1;
    return 0;
}

/* 0 ok, 1 exit 0 (help), 2 bad arguments (already reported). */
static int parse_args(int argc, char **argv, struct viewer_options *o)
{
    static const struct option longs[] = {
        { "help", no_argument, NULL, 'h' },
        { "headless", no_argument, NULL, 'H' },
        { "duration", required_argument, NULL, 'd' },
        { "settle", required_argument, NULL, 'S' },
        { "snapshot", required_argument, NULL, 's' },
        { "type", required_argument, NULL, 't' },
        { "type-delay", required_argument, NULL, 'D' },
        { "password-file", required_argument, NULL, 'p' },
        { "preferred-compression", required_argument, NULL, 'c' },
        { "measure-latency", required_argument, NULL, 'm' },
        { "guest-size", required_argument, NULL, 'g' },
        { "pointer", required_argument, NULL, 'P' },
        { "no-clipboard", no_argument, NULL, 'n' },
        { "no-file-transfer", no_argument, NULL, 'N' },
        { "no-guest-resize", no_argument, NULL, 'R' },
        { "clipboard-set", required_argument, NULL, 'C' },
        { "clipboard-out", required_argument, NULL, 'O' },
        { "send-file", required_argument, NULL, 'F' },
        { 0 },
    };
    double delay;
    char *end;
    long n;
    int opt;

    memset(o, 0, sizeof(*o));
    o->duration = -1;
    o->type_delay_ms = 500;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (opt) {
        case 'h': usage(stdout); return 1;
        case 'H': o->headless = 1; break;
        case 's': o->snapshot = optarg; break;
        case 't': o->type_text = optarg; break;
        case 'p': o->password_file = optarg; break;
        case 'n': o->no_clipboard = 1; break;
        case 'N': o->no_file_transfer = 1; break;
        case 'R': o->no_guest_resize = 1; break;
        case 'C': o->clipboard_set = optarg; break;
        case 'O': o->clipboard_out = optarg; break;
        case 'F': o->send_file = optarg; break;
        case 'P':
            if (viewer_pointer_parse(&(struct viewer_pointer){ 0 }, optarg))
                return die(2, "bad --pointer: %s (see --help)", optarg);
            o->pointer = optarg;
            o->headless = 1;
            break;
        case 'c':
            o->preferred_compression = parse_compression(optarg);
            if (!o->preferred_compression)
                return die(2, "bad --preferred-compression: %s (see --help)", optarg);
            break;
        case 'm':
            n = strtol(optarg, &end, 10);
            if (end == optarg || *end || n < 1 || n > 100000)
                return die(2, "bad --measure-latency: %s (1 to 100000 keys)", optarg);
            o->measure_latency = (int)n;
            o->headless = 1;
            break;
        case 'g':
            if (parse_sizes(optarg, o))
                return die(2, "bad --guest-size: %s (WxH[,WxH...], 1 to 16 monitors of "
                              "at most 16384x16384)", optarg);
            break;
        case 'd':
            if (parse_seconds(optarg, &o->duration))
                return die(2, "bad --duration: %s", optarg);
            break;
        case 'S':
            if (parse_seconds(optarg, &o->settle))
                return die(2, "bad --settle: %s", optarg);
            break;
        case 'D':
            if (parse_seconds(optarg, &delay))
                return die(2, "bad --type-delay: %s", optarg);
            o->type_delay_ms = (int64_t)(delay * 1000);
            break;
        default:
            return die(2, "unknown or incomplete option: %s (see --help)", argv[optind - 1]);
        }
    }
    if (o->no_clipboard && (o->clipboard_set || o->clipboard_out))
        return die(2, "%s", "--no-clipboard with --clipboard-set or --clipboard-out");
    if (o->no_file_transfer && o->send_file)
        return die(2, "%s", "--no-file-transfer with --send-file");
    if (optind != argc - 1)
        return die(2, "%s", optind >= argc ? "missing spice:// or spice+unix:// URI (see --help)"
                                           : "more than one URI given (see --help)");
    o->uri = argv[optind];
    return 0;
}

static volatile sig_atomic_t interrupted;

/* The latency probe's stop_fn. */
static int stop_requested(void)
{
    return interrupted;
}

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* 1 when any monitor's canvas changed since the last look. */
static int canvas_changed(struct floe_client *c)
{
    struct floe_client_canvas cv;
    int changed = 0, n = floe_client_monitors(c);

    for (int k = 0; k < (n > 0 ? n : 1); k++) {
        if (floe_client_canvas_lock_monitor(c, k, &cv) == 0 && cv.damage_w > 0)
            changed = 1;
        floe_client_canvas_unlock(c);
    }
    return changed;
}

/* --settle: waits until no pixel changed for `settle` seconds, at most 60 s. */
static void settle_picture(struct floe_client *c, double settle)
{
    int64_t still_ms = (int64_t)(settle * 1000), give_up = viewer_now_ms() + 60000;
    int64_t last_change = viewer_now_ms();

    canvas_changed(c);
    while (!interrupted && floe_client_is_connected(c) && viewer_now_ms() < give_up) {
        if (canvas_changed(c))
            last_change = viewer_now_ms();
        else if (viewer_now_ms() - last_change >= still_ms)
            return;
        usleep(50 * 1000);
    }
    if (viewer_now_ms() >= give_up)
        fprintf(stderr, PROG ": the picture was still changing after --settle's 60 s\n");
}

/* 0 when the duration passed (or SIGINT/SIGTERM came), -1 when the session
 * ended first, -2 when --measure-latency took fewer samples than asked. */
static int run_headless(struct floe_client *c, const struct viewer_options *o,
                        struct viewer_typer *t, struct viewer_pointer *p,
                        struct viewer_share *sh)
{
    int64_t end;

    if (o->measure_latency) { /* no default duration: it ends when done */
        end = o->duration < 0 ? INT64_MAX : viewer_now_ms() + (int64_t)(o->duration * 1000);
        return viewer_measure_latency(c, o->measure_latency, end, stop_requested) ? -2 : 0;
    }
    end = viewer_now_ms() + (int64_t)((o->duration < 0 ? 5 : o->duration) * 1000);
    for (;;) {
        int64_t now = viewer_now_ms();
        int wait;

        if (!floe_client_is_connected(c))
            return -1;
        if (now >= end || interrupted || (sh->send_file && sh->file_ended)) {
            if (o->settle > 0 && !interrupted)
                settle_picture(c, o->settle);
            viewer_share_step(sh, c, viewer_now_ms());
            return 0;
        }
        wait = viewer_typer_step(t, c, now);
        {
            int sw = viewer_share_step(sh, c, now);

            if (sw >= 0 && (wait < 0 || sw < wait))
                wait = sw;
        }
        if (p->n) {
            int pw = viewer_pointer_step(p, c, now);

            if (pw >= 0 && (wait < 0 || pw < wait))
                wait = pw;
        }
        if (wait < 0 || wait > 20)
            wait = 20;
        if (wait > end - now)
            wait = (int)(end - now);
        if (wait > 0)
            usleep((useconds_t)wait * 1000);
    }
}

/* One line; with several monitors one for each, naming it. */
static void print_summary(struct floe_client *c, int64_t elapsed_ms)
{
    struct floe_client_stats st;
    /* a run too short to rate reports no rate rather than a huge one */
    double secs = elapsed_ms >= 100 ? elapsed_ms / 1000.0 : 0;
    int n = floe_client_monitors(c);

    for (int k = 0; k < (n > 1 ? n : 1); k++) {
        floe_client_get_monitor_stats(c, k, &st);
        if (n > 1)
            printf("monitor=%d ", k);
        printf("frames=%llu bytes=%llu fps=%.1f size=%dx%d", (unsigned long long)st.frames,
               (unsigned long long)st.bytes_in, secs > 0 ? st.frames / secs : 0.0, st.width, st.height);
        if (st.streams)
            printf(" streams=%llu stream_draws=%llu stream_fps=%.1f stream_reordered=%llu"
                   " stream_drops=%llu stream_late=%llu",
                   (unsigned long long)st.streams, (unsigned long long)st.stream_frames,
                   st.stream_span_ms && st.stream_frames > 1
                       ? (st.stream_frames - 1) * 1000.0 / st.stream_span_ms : 0.0,
                   (unsigned long long)st.stream_reordered, (unsigned long long)st.stream_drops,
                   (unsigned long long)st.stream_late);
        printf("\n");
    }
    fflush(stdout);
}

/* Monitor k's snapshot file: FILE.png for 0, FILE-k.png for the others. */
static void snapshot_path(const char *path, int k, char *out, size_t len)
{
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');

    if (k == 0)
        snprintf(out, len, "%s", path);
    else if (!dot || (slash && dot < slash) || dot == path || dot[-1] == '/')
        snprintf(out, len, "%s-%d", path, k);
    else
        snprintf(out, len, "%.*s-%d%s", (int)(dot - path), path, k, dot);
}

/* Writes every monitor's snapshot; the exit status (0, or 1 when one failed). */
static int save_snapshots(struct floe_client *c, const char *path)
{
    int n = floe_client_monitors(c), status = 0;
    char file[4200];

    for (int k = 0; k < (n > 1 ? n : 1); k++) {
        int rc;

        snapshot_path(path, k, file, sizeof(file));
        rc = floe_client_save_png_monitor(c, k, file);
        if (rc == -ENOENT)
            status = die(1, "no display surface received, no snapshot written to %s", file);
        else if (rc)
            status = die(1, "cannot write snapshot %s", file);
    }
    return status;
}

static int want_window(struct viewer_options *o)
{
    if (o->headless)
        return 0;
    if (!getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY")) {
        fprintf(stderr, PROG ": no display available (DISPLAY and WAYLAND_DISPLAY unset), "
                        "running headless\n");
        return 0;
    }
    if (viewer_sdl_init()) {
        fprintf(stderr, PROG ": cannot open a window, running headless\n");
        return 0;
    }
    return 1;
}

static int session(struct floe_client *c, struct viewer_options *o, int window)
{
    struct viewer_typer typer = { .text = o->type_text, .delay_ms = o->type_delay_ms };
    struct viewer_pointer pointer = { .delay_ms = o->type_delay_ms };
    struct viewer_share share = { .clip_set = o->clipboard_set, .clip_out = o->clipboard_out,
                                  .send_file = o->send_file, .last_state = -1 };
    char err[256];
    int64_t start = viewer_now_ms();
    int rc, status = 0;

    if (floe_client_start(c))
        return die(1, "%s", "cannot start the network thread");
    if (o->pointer)
        viewer_pointer_parse(&pointer, o->pointer);
    rc = window ? viewer_sdl_run(c, o, &typer, &share)
                : run_headless(c, o, &typer, &pointer, &share);
    floe_client_stop(c);
    if (pointer.pos < pointer.n) {
        fprintf(stderr, PROG ": --pointer: %d of %d steps not sent (the mouse mode they "
                        "need did not come)\n", pointer.n - pointer.pos, pointer.n);
        status = 1;
    }
    if (o->send_file && share.file_ended != 1) {
        fprintf(stderr, PROG ": --send-file: %s was not sent whole\n", o->send_file);
        status = 1;
    }
    if (rc == -2)
        status = die(1, "%s", "--measure-latency: fewer samples than asked (see --help)");
    else if (rc < 0) {
        floe_client_get_error(c, err, sizeof(err));
        status = die(1, "disconnected: %s", err[0] ? err : "the server closed the session");
    }
    if (o->snapshot && save_snapshots(c, o->snapshot))
        status = 1;
    if (!window)
        print_summary(c, viewer_now_ms() - start);
    return status;
}

int main(int argc, char **argv)
{
    struct viewer_options o;
    struct floe_client_uri uri;
    struct floe_client_options co = { 0 };
    struct floe_client *c;
    char err[256], pw[128];
    int window, status;

    floe_log_set_prefix(PROG);
    status = parse_args(argc, argv, &o);
    if (status)
        return status == 1 ? 0 : 2;
    if (floe_client_parse_uri(o.uri, &uri, err, sizeof(err)))
        return die(2, "bad URI: %s", err);
    co.host = uri.host;
    co.port = uri.port;
    co.unix_path = uri.unix_path[0] ? uri.unix_path : NULL;
    co.password = uri.has_password ? uri.password : NULL;
    co.preferred_compression = o.preferred_compression;
    co.no_clipboard = o.no_clipboard;
    co.no_file_transfer = o.no_file_transfer;
    if (o.password_file) {
        if (read_password_file(o.password_file, pw, sizeof(pw)))
            return die(2, "cannot read password file %s", o.password_file);
        co.password = pw;
    }
    window = want_window(&o);
    if (!window) {
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
    }
    co.event_fn = window ? viewer_sdl_event : NULL;
    c = floe_client_new(&co);
    if (!c)
        return die(1, "%s", "out of memory");
    if (o.guest_monitors)
        floe_client_ask_monitors(c, o.guest_monitors, o.guest_size);
    if (floe_client_connect(c, err, sizeof(err))) {
        floe_client_free(c);
        if (window)
            viewer_sdl_quit();
        return die(1, "%s", err);
    }
    status = session(c, &o, window);
    floe_client_free(c);
    if (window)
        viewer_sdl_quit();
    return status;
}
