/* The demo's terminal window: a `journalctl -f` log whose lines are a pure
 * function of (seed, line number); new lines scroll it up with copy_bits
 * and come as a fill and glyph runs, which clients draw themselves. */
#include <stdio.h>

#include "demo/demo-priv.h"

enum { INFO, WARN, ERR };

static const struct {
    const char *unit;
    int level;
    const char *fmt;
    unsigned lo[4], span[4];
} templates[] = {
    { "kernel", INFO, "usb 1-%u: new high-speed USB device number %u using xhci_hcd",
      { 1, 2 }, { 6, 40 } },
    { "kernel", INFO, "e1000e 0000:00:1f.6 eno1: NIC Link is Up %u Mbps Full Duplex",
      { 1000 }, { 1 } },
    { "kernel", WARN, "perf: interrupt took too long (%u > %u), lowering max_sample_rate",
      { 2500, 2400 }, { 3000, 90 } },
    { "sshd", INFO, "Accepted publickey for alice from 10.0.%u.%u port %u ssh2",
      { 0, 2, 40000 }, { 4, 250, 20000 } },
    { "sshd", INFO, "pam_unix(sshd:session): session opened for user bob(uid=%u)",
      { 1000 }, { 4 } },
    { "systemd", INFO, "Started Session %u of User alice.", { 3 }, { 900 } },
    { "systemd", INFO, "Starting Daily apt download activities...", { 0 }, { 1 } },
    { "systemd", INFO, "logrotate.service: Deactivated successfully.", { 0 }, { 1 } },
    { "floe-server", INFO, "display: client %u connected from 192.168.%u.%u:%u",
      { 1, 0, 2, 40000 }, { 9, 3, 250, 20000 } },
    { "floe-server", INFO, "display: stream %u started (%ux%u, mjpeg, quality %u)",
      { 1, 320, 240, 60 }, { 40, 1, 1, 35 } },
    { "floe-server", INFO, "main: agent connected, %u monitor(s), clipboard on", { 1 }, { 2 } },
    { "floe-server", WARN, "display: client %u is slow (%u KiB queued), going lossy",
      { 1, 300 }, { 9, 4000 } },
    { "floe-server", INFO, "inputs: client %u pointer mode %u, %u keys down",
      { 1, 1, 0 }, { 9, 2, 3 } },
    { "NetworkManager", INFO, "<info>  dhcp4 (eno1): state changed bound -> bound", { 0 }, { 1 } },
    { "CRON", INFO, "(root) CMD (cd / && run-parts --report /etc/cron.hourly)", { 0 }, { 1 } },
    { "systemd-resolved", WARN, "Using degraded feature set UDP instead of EDNS0 for 10.0.2.3.",
      { 0 }, { 1 } },
    { "kernel", ERR, "EXT4-fs (sdb1): error count since last fsck: %u", { 1 }, { 12 } },
    { "pipewire", INFO, "spa.alsa: hw:0: %u frames of silence inserted after xrun",
      { 64 }, { 1024 } },
    { "dbus-daemon", INFO, "[session uid=1000 pid=%u] Activating service name='org.floe.Notes'",
      { 900 }, { 5000 } },
    { "kernel", INFO, "[UFW BLOCK] IN=eno1 SRC=10.0.2.%u DST=224.0.0.251 LEN=%u PROTO=UDP",
      { 2, 60 }, { 250, 400 } },
};

#define NTEMPLATES (sizeof(templates) / sizeof(templates[0]))

static const uint32_t level_rgb[] = { 0xd8dee9, 0xebcb8b, 0xe06c75 };

