/* The display channel's queue, seen from inside libfloe-server: a client's
 * first picture lies before its MARK, and when the queue overflows the
 * draws replaced by pixels are replaced where they stood, so MARK still
 * follows a whole picture and replaying the queue gives the server's; a
 * draw painted over whole by a later opaque one goes unsent. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/unit/test_util.h"

#include "codecs/raster.h"
#include "protocol/spice/draw.h"
#include "server/internal.h"
#include "tests/unit/held_display.h"

#define W 320
#define H 200

struct fixture {
    uv_loop_t loop;
    struct floe_server *srv;
    struct fsrv_session sess;
    struct fsrv_chan *c;
};

/* A display channel of one session that writes nothing (held_display.h). */
static void fixture_up(struct fixture *f, int width, int height)
{
    struct floe_server_options o = { .disable_ticketing = 1, .monitors = 1 };

    memset(f, 0, sizeof(*f));
    assert_int_equal(uv_loop_init(&f->loop), 0);
    f->srv = floe_server_new(&f->loop, &o);
    assert_non_null(f->srv);
    assert_int_equal(floe_server_surface_create(f->srv, 0, width, height), 0);
    f->c = held_display_new(f->srv, &f->sess);
    assert_true(f->c->model_synced);
}

static void fixture_down(struct fixture *f)
{
    held_display_free(f->srv, f->c);
    floe_server_close(f->srv);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    floe_server_free(f->srv);
    assert_int_equal(uv_loop_close(&f->loop), 0);
}

/* The picture a client gets by drawing the queue in order, and which
 * pixels something drew. */
struct replay {
    int w, h;
    uint32_t *px;
    uint8_t *drawn;
};

static void replay_free(struct replay *r)
{
    free(r->px);
    free(r->drawn);
    memset(r, 0, sizeof(*r));
}

static void replay_surface(struct replay *r, const struct fsrv_msg *m)
{
    replay_free(r);
    r->w = (int)floe_le32(m->body + 4);
    r->h = (int)floe_le32(m->body + 8);
    r->px = calloc((size_t)r->w * r->h, 4);
    r->drawn = calloc((size_t)r->w * r->h, 1);
    assert_true(r->px && r->drawn);
}

/* The box of a draw, which must lie on the surface the client has then. */
static void replay_box(const struct replay *r, const struct spice_display_base *b, int *x, int *y,
                       int *w, int *h)
{
    assert_non_null(r->px);
    assert_int_equal(b->clip.type, SPICE_CLIP_NONE);
    assert_true(b->box.left >= 0 && b->box.top >= 0);
    assert_true(b->box.left < b->box.right && b->box.top < b->box.bottom);
    assert_true(b->box.right <= r->w && b->box.bottom <= r->h);
    *x = b->box.left;
    *y = b->box.top;
    *w = b->box.right - b->box.left;
    *h = b->box.bottom - b->box.top;
}

static void replay_copy(struct replay *r, struct fsrv_chan *c, struct fsrv_msg *m)
{
    /* without an encoder the image goes as the raw bitmap every client can take */
    struct fsrv_msg *raw = fsrv_display_enc_prepare(c, NULL, m);
    struct spice_draw_copy dc;
    int x, y, w, h;

    assert_non_null(raw);
    assert_int_equal(spice_draw_copy_parse(raw->body, raw->len, &dc), 0);
    replay_box(r, &dc.base, &x, &y, &w, &h);
    assert_int_equal(dc.image.desc.type, SPICE_IMAGE_BITMAP);
    assert_true(dc.image.bitmap.flags & SPICE_BITMAP_TOP_DOWN);
    for (int i = 0; i < h; i++) {
        memcpy(r->px + (size_t)(y + i) * r->w + x,
               dc.image.data + (size_t)i * dc.image.bitmap.stride, (size_t)w * 4);
        memset(r->drawn + (size_t)(y + i) * r->w + x, 1, (size_t)w);
    }
    fsrv_msg_unref(raw);
}

