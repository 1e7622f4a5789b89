/* The demo's Notes window: shows the text typed by clients, word-wrapped,
 * redrawing only rows that changed (a fill and a glyph run each, which
 * clients draw themselves) and scrolling with copy_bits. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "demo/demo-priv.h"

#define TEXT_RGB 0x1f2328
#define PAPER_RGB 0xffffff

static int S(const struct floe_demo *d, int v)
{
    return floe_demo_scale(v, d->fs);
}

/* The last n->rows rows of the wrapped text, as (start, length) pairs. */
struct wrapped {
    int *ring;
    int rows;
    long count;
};

static void emit(struct wrapped *w, size_t start, size_t len)
{
    int *slot = w->ring + 2 * (w->count % w->rows);

    slot[0] = (int)start;
    slot[1] = (int)len;
    w->count++;
}

/* Greedy wrap of text[p, q) into rows of at most width pixels, breaking
 * after a space when there is one; always emits at least one row. */
static void wrap_paragraph(struct floe_demo *d, struct wrapped *w, size_t p, size_t q, int width)
{
    const char *t = d->notes.text;
    size_t s = p;

    do {
        size_t e = s, brk = 0;
        int x = 0;

        while (e < q) {
            int cw = floe_demo_text_width(d->font.ui, t + e, 1);

            if (x + cw > width && e > s)
                break;
            x += cw;
            if (t[e++] == ' ')
                brk = e;
        }
        if (e < q && brk > s)
            e = brk;
        emit(w, s, e - s);
        s = e;
    } while (s < q);
}

static void wrap(struct floe_demo *d, struct wrapped *w)
{
    const char *t = d->notes.text;
    size_t p = 0, n = d->notes.len;

    w->count = 0;
    for (;;) {
        const char *nl = memchr(t + p, '\n', n - p);
        size_t q = nl ? (size_t)(nl - t) : n;

        wrap_paragraph(d, w, p, q, d->notes.area.w - S(d, 3));
        if (!nl)
            return;
        p = q + 1;
    }
}

