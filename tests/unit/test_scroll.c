/* Unit tests for floe_server_draw_image's updates: a picture that is the
 * surface scrolled (whole, or inside the box drawn) goes to a synced client
 * as one COPY_BITS of the moved rows and DRAW_COPYs of the new rows only; a
 * picture alike on its 24 colour bits sends nothing; changed rows go as one
 * DRAW_COPY per band, as narrow as its changed columns; noise is no scroll;
 * mostly blank pictures end up exact. A raw client sees which messages
 * arrive, each checked against a model of what differs; a libfloe-client
 * session shows the picture they make. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/unit/raw_session.h"

#include "floe/client.h"
#include "floe/server.h"
#include "protocol/spice/draw.h"
#include "server/internal.h"

#define W 320
#define H 240
#define BG 0xf4f4f0u
#define INK 0x202830u
#define BODY_MAX (8u << 20)
#define MAX_MSGS 64

#include "tests/unit/image_rig.h"

static uint64_t scrolls(struct rig *g)
{
    struct call c = { .op = OP_STATS };

    call(g, &c);
    return c.st.scrolls;
}

/* ---- the raw client's display channel ---- */

struct got {
    int n;
    uint16_t type[MAX_MSGS];
    struct spice_rect box[MAX_MSGS];
    struct spice_point src[MAX_MSGS];   /* COPY_BITS */
    uint32_t rgb[MAX_MSGS];             /* DRAW_FILL */
};

static void check_base(const struct spice_display_base *b)
{
    assert_int_equal(b->surface_id, 0);
    assert_int_equal(b->clip.type, SPICE_CLIP_NONE);
}

/* Fills pixel (0,0) with the colour the picture just drawn, `now`, has
 * there (nothing new), so that what the draw before it sent is known to
 * have arrived when the fill does; collects what came before it. */
static void collect(struct rig *g, const uint32_t *now, struct got *m)
{
    struct call c = { .op = OP_FILL, .r = { 0, 0, 1, 1 }, .rgb = now[0] & 0xffffff };

    memset(m, 0, sizeof(*m));
    call(g, &c);
    for (;;) {
        uint32_t len;
        uint16_t type = next_msg(g, 10000, &len);

        if (!type)
            fail_msg("no sentinel DRAW_FILL within 10 s (%d messages before)", m->n);
        if (m->n == MAX_MSGS)
            fail_msg("more than %d display messages for one draw", MAX_MSGS);
        m->type[m->n] = type;
        if (type == SPICE_MSG_DISPLAY_DRAW_FILL) {
            struct spice_draw_fill f;

            assert_int_equal(spice_draw_fill_parse(g->body, len, &f), 0);
            check_base(&f.base);
            assert_int_equal(f.brush.type, SPICE_BRUSH_SOLID);
            /* the sentinel (no band of these tests is pixel (0,0) alone) */
            if (f.base.box.left == 0 && f.base.box.top == 0 && f.base.box.right == 1 &&
                f.base.box.bottom == 1)
                return;
            m->box[m->n] = f.base.box;
            m->rgb[m->n] = f.brush.color;
        } else if (type == SPICE_MSG_DISPLAY_DRAW_COPY) {
            struct spice_draw_copy dc;

            assert_int_equal(spice_draw_copy_parse(g->body, len, &dc), 0);
            check_base(&dc.base);
            m->box[m->n] = dc.base.box;
        } else if (type == SPICE_MSG_DISPLAY_COPY_BITS) {
            struct spice_copy_bits cb;

            assert_int_equal(spice_copy_bits_parse(g->body, len, &cb), 0);
            check_base(&cb.base);
            m->box[m->n] = cb.base.box;
            m->src[m->n] = cb.src_pos;
        } else {
            fail_msg("unexpected display message %u after a draw_image", type);
        }
        m->n++;
    }
}


/* ---- what a draw should send ---- */

