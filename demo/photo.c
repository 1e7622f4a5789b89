/* The demo's "photograph": a panning sunset landscape (sky, clouds, three
 * mountain ranges, a lake reflecting them, film grain), integer math only. */
#include <stdlib.h>

#include "demo/demo-priv.h"

#define CLOUD_N 256
#define RIDGE_N 1024
#define RIDGES 3

struct floe_demo_photo {
    uint32_t seed;
    uint8_t clouds[CLOUD_N * CLOUD_N];
    int16_t ridge[RIDGES][RIDGE_N]; /* 0..1000 */
};

/* Per range: base height and amplitude (permille of the picture height
 * above the horizon), pan speed (1/256 sample per frame), colour. */
static const struct {
    int base, amp, speed;
    uint32_t rgb;
} ranges[RIDGES] = {
    { 120, 330, 24, 0x6c6290 },
    { 40, 260, 70, 0x43395f },
    { 10, 120, 180, 0x1a1c2a },
};

static int smooth(int t) /* smoothstep, t and result in 0..256 */
{
    return (int)(((int64_t)t * t * (768 - 2 * t)) >> 16);
}

static int lerp(int a, int b, int t) /* t in 0..256 */
{
    return a + (((b - a) * t) >> 8);
}

/* Periodic value noise on a cell-size lattice, in 0..255. */
static int noise2(uint32_t seed, int x, int y, int cell, int period)
{
    int i = x / cell, j = y / cell, tx = smooth((x % cell) * 256 / cell);
    int ty = smooth((y % cell) * 256 / cell), n = period / cell;
    int v00 = (int)(floe_demo_hash3(seed, (uint32_t)(i % n), (uint32_t)(j % n)) & 255);
    int v10 = (int)(floe_demo_hash3(seed, (uint32_t)((i + 1) % n), (uint32_t)(j % n)) & 255);
    int v01 = (int)(floe_demo_hash3(seed, (uint32_t)(i % n), (uint32_t)((j + 1) % n)) & 255);
    int v11 = (int)(floe_demo_hash3(seed, (uint32_t)((i + 1) % n), (uint32_t)((j + 1) % n)) & 255);

    return lerp(lerp(v00, v10, tx), lerp(v01, v11, tx), ty);
}

static void make_clouds(struct floe_demo_photo *p)
{
    for (int y = 0; y < CLOUD_N; y++)
        for (int x = 0; x < CLOUD_N; x++) {
            int sum = 0, wsum = 0;

            for (int o = 0, cell = 64, w = 128; o < 5; o++, cell /= 2, w /= 2) {
                sum += noise2(p->seed + 17u * (uint32_t)o, x, y, cell, CLOUD_N) * w;
                wsum += w;
            }
            p->clouds[y * CLOUD_N + x] = (uint8_t)(sum / wsum);
        }
}

/* A periodic 1-D fractal line normalised to 0..1000; rough > 0 keeps more
 * of the fine octaves (a tree line rather than a mountain). */
static void make_ridge(struct floe_demo_photo *p, int k, int rough)
{
    int lo = 1 << 30, hi = -(1 << 30), raw[RIDGE_N];

    for (int x = 0; x < RIDGE_N; x++) {
        int sum = 0;

        for (int o = 0, cell = 256, w = 1000; cell >= 2; o++, cell /= 2) {
            sum += (noise2(p->seed + 101u * (uint32_t)(k + 1) + (uint32_t)o, x, 0, cell, RIDGE_N)
                    - 128) * w / 128;
            w = w * (rough ? 70 : 50) / 100;
        }
        raw[x] = sum;
        lo = sum < lo ? sum : lo;
        hi = sum > hi ? sum : hi;
    }
    for (int x = 0; x < RIDGE_N; x++)
        p->ridge[k][x] = (int16_t)((raw[x] - lo) * 1000 / (hi > lo ? hi - lo : 1));
}

