/* The area a display client holds lossy, seen from inside libfloe-server:
 * JPEG pictures on a slow link and video frames add to it, lossless
 * pictures, fills and copies from off-screen surfaces take from it,
 * COPY_BITS moves it, draws that read the destination keep it; once the
 * link is fast and nothing waits, it goes again as lossless pictures, a
 * bounded amount at a time, outside a running stream, and the client's
 * picture (the written messages drawn in order) equals the server's. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/unit/test_util.h"

#include "codecs/codec.h"
#include "codecs/raster.h"
#include "protocol/spice/draw.h"
#include "server/internal.h"
#include "tests/unit/held_display.h"

/* small enough that every picture is encoded at once, on this thread */
#define W 120
#define H 100

struct fixture {
    uv_loop_t loop;
    struct floe_server *srv;
    struct fsrv_session sess;
    struct fsrv_chan *c;
    uint32_t client[W * H];   /* the client's picture: what was written, drawn */
};

/* Writes nothing by itself: held as if encoding (held_display.h), so what
 * is queued stays until write_all hands it to the channel as the socket
 * would. */
static void fixture_up(struct fixture *f)
{
    struct floe_server_options o = { .disable_ticketing = 1, .monitors = 1,
                                     .image_compression = FLOE_IMAGE_QUIC,
                                     .jpeg_wan = FLOE_WAN_AUTO };

    memset(f, 0, sizeof(*f));
    assert_int_equal(uv_loop_init(&f->loop), 0);
    f->srv = floe_server_new(&f->loop, &o);
    assert_non_null(f->srv);
    assert_int_equal(floe_server_surface_create(f->srv, 0, W, H), 0);
    f->c = held_display_new(f->srv, &f->sess);
    assert_non_null(f->c->lossy);
}

static void fixture_down(struct fixture *f)
{
    held_display_free(f->srv, f->c);
    floe_server_close(f->srv);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    floe_server_free(f->srv);
    assert_int_equal(uv_loop_close(&f->loop), 0);
}

/* ---- the client's side: what it draws of each written message ---- */