/* Message i is of that type and box (and source, for COPY_BITS). */
static void assert_msg(const struct got *m, int i, uint16_t type, int left, int top, int right,
                       int bottom, int sx, int sy)
{
    const struct spice_rect *x = &m->box[i];
    int src = type == SPICE_MSG_DISPLAY_COPY_BITS;

    assert_true(i < m->n);
    assert_int_equal(m->type[i], type);
    if (x->left != left || x->top != top || x->right != right || x->bottom != bottom ||
        (src && (m->src[i].x != sx || m->src[i].y != sy)))
        fail_msg("message %d: (%d,%d)-(%d,%d) from (%d,%d), want (%d,%d)-(%d,%d) from (%d,%d)",
                 i, x->left, x->top, x->right, x->bottom, m->src[i].x, m->src[i].y, left, top,
                 right, bottom, sx, sy);
}

/* Draws the pixels of the whole picture `next` at r, and checks what the
 * raw client got against the model: at most one COPY_BITS first, inside r,
 * moving rows whose pixels are the new ones; then, over the surface so
 * moved, one DRAW_COPY per band of changed rows of r (bands apart by 16
 * unchanged rows or more), each the box of its changed pixels; scrolls
 * counted once per COPY_BITS; every picture then is `next`. With quiet_ms,
 * nothing may arrive that long first. */
static void step(struct rig *g, struct floe_rect r, const uint32_t *next, int quiet_ms,
                 struct got *m)
{
    static uint32_t moved[W * H];
    uint64_t before = scrolls(g);
    int k = 0, nb = 0, band_open = 0, last = 0, copies = 0;
    struct spice_rect want[MAX_MSGS], b = { 0 };

    memcpy(moved, g->exp, (size_t)W * H * 4);
    call(g, &(struct call){ .op = OP_IMAGE, .r = r, .px = next });
    if (quiet_ms) {
        uint32_t len;
        uint16_t type = next_msg(g, quiet_ms, &len);

        if (type)
            fail_msg("message %u came for a picture the clients have", type);
    }
    collect(g, next, m);
    for (int i = 0; i < m->n; i++)
        copies += m->type[i] == SPICE_MSG_DISPLAY_COPY_BITS;
    assert_int_equal(scrolls(g) - before, copies);
    if (m->n && m->type[0] == SPICE_MSG_DISPLAY_COPY_BITS) {
        struct spice_rect cb = m->box[0];
        struct spice_point s = m->src[0];
        int dy = s.y - cb.top;

        assert_int_equal(s.x, cb.left);
        assert_true(dy != 0);
        assert_true(cb.left >= r.x && cb.right <= r.x + r.w && cb.left < cb.right);
        assert_true(cb.top >= r.y && cb.bottom <= r.y + r.h && cb.bottom - cb.top >= 16);
        assert_true(s.y >= r.y && s.y + (cb.bottom - cb.top) <= r.y + r.h);
        for (int i = 0; i < cb.bottom - cb.top; i++) {
            int y = dy > 0 ? cb.top + i : cb.bottom - 1 - i;

            memmove(moved + (size_t)y * W + cb.left, moved + (size_t)(y + dy) * W + cb.left,
                    (size_t)(cb.right - cb.left) * 4);
            for (int x = cb.left; x < cb.right; x++)
                if (!same(moved[y * W + x], next[y * W + x]))
                    fail_msg("COPY_BITS moved (%d,%d) to (%d,%d): not the new pixel", x, y + dy,
                             x, y);
        }
        k = 1;
    }
    for (int y = r.y; y <= r.y + r.h; y++) {
        int x1 = r.x + r.w, x2 = r.x;

        for (int x = r.x; y < r.y + r.h && x < r.x + r.w; x++)
            if (!same(moved[y * W + x], next[y * W + x])) {
                x1 = x < x1 ? x : x1;
                x2 = x + 1;
            }
        if (x1 < x2) {
            if (!band_open)
                b = (struct spice_rect){ .top = y, .left = x1, .right = x2 };
            band_open = 1;
            b.left = x1 < b.left ? x1 : b.left;
            b.right = x2 > b.right ? x2 : b.right;
            last = y;
        } else if (band_open && (y == r.y + r.h || y - last >= 16)) {
            b.bottom = last + 1;
            want[nb++] = b;
            band_open = 0;
        }
    }
    if (m->n - k != nb)
        fail_msg("%d bands after %d COPY_BITS, want %d", m->n - k, k, nb);
    for (int i = 0; i < nb; i++) {
        /* a band of one colour goes as a DRAW_FILL of it, any other as a DRAW_COPY */
        uint32_t c = next[want[i].top * W + want[i].left] & 0xffffff;
        int one = 1;

        for (int y = want[i].top; y < want[i].bottom; y++)
            for (int x = want[i].left; x < want[i].right; x++)
                one &= (next[y * W + x] & 0xffffff) == c;
        assert_msg(m, k + i, one ? SPICE_MSG_DISPLAY_DRAW_FILL : SPICE_MSG_DISPLAY_DRAW_COPY,
                   want[i].left, want[i].top, want[i].right, want[i].bottom, 0, 0);
        if (one)
            assert_int_equal(m->rgb[k + i], c);
    }
    memcpy(g->exp, next, (size_t)W * H * 4);
    assert_picture(g);
}

