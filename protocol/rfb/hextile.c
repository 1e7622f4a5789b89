/* RFB's Hextile encoding (RFC 6143, 7.7.4), pure: the length of a rectangle
 * found by walking its 16x16 tiles, and the same walk painting them. Pixels
 * are floe_rfb_xrgb's: their padding byte is dropped as they are read. */
#include <errno.h>
#include <string.h>

#include "protocol/rfb/rfb.h"

enum {
    SUB_RAW = 1,
    SUB_BACKGROUND = 2,
    SUB_FOREGROUND = 4,
    SUB_ANY_SUBRECTS = 8,
    SUB_COLOURED = 16,
};

#define TILE 16

/* What the walk carries from tile to tile, and where it paints (no dst:
 * it only measures). */
struct walk {
    const uint8_t *p;
    size_t len, at;
    uint32_t bg, fg;
    uint32_t *dst;
    size_t stride;
};

static int have(const struct walk *k, size_t n)
{
    return k->len - k->at >= n;
}

static uint32_t take_pixel(struct walk *k)
{
    uint32_t v = floe_le32(k->p + k->at) & 0xffffff;

    k->at += FLOE_RFB_BPP;
    return v;
}

static void paint(struct walk *k, int x, int y, int w, int h, uint32_t v)
{
    for (int r = 0; r < h; r++) {
        uint32_t *row = k->dst + (size_t)(y + r) * k->stride + x;

        for (int c = 0; c < w; c++)
            row[c] = v;
    }
}

static int raw_tile(struct walk *k, int x, int y, int w, int h)
{
    size_t n = (size_t)w * h * FLOE_RFB_BPP;

    if (!have(k, n))
        return 0;
    for (int r = 0; k->dst && r < h; r++) {
        uint32_t *row = k->dst + (size_t)(y + r) * k->stride + x;

        for (int c = 0; c < w; c++)
            row[c] = floe_le32(k->p + k->at + ((size_t)r * w + c) * FLOE_RFB_BPP) & 0xffffff;
    }
    k->at += n;
    return 1;
}

/* The subrectangles of a tile of w x h at (x, y), on its background. */
static int subrects(struct walk *k, uint8_t sub, int x, int y, int w, int h)
{
    size_t each = sub & SUB_COLOURED ? FLOE_RFB_BPP + 2 : 2, n;

    if (!have(k, 1))
        return 0;
    n = k->p[k->at++];
    if (!have(k, n * each))
        return 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t v = sub & SUB_COLOURED ? take_pixel(k) : k->fg;
        uint8_t xy = k->p[k->at], wh = k->p[k->at + 1];
        int sx = xy >> 4, sy = xy & 15, sw = (wh >> 4) + 1, sh = (wh & 15) + 1;

        k->at += 2;
        if (sx + sw > w || sy + sh > h)
            return -EBADMSG;
        if (k->dst)
            paint(k, x + sx, y + sy, sw, sh, v);
    }
    return 1;
}

static int tile(struct walk *k, int x, int y, int w, int h)
{
    uint8_t sub;

    if (!have(k, 1))
        return 0;
    sub = k->p[k->at++];
    if (sub & ~(SUB_RAW | SUB_BACKGROUND | SUB_FOREGROUND | SUB_ANY_SUBRECTS | SUB_COLOURED))
        return -EBADMSG;
    if (sub & SUB_RAW)
        return raw_tile(k, x, y, w, h);
    if (!have(k, (sub & SUB_BACKGROUND ? FLOE_RFB_BPP : 0) + (sub & SUB_FOREGROUND ? FLOE_RFB_BPP : 0)))
        return 0;
    if (sub & SUB_BACKGROUND)
        k->bg = take_pixel(k);
    if (sub & SUB_FOREGROUND)
        k->fg = take_pixel(k);
    if (k->dst)
        paint(k, x, y, w, h, k->bg);
    return sub & SUB_ANY_SUBRECTS ? subrects(k, sub, x, y, w, h) : 1;
}

static int walk(struct walk *k, int w, int h, size_t *used)
{
    for (int y = 0; y < h; y += TILE)
        for (int x = 0; x < w; x += TILE) {
            int ret = tile(k, x, y, w - x < TILE ? w - x : TILE, h - y < TILE ? h - y : TILE);

            if (ret <= 0)
                return ret;
        }
    *used = k->at;
    return 1;
}

int floe_rfb_hextile_size(const uint8_t *buf, size_t len, int w, int h, size_t *size)
{
    struct walk k = { .p = buf, .len = len };

    return walk(&k, w, h, size);
}

int floe_rfb_hextile_decode(const uint8_t *buf, size_t len, int w, int h, uint32_t *dst,
                            size_t stride)
{
    struct walk k = { .p = buf, .len = len, .dst = dst, .stride = stride };
    size_t used;
    int ret = walk(&k, w, h, &used);

    return ret == 1 ? 0 : ret == 0 ? -EBADMSG : ret;
}
