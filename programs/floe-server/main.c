/* floe-server: serves the built-in demo desktop (the default source) or a
 * QEMU VM (--vm) to SPICE clients, with an optional control socket. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "floe/server.h"
#include "common/log.h"
#include "programs/floe-server/control.h"
#include "demo/demo.h"
#include "vmhost/vm.h"

struct app {
    uv_loop_t *loop;
    struct floe_server *srv;
    struct floe_demo *demo;
    struct floe_vm *vm;
    struct floe_control *ctl;
    uv_signal_t sigint, sigterm;
    int stopping, started;
    int pointer_monitor;      /* the monitor the pointer was last on */
};

static void usage(FILE *f)
{
    fprintf(f,
"usage: floe-server [OPTIONS]\n"
"       floe-server control PATH COMMAND [ARG...]\n"
"Serves the built-in demo desktop, or a QEMU VM, over SPICE 2.2. The second\n"
"form sends one command to a running server's control socket, prints the\n"
"reply and exits with 0 for ok, 1 for an error reply, 2 when it cannot ask.\n\n"
"  --listen HOST:PORT      address to listen on (default 127.0.0.1:5930; port 0 picks one)\n"
"  --listen unix:PATH      listen on a unix socket at PATH instead, owner-only (mode\n"
"                          0600); a stale socket there is replaced, a live one or any\n"
"                          other file refused, and the socket removed at the end\n"
"  --password-file FILE    clients must give this password; FILE holds it on its\n"
"                          first line, and optionally a line expires=WHEN (seconds\n"
"                          since the epoch or YYYY-MM-DDTHH:MM:SSZ)\n"
"  --disable-ticketing     accept clients without a password\n"
"  --size WxH              demo desktop size (default 1920x1080)\n"
"  --seed N                demo desktop seed (default 1)\n"
"  --fps N                 demo animation rate (default 30)\n"
"  --monitors N            demo monitors, 1 to 4 (default 1): each is a display\n"
"                          channel of its own (remote-viewer opens a window for\n"
"                          each); monitor 0 is the desktop, the others show\n"
"                          \"Monitor N\" on the wallpaper in another hue\n"
"  --demo-video MODE       full|window|off (default off): the demo plays a video, a\n"
"                          camera moving over a photographic scene at 30 frames per\n"
"                          second, over the whole screen or in a window above the\n"
"                          desktop; it follows the seed and stops with freeze\n"
"  --name NAME             name shown by clients (default floe demo, floe vm)\n"
"  --vm CONFIG             run the QEMU VM that CONFIG describes and serve its\n"
"                          display instead of the demo (see vmhost/README.md); with\n"
"                          display = qxl in CONFIG, QEMU serves SPICE itself with\n"
"                          floe's library at the --listen address (a unix socket\n"
"                          too: it exists while QEMU runs), with these ticket and\n"
"                          compression options\n"
"  --image-compression MODE  off|auto_glz|auto_lz|quic|glz|lz|lz4 (default auto_glz);\n"
"                          a client's preferred compression overrides it\n"
"  --jpeg-wan-compression WHEN  auto|never|always: JPEG instead of QUIC for\n"
"                          photographs (default auto: only on a slow link)\n"
"  --zlib-glz-wan-compression WHEN  auto|never|always: zlib around GLZ\n"
"                          (default auto: only on a slow link)\n"
"  --jpeg-quality N        1..100 (default 85)\n"
"  --streaming-video MODE  filter|all|off: which areas redrawn at video rate go\n"
"                          as MJPEG video streams: those that look photographic\n"
"                          (default filter), all, or none\n"
"  --control PATH          control socket (commands: snapshot FILE.png [MONITOR], freeze,\n"
"                          thaw, clients, stats, typed (the notes' text, pasted\n"
"                          clipboards too), clip-set TEXT (the demo's clipboard),\n"
"                          quit, help; with --vm also\n"
"                          vm-status, vm-start, vm-stop, vm-pause, vm-resume, vm-reset,\n"
"                          vm-hibernate, vm-restore, vm-cdrom, vm-snapshot,\n"
"                          vm-snapshot-load, vm-screendump)\n"
"  -h, --help              this text\n\n"
"On start it prints one line: 'floe-server: listening on spice://HOST:PORT', or\n"
"with a unix socket 'floe-server: listening on spice+unix:///PATH'.\n"
"FLOE_LOG=error|warn|info|debug sets the log level.\n");
}