/* ---- pictures ---- */

static uint32_t mix(uint32_t v)
{
    v ^= v >> 16;
    v *= 0x7feb352du;
    v ^= v >> 15;
    v *= 0x846ca68bu;
    return v ^ (v >> 16);
}

/* Row `row` (0..15) of a line of text whose contents are its number `id`:
 * blank above and below the glyphs, ink where a hash of (id, row, x) says. */
static uint32_t text_px(int id, int row, int x)
{
    if (row < 3 || row > 12 || x % 8 == 7)
        return BG;
    return mix((uint32_t)id * 7919u + (uint32_t)row * 104729u + (uint32_t)x) % 4 ? BG : INK;
}

/* A screen of 15 lines of text numbered from `first`: line n at rows 16(n - first). */
static void text_screen(uint32_t *px, int first)
{
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            px[y * W + x] = text_px(first + y / 16, y % 16, x);
}

static void noise(uint32_t *px, uint32_t seed)
{
    for (int i = 0; i < W * H; i++)
        px[i] = mix(seed + (uint32_t)i) & 0xffffff;
}

static const struct floe_rect ALL = { 0, 0, W, H };

/* ---- the tests (one server each; the pictures are shared) ---- */

static struct rig g;
static uint32_t a[W * H], b[W * H], c[W * H];

/* After the COPY_BITS, DRAW_COPYs only, each inside (left,top)-(right,bottom). */
static void assert_new_rows(const struct got *m, int left, int top, int right, int bottom)
{
    assert_true(m->n >= 2);
    for (int i = 1; i < m->n; i++) {
        const struct spice_rect *x = &m->box[i];

        assert_int_equal(m->type[i], SPICE_MSG_DISPLAY_DRAW_COPY);
        if (x->top < top || x->bottom > bottom || x->left < left || x->right > right)
            fail_msg("DRAW_COPY (%d,%d)-(%d,%d) outside the new rows (%d,%d)-(%d,%d)", x->left,
                     x->top, x->right, x->bottom, left, top, right, bottom);
    }
}

/* Up by 16 rows, a new line at the bottom. */
static void test_scroll_up(void **st)
{
    struct got m;

    text_screen(a, 0);
    text_screen(b, 1);
    rig_up(&g, a);
    step(&g, ALL, b, 0, &m);
    assert_msg(&m, 0, SPICE_MSG_DISPLAY_COPY_BITS, 0, 0, W, H - 16, 0, 16);
    assert_new_rows(&m, 0, H - 16, W, H);
    rig_down(&g);
}

