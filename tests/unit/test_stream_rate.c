/* Unit tests for a video stream's rate (white-box: server/display/
 * stream-rate.c), played against a model link whose frames cost a known
 * number of bytes at each quality: a fast link gets the best quality at the
 * source's pace; a slow one a quality whose frames fit its budget, and
 * frames skipped when even the worst does not fit, the bytes sent staying
 * within the budget; a congested link lowers the budget (to below what was
 * measured delivered), once per spell; calm brings it back after a while
 * while it holds the stream back, and no further; a new stream for the
 * same client keeps the budget its link showed; a quality fixed for tests
 * (FLOE_TEST_STREAM_QUALITY) codes every frame at it, even on a link too
 * slow for them, through a restart, until given back. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "server/display/stream-rate.h"

#define PIXELS (1024.0 * 640)
#define FRAME_MS 33

/* the model's frame at quality q: 60 kB at 75, about linear below */
static size_t frame_bytes(int q)
{
    return (size_t)(60000.0 * (q + 30) / 105);
}

struct run {
    unsigned offered, sent;
    uint64_t bytes;
    int min_q, max_q;
};

/* Offers frames at the source's pace for `ms`, coding those that go. */
static struct run play(struct fsrv_stream_rate *r, uint64_t *now, uint64_t ms)
{
    struct run out = { .min_q = 100, .max_q = 0 };

    for (uint64_t end = *now + ms; *now < end; *now += FRAME_MS) {
        out.offered++;
        if (!fsrv_stream_rate_offer(r, *now))
            continue;
        int q = fsrv_stream_rate_quality(r);

        out.sent++;
        out.bytes += frame_bytes(q);
        out.min_q = q < out.min_q ? q : out.min_q;
        out.max_q = q > out.max_q ? q : out.max_q;
        fsrv_stream_rate_coded(r, q, frame_bytes(q));
    }
    return out;
}

static void test_fast_link(void **state)
{
    struct fsrv_stream_rate r;
    uint64_t now = 1000;
    struct run run;

    fsrv_stream_rate_init(&r, 10000000000ull, PIXELS, now);
    run = play(&r, &now, 5000);
    assert_int_equal(run.min_q, 75);
    assert_int_equal(run.sent, run.offered);
}

static void test_slow_link_fits(void **state)
{
    struct fsrv_stream_rate r;
    uint64_t now = 1000;
    struct run run;

    /* 12 Mbit/s: 1.5 MB/s of which 80%, 40 kB a frame at 30 frames/s */
    fsrv_stream_rate_init(&r, 12000000, PIXELS, now);
    play(&r, &now, 2000);
    run = play(&r, &now, 10000);
    /* 40 kB: quality 40 in the model */
    assert_true(run.max_q < 75);
    assert_true(run.max_q >= 30);
    assert_true(run.sent >= run.offered * 9 / 10);
    assert_true(run.bytes <= r.byte_rate * 10 * 11 / 10);
}

static void test_too_slow_skips(void **state)
{
    struct fsrv_stream_rate r;
    uint64_t now = 1000;
    struct run run;

    /* 1 Mbit/s: 100 kB/s, worse than the worst quality at 30 frames/s */
    fsrv_stream_rate_init(&r, 1000000, PIXELS, now);
    play(&r, &now, 2000);
    run = play(&r, &now, 10000);
    assert_int_equal(run.max_q, 20);
    assert_true(run.sent > 0);
    assert_true(run.sent < run.offered / 2);
    assert_true(run.bytes <= r.byte_rate * 10 * 11 / 10 + frame_bytes(20));
}

static void test_congestion(void **state)
{
    struct fsrv_stream_rate r;
    uint64_t now = 1000, before;
    struct run run;

    fsrv_stream_rate_init(&r, 100000000, PIXELS, now);
    run = play(&r, &now, 3000);
    assert_int_equal(run.min_q, 75);
    /* measured delivered: 4 Mbit/s */
    fsrv_stream_rate_congested(&r, now, 4000000);
    assert_true(r.byte_rate <= 4000000 / 8 * 9 / 10);
    before = r.byte_rate;
    /* a second sign of the same spell changes nothing */
    fsrv_stream_rate_congested(&r, now + 100, 0);
    assert_int_equal(r.byte_rate, before);
    fsrv_stream_rate_congested(&r, now + 600, 0);
    assert_int_equal(r.byte_rate, before * 3 / 4);
    assert_int_equal(r.decreases, 2);
    now += 600;
    run = play(&r, &now, 3000);
    assert_true(run.max_q < 75);
}