static uint64_t fnv(const char *s, int len, uint64_t h)
{
    for (int i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    return h | 1;
}

/* The row: its paper, text (or the placeholder) and the caret, drawn into
 * the window and, with submit, handed to the server as a fill, a glyph run
 * and a fill, which clients draw themselves. */
static void draw_row(struct floe_demo *d, int i, const int *row, int caret, int submit)
{
    struct floe_demo_notes *n = &d->notes;
    struct floe_rect r = { n->area.x, n->area.y + i * n->line_h, n->area.w, n->line_h };
    struct floe_demo_font *f = d->font.ui;
    int base = r.y + (n->line_h - f->height) / 2 + f->ascent, x = r.x;

    floe_demo_layer_fill(d, FLOE_DEMO_NOTES, &r, PAPER_RGB, submit);
    if (row && n->len == 0)
        floe_demo_layer_text(d, FLOE_DEMO_NOTES, &r, f, r.x + S(d, 3), base,
                             "Type here: keys from any client land in this window.", -1,
                             0x9aa0aa, submit);
    else if (row)
        x = floe_demo_layer_text(d, FLOE_DEMO_NOTES, &r, f, r.x, base, n->text + row[0], row[1],
                                 TEXT_RGB, submit);
    if (caret && n->caret_on) {
        struct floe_rect c = { x, r.y + S(d, 2), S(d, 2) > 1 ? 2 : 1, n->line_h - S(d, 4) };

        if (c.x + c.w > r.x + r.w)
            c.w = r.x + r.w - c.x;
        floe_demo_layer_fill(d, FLOE_DEMO_NOTES, &c, TEXT_RGB, submit);
    }
}

/* Hashes of what each visible row should show. */
static void wanted(struct floe_demo *d, const struct wrapped *w, uint64_t *h)
{
    struct floe_demo_notes *n = &d->notes;
    long first = w->count > n->rows ? w->count - n->rows : 0;

    for (int i = 0; i < n->rows; i++) {
        long k = first + i;
        const int *row = w->ring + 2 * (k % n->rows);

        if (k >= w->count) {
            h[i] = 3;
            continue;
        }
        h[i] = fnv(d->notes.text + row[0], row[1], 0xcbf29ce484222325ull ^ (n->len == 0));
        if (k == w->count - 1)
            h[i] = fnv(n->caret_on ? "|" : "_", 1, h[i]);
    }
}

/* The smallest k such that the rows now wanted at i were shown at i + k
 * (all but the last shown row, which lost its caret); 0 if none. */
static int shift_of(const uint64_t *shown, const uint64_t *want, int rows)
{
    for (int k = 1; k < rows - 1; k++) {
        int i = 0;

        while (i < rows - k - 1 && want[i] == shown[i + k])
            i++;
        if (i == rows - k - 1)
            return k;
    }
    return 0;
}

static void redraw_rows(struct floe_demo *d, const struct wrapped *w, int submit)
{
    struct floe_demo_notes *n = &d->notes;
    long first = w->count > n->rows ? w->count - n->rows : 0;

    for (int i = 0; i < n->rows; i++) {
        long k = first + i;

        if (n->want[i] != n->shown[i])
            draw_row(d, i, k < w->count ? w->ring + 2 * (k % n->rows) : NULL, k == w->count - 1,
                     submit);
    }
}

static void update(struct floe_demo *d, int submit)
{
    struct floe_demo_notes *n = &d->notes;
    struct wrapped w = { n->ring, n->rows, 0 };
    int k;

    wrap(d, &w);
    wanted(d, &w, n->want);
    k = shift_of(n->shown, n->want, n->rows);
    if (k) {
        struct floe_demo_canvas c = floe_demo_canvas_view(&d->layers[FLOE_DEMO_NOTES].c, &n->area);

        floe_demo_canvas_scroll(&c, k * n->line_h);
        memmove(n->shown, n->shown + k, (size_t)(n->rows - k) * sizeof(*n->shown));
        memset(n->shown + n->rows - k, 0, (size_t)k * sizeof(*n->shown));
        /* the clients scroll first: the rows drawn next land on the moved text */
        if (submit)
            floe_demo_layer_scroll(d, FLOE_DEMO_NOTES, &n->area, k * n->line_h);
    }
    redraw_rows(d, &w, submit);
    memcpy(n->shown, n->want, (size_t)n->rows * sizeof(*n->shown));
}

void floe_demo_notes_tick(struct floe_demo *d)
{
    struct floe_demo_notes *n = &d->notes;
    uint64_t half = (uint64_t)(d->fps / 2 > 0 ? d->fps / 2 : 1);
    int caret_on = (d->tick / half) % 2 == 0;

    if (!n->dirty && caret_on == n->caret_on)
        return;
    n->caret_on = caret_on;
    n->dirty = 0;
    update(d, 1);
}

void floe_demo_notes_key(struct floe_demo *d, uint32_t scancode, int down)
{
    struct floe_demo_notes *n = &d->notes;
    int ch = floe_demo_keymap_char(&n->keys, scancode, down);

    if (!ch)
        return;
    if (ch == '\b') {
        if (n->len)
            n->text[--n->len] = '\0';
    } else {
        if (n->len == FLOE_DEMO_TYPED_MAX)
            memmove(n->text, n->text + 1, --n->len);
        n->text[n->len++] = (char)ch;
        n->text[n->len] = '\0';
    }
    n->dirty = 1;
}

void floe_demo_notes_paste(struct floe_demo *d, const char *text, size_t len)
{
    struct floe_demo_notes *n = &d->notes;

    for (size_t i = 0; i < len; i++) {
        char ch = text[i];

        if (ch == '\0' || ch == '\r')
            continue;
        if (n->len == FLOE_DEMO_TYPED_MAX)
            memmove(n->text, n->text + 1, --n->len);
        n->text[n->len++] = ch;
    }
    n->text[n->len] = '\0';
    n->dirty = 1;
}

static void notes_frame(struct floe_demo *d, struct floe_rect *in)
{
    struct floe_demo_canvas *c = &d->layers[FLOE_DEMO_NOTES].c;
    struct floe_demo_font *f = d->font.ui;
    int mb = S(d, 26), sb = S(d, 22), base = (mb - f->height) / 2 + f->ascent;
    static const char *const menu[] = { "File", "Edit", "View", "Help" };

    floe_demo_canvas_fill(c, in->x, in->y, in->w, in->h, PAPER_RGB);
    floe_demo_canvas_fill(c, in->x, in->y, in->w, mb, 0xf6f6f7);
    floe_demo_canvas_fill(c, in->x, in->y + mb - 1, in->w, 1, 0xdcdfe4);
    for (int i = 0, x = in->x + S(d, 10); i < 4; i++)
        x = floe_demo_text_draw(c, f, x, in->y + base, menu[i], -1, 0x3b4252) + S(d, 16);
    floe_demo_canvas_fill(c, in->x, in->y + in->h - sb, in->w, sb, 0xf6f6f7);
    floe_demo_canvas_fill(c, in->x, in->y + in->h - sb, in->w, 1, 0xdcdfe4);
    floe_demo_text_draw(c, f, in->x + S(d, 10), in->y + in->h - sb + (sb - f->height) / 2 +
                        f->ascent, "US keyboard  ·  plain text", -1, 0x8a8f99);
    in->y += mb;
    in->h -= mb + sb;
}

int floe_demo_notes_init(struct floe_demo *d)
{
    struct floe_demo_notes *n = &d->notes;
    struct floe_rect in = floe_demo_window_chrome(d, FLOE_DEMO_NOTES, "Notes — typed text");
    int pad = S(d, 12);

    notes_frame(d, &in);
    n->line_h = d->font.ui->height + S(d, 3);
    n->rows = (in.h - 2 * pad) / n->line_h;
    if (n->rows < 1)
        n->rows = 1;
    n->area = (struct floe_rect){ in.x + pad, in.y + pad, in.w - 2 * pad, n->rows * n->line_h };
    n->shown = calloc((size_t)n->rows * 2, sizeof(*n->shown));
    n->ring = calloc((size_t)n->rows * 2, sizeof(*n->ring));
    if (!n->shown || !n->ring)
        return -ENOMEM;
    n->want = n->shown + n->rows;
    n->caret_on = 1;
    update(d, 0);
    return 0;
}

void floe_demo_notes_free(struct floe_demo *d)
{
    free(d->notes.shown);
    free(d->notes.ring);
}
