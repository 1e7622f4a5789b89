/* xRGB <-> I420 (codecs/yuv.h) in integer arithmetic: 8-bit fixed-point
 * BT.601 limited-range coefficients, rounded; odd last columns and rows
 * make chroma from the pixels there are. */
#include "codecs/yuv.h"

#include <stddef.h>

static inline const uint32_t *row_of(const uint32_t *px, int stride, int y)
{
    return (const uint32_t *)((const uint8_t *)px + (ptrdiff_t)y * stride);
}

static inline uint8_t luma(uint32_t p)
{
    int r = p >> 16 & 0xff, g = p >> 8 & 0xff, b = p & 0xff;

    return (uint8_t)(((66 * r + 129 * g + 25 * b + 128) >> 8) + 16);
}

/* Chroma of the mean of n pixels whose channels add up to r, g, b. */
static inline void chroma(int r, int g, int b, int n, uint8_t *u, uint8_t *v)
{
    r = (r + n / 2) / n;
    g = (g + n / 2) / n;
    b = (b + n / 2) / n;
    *u = (uint8_t)(((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128);
    *v = (uint8_t)(((112 * r - 94 * g - 18 * b + 128) >> 8) + 128);
}

static void chroma_row(const uint32_t *a, const uint32_t *b, int w, uint8_t *u, uint8_t *v)
{
    for (int x = 0; x < w; x += 2) {
        int r = 0, g = 0, bl = 0, n = 0;
        const uint32_t *rows[2] = { a, b };

        for (int k = 0; k < 2; k++) {
            if (!rows[k])
                continue;
            for (int dx = 0; dx < 2 && x + dx < w; dx++) {
                uint32_t p = rows[k][x + dx];

                r += p >> 16 & 0xff;
                g += p >> 8 & 0xff;
                bl += p & 0xff;
                n++;
            }
        }
        chroma(r, g, bl, n, &u[x / 2], &v[x / 2]);
    }
}

void floe_yuv_from_xrgb(const uint32_t *px, int w, int h, int stride_bytes,
                        const struct floe_yuv *yuv)
{
    for (int y = 0; y < h; y++) {
        const uint32_t *src = row_of(px, stride_bytes, y);
        uint8_t *dst = yuv->y + (ptrdiff_t)y * yuv->y_stride;

        for (int x = 0; x < w; x++)
            dst[x] = luma(src[x]);
    }
    for (int y = 0; y < h; y += 2)
        chroma_row(row_of(px, stride_bytes, y), y + 1 < h ? row_of(px, stride_bytes, y + 1) : NULL,
                   w, yuv->u + (ptrdiff_t)(y / 2) * yuv->u_stride,
                   yuv->v + (ptrdiff_t)(y / 2) * yuv->v_stride);
}

static inline uint32_t clamp8(int v)
{
    return v < 0 ? 0 : v > 255 ? 255 : (uint32_t)v;
}

void floe_yuv_to_xrgb(const struct floe_yuv *yuv, int w, int h, uint32_t *px, int stride_bytes)
{
    for (int y = 0; y < h; y++) {
        const uint8_t *ys = yuv->y + (ptrdiff_t)y * yuv->y_stride;
        const uint8_t *us = yuv->u + (ptrdiff_t)(y / 2) * yuv->u_stride;
        const uint8_t *vs = yuv->v + (ptrdiff_t)(y / 2) * yuv->v_stride;
        uint32_t *dst = (uint32_t *)((uint8_t *)px + (ptrdiff_t)y * stride_bytes);

        for (int x = 0; x < w; x++) {
            int c = 298 * (ys[x] - 16), d = us[x / 2] - 128, e = vs[x / 2] - 128;

            dst[x] = clamp8((c + 409 * e + 128) >> 8) << 16 |
                     clamp8((c - 100 * d - 208 * e + 128) >> 8) << 8 |
                     clamp8((c + 516 * d + 128) >> 8);
        }
    }
}
