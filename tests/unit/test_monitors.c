/* Unit tests for several monitors in libfloe-server: the producer API keeps
 * each monitor's surface apart and refuses ids and counts out of range.
 * (The client's side is in e2e/monitors.sh.) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/unit/test_util.h"

#include <errno.h>
#include <png.h>
#include <unistd.h>

#include "floe/server.h"

static struct floe_server *server_with(uv_loop_t *loop, int monitors)
{
    struct floe_server_options o = { .disable_ticketing = 1, .monitors = monitors };

    return floe_server_new(loop, &o);
}

static void server_done(uv_loop_t *loop, struct floe_server *s)
{
    floe_server_close(s);
    uv_run(loop, UV_RUN_DEFAULT);
    floe_server_free(s);
    uv_loop_close(loop);
}

static void test_server_counts(void **st)
{
    uv_loop_t loop;
    struct floe_server *s;

    uv_loop_init(&loop);
    errno = 0;
    assert_null(server_with(&loop, FLOE_SERVER_MAX_MONITORS + 1));
    assert_int_equal(errno, EINVAL);
    assert_null(server_with(&loop, -1));
    s = server_with(&loop, 0);
    assert_non_null(s);
    assert_int_equal(floe_server_monitors(s), 1);
    server_done(&loop, s);
    uv_loop_init(&loop);
    s = server_with(&loop, FLOE_SERVER_MAX_MONITORS);
    assert_non_null(s);
    assert_int_equal(floe_server_monitors(s), FLOE_SERVER_MAX_MONITORS);
    server_done(&loop, s);
}

/* Reads pixel (x, y) of a PNG the server wrote, through libpng's simple API. */
static uint32_t png_pixel(const char *path, int x, int y, int *w, int *h)
{
    png_image img = { .version = PNG_IMAGE_VERSION };
    uint32_t *px, v;

    assert_true(png_image_begin_read_from_file(&img, path));
    img.format = PNG_FORMAT_BGRA;
    px = malloc(PNG_IMAGE_SIZE(img));
    assert_non_null(px);
    assert_true(png_image_finish_read(&img, NULL, px, 0, NULL));
    *w = (int)img.width;
    *h = (int)img.height;
    v = px[(size_t)y * img.width + x] & 0xffffff;
    free(px);
    return v;
}

static void test_server_surfaces_apart(void **st)
{
    uv_loop_t loop;
    struct floe_server *s;
    struct floe_rect all = { 0, 0, 64, 48 }, one = { 10, 10, 4, 4 };
    char p0[] = "/tmp/floe-mon0-XXXXXX", p1[] = "/tmp/floe-mon1-XXXXXX";
    int w, h, fd0 = mkstemp(p0), fd1 = mkstemp(p1);

    assert_true(fd0 >= 0 && fd1 >= 0);
    close(fd0);
    close(fd1);
    uv_loop_init(&loop);
    s = server_with(&loop, 2);
    assert_int_equal(floe_server_surface_create(s, 0, 64, 48), 0);
    assert_int_equal(floe_server_snapshot_monitor(s, 1, p1), -ENODATA);
    assert_int_equal(floe_server_surface_create(s, 1, 32, 24), 0);
    assert_int_equal(floe_server_surface_create(s, 2, 32, 24), -ENOTSUP);
    floe_server_draw_fill(s, 0, &all, 0x112233);
    floe_server_draw_fill(s, 1, &all, 0x445566);
    floe_server_draw_fill(s, 1, &one, 0xff0000);
    floe_server_draw_fill(s, 2, &all, 0x00ff00);     /* ignored */
    floe_server_copy_bits(s, 7, 0, 0, &one);          /* ignored */
    assert_int_equal(floe_server_snapshot_monitor(s, 2, p1), -EINVAL);
    assert_int_equal(floe_server_snapshot_monitor(s, -1, p1), -EINVAL);
    assert_int_equal(floe_server_snapshot(s, p0), 0);
    assert_int_equal(floe_server_snapshot_monitor(s, 1, p1), 0);
    assert_int_equal(png_pixel(p0, 11, 11, &w, &h), 0x112233);
    assert_int_equal(w, 64);
    assert_int_equal(h, 48);
    assert_int_equal(png_pixel(p1, 11, 11, &w, &h), 0xff0000);
    assert_int_equal(png_pixel(p1, 0, 0, &w, &h), 0x445566);
    assert_int_equal(w, 32);
    assert_int_equal(h, 24);
    unlink(p0);
    unlink(p1);
    server_done(&loop, s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_counts),
        cmocka_unit_test(test_server_surfaces_apart),
    };

    return cmocka_run_group_tests_name("monitors", tests, NULL, NULL);
}