#define CONTROL_REPLY_MS 30000

/* floe-server control PATH COMMAND [ARG...]: one command, its reply. */
static int control_client(int argc, char **argv)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char line[4096], buf[4096];
    size_t len = 0, at = 0;
    int fd, rc = -1;

    if (argc < 2) {
        fprintf(stderr, "floe-server: usage: floe-server control PATH COMMAND [ARG...]\n");
        return 2;
    }
    if (strlen(argv[0]) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "floe-server: control socket path too long: %s\n", argv[0]);
        return 2;
    }
    strcpy(sa.sun_path, argv[0]);
    for (int i = 1; i < argc; i++) {
        size_t n = strlen(argv[i]);

        if (strchr(argv[i], '\n') || len + n + 2 > sizeof(line)) {
            fprintf(stderr, "floe-server: the command must be one line under 4 KiB\n");
            return 2;
        }
        if (i > 1)
            line[len++] = ' ';
        memcpy(line + len, argv[i], n);
        len += n;
    }
    line[len++] = '\n';
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        fprintf(stderr, "floe-server: cannot connect to %s: %s\n", argv[0], strerror(errno));
        if (fd >= 0)
            close(fd);
        return 2;
    }
    if (write(fd, line, len) != (ssize_t)len) {
        fprintf(stderr, "floe-server: cannot send to %s: %s\n", argv[0], strerror(errno));
        close(fd);
        return 2;
    }
    /* reply lines until one that is "ok" or starts "error:" */
    len = 0;
    while (rc < 0) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        char *nl = memchr(buf + at, '\n', len - at);
        ssize_t n;

        if (nl) {
            *nl = 0;
            if (!strcmp(buf + at, "ok")) {
                rc = 0;
            } else if (!strncmp(buf + at, "error:", 6)) {
                fprintf(stderr, "floe-server: %s\n", buf + at);
                rc = 1;
            } else {
                printf("%s\n", buf + at);
            }
            at = (size_t)(nl - buf) + 1;
            continue;
        }
        memmove(buf, buf + at, len - at);
        len -= at;
        at = 0;
        if (len == sizeof(buf)) {
            fprintf(stderr, "floe-server: a reply line over %zu bytes\n", sizeof(buf));
            rc = 2;
        } else if (poll(&p, 1, CONTROL_REPLY_MS) <= 0) {
            fprintf(stderr, "floe-server: no reply from %s within %d s\n", argv[0],
                    CONTROL_REPLY_MS / 1000);
            rc = 2;
        } else if ((n = read(fd, buf + len, sizeof(buf) - len)) <= 0) {
            fprintf(stderr, "floe-server: %s closed before its reply ended\n", argv[0]);
            rc = 2;
        } else {
            len += (size_t)n;
        }
    }
    close(fd);
    return rc;
}

