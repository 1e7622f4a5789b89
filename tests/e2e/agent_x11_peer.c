/* Plays the SPICE client to a floe-agent on the host whose port is a pty,
 * with an X display: the client's clipboard read with xclip, xclip's
 * offered to the client, PNG, the limit, a RELEASE, and RandR.
 *   agent_x11_peer FLOE-AGENT-ARGS...   (the port is added; DISPLAY must be set) */
#include "protocol/spice/messages.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static int pty = -1;
static pid_t agent = -1;
static int failures;

#define CHECK(cond, ...) do { if (cond) { printf("ok: "); printf(__VA_ARGS__); printf("\n"); } \
    else { printf("FAIL: "); printf(__VA_ARGS__); printf("\n"); failures++; } fflush(stdout); } while (0)

/* the client's data served on REQUEST, per selection */
static uint8_t *serve[2];
static size_t serve_len[2];
static uint32_t serve_type[2];

/* the last message of each kind from the agent */
struct msg {
    uint32_t type;
    uint8_t *body;
    size_t len;
};

static void write_all(const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(pty, p, n);
        if (w < 0 && errno == EAGAIN) {
            struct pollfd q = { .fd = pty, .events = POLLOUT };
            poll(&q, 1, 1000);
            continue;
        }
        if (w <= 0) {
            perror("agent_x11_peer: write");
            exit(1);
        }
        p += w;
        n -= (size_t)w;
    }
}

/* one message to the agent, in chunks of at most 2048 bytes on port 1 */
static void send_msg(uint32_t type, const uint8_t *body, size_t len)
{
    struct floe_wbuf m, w;
    struct spice_vd_agent_header h = { .protocol = VD_AGENT_PROTOCOL, .type = type,
                                       .size = (uint32_t)len };

    floe_wbuf_init(&m, 0);
    floe_wbuf_init(&w, 0);
    spice_vd_agent_header_put(&m, &h);
    floe_put_bytes(&m, body, len);
    for (size_t at = 0; at < m.len; at += VD_AGENT_MAX_DATA_SIZE) {
        size_t k = m.len - at < VD_AGENT_MAX_DATA_SIZE ? m.len - at : VD_AGENT_MAX_DATA_SIZE;
        struct spice_vdi_chunk_header ch = { .port = VDP_CLIENT_PORT, .size = (uint32_t)k };
        spice_vdi_chunk_header_put(&w, &ch);
        floe_put_bytes(&w, m.data + at, k);
    }
    write_all(w.data, w.len);
    floe_wbuf_free(&m);
    floe_wbuf_free(&w);
}

static void send_clip(uint32_t type, unsigned sel, const uint32_t *words, unsigned n,
                      const uint8_t *data, size_t len)
{
    struct floe_wbuf w;

    floe_wbuf_init(&w, 0);
    spice_vd_agent_clipboard_selection_put(
        &w, &(struct spice_vd_agent_clipboard_selection){ .selection = (uint8_t)sel });
    for (unsigned i = 0; i < n; i++)
        floe_put_u32(&w, words[i]);
    floe_put_bytes(&w, data, len);
    send_msg(type, w.data, w.len);
    floe_wbuf_free(&w);
}

/* bytes from the agent, put together into messages (the agent sends each whole in one chunk) */
static uint8_t rx[80 << 20];
static size_t rx_len;

static int take_msg(struct msg *m)
{
    size_t hl = SPICE_SIZE_vdi_chunk_header + SPICE_SIZE_vd_agent_header;
    struct spice_vdi_chunk_header ch;
    struct spice_vd_agent_header h;
    struct floe_rbuf rb;

    if (rx_len < hl)
        return 0;
    floe_rbuf_init(&rb, rx, hl);
    spice_vdi_chunk_header_get(&rb, &ch);
    spice_vd_agent_header_get(&rb, &h);
    if (rx_len < hl + h.size)
        return 0;
    m->type = h.type;
    m->len = h.size;
    m->body = malloc(h.size + 1);
    memcpy(m->body, rx + hl, h.size);
    memmove(rx, rx + hl + h.size, rx_len - hl - h.size);
    rx_len -= hl + h.size;
    return 1;
}