static void replay_fill(struct replay *r, const struct fsrv_msg *m)
{
    struct spice_draw_fill f;
    int x, y, w, h;

    assert_int_equal(spice_draw_fill_parse(m->body, m->len, &f), 0);
    replay_box(r, &f.base, &x, &y, &w, &h);
    for (int i = y; i < y + h; i++) {
        for (int j = x; j < x + w; j++)
            r->px[(size_t)i * r->w + j] = f.brush.color;
        memset(r->drawn + (size_t)i * r->w + x, 1, (size_t)w);
    }
}

static void replay_copy_bits(struct replay *r, const struct fsrv_msg *m)
{
    struct spice_copy_bits cb;
    int x, y, w, h;

    assert_int_equal(spice_copy_bits_parse(m->body, m->len, &cb), 0);
    replay_box(r, &cb.base, &x, &y, &w, &h);
    assert_true(cb.src_pos.x >= 0 && cb.src_pos.x + w <= r->w);
    assert_true(cb.src_pos.y >= 0 && cb.src_pos.y + h <= r->h);
    for (int k = 0; k < h; k++) {
        int i = y > cb.src_pos.y ? h - 1 - k : k;
        size_t to = (size_t)(y + i) * r->w + x;
        size_t from = (size_t)(cb.src_pos.y + i) * r->w + cb.src_pos.x;

        memmove(r->px + to, r->px + from, (size_t)w * 4);
        memmove(r->drawn + to, r->drawn + from, (size_t)w);
    }
}

/* Replays the queue up to the n-th message of type `stop` (n from 1; stop 0:
 * all of it); returns how many draws it replayed. */
static int replay_queue(struct replay *r, struct fsrv_chan *c, uint16_t stop, int n)
{
    int draws = 0;

    for (struct fsrv_qitem *q = c->head; q; q = q->next) {
        struct fsrv_msg *m = q->msg;

        if (stop && m->type == stop && --n == 0)
            break;
        /* the primary's picture: off-screen surfaces are another's */
        if (m->surface_id != 0)
            continue;
        switch (m->type) {
        case SPICE_MSG_DISPLAY_SURFACE_CREATE:
            replay_surface(r, m);
            break;
        case SPICE_MSG_DISPLAY_SURFACE_DESTROY:
            replay_free(r);
            break;
        case SPICE_MSG_DISPLAY_DRAW_COPY:
            replay_copy(r, c, m);
            break;
        case SPICE_MSG_DISPLAY_DRAW_FILL:
            replay_fill(r, m);
            break;
        case SPICE_MSG_DISPLAY_COPY_BITS:
            replay_copy_bits(r, m);
            break;
        default:
            continue;
        }
        draws += m->has_box;
    }
    return draws;
}

static size_t replay_drawn(const struct replay *r)
{
    size_t n = 0;

    for (size_t i = 0; i < (size_t)r->w * r->h; i++)
        n += r->drawn[i];
    return n;
}

/* Replays the queue up to the n-th MARK: every pixel of the surface drawn. */
static void assert_whole_at_mark(struct fixture *f, int n)
{
    struct replay r = { 0 };

    replay_queue(&r, f->c, SPICE_MSG_DISPLAY_MARK, n);
    assert_non_null(r.px);
    assert_int_equal(replay_drawn(&r), (size_t)r.w * r.h);
    replay_free(&r);
}

/* Replays the whole queue: the server's picture, pixel for pixel. */
static int assert_replay_is_server(struct fixture *f)
{
    const struct fsrv_surface *sf = &f->srv->primary[0];
    struct replay r = { 0 };
    int draws = replay_queue(&r, f->c, 0, 0);

    assert_int_equal(r.w, sf->width);
    assert_int_equal(r.h, sf->height);
    assert_memory_equal(r.px, sf->pixels, (size_t)r.w * r.h * 4);
    replay_free(&r);
    return draws;
}

/* The types of the queued messages that are not draws, in order. */
static int queued_others(struct fsrv_chan *c, uint16_t *types, int max)
{
    int n = 0;

    for (struct fsrv_qitem *q = c->head; q; q = q->next)
        if (!q->msg->has_box && n < max)
            types[n++] = q->msg->type;
    return n;
}

/* How many draws are queued before the first message of type `type`. */
static int draws_before(struct fsrv_chan *c, uint16_t type)
{
    int n = 0;

    for (struct fsrv_qitem *q = c->head; q && q->msg->type != type; q = q->next)
        n += q->msg->has_box;
    return n;
}