static void close_walk(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void app_stop(void *opaque)
{
    struct app *a = opaque;

    if (a->stopping)
        return;
    a->stopping = 1;
    if (a->started)
        floe_info("shutting down");
    if (a->demo)
        floe_demo_free(a->demo);
    a->demo = NULL;
    floe_vm_free(a->vm);
    a->vm = NULL;
    floe_control_free(a->ctl);
    a->ctl = NULL;
    if (a->srv)
        floe_server_close(a->srv);
    uv_close((uv_handle_t *)&a->sigint, NULL);
    uv_close((uv_handle_t *)&a->sigterm, NULL);
}

static void on_signal(uv_signal_t *sig, int signum)
{
    app_stop(sig->data);
}

static void on_key(void *opaque, uint32_t sc, int down)
{
    struct app *a = opaque;

    if (a->demo)
        floe_demo_key(a->demo, sc, down);
}

static void on_pointer(void *opaque, int x, int y, uint32_t buttons)
{
    struct app *a = opaque;

    if (a->demo)
        floe_demo_pointer(a->demo, x, y, buttons);
}

/* The demo follows the pointer on monitor 0; a move to another monitor is
 * logged (the other monitors do not follow it). */
static void on_pointer_monitor(void *opaque, int monitor, int x, int y, uint32_t buttons)
{
    struct app *a = opaque;

    if (monitor != a->pointer_monitor)
        floe_info("pointer on monitor %d at %d,%d", monitor, x, y);
    a->pointer_monitor = monitor;
    if (monitor == 0)
        on_pointer(opaque, x, y, buttons);
}

static void on_locks(void *opaque, uint32_t locks)
{
    struct app *a = opaque;

    if (a->demo)
        floe_demo_locks(a->demo, locks);
}

static void on_freeze(void *opaque, int frozen)
{
    struct app *a = opaque;

    if (a->demo)
        floe_demo_freeze(a->demo, frozen);
}

static const char *on_typed(void *opaque)
{
    struct app *a = opaque;

    return a->demo ? floe_demo_typed_text(a->demo) : "";
}

/* vm-screendump FILE.png [MONITOR] */
static int screendump(struct floe_vm *vm, const char *arg, char *out, size_t len)
{
    char file[1024];
    const char *sp = strrchr(arg, ' ');
    long monitor = 0;

    snprintf(file, sizeof(file), "%s", arg);
    if (sp && sp[1] && strspn(sp + 1, "0123456789") == strlen(sp + 1)) {
        monitor = strtol(sp + 1, NULL, 10);
        file[sp - arg] = 0;
    }
    if (!file[0]) {
        snprintf(out, len, "usage: vm-screendump FILE.png [MONITOR]");
        return -1;
    }
    return floe_vm_screendump(vm, file, monitor > 99 ? 99 : (int)monitor, out, len);
}

/* The vm-* control commands, and the demo's clip-set TEXT (its clipboard). */
static int on_command(void *opaque, const char *cmd, const char *arg, char *out, size_t len)
{
    struct app *a = opaque;
    int rc;

    if (!strcmp(cmd, "clip-set") && a->demo) {
        rc = floe_demo_clipboard_set(a->demo, arg);
        if (rc < 0)
            snprintf(out, len, "clip-set: %s", strerror(-rc));
        return rc < 0 ? -1 : 0;
    }
    if (strncmp(cmd, "vm-", 3) != 0)
        return 1;
    if (!a->vm) {
        snprintf(out, len, "no VM (start floe-server with --vm CONFIG)");
        return -1;
    }
    if (!strcmp(cmd, "vm-status")) {
        floe_vm_status(a->vm, out, len);
        return 0;
    }
    if (!strcmp(cmd, "vm-start"))
        return floe_vm_start(a->vm, out, len) < 0 ? -1 : 0;
    if (!strcmp(cmd, "vm-hibernate"))
        return floe_vm_hibernate(a->vm, arg, out, len);
    if (!strcmp(cmd, "vm-restore"))
        return floe_vm_restore(a->vm, arg, out, len);
    if (!strcmp(cmd, "vm-cdrom"))
        return floe_vm_cdrom(a->vm, strcmp(arg, "eject") ? arg : NULL, out, len);
    if (!strcmp(cmd, "vm-snapshot"))
        return floe_vm_snapshot_save(a->vm, arg, out, len);
    if (!strcmp(cmd, "vm-snapshot-load"))
        return floe_vm_snapshot_load(a->vm, arg, out, len);
    if (!strcmp(cmd, "vm-screendump"))
        return screendump(a->vm, arg, out, len);
    if (!strcmp(cmd, "vm-stop"))
        rc = floe_vm_stop(a->vm);
    else if (!strcmp(cmd, "vm-pause"))
        rc = floe_vm_pause(a->vm);
    else if (!strcmp(cmd, "vm-resume"))
        rc = floe_vm_resume(a->vm);
    else if (!strcmp(cmd, "vm-reset"))
        rc = floe_vm_reset(a->vm);
    else
        return 1;
    if (rc == -ENOTCONN)
        snprintf(out, len, "QEMU is not running or not ready");
    else if (rc < 0)
        snprintf(out, len, "%s", strerror(-rc));
    return rc < 0 ? -1 : 0;
}

struct args {
    char host[256];
    int port;
    char unix_path[108];      /* --listen unix:PATH, made absolute; "" for TCP */
    const char *password_file, *control, *name, *vm;
    /* the compression options as given, for a QEMU that serves SPICE itself */
    const char *image_compression_name, *jpeg_wan_name, *zlib_glz_wan_name;
    const char *streaming_video_name;
    enum floe_stream_video streaming_video;
    int disable_ticketing, demo_option;
    int image_compression, jpeg_wan, zlib_glz_wan, jpeg_quality;
    struct floe_demo_options demo;
    struct floe_vm_config vm_config;
};

static int parse_hostport(const char *v, struct args *ar)
{
    const char *colon = strrchr(v, ':');
    char *end;
    long port;

    if (!colon || colon == v || (size_t)(colon - v) >= sizeof(ar->host))
        return -1;
    port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535 || colon[1] == 0)
        return -1;
    memcpy(ar->host, v, (size_t)(colon - v));
    ar->host[colon - v] = 0;
    if (ar->host[0] == '[') { /* [::1]:port */
        size_t n = strlen(ar->host);

        if (ar->host[n - 1] != ']')
            return -1;
        memmove(ar->host, ar->host + 1, n - 2);
        ar->host[n - 2] = 0;
    }
    ar->port = (int)port;
    return 0;
}

