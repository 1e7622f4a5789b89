/* The captured GLZ sequences of tests/unit/data (test_glz, test_zlib_glz):
 * records of left, top, width, height (u16 LE), image type (u8), aux (u32
 * LE: glz_data_size for ZLIB_GLZ_RGB), length (u32 LE), payload, laid
 * over the LZ picture of the screen before them. Include after
 * tests/unit/test_util.h. */
#ifndef FLOE_TEST_GLZ_CAPTURE_H
#define FLOE_TEST_GLZ_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct tile {
    int x, y, w, h, type;
    uint32_t aux;
    const uint8_t *data;
    size_t len;
};

static inline int read_tiles(const uint8_t *seq, size_t len, struct tile *t, int max)
{
    int n = 0;

    for (size_t at = 0; at < len; n++) {
        assert_true(n < max && len - at >= 17);
        t[n].x = seq[at] | seq[at + 1] << 8;
        t[n].y = seq[at + 2] | seq[at + 3] << 8;
        t[n].w = seq[at + 4] | seq[at + 5] << 8;
        t[n].h = seq[at + 6] | seq[at + 7] << 8;
        t[n].type = seq[at + 8];
        t[n].aux = (uint32_t)seq[at + 9] | (uint32_t)seq[at + 10] << 8 |
                   (uint32_t)seq[at + 11] << 16 | (uint32_t)seq[at + 12] << 24;
        t[n].len = (size_t)seq[at + 13] | (size_t)seq[at + 14] << 8 |
                   (size_t)seq[at + 15] << 16 | (size_t)seq[at + 16] << 24;
        t[n].data = seq + at + 17;
        at += 17 + t[n].len;
        assert_true(at <= len);
    }
    return n;
}

/* Lays a decoded tile (stride t->w) onto a screen screen_w pixels wide. */
static inline void put_tile(uint32_t *screen, int screen_w, const struct tile *t,
                            const uint32_t *px)
{
    for (int y = 0; y < t->h; y++)
        memcpy(screen + (size_t)(t->y + y) * screen_w + t->x, px + (size_t)y * t->w,
               (size_t)t->w * 4);
}

/* The screen must equal the screendump png (w x h) pixel for pixel. */
static inline void expect_screen(const uint32_t *screen, const char *png_path, int w, int h)
{
    uint32_t *png = read_png(png_path, w, h);

    for (int i = 0; i < w * h; i++)
        if (screen[i] != (png[i] & 0x00ffffffu))
            fail_msg("pixel %d,%d: %08x, the screendump has %08x", i % w, i / w, screen[i],
                     png[i]);
    free(png);
}

#endif
