/* A moving picture for the unit tests of video coding: soft waves that
 * drift sideways frame by frame, with grain from a fixed random sequence.
 * Include after <cmocka.h>; the test program keeps one sequence. */
#ifndef FLOE_TEST_MOVING_PICTURE_H
#define FLOE_TEST_MOVING_PICTURE_H

#include <math.h>
#include <stdint.h>

static uint32_t rng = 0x9e3779b9u;

static inline uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static inline uint32_t clamp8(double v)
{
    return v < 0 ? 0 : v > 255 ? 255 : (uint32_t)v;
}

/* Frame t of a w x h picture (rows stride words apart): waves drifting by
 * `step` pixels a frame, grain of -grain to grain, `alpha` or'ed into each
 * pixel. */
static inline void moving_frame(uint32_t *px, int w, int h, int stride, int t, int step,
                                int grain, uint32_t alpha)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double u = x + (double)step * t;
            double g = (double)(rnd() % (uint32_t)(2 * grain + 1)) - grain;

            px[y * stride + x] =
                alpha | clamp8(120 + 80 * sin(u * 0.031) + 30 * cos(y * 0.05) + g) << 16 |
                clamp8(100 + 60 * sin((u + y) * 0.017) + g) << 8 |
                clamp8(140 + 70 * cos((u - y) * 0.023) + g);
        }
}

#endif