/* answers a REQUEST from what `serve` holds; other messages go to *out */
static int handle(struct msg *m)
{
    struct floe_rbuf rb;

    if (m->type != VD_AGENT_CLIPBOARD_REQUEST)
        return 0;
    floe_rbuf_init(&rb, m->body, m->len);
    unsigned sel = floe_get_u8(&rb);
    floe_get_u8(&rb), floe_get_u8(&rb), floe_get_u8(&rb);
    uint32_t type = floe_get_u32(&rb);
    int have = serve[sel] && serve_type[sel] == type;
    send_clip(VD_AGENT_CLIPBOARD, sel, (uint32_t[]){ have ? type : VD_AGENT_CLIPBOARD_NONE }, 1,
              have ? serve[sel] : NULL, have ? serve_len[sel] : 0);
    free(m->body);
    return 1;
}

/* messages that came while nobody waited for them (while xclip ran) */
static struct msg kept[64];
static unsigned n_kept;

static int from_kept(uint32_t want, struct msg *out)
{
    for (unsigned i = 0; i < n_kept; i++) {
        if (kept[i].type != want)
            continue;
        *out = kept[i];
        memmove(&kept[i], &kept[i + 1], (n_kept - i - 1) * sizeof(kept[0]));
        n_kept--;
        return 1;
    }
    return 0;
}

/* pumps the port for up to `ms`: REQUESTs answered; the first message of
 * `want` (0: none wanted, the others kept) returned in *out. 1 when it came. */