/* A deterministic mix of producer draws: pictures, fills and copies. */
static uint32_t lcg(uint32_t *seed)
{
    *seed = *seed * 1664525u + 1013904223u;
    return *seed >> 8;
}

static void draw_some(struct floe_server *s, int n, uint32_t seed)
{
    static uint32_t px[96 * 64];

    for (int i = 0; i < n; i++) {
        const struct fsrv_surface *sf = &s->primary[0];
        struct floe_rect r = { (int)(lcg(&seed) % (unsigned)sf->width) - 16,
                               (int)(lcg(&seed) % (unsigned)sf->height) - 16,
                               16 + (int)(lcg(&seed) % 80), 16 + (int)(lcg(&seed) % 48) };

        switch (lcg(&seed) % 4) {
        case 0:
            floe_server_draw_fill(s, 0, &r, lcg(&seed));
            break;
        case 1:
            floe_server_copy_bits(s, 0, (int)(lcg(&seed) % (unsigned)sf->width),
                                  (int)(lcg(&seed) % (unsigned)sf->height), &r);
            break;
        default:
            for (size_t k = 0; k < sizeof(px) / sizeof(px[0]); k++)
                px[k] = lcg(&seed);
            floe_server_draw_image(s, 0, &r, px, 96 * 4);
            break;
        }
    }
}

/* The messages other than draws a synced client's queue holds, in order. */
static void assert_others_in_order(struct fsrv_chan *c)
{
    static const uint16_t want[] = { SPICE_MSG_SET_ACK, SPICE_MSG_PING,
                                     SPICE_MSG_DISPLAY_INVAL_ALL_PALETTES,
                                     SPICE_MSG_DISPLAY_SURFACE_CREATE,
                                     SPICE_MSG_DISPLAY_MONITORS_CONFIG, SPICE_MSG_DISPLAY_MARK };
    uint16_t types[16];

    assert_int_equal(queued_others(c, types, 16), 6);
    assert_memory_equal(types, want, sizeof(want));
}

/* DISPLAY_INIT queues the whole picture between SURFACE_CREATE and MARK,
 * as one DRAW_COPY as the reference server sends it (spice-gtk reports each
 * draw, and spicy-screenshot keeps the picture it has after the first). */
static void test_first_picture_before_mark(void **st)
{
    struct fixture f;

    fixture_up(&f, 1024, 768);
    assert_int_equal(draws_before(f.c, SPICE_MSG_DISPLAY_MARK), 1);
    draw_some(f.srv, 20, 1);
    assert_others_in_order(f.c);
    assert_whole_at_mark(&f, 1);
    assert_true(assert_replay_is_server(&f) > 1);
    fixture_down(&f);
}

/* The queue overflows while the first picture is still queued: its
 * replacement stays before MARK, nothing else moves, and the queue still
 * gives the server's picture. */
static void test_overflow_keeps_order(void **st)
{
    struct fixture f;
    const int made = 600;
    int draws;

    fixture_up(&f, W, H);
    /* overflow once the queue holds twice a surface of pixels */
    f.c->queue_limit = 2 * W * H * 4;
    draw_some(f.srv, made, 2);
    assert_true(f.c->queued_bytes <= 2 * f.c->queue_limit);
    assert_others_in_order(f.c);
    assert_whole_at_mark(&f, 1);
    draws = assert_replay_is_server(&f);
    /* the draws were replaced: else this test proves nothing */
    assert_true(draws < made / 4);
    fixture_down(&f);
}

/* Draws queued before the surface is made again are dropped with it (no
 * pixels the server has stand for them now); those after it are replaced
 * after its MARK, within the new size. */