/* Down by 32 rows, two new lines at the top. */
static void test_scroll_down(void **st)
{
    struct got m;

    text_screen(a, 2);
    text_screen(b, 0);
    rig_up(&g, a);
    step(&g, ALL, b, 0, &m);
    assert_msg(&m, 0, SPICE_MSG_DISPLAY_COPY_BITS, 0, 32, W, H, 0, 0);
    assert_new_rows(&m, 0, 0, W, 32);
    rig_down(&g);
}

/* Only the box (40,20)-(280,220) scrolls up by 16, and only it is drawn. */
static void test_scroll_in_box(void **st)
{
    const struct floe_rect box = { 40, 20, 240, 200 };
    struct got m;

    text_screen(a, 0);
    memcpy(b, a, sizeof(b));
    for (int y = box.y; y < box.y + box.h; y++)
        for (int x = box.x; x < box.x + box.w; x++)
            b[y * W + x] = y + 16 < box.y + box.h ? a[(y + 16) * W + x]
                                                  : text_px(99, y - (box.y + box.h - 16), x);
    rig_up(&g, a);
    step(&g, box, b, 0, &m);
    assert_msg(&m, 0, SPICE_MSG_DISPLAY_COPY_BITS, 40, 20, 280, 204, 40, 36);
    assert_new_rows(&m, 40, 204, 280, 220);
    rig_down(&g);
}

/* The same picture again, with another top byte, and a box of it: nothing is sent. */
static void test_unchanged(void **st)
{
    struct got m;

    text_screen(a, 0);
    for (int i = 0; i < W * H; i++)
        b[i] = a[i] | 0xff000000u;
    rig_up(&g, a);
    step(&g, ALL, a, 300, &m);
    assert_int_equal(m.n, 0);
    step(&g, ALL, b, 300, &m);
    assert_int_equal(m.n, 0);
    step(&g, (struct floe_rect){ 40, 20, 240, 200 }, a, 300, &m);
    assert_int_equal(m.n, 0);
    rig_down(&g);
}

/* Changes the colour of every pixel of (x1,y1)-(x2,y2). */
static uint64_t fills(struct rig *r)
{
    struct call st = { .op = OP_STATS };

    call(r, &st);
    return st.st.fills;
}

static void flip(uint32_t *px, int x1, int y1, int x2, int y2, uint32_t bits)
{
    for (int y = y1; y < y2; y++)
        for (int x = x1; x < x2; x++)
            px[y * W + x] ^= bits;
}

/* Rows 10..12 and 200..203 change: two DRAW_COPYs, each its band's box.
 * Then bands 16 unchanged rows apart go as two, 15 apart as one. */
static void test_two_bands(void **st)
{
    const uint16_t dc = SPICE_MSG_DISPLAY_DRAW_COPY;
    struct got m;

    text_screen(a, 0);
    memcpy(b, a, sizeof(b));
    flip(b, 50, 10, 100, 13, 0x808080);
    flip(b, 130, 200, 170, 204, 0x00ff00);
    rig_up(&g, a);
    step(&g, ALL, b, 0, &m);
    assert_int_equal(m.n, 2);
    assert_msg(&m, 0, dc, 50, 10, 100, 13, 0, 0);
    assert_msg(&m, 1, dc, 130, 200, 170, 204, 0, 0);

    /* rows 30..31 and 48..49 are blank between lines: each changed band
     * is one colour and goes as a DRAW_FILL of it */
    flip(b, 8, 30, 16, 32, 0x0000ff);       /* rows 32..47 alike */
    flip(b, 200, 48, 210, 50, 0xff0000);
    step(&g, ALL, b, 0, &m);
    assert_int_equal(m.n, 2);
    assert_msg(&m, 0, SPICE_MSG_DISPLAY_DRAW_FILL, 8, 30, 16, 32, 0, 0);
    assert_int_equal(m.rgb[0], BG ^ 0x0000ff);
    assert_msg(&m, 1, SPICE_MSG_DISPLAY_DRAW_FILL, 200, 48, 210, 50, 0, 0);
    assert_int_equal(m.rgb[1], BG ^ 0xff0000);
    assert_int_equal(fills(&g), 2);

    flip(b, 8, 60, 16, 61, 0x0000ff);       /* rows 61..75 alike */
    flip(b, 200, 76, 210, 77, 0xff0000);
    step(&g, ALL, b, 0, &m);
    assert_int_equal(m.n, 1);
    assert_msg(&m, 0, dc, 8, 60, 210, 77, 0, 0);
    assert_int_equal(scrolls(&g), 0);
    rig_down(&g);
}