static int bad_arg(const char *opt, const char *v)
{
    fprintf(stderr, "floe-server: bad value for %s: '%s' (see --help)\n", opt, v);
    return -1;
}

/* unix:PATH, relative to the current folder unless absolute (clients and
 * QEMU need the absolute path). */
static int parse_unix_path(const char *v, struct args *ar)
{
    char cwd[4096];
    int n;

    if (!*v)
        return -1;
    if (v[0] == '/')
        n = snprintf(ar->unix_path, sizeof(ar->unix_path), "%s", v);
    else if (getcwd(cwd, sizeof(cwd)))
        n = snprintf(ar->unix_path, sizeof(ar->unix_path), "%s/%s", cwd, v);
    else
        return -1;
    return n < 0 || (size_t)n >= sizeof(ar->unix_path) ? -1 : 0;
}

/* --listen HOST:PORT or unix:PATH; the last one given counts. */
static int parse_listen(const char *v, struct args *ar)
{
    if (!strncmp(v, "unix:", 5)) {
        if (parse_unix_path(v + 5, ar) < 0) {
            fprintf(stderr, "floe-server: bad value for --listen: '%s' (a unix socket's "
                            "absolute path must be 1..%zu bytes)\n", v, sizeof(ar->unix_path) - 1);
            return -1;
        }
        return 0;
    }
    ar->unix_path[0] = 0;
    return parse_hostport(v, ar) < 0 ? bad_arg("--listen", v) : 0;
}

static int parse_long(const char *v, long lo, long hi, long *out)
{
    char *end;

    *out = strtol(v, &end, 10);
    return *v && !*end && *out >= lo && *out <= hi ? 0 : -1;
}

static int parse_video(const char *v, enum floe_demo_video_mode *out)
{
    static const char *const names[] = { "off", "full", "window" };

    for (int i = 0; i < 3; i++)
        if (!strcmp(v, names[i])) {
            *out = (enum floe_demo_video_mode)i;
            return 0;
        }
    return -1;
}