static void test_calm_recovers(void **state)
{
    struct fsrv_stream_rate r;
    uint64_t now = 1000, low;

    fsrv_stream_rate_init(&r, 8000000, PIXELS, now);
    fsrv_stream_rate_congested(&r, now + 1000, 2000000);
    low = r.byte_rate;
    /* not at once after a decrease */
    fsrv_stream_rate_calm(&r, now + 1500);
    assert_int_equal(r.byte_rate, low);
    for (uint64_t t = now + 3100; t < now + 60000; t += 500)
        fsrv_stream_rate_calm(&r, t);
    /* up to where the best quality fits at the source's pace, no further */
    assert_true(r.byte_rate > low);
    assert_int_equal(fsrv_stream_rate_quality(&r), 75);
    assert_true(r.byte_rate < r.ceiling);
    assert_true(r.byte_rate <= PIXELS * 0.06 * 30 * 5 / 4 + 1);
}

static void test_restart_keeps_budget(void **state)
{
    struct fsrv_stream_rate r;
    uint64_t now = 1000;
    uint64_t cut;

    fsrv_stream_rate_init(&r, 100000000, PIXELS, now);
    play(&r, &now, 1000);
    fsrv_stream_rate_congested(&r, now, 3000000);
    cut = r.byte_rate;
    /* a new stream of a quarter the pixels: the link is the same */
    fsrv_stream_rate_restart(&r, PIXELS / 4, now + 100);
    assert_int_equal(r.byte_rate, cut);
    assert_int_equal(r.size[FSRV_RATE_LEVELS - 1], 0);
    /* and a cut just before it still holds off the next */
    fsrv_stream_rate_congested(&r, now + 200, 0);
    assert_int_equal(r.byte_rate, cut);
}

static void test_sizes_learned(void **state)
{
    struct fsrv_stream_rate r;
    uint64_t now = 1000;

    /* frames far smaller than the guess: the best quality fits after all */
    fsrv_stream_rate_init(&r, 2000000, PIXELS, now);
    assert_true(fsrv_stream_rate_offer(&r, now));
    assert_true(fsrv_stream_rate_quality(&r) < 75);
    for (int i = 0; i < 20; i++) {
        now += FRAME_MS;
        if (fsrv_stream_rate_offer(&r, now))
            fsrv_stream_rate_coded(&r, fsrv_stream_rate_quality(&r), 2000);
    }
    assert_int_equal(fsrv_stream_rate_quality(&r), 75);
}

static void test_fixed_quality(void **state)
{
    struct fsrv_stream_rate r;
    uint64_t now = 1000;
    struct run run;

    /* 1 Mbit/s skips most frames at quality 20 (test_too_slow_skips) */
    fsrv_stream_rate_init(&r, 1000000, PIXELS, now);
    fsrv_stream_rate_fix(&r, 88);
    run = play(&r, &now, 3000);
    assert_int_equal(run.min_q, 88);
    assert_int_equal(run.max_q, 88);
    assert_int_equal(run.sent, run.offered);
    fsrv_stream_rate_restart(&r, PIXELS / 4, now);
    assert_int_equal(fsrv_stream_rate_quality(&r), 88);
    /* out of range: no fixed quality; then the link decides again */
    fsrv_stream_rate_fix(&r, 101);
    run = play(&r, &now, 5000);
    assert_int_equal(run.max_q, 20);
    assert_true(run.sent < run.offered / 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fast_link),
        cmocka_unit_test(test_slow_link_fits),
        cmocka_unit_test(test_too_slow_skips),
        cmocka_unit_test(test_congestion),
        cmocka_unit_test(test_calm_recovers),
        cmocka_unit_test(test_restart_keeps_budget),
        cmocka_unit_test(test_sizes_learned),
        cmocka_unit_test(test_fixed_quality),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