static uint32_t mix(uint32_t a, uint32_t b, int t) /* t in 0..256 */
{
    uint32_t rb = ((a & 0xff00ff) * (uint32_t)(256 - t) + (b & 0xff00ff) * (uint32_t)t) >> 8;
    uint32_t g = ((a & 0xff00) * (uint32_t)(256 - t) + (b & 0xff00) * (uint32_t)t) >> 8;

    return (rb & 0xff00ff) | (g & 0xff00);
}

static int clamp(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Deep blue overhead, violet, then orange at the horizon. */
static uint32_t sky(int y, int yh)
{
    int t = y * 256 / yh;

    if (t < 150)
        return mix(0x1f2f66, 0x7a6a9e, t * 256 / 150);
    return mix(0x7a6a9e, 0xf5a66a, (t - 150) * 256 / 106);
}

struct view {
    const struct floe_demo_canvas *c;
    uint64_t n;
    int w, h, yh, sun_x, sun_y, sun_r;
};

static uint32_t sun(const struct view *v, int x, int y, uint32_t rgb)
{
    int dx = x - v->sun_x, dy = y - v->sun_y, d2 = dx * dx + dy * dy;
    int glow_r2 = v->h * v->h / 4, rs = v->sun_r;

    if (d2 < glow_r2) {
        int g = (glow_r2 - d2) * 256 / glow_r2;

        rgb = mix(rgb, 0xffc080, (g * g >> 8) * 150 >> 8);
    }
    if (d2 < (rs + 1) * (rs + 1))
        rgb = mix(rgb, 0xfff2d8, clamp((rs * rs - d2) * 128 / (rs + 1) + 128, 0, 256));
    return rgb;
}

static int cloud_density(const struct floe_demo_photo *p, const struct view *v, int x, int y)
{
    int64_t tx = (int64_t)x * 150 * 256 / v->w + (int64_t)v->n * 40;
    int ty = y * 60 * 256 / v->yh, i = (int)(tx >> 8) & 255, j = ty >> 8;
    int fx = (int)(tx & 255), fy = ty & 255;
    const uint8_t *r0 = p->clouds + j * CLOUD_N, *r1 = p->clouds + ((j + 1) & 255) * CLOUD_N;
    int top = lerp(r0[i], r0[(i + 1) & 255], fx), bot = lerp(r1[i], r1[(i + 1) & 255], fx);

    return lerp(top, bot, fy);
}

static void sky_row(const struct floe_demo_photo *p, const struct view *v, int y)
{
    uint32_t *row = v->c->px + (size_t)y * v->c->stride, base = sky(y, v->yh);
    uint32_t lit = mix(0xb8a0c8, 0xffb090, y * 256 / v->yh);
    int fade = clamp((v->yh * 85 / 100 - y) * 256 / (v->yh / 4 + 1), 0, 256);

    for (int x = 0; x < v->w; x++) {
        int d = cloud_density(p, v, x, y), a = clamp((d - 126) * 6, 0, 256) * fade >> 8;
        uint32_t cloud = mix(0x6a5a80, lit, clamp((d - 120) * 5, 0, 256));

        row[x] = sun(v, x, y, base);
        if (a)
            row[x] = mix(row[x], cloud, a * 220 >> 8);
    }
}

/* One mountain range over the sky, with mist in its lower part. */
static void range_draw(const struct floe_demo_photo *p, const struct view *v, int k)
{
    for (int x = 0; x < v->w; x++) {
        int64_t s = (int64_t)x * (RIDGE_N / 2) * 256 / v->w + (int64_t)v->n * ranges[k].speed;
        int i = (int)(s >> 8) & (RIDGE_N - 1), f = (int)(s & 255);
        int hv = lerp(p->ridge[k][i], p->ridge[k][(i + 1) & (RIDGE_N - 1)], f);
        int top = v->yh * 256 - (ranges[k].base + hv * ranges[k].amp / 1000) * v->yh * 256 / 1000;
        int band = (ranges[k].base + ranges[k].amp) * v->yh / 1000 + 1;

        for (int y = top >> 8; y < v->yh; y++) {
            int cov = y == top >> 8 ? 256 - (top & 255) : 256;
            int tex = p->clouds[(y & 255) * CLOUD_N + ((s >> 9) & 255)] - 128;
            uint32_t rgb = mix(ranges[k].rgb, tex > 0 ? 0xffffff : 0, clamp(abs(tex) / 3, 0, 40));
            uint32_t *px = v->c->px + (size_t)y * v->c->stride + x;

            int mist = clamp(256 - (v->yh - y) * 256 / band, 0, 256) * 90 >> 8;

            if (k < RIDGES - 1)
                rgb = mix(rgb, sky(v->yh - 1, v->yh), mist);
            *px = mix(*px, rgb, cov);
        }
    }
}

/* The lake mirrors what is above the horizon, rippled and darkened. */
static void water_row(const struct view *v, int y)
{
    int depth = y - v->yh, deep = v->h - v->yh;
    int amp = 1 + depth * 5 / (deep ? deep : 1), ym = v->yh - 1 - depth * 3 / 4;
    uint32_t *row = v->c->px + (size_t)y * v->c->stride;
    const uint32_t *src = v->c->px + (size_t)clamp(ym, 0, v->yh - 1) * v->c->stride;
    uint32_t phase = (uint32_t)(v->n * 1400) + (uint32_t)(600000 / (depth + 6));
    int off = floe_demo_sin(phase) * amp / 32768;

    for (int x = 0; x < v->w; x++) {
        uint32_t rgb = mix(src[clamp(x + off, 0, v->w - 1)], 0x142038, 60 + depth * 120 / deep);
        int glint = abs(x - v->sun_x) < 2 + depth * v->sun_r / deep;

        if (glint && (floe_demo_hash3((uint32_t)x, (uint32_t)y, (uint32_t)(v->n / 3)) & 7) == 0)
            rgb = mix(rgb, 0xffe0b0, 160);
        row[x] = rgb;
    }
}

static void grain(const struct view *v)
{
    for (int y = 0; y < v->h; y++) {
        uint32_t *row = v->c->px + (size_t)y * v->c->stride;

        for (int x = 0; x < v->w; x++) {
            int g = (int)(floe_demo_hash3((uint32_t)x, (uint32_t)y, (uint32_t)v->n) & 7) - 3;
            uint32_t out = 0;

            for (int sh = 0; sh <= 16; sh += 8)
                out |= (uint32_t)clamp((int)((row[x] >> sh) & 255) + g, 0, 255) << sh;
            row[x] = out;
        }
    }
}

void floe_demo_photo_render(struct floe_demo_photo *p, uint64_t n,
                            const struct floe_demo_canvas *c)
{
    struct view v = { c, n, c->w, c->h, c->h * 62 / 100, c->w * 68 / 100, 0, c->h / 22 + 1 };

    if (v.w < 2 || v.h < 4)
        return;
    v.sun_y = v.yh - v.h * 27 / 100;
    for (int y = 0; y < v.yh; y++)
        sky_row(p, &v, y);
    for (int k = 0; k < RIDGES; k++)
        range_draw(p, &v, k);
    for (int y = v.yh; y < v.h; y++)
        water_row(&v, y);
    grain(&v);
}

struct floe_demo_photo *floe_demo_photo_new(uint32_t seed)
{
    struct floe_demo_photo *p = calloc(1, sizeof(*p));

    if (!p)
        return NULL;
    p->seed = seed;
    make_clouds(p);
    for (int k = 0; k < RIDGES; k++)
        make_ridge(p, k, k == RIDGES - 1);
    return p;
}

void floe_demo_photo_free(struct floe_demo_photo *p)
{
    free(p);
}