static void test_overflow_across_surfaces(void **st)
{
    static const uint16_t want[] = { SPICE_MSG_SET_ACK, SPICE_MSG_PING,
                                     SPICE_MSG_DISPLAY_INVAL_ALL_PALETTES,
                                     SPICE_MSG_DISPLAY_SURFACE_CREATE,
                                     SPICE_MSG_DISPLAY_MONITORS_CONFIG, SPICE_MSG_DISPLAY_MARK,
                                     SPICE_MSG_DISPLAY_SURFACE_DESTROY,
                                     SPICE_MSG_DISPLAY_SURFACE_CREATE,
                                     SPICE_MSG_DISPLAY_MONITORS_CONFIG, SPICE_MSG_DISPLAY_MARK };
    struct fixture f;
    uint16_t types[16];

    fixture_up(&f, W, H);
    f.c->queue_limit = 1u << 30;
    draw_some(f.srv, 40, 3);
    assert_int_equal(floe_server_surface_create(f.srv, 0, W / 2, H / 2), 0);
    draw_some(f.srv, 40, 4);
    /* from here on the queue overflows at the next send */
    f.c->queue_limit = 2 * W * H * 4;
    draw_some(f.srv, 400, 5);
    assert_int_equal(queued_others(f.c, types, 16), 10);
    assert_memory_equal(types, want, sizeof(want));
    assert_int_equal(draws_before(f.c, SPICE_MSG_DISPLAY_SURFACE_DESTROY), 0);
    assert_true(assert_replay_is_server(&f) < 400);
    fixture_down(&f);
}

/* Draws on an off-screen surface overflow with the rest: each is replaced
 * by the surface's current pixels (DRAW_COPYs on it, after its
 * SURFACE_CREATE, covering every area drawn), draws on a surface destroyed
 * further on go with nothing in their place, and the primary's queue still
 * gives the server's picture. */
static void test_overflow_offscreen(void **st)
{
    enum { OW = 64, OH = 48 };
    static uint32_t off[OW * OH], gone[OW * OH];
    struct fixture f;
    pixman_region32_t drawn, covered;
    uint32_t seed = 9;
    int on1 = 0, on2 = 0, created = 0, early = 0, made = 300;

    fixture_up(&f, W, H);
    f.c->queue_limit = 1u << 30;
    assert_int_equal(floe_server_offscreen_create(f.srv, 0, 1, OW, OH, off, OW * 4, 0), 0);
    assert_int_equal(floe_server_offscreen_create(f.srv, 0, 2, OW, OH, gone, OW * 4, 0), 0);
    pixman_region32_init(&drawn);
    for (int i = 0; i < made; i++) {
        int x = (int)(lcg(&seed) % (OW - 8)), y = (int)(lcg(&seed) % (OH - 8));
        struct floe_raster_op op = { .kind = FLOE_RASTER_FILL,
                                     .bbox = { x, y, x + 8, y + 8 },
                                     .brush = { .kind = FLOE_RASTER_BRUSH_SOLID,
                                                .color = lcg(&seed) & 0xffffff },
                                     .rop_descriptor = SPICE_ROPD_OP_PUT };

        /* the producer draws first, then tells */
        for (int r = y; r < y + 8; r++)
            for (int k = x; k < x + 8; k++)
                off[r * OW + k] = op.brush.color;
        pixman_region32_union_rect(&drawn, &drawn, x, y, 8, 8);
        assert_int_equal(floe_server_offscreen_draw(f.srv, 0, 1, &op), 0);
        assert_int_equal(floe_server_offscreen_draw(f.srv, 0, 2, &op), 0);
        if (i % 10 == 0)
            draw_some(f.srv, 2, seed);
        if (i == made / 2)
            /* from here on the queue overflows at the next send */
            f.c->queue_limit = 2 * W * H * 4;
    }
    floe_server_offscreen_destroy(f.srv, 0, 2);
    draw_some(f.srv, 400, 6);
    pixman_region32_init(&covered);
    for (struct fsrv_qitem *q = f.c->head; q; q = q->next) {
        const struct fsrv_msg *m = q->msg;

        if (m->type == SPICE_MSG_DISPLAY_SURFACE_CREATE && m->surface_id == 1)
            created = 1;
        if (!m->offscreen_draw)
            continue;
        on1 += m->surface_id == 1;
        on2 += m->surface_id == 2;
        early += m->surface_id == 1 && !created;
        if (m->surface_id == 1 && m->type == SPICE_MSG_DISPLAY_DRAW_COPY)
            pixman_region32_union_rect(&covered, &covered, m->box.x1, m->box.y1,
                                       (unsigned)(m->box.x2 - m->box.x1),
                                       (unsigned)(m->box.y2 - m->box.y1));
    }
    /* replaced, after the surface is made, and every drawn pixel is there */
    assert_int_equal(early, 0);
    assert_true(on1 > 0 && on1 < made / 4);
    assert_int_equal(on2, 0);
    pixman_region32_subtract(&drawn, &drawn, &covered);
    assert_false(pixman_region32_not_empty(&drawn));
    assert_true(f.c->queued_bytes <= 2 * f.c->queue_limit);
    assert_true(assert_replay_is_server(&f) < 400);
    pixman_region32_fini(&drawn);
    pixman_region32_fini(&covered);
    fixture_down(&f);
}