/* Log line `line` in row r (layer coordinates), as four glyph runs. */
static void draw_line(struct floe_demo *d, uint64_t line, const struct floe_rect *r, int baseline,
                      int submit)
{
    struct floe_demo_font *f = d->font.mono;
    uint64_t st = d->seed * 0x9e3779b97f4a7c15ull ^ (line + 1) * 0xd1b54a32d192ed69ull;
    uint64_t rnd = floe_demo_splitmix(&st);
    unsigned t = (unsigned)((9 * 3600 + 41 * 60 + 2 * line + (rnd & 1)) % 86400);
    unsigned k = (unsigned)((rnd >> 8) % NTEMPLATES), a[4];
    char buf[160];
    int x = r->x, id = FLOE_DEMO_TERMINAL;

    for (int i = 0; i < 4; i++) {
        unsigned span = templates[k].span[i];

        a[i] = templates[k].lo[i] + (span ? (unsigned)(floe_demo_splitmix(&st) % span) : 0);
    }
    snprintf(buf, sizeof(buf), "Mar 14 %02u:%02u:%02u ", t / 3600, t / 60 % 60, t % 60);
    x = floe_demo_layer_text(d, id, r, f, x, baseline, buf, -1, 0x7b8394, submit);
    x = floe_demo_layer_text(d, id, r, f, x, baseline, "demo ", -1, 0x81a1c1, submit);
    if (templates[k].unit[0] == 'k')
        snprintf(buf, sizeof(buf), "%s: ", templates[k].unit);
    else
        snprintf(buf, sizeof(buf), "%s[%u]: ", templates[k].unit,
                 300 + floe_demo_hash3(d->seed, k, 7) % 30000);
    x = floe_demo_layer_text(d, id, r, f, x, baseline, buf, -1, 0xa3be8c, submit);
    snprintf(buf, sizeof(buf), templates[k].fmt, a[0], a[1], a[2], a[3]);
    floe_demo_layer_text(d, id, r, f, x, baseline, buf, -1, level_rgb[templates[k].level], submit);
}

/* Draws log line `line` into visible row `row` of the layer (and, with
 * submit, hands the server its fill and glyph runs). */
static void draw_row(struct floe_demo *d, int row, uint64_t line, int submit)
{
    struct floe_demo_journal *j = &d->journal;
    struct floe_rect r = { j->area.x, j->area.y + row * j->line_h, j->area.w, j->line_h };
    int baseline = r.y + d->font.mono->ascent + (j->line_h - d->font.mono->height) / 2;

    floe_demo_layer_fill(d, FLOE_DEMO_TERMINAL, &r, 0x1e222a, submit);
    draw_line(d, line, &r, baseline, submit);
}

int floe_demo_journal_init(struct floe_demo *d)
{
    struct floe_demo_journal *j = &d->journal;
    struct floe_rect in = floe_demo_window_chrome(d, FLOE_DEMO_TERMINAL,
                                                  "Terminal — journalctl -f");
    struct floe_demo_canvas *c = &d->layers[FLOE_DEMO_TERMINAL].c;
    int pad = floe_demo_scale(8, d->fs);

    floe_demo_canvas_fill(c, in.x, in.y, in.w, in.h, 0x1e222a);
    j->line_h = d->font.mono->height + 1;
    j->rows = (in.h - 2 * pad) / j->line_h;
    if (j->rows < 1)
        j->rows = 1;
    j->area = (struct floe_rect){ in.x + pad, in.y + pad, in.w - 2 * pad, j->rows * j->line_h };
    for (int row = 0; row < j->rows; row++)
        draw_row(d, row, (uint64_t)row, 0);
    j->next = (uint64_t)j->rows;
    return 0;
}

/* Every few ticks one more line: scroll the rows up, draw the new one. */
void floe_demo_journal_tick(struct floe_demo *d)
{
    struct floe_demo_journal *j = &d->journal;
    uint64_t period = (uint64_t)(d->fps * 2 / 5 > 0 ? d->fps * 2 / 5 : 1);
    struct floe_demo_canvas c;

    if (d->tick % period)
        return;
    c = floe_demo_canvas_view(&d->layers[FLOE_DEMO_TERMINAL].c, &j->area);
    floe_demo_canvas_scroll(&c, j->line_h);
    /* the clients scroll first, then draw the new line on the last row */
    if (j->rows > 1)
        floe_demo_layer_scroll(d, FLOE_DEMO_TERMINAL, &j->area, j->line_h);
    draw_row(d, j->rows - 1, j->next++, 1);
}