static int parse_args(int argc, char **argv, struct args *ar)
{
    char err[512];
    static const struct option opts[] = {
        { "listen", 1, 0, 'l' }, { "password-file", 1, 0, 'p' },
        { "disable-ticketing", 0, 0, 'D' }, { "size", 1, 0, 's' }, { "seed", 1, 0, 'S' },
        { "fps", 1, 0, 'f' }, { "name", 1, 0, 'n' }, { "control", 1, 0, 'c' },
        { "image-compression", 1, 0, 'i' }, { "jpeg-wan-compression", 1, 0, 'j' },
        { "zlib-glz-wan-compression", 1, 0, 'z' }, { "jpeg-quality", 1, 0, 'q' },
        { "vm", 1, 0, 'v' }, { "monitors", 1, 0, 'M' }, { "demo-video", 1, 0, 'V' },
        { "streaming-video", 1, 0, 'm' },
        { "help", 0, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    long v;
    int o;

    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'l': if (parse_listen(optarg, ar)) return -1; break;
        case 'p': ar->password_file = optarg; break;
        case 'D': ar->disable_ticketing = 1; break;
        case 'v': ar->vm = optarg; break;
        case 's':
            ar->demo_option = 1;
            if (sscanf(optarg, "%dx%d", &ar->demo.width, &ar->demo.height) != 2 ||
                ar->demo.width < 320 || ar->demo.height < 200 || ar->demo.width > 8192 ||
                ar->demo.height > 8192)
                return bad_arg("--size (320x200 .. 8192x8192)", optarg);
            break;
        case 'S': ar->demo_option = 1;
                  if (parse_long(optarg, 0, 0xffffffffL, &v)) return bad_arg("--seed", optarg);
                  ar->demo.seed = (uint32_t)v; break;
        case 'f': ar->demo_option = 1;
                  if (parse_long(optarg, 1, 240, &v)) return bad_arg("--fps", optarg);
                  ar->demo.fps = (int)v; break;
        case 'M': ar->demo_option = 1;
                  if (parse_long(optarg, 1, FLOE_SERVER_MAX_MONITORS, &v))
                      return bad_arg("--monitors (1 to 4)", optarg);
                  ar->demo.monitors = (int)v; break;
        case 'V': ar->demo_option = 1;
                  if (parse_video(optarg, &ar->demo.video))
                      return bad_arg("--demo-video (full, window or off)", optarg);
                  break;
        case 'n': ar->name = optarg; break;
        case 'c': ar->control = optarg; break;
        case 'i': ar->image_compression_name = optarg;
                  if ((ar->image_compression = floe_image_compression_parse(optarg)) < 0)
                      return bad_arg("--image-compression", optarg);
                  break;
        case 'j': ar->jpeg_wan_name = optarg;
                  if ((ar->jpeg_wan = floe_wan_parse(optarg)) < 0)
                      return bad_arg("--jpeg-wan-compression", optarg);
                  break;
        case 'z': ar->zlib_glz_wan_name = optarg;
                  if ((ar->zlib_glz_wan = floe_wan_parse(optarg)) < 0)
                      return bad_arg("--zlib-glz-wan-compression", optarg);
                  break;
        case 'm': ar->streaming_video_name = optarg;
                  if (!strcmp(optarg, "filter"))
                      ar->streaming_video = FLOE_STREAM_VIDEO_FILTER;
                  else if (!strcmp(optarg, "all"))
                      ar->streaming_video = FLOE_STREAM_VIDEO_ALL;
                  else if (!strcmp(optarg, "off"))
                      ar->streaming_video = FLOE_STREAM_VIDEO_OFF;
                  else
                      return bad_arg("--streaming-video (filter, all or off)", optarg);
                  break;
        case 'q': if (parse_long(optarg, 1, 100, &v)) return bad_arg("--jpeg-quality", optarg);
                  ar->jpeg_quality = (int)v; break;
        case 'h': usage(stdout); exit(0);
        default: fprintf(stderr, "floe-server: see --help\n"); return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "floe-server: unexpected argument '%s' (see --help)\n", argv[optind]);
        return -1;
    }
    if (ar->vm && ar->demo_option) {
        fprintf(stderr, "floe-server: --vm excludes the demo options --size, --seed, --fps, "
                        "--monitors and --demo-video (a VM config has its own monitors key)\n");
        return -1;
    }
    if (ar->vm && floe_vm_config_load(ar->vm, &ar->vm_config, err, sizeof(err)) < 0) {
        fprintf(stderr, "floe-server: %s\n", err);
        return -1;
    }
    return 0;
}