/* Noise over other noise: no scroll, the whole picture. */
static void test_noise_no_scroll(void **st)
{
    struct got m;

    noise(a, 1);
    noise(b, 0x9e3779b9u);
    rig_up(&g, a);
    step(&g, ALL, b, 0, &m);
    assert_int_equal(m.n, 1);
    assert_msg(&m, 0, SPICE_MSG_DISPLAY_DRAW_COPY, 0, 0, W, H, 0, 0);
    assert_int_equal(scrolls(&g), 0);
    rig_down(&g);
}

/* Mostly blank screens with a few lines of text, scrolled: whatever is
 * found, the picture ends exact (step checks any COPY_BITS moves rows
 * that are the new ones). */
static void test_blank_rows(void **st)
{
    struct got m;

    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int line = y / 16;

            a[y * W + x] = line == 4 || line == 9 ? text_px(100 + line, y % 16, x) : BG;
            b[y * W + x] = line == 3 || line == 8 ? text_px(101 + line, y % 16, x) : BG;
            c[y * W + x] = line == 5 ? text_px(50, y % 16, x) : BG;
        }
    rig_up(&g, a);
    step(&g, ALL, b, 0, &m);   /* up by 16 */
    step(&g, ALL, c, 0, &m);   /* one line left, elsewhere */
    step(&g, ALL, a, 0, &m);
    rig_down(&g);
}

/* The detection itself on a 1024x768 console of 16-row lines, each with
 * blank rows above and below its glyphs, scrolled up one line: the shift
 * is found whatever rows the samples fall on (rows 16 apart would all be a
 * line's blank top row), the run covers every line that moved. */
static void test_console_1024x768(void **st)
{
    enum { CW = 1024, CH = 768 };
    uint32_t *old = malloc((size_t)CW * CH * 4), *now = malloc((size_t)CW * CH * 4);
    struct fsrv_surface sf = { .width = CW, .height = CH, .pixels = old };
    pixman_box32_t box = { 0, 0, CW, CH };
    struct fsrv_scroll sc;

    (void)st;
    assert_non_null(old);
    assert_non_null(now);
    for (int y = 0; y < CH; y++)
        for (int x = 0; x < CW; x++) {
            /* the text ends at column 400, as a shell's lines do */
            old[y * CW + x] = x < 400 ? text_px(y / 16, y % 16, x) : BG;
            now[y * CW + x] = x < 400 ? text_px(y / 16 + 1, y % 16, x) : BG;
        }
    assert_int_equal(fsrv_scroll_find(&sf, &box, now, CW * 4, &sc), 1);
    assert_int_equal(sc.dy, 16);
    assert_true(sc.y1 <= 16 && sc.y2 >= CH - 32);
    for (int y = sc.y1; y < sc.y2; y++)
        assert_memory_equal(now + (size_t)y * CW, old + (size_t)(y + 16) * CW, CW * 4);
    free(old);
    free(now);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scroll_up),
        cmocka_unit_test(test_scroll_down),
        cmocka_unit_test(test_scroll_in_box),
        cmocka_unit_test(test_unchanged),
        cmocka_unit_test(test_two_bands),
        cmocka_unit_test(test_noise_no_scroll),
        cmocka_unit_test(test_blank_rows),
        cmocka_unit_test(test_console_1024x768),
    };

    return cmocka_run_group_tests_name("scroll", tests, NULL, NULL);
}
