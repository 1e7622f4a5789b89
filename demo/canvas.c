/* Drawing on opaque xRGB pixel buffers for the demo desktop: fills,
 * gradients, coverage blending and anti-aliased discs and rounded boxes. */
#include <string.h>

#include "demo/demo-priv.h"

/* Clips (x, y, w, h) to the canvas; 0 when nothing is left. */
static int clip(const struct floe_demo_canvas *c, int *x, int *y, int *w, int *h)
{
    int x1 = *x + *w, y1 = *y + *h;

    if (*x < 0)
        *x = 0;
    if (*y < 0)
        *y = 0;
    if (x1 > c->w)
        x1 = c->w;
    if (y1 > c->h)
        y1 = c->h;
    *w = x1 - *x;
    *h = y1 - *y;
    return *w > 0 && *h > 0;
}

struct floe_demo_canvas floe_demo_canvas_view(const struct floe_demo_canvas *c,
                                              const struct floe_rect *r)
{
    struct floe_demo_canvas v = { c->px, 0, 0, c->stride };
    int x = r->x, y = r->y, w = r->w, h = r->h;

    if (clip(c, &x, &y, &w, &h)) {
        v.px = c->px + (size_t)y * c->stride + x;
        v.w = w;
        v.h = h;
    }
    return v;
}

uint32_t floe_demo_rgb_mix(uint32_t a, uint32_t b, unsigned t)
{
    uint32_t out = 0;

    for (int sh = 0; sh <= 16; sh += 8) {
        unsigned ca = (a >> sh) & 0xff, cb = (b >> sh) & 0xff;

        out |= (uint32_t)((ca * (255 - t) + cb * t + 127) / 255) << sh;
    }
    return out;
}

void floe_demo_canvas_fill(const struct floe_demo_canvas *c, int x, int y, int w, int h,
                           uint32_t rgb)
{
    if (!clip(c, &x, &y, &w, &h))
        return;
    for (int j = 0; j < h; j++) {
        uint32_t *row = c->px + (size_t)(y + j) * c->stride + x;

        for (int i = 0; i < w; i++)
            row[i] = rgb & 0xffffff;
    }
}

void floe_demo_canvas_frame(const struct floe_demo_canvas *c, int x, int y, int w, int h,
                            uint32_t rgb)
{
    floe_demo_canvas_fill(c, x, y, w, 1, rgb);
    floe_demo_canvas_fill(c, x, y + h - 1, w, 1, rgb);
    floe_demo_canvas_fill(c, x, y, 1, h, rgb);
    floe_demo_canvas_fill(c, x + w - 1, y, 1, h, rgb);
}

void floe_demo_canvas_vgradient(const struct floe_demo_canvas *c, int x, int y, int w, int h,
                                uint32_t top, uint32_t bottom)
{
    for (int j = 0; j < h; j++) {
        unsigned t = h > 1 ? (unsigned)(j * 255 / (h - 1)) : 0;

        floe_demo_canvas_fill(c, x, y + j, w, 1, floe_demo_rgb_mix(top, bottom, t));
    }
}

static void blend_px(uint32_t *p, uint32_t rgb, unsigned a)
{
    if (a == 0)
        return;
    *p = a >= 255 ? (rgb & 0xffffff) : floe_demo_rgb_mix(*p, rgb, a);
}

void floe_demo_canvas_blend(const struct floe_demo_canvas *c, int x, int y, int w, int h,
                            const uint8_t *cov, int pitch, uint32_t rgb)
{
    int cx = x, cy = y, cw = w, ch = h;

    if (!clip(c, &cx, &cy, &cw, &ch))
        return;
    for (int j = 0; j < ch; j++) {
        const uint8_t *src = cov + (size_t)(cy - y + j) * pitch + (cx - x);
        uint32_t *row = c->px + (size_t)(cy + j) * c->stride + cx;

        for (int i = 0; i < cw; i++)
            blend_px(&row[i], rgb, src[i]);
    }
}

/* Coverage of pixel (px, py) by a shape, from 4x4 samples. */
typedef int (*inside_fn)(const float *shape, float x, float y);

static unsigned coverage(inside_fn inside, const float *shape, int px, int py)
{
    unsigned n = 0;

    for (int j = 0; j < 4; j++)
        for (int i = 0; i < 4; i++)
            n += (unsigned)inside(shape, px + (i + 0.5f) / 4, py + (j + 0.5f) / 4);
    return n * 255 / 16;
}

static void fill_shape(const struct floe_demo_canvas *c, inside_fn inside, const float *shape,
                       int x, int y, int w, int h, uint32_t rgb)
{
    if (!clip(c, &x, &y, &w, &h))
        return;
    for (int j = y; j < y + h; j++)
        for (int i = x; i < x + w; i++)
            blend_px(&c->px[(size_t)j * c->stride + i], rgb, coverage(inside, shape, i, j));
}

/* shape: cx, cy, r */
static int in_disc(const float *s, float x, float y)
{
    return (x - s[0]) * (x - s[0]) + (y - s[1]) * (y - s[1]) <= s[2] * s[2];
}

void floe_demo_canvas_disc(const struct floe_demo_canvas *c, float cx, float cy, float r,
                           uint32_t rgb)
{
    float s[3] = { cx, cy, r };
    int x = (int)(cx - r) - 1, y = (int)(cy - r) - 1, d = (int)(2 * r) + 3;

    fill_shape(c, in_disc, s, x, y, d, d, rgb);
}

/* shape: x0, y0, x1, y1, radius */
static int in_round_rect(const float *s, float x, float y)
{
    float r = s[4];
    float qx = x < s[0] + r ? s[0] + r - x : x > s[2] - r ? x - (s[2] - r) : 0;
    float qy = y < s[1] + r ? s[1] + r - y : y > s[3] - r ? y - (s[3] - r) : 0;

    if (x < s[0] || x > s[2] || y < s[1] || y > s[3])
        return 0;
    return qx * qx + qy * qy <= r * r;
}

void floe_demo_canvas_round_rect(const struct floe_demo_canvas *c, int x, int y, int w, int h,
                                 float radius, uint32_t rgb)
{
    float s[5] = { (float)x, (float)y, (float)(x + w), (float)(y + h), radius };
    int r = (int)radius + 1;

    /* only the corners need sampling; the cross is a plain fill */
    floe_demo_canvas_fill(c, x + r, y, w - 2 * r, h, rgb);
    floe_demo_canvas_fill(c, x, y + r, r, h - 2 * r, rgb);
    floe_demo_canvas_fill(c, x + w - r, y + r, r, h - 2 * r, rgb);
    fill_shape(c, in_round_rect, s, x, y, r, r, rgb);
    fill_shape(c, in_round_rect, s, x + w - r, y, r, r, rgb);
    fill_shape(c, in_round_rect, s, x, y + h - r, r, r, rgb);
    fill_shape(c, in_round_rect, s, x + w - r, y + h - r, r, r, rgb);
}

void floe_demo_canvas_scroll(const struct floe_demo_canvas *c, int dy)
{
    for (int y = 0; y + dy < c->h; y++)
        memmove(c->px + (size_t)y * c->stride, c->px + (size_t)(y + dy) * c->stride,
                (size_t)c->w * sizeof(uint32_t));
}