/* How many queued DRAW_FILLs have box (x, y, w, h). */
static int fills_at(struct fsrv_chan *c, int x, int y, int w, int h)
{
    int n = 0;

    for (struct fsrv_qitem *q = c->head; q; q = q->next)
        n += q->msg->type == SPICE_MSG_DISPLAY_DRAW_FILL && q->msg->box.x1 == x &&
             q->msg->box.y1 == y && q->msg->box.x2 == x + w && q->msg->box.y2 == y + h;
    return n;
}

static uint64_t occluded(struct fixture *f)
{
    struct floe_server_stats st;

    floe_server_get_stats(f->srv, &st);
    return st.occluded;
}

/* A queued draw that a later opaque draw covers whole goes unsent, unless
 * something between them reads its pixels (a copy-bits) or it belongs to
 * the first picture (before MARK); after a random mix the queue still
 * gives the server's picture. */
static void test_occlusion(void **st)
{
    struct fixture f;
    uint64_t before;

    (void)st;
    fixture_up(&f, W, H);
    f.c->queue_limit = 1u << 30;
    before = occluded(&f);
    floe_server_draw_fill(f.srv, 0, &(struct floe_rect){ 10, 10, 40, 40 }, 0x112233);
    assert_int_equal(fills_at(f.c, 10, 10, 40, 40), 1);
    floe_server_draw_fill(f.srv, 0, &(struct floe_rect){ 0, 0, 100, 100 }, 0x445566);
    assert_int_equal(fills_at(f.c, 10, 10, 40, 40), 0);
    assert_int_equal(occluded(&f), before + 1);
    /* partly covered: kept */
    floe_server_draw_fill(f.srv, 0, &(struct floe_rect){ 150, 20, 60, 60 }, 0x778899);
    floe_server_draw_fill(f.srv, 0, &(struct floe_rect){ 160, 20, 60, 60 }, 0x8899aa);
    assert_int_equal(fills_at(f.c, 150, 20, 60, 60), 1);
    /* read by a copy-bits before it is covered: kept */
    floe_server_draw_fill(f.srv, 0, &(struct floe_rect){ 200, 120, 40, 40 }, 0x99aabb);
    floe_server_copy_bits(f.srv, 0, 200, 120, &(struct floe_rect){ 10, 120, 40, 40 });
    floe_server_draw_fill(f.srv, 0, &(struct floe_rect){ 190, 110, 60, 60 }, 0xaabbcc);
    assert_int_equal(fills_at(f.c, 200, 120, 40, 40), 1);
    assert_int_equal(occluded(&f), before + 1);
    assert_replay_is_server(&f);
    /* a mix of pictures, fills and copies, then whole-surface pictures */
    draw_some(f.srv, 300, 7);
    before = occluded(&f);
    floe_server_draw_fill(f.srv, 0, &(struct floe_rect){ 0, 0, W, H }, 0x101010);
    assert_true(occluded(&f) > before);
    draw_some(f.srv, 300, 8);
    assert_others_in_order(f.c);
    assert_whole_at_mark(&f, 1);
    assert_replay_is_server(&f);
    fixture_down(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_picture_before_mark),
        cmocka_unit_test(test_overflow_keeps_order),
        cmocka_unit_test(test_overflow_across_surfaces),
        cmocka_unit_test(test_overflow_offscreen),
        cmocka_unit_test(test_occlusion),
    };

    return cmocka_run_group_tests_name("display queue", tests, NULL, NULL);
}