static int pump(int ms, uint32_t want, struct msg *out)
{
    struct timespec t0, t;
    struct msg m;

    if (want && from_kept(want, out))
        return 1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        while (take_msg(&m)) {
            if (handle(&m))
                continue;
            if (want && m.type == want) {
                *out = m;
                return 1;
            }
            if (!want && n_kept < 64)
                kept[n_kept++] = m;
            else
                free(m.body);
        }
        clock_gettime(CLOCK_MONOTONIC, &t);
        int left = ms - (int)((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
        if (left <= 0)
            return 0;
        struct pollfd q = { .fd = pty, .events = POLLIN };
        if (poll(&q, 1, left < 100 ? left : 100) > 0) {
            ssize_t n = read(pty, rx + rx_len, sizeof(rx) - rx_len);
            if (n > 0)
                rx_len += (size_t)n;
        }
    }
}

/* runs a shell command while the port is served; its exit status */
static int run(const char *cmd)
{
    pid_t pid = fork();
    int st;

    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 300; i++) {
        if (waitpid(pid, &st, WNOHANG) == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
        pump(100, 0, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    return 124;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *p = malloc(80 << 20);

    *len = f ? fread(p, 1, 80 << 20, f) : 0;
    if (f)
        fclose(f);
    return p;
}

static void write_file(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    fwrite(p, 1, n, f);
    fclose(f);
}

static void fill_text(uint8_t *p, size_t n, unsigned seed)
{
    static const char abc[] = "abcdefghijklmnopqrstuvwxyz0123456789 \n";
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)abc[(i * 7 + seed + i / 37) % (sizeof(abc) - 1)];
}

static const char *sel_name(unsigned sel) { return sel ? "primary" : "clipboard"; }
static char tmp[4096];

/* the client grabs with `type` and serves `data`; xclip reads it */
static void client_to_x(unsigned sel, uint32_t type, const char *target, const uint8_t *data,
                        size_t n)
{
    char cmd[8192], out[4200];
    size_t got;

    free(serve[sel]);
    serve[sel] = malloc(n);
    memcpy(serve[sel], data, n);
    serve_len[sel] = n;
    serve_type[sel] = type;
    send_clip(VD_AGENT_CLIPBOARD_GRAB, sel, &type, 1, NULL, 0);
    pump(300, 0, NULL);
    snprintf(out, sizeof(out), "%s/out", tmp);
    snprintf(cmd, sizeof(cmd), "xclip -o -selection %s%s%s > %s", sel_name(sel),
             target ? " -t " : "", target ? target : "", out);
    int rc = run(cmd);
    uint8_t *p = read_file(out, &got);
    CHECK(rc == 0 && got == n && !memcmp(p, data, n),
          "client -> X %s %s: %zu bytes, xclip read %zu (exit %d)", sel_name(sel),
          target ? target : "text", n, got, rc);
    free(p);
}

/* xclip sets `data`: a GRAB with `type` comes, and a REQUEST returns it whole */
static void x_to_client(unsigned sel, uint32_t type, const char *target, const uint8_t *data,
                        size_t n, int expect_none)
{
    char cmd[8192], in[4200];
    struct msg m;

    while (n_kept)
        free(kept[--n_kept].body);
    snprintf(in, sizeof(in), "%s/in", tmp);
    write_file(in, data, n);
    snprintf(cmd, sizeof(cmd), "xclip -i -selection %s%s%s %s </dev/null >/dev/null 2>&1", sel_name(sel),
             target ? " -t " : "", target ? target : "", in);
    run(cmd);   /* xclip stays behind, serving the selection */
    int grabbed = 0, has = 0;
    while (pump(5000, VD_AGENT_CLIPBOARD_GRAB, &m)) {
        struct floe_rbuf rb;
        floe_rbuf_init(&rb, m.body, m.len);
        unsigned s = floe_get_u8(&rb);
        floe_get_bytes(&rb, 3);
        while (s == sel && floe_rbuf_left(&rb))
            has |= floe_get_u32(&rb) == type;
        free(m.body);
        if (s == sel) {
            grabbed = 1;
            break;
        }
    }
    CHECK(grabbed && has, "X -> client %s %s: GRAB with the type", sel_name(sel),
          target ? target : "text");
    send_clip(VD_AGENT_CLIPBOARD_REQUEST, sel, &type, 1, NULL, 0);
    int came = pump(10000, VD_AGENT_CLIPBOARD, &m);
    struct floe_rbuf rb;
    floe_rbuf_init(&rb, came ? m.body : (uint8_t *)"", came ? m.len : 0);
    floe_get_bytes(&rb, 4);
    uint32_t t = floe_get_u32(&rb);
    size_t len = floe_rbuf_left(&rb);
    if (expect_none)
        CHECK(came && t == VD_AGENT_CLIPBOARD_NONE, "X -> client %s: %zu bytes over the limit answered empty",
              sel_name(sel), n);
    else
        CHECK(came && t == type && len == n && !memcmp(rb.p + rb.pos, data, n),
              "X -> client %s %s: %zu bytes, the client got %zu", sel_name(sel),
              target ? target : "text", n, came ? len : 0);
    if (came)
        free(m.body);
}

static void set_mode(uint32_t w, uint32_t h)
{
    struct floe_wbuf b;
    struct msg m;
    char cmd[8192], want[64];

    floe_wbuf_init(&b, 0);
    spice_vd_agent_monitors_config_put(&b, &(struct spice_vd_agent_monitors_config){ 1, 0 });
    spice_vd_agent_mon_config_put(&b, &(struct spice_vd_agent_mon_config){
                                          .width = w, .height = h, .depth = 32 });
    send_msg(VD_AGENT_MONITORS_CONFIG, b.data, b.len);
    floe_wbuf_free(&b);
    int came = pump(10000, VD_AGENT_REPLY, &m);
    uint32_t err = came && m.len >= 8 ? m.body[4] : 99;
    if (came)
        free(m.body);
    snprintf(want, sizeof(want), "%ux%u pixels", w, h);
    snprintf(cmd, sizeof(cmd), "xdpyinfo | grep -q 'dimensions: *%s'", want);
    CHECK(came && err == VD_AGENT_SUCCESS && run(cmd) == 0,
          "monitors config %ux%u: REPLY %u, the X screen is %s", w, h, err, want);
}

int main(int argc, char **argv)
{
    static const unsigned caps[] = {
        VD_AGENT_CAP_MONITORS_CONFIG, VD_AGENT_CAP_REPLY, VD_AGENT_CAP_CLIPBOARD_BY_DEMAND,
        VD_AGENT_CAP_CLIPBOARD_SELECTION, VD_AGENT_CAP_MAX_CLIPBOARD,
        VD_AGENT_CAP_MONITORS_CONFIG_POSITION };
    uint32_t words[SPICE_CAPS_WORDS] = { 0 };
    struct termios tio;
    struct floe_wbuf w;
    struct msg m;
    char **av = calloc((size_t)argc + 3, sizeof(*av));

    if (argc < 2 || !getenv("DISPLAY")) {
        fprintf(stderr, "usage: agent_x11_peer FLOE-AGENT ARGS... (with DISPLAY set)\n");
        return 2;
    }
    snprintf(tmp, sizeof(tmp), "%s", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    /* the port: a raw pty, the agent on its other end */
    if ((pty = posix_openpt(O_RDWR | O_NOCTTY)) < 0 || grantpt(pty) || unlockpt(pty))
        return perror("agent_x11_peer: pty"), 1;
    tcgetattr(pty, &tio);
    cfmakeraw(&tio);
    tcsetattr(pty, TCSANOW, &tio);
    fcntl(pty, F_SETFL, O_NONBLOCK);
    for (int i = 1; i < argc; i++)
        av[i - 1] = argv[i];
    av[argc - 1] = "--port";
    av[argc] = ptsname(pty);
    if ((agent = fork()) == 0) {
        execv(av[0], av);
        _exit(127);
    }
    /* the agent's capabilities, then the client's and its limit */
    int caps_came = pump(10000, VD_AGENT_ANNOUNCE_CAPABILITIES, &m);
    CHECK(caps_came, "the agent announced its capabilities");
    if (caps_came)
        free(m.body);
    for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
        spice_caps_set(words, caps[i]);
    floe_wbuf_init(&w, 0);
    spice_vd_agent_announce_capabilities_put(&w, &(struct spice_vd_agent_announce_capabilities){ 0 });
    floe_put_u32(&w, words[0]);
    send_msg(VD_AGENT_ANNOUNCE_CAPABILITIES, w.data, w.len);
    floe_wbuf_free(&w);
    pump(500, 0, NULL);

    static uint8_t big[300 << 10], png[70000];
    const size_t sizes[] = { 11, 5000, sizeof(big) };
    for (unsigned sel = 0; sel < 2; sel++) {
        for (unsigned i = 0; i < 3; i++) {
            fill_text(big, sizes[i], sel * 3 + i);
            client_to_x(sel, VD_AGENT_CLIPBOARD_UTF8_TEXT, NULL, big, sizes[i]);
        }
    }
    for (unsigned sel = 0; sel < 2; sel++) {
        for (unsigned i = 0; i < 3; i++) {
            fill_text(big, sizes[i], 10 + sel * 3 + i);
            x_to_client(sel, VD_AGENT_CLIPBOARD_UTF8_TEXT, NULL, big, sizes[i], 0);
        }
    }
    /* PNG both ways (the bytes are not looked at: any will do) */
    srand(7);
    memcpy(png, "\x89PNG\r\n\x1a\n", 8);
    for (size_t i = 8; i < sizeof(png); i++)
        png[i] = (uint8_t)rand();
    client_to_x(0, VD_AGENT_CLIPBOARD_IMAGE_PNG, "image/png", png, sizeof(png));
    char cmd[8192];
    snprintf(cmd, sizeof(cmd), "xclip -o -selection clipboard -t TARGETS | grep -qx image/png");
    CHECK(run(cmd) == 0, "TARGETS of the client's PNG lists image/png");
    x_to_client(0, VD_AGENT_CLIPBOARD_IMAGE_PNG, "image/png", png, sizeof(png), 0);
    /* the client's RELEASE: X has nothing to paste */
    client_to_x(1, VD_AGENT_CLIPBOARD_UTF8_TEXT, NULL, (const uint8_t *)"gone soon", 9);
    send_clip(VD_AGENT_CLIPBOARD_RELEASE, 1, NULL, 0, NULL, 0);
    pump(300, 0, NULL);
    CHECK(run("xclip -o -selection primary >/dev/null 2>&1") != 0,
          "after the client's RELEASE, PRIMARY has no owner");
    /* the client's limit */
    floe_wbuf_init(&w, 0);
    spice_vd_agent_max_clipboard_put(&w, &(struct spice_vd_agent_max_clipboard){ 4000 });
    send_msg(VD_AGENT_MAX_CLIPBOARD, w.data, w.len);
    floe_wbuf_free(&w);
    fill_text(big, 5000, 99);
    x_to_client(0, VD_AGENT_CLIPBOARD_UTF8_TEXT, NULL, big, 5000, 1);
    /* RandR: a size Xvfb has, and one it must be given */
    set_mode(1024, 768);
    set_mode(1000, 700);

    kill(agent, SIGTERM);
    waitpid(agent, NULL, 0);
    free(av);
    free(serve[0]);
    free(serve[1]);
    while (n_kept)
        free(kept[--n_kept].body);
    printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
    return failures ? 1 : 0;
}