static void draw_image(struct fixture *f, const struct spice_draw_copy *dc)
{
    const struct spice_rect *b = &dc->base.box;
    int w = b->right - b->left, h = b->bottom - b->top;
    uint32_t *px = calloc((size_t)w * h, 4);

    assert_non_null(px);
    assert_int_equal((int)dc->image.desc.width, w);
    assert_int_equal((int)dc->image.desc.height, h);
    if (dc->image.desc.type == SPICE_IMAGE_BITMAP) {
        for (int y = 0; y < h; y++)
            memcpy(px + (size_t)y * w, dc->image.data + (size_t)y * dc->image.bitmap.stride,
                   (size_t)w * 4);
    } else {
        const struct floe_codec *codec = floe_codec_by_type(dc->image.desc.type);
        struct floe_codec_params params = { 0 };
        struct floe_coded in = { .type = dc->image.desc.type, .flags = dc->image.flags,
                                 .aux = dc->image.aux, .data = dc->image.data,
                                 .len = dc->image.data_len };
        struct floe_pic out = { px, w, h, w * 4, false };
        void *state;

        assert_non_null(codec);
        state = codec->state_new ? codec->state_new(&params) : NULL;
        assert_int_equal(codec->decode(state, &in, &out), 0);
        if (state)
            codec->state_free(state);
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            f->client[(size_t)(b->top + y) * W + b->left + x] = px[(size_t)y * w + x] & 0xffffff;
    free(px);
}

static void draw_written(struct fixture *f, const struct fsrv_msg *m)
{
    struct spice_draw_copy dc;
    struct spice_draw_fill fl;
    struct spice_copy_bits cb;

    switch (m->type) {
    case SPICE_MSG_DISPLAY_DRAW_COPY:
        assert_int_equal(spice_draw_copy_parse(m->body, m->len, &dc), 0);
        /* (off-screen surfaces, and copies from them, are not drawn here) */
        if (dc.base.surface_id == 0 && dc.image.desc.type != SPICE_IMAGE_SURFACE)
            draw_image(f, &dc);
        break;
    case SPICE_MSG_DISPLAY_DRAW_FILL:
        assert_int_equal(spice_draw_fill_parse(m->body, m->len, &fl), 0);
        for (int y = fl.base.box.top; y < fl.base.box.bottom; y++)
            for (int x = fl.base.box.left; x < fl.base.box.right; x++)
                f->client[(size_t)y * W + x] = fl.brush.color & 0xffffff;
        break;
    case SPICE_MSG_DISPLAY_COPY_BITS: {
        int w, h;

        assert_int_equal(spice_copy_bits_parse(m->body, m->len, &cb), 0);
        w = cb.base.box.right - cb.base.box.left;
        h = cb.base.box.bottom - cb.base.box.top;
        for (int k = 0; k < h; k++) {
            int i = cb.base.box.top > cb.src_pos.y ? h - 1 - k : k;

            memmove(f->client + (size_t)(cb.base.box.top + i) * W + cb.base.box.left,
                    f->client + (size_t)(cb.src_pos.y + i) * W + cb.src_pos.x, (size_t)w * 4);
        }
        break;
    }
    default:
        break;
    }
}

/* Writes the whole queue as the socket would: each message prepared for
 * the client (encoded, noted), then drawn on its picture. */
static int write_all(struct fixture *f)
{
    struct fsrv_chan *c = f->c;
    int n = 0;

    while (c->head) {
        struct fsrv_qitem *q = c->head;
        struct fsrv_msg *m = q->msg, *out;

        c->head = q->next;
        if (!c->head)
            c->tail = NULL;
        free(q);
        c->queued_bytes -= fsrv_msg_cost(m);
        out = c->ops->prepare(c, m);
        fsrv_msg_unref(m);
        assert_non_null(out);
        draw_written(f, out);
        fsrv_msg_unref(out);
        n++;
    }
    return n;
}

/* Pixels where the client's picture differs from the server's. */
static int differing(const struct fixture *f)
{
    const struct fsrv_surface *sf = &f->srv->primary[0];
    int n = 0;

    for (size_t i = 0; i < (size_t)W * H; i++)
        n += (f->client[i] ^ sf->pixels[i]) & 0xffffff ? 1 : 0;
    return n;
}

/* A message noted as written without drawing it. */
static void c_written(struct fixture *f, const struct fsrv_msg *m)
{
    fsrv_lossy_written(f->c->lossy, m);
}

static uint64_t lossy_px(const struct fixture *f)
{
    return fsrv_lossy_pixels(f->c->lossy);
}

/* The lossy area is exactly these n boxes. */
static void assert_lossy_is(const struct fixture *f, const pixman_box32_t *boxes, int n)
{
    pixman_region32_t want;

    pixman_region32_init_rects(&want, boxes, n);
    assert_true(pixman_region32_equal(&want, (pixman_region32_t *)fsrv_lossy_region(f->c->lossy)));
    pixman_region32_fini(&want);
}

/* A smooth picture (a photograph to JPEG, never one colour), by seed. */
static void picture(struct fixture *f, int x, int y, int w, int h, int seed)
{
    uint32_t *px = malloc((size_t)w * h * 4);

    assert_non_null(px);
    for (int j = 0; j < h; j++)
        for (int i = 0; i < w; i++)
            px[(size_t)j * w + i] = (uint32_t)((0x30 + 2 * i + seed) & 0xff) << 16 |
                                    (uint32_t)((0x20 + 2 * j + seed) & 0xff) << 8 |
                                    (uint32_t)((0x40 + i + j + seed) & 0xff);
    floe_server_draw_image(f->srv, 0, &(struct floe_rect){ x, y, w, h }, px, w * 4);
    free(px);
}

static uint64_t images_of(const struct fixture *f, uint8_t type)
{
    struct floe_server_stats st;

    floe_server_get_stats(f->srv, &st);
    return st.images_by_type[type];
}

/* The client has its first picture, losslessly: nothing is lossy yet. */
static void synced(struct fixture *f)
{
    f->sess.slow_link = 0;
    assert_true(write_all(f) > 0);
    assert_int_equal(lossy_px(f), 0);
    assert_int_equal(differing(f), 0);
}

/* JPEG marks its box; a fill, a lossless picture and an opaque draw take
 * theirs away; COPY_BITS moves it; a draw that reads the destination
 * leaves it as it was. */
static void test_region_follows_draws(void **st)
{
    struct fixture f;
    uint64_t jpegs, quics;

    (void)st;
    fixture_up(&f);
    synced(&f);
    f.sess.slow_link = 1;
    jpegs = images_of(&f, SPICE_IMAGE_JPEG);
    picture(&f, 10, 10, 60, 40, 0);
    write_all(&f);
    assert_int_equal(images_of(&f, SPICE_IMAGE_JPEG), jpegs + 1);
    assert_lossy_is(&f, &(pixman_box32_t){ 10, 10, 70, 50 }, 1);
    assert_true(differing(&f) > 0);

    floe_server_draw_fill(f.srv, 0, &(struct floe_rect){ 10, 10, 30, 40 }, 0x123456);
    write_all(&f);
    assert_lossy_is(&f, &(pixman_box32_t){ 40, 10, 70, 50 }, 1);

    /* the copy is as lossy as its source; the source stays as it was */
    floe_server_copy_bits(f.srv, 0, 40, 10, &(struct floe_rect){ 80, 55, 30, 40 });
    write_all(&f);
    assert_lossy_is(&f, (pixman_box32_t[]){ { 40, 10, 70, 50 }, { 80, 55, 110, 95 } }, 2);
    /* exact pixels copied over lossy ones make them exact */
    floe_server_copy_bits(f.srv, 0, 0, 60, &(struct floe_rect){ 40, 10, 30, 40 });
    write_all(&f);
    assert_lossy_is(&f, &(pixman_box32_t){ 80, 55, 110, 95 }, 1);
    assert_int_equal(lossy_px(&f), 1200);

    /* INVERS reads what is there: lossy where it was, exact elsewhere */
    assert_int_equal(floe_server_draw(f.srv, 0,
                                      &(struct floe_raster_op){ .kind = FLOE_RASTER_INVERS,
                                                                .bbox = { 70, 40, 100, 70 } }),
                     0);
    write_all(&f);
    assert_lossy_is(&f, &(pixman_box32_t){ 80, 55, 110, 95 }, 1);
    /* WHITENESS without a mask reads nothing */
    assert_int_equal(floe_server_draw(f.srv, 0,
                                      &(struct floe_raster_op){ .kind = FLOE_RASTER_WHITENESS,
                                                                .bbox = { 90, 80, 120, 100 } }),
                     0);
    write_all(&f);
    assert_int_equal(lossy_px(&f), 1200 - 20 * 15);

    /* a picture marked lossless (a stream's last) is exact on a slow link too */
    quics = images_of(&f, SPICE_IMAGE_QUIC);
    {
        const struct fsrv_surface *sf = &f.srv->primary[0];
        pixman_box32_t b = { 80, 55, 110, 80 };
        struct fsrv_msg *m = fsrv_image_msg_new(0, &b, sf->pixels + 55 * W + 80, W * 4);

        fsrv_image_msg_lossless(m);
        fsrv_chan_send(f.c, m);
        fsrv_msg_unref(m);
    }
    write_all(&f);
    assert_int_equal(images_of(&f, SPICE_IMAGE_QUIC), quics + 1);
    assert_lossy_is(&f, &(pixman_box32_t){ 80, 80, 90, 95 }, 1);

    /* a video frame is lossy wherever it lands */
    {
        const struct fsrv_surface *sf = &f.srv->primary[0];
        pixman_box32_t b = { 0, 0, 20, 10 };
        struct fsrv_msg *m = fsrv_frame_msg_new(1, 0, &b, sf->pixels, W * 4);

        assert_non_null(m);
        c_written(&f, m);
        fsrv_msg_unref(m);
    }
    assert_lossy_is(&f, (pixman_box32_t[]){ { 0, 0, 20, 10 }, { 80, 80, 90, 95 } }, 2);

    /* a copy from an off-screen surface (exact: LZ pictures and draws only) */
    {
        static uint32_t off[16 * 16];
        pixman_image_t *src = pixman_image_create_bits(PIXMAN_x8r8g8b8, 16, 16, off, 16 * 4);

        assert_non_null(src);
        for (int i = 0; i < 16 * 16; i++)
            off[i] = (uint32_t)(i * 2654435761u) & 0xffffff;
        assert_int_equal(floe_server_offscreen_create(f.srv, 0, 1, 16, 16, off, 16 * 4, 0), 0);
        write_all(&f);
        assert_lossy_is(&f, (pixman_box32_t[]){ { 0, 0, 20, 10 }, { 80, 80, 90, 95 } }, 2);
        assert_int_equal(
            floe_server_draw(f.srv, 0,
                             &(struct floe_raster_op){ .kind = FLOE_RASTER_COPY,
                                                       .bbox = { 4, 0, 20, 10 },
                                                       .src = src, .src_surface = 1,
                                                       .src_area = { 0, 0, 16, 10 },
                                                       .rop_descriptor = SPICE_ROPD_OP_PUT }),
            0);
        write_all(&f);
        assert_lossy_is(&f, (pixman_box32_t[]){ { 0, 0, 4, 10 }, { 80, 80, 90, 95 } }, 2);
        floe_server_offscreen_destroy(f.srv, 0, 1);
        write_all(&f);
        assert_lossy_is(&f, (pixman_box32_t[]){ { 0, 0, 4, 10 }, { 80, 80, 90, 95 } }, 2);
        pixman_image_unref(src);
    }

    /* a new surface starts exact */
    assert_int_equal(floe_server_surface_create(f.srv, 0, W, H), 0);
    write_all(&f);
    assert_int_equal(lossy_px(&f), 0);
    fixture_down(&f);
}

/* Writes stay queued while the channel is not held: its ACK window is shut. */
static void shut_window(struct fsrv_chan *c)
{
    c->held = HELD_NO;
    c->uses_ack = 1;
    c->ack_window = 1;
    c->unacked = 100;
}

/* Once the link is fast and nothing waits, the lossy area goes again as
 * lossless pictures and the client's picture becomes the server's. */
static void test_refresh(void **st)
{
    struct fixture f;
    struct floe_server_stats s0, s1;
    uint64_t quics;
    int n;

    (void)st;
    fixture_up(&f);
    synced(&f);
    f.sess.slow_link = 1;
    picture(&f, 5, 5, 50, 40, 0);
    picture(&f, 60, 50, 50, 40, 9);
    floe_server_draw_fill(f.srv, 0, &(struct floe_rect){ 0, 90, W, 10 }, 0x808080);
    write_all(&f);
    assert_int_equal(lossy_px(&f), 4000);
    assert_true(differing(&f) > 0);

    /* still slow: pictures go lossy, nothing is sent again */
    shut_window(f.c);
    fsrv_lossy_tick(f.srv);
    assert_null(f.c->head);
    /* fast, but a picture is being encoded: not now */
    f.sess.slow_link = 0;
    f.c->held = HELD_ENCODING;
    fsrv_lossy_tick(f.srv);
    assert_null(f.c->head);
    /* fast and quiet */
    shut_window(f.c);
    floe_server_get_stats(f.srv, &s0);
    fsrv_lossy_tick(f.srv);
    assert_non_null(f.c->head);
    assert_int_equal(lossy_px(&f), 0);
    floe_server_get_stats(f.srv, &s1);
    assert_int_equal(s1.lossless_refresh_pixels - s0.lossless_refresh_pixels, 4000);
    quics = images_of(&f, SPICE_IMAGE_QUIC);
    f.c->held = HELD_ENCODING;
    n = write_all(&f);
    assert_int_equal((uint64_t)n, s1.lossless_refresh - s0.lossless_refresh);
    assert_int_equal(images_of(&f, SPICE_IMAGE_QUIC), quics + (uint64_t)n);
    assert_int_equal(lossy_px(&f), 0);
    assert_int_equal(differing(&f), 0);
    /* nothing more to send */
    shut_window(f.c);
    fsrv_lossy_tick(f.srv);
    assert_null(f.c->head);
    fixture_down(&f);
}

/* A refresh sends at most what it is allowed, the first rows first, and
 * leaves a running stream's box to the stream. */
static void test_refresh_bounded(void **st)
{
    struct fixture f;
    struct fsrv_stream *sm;

    (void)st;
    fixture_up(&f);
    synced(&f);
    f.sess.slow_link = 1;
    picture(&f, 10, 10, 100, 80, 3);
    write_all(&f);
    assert_int_equal(lossy_px(&f), 8000);
    /* what is sent again is lossless whatever the link */
    assert_int_equal(fsrv_lossy_refresh(f.c, 3050), 1);
    assert_lossy_is(&f, &(pixman_box32_t){ 10, 40, 110, 90 }, 1);
    write_all(&f);
    assert_lossy_is(&f, &(pixman_box32_t){ 10, 40, 110, 90 }, 1);
    f.sess.slow_link = 0;
    /* too little for one row: nothing */
    assert_int_equal(fsrv_lossy_refresh(f.c, 99), 0);
    assert_null(f.c->head);

    sm = &f.srv->stream[0];
    sm->active = 1;
    sm->box = (pixman_box32_t){ 0, 60, W, 90 };
    assert_true(fsrv_lossy_refresh(f.c, 1u << 20) > 0);
    assert_lossy_is(&f, &(pixman_box32_t){ 10, 60, 110, 90 }, 1);
    sm->active = 0;
    write_all(&f);
    assert_true(fsrv_lossy_refresh(f.c, 1u << 20) > 0);
    write_all(&f);
    assert_int_equal(lossy_px(&f), 0);
    assert_int_equal(differing(&f), 0);
    fixture_down(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_region_follows_draws),
        cmocka_unit_test(test_refresh),
        cmocka_unit_test(test_refresh_bounded),
    };

    return cmocka_run_group_tests_name("lossy areas", tests, NULL, NULL);
}