static int check_auth(const struct args *ar)
{
    if (ar->password_file && ar->disable_ticketing) {
        fprintf(stderr, "floe-server: --password-file and --disable-ticketing exclude each other\n");
        return -1;
    }
    if (!ar->password_file && !ar->disable_ticketing) {
        fprintf(stderr, "floe-server: choose --password-file FILE or --disable-ticketing\n");
        return -1;
    }
    if (ar->password_file && floe_server_password_file_check(ar->password_file) < 0)
        return -1;
    return 0;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* A VM whose QEMU serves SPICE itself (display = qxl) does it where this
 * server would, with its tickets and compression. */
static void vm_spice_settings(struct args *ar)
{
    struct floe_vm_spice *s = &ar->vm_config.spice;

    s->host = strdup(ar->host);
    s->port = ar->port;
    s->unix_path = ar->unix_path[0] ? strdup(ar->unix_path) : NULL;
    s->disable_ticketing = ar->disable_ticketing;
    s->password_file = dup_or_null(ar->password_file);
    s->image_compression = dup_or_null(ar->image_compression_name);
    s->jpeg_wan = dup_or_null(ar->jpeg_wan_name);
    s->zlib_glz_wan = dup_or_null(ar->zlib_glz_wan_name);
    s->streaming_video = dup_or_null(ar->streaming_video_name);
}

/* floe's own server on a unix socket, owner-only: the socket file takes its
 * mode from the umask as it is bound, so the umask is narrowed for that call
 * (nothing else runs yet; a chmod afterwards would leave a moment when the
 * socket is open to others). */
static int listen_unix(struct app *a, const char *path)
{
    mode_t old = umask(0177);
    int rc = floe_server_listen_unix(a->srv, path);

    umask(old);
    if (rc < 0) {
        fprintf(stderr, "floe-server: cannot listen on unix:%s: %s\n", path,
                floe_server_unix_path_error(rc));
        return -1;
    }
    return 0;
}

/* Clients connect to floe's server, or to the VM's QEMU (display = qxl):
 * where, as a URI into uri. 0 or -1. */
static int app_listen(struct app *a, struct args *ar, char *uri, size_t len)
{
    int port = 0, rc, v6 = strchr(ar->host, ':') != NULL;

    if (a->vm && floe_vm_spice_uri(a->vm, uri, len) == 0)
        return 0;
    if (ar->unix_path[0]) {
        snprintf(uri, len, "spice+unix://%s", ar->unix_path);
        return listen_unix(a, ar->unix_path);
    }
    rc = floe_server_listen(a->srv, ar->host, ar->port, &port);
    if (rc < 0) {
        fprintf(stderr, "floe-server: cannot listen on %s:%d: %s\n", ar->host, ar->port,
                rc == -EINVAL ? "bad address" : uv_strerror(rc));
        return -1;
    }
    snprintf(uri, len, "spice://%s%s%s:%d", v6 ? "[" : "", ar->host, v6 ? "]" : "", port);
    return 0;
}

static int app_start(struct app *a, struct args *ar)
{
    struct floe_server_options so = { .name = ar->name ? ar->name
                                                        : ar->vm ? "floe vm" : "floe demo",
                                      .disable_ticketing = ar->disable_ticketing,
                                      .password_file = ar->password_file,
                                      .image_compression =
                                          (enum floe_image_compression)ar->image_compression,
                                      .jpeg_wan = (enum floe_wan)ar->jpeg_wan,
                                      .zlib_glz_wan = (enum floe_wan)ar->zlib_glz_wan,
                                      .jpeg_quality = ar->jpeg_quality,
                                      .monitors = ar->vm ? ar->vm_config.monitors
                                                         : ar->demo.monitors };
    struct floe_input_sink sink = { .key_fn = on_key, .pointer_fn = on_pointer,
                                    .locks_fn = on_locks, .opaque = a,
                                    .pointer_monitor_fn = on_pointer_monitor };
    struct floe_control_hooks hooks = { .freeze_fn = on_freeze, .typed_fn = on_typed,
                                        .quit_fn = app_stop, .opaque = a,
                                        .command_fn = on_command,
                                        .command_help = "clip-set TEXT" };
    char err[512], uri[512];

    for (int i = 0; i < 16; i++)
        so.uuid[i] = (uint8_t)(0xf1 + i * 7 + ar->demo.seed);
    a->srv = floe_server_new(a->loop, &so);
    if (!a->srv)
        return -1;
    floe_server_set_streaming_video(a->srv, ar->streaming_video);
    if (ar->vm) {
        vm_spice_settings(ar);
        a->vm = floe_vm_new(a->loop, a->srv, &ar->vm_config, err, sizeof(err));
        if (!a->vm) {
            fprintf(stderr, "floe-server: %s\n", err);
            return -1;
        }
        floe_vm_input_sink(a->vm, &sink);
        hooks.freeze_fn = NULL;
        hooks.typed_fn = NULL;
        hooks.command_fn = on_command;
        hooks.command_help = "vm-status | vm-start | vm-stop | vm-pause | vm-resume | vm-reset"
                             " | vm-hibernate FILE | vm-restore FILE | vm-cdrom FILE|eject"
                             " | vm-snapshot NAME | vm-snapshot-load NAME"
                             " | vm-screendump FILE.png [MONITOR]";
        if (floe_vm_spice_uri(a->vm, uri, sizeof(uri)) == 0)
            hooks.display_elsewhere = "with display = qxl clients connect to the VM's QEMU, "
                                      "which serves SPICE itself: see vm-screendump, or ask "
                                      "QEMU (QMP query-spice)";
    }
    floe_server_set_input_sink(a->srv, &sink);
    if (app_listen(a, ar, uri, sizeof(uri)) < 0)
        return -1;
    if (a->vm && floe_vm_start(a->vm, err, sizeof(err)) < 0) {
        fprintf(stderr, "floe-server: %s\n", err);
        return -1;
    }
    if (!a->vm && !(a->demo = floe_demo_new(a->loop, a->srv, &ar->demo)))
        return -1;
    if (ar->control && !(a->ctl = floe_control_new(a->loop, a->srv, ar->control, &hooks)))
        return -1;
    printf("floe-server: listening on %s\n", uri);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    struct args ar = { .host = "127.0.0.1", .port = 5930,
                       .demo = { 1920, 1080, 1, 30, 1 } };
    struct app a = { 0 };
    int rc = 1;

    floe_log_set_prefix("floe-server");
    /* a client that hangs up mid-write must not end the server (the
     * library leaves signals to its host) */
    signal(SIGPIPE, SIG_IGN);
    if (argc > 1 && !strcmp(argv[1], "control"))
        return control_client(argc - 2, argv + 2);
    if (parse_args(argc, argv, &ar) < 0 || check_auth(&ar) < 0) {
        floe_vm_config_clear(&ar.vm_config);
        return 2;
    }
    a.loop = uv_default_loop();
    uv_signal_init(a.loop, &a.sigint);
    uv_signal_init(a.loop, &a.sigterm);
    a.sigint.data = a.sigterm.data = &a;
    uv_signal_start(&a.sigint, on_signal, SIGINT);
    uv_signal_start(&a.sigterm, on_signal, SIGTERM);
    if (app_start(&a, &ar) == 0) {
        a.started = 1;
        uv_run(a.loop, UV_RUN_DEFAULT);
        rc = 0;
    } else {
        app_stop(&a);
    }
    uv_walk(a.loop, close_walk, NULL);
    uv_run(a.loop, UV_RUN_DEFAULT);
    floe_server_free(a.srv);
    uv_loop_close(a.loop);
    floe_vm_config_clear(&ar.vm_config);
    return rc;
}
